import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DATA_QUALITY_NAMESPACE, DriftAlarms, MAX_MONITORED_FEATURES } from '../../../lib/constructs/drift-alarms';
import { PerformanceAlarms } from '../../../lib/constructs/performance-alarms';
import { ProjectDashboard } from '../../../lib/constructs/project-dashboard';
import { RetrainingTriggers } from '../../../lib/constructs/retraining-triggers';

function projectStack(): Template {
  const app = new App({ builtinCloudFormationValidation: false } as never);
  const stack = new Stack(app, 'Project');
  const features = new CfnParameter(stack, 'MonitoredFeatures', { type: 'CommaDelimitedList', default: '' });
  const threshold = new CfnParameter(stack, 'DriftThreshold', { type: 'Number', default: '0.2' });
  const schedule = new CfnParameter(stack, 'RetrainingSchedule', { type: 'String', default: 'none' });
  const topic = new sns.Topic(stack, 'Alerts');
  const pipeline = new sfn.StateMachine(stack, 'Training', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Noop')) });
  const alarms = new DriftAlarms(stack, 'Drift', {
    projectName: 'adherence',
    driftThreshold: threshold.valueAsString,
    monitoredFeatures: features.valueAsList,
    alarmActionArns: [topic.topicArn],
  });
  const floor = new CfnParameter(stack, 'PerformanceFloorAuc', { type: 'Number', default: '0.6' });
  const performance = new PerformanceAlarms(stack, 'Performance', { projectName: 'adherence', aucFloor: floor.valueAsString, alarmActionArns: [topic.topicArn] });
  new RetrainingTriggers(stack, 'Retraining', {
    projectName: 'adherence',
    pipeline,
    driftAlarm: alarms.composite,
    performanceAlarm: performance.aucFloor,
    alerts: topic,
    retrainingSchedule: schedule.valueAsString,
  });
  new ProjectDashboard(stack, 'Dashboard', { projectName: 'adherence', trainingPipeline: pipeline, driftThreshold: threshold.valueAsString });
  return Template.fromStack(stack);
}

describe('DriftAlarms', () => {
  const template = projectStack();

  it('alarms on the overall drift score above the threshold parameter, never on missing data', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: DATA_QUALITY_NAMESPACE,
      MetricName: 'drift_score',
      Dimensions: [{ Name: 'Project', Value: 'adherence' }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: { Ref: 'DriftThreshold' },
      TreatMissingData: 'notBreaching',
    });
  });

  it('creates one conditional feature alarm slot per possible monitored feature, named feature_baseline_drift_<feature>', () => {
    const slots = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Condition !== undefined);
    expect(slots).toHaveLength(MAX_MONITORED_FEATURES);
    const conditions = template.toJSON().Conditions as Record<string, unknown>;
    for (const slot of slots) expect(conditions[slot.Condition as string]).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [expect.anything(), ''] }] });
    expect(JSON.stringify(slots[0].Properties.MetricName)).toContain('feature_baseline_drift_');
    // Named <project>-feature-drift-<feature>: the composite alarm's reason data then names the drifted features.
    expect(JSON.stringify(slots[0].Properties.AlarmName)).toContain('-feature-drift-');
  });

  it('has a composite alarm over the score and every used slot, notifying the alerts topic', () => {
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composite).toHaveLength(1);
    const rule = JSON.stringify(composite[0].Properties.AlarmRule);
    expect(rule).toContain('ALARM(\\"');
    expect((rule.match(/Fn::If/g) ?? []).length).toBe(MAX_MONITORED_FEATURES);
    expect(composite[0].Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alerts/) }]);
    // Named, so an alert subscription can let CloudWatch's own notification of it through.
    expect(composite[0].Properties.AlarmName).toBe('adherence-drift');
  });
});

describe('PerformanceAlarms', () => {
  const template = projectStack();

  it('alarms when the AUC of labelled predictions falls below the floor parameter, keeping its state while no labels arrive', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'adherence-performance-floor',
      Namespace: 'LuminaOps/ModelPerformance',
      MetricName: 'auc',
      Dimensions: [{ Name: 'Project', Value: 'adherence' }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: { Ref: 'PerformanceFloorAuc' },
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }],
    });
  });
});

describe('RetrainingTriggers', () => {
  const template = projectStack();

  it('starts the training pipeline and tells the alerts topic when the composite alarm goes to ALARM', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftAnyDrift'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Training') }, InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-alarmName': '$.detail.alarmName', 'detail-state-reasonData': '$.detail.state.reasonData' }) }) }),
        Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Alerts') } }),
      ]),
    });
  });

  it('starts the training pipeline and tells the alerts topic when the performance floor alarm goes to ALARM', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PerformanceAucFloor'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Training') }, InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-alarmName': '$.detail.alarmName' }) }) }),
        Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Alerts') }, InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('performance-alarm') }) }),
      ]),
    });
  });

  it('schedules retraining with EventBridge Scheduler only when a schedule is set', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    const [schedule] = Object.values(schedules);
    expect(schedule.Properties.ScheduleExpression).toEqual({ Ref: 'RetrainingSchedule' });
    expect(schedule.Properties.Target.Input).toBe(JSON.stringify({ trigger: 'schedule' }));
    const conditions = template.toJSON().Conditions as Record<string, unknown>;
    expect(conditions[schedule.Condition as string]).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'RetrainingSchedule' }, 'none'] }] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: Match.stringLikeRegexp('^Training') } })] },
    });
  });
});

describe('ProjectDashboard', () => {
  it('shows pipeline runs, the drift score and a SEARCH over every feature drift metric', () => {
    const template = projectStack();
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('ExecutionsFailed');
    expect(body).toContain('drift_score');
    expect(body).toContain('SEARCH(');
    expect(body).toContain('feature_baseline_drift_');
  });
});
