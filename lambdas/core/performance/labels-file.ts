/**
 * A ground-truth (labels) file checked at the edge, before anything is joined: which column
 * is which, and every bad row with its line, column and value, so a person can fix the
 * file in one go. `ground-truth.ts` parseLabelsCsv is the quick reader for simple files;
 * this one is what `lumina labels put` (and a labels-prefix drop) runs on files from
 * outside: RFC 4180 quoting, header aliases, duplicate request ids, and the project's own
 * column names and positive label.
 *
 * Columns (header names compared case-insensitively, ignoring spaces, `_` and `-`):
 * - request id: `request_id` (the id the endpoint answered with, `x-request-id`);
 * - entity id: `entity_id`, or the project's entity id column (e.g. `patient_id`);
 * - outcome: `outcome`, `label`, or the project's target column;
 * - optional event time: `observed_at`, `event_time`, `outcome_at` or `timestamp` (ISO 8601).
 * At least one id column and the outcome are required; a row needs one of its ids.
 *
 * Outcomes: 1/0, true/false, yes/no, y/n, t/f (any case), numbers equal to 1 or 0, and the
 * project's positive label (as 1). Anything else is a problem: a typo must not become a 0.
 */
import { readCsvRecords } from '../datasets/csv-records';
import type { OutcomeRow } from './ground-truth';

export interface LabelsFileOptions {
  /** The project's entity id column, accepted as the entity column. @default - only entity_id */
  readonly entityIdColumn?: string;
  /** The project's target column, accepted as the outcome column. @default - only outcome and label */
  readonly targetColumn?: string;
  /** The project's positive label, read as an outcome of 1. @default - the binary words only */
  readonly positiveLabel?: string;
  /** Most problems kept in the error (the count stays exact). @default 100 */
  readonly maxProblems?: number;
}

export interface LabelsProblem {
  /** 1-based physical line in the file (the header is line 1). */
  readonly line: number;
  /** The header name of the cell at fault, when one cell is. */
  readonly column?: string;
  /** The cell's text (cut to 80 characters), when one cell is at fault. */
  readonly value?: string;
  readonly message: string;
}

/** The header name found for each role. */
export interface LabelsColumns {
  readonly requestId?: string;
  readonly entityId?: string;
  readonly outcome: string;
  readonly observedAt?: string;
}

export interface ParsedLabelsFile {
  readonly columns: LabelsColumns;
  readonly rows: readonly OutcomeRow[];
  readonly positives: number;
}

export class LabelsValidationError extends Error {
  constructor(
    /** The first `maxProblems` problems, in file order. */
    readonly problems: readonly LabelsProblem[],
    /** Every problem found, also those not kept. */
    readonly problemCount: number,
  ) {
    super(`the labels file has ${problemCount} problem${problemCount === 1 ? '' : 's'}: ${problems.slice(0, 3).map(describeLabelsProblem).join('; ')}${problemCount > 3 ? '; …' : ''}`);
    this.name = 'LabelsValidationError';
  }
}

/** One problem as a line of text: `line 4, column outcome ("maybe"): …`. */
export function describeLabelsProblem(problem: LabelsProblem): string {
  const column = problem.column === undefined ? '' : `, column ${problem.column}`;
  const value = problem.value === undefined ? '' : ` (${JSON.stringify(problem.value)})`;
  return `line ${problem.line}${column}${value}: ${problem.message}`;
}

/** Longest id accepted (the endpoint's limit for entity ids). */
export const MAX_ID_LENGTH = 256;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'f']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const normalise = (name: string): string => name.trim().toLowerCase().replace(/[\s_-]/g, '');
const shown = (text: string): string => (text.length > 80 ? `${text.slice(0, 79)}…` : text);

type Role = keyof LabelsColumns;

function roleNames(options: LabelsFileOptions): Record<Role, Set<string>> {
  const withProject = (names: string[], project: string | undefined): Set<string> => new Set(project && normalise(project) !== '' ? [...names, normalise(project)] : names);
  return {
    requestId: new Set(['requestid']),
    entityId: withProject(['entityid'], options.entityIdColumn),
    outcome: withProject(['outcome', 'label'], options.targetColumn),
    observedAt: new Set(['observedat', 'eventtime', 'outcomeat', 'timestamp']),
  };
}

/** Header names → the index of each role's column, or the header's problems. */
function mapHeader(header: readonly string[], options: LabelsFileOptions): { indexes: Partial<Record<Role, number>>; problems: LabelsProblem[] } {
  const names = roleNames(options);
  const indexes: Partial<Record<Role, number>> = {};
  const problems: LabelsProblem[] = [];
  const seen = new Map<string, number>();
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (name === '') {
      problems.push({ line: 1, message: `header field ${index + 1} is empty; every column needs a name` });
      return;
    }
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) problems.push({ line: 1, column: name, message: `the column name repeats header field ${earlier + 1}` });
    seen.set(name.toLowerCase(), index);
    for (const role of Object.keys(names) as Role[]) {
      if (!names[role].has(normalise(name))) continue;
      const taken = indexes[role];
      if (taken !== undefined) problems.push({ line: 1, column: name, message: `both "${header[taken].trim()}" and "${name}" would be the ${roleText(role)} column; keep one` });
      else indexes[role] = index;
    }
  });
  const columns = header.map((h) => h.trim()).join(', ');
  if (indexes.outcome === undefined) problems.push({ line: 1, message: `no outcome column: name one "outcome"${options.targetColumn ? `, "label" or "${options.targetColumn}"` : ' or "label"'} (columns: ${columns})` });
  if (indexes.requestId === undefined && indexes.entityId === undefined) {
    problems.push({ line: 1, message: `no column to join on: add "request_id"${options.entityIdColumn ? `, "entity_id" or "${options.entityIdColumn}"` : ' or "entity_id"'} (columns: ${columns})` });
  }
  return { indexes, problems };
}

