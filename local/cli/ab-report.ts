/**
 * The pure part of `lumina ab NAME --status`: which logged predictions belong to the running
 * test, what each variant served, and where ground truth is read from. No AWS here; the
 * command reads the prediction log and the outcome files and passes their text in.
 *
 * Window: a test runs from the first `ab.changed` audit entry that set the current champion
 * and challenger pair (split changes keep the test going; a stop, or another challenger or
 * champion, starts a new one). Only predictions logged since then count, so a champion's
 * traffic from before the test (all of it, not a random share) cannot bias the comparison.
 *
 * Ground truth is what `lumina labels put` accepted (performance/ingest-labels.ts keeps each
 * accepted upload's outcome rows under labels/accepted/); the newest upload comes first, so a
 * correction wins, as in the performance figures.
 */
import * as z from 'zod';
import type { AuditEvent } from '../../lambdas/core/governance/audit-trail';
import { type OutcomeRow, PredictionLogRecord } from '../../lambdas/core/performance/ground-truth';
import type { AbConfig, Variant } from '../../lambdas/core/serving/ab-testing';

/** A prediction log line (serving/prediction-log.ts), the fields the status reads. */
export const LoggedPrediction = PredictionLogRecord.extend({
  httpRequestId: z.string().min(1).optional(),
  label: z.union([z.literal(0), z.literal(1)]),
  /** The version's decision threshold, logged with every prediction. */
  threshold: z.number().min(0).max(1).optional(),
});
export type LoggedPrediction = z.output<typeof LoggedPrediction>;

export interface ParsedLog {
  readonly predictions: LoggedPrediction[];
  /** Lines that are not JSON or not a prediction. */
  readonly malformed: number;
}

/** JSON Lines of one or more log objects; bad lines are counted, not thrown. */
export function parsePredictionLog(texts: readonly string[]): ParsedLog {
  const predictions: LoggedPrediction[] = [];
  let malformed = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        malformed += 1;
        continue;
      }
      const parsed = LoggedPrediction.safeParse(json);
      if (parsed.success) predictions.push(parsed.data);
      else malformed += 1;
    }
  }
  return { predictions, malformed };
}

const AcceptedLabelsUpload = z.object({
  upload: z.string().min(1),
  rows: z.array(
    z.object({
      line: z.number().int().positive(),
      requestId: z.string().min(1).optional(),
      entityId: z.string().min(1).optional(),
      outcome: z.union([z.literal(0), z.literal(1)]),
      observedAt: z.iso.datetime().optional(),
    }),
  ),
});

export interface AcceptedOutcomes {
  /** Newest upload first. */
  readonly outcomes: OutcomeRow[];
  readonly uploads: number;
  /** Files that are not accepted uploads, with why (skipped). */
  readonly problems: string[];
}

/** The outcome rows of the accepted uploads (files by key, whose names sort by upload time), newest upload first. */
export function acceptedOutcomes(files: readonly { readonly key: string; readonly text: string }[]): AcceptedOutcomes {
  const problems: string[] = [];
  const uploads: { key: string; rows: OutcomeRow[] }[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(file.text);
    } catch {
      problems.push(`${file.key}: not JSON`);
      continue;
    }
    const parsed = AcceptedLabelsUpload.safeParse(json);
    if (parsed.success) uploads.push({ key: file.key, rows: parsed.data.rows });
    else problems.push(`${file.key}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  }
  uploads.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  return { outcomes: uploads.flatMap((u) => u.rows), uploads: uploads.length, problems };
}

/** The prediction time encoded in a log object's name (`<epoch ms>-<request>-<write>.jsonl`), so old objects are skipped unread. */
export function loggedAtMs(key: string): number | undefined {
  const match = /\/(\d{10,})-[^/]*\.jsonl$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/**
 * When the running test began: the oldest of the newest run of `ab.changed` entries that all
 * set this champion/challenger pair. Falls back to the config's own time when the audit
 * trail has no such entry (a config written by hand).
 */
export function testStart(config: AbConfig, abChangesNewestFirst: readonly AuditEvent[]): string | undefined {
  let start: string | undefined;
  for (const entry of abChangesNewestFirst) {
    const details = entry.details as { champion?: unknown; challenger?: unknown };
    if (details.champion !== config.champion || details.challenger !== config.challenger) break;
    start = entry.at;
  }
  return start ?? config.updatedAt;
}

export interface VariantTraffic {
  readonly variant: Variant;
  readonly modelVersion: number;
  /** HTTP requests with at least one of this variant's predictions. */
  readonly requests: number;
  readonly predictions: number;
  /** Predictions labelled positive. */
  readonly positives: number;
  readonly meanProbability: number | null;
  /** This variant's share of the test's predictions. */
  readonly share: number | null;
  /** The decision threshold the version logged (labels for the significance test use it). */
  readonly threshold?: number;
}

export interface TestTraffic {
  readonly champion: VariantTraffic;
  readonly challenger: VariantTraffic;
  /** Predictions in the window served by neither (the test was stale, or the challenger failed to load). */
  readonly other: number;
}

/** Per-variant counts of the predictions served as champion by the champion version and as challenger by the challenger version. */
export function variantTraffic(predictions: readonly LoggedPrediction[], champion: number, challenger: number): TestTraffic {
  const acc = {
    champion: { requests: new Set<string>(), predictions: 0, positives: 0, probabilitySum: 0, threshold: undefined as number | undefined },
    challenger: { requests: new Set<string>(), predictions: 0, positives: 0, probabilitySum: 0, threshold: undefined as number | undefined },
  };
  let other = 0;
  for (const p of predictions) {
    const variant = p.variant === 'champion' && p.modelVersion === champion ? 'champion' : p.variant === 'challenger' && p.modelVersion === challenger ? 'challenger' : undefined;
    if (variant === undefined) {
      other += 1;
      continue;
    }
    const a = acc[variant];
    a.requests.add(p.httpRequestId ?? p.requestId);
    a.predictions += 1;
    a.positives += p.label;
    a.probabilitySum += p.probability;
    a.threshold ??= p.threshold;
  }
  const total = acc.champion.predictions + acc.challenger.predictions;
  const traffic = (variant: Variant, modelVersion: number): VariantTraffic => {
    const a = acc[variant];
    return {
      variant,
      modelVersion,
      requests: a.requests.size,
      predictions: a.predictions,
      positives: a.positives,
      meanProbability: a.predictions === 0 ? null : a.probabilitySum / a.predictions,
      share: total === 0 ? null : a.predictions / total,
      ...(a.threshold === undefined ? {} : { threshold: a.threshold }),
    };
  };
  return { champion: traffic('champion', champion), challenger: traffic('challenger', challenger), other };
}
