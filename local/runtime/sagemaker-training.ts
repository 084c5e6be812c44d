/**
 * The local SageMaker: `sagemaker:createTrainingJob.sync` run by the embedded engine.
 *
 * It takes the request the workflow sends SageMaker (channels in S3, hyperparameters, the
 * output path) and does what the seed-code training script does in the cloud, with
 * lambdas/core/ml/trainer.ts instead of XGBoost: reads the `train` and `validation` channels
 * (label first, encoded features) and the `encoding` channel, trains with the same
 * hyperparameters, and writes `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz` holding
 * `xgboost-model.json`, `metrics.json` and `encoding.json`. It answers with the
 * DescribeTrainingJob shape the `.sync` integration returns.
 *
 * Failures, as Step Functions reports them:
 * - a request SageMaker refuses (missing field, bad job name, a hyperparameter the training
 *   contract does not have, a job name already used) → `SageMaker.AmazonSageMakerException`
 *   with the ValidationException / ResourceInUse cause;
 * - a job that starts and fails (a bad hyperparameter value, data the trainer rejects) →
 *   `States.TaskFailed` whose cause is the DescribeTrainingJob JSON with status Failed and
 *   the FailureReason.
 * Spot settings and checkpoints are accepted and recorded; the embedded trainer needs no
 * checkpoints (it is never interrupted).
 *
 * `sagemaker:createHyperParameterTuningJob.sync` runs the trials with the embedded tuner
 * (lambdas/core/ml/tuning.ts) over the declared ranges: Bayesian as TPE, Random as random
 * search, MaxNumberOfTrainingJobs as the budget, and TrainingJobEarlyStoppingType Auto as
 * successive halving over num_round (a trial is first trained with a fraction of the rounds;
 * only the best go on, the rest end Stopped, as SageMaker's early stopping leaves them).
 * Each trial is a training job of the definition, named `<tuning job>-NNN-xxxxxxxx` like
 * SageMaker names them, and writes its model.tar.gz under
 * `<S3OutputPath>/<trial>/output/`. Trials run one at a time (MaxParallelTrainingJobs is
 * accepted; the local cloud shares the machine). The answer is the
 * DescribeHyperParameterTuningJob shape: BestTrainingJob (name, tuned hyperparameters, final
 * objective), TrainingJobStatusCounters, ObjectiveStatusCounters and status Completed; when
 * no trial yields the objective, the job fails (States.TaskFailed, the description with
 * status Failed and its FailureReason).
 */
import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { writeTarGz } from '../../lambdas/core/archive/tar';
import type { Objective } from '../../lambdas/core/ml/model';
import { readChannelCsv } from '../../lambdas/core/pipeline/channel-csv';
import { EMBEDDED_ENGINE, parseFittedEncoding } from '../../lambdas/core/pipeline/model-package';
import { auc } from '../../lambdas/core/ml/metrics';
import { predictBatch } from '../../lambdas/core/ml/predict';
import { trainGbdt, type TrainingParams } from '../../lambdas/core/ml/trainer';
import { type Fidelity, type ParamSpec, type ParamValue, type Params, type SearchSpace, type TrialRecord, tune } from '../../lambdas/core/ml/tuning';
import { writeXgboostJson } from '../../lambdas/core/ml/xgboost-json';
import { StatesTaskError, type TaskAdapter, type TaskAdapters, type TaskContext } from './task-adapters';

export const SAGEMAKER_RESOURCES = {
  createTrainingJobSync: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
  createHyperParameterTuningJobSync: 'arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync',
} as const;

/** Hyperparameters SageMaker's framework containers set for script mode; the script never sees them as its own. */
const FRAMEWORK_HYPERPARAMETERS = new Set([
  'sagemaker_program',
  'sagemaker_submit_directory',
  'sagemaker_region',
  'sagemaker_container_log_level',
  'sagemaker_job_name',
  'sagemaker_enable_cloudwatch_metrics',
  // A hyperparameter tuning job adds the objective it optimises to every training job it starts.
  '_tuning_objective_metric',
]);

type Parse = (value: string) => number | string;
const integer: Parse = (value) => {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new Error(`'${value}' is not an integer`);
  return Number(value);
};
const real: Parse = (value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`'${value}' is not a finite number`);
  return n;
};

