/**
 * The prediction log: one JSON line per prediction, one S3 object per request, written
 * before the answer leaves the endpoint (so no served prediction goes unlogged).
 *
 *   projects/<project>/predictions/endpoint/dt=<YYYY-MM-DD>/hour=<HH>/<epoch ms>-<request id>-<write id>.jsonl
 *
 * (the write id is unique per write, so a client that reuses an x-request-id cannot overwrite
 * an earlier log object).
 *
 * Why S3 and not CloudWatch Logs: the ground-truth join (performance/ground-truth.ts) and
 * the monitor read predictions as data, by time range; date/hour prefixes let them list
 * exactly the window they need, Athena can query the same keys, the local cloud has S3
 * (s3rver) but no CloudWatch Logs, and the objects sit under the project's prefix with its
 * KMS key, versioning and retention. The cost is one PUT per request; a Firehose stream
 * writing the same prefix is the drop-in when traffic makes that matter.
 *
 * Each line is a superset of performance/ground-truth.ts PredictionLogRecord (requestId,
 * entityId, modelVersion, variant, probability, at), so the join parses it as it is. The
 * requestId of a line is the prediction's own id: the request id for a one-record request,
 * `<request id>-<index>` for the records of a batch request (the join keys on it).
 */
import type { Variant } from './ab-testing';
import type { RiskFactor } from './scoring';

export interface PredictionLogLine {
  readonly requestId: string;
  /** The HTTP request the prediction belongs to. */
  readonly httpRequestId: string;
  /** Position of the record in the request. */
  readonly index: number;
  readonly entityId?: string;
  readonly project: string;
  readonly source: 'endpoint';
  readonly modelVersion: number;
  readonly variant: Variant;
  readonly probability: number;
  readonly label: 0 | 1;
  readonly confidence: number;
  readonly threshold: number;
  readonly riskFactors: readonly RiskFactor[];
  /** The model's fields as the caller sent them (or as the feature store returned them). */
  readonly inputs: Readonly<Record<string, string | number | boolean | null>>;
  /** Where the inputs came from. */
  readonly inputSource: 'request' | 'feature-store';
  /** ISO time of the prediction. */
  readonly at: string;
  readonly latencyMs: number;
}

/** Writes one request's lines (the adapter: S3 PutObject, or memory in tests). */
export interface PredictionLogSink {
  write(key: string, body: string): Promise<void>;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function predictionLogPrefix(project: string): string {
  return `projects/${project}/predictions/endpoint/`;
}

/** The object key of one request's log lines. */
export function predictionLogKey(project: string, at: Date, httpRequestId: string, writeId: string): string {
  const day = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const safe = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${predictionLogPrefix(project)}dt=${day}/hour=${pad(at.getUTCHours())}/${at.getTime()}-${safe(httpRequestId)}-${safe(writeId)}.jsonl`;
}

/** JSON Lines: one line per prediction, newline-terminated. */
export function toJsonLines(lines: readonly PredictionLogLine[]): string {
  let out = '';
  for (const line of lines) out += `${JSON.stringify(line)}\n`;
  return out;
}
