import fc from 'fast-check';
import { binFeatures, binTrainingFeatures, missingBin, valueBin, type FeatureMatrix } from '../../../lambdas/core/ml/binning';
import type { FeatureSpec } from '../../../lambdas/core/ml/model';
import { TrainingInputError } from '../../../lambdas/core/ml/training-errors';

function column(values: number[], type: FeatureSpec['type'] = 'float', array: 'f32' | 'f64' = 'f64'): { matrix: FeatureMatrix; specs: FeatureSpec[] } {
  return {
    matrix: { values: array === 'f32' ? Float32Array.from(values) : Float64Array.from(values), nRows: values.length, nCols: 1 },
    specs: [{ name: 'x', column: 'x', type }],
  };
}

/** Local bins of a one-column binned matrix. */
function localBins(bins: Uint16Array | Uint32Array, offset: number): number[] {
  return Array.from(bins, (b) => b - offset);
}

function thrownBy(fn: () => unknown): TrainingInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingInputError);
    return error as TrainingInputError;
  }
  throw new Error('expected a TrainingInputError, nothing was thrown');
}

describe('binTrainingFeatures', () => {
  it('gives every distinct value its own bin, cut at float32 midpoints after an empty bin 0, and NaN the missing bin', () => {
    // Prepare
    const { matrix, specs } = column([3, 1, NaN, 2, 1, 3]);

    // Act
    const { cuts, binned } = binTrainingFeatures(matrix, specs);

    // Assess: bin 0 (< 1) is empty, then 1 | 2 | 3, then missing
    expect(Array.from(cuts.thresholds[0])).toEqual([1, 1.5, 2.5]);
    expect(Array.from(cuts.binOffset)).toEqual([0, 5]);
    expect(missingBin(cuts, 0)).toBe(4);
    expect(localBins(binned.bins, 0)).toEqual([3, 1, 4, 2, 1, 3]);
    expect(Array.from(binned.columns)).toEqual(Array.from(binned.bins));
  });

  it('numbers bins globally: each column starts after the previous column and its missing bin', () => {
    // Prepare: row-major, 3 rows x 2 columns
    const matrix: FeatureMatrix = { values: Float64Array.from([0, 10, 1, NaN, 0, 30]), nRows: 3, nCols: 2 };
    const specs: FeatureSpec[] = [
      { name: 'a', column: 'a', type: 'boolean' },
      { name: 'b', column: 'b', type: 'float' },
    ];

    // Act
    const { cuts, binned } = binTrainingFeatures(matrix, specs);

    // Assess: a has bin 0, two value bins and missing (0..3); b the same (4..7)
    expect(Array.from(cuts.binOffset)).toEqual([0, 4, 8]);
    expect(Array.from(binned.bins)).toEqual([1, 5, 2, 7, 1, 6]);
    expect(Array.from(binned.columns)).toEqual([1, 2, 1, 5, 7, 6]);
  });

  it('cuts many distinct values at quantiles: four bins of 250 rows each for 1000 distinct values', () => {
    // Prepare
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);

    // Act
    const { cuts, binned } = binTrainingFeatures(column(values).matrix, column(values).specs, { maxBin: 4 });

    // Assess
    expect(Array.from(cuts.thresholds[0])).toEqual([0, 249.5, 499.5, 749.5]);
    const counts = [0, 0, 0, 0, 0];
    for (const b of binned.bins) counts[b]++;
    expect(counts).toEqual([0, 250, 250, 250, 250]);
  });

  it('moves quantile cuts toward heavily weighted rows', () => {
    // Prepare: rows 0..99, the first ten weigh 100 each
    const values = Array.from({ length: 100 }, (_, i) => i);
    const weights = Float64Array.from(values, (i) => (i < 10 ? 100 : 1));

    // Act
    const unweighted = binTrainingFeatures(column(values).matrix, column(values).specs, { maxBin: 2 });
    const weighted = binTrainingFeatures(column(values).matrix, column(values).specs, { maxBin: 2, weights });

    // Assess: the median by count is ~50, by weight it falls inside the heavy rows
    expect(unweighted.cuts.thresholds[0][1]).toBe(49.5);
    expect(weighted.cuts.thresholds[0][1]).toBeLessThan(10);
  });

  it('keeps one bin per categorical code', () => {
    // Prepare
    const codes = Array.from({ length: 60 }, (_, i) => i % 12);

    // Act
    const { cuts } = binTrainingFeatures(column(codes, 'categorical').matrix, column(codes, 'categorical').specs);

    // Assess
    expect(Array.from(cuts.thresholds[0])).toEqual([0, ...Array.from({ length: 11 }, (_, i) => i + 0.5)]);
  });

  it('separates adjacent float32 values in float32 input, and never splits values that share a float32', () => {
    // Prepare: 1 and the next float32 above it; and two doubles that round to the same float32
    const next = Math.fround(1 + 2 ** -23);
    const f32 = column([1, next], 'float', 'f32');
    const f64 = column([1, 1 + 2 ** -30], 'float', 'f64');

    // Act
    const adjacent = binTrainingFeatures(f32.matrix, f32.specs);
    const sameFloat32 = binTrainingFeatures(f64.matrix, f64.specs);

    // Assess
    expect(Array.from(adjacent.cuts.thresholds[0])).toEqual([1, next]);
    expect(localBins(adjacent.binned.bins, 0)).toEqual([1, 2]);
    expect(Array.from(sameFloat32.cuts.thresholds[0])).toEqual([1]);
  });

  it('agrees with the model rule for every training value: bin <= b exactly when x < threshold[b], raw or float32', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 1, 1 + 1e-9, 1 + 2e-7, NaN)), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 2, max: 40 }),
        (values, maxBin) => {
          const { matrix, specs } = column(values);
          const { cuts, binned } = binTrainingFeatures(matrix, specs, { maxBin });
          const thresholds = cuts.thresholds[0];
          values.forEach((x, r) => {
            const bin = binned.bins[r];
            if (Number.isNaN(x)) {
              expect(bin).toBe(missingBin(cuts, 0));
              return;
            }
            thresholds.forEach((t, b) => {
              expect(bin <= b).toBe(x < t);
              expect(bin <= b).toBe(Math.fround(x) < t);
            });
          });
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('switches to 32-bit bin ids when the bins of all columns exceed 65,535', () => {
    // Prepare: 220 columns x 300 distinct values each, 302 bins a column
    const nRows = 300;
    const nCols = 220;
    const values = new Float64Array(nRows * nCols).map((_, i) => Math.floor(i / nCols));
    const specs = Array.from({ length: nCols }, (_, c): FeatureSpec => ({ name: `c${c}`, column: `c${c}`, type: 'float' }));

    // Act
    const { cuts, binned } = binTrainingFeatures({ values, nRows, nCols }, specs, { maxBin: 300 });

    // Assess
    expect(binned.bins).toBeInstanceOf(Uint32Array);
    expect(cuts.binOffset[nCols]).toBe(nCols * 302);
    expect(binned.bins[(nRows - 1) * nCols + nCols - 1]).toBe(cuts.binOffset[nCols - 1] + 300);
  });

  it.each(['f32', 'f64'] as const)('bins every column of a wide %s matrix as it bins that column alone', (array) => {
    // Prepare: 19 columns (groups of 8 columns are copied out of the input at a time, the
    // last group partial), each with its own scale, ties and missing values
    const nRows = 700;
    const nCols = 19;
    const values = (array === 'f32' ? new Float32Array(nRows * nCols) : new Float64Array(nRows * nCols)).map((_, i) => {
      const r = Math.floor(i / nCols);
      const c = i % nCols;
      return (r * 7 + c * 13) % 11 === 0 ? NaN : Math.round(Math.sin(r * (c + 1)) * 50 * (c + 1)) / 7;
    });
    const specs = Array.from({ length: nCols }, (_, c): FeatureSpec => ({ name: `c${c}`, column: `c${c}`, type: 'float' }));

    // Act
    const { cuts, binned } = binTrainingFeatures({ values, nRows, nCols }, specs, { maxBin: 40 });

    // Assess
    for (let c = 0; c < nCols; c++) {
      const alone = column(Array.from({ length: nRows }, (_, r) => values[r * nCols + c]), 'float', array);
      const single = binTrainingFeatures(alone.matrix, alone.specs, { maxBin: 40 });
      expect(cuts.thresholds[c]).toEqual(single.cuts.thresholds[0]);
      const bins = Array.from({ length: nRows }, (_, r) => binned.bins[r * nCols + c] - cuts.binOffset[c]);
      expect(bins).toEqual(localBins(single.binned.bins, 0));
    }
  });

  it('allocates the bin matrix on a SharedArrayBuffer when asked', () => {
    // Prepare
    const { matrix, specs } = column([1, 2, 3]);

    // Act
    const { binned } = binTrainingFeatures(matrix, specs, { shared: true });

    // Assess
    expect(binned.bins.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it.each([
    ['Infinity', [1, Infinity], 'float', /features \(row 1, column "x"\): is Infinity/],
    ['a value beyond float32', [1e39, 1], 'float', /row 0, column "x"\): is 1e\+39, outside the float32 range/],
    ['a boolean that is not 0 or 1', [0, 2], 'boolean', /row 1, column "x"\): is 2; a boolean feature takes 0 or 1/],
    ['a fractional category code', [1.5, 0], 'categorical', /row 0, column "x"\): is 1.5; a categorical feature takes non-negative integer codes/],
    ['a negative category code', [0, -1], 'categorical', /row 1, column "x"\): is -1/],
  ] as const)('rejects %s, naming the row and column', (_, values, type, message) => {
    // Prepare
    const { matrix, specs } = column([...values], type);

    // Act
    const error = thrownBy(() => binTrainingFeatures(matrix, specs));

    // Assess
    expect(error.message).toMatch(message);
  });

  it('rejects a value array whose length does not match rows x columns', () => {
    // Act
    const error = thrownBy(() => binTrainingFeatures({ values: new Float64Array(5), nRows: 2, nCols: 3 }, [], {}));

    // Assess
    expect(error.message).toBe('features: has 5 values but 2 rows x 3 columns need 6');
  });

  it('rejects maxBin outside [2, 65535]', () => {
    // Prepare
    const { matrix, specs } = column([1, 2]);

    // Act
    const error = thrownBy(() => binTrainingFeatures(matrix, specs, { maxBin: 1 }));

    // Assess
    expect(error.field).toBe('params.maxBin');
    expect(error.message).toMatch(/must be an integer in \[2, 65535\] \(got 1\)/);
  });
});

