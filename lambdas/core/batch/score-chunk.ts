/**
 * Scores one chunk: reads only its byte range, parses its records, rejects rows that fail
 * the input contract (row number, column, reason), encodes the rest and scores them in
 * batches through the injected model, and writes the chunk's predictions and rejects. Then
 * it records a checkpoint with a conditional put: a chunk that has one is never scored
 * again, so a resumed run skips it. The first checkpoint of a chunk also advances the run's
 * progress (chunks done, rows scored/rejected) that `lumina runs` shows.
 *
 * Output rows are the input record's own text (byte for byte, CRLF becomes LF) followed by
 * probability (6 decimals, formatProbability), label (1 when probability >= the threshold) and model version,
 * so a chunk's output is a pure function of its bytes and the model.
 *
 * The chunk is read as bytes: an ASCII record without quotes (nearly every record of a
 * numeric batch) is encoded straight from them and copied to the output, never becoming a
 * string (RowEncoder.encodeAscii); any other record is decoded and read as text. Both paths
 * give the bytes, values and rejections that decoding the whole chunk would.
 */
import * as z from 'zod';
import type { OnnxModelMetadata } from '../ml/onnx-metadata';
import { csvCell, forEachRecordBytes, splitFields } from './csv-records';
import { checkBatchHeader, compileRowEncoder, type RowRejection, TEXT_PATH } from './input-contract';
import { batchItemKeys, batchRunLayout, runIdOf, runKeyOf } from './layout';
import type { BatchObjects } from './batch-objects';
import type { OperationsStore } from './operations-store';
import { ChunkRangeSchema, InputObjectSchema, ModelReferenceSchema } from './plan-batch';
import type { ModelReference } from './production-model';
import { BatchRequestError } from './errors';

/** Rows per onnxruntime call (FIELD-NOTES: 10,000-row batches run at 200-450k rows/s). */
export const SCORING_BATCH_ROWS = 10_000;

export const ScoreChunkInput = z.object({
  runId: z.string().regex(/^[0-9a-f]{64}$/),
  input: InputObjectSchema,
  model: ModelReferenceSchema,
  header: z.string().min(1),
  chunk: ChunkRangeSchema,
  executionId: z.string().min(1),
});
export type ScoreChunkInput = z.output<typeof ScoreChunkInput>;

export interface ChunkResult {
  readonly chunk: number;
  readonly rowsScored: number;
  readonly rowsRejected: number;
  readonly blankRows: number;
  readonly predictionsKey: string;
  readonly rejectsKey: string;
  /** Sizes of the two chunk files (absent in checkpoints written before they were recorded). */
  readonly predictionsBytes?: number;
  readonly rejectsBytes?: number;
  /** True when the chunk had a checkpoint already (a resumed run): nothing was scored. */
  readonly skipped: boolean;
  readonly scoringMs: number;
}

/** A loaded model that scores row-major float32 rows into positive-class probabilities. */
export interface ScoringModel {
  readonly metadata: OnnxModelMetadata;
  score(rows: Float32Array, nRows: number): Promise<Float32Array>;
}

export interface ScoreChunkConfig {
  readonly project: string;
}

export interface ScoreChunkDeps {
  readonly objects: BatchObjects;
  readonly operations: OperationsStore;
  /** The model by reference; the handler keeps it loaded across invocations. */
  readonly loadModel: (model: ModelReference) => Promise<ScoringModel>;
  readonly now: () => Date;
}

const CSV_TYPE = 'text/csv; charset=utf-8';
export const REJECTS_HEADER = 'row,column,reason,value,record\n';

