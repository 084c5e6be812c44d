/**
 * The training pipeline (JSONPath ASL, built with CDK's Step Functions tasks; no JSONata,
 * variables or Distributed Map, which the local cloud refuses).
 *
 * Started by a CSV landing in the project's training inbox (S3 → EventBridge) with
 * `{ bucket, key, versionId, etag, trigger: 's3' }`, or by a schedule, a drift alarm or
 * `lumina train` with `{ trigger: 'schedule' | 'alarm' | 'manual' }` (no object: the run
 * retrains on the project's latest accepted dataset):
 *
 *   TrainingSettings (deploy-time instance type and spot choice; this run's S3 locations)
 *   → HasAlarmDetail? (a drift alarm's detail is kept for the lineage)
 *   → HasTrigger? (none → DefaultTrigger: manual)
 *   → AcquireRetrainingGuard (one run at a time per project; a cool-down for alarm and schedule runs)
 *   → IsRetrainingGuardAcquired?
 *       no  → RecordRunSkipped (the reason and the run in the way) → NotifyRetrainingSkipped
 *             → RetrainingSkipped (Succeed: refusing a storm is the guard working, not a failure)
 *   → HasDroppedObject?
 *       no  → LookupLatestDataset → HasLatestDataset? (none → NoDatasetYet → failure path)
 *             → UseLatestDataset
 *   → ValidateDataset → IsDatasetValid?
 *       invalid → ReleaseGuardAfterRejection → RecordRejection → NotifyRejection → DatasetRejected (Fail, with the reason)
 *       valid   → ProfileDataset (baseline statistics/constraints + dataset copy)
 *                 → RecordDatasetVersion → RecordLatestDataset
 *                 → NeedsDatasetApproval? (project.config.json) → LookupDatasetApproval → IsDatasetApproved? (no → DatasetNotApproved → failure path)
 *                 → SplitDataset (entity-hash split, encoding, SageMaker channels, raw holdout)
 *                 → UseTuning? (the project's training.json enables a tuning section)
 *                     no  → UseSpotTraining? → TrainModelOnSpot | TrainModel (sagemaker:createTrainingJob.sync)
 *                     yes → UseSpotTuning? → TuneModelOnSpot | TuneModel (sagemaker:createHyperParameterTuningJob.sync)
 *                           → UseBestTrainingJob (the best trial as `$.training`, its model artifact and hyperparameters)
 *                           → UseTunedHyperParameters (the best trial's hyperparameters are the ones registered)
 *                 → ConvertModel (XGBoost JSON → ONNX, verified on holdout rows within 1e-6)
 *                 → EvaluateModel (holdout metrics, subgroups, TreeSHAP importance, champion on the same rows)
 *                 → RegisterModel (version, card, lineage, experiment run; staging only if the challenger wins)
 *                 → ReleaseRetrainingGuard → RecordRunSucceeded → NotifyOutcome (staged or rejected) → TrainingSucceeded
 *   any error → RecordRunFailure (error and cause on the run) → NotifyFailure → ReleaseGuardAfterFailure
 *               → PipelineFailed (Fail)
 *
 * Every exit of a run that took the retraining guard passes a release first (releasing is a
 * no-op for a run that does not hold it, so the failure path releases unconditionally; if
 * recording or notifying the failure itself fails, the release still runs). A run stopped
 * from outside (StopExecution, the state machine's timeout) runs no state: the guard then
 * treats a holder older than the timeout as gone (lambdas/core/performance/retraining-guard.ts).
 *
 * Spot training is a Choice between two variants of the training task, because the
 * project's SpotTraining parameter is a deploy-time value and a Task's parameters cannot
 * hold a CloudFormation condition: TrainingSettings carries the parameter into the state,
 * and the Choice reads it. The tuning task is a CustomState (CDK has no task for
 * createHyperParameterTuningJob): its TrainingJobDefinition is the training task's request
 * (image, role, channels, output path, framework and static hyperparameters, spot settings)
 * plus the metric definitions the tuning objective is read with. Its IAM is granted in
 * lib/constructs/training-pipeline.ts. Inputs are never deleted; every file of a run is
 * under `projects/<p>/runs/<execution name>/` (lambdas/core/pipeline/run-layout.ts).
 */
