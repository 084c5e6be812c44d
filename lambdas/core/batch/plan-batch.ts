/**
 * Plans a batch run: recognises the object version (a repeated event for a version that was
 * scored, or is being scored, ends as a no-op), claims the run marker with a conditional
 * write, pins the production model, checks the header against the model's input contract
 * and splits the file into chunks of whole records by byte range in one streaming pass.
 *
 * A run marker left RUNNING by an execution that was killed is taken over by a start with
 * `resume: true`, or by any start once its heartbeat is older than `staleAfterMs`. The new
 * owner keeps the model version and chunk size the run started with, so the chunks, and
 * therefore the output, are the same.
 */
import * as z from 'zod';
import type { OnnxModelMetadata } from '../ml/onnx-metadata';
import { type ChunkRange, RecordBoundaryScanner } from './csv-records';
import { BatchFileError, NoProductionModelError } from './errors';
import { type BatchContract, checkBatchHeader, predictionsHeaderLine } from './input-contract';
import { type BatchInputObject, batchItemKeys, batchRunLayout, runIdOf, runKeyOf } from './layout';
import type { BatchObjects } from './batch-objects';
import type { OperationsItem, OperationsStore } from './operations-store';
import type { ModelReference, ProductionModelSource } from './production-model';

export const DEFAULT_ROWS_PER_CHUNK = 50_000;
/** An inline Map's items travel in the state payload (256 KB): at most this many chunks. */
export const MAX_CHUNKS = 1000;
/** The header travels with every chunk; keep it well inside the payload quota. */
export const MAX_PLANNED_HEADER_CHARS = 32 * 1024;
/** Longer than a ScoreChunk can run with its retries: a RUNNING marker this old has no live owner. */
export const DEFAULT_STALE_AFTER_MS = 60 * 60_000;

export const RUN_STATUS = { running: 'RUNNING', succeeded: 'SUCCEEDED', failed: 'FAILED' } as const;

// EventBridge may pass a missing version id as null or ''; both mean "none".
const optionalText = z.preprocess((value) => (value === null || value === '' ? undefined : value), z.string().optional());

/** The execution input (DataDropTrigger's event fields) plus the execution id and an optional resume flag. */
export const PlanBatchInput = z.object({
  bucket: z.string().min(3),
  key: z.string().min(1),
  versionId: optionalText,
  etag: optionalText,
  trigger: z.string().optional(),
  eventId: z.string().optional(),
  /** Take over a run another execution left RUNNING (after a kill), without waiting for it to go stale. */
  resume: z.boolean().optional(),
  executionId: z.string().min(1),
});
export type PlanBatchInput = z.output<typeof PlanBatchInput>;

/** What the workflow sends: the execution input untouched, and the execution id. */
export const PlanBatchStepInput = z.object({ event: PlanBatchInput.omit({ executionId: true }), executionId: z.string().min(1) });

export const ChunkRangeSchema = z.object({
  index: z.number().int().min(1),
  start: z.number().int().min(0),
  end: z.number().int().min(1),
  firstRow: z.number().int().min(2),
  rows: z.number().int().min(1),
});

export const ModelReferenceSchema = z.object({
  version: z.number().int().min(1),
  onnxKey: z.string().min(1),
  baseline: z.object({ statistics: z.string().min(1), constraints: z.string().min(1) }).optional(),
});

export const InputObjectSchema = z.object({ bucket: z.string().min(3), key: z.string().min(1), versionId: optionalText, etag: optionalText });

/**
 * The data-quality monitor's step input (lambdas/core/monitoring/monitor-batch-step.ts) for a
 * run whose model has a training baseline: the batch is predictions.csv, which the monitor
 * reads as the run's header and chunk files (the very bytes MergeBatch concatenates into it),
 * so it can run while the merge writes them.
 */
export interface BatchMonitorHandOff {
  readonly project: string;
  readonly batch: { readonly bucket: string; readonly key: string };
  readonly chunks: { readonly runId: string; readonly inputKey: string; readonly count: number; readonly header: string };
  readonly baselineKeys: { readonly statistics: string; readonly constraints: string };
  readonly modelVersion: number;
  readonly outputPrefix: string;
}

