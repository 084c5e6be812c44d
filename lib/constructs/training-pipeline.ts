import { type CfnElement, Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ProfileDatasetEnvironment } from '../../lambdas/profile-dataset/environment';
import { ValidateDatasetEnvironment } from '../../lambdas/validate-dataset/environment';
import { trainingPipelineDefinition } from '../../step-functions/training-pipeline';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgeGrantPolicies, acknowledgePrefixWildcards } from './nag-acknowledgements';
import type { PlatformResources } from './platform-contract';

export interface TrainingPipelineNagContext {
  /** How the imported artifact bucket's ARN renders in findings, e.g. `LuminaOps:ArtifactBucketArn`. */
  readonly artifactBucketArn: string;
}

export interface TrainingPipelineProps {
  readonly config: MlProjectConfig;
  readonly platform: PlatformResources;
  readonly nag: TrainingPipelineNagContext;
}

/**
 * A project's training pipeline: its functions (each granted only its project's prefix),
 * and the state machine that runs them, encrypted, traced and logged.
 */
export class TrainingPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const { config, platform } = props;
    const projectPrefix = `projects/${config.projectName}`;

    const validateDataset = new LuminaFunction(this, 'ValidateDataset', {
      entry: 'lambdas/validate-dataset/index.ts',
      description: 'Validates a training CSV dropped in the project inbox (encoding, header, types, target, PII)',
      environmentSchema: ValidateDatasetEnvironment,
      environment: {
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PROJECT_NAME: config.projectName,
        TARGET_COLUMN: config.targetColumn,
        ENTITY_ID_COLUMN: config.entityIdColumn,
        POSITIVE_LABEL: config.positiveLabel,
      },
      encryptionKey: platform.key,
      memorySize: 1024,
      timeout: Duration.minutes(5),
    });
    platform.artifacts.grantRead(validateDataset, `${projectPrefix}/training/inbox/*`);
    platform.artifacts.grantPut(validateDataset, `${projectPrefix}/training/rejected/*`);

    const profileDataset = new LuminaFunction(this, 'ProfileDataset', {
      entry: 'lambdas/profile-dataset/index.ts',
      description: 'Profiles a validated dataset and writes its Model Monitor baseline and versioned copy',
      environmentSchema: ProfileDatasetEnvironment,
      environment: {
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PROJECT_NAME: config.projectName,
        TARGET_COLUMN: config.targetColumn,
        ENTITY_ID_COLUMN: config.entityIdColumn,
        POSITIVE_LABEL: config.positiveLabel,
      },
      encryptionKey: platform.key,
      memorySize: 2048,
      timeout: Duration.minutes(10),
    });
    platform.artifacts.grantRead(profileDataset, `${projectPrefix}/training/inbox/*`);
    platform.artifacts.grantPut(profileDataset, `${projectPrefix}/datasets/*`);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      encryptionKey: platform.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: `LuminaOps training pipeline for project ${config.projectName}`,
      definitionBody: sfn.DefinitionBody.fromChainable(
        // States live in their own scope: their ids are the state names, free of the functions' ids.
        trainingPipelineDefinition(new Construct(this, 'Workflow'), {
          projectName: config.projectName,
          validateDataset,
          profileDataset,
          registry: platform.tables.registry,
          operations: platform.tables.operations,
          alerts: platform.alerts,
        }),
      ),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(platform.key),
      timeout: Duration.hours(24),
    });
    Tags.of(this.stateMachine).add('luminaops:component', 'pipeline');
    const stack = Stack.of(this);
    const fnArn = (fn: LuminaFunction): string => `<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`;
    acknowledgePrefixWildcards(
      this.stateMachine,
      [fnArn(validateDataset), fnArn(profileDataset)],
      'LambdaInvoke grants the pipeline function and its versions/aliases (:*), nothing else.',
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray and CloudWatch Logs delivery actions for Step Functions have no resource-level permissions.',
    });
    acknowledgeGrantPolicies(this.stateMachine);
    const prefix = `${props.nag.artifactBucketArn}/projects/<ProjectName>`;
    const reason = "Object keys under this project's own prefix are not known at deploy time; the grant is limited to that prefix.";
    acknowledgePrefixWildcards(validateDataset, [`${prefix}/training/inbox/*`, `${prefix}/training/rejected/*`], reason);
    acknowledgePrefixWildcards(profileDataset, [`${prefix}/training/inbox/*`, `${prefix}/datasets/*`], reason);
  }
}
