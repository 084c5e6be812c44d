/**
 * Where one training run keeps its files in the artifact bucket, next to the dataset layout
 * (lambdas/core/datasets/layout.ts). Every key of a run is built here, so the workflow, the
 * functions, the SageMaker request and the IAM grants agree on a path.
 *
 * projects/<p>/config/training.json                       the project's training configuration (optional)
 * projects/<p>/seed-code/sourcedir.tar.gz                 the seed-code package SageMaker runs (uploaded by the project's CI)
 * projects/<p>/runs/<run>/data/{train,validation,test}/data.csv   SageMaker channels (label first, encoded features)
 * projects/<p>/runs/<run>/data/encoding/encoding.json     channel `encoding`: the fitted tabular encoding
 * projects/<p>/runs/<run>/data/holdout.csv                the raw test rows (every column), for evaluation
 * projects/<p>/runs/<run>/data/training-set.csv            the dataset with feature-store columns joined (featureStore runs)
 * projects/<p>/runs/<run>/data/baseline/{statistics,constraints}.json   that set's Model Monitor baseline (featureStore runs)
 * projects/<p>/runs/<run>/model/<job>/output/model.tar.gz SageMaker's packed model directory
 * projects/<p>/runs/<run>/checkpoints/                    managed spot training checkpoints
 * projects/<p>/runs/<run>/artifacts/{xgboost-model.json,model.onnx,training-metrics.json}
 * projects/<p>/runs/<run>/evaluation/{metrics.json,importance.json}
 *
 * `<run>` is the execution's name, so a run's files are found from `lumina runs`.
 */
import { createHash } from 'node:crypto';
import { projectLayout } from '../datasets/layout';

/** An execution name as Step Functions allows it (1-80 characters, no whitespace, wildcards or slashes). */
const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,80}$/;

export class RunLayoutError extends Error {
  override readonly name = 'RunLayoutError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export const CHANNELS = ['train', 'validation', 'test'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export interface RunLayout {
  readonly runId: string;
  /** `projects/<p>/runs/<run>/` */
  readonly prefix: string;
  readonly channelPrefix: (channel: ChannelName | 'encoding') => string;
  readonly channelData: (channel: ChannelName) => string;
  readonly encoding: string;
  readonly holdout: string;
  /** The dataset with the feature-store columns joined (only when training.json names feature groups). */
  readonly trainingSet: string;
  /** The Model Monitor baseline of the joined training set (featureStore runs; other runs use their dataset's). */
  readonly baselineStatistics: string;
  readonly baselineConstraints: string;
  /** SageMaker's S3OutputPath (a prefix; the job adds `<job>/output/model.tar.gz`). */
  readonly modelOutputPrefix: string;
  readonly checkpointPrefix: string;
  readonly modelJson: string;
  readonly onnx: string;
  readonly trainingMetrics: string;
  readonly evaluationMetrics: string;
  readonly importance: string;
}

export function trainingConfigKey(projectName: string): string {
  return `${projectLayout(projectName).projectPrefix}config/training.json`;
}

export function seedCodePackageKey(projectName: string): string {
  return `${projectLayout(projectName).projectPrefix}seed-code/sourcedir.tar.gz`;
}

/** `arn:aws:states:…:execution:Machine:name` → `name`; a plain name stays as it is. */
export function runIdOf(executionId: string): string {
  const name = executionId.slice(executionId.lastIndexOf(':') + 1);
  if (!RUN_ID_PATTERN.test(name)) throw new RunLayoutError('executionId', `run id ${JSON.stringify(name)} must be 1-80 letters, digits, '.', '_', ':' or '-'`);
  return name;
}

export function runLayout(projectName: string, runId: string): RunLayout {
  if (!RUN_ID_PATTERN.test(runId) || runId.includes(':')) throw new RunLayoutError('runId', `${JSON.stringify(runId)} must be 1-80 letters, digits, '.', '_' or '-'`);
  const prefix = `${projectLayout(projectName).projectPrefix}runs/${runId}/`;
  const channelPrefix = (channel: ChannelName | 'encoding'): string => `${prefix}data/${channel}/`;
  return {
    runId,
    prefix,
    channelPrefix,
    channelData: (channel) => `${channelPrefix(channel)}data.csv`,
    encoding: `${channelPrefix('encoding')}encoding.json`,
    holdout: `${prefix}data/holdout.csv`,
    trainingSet: `${prefix}data/training-set.csv`,
    baselineStatistics: `${prefix}data/baseline/statistics.json`,
    baselineConstraints: `${prefix}data/baseline/constraints.json`,
    modelOutputPrefix: `${prefix}model/`,
    checkpointPrefix: `${prefix}checkpoints/`,
    modelJson: `${prefix}artifacts/xgboost-model.json`,
    onnx: `${prefix}artifacts/model.onnx`,
    trainingMetrics: `${prefix}artifacts/training-metrics.json`,
    evaluationMetrics: `${prefix}evaluation/metrics.json`,
    importance: `${prefix}evaluation/importance.json`,
  };
}

/**
 * A SageMaker training job name for a run: unique per project and execution, at most 63
 * characters of letters, digits and hyphens (SageMaker's rule), and the same on a retry.
 */
export function trainingJobNameFor(projectName: string, executionId: string): string {
  const hash = createHash('sha256').update(`${projectName}\n${executionId}`).digest('hex').slice(0, 16);
  return `${projectName.slice(0, 32).replace(/-+$/, '')}-${hash}`;
}

/** `s3://bucket/key` → `{ bucket, key }`. */
export function parseS3Uri(uri: string, field: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new RunLayoutError(field, `${JSON.stringify(uri)} is not an s3://bucket/key URI`);
  return { bucket: match[1], key: match[2] };
}
