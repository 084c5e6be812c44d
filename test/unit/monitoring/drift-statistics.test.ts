/**
 * The distances and the chi-squared test on counts, against values worked by hand (the
 * arithmetic is in the comments; p-values cross-checked with scipy.stats.chi2.sf).
 */
import {
  chiSquaredHomogeneity,
  chiSquaredSurvival,
  lInfinityDistance,
  populationStabilityIndex,
  PSI_EPSILON,
} from '../../../lambdas/core/monitoring/drift-statistics';

describe('populationStabilityIndex', () => {
  it('sums (q - p) ln(q / p) over the bins', () => {
    // p = [0.5, 0.5], q = [0.9, 0.1]:
    // 0.4 ln(1.8) + (-0.4) ln(0.2) = 0.4 * 0.5877867 + 0.4 * 1.6094379 = 0.8788898
    expect(populationStabilityIndex([50, 50], [90, 10])).toBeCloseTo(0.8788898, 6);
  });

  it('replaces an empty bin share by epsilon = 1e-4, without renormalising', () => {
    // p = [1, 0 -> 1e-4], q = [0.5, 0.5]:
    // (0.5 - 1) ln(0.5) + (0.5 - 1e-4) ln(0.5 / 1e-4) = 0.3465736 + 0.4999 * 8.5171932 = 4.6043185
    expect(PSI_EPSILON).toBe(1e-4);
    expect(populationStabilityIndex([100, 0], [50, 50])).toBeCloseTo(4.6043185, 6);
  });

  it('is 0 for identical shares and undefined when a side has no counts', () => {
    expect(populationStabilityIndex([2, 4, 6], [10, 20, 30])).toBeCloseTo(0, 12);
    expect(populationStabilityIndex([0, 0], [1, 2])).toBeUndefined();
  });
});

describe('lInfinityDistance', () => {
  it('is the largest absolute difference of shares', () => {
    // p = [0.6, 0.3, 0.1, 0], q = [0.3, 0.3, 0, 0.4] -> max(0.3, 0, 0.1, 0.4) = 0.4
    expect(lInfinityDistance([6, 3, 1, 0], [3, 3, 0, 4])).toBeCloseTo(0.4, 12);
  });
});

describe('chiSquaredHomogeneity', () => {
  it('compares observed with pooled expected counts on both rows', () => {
    // Totals 40 and 40, pooled 40 and 40 -> every expected count is 20.
    // 4 cells of (10)^2 / 20 = 5 -> statistic 20, df 1, p = 7.744216e-6
    const result = chiSquaredHomogeneity([30, 10], [10, 30])!;
    expect(result.statistic).toBeCloseTo(20, 10);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.pValue).toBeCloseTo(7.744216431e-6, 12);
  });

  it('leaves out a category that is empty on both sides (and lowers df)', () => {
    // Baseline [5, 0, 5], batch [0, 0, 10]; the middle category is empty everywhere.
    // Totals 10 and 10 (N 20). Category 1: pooled 5, expected 2.5 each: 2.5^2/2.5 * 2 = 5.
    // Category 3: pooled 15, expected 7.5 each: 2.5^2/7.5 * 2 = 1.6667. Statistic 20/3, df 1, p = 0.0098233
    const result = chiSquaredHomogeneity([5, 0, 5], [0, 0, 10])!;
    expect(result.statistic).toBeCloseTo(20 / 3, 10);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.pValue).toBeCloseTo(0.009823274507519235, 10);
  });

  it('has df 0 and p 1 when only one category has counts', () => {
    expect(chiSquaredHomogeneity([7, 0], [3, 0])).toEqual({ statistic: 0, degreesOfFreedom: 0, pValue: 1 });
  });

  it('is undefined when a side has no counts', () => {
    expect(chiSquaredHomogeneity([0, 0], [1, 1])).toBeUndefined();
  });
});

describe('chiSquaredSurvival', () => {
  it('matches the known quantiles', () => {
    // The 95% quantile of chi2(1) is 3.8414588; chi2(2) survival is exp(-x/2): exp(-2) = 0.1353353
    expect(chiSquaredSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquaredSurvival(4, 2)).toBeCloseTo(Math.exp(-2), 12);
    // chi2(3) at 6: 0.1116102 (scipy); the series branch (x < a + 1) at a small statistic:
    expect(chiSquaredSurvival(6, 3)).toBeCloseTo(0.11161022509471268, 10);
    expect(chiSquaredSurvival(0.5, 4)).toBeCloseTo(0.9735009788392561, 10);
  });
});
