/**
 * Merges a run's chunk outputs, in chunk order, into the outbox: predictions.csv (the input
 * header + probability, label, model_version, then every scored row), rejects.csv (row,
 * column, reason, value, record) and metadata.json (model, input object and version, row
 * counts, timings). Every chunk must have its checkpoint. The two CSVs depend only on the
 * input bytes and the model, so a resumed run writes them byte for byte as an uninterrupted
 * one; metadata.json differs only in its timings and executions.
 */
import * as z from 'zod';
import { splitFields } from './csv-records';
import { BatchStateError } from './errors';
import { predictionsHeaderLine } from './input-contract';
import { batchItemKeys, batchRunLayout } from './layout';
import type { BatchObjects, ConcatenatedPart } from './batch-objects';
import type { OperationsStore } from './operations-store';
import { ChunkRangeSchema, InputObjectSchema, ModelReferenceSchema, RUN_STATUS } from './plan-batch';
import { type ChunkResult, REJECTS_HEADER } from './score-chunk';

export const MergeBatchInput = z.object({
  runId: z.string().regex(/^[0-9a-f]{64}$/),
  runKey: z.string().min(1),
  input: InputObjectSchema,
  model: ModelReferenceSchema,
  header: z.string().min(1),
  chunks: z.array(ChunkRangeSchema).min(1),
  records: z.number().int().min(1),
  bytes: z.number().int().min(1),
  executionId: z.string().min(1),
});
export type MergeBatchInput = z.output<typeof MergeBatchInput>;

export interface BatchMetadata {
  readonly project: string;
  readonly runId: string;
  readonly runKey: string;
  readonly input: { readonly bucket: string; readonly key: string; readonly versionId?: string; readonly etag?: string; readonly bytes: number };
  readonly model: { readonly version: number; readonly onnxKey: string };
  readonly rows: { readonly total: number; readonly scored: number; readonly rejected: number; readonly blank: number };
  readonly chunks: number;
  readonly outputs: { readonly predictions: string; readonly rejects: string; readonly predictionsBytes: number; readonly rejectsBytes: number };
  readonly timings: {
    readonly startedAt: string;
    readonly plannedAt?: string;
    readonly mergedAt: string;
    /** Sum of the chunks' scoring times (they run in parallel). */
    readonly chunkScoringMs: number;
    readonly mergeMs: number;
    readonly elapsedMs: number;
  };
  readonly executions: { readonly mergedBy: string; readonly attempt: number };
}

/** MergeBatch's result: where the outputs are and the row counts. */
export interface MergedBatch {
  readonly runId: string;
  readonly bucket: string;
  readonly predictionsKey: string;
  readonly rejectsKey: string;
  readonly metadataKey: string;
  readonly modelVersion: number;
  readonly rowsScored: number;
  readonly rowsRejected: number;
  /** When the outputs were complete (ISO 8601): the run's completion time in its marker. */
  readonly mergedAt: string;
}

export interface MergeBatchDeps {
  readonly objects: BatchObjects;
  readonly operations: OperationsStore;
  readonly now: () => Date;
}

