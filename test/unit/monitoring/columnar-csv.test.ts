/**
 * The columnar batch reader: the same cells as the profiler (quotes, blanks, numbers,
 * missing values), categories counted without rows, and errors that name the line.
 */
import { BatchCsvError, readBatchCsv, type ColumnPlan } from '../../../lambdas/core/monitoring/columnar-csv';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const plan =
  (...kinds: ColumnPlan[]) =>
  (): ColumnPlan[] =>
    kinds;

describe('readBatchCsv', () => {
  it('reads numbers by the profiler grammar and counts the rest as missing or mismatched', () => {
    const bytes = utf8('\uFEFFn,c\r\n 1.5 ,a\r\n-0.25,"b, c"\r\n,a\r\n1e3, a \r\nNaN,"say ""hi"""\r\n12345678901234567890,A\r\n\u00a07\u00a0,\r\n\r\n.5,x\n');
    const table = readBatchCsv(bytes, plan({ kind: 'fractional' }, { kind: 'categorical' }));
    expect(table.rows).toBe(8);
    expect(table.header).toEqual(['n', 'c']);
    const n = table.columns.get('n')!;
    if (n.kind !== 'numeric') throw new Error('n is numeric');
    expect(Array.from(n.values)).toEqual([1.5, -0.25, 1000, 12345678901234567890, 7, 0.5]);
    expect(n).toMatchObject({ missing: 1, mismatched: 1, mismatchExamples: ['NaN'] });
    const c = table.columns.get('c')!;
    if (c.kind !== 'categorical') throw new Error('c is categorical');
    expect(Object.fromEntries(c.counts)).toEqual({ a: 3, 'b, c': 1, 'say "hi"': 1, A: 1, x: 1 });
    expect(c.missing).toBe(1);
  });

  it('gives exactly Number()\'s value for decimals', () => {
    const cells = ['0.1', '0.3', '123.456', '-9007199254740.993', '3.14159265358979', '1.7976931348623157', '00042', '5.'];
    const table = readBatchCsv(utf8(['n', ...cells].join('\n')), plan({ kind: 'fractional' }));
    const n = table.columns.get('n')!;
    if (n.kind !== 'numeric') throw new Error('n is numeric');
    expect(Array.from(n.values)).toEqual(cells.map(Number));
  });

  it('gives exactly Number()\'s value where an accumulated mantissa reaches 2^53', () => {
    // 900719925.4740993 has the mantissa 2^53 + 1, which a double accumulates as 2^53.
    const cells = ['900719925.4740993', '90071992.54740993', '9007.199254740993', '9007199254740993', '-9007199254740.993'];
    const table = readBatchCsv(utf8(['n', ...cells].join('\n')), plan({ kind: 'fractional' }));
    const n = table.columns.get('n')!;
    if (n.kind !== 'numeric') throw new Error('n is numeric');
    expect(Array.from(n.values)).toEqual(cells.map(Number));
  });

  it('keeps a byte order mark inside a cell as text, as the profiler does (only the file\'s own is skipped)', () => {
    const table = readBatchCsv(utf8('\uFEFFn,c\n\uFEFF5,\uFEFFa\n6,a\n'), plan({ kind: 'fractional' }, { kind: 'categorical' }));
    expect(table.columns.get('n')).toMatchObject({ values: Float64Array.from([6]), mismatched: 1 });
    // U+FEFF is trimmed like any blank from a category.
    const c = table.columns.get('c')!;
    expect(c.kind === 'categorical' && Object.fromEntries(c.counts)).toEqual({ a: 2 });
  });

  it('tells apart categories whose bytes have the same hash and length', () => {
    // FNV-1a 32-bit collisions, compared four bytes at a time: only the first four bytes
    // differ in one pair, only the last four in another.
    const values = ['declinate', 'macallums', 'lev_ytfs', 'lev_1rja', 'macallums', 'lev_1rja', 'lev_1rja', 'gwzx_end', '16cd_end'];
    const many = Array.from({ length: 3000 }, (_, i) => `v${i}`);
    const table = readBatchCsv(utf8(['c', ...values, ...many, ...values].join('\n')), plan({ kind: 'categorical' }));
    const c = table.columns.get('c')!;
    if (c.kind !== 'categorical') throw new Error('c is categorical');
    expect([...c.counts].slice(0, 6)).toEqual([
      ['declinate', 2],
      ['macallums', 4],
      ['lev_ytfs', 2],
      ['lev_1rja', 6],
      ['gwzx_end', 2],
      ['16cd_end', 2],
    ]);
    expect(c.counts.size).toBe(3006);
  });

  it('lowercases boolean-like categories and keeps known ones tracked past the limit', () => {
    const table = readBatchCsv(utf8('b\nTRUE\ntrue\nFalse\n'), plan({ kind: 'categorical', lowercase: true, knownCategories: ['true', 'false'] }));
    const b = table.columns.get('b')!;
    expect(b.kind === 'categorical' && Object.fromEntries(b.counts)).toEqual({ true: 2, false: 1 });
  });

  it('names the line of a record with the wrong number of fields', () => {
    expect(() => readBatchCsv(utf8('a,b\n1,2\n"multi\nline",2\n3\n'), plan({ kind: 'skip' }, { kind: 'skip' }))).toThrow(
      new BatchCsvError('line 5 has 1 field, expected 2 like the header'),
    );
  });

  it('refuses stray and unterminated quotes and a duplicated header', () => {
    expect(() => readBatchCsv(utf8('a\nx"y\n'), plan({ kind: 'skip' }))).toThrow('line 2: a quote appears in the middle of an unquoted field');
    expect(() => readBatchCsv(utf8('a\n"open\n'), plan({ kind: 'skip' }))).toThrow('line 2: a quoted field is never closed');
    expect(() => readBatchCsv(utf8('a,a\n1,2\n'), plan({ kind: 'skip' }, { kind: 'skip' }))).toThrow('column "a" appears twice in the header');
  });
});
