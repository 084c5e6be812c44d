/**
 * Structured findings of dataset validation, and a collector that keeps the report small:
 * a validation result travels through Step Functions (256 KB per state), so only the first
 * few issues of each kind are kept, while totals count every one.
 */

/** Problems that reject a dataset. */
export type DatasetErrorCode =
  | 'empty_file'
  | 'too_large'
  | 'invalid_utf8'
  | 'missing_header'
  | 'blank_column_name'
  | 'duplicate_column_name'
  | 'too_many_columns'
  | 'no_data_rows'
  | 'too_many_rows'
  | 'ragged_row'
  | 'unterminated_quote'
  | 'invalid_quote'
  | 'csv_syntax'
  | 'missing_target_column'
  | 'missing_target_value'
  | 'target_not_binary'
  | 'target_not_numeric'
  | 'positive_label_not_found'
  | 'missing_entity_id_column'
  | 'missing_entity_id'
  | 'type_mismatch'
  | 'non_finite_number';

/** Findings worth a look that do not reject a dataset. */
export type DatasetWarningCode =
  | 'duplicate_rows'
  | 'duplicate_entity_ids'
  | 'empty_column'
  | 'constant_column'
  | 'header_looks_like_data'
  | 'possible_pii';

export type DatasetIssueCode = DatasetErrorCode | DatasetWarningCode;

export interface DatasetIssue<C extends DatasetIssueCode = DatasetIssueCode> {
  readonly code: C;
  /** One sentence that says what is wrong and where. */
  readonly message: string;
  /** 1-based physical line of the file (the header is line 1). */
  readonly line?: number;
  /** Column name (or `#N` for an unnamed column at 1-based position N). */
  readonly column?: string;
  /** The offending cell, shortened; never set for PII or entity ids. */
  readonly value?: string;
}

export interface IssueTotals<C extends DatasetIssueCode = DatasetIssueCode> {
  /** Every issue found, including those not listed. */
  readonly total: number;
  readonly byCode: Partial<Record<C, number>>;
  /** True when some issues were counted but not listed. */
  readonly truncated: boolean;
}

/** Longest cell text echoed back in an issue. */
export const MAX_VALUE_CHARS = 40;

/** Shortens a cell for a report. */
export function shortValue(value: string): string {
  return value.length <= MAX_VALUE_CHARS ? value : `${value.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

export class IssueCollector<C extends DatasetIssueCode> {
  private readonly stored: DatasetIssue<C>[] = [];
  private readonly storedByCode = new Map<C, number>();
  private readonly counts = new Map<C, number>();
  private total = 0;

  constructor(
    private readonly maxListed = 50,
    private readonly maxListedPerCode = 10,
  ) {}

  add(issue: DatasetIssue<C>): void {
    this.count(issue.code, 1);
    const listed = this.storedByCode.get(issue.code) ?? 0;
    if (listed >= this.maxListedPerCode || this.stored.length >= this.maxListed) return;
    this.storedByCode.set(issue.code, listed + 1);
    this.stored.push(issue);
  }

  /** Counts issues of `code` that are not listed one by one. */
  count(code: C, howMany: number): void {
    if (howMany <= 0) return;
    this.total += howMany;
    this.counts.set(code, (this.counts.get(code) ?? 0) + howMany);
  }

  /** How many issues of `code` can still be listed. */
  room(code: C): number {
    const listed = this.storedByCode.get(code) ?? 0;
    return Math.max(0, Math.min(this.maxListedPerCode - listed, this.maxListed - this.stored.length));
  }

  get size(): number {
    return this.total;
  }

  /** Listed issues: file-level ones first, then by line. */
  list(): DatasetIssue<C>[] {
    return this.stored
      .map((issue, order) => ({ issue, order }))
      .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.order - b.order)
      .map(({ issue }) => issue);
  }

  totals(): IssueTotals<C> {
    const byCode: Partial<Record<C, number>> = {};
    for (const [code, n] of this.counts) byCode[code] = n;
    return { total: this.total, byCode, truncated: this.total > this.stored.length };
  }
}
