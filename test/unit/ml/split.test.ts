import fc from 'fast-check';
import {
  assignSplit,
  balancedSampleWeights,
  murmur3,
  positiveRate,
  scalePosWeight,
  SplitError,
  splitByEntity,
  splitTableByEntity,
} from '../../../lambdas/core/ml/split';
import { DataError, tableFromCsv } from '../../../lambdas/core/ml/tabular';

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    if (error instanceof SplitError) expect(error.message.startsWith(error.index === undefined ? error.field : `${error.field}[${error.index}]`)).toBe(true);
    if (error instanceof DataError && error.row !== undefined) expect(error.message).toContain(`row ${error.row}`);
    return error as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('murmur3', () => {
  it('matches the published MurmurHash3 x86_32 test vectors', () => {
    // Reference values from the SMHasher / MurmurHash3 test suites.
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
    expect(murmur3('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3('a', 0x9747b28c)).toBe(0x7fa09ea6);
  });
});

describe('assignSplit', () => {
  it('keeps the recorded assignment of known ids (a change of hash or bucketing breaks this)', () => {
    // Prepare
    const ids = ['patient-0001', 'patient-0002', 'patient-0003', 'patient-0004', 'patient-0005', 'patient-0006', 'Zoë', '42'];

    // Act
    const sides = ids.map((id) => assignSplit(id));
    const seeded = ids.map((id) => assignSplit(id, { seed: 7 }));

    // Assess
    expect(sides).toEqual(['validation', 'train', 'train', 'validation', 'train', 'test', 'train', 'validation']);
    expect(seeded).toEqual(['test', 'train', 'train', 'train', 'validation', 'train', 'validation', 'test']);
  });

  it('puts everything in train when train takes the whole fraction', () => {
    const sides = ['a', 'b', 'c', 'd'].map((id) => assignSplit(id, { fractions: { train: 1, validation: 0, test: 0 } }));
    expect(sides).toEqual(['train', 'train', 'train', 'train']);
  });

  it('rejects fractions that do not add up to 1, naming the field', () => {
    // Act
    const error = thrownBy(() => assignSplit('a', { fractions: { train: 0.7, validation: 0.2, test: 0.2 } }));

    // Assess
    expect(error).toBeInstanceOf(SplitError);
    expect(error.message).toContain('fractions: must add up to 1');
  });

  it('rejects a negative fraction and a bad seed', () => {
    expect(thrownBy(() => assignSplit('a', { fractions: { train: 1.1, validation: -0.1, test: 0 } })).message).toContain('fractions.train');
    expect(thrownBy(() => assignSplit('a', { seed: -1 }))).toBeInstanceOf(SplitError);
  });
});

describe('splitByEntity', () => {
  it('gives the same split on every call', () => {
    // Prepare
    const ids = Array.from({ length: 500 }, (_, i) => `member-${i % 120}`);

    // Act
    const first = splitByEntity(ids, { seed: 3 });
    const second = splitByEntity([...ids], { seed: 3 });

    // Assess
    expect(second.assignment).toEqual(first.assignment);
    expect(Array.from(second.test)).toEqual(Array.from(first.test));
  });

  it('never puts one entity on two sides', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 7, 8), { minLength: 1, maxLength: 60 }), fc.nat(1000), (ids, seed) => {
        const split = splitByEntity(ids, { seed });
        const sideOf = new Map<string, string>();
        ids.forEach((id, row) => {
          const side = split.assignment[row];
          expect(sideOf.get(String(id)) ?? side).toBe(side);
          sideOf.set(String(id), side);
        });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('indexes every row exactly once, in order, and counts entities per side', () => {
    // Prepare
    const ids = ['p1', 'p2', 'p1', 'p3', 'p4', 'p2', 42, '42'];

    // Act
    const split = splitByEntity(ids);

    // Assess
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(split.assignment[6]).toBe(split.assignment[7]);
    const entities = split.entityCounts.train + split.entityCounts.validation + split.entityCounts.test;
    expect(entities).toBe(5);
  });

  it('comes close to the requested fractions on many entities', () => {
    // Prepare
    const ids = Array.from({ length: 20000 }, (_, i) => `e${i}`);

    // Act
    const split = splitByEntity(ids);

    // Assess
    expect(split.train.length / ids.length).toBeCloseTo(0.7, 1);
    expect(split.validation.length / ids.length).toBeCloseTo(0.15, 1);
    expect(split.test.length / ids.length).toBeCloseTo(0.15, 1);
  });

  it('rejects a missing or empty entity id with its index', () => {
    // Act
    const missing = thrownBy(() => splitByEntity(['a', null, 'b']));
    const empty = thrownBy(() => splitByEntity(['a', 'b', '  ']));

    // Assess
    expect(missing).toBeInstanceOf(SplitError);
    expect(missing.message).toBe('entityIds[1]: entity id is missing');
    expect(empty.message).toBe('entityIds[2]: entity id is empty');
  });

  it('splits a table by its entity column and names the row of a missing id', () => {
    // Prepare
    const table = tableFromCsv('id,x\np1,1\np1,2\np2,3');
    const broken = tableFromCsv('id,x\np1,1\n,2');

    // Act
    const split = splitTableByEntity(table, 'id');
    const error = thrownBy(() => splitTableByEntity(broken, 'id'));

    // Assess
    expect(split.assignment[0]).toBe(split.assignment[1]);
    expect(error).toBeInstanceOf(DataError);
    expect(error).toMatchObject({ column: 'id', row: 3 });
  });
});

describe('class imbalance helpers', () => {
  const labels = [0, 0, 0, 1, 0, 1, 0, 0];

  it('computes the positive rate and the scale_pos_weight suggestion', () => {
    expect(positiveRate(labels)).toBe(0.25);
    expect(scalePosWeight(labels)).toBe(3);
  });

  it('gives balanced weights equal to sklearn compute_sample_weight("balanced")', () => {
    // Reference: sklearn 1.2.1 compute_sample_weight('balanced', [0,0,0,1,0,1,0,0]).
    const expected = [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0, 0.6666666666666666, 2.0, 0.6666666666666666, 0.6666666666666666];
    Array.from(balancedSampleWeights(labels)).forEach((weight, i) => expect(weight).toBeCloseTo(expected[i], 12));
  });

  it('rejects labels other than 0/1 with their index, and single-class labels', () => {
    expect(thrownBy(() => positiveRate([0, 1, 2])).message).toBe('labels[2]: must be 0 or 1, got 2');
    expect(thrownBy(() => scalePosWeight([0, 0])).message).toContain('no positive');
    expect(thrownBy(() => balancedSampleWeights([1, 1]))).toBeInstanceOf(SplitError);
    expect(thrownBy(() => positiveRate([])).message).toBe('labels: is empty');
  });
});
