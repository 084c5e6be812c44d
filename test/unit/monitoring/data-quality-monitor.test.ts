/**
 * The monitor on small batches against baselines profiled by the training pipeline's own
 * code, with the distances worked by hand in the comments; a batch from the baseline's
 * distribution (another seed) raises nothing; the batch statistics equal the profiler's.
 */
import { profileDataset, type ProfileSchema } from '../../../lambdas/core/datasets/profile-dataset';
import { baselineReference, type BaselineReference } from '../../../lambdas/core/monitoring/baseline-reference';
import { monitorCsvBatch, MonitorInputError, type FeatureDrift } from '../../../lambdas/core/monitoring/data-quality-monitor';
import { renderDriftReport } from '../../../lambdas/core/monitoring/drift-report';
import { parseMonitorConfig } from '../../../lambdas/core/monitoring/monitor-config';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const csv = (header: string[], rows: (string | number)[][]): Uint8Array => utf8([header.join(','), ...rows.map((r) => r.join(','))].join('\n'));

// Baseline, 10 rows:
//   x:    1..10 (integral)      -> sketch = every value, each 1/10
//   y:    5 in every row        -> a single-valued baseline
//   z:    1..10 (fractional)    -> all missing in the batch below
//   city: Paris x6, Lyon x3, Nice x1 -> domain {Lyon, Nice, Paris}
//   income: 100..1000           -> missing from the batch below
const SCHEMA: ProfileSchema = {
  columns: [
    { name: 'x', type: 'integral' },
    { name: 'y', type: 'integral' },
    { name: 'z', type: 'fractional' },
    { name: 'city', type: 'string' },
    { name: 'income', type: 'integral' },
  ],
};
const CITIES = ['Paris', 'Paris', 'Paris', 'Paris', 'Paris', 'Paris', 'Lyon', 'Lyon', 'Lyon', 'Nice'];
const BASELINE_CSV = csv(
  ['id', 'x', 'y', 'z', 'city', 'income'],
  CITIES.map((city, i) => [i, i + 1, 5, `${i + 1}.5`, city, (i + 1) * 100]),
);

function baselineOf(bytes: Uint8Array, schema: ProfileSchema): BaselineReference {
  const profile = profileDataset(bytes, schema);
  return baselineReference(profile.statistics, profile.constraints);
}

// Batch, 10 rows: x shifted by +2 (3..12), y half 5 half 6, z all missing, city Paris x3,
// Lyon x3, Rome x4 (Nice x0), no income column, an extra `comment` column, `id` ignored.
const BATCH_ROWS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((x, i) => [i, x, i < 5 ? 5 : 6, '', ['Paris', 'Lyon', 'Rome'][i < 3 ? 0 : i < 6 ? 1 : 2] + (i === 9 ? ' ' : ''), 'note']);
// Rows 0-2 Paris, 3-5 Lyon, 6-9 Rome (one with a trailing blank, trimmed like the profiler does).
const BATCH_CSV = csv(['id', 'x', 'y', 'z', 'city', 'comment'], BATCH_ROWS);

const config = parseMonitorConfig({ drift: { default: 0.3, features: { city: 0.5 } }, ignoreColumns: ['id'] });
const baseline = baselineOf(BASELINE_CSV, SCHEMA);
const result = monitorCsvBatch(BATCH_CSV, baseline, config);
const feature = (name: string): FeatureDrift => result.features.find((f) => f.name === name)!;

