/**
 * The training pipeline's first step: is this CSV usable for training? One pass over the
 * bytes checks encoding, CSV structure, header, column types, the target and entity id
 * columns, duplicates and PII, and collects every failure (not just the first) as a
 * structured issue with its line and column. The result is plain JSON of bounded size:
 * it travels through Step Functions (256 KB per state), so lists are capped and totals
 * count the rest.
 *
 * Memory does not grow with the rows except for two fingerprint tables (duplicate rows
 * and entity ids, 12 bytes a slot): about 50 MB for a million rows.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { classifyCell, type CellKind, type ColumnType } from './cell-kind';
import { hasUtf8Bom, readCsvRecords, stripUtf8Bom, type CsvSyntaxProblem } from './csv-records';
import {
  IssueCollector,
  shortValue,
  type DatasetErrorCode,
  type DatasetIssue,
  type DatasetWarningCode,
  type IssueTotals,
} from './dataset-issues';
import { Fingerprint, FingerprintTable, fingerprintOf } from './fingerprint';
import { describePiiFinding, PiiScanner, type PiiFinding } from './pii-scan';
import { checkUtf8 } from './utf8-check';

/** An empty string means "not set", so a Lambda can pass optional settings straight from its environment. */
const optionalName = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value));

export const ValidationSpecSchema = z
  .object({
    targetColumn: z.string().trim().min(1, 'targetColumn must name a column'),
    entityIdColumn: optionalName,
    positiveLabel: optionalName,
    /**
     * `binary` (the default): the target must have exactly two classes. `continuous`: the
     * target must be numeric. `auto`: binary when the target has two distinct values,
     * otherwise continuous when it is numeric.
     */
    targetKind: z.enum(['binary', 'continuous', 'auto']).default('binary'),
    maxRows: z.number().int().positive().optional(),
    maxBytes: z.number().int().positive().optional(),
    /** Wider files are rejected: the column list must fit in the result. */
    maxColumns: z.number().int().positive().max(1000).default(500),
  })
  .refine((spec) => spec.entityIdColumn === undefined || spec.entityIdColumn !== spec.targetColumn, {
    message: 'entityIdColumn must differ from targetColumn',
    path: ['entityIdColumn'],
  });

export type ValidationSpec = z.input<typeof ValidationSpecSchema>;
type ParsedSpec = z.output<typeof ValidationSpecSchema>;

