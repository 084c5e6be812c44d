import {
  DatasetProfileError,
  DatasetProfiler,
  profileDataset,
  profileSchemaOf,
  type DatasetRecord,
  type ProfileSchema,
} from '../../../lambdas/core/datasets/profile-dataset';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// Five rows small enough to check by hand.
//   age:    30, -, 50, 40, 60        -> 4 present, sum 180, mean 45, population std sqrt(500/4)
//   income: 1000.5, 2000.5, 3000.5, -, 4000.5 -> sum 10002, mean 2500.5, std sqrt(5e6/4)
//   city:   Paris x3, Lyon, Nice
//   smoker: true, false, true, TRUE, -  -> true x3, false x1, 1 missing
const FIVE_ROWS = utf8(
  [
    'id,age,income,city,smoker,label',
    '1,30,1000.5,Paris,true,0',
    '2,,2000.5,Lyon,false,1',
    '3,50,3000.5,Paris,true,0',
    '4,40,,Nice,TRUE,1',
    '5,60,4000.5,Paris,,0',
  ].join('\n'),
);

const SCHEMA: ProfileSchema = {
  columns: [
    { name: 'age', type: 'integral' },
    { name: 'income', type: 'fractional' },
    { name: 'city', type: 'string' },
    { name: 'smoker', type: 'boolean' },
  ],
};

const SKETCH_PARAMETERS = { c: 0.64, k: 2048 };

