/**
 * CSV at batch scale: finding record boundaries in a byte stream (so chunks are byte ranges
 * that start and end on record boundaries), splitting a chunk's text into records and a
 * record into fields. RFC 4180 quoting is honoured everywhere: a newline inside a quoted
 * field does not end a record, so a chunk boundary never falls inside one.
 *
 * Row numbers count records with the header as row 1 (the line number unless a quoted field
 * spans lines), as tabular.ts does. Blank records (an empty line) keep their row number but
 * are neither scored nor rejected.
 */
import { BatchFileError } from './errors';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];
/** A header longer than this is not a CSV header (or the file has no newline at all). */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** One chunk of the input: the bytes [start, end) hold `rows` whole records from row `firstRow`. */
export interface ChunkRange {
  /** 1-based, in file order. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstRow: number;
  readonly rows: number;
}

export interface ScannedFile {
  /** The header record's text (BOM and line end removed). */
  readonly headerText: string;
  readonly chunks: readonly ChunkRange[];
  /** Records after the header, blank ones included. */
  readonly records: number;
  readonly bytes: number;
}

/**
 * Feeds a file's bytes in pieces of any size and records where every `rowsPerChunk`-th
 * record ends. One pass, constant memory apart from the header.
 */
export class RecordBoundaryScanner {
  /** Absolute offset of the next byte. */
  private offset = 0;
  private inQuote = false;
  private headerParts: Uint8Array[] | undefined = [];
  private headerLength = 0;
  private headerText = '';
  private records = 0;
  private chunkStart = 0;
  private chunkRows = 0;
  private readonly chunks: ChunkRange[] = [];
  private lastByte = -1;