/** Raised when the validation settings themselves are wrong (not the dataset). */
export class ValidationSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid dataset validation spec: ${problems.join('; ')}`);
    this.name = 'ValidationSpecError';
  }
}

export interface ValidatedColumn {
  readonly name: string;
  readonly inferredType: ColumnType;
  readonly missing: number;
  /** Distinct non-missing values, counted up to `DISTINCT_CAP`. */
  readonly distinct: number;
  /** True when the column has more than `DISTINCT_CAP` distinct values. */
  readonly distinctCapped: boolean;
}

export type PositiveLabelSource = 'given' | 'known-pair' | 'minority-class';

export interface TargetSummary {
  readonly column: string;
  readonly kind: 'binary' | 'continuous';
  /** For a binary target: its classes with row counts (at most `MAX_TARGET_CLASSES`). */
  readonly classes?: readonly { readonly value: string; readonly count: number }[];
  /** For a valid binary target: the positive class, given or inferred. */
  readonly positiveLabel?: string;
  readonly positiveLabelSource?: PositiveLabelSource;
}

export interface DatasetValidation {
  readonly ok: boolean;
  /** Data rows read (the header excluded). */
  readonly rows: number;
  readonly bytes: number;
  /** SHA-256 of the bytes as received (BOM included), lowercase hex. */
  readonly sha256: string;
  readonly columns: readonly ValidatedColumn[];
  /** Errors: any one rejects the dataset. At most 50, at most 10 per code. */
  readonly issues: readonly DatasetIssue<DatasetErrorCode>[];
  readonly warnings: readonly DatasetIssue<DatasetWarningCode>[];
  readonly issueTotals: IssueTotals<DatasetErrorCode>;
  readonly warningTotals: IssueTotals<DatasetWarningCode>;
  /** Rows that exactly repeat an earlier row. */
  readonly duplicateRows: number;
  /** Rows whose entity id repeats an earlier row's. */
  readonly duplicateEntityIds: number;
  readonly target?: TargetSummary;
  /** PII findings, strongest first (at most 50). */
  readonly pii: readonly PiiFinding[];
}

/** Distinct values are counted exactly up to this many per column. */
export const DISTINCT_CAP = 1000;
/** A column is numeric when at least this share of its values are numbers; the rest are type errors. */
export const PREDOMINANTLY_NUMERIC = 0.9;
const MAX_TARGET_CLASSES = 20;
const MAX_SAMPLES_PER_COLUMN = 10;
const MAX_PII_FINDINGS = 50;

interface CellSample {
  readonly line: number;
  readonly value: string;
}

/** Per-column counters; bounded memory whatever the row count. */
class ColumnScan {
  missing = 0;
  integral = 0;
  fractional = 0;
  nonFinite = 0;
  booleans = 0;
  text = 0;
  readonly distinct = new Set<string>();
  distinctCapped = false;
  readonly notNumeric: CellSample[] = [];
  readonly nonFiniteSamples: CellSample[] = [];

  add(kind: CellKind, value: string, line: number): void {
    switch (kind) {
      case 'missing':
        this.missing++;
        return;
      case 'integral':
        this.integral++;
        break;
      case 'fractional':
        this.fractional++;
        break;
      case 'non-finite':
        this.nonFinite++;
        if (this.nonFiniteSamples.length < MAX_SAMPLES_PER_COLUMN) this.nonFiniteSamples.push({ line, value });
        break;
      case 'boolean':
        this.booleans++;
        if (this.notNumeric.length < MAX_SAMPLES_PER_COLUMN) this.notNumeric.push({ line, value });
        break;
      case 'string':
        this.text++;
        if (this.notNumeric.length < MAX_SAMPLES_PER_COLUMN) this.notNumeric.push({ line, value });
        break;
    }
    if (!this.distinctCapped) {
      this.distinct.add(value);
      if (this.distinct.size > DISTINCT_CAP) {
        this.distinctCapped = true;
        this.distinct.clear();
      }
    }
  }

  get present(): number {
    return this.integral + this.fractional + this.nonFinite + this.booleans + this.text;
  }

  /** The column's type, and whether its non-numbers are errors (a predominantly numeric column). */
  inferType(): ColumnType {
    const present = this.present;
    if (present === 0) return 'unknown';
    if (this.booleans === present) return 'boolean';
    const numbers = this.integral + this.fractional;
    if (numbers > 0 && (numbers + this.nonFinite) / present >= PREDOMINANTLY_NUMERIC) {
      return this.fractional > 0 ? 'fractional' : 'integral';
    }
    return 'string';
  }
}

/** The type validation infers for a column of these cells (what a dataset version records as inferredType). */
export function inferColumnType(cells: Iterable<string | null>): ColumnType {
  const scan = new ColumnScan();
  let line = 1;
  for (const cell of cells) scan.add(classifyCell(cell ?? ''), cell ?? '', ++line);
  return scan.inferType();
}

/** Pairs whose positive member is obvious (compared in lower case). */
const KNOWN_LABEL_PAIRS: readonly (readonly [negative: string, positive: string])[] = [
  ['0', '1'],
  ['false', 'true'],
  ['no', 'yes'],
  ['n', 'y'],
  ['negative', 'positive'],
  ['f', 't'],
];

function inferPositiveLabel(classes: readonly { value: string; count: number }[]): { label: string; source: PositiveLabelSource } {
  const lower = classes.map((c) => c.value.toLowerCase());
  for (const [negative, positive] of KNOWN_LABEL_PAIRS) {
    const p = lower.indexOf(positive);
    if (p !== -1 && lower.includes(negative)) return { label: classes[p].value, source: 'known-pair' };
  }
  // Otherwise the rarer class, as the event a classifier usually looks for (ties: the larger value).
  const [a, b] = classes;
  const minority = a.count < b.count || (a.count === b.count && a.value > b.value) ? a : b;
  return { label: minority.value, source: 'minority-class' };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function listValues(values: readonly string[], max = 5): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(shortValue(v)));
  return values.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}

function parseSpec(spec: ValidationSpec): ParsedSpec {
  const parsed = ValidationSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new ValidationSpecError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(spec)'}: ${issue.message}`));
  }
  return parsed.data;
}

