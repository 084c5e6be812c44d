/**
 * The distances and tests the monitor reports, on counts (never on rows):
 *
 * - PSI (population stability index) = Σ (q − p) · ln(q / p) over bins, p the baseline's
 *   share of a bin and q the batch's. A share of 0 is replaced by `PSI_EPSILON` (1e-4,
 *   i.e. 0.01%) so an empty bin contributes a large but finite term; shares are not
 *   renormalised afterwards. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 shift.
 * - L-infinity = max |q − p| over bins or categories (for CDFs: the KS statistic).
 * - Chi-squared test of homogeneity on the 2 × K table (baseline counts, batch counts):
 *   expected counts from the pooled shares, categories with no count on either side left
 *   out (they carry no information and would divide by zero), K' − 1 degrees of freedom
 *   for the K' categories left, p-value = Q(df/2, stat/2) (regularised upper gamma).
 */

export const PSI_EPSILON = 1e-4;

/** PSI between two count vectors over the same bins; undefined when either side is empty. */
export function populationStabilityIndex(baseline: ArrayLike<number>, batch: ArrayLike<number>, epsilon = PSI_EPSILON): number | undefined {
  if (baseline.length !== batch.length) throw new Error(`PSI needs bins of the same length (${baseline.length} and ${batch.length})`);
  const p = shares(baseline);
  const q = shares(batch);
  if (p === undefined || q === undefined) return undefined;
  let psi = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.max(p[i], epsilon);
    const qi = Math.max(q[i], epsilon);
    psi += (qi - pi) * Math.log(qi / pi);
  }
  return psi;
}

/** max |q − p| between the shares of two count vectors; undefined when either side is empty. */
export function lInfinityDistance(baseline: ArrayLike<number>, batch: ArrayLike<number>): number | undefined {
  if (baseline.length !== batch.length) throw new Error(`L-infinity needs bins of the same length (${baseline.length} and ${batch.length})`);
  const p = shares(baseline);
  const q = shares(batch);
  if (p === undefined || q === undefined) return undefined;
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs(q[i] - p[i]));
  return max;
}

function shares(counts: ArrayLike<number>): number[] | undefined {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return undefined;
  return Array.from(counts, (c) => c / total);
}

export interface ChiSquaredResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
}

/** Chi-squared test of homogeneity between two count vectors (see the file comment). */
export function chiSquaredHomogeneity(baseline: ArrayLike<number>, batch: ArrayLike<number>): ChiSquaredResult | undefined {
  if (baseline.length !== batch.length) throw new Error(`chi-squared needs categories of the same length (${baseline.length} and ${batch.length})`);
  let totalA = 0;
  let totalB = 0;
  for (let i = 0; i < baseline.length; i++) {
    totalA += baseline[i];
    totalB += batch[i];
  }
  if (totalA <= 0 || totalB <= 0) return undefined;
  const total = totalA + totalB;
  let statistic = 0;
  let used = 0;
  for (let i = 0; i < baseline.length; i++) {
    const pooled = baseline[i] + batch[i];
    if (pooled === 0) continue;
    used++;
    const expectedA = (pooled * totalA) / total;
    const expectedB = (pooled * totalB) / total;
    statistic += (baseline[i] - expectedA) ** 2 / expectedA + (batch[i] - expectedB) ** 2 / expectedB;
  }
  const degreesOfFreedom = Math.max(0, used - 1);
  return { statistic, degreesOfFreedom, pValue: chiSquaredSurvival(statistic, degreesOfFreedom) };
}

/** P(X ≥ x) for X ~ chi-squared(df); 1 when df is 0 (one category: nothing can differ). */
export function chiSquaredSurvival(x: number, degreesOfFreedom: number): number {
  if (degreesOfFreedom <= 0 || x <= 0) return 1;
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2);
}

// Lanczos approximation (g = 7, n = 9), relative error below 1e-15 for a > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(a: number): number {
  if (a < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * a))) - logGamma(1 - a);
  const z = a - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < 9; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, a continued fraction above (Numerical Recipes §6.2). */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix));
  }
  // Lentz's method for the continued fraction.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(logPrefix) * h);
}
