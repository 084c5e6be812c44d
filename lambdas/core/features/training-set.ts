/**
 * Offline retrieval: a point-in-time correct training set from a label set and feature
 * groups. Reads each group version's offline rows (every ingestion whose offline parts are
 * written, oldest first), joins them with point-in-time.ts, and returns the rows with the
 * lineage the training run records.
 */
import type { FeatureGroupVersion } from '../registry/model-version';
import { readCsvRecords } from '../datasets/csv-records';
import { type FeatureGroupRecord, valueFeatures } from './definition';
import { InvalidFeatureRequestError, InvalidLabelSetError, type InputProblem } from './errors';
import { getFeatureGroup } from './feature-groups';
import { listIngestions } from './ingestion';
import { entityIdProblem } from './keys';
import { featureLineage } from './lineage';
import { type FeatureTimeline, type JoinOptions, type JoinStats, type LabelRow, type LabelSet, type TimedFeatureRow, buildFeatureTimeline, pointInTimeJoin } from './point-in-time';
import type { FeatureStoreTableAndObjects } from './store-dependencies';
import { type FeatureValue, parseEventTime, shown } from './values';

export interface LabelColumns {
  readonly entityIdColumn: string;
  readonly eventTimeColumn: string;
  readonly labelColumn: string;
}

export interface FeatureGroupSelection {
  readonly name: string;
  /** @default - the latest version (resolved once, and recorded in the lineage) */
  readonly version?: number;
  /** A subset of the value features, in this order. @default - all of them */
  readonly features?: readonly string[];
}

export interface TrainingSetRequest extends JoinOptions {
  readonly labels: LabelSet;
  readonly featureGroups: readonly FeatureGroupSelection[];
}

export interface TrainingSet {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, FeatureValue>>[];
  readonly dropped: number;
  readonly stats: readonly JoinStats[];
  /** The exact group versions used: the run's `lineage.featureGroups`. */
  readonly lineage: readonly FeatureGroupVersion[];
}

export async function buildTrainingSet(deps: FeatureStoreTableAndObjects, request: TrainingSetRequest): Promise<TrainingSet> {
  if (request.featureGroups.length === 0) throw new InvalidFeatureRequestError('feature groups', 'name at least one feature group');
  const timelines: FeatureTimeline[] = [];
  for (const selection of request.featureGroups) {
    const record = await getFeatureGroup(deps.table, selection.name, selection.version);
    const features = selectFeatures(record, selection.features);
    timelines.push(buildFeatureTimeline(record.name, record.version, features, await readOfflineRows(deps, record)));
  }
  const joined = pointInTimeJoin(request.labels, timelines, request);
  return { ...joined, lineage: featureLineage(timelines.map((t) => ({ name: t.group, version: t.version }))) };
}

function selectFeatures(record: FeatureGroupRecord, wanted: readonly string[] | undefined): string[] {
  const available = valueFeatures(record).map((f) => f.name);
  if (wanted === undefined) return available;
  const unknown = wanted.filter((name) => !available.includes(name));
  if (unknown.length > 0) throw new InvalidFeatureRequestError('features', `${record.name} v${record.version} has no feature ${unknown.map((u) => `"${u}"`).join(', ')} (features: ${available.join(', ')})`);
  return [...wanted];
}

/** Every offline row of a group version, in ingestion order. */
export async function readOfflineRows(deps: FeatureStoreTableAndObjects, record: FeatureGroupRecord): Promise<TimedFeatureRow[]> {
  const timeType = record.features.find((f) => f.name === record.eventTimeColumn)!.type;
  const ingestions = (await listIngestions(deps.table, record.name, record.version)).filter((i) => i.status !== 'started');
  ingestions.sort((a, b) => (a.ingestionId < b.ingestionId ? -1 : a.ingestionId > b.ingestionId ? 1 : 0));
  const rows: TimedFeatureRow[] = [];
  for (const ingestion of ingestions) {
    for (const key of ingestion.parts) {
      const text = new TextDecoder().decode(await deps.objects.get(deps.bucket, key));
      let start = 0;
      let line = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end === -1) end = text.length;
        line++;
        if (end > start) {
          const values = JSON.parse(text.slice(start, end)) as Record<string, FeatureValue>;
          const time = parseEventTime(values[record.eventTimeColumn], timeType);
          if (!time.ok) throw new Error(`s3://${deps.bucket}/${key} line ${line}: ${time.reason}`);
          rows.push({ entityId: String(values[record.entityIdColumn]), eventTimeMs: time.value, values });
        }
        start = end + 1;
      }
    }
  }
  return rows;
}

