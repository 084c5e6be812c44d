/**
 * The training pipeline as the product template declares it: the SageMaker training task
 * (instance type parameter, spot variant, output path under the run prefix), the training
 * role (the project's prefixes and the platform key only) and the functions' bundles.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './app-fixture';

type Json = Record<string, any>;

const app = synthesizeApp();
const resources = (app.product.toJSON() as { Resources: Record<string, Json> }).Resources;

/** The state machine definition with every CloudFormation token rendered as «…» (JSON text). */
function definition(): { text: string; states: Record<string, Json> } {
  const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  const text = parts.map((p) => (typeof p === 'string' ? p : `«${JSON.stringify(p).replace(/"/g, "'")}»`)).join('');
  return { text, states: JSON.parse(text).States };
}

function policyOf(roleLogicalIdPrefix: string): Json[] {
  const policy = Object.values(resources).find(
    (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: Json) => String(role.Ref).startsWith(roleLogicalIdPrefix)),
  );
  return policy!.Properties.PolicyDocument.Statement;
}

describe('training pipeline: SageMaker training task', () => {
  const { text, states } = definition();

  it('trains with createTrainingJob.sync on the TrainingInstanceType parameter', () => {
    expect(states.TrainModel.Resource).toMatch(/:states:::sagemaker:createTrainingJob\.sync$/);
    expect(states.TrainModel.Parameters.ResourceConfig).toMatchObject({ InstanceCount: 1, 'InstanceType.$': '$.settings.instanceType', VolumeSizeInGB: 30 });
    expect(states.TrainingSettings.Parameters.instanceType).toBe("«{'Ref':'TrainingInstanceType'}»");
    app.product.hasParameter('TrainingInstanceType', { Default: 'ml.g5.xlarge' });
  });

  it('runs the spot variant, with checkpoints under the run prefix, when SpotTraining is true', () => {
    expect(states.TrainingSettings.Parameters.spotTraining).toBe("«{'Ref':'SpotTraining'}»");
    expect(states.UseSpotTraining).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.settings.spotTraining', StringEquals: 'true', Next: 'TrainModelOnSpot' }],
      Default: 'TrainModel',
    });
    expect(states.TrainModelOnSpot.Parameters).toMatchObject({
      EnableManagedSpotTraining: true,
      CheckpointConfig: { 'S3Uri.$': '$.settings.checkpointUri' },
      StoppingCondition: { MaxRuntimeInSeconds: 4 * 3600, MaxWaitTimeInSeconds: 8 * 3600 },
    });
    expect(states.TrainModel.Parameters.EnableManagedSpotTraining).toBeUndefined();
    expect(states.TrainingSettings.Parameters['checkpointUri.$']).toBe(
      "States.Format('s3://«{'Fn::ImportValue':'LuminaOps:ArtifactBucketName'}»/projects/«{'Ref':'ProjectName'}»/runs/{}/checkpoints/', $$.Execution.Name)",
    );
  });

  it("writes the model under the run's prefix, encrypted with the platform key", () => {
    expect(states.TrainingSettings.Parameters['modelOutputUri.$']).toBe(
      "States.Format('s3://«{'Fn::ImportValue':'LuminaOps:ArtifactBucketName'}»/projects/«{'Ref':'ProjectName'}»/runs/{}/model/', $$.Execution.Name)",
    );
    for (const state of ['TrainModel', 'TrainModelOnSpot']) {
      expect(states[state].Parameters.OutputDataConfig).toEqual({ 'S3OutputPath.$': '$.settings.modelOutputUri', KmsKeyId: "«{'Fn::ImportValue':'LuminaOps:KeyArn'}»" });
    }
  });

  it('runs the seed-code script in the SageMaker XGBoost framework image with the project hyperparameters', () => {
    expect(states.TrainModel.Parameters['HyperParameters.$']).toBe('States.JsonMerge($.settings.framework, $.split.result.hyperParameters, false)');
    expect(states.TrainingSettings.Parameters.framework).toMatchObject({
      sagemaker_program: 'train.py',
      sagemaker_submit_directory: "s3://«{'Fn::ImportValue':'LuminaOps:ArtifactBucketName'}»/projects/«{'Ref':'ProjectName'}»/seed-code/sourcedir.tar.gz",
    });
    expect(text).toContain('sagemaker-xgboost:1.7-1');
    expect(app.product.toJSON().Mappings.XgboostImageAccounts['us-east-1']).toEqual({ account: '683313688378' });
    expect(states.TrainModel.Parameters.InputDataConfig.map((c: Json) => c.ChannelName)).toEqual(['train', 'validation', 'test', 'encoding']);
  });

  it('catches every failure of every task and routes it to the recorded, notified failure', () => {
    // The failure path's own states catch into its release (retraining-guard tests below).
    const tasks = Object.entries(states).filter(([name, s]) => s.Type === 'Task' && !['RecordRunFailure', 'NotifyFailure', 'ReleaseGuardAfterFailure'].includes(name));
    expect(tasks.length).toBeGreaterThanOrEqual(14);
    for (const [name, state] of tasks) {
      expect([name, state.Catch]).toEqual([name, [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordRunFailure' }]]);
    }
    expect(states.RecordRunFailure.Next).toBe('NotifyFailure');
    expect(text).not.toMatch(/"QueryLanguage":"JSONata"|"Assign"|"ItemReader"/);
  });
});

describe('training pipeline: SageMaker training role', () => {
  const statements = policyOf('ProjectTrainingTrainingJobRole');
  const s3Resources = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:'))).flatMap((s) => [s.Resource].flat());

  it('is assumed by SageMaker only', () => {
    const [, role] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('ProjectTrainingTrainingJobRole'))!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } },
    ]);
    app.product.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] } });
  });

  it("reaches objects only under the project's run data, seed code, model output and checkpoints", () => {
    const objectPrefixes = s3Resources
      .filter((r: Json) => r['Fn::Join'])
      .map((r: Json) => r['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p))).join(''))
      .map((arn: string) => arn.replace('{"Fn::ImportValue":"LuminaOps:ArtifactBucketArn"}', 'BUCKET').replace('{"Ref":"ProjectName"}', 'P'));
    expect(new Set(objectPrefixes)).toEqual(
      new Set(['BUCKET/projects/P/runs/*/data/*', 'BUCKET/projects/P/seed-code/*', 'BUCKET/projects/P/runs/*/model/*', 'BUCKET/projects/P/runs/*/checkpoints/*']),
    );
    // The bucket itself (ListBucket for grantRead) and nothing else by literal ARN.
    expect(s3Resources.filter((r: Json) => !r['Fn::Join'])).toEqual(expect.arrayContaining([{ 'Fn::ImportValue': 'LuminaOps:ArtifactBucketArn' }]));
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    const written = writes.flatMap((s) => [s.Resource].flat()).filter((r: Json) => r['Fn::Join']).map((r: Json) => JSON.stringify(r));
    expect(written).toHaveLength(2);
    expect(written.every((r: string) => /runs\/\*\/(model|checkpoints)\/\*/.test(r))).toBe(true);
  });

  it('uses the platform key, and logs and metrics of SageMaker only', () => {
    const kms = statements.find((s) => [s.Action].flat().includes('kms:Decrypt'));
    expect(kms?.Resource).toEqual({ 'Fn::ImportValue': 'LuminaOps:KeyArn' });
    const metrics = statements.find((s) => s.Action === 'cloudwatch:PutMetricData');
    expect(metrics?.Condition).toEqual({ StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } });
  });

  it('is the role the state machine passes to SageMaker, and nothing broader', () => {
    const machineStatements = policyOf('ProjectTrainingStateMachineRole');
    const passRole = machineStatements.find((s) => s.Action === 'iam:PassRole');
    expect(passRole?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ProjectTrainingTrainingJobRole/), 'Arn'] });
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
  });
});

