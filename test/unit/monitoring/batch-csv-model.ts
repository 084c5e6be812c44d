/**
 * A plain model of `readBatchCsv` for the property tests: the whole file decoded to text,
 * records split character by character, every cell read from its text with the profiler's
 * rules (`classifyCell`, `Number()`, `String.prototype.trim`). Slow and obvious on purpose;
 * the reader must give the same table, or throw the same message, for any input.
 */
import { classifyCell, isNumericKind } from '../../../lambdas/core/datasets/cell-kind';
import { DistinctEstimator } from '../../../lambdas/core/datasets/fingerprint';
import { BatchCsvError, MAX_NEW_CATEGORIES, type BatchTable, type ColumnData, type ColumnPlan } from '../../../lambdas/core/monitoring/columnar-csv';

const STRAY_QUOTE = 'a quote appears in the middle of an unquoted field; quote the whole field and double any quote inside it ("")';

interface RecordText {
  readonly fields: { readonly text: string; readonly quoted: boolean }[];
  readonly next: number;
  /** Line ends read, the record's own included. */
  readonly lines: number;
}

/** One record from `start` (not an empty line). */
function readRecord(text: string, start: number, line: number): RecordText {
  const fields: { text: string; quoted: boolean }[] = [];
  let p = start;
  let lines = 0;
  for (;;) {
    if (text[p] === '"') {
      const opened = line + lines;
      let value = '';
      p++;
      for (;;) {
        if (p >= text.length) throw new BatchCsvError(`line ${opened}: a quoted field is never closed (the file ends inside the quotes)`);
        const c = text[p];
        if (c === '"' && text[p + 1] === '"') {
          value += '"';
          p += 2;
        } else if (c === '"') {
          p++;
          break;
        } else {
          if (c === '\n' || (c === '\r' && text[p + 1] !== '\n')) lines++;
          value += c;
          p++;
        }
      }
      if (p < text.length && text[p] !== ',' && text[p] !== '\n' && text[p] !== '\r') {
        throw new BatchCsvError(`line ${line + lines}: a closing quote is followed by other characters instead of a comma or the end of the line`);
      }
      fields.push({ text: value, quoted: true });
    } else {
      let value = '';
      while (p < text.length && text[p] !== ',' && text[p] !== '\n' && text[p] !== '\r') {
        if (text[p] === '"') throw new BatchCsvError(`line ${line + lines}: ${STRAY_QUOTE}`);
        value += text[p];
        p++;
      }
      fields.push({ text: value, quoted: false });
    }
    if (p >= text.length) return { fields, next: p, lines };
    if (text[p] === ',') {
      p++;
      continue;
    }
    p += text[p] === '\r' && text[p + 1] === '\n' ? 2 : 1;
    return { fields, next: p, lines: lines + 1 };
  }
}

const shorten = (text: string): string => (text.length > 40 ? `${text.slice(0, 39)}…` : text);

function numericColumn(name: string, integral: boolean, cells: readonly string[]): ColumnData {
  const values: number[] = [];
  let missing = 0;
  let mismatched = 0;
  let nonIntegral = 0;
  const mismatchExamples: string[] = [];
  for (const cell of cells) {
    const kind = classifyCell(cell);
    if (kind === 'missing') {
      missing++;
      continue;
    }
    const value = isNumericKind(kind) ? Number(cell) : Number.NaN;
    if (Number.isFinite(value)) {
      values.push(value);
      if (integral && !Number.isInteger(value)) nonIntegral++;
    } else {
      mismatched++;
      if (mismatchExamples.length < 5) mismatchExamples.push(shorten(cell.trim()));
    }
  }
  return { kind: 'numeric', name, values: Float64Array.from(values), missing, mismatched, nonIntegral, mismatchExamples };
}

function categoricalColumn(name: string, plan: ColumnPlan, cells: readonly string[]): ColumnData {
  const lower = (text: string): string => (plan.lowercase ? text.toLowerCase() : text);
  const counts = new Map<string, number>();
  for (const known of plan.knownCategories ?? []) counts.set(lower(known), 0);
  const limit = counts.size + MAX_NEW_CATEGORIES;
  let missing = 0;
  let untracked = 0;
  let estimator: DistinctEstimator | undefined;
  for (const cell of cells) {
    const text = lower(cell.trim());
    if (cell.trim() === '') {
      missing++;
    } else if (counts.has(text) || counts.size < limit) {
      counts.set(text, (counts.get(text) ?? 0) + 1);
    } else {
      untracked++;
      if (estimator === undefined) {
        estimator = new DistinctEstimator();
        for (const tracked of counts.keys()) estimator.add(tracked);
      }
      estimator.add(text);
    }
  }
  for (const [category, count] of counts) if (count === 0) counts.delete(category);
  const distinct = estimator === undefined ? counts.size : Math.max(estimator.estimate(), counts.size);
  return { kind: 'categorical', name, counts, missing, untracked, distinct };
}

/** The model's reading of a batch (see the file comment). */
export function modelReadBatchCsv(input: Uint8Array, plan: (header: readonly string[]) => readonly ColumnPlan[]): BatchTable {
  const bom = input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf;
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bom ? input.subarray(3) : input);
  let p = 0;
  let line = 1;
  while (p < text.length && (text[p] === '\n' || text[p] === '\r')) {
    if (text[p] === '\n' || text[p + 1] !== '\n') line++;
    p++;
  }
  if (p >= text.length) throw new BatchCsvError('the batch CSV has no header row');
  const headerRecord = readRecord(text, p, line);
  const header = headerRecord.fields.map((field) => field.text.trim());
  header.forEach((name, i) => {
    if (name === '') throw new BatchCsvError(`header column ${i + 1} has no name`);
    if (header.indexOf(name) !== i) throw new BatchCsvError(`column "${name}" appears twice in the header`);
  });
  p = headerRecord.next;
  line += headerRecord.lines;
  const plans = plan(header);
  const cells: string[][] = header.map(() => []);
  let rows = 0;
  while (p < text.length) {
    if (text[p] === '\n' || text[p] === '\r') {
      p += text[p] === '\r' && text[p + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const record = readRecord(text, p, line);
    if (record.fields.length !== header.length) {
      const n = record.fields.length;
      throw new BatchCsvError(`line ${line} has ${n} field${n === 1 ? '' : 's'}, expected ${header.length} like the header`);
    }
    record.fields.forEach((field, i) => cells[i].push(field.text));
    p = record.next;
    line += record.lines;
    rows++;
  }
  const columns = new Map<string, ColumnData>();
  plans.forEach((columnPlan, i) => {
    if (columnPlan.kind === 'fractional' || columnPlan.kind === 'integral') columns.set(header[i], numericColumn(header[i], columnPlan.kind === 'integral', cells[i]));
    else if (columnPlan.kind === 'categorical') columns.set(header[i], categoricalColumn(header[i], columnPlan, cells[i]));
  });
  return { rows, header, columns };
}
