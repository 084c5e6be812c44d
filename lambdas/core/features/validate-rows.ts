/**
 * Checks ingested data against a feature group version before anything is written: every
 * problem is collected with its row (a CSV's physical line, or a record's 1-based position)
 * and column. Rows come back typed, with the event time in epoch milliseconds.
 *
 * A file may not hold two rows for one entity at one event time: which value was true would
 * be a guess. (Across ingestions the later one wins; see README.md.)
 */
import { readCsvRecords } from '../datasets/csv-records';
import { type FeatureGroupRecord, type FeatureSpec } from './definition';
import { FeatureDataRejectedError, type InputProblem } from './errors';
import { entityIdProblem } from './keys';
import { type FeatureValue, type Parsed, parseCsvCell, parseEventTime, parseRecordValue, shown } from './values';

export interface ValidatedFeatureRow {
  /** CSV: the physical line the record starts on; records: the 1-based position. */
  readonly row: number;
  readonly entityId: string;
  readonly eventTimeMs: number;
  /** Every column of the definition in its order, typed (the event time as the column holds it). */
  readonly values: Readonly<Record<string, FeatureValue>>;
}

/** Problems kept for the error; a million bad rows still make a readable error. */
const MAX_PROBLEMS = 1000;

class ProblemList {
  readonly problems: InputProblem[] = [];
  private dropped = 0;
  add(problem: InputProblem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
    else this.dropped++;
  }
  get empty(): boolean {
    return this.problems.length === 0;
  }
  all(): InputProblem[] {
    return this.dropped === 0 ? this.problems : [...this.problems, { field: '(data)', reason: `${this.dropped} more problems not listed` }];
  }
}

/** Reads one row's cells with `parse`, checks the entity id, event time and duplicates. */
function rowChecker(record: FeatureGroupRecord, problems: ProblemList) {
  const seen = new Map<string, number>();
  const timeFeature = record.features.find((f) => f.name === record.eventTimeColumn)!;
  return (row: number, cell: (feature: FeatureSpec) => Parsed<FeatureValue>, rawTime: unknown): ValidatedFeatureRow | undefined => {
    const values: Record<string, FeatureValue> = {};
    let bad = false;
    for (const feature of record.features) {
      if (feature.name === record.eventTimeColumn) continue;
      const parsed = cell(feature);
      if (!parsed.ok) {
        problems.add({ row, field: feature.name, reason: parsed.reason });
        bad = true;
        continue;
      }
      values[feature.name] = parsed.value;
    }
    const entityId = values[record.entityIdColumn];
    if (!bad) {
      const problem = entityId === null ? 'the entity id is missing' : entityIdProblem(String(entityId));
      if (problem) {
        problems.add({ row, field: record.entityIdColumn, reason: problem });
        bad = true;
      }
    }
    const time = parseEventTime(rawTime, timeFeature.type);
    if (!time.ok) {
      problems.add({ row, field: record.eventTimeColumn, reason: time.reason });
      return undefined;
    }
    if (bad) return undefined;
    const key = `${time.value}\u0000${entityId}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.add({ row, field: record.eventTimeColumn, reason: `entity ${shown(entityId)} already has a row at this event time (row ${earlier}); one value per entity and time` });
      return undefined;
    }
    seen.set(key, row);
    // The event time as its column's type holds it: ISO text as given, or epoch seconds as a number.
    const timeValue: FeatureValue = timeFeature.type === 'numeric' ? Number(String(rawTime).trim()) : String(rawTime);
    const ordered: Record<string, FeatureValue> = {};
    for (const feature of record.features) ordered[feature.name] = feature.name === record.eventTimeColumn ? timeValue : values[feature.name];
    return { row, entityId: String(entityId), eventTimeMs: time.value, values: ordered };
  };
}

/** Validates CSV text (UTF-8, header first, comma-separated) against a version; throws FeatureDataRejectedError listing every problem. */
export function validateFeatureCsv(record: FeatureGroupRecord, csv: string | Uint8Array): ValidatedFeatureRow[] {
  const bytes = typeof csv === 'string' ? new TextEncoder().encode(csv) : csv;
  const problems = new ProblemList();
  const rows: ValidatedFeatureRow[] = [];
  const check = rowChecker(record, problems);
  let columnIndex = new Map<string, number>();
  let width = 0;
  let headerOk = false;
  readCsvRecords(bytes, {
    onHeader: (fields, line) => {
      width = fields.length;
      const duplicates = fields.filter((f, i) => fields.indexOf(f) !== i);
      for (const name of new Set(duplicates)) problems.add({ row: line, field: name, reason: 'the header names this column more than once' });
      columnIndex = new Map(fields.map((f, i) => [f, i]));
      const missing = record.features.filter((f) => !columnIndex.has(f.name)).map((f) => f.name);
      if (missing.length > 0) problems.add({ row: line, field: missing.join(', '), reason: `the header lacks ${missing.length === 1 ? 'this column' : 'these columns'} of ${record.name} v${record.version}` });
      const known = new Set(record.features.map((f) => f.name));
      for (const name of fields.filter((f) => !known.has(f))) {
        problems.add({ row: line, field: name === '' ? '(empty header)' : name, reason: `not a feature of ${record.name} v${record.version} (register a new version to add it)` });
      }
      headerOk = problems.empty;
      return headerOk;
    },
    onRecord: (fields, line) => {
      if (fields.length !== width) {
        problems.add({ row: line, field: '(row)', reason: `has ${fields.length} fields, the header has ${width}` });
        return true;
      }
      const timeIndex = columnIndex.get(record.eventTimeColumn)!;
      const row = check(line, (feature) => parseCsvCell(fields[columnIndex.get(feature.name)!], feature), fields[timeIndex]);
      if (row) rows.push(row);
      return true;
    },
    onSyntaxProblem: (problem) => problems.add({ row: problem.line, field: problem.fieldIndex === undefined ? '(row)' : `(field ${problem.fieldIndex + 1})`, reason: problem.message }),
  });
  if (width === 0 && problems.empty) problems.add({ row: 1, field: '(header)', reason: 'the file is empty: the first line must name the columns' });
  else if (headerOk && rows.length === 0 && problems.empty) problems.add({ row: 2, field: '(data)', reason: 'the file has a header but no data rows' });
  if (!problems.empty) throw new FeatureDataRejectedError(record.name, record.version, problems.all());
  return rows;
}

/** Validates records (a pipeline step's JSON) against a version; values keep their JSON types (see values.ts). */
export function validateFeatureRecords(record: FeatureGroupRecord, records: readonly unknown[]): ValidatedFeatureRow[] {
  const problems = new ProblemList();
  const rows: ValidatedFeatureRow[] = [];
  const check = rowChecker(record, problems);
  const known = new Set(record.features.map((f) => f.name));
  records.forEach((value, index) => {
    const row = index + 1;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.add({ row, field: '(record)', reason: `expected an object of column values (got ${Array.isArray(value) ? 'an array' : shown(value)})` });
      return;
    }
    const fields = value as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !known.has(k));
    for (const name of unknown) problems.add({ row, field: name, reason: `not a feature of ${record.name} v${record.version}` });
    if (unknown.length > 0) return;
    const validated = check(row, (feature) => parseRecordValue(fields[feature.name], feature), fields[record.eventTimeColumn]);
    if (validated) rows.push(validated);
  });
  if (records.length === 0) problems.add({ row: 0, field: '(data)', reason: 'there are no records' });
  if (!problems.empty) throw new FeatureDataRejectedError(record.name, record.version, problems.all());
  return rows;
}