describe('training pipeline: function bundles', () => {
  const bundleOf = (logicalIdPrefix: string): string => {
    const fn = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(logicalIdPrefix))![1];
    return path.join(app.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  };

  it('packages onnxruntime-node for linux x64 only in the convert function', () => {
    const linux = path.join(bundleOf('ProjectTrainingConvertModel'), 'node_modules/onnxruntime-node/bin/napi-v6/linux');
    expect(fs.readdirSync(linux)).toEqual(['x64']);
    expect(fs.existsSync(path.join(bundleOf('ProjectTrainingConvertModel'), 'node_modules/onnxruntime-node/bin/napi-v6/darwin'))).toBe(false);
  });

  it('grants the register function the registry and experiments tables', () => {
    const statements = policyOf('ProjectTrainingRegisterModelServiceRole');
    const tables = statements.filter((s) => [s.Action].flat().includes('dynamodb:PutItem')).flatMap((s) => [s.Resource].flat());
    expect(tables).toEqual(expect.arrayContaining([{ 'Fn::ImportValue': 'LuminaOps:Table-registry' }, { 'Fn::ImportValue': 'LuminaOps:Table-experiments' }]));
  });
});

describe('training pipeline: hyperparameter tuning task', () => {
  const { states } = definition();
  const trainingDefinition = (state: string): Json => states[state].Parameters.TrainingJobDefinition;

  it('tunes with createHyperParameterTuningJob.sync when the split result asks, and trains otherwise', () => {
    expect(states.SplitDataset.Next).toBe('UseTuning');
    expect(states.UseTuning).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.split.result.useTuning', BooleanEquals: true, Next: 'UseSpotTuning' }],
      Default: 'UseSpotTraining',
    });
    expect(states.UseSpotTuning).toMatchObject({ Choices: [{ Variable: '$.settings.spotTraining', StringEquals: 'true', Next: 'TuneModelOnSpot' }], Default: 'TuneModel' });
    for (const state of ['TuneModel', 'TuneModelOnSpot']) {
      expect(states[state].Resource).toBe("arn:«{'Ref':'AWS::Partition'}»:states:::sagemaker:createHyperParameterTuningJob.sync");
      expect(states[state].Parameters).toMatchObject({
        'HyperParameterTuningJobName.$': '$.split.result.tuning.jobName',
        'HyperParameterTuningJobConfig.$': '$.split.result.tuning.config',
      });
      expect(states[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordRunFailure' }]);
    }
  });

  it("defines each trial as the training task's job: image, role, channels, output, instance, encryption and stopping condition", () => {
    for (const [tuning, training] of [['TuneModel', 'TrainModel'], ['TuneModelOnSpot', 'TrainModelOnSpot']]) {
      const trial = trainingDefinition(tuning);
      const job = states[training].Parameters;
      expect(trial.AlgorithmSpecification).toEqual({ ...job.AlgorithmSpecification, 'MetricDefinitions.$': '$.split.result.tuning.metricDefinitions' });
      expect(trial.RoleArn).toBe(job.RoleArn);
      expect(trial.InputDataConfig).toEqual(job.InputDataConfig);
      expect(trial.OutputDataConfig).toEqual(job.OutputDataConfig);
      expect(trial.ResourceConfig).toEqual(job.ResourceConfig);
      expect(trial.StoppingCondition).toEqual(job.StoppingCondition);
      expect(trial['StaticHyperParameters.$']).toBe('States.JsonMerge($.settings.framework, $.split.result.tuning.staticHyperParameters, false)');
    }
    expect(trainingDefinition('TuneModelOnSpot')).toMatchObject({
      EnableManagedSpotTraining: true,
      CheckpointConfig: states.TrainModelOnSpot.Parameters.CheckpointConfig,
      StoppingCondition: { MaxRuntimeInSeconds: 4 * 3600, MaxWaitTimeInSeconds: 8 * 3600 },
    });
    expect(trainingDefinition('TuneModel').EnableManagedSpotTraining).toBeUndefined();
    expect(trainingDefinition('TuneModel').CheckpointConfig).toBeUndefined();
  });

  it("hands the best trial to ConvertModel in the training task's shape, and registers its hyperparameters", () => {
    for (const state of ['TuneModel', 'TuneModelOnSpot']) {
      expect(states[state]).toMatchObject({ ResultPath: '$.tuning', ResultSelector: { 'bestTrainingJob.$': '$.BestTrainingJob', 'jobName.$': '$.HyperParameterTuningJobName' }, Next: 'UseBestTrainingJob' });
    }
    expect(states.UseBestTrainingJob).toMatchObject({
      Type: 'Pass',
      ResultPath: '$.training',
      Parameters: {
        'jobName.$': '$.tuning.bestTrainingJob.TrainingJobName',
        'modelArtifacts.$': "States.Format('{}{}/output/model.tar.gz', $.settings.modelOutputUri, $.tuning.bestTrainingJob.TrainingJobName)",
        'parameters.$': 'States.JsonMerge($.split.result.tuning.staticHyperParameters, $.tuning.bestTrainingJob.TunedHyperParameters, false)',
      },
      Next: 'UseTunedHyperParameters',
    });
    expect(states.UseTunedHyperParameters).toEqual({ Type: 'Pass', InputPath: '$.training.parameters', ResultPath: '$.split.result.hyperParameters', Next: 'ConvertModel' });
    // What the later steps read is what both paths write.
    expect(states.ConvertModel.Parameters.Payload['modelArtifacts.$']).toBe('$.training.modelArtifacts');
    expect(states.TrainModel.ResultSelector['modelArtifacts.$']).toBe('$.ModelArtifacts.S3ModelArtifacts');
    expect(states.RegisterModel.Parameters.Payload.training).toMatchObject({ 'jobName.$': '$.training.jobName', 'parameters.$': '$.split.result.hyperParameters' });
  });

  it('lets the state machine run and watch tuning jobs of its account and region, nothing else', () => {
    const statements = policyOf('ProjectTrainingStateMachineRole');
    const render = (resource: Json): string => resource['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
    const tuning = statements.filter((s) => [s.Action].flat().some((a: string) => /HyperParameterTuningJob/.test(a)));
    expect(tuning).toHaveLength(1);
    expect([tuning[0].Action].flat().sort()).toEqual([
      'sagemaker:CreateHyperParameterTuningJob',
      'sagemaker:DescribeHyperParameterTuningJob',
      'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
      'sagemaker:StopHyperParameterTuningJob',
    ]);
    expect([tuning[0].Resource].flat().map(render)).toEqual([
      'arn:{"Ref":"AWS::Partition"}:sagemaker:{"Ref":"AWS::Region"}:{"Ref":"AWS::AccountId"}:hyper-parameter-tuning-job/*',
    ]);
    const rules = statements.filter((s) => [s.Action].flat().includes('events:PutRule')).flatMap((s) => [s.Resource].flat()).map(render);
    expect(rules).toContain('arn:{"Ref":"AWS::Partition"}:events:{"Ref":"AWS::Region"}:{"Ref":"AWS::AccountId"}:rule/StepFunctionsGetEventsForSageMakerTuningJobsRule');
    const events = statements.filter((s) => [s.Action].flat().includes('events:PutRule'));
    for (const statement of events) expect([statement.Action].flat().sort()).toEqual(['events:DescribeRule', 'events:PutRule', 'events:PutTargets']);
  });
});

describe('training pipeline: retraining guard', () => {
  const { states } = definition();
  const RELEASES = ['ReleaseRetrainingGuard', 'ReleaseGuardAfterRejection', 'ReleaseGuardAfterFailure'];
  /** Every state a state can go to next: Next, Default, Choices and Catch targets. */
  const successors = (state: Json): string[] => [state.Next, state.Default, ...(state.Choices ?? []).map((c: Json) => c.Next), ...(state.Catch ?? []).map((c: Json) => c.Next)].filter(Boolean);
  const isEnd = (state: Json): boolean => state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true;
  /** End states reachable from `start` without passing through any of `stops`. */
  const endsReachable = (start: string, stops: readonly string[]): string[] => {
    const seen = new Set<string>();
    const ends = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name) || stops.includes(name)) continue;
      seen.add(name);
      if (isEnd(states[name])) ends.add(name);
      queue.push(...successors(states[name]));
    }
    return [...ends].sort();
  };
  const guardFunction = (): string => {
    const [id] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('ProjectTrainingRetrainingGuard'))!;
    return id;
  };

  it('acquires the guard once the trigger is known, before any dataset is looked up or validated', () => {
    expect(states.HasTrigger).toMatchObject({ Choices: [{ Variable: '$.trigger', IsString: true, Next: 'AcquireRetrainingGuard' }], Default: 'DefaultTrigger' });
    expect(states.DefaultTrigger.Next).toBe('AcquireRetrainingGuard');
    expect(states.AcquireRetrainingGuard).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: `«{'Fn::GetAtt':['${guardFunction()}','Arn']}»`, Payload: { action: 'acquire', 'executionId.$': '$$.Execution.Id', 'trigger.$': '$.trigger' } },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: '$.guard',
      Next: 'IsRetrainingGuardAcquired',
    });
    expect(states.IsRetrainingGuardAcquired).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.guard.result.acquired', BooleanEquals: true, Next: 'HasDroppedObject' }],
      Default: 'RecordRunSkipped',
    });
    // No way around it: from the start, the dataset steps are reachable only through the guard.
    const stops = ['AcquireRetrainingGuard'];
    const reachable = (from: string): Set<string> => {
      const seen = new Set<string>();
      const queue = [from];
      while (queue.length > 0) {
        const name = queue.shift()!;
        if (seen.has(name) || stops.includes(name)) continue;
        seen.add(name);
        queue.push(...successors(states[name]));
      }
      return seen;
    };
    const beforeGuard = reachable(JSON.parse(definition().text).StartAt);
    for (const state of ['HasDroppedObject', 'LookupLatestDataset', 'ValidateDataset', 'SplitDataset', 'TrainModel']) expect(beforeGuard.has(state)).toBe(false);
  });

  it('records a refused run as SKIPPED with the reason and the run in the way, notifies, and ends in a Succeed state', () => {
    expect(states.RecordRunSkipped).toMatchObject({
      Resource: expect.stringMatching(/:states:::dynamodb:putItem$/),
      Parameters: {
        Item: {
          pk: { S: "PROJECT#«{'Ref':'ProjectName'}»" },
          sk: { 'S.$': "States.Format('RUN#{}', $$.Execution.Name)" },
          status: { S: 'SKIPPED' },
          trigger: { 'S.$': '$.trigger' },
          reason: { 'S.$': '$.guard.result.reason' },
          message: { 'S.$': '$.guard.result.message' },
          blockingExecution: { 'S.$': '$.guard.result.blockingExecution' },
        },
      },
      Next: 'NotifyRetrainingSkipped',
    });
    expect(states.NotifyRetrainingSkipped).toMatchObject({
      Resource: expect.stringMatching(/:states:::sns:publish$/),
      Parameters: { Message: { 'guard.$': '$.guard.result', 'trigger.$': '$.trigger' } },
      Next: 'RetrainingSkipped',
    });
    expect(states.RetrainingSkipped.Type).toBe('Succeed');
    expect(endsReachable('RecordRunSkipped', ['RecordRunFailure'])).toEqual(['RetrainingSkipped']);
  });

  it('releases the guard before every end of a run that took it: success, rejection and any failure', () => {
    // From the moment the guard is held, no end state is reachable without passing a release.
    expect(endsReachable('HasDroppedObject', RELEASES)).toEqual([]);
    expect(states.RegisterModel.Next).toBe('ReleaseRetrainingGuard');
    expect(states.ReleaseRetrainingGuard.Next).toBe('RecordRunSucceeded');
    expect(states.IsDatasetValid.Default).toBe('ReleaseGuardAfterRejection');
    expect(states.ReleaseGuardAfterRejection.Next).toBe('RecordRejection');
    expect(states.NotifyFailure.Next).toBe('ReleaseGuardAfterFailure');
    expect(states.ReleaseGuardAfterFailure.Next).toBe('PipelineFailed');
    // Recording or notifying the failure may fail as well: the release still runs, and `$.failure` is kept for the Fail state.
    for (const state of ['RecordRunFailure', 'NotifyFailure']) {
      expect(states[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failureHandling', Next: 'ReleaseGuardAfterFailure' }]);
    }
    expect(states.ReleaseGuardAfterFailure.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.releaseFailure', Next: 'PipelineFailed' }]);
    expect(states.PipelineFailed).toMatchObject({ ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
  });

  it("releases with the run's own execution id, keeps the state's input, and retries transient errors", () => {
    for (const name of RELEASES) {
      const state = states[name];
      expect(state.Parameters).toMatchObject({ FunctionName: `«{'Fn::GetAtt':['${guardFunction()}','Arn']}»`, Payload: { action: 'release', 'executionId.$': '$$.Execution.Id' } });
      expect(state.ResultPath).toBeNull();
      expect(state.Retry.at(-1)).toEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 });
    }
  });

  it("gives the guard function the operations table, the project's training.json only, and the state machine's timeout", () => {
    const statements = policyOf('ProjectTrainingRetrainingGuardServiceRole');
    const dynamo = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => [s.Resource].flat())).toEqual([{ 'Fn::ImportValue': 'LuminaOps:Table-operations' }]);
    expect(dynamo.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    const s3 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3.flatMap((s) => [s.Action].flat()).some((a: string) => /Put|Delete/.test(a))).toBe(false);
    const objects = s3
      .flatMap((s) => [s.Resource].flat())
      .filter((r: Json) => r['Fn::Join'])
      .map((r: Json) => r['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p))).join(''));
    expect(objects).toEqual(['{"Fn::ImportValue":"LuminaOps:ArtifactBucketArn"}/projects/{"Ref":"ProjectName"}/config/training.json']);
    app.product.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_RUN_MINUTES: '1440', OPERATIONS_TABLE: Match.anyValue(), PROJECT_NAME: { Ref: 'ProjectName' } }) },
    });
    expect(JSON.parse(definition().text).TimeoutSeconds).toBe(1440 * 60);
  });
});
