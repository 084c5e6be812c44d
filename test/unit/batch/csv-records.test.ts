import { BatchFileError } from '../../../lambdas/core/batch/errors';
import { type ChunkRange, forEachRecord, forEachRecordBytes, RecordBoundaryScanner, splitFields } from '../../../lambdas/core/batch/csv-records';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function scan(text: string, rowsPerChunk: number, pieceSize: number) {
  const bytes = encode(text);
  const scanner = new RecordBoundaryScanner(rowsPerChunk);
  for (let at = 0; at < bytes.length; at += pieceSize) scanner.push(bytes.subarray(at, at + pieceSize));
  return { bytes, scanned: scanner.finish() };
}

function recordsOf(bytes: Uint8Array, chunk: ChunkRange): { text: string; row: number }[] {
  const out: { text: string; row: number }[] = [];
  forEachRecord(decode(bytes.subarray(chunk.start, chunk.end)), chunk.firstRow, (text, row) => out.push({ text, row }));
  return out;
}

describe('RecordBoundaryScanner', () => {
  const rows = Array.from({ length: 23 }, (_, i) => `${i},"note ${i}${i % 5 === 0 ? '\nsecond line, with comma' : ''}",${i % 3 === 0 ? '"say ""hi"""' : 'x'}`);
  const text = `id,note,quote\n${rows.join('\n')}\n`;

  it.each([1, 3, 7, 64, 100_000])('cuts the same chunks on record boundaries whatever the piece size (%i bytes)', (pieceSize) => {
    // Act
    const { bytes, scanned } = scan(text, 5, pieceSize);

    // Assess
    expect(scanned.headerText).toBe('id,note,quote');
    expect(scanned.records).toBe(23);
    expect(scanned.chunks.map((c) => [c.firstRow, c.rows])).toEqual([[2, 5], [7, 5], [12, 5], [17, 5], [22, 3]]);
    const all = scanned.chunks.flatMap((chunk) => recordsOf(bytes, chunk));
    expect(all.map((r) => r.text)).toEqual(rows);
    expect(all.map((r) => r.row)).toEqual(rows.map((_, i) => i + 2));
    expect(scanned.chunks[scanned.chunks.length - 1].end).toBe(bytes.length);
    for (let k = 1; k < scanned.chunks.length; k++) expect(scanned.chunks[k].start).toBe(scanned.chunks[k - 1].end);
  });

  it('never ends a chunk inside a quoted field that holds a newline', () => {
    // Prepare: the 2nd record's quoted field spans three lines, right at the boundary
    const body = 'a,b\n1,x\n2,"line\nline\nline"\n3,y\n';

    // Act
    const { bytes, scanned } = scan(body, 2, 1);

    // Assess
    expect(scanned.chunks).toHaveLength(2);
    expect(recordsOf(bytes, scanned.chunks[0]).map((r) => r.text)).toEqual(['1,x', '2,"line\nline\nline"']);
    expect(recordsOf(bytes, scanned.chunks[1])).toEqual([{ text: '3,y', row: 4 }]);
  });

  it('handles a BOM, CRLF line ends and a last record without a newline', () => {
    // Act
    const { bytes, scanned } = scan('\uFEFFa,b\r\n1,2\r\n3,4', 10, 2);

    // Assess
    expect(scanned.headerText).toBe('a,b');
    expect(scanned.records).toBe(2);
    expect(recordsOf(bytes, scanned.chunks[0]).map((r) => r.text)).toEqual(['1,2', '3,4']);
  });

  it('refuses an unclosed quote, an empty file and a header without rows', () => {
    expect(() => scan('a,b\n1,2\n3,"open\n4,5\n', 10, 4)).toThrow(new BatchFileError('a quoted field is not closed before the end of the file', 3));
    expect(() => scan('', 10, 4)).toThrow('the file is empty');
    expect(() => scan('a,b\n', 10, 4)).toThrow('the file has a header but no data rows');
  });
});

describe('forEachRecordBytes', () => {
  it.each([
    ['plain lines', 'a,b\n1,2\n3,4\n'],
    ['CRLF, a blank line and no final newline', '1,2\r\n\r\n3,4\r'],
    ['quoted newlines and escaped quotes', '1,"x\ny",2\n3,"say ""hi""\n",4\n"\n"\n'],
    ['non-ASCII and a BOM', '\uFEFFé,ü\n"ß\n€",1\n'],
    ['an unclosed quote runs to the end', '1,2\n3,"open\n4,5\n'],
  ])('finds the records forEachRecord finds in the decoded text (%s)', (_, text) => {
    // Prepare
    const bytes = encode(text);
    const expected: [string, number][] = [];
    forEachRecord(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), 5, (record, row) => expected.push([record, row]));

    // Act
    const actual: [string, number][] = [];
    const count = forEachRecordBytes(bytes, 5, (start, end, row) => actual.push([decode(bytes.subarray(start, end)), row]));

    // Assess
    expect(actual.map(([record, row]) => [record.replace(/^\uFEFF/, ''), row])).toEqual(expected.map(([record, row]) => [record.replace(/^\uFEFF/, ''), row]));
    expect(count).toBe(expected.length);
  });
});

describe('splitFields', () => {
  it('reads quoted fields with commas, escaped quotes and newlines', () => {
    expect(splitFields('1, "a,b" ,"say ""hi""","two\nlines",')).toEqual(['1', 'a,b', 'say "hi"', 'two\nlines', '']);
    expect(splitFields('plain,cells,,')).toEqual(['plain', 'cells', '', '']);
  });

  it('names the field of a malformed quote', () => {
    expect(splitFields('1,ab"c,2')).toEqual({ reason: 'field 2: a quote inside an unquoted field' });
    expect(splitFields('1,"ab"c,2')).toEqual({ reason: 'field 2: characters after the closing quote' });
  });
});