import { Aws, Duration, Size } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface TrainingPipelineSteps {
  readonly projectName: string;
  readonly artifactBucketName: string;
  readonly validateDataset: lambda.IFunction;
  readonly profileDataset: lambda.IFunction;
  readonly splitDataset: lambda.IFunction;
  readonly convertModel: lambda.IFunction;
  readonly evaluateModel: lambda.IFunction;
  readonly registerModel: lambda.IFunction;
  /** Acquires and releases the project's retraining guard (lambdas/retraining-guard). */
  readonly retrainingGuard: lambda.IFunction;
  readonly registry: dynamodb.ITable;
  readonly operations: dynamodb.ITable;
  readonly alerts: sns.ITopic;
  readonly training: TrainingJobSettings;
}

export interface TrainingJobSettings {
  /** The role the training job runs as (granted the project's run prefix only). */
  readonly role: iam.IRole;
  /** The SageMaker XGBoost framework image for the region. */
  readonly imageUri: string;
  /** The project's TrainingInstanceType parameter (an `ml.` instance type). */
  readonly instanceType: string;
  /** The project's SpotTraining parameter: 'true' or 'false'. */
  readonly spotTraining: string;
  /** s3:// URI of the seed-code package (sourcedir.tar.gz) the framework container runs. */
  readonly seedCodeUri: string;
  /** Entry point inside the package. */
  readonly program: string;
  readonly region: string;
  /** Encrypts the model artifacts and the training volume. */
  readonly encryptionKey: kms.IKey;
  /** Longest a training job may run. */
  readonly maxRuntime: Duration;
  /** Longest a spot job may wait for capacity and run, in total (at least maxRuntime). */
  readonly maxSpotWait: Duration;
}

/** The key of the item that names a project's latest accepted dataset. */
export const LATEST_DATASET_SK = 'DATASET#LATEST';

const str = (path: string): tasks.DynamoAttributeValue => tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(path));
const fmt = (template: string, ...paths: string[]): tasks.DynamoAttributeValue =>
  tasks.DynamoAttributeValue.fromString(sfn.JsonPath.format(template, ...paths.map((p) => sfn.JsonPath.stringAt(p))));

/**
 * SageMakerCreateTrainingJob with managed spot training: CDK's task has no
 * EnableManagedSpotTraining, CheckpointConfig or MaxWaitTimeInSeconds, so they are added to
 * the rendered parameters. Everything else (IAM for the state machine, PassRole, the .sync
 * event rule) is CDK's own.
 */
class SpotTrainingJob extends tasks.SageMakerCreateTrainingJob {
  constructor(
    scope: Construct,
    id: string,
    props: tasks.SageMakerCreateTrainingJobProps,
    private readonly spot: { readonly checkpointUriPath: string; readonly maxRuntime: Duration; readonly maxWait: Duration },
  ) {
    super(scope, id, props);
  }

  protected override _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    rendered.Parameters = {
      ...rendered.Parameters,
      EnableManagedSpotTraining: true,
      CheckpointConfig: { 'S3Uri.$': this.spot.checkpointUriPath, LocalPath: '/opt/ml/checkpoints' },
      StoppingCondition: { MaxRuntimeInSeconds: this.spot.maxRuntime.toSeconds(), MaxWaitTimeInSeconds: this.spot.maxWait.toSeconds() },
    };
    return rendered;
  }
}

/** The Step Functions integration for SageMaker hyperparameter tuning jobs (run a job: waits for the tuning job to end). */
export const TUNING_JOB_RESOURCE = 'sagemaker:createHyperParameterTuningJob.sync';

/** The SageMaker channels of the training contract (lambdas/core/pipeline/run-layout.ts). */
const CHANNEL_NAMES = ['train', 'validation', 'test', 'encoding'] as const;

/**
 * A createHyperParameterTuningJob.sync task (ASL JSON: CDK has no task for it) whose training
 * job definition is the training task's request: same image, role, channels, output path,
 * framework and static hyperparameters, volume and encryption; with spot, the spot settings of
 * TrainModelOnSpot. The result keeps the tuning job's name, status, counts and best trial.
 */
