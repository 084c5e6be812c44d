/**
 * The predictions ground truth is joined to, read from where they are logged:
 * - the endpoint's prediction log (serving/prediction-log.ts): JSON Lines, each line a
 *   superset of ground-truth.ts PredictionLogRecord;
 * - batch inference outputs (batch/merge-batch.ts): the outbox's predictions.csv (the input
 *   columns + probability, label, model_version) with its metadata.json.
 *
 * A batch row has no request id of its own: it gets `batch-<run id, 16 hex>-<line>`, and is
 * joined by its entity id (the project's entity id column) at the time the batch was merged.
 * Its variant is `batch`, so batch scores never count towards an A/B variant of the endpoint.
 * Lines that cannot be read are skipped and counted with their reason, never guessed.
 */
import * as z from 'zod';
import { readCsvRecords } from '../datasets/csv-records';
import { PredictionLogRecord } from './ground-truth';

/** A logged prediction with what the performance figures need besides the join keys. */
export const LoggedPrediction = PredictionLogRecord.extend({
  /** The decision threshold the label was given with. @default - the caller's default */
  threshold: z.number().min(0).max(1).optional(),
  source: z.enum(['endpoint', 'batch']).default('endpoint'),
});
export type LoggedPrediction = z.output<typeof LoggedPrediction>;

export const BATCH_VARIANT = 'batch';

export interface SkippedPrediction {
  readonly key: string;
  readonly line: number;
  readonly reason: string;
}

export interface PredictionRead {
  readonly records: readonly LoggedPrediction[];
  readonly skipped: readonly SkippedPrediction[];
}

/** One prediction-log object (JSON Lines) → its predictions. */
export function parsePredictionLog(text: string, key: string): PredictionRead {
  const records: LoggedPrediction[] = [];
  const skipped: SkippedPrediction[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      skipped.push({ key, line: i + 1, reason: 'not JSON' });
      return;
    }
    const parsed = LoggedPrediction.safeParse(json);
    if (parsed.success) records.push(parsed.data);
    else skipped.push({ key, line: i + 1, reason: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`).join('; ') });
  });
  return { records, skipped };
}

/** The parts of a batch run's metadata.json the join needs. */
export const BatchPredictionMetadata = z.object({
  runId: z.string().regex(/^[0-9a-f]{16,64}$/),
  model: z.object({ version: z.number().int().positive() }),
  timings: z.object({ mergedAt: z.iso.datetime() }),
});
export type BatchPredictionMetadata = z.output<typeof BatchPredictionMetadata>;

export interface BatchPredictionOptions {
  readonly key: string;
  readonly metadata: BatchPredictionMetadata;
  /** The project's entity id column; without it batch rows cannot be joined and are skipped. */
  readonly entityIdColumn?: string;
  /** The label threshold the batch was scored with. @default - the caller's default */
  readonly threshold?: number;
}

/** A batch run's predictions.csv → its predictions, stamped with the merge time. */
export function batchPredictionRecords(bytes: Uint8Array, options: BatchPredictionOptions): PredictionRead {
  const records: LoggedPrediction[] = [];
  const skipped: SkippedPrediction[] = [];
  const { key, metadata } = options;
  let probability = -1;
  let version = -1;
  let entity = -1;
  readCsvRecords(bytes, {
    onHeader: (fields) => {
      const header = fields.map((f) => f.trim());
      probability = header.indexOf('probability');
      version = header.indexOf('model_version');
      entity = options.entityIdColumn === undefined ? -1 : header.indexOf(options.entityIdColumn);
      const missing = [
        probability < 0 ? 'no probability column' : '',
        entity < 0 ? (options.entityIdColumn ? `no entity id column ${options.entityIdColumn}` : 'the project has no entity id column') : '',
      ].filter(Boolean);
      if (missing.length > 0) skipped.push({ key, line: 1, reason: `${missing.join(' and ')}: the batch cannot be joined` });
      return missing.length === 0;
    },
    onRecord: (fields, line) => {
      const p = Number(fields[probability]);
      const entityId = fields[entity]?.trim();
      const modelVersion = version >= 0 && fields[version]?.trim() ? Number(fields[version]) : metadata.model.version;
      if (!(p >= 0 && p <= 1) || fields[probability]?.trim() === '') skipped.push({ key, line, reason: `probability ${JSON.stringify(fields[probability] ?? '')} is not in [0, 1]` });
      else if (!entityId) skipped.push({ key, line, reason: 'no entity id' });
      else if (!Number.isInteger(modelVersion) || modelVersion < 1) skipped.push({ key, line, reason: `model_version ${JSON.stringify(fields[version])} is not a version number` });
      else {
        records.push({
          requestId: `batch-${metadata.runId.slice(0, 16)}-${line}`,
          entityId,
          modelVersion,
          variant: BATCH_VARIANT,
          probability: p,
          at: metadata.timings.mergedAt,
          source: 'batch',
          ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
        });
      }
      return true;
    },
    onSyntaxProblem: (problem) => skipped.push({ key, line: problem.line, reason: problem.message }),
  });
  return { records, skipped };
}
