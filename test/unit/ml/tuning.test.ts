import { logLoss } from '../../../lambdas/core/ml/metrics';
import { splitTableByEntity } from '../../../lambdas/core/ml/split';
import { encodeTable, encodeTarget, fitEncoding, selectRows, tableFromCsv } from '../../../lambdas/core/ml/tabular';
import { trainGbdt } from '../../../lambdas/core/ml/trainer';
import {
  createRandom,
  resourceLevels,
  tune,
  TuningError,
  type Params,
  type SearchSpace,
  type TrialRecord,
} from '../../../lambdas/core/ml/tuning';

// A bowl with its minimum 0 at x = 1.5, y = -2, lr = 0.01, depth = 7, booster = 'b'.
const BOWL_SPACE: SearchSpace = {
  x: { type: 'uniform', low: -5, high: 5 },
  y: { type: 'uniform', low: -5, high: 5 },
  lr: { type: 'loguniform', low: 1e-4, high: 1 },
  depth: { type: 'int', low: 1, high: 10 },
  booster: { type: 'choice', values: ['a', 'b', 'c'] },
};
const bowl = (p: Params): number =>
  ((p.x as number) - 1.5) ** 2 +
  ((p.y as number) + 2) ** 2 +
  (Math.log10(p.lr as number) + 2) ** 2 +
  ((p.depth as number) - 7) ** 2 / 4 +
  (p.booster === 'b' ? 0 : 1);

const keyOf = (params: Params): string => JSON.stringify(Object.keys(params).sort().map((name) => params[name]));

