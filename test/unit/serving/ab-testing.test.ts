/**
 * A/B assignment, configuration and the significance test: sticky variants, the split held
 * within statistical tolerance, a stale test ignored, and the z-test against hand-computed
 * values.
 */
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { registryKeys } from '../../../lambdas/core/registry/keys';
import type { JoinedOutcome } from '../../../lambdas/core/performance/ground-truth';
import { abBucket, AbConfigError, assignVariant, effectiveAbTest, readAbConfig, setAbTest, VariantCounters } from '../../../lambdas/core/serving/ab-testing';
import { evaluateAbTest, normalCdf, twoProportionZTest, wilsonInterval } from '../../../lambdas/core/serving/ab-significance';

const ids = Array.from({ length: 10_000 }, (_, i) => `patient-${i}`);

describe('assignVariant', () => {
  const test = { champion: 3, challenger: 4, split: 0.1 };

  it('is sticky: an entity gets the same variant on every request', () => {
    const first = ids.map((id) => assignVariant(id, test));
    const again = ids.map((id) => assignVariant(id, test));

    expect(again).toEqual(first);
  });

  it.each([0.1, 0.5, 0.9])('sends a share of 10,000 ids to the challenger within 4 standard errors of split %p', (split) => {
    const share = ids.filter((id) => assignVariant(id, { ...test, split }) === 'challenger').length / ids.length;

    const standardError = Math.sqrt((split * (1 - split)) / ids.length);
    expect(Math.abs(share - split)).toBeLessThan(4 * standardError);
  });

  it('only moves entities toward the challenger when the split grows, and none when there is no challenger', () => {
    const at10 = new Set(ids.filter((id) => assignVariant(id, test) === 'challenger'));
    const at20 = new Set(ids.filter((id) => assignVariant(id, { ...test, split: 0.2 }) === 'challenger'));

    expect([...at10].every((id) => at20.has(id))).toBe(true);
    expect(ids.some((id) => assignVariant(id, { champion: 3, split: 0.5 }) === 'challenger')).toBe(false);
  });

  it('draws an independent sample for a new challenger', () => {
    const for4 = ids.filter((id) => assignVariant(id, test) === 'challenger');
    const for5 = new Set(ids.filter((id) => assignVariant(id, { ...test, challenger: 5 }) === 'challenger'));

    // Independent 10% samples overlap in about 1% of ids, not 10%.
    const overlap = for4.filter((id) => for5.has(id)).length / ids.length;
    expect(overlap).toBeGreaterThan(0.005);
    expect(overlap).toBeLessThan(0.02);
    expect(abBucket('x', 'salt')).toBe(abBucket('x', 'salt'));
  });
});

describe('effectiveAbTest', () => {
  it('serves the challenger only when the test was set against the current production version', () => {
    const config = { champion: 3, challenger: 4, split: 0.25, revision: 1 };

    expect(effectiveAbTest(3, config)).toEqual({ champion: 3, challenger: 4, split: 0.25 });
    expect(effectiveAbTest(5, config)).toEqual({ champion: 5, split: 0, inactiveReason: 'stale: the test was set against version 3 but production is now version 5' });
    expect(effectiveAbTest(3, { ...config, challenger: null })).toEqual({ champion: 3, split: 0 });
    expect(effectiveAbTest(3, undefined)).toEqual({ champion: 3, split: 0 });
  });
});

describe('setAbTest / readAbConfig', () => {
  it('records the challenger against the production version, with a revision, and ends the test', async () => {
    const store = memoryRegistryStore();
    await store.put('registry', { ...registryKeys.stages('adherence'), staging: null, production: 3, revision: 2 });
    await store.put('registry', { ...registryKeys.version('adherence', 4), version: 4 });
    const now = () => new Date('2026-03-01T00:00:00Z');

    const started = await setAbTest(store, 'adherence', { challenger: 4, split: 0.1, actor: 'ana', now });
    const ended = await setAbTest(store, 'adherence', { challenger: null, split: 0.5, actor: 'ana', now });

    expect(started).toEqual({ champion: 3, challenger: 4, split: 0.1, revision: 1, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'ana' });
    expect(ended).toMatchObject({ champion: 3, challenger: null, split: 0, revision: 2 });
    expect(await readAbConfig(store, 'adherence')).toEqual(ended);
    await expect(setAbTest(store, 'adherence', { challenger: 3, split: 0.1, actor: 'ana', now })).rejects.toThrow(AbConfigError);
    await expect(setAbTest(store, 'adherence', { challenger: 9, split: 0.1, actor: 'ana', now })).rejects.toThrow('project adherence has no version 9');
  });

  it('names the bad attributes of a hand-written item', async () => {
    const store = memoryRegistryStore();
    await store.put('registry', { pk: 'PROJECT#adherence', sk: 'AB_TEST', champion: 3, challenger: 4, split: 1.5 });

    await expect(readAbConfig(store, 'adherence')).rejects.toThrow(/A\/B item of adherence is malformed: split: /);
  });
});