describe('profileDataset: statistics.json', () => {
  it('writes the Model Monitor statistics format with hand-checkable numbers', () => {
    // Act
    const { statistics } = profileDataset(FIVE_ROWS, SCHEMA);

    // Assess
    expect(statistics).toEqual({
      version: 0,
      dataset: { item_count: 5 },
      features: [
        {
          name: 'age',
          inferred_type: 'Integral',
          numerical_statistics: {
            common: { num_present: 4, num_missing: 1 },
            mean: 45,
            sum: 180,
            std_dev: Math.sqrt(125),
            min: 30,
            max: 60,
            distribution: {
              kll: {
                buckets: [
                  { lower_bound: 30, upper_bound: 33, count: 1 },
                  { lower_bound: 33, upper_bound: 36, count: 0 },
                  { lower_bound: 36, upper_bound: 39, count: 0 },
                  { lower_bound: 39, upper_bound: 42, count: 1 },
                  { lower_bound: 42, upper_bound: 45, count: 0 },
                  { lower_bound: 45, upper_bound: 48, count: 0 },
                  { lower_bound: 48, upper_bound: 51, count: 1 },
                  { lower_bound: 51, upper_bound: 54, count: 0 },
                  { lower_bound: 54, upper_bound: 57, count: 0 },
                  { lower_bound: 57, upper_bound: 60, count: 1 },
                ],
                sketch: { parameters: SKETCH_PARAMETERS, data: [[30, 40, 50, 60]] },
              },
            },
          },
        },
        {
          name: 'income',
          inferred_type: 'Fractional',
          numerical_statistics: {
            common: { num_present: 4, num_missing: 1 },
            mean: 2500.5,
            sum: 10002,
            std_dev: Math.sqrt(1_250_000),
            min: 1000.5,
            max: 4000.5,
            distribution: {
              kll: {
                buckets: [
                  { lower_bound: 1000.5, upper_bound: 1300.5, count: 1 },
                  { lower_bound: 1300.5, upper_bound: 1600.5, count: 0 },
                  { lower_bound: 1600.5, upper_bound: 1900.5, count: 0 },
                  { lower_bound: 1900.5, upper_bound: 2200.5, count: 1 },
                  { lower_bound: 2200.5, upper_bound: 2500.5, count: 0 },
                  { lower_bound: 2500.5, upper_bound: 2800.5, count: 0 },
                  { lower_bound: 2800.5, upper_bound: 3100.5, count: 1 },
                  { lower_bound: 3100.5, upper_bound: 3400.5, count: 0 },
                  { lower_bound: 3400.5, upper_bound: 3700.5, count: 0 },
                  { lower_bound: 3700.5, upper_bound: 4000.5, count: 1 },
                ],
                sketch: { parameters: SKETCH_PARAMETERS, data: [[1000.5, 2000.5, 3000.5, 4000.5]] },
              },
            },
          },
        },
        {
          name: 'city',
          inferred_type: 'String',
          string_statistics: {
            common: { num_present: 5, num_missing: 0 },
            distinct_count: 3,
            distribution: {
              categorical: {
                buckets: [
                  { value: 'Paris', count: 3 },
                  { value: 'Lyon', count: 1 },
                  { value: 'Nice', count: 1 },
                ],
              },
            },
          },
        },
        {
          name: 'smoker',
          inferred_type: 'String',
          string_statistics: {
            common: { num_present: 4, num_missing: 1 },
            distinct_count: 2,
            distribution: {
              categorical: {
                buckets: [
                  { value: 'true', count: 3 },
                  { value: 'false', count: 1 },
                ],
              },
            },
          },
        },
      ],
    });
  });

  it('serializes to JSON without losing anything', () => {
    // Act
    const profile = profileDataset(FIVE_ROWS, SCHEMA);

    // Assess
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
  });

  it('puts a constant column in a single bucket', () => {
    // Act
    const { statistics } = profileDataset(utf8('x\n7\n7\n7\n'), { columns: [{ name: 'x', type: 'integral' }] });

    // Assess
    const feature = statistics.features[0];
    expect('numerical_statistics' in feature && feature.numerical_statistics.distribution.kll.buckets).toEqual([
      { lower_bound: 7, upper_bound: 7, count: 3 },
    ]);
  });

  it('keeps exact quantiles at evenly spaced ranks when a column has more values than the sketch holds', () => {
    // Prepare: 1..10000 shuffled deterministically
    const values = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_000) + 1);
    const records = values.map((v): DatasetRecord => ({ v }));

    // Act
    const { statistics } = profileDataset(records, { columns: [{ name: 'v', type: 'integral' }] });

    // Assess
    const feature = statistics.features[0];
    if (!('numerical_statistics' in feature)) throw new Error('expected numerical statistics');
    const [level] = feature.numerical_statistics.distribution.kll.sketch.data;
    expect(level).toHaveLength(2048);
    expect(level[0]).toBe(3); // rank floor(0.5 * 10000 / 2048) = 2 -> value 3
    expect(level[1023]).toBe(Math.floor((1023.5 * 10_000) / 2048) + 1);
    expect(level[2047]).toBe(9998);
    expect([...level].sort((a, b) => a - b)).toEqual(level);
    expect(feature.numerical_statistics.distribution.kll.buckets.map((b) => b.count)).toEqual(Array(10).fill(1000));
  });

  it('estimates distinct_count and drops the distribution for a very high-cardinality text column', () => {
    // Prepare
    const records = Array.from({ length: 12_000 }, (_, i): DatasetRecord => ({ code: `C${i}` }));

    // Act
    const { statistics, constraints } = profileDataset(records, { columns: [{ name: 'code', type: 'string' }] });

    // Assess
    const feature = statistics.features[0];
    if (!('string_statistics' in feature)) throw new Error('expected string statistics');
    expect(feature.string_statistics.distinct_count).toBeGreaterThan(12_000 * 0.97);
    expect(feature.string_statistics.distinct_count).toBeLessThan(12_000 * 1.03);
    expect(feature.string_statistics.distribution.categorical.buckets).toEqual([]);
    expect(constraints.features[0]).toEqual({ name: 'code', inferred_type: 'String', completeness: 1 });
  });

  it('marks a column without values Unknown', () => {
    // Act
    const { statistics, constraints } = profileDataset(utf8('a,b\n1,\n2,\n'), {
      columns: [
        { name: 'a', type: 'integral' },
        { name: 'b', type: 'unknown' },
      ],
    });

    // Assess
    expect(statistics.features[1]).toEqual({
      name: 'b',
      inferred_type: 'Unknown',
      string_statistics: { common: { num_present: 0, num_missing: 2 }, distinct_count: 0, distribution: { categorical: { buckets: [] } } },
    });
    expect(constraints.features[1]).toEqual({ name: 'b', inferred_type: 'Unknown', completeness: 0 });
  });
});

