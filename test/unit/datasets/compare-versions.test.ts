import { compareDatasetVersions, compareSchemas } from '../../../lambdas/core/datasets/compare-versions';
import type { ProfileSummary } from '../../../lambdas/core/datasets/profile-dataset';

const v1: ProfileSummary = {
  rows: 1000,
  columns: [
    { name: 'age', type: 'integral', missingPercent: 0, invalid: 0, min: 20, max: 90, mean: 60, stdDev: 10 },
    { name: 'hba1c', type: 'fractional', missingPercent: 2, invalid: 0, min: 5, max: 12, mean: 7.5, stdDev: 1 },
    { name: 'brand', type: 'string', missingPercent: 0, distinct: 3, topCategories: [{ value: 'Metforal', count: 500 }, { value: 'Glucora', count: 300 }, { value: 'Insulex', count: 200 }] },
    { name: 'zip', type: 'string', missingPercent: 0, distinct: 40, topCategories: [] },
    { name: 'site', type: 'integral', missingPercent: 0, invalid: 0, min: 1, max: 1, mean: 1, stdDev: 0 },
  ],
};

const v2: ProfileSummary = {
  rows: 1200,
  columns: [
    // mean 63 = 0.3 std above 60: flagged at the default 0.25; std 10 -> 16 = 1.6x: flagged at 1.5
    { name: 'age', type: 'integral', missingPercent: 0, invalid: 0, min: 18, max: 95, mean: 63, stdDev: 16 },
    // mean 7.6 = 0.1 std: not flagged; missing 2% -> 9.5% = 7.5 points: flagged at 5
    { name: 'hba1c', type: 'fractional', missingPercent: 9.5, invalid: 3, min: 5, max: 12, mean: 7.6, stdDev: 1.1 },
    { name: 'brand', type: 'string', missingPercent: 0, distinct: 4, topCategories: [{ value: 'Metforal', count: 500 }, { value: 'Sitaglin', count: 400 }, { value: 'Glucora', count: 300 }] },
    { name: 'zip', type: 'integral', missingPercent: 0, invalid: 0, min: 10000, max: 99999, mean: 50000, stdDev: 20000 },
    { name: 'site', type: 'integral', missingPercent: 0, invalid: 0, min: 1, max: 2, mean: 1.5, stdDev: 0.5 },
    { name: 'copay', type: 'fractional', missingPercent: 0, invalid: 0, min: 0, max: 60, mean: 25, stdDev: 9 },
  ],
};

describe('compareDatasetVersions', () => {
  it('reports schema changes: added, removed and retyped columns', () => {
    expect(compareSchemas(v1, v2)).toEqual({
      added: [{ name: 'copay', type: 'fractional' }],
      removed: [],
      typeChanged: [{ name: 'zip', from: 'string', to: 'integral' }],
      changed: true,
    });
    expect(compareSchemas(v2, v1).removed).toEqual([{ name: 'copay', type: 'fractional' }]);
    expect(compareSchemas(v1, v1).changed).toBe(false);
  });

  it('measures statistics differences and flags the ones past the thresholds', () => {
    const comparison = compareDatasetVersions(v1, v2);
    expect(comparison.rows).toEqual({ from: 1000, to: 1200 });
    const age = comparison.columns.find((c) => c.name === 'age')!;
    expect(age.mean).toEqual({ from: 60, to: 63, standardizedShift: 0.3 });
    expect(age.stdDev).toEqual({ from: 10, to: 16, ratio: 1.6 });
    expect(comparison.flags).toEqual([
      'copay: column added (fractional)',
      'zip: type changed from string to integral',
      'age: mean moved 0.3 standard deviations (60 → 63)',
      'age: spread changed 1.6x (std 10 → 16)',
      'hba1c: missing values up 7.5 points (2% → 9.5%)',
      'brand: new frequent values: Sitaglin',
      'brand: frequent values gone: Insulex',
      'site: mean moved off a constant value (1 → 1.5)',
    ]);
  });

  it('respects overridden thresholds and flags nothing for identical versions', () => {
    expect(compareDatasetVersions(v1, v1).flags).toEqual([]);
    const lenient = compareDatasetVersions(v1, v2, { standardizedMeanShift: 0.5, spreadRatio: 2, missingPoints: 10 });
    expect(lenient.flags.filter((f) => f.startsWith('age') || f.startsWith('hba1c'))).toEqual([]);
  });
});
