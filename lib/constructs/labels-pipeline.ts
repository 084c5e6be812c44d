import { type CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { labelsDropPrefix } from '../../lambdas/core/performance/labels-drop';
import { PERFORMANCE_NAMESPACE } from '../../lambdas/core/performance/performance-summary';
import { IngestLabelsEnvironment } from '../../lambdas/ingest-labels/environment';
import { labelsPipelineDefinition } from '../../step-functions/labels-pipeline';
import { DataDropTrigger } from './data-drop-trigger';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgeGrantPolicies, acknowledgePrefixWildcards } from './nag-acknowledgements';
import { pipelineStateMachine } from './pipeline-state-machine';
import type { PlatformResources } from './platform-contract';

export interface LabelsPipelineProps {
  readonly config: Pick<MlProjectConfig, 'projectName' | 'entityIdColumn' | 'targetColumn' | 'positiveLabel'>;
  readonly platform: PlatformResources;
  readonly nag: {
    /** How the imported artifact bucket's ARN renders in findings. */
    readonly artifactBucketArn: string;
  };
}

/**
 * Ground truth from S3: a CSV of outcomes dropped under `projects/<name>/labels/incoming/`
 * starts this pipeline, whose one function runs the same ingestion as `lumina labels put`
 * (keep, check, join to the logged predictions, performance result, CloudWatch metrics that
 * the performance floor alarm watches). The function reads the drop, the project's
 * prediction log and batch outbox, writes only under labels/ and performance/, and may
 * publish metrics only to the performance namespace.
 */
export class LabelsPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly function: LuminaFunction;
  readonly trigger: DataDropTrigger;

  constructor(scope: Construct, id: string, props: LabelsPipelineProps) {
    super(scope, id);
    const { config, platform } = props;
    const project = `projects/${config.projectName}`;

    this.function = new LuminaFunction(this, 'IngestLabels', {
      entry: 'lambdas/ingest-labels/index.ts',
      description: `Ground truth for ${config.projectName}: joins dropped outcomes to logged predictions and publishes model performance`,
      environmentSchema: IngestLabelsEnvironment,
      environment: {
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PROJECT_NAME: config.projectName,
        ENTITY_ID_COLUMN: config.entityIdColumn,
        TARGET_COLUMN: config.targetColumn,
        POSITIVE_LABEL: config.positiveLabel,
      },
      encryptionKey: platform.key,
      // Every logged prediction is read to join on: give it room.
      memorySize: 2048,
      timeout: Duration.minutes(15),
    });
    platform.artifacts.grantRead(this.function, `${project}/labels/*`);
    platform.artifacts.grantPut(this.function, `${project}/labels/*`);
    platform.artifacts.grantRead(this.function, `${project}/predictions/endpoint/*`);
    platform.artifacts.grantRead(this.function, `${project}/inference/outbox/*`);
    platform.artifacts.grantPut(this.function, `${project}/performance/*`);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishPerformanceMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': PERFORMANCE_NAMESPACE } },
      }),
    );

    this.stateMachine = pipelineStateMachine(this, {
      comment: `LuminaOps labels pipeline for project ${config.projectName}`,
      definition: labelsPipelineDefinition(new Construct(this, 'Workflow'), { projectName: config.projectName, ingestLabels: this.function, alerts: platform.alerts }),
      encryptionKey: platform.key,
      timeout: Duration.hours(1),
    });

    this.trigger = new DataDropTrigger(this, 'LabelsDrop', {
      bucket: platform.artifacts,
      prefix: labelsDropPrefix(config.projectName),
      pipeline: this.stateMachine,
      description: `Starts the ${config.projectName} labels pipeline when a CSV of outcomes lands in its labels drop prefix`,
    });

    const stack = Stack.of(this);
    acknowledgePrefixWildcards(
      this.stateMachine,
      [`<${stack.getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*`],
      'LambdaInvoke grants the pipeline function and its versions/aliases (:*), nothing else.',
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray and CloudWatch Logs delivery actions for Step Functions have no resource-level permissions.',
    });
    acknowledgeGrantPolicies(this.stateMachine);
    const projectInFindings = Token.isUnresolved(config.projectName) ? '<ProjectName>' : config.projectName;
    const prefix = `${props.nag.artifactBucketArn}/projects/${projectInFindings}`;
    acknowledgePrefixWildcards(
      this.function,
      [`${prefix}/labels/*`, `${prefix}/predictions/endpoint/*`, `${prefix}/inference/outbox/*`, `${prefix}/performance/*`],
      "Reads the project's labels drops and logged predictions and writes its labels and performance results; keys are not known at deploy time.",
    );
    acknowledgePrefixWildcards(
      this.function,
      ['*'],
      'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the performance namespace by the cloudwatch:namespace condition.',
    );
  }
}