describe('binFeatures', () => {
  it('bins new rows with the training cuts: values beyond the training range land in the end bins', () => {
    // Prepare
    const training = column([1, 2, 3]);
    const { cuts } = binTrainingFeatures(training.matrix, training.specs);
    const fresh = column([-100, 1.5, 2.49, 2.5, 100, NaN]);

    // Act
    const binned = binFeatures(fresh.matrix, fresh.specs, cuts, { field: 'validation.features' });

    // Assess
    expect(localBins(binned.bins, 0)).toEqual([0, 2, 2, 3, 3, 4]);
  });

  it('names its input in errors', () => {
    // Prepare
    const training = column([1, 2, 3]);
    const { cuts } = binTrainingFeatures(training.matrix, training.specs);
    const fresh = column([1, -Infinity]);

    // Act
    const error = thrownBy(() => binFeatures(fresh.matrix, fresh.specs, cuts, { field: 'validation.features' }));

    // Assess
    expect(error.message).toBe('validation.features (row 1, column "x"): is -Infinity; only finite values or NaN (missing) are allowed');
  });
});

describe('valueBin', () => {
  it('counts the thresholds at or below the float32 value', () => {
    // Prepare
    const thresholds = Float32Array.from([1, 1.5, 2.5]);

    // Act & Assess
    expect([0, 1, 1.5, 2, 2.5, 9].map((x) => valueBin(thresholds, x))).toEqual([0, 1, 2, 2, 3, 3]);
  });
});
