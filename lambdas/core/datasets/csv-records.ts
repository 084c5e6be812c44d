/**
 * Reads CSV bytes record by record with csv-parse (sync API) without keeping the records:
 * each one goes to a callback and is dropped (`on_record` returns null), so memory stays
 * flat however many rows the file has.
 *
 * csv-parse's own line counter counts a CRLF inside a quoted field as two lines and
 * reports the *end* of a record, so we keep our own physical line numbers: every record
 * gets the line it starts on, which is what a person opening the file needs.
 */
import { CsvError, parse } from 'csv-parse/sync';

export type CsvSyntaxCode = 'unterminated_quote' | 'invalid_quote' | 'csv_syntax';

export interface CsvSyntaxProblem {
  readonly code: CsvSyntaxCode;
  /** 1-based physical line the problem starts on. */
  readonly line: number;
  /** 0-based position of the field in its record, when csv-parse knows it. */
  readonly fieldIndex?: number;
  readonly message: string;
}

export interface CsvRecordHandlers {
  /** The first record. Return `false` to stop reading. */
  onHeader(fields: string[], line: number): boolean;
  /** Every later record (empty lines are skipped). Return `false` to stop reading. */
  onRecord(fields: string[], line: number): boolean;
  /** A record csv-parse could not read; it is skipped and reading goes on. */
  onSyntaxProblem(problem: CsvSyntaxProblem): void;
}

export interface CsvReadSummary {
  /** Records after the header that reached `onRecord`. */
  readonly records: number;
  readonly stoppedEarly: boolean;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/** The bytes without a leading UTF-8 byte order mark. */
export function stripUtf8Bom(bytes: Uint8Array): Uint8Array {
  return hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes;
}

/** Line breaks inside a record's fields (CRLF counts once) and how many were CRLF. */
function innerLineBreaks(fields: readonly string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const field of fields) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 13) {
        breaks++;
        if (field.charCodeAt(i + 1) === 10) {
          crlf++;
          i++;
        }
      } else if (c === 10) {
        breaks++;
      }
    }
  }
  return { breaks, crlf };
}

/** Internal signal to stop csv-parse from inside `on_record`. */
class StopReading extends Error {
  constructor() {
    super('stop reading');
    this.name = 'StopReading';
  }
}

function numberField(error: CsvError, key: string): number | undefined {
  const value = error[key];
  return typeof value === 'number' ? value : undefined;
}

function describeProblem(error: CsvError, line: number, endLine: number): CsvSyntaxProblem {
  const field = numberField(error, 'column');
  const fieldIndex = field === undefined ? {} : { fieldIndex: field };
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        code: 'unterminated_quote',
        line,
        message: `a quoted field that starts on line ${line} is never closed (the file ends at line ${endLine} still inside the quotes)`,
      };
    case 'INVALID_OPENING_QUOTE':
      return {
        code: 'invalid_quote',
        line: endLine,
        ...fieldIndex,
        message: `a quote appears in the middle of an unquoted field on line ${endLine}; quote the whole field and double any quote inside it ("")`,
      };
    case 'CSV_INVALID_CLOSING_QUOTE':
      return {
        code: 'invalid_quote',
        line: endLine,
        ...fieldIndex,
        message: `a closing quote on line ${endLine} is followed by other characters instead of a comma or the end of the line`,
      };
    default:
      return { code: 'csv_syntax', line: endLine, ...fieldIndex, message: `${error.code}: ${error.message}` };
  }
}

/**
 * Feeds each record of `bytes` (UTF-8 CSV, comma-separated, header first) to `handlers`.
 * A leading UTF-8 BOM is skipped. Never throws for malformed CSV: problems go to
 * `onSyntaxProblem`.
 */
export function readCsvRecords(bytes: Uint8Array, handlers: CsvRecordHandlers): CsvReadSummary {
  const body = stripUtf8Bom(bytes);
  let records = 0;
  let headerSeen = false;
  let stoppedEarly = false;

  // Line bookkeeping (see the file comment).
  let lastEnd = 0;
  let lastInfoLines = 0;
  let lastEmptyLines = 0;
  let crlfCorrection = 0;
  let inSync = true;
  // After a bad closing quote csv-parse stays inside the quotes, so the "never closed" error
  // that may follow is the same problem: report it once.
  let insideBadQuote = false;

  const deliver = (fields: string[], line: number): void => {
    const keepGoing = headerSeen ? handlers.onRecord(fields, line) : handlers.onHeader(fields, line);
    if (headerSeen) records++;
    headerSeen = true;
    if (!keepGoing) {
      stoppedEarly = true;
      throw new StopReading();
    }
  };

  try {
    parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
      bom: false,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error === undefined) return undefined;
        const endLine = (numberField(error, 'lines') ?? lastEnd + 1) - crlfCorrection;
        const emptyLines = numberField(error, 'empty_lines') ?? lastEmptyLines;
        const startLine = inSync ? lastEnd + 1 + (emptyLines - lastEmptyLines) : endLine;
        const repeat = insideBadQuote && error.code === 'CSV_QUOTE_NOT_CLOSED';
        if (!repeat) handlers.onSyntaxProblem(describeProblem(error, Math.min(startLine, endLine), endLine));
        insideBadQuote = error.code === 'CSV_INVALID_CLOSING_QUOTE';
        lastEnd = endLine;
        inSync = false;
        return undefined;
      },
      on_record: (fields: string[], info) => {
        const emptyDelta = info.empty_lines - lastEmptyLines;
        let start: number;
        let end: number;
        if (inSync && info.lines - lastInfoLines === 1 + emptyDelta) {
          start = lastEnd + 1 + emptyDelta;
          end = start;
        } else {
          const inner = innerLineBreaks(fields);
          crlfCorrection += inner.crlf;
          end = info.lines - crlfCorrection;
          start = end - inner.breaks;
        }
        lastEnd = end;
        lastInfoLines = info.lines;
        lastEmptyLines = info.empty_lines;
        inSync = true;
        insideBadQuote = false;
        deliver(fields, start);
        return null;
      },
    });
  } catch (error) {
    if (error instanceof StopReading) return { records, stoppedEarly };
    if (!(error instanceof CsvError)) throw error;
    handlers.onSyntaxProblem(describeProblem(error, lastEnd + 1, lastEnd + 1));
  }
  return { records, stoppedEarly };
}