/** Validates a training CSV. Never throws for a bad dataset (only for a bad `spec`). */
export function validateDataset(bytes: Uint8Array, spec: ValidationSpec): DatasetValidation {
  return new DatasetValidator(parseSpec(spec)).run(bytes);
}

class DatasetValidator {
  private readonly errors = new IssueCollector<DatasetErrorCode>();
  private readonly warnings = new IssueCollector<DatasetWarningCode>();
  private header: string[] = [];
  private scans: ColumnScan[] = [];
  private pii = new PiiScanner([]);
  private headerSeen = false;
  private rows = 0;
  /** Rows with as many fields as the header (the only ones whose values are checked). */
  private wellFormedRows = 0;
  private syntaxProblems = 0;
  private targetIndex = -1;
  private entityIndex = -1;
  private readonly targetCounts = new Map<string, number>();
  private targetMoreClasses = false;
  private readonly rowPrints = new FingerprintTable(4096);
  private readonly entityPrints = new FingerprintTable(4096);
  private readonly rowPrint = new Fingerprint();
  private duplicateRows = 0;
  private firstDuplicateRow?: { line: number; of: number };
  private duplicateEntityIds = 0;
  private firstDuplicateEntity?: { line: number; of: number };
  private target?: TargetSummary;
  private piiFindings: PiiFinding[] = [];

  constructor(private readonly spec: ParsedSpec) {}