function tuningTask(scope: Construct, id: string, training: TrainingJobSettings, spot: boolean): sfn.CustomState {
  const stopping = spot
    ? { MaxRuntimeInSeconds: training.maxRuntime.toSeconds(), MaxWaitTimeInSeconds: training.maxSpotWait.toSeconds() }
    : { MaxRuntimeInSeconds: training.maxRuntime.toSeconds() };
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::${TUNING_JOB_RESOURCE}`,
      Parameters: {
        'HyperParameterTuningJobName.$': '$.split.result.tuning.jobName',
        'HyperParameterTuningJobConfig.$': '$.split.result.tuning.config',
        TrainingJobDefinition: {
          AlgorithmSpecification: {
            TrainingImage: training.imageUri,
            TrainingInputMode: 'File',
            'MetricDefinitions.$': '$.split.result.tuning.metricDefinitions',
          },
          RoleArn: training.role.roleArn,
          'StaticHyperParameters.$': 'States.JsonMerge($.settings.framework, $.split.result.tuning.staticHyperParameters, false)',
          InputDataConfig: CHANNEL_NAMES.map((channel) => ({
            ChannelName: channel,
            ContentType: channel === 'encoding' ? 'application/json' : 'text/csv',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': `$.split.result.channels.${channel}` } },
          })),
          OutputDataConfig: { 'S3OutputPath.$': '$.settings.modelOutputUri', KmsKeyId: training.encryptionKey.keyArn },
          ResourceConfig: { InstanceCount: 1, 'InstanceType.$': '$.settings.instanceType', VolumeSizeInGB: 30, VolumeKmsKeyId: training.encryptionKey.keyArn },
          StoppingCondition: stopping,
          ...(spot ? { EnableManagedSpotTraining: true, CheckpointConfig: { 'S3Uri.$': '$.settings.checkpointUri', LocalPath: '/opt/ml/checkpoints' } } : {}),
        },
      },
      ResultSelector: {
        'jobName.$': '$.HyperParameterTuningJobName',
        'status.$': '$.HyperParameterTuningJobStatus',
        'trainingJobCounts.$': '$.TrainingJobStatusCounters',
        'bestTrainingJob.$': '$.BestTrainingJob',
      },
      ResultPath: '$.tuning',
    },
  });
}

/**
 * Releases the run's retraining guard. Its result is discarded, so the state's input passes
 * through (the failure path's `$.failure` included); transient errors are retried before the
 * state's Catch decides.
 */
function releaseStep(scope: Construct, id: string, fn: lambda.IFunction): tasks.LambdaInvoke {
  const step = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({ action: 'release', executionId: sfn.JsonPath.stringAt('$$.Execution.Id') }),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.minutes(1)),
  });
  step.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
  return step;
}

export function trainingPipelineDefinition(scope: Construct, steps: TrainingPipelineSteps): sfn.IChainable {
  const projectKey = tasks.DynamoAttributeValue.fromString(`PROJECT#${steps.projectName}`);
  const runKey = fmt('RUN#{}', '$$.Execution.Name');
  const runUri = (folder: string): string =>
    sfn.JsonPath.format(`s3://${steps.artifactBucketName}/projects/${steps.projectName}/runs/{}/${folder}/`, sfn.JsonPath.executionName);

  // --- failure path -------------------------------------------------------------------
  const recordRunFailure = new tasks.DynamoPutItem(scope, 'RecordRunFailure', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: runKey,
      pipeline: tasks.DynamoAttributeValue.fromString('training'),
      status: tasks.DynamoAttributeValue.fromString('FAILED'),
      error: str('$.failure.Error'),
      cause: str('$.failure.Cause'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const notifyFailure = new tasks.SnsPublish(scope, 'NotifyFailure', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: training pipeline failed', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      error: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  const failed = new sfn.Fail(scope, 'PipelineFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  // The release keeps `$.failure` (the Fail state reports it): its result and its own error are set aside.
  const releaseAfterFailure = releaseStep(scope, 'ReleaseGuardAfterFailure', steps.retrainingGuard);
  releaseAfterFailure.addCatch(failed, { resultPath: '$.releaseFailure', errors: [sfn.Errors.ALL] });
  // Recording or notifying the failure may fail too; the guard is released all the same.
  const failureHandlingFailed = { resultPath: '$.failureHandling', errors: [sfn.Errors.ALL] };
  recordRunFailure.addCatch(releaseAfterFailure, failureHandlingFailed);
  notifyFailure.addCatch(releaseAfterFailure, failureHandlingFailed);
  const onFailure = recordRunFailure.next(notifyFailure).next(releaseAfterFailure).next(failed);
  const catchAll = { resultPath: '$.failure', errors: [sfn.Errors.ALL] };
  /** A function step whose result lands at `<resultPath>.<name>` (the data steps keep their `report` / `dataset`). */
  const lambdaStep = (id: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string, timeout: Duration, name = 'result'): tasks.LambdaInvoke => {
    const step = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      resultSelector: { [`${name}.$`]: '$.Payload' },
      resultPath,
      taskTimeout: sfn.Timeout.duration(timeout),
    });
    step.addCatch(onFailure, catchAll);
    return step;
  };

  // --- settings and the dataset to train on --------------------------------------------
  const settings = new sfn.Pass(scope, 'TrainingSettings', {
    parameters: {
      instanceType: steps.training.instanceType,
      spotTraining: steps.training.spotTraining,
      modelOutputUri: runUri('model'),
      checkpointUri: runUri('checkpoints'),
      framework: {
        sagemaker_program: steps.training.program,
        sagemaker_submit_directory: steps.training.seedCodeUri,
        sagemaker_region: steps.training.region,
        sagemaker_container_log_level: '20',
      },
    },
    resultPath: '$.settings',
  });
  const defaultTrigger = new sfn.Pass(scope, 'DefaultTrigger', { result: sfn.Result.fromString('manual'), resultPath: '$.trigger' });

  // --- the retraining guard: one run at a time, a cool-down for alarm and schedule runs ----
  const acquireGuard = lambdaStep(
    'AcquireRetrainingGuard',
    steps.retrainingGuard,
    { action: 'acquire', executionId: sfn.JsonPath.stringAt('$$.Execution.Id'), trigger: sfn.JsonPath.stringAt('$.trigger') },
    '$.guard',
    Duration.minutes(1),
  );
  const recordSkipped = new tasks.DynamoPutItem(scope, 'RecordRunSkipped', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: runKey,
      pipeline: tasks.DynamoAttributeValue.fromString('training'),
      status: tasks.DynamoAttributeValue.fromString('SKIPPED'),
      trigger: str('$.trigger'),
      reason: str('$.guard.result.reason'),
      message: str('$.guard.result.message'),
      blockingExecution: str('$.guard.result.blockingExecution'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordSkipped.addCatch(onFailure, catchAll);
  const notifySkipped = new tasks.SnsPublish(scope, 'NotifyRetrainingSkipped', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: {}-triggered training skipped ({})', steps.projectName, sfn.JsonPath.stringAt('$.trigger'), sfn.JsonPath.stringAt('$.guard.result.reason')),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      trigger: sfn.JsonPath.stringAt('$.trigger'),
      triggerDetail: sfn.JsonPath.objectAt('$.triggerDetail'),
      guard: sfn.JsonPath.objectAt('$.guard.result'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifySkipped.addCatch(onFailure, catchAll);
  const skipped = new sfn.Succeed(scope, 'RetrainingSkipped', { comment: 'Another run holds the retraining guard, or an alarm/schedule run came within the cool-down: recorded and notified.' });

  const lookupLatest = new tasks.DynamoGetItem(scope, 'LookupLatestDataset', {
    table: steps.registry,
    key: { pk: projectKey, sk: tasks.DynamoAttributeValue.fromString(LATEST_DATASET_SK) },
    consistentRead: true,
    resultPath: '$.latest',
  });
  lookupLatest.addCatch(onFailure, catchAll);
  const useLatest = new sfn.Pass(scope, 'UseLatestDataset', {
    parameters: {
      bucket: steps.artifactBucketName,
      'key.$': '$.latest.Item.sourceKey.S',
      'versionId.$': '$.latest.Item.sourceVersionId.S',
      'etag.$': '$.latest.Item.sourceEtag.S',
      'trigger.$': '$.trigger',
      'triggerDetail.$': '$.triggerDetail',
      'settings.$': '$.settings',
    },
  });
  const noDataset = new sfn.Pass(scope, 'NoDatasetYet', {
    parameters: {
      Error: 'NoDatasetVersion',
      Cause: sfn.JsonPath.format('project {} has no accepted training dataset yet; drop a CSV in its training inbox first', steps.projectName),
    },
    resultPath: '$.failure',
  }).next(onFailure);

  const validate = lambdaStep(
    'ValidateDataset',
    steps.validateDataset,
    {
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      versionId: sfn.JsonPath.stringAt('$.versionId'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
    },
    '$.validation',
    Duration.minutes(15),
    'report',
  );
  const profile = lambdaStep(
    'ProfileDataset',
    steps.profileDataset,
    {
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      versionId: sfn.JsonPath.stringAt('$.versionId'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      validation: sfn.JsonPath.objectAt('$.validation.report'),
    },
    '$.profile',
    Duration.minutes(15),
    'dataset',
  );

  const recordDataset = new tasks.DynamoPutItem(scope, 'RecordDatasetVersion', {
    table: steps.registry,
    item: {
      pk: projectKey,
      sk: fmt('DATASET#{}', '$.profile.dataset.datasetVersionId'),
      status: tasks.DynamoAttributeValue.fromString('validated'),
      record: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.profile.dataset'))),
      sourceKey: str('$.key'),
      sourceVersionId: str('$.versionId'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordDataset.addCatch(onFailure, catchAll);
  const recordLatest = new tasks.DynamoPutItem(scope, 'RecordLatestDataset', {
    table: steps.registry,
    item: {
      pk: projectKey,
      sk: tasks.DynamoAttributeValue.fromString(LATEST_DATASET_SK),
      datasetVersionId: str('$.profile.dataset.datasetVersionId'),
      sourceKey: str('$.key'),
      sourceVersionId: str('$.versionId'),
      sourceEtag: str('$.etag'),
      executionArn: str('$$.Execution.Id'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordLatest.addCatch(onFailure, catchAll);

  // --- split, train, convert, evaluate, register ---------------------------------------
  const split = lambdaStep(
    'SplitDataset',
    steps.splitDataset,
    {
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      dataset: {
        datasetVersionId: sfn.JsonPath.stringAt('$.profile.dataset.datasetVersionId'),
        sha256: sfn.JsonPath.stringAt('$.profile.dataset.sha256'),
      },
      inferredPositiveLabel: sfn.JsonPath.stringAt('$.validation.report.target.positiveLabel'),
      modelOutputUri: sfn.JsonPath.stringAt('$.settings.modelOutputUri'),
    },
    '$.split',
    Duration.minutes(15),
  );

  const trainingProps = (): tasks.SageMakerCreateTrainingJobProps => ({
    // .sync: the state waits for the job to finish and fails when the job fails.
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    trainingJobName: sfn.JsonPath.stringAt('$.split.result.trainingJobName'),
    role: steps.training.role,
    algorithmSpecification: {
      trainingImage: tasks.DockerImage.fromRegistry(steps.training.imageUri),
      trainingInputMode: tasks.InputMode.FILE,
    },
    // The framework's script-mode settings, then the project's hyperparameters (strings).
    hyperparameters: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.settings.framework'), sfn.JsonPath.objectAt('$.split.result.hyperParameters')) as unknown as Record<string, unknown>,
    inputDataConfig: CHANNEL_NAMES.map((channel) => ({
      channelName: channel,
      contentType: channel === 'encoding' ? 'application/json' : 'text/csv',
      dataSource: { s3DataSource: { s3DataType: tasks.S3DataType.S3_PREFIX, s3Location: tasks.S3Location.fromJsonExpression(`$.split.result.channels.${channel}`) } },
    })),
    outputDataConfig: { s3OutputLocation: tasks.S3Location.fromJsonExpression('$.settings.modelOutputUri'), encryptionKey: steps.training.encryptionKey },
    resourceConfig: {
      instanceCount: 1,
      instanceType: new ec2.InstanceType(sfn.JsonPath.stringAt('$.settings.instanceType')),
      volumeSize: Size.gibibytes(30),
      volumeEncryptionKey: steps.training.encryptionKey,
    },
    stoppingCondition: { maxRuntime: steps.training.maxRuntime },
    resultSelector: {
      'jobName.$': '$.TrainingJobName',
      'status.$': '$.TrainingJobStatus',
      'modelArtifacts.$': '$.ModelArtifacts.S3ModelArtifacts',
      'finalMetrics.$': '$.FinalMetricDataList',
    },
    resultPath: '$.training',
  });
  const train = new tasks.SageMakerCreateTrainingJob(scope, 'TrainModel', trainingProps());
  train.addCatch(onFailure, catchAll);
  const trainOnSpot = new SpotTrainingJob(scope, 'TrainModelOnSpot', trainingProps(), {
    checkpointUriPath: '$.settings.checkpointUri',
    maxRuntime: steps.training.maxRuntime,
    maxWait: steps.training.maxSpotWait,
  });
  trainOnSpot.addCatch(onFailure, catchAll);

  // Tuning: the best trial stands in for the training job. SageMaker writes every trial like a
  // training job, so the best model is <S3OutputPath><best job>/output/model.tar.gz; its
  // hyperparameters are the static ones with the tuned ones over them.
  const tune = tuningTask(scope, 'TuneModel', steps.training, false);
  tune.addCatch(onFailure, catchAll);
  const tuneOnSpot = tuningTask(scope, 'TuneModelOnSpot', steps.training, true);
  tuneOnSpot.addCatch(onFailure, catchAll);
  const useBestTrainingJob = new sfn.Pass(scope, 'UseBestTrainingJob', {
    parameters: {
      'jobName.$': '$.tuning.bestTrainingJob.TrainingJobName',
      'status.$': '$.tuning.bestTrainingJob.TrainingJobStatus',
      'modelArtifacts.$': "States.Format('{}{}/output/model.tar.gz', $.settings.modelOutputUri, $.tuning.bestTrainingJob.TrainingJobName)",
      'finalMetrics.$': 'States.Array($.tuning.bestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric)',
      'tuningJobName.$': '$.tuning.jobName',
      'parameters.$': 'States.JsonMerge($.split.result.tuning.staticHyperParameters, $.tuning.bestTrainingJob.TunedHyperParameters, false)',
    },
    resultPath: '$.training',
  });
  // RegisterModel records `$.split.result.hyperParameters` as the version's parameters: for a tuned run, the best trial's.
  const useTunedHyperParameters = new sfn.Pass(scope, 'UseTunedHyperParameters', {
    inputPath: '$.training.parameters',
    resultPath: '$.split.result.hyperParameters',
  });

  const convert = lambdaStep(
    'ConvertModel',
    steps.convertModel,
    { executionId: sfn.JsonPath.stringAt('$$.Execution.Id'), modelArtifacts: sfn.JsonPath.stringAt('$.training.modelArtifacts') },
    '$.converted',
    Duration.minutes(10),
  );
  const evaluate = lambdaStep(
    'EvaluateModel',
    steps.evaluateModel,
    {
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      modelKey: sfn.JsonPath.stringAt('$.converted.result.modelKey'),
      positiveLabel: sfn.JsonPath.stringAt('$.split.result.positiveLabel'),
      primaryMetric: sfn.JsonPath.stringAt('$.split.result.primaryMetric'),
      subgroupColumns: sfn.JsonPath.listAt('$.split.result.subgroupColumns'),
    },
    '$.evaluation',
    Duration.minutes(15),
  );
  const register = lambdaStep(
    'RegisterModel',
    steps.registerModel,
    {
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
      // A drift alarm's name, reason and time travel into the new version's lineage.
      trigger: { type: sfn.JsonPath.stringAt('$.trigger'), detail: sfn.JsonPath.objectAt('$.triggerDetail') },
      dataset: {
        datasetVersionId: sfn.JsonPath.stringAt('$.profile.dataset.datasetVersionId'),
        sha256: sfn.JsonPath.stringAt('$.profile.dataset.sha256'),
        key: sfn.JsonPath.stringAt('$.split.result.datasetKey'),
        rows: sfn.JsonPath.numberAt('$.profile.dataset.rows'),
      },
      training: {
        backend: sfn.JsonPath.stringAt('$.converted.result.backend'),
        jobName: sfn.JsonPath.stringAt('$.training.jobName'),
        parameters: sfn.JsonPath.objectAt('$.split.result.hyperParameters'),
        modelKey: sfn.JsonPath.stringAt('$.converted.result.modelKey'),
        seedCodeVersion: sfn.JsonPath.stringAt('$.split.result.seedCodeVersion'),
      },
      onnx: { key: sfn.JsonPath.stringAt('$.converted.result.onnxKey'), maxAbsDiff: sfn.JsonPath.numberAt('$.converted.result.maxAbsDiff') },
      evaluation: sfn.JsonPath.objectAt('$.evaluation.result'),
      // The dataset's baseline, or with feature groups the joined training set's (SplitDataset says which).
      baselineKeys: {
        statistics: sfn.JsonPath.stringAt('$.split.result.baselineKeys.statistics'),
        constraints: sfn.JsonPath.stringAt('$.split.result.baselineKeys.constraints'),
      },
      card: sfn.JsonPath.objectAt('$.split.result.card'),
      featureGroups: sfn.JsonPath.listAt('$.split.result.featureGroups'),
    },
    '$.registration',
    Duration.minutes(5),
  );

  const recordSucceeded = new tasks.DynamoPutItem(scope, 'RecordRunSucceeded', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: runKey,
      pipeline: tasks.DynamoAttributeValue.fromString('training'),
      status: tasks.DynamoAttributeValue.fromString('SUCCEEDED'),
      datasetVersionId: str('$.profile.dataset.datasetVersionId'),
      trainingJob: str('$.training.jobName'),
      modelVersion: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.registration.result.version'))),
      decision: str('$.registration.result.decision'),
      reason: str('$.registration.result.reason'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordSucceeded.addCatch(onFailure, catchAll);
  const notifyOutcome = new tasks.SnsPublish(scope, 'NotifyOutcome', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format(
      'LuminaOps {}: model version {} {}',
      steps.projectName,
      sfn.JsonPath.stringAt('$.registration.result.version'),
      sfn.JsonPath.stringAt('$.registration.result.decision'),
    ),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      registration: sfn.JsonPath.objectAt('$.registration.result'),
      metrics: sfn.JsonPath.objectAt('$.evaluation.result.metrics'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyOutcome.addCatch(onFailure, catchAll);
  const succeeded = new sfn.Succeed(scope, 'TrainingSucceeded');

  // --- rejection of the dropped data ---------------------------------------------------
  const recordRejection = new tasks.DynamoPutItem(scope, 'RecordRejection', {
    table: steps.registry,
    item: {
      pk: projectKey,
      sk: fmt('DATASET#{}', '$.validation.report.datasetVersionId'),
      status: tasks.DynamoAttributeValue.fromString('rejected'),
      reason: str('$.validation.report.reason'),
      reportKey: str('$.validation.report.reportKey'),
      sourceKey: str('$.key'),
      sourceVersionId: str('$.versionId'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordRejection.addCatch(onFailure, catchAll);
  const notifyRejection = new tasks.SnsPublish(scope, 'NotifyRejection', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: training data rejected', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      object: sfn.JsonPath.stringAt('$.key'),
      reason: sfn.JsonPath.stringAt('$.validation.report.reason'),
      report: sfn.JsonPath.stringAt('$.validation.report.reportKey'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyRejection.addCatch(onFailure, catchAll);
  const rejected = new sfn.Fail(scope, 'DatasetRejected', { error: 'DatasetRejected', causePath: '$.validation.report.reason' });

  const releaseAfterSuccess = releaseStep(scope, 'ReleaseRetrainingGuard', steps.retrainingGuard);
  releaseAfterSuccess.addCatch(onFailure, catchAll);
  const releaseAfterRejection = releaseStep(scope, 'ReleaseGuardAfterRejection', steps.retrainingGuard);
  releaseAfterRejection.addCatch(onFailure, catchAll);

  // --- wiring --------------------------------------------------------------------------
  const afterTraining = convert.next(evaluate).next(register).next(releaseAfterSuccess).next(recordSucceeded).next(notifyOutcome).next(succeeded);
  train.next(afterTraining);
  trainOnSpot.next(afterTraining);
  const afterTuning = useBestTrainingJob.next(useTunedHyperParameters).next(afterTraining);
  tune.next(afterTuning);
  tuneOnSpot.next(afterTuning);
  const spotTraining = sfn.Condition.stringEquals('$.settings.spotTraining', 'true');
  const trainingChoice = new sfn.Choice(scope, 'UseTuning')
    .when(
      sfn.Condition.booleanEquals('$.split.result.useTuning', true),
      new sfn.Choice(scope, 'UseSpotTuning').when(spotTraining, tuneOnSpot).otherwise(tune),
    )
    .otherwise(new sfn.Choice(scope, 'UseSpotTraining').when(spotTraining, trainOnSpot).otherwise(train));
  // A project may require an approved dataset version (project.config.json `datasetApproval.required`):
  // the approval must bind these exact bytes (its sha256), else the run stops with the reason.
  split.next(trainingChoice);
  const lookupApproval = new tasks.DynamoGetItem(scope, 'LookupDatasetApproval', {
    table: steps.registry,
    key: { pk: projectKey, sk: fmt('DATASET_APPROVAL#{}', '$.profile.dataset.datasetVersionId') },
    consistentRead: true,
    resultPath: '$.approval',
  });
  lookupApproval.addCatch(onFailure, catchAll);
  const notApproved = new sfn.Pass(scope, 'DatasetNotApproved', {
    parameters: {
      Error: 'DatasetNotApproved',
      Cause: sfn.JsonPath.format(
        'dataset version {} is not approved for training (project {} requires approval): lumina dataset approve {} {}, then lumina train {}',
        sfn.JsonPath.stringAt('$.profile.dataset.datasetVersionId'),
        steps.projectName,
        steps.projectName,
        sfn.JsonPath.stringAt('$.profile.dataset.datasetVersionId'),
        steps.projectName,
      ),
    },
    resultPath: '$.failure',
  }).next(onFailure);
  const approvalChoice = new sfn.Choice(scope, 'NeedsDatasetApproval')
    .when(sfn.Condition.booleanEquals('$.profile.dataset.approvalRequired', true), lookupApproval.next(
      new sfn.Choice(scope, 'IsDatasetApproved')
        .when(
          sfn.Condition.and(sfn.Condition.isPresent('$.approval.Item.sha256.S'), sfn.Condition.stringEqualsJsonPath('$.approval.Item.sha256.S', '$.profile.dataset.sha256')),
          split,
        )
        .otherwise(notApproved),
    ))
    .otherwise(split);
  const datasetChoice = new sfn.Choice(scope, 'IsDatasetValid')
    .when(sfn.Condition.booleanEquals('$.validation.report.ok', true), profile.next(recordDataset).next(recordLatest).next(approvalChoice))
    .otherwise(releaseAfterRejection.next(recordRejection).next(notifyRejection).next(rejected));
  validate.next(datasetChoice);
  useLatest.next(validate);

  const findDataset = new sfn.Choice(scope, 'HasDroppedObject')
    .when(sfn.Condition.isPresent('$.key'), validate)
    .otherwise(
      lookupLatest.next(
        new sfn.Choice(scope, 'HasLatestDataset').when(sfn.Condition.isPresent('$.latest.Item.sourceKey.S'), useLatest).otherwise(noDataset),
      ),
    );
  acquireGuard.next(
    new sfn.Choice(scope, 'IsRetrainingGuardAcquired')
      .when(sfn.Condition.booleanEquals('$.guard.result.acquired', true), findDataset)
      .otherwise(recordSkipped.next(notifySkipped).next(skipped)),
  );
  const triggerChoice = new sfn.Choice(scope, 'HasTrigger')
    .when(sfn.Condition.isString('$.trigger'), acquireGuard)
    .otherwise(defaultTrigger.next(acquireGuard));
  // What started the run, kept for the lineage: the alarm of a drift retraining, else nothing.
  const keepAlarm = new sfn.Pass(scope, 'KeepAlarmDetail', { parameters: { 'alarm.$': '$.alarm' }, resultPath: '$.triggerDetail' });
  const noDetail = new sfn.Pass(scope, 'NoTriggerDetail', { result: sfn.Result.fromObject({}), resultPath: '$.triggerDetail' });
  const detailChoice = new sfn.Choice(scope, 'HasAlarmDetail')
    .when(sfn.Condition.isPresent('$.alarm'), keepAlarm.next(triggerChoice))
    .otherwise(noDetail.next(triggerChoice));
  return settings.next(detailChoice);
}