describe('tune', () => {
  it('finds better bowl minima with TPE than with random search at equal budget, over eight seeds', async () => {
    // Prepare
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const bestOf = async (sampler: 'tpe' | 'random', seed: number): Promise<number> =>
      (await tune({ space: BOWL_SPACE, objective: bowl, sampler, seed, maxTrials: 40 })).best?.score ?? Infinity;

    // Act
    const tpe = await Promise.all(seeds.map((seed) => bestOf('tpe', seed)));
    const random = await Promise.all(seeds.map((seed) => bestOf('random', seed)));

    // Assess: measured means were about 1.1 (TPE) and 3.1 (random); the margin leaves room.
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(tpe)).toBeLessThan(0.75 * mean(random));
    expect(tpe.filter((score, i) => score < random[i]).length).toBeGreaterThanOrEqual(6);
  });

  it('finds the minimum of a noisy one-dimensional function', async () => {
    // Prepare: (x - 2)^2 plus uniform noise of width 0.3 from a seeded generator.
    const noise = createRandom(99);

    // Act
    const result = await tune({
      space: { x: { type: 'uniform', low: -10, high: 10 } },
      objective: (p) => ((p.x as number) - 2) ** 2 + 0.3 * (noise() - 0.5),
      seed: 5,
      maxTrials: 40,
    });

    // Assess
    expect(Math.abs((result.best?.params.x as number) - 2)).toBeLessThan(0.5);
  });

  it('maximises when asked', async () => {
    // Act
    const result = await tune({
      space: { x: { type: 'uniform', low: -3, high: 3 } },
      objective: (p) => 1 - ((p.x as number) - 1) ** 2,
      direction: 'maximize',
      seed: 2,
      maxTrials: 30,
    });

    // Assess
    expect(result.best?.score).toBeGreaterThan(0.9);
    expect(result.best?.score).toBe(Math.max(...result.trials.map((trial) => trial.score ?? -Infinity)));
  });

  it('never evaluates one configuration twice and stops when a finite space is exhausted', async () => {
    for (const sampler of ['tpe', 'random'] as const) {
      // Prepare: 4 depths x 3 boosters x 3 rates = 36 configurations.
      const evaluated: string[] = [];

      // Act
      const result = await tune({
        space: {
          depth: { type: 'int', low: 1, high: 4 },
          booster: { type: 'choice', values: ['gbtree', 'dart', 'linear'] },
          rate: { type: 'uniform', low: 0.1, high: 0.3, step: 0.1 },
        },
        objective: (p) => {
          evaluated.push(keyOf(p));
          return (p.depth as number) + (p.rate as number);
        },
        sampler,
        seed: 11,
        maxTrials: 100,
        tpe: { startupTrials: 5 },
      });

      // Assess
      expect(new Set(evaluated).size).toBe(evaluated.length);
      expect(evaluated).toHaveLength(36);
      expect(result.stopReason).toBe('spaceExhausted');
      expect(new Set(result.trials.map((trial) => trial.params.rate))).toEqual(new Set([0.1, 0.2, 0.3]));
      expect(result.best?.params).toMatchObject({ depth: 1, rate: 0.1 });
    }
  });

  it('rounds integer parameters before checking for duplicates', async () => {
    // Act
    const result = await tune({ space: { n: { type: 'int', low: 1, high: 500, log: true } }, objective: (p) => Math.abs((p.n as number) - 40), seed: 4, maxTrials: 60 });

    // Assess
    const values = result.trials.map((trial) => trial.params.n as number);
    expect(values.every((n) => Number.isInteger(n) && n >= 1 && n <= 500)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('respects maxTrials exactly', async () => {
    // Prepare
    let calls = 0;

    // Act
    const result = await tune({ space: BOWL_SPACE, objective: (p) => (calls++, bowl(p)), seed: 1, maxTrials: 17 });

    // Assess
    expect(calls).toBe(17);
    expect(result.trials).toHaveLength(17);
    expect(result.stopReason).toBe('maxTrials');
  });

  it('prunes the worse trials at each level and promotes the best third (successive halving)', async () => {
    // Prepare: the score falls with the resource, so only promotions reach low scores.
    const calls: { id: number; resource: number | undefined }[] = [];

    // Act
    const result = await tune({
      space: BOWL_SPACE,
      objective: (p, { resource, trialId }) => {
        calls.push({ id: trialId, resource });
        return bowl(p) + 10 / (resource as number);
      },
      seed: 3,
      maxTrials: 9,
      fidelity: { min: 1, max: 9, reductionFactor: 3 },
    });

    // Assess
    expect(calls.map((call) => call.resource)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 9]);
    const byStatus = (status: string): TrialRecord[] => result.trials.filter((trial) => trial.status === status);
    expect(byStatus('pruned')).toHaveLength(8);
    expect(byStatus('completed')).toHaveLength(1);
    const winner = byStatus('completed')[0];
    expect(winner.history.map((step) => step.resource)).toEqual([1, 3, 9]);
    expect(result.best?.id).toBe(winner.id);
    const promotedAtFirst = result.trials.filter((trial) => trial.history.length >= 2);
    const prunedAtFirst = result.trials.filter((trial) => trial.history.length === 1);
    const worstPromoted = Math.max(...promotedAtFirst.map((trial) => trial.history[0].score));
    expect(prunedAtFirst.every((trial) => trial.history[0].score >= worstPromoted)).toBe(true);
    expect(result.resourceSpent).toBe(9 * 1 + 3 * 3 + 9);
  });

  it('keeps the total resource within maxResource', async () => {
    // Act
    const result = await tune({
      space: BOWL_SPACE,
      objective: (p, { resource }) => bowl(p) + 1 / (resource as number),
      seed: 8,
      maxResource: 200,
      fidelity: { min: 2, max: 54 },
    });

    // Assess
    const spent = result.trials.reduce((sum, trial) => sum + trial.history.reduce((s, step) => s + (step.resource as number), 0), 0);
    expect(result.stopReason).toBe('maxResource');
    expect(result.resourceSpent).toBe(spent);
    expect(result.resourceSpent).toBeLessThanOrEqual(200);
    expect(result.resourceSpent).toBeGreaterThan(200 - 54);
  });

  it('starts Hyperband brackets at every resource level', async () => {
    // Act
    const result = await tune({
      space: BOWL_SPACE,
      objective: (p, { resource }) => bowl(p) + 5 / (resource as number),
      seed: 6,
      maxTrials: 40,
      fidelity: { min: 1, max: 9, hyperband: true },
    });

    // Assess
    const firstResources = new Set(result.trials.map((trial) => trial.history[0]?.resource));
    expect(firstResources).toEqual(new Set([1, 3, 9]));
    expect(result.best?.resource).toBe(9);
    expect(result.trials.some((trial) => trial.status === 'pruned')).toBe(true);
  });

  it('gives identical trials for one seed and different ones for another', async () => {
    // Prepare
    const run = (seed: number) => tune({ space: BOWL_SPACE, objective: async (p) => bowl(p), seed, maxTrials: 25, fidelity: { min: 1, max: 3 } });

    // Act
    const [first, second, other] = await Promise.all([run(21), run(21), run(22)]);

    // Assess
    expect(second.trials).toEqual(first.trials);
    expect(other.trials.map((trial) => trial.params)).not.toEqual(first.trials.map((trial) => trial.params));
  });

  it('records failed trials with the error and carries on', async () => {
    // Prepare
    const logged: TrialRecord[] = [];

    // Act
    const result = await tune({
      space: { x: { type: 'uniform', low: 0, high: 10 } },
      objective: (p) => {
        const x = p.x as number;
        if (x > 7) throw new Error(`diverged at x=${x.toFixed(2)}`);
        return x > 6 ? Number.NaN : (x - 3) ** 2;
      },
      seed: 1,
      maxTrials: 30,
      onTrial: (trial) => logged.push(trial),
    });

    // Assess
    const failed = result.trials.filter((trial) => trial.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const trial of failed) {
      expect(trial.score).toBeUndefined();
      expect(trial.error).toMatch(/^(diverged at x=\d+\.\d\d|objective returned NaN, not a finite number)$/);
    }
    expect(result.trials).toHaveLength(30);
    expect(result.best?.status).toBe('completed');
    expect(Math.abs((result.best?.params.x as number) - 3)).toBeLessThan(0.5);
    expect([...logged].sort((a, b) => a.id - b.id)).toEqual(result.trials);
  });

  it('returns no best trial when every trial fails', async () => {
    const result = await tune({ space: { x: { type: 'uniform', low: 0, high: 1 } }, objective: () => Promise.reject(new Error('no data')), maxTrials: 3 });
    expect(result.best).toBeNull();
    expect(result.trials.map((trial) => trial.error)).toEqual(['no data', 'no data', 'no data']);
  });

  it('stops starting trials once the signal is aborted', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const result = await tune({
      space: BOWL_SPACE,
      objective: bowl,
      maxTrials: 50,
      signal: controller.signal,
      onTrial: (trial) => {
        if (trial.id === 4) controller.abort();
      },
    });

    // Assess
    expect(result.stopReason).toBe('aborted');
    expect(result.trials).toHaveLength(5);
  });

  it('rejects a malformed space or a missing budget, naming the field', async () => {
    await expect(tune({ space: { x: { type: 'uniform', low: 2, high: 1 } }, objective: bowl, maxTrials: 5 })).rejects.toThrow(
      new TuningError('space.x', 'needs finite low < high, got [2, 1]'),
    );
    await expect(tune({ space: { lr: { type: 'loguniform', low: 0, high: 1 } }, objective: bowl, maxTrials: 5 })).rejects.toThrow('space.lr: loguniform needs low > 0');
    await expect(tune({ space: { k: { type: 'choice', values: ['a', 'a'] } }, objective: bowl, maxTrials: 5 })).rejects.toThrow('space.k: choice values repeat');
    await expect(tune({ space: BOWL_SPACE, objective: bowl })).rejects.toBeInstanceOf(TuningError);
  });
});