describe('monitorCsvBatch: drift statistics worked by hand', () => {
  it('numeric: KS on the sketch CDFs and PSI on the decile bins', () => {
    // KS: baseline CDF at 2 is 0.2, the batch's (3..12) is 0; at 10 they are 1 and 0.8 -> 0.2.
    // PSI: the sketch is 1..10, deciles sketch[floor(d/10 * 10)] = 2..10 -> edges 1..10, bins
    //   <1, [1,2), …, [8,9), [9,10], >10 with baseline shares 0, .1 x8, .2, 0 and
    //   batch shares 0, 0, 0, .1 x6, .2, .2.
    //   [1,2) and [2,3): 2 * (1e-4 - 0.1) ln(1e-4 / 0.1) = 2 * 0.6900845 = 1.3801690
    //   >10: (0.2 - 1e-4) ln(0.2 / 1e-4) = 0.1999 * 7.6009025 = 1.5194204 -> PSI 2.8995899
    const x = feature('x');
    expect(x.status).toBe('compared');
    expect(x.ks).toBeCloseTo(0.2, 12);
    expect(x.psi).toBeCloseTo(2.8995899064030937, 9);
    expect(x.measure).toBe('ks');
    expect(x.distance).toBeCloseTo(0.2, 12);
    expect(x.drifted).toBe(false); // 0.2 <= 0.3
    expect(x.distribution?.labels).toEqual(['< 1', '[1, 2)', '[2, 3)', '[3, 4)', '[4, 5)', '[5, 6)', '[6, 7)', '[7, 8)', '[8, 9)', '[9, 10]', '> 10']);
  });

  it('a single-valued baseline: bins below, at and above the value', () => {
    // Baseline all 5: CDF jumps 0 -> 1 at 5; batch 5 x5, 6 x5: CDF at 5 is 0.5 -> KS 0.5.
    // PSI bins <5, =5, >5: p = [0, 1, 0], q = [0, .5, .5]:
    //   (0.5 - 1) ln(0.5) + (0.5 - 1e-4) ln(0.5 / 1e-4) = 0.3465736 + 4.2577449 = 4.6043185
    const y = feature('y');
    expect(y.ks).toBeCloseTo(0.5, 12);
    expect(y.psi).toBeCloseTo(4.60431846666895, 9);
    expect(y.distribution?.labels).toEqual(['< 5', '= 5', '> 5']);
    expect(y.drifted).toBe(true);
  });

  it('an all-missing column: completeness 0, no distance, a completeness violation', () => {
    const z = feature('z');
    expect(z).toMatchObject({ status: 'no-batch-values', batchCompleteness: 0, baselineCompleteness: 1, drifted: false });
    expect(z.distance).toBeUndefined();
    expect(result.violations.violations).toContainEqual({
      feature_name: 'z',
      constraint_check_type: 'completeness_check',
      description: "Data completeness 0% is below the baseline's 100% minus the tolerance 5%",
    });
  });

  it('categorical: L-infinity, chi-squared with its p-value, an empty and a new category', () => {
    // Shares baseline Paris .6, Lyon .3, Nice .1, Rome 0; batch .3, .3, 0 (empty), .4.
    // L-infinity = max(.3, 0, .1, .4) = 0.4 <= the city threshold 0.5: not drifted.
    // Chi-squared: pooled 9, 6, 1, 4 of N 20 with totals 10 and 10 -> expected 4.5, 3, .5, 2 each side:
    //   Paris 2 * 1.5^2/4.5 = 1, Lyon 0, Nice 2 * .5^2/.5 = 1, Rome 2 * 2^2/2 = 4 -> 6, df 3, p 0.1116102
    const city = feature('city');
    expect(city.lInfinity).toBeCloseTo(0.4, 12);
    expect(city.chiSquared?.statistic).toBeCloseTo(6, 10);
    expect(city.chiSquared?.degreesOfFreedom).toBe(3);
    expect(city.chiSquared?.pValue).toBeCloseTo(0.11161022509471268, 9);
    expect(city.drifted).toBe(false);
    // Rome is 4 of 10 present values.
    expect(city.unknownCategoryShare).toBeCloseTo(0.4, 12);
    expect(city.unknownCategoryExamples).toEqual(['Rome']);
    expect(result.violations.violations).toContainEqual({
      feature_name: 'city',
      constraint_check_type: 'categorical_values_check',
      description: `40% of present values are not in the baseline's categories, above the tolerance 0%; new: "Rome"`,
    });
  });

  it('missing and extra columns are violations; ignored columns are neither', () => {
    expect(result.missingColumns).toEqual(['income']);
    expect(result.extraColumns).toEqual(['comment']);
    expect(feature('income')).toMatchObject({ status: 'missing-column', batchCompleteness: 0 });
    const kinds = result.violations.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`);
    expect(kinds.sort()).toEqual(
      ['city:categorical_values_check', 'comment:extra_column_check', 'income:missing_column_check', 'y:baseline_drift_check', 'z:completeness_check'].sort(),
    );
  });

  it('the drift score is the largest distance rescaled to the default threshold', () => {
    // x 0.2 * 0.3/0.3 = 0.2; y 0.5 (KS) * 0.3/0.3 = 0.5; city 0.4 * 0.3/0.5 = 0.24 -> 0.5
    expect(result.driftScore).toBeCloseTo(0.5, 12);
    expect(result.driftedFeatures).toEqual(['y']);
  });

  it('uses PSI as the numeric distance when configured', () => {
    const psi = monitorCsvBatch(BATCH_CSV, baseline, parseMonitorConfig({ drift: { default: 3, numericMeasure: 'psi' }, ignoreColumns: ['id'] }));
    // x PSI 2.8996 <= 3, y PSI 4.6043 > 3
    expect(psi.driftedFeatures).toEqual(['y']);
    expect(psi.features.find((f) => f.name === 'y')?.distance).toBeCloseTo(4.60431846666895, 9);
  });

  it('writes the batch statistics.json in the Model Monitor format', () => {
    expect(result.statistics.dataset).toEqual({ item_count: 10 });
    expect(result.statistics.features.map((f) => f.name)).toEqual(['x', 'y', 'z', 'city']);
    expect(result.statistics.features[3]).toEqual({
      name: 'city',
      inferred_type: 'String',
      string_statistics: {
        common: { num_present: 10, num_missing: 0 },
        distinct_count: 3,
        distribution: { categorical: { buckets: [{ value: 'Rome', count: 4 }, { value: 'Lyon', count: 3 }, { value: 'Paris', count: 3 }] } },
      },
    });
  });
});

describe('monitorCsvBatch: data types', () => {
  it('counts text and non-integers in an integral feature as type mismatches', () => {
    const batch = csv(['x', 'y', 'z', 'city', 'income'], [
      [1, 5, 1, 'Paris', 100],
      ['abc', 5, 1, 'Paris', 100],
      [2.5, 5, 1, 'Paris', 100],
      [3, 5, 1, 'Paris', 100],
    ]);
    const typed = monitorCsvBatch(batch, baseline, config);
    const x = typed.features.find((f) => f.name === 'x')!;
    // 4 cells present: "abc" is not a number, 2.5 not an integer -> 2 of 4
    expect(x.dataTypeMismatchShare).toBeCloseTo(0.5, 12);
    // "abc" counts as missing (as the profiler counts it): completeness 3/4
    expect(x.batchCompleteness).toBeCloseTo(0.75, 12);
    const violation = typed.violations.violations.find((v) => v.feature_name === 'x' && v.constraint_check_type === 'data_type_check');
    expect(violation?.description).toBe('2 of 4 present values (50%) are not integers as the baseline\'s Integral type requires, above the tolerance 0%; e.g. "abc"');
  });

  it('refuses a batch without rows', () => {
    expect(() => monitorCsvBatch(utf8('x,y,z,city,income\n'), baseline, config)).toThrow(MonitorInputError);
  });
});

// Seeded synthetic data for the larger cases.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function synthetic(rows: number, seed: number, shift = 0): Uint8Array {
  const random = mulberry32(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lines = ['id,age,bmi,visits,smoker,region'];
  for (let i = 0; i < rows; i++) {
    const age = Math.floor(20 + random() * 60 + shift * 10);
    const bmi = random() < 0.02 ? '' : (25 + 4 * gaussian() + shift).toFixed(2);
    const visits = Math.floor(-Math.log(1 - random()) * 3);
    const smoker = random() < 0.3 ? (random() < 0.5 ? 'TRUE' : 'true') : 'false';
    const region = ['north', 'south', 'east', 'west'][Math.min(3, Math.floor(random() ** (1 + shift) * 4))];
    lines.push(`${i},${age},${bmi},${visits},${smoker},${region}`);
  }
  return utf8(lines.join('\n'));
}

const SYNTHETIC_SCHEMA: ProfileSchema = {
  columns: [
    { name: 'age', type: 'integral' },
    { name: 'bmi', type: 'fractional' },
    { name: 'visits', type: 'integral' },
    { name: 'smoker', type: 'boolean' },
    { name: 'region', type: 'string' },
  ],
};

describe('monitorCsvBatch: batches from the baseline distribution', () => {
  const syntheticBaseline = baselineOf(synthetic(20_000, 1), SYNTHETIC_SCHEMA);
  const defaults = parseMonitorConfig({ ignoreColumns: ['id'] });

  it('raises no violation for a batch from the same distribution with another seed', () => {
    const same = monitorCsvBatch(synthetic(5_000, 2), syntheticBaseline, defaults);
    expect(same.violations.violations).toEqual([]);
    expect(same.driftedFeatures).toEqual([]);
    // Two samples of 20,000 and 5,000 from one distribution: KS well under 0.05.
    expect(same.driftScore).toBeLessThan(0.05);
  });

  it('flags the features a shifted batch moves', () => {
    const shifted = monitorCsvBatch(synthetic(5_000, 3, 1), syntheticBaseline, defaults);
    // age +10 on a 60-wide uniform: KS ~ 1/6; bmi +1 on sd 4: KS ~ 0.1; region reweighted.
    expect(shifted.driftedFeatures).toEqual(['region']);
    expect(shifted.features.find((f) => f.name === 'age')!.ks).toBeGreaterThan(0.12);
    expect(shifted.driftScore).toBeGreaterThan(0.2);
    const strict = monitorCsvBatch(synthetic(5_000, 3, 1), syntheticBaseline, parseMonitorConfig({ ignoreColumns: ['id'], drift: { default: 0.05 } }));
    expect(strict.driftedFeatures).toEqual(['age', 'bmi', 'region']);
  });

  it.each([
    ['same distribution', 0],
    ['shifted', 1],
  ])('computes the batch statistics exactly as the profiler would (%s)', (_label, shift) => {
    const bytes = synthetic(6_000, 4, shift);
    const monitored = monitorCsvBatch(bytes, syntheticBaseline, defaults).statistics;
    const profiled = profileDataset(bytes, SYNTHETIC_SCHEMA).statistics;
    expect(monitored.dataset).toEqual(profiled.dataset);
    monitored.features.forEach((feature, i) => {
      const expected = profiled.features[i];
      if ('numerical_statistics' in feature && 'numerical_statistics' in expected) {
        const { sum, mean, std_dev, ...rest } = feature.numerical_statistics;
        const { sum: eSum, mean: eMean, std_dev: eStd, ...eRest } = expected.numerical_statistics;
        // The profiler sums sorted values, the monitor in row order: equal to rounding.
        expect(sum).toBeCloseTo(eSum!, 6);
        expect(mean).toBeCloseTo(eMean!, 9);
        expect(std_dev).toBeCloseTo(eStd!, 9);
        expect(rest).toEqual(eRest);
      } else {
        expect(feature).toEqual(expected);
      }
    });
  });
});

describe('renderDriftReport', () => {
  it('is self-contained, charts each drifted feature and escapes names', () => {
    const nasty = csv(['x', 'y', 'z', 'city', 'income', '<script>alert(1)</script>'], [[1, 6, 1, '<b>Rome</b>', 100, 'a']]);
    const monitored = monitorCsvBatch(nasty, baseline, config);
    const html = renderDriftReport(monitored, { project: 'adherence', modelVersion: '3', batch: 's3://b/k.csv', generatedAt: new Date('2024-05-01T00:00:00Z'), defaultThreshold: 0.3 });
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    // One chart per drifted feature.
    expect((html.match(/<section class="chart">/g) ?? []).length).toBe(monitored.driftedFeatures.length);
    expect(monitored.driftedFeatures.length).toBeGreaterThan(0);
  });
});
