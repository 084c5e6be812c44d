/**
 * Is the challenger better? Once ground truth has been joined to the logged predictions
 * (performance/ground-truth.ts joinOutcomes), each variant's accuracy is compared with a
 * two-sided two-proportion z-test (pooled standard error):
 *
 *   p1 = x1 / n1 (champion), p2 = x2 / n2 (challenger), p = (x1 + x2) / (n1 + n2)
 *   z = (p2 - p1) / sqrt(p (1 - p) (1 / n1 + 1 / n2)),  p-value = 2 (1 - Phi(|z|))
 *
 * Why accuracy and this test: every joined outcome yields one right/wrong per variant, the
 * test needs nothing but counts (it can be recomputed by hand from `lumina ab --status`),
 * and it is the textbook test for an A/B difference in rates. A test on AUC needs the
 * DeLong variance, is less stable on the small samples a test starts with, and answers a
 * ranking question while the endpoint serves labels. Each variant also gets its accuracy's
 * 95% Wilson interval.
 *
 * Minimum sample rule: the normal approximation is trusted only when each variant has at
 * least `minSamplesPerVariant` outcomes (default 100) and the pooled counts have at least
 * 10 right and 10 wrong answers per variant (n p >= 10 and n (1 - p) >= 10). Below that the
 * recommendation is `not-enough-data`. Otherwise: `promote` when p-value < alpha (0.05) and
 * the challenger is the more accurate; `keep-champion` when it is not significantly better
 * (the reason says whether it was significantly worse or indistinguishable).
 */
import type { JoinedOutcome } from '../performance/ground-truth';
import type { Variant } from './ab-testing';

/** erfc with fractional error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

export interface ProportionSample {
  readonly n: number;
  readonly successes: number;
}

export interface TwoProportionZTest {
  readonly pA: number;
  readonly pB: number;
  /** pB - pA. */
  readonly difference: number;
  readonly pooled: number;
  readonly standardError: number;
  /** (pB - pA) / standardError; 0 when both samples are all-or-nothing alike. */
  readonly z: number;
  /** Two-sided. */
  readonly pValue: number;
}

export function twoProportionZTest(a: ProportionSample, b: ProportionSample): TwoProportionZTest {
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    if (!(Number.isInteger(s.n) && s.n > 0 && Number.isInteger(s.successes) && s.successes >= 0 && s.successes <= s.n)) {
      throw new RangeError(`sample ${name} must have n > 0 and 0 <= successes <= n (whole numbers), got n=${s.n}, successes=${s.successes}`);
    }
  }
  const pA = a.successes / a.n;
  const pB = b.successes / b.n;
  const pooled = (a.successes + b.successes) / (a.n + b.n);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  const difference = pB - pA;
  const z = standardError === 0 ? 0 : difference / standardError;
  return { pA, pB, difference, pooled, standardError, z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/** 95% Wilson score interval of a proportion. */
export function wilsonInterval(sample: ProportionSample, zCritical = 1.959963984540054): { readonly low: number; readonly high: number } {
  const { n, successes } = sample;
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = zCritical * zCritical;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (zCritical * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export type AbRecommendation = 'promote' | 'keep-champion' | 'not-enough-data';

export interface VariantPerformance {
  readonly variant: Variant;
  readonly modelVersion: number;
  /** Outcomes joined to this variant's predictions. */
  readonly n: number;
  readonly correct: number;
  readonly accuracy: number | null;
  readonly accuracyInterval95: { readonly low: number; readonly high: number } | null;
}

export interface AbTestReport {
  readonly champion: VariantPerformance;
  readonly challenger: VariantPerformance;
  /** The comparison, once both variants have at least one outcome. */
  readonly test: TwoProportionZTest | null;
  readonly alpha: number;
  readonly minSamplesPerVariant: number;
  readonly recommendation: AbRecommendation;
  readonly reason: string;
  /** Joined outcomes of other versions or variants (an earlier test), left out. */
  readonly ignored: number;
}

export interface AbTestOptions {
  readonly champion: number;
  readonly challenger: number;
  /** Decision thresholds of the two versions. @default 0.5 each */
  readonly thresholds?: { readonly champion?: number; readonly challenger?: number };
  /** @default 0.05 */
  readonly alpha?: number;
  /** @default 100 */
  readonly minSamplesPerVariant?: number;
}

const MIN_EACH_OUTCOME = 10;

export function evaluateAbTest(joined: readonly JoinedOutcome[], options: AbTestOptions): AbTestReport {
  const alpha = options.alpha ?? 0.05;
  const minSamples = options.minSamplesPerVariant ?? 100;
  const counts = { champion: { n: 0, correct: 0 }, challenger: { n: 0, correct: 0 } };
  let ignored = 0;
  for (const { prediction, outcome } of joined) {
    const variant = prediction.variant === 'challenger' && prediction.modelVersion === options.challenger ? 'challenger'
      : prediction.variant === 'champion' && prediction.modelVersion === options.champion ? 'champion' : undefined;
    if (variant === undefined) {
      ignored += 1;
      continue;
    }
    const threshold = options.thresholds?.[variant] ?? 0.5;
    const label = prediction.probability >= threshold ? 1 : 0;
    counts[variant].n += 1;
    if (label === outcome) counts[variant].correct += 1;
  }
  const performance = (variant: Variant, modelVersion: number): VariantPerformance => {
    const { n, correct } = counts[variant];
    return { variant, modelVersion, n, correct, accuracy: n === 0 ? null : correct / n, accuracyInterval95: n === 0 ? null : wilsonInterval({ n, successes: correct }) };
  };
  const champion = performance('champion', options.champion);
  const challenger = performance('challenger', options.challenger);
  const test = champion.n > 0 && challenger.n > 0 ? twoProportionZTest({ n: champion.n, successes: champion.correct }, { n: challenger.n, successes: challenger.correct }) : null;
  const base = { champion, challenger, test, alpha, minSamplesPerVariant: minSamples, ignored };

  const short = [champion, challenger].filter((v) => v.n < minSamples);
  if (short.length > 0) {
    return { ...base, recommendation: 'not-enough-data', reason: short.map((v) => `${v.variant} has ${v.n} outcomes, needs ${minSamples}`).join('; ') };
  }
  const pooled = (test as TwoProportionZTest).pooled;
  const thin = [champion, challenger].filter((v) => v.n * pooled < MIN_EACH_OUTCOME || v.n * (1 - pooled) < MIN_EACH_OUTCOME);
  if (thin.length > 0) {
    return { ...base, recommendation: 'not-enough-data', reason: `the normal approximation needs n·p >= ${MIN_EACH_OUTCOME} and n·(1-p) >= ${MIN_EACH_OUTCOME} per variant (pooled accuracy ${pooled.toFixed(3)}); ${thin.map((v) => v.variant).join(' and ')} fall short` };
  }
  const t = test as TwoProportionZTest;
  const figures = `champion ${(t.pA * 100).toFixed(1)}% vs challenger ${(t.pB * 100).toFixed(1)}% accuracy, z = ${t.z.toFixed(2)}, p = ${t.pValue.toPrecision(3)}`;
  if (t.pValue < alpha && t.difference > 0) return { ...base, recommendation: 'promote', reason: `the challenger is significantly more accurate (${figures} < ${alpha})` };
  if (t.pValue < alpha) return { ...base, recommendation: 'keep-champion', reason: `the challenger is significantly less accurate (${figures})` };
  return { ...base, recommendation: 'keep-champion', reason: `no significant difference at alpha ${alpha} (${figures})` };
}
