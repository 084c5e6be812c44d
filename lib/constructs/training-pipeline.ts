import { ArnFormat, Aws, type CfnElement, CfnMapping, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ConvertModelEnvironment } from '../../lambdas/convert-model/environment';
import { EvaluateModelEnvironment } from '../../lambdas/evaluate-model/environment';
import { ProfileDatasetEnvironment } from '../../lambdas/profile-dataset/environment';
import { RegisterModelEnvironment } from '../../lambdas/register-model/environment';
import { RetrainingGuardEnvironment } from '../../lambdas/retraining-guard/environment';
import { SplitDatasetEnvironment } from '../../lambdas/split-dataset/environment';
import { ValidateDatasetEnvironment } from '../../lambdas/validate-dataset/environment';
import { trainingPipelineDefinition } from '../../step-functions/training-pipeline';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgeGrantActionWildcards, acknowledgeGrantPolicies, acknowledgePrefixWildcards } from './nag-acknowledgements';
import { pipelineStateMachine } from './pipeline-state-machine';
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

/** The longest a training run may last; the retraining guard treats an older holder as stopped without releasing. */
export const TRAINING_PIPELINE_TIMEOUT = Duration.hours(24);

/** The SageMaker XGBoost framework container the seed-code script runs in (XGBoost 1.7, CUDA-enabled). */
export const XGBOOST_FRAMEWORK_VERSION = '1.7-1';

/** Accounts that publish the SageMaker XGBoost images, by region (SageMaker's Docker registry paths). */
const XGBOOST_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
  'ca-central-1': '341280168497',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'eu-central-1': '492215442770',
  'eu-north-1': '662702820516',
  'ap-south-1': '720646828776',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'sa-east-1': '737474898029',
};

/**
 * The SageMaker XGBoost framework image URI for the stack's region, looked up in a template
 * mapping (the project template is region-agnostic: Service Catalog deploys it anywhere).
 */
export function xgboostImageUri(scope: Construct, version = XGBOOST_FRAMEWORK_VERSION): string {
  const stack = Stack.of(scope);
  const id = 'XgboostImageAccounts';
  const mapping =
    (stack.node.tryFindChild(id) as CfnMapping | undefined) ??
    new CfnMapping(stack, id, { mapping: Object.fromEntries(Object.entries(XGBOOST_IMAGE_ACCOUNTS).map(([region, account]) => [region, { account }])) });
  return Fn.sub(`\${Account}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/sagemaker-xgboost:${version}`, { Account: mapping.findInMap(Aws.REGION, 'account') });
}

/**
 * A project's training pipeline: its functions (each granted only its project's prefix),
 * the SageMaker training role (the project's run prefix and the platform key, nothing else),
 * and the state machine that runs them, encrypted, traced and logged.
 */