describe('resourceLevels', () => {
  it('divides the maximum by the reduction factor down to the minimum', () => {
    expect(resourceLevels({ min: 10, max: 100 })).toEqual([11, 33, 100]);
    expect(resourceLevels({ min: 1, max: 27 })).toEqual([1, 3, 9, 27]);
    expect(resourceLevels({ min: 0.5, max: 2, reductionFactor: 2, integer: false })).toEqual([0.5, 1, 2]);
  });
});

describe('tuning the embedded trainer', () => {
  it('tunes depth and learning rate with boosting rounds as the resource on a tiny data set', async () => {
    // Prepare: 600 rows of 150 patients; the label follows age, a category and a flag.
    const random = createRandom(17);
    const lines = ['patient,age,ward,smoker,readmitted'];
    for (let row = 0; row < 600; row++) {
      const age = 20 + random() * 60;
      const ward = ['A', 'B', 'C'][Math.floor(random() * 3)];
      const smoker = random() < 0.3;
      const margin = (age - 50) / 10 + (ward === 'C' ? 1.5 : 0) + (smoker ? 1 : 0) - 0.5;
      lines.push(`p${row % 150},${age.toFixed(1)},${ward},${smoker ? 'yes' : 'no'},${random() < 1 / (1 + Math.exp(-margin)) ? 1 : 0}`);
    }
    const table = tableFromCsv(lines.join('\n'));
    const { encodings, features } = fitEncoding(table, { target: 'readmitted', entityId: 'patient' });
    const matrix = encodeTable(encodings, table);
    const labels = encodeTarget(table, { target: 'readmitted', task: 'binary' }).values;
    const split = splitTableByEntity(table, 'patient', { fractions: { train: 0.7, validation: 0.3, test: 0 } });
    const side = (rows: Uint32Array) => ({ features: selectRows(matrix, rows), labels: Float64Array.from(rows, (row) => labels[row]) });
    const train = side(split.train);
    const validation = side(split.validation);

    // Act
    const result = await tune({
      space: { maxDepth: { type: 'int', low: 1, high: 4 }, learningRate: { type: 'loguniform', low: 0.01, high: 0.5 } },
      objective: async (params, { resource }) => {
        const { report } = await trainGbdt(
          { objective: 'binary:logistic', featureSpecs: features, ...train, validation },
          { ...params, nEstimators: resource, nThreads: 1, seed: 1 },
        );
        return report.validationLoss[report.validationLoss.length - 1];
      },
      seed: 3,
      maxTrials: 9,
      fidelity: { min: 5, max: 45 },
    });

    // Assess: the winner went through every level and beats always predicting the base rate.
    const baseRate = train.labels.reduce((a, b) => a + b, 0) / train.labels.length;
    const baseline = logLoss(validation.labels, new Float64Array(validation.labels.length).fill(baseRate));
    expect(result.best?.history.map((step) => step.resource)).toEqual([5, 15, 45]);
    expect(result.best?.score).toBeLessThan(baseline - 0.05);
    expect(result.trials.filter((trial) => trial.status === 'pruned')).toHaveLength(8);
    expect(result.trials.every((trial) => trial.status !== 'failed')).toBe(true);
  });
});
