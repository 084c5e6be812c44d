/**
 * Ground truth, when it arrives, turned into model performance over time. Outcomes (a CSV
 * a person uploads with `lumina labels put`, or objects under the project's labels prefix)
 * are joined to the logged predictions by request id, or else by entity id (the latest
 * prediction for that entity made before the outcome was observed, so a prediction made
 * after the fact never gets credit). The joined pairs give AUC, accuracy and calibration
 * per time window, model version and A/B variant; the latest window is what the
 * performance alarms judge against the project's floor.
 */
import * as z from 'zod';
import { accuracy, auc, expectedCalibrationError } from '../ml/metrics';

/** One logged prediction, as the endpoint and the batch pipeline write them. */
export const PredictionLogRecord = z.object({
  requestId: z.string().min(1),
  entityId: z.string().min(1).optional(),
  modelVersion: z.number().int().positive(),
  variant: z.string().min(1).default('champion'),
  probability: z.number().min(0).max(1),
  /** ISO time the prediction was made. */
  at: z.iso.datetime(),
});
export type PredictionLogRecord = z.output<typeof PredictionLogRecord>;

const BINARY = new Map<string, 0 | 1>([
  ['1', 1], ['0', 0], ['true', 1], ['false', 0], ['yes', 1], ['no', 0],
]);

/** One outcome row of a labels file: `request_id` or `entity_id`, `outcome`, optional `observed_at`. */
export interface OutcomeRow {
  readonly line: number;
  readonly requestId?: string;
  readonly entityId?: string;
  readonly outcome: 0 | 1;
  readonly observedAt?: string;
}

export class LabelsFileError extends Error {
  constructor(readonly problems: readonly { readonly line: number; readonly message: string }[]) {
    super(`labels file has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ')}${problems.length > 5 ? '; …' : ''}`);
    this.name = 'LabelsFileError';
  }
}

/** Parses a labels CSV (simple, unquoted cells). Every bad line is reported; nothing is returned on error. */
export function parseLabelsCsv(text: string): OutcomeRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  const problems: { line: number; message: string }[] = [];
  if (col('outcome') < 0) problems.push({ line: 1, message: `no "outcome" column (columns: ${header.join(', ')})` });
  if (col('request_id') < 0 && col('entity_id') < 0) problems.push({ line: 1, message: 'needs a "request_id" or an "entity_id" column to join on' });
  if (problems.length > 0) throw new LabelsFileError(problems);
  const rows: OutcomeRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',').map((c) => c.trim());
    const line = i + 1;
    if (cells.length !== header.length) {
      problems.push({ line, message: `${cells.length} fields, expected ${header.length}` });
      continue;
    }
    const outcome = BINARY.get(cells[col('outcome')].toLowerCase());
    if (outcome === undefined) problems.push({ line, message: `outcome "${cells[col('outcome')]}" is not one of 1/0, true/false, yes/no` });
    const requestId = col('request_id') >= 0 ? cells[col('request_id')] || undefined : undefined;
    const entityId = col('entity_id') >= 0 ? cells[col('entity_id')] || undefined : undefined;
    if (!requestId && !entityId) problems.push({ line, message: 'neither request_id nor entity_id is set' });
    const observedAt = col('observed_at') >= 0 ? cells[col('observed_at')] || undefined : undefined;
    if (observedAt !== undefined && Number.isNaN(Date.parse(observedAt))) problems.push({ line, message: `observed_at "${observedAt}" is not a date` });
    if (outcome !== undefined && (requestId || entityId)) rows.push({ line, requestId, entityId, outcome, observedAt: observedAt && new Date(observedAt).toISOString() });
  }
  if (problems.length > 0) throw new LabelsFileError(problems);
  return rows;
}

export interface JoinedOutcome {
  readonly prediction: PredictionLogRecord;
  readonly outcome: 0 | 1;
  readonly joinedBy: 'request' | 'entity';
}

export interface JoinResult {
  readonly joined: readonly JoinedOutcome[];
  /** Outcome rows with no prediction to join, with why. */
  readonly unmatched: readonly { readonly line: number; readonly reason: string }[];
}

/** Joins outcomes to predictions; each prediction is credited with at most one outcome (the first). */
export function joinOutcomes(predictions: readonly PredictionLogRecord[], outcomes: readonly OutcomeRow[]): JoinResult {
  const byRequest = new Map(predictions.map((p) => [p.requestId, p]));
  const byEntity = new Map<string, PredictionLogRecord[]>();
  for (const p of predictions) if (p.entityId) byEntity.set(p.entityId, [...(byEntity.get(p.entityId) ?? []), p]);
  for (const list of byEntity.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const used = new Set<string>();
  const joined: JoinedOutcome[] = [];
  const unmatched: { line: number; reason: string }[] = [];
  for (const row of outcomes) {
    if (row.requestId) {
      const prediction = byRequest.get(row.requestId);
      if (!prediction) unmatched.push({ line: row.line, reason: `no prediction with request id ${row.requestId}` });
      else if (used.has(prediction.requestId)) unmatched.push({ line: row.line, reason: `request ${row.requestId} already has an outcome` });
      else {
        used.add(prediction.requestId);
        joined.push({ prediction, outcome: row.outcome, joinedBy: 'request' });
      }
      continue;
    }
    const candidates = (byEntity.get(row.entityId!) ?? []).filter((p) => row.observedAt === undefined || p.at <= row.observedAt);
    const prediction = candidates.at(-1);
    if (!prediction) unmatched.push({ line: row.line, reason: `no prediction for entity ${row.entityId}${row.observedAt ? ` before ${row.observedAt}` : ''}` });
    else if (used.has(prediction.requestId)) unmatched.push({ line: row.line, reason: `the latest prediction for entity ${row.entityId} already has an outcome` });
    else {
      used.add(prediction.requestId);
      joined.push({ prediction, outcome: row.outcome, joinedBy: 'entity' });
    }
  }
  return { joined, unmatched };
}

export interface PerformanceWindow {
  /** Window start (ISO), by prediction time. */
  readonly start: string;
  readonly modelVersion: number;
  readonly variant: string;
  readonly count: number;
  readonly positives: number;
  /** null when the window has only one class (AUC undefined). */
  readonly auc: number | null;
  readonly accuracy: number;
  readonly ece: number;
}

/** Metrics per (window, model version, variant); windows start at multiples of `windowMs` since the epoch. */
export function performanceOverTime(joined: readonly JoinedOutcome[], windowMs: number, threshold = 0.5): PerformanceWindow[] {
  if (!(windowMs > 0)) throw new RangeError(`window must be positive, got ${windowMs} ms`);
  const groups = new Map<string, JoinedOutcome[]>();
  for (const j of joined) {
    const start = new Date(Math.floor(Date.parse(j.prediction.at) / windowMs) * windowMs).toISOString();
    const key = JSON.stringify([start, j.prediction.modelVersion, j.prediction.variant]);
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  const windows: PerformanceWindow[] = [];
  for (const [key, members] of groups) {
    const [start, modelVersion, variant] = JSON.parse(key) as [string, number, string];
    const y = Float64Array.from(members.map((m) => m.outcome));
    const p = Float64Array.from(members.map((m) => m.prediction.probability));
    const positives = members.filter((m) => m.outcome === 1).length;
    windows.push({
      start,
      modelVersion,
      variant,
      count: members.length,
      positives,
      auc: positives > 0 && positives < members.length ? auc(y, p) : null,
      accuracy: accuracy(y, p, threshold),
      ece: expectedCalibrationError(y, p),
    });
  }
  return windows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.modelVersion - b.modelVersion || (a.variant < b.variant ? -1 : 1)));
}
