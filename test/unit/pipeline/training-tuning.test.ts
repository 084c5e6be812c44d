/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * Hyperparameter tuning, as the workflow runs it: the project's `tuning` section is checked
 * with errors that name the field, the split step turns it into SageMaker's request parts,
 * and the local SageMaker's createHyperParameterTuningJob.sync runs the trials with the
 * embedded tuner, writes each trial like a training job and answers with the best one, whose
 * model the convert step takes as it takes a training job's.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readTarGz } from '../../../lambdas/core/archive/tar';
import { convertTrainedModel } from '../../../lambdas/core/pipeline/convert-model';
import { type SplitStepResult, TrainingConfigError, splitTrainingDataset, tuningJobNameFor } from '../../../lambdas/core/pipeline/split-dataset';
import { runLayout } from '../../../lambdas/core/pipeline/run-layout';
import { TrainingConfig, metricDefinitionsFor } from '../../../lambdas/core/pipeline/training-config';
import { SAGEMAKER_RESOURCES, sageMakerTaskAdapters } from '../../../local/runtime/sagemaker-training';
import { BUCKET, EXECUTION, type MemoryStore, PROJECT, SPEC, memoryStore, patientsCsv, sha256 } from './pipeline-fixtures';

type Json = Record<string, any>;

const DATASET_ID = 'ds-1';
const datasetKey = `projects/${PROJECT}/datasets/${DATASET_ID}/data.csv`;
const configKey = `projects/${PROJECT}/config/training.json`;
const run = runLayout(PROJECT, 'run-1');
const modelOutputUri = `s3://${BUCKET}/${run.modelOutputPrefix}`;
const ctx = { stateName: 'TuneModel', executionArn: EXECUTION, resource: SAGEMAKER_RESOURCES.createHyperParameterTuningJobSync };

/** The tuning section of seed-code/project.config.json, cut down to a small budget. */
const tuningSection = (overrides: Json = {}): Json => ({
  enabled: true,
  strategy: 'Bayesian',
  maxTrainingJobs: 4,
  maxParallelTrainingJobs: 2,
  earlyStopping: 'Auto',
  objective: { metric: 'validation:auc', type: 'Maximize' },
  ranges: {
    eta: { type: 'continuous', min: 0.05, max: 0.5, scaling: 'Logarithmic' },
    max_depth: { type: 'integer', min: 2, max: 5 },
    subsample: { type: 'continuous', min: 0.5, max: 0.95, scaling: 'ReverseLogarithmic' },
    max_bin: { type: 'categorical', values: [32, '64'] },
  },
  ...overrides,
});
const tunedConfig = (tuning: Json = tuningSection(), hyperparameters: Json = { eval_metric: 'auc', num_round: 27 }): Json => ({ hyperparameters, tuning });