/** The training contract's hyperparameters → the embedded trainer's parameters. */
const HYPERPARAMETER_MAP: Readonly<Record<string, { param?: keyof TrainingParams; parse: Parse }>> = {
  num_round: { param: 'nEstimators', parse: integer },
  max_depth: { param: 'maxDepth', parse: integer },
  eta: { param: 'learningRate', parse: real },
  lambda: { param: 'lambda', parse: real },
  alpha: { param: 'alpha', parse: real },
  min_child_weight: { param: 'minChildWeight', parse: real },
  subsample: { param: 'subsample', parse: real },
  colsample_bytree: { param: 'colsampleByTree', parse: real },
  max_bin: { param: 'maxBin', parse: integer },
  early_stopping_rounds: { param: 'earlyStoppingRounds', parse: integer },
  seed: { param: 'seed', parse: integer },
  scale_pos_weight: { param: 'scalePosWeight', parse: real },
};
const OBJECTIVES = new Set<Objective>(['binary:logistic', 'reg:squarederror']);
/**
 * The eval_metric values the embedded trainer answers to. It tracks (and stops early on) the
 * objective's own loss; `auc` is then reported for the round it predicts with, computed on each
 * channel, in the same metrics.json fields the seed-code script writes.
 */
const EVAL_METRICS: Readonly<Record<Objective, readonly string[]>> = { 'binary:logistic': ['logloss', 'auc'], 'reg:squarederror': ['rmse'] };
const LOSS_METRIC: Readonly<Record<Objective, string>> = { 'binary:logistic': 'logloss', 'reg:squarederror': 'rmse' };