describe('VariantCounters', () => {
  it('counts requests, predictions, positives and versions per variant', () => {
    const counters = new VariantCounters();

    counters.record('champion', 3, [1, 0], [0.9, 0.2]);
    counters.record('challenger', 4, [1], [0.7]);
    counters.record('champion', 3, [0], [0.1]);

    expect(counters.snapshot()).toEqual({
      champion: { requests: 2, predictions: 3, positives: 1, probabilitySum: expect.closeTo(1.2, 12), byVersion: { 3: 3 } },
      challenger: { requests: 1, predictions: 1, positives: 1, probabilitySum: 0.7, byVersion: { 4: 1 } },
    });
  });
});

describe('twoProportionZTest (hand-computed)', () => {
  it('champion 800/1000 vs challenger 850/1000', () => {
    // pooled = 1650/2000 = 0.825; SE = sqrt(0.825 * 0.175 * (1/1000 + 1/1000)) = sqrt(0.00028875) = 0.0169926
    // z = (0.85 - 0.80) / 0.0169926 = 2.94245; p = 2 * (1 - Phi(2.94245)) = 0.0032563
    const t = twoProportionZTest({ n: 1000, successes: 800 }, { n: 1000, successes: 850 });

    expect(t.pooled).toBeCloseTo(0.825, 12);
    expect(t.standardError).toBeCloseTo(0.0169926, 6);
    expect(t.z).toBeCloseTo(2.94245, 4);
    expect(t.pValue).toBeCloseTo(0.0032563, 6);
  });

  it('champion 450/500 vs challenger 440/500 (the challenger is worse, not significantly)', () => {
    // pooled = 0.89; SE = sqrt(0.89 * 0.11 * 0.004) = 0.0197889; z = -0.02 / 0.0197889 = -1.01067; p = 0.31218
    const t = twoProportionZTest({ n: 500, successes: 450 }, { n: 500, successes: 440 });

    expect(t.z).toBeCloseTo(-1.01067, 4);
    expect(t.pValue).toBeCloseTo(0.31218, 5);
  });

  it('normalCdf and the Wilson interval', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.1586553, 7);
    // Wilson 95% for 8/10: centre (0.8 + 1.9208/10) / 1.38415 = 0.71673; half 0.22656 → [0.4902, 0.9433]
    const w = wilsonInterval({ n: 10, successes: 8 });
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
  });
});

describe('evaluateAbTest', () => {
  /** n joined outcomes of a variant, `correct` of them right at threshold 0.5. */
  const outcomes = (variant: 'champion' | 'challenger', modelVersion: number, n: number, correct: number): JoinedOutcome[] =>
    Array.from({ length: n }, (_, i) => ({
      prediction: { requestId: `${variant}-${modelVersion}-${i}`, modelVersion, variant, probability: 0.8, at: '2026-03-01T00:00:00.000Z' },
      outcome: i < correct ? 1 : 0,
      joinedBy: 'request' as const,
    }));

  it('recommends promoting a significantly more accurate challenger', () => {
    const report = evaluateAbTest([...outcomes('champion', 3, 1000, 800), ...outcomes('challenger', 4, 1000, 850), ...outcomes('challenger', 2, 50, 0)], { champion: 3, challenger: 4 });

    expect(report.recommendation).toBe('promote');
    expect(report.champion).toMatchObject({ n: 1000, correct: 800, accuracy: 0.8 });
    expect(report.challenger).toMatchObject({ n: 1000, correct: 850, accuracy: 0.85 });
    expect(report.test!.pValue).toBeCloseTo(0.0032563, 6);
    expect(report.ignored).toBe(50);
  });

  it('keeps the champion when the difference is not significant, or the challenger is worse', () => {
    expect(evaluateAbTest([...outcomes('champion', 3, 500, 450), ...outcomes('challenger', 4, 500, 440)], { champion: 3, challenger: 4 })).toMatchObject({
      recommendation: 'keep-champion', reason: expect.stringMatching(/^no significant difference at alpha 0.05/),
    });
    expect(evaluateAbTest([...outcomes('champion', 3, 1000, 850), ...outcomes('challenger', 4, 1000, 800)], { champion: 3, challenger: 4 })).toMatchObject({
      recommendation: 'keep-champion', reason: expect.stringMatching(/^the challenger is significantly less accurate/),
    });
  });

  it('says not enough data below the minimum sample or when a variant has under 10 wrong answers', () => {
    const few = evaluateAbTest([...outcomes('champion', 3, 99, 80), ...outcomes('challenger', 4, 500, 450)], { champion: 3, challenger: 4 });
    const nearlyPerfect = evaluateAbTest([...outcomes('champion', 3, 200, 198), ...outcomes('challenger', 4, 200, 200)], { champion: 3, challenger: 4 });

    expect(few).toMatchObject({ recommendation: 'not-enough-data', reason: 'champion has 99 outcomes, needs 100' });
    expect(nearlyPerfect.recommendation).toBe('not-enough-data');
    expect(nearlyPerfect.reason).toMatch(/n·\(1-p\) >= 10/);
  });
});