export interface BatchPlan {
  readonly alreadyScored: false;
  readonly runId: string;
  readonly runKey: string;
  readonly input: BatchInputObject;
  readonly model: ModelReference;
  readonly header: string;
  readonly chunks: readonly ChunkRange[];
  readonly chunksTotal: number;
  readonly records: number;
  readonly bytes: number;
  /** 1 for the first execution, 2 after a takeover, … */
  readonly attempt: number;
  /** The monitor's input, when the model has a baseline. */
  readonly monitor?: BatchMonitorHandOff;
}

export interface AlreadyScored {
  readonly alreadyScored: true;
  readonly runId: string;
  readonly status: 'SUCCEEDED' | 'RUNNING';
  /** The execution that scored (or is scoring) the object version. */
  readonly scoredBy: string;
  readonly message: string;
  readonly predictionsKey?: string;
}

export type PlanBatchOutput = BatchPlan | AlreadyScored;

export interface PlanBatchConfig {
  readonly project: string;
  /** The artifact bucket, where models live. */
  readonly artifactBucket: string;
  /** @default DEFAULT_ROWS_PER_CHUNK */
  readonly rowsPerChunk?: number;
  /** @default DEFAULT_STALE_AFTER_MS */
  readonly staleAfterMs?: number;
}

export interface PlanBatchDeps {
  readonly models: ProductionModelSource;
  /** Reads and validates the metadata of an ONNX model in the artifact bucket. */
  readonly loadModelMetadata: (bucket: string, onnxKey: string) => Promise<OnnxModelMetadata>;
  readonly objects: BatchObjects;
  readonly operations: OperationsStore;
  readonly now: () => Date;
}

type Claim = { readonly kind: 'claimed'; readonly marker: OperationsItem } | { readonly kind: 'no-op'; readonly result: AlreadyScored };

export async function planBatch(request: PlanBatchInput, config: PlanBatchConfig, deps: PlanBatchDeps): Promise<PlanBatchOutput> {
  const input: BatchInputObject = { bucket: request.bucket, key: request.key, versionId: request.versionId, etag: request.etag };
  const runKey = runKeyOf(input);
  const runId = runIdOf(runKey);
  const layout = batchRunLayout(config.project, request.key, runId); // also checks the key is in the inbox
  const claim = await claimRun(request, config, deps, runKey, runId, layout.predictions);
  if (claim.kind === 'no-op') return claim.result;

  const markerKey = batchItemKeys.run(config.project, runId);
  try {
    const pinned = claim.marker.model as ModelReference | undefined;
    const model = pinned ?? (await deps.models.production(config.project));
    if (!model) throw new NoProductionModelError(config.project);
    const rowsPerChunk = Number(claim.marker.rowsPerChunk ?? config.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK);
    const metadata = await deps.loadModelMetadata(config.artifactBucket, model.onnxKey);

    const scanner = new RecordBoundaryScanner(rowsPerChunk);
    let contract: BatchContract | undefined;
    for await (const piece of deps.objects.stream(input)) {
      scanner.push(piece);
      if (contract === undefined && scanner.header !== undefined) contract = checkHeader(scanner.header, metadata);
    }
    const scanned = scanner.finish();
    contract ??= checkHeader(scanned.headerText, metadata);
    if (scanned.chunks.length > MAX_CHUNKS) {
      throw new BatchFileError(`${scanned.records} rows make ${scanned.chunks.length} chunks of ${rowsPerChunk}; an inline Map takes at most ${MAX_CHUNKS} (split the file, or raise the chunk size)`);
    }
    const owned = await deps.operations.updateIf(
      markerKey,
      { model, rowsPerChunk, chunksTotal: scanned.chunks.length, records: scanned.records, bytes: scanned.bytes, plannedAt: deps.now().toISOString(), heartbeatAt: deps.now().toISOString() },
      [{ attribute: 'ownerExecution', value: request.executionId }],
    );
    if (!owned) throw new BatchFileError(`run ${runId} was taken over by another execution while this one planned it`);
    return {
      alreadyScored: false,
      runId,
      runKey,
      input,
      model,
      header: scanned.headerText,
      chunks: scanned.chunks,
      chunksTotal: scanned.chunks.length,
      records: scanned.records,
      bytes: scanned.bytes,
      attempt: Number(claim.marker.attempt),
      ...(model.baseline
        ? {
            monitor: {
              project: config.project,
              batch: { bucket: input.bucket, key: layout.predictions },
              chunks: { runId, inputKey: input.key, count: scanned.chunks.length, header: predictionsHeaderLine(contract.header) },
              baselineKeys: model.baseline,
              modelVersion: model.version,
              outputPrefix: `${layout.outboxPrefix}monitor/`,
            },
          }
        : {}),
    };
  } catch (error) {
    await deps.operations
      .updateIf(markerKey, { status: RUN_STATUS.failed, error: (error as Error).name, cause: (error as Error).message, failedAt: deps.now().toISOString() }, [
        { attribute: 'ownerExecution', value: request.executionId },
      ])
      .catch(() => undefined);
    throw error;
  }
}