export interface SageMakerAdapterOptions {
  readonly s3: S3Client;
  readonly region?: string;
  readonly account?: string;
  /** Threads the embedded trainer uses. @default 1 (the local cloud shares the machine) */
  readonly trainerThreads?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

interface Channel {
  readonly name: string;
  readonly uri: string;
}

interface TrainingRequest {
  readonly jobName: string;
  readonly hyperParameters: Record<string, string>;
  readonly channels: readonly Channel[];
  readonly outputPath: string;
  readonly raw: Record<string, unknown>;
}

/** A request SageMaker refuses before a job exists. */
function validationError(message: string): StatesTaskError {
  return new StatesTaskError('SageMaker.AmazonSageMakerException', `${message} (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: ${randomUUID()}; Proxy: null)`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRequest(params: unknown, ctx: TaskContext): TrainingRequest {
  if (!isRecord(params)) throw validationError(`Task ${ctx.stateName}: Parameters must be an object`);
  const jobName = params.TrainingJobName;
  if (typeof jobName !== 'string' || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(jobName)) {
    throw validationError(`1 validation error detected: Value '${String(jobName)}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`);
  }
  const hyper = params.HyperParameters ?? {};
  if (!isRecord(hyper) || !Object.values(hyper).every((v) => typeof v === 'string')) {
    throw validationError('HyperParameters must be a map of strings to strings');
  }
  const inputs = params.InputDataConfig;
  if (!Array.isArray(inputs) || inputs.length === 0) throw validationError('InputDataConfig must list the channels');
  const channels = inputs.map((channel, i): Channel => {
    const source = isRecord(channel) && isRecord(channel.DataSource) && isRecord(channel.DataSource.S3DataSource) ? channel.DataSource.S3DataSource : undefined;
    if (!isRecord(channel) || typeof channel.ChannelName !== 'string' || !source || typeof source.S3Uri !== 'string') {
      throw validationError(`InputDataConfig[${i}] must have a ChannelName and DataSource.S3DataSource.S3Uri`);
    }
    return { name: channel.ChannelName, uri: source.S3Uri };
  });
  const output = params.OutputDataConfig;
  if (!isRecord(output) || typeof output.S3OutputPath !== 'string') throw validationError('OutputDataConfig.S3OutputPath is required');
  if (!isRecord(params.ResourceConfig) || typeof params.ResourceConfig.InstanceType !== 'string') throw validationError('ResourceConfig.InstanceType is required');
  if (typeof params.RoleArn !== 'string') throw validationError('RoleArn is required');
  if (params.EnableManagedSpotTraining === true) {
    const stopping = isRecord(params.StoppingCondition) ? params.StoppingCondition : {};
    if (typeof stopping.MaxWaitTimeInSeconds !== 'number') throw validationError('StoppingCondition.MaxWaitTimeInSeconds is required with EnableManagedSpotTraining');
    if (typeof stopping.MaxRuntimeInSeconds === 'number' && stopping.MaxWaitTimeInSeconds < stopping.MaxRuntimeInSeconds) {
      throw validationError('StoppingCondition.MaxWaitTimeInSeconds must be at least MaxRuntimeInSeconds');
    }
  }
  return { jobName, hyperParameters: hyper as Record<string, string>, channels, outputPath: output.S3OutputPath, raw: params };
}

/** Maps the contract's hyperparameters; an unknown name is refused like SageMaker refuses a request. */
export function trainerParameters(hyperParameters: Readonly<Record<string, string>>, threads = 1): { objective: Objective; params: TrainingParams; evalMetric: string } {
  const unknown = Object.keys(hyperParameters).filter((name) => !(name in HYPERPARAMETER_MAP) && !FRAMEWORK_HYPERPARAMETERS.has(name) && name !== 'objective' && name !== 'eval_metric');
  if (unknown.length > 0) {
    throw validationError(`HyperParameters ${unknown.join(', ')} are not hyperparameters of the training contract (known: objective, eval_metric, ${Object.keys(HYPERPARAMETER_MAP).join(', ')})`);
  }
  const objective = (hyperParameters.objective ?? 'binary:logistic') as Objective;
  if (!OBJECTIVES.has(objective)) throw new TrainingJobError(`hyperparameter objective: '${objective}' is not binary:logistic or reg:squarederror`);
  const evalMetric = hyperParameters.eval_metric ?? EVAL_METRICS[objective][0];
  if (!EVAL_METRICS[objective].includes(evalMetric)) {
    throw new TrainingJobError(`hyperparameter eval_metric: '${evalMetric}' is not supported by the embedded trainer for ${objective} (it tracks ${EVAL_METRICS[objective].join(', ')})`);
  }
  const params: Record<string, number> = { nThreads: threads };
  for (const [name, value] of Object.entries(hyperParameters)) {
    const mapping = HYPERPARAMETER_MAP[name];
    if (!mapping?.param) continue;
    try {
      params[mapping.param] = mapping.parse(value) as number;
    } catch (error) {
      throw new TrainingJobError(`hyperparameter ${name}: ${(error as Error).message}`);
    }
  }
  return { objective, params: params as TrainingParams, evalMetric };
}

/** The job started and failed (SageMaker's FailureReason). */
class TrainingJobError extends Error {
  override readonly name = 'TrainingJobError';
}

function s3Location(uri: string, field: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw validationError(`${field} '${uri}' is not an s3:// URI`);
  return { bucket: match[1], key: match[2] };
}

/** A finished training job's outputs: where its model is and the final value of each metric. */
interface TrainingOutcome {
  readonly artifactUri: string;
  readonly finalMetrics: readonly { readonly MetricName: string; readonly Value: number; readonly Timestamp: number }[];
}

// ---------------------------------------------------------------- tuning requests

const TUNING_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;
const NumberText = z.string().refine((value) => value.trim() !== '' && Number.isFinite(Number(value)), 'must be a number written as a string');
const NumericRange = z.object({
  Name: z.string().min(1),
  MinValue: NumberText,
  MaxValue: NumberText,
  ScalingType: z.enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']).default('Auto'),
});
const TuningJobConfig = z.object({
  Strategy: z.enum(['Bayesian', 'Random', 'Hyperband', 'Grid']),
  HyperParameterTuningJobObjective: z.object({ Type: z.enum(['Maximize', 'Minimize']), MetricName: z.string().min(1) }),
  ResourceLimits: z.object({ MaxNumberOfTrainingJobs: z.number().int().min(1), MaxParallelTrainingJobs: z.number().int().min(1) }),
  TrainingJobEarlyStoppingType: z.enum(['Off', 'Auto']).default('Off'),
  ParameterRanges: z.object({
    ContinuousParameterRanges: z.array(NumericRange).default([]),
    IntegerParameterRanges: z.array(NumericRange).default([]),
    CategoricalParameterRanges: z.array(z.object({ Name: z.string().min(1), Values: z.array(z.string()).min(1) })).default([]),
  }),
});
type TuningJobConfig = z.output<typeof TuningJobConfig>;
const TuningJobRequest = z.object({
  HyperParameterTuningJobName: z.string().regex(TUNING_JOB_NAME, `must satisfy regular expression pattern: ${TUNING_JOB_NAME.source}`),
  HyperParameterTuningJobConfig: TuningJobConfig,
  TrainingJobDefinition: z.looseObject({
    AlgorithmSpecification: z.looseObject({ MetricDefinitions: z.array(z.object({ Name: z.string().min(1), Regex: z.string().min(1) })).default([]) }),
    StaticHyperParameters: z.record(z.string(), z.string()).default({}),
  }),
});
type TuningJobRequest = z.output<typeof TuningJobRequest>;

/** One tuned hyperparameter: its search dimension and how a drawn value is written (SageMaker passes strings). */
interface TunedDimension {
  readonly spec: ParamSpec;
  readonly text: (value: ParamValue) => string;
}

const cleanNumber = (value: number): string => String(Number(value.toPrecision(12)));

/**
 * SageMaker's parameter ranges as the tuner's search space: Linear/Auto → uniform or int,
 * Logarithmic → loguniform or log int, ReverseLogarithmic (continuous, 0 <= min < max < 1)
 * → log-uniform in 1 - x, so values crowd towards max as SageMaker's do; categorical → choice.
 */
function searchSpaceOf(config: TuningJobConfig): Map<string, TunedDimension> {
  const space = new Map<string, TunedDimension>();
  const add = (name: string, dimension: TunedDimension): void => {
    if (space.has(name)) throw validationError(`Hyperparameter ${name} appears in more than one parameter range`);
    space.set(name, dimension);
  };
  const ranges = config.ParameterRanges;
  for (const range of ranges.ContinuousParameterRanges) {
    const [low, high] = [Number(range.MinValue), Number(range.MaxValue)];
    if (!(low < high)) throw validationError(`ContinuousParameterRange ${range.Name}: MinValue ${low} must be below MaxValue ${high}`);
    if (range.ScalingType === 'Logarithmic') {
      if (!(low > 0)) throw validationError(`ContinuousParameterRange ${range.Name}: Logarithmic scaling needs MinValue > 0`);
      add(range.Name, { spec: { type: 'loguniform', low, high }, text: (v) => cleanNumber(v as number) });
    } else if (range.ScalingType === 'ReverseLogarithmic') {
      if (!(low >= 0 && high < 1)) throw validationError(`ContinuousParameterRange ${range.Name}: ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1`);
      add(range.Name, { spec: { type: 'loguniform', low: 1 - high, high: 1 - low }, text: (v) => cleanNumber(1 - (v as number)) });
    } else {
      add(range.Name, { spec: { type: 'uniform', low, high }, text: (v) => cleanNumber(v as number) });
    }
  }
  for (const range of ranges.IntegerParameterRanges) {
    const [low, high] = [Number(range.MinValue), Number(range.MaxValue)];
    if (!Number.isInteger(low) || !Number.isInteger(high) || !(low < high)) {
      throw validationError(`IntegerParameterRange ${range.Name}: MinValue and MaxValue must be integers with MinValue below MaxValue, got ${range.MinValue} and ${range.MaxValue}`);
    }
    if (range.ScalingType === 'ReverseLogarithmic') throw validationError(`IntegerParameterRange ${range.Name}: ReverseLogarithmic scaling is only for continuous ranges`);
    if (range.ScalingType === 'Logarithmic' && low < 1) throw validationError(`IntegerParameterRange ${range.Name}: Logarithmic scaling needs MinValue >= 1`);
    add(range.Name, { spec: { type: 'int', low, high, log: range.ScalingType === 'Logarithmic' }, text: (v) => String(v) });
  }
  for (const range of ranges.CategoricalParameterRanges) {
    if (new Set(range.Values).size !== range.Values.length) throw validationError(`CategoricalParameterRange ${range.Name}: Values must not repeat`);
    add(range.Name, { spec: { type: 'choice', values: range.Values }, text: (v) => String(v) });
  }
  if (space.size === 0) throw validationError('HyperParameterTuningJobConfig.ParameterRanges must declare at least one range');
  return space;
}

function parseTuningRequest(params: unknown): TuningJobRequest {
  const parsed = TuningJobRequest.safeParse(params);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `Value at '${issue.path.join('.') || '(request)'}' failed to satisfy constraint: ${issue.message}`);
    throw validationError(`${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
  const request = parsed.data;
  const strategy = request.HyperParameterTuningJobConfig.Strategy;
  if (strategy !== 'Bayesian' && strategy !== 'Random') {
    throw validationError(`Strategy ${strategy} has no local twin: the local cloud runs Bayesian (as TPE) and Random`);
  }
  const metric = request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName;
  const defined = request.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions.map((d) => d.Name);
  if (!defined.includes(metric)) {
    throw validationError(`The objective metric ${metric} is not among the TrainingJobDefinition's MetricDefinitions (${defined.join(', ') || 'none'}): the tuning job could not read it`);
  }
  return request;
}

/**
 * Successive halving over boosting rounds for early stopping Auto: levels num_round/9,
 * num_round/3 and num_round. None when early stopping is Off, when num_round is tuned
 * itself, or when there are too few rounds to halve.
 */
function earlyStoppingFidelity(config: TuningJobConfig, staticHyperParameters: Readonly<Record<string, string>>, tuned: ReadonlyMap<string, TunedDimension>): Fidelity | undefined {
  if (config.TrainingJobEarlyStoppingType !== 'Auto' || tuned.has('num_round')) return undefined;
  const rounds = Number(staticHyperParameters.num_round);
  if (!Number.isInteger(rounds) || rounds < 3) return undefined;
  return { min: Math.max(1, Math.floor(rounds / 9)), max: rounds, reductionFactor: 3 };
}

/** SageMaker's name for a tuning job's training job: `<tuning job>-NNN-xxxxxxxx`. */
function trialJobName(tuningJobName: string, trialId: number): string {
  const suffix = createHash('sha256').update(`${tuningJobName}\n${trialId}`).digest('hex').slice(0, 8);
  return `${tuningJobName}-${String(trialId + 1).padStart(3, '0')}-${suffix}`;
}

/** A trial's training job finished without reporting the tuning objective. */
class ObjectiveMissingError extends Error {
  override readonly name = 'ObjectiveMissingError';
}

interface TrialJob {
  readonly name: string;
  readonly tuned: Record<string, string>;
  readonly created: number;
  started: number;
  ended: number;
  objective?: number;
  failure?: string;
  /** The training job completed but did not report the objective. */
  objectiveMissing?: boolean;
}

// ---------------------------------------------------------------- the adapters

/** SageMaker's `sagemaker:createTrainingJob.sync` and `createHyperParameterTuningJob.sync`, run by the embedded engine. */
export function sageMakerTaskAdapters(options: SageMakerAdapterOptions): TaskAdapters {
  const clock = options.clock ?? (() => new Date());
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const jobNames = new Set<string>();
  const tuningJobNames = new Set<string>();
  const arn = (resource: string, name: string): string => `arn:aws:sagemaker:${region}:${account}:${resource}/${name.toLowerCase()}`;

  const readObject = async (bucket: string, key: string): Promise<Uint8Array> => {
    const response = await options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return response.Body!.transformToByteArray();
  };
  /** The one file of an S3Prefix channel (SageMaker copies every object under the prefix). */
  const channelFile = async (channel: Channel, fileName: string): Promise<Uint8Array> => {
    const { bucket, key } = s3Location(channel.uri, `channel ${channel.name}`);
    const listed = await options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('/'));
    const match = keys.find((k) => k.slice(k.lastIndexOf('/') + 1) === fileName);
    if (!match) throw new TrainingJobError(`channel ${channel.name} (${channel.uri}) has no ${fileName} (objects: ${keys.join(', ') || 'none'})`);
    return readObject(bucket, match);
  };

  /**
   * What the seed-code script does in a training job: train from the channels and write
   * `<S3OutputPath>/<job>/output/model.tar.gz`. Throws StatesTaskError for a request SageMaker
   * refuses, anything else for a job that started and failed.
   */
  const runTrainingJob = async (request: TrainingRequest, signal: AbortSignal | undefined): Promise<TrainingOutcome> => {
    const output = s3Location(`${request.outputPath.replace(/\/+$/, '')}/${request.jobName}/output/model.tar.gz`, 'OutputDataConfig.S3OutputPath');
    const { objective, params: trainerParams, evalMetric } = trainerParameters(request.hyperParameters, options.trainerThreads ?? 1);
    const byName = new Map(request.channels.map((c) => [c.name, c]));
    for (const required of ['train', 'encoding']) {
      if (!byName.has(required)) throw new TrainingJobError(`the training contract needs a '${required}' channel (got ${[...byName.keys()].join(', ')})`);
    }
    const encodingBytes = await channelFile(byName.get('encoding')!, 'encoding.json');
    const encoding = parseFittedEncoding(encodingBytes);
    const featureNames = encoding.features.map((f) => f.name);
    const train = readChannelCsv(new TextDecoder().decode(await channelFile(byName.get('train')!, 'data.csv')), featureNames);
    const validationChannel = byName.get('validation');
    const validation = validationChannel && readChannelCsv(new TextDecoder().decode(await channelFile(validationChannel, 'data.csv')), featureNames);
    const { model, report } = await trainGbdt(
      {
        objective,
        features: train.features,
        labels: train.labels,
        featureSpecs: encoding.features,
        ...(validation ? { validation: { features: validation.features, labels: validation.labels } } : {}),
      },
      trainerParams,
      { signal },
    );
    const best = report.bestIteration;
    const lossMetric = LOSS_METRIC[objective];
    // The value of eval_metric at the round the model predicts with, per channel (what the seed-code script reports).
    const finalValue = (channel: { features: typeof train.features; labels: ArrayLike<number> }, loss: number): number =>
      evalMetric === lossMetric ? loss : auc(channel.labels, predictBatch(model, channel.features.values, channel.features.nRows).predictions);
    const trainValue = finalValue(train, report.trainLoss[best]);
    const validationValue = validation ? finalValue(validation, report.validationLoss[best]) : undefined;
    // The shape of seed-code/train.py's metrics.json, so every later step reads one format.
    const metrics = {
      objective,
      eval_metric: evalMetric,
      higher_is_better: evalMetric === 'auc',
      best_iteration: best,
      best_score: validationValue ?? trainValue,
      rounds: report.rounds,
      stopped_early: report.stoppedEarly,
      resumed_from_round: null,
      train: { [evalMetric]: trainValue },
      validation: validationValue === undefined ? {} : { [evalMetric]: validationValue },
      history: { train: { [lossMetric]: [...report.trainLoss] }, validation: validation ? { [lossMetric]: [...report.validationLoss] } : {} },
      early_stopping_metric: lossMetric,
      engine: EMBEDDED_ENGINE,
      device: 'cpu',
    };
    const encoder = new TextEncoder();
    const archive = writeTarGz([
      { name: 'xgboost-model.json', data: encoder.encode(writeXgboostJson({ ...model, encodings: encoding.encodings })) },
      { name: 'metrics.json', data: encoder.encode(JSON.stringify(metrics, null, 2)) },
      { name: 'encoding.json', data: encodingBytes },
    ]);
    await options.s3.send(new PutObjectCommand({ Bucket: output.bucket, Key: output.key, Body: archive, ContentType: 'application/gzip' }));
    const at = clock().getTime();
    return {
      artifactUri: `s3://${output.bucket}/${output.key}`,
      finalMetrics: [
        { MetricName: `train:${evalMetric}`, Value: trainValue, Timestamp: at },
        ...(validationValue === undefined ? [] : [{ MetricName: `validation:${evalMetric}`, Value: validationValue, Timestamp: at }]),
      ],
    };
  };

  const createTrainingJobSync: TaskAdapter = async (params, ctx) => {
    const request = parseRequest(params, ctx);
    if (jobNames.has(request.jobName)) {
      throw new StatesTaskError('SageMaker.ResourceInUseException', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn('training-job', request.jobName)})`);
    }
    jobNames.add(request.jobName);
    const created = clock();
    const describe = (status: 'Completed' | 'Failed', extra: Record<string, unknown>): Record<string, unknown> => {
      const ended = clock();
      const seconds = Math.max(1, Math.round((ended.getTime() - created.getTime()) / 1000));
      const { TrainingJobName: _name, ...rest } = request.raw;
      return {
        TrainingJobName: request.jobName,
        TrainingJobArn: arn('training-job', request.jobName),
        TrainingJobStatus: status,
        SecondaryStatus: status,
        ...rest,
        CreationTime: created.getTime(),
        TrainingStartTime: created.getTime(),
        TrainingEndTime: ended.getTime(),
        LastModifiedTime: ended.getTime(),
        TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds,
        ...extra,
      };
    };
    try {
      const outcome = await runTrainingJob(request, ctx.signal);
      return describe('Completed', { ModelArtifacts: { S3ModelArtifacts: outcome.artifactUri }, FinalMetricDataList: outcome.finalMetrics });
    } catch (error) {
      if (error instanceof StatesTaskError) {
        // Refused requests create no job, so the name stays free.
        jobNames.delete(request.jobName);
        throw error;
      }
      const failed = describe('Failed', { FailureReason: `AlgorithmError: ${failureText(error)}` });
      throw new StatesTaskError('States.TaskFailed', JSON.stringify(failed));
    }
  };

  const createHyperParameterTuningJobSync: TaskAdapter = async (params, ctx) => {
    const request = parseTuningRequest(params);
    const tuningJobName = request.HyperParameterTuningJobName;
    const config = request.HyperParameterTuningJobConfig;
    const definition = request.TrainingJobDefinition;
    const staticHyperParameters = definition.StaticHyperParameters;
    const space = searchSpaceOf(config);
    const both = [...space.keys()].filter((name) => name in staticHyperParameters);
    if (both.length > 0) throw validationError(`Hyperparameters ${both.join(', ')} are both static and tuned; a hyperparameter may be one or the other`);
    const metricName = config.HyperParameterTuningJobObjective.MetricName;
    const trialRequest = (name: string, tuned: Readonly<Record<string, string>>): TrainingRequest =>
      parseRequest({ ...definition, TrainingJobName: name, HyperParameters: { ...staticHyperParameters, ...tuned, _tuning_objective_metric: metricName } }, ctx);
    // Refuse what SageMaker refuses before any job exists: a definition that is not a training
    // request, or a hyperparameter name outside the training contract (values are the trials' to judge).
    const probe = trialRequest(trialJobName(tuningJobName, 0), Object.fromEntries([...space].map(([name, d]) => [name, d.text(d.spec.type === 'choice' ? d.spec.values[0] : d.spec.low)])));
    try {
      trainerParameters(probe.hyperParameters);
    } catch (error) {
      if (error instanceof StatesTaskError) throw error;
    }
    if (tuningJobNames.has(tuningJobName)) {
      throw new StatesTaskError('SageMaker.ResourceInUseException', `Hyperparameter tuning job names must be unique within an AWS account and region, and a tuning job with this name already exists (${arn('hyper-parameter-tuning-job', tuningJobName)})`);
    }
    tuningJobNames.add(tuningJobName);

    const created = clock().getTime();
    const trials = new Map<number, TrialJob>();
    const maximize = config.HyperParameterTuningJobObjective.Type === 'Maximize';
    const maxTrials = config.ResourceLimits.MaxNumberOfTrainingJobs;
    const seed = Number(staticHyperParameters.seed);
    const result = await tune({
      space: Object.fromEntries([...space].map(([name, d]) => [name, d.spec])) as SearchSpace,
      direction: maximize ? 'maximize' : 'minimize',
      sampler: config.Strategy === 'Bayesian' ? 'tpe' : 'random',
      // The model takes over after a few random trials, so a small budget still searches by model.
      tpe: { startupTrials: Math.max(2, Math.min(10, Math.floor(maxTrials / 2))) },
      seed: Number.isInteger(seed) ? seed : 0,
      maxTrials,
      fidelity: earlyStoppingFidelity(config, staticHyperParameters, space),
      signal: ctx.signal,
      objective: async (values: Params, { resource, trialId }) => {
        const tuned = Object.fromEntries([...space].map(([name, d]) => [name, d.text(values[name])]));
        const now = clock().getTime();
        const trial = trials.get(trialId) ?? { name: trialJobName(tuningJobName, trialId), tuned, created: now, started: now, ended: now };
        trials.set(trialId, trial);
        jobNames.add(trial.name);
        trial.started = now;
        try {
          // A rung of successive halving is the same job trained for that many rounds.
          const rounds: Record<string, string> = resource === undefined ? {} : { num_round: String(resource) };
          const outcome = await runTrainingJob({ ...trialRequest(trial.name, tuned), hyperParameters: { ...staticHyperParameters, ...tuned, ...rounds, _tuning_objective_metric: metricName } }, ctx.signal);
          const objective = outcome.finalMetrics.find((m) => m.MetricName === metricName);
          if (objective === undefined) {
            trial.objectiveMissing = true;
            throw new ObjectiveMissingError(`the objective metric ${metricName} was not reported (the job reported ${outcome.finalMetrics.map((m) => m.MetricName).join(', ')})`);
          }
          trial.objective = objective.Value;
          return objective.Value;
        } catch (error) {
          trial.failure = failureText(error);
          throw error;
        } finally {
          trial.ended = clock().getTime();
        }
      },
    });

    const summary = (record: TrialRecord): Record<string, unknown> => {
      const trial = trials.get(record.id)!;
      const status = record.status === 'failed' ? (trial.objectiveMissing ? 'Completed' : 'Failed') : record.status === 'pruned' ? 'Stopped' : 'Completed';
      return {
        TrainingJobName: trial.name,
        TrainingJobArn: arn('training-job', trial.name),
        TuningJobName: tuningJobName,
        CreationTime: trial.created,
        TrainingStartTime: trial.started,
        TrainingEndTime: trial.ended,
        TrainingJobStatus: status,
        TunedHyperParameters: trial.tuned,
        ...(record.status === 'failed'
          ? { FailureReason: trial.failure, ObjectiveStatus: 'Failed' }
          : { FinalHyperParameterTuningJobObjectiveMetric: { Type: config.HyperParameterTuningJobObjective.Type, MetricName: metricName, Value: record.score }, ObjectiveStatus: 'Succeeded' }),
      };
    };
    const summaries = result.trials.map(summary);
    const count = (field: string, value: string): number => summaries.filter((s) => s[field] === value).length;
    const ended = clock().getTime();
    const describe = (status: 'Completed' | 'Failed', extra: Record<string, unknown>): Record<string, unknown> => ({
      HyperParameterTuningJobName: tuningJobName,
      HyperParameterTuningJobArn: arn('hyper-parameter-tuning-job', tuningJobName),
      HyperParameterTuningJobConfig: (params as Record<string, unknown>).HyperParameterTuningJobConfig,
      TrainingJobDefinition: (params as Record<string, unknown>).TrainingJobDefinition,
      HyperParameterTuningJobStatus: status,
      CreationTime: created,
      HyperParameterTuningEndTime: ended,
      LastModifiedTime: ended,
      TrainingJobStatusCounters: { Completed: count('TrainingJobStatus', 'Completed'), InProgress: 0, RetryableError: 0, NonRetryableError: count('TrainingJobStatus', 'Failed'), Stopped: count('TrainingJobStatus', 'Stopped') },
      ObjectiveStatusCounters: { Succeeded: count('ObjectiveStatus', 'Succeeded'), Pending: 0, Failed: count('ObjectiveStatus', 'Failed') },
      ConsumedResources: { RuntimeInSeconds: Math.max(1, Math.round((ended - created) / 1000)) },
      ...extra,
    });
    if (result.best === null) {
      const reasons = summaries.slice(0, 3).map((s) => `${String(s.TrainingJobName)}: ${String(s.FailureReason)}`);
      const failure = result.trials.length === 0 ? `no training job ran (${result.stopReason})` : `no training job reported the objective metric ${metricName}; ${reasons.join('; ')}`;
      throw new StatesTaskError('States.TaskFailed', JSON.stringify(describe('Failed', { FailureReason: `No training job succeeded: ${failure}` })));
    }
    return describe('Completed', { BestTrainingJob: summary(result.best) });
  };

  return {
    [SAGEMAKER_RESOURCES.createTrainingJobSync]: createTrainingJobSync,
    [SAGEMAKER_RESOURCES.createHyperParameterTuningJobSync]: createHyperParameterTuningJobSync,
  };
}

/** A failed job's reason as SageMaker's FailureReason shows it. */
function failureText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
