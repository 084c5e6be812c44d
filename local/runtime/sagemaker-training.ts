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
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeTarGz } from '../../lambdas/core/archive/tar';
import type { Objective } from '../../lambdas/core/ml/model';
import { readChannelCsv } from '../../lambdas/core/pipeline/channel-csv';
import { EMBEDDED_ENGINE, parseFittedEncoding } from '../../lambdas/core/pipeline/model-package';
import { auc } from '../../lambdas/core/ml/metrics';
import { predictBatch } from '../../lambdas/core/ml/predict';
import { trainGbdt, type TrainingParams } from '../../lambdas/core/ml/trainer';
import { writeXgboostJson } from '../../lambdas/core/ml/xgboost-json';
import { StatesTaskError, type TaskAdapter, type TaskAdapters, type TaskContext } from './task-adapters';

export const SAGEMAKER_RESOURCES = {
  createTrainingJobSync: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
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

/** SageMaker's `sagemaker:createTrainingJob.sync`, run by the embedded trainer. */
export function sageMakerTaskAdapters(options: SageMakerAdapterOptions): TaskAdapters {
  const clock = options.clock ?? (() => new Date());
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const jobNames = new Set<string>();

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

  const createTrainingJobSync: TaskAdapter = async (params, ctx) => {
    const request = parseRequest(params, ctx);
    if (jobNames.has(request.jobName)) {
      throw new StatesTaskError('SageMaker.ResourceInUseException', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:${region}:${account}:training-job/${request.jobName.toLowerCase()})`);
    }
    jobNames.add(request.jobName);
    const created = clock();
    const output = s3Location(`${request.outputPath.replace(/\/+$/, '')}/${request.jobName}/output/model.tar.gz`, 'OutputDataConfig.S3OutputPath');
    const describe = (status: 'Completed' | 'Failed', extra: Record<string, unknown>): Record<string, unknown> => {
      const ended = clock();
      const seconds = Math.max(1, Math.round((ended.getTime() - created.getTime()) / 1000));
      const { TrainingJobName: _name, ...rest } = request.raw;
      return {
        TrainingJobName: request.jobName,
        TrainingJobArn: `arn:aws:sagemaker:${region}:${account}:training-job/${request.jobName.toLowerCase()}`,
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
        { signal: ctx.signal },
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
      return describe('Completed', {
        ModelArtifacts: { S3ModelArtifacts: `s3://${output.bucket}/${output.key}` },
        FinalMetricDataList: [
          { MetricName: `train:${evalMetric}`, Value: trainValue, Timestamp: at },
          ...(validationValue === undefined ? [] : [{ MetricName: `validation:${evalMetric}`, Value: validationValue, Timestamp: at }]),
        ],
      });
    } catch (error) {
      if (error instanceof StatesTaskError) {
        // Refused requests create no job, so the name stays free.
        jobNames.delete(request.jobName);
        throw error;
      }
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const failed = describe('Failed', { FailureReason: `AlgorithmError: ${reason}` });
      throw new StatesTaskError('States.TaskFailed', JSON.stringify(failed));
    }
  };

  return { [SAGEMAKER_RESOURCES.createTrainingJobSync]: createTrainingJobSync };
}
