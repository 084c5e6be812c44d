import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { OUTPUT_COLUMNS } from '../../lambdas/core/batch/input-contract';
import { MonitorBatchEnvironment } from '../../lambdas/monitor-batch/environment';
import { DATA_QUALITY_NAMESPACE } from './drift-alarms';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgePrefixWildcards } from './nag-acknowledgements';
import type { PlatformResources } from './platform-contract';

export interface DataQualityMonitorProps {
  readonly config: Pick<MlProjectConfig, 'projectName' | 'targetColumn' | 'entityIdColumn' | 'driftThreshold'>;
  readonly platform: PlatformResources;
  readonly nag: {
    /** How the imported artifact bucket's ARN renders in findings. */
    readonly artifactBucketArn: string;
  };
}

/**
 * The project's data-quality monitor: compares each scored batch (and, daily, the endpoint's
 * last 24 h of predictions: a schedule rule) with the production model's
 * training baseline, writes Model Monitor statistics/violations and an HTML report next to
 * the batch's outputs, and publishes the drift metrics the project's alarms watch. It reads
 * only this project's baselines, outbox and batch-run chunk files, writes only under the outbox, and may publish
 * metrics only to the data-quality namespace.
 */
export class DataQualityMonitor extends Construct {
  readonly function: LuminaFunction;
  readonly endpointSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: DataQualityMonitorProps) {
    super(scope, id);
    const { config, platform } = props;
    const project = `projects/${config.projectName}`;
    this.function = new LuminaFunction(this, 'MonitorBatch', {
      entry: 'lambdas/monitor-batch/index.ts',
      description: `Data-quality monitor of ${config.projectName}: drift against the training baseline, Model Monitor reports, CloudWatch drift metrics`,
      environmentSchema: MonitorBatchEnvironment,
      environment: {
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PROJECT_NAME: config.projectName,
        TARGET_COLUMN: config.targetColumn,
        ENTITY_ID_COLUMN: config.entityIdColumn,
        DRIFT_THRESHOLD: config.driftThreshold,
        // The scored batch carries the prediction columns after the inputs: they are not features.
        MONITOR_CONFIG: JSON.stringify({ ignoreColumns: [...OUTPUT_COLUMNS], metrics: { namespace: DATA_QUALITY_NAMESPACE } }),
        REGISTRY_TABLE: platform.tables.registry.tableName,
      },
      encryptionKey: platform.key,
      // A million-row batch is parsed column by column in memory.
      memorySize: 3008,
      timeout: Duration.minutes(15),
    });
    platform.artifacts.grantRead(this.function, `${project}/datasets/*/baseline/*`);
    // A feature-store run's baseline is its joined training set's (lambdas/core/pipeline/run-layout.ts).
    platform.artifacts.grantRead(this.function, `${project}/runs/*/data/baseline/*`);
    platform.artifacts.grantRead(this.function, `${project}/inference/outbox/*`);
    // The batch run's chunk files: the pipeline's monitor reads them while MergeBatch concatenates them into the outbox.
    platform.artifacts.grantRead(this.function, `${project}/inference/runs/*`);
    platform.artifacts.grantPut(this.function, `${project}/inference/outbox/*`);
    // The scheduled endpoint check: the prediction log in, reports out, the production version's baseline keys from the registry.
    platform.artifacts.grantRead(this.function, `${project}/predictions/endpoint/*`);
    platform.artifacts.grantPut(this.function, `${project}/monitoring/endpoint/*`);
    // A retry of a scheduled run reads the window's metrics.json, written once its metrics are published.
    platform.artifacts.grantRead(this.function, `${project}/monitoring/endpoint/*`);
    platform.tables.registry.grantReadData(this.function);
    this.endpointSchedule = new events.Rule(this, 'EndpointMonitorSchedule', {
      description: `Daily data-quality check of the ${config.projectName} endpoint's last 24 h of predictions`,
      schedule: events.Schedule.rate(Duration.days(1)),
      // scheduledAt (the event's time) is the window's end: Lambda's retries of one run check the same window.
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ trigger: 'schedule', windowHours: 24, scheduledAt: events.EventField.time }), retryAttempts: 2 })],
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishDriftMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': DATA_QUALITY_NAMESPACE } },
      }),
    );

    const projectInFindings = Token.isUnresolved(config.projectName) ? '<ProjectName>' : config.projectName;
    const prefix = `${props.nag.artifactBucketArn}/projects/${projectInFindings}`;
    acknowledgePrefixWildcards(
      this.function,
      [`${prefix}/datasets/*/baseline/*`, `${prefix}/runs/*/data/baseline/*`, `${prefix}/inference/outbox/*`, `${prefix}/predictions/endpoint/*`, `${prefix}/monitoring/endpoint/*`, `${prefix}/inference/runs/*`],
      "Reads this project's training baselines, scored batches (and their chunk files) and endpoint prediction log, and writes its reports beside the batches and under monitoring/endpoint/; keys are not known at deploy time.",
    );
    acknowledgePrefixWildcards(
      this.function,
      ['*'],
      'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the data-quality namespace by the cloudwatch:namespace condition.',
    );
  }
}