function checkHeader(header: string, metadata: OnnxModelMetadata): BatchContract {
  if (header.length > MAX_PLANNED_HEADER_CHARS) throw new BatchFileError(`the header has ${header.length} characters; at most ${MAX_PLANNED_HEADER_CHARS} are supported`, 1);
  return checkBatchHeader(header, metadata);
}

async function claimRun(request: PlanBatchInput, config: PlanBatchConfig, deps: PlanBatchDeps, runKey: string, runId: string, predictionsKey: string): Promise<Claim> {
  const key = batchItemKeys.run(config.project, runId);
  const staleAfter = config.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = deps.now().toISOString();
    const marker = await deps.operations.get(key);
    if (!marker) {
      const fresh: OperationsItem = {
        ...key,
        type: 'batch-run',
        runKey,
        inputBucket: request.bucket,
        inputKey: request.key,
        ...(request.versionId ? { inputVersionId: request.versionId } : {}),
        ...(request.etag ? { inputEtag: request.etag } : {}),
        status: RUN_STATUS.running,
        ownerExecution: request.executionId,
        attempt: 1,
        createdAt: now,
        heartbeatAt: now,
        chunksDone: 0,
        rowsScored: 0,
        rowsRejected: 0,
      };
      if (await deps.operations.putIfAbsent(fresh)) return { kind: 'claimed', marker: fresh };
      continue;
    }
    const owner = String(marker.ownerExecution ?? '');
    if (marker.status === RUN_STATUS.succeeded) {
      return {
        kind: 'no-op',
        result: { alreadyScored: true, runId, status: 'SUCCEEDED', scoredBy: owner, predictionsKey, message: `already scored: ${runKey} was scored by ${owner} (outbox ${predictionsKey})` },
      };
    }
    if (owner === request.executionId) return { kind: 'claimed', marker }; // a retried PlanBatch of the same execution
    const stale = Date.parse(String(marker.heartbeatAt)) + staleAfter <= deps.now().getTime();
    if (marker.status === RUN_STATUS.running && !request.resume && !stale) {
      return {
        kind: 'no-op',
        result: { alreadyScored: true, runId, status: 'RUNNING', scoredBy: owner, message: `already being scored: ${runKey} is being scored by ${owner} (start with resume: true to take over a killed run)` },
      };
    }
    // Take over a failed, stale or explicitly resumed run; the checkpoints carry its finished chunks.
    const takeover = { status: RUN_STATUS.running, ownerExecution: request.executionId, attempt: Number(marker.attempt ?? 1) + 1, heartbeatAt: now, resumedAt: now };
    if (await deps.operations.updateIf(key, takeover, [{ attribute: 'ownerExecution', value: owner }, { attribute: 'status', value: String(marker.status) }])) {
      return { kind: 'claimed', marker: { ...marker, ...takeover } };
    }
  }
  throw new BatchFileError(`run ${runId}: the run marker kept changing under this execution; is another execution taking it over?`);
}