describe('profileDataset: constraints.json', () => {
  it('writes the Model Monitor constraints format', () => {
    // Act
    const { constraints } = profileDataset(FIVE_ROWS, SCHEMA);

    // Assess
    expect(constraints).toEqual({
      version: 0,
      features: [
        { name: 'age', inferred_type: 'Integral', completeness: 0.8, num_constraints: { is_non_negative: true } },
        { name: 'income', inferred_type: 'Fractional', completeness: 0.8, num_constraints: { is_non_negative: true } },
        { name: 'city', inferred_type: 'String', completeness: 1, string_constraints: { domains: ['Lyon', 'Nice', 'Paris'] } },
        { name: 'smoker', inferred_type: 'String', completeness: 0.8, string_constraints: { domains: ['false', 'true'] } },
      ],
      monitoring_config: {
        evaluate_constraints: 'Enabled',
        emit_metrics: 'Enabled',
        datatype_check_threshold: 1.0,
        domain_content_threshold: 1.0,
        distribution_constraints: {
          perform_comparison: 'Enabled',
          comparison_threshold: 0.1,
          comparison_method: 'Robust',
          categorical_comparison_threshold: 0.1,
          categorical_drift_method: 'LInfinity',
        },
      },
    });
  });

  it('marks a column with a negative value as not non-negative', () => {
    // Act
    const { constraints } = profileDataset(utf8('t\n-1.5\n2\n'), { columns: [{ name: 't', type: 'fractional' }] });

    // Assess
    expect(constraints.features[0].num_constraints).toEqual({ is_non_negative: false });
  });
});

describe('profileDataset: summary', () => {
  it('summarises each column for people', () => {
    // Act
    const { summary } = profileDataset(FIVE_ROWS, SCHEMA);

    // Assess
    expect(summary).toEqual({
      rows: 5,
      columns: [
        { name: 'age', type: 'integral', missingPercent: 20, invalid: 0, min: 30, max: 60, mean: 45, stdDev: 11.1803 },
        { name: 'income', type: 'fractional', missingPercent: 20, invalid: 0, min: 1000.5, max: 4000.5, mean: 2500.5, stdDev: 1118.03 },
        {
          name: 'city',
          type: 'string',
          missingPercent: 0,
          distinct: 3,
          topCategories: [
            { value: 'Paris', count: 3 },
            { value: 'Lyon', count: 1 },
            { value: 'Nice', count: 1 },
          ],
        },
        {
          name: 'smoker',
          type: 'boolean',
          missingPercent: 20,
          distinct: 2,
          topCategories: [
            { value: 'true', count: 3 },
            { value: 'false', count: 1 },
          ],
        },
      ],
    });
  });

  it('counts text in a numeric column as invalid and missing', () => {
    // Act
    const { summary, statistics } = profileDataset(utf8('n\n1\noops\n3\n'), { columns: [{ name: 'n', type: 'integral' }] });

    // Assess
    expect(summary.columns[0]).toMatchObject({ invalid: 1, missingPercent: 33.33, mean: 2 });
    expect(statistics.features[0]).toMatchObject({ numerical_statistics: { common: { num_present: 2, num_missing: 1 } } });
  });
});