export async function mergeBatch(request: MergeBatchInput, config: { readonly project: string }, deps: MergeBatchDeps): Promise<MergedBatch> {
  const started = Date.now();
  const layout = batchRunLayout(config.project, request.input.key, request.runId);
  const results: ChunkResult[] = [];
  const missing: number[] = [];
  for (const chunk of request.chunks) {
    const checkpoint = await deps.operations.get(batchItemKeys.chunk(config.project, request.runId, chunk.index));
    if (checkpoint) results.push(checkpoint.result as ChunkResult);
    else missing.push(chunk.index);
  }
  if (missing.length > 0) throw new BatchStateError(`run ${request.runId}: chunks ${missing.join(', ')} of ${request.chunks.length} have no checkpoint; score them before merging`);

  const header = splitFields(request.header);
  if (!Array.isArray(header)) throw new BatchStateError(`run ${request.runId}: the planned header cannot be read: ${header.reason}`);
  const outputHeader = predictionsHeaderLine(header.map((name) => name.trim()));
  const predictionParts: ConcatenatedPart[] = [{ text: outputHeader }, ...results.map((r) => ({ key: r.predictionsKey, bytes: r.predictionsBytes }))];
  // A chunk that rejected nothing has no rejects file (older checkpoints, without the size, always wrote one).
  const rejectParts: ConcatenatedPart[] = [{ text: REJECTS_HEADER }, ...results.filter((r) => r.rejectsBytes !== 0).map((r) => ({ key: r.rejectsKey, bytes: r.rejectsBytes }))];
  const csv = 'text/csv; charset=utf-8';
  const predictions = await deps.objects.concatenate(request.input.bucket, layout.predictions, predictionParts, csv);
  const rejects = await deps.objects.concatenate(request.input.bucket, layout.rejects, rejectParts, csv);

  const sum = (pick: (r: ChunkResult) => number): number => results.reduce((total, r) => total + pick(r), 0);
  const rows = { total: request.records, scored: sum((r) => r.rowsScored), rejected: sum((r) => r.rowsRejected), blank: sum((r) => r.blankRows) };
  const marker = await deps.operations.get(batchItemKeys.run(config.project, request.runId));
  const mergedAt = deps.now();
  const startedAt = String(marker?.createdAt ?? mergedAt.toISOString());
  const metadata: BatchMetadata = {
    project: config.project,
    runId: request.runId,
    runKey: request.runKey,
    input: { ...request.input, bytes: request.bytes },
    model: request.model,
    rows,
    chunks: request.chunks.length,
    outputs: { predictions: layout.predictions, rejects: layout.rejects, predictionsBytes: predictions.bytes, rejectsBytes: rejects.bytes },
    timings: {
      startedAt,
      ...(marker?.plannedAt ? { plannedAt: String(marker.plannedAt) } : {}),
      mergedAt: mergedAt.toISOString(),
      chunkScoringMs: sum((r) => r.scoringMs),
      mergeMs: Date.now() - started,
      elapsedMs: mergedAt.getTime() - Date.parse(startedAt),
    },
    executions: { mergedBy: request.executionId, attempt: Number(marker?.attempt ?? 1) },
  };
  await deps.objects.put(request.input.bucket, layout.metadata, `${JSON.stringify(metadata, null, 2)}\n`, 'application/json');
  // Exact totals (the per-chunk ADDs can lag behind when a process died between checkpoint and progress).
  await deps.operations.updateIf(
    batchItemKeys.run(config.project, request.runId),
    { chunksDone: results.length, rowsScored: rows.scored, rowsRejected: rows.rejected, mergedAt: mergedAt.toISOString(), predictionsKey: layout.predictions, rejectsKey: layout.rejects, metadataKey: layout.metadata },
    [{ attribute: 'ownerExecution', value: request.executionId }],
  );
  return {
    runId: request.runId,
    bucket: request.input.bucket,
    predictionsKey: layout.predictions,
    rejectsKey: layout.rejects,
    metadataKey: layout.metadata,
    modelVersion: request.model.version,
    rowsScored: rows.scored,
    rowsRejected: rows.rejected,
    mergedAt: mergedAt.toISOString(),
  };
}

/**
 * Marks the run scored (the workflow's MarkBatchScored state writes the same attributes with a
 * DynamoDB UpdateItem); after it, a repeated event for the object version is a no-op.
 */
export async function markBatchRunSucceeded(operations: OperationsStore, project: string, runId: string, executionId: string, now: Date): Promise<boolean> {
  return operations.updateIf(batchItemKeys.run(project, runId), { status: RUN_STATUS.succeeded, completedAt: now.toISOString() }, [{ attribute: 'ownerExecution', value: executionId }]);
}

export interface BatchProgress {
  readonly runId: string;
  readonly status: string;
  readonly inputKey: string;
  readonly chunksDone: number;
  readonly chunksTotal?: number;
  readonly rowsScored: number;
  readonly rowsRejected: number;
  readonly ownerExecution: string;
  readonly attempt: number;
  readonly heartbeatAt: string;
}

/** The progress of a run as `lumina runs` can show it (chunks done / total, rows). */
export async function readBatchProgress(operations: OperationsStore, project: string, runId: string): Promise<BatchProgress | undefined> {
  const item = await operations.get(batchItemKeys.run(project, runId));
  if (!item) return undefined;
  return {
    runId,
    status: String(item.status),
    inputKey: String(item.inputKey),
    chunksDone: Number(item.chunksDone ?? 0),
    ...(item.chunksTotal === undefined ? {} : { chunksTotal: Number(item.chunksTotal) }),
    rowsScored: Number(item.rowsScored ?? 0),
    rowsRejected: Number(item.rowsRejected ?? 0),
    ownerExecution: String(item.ownerExecution),
    attempt: Number(item.attempt ?? 1),
    heartbeatAt: String(item.heartbeatAt),
  };
}
