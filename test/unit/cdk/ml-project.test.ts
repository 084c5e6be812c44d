import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { EndpointLogMonitorInput } from '../../../lambdas/core/monitoring/endpoint-log-monitor';
import { buildTargetPayload } from '../../../local/events/input-transform';
import { synthesizeApp } from './app-fixture';

describe('ML project (Service Catalog product and direct stack)', () => {
  const app = synthesizeApp();

  it.each(['product', 'project'] as const)('%s declares the project parameters with validation and GPU default', (which) => {
    const template = app[which];
    template.hasParameter('ProjectName', { Type: 'String', AllowedPattern: '^[a-z][a-z0-9-]{2,31}$' });
    template.hasParameter('TargetColumn', { Type: 'String', MinLength: 1 });
    template.hasParameter('EntityIdColumn', { Default: '' });
    template.hasParameter('PositiveLabel', { Default: '' });
    template.hasParameter('DriftThreshold', { Type: 'Number', Default: '0.2' });
    template.hasParameter('RetrainingSchedule', { Default: 'none' });
    template.hasParameter('TrainingInstanceType', { Default: 'ml.g5.xlarge', AllowedValues: Match.arrayWith(['ml.g5.xlarge']) });
    template.hasParameter('SpotTraining', { AllowedValues: ['true', 'false'] });
  });

  it('product and direct stack are the same construct (same resource types and counts)', () => {
    const count = (t: typeof app.product): Record<string, number> => {
      const json = t.toJSON() as { Resources: Record<string, { Type: string }> };
      const counts: Record<string, number> = {};
      for (const r of Object.values(json.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
      return counts;
    };
    expect(count(app.product)).toEqual(count(app.project));
  });

  it('starts the training pipeline when an object lands in the project training inbox', () => {
    app.product.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ 'Fn::ImportValue': 'LuminaOps:ArtifactBucketName' }] },
          object: { key: [{ prefix: { 'Fn::Join': ['', ['projects/', { Ref: 'ProjectName' }, '/training/inbox/']] } }] },
        },
      },
      Targets: [Match.objectLike({ Arn: Match.objectLike({ Ref: Match.stringLikeRegexp('StateMachine') }), InputTransformer: Match.anyValue() })],
    });
  });

  it('runs an encrypted, traced, fully logged state machine', () => {
    app.product.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      EncryptionConfiguration: Match.objectLike({ Type: 'CUSTOMER_MANAGED_KMS_KEY' }),
    });
  });

  it('scopes each pipeline function to its own project prefix', () => {
    const policies = app.product.findResources('AWS::IAM::Policy');
    const resources = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument));
    expect(resources).toContain('"/training/inbox/*"');
    expect(resources).toContain('"/datasets/*"');
    expect(resources).not.toMatch(/"Resource":"\*"[^}]*"s3:/);
  });

  it('runs every function on Node 22 with tracing, JSON logs and an encrypted retained log group', () => {
    const functions = app.product.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(2);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' }, LoggingConfig: { LogFormat: 'JSON' } });
      expect(fn.Properties.KmsKeyArn).toBeDefined();
    }
    app.product.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 90 });
  });

  it('writes each function bundle where the product template points (asset bucket + hash key)', () => {
    const functions = app.product.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      const key: string = fn.Properties.Code.S3Key;
      expect(fs.existsSync(path.join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'))).toBe(true);
    }
  });

  it('declares the monitoring parameters (monitored features, alert email)', () => {
    app.product.hasParameter('MonitoredFeatures', { Type: 'CommaDelimitedList', Default: '' });
    app.product.hasParameter('AlertEmail', { Default: '', AllowedPattern: Match.stringLikeRegexp('@') });
  });

  it('serves the endpoint behind an IAM-authorised function URL that only the data scientist and ML engineer roles may call', () => {
    app.product.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const permissions = Object.values(app.product.findResources('AWS::Lambda::Permission')).map((p) => p.Properties);
    const urlPermissions = permissions.filter((p) => p.Action === 'lambda:InvokeFunctionUrl');
    expect(urlPermissions.map((p) => p.Principal)).toEqual([
      { 'Fn::ImportValue': 'LuminaOps:DataScientistRoleArn' },
      { 'Fn::ImportValue': 'LuminaOps:MlEngineerRoleArn' },
    ]);
    for (const p of urlPermissions) expect(p.FunctionUrlAuthType).toBe('AWS_IAM');
    expect(permissions.filter((p) => p.Action === 'lambda:InvokeFunction' && p.InvokedViaFunctionUrl === true)).toHaveLength(2);
    app.platform.hasOutput('*', { Export: { Name: 'LuminaOps:DataScientistRoleArn' } });
  });

  it('lets the monitor and the labels pipeline publish metrics to their own namespaces only (every PutMetricData is namespace-bound)', () => {
    const policies = JSON.stringify(Object.values(app.product.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument));
    const metricStatements = policies.match(/\{[^{}]*"cloudwatch:PutMetricData"[^{}]*\{[^{}]*\{[^{}]*\}[^{}]*\}[^{}]*\}/g) ?? [];
    // The monitor's namespace, the labels pipeline's performance namespace, and SageMaker training jobs' metrics under /aws/sagemaker/*: never unconditional.
    expect(metricStatements).toHaveLength(3);
    expect(metricStatements.some((st) => st.includes('"StringEquals":{"cloudwatch:namespace":"LuminaOps/DataQuality"}'))).toBe(true);
    for (const statement of metricStatements) expect(statement).toContain('"cloudwatch:namespace"');
  });

  it('hands each scored batch with a baseline to the monitor and skips the monitor without one', () => {
    const machines = Object.values(app.product.findResources('AWS::StepFunctions::StateMachine'));
    const inference = machines.find((m) => JSON.stringify(m.Properties.DefinitionString).includes('HasBaseline'));
    expect(inference).toBeDefined();
    const text = JSON.stringify(inference!.Properties.DefinitionString);
    expect(text).toContain('HandOffToMonitor');
    expect(text).toContain('NoBaselineToMonitor');
  });

  it('subscribes the alert email only when given, filtered to this project (its notifications and its alarms)', () => {
    const subscriptions = app.product.findResources('AWS::SNS::Subscription');
    const [subscription] = Object.values(subscriptions);
    expect(subscription.Properties).toMatchObject({ Protocol: 'email', Endpoint: { Ref: 'AlertEmail' }, FilterPolicyScope: 'MessageBody' });
    expect(subscription.Properties.FilterPolicy).toEqual({
      $or: [
        { project: [{ Ref: 'ProjectName' }] },
        { AlarmName: [{ 'Fn::Join': ['', [{ Ref: 'ProjectName' }, '-drift']] }, { 'Fn::Join': ['', [{ Ref: 'ProjectName' }, '-performance-floor']] }] },
      ],
    });
    expect(subscription.Condition).toBeDefined();
  });

  it('declares the performance floor parameter (an AUC from 0 to 1)', () => {
    app.product.hasParameter('PerformanceFloorAuc', { Type: 'Number', Default: '0.6', MinValue: 0, MaxValue: 1 });
  });

  it('starts the labels pipeline from the labels drop prefix; its function reads and writes only its own prefixes and publishes only performance metrics', () => {
    app.product.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ prefix: { 'Fn::Join': ['', ['projects/', { Ref: 'ProjectName' }, '/labels/incoming/']] } }] } }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ProjectLabelsStateMachine') } })],
    });
    const machines = Object.values(app.product.findResources('AWS::StepFunctions::StateMachine'));
    const labels = machines.find((m) => JSON.stringify(m.Properties.DefinitionString).includes('IngestLabels'));
    expect(JSON.stringify(labels!.Properties.DefinitionString)).toMatch(/LabelsAccepted.*NotifyLabelsRefused/);

    const policies = Object.entries(app.product.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('ProjectLabelsIngestLabels'));
    expect(policies).toHaveLength(1);
    const statements = policies[0][1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    const s3Resources = JSON.stringify(statements.filter((st) => JSON.stringify(st.Action).includes('s3:')).map((st) => st.Resource));
    for (const prefix of ['/labels/*', '/predictions/endpoint/*', '/inference/outbox/*', '/performance/*']) expect(s3Resources).toContain(`"${prefix}"`);
    expect(s3Resources).not.toContain('/training/');
    const metrics = statements.find((st) => st.Action === 'cloudwatch:PutMetricData');
    expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'LuminaOps/ModelPerformance' } });
  });

  it("checks the endpoint's prediction log daily with the monitor function, which may read the log and the registry", () => {
    app.product.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProjectDataQualityMonitorBatch'), 'Arn'] } })],
    });
    // The target passes the scheduled event's time as the window's end (Lambda's retries check the same window).
    const [rule] = Object.values(app.product.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 day)' } }));
    const scheduled = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-12-02T06:00:00Z', region: 'us-east-1', resources: [], detail: {} };
    const payload = buildTargetPayload(rule.Properties.Targets[0], scheduled, { ruleName: 'r', ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r', ingestionTime: new Date('2026-12-02T06:00:01Z') });
    expect(payload.kind).toBe('json');
    expect(EndpointLogMonitorInput.parse(JSON.parse(payload.text))).toEqual({ trigger: 'schedule', windowHours: 24, scheduledAt: '2026-12-02T06:00:00Z' });
    const policies = Object.entries(app.product.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('ProjectDataQualityMonitorBatch'));
    const document = JSON.stringify(policies.map(([, p]) => p.Properties.PolicyDocument));
    expect(document).toContain('"/predictions/endpoint/*"');
    expect(document).toContain('"/monitoring/endpoint/*"');
    expect(document).toContain('Table-registry');
    // Reads as well as writes under monitoring/endpoint/: a retried run reads the window's metrics.json.
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const reads = statements.filter((st) => [st.Action].flat().includes('s3:GetObject*'));
    expect(reads.some((st) => JSON.stringify(st.Resource).includes('"/monitoring/endpoint/*"'))).toBe(true);
  });

  it('draws A/B variants and model performance against the floor on the dashboard', () => {
    const [dashboard] = Object.values(app.product.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('LuminaOps/Endpoint,Project,Variant');
    expect(body).toContain('LuminaOps/ModelPerformance,Project,ModelVersion,Variant');
    expect(body).toContain('Model performance: AUC of labelled predictions vs the floor');
  });

  it('starts batch inference from the inference inbox and outputs where to drop data and call the endpoint', () => {
    app.product.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ prefix: { 'Fn::Join': ['', ['projects/', { Ref: 'ProjectName' }, '/inference/inbox/']] } }] } }),
      }),
    });
    for (const output of ['TrainingInbox', 'InferenceInbox', 'InferenceOutbox', 'EndpointUrl', 'InferencePipelineArn', 'DriftAlarmName', 'PerformanceAlarmName', 'LabelsDrop', 'LabelsPipelineArn']) {
      app.project.hasOutput(output, {});
    }
  });

  it('lets the profile step read the PII policy, keep the project masking key and append PII decisions to the audit trail', () => {
    const fn = Object.values(app.product.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f.Properties.Description).includes('Profiles a validated dataset'));
    expect(fn?.Properties.Environment.Variables.AUDIT_TABLE).toBeDefined();
    const policies = JSON.stringify(Object.values(app.product.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument));
    expect(policies).toContain('/secrets/pii-mask-key');
    expect(policies).toContain('/config/project.config.json');
    expect(policies).toMatch(/"Action":"dynamodb:PutItem"[^}]*"Resource":\{"Fn::ImportValue":"LuminaOps:Table-audit"\}/);
  });
});
