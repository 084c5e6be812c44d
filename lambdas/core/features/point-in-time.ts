/**
 * The point-in-time join, pure: for each label row (entity, event time, label) and each
 * feature group, the group's values for that entity as of the label's time.
 *
 * Policy (see README.md):
 * - "As of" is inclusive: a feature row whose event time equals the label's time counts (it
 *   was true at that instant); a row one millisecond later never does.
 * - Ties at one event time for one entity (only possible across ingestions): the later
 *   ingestion wins, as it does online. Rows are given in ingestion order and sorted stably.
 * - A row's values are taken whole: a null in the newest row stays null, it is not filled
 *   from an older row (that mixes states that were never true together).
 * - No row at or before the label's time (or an unknown entity): the group's features are
 *   null (`missing: 'null'`, the default) or the label row is left out (`missing: 'drop'`).
 *
 * Cost: grouping and sorting the feature rows by entity (n log n), then a binary search per
 * label row and group. bench/feature-lookup.ts joins 1,000,000 feature rows with 200,000
 * labels in about 2 s on a 2-core machine (most of it indexing).
 */
import { InvalidFeatureRequestError } from './errors';
import type { FeatureValue } from './values';

export interface TimedFeatureRow {
  readonly entityId: string;
  readonly eventTimeMs: number;
  readonly values: Readonly<Record<string, FeatureValue>>;
}

export interface FeatureTimeline {
  readonly group: string;
  readonly version: number;
  /** The value features joined, in definition order. */
  readonly features: readonly string[];
  /** Per entity: event times ascending and the rows in the same order. */
  readonly entities: ReadonlyMap<string, { readonly times: Float64Array; readonly rows: readonly TimedFeatureRow[] }>;
}

/** Indexes rows given in ingestion order (older ingestions first, file order within one). */
export function buildFeatureTimeline(group: string, version: number, features: readonly string[], rows: readonly TimedFeatureRow[]): FeatureTimeline {
  const byEntity = new Map<string, TimedFeatureRow[]>();
  for (const row of rows) {
    const list = byEntity.get(row.entityId);
    if (list) list.push(row);
    else byEntity.set(row.entityId, [row]);
  }
  const entities = new Map<string, { times: Float64Array; rows: TimedFeatureRow[] }>();
  for (const [entityId, list] of byEntity) {
    // Array.prototype.sort is stable: equal times keep ingestion order, so the last one is the latest ingestion.
    if (!isSorted(list)) list.sort((a, b) => a.eventTimeMs - b.eventTimeMs);
    entities.set(entityId, { times: Float64Array.from(list, (r) => r.eventTimeMs), rows: list });
  }
  return { group, version, features, entities };
}

function isSorted(rows: readonly TimedFeatureRow[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i].eventTimeMs < rows[i - 1].eventTimeMs) return false;
  return true;
}

/** Index of the last time <= t, or -1. */
export function lastAtOrBefore(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export interface LabelRow {
  /** Where it came from (CSV line or record position), for messages. */
  readonly row: number;
  readonly entityId: string;
  readonly eventTimeMs: number;
  /** The event time as the label set holds it. */
  readonly eventTime: FeatureValue;
  readonly label: FeatureValue;
}

export interface LabelSet {
  readonly entityIdColumn: string;
  readonly eventTimeColumn: string;
  readonly labelColumn: string;
  readonly rows: readonly LabelRow[];
}

export interface JoinOptions {
  /** @default 'null' */
  readonly missing?: 'null' | 'drop';
  /** Name feature columns `<group>__<feature>` (needed when two groups share a feature name). @default false */
  readonly prefixColumns?: boolean;
  /** Add `<group>__event_time`: the event time of the feature row used (null when missing), to audit the join. @default false */
  readonly includeFeatureTimes?: boolean;
}

export interface JoinStats {
  readonly group: string;
  readonly version: number;
  /** Label rows that found a feature row at or before their time. */
  readonly matched: number;
  readonly missing: number;
}

export interface JoinedTrainingSet {
  /** Entity id, event time and label columns, then the feature columns. */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, FeatureValue>>[];
  /** Label rows left out by `missing: 'drop'`. */
  readonly dropped: number;
  readonly stats: readonly JoinStats[];
}

export function pointInTimeJoin(labels: LabelSet, timelines: readonly FeatureTimeline[], options: JoinOptions = {}): JoinedTrainingSet {
  const plan = timelines.map((timeline) => ({
    timeline,
    columns: timeline.features.map((feature) => ({ feature, column: options.prefixColumns ? `${timeline.group}__${feature}` : feature })),
    timeColumn: `${timeline.group}__event_time`,
  }));
  const columns = [labels.entityIdColumn, labels.eventTimeColumn, labels.labelColumn];
  const owner = new Map(columns.map((c) => [c, 'the label set']));
  for (const { timeline, columns: featureColumns, timeColumn } of plan) {
    for (const { column } of [...featureColumns, ...(options.includeFeatureTimes ? [{ column: timeColumn }] : [])]) {
      const taken = owner.get(column);
      if (taken) throw new InvalidFeatureRequestError('feature groups', `column "${column}" of ${timeline.group} v${timeline.version} is also in ${taken}; use prefixColumns or choose other features`);
      owner.set(column, `${timeline.group} v${timeline.version}`);
      columns.push(column);
    }
  }

  const matched = plan.map(() => 0);
  const rows: Record<string, FeatureValue>[] = [];
  let dropped = 0;
  for (const label of labels.rows) {
    const row: Record<string, FeatureValue> = { [labels.entityIdColumn]: label.entityId, [labels.eventTimeColumn]: label.eventTime, [labels.labelColumn]: label.label };
    let complete = true;
    plan.forEach(({ timeline, columns: featureColumns, timeColumn }, g) => {
      const entity = timeline.entities.get(label.entityId);
      const index = entity ? lastAtOrBefore(entity.times, label.eventTimeMs) : -1;
      const source = index >= 0 ? entity!.rows[index] : undefined;
      if (source) matched[g]++;
      else complete = false;
      for (const { feature, column } of featureColumns) row[column] = source ? (source.values[feature] ?? null) : null;
      if (options.includeFeatureTimes) row[timeColumn] = source ? new Date(source.eventTimeMs).toISOString() : null;
    });
    if (!complete && options.missing === 'drop') {
      dropped++;
      continue;
    }
    rows.push(row);
  }
  const stats = plan.map(({ timeline }, g) => ({ group: timeline.group, version: timeline.version, matched: matched[g], missing: labels.rows.length - matched[g] }));
  return { columns, rows, dropped, stats };
}