describe('profileDataset: inputs', () => {
  it('gives the same profile from records as from CSV bytes', () => {
    // Prepare
    const records: DatasetRecord[] = [
      { age: 30, income: 1000.5, city: 'Paris', smoker: true },
      { age: null, income: '2000.5', city: 'Lyon', smoker: false },
      { age: '50', income: 3000.5, city: 'Paris', smoker: 'true' },
      { age: 40, city: 'Nice', smoker: 'TRUE' },
      { age: 60, income: 4000.5, city: ' Paris ', smoker: '' },
    ];

    // Act
    const fromRecords = profileDataset(records, SCHEMA);
    const fromBytes = profileDataset(FIVE_ROWS, SCHEMA);

    // Assess
    expect(fromRecords).toEqual(fromBytes);
  });

  it('reads rows from a generator one at a time', () => {
    // Prepare
    function* rows(): Generator<DatasetRecord> {
      for (let i = 0; i < 1000; i++) yield { x: i % 10 };
    }

    // Act
    const { statistics } = profileDataset(rows(), { columns: [{ name: 'x', type: 'integral' }] });

    // Assess
    expect(statistics.dataset.item_count).toBe(1000);
    expect(statistics.features[0]).toMatchObject({ numerical_statistics: { mean: 4.5, sum: 4500 } });
  });

  it('accumulates rows fed one by one', () => {
    // Prepare
    const profiler = new DatasetProfiler({ columns: [{ name: 'x', type: 'fractional' }, { name: 'y', type: 'string' }] });

    // Act
    profiler.addRow([1.5, 'a']);
    profiler.addRow(['2.5', 'b']);
    profiler.addRecord({ x: 3.5, y: 'a' });
    const { summary } = profiler.finish();

    // Assess
    expect(summary.columns[0]).toMatchObject({ mean: 2.5, min: 1.5, max: 3.5 });
    expect(summary.columns[1]).toMatchObject({ distinct: 2, topCategories: [{ value: 'a', count: 2 }, { value: 'b', count: 1 }] });
  });

  it('skips a UTF-8 byte order mark and ignores columns outside the schema', () => {
    // Prepare
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('age,ignored\n1,x\n3,y\n')]);

    // Act
    const { statistics } = profileDataset(bytes, { columns: [{ name: 'age', type: 'integral' }] });

    // Assess
    expect(statistics.features.map((f) => f.name)).toEqual(['age']);
    expect(statistics.features[0]).toMatchObject({ numerical_statistics: { mean: 2 } });
  });

  it('builds a schema from validated columns without the excluded ones', () => {
    // Act
    const schema = profileSchemaOf(
      [
        { name: 'id', inferredType: 'integral' },
        { name: 'age', inferredType: 'fractional' },
        { name: 'label', inferredType: 'integral' },
      ],
      ['id', 'label'],
    );

    // Assess
    expect(schema).toEqual({ columns: [{ name: 'age', type: 'fractional' }] });
  });
});

describe('profileDataset: errors', () => {
  it('rejects a schema column the CSV does not have', () => {
    // Act
    const act = () => profileDataset(utf8('a\n1\n'), { columns: [{ name: 'b', type: 'integral' }] });

    // Assess
    expect(act).toThrow(DatasetProfileError);
    expect(act).toThrow('column "b" of the schema is not in the CSV header (line 1)');
  });

  it('rejects a ragged row with its line', () => {
    // Act
    const act = () => profileDataset(utf8('a,b\n1,2\n3\n'), { columns: [{ name: 'a', type: 'integral' }] });

    // Assess
    expect(act).toThrow('line 3 has 1 field, expected 2 like the header');
  });

  it('rejects malformed CSV with its line', () => {
    // Act
    const act = () => profileDataset(utf8('a\n1\n"2\n'), { columns: [{ name: 'a', type: 'integral' }] });

    // Assess
    expect(act).toThrow(/^line 3: a quoted field that starts on line 3 is never closed/);
  });

  it('rejects a schema with a repeated column or an unknown type', () => {
    // Act
    const repeated = () => new DatasetProfiler({ columns: [{ name: 'a', type: 'integral' }, { name: 'a', type: 'string' }] });
    const fromJson = JSON.parse('{"columns":[{"name":"a","type":"decimal"}]}') as ProfileSchema;
    const unknownType = () => profileDataset([], fromJson);

    // Assess
    expect(repeated).toThrow('schema column "a" appears twice');
    expect(unknownType).toThrow(/has type "decimal"/);
  });
});
