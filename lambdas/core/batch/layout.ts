/**
 * Where a batch-inference run keeps its files and items. Every key is built here, so the
 * functions, the workflow and the IAM grants agree on a path.
 *
 * projects/<p>/inference/inbox/<name>.csv                         drop a CSV here (never deleted)
 * projects/<p>/inference/runs/<run>/chunks/<000001>.predictions.csv  one scored chunk (no header)
 * projects/<p>/inference/runs/<run>/chunks/<000001>.rejects.csv      its rejected rows (no header; none when it rejected nothing)
 * projects/<p>/inference/outbox/<name>/<run>/predictions.csv      input columns + probability, label, model_version
 * projects/<p>/inference/outbox/<name>/<run>/rejects.csv          row, column, reason, value
 * projects/<p>/inference/outbox/<name>/<run>/metadata.json        model, input object, counts, timings
 *
 * Operations table (pk, sk): `PROJECT#<p>` / `BATCH#<run>` is the run marker and its progress;
 * `PROJECT#<p>` / `BATCH#<run>#CHUNK#<000001>` the checkpoint of one finished chunk.
 *
 * `<run>` is the run id: the SHA-256 of `bucket/key/versionId` (or `bucket/key/etag` when the
 * bucket is not versioned, as locally), so the same object version always maps to one run.
 */
import { createHash } from 'node:crypto';
import { ProjectNameSchema } from '../datasets/layout';
import { BatchRequestError } from './errors';

export interface BatchInputObject {
  readonly bucket: string;
  readonly key: string;
  /** The object version, when the bucket is versioned. */
  readonly versionId?: string;
  readonly etag?: string;
}

/** `bucket/key/versionId`, or `bucket/key/etag` (quotes removed) when there is no version id. */
export function runKeyOf(input: BatchInputObject): string {
  const version = input.versionId && input.versionId !== 'null' ? input.versionId : input.etag?.replace(/"/g, '');
  if (!version) throw new BatchRequestError('versionId', 'the input object has neither a version id nor an etag, so a repeated event could not be recognised');
  return `${input.bucket}/${input.key}/${version}`;
}

export function runIdOf(runKey: string): string {
  return createHash('sha256').update(runKey).digest('hex');
}

const pad = (n: number): string => String(n).padStart(6, '0');

export function inferencePrefix(project: string): string {
  const parsed = ProjectNameSchema.safeParse(project);
  if (!parsed.success) throw new BatchRequestError('project', parsed.error.issues[0].message);
  return `projects/${project}/inference/`;
}

export function inboxPrefix(project: string): string {
  return `${inferencePrefix(project)}inbox/`;
}

/** The inbox-relative name of an input without its extension: `2024/june.csv` -> `2024/june`. */
export function inputStem(project: string, key: string): string {
  const inbox = inboxPrefix(project);
  if (!key.startsWith(inbox) || key.length === inbox.length || key.endsWith('/')) {
    throw new BatchRequestError('key', `${JSON.stringify(key)} is not an object in the project's inference inbox ${inbox}`);
  }
  return key.slice(inbox.length).replace(/\.csv$/i, '');
}

export interface BatchRunLayout {
  readonly runId: string;
  readonly chunkPredictions: (chunk: number) => string;
  readonly chunkRejects: (chunk: number) => string;
  readonly outboxPrefix: string;
  readonly predictions: string;
  readonly rejects: string;
  readonly metadata: string;
}

export function batchRunLayout(project: string, inputKey: string, runId: string): BatchRunLayout {
  if (!/^[0-9a-f]{64}$/.test(runId)) throw new BatchRequestError('runId', `${JSON.stringify(runId)} is not a run id (64 hex digits)`);
  const runPrefix = `${inferencePrefix(project)}runs/${runId}/chunks/`;
  // The outbox folder carries a short run id: one folder per scored object version.
  const outboxPrefix = `${inferencePrefix(project)}outbox/${inputStem(project, inputKey)}/${runId.slice(0, 16)}/`;
  return {
    runId,
    chunkPredictions: (chunk) => `${runPrefix}${pad(chunk)}.predictions.csv`,
    chunkRejects: (chunk) => `${runPrefix}${pad(chunk)}.rejects.csv`,
    outboxPrefix,
    predictions: `${outboxPrefix}predictions.csv`,
    rejects: `${outboxPrefix}rejects.csv`,
    metadata: `${outboxPrefix}metadata.json`,
  };
}

export const batchItemKeys = {
  partition: (project: string): string => `PROJECT#${project}`,
  run: (project: string, runId: string) => ({ pk: batchItemKeys.partition(project), sk: `BATCH#${runId}` }),
  chunk: (project: string, runId: string, chunk: number) => ({ pk: batchItemKeys.partition(project), sk: `BATCH#${runId}#CHUNK#${pad(chunk)}` }),
};