  constructor(private readonly rowsPerChunk: number) {
    if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) throw new RangeError(`rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
  }

  /** The header, as soon as its record has ended (undefined before). */
  get header(): string | undefined {
    return this.headerParts === undefined ? this.headerText : undefined;
  }

  push(piece: Uint8Array): void {
    const base = this.offset;
    const n = piece.length;
    let i = 0;
    let inQuote = this.inQuote;
    if (this.headerParts !== undefined) {
      for (; i < n; i++) {
        const byte = piece[i];
        if (byte === QUOTE) inQuote = !inQuote;
        else if (byte === NEWLINE && !inQuote) break;
      }
      this.headerParts.push(piece.subarray(0, i));
      this.headerLength += i;
      if (this.headerLength > MAX_HEADER_BYTES) throw new BatchFileError(`the header is longer than ${MAX_HEADER_BYTES} bytes (is this a CSV file with line ends?)`, 1);
      if (i < n) {
        this.endHeader();
        i++;
        this.chunkStart = base + i;
      }
    }
    // Native indexOf scans for newlines and quotes; the next quote's position is cached so
    // quote-free data is read once, not once per line.
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let quote = -2;
    while (i < n) {
      if (quote !== -1 && quote < i) quote = bytes.indexOf(QUOTE, i);
      if (inQuote) {
        if (quote < 0) break;
        inQuote = false;
        i = quote + 1;
        continue;
      }
      const newline = bytes.indexOf(NEWLINE, i);
      if (quote >= 0 && (newline < 0 || quote < newline)) {
        inQuote = true;
        i = quote + 1;
        continue;
      }
      if (newline < 0) break;
      this.records++;
      if (++this.chunkRows === this.rowsPerChunk) this.closeChunk(base + newline + 1);
      i = newline + 1;
    }
    this.inQuote = inQuote;
    if (n > 0) this.lastByte = piece[n - 1];
    this.offset = base + n;
  }

  private endHeader(): void {
    const bytes = Buffer.concat(this.headerParts ?? []);
    const start = BOM.every((b, k) => bytes[k] === b) ? 3 : 0;
    this.headerText = stripCarriageReturn(bytes.toString('utf8', start));
    this.headerParts = undefined;
  }

  private closeChunk(end: number): void {
    this.chunks.push({ index: this.chunks.length + 1, start: this.chunkStart, end, firstRow: 2 + this.records - this.chunkRows, rows: this.chunkRows });
    this.chunkStart = end;
    this.chunkRows = 0;
  }

  /** Ends the scan: the last record may lack its newline. */
  finish(): ScannedFile {
    if (this.inQuote) throw new BatchFileError('a quoted field is not closed before the end of the file', 2 + this.records);
    if (this.headerParts !== undefined) {
      if (this.headerLength === 0) throw new BatchFileError('the file is empty (no header, no rows)');
      this.endHeader();
      this.chunkStart = this.offset;
    }
    if (this.offset > this.chunkStart) {
      // A last record without a newline (a trailing newline already closed its record).
      if (this.lastByte !== NEWLINE) this.records++;
      this.chunkRows += this.lastByte !== NEWLINE ? 1 : 0;
      if (this.chunkRows > 0) this.closeChunk(this.offset);
    }
    if (this.records === 0) throw new BatchFileError('the file has a header but no data rows');
    return { headerText: this.headerText, chunks: this.chunks, records: this.records, bytes: this.offset };
  }
}

/** Scans a whole file given as an async stream of pieces (an S3 body, a file stream). */
export async function scanRecordBoundaries(source: AsyncIterable<Uint8Array>, rowsPerChunk: number): Promise<ScannedFile> {
  const scanner = new RecordBoundaryScanner(rowsPerChunk);
  for await (const piece of source) scanner.push(piece);
  return scanner.finish();
}

function stripCarriageReturn(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** One record of a chunk: its row number and its text without the line end. */
export interface RawRecord {
  readonly row: number;
  readonly text: string;
}

/**
 * Splits a chunk's text into records (quote-aware), numbering them from `firstRow`. A record
 * whose line end is CRLF loses the CR. Calls `visit` for each, blank ones included.
 */
export function forEachRecord(text: string, firstRow: number, visit: (text: string, row: number) => void): number {
  let row = firstRow;
  let start = 0;
  const length = text.length;
  // The next quote's position, cached: searching from every line start would read quote-free text once per line.
  let quote = -2;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    if (quote !== -1 && quote < start) quote = text.indexOf('"', start);
    // Fast path: no quote in the line. Otherwise extend until the quotes balance.
    if (quote >= 0 && quote < end) {
      let quotes = 0;
      let scanFrom = start;
      for (;;) {
        while (quote >= 0 && quote < end) {
          quotes++;
          quote = text.indexOf('"', quote + 1);
        }
        if (quotes % 2 === 0 || end === length) break;
        scanFrom = end + 1;
        end = text.indexOf('\n', scanFrom);
        if (end < 0) end = length;
      }
    }
    const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    visit(text.slice(start, lineEnd), row);
    row++;
    start = end + 1;
  }
  return row - firstRow;
}

/**
 * `forEachRecord` over a chunk's bytes: the same records (a quote or a newline byte is never
 * part of a UTF-8 multi-byte sequence, so bytes split where text does), given as byte ranges
 * [start, end) without the line end (a CR before the LF, or at the very end, is left out).
 */
export function forEachRecordBytes(bytes: Uint8Array, firstRow: number, visit: (start: number, end: number, row: number) => void): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = buffer.length;
  let row = firstRow;
  let start = 0;
  let quote = -2;
  while (start < length) {
    let end = buffer.indexOf(NEWLINE, start);
    if (end < 0) end = length;
    if (quote !== -1 && quote < start) quote = buffer.indexOf(QUOTE, start);
    if (quote >= 0 && quote < end) {
      let quotes = 0;
      for (;;) {
        while (quote >= 0 && quote < end) {
          quotes++;
          quote = buffer.indexOf(QUOTE, quote + 1);
        }
        if (quotes % 2 === 0 || end === length) break;
        end = buffer.indexOf(NEWLINE, end + 1);
        if (end < 0) end = length;
      }
    }
    visit(start, end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end, row);
    row++;
    start = end + 1;
  }
  return row - firstRow;
}

/** A CSV cell, quoted when it needs to be. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A record's fields (RFC 4180), or the reason it cannot be read. Cells are not trimmed here. */
export function splitFields(text: string): string[] | { readonly reason: string } {
  if (text.indexOf('"') < 0) return text.split(',');
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    // Leading spaces before an opening quote are allowed (cells are trimmed afterwards).
    let j = i;
    while (j < n && text.charCodeAt(j) === 32) j++;
    if (j < n && text.charCodeAt(j) === 34) {
      let value = '';
      let k = j + 1;
      for (;;) {
        const close = text.indexOf('"', k);
        if (close < 0) return { reason: `field ${fields.length + 1}: a quoted field is not closed` };
        value += text.slice(k, close);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          k = close + 2;
          continue;
        }
        k = close + 1;
        break;
      }
      while (k < n && text.charCodeAt(k) === 32) k++;
      fields.push(value);
      if (k === n) return fields;
      if (text.charCodeAt(k) !== 44) return { reason: `field ${fields.length}: characters after the closing quote` };
      i = k + 1;
    } else {
      const comma = text.indexOf(',', i);
      const value = comma < 0 ? text.slice(i) : text.slice(i, comma);
      if (value.indexOf('"') >= 0) return { reason: `field ${fields.length + 1}: a quote inside an unquoted field` };
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}