/**
 * A label set from CSV text (header first). Event times are ISO 8601, or Unix epoch seconds
 * when the cell is a number. Labels stay text, as the CSV has them. Every bad row is reported.
 */
export function parseLabelCsv(csv: string | Uint8Array, columns: LabelColumns): LabelSet {
  const problems: InputProblem[] = [];
  const rows: LabelRow[] = [];
  let index: Record<keyof LabelColumns, number> | undefined;
  readCsvRecords(typeof csv === 'string' ? new TextEncoder().encode(csv) : csv, {
    onHeader: (fields, line) => {
      const missing = Object.values(columns).filter((c) => !fields.includes(c));
      if (missing.length > 0) {
        problems.push({ row: line, field: missing.join(', '), reason: `the header lacks ${missing.length === 1 ? 'this column' : 'these columns'}` });
        return false;
      }
      index = { entityIdColumn: fields.indexOf(columns.entityIdColumn), eventTimeColumn: fields.indexOf(columns.eventTimeColumn), labelColumn: fields.indexOf(columns.labelColumn) };
      return true;
    },
    onRecord: (fields, line) => {
      const label = labelRow(line, fields[index!.entityIdColumn], fields[index!.eventTimeColumn], fields[index!.labelColumn] ?? '', columns, problems, true);
      if (label) rows.push(label);
      return true;
    },
    onSyntaxProblem: (problem) => problems.push({ row: problem.line, field: '(row)', reason: problem.message }),
  });
  if (!index && problems.length === 0) problems.push({ row: 1, field: '(header)', reason: 'the label file is empty' });
  if (problems.length > 0) throw new InvalidLabelSetError(problems);
  return { ...columns, rows };
}

/** A label set from records (a pipeline step's JSON). */
export function labelSetFromRecords(records: readonly Readonly<Record<string, unknown>>[], columns: LabelColumns): LabelSet {
  const problems: InputProblem[] = [];
  const rows: LabelRow[] = [];
  records.forEach((record, i) => {
    const label = labelRow(i + 1, record[columns.entityIdColumn], record[columns.eventTimeColumn], record[columns.labelColumn], columns, problems, false);
    if (label) rows.push(label);
  });
  if (problems.length > 0) throw new InvalidLabelSetError(problems);
  return { ...columns, rows };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function labelRow(row: number, entityId: unknown, eventTime: unknown, label: unknown, columns: LabelColumns, problems: InputProblem[], fromCsv: boolean): LabelRow | undefined {
  let ok = true;
  if (typeof entityId !== 'string') {
    problems.push({ row, field: columns.entityIdColumn, reason: `expected text (got ${shown(entityId)})` });
    ok = false;
  } else {
    const problem = entityIdProblem(entityId);
    if (problem) {
      problems.push({ row, field: columns.entityIdColumn, reason: problem });
      ok = false;
    }
  }
  const numeric = typeof eventTime === 'number' || (typeof eventTime === 'string' && NUMBER.test(eventTime.trim()));
  const time = parseEventTime(eventTime, numeric ? 'numeric' : 'string');
  if (!time.ok) {
    problems.push({ row, field: columns.eventTimeColumn, reason: time.reason });
    ok = false;
  }
  const labelValue = label === undefined || (fromCsv && label === '') ? null : label;
  if (labelValue === null) {
    problems.push({ row, field: columns.labelColumn, reason: 'the label is missing' });
    ok = false;
  } else if (!['string', 'number', 'boolean'].includes(typeof labelValue)) {
    problems.push({ row, field: columns.labelColumn, reason: `expected text, a number or a boolean (got ${shown(labelValue)})` });
    ok = false;
  }
  if (!ok || !time.ok) return undefined;
  return { row, entityId: entityId as string, eventTimeMs: time.value, eventTime: eventTime as FeatureValue, label: labelValue as FeatureValue };
}

/** The training set as CSV (RFC 4180 quoting; missing values are empty cells). */
export function trainingSetCsv(set: Pick<TrainingSet, 'columns' | 'rows'>): string {
  const cell = (value: FeatureValue | undefined): string => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [set.columns.map((c) => cell(c)).join(',')];
  for (const row of set.rows) lines.push(set.columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\n')}\n`;
}
