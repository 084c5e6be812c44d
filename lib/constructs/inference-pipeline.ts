import { type CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MergeBatchEnvironment } from '../../lambdas/merge-batch/environment';
import { PlanBatchEnvironment } from '../../lambdas/plan-batch/environment';
import { ScoreChunkEnvironment } from '../../lambdas/score-chunk/environment';
import { inferencePipelineDefinition } from '../../step-functions/inference-pipeline';
import { DataDropTrigger } from './data-drop-trigger';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgeGrantPolicies, acknowledgePrefixWildcards } from './nag-acknowledgements';
import { pipelineStateMachine } from './pipeline-state-machine';
import type { PlatformResources } from './platform-contract';

export interface InferencePipelineNagContext {
  /** How the imported artifact bucket's ARN renders in findings, e.g. `LuminaOps:ArtifactBucketArn`. */
  readonly artifactBucketArn: string;
}

export interface InferencePipelineProps {
  readonly config: Pick<MlProjectConfig, 'projectName'>;
  readonly platform: PlatformResources;
  readonly nag: InferencePipelineNagContext;
  /**
   * The data-quality monitor function the pipeline hands each merged batch to.
   * @default - a HandOffToMonitor Pass state (the hand-off is shaped but nothing is invoked)
   */
  readonly monitorBatch?: lambda.IFunction;
  /** @default 50000 */
  readonly rowsPerChunk?: number;
}

/**
 * A project's batch inference: plan / score-chunk / merge functions (each granted only its
 * project's inference prefix and model artifacts), the state machine that runs them, and the
 * trigger that starts it when a CSV lands in `projects/<name>/inference/inbox/`.
 */
export class InferencePipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly trigger: DataDropTrigger;

  constructor(scope: Construct, id: string, props: InferencePipelineProps) {
    super(scope, id);
    const { config, platform } = props;
    const inference = `projects/${config.projectName}/inference`;
    const models = `projects/${config.projectName}/runs/*/artifacts/*`;
    const operations = platform.tables.operations;

    const planBatch = new LuminaFunction(this, 'PlanBatch', {
      entry: 'lambdas/plan-batch/index.ts',
      description: 'Plans a batch inference run: run marker, production model, header contract, chunks by byte range',
      environmentSchema: PlanBatchEnvironment,
      environment: {
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PROJECT_NAME: config.projectName,
        REGISTRY_TABLE: platform.tables.registry.tableName,
        OPERATIONS_TABLE: operations.tableName,
        ROWS_PER_CHUNK: String(props.rowsPerChunk ?? 50_000),
      },
      encryptionKey: platform.key,
      // readOnnxMetadata lives next to the onnxruntime scorer; the bundle carries it for x64 only.
      nativeModules: ['onnxruntime-node'],
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    platform.artifacts.grantRead(planBatch, `${inference}/inbox/*`);
    platform.artifacts.grantRead(planBatch, models);
    platform.tables.registry.grantReadData(planBatch);
    operations.grantReadWriteData(planBatch);

    const scoreChunk = new LuminaFunction(this, 'ScoreChunk', {
      entry: 'lambdas/score-chunk/index.ts',
      description: 'Scores one chunk of a batch with onnxruntime-node and checkpoints it',
      environmentSchema: ScoreChunkEnvironment,
      environment: { ARTIFACT_BUCKET: platform.artifacts.bucketName, PROJECT_NAME: config.projectName, OPERATIONS_TABLE: operations.tableName },
      encryptionKey: platform.key,
      nativeModules: ['onnxruntime-node'],
      memorySize: 3008,
      timeout: Duration.minutes(15),
    });
    platform.artifacts.grantRead(scoreChunk, `${inference}/inbox/*`);
    platform.artifacts.grantRead(scoreChunk, models);
    platform.artifacts.grantPut(scoreChunk, `${inference}/runs/*`);
    operations.grantReadWriteData(scoreChunk);

    const mergeBatch = new LuminaFunction(this, 'MergeBatch', {
      entry: 'lambdas/merge-batch/index.ts',
      description: 'Merges scored chunks in order into the outbox with metadata and rejects',
      environmentSchema: MergeBatchEnvironment,
      environment: { PROJECT_NAME: config.projectName, OPERATIONS_TABLE: operations.tableName },
      encryptionKey: platform.key,
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    platform.artifacts.grantRead(mergeBatch, `${inference}/runs/*`);
    platform.artifacts.grantPut(mergeBatch, `${inference}/outbox/*`);
    operations.grantReadWriteData(mergeBatch);

    this.stateMachine = pipelineStateMachine(this, {
      comment: `LuminaOps batch inference pipeline for project ${config.projectName}`,
      definition: inferencePipelineDefinition(new Construct(this, 'Workflow'), {
        projectName: config.projectName,
        planBatch,
        scoreChunk,
        mergeBatch,
        monitorBatch: props.monitorBatch,
        operations,
        alerts: platform.alerts,
      }),
      encryptionKey: platform.key,
      timeout: Duration.hours(24),
    });

    this.trigger = new DataDropTrigger(this, 'InferenceDataDrop', {
      bucket: platform.artifacts,
      prefix: `${inference}/inbox/`,
      pipeline: this.stateMachine,
      description: `Starts the ${config.projectName} batch inference pipeline when a CSV lands in its inference inbox`,
    });

    const stack = Stack.of(this);
    const fnArn = (fn: lambda.IFunction): string => `<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`;
    acknowledgePrefixWildcards(
      this.stateMachine,
      [planBatch, scoreChunk, mergeBatch, ...(props.monitorBatch ? [props.monitorBatch] : [])].filter((fn) => fn.node.defaultChild).map(fnArn),
      'LambdaInvoke grants the pipeline function and its versions/aliases (:*), nothing else.',
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray and CloudWatch Logs delivery actions for Step Functions have no resource-level permissions.',
    });
    acknowledgeGrantPolicies(this.stateMachine);
    const bucketArn = props.nag.artifactBucketArn;
    // Findings render a parameter (the product's ProjectName) as <ProjectName>, a literal name as itself.
    const projectInFindings = Token.isUnresolved(config.projectName) ? '<ProjectName>' : config.projectName;
    const prefix = `${bucketArn}/projects/${projectInFindings}`;
    const reason = "Object keys under this project's own prefix are not known at deploy time; the grant is limited to that prefix.";
    const modelKeys = `${prefix}/runs/*/artifacts/*`;
    acknowledgePrefixWildcards(planBatch, [`${prefix}/inference/inbox/*`, modelKeys], reason);
    acknowledgePrefixWildcards(scoreChunk, [`${prefix}/inference/inbox/*`, modelKeys, `${prefix}/inference/runs/*`], reason);
    acknowledgePrefixWildcards(mergeBatch, [`${prefix}/inference/runs/*`, `${prefix}/inference/outbox/*`], reason);
  }
}