/** Problems of a configuration as readTrainingConfig reports them (`field: reason`). */
function problems(config: unknown): string[] {
  const parsed = TrainingConfig.safeParse(config);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** The S3 calls the SageMaker adapter makes, served from the memory store. */
function s3Over(store: MemoryStore): S3Client {
  return {
    send: async (command: unknown) => {
      const input = (command as { input: Record<string, string> }).input;
      if (command instanceof GetObjectCommand) {
        const body = await store.get(input.Bucket, input.Key);
        return { Body: { transformToByteArray: async () => body } };
      }
      if (command instanceof ListObjectsV2Command) {
        const prefix = `${input.Bucket}/${input.Prefix}`;
        return { Contents: [...store.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => ({ Key: k.slice(input.Bucket.length + 1) })) };
      }
      if (command instanceof PutObjectCommand) {
        await store.put(input.Bucket, input.Key, input.Body as unknown as Uint8Array, 'application/gzip');
        return {};
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as S3Client;
}

async function splitWith(config: Json | undefined): Promise<{ store: MemoryStore; result: SplitStepResult }> {
  const data = patientsCsv();
  const store = memoryStore({ [datasetKey]: data, ...(config ? { [configKey]: JSON.stringify(config) } : {}) });
  const result = await splitTrainingDataset({ executionId: EXECUTION, dataset: { datasetVersionId: DATASET_ID, sha256: sha256(data) }, modelOutputUri }, SPEC, { objects: store }, BUCKET);
  return { store, result };
}

/** The Parameters TuneModel (step-functions/training-pipeline.ts) sends, evaluated on a split result. */
function tuningRequest(result: SplitStepResult): Json {
  const tuning = result.tuning!;
  return {
    HyperParameterTuningJobName: tuning.jobName,
    HyperParameterTuningJobConfig: tuning.config,
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingImage: 'xgboost', TrainingInputMode: 'File', MetricDefinitions: tuning.metricDefinitions },
      RoleArn: 'arn:aws:iam::000000000000:role/training',
      StaticHyperParameters: { sagemaker_program: 'train.py', sagemaker_submit_directory: 's3://x/sourcedir.tar.gz', ...tuning.staticHyperParameters },
      InputDataConfig: (['train', 'validation', 'test', 'encoding'] as const).map((c) => ({ ChannelName: c, DataSource: { S3DataSource: { S3Uri: result.channels[c], S3DataType: 'S3Prefix' } } })),
      OutputDataConfig: { S3OutputPath: modelOutputUri },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.g5.xlarge', VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    },
  };
}

const tuneAdapter = (store: MemoryStore) => sageMakerTaskAdapters({ s3: s3Over(store) })[SAGEMAKER_RESOURCES.createHyperParameterTuningJobSync];

describe('training configuration: the tuning section', () => {
  it("accepts seed-code's tuning section and gives SageMaker's request parts to the split result", async () => {
    const { result } = await splitWith(tunedConfig());

    expect(result.useTuning).toBe(true);
    const tuning = result.tuning!;
    expect(tuning.jobName).toBe(tuningJobNameFor(PROJECT, EXECUTION));
    expect(tuning.config).toEqual({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
      TrainingJobEarlyStoppingType: 'Auto',
      ParameterRanges: {
        ContinuousParameterRanges: [
          { Name: 'eta', MinValue: '0.05', MaxValue: '0.5', ScalingType: 'Logarithmic' },
          { Name: 'subsample', MinValue: '0.5', MaxValue: '0.95', ScalingType: 'ReverseLogarithmic' },
        ],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '2', MaxValue: '5', ScalingType: 'Auto' }],
        CategoricalParameterRanges: [{ Name: 'max_bin', Values: ['32', '64'] }],
      },
    });
    // Tuned names leave the static hyperparameters (SageMaker refuses a name in both); the rest stay.
    expect(Object.keys(tuning.staticHyperParameters).sort()).toEqual(['alpha', 'colsample_bytree', 'early_stopping_rounds', 'eval_metric', 'lambda', 'min_child_weight', 'num_round', 'objective', 'seed']);
    expect(tuning.staticHyperParameters).toMatchObject({ num_round: '27', eval_metric: 'auc' });
    expect(tuning.metricDefinitions).toEqual(metricDefinitionsFor('auc'));
    expect(new RegExp(tuning.metricDefinitions[1].Regex).exec('validation-auc: 0.912006')?.[1]).toBe('0.912006');
    // The existing outputs are unchanged: the training task still reads every configured hyperparameter.
    expect(result.hyperParameters).toMatchObject({ num_round: '27', eval_metric: 'auc', max_depth: '6', eta: '0.1' });
  });

  it('names a tuning job per run within 32 characters, the same on a retry', () => {
    const long = 'a-very-long-project-name-of-32ch';
    const names = [tuningJobNameFor(long, EXECUTION), tuningJobNameFor(long, `${EXECUTION}-2`), tuningJobNameFor('abc', EXECUTION)];
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/);
    expect(names[0]).toMatch(/^a-very-long-pro-[0-9a-f]{16}$/);
    expect(names[0]).not.toBe(names[1]);
    expect(tuningJobNameFor(long, EXECUTION)).toBe(names[0]);
  });

  it('leaves tuning off without a section or with enabled false (the section is still checked)', async () => {
    expect((await splitWith(undefined)).result).toMatchObject({ useTuning: false, tuning: null });
    expect((await splitWith(tunedConfig(tuningSection({ enabled: false })))).result).toMatchObject({ useTuning: false, tuning: null });
    await expect(splitWith(tunedConfig(tuningSection({ enabled: false, strategy: 'Grid' })))).rejects.toThrow(TrainingConfigError);
  });

  it.each([
    [tunedConfig(tuningSection(), { num_round: 27 }), "tuning.objective.metric: validation:auc is not reported by the training job: hyperparameters.eval_metric is 'logloss', so use validation:logloss or set eval_metric to 'auc'"],
    [tunedConfig(tuningSection({ objective: { metric: 'validation:auc', type: 'Minimize' } })), 'tuning.objective.type: must be Maximize for validation:auc, got Minimize'],
    [tunedConfig(tuningSection({ objective: { metric: 'validation:speed', type: 'Maximize' } })), 'tuning.objective.metric: must be one of validation:auc,'],
    [tunedConfig(tuningSection({ ranges: { gamma: { type: 'continuous', min: 0, max: 1 } } })), 'tuning.ranges.gamma: is not a tunable hyperparameter of the training contract'],
    [tunedConfig(tuningSection({ ranges: { max_depth: { type: 'continuous', min: 2, max: 8 } } })), 'tuning.ranges.max_depth.type: max_depth is an integer hyperparameter: use an integer or categorical range'],
    [tunedConfig(tuningSection({ ranges: { max_depth: { type: 'integer', min: 2.5, max: 8 } } })), 'tuning.ranges.max_depth.min: must be an integer'],
    [tunedConfig(tuningSection({ ranges: { eta: { type: 'continuous', min: 0.5, max: 0.3 } } })), 'tuning.ranges.eta.min: min 0.5 must be below max 0.3'],
    [tunedConfig(tuningSection({ ranges: { eta: { type: 'continuous', min: 0, max: 0.3, scaling: 'Logarithmic' } } })), 'tuning.ranges.eta.min: Logarithmic scaling needs min > 0, got 0'],
    [tunedConfig(tuningSection({ ranges: { subsample: { type: 'continuous', min: 0.5, max: 1, scaling: 'ReverseLogarithmic' } } })), 'tuning.ranges.subsample.scaling: ReverseLogarithmic scaling needs 0 <= min and max < 1, got [0.5, 1]'],
    [tunedConfig(tuningSection({ ranges: { eta: { type: 'float', min: 0, max: 1 } } })), "tuning.ranges.eta.type: type must be 'continuous', 'integer' or 'categorical'"],
    [tunedConfig(tuningSection({ ranges: { max_bin: { type: 'categorical', values: ['64', 64] } } })), 'tuning.ranges.max_bin.values: values must not repeat'],
    [tunedConfig(tuningSection({ ranges: {} })), 'tuning.ranges: declare at least one hyperparameter range'],
    [tunedConfig(tuningSection({ strategy: 'Hyperband' })), 'tuning.strategy: must be Bayesian or Random'],
    [tunedConfig(tuningSection({ earlyStopping: 'Sometimes' })), 'tuning.earlyStopping: '],
    [tunedConfig(tuningSection({ maxTrainingJobs: 501 })), 'tuning.maxTrainingJobs: '],
    [tunedConfig(tuningSection({ maxTrainingJobs: 2, maxParallelTrainingJobs: 3 })), 'tuning.maxParallelTrainingJobs: 3 exceeds maxTrainingJobs 2'],
    [tunedConfig(tuningSection({ budget: 3 })), 'tuning: Unrecognized key: "budget"'],
    [tunedConfig({ objective: { metric: 'validation:auc', type: 'Maximize' }, ranges: { eta: { type: 'continuous', min: 0.1, max: 0.3 } } }), 'tuning.enabled: '],
  ])('refuses a bad tuning section, naming the field (%#)', (config, problem) => {
    expect(problems(config)).toEqual([expect.stringContaining(problem)]);
  });

  it('reports a bad section from the split step as a TrainingConfigError with the field', async () => {
    await expect(splitWith(tunedConfig(tuningSection({ objective: { metric: 'validation:auc', type: 'Minimize' } })))).rejects.toThrow(
      new TrainingConfigError(`${configKey}: tuning.objective.type: must be Maximize for validation:auc, got Minimize`),
    );
  });
});

