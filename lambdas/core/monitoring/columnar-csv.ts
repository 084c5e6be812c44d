/**
 * Reads an inference batch (CSV bytes) straight into columns: numbers into Float64Arrays,
 * categories into counts. It exists because the monitor must handle a million rows by
 * fifty features in seconds, and the record-at-a-time csv-parse path the training pipeline
 * uses takes about 7 s for 1M x 30 on its own. It reads bytes, never builds a row, and
 * decodes text only for quoted fields, non-ASCII cells and new categories; each byte of an
 * unquoted cell is read once (see `readBatchCsv`).
 *
 * It reads cells exactly as the profiler does (`cell-kind.ts`): blanks trimmed, empty is
 * missing, numbers by the same grammar and `Number()`'s value (the fast path is Clinger's:
 * an integer mantissa below 2^53 times or over a power of ten up to 10^22 is exactly
 * rounded; anything else falls back to `Number()` on the text). Text cells are trimmed
 * with `String.prototype.trim` semantics. A cell's text is what csv-parse gives the
 * profiler: a U+FEFF at a cell's start is kept, invalid UTF-8 becomes U+FFFD.
 *
 * CSV: RFC 4180 (comma, double quotes with "" escapes, LF or CRLF line ends; a lone CR
 * also ends a record), a UTF-8 BOM is skipped, empty lines are skipped. A record whose
 * field count differs from the header's, a quote inside an unquoted field, text after a
 * closing quote and an unterminated quote are errors naming the line.
 */
import { classifyCell, isNumericKind } from '../datasets/cell-kind';
import { stripUtf8Bom } from '../datasets/csv-records';
import { DistinctEstimator } from '../datasets/fingerprint';

/** How a column is read: as numbers (integral: non-integers are type mismatches too), categories, or not at all. */
export type ColumnReadKind = 'fractional' | 'integral' | 'categorical' | 'skip';

export interface ColumnPlan {
  readonly kind: ColumnReadKind;
  /** Categories whose spelling is case-insensitive (a boolean baseline): counted in lower case. */
  readonly lowercase?: boolean;
  /** Categories always tracked (the baseline's), however many new ones the batch has. */
  readonly knownCategories?: readonly string[];
}

export interface NumericColumnData {
  readonly kind: 'numeric';
  readonly name: string;
  /** The present, finite numbers in row order. */
  readonly values: Float64Array;
  /** Empty cells. */
  readonly missing: number;
  /** Present cells that are not finite numbers (text, booleans, NaN/Infinity): counted as missing too, like the profiler. */
  readonly mismatched: number;
  /** Numbers with a fractional part in an integral column (kept as values). */
  readonly nonIntegral: number;
  /** A few mismatched cells, shortened, for the report. */
  readonly mismatchExamples: readonly string[];
}

export interface CategoricalColumnData {
  readonly kind: 'categorical';
  readonly name: string;
  /** Count per tracked category (trimmed; lower case when the plan says so). */
  readonly counts: ReadonlyMap<string, number>;
  readonly missing: number;
  /** Present values beyond the tracking limit (all new categories). */
  readonly untracked: number;
  /** Distinct values, estimated when some were untracked. */
  readonly distinct: number;
}

export type ColumnData = NumericColumnData | CategoricalColumnData;

export interface BatchTable {
  readonly rows: number;
  /** Header names, trimmed, in file order. */
  readonly header: readonly string[];
  /** The columns read (planned other than `skip`), by name. */
  readonly columns: ReadonlyMap<string, ColumnData>;
}

/** Raised when the batch CSV cannot be read; names the line and the reason. */
export class BatchCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchCsvError';
  }
}

/** New categories tracked per column beyond the known ones; then only counted (like the profiler's limit). */
export const MAX_NEW_CATEGORIES = 10_000;
const EXAMPLES = 5;
/** Rows read before the numeric columns are sized for the whole batch. */
const SIZING_ROWS = 1024;
const EXAMPLE_CHARS = 40;

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
/** Mantissas below this are accumulated exactly (2^53 itself may be a rounded 2^53 + 1). */
const MAX_EXACT_MANTISSA = 2 ** 53;
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

