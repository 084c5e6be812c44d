import { CfnCondition, CfnOutput, Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DataDropTrigger } from './data-drop-trigger';
import { DataQualityMonitor } from './data-quality-monitor';
import { DriftAlarms } from './drift-alarms';
import { InferencePipeline } from './inference-pipeline';
import { LabelsPipeline } from './labels-pipeline';
import type { MlProjectConfig } from './ml-project-parameters';
import { OnlineEndpoint } from './online-endpoint';
import { PerformanceAlarms } from './performance-alarms';
import { importPersonas, type PlatformResources } from './platform-contract';
import { ProjectDashboard } from './project-dashboard';
import { RetrainingTriggers } from './retraining-triggers';
import { TrainingPipeline } from './training-pipeline';

export interface MlProjectProps {
  readonly config: MlProjectConfig;
  readonly platform: PlatformResources;
  /** Name of the platform stack whose exports the project imports (findings render its ARNs by export name). */
  readonly platformStackName: string;
}

/**
 * Everything one ML project owns: the training pipeline and its data-drop trigger, batch
 * inference with the data-quality monitor, the online endpoint, drift alarms and what they
 * start (retraining, alerts), scheduled retraining, and the project dashboard. The Service
 * Catalog product and the directly deployable stack both consist of exactly this construct,
 * so there is one code path.
 */
export class MlProject extends Construct {
  readonly training: TrainingPipeline;
  readonly inference: InferencePipeline;
  readonly monitor: DataQualityMonitor;
  readonly endpoint: OnlineEndpoint;
  readonly driftAlarms: DriftAlarms;
  readonly performanceAlarms: PerformanceAlarms;
  readonly labels: LabelsPipeline;
  readonly retraining: RetrainingTriggers;
  readonly dashboard: ProjectDashboard;

  constructor(scope: Construct, id: string, props: MlProjectProps) {
    super(scope, id);
    const { config, platform } = props;
    const nag = { artifactBucketArn: `${props.platformStackName}:ArtifactBucketArn` };

    this.training = new TrainingPipeline(this, 'Training', { config, platform, nag });
    new DataDropTrigger(this, 'TrainingDataDrop', {
      bucket: platform.artifacts,
      prefix: `projects/${config.projectName}/training/inbox/`,
      pipeline: this.training.stateMachine,
      description: `Starts the ${config.projectName} training pipeline when a CSV lands in its training inbox`,
    });

    this.monitor = new DataQualityMonitor(this, 'DataQuality', { config, platform, nag });
    this.inference = new InferencePipeline(this, 'Inference', { config, platform, nag, monitorBatch: this.monitor.function });

    const personas = importPersonas(this, props.platformStackName);
    this.endpoint = new OnlineEndpoint(this, 'Endpoint', { config, platform, nag, invokers: [personas.dataScientist, personas.mlEngineer] });

    this.driftAlarms = new DriftAlarms(this, 'DriftAlarms', {
      projectName: config.projectName,
      driftThreshold: config.driftThreshold,
      monitoredFeatures: config.monitoredFeatures,
      alarmActionArns: [platform.alerts.topicArn],
    });
    this.labels = new LabelsPipeline(this, 'Labels', { config, platform, nag });
    this.performanceAlarms = new PerformanceAlarms(this, 'PerformanceAlarms', {
      projectName: config.projectName,
      aucFloor: config.performanceFloorAuc,
      alarmActionArns: [platform.alerts.topicArn],
    });
    this.retraining = new RetrainingTriggers(this, 'Retraining', {
      projectName: config.projectName,
      pipeline: this.training.stateMachine,
      driftAlarm: this.driftAlarms.composite,
      performanceAlarm: this.performanceAlarms.aucFloor,
      alerts: platform.alerts,
      retrainingSchedule: config.retrainingSchedule,
    });

    // The alerts topic is the platform's; a project's subscriber receives only its own project's messages:
    // every LuminaOps notification is a JSON object with `project`, and CloudWatch's own alarm
    // notifications (no `project`) are matched by this project's alarm names.
    const emailGiven = new CfnCondition(this, 'AlertEmailGiven', { expression: Fn.conditionNot(Fn.conditionEquals(config.alertEmail, '')) });
    const subscription = new sns.Subscription(this, 'AlertEmail', {
      topic: platform.alerts,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: config.alertEmail,
    });
    // `$or` has no typed form in aws-cdk-lib's FilterOrPolicy: set the policy on the L1.
    const cfnSubscription = subscription.node.defaultChild as sns.CfnSubscription;
    cfnSubscription.filterPolicyScope = 'MessageBody';
    cfnSubscription.filterPolicy = {
      $or: [{ project: [config.projectName] }, { AlarmName: [this.driftAlarms.compositeName, this.performanceAlarms.aucFloorName] }],
    };
    cfnSubscription.cfnOptions.condition = emailGiven;

    this.dashboard = new ProjectDashboard(this, 'Dashboard', {
      projectName: config.projectName,
      trainingPipeline: this.training.stateMachine,
      inferencePipeline: this.inference.stateMachine,
      endpoint: this.endpoint.function,
      driftThreshold: config.driftThreshold,
      performanceAlarm: cloudwatch.Alarm.fromAlarmArn(this, 'PerformanceFloorAlarm', this.performanceAlarms.aucFloor.attrArn),
    });

    const out = (name: string, value: string, description: string): void => {
      new CfnOutput(scope, name, { value, description });
    };
    const inbox = (what: string): string => `s3://${platform.artifacts.bucketName}/projects/${config.projectName}/${what}/`;
    out('TrainingPipelineArn', this.training.stateMachine.stateMachineArn, 'Training pipeline state machine');
    out('TrainingInbox', inbox('training/inbox'), 'Drop training CSVs here');
    out('InferencePipelineArn', this.inference.stateMachine.stateMachineArn, 'Batch inference pipeline state machine');
    out('InferenceInbox', inbox('inference/inbox'), 'Drop CSVs to score here');
    out('LabelsDrop', inbox('labels/incoming'), 'Drop CSVs of outcomes (ground truth) here: joined to logged predictions, performance published');
    out('LabelsPipelineArn', this.labels.stateMachine.stateMachineArn, 'Labels (ground truth) pipeline state machine');
    out('InferenceOutbox', inbox('inference/outbox'), 'Scored batches, rejects, metadata and drift reports');
    out('EndpointUrl', this.endpoint.url.url, 'Online endpoint (IAM-authorised function URL; SigV4-sign requests)');
    out('DriftAlarmName', this.driftAlarms.composite.ref, 'Composite drift alarm that starts retraining');
    out('PerformanceAlarmName', this.performanceAlarms.aucFloor.ref, 'Performance floor alarm (AUC of labelled predictions) that starts retraining');
  }
}