describe('local SageMaker hyperparameter tuning job', () => {
  it('runs the budget with TPE and early stopping, writes every trial like a training job and answers with the best', async () => {
    const { store, result } = await splitWith(tunedConfig());

    const job = (await tuneAdapter(store)(tuningRequest(result), ctx)) as Json;

    const name = result.tuning!.jobName;
    expect(job).toMatchObject({
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/${name}`,
      HyperParameterTuningJobStatus: 'Completed',
      HyperParameterTuningJobConfig: result.tuning!.config,
    });
    // Four trials: successive halving trains them on 3 rounds, the best of them goes on to 9 and 27; the rest stop early.
    expect(job.TrainingJobStatusCounters).toEqual({ Completed: 1, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 3 });
    expect(job.ObjectiveStatusCounters).toEqual({ Succeeded: 4, Pending: 0, Failed: 0 });
    const best = job.BestTrainingJob as Json;
    expect(best).toMatchObject({ TuningJobName: name, TrainingJobStatus: 'Completed', ObjectiveStatus: 'Succeeded' });
    expect(best.TrainingJobName).toMatch(new RegExp(`^${name}-00[1-4]-[0-9a-f]{8}$`));
    expect(best.FinalHyperParameterTuningJobObjectiveMetric).toEqual({ Type: 'Maximize', MetricName: 'validation:auc', Value: expect.any(Number) });
    expect(best.FinalHyperParameterTuningJobObjectiveMetric.Value).toBeGreaterThan(0.75);

    // The tuned values are strings within their ranges.
    const tuned = best.TunedHyperParameters as Record<string, string>;
    expect(Object.keys(tuned).sort()).toEqual(['eta', 'max_bin', 'max_depth', 'subsample']);
    expect(Number(tuned.eta)).toBeGreaterThanOrEqual(0.05);
    expect(Number(tuned.eta)).toBeLessThanOrEqual(0.5);
    expect(Number(tuned.subsample)).toBeGreaterThanOrEqual(0.5);
    expect(Number(tuned.subsample)).toBeLessThanOrEqual(0.95);
    expect(['2', '3', '4', '5']).toContain(tuned.max_depth);
    expect(['32', '64']).toContain(tuned.max_bin);

    // Every trial wrote a model like a training job; the best one's is the full-length model, its metric the objective.
    const trialModels = [...store.objects.keys()].filter((k) => k.startsWith(`${BUCKET}/${run.modelOutputPrefix}${name}-`) && k.endsWith('/output/model.tar.gz'));
    expect(trialModels).toHaveLength(4);
    const artifact = `${run.modelOutputPrefix}${best.TrainingJobName}/output/model.tar.gz`;
    const metrics = JSON.parse(new TextDecoder().decode(readTarGz(store.objects.get(`${BUCKET}/${artifact}`)!).find((f) => f.name === 'metrics.json')!.data));
    expect(metrics).toMatchObject({ eval_metric: 'auc', validation: { auc: best.FinalHyperParameterTuningJobObjectiveMetric.Value } });
    expect(metrics.history.train.logloss.length).toBeGreaterThan(9);

    // The convert step takes the best trial's model as the workflow hands it over (UseBestTrainingJob).
    const converted = await convertTrainedModel({ executionId: EXECUTION, modelArtifacts: `${modelOutputUri}${best.TrainingJobName}/output/model.tar.gz` }, PROJECT, { objects: store }, BUCKET);
    expect(converted).toMatchObject({ backend: 'embedded', modelKey: run.modelJson });
    expect(converted.maxAbsDiff).toBeLessThanOrEqual(1e-6);
  });

  it('without early stopping completes every trial, picks the best objective and repeats itself for the same seed', async () => {
    const config = tunedConfig(tuningSection({ earlyStopping: 'Off', strategy: 'Random', objective: { metric: 'validation:logloss', type: 'Minimize' } }), { num_round: 15, eval_metric: 'logloss' });
    const first = await splitWith(config);
    const second = await splitWith(config);

    const job = (await tuneAdapter(first.store)(tuningRequest(first.result), ctx)) as Json;
    const again = (await tuneAdapter(second.store)(tuningRequest(second.result), ctx)) as Json;

    expect(job.TrainingJobStatusCounters).toMatchObject({ Completed: 4, Stopped: 0, NonRetryableError: 0 });
    const objectives = (store: MemoryStore, jobName: string): { name: string; logloss: number }[] =>
      [...store.objects.entries()]
        .filter(([k]) => k.includes(`/model/${jobName}-`))
        .map(([k, body]) => {
          const metrics = JSON.parse(new TextDecoder().decode(readTarGz(body).find((f) => f.name === 'metrics.json')!.data));
          return { name: k.split('/').at(-3)!, logloss: metrics.validation.logloss as number };
        });
    const trials = objectives(first.store, first.result.tuning!.jobName);
    expect(trials).toHaveLength(4);
    const lowest = trials.reduce((a, b) => (b.logloss < a.logloss ? b : a));
    expect(job.BestTrainingJob).toMatchObject({ TrainingJobName: lowest.name, FinalHyperParameterTuningJobObjectiveMetric: { Type: 'Minimize', Value: lowest.logloss } });
    // Same seed hyperparameter, same trials: the tuned values of the best job agree across runs.
    expect(again.BestTrainingJob.TunedHyperParameters).toEqual(job.BestTrainingJob.TunedHyperParameters);
  });

  it('fails the tuning job (States.TaskFailed with the description) when no trial reports the objective', async () => {
    const { store, result } = await splitWith(tunedConfig(tuningSection({ maxTrainingJobs: 2, maxParallelTrainingJobs: 1 }), { eval_metric: 'auc', num_round: 9 }));
    // A definition whose trials train with eval_metric logloss while the objective is validation:auc.
    const request = tuningRequest(result);
    request.TrainingJobDefinition.StaticHyperParameters.eval_metric = 'logloss';

    const failure = (await tuneAdapter(store)(request, ctx).catch((e: Error) => e)) as Error;

    expect(failure.name).toBe('States.TaskFailed');
    const cause = JSON.parse(failure.message) as Json;
    expect(cause).toMatchObject({ HyperParameterTuningJobStatus: 'Failed', ObjectiveStatusCounters: { Succeeded: 0, Failed: 2 } });
    expect(cause.FailureReason).toMatch(/^No training job succeeded: .*objective metric validation:auc was not reported \(the job reported train:logloss, validation:logloss\)/);
    expect(cause.BestTrainingJob).toBeUndefined();
  });

  it('refuses, as SageMaker does, requests that cannot start a tuning job', async () => {
    const { store, result } = await splitWith(tunedConfig(tuningSection({ maxTrainingJobs: 2, maxParallelTrainingJobs: 1 }), { eval_metric: 'auc', num_round: 6 }));
    const adapter = tuneAdapter(store);
    const refused = async (change: (request: Json) => void): Promise<Error> => {
      const request = JSON.parse(JSON.stringify(tuningRequest(result))) as Json;
      change(request);
      return (await adapter(request, ctx).catch((e: Error) => e)) as Error;
    };
    const validation = (pattern: RegExp) => expect.objectContaining({ name: 'SageMaker.AmazonSageMakerException', message: expect.stringMatching(pattern) });

    expect(await refused((r) => (r.HyperParameterTuningJobName = `${'x'.repeat(33)}`))).toEqual(validation(/HyperParameterTuningJobName.*pattern.*ValidationException/));
    expect(await refused((r) => (r.HyperParameterTuningJobConfig.Strategy = 'Hyperband'))).toEqual(validation(/Strategy Hyperband has no local twin/));
    expect(await refused((r) => (r.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions = []))).toEqual(validation(/objective metric validation:auc is not among the TrainingJobDefinition's MetricDefinitions/));
    expect(await refused((r) => (r.TrainingJobDefinition.StaticHyperParameters.eta = '0.1'))).toEqual(validation(/Hyperparameters eta are both static and tuned/));
    expect(await refused((r) => r.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges.push({ Name: 'gamma', MinValue: '0', MaxValue: '1' }))).toEqual(
      validation(/HyperParameters gamma are not hyperparameters of the training contract/),
    );
    expect(await refused((r) => r.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges.push({ Name: 'eta', MinValue: '1', MaxValue: '3' }))).toEqual(
      validation(/Hyperparameter eta appears in more than one parameter range/),
    );
    expect(await refused((r) => delete r.TrainingJobDefinition.OutputDataConfig)).toEqual(validation(/OutputDataConfig.S3OutputPath is required/));
    // Nothing was refused after a job existed: the name is still free, and used once it is taken.
    await expect(adapter(tuningRequest(result), ctx)).resolves.toMatchObject({ HyperParameterTuningJobStatus: 'Completed' });
    expect(await refused(() => undefined)).toEqual(expect.objectContaining({ name: 'SageMaker.ResourceInUseException' }));
  });
});
