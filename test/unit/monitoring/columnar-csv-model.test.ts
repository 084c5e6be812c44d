/**
 * readBatchCsv against a plain model of its rules (`batch-csv-model.ts`) on random CSVs:
 * quoting, escaped quotes, CRLF / LF / lone CR, BOM, empty lines, a trailing line end or
 * none, blanks, NA-like words, exponents, long mantissas, non-ASCII and invalid UTF-8, and
 * malformed input (where both must throw the same message).
 */
import fc from 'fast-check';
import { readBatchCsv, type BatchTable, type ColumnPlan } from '../../../lambdas/core/monitoring/columnar-csv';
import { modelReadBatchCsv } from './batch-csv-model';

/** A table as plain data; -0 kept apart from 0. */
function plain(table: BatchTable): unknown {
  return {
    rows: table.rows,
    header: table.header,
    columns: [...table.columns].map(([name, column]) =>
      column.kind === 'numeric'
        ? { ...column, name, values: Array.from(column.values, (v) => (Object.is(v, -0) ? '-0' : v)) }
        : { ...column, name, counts: [...column.counts] },
    ),
  };
}

function outcome(read: () => BatchTable): unknown {
  try {
    return plain(read());
  } catch (error) {
    return { error: String(error) };
  }
}

const TRICKY_CELLS = [
  '', ' ', '\t', '0', '-0', '+7', '00042', '1.5', '-0.25', '.5', '5.', '-.5', '1e3', '1E-3', '-2.5e+2', '2e', 'e5', '-', '+', '.', '1.2.3',
  'NaN', 'nan', 'inf', '-Infinity', '+infinity', 'true', 'FALSE', 'NA', 'N/A', 'null', 'None', '?',
  '12345678901234567890', '9007199254740992', '9007199254740993', '9007.199254740993', '900719925474.0993', '.9007199254740993',
  '900719925.4740993', '90071992.54740993', '-90071.99254740993',
  '1234567890.5', '123456789.123456789', '0.1234567890123456789012345', '1.00000000000000000000001',
  ' 1.5 ', '\t2\t', '\u00a07\u00a0', '\v3', '3\f', '1 2', '0x10', '1_000', '١٢', '１', '\ufeff5', '5\ufeff',
  'a', 'A', ' a ', 'TRUE', 'True', 'é', ' é ', '日本', '\u2028x', 'b, c', 'say "hi"', 'two\nlines', 'cr\rlf\r\n', '"', '""',
];
const cellText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY_CELLS) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  { weight: 2, arbitrary: fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 12 })).map(([x, d]) => x.toFixed(d)) },
  { weight: 1, arbitrary: fc.integer({ min: -1e6, max: 1e6 }).map(String) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('a', 'B', '1', '.', '-', 'e', ' ', '\t', '"', ',', '\n', '\r', 'é', '\u00a0'), maxLength: 6 }) },
);

function quote(text: string, force: boolean): string {
  return force || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const planArbitrary: fc.Arbitrary<ColumnPlan> = fc.oneof(
  fc.constant<ColumnPlan>({ kind: 'fractional' }),
  fc.constant<ColumnPlan>({ kind: 'integral' }),
  fc.constant<ColumnPlan>({ kind: 'skip' }),
  fc.record({
    kind: fc.constant('categorical' as const),
    lowercase: fc.boolean(),
    knownCategories: fc.subarray(['a', 'A', 'true', 'b, c', 'zz']),
  }),
);

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('readBatchCsv and its model agree', () => {
  it('on well-formed random CSVs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((width) =>
          fc.record({
            plans: fc.array(planArbitrary, { minLength: width, maxLength: width }),
            rows: fc.array(fc.array(fc.tuple(cellText, fc.boolean()), { minLength: width, maxLength: width }), { maxLength: 25 }),
            ends: fc.array(fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\r\n\r\n'), { minLength: 30, maxLength: 30 }),
            trailingEnd: fc.boolean(),
            bom: fc.boolean(),
            quotedHeader: fc.boolean(),
          }),
        ),
        ({ plans, rows, ends, trailingEnd, bom, quotedHeader }) => {
          const header = plans.map((_, i) => quote(` col ${i} `, quotedHeader));
          const records = [header.join(','), ...rows.map((row) => row.map(([text, forced]) => quote(text, forced)).join(','))];
          let text = bom ? '\ufeff' : '';
          records.forEach((record, i) => {
            text += record;
            if (i < records.length - 1 || trailingEnd) text += ends[i % ends.length];
          });
          const bytes = encode(text);
          const plan = (): ColumnPlan[] => plans;
          expect(outcome(() => readBatchCsv(bytes, plan))).toEqual(outcome(() => modelReadBatchCsv(bytes, plan)));
        },
      ),
      { seed: 406, numRuns: 400 },
    );
  });

  it('on arbitrary text from CSV-significant characters, malformed included (the same error message)', () => {
    const piece = fc.constantFrom('a', '1', '2', '.', '-', 'e', ' ', ',', ',', '"', '"', '\n', '\n', '\r', '\r\n', 'é', '\ufeff');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.array(planArbitrary, { minLength: 1, maxLength: 8 }), (pieces, kinds) => {
        const bytes = encode(pieces.join(''));
        const plan = (header: readonly string[]): ColumnPlan[] => header.map((_, i) => kinds[i % kinds.length]);
        expect(outcome(() => readBatchCsv(bytes, plan))).toEqual(outcome(() => modelReadBatchCsv(bytes, plan)));
      }),
      { seed: 407, numRuns: 3000 },
    );
  });

  it('on bytes that are not valid UTF-8', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(0x2c, 0x0a, 0x22, 0x31, 0x2e, 0x61, 0x20), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 40 }),
        fc.array(planArbitrary, { minLength: 1, maxLength: 4 }),
        (body, kinds) => {
          const bytes = Uint8Array.from([...encode('x,y\n'), ...body]);
          const plan = (header: readonly string[]): ColumnPlan[] => header.map((_, i) => kinds[i % kinds.length]);
          expect(outcome(() => readBatchCsv(bytes, plan))).toEqual(outcome(() => modelReadBatchCsv(bytes, plan)));
        },
      ),
      { seed: 408, numRuns: 1000 },
    );
  });

  it('reads every finite double and fixed-point decimal as Number() does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
            fc.tuple(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 20 })).map(([x, d]) => x.toFixed(d)),
            // Mantissas around 2^53, where an accumulated mantissa stops being exact.
            fc.tuple(fc.bigInt({ min: 2n ** 53n - 50n, max: 2n ** 53n + 50n }), fc.integer({ min: 0, max: 16 })).map(([m, d]) => {
              const digits = m.toString();
              return d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`;
            }),
            fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 19n }), fc.integer({ min: 0, max: 19 })).map(([m, d]) => {
              const digits = m.toString().padStart(d + 1, '0');
              return d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`;
            }),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        (cells) => {
          const table = readBatchCsv(encode(['n', ...cells].join('\n')), () => [{ kind: 'fractional' }]);
          const n = table.columns.get('n');
          if (n?.kind !== 'numeric') throw new Error('n is numeric');
          expect(Array.from(n.values, (v) => (Object.is(v, -0) ? '-0' : v))).toEqual(cells.map((c) => (Object.is(Number(c), -0) ? '-0' : Number(c))));
        },
      ),
      { seed: 409, numRuns: 500 },
    );
  });
});