  run(bytes: Uint8Array): DatasetValidation {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!this.checkFile(bytes)) return this.result(bytes, sha256);
    readCsvRecords(bytes, {
      onHeader: (fields, line) => this.onHeader(fields, line),
      onRecord: (fields, line) => this.onRecord(fields, line),
      onSyntaxProblem: (problem) => this.onSyntaxProblem(problem),
    });
    this.finish();
    return this.result(bytes, sha256);
  }

  /** File-level checks; false when reading the rows is pointless. */
  private checkFile(bytes: Uint8Array): boolean {
    if (bytes.length === 0) {
      this.errors.add({ code: 'empty_file', message: 'the file is empty (0 bytes)' });
      return false;
    }
    const { maxBytes } = this.spec;
    if (maxBytes !== undefined && bytes.length > maxBytes) {
      this.errors.add({ code: 'too_large', message: `the file has ${bytes.length} bytes, more than the limit of ${maxBytes}` });
      return false;
    }
    const body = stripUtf8Bom(bytes);
    if (body.every((b) => b === 32 || b === 9 || b === 10 || b === 13)) {
      const what = hasUtf8Bom(bytes) ? 'only a byte order mark and blank space' : 'only blank space';
      this.errors.add({ code: 'empty_file', message: `the file has no content (${what})` });
      return false;
    }
    const utf8 = checkUtf8(bytes, 10);
    for (const bad of utf8.invalid) {
      const utf16 = bad.offset === 0 && (bad.bytesHex.startsWith('ff fe') || bad.bytesHex.startsWith('fe ff'));
      const hint = utf16 ? ' (this looks like UTF-16; save the file as UTF-8)' : '';
      this.errors.add({
        code: 'invalid_utf8',
        line: bad.line,
        message: `bytes ${bad.bytesHex} at byte offset ${bad.offset} (line ${bad.line}) are not valid UTF-8${hint}`,
      });
    }
    this.errors.count('invalid_utf8', utf8.invalidCount - utf8.invalid.length);
    return true;
  }

  private columnLabel(index: number): string {
    const name = this.header[index];
    return name === undefined || name === '' ? `#${index + 1}` : name;
  }

  private onHeader(fields: string[], line: number): boolean {
    this.headerSeen = true;
    this.header = fields.map((field) => field.trim());
    const { maxColumns } = this.spec;
    if (this.header.every((name) => name === '')) {
      this.errors.add({ code: 'missing_header', line, message: `line ${line} should name the columns but is blank` });
      return false;
    }
    if (this.header.length > maxColumns) {
      this.errors.add({
        code: 'too_many_columns',
        line,
        message: `the header has ${this.header.length} columns, more than the limit of ${maxColumns}`,
      });
      return false;
    }
    const firstSeen = new Map<string, number>();
    this.header.forEach((name, index) => {
      if (name === '') {
        this.errors.add({ code: 'blank_column_name', line, column: `#${index + 1}`, message: `column ${index + 1} of the header has no name` });
        return;
      }
      const earlier = firstSeen.get(name);
      if (earlier === undefined) firstSeen.set(name, index);
      else
        this.errors.add({
          code: 'duplicate_column_name',
          line,
          column: name,
          message: `column name "${name}" appears twice in the header (columns ${earlier + 1} and ${index + 1})`,
        });
    });
    if (this.header.length > 1 && this.header.every((name) => classifyCell(name) === 'integral' || classifyCell(name) === 'fractional')) {
      this.warnings.add({ code: 'header_looks_like_data', line, message: 'every column name is a number: the file may lack a header row' });
    }
    this.scans = this.header.map(() => new ColumnScan());
    this.pii = new PiiScanner(this.header.map((_, index) => this.columnLabel(index)));
    this.targetIndex = this.findColumn(this.spec.targetColumn, 'missing_target_column', 'target', line);
    if (this.spec.entityIdColumn !== undefined) {
      this.entityIndex = this.findColumn(this.spec.entityIdColumn, 'missing_entity_id_column', 'entity id', line);
    }
    return true;
  }

  private findColumn(name: string, code: 'missing_target_column' | 'missing_entity_id_column', role: string, line: number): number {
    const index = this.header.indexOf(name);
    if (index !== -1) return index;
    const caseInsensitive = this.header.find((h) => h.toLowerCase() === name.toLowerCase());
    let hint = caseInsensitive === undefined ? '' : ` (there is a column "${caseInsensitive}": names are case-sensitive)`;
    if (this.header.length === 1) {
      const delimiter = [';', '\t', '|'].find((d) => this.header[0].includes(d));
      if (delimiter !== undefined) hint = ` (the header looks separated by ${JSON.stringify(delimiter)}; the file must be comma-separated)`;
    }
    this.errors.add({
      code,
      line,
      column: name,
      message: `${role} column "${name}" is not in the header (columns: ${listValues(this.header, 8)})${hint}`,
    });
    return -1;
  }

  private onRecord(fields: string[], line: number): boolean {
    this.rows++;
    const { maxRows } = this.spec;
    if (maxRows !== undefined && this.rows > maxRows) {
      this.errors.add({ code: 'too_many_rows', line, message: `the file has more than ${maxRows} data rows (the limit); reading stopped at line ${line}` });
      return false;
    }
    const width = this.header.length;
    if (fields.length !== width) {
      this.errors.add({
        code: 'ragged_row',
        line,
        message: `line ${line} has ${plural(fields.length, 'field')}, expected ${width} like the header`,
      });
      return true;
    }
    this.wellFormedRows++;
    for (let i = 0; i < width; i++) {
      const value = fields[i];
      const kind = classifyCell(value);
      this.scans[i].add(kind, value, line);
      // "+14155550123" reads as an integer, but a leading plus is how E.164 phone numbers look.
      if (kind === 'string' || (kind === 'integral' && value.charCodeAt(0) === 43)) this.pii.scan(i, value, line);
    }
    if (this.targetIndex !== -1) this.checkTargetCell(fields[this.targetIndex].trim(), line);
    if (this.entityIndex !== -1) this.checkEntityCell(fields[this.entityIndex].trim(), line);

    this.rowPrint.reset();
    for (let i = 0; i < width; i++) this.rowPrint.add(fields[i]);
    const row = this.rowPrint.digest();
    const firstLine = this.rowPrints.insert(row.hi, row.lo, line);
    if (firstLine !== -1) {
      this.duplicateRows++;
      this.firstDuplicateRow ??= { line, of: firstLine };
    }
    return true;
  }

  private checkTargetCell(value: string, line: number): void {
    if (value === '') {
      this.errors.add({ code: 'missing_target_value', line, column: this.spec.targetColumn, message: `line ${line} has no value in target column "${this.spec.targetColumn}"` });
      return;
    }
    const count = this.targetCounts.get(value);
    if (count !== undefined) this.targetCounts.set(value, count + 1);
    else if (this.targetCounts.size < MAX_TARGET_CLASSES) this.targetCounts.set(value, 1);
    else this.targetMoreClasses = true;
  }

  private checkEntityCell(value: string, line: number): void {
    const column = this.spec.entityIdColumn;
    if (value === '') {
      this.errors.add({ code: 'missing_entity_id', line, column, message: `line ${line} has no value in entity id column "${column}"` });
      return;
    }
    const id = fingerprintOf(value);
    const firstLine = this.entityPrints.insert(id.hi, id.lo, line);
    if (firstLine !== -1) {
      this.duplicateEntityIds++;
      this.firstDuplicateEntity ??= { line, of: firstLine };
    }
  }

  private onSyntaxProblem(problem: CsvSyntaxProblem): void {
    this.syntaxProblems++;
    const column = problem.fieldIndex === undefined || !this.headerSeen ? {} : { column: this.columnLabel(problem.fieldIndex) };
    this.errors.add({ code: problem.code, line: problem.line, ...column, message: problem.message });
  }

  private finish(): void {
    if (!this.headerSeen) {
      if (this.errors.size === 0) this.errors.add({ code: 'missing_header', message: 'no header row could be read' });
      return;
    }
    if (this.scans.length === 0) return;
    if (this.rows === 0) {
      const message = this.syntaxProblems > 0 ? 'no data row could be read (see the CSV syntax errors)' : 'the file has a header but no data rows';
      this.errors.add({ code: 'no_data_rows', message });
    }
    this.scans.forEach((scan, index) => this.finishColumn(scan, index));
    // Without one well-formed row, target checks would only repeat the errors above.
    if (this.wellFormedRows > 0) this.finishTarget();
    if (this.duplicateRows > 0 && this.firstDuplicateRow !== undefined) {
      const { line, of } = this.firstDuplicateRow;
      this.warnings.add({
        code: 'duplicate_rows',
        line,
        message: `exact duplicate rows: ${this.duplicateRows} (first: line ${line} repeats line ${of})`,
      });
    }
    if (this.duplicateEntityIds > 0 && this.firstDuplicateEntity !== undefined) {
      const { line, of } = this.firstDuplicateEntity;
      this.warnings.add({
        code: 'duplicate_entity_ids',
        line,
        column: this.spec.entityIdColumn,
        message: `rows that repeat an earlier row's entity id: ${this.duplicateEntityIds} (first: line ${line} repeats the id on line ${of}); splits keep an entity's rows together`,
      });
    }
    this.piiFindings = this.pii.findings().slice(0, MAX_PII_FINDINGS);
    for (const finding of this.piiFindings) {
      this.warnings.add({ code: 'possible_pii', column: finding.column, ...(finding.firstLine === undefined ? {} : { line: finding.firstLine }), message: describePiiFinding(finding) });
    }
  }

  private finishColumn(scan: ColumnScan, index: number): void {
    const column = this.columnLabel(index);
    const type = scan.inferType();
    if (this.wellFormedRows > 0 && type === 'unknown') {
      this.warnings.add({ code: 'empty_column', column, message: `column "${column}" has no values` });
    }
    if (!scan.distinctCapped && scan.distinct.size === 1 && this.wellFormedRows > 1) {
      this.warnings.add({ code: 'constant_column', column, message: `column "${column}" has the same value on every row that has one` });
    }
    if (type !== 'integral' && type !== 'fractional') return;
    const share = (((scan.integral + scan.fractional + scan.nonFinite) / scan.present) * 100).toFixed(1);
    const mismatches = scan.notNumeric.slice(0, this.errors.room('type_mismatch'));
    for (const sample of mismatches) {
      this.errors.add({
        code: 'type_mismatch',
        line: sample.line,
        column,
        value: shortValue(sample.value),
        message: `value ${JSON.stringify(shortValue(sample.value))} on line ${sample.line} in column "${column}" is not a number, but ${share}% of the column's values are numbers (leave the cell empty for a missing value)`,
      });
    }
    this.errors.count('type_mismatch', scan.booleans + scan.text - mismatches.length);
    const nonFinite = scan.nonFiniteSamples.slice(0, this.errors.room('non_finite_number'));
    for (const sample of nonFinite) {
      this.errors.add({
        code: 'non_finite_number',
        line: sample.line,
        column,
        value: shortValue(sample.value),
        message: `value ${JSON.stringify(shortValue(sample.value))} on line ${sample.line} in column "${column}" is not a finite number (leave the cell empty for a missing value)`,
      });
    }
    this.errors.count('non_finite_number', scan.nonFinite - nonFinite.length);
  }

  private finishTarget(): void {
    if (this.targetIndex === -1) return;
    const column = this.spec.targetColumn;
    const scan = this.scans[this.targetIndex];
    const classes = [...this.targetCounts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
    const distinct = this.targetMoreClasses ? MAX_TARGET_CLASSES + 1 : classes.length;
    const numeric = scan.inferType() === 'integral' || scan.inferType() === 'fractional';
    const kind = this.spec.targetKind === 'auto' ? (distinct !== 2 && numeric ? 'continuous' : 'binary') : this.spec.targetKind;
    if (kind === 'continuous') {
      this.target = { column, kind };
      if (!numeric && scan.present > 0) {
        this.errors.add({ code: 'target_not_numeric', column, message: `target column "${column}" must be numeric for a continuous target, but it is ${scan.inferType()}` });
      }
      return;
    }
    this.target = { column, kind, classes };
    if (distinct !== 2) {
      const detail =
        distinct === 0
          ? 'it has no values'
          : distinct === 1
            ? `it has only one class, ${JSON.stringify(shortValue(classes[0].value))} (${plural(classes[0].count, 'row')})`
            : `it has ${this.targetMoreClasses ? `more than ${MAX_TARGET_CLASSES}` : distinct} distinct values (${listValues(classes.map((c) => c.value))})`;
      this.errors.add({ code: 'target_not_binary', column, message: `target column "${column}" must have exactly two classes for binary classification, but ${detail}` });
      return;
    }
    const given = this.spec.positiveLabel;
    if (given !== undefined) {
      if (!classes.some((c) => c.value === given)) {
        this.errors.add({
          code: 'positive_label_not_found',
          column,
          message: `positive label ${JSON.stringify(given)} is not one of the target's classes (${listValues(classes.map((c) => c.value))})`,
        });
        return;
      }
      this.target = { column, kind, classes, positiveLabel: given, positiveLabelSource: 'given' };
      return;
    }
    const inferred = inferPositiveLabel(classes);
    this.target = { column, kind, classes, positiveLabel: inferred.label, positiveLabelSource: inferred.source };
  }

  private result(bytes: Uint8Array, sha256: string): DatasetValidation {
    const columns: ValidatedColumn[] = this.scans.map((scan, index) => ({
      name: this.columnLabel(index),
      inferredType: scan.inferType(),
      missing: scan.missing,
      distinct: scan.distinctCapped ? DISTINCT_CAP : scan.distinct.size,
      distinctCapped: scan.distinctCapped,
    }));
    return {
      ok: this.errors.size === 0,
      rows: this.rows,
      bytes: bytes.length,
      sha256,
      columns,
      issues: this.errors.list(),
      warnings: this.warnings.list(),
      issueTotals: this.errors.totals(),
      warningTotals: this.warnings.totals(),
      duplicateRows: this.duplicateRows,
      duplicateEntityIds: this.duplicateEntityIds,
      ...(this.target === undefined ? {} : { target: this.target }),
      pii: this.piiFindings,
    };
  }
}