export async function scoreChunk(request: ScoreChunkInput, config: ScoreChunkConfig, deps: ScoreChunkDeps): Promise<ChunkResult> {
  if (runIdOf(runKeyOf(request.input)) !== request.runId) throw new BatchRequestError('runId', `does not belong to ${runKeyOf(request.input)}`);
  const { chunk } = request;
  const layout = batchRunLayout(config.project, request.input.key, request.runId);
  const checkpointKey = batchItemKeys.chunk(config.project, request.runId, chunk.index);
  const done = await deps.operations.get(checkpointKey);
  if (done) return { ...(done.result as ChunkResult), skipped: true };

  const started = Date.now();
  const model = await deps.loadModel(request.model);
  const contract = checkBatchHeader(request.header, model.metadata);
  const encoder = compileRowEncoder(contract);
  const width = encoder.width;
  const bytes = asBuffer(await deps.objects.readRange(request.input, chunk.start, chunk.end));

  // Record boundaries first (the loop below awaits the model between batches).
  const starts: number[] = [];
  const ends: number[] = [];
  const seen = forEachRecordBytes(bytes, chunk.firstRow, (start, end) => {
    starts.push(start);
    ends.push(end);
  });
  if (seen !== chunk.rows) throw new BatchRequestError('chunk', `bytes ${chunk.start}-${chunk.end} hold ${seen} records, the plan says ${chunk.rows} (did the object change?)`);

  // Every output row is the record's bytes and a tail of fixed length: ",<probability>,<label>,<version>\n".
  const suffix = Buffer.from(`,${request.model.version}\n`);
  const tailBytes = 1 + PROBABILITY_CHARS + 2 + suffix.length;
  const threshold = contract.threshold;
  const output = new OutputBytes(bytes.length + seen * tailBytes);
  const rejects: string[] = [];
  let rowsScored = 0;
  let blankRows = 0;
  // Where each pending row's tail goes, filled in once the batch is scored.
  const tails = new Int32Array(SCORING_BATCH_ROWS);
  let pending = 0;
  const matrix = new Float32Array(SCORING_BATCH_ROWS * width);
  const flush = async (): Promise<void> => {
    if (pending === 0) return;
    const probabilities = await model.score(matrix.subarray(0, pending * width), pending);
    for (let r = 0; r < pending; r++) writeTail(output.bytes, tails[r], probabilities[r], threshold, suffix);
    rowsScored += pending;
    pending = 0;
  };

  // The chunk's text is what a UTF-8 decoder makes of its bytes (a BOM at its very start dropped); records are decoded one by one only when they need it.
  const chunkStartDecoder = new TextDecoder('utf-8');
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for (let k = 0; k < seen; k++) {
    const start = starts[k];
    const end = ends[k];
    const row = chunk.firstRow + k;
    if (start === end) {
      blankRows++;
      continue;
    }
    const offset = pending * width;
    const outcome = encoder.encodeAscii(bytes, start, end, row, matrix, offset);
    if (outcome === TEXT_PATH) {
      const record = (start === 0 ? chunkStartDecoder : decoder).decode(bytes.subarray(start, end));
      if (record.length === 0) {
        blankRows++;
        continue;
      }
      const fields = splitFields(record);
      const rejection: RowRejection | undefined = Array.isArray(fields) ? encoder.encode(fields, row, matrix, offset) : { row, column: '', reason: fields.reason, value: '' };
      if (rejection) {
        rejects.push(rejectLine(rejection, record));
        continue;
      }
      output.writeText(record);
    } else if (outcome) {
      rejects.push(rejectLine(outcome, bytes.toString('latin1', start, end)));
      continue;
    } else {
      output.copy(bytes, start, end);
    }
    tails[pending++] = output.reserve(tailBytes);
    if (pending === SCORING_BATCH_ROWS) await flush();
  }
  await flush();

  const rejectsText = rejects.join('');
  await deps.objects.put(request.input.bucket, layout.chunkPredictions(chunk.index), output.bytes.subarray(0, output.length), CSV_TYPE);
  // A chunk without rejects writes no rejects file (its checkpoint says 0 bytes; the merge skips it).
  if (rejectsText.length > 0) await deps.objects.put(request.input.bucket, layout.chunkRejects(chunk.index), rejectsText, CSV_TYPE);
  const result: ChunkResult = {
    chunk: chunk.index,
    rowsScored,
    rowsRejected: rejects.length,
    blankRows,
    predictionsKey: layout.chunkPredictions(chunk.index),
    rejectsKey: layout.chunkRejects(chunk.index),
    predictionsBytes: output.length,
    rejectsBytes: Buffer.byteLength(rejectsText),
    skipped: false,
    scoringMs: Date.now() - started,
  };
  const finishedAt = deps.now().toISOString();
  const first = await deps.operations.putIfAbsent({ ...checkpointKey, type: 'batch-chunk', result, executionId: request.executionId, finishedAt });
  if (first) {
    await deps.operations.add(batchItemKeys.run(config.project, request.runId), { chunksDone: 1, rowsScored, rowsRejected: rejects.length }, { heartbeatAt: finishedAt });
  }
  return result;
}

/** formatProbability's output is always this long ("0.123456", "1.000000"). */
const PROBABILITY_CHARS = 8;
const COMMA = 0x2c;
const DOT = 0x2e;
const DIGIT_0 = 0x30;

/** Writes ",<probability>,<label><suffix>" at `at`: the bytes of `,${formatProbability(p)},${p >= threshold ? 1 : 0}${suffix}`. */
function writeTail(out: Buffer, at: number, p: number, threshold: number, suffix: Buffer): void {
  out[at] = COMMA;
  let micros = Math.round(p * 1e6);
  if (micros > 0 && micros < 1_000_000) {
    out[at + 1] = DIGIT_0;
    out[at + 2] = DOT;
    for (let i = at + PROBABILITY_CHARS; i > at + 2; i--) {
      const digit = micros % 10;
      out[i] = DIGIT_0 + digit;
      micros = (micros - digit) / 10;
    }
  } else {
    const text = formatProbability(p);
    for (let i = 0; i < PROBABILITY_CHARS; i++) out[at + 1 + i] = text.charCodeAt(i);
  }
  out[at + PROBABILITY_CHARS + 1] = COMMA;
  out[at + PROBABILITY_CHARS + 2] = p >= threshold ? DIGIT_0 + 1 : DIGIT_0;
  suffix.copy(out, at + PROBABILITY_CHARS + 3);
}

/** A byte buffer written front to back that grows when it must. */
class OutputBytes {
  bytes: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  private ensure(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + more));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  copy(from: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    this.length += from.copy(this.bytes, this.length, start, end);
  }

  writeText(text: string): void {
    this.ensure(Buffer.byteLength(text));
    this.length += this.bytes.write(text, this.length);
  }

  /** Skips `size` bytes to be written later; returns where they start. */
  reserve(size: number): number {
    this.ensure(size);
    const at = this.length;
    this.length += size;
    return at;
  }
}

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** A probability with 6 decimals (cheaper than toFixed in the hot loop, and as deterministic). */
export function formatProbability(p: number): string {
  const micros = Math.round(p * 1e6);
  if (micros >= 1_000_000) return '1.000000';
  if (micros <= 0) return '0.000000';
  const digits = String(micros);
  return `0.${'000000'.slice(digits.length)}${digits}`;
}

function rejectLine(rejection: RowRejection, record: string): string {
  return `${rejection.row},${csvCell(rejection.column)},${csvCell(rejection.reason)},${csvCell(rejection.value)},${csvCell(record)}\n`;
}