// A cell's text as csv-parse (the profiler) gives it: a byte order mark at a cell's start is text.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function strayQuote(line: number): BatchCsvError {
  return new BatchCsvError(`line ${line}: a quote appears in the middle of an unquoted field; quote the whole field and double any quote inside it ("")`);
}

function shorten(text: string): string {
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS - 1)}…` : text;
}

class NumericSink {
  values = new Float64Array(4096);
  count = 0;
  missing = 0;
  mismatched = 0;
  nonIntegral = 0;
  readonly examples: string[] = [];

  constructor(
    readonly name: string,
    private readonly integral: boolean,
  ) {}

  grow(): void {
    this.reserve(this.values.length * 2);
  }

  /** Room for `capacity` values (the batch's estimated rows: growing by doubling costs copies and page faults). */
  reserve(capacity: number): void {
    if (capacity <= this.values.length) return;
    const grown = new Float64Array(capacity);
    grown.set(this.values.subarray(0, this.count));
    this.values = grown;
  }

  push(value: number): void {
    if (this.count === this.values.length) this.grow();
    this.values[this.count++] = value;
    if (this.integral && !Number.isInteger(value)) this.nonIntegral++;
  }

  addText(text: string): void {
    const kind = classifyCell(text);
    if (kind === 'missing') {
      this.missing++;
      return;
    }
    const value = isNumericKind(kind) ? Number(text) : Number.NaN;
    if (Number.isFinite(value)) {
      this.push(value);
    } else {
      this.mismatched++;
      if (this.examples.length < EXAMPLES) this.examples.push(shorten(text.trim()));
    }
  }

  /** An unquoted cell off the record loop's fast path: blanks trimmed, a plain decimal read here, anything else by `addText`. */
  addBytes(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    let e = end;
    while (i < e && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
    while (e > i && (bytes[e - 1] === SPACE || bytes[e - 1] === TAB)) e--;
    if (i === e) {
      this.missing++;
      return;
    }
    let negative = false;
    let c = bytes[i];
    if (c === MINUS) {
      negative = true;
      i++;
    } else if (c === PLUS) {
      i++;
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    while (i < e) {
      c = bytes[i] - ZERO;
      if (c < 0 || c > 9) break;
      mantissa = mantissa * 10 + c;
      digits++;
      i++;
    }
    if (i < e && bytes[i] === DOT) {
      i++;
      while (i < e) {
        c = bytes[i] - ZERO;
        if (c < 0 || c > 9) break;
        mantissa = mantissa * 10 + c;
        fraction++;
        i++;
      }
    }
    // Exponents, words, non-ASCII, long mantissas: the general path.
    if (i !== e || digits + fraction === 0 || mantissa >= MAX_EXACT_MANTISSA || fraction > 22) {
      this.addText(decoder.decode(bytes.subarray(start, end)));
      return;
    }
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
    this.push(negative ? -value : value);
  }

  finish(): NumericColumnData {
    return {
      kind: 'numeric',
      name: this.name,
      // A copy when most of the room was not needed (an estimate from unrepresentative first rows).
      values: this.count * 2 < this.values.length ? this.values.slice(0, this.count) : this.values.subarray(0, this.count),
      missing: this.missing,
      mismatched: this.mismatched,
      nonIntegral: this.nonIntegral,
      mismatchExamples: this.examples,
    };
  }
}

/** ASCII whitespace that `String.prototype.trim` removes. */
function isAsciiSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

/**
 * Counts categories without decoding known ones: a byte-keyed open-addressing table maps
 * a cell's bytes to a category id; a category's text is decoded once, when first seen.
 * A table slot holds the id (−1: empty), the bytes' hash, and where its bytes are kept.
 */
class CategoricalSink {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private counts = new Float64Array(64);
  private slotIds = new Int32Array(1024).fill(-1);
  private slotHashes = new Int32Array(1024);
  private slotStarts = new Int32Array(1024);
  private slotLengths = new Int32Array(1024);
  private keyBytes = new Uint8Array(1024);
  private keyView = new DataView(this.keyBytes.buffer);
  private keyBytesUsed = 0;
  private byteEntries = 0;
  private readonly limit: number;
  private estimator?: DistinctEstimator;
  missing = 0;
  untracked = 0;

  constructor(
    readonly name: string,
    private readonly lowercase: boolean,
    known: readonly string[],
  ) {
    for (const category of known) this.idOf(this.lowercase ? category.toLowerCase() : category, true);
    this.limit = this.names.length + MAX_NEW_CATEGORIES;
  }

  private idOf(text: string, force = false): number {
    const existing = this.ids.get(text);
    if (existing !== undefined) return existing;
    if (!force && this.names.length >= this.limit) return -1;
    const id = this.names.length;
    this.names.push(text);
    this.ids.set(text, id);
    if (id === this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    return id;
  }

  private countUntracked(text: string): void {
    this.untracked++;
    if (this.estimator === undefined) {
      this.estimator = new DistinctEstimator();
      for (const name of this.names) this.estimator.add(name);
    }
    this.estimator.add(text);
  }

  addText(raw: string): void {
    let text = raw.trim();
    if (text === '') {
      this.missing++;
      return;
    }
    if (this.lowercase) text = text.toLowerCase();
    const id = this.idOf(text);
    if (id === -1) this.countUntracked(text);
    else this.counts[id]++;
  }

  addBytes(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    let i = start;
    let e = end;
    while (i < e && isAsciiSpace(bytes[i])) i++;
    while (e > i && isAsciiSpace(bytes[e - 1])) e--;
    if (i === e) {
      this.missing++;
      return;
    }
    // FNV-1a; non-ASCII bytes (other Unicode blanks may need trimming) take the text path.
    let hash = FNV_OFFSET;
    for (let j = i; j < e; j++) {
      const c = bytes[j];
      if (c >= 0x80) {
        this.addText(decoder.decode(bytes.subarray(start, end)));
        return;
      }
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    this.addHashed(bytes, view, i, e, hash);
  }

  /** A trimmed, non-empty ASCII cell [i, e) and its FNV-1a hash (`view` is over `bytes`). */
  addHashed(bytes: Uint8Array, view: DataView, i: number, e: number, hash: number): void {
    const mask = this.slotIds.length - 1;
    let slot = hash & mask;
    const length = e - i;
    for (;;) {
      const id = this.slotIds[slot];
      if (id === -1) break;
      if (this.slotHashes[slot] === hash && this.slotLengths[slot] === length && this.sameBytes(this.slotStarts[slot], bytes, view, i, length)) {
        this.counts[id]++;
        return;
      }
      slot = (slot + 1) & mask;
    }
    let text = decoder.decode(bytes.subarray(i, e));
    if (this.lowercase) text = text.toLowerCase();
    const id = this.idOf(text);
    // Untracked values are not remembered by bytes: the table stays bounded.
    if (id === -1) {
      this.countUntracked(text);
      return;
    }
    this.counts[id]++;
    this.remember(slot, hash, bytes, i, e, id);
  }

  /** keyBytes[k, k + length) against bytes[i, i + length), four bytes at a time (the last four may overlap). */
  private sameBytes(k: number, bytes: Uint8Array, view: DataView, i: number, length: number): boolean {
    if (length < 4) {
      for (let j = 0; j < length; j++) if (this.keyBytes[k + j] !== bytes[i + j]) return false;
      return true;
    }
    const keys = this.keyView;
    for (let j = 0; j + 4 < length; j += 4) if (keys.getInt32(k + j, true) !== view.getInt32(i + j, true)) return false;
    return keys.getInt32(k + length - 4, true) === view.getInt32(i + length - 4, true);
  }

  private remember(slot: number, hash: number, bytes: Uint8Array, start: number, end: number, id: number): void {
    const length = end - start;
    while (this.keyBytesUsed + length > this.keyBytes.length) {
      const grown = new Uint8Array(this.keyBytes.length * 2);
      grown.set(this.keyBytes);
      this.keyBytes = grown;
      this.keyView = new DataView(grown.buffer);
    }
    this.keyBytes.set(bytes.subarray(start, end), this.keyBytesUsed);
    this.slotIds[slot] = id;
    this.slotHashes[slot] = hash;
    this.slotStarts[slot] = this.keyBytesUsed;
    this.slotLengths[slot] = length;
    this.keyBytesUsed += length;
    this.byteEntries++;
    if (this.byteEntries * 2 > this.slotIds.length) this.rehash();
  }

  private rehash(): void {
    const ids = this.slotIds;
    const hashes = this.slotHashes;
    const starts = this.slotStarts;
    const lengths = this.slotLengths;
    const size = ids.length * 2;
    this.slotIds = new Int32Array(size).fill(-1);
    this.slotHashes = new Int32Array(size);
    this.slotStarts = new Int32Array(size);
    this.slotLengths = new Int32Array(size);
    const mask = size - 1;
    for (let s = 0; s < ids.length; s++) {
      if (ids[s] === -1) continue;
      let slot = hashes[s] & mask;
      while (this.slotIds[slot] !== -1) slot = (slot + 1) & mask;
      this.slotIds[slot] = ids[s];
      this.slotHashes[slot] = hashes[s];
      this.slotStarts[slot] = starts[s];
      this.slotLengths[slot] = lengths[s];
    }
  }

  finish(): CategoricalColumnData {
    const counts = new Map<string, number>();
    this.names.forEach((name, id) => {
      if (this.counts[id] > 0) counts.set(name, this.counts[id]);
    });
    const distinct = this.estimator === undefined ? counts.size : Math.max(this.estimator.estimate(), counts.size);
    return { kind: 'categorical', name: this.name, counts, missing: this.missing, untracked: this.untracked, distinct };
  }
}

type Sink = NumericSink | CategoricalSink | undefined;

/** Reads one record as text fields (the header); returns the fields and where the next record starts. */
function readTextRecord(bytes: Uint8Array, start: number, line: number): { fields: string[]; next: number; lines: number } {
  const fields: string[] = [];
  let p = start;
  let lines = 0;
  for (;;) {
    if (bytes[p] === QUOTE) {
      const quoted = readQuoted(bytes, p, line + lines);
      fields.push(quoted.text);
      lines += quoted.lines;
      p = quoted.next;
    } else {
      const fieldStart = p;
      while (p < bytes.length && bytes[p] !== COMMA && bytes[p] !== LF && bytes[p] !== CR) {
        if (bytes[p] === QUOTE) throw strayQuote(line + lines);
        p++;
      }
      fields.push(decoder.decode(bytes.subarray(fieldStart, p)));
    }
    if (p >= bytes.length) return { fields, next: p, lines };
    if (bytes[p] === COMMA) {
      p++;
      continue;
    }
    p += bytes[p] === CR && bytes[p + 1] === LF ? 2 : 1;
    return { fields, next: p, lines: lines + 1 };
  }
}

/**
 * A quoted field starting at `start` (the opening quote): its text (left empty unless
 * `decode`), line breaks inside, and the position after it.
 */
function readQuoted(bytes: Uint8Array, start: number, line: number, decode = true): { text: string; next: number; lines: number } {
  const parts: string[] = [];
  let p = start + 1;
  let segment = p;
  let lines = 0;
  for (;;) {
    if (p >= bytes.length) throw new BatchCsvError(`line ${line}: a quoted field is never closed (the file ends inside the quotes)`);
    const c = bytes[p];
    if (c === QUOTE) {
      if (decode) parts.push(decoder.decode(bytes.subarray(segment, p)));
      if (bytes[p + 1] === QUOTE) {
        if (decode) parts.push('"');
        p += 2;
        segment = p;
        continue;
      }
      p++;
      const after = bytes[p];
      if (p < bytes.length && after !== COMMA && after !== LF && after !== CR) {
        throw new BatchCsvError(`line ${line + lines}: a closing quote is followed by other characters instead of a comma or the end of the line`);
      }
      return { text: parts.join(''), next: p, lines };
    }
    if (c === LF || (c === CR && bytes[p + 1] !== LF)) lines++;
    p++;
  }
}

/** How the main loop reads a column. */
const READ_SKIP = 0;
const READ_FRACTIONAL = 1;
const READ_INTEGRAL = 2;
const READ_CATEGORICAL = 3;

/**
 * Reads the batch. `plan` sees the trimmed header and says how to read each column (by
 * position); columns planned `skip` cost only the scan over their bytes.
 *
 * The record loop reads each byte once: a numeric cell's digits are accumulated while the
 * field's end is looked for, a categorical cell is hashed on the way. Only cells off these
 * fast paths (quoted; blanks around; a numeric cell that is not a plain decimal of at most
 * 9 + 9 digits; non-ASCII) go to the sinks' general methods.
 */
export function readBatchCsv(input: Uint8Array, plan: (header: readonly string[]) => readonly ColumnPlan[]): BatchTable {
  const bytes = stripUtf8Bom(input);
  let p = 0;
  let line = 1;
  while (p < bytes.length && (bytes[p] === LF || bytes[p] === CR)) {
    if (bytes[p] === LF || bytes[p + 1] !== LF) line++;
    p++;
  }
  if (p >= bytes.length) throw new BatchCsvError('the batch CSV has no header row');
  const headerRecord = readTextRecord(bytes, p, line);
  const header = headerRecord.fields.map((field) => field.trim());
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new BatchCsvError(`header column ${i + 1} has no name`);
    if (seen.has(name)) throw new BatchCsvError(`column "${name}" appears twice in the header`);
    seen.add(name);
  });
  p = headerRecord.next;
  line += headerRecord.lines;

  const plans = plan(header);
  if (plans.length !== header.length) throw new Error(`the column plan has ${plans.length} entries for ${header.length} header columns`);
  const width = header.length;
  const sinks: Sink[] = plans.map((columnPlan, i) => {
    switch (columnPlan.kind) {
      case 'fractional':
      case 'integral':
        return new NumericSink(header[i], columnPlan.kind === 'integral');
      case 'categorical':
        return new CategoricalSink(header[i], columnPlan.lowercase ?? false, columnPlan.knownCategories ?? []);
      default:
        return undefined;
    }
  });
  // Per column, one array per sink type (a shared unused sink where the column is of another kind) so
  // that every access in the loop below sees one object shape.
  const unusedNumeric = new NumericSink('', false);
  const unusedCategorical = new CategoricalSink('', false, []);
  const kinds = new Uint8Array(width);
  const numeric: NumericSink[] = [];
  const categorical: CategoricalSink[] = [];
  sinks.forEach((sink, i) => {
    numeric.push(sink instanceof NumericSink ? sink : unusedNumeric);
    categorical.push(sink instanceof CategoricalSink ? sink : unusedCategorical);
    kinds[i] = sink instanceof NumericSink ? (plans[i].kind === 'integral' ? READ_INTEGRAL : READ_FRACTIONAL) : sink instanceof CategoricalSink ? READ_CATEGORICAL : READ_SKIP;
  });

  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataStart = p;
  let rows = 0;
  let c = 0;
  while (p < end) {
    if (rows === SIZING_ROWS) {
      // Sized from the first rows' bytes (a longer tail still grows by doubling), at most one
      // row per `width` bytes (a record has width − 1 commas and a line end, or two bytes).
      const estimate = Math.ceil(((end - dataStart) / (p - dataStart)) * SIZING_ROWS * 1.05) + SIZING_ROWS;
      const most = Math.ceil((end - dataStart + 1) / Math.max(width, 2)) + 1;
      for (const sink of numeric) if (sink !== unusedNumeric) sink.reserve(Math.min(estimate, most));
    }
    c = bytes[p];
    if (c === LF || c === CR) {
      // An empty line.
      p += c === CR && p + 1 < end && bytes[p + 1] === LF ? 2 : 1;
      line++;
      continue;
    }
    const recordLine = line;
    let field = 0;
    for (;;) {
      const kind = field < width ? kinds[field] : READ_SKIP;
      if (p < end && bytes[p] === QUOTE) {
        const quoted = readQuoted(bytes, p, line, kind !== READ_SKIP);
        line += quoted.lines;
        p = quoted.next;
        if (kind !== READ_SKIP) sinks[field]!.addText(quoted.text);
      } else if (kind === READ_FRACTIONAL || kind === READ_INTEGRAL) {
        // Fast path: [-+]digits[.digits] then the field's end, each part at most 9 digits (read
        // as int32s), the mantissa below 2^53 so exact: Clinger's exact case, Number()'s value.
        const start = p;
        let negative = false;
        if (p < end) {
          c = bytes[p];
          if (c === MINUS) {
            negative = true;
            p++;
          } else if (c === PLUS) {
            p++;
          }
        }
        let whole = 0;
        const wholeStart = p;
        while (p < end) {
          const digit = bytes[p] - ZERO;
          if (digit >>> 0 > 9) break;
          whole = (whole * 10 + digit) | 0;
          p++;
        }
        const wholeDigits = p - wholeStart;
        let part = 0;
        let fraction = 0;
        if (p < end && bytes[p] === DOT) {
          p++;
          const fractionStart = p;
          while (p < end) {
            const digit = bytes[p] - ZERO;
            if (digit >>> 0 > 9) break;
            part = (part * 10 + digit) | 0;
            p++;
          }
          fraction = p - fractionStart;
        }
        const sink = numeric[field];
        let exact = (p === end || (c = bytes[p]) === COMMA || c === LF || c === CR) && wholeDigits + fraction > 0 && wholeDigits <= 9 && fraction <= 9;
        let value = whole;
        if (exact && fraction > 0) {
          const scale = POW10[fraction];
          const mantissa = whole * scale + part;
          exact = mantissa < MAX_EXACT_MANTISSA;
          value = mantissa / scale;
        }
        if (exact) {
          if (negative) value = -value;
          if (sink.count === sink.values.length) sink.grow();
          sink.values[sink.count++] = value;
          if (fraction > 0 && kind === READ_INTEGRAL && !Number.isInteger(value)) sink.nonIntegral++;
        } else {
          while (p < end) {
            c = bytes[p];
            if (c <= COMMA) {
              if (c === COMMA || c === LF || c === CR) break;
              if (c === QUOTE) throw strayQuote(line);
            }
            p++;
          }
          sink.addBytes(bytes, start, p);
        }
      } else if (kind === READ_CATEGORICAL) {
        // FNV-1a over the cell while looking for its end; `high` flags non-ASCII bytes.
        const start = p;
        let hash = FNV_OFFSET;
        let high = 0;
        while (p < end) {
          c = bytes[p];
          if (c <= COMMA) {
            if (c === COMMA || c === LF || c === CR) break;
            if (c === QUOTE) throw strayQuote(line);
          }
          hash = Math.imul(hash ^ c, FNV_PRIME);
          high |= c;
          p++;
        }
        const sink = categorical[field];
        if (p > start && high < 0x80 && !isAsciiSpace(bytes[start]) && !isAsciiSpace(bytes[p - 1])) sink.addHashed(bytes, view, start, p, hash);
        else sink.addBytes(bytes, view, start, p);
      } else {
        while (p < end) {
          c = bytes[p];
          if (c <= COMMA) {
            if (c === COMMA || c === LF || c === CR) break;
            if (c === QUOTE) throw strayQuote(line);
          }
          p++;
        }
      }
      field++;
      if (p >= end) break;
      c = bytes[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      p += c === CR && p + 1 < end && bytes[p + 1] === LF ? 2 : 1;
      line++;
      break;
    }
    if (field !== width) {
      throw new BatchCsvError(`line ${recordLine} has ${field} field${field === 1 ? '' : 's'}, expected ${width} like the header`);
    }
    rows++;
  }

  const columns = new Map<string, ColumnData>();
  sinks.forEach((sink) => {
    if (sink !== undefined) columns.set(sink.name, sink.finish());
  });
  return { rows, header, columns };
}
