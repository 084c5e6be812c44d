import { CfnCondition, Fn } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeGrantPolicies } from './nag-acknowledgements';

export interface RetrainingTriggersProps {
  readonly projectName: string;
  readonly pipeline: sfn.IStateMachine;
  /** The composite drift alarm whose move to ALARM starts retraining. */
  readonly driftAlarm: cloudwatch.CfnCompositeAlarm;
  /** The performance floor alarm whose move to ALARM starts retraining. */
  readonly performanceAlarm: cloudwatch.CfnAlarm;
  readonly alerts: sns.ITopic;
  /** An EventBridge Scheduler expression (`rate(7 days)`, `cron(...)`) or `none`. */
  readonly retrainingSchedule: string;
}

/**
 * What starts retraining besides a data drop: the drift alarm or the performance floor alarm
 * going to ALARM (an EventBridge rule on each one's state change, which also tells the alerts
 * topic) and, when the project asks
 * for one, a schedule (EventBridge Scheduler). Both start the training pipeline with a
 * `trigger` the pipeline records in the new run's lineage.
 */
export class RetrainingTriggers extends Construct {
  readonly driftRule: events.Rule;
  readonly performanceRule: events.Rule;
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: RetrainingTriggersProps) {
    super(scope, id);

    this.driftRule = this.retrainOnAlarm('OnDriftAlarm', props, props.driftAlarm.attrArn, 'drift', 'drift-alarm');
    this.performanceRule = this.retrainOnAlarm('OnPerformanceAlarm', props, props.performanceAlarm.attrArn, 'performance', 'performance-alarm');

    const scheduled = new CfnCondition(this, 'Scheduled', { expression: Fn.conditionNot(Fn.conditionEquals(props.retrainingSchedule, 'none')) });
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: `Lets EventBridge Scheduler start the ${props.projectName} training pipeline`,
    });
    props.pipeline.grantStartExecution(role);
    acknowledgeGrantPolicies(role);
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Scheduled retraining of ${props.projectName}`,
      scheduleExpression: props.retrainingSchedule,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.pipeline.stateMachineArn,
        roleArn: role.roleArn,
        input: JSON.stringify({ trigger: 'schedule' }),
        retryPolicy: { maximumRetryAttempts: 3 },
      },
    });
    this.schedule.cfnOptions.condition = scheduled;
    (role.node.defaultChild as iam.CfnRole).cfnOptions.condition = scheduled;
    const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as iam.CfnPolicy | undefined;
    if (policy) policy.cfnOptions.condition = scheduled;
  }

  /**
   * A rule on one alarm's move to ALARM: starts the training pipeline with the alarm in its
   * trigger (recorded in the new run's lineage) and tells the alerts topic.
   */
  private retrainOnAlarm(id: string, props: RetrainingTriggersProps, alarmArn: string, what: string, event: string): events.Rule {
    const rule = new events.Rule(this, id, {
      description: `Retrains ${props.projectName} when its ${what} alarm goes to ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
    });
    rule.addTarget(
      new targets.SfnStateMachine(props.pipeline, {
        input: events.RuleTargetInput.fromObject({
          trigger: 'alarm',
          alarm: {
            name: events.EventField.fromPath('$.detail.alarmName'),
            reason: events.EventField.fromPath('$.detail.state.reason'),
            // A composite alarm's triggering alarms (JSON text): which features drifted.
            reasonData: events.EventField.fromPath('$.detail.state.reasonData'),
            time: events.EventField.time,
          },
        }),
      }),
    );
    // JSON like every pipeline notification, so a subscription can filter on `project`.
    rule.addTarget(
      new targets.SnsTopic(props.alerts, {
        message: events.RuleTargetInput.fromObject({
          project: props.projectName,
          event,
          alarm: events.EventField.fromPath('$.detail.alarmName'),
          reason: events.EventField.fromPath('$.detail.state.reason'),
          time: events.EventField.time,
          action: 'retraining started',
        }),
      }),
    );
    return rule;
  }
}