export class TrainingPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The role SageMaker training jobs of this project run as. */
  readonly trainingRole: iam.Role;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const { config, platform } = props;
    const stack = Stack.of(this);
    const projectPrefix = `projects/${config.projectName}`;
    const bucket = platform.artifacts.bucketName;
    const dataSpec = {
      ARTIFACT_BUCKET: bucket,
      PROJECT_NAME: config.projectName,
      TARGET_COLUMN: config.targetColumn,
      ENTITY_ID_COLUMN: config.entityIdColumn,
      POSITIVE_LABEL: config.positiveLabel,
    };

    const validateDataset = new LuminaFunction(this, 'ValidateDataset', {
      entry: 'lambdas/validate-dataset/index.ts',
      description: 'Validates a training CSV dropped in the project inbox (encoding, header, types, target, PII)',
      environmentSchema: ValidateDatasetEnvironment,
      environment: dataSpec,
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
      environment: { ...dataSpec, AUDIT_TABLE: platform.tables.audit.tableName },
      encryptionKey: platform.key,
      memorySize: 2048,
      timeout: Duration.minutes(10),
    });
    platform.artifacts.grantRead(profileDataset, `${projectPrefix}/training/inbox/*`);
    platform.artifacts.grantPut(profileDataset, `${projectPrefix}/datasets/*`);
    // The PII policy (project config) and the project's masking key, created on first use.
    const piiMaskKey = `${projectPrefix}/secrets/pii-mask-key`;
    const projectConfig = `${projectPrefix}/config/project.config.json`;
    platform.artifacts.grantRead(profileDataset, projectConfig);
    platform.artifacts.grantRead(profileDataset, piiMaskKey);
    platform.artifacts.grantPut(profileDataset, piiMaskKey);
    // Append-only: every PII decision is an audit entry, never rewritten.
    platform.tables.audit.grant(profileDataset, 'dynamodb:PutItem');
    // Without ListBucket S3 answers 403 instead of NoSuchKey for a config or key that does not exist yet.
    profileDataset.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TellMissingConfigFromDenied',
        actions: ['s3:ListBucket'],
        resources: [platform.artifacts.bucketArn],
        conditions: { StringEquals: { 's3:prefix': [projectConfig, piiMaskKey] } },
      }),
    );

    const splitDataset = new LuminaFunction(this, 'SplitDataset', {
      entry: 'lambdas/split-dataset/index.ts',
      description: 'Splits a dataset version by entity hash and writes the SageMaker channels and holdout of a run',
      environmentSchema: SplitDatasetEnvironment,
      environment: { ...dataSpec, FEATURE_STORE_TABLE: platform.tables.featureStore.tableName },
      encryptionKey: platform.key,
      memorySize: 2048,
      timeout: Duration.minutes(10),
    });
    platform.artifacts.grantRead(splitDataset, `${projectPrefix}/datasets/*`);
    // Feature groups named in training.json: definitions and ingestions from the table, offline rows from features/.
    platform.tables.featureStore.grantReadData(splitDataset);
    platform.artifacts.grantRead(splitDataset, 'features/*');
    platform.artifacts.grantRead(splitDataset, `${projectPrefix}/config/*`);
    platform.artifacts.grantPut(splitDataset, `${projectPrefix}/runs/*/data/*`);

    const convertModel = new LuminaFunction(this, 'ConvertModel', {
      entry: 'lambdas/convert-model/index.ts',
      description: 'Converts the trained XGBoost model to ONNX and verifies it against the engine on holdout rows',
      environmentSchema: ConvertModelEnvironment,
      environment: { ARTIFACT_BUCKET: bucket, PROJECT_NAME: config.projectName },
      encryptionKey: platform.key,
      memorySize: 2048,
      timeout: Duration.minutes(10),
      nativeModules: ['onnxruntime-node'],
    });
    platform.artifacts.grantRead(convertModel, `${projectPrefix}/runs/*`);
    platform.artifacts.grantPut(convertModel, `${projectPrefix}/runs/*/artifacts/*`);

    const evaluateModel = new LuminaFunction(this, 'EvaluateModel', {
      entry: 'lambdas/evaluate-model/index.ts',
      description: 'Evaluates the challenger and the current champion on the run holdout (metrics, subgroups, TreeSHAP)',
      environmentSchema: EvaluateModelEnvironment,
      environment: {
        ARTIFACT_BUCKET: bucket,
        PROJECT_NAME: config.projectName,
        TARGET_COLUMN: config.targetColumn,
        MODEL_REGISTRY_TABLE: platform.tables.registry.tableName,
      },
      encryptionKey: platform.key,
      memorySize: 3008,
      timeout: Duration.minutes(15),
    });
    // Champions' models live under earlier runs' artifacts.
    platform.artifacts.grantRead(evaluateModel, `${projectPrefix}/runs/*`);
    platform.artifacts.grantPut(evaluateModel, `${projectPrefix}/runs/*/evaluation/*`);
    platform.tables.registry.grantReadData(evaluateModel);

    const registerModel = new LuminaFunction(this, 'RegisterModel', {
      entry: 'lambdas/register-model/index.ts',
      description: 'Registers a trained model version (card, lineage, experiment run) and stages it when it beats the champion',
      environmentSchema: RegisterModelEnvironment,
      environment: {
        MODEL_REGISTRY_TABLE: platform.tables.registry.tableName,
        EXPERIMENTS_TABLE: platform.tables.experiments.tableName,
        PROJECT_NAME: config.projectName,
        ARTIFACT_BUCKET: bucket,
      },
      encryptionKey: platform.key,
      memorySize: 1024,
      timeout: Duration.minutes(2),
    });
    platform.tables.registry.grantReadWriteData(registerModel);
    platform.tables.experiments.grantReadWriteData(registerModel);
    platform.artifacts.grantPut(registerModel, `${projectPrefix}/registry/*`);

    const retrainingGuard = new LuminaFunction(this, 'RetrainingGuard', {
      entry: 'lambdas/retraining-guard/index.ts',
      description: "Takes and releases the project's retraining guard: one training run at a time, a cool-down for alarm and schedule runs",
      environmentSchema: RetrainingGuardEnvironment,
      environment: {
        ARTIFACT_BUCKET: bucket,
        PROJECT_NAME: config.projectName,
        OPERATIONS_TABLE: platform.tables.operations.tableName,
        MAX_RUN_MINUTES: String(TRAINING_PIPELINE_TIMEOUT.toMinutes()),
      },
      encryptionKey: platform.key,
      timeout: Duration.seconds(30),
    });
    // The guard item (conditional writes), and the cool-down from the project's training.json: that one key only.
    platform.tables.operations.grantReadWriteData(retrainingGuard);
    platform.artifacts.grantRead(retrainingGuard, `${projectPrefix}/config/training.json`);

    // SageMaker reads the run's channels and the seed code, and writes the model and spot checkpoints: this project's prefixes only.
    this.trainingRole = new iam.Role(this, 'TrainingJobRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker training jobs of project ${config.projectName}: its run data, seed code, model output and checkpoints`,
    });
    platform.artifacts.grantRead(this.trainingRole, `${projectPrefix}/runs/*/data/*`);
    platform.artifacts.grantRead(this.trainingRole, `${projectPrefix}/seed-code/*`);
    platform.artifacts.grantPut(this.trainingRole, `${projectPrefix}/runs/*/model/*`);
    platform.artifacts.grantReadWrite(this.trainingRole, `${projectPrefix}/runs/*/checkpoints/*`);
    platform.key.grantEncryptDecrypt(this.trainingRole);
    this.trainingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/TrainingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.trainingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );

    this.stateMachine = pipelineStateMachine(this, {
      comment: `LuminaOps training pipeline for project ${config.projectName}`,
      // States live in their own scope: their ids are the state names, free of the functions' ids.
      definition: trainingPipelineDefinition(new Construct(this, 'Workflow'), {
        projectName: config.projectName,
        artifactBucketName: bucket,
        validateDataset,
        profileDataset,
        splitDataset,
        convertModel,
        evaluateModel,
        registerModel,
        retrainingGuard,
        registry: platform.tables.registry,
        operations: platform.tables.operations,
        alerts: platform.alerts,
        training: {
          role: this.trainingRole,
          imageUri: xgboostImageUri(this),
          instanceType: config.trainingInstanceType,
          spotTraining: config.spotTraining,
          seedCodeUri: `s3://${bucket}/${projectPrefix}/seed-code/sourcedir.tar.gz`,
          program: 'train.py',
          region: Aws.REGION,
          encryptionKey: platform.key,
          maxRuntime: Duration.hours(4),
          maxSpotWait: Duration.hours(8),
        },
      }),
      encryptionKey: platform.key,
      timeout: TRAINING_PIPELINE_TIMEOUT,
    });

    // The tuning task is ASL JSON (CDK has no task for it), so its permissions are written here:
    // what Step Functions' createHyperParameterTuningJob.sync integration calls, on tuning jobs
    // only, and the managed rule it watches the job with. PassRole of the training role, which
    // the tuning job's training definition names, comes with the training task's grant.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateHyperParameterTuningJob',
          'sagemaker:DescribeHyperParameterTuningJob',
          'sagemaker:StopHyperParameterTuningJob',
          'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
        ],
        resources: [stack.formatArn({ service: 'sagemaker', resource: 'hyper-parameter-tuning-job', resourceName: '*' })],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerTuningJobsRule' })],
      }),
    );

    // How an ARN renders in findings: pseudo parameters in the region-agnostic product, literals in a stack with an environment.
    const nagArn = (service: string, resource: string): string =>
      Token.isUnresolved(stack.region)
        ? `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`
        : `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
    const fnArn = (fn: LuminaFunction): string => `<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`;
    const functions = [validateDataset, profileDataset, splitDataset, convertModel, evaluateModel, registerModel, retrainingGuard];
    acknowledgePrefixWildcards(this.stateMachine, functions.map(fnArn), 'LambdaInvoke grants the pipeline function and its versions/aliases (:*), nothing else.');
    acknowledgePrefixWildcards(
      this.stateMachine,
      [nagArn('sagemaker', 'training-job/*')],
      'The training job name is chosen per run (one per execution); the grant covers training jobs of this account and region only.',
    );
    acknowledgePrefixWildcards(
      this.stateMachine,
      [nagArn('sagemaker', 'hyper-parameter-tuning-job/*')],
      "The tuning job name is chosen per run (a hash of project and execution, at most 32 characters: too short to hold the project's name, so no per-project prefix exists); the grant covers tuning jobs of this account and region only.",
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
    acknowledgePrefixWildcards(splitDataset, [`${prefix}/datasets/*`, `${prefix}/config/*`, `${prefix}/runs/*/data/*`], reason);
    acknowledgePrefixWildcards(
      splitDataset,
      [`${props.nag.artifactBucketArn}/features/*`],
      "Reads the offline feature store (the platform's, shared by projects) to join the feature groups training.json names; group keys are not known at deploy time. Read only.",
    );
    acknowledgePrefixWildcards(convertModel, [`${prefix}/runs/*`, `${prefix}/runs/*/artifacts/*`], reason);
    acknowledgePrefixWildcards(evaluateModel, [`${prefix}/runs/*`, `${prefix}/runs/*/evaluation/*`], reason);
    acknowledgePrefixWildcards(registerModel, [`${prefix}/registry/*`], reason);
    const tableReason = "DynamoDB grants include the table's indexes (<table>/index/*); the platform tables are shared by key prefix, one partition per project.";
    acknowledgePrefixWildcards(evaluateModel, ['<PlatformModelRegistryArn>/index/*'], tableReason);
    acknowledgePrefixWildcards(registerModel, ['<PlatformModelRegistryArn>/index/*', '<PlatformExperimentsArn>/index/*'], tableReason);

    acknowledgeGrantPolicies(this.trainingRole);
    acknowledgeGrantActionWildcards(this.trainingRole);
    acknowledgePrefixWildcards(
      this.trainingRole,
      [`${prefix}/runs/*/data/*`, `${prefix}/seed-code/*`, `${prefix}/runs/*/model/*`, `${prefix}/runs/*/checkpoints/*`],
      'A training job reads its run channels and the seed code, and writes its model and checkpoints; run ids are per execution, so the grant is that prefix.',
    );
    Validations.of(this.trainingRole).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::${nagArn('logs', 'log-group:/aws/sagemaker/TrainingJobs:*')}]`, reason: 'SageMaker writes one log stream per training job into its fixed log group.' },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'cloudwatch:PutMetricData has no resource-level permissions; the condition limits it to SageMaker namespaces.' },
    );
  }
}