function roleText(role: Role): string {
  return { requestId: 'request id', entityId: 'entity id', outcome: 'outcome', observedAt: 'event time' }[role];
}

/** The outcome a cell means, or undefined. */
export function outcomeOf(text: string, positiveLabel?: string): 0 | 1 | undefined {
  const value = text.trim();
  if (positiveLabel !== undefined && positiveLabel.trim() !== '' && value.toLowerCase() === positiveLabel.trim().toLowerCase()) return 1;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return 1;
  if (FALSE_WORDS.has(word)) return 0;
  if (value !== '' && Number.isFinite(Number(value))) {
    const n = Number(value);
    if (n === 1) return 1;
    if (n === 0) return 0;
  }
  return undefined;
}

/** Reads and checks a labels file; throws LabelsValidationError with every problem, else returns every row. */
export function parseLabelsFile(bytes: Uint8Array, options: LabelsFileOptions = {}): ParsedLabelsFile {
  const maxProblems = options.maxProblems ?? 100;
  const problems: LabelsProblem[] = [];
  let problemCount = 0;
  const problem = (p: LabelsProblem): void => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(p);
  };
  let header: string[] | undefined;
  let indexes: Partial<Record<Role, number>> = {};
  const rows: OutcomeRow[] = [];
  const requestLines = new Map<string, number>();
  const accepted = options.positiveLabel && outcomeOf(options.positiveLabel) === undefined ? `the positive label "${options.positiveLabel}", ` : '';

  readCsvRecords(bytes, {
    onHeader: (fields) => {
      header = fields;
      const mapped = mapHeader(fields, options);
      indexes = mapped.indexes;
      mapped.problems.forEach(problem);
      // Without the columns every row would only repeat the header's problem.
      return mapped.problems.length === 0;
    },
    onRecord: (fields, line) => {
      const head = header!;
      if (fields.length === 1 && fields[0].trim() === '') return true;
      if (fields.length !== head.length) {
        problem({ line, message: `${fields.length} fields, the header has ${head.length}${fields.length > head.length ? ' (an unquoted comma inside a value?)' : ''}` });
        return true;
      }
      const cell = (role: Role): { column: string; text: string } | undefined => {
        const index = indexes[role];
        return index === undefined ? undefined : { column: head[index].trim(), text: fields[index].trim() };
      };
      let ok = true;
      const fail = (p: LabelsProblem): void => {
        ok = false;
        problem(p);
      };

      const outcomeCell = cell('outcome')!;
      const outcome = outcomeOf(outcomeCell.text, options.positiveLabel);
      if (outcomeCell.text === '') fail({ line, column: outcomeCell.column, message: 'the outcome is empty' });
      else if (outcome === undefined) fail({ line, column: outcomeCell.column, value: shown(outcomeCell.text), message: `not an outcome: use ${accepted}1/0, true/false or yes/no` });

      const request = cell('requestId');
      const entity = cell('entityId');
      for (const id of [request, entity]) {
        if (id && id.text.length > MAX_ID_LENGTH) fail({ line, column: id.column, value: shown(id.text), message: `longer than ${MAX_ID_LENGTH} characters` });
      }
      if (!request?.text && !entity?.text) {
        const names = [request?.column, entity?.column].filter((n): n is string => n !== undefined);
        fail({ line, column: names.join('/'), message: `no id to join on: set ${names.join(' or ')}` });
      }
      if (request?.text) {
        const earlier = requestLines.get(request.text);
        if (earlier !== undefined) fail({ line, column: request.column, value: shown(request.text), message: `the request id is already on line ${earlier}; give each prediction one outcome` });
        else requestLines.set(request.text, line);
      }

      const time = cell('observedAt');
      let observedAt: string | undefined;
      if (time?.text) {
        const at = Date.parse(time.text);
        if (!ISO_DATE.test(time.text) || Number.isNaN(at)) fail({ line, column: time.column, value: shown(time.text), message: 'not an ISO 8601 date or time (e.g. 2026-03-02 or 2026-03-02T09:30:00Z)' });
        else observedAt = new Date(at).toISOString();
      }

      if (ok && outcome !== undefined) {
        rows.push({ line, ...(request?.text ? { requestId: request.text } : {}), ...(entity?.text ? { entityId: entity.text } : {}), outcome, ...(observedAt ? { observedAt } : {}) });
      }
      return true;
    },
    onSyntaxProblem: (p) => problem({ line: p.line, ...(p.fieldIndex !== undefined && header?.[p.fieldIndex] !== undefined ? { column: header[p.fieldIndex].trim() } : {}), message: p.message }),
  });

  if (header === undefined) problem({ line: 1, message: 'the file is empty: expected a header line, e.g. request_id,outcome' });
  else if (problemCount === 0 && rows.length === 0) problem({ line: 2, message: 'the file has a header but no outcome rows' });
  if (problemCount > 0) throw new LabelsValidationError(problems, problemCount);

  const column = (role: Role): string | undefined => (indexes[role] === undefined ? undefined : header![indexes[role]!].trim());
  return {
    columns: { outcome: column('outcome')!, ...(column('requestId') ? { requestId: column('requestId') } : {}), ...(column('entityId') ? { entityId: column('entityId') } : {}), ...(column('observedAt') ? { observedAt: column('observedAt') } : {}) },
    rows,
    positives: rows.filter((r) => r.outcome === 1).length,
  };
}
