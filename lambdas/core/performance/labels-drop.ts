/**
 * Ground truth dropped in S3: a CSV of outcomes created under the project's labels drop
 * prefix (`projects/<p>/labels/incoming/`) starts the labels pipeline (S3 → EventBridge →
 * Step Functions), whose one step runs this: read exactly the dropped object version and
 * hand it to the same ingestion `lumina labels put` runs (ingest-labels.ts), so both paths
 * keep the file, check it, join it and publish the same performance metrics.
 *
 * The step's input is the drop trigger's `{ bucket, key, versionId, etag, trigger, eventId }`;
 * a drop outside this project's prefix or bucket, or a file over the size limit, is refused
 * with a LabelsDropError (not retried). A refused file's problems come back in the result
 * (accepted: false) and are kept in labels/rejected/, the dropped object is never changed.
 */
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { type IngestLabelsDeps, type IngestLabelsOutcome, ingestLabels, type LabelsProject } from './ingest-labels';

/** What a labels drop may weigh: a list of ids and outcomes. */
export const MAX_LABELS_DROP_BYTES = 64 * 1024 * 1024;

export const labelsDropPrefix = (project: string): string => `projects/${project}/labels/incoming/`;

export const LabelsDropInput = z.object({
  bucket: z.string().min(3),
  key: z.string().min(1),
  /** Absent (or empty, or null in an S3 event) on an unversioned bucket: then the key's current object is read. */
  versionId: z
    .string()
    .nullish()
    .transform((v) => (v ? v : undefined)),
  etag: z.string().nullish(),
  trigger: z.string().nullish(),
  eventId: z.string().nullish(),
});
/** The object the step ingests (what it reads of its validated input). */
export interface LabelsDrop {
  readonly bucket: string;
  readonly key: string;
  /** @default - the key's current object */
  readonly versionId?: string;
}

/** A drop this project must not ingest (wrong bucket or prefix, too large): retrying cannot help. */
export class LabelsDropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelsDropError';
  }
}

export interface LabelsDropConfig {
  readonly project: LabelsProject;
  readonly artifactBucket: string;
  /** @default one day */
  readonly windowMs?: number;
}

export interface LabelsDropDeps extends IngestLabelsDeps {
  readonly objects: ObjectStore;
}

/** The step's result: small enough for the execution history, with what a person needs to act. */
export type LabelsDropResult =
  | {
      readonly accepted: false;
      readonly source: { readonly key: string; readonly versionId?: string };
      readonly upload: string;
      readonly rejectedKey: string;
      readonly problemCount: number;
      /** The first ten problems (all of them are in rejectedKey). */
      readonly problems: readonly { readonly line: number; readonly column?: string; readonly message: string }[];
    }
  | {
      readonly accepted: true;
      readonly source: { readonly key: string; readonly versionId?: string };
      readonly upload: string;
      readonly rows: number;
      readonly joined: number;
      readonly unmatched: number;
      readonly performanceKey: string;
      /** Latest window over every served version (what the performance alarm judges): null AUC when one class was seen. */
      readonly latest: { readonly start: string; readonly auc: number | null; readonly accuracy: number; readonly count: number } | null;
      readonly metricsPublished: number;
    };

export async function ingestLabelsDrop(input: LabelsDrop, config: LabelsDropConfig, deps: LabelsDropDeps): Promise<LabelsDropResult> {
  const prefix = labelsDropPrefix(config.project.name);
  if (input.bucket !== config.artifactBucket) throw new LabelsDropError(`s3://${input.bucket}/${input.key} is not in the project's artifact bucket ${config.artifactBucket}`);
  if (!input.key.startsWith(prefix) || input.key.length === prefix.length) throw new LabelsDropError(`${input.key} is not under the labels drop prefix ${prefix}`);
  const body = await deps.objects.get(input.bucket, input.key, input.versionId);
  if (body.byteLength > MAX_LABELS_DROP_BYTES) {
    throw new LabelsDropError(`${input.key} is ${body.byteLength} bytes; a labels file may be at most ${MAX_LABELS_DROP_BYTES} bytes (split it into several drops)`);
  }
  const fileName = input.key.slice(prefix.length).split('/').pop() || 'labels.csv';
  const outcome = await ingestLabels({ project: config.project, fileName, body, windowMs: config.windowMs }, deps);
  const source = { key: input.key, ...(input.versionId ? { versionId: input.versionId } : {}) };
  return summariseOutcome(outcome, source);
}

function summariseOutcome(outcome: IngestLabelsOutcome, source: { key: string; versionId?: string }): LabelsDropResult {
  if (!outcome.accepted) {
    return {
      accepted: false,
      source,
      upload: outcome.upload,
      rejectedKey: outcome.rejectedKey,
      problemCount: outcome.problemCount,
      problems: outcome.problems.slice(0, 10).map((p) => ({ line: p.line, ...(p.column === undefined ? {} : { column: p.column }), message: p.message })),
    };
  }
  const { latest } = outcome;
  return {
    accepted: true,
    source,
    upload: outcome.upload,
    rows: outcome.rows,
    joined: outcome.joined.total,
    unmatched: outcome.unmatched.length,
    performanceKey: outcome.performanceKey,
    latest: latest ? { start: latest.start, auc: latest.auc, accuracy: latest.accuracy, count: latest.count } : null,
    metricsPublished: outcome.metrics.datums,
  };
}
