import {
  accuracy,
  auc,
  binaryMetrics,
  calibration,
  confusionMatrix,
  expectedCalibrationError,
  f1,
  logLoss,
  mae,
  MetricError,
  metricsBySubgroup,
  precision,
  recall,
  rmse,
} from '../../../lambdas/core/ml/metrics';

function thrownBy(fn: () => unknown): MetricError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricError);
    const metricError = error as MetricError;
    const where = metricError.index === undefined ? metricError.field : `${metricError.field}[${metricError.index}]`;
    expect(metricError.message.startsWith(`${where}: `)).toBe(true);
    return metricError;
  }
  throw new Error('expected a MetricError, nothing was thrown');
}

// A 20-row sample; the expected values marked "sklearn" were computed with scikit-learn 1.2.1
// (Debian python3-sklearn, /usr/bin/python3) on exactly these arrays.
const Y = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0];
const P = [0.12, 0.81, 0.55, 0.4, 0.67, 0.05, 0.55, 0.93, 0.3, 0.22, 0.71, 0.64, 0.18, 0.35, 0.48, 0.88, 0.09, 0.55, 0.77, 0.26];
const W = [1, 2, 1, 1, 3, 1, 2, 1, 1, 1, 0.5, 1, 1, 2, 1, 1, 1, 1, 1, 2];

describe('auc', () => {
  it('counts one misordered pair out of four as 0.75', () => {
    // Pairs (pos, neg): (0.35, 0.1) ok, (0.35, 0.4) wrong, (0.8, 0.1) ok, (0.8, 0.4) ok.
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('gives tied scores half credit (average rank)', () => {
    // Pairs: (0.5 vs 0.5) = 0.5, the other three = 1, so 3.5 / 4.
    expect(auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBe(0.875);
    expect(auc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it('matches sklearn roc_auc_score, unweighted and weighted', () => {
    expect(auc(Y, P)).toBeCloseTo(0.8484848484848484, 12); // sklearn
    expect(auc(Y, P, W)).toBeCloseTo(0.8726708074534161, 12); // sklearn, sample_weight=W
  });

  it('accepts margins outside [0, 1]', () => {
    expect(auc([0, 1, 0, 1], [-3, 2, 0.5, 7])).toBe(1);
  });

  it('is undefined for one class', () => {
    expect(thrownBy(() => auc([1, 1], [0.2, 0.9])).message).toBe('yTrue: AUC is undefined: no negative rows');
  });
});

describe('logLoss', () => {
  it('matches sklearn log_loss, unweighted and weighted', () => {
    expect(logLoss(Y, P)).toBeCloseTo(0.4770303570981865, 12); // sklearn
    expect(logLoss(Y, P, { weights: W })).toBeCloseTo(0.4671150532193879, 12); // sklearn, sample_weight=W
  });

  it('clips confident mistakes to a finite loss', () => {
    // Act
    const loss = logLoss([1, 0], [0, 1], { eps: 1e-6 });

    // Assess
    expect(loss).toBeCloseTo(-Math.log(1e-6), 9);
  });
});

describe('thresholded metrics', () => {
  it('match sklearn at 0.5', () => {
    // sklearn confusion_matrix(...).ravel() = tn 8, fp 3, fn 2, tp 7
    expect(confusionMatrix(Y, P)).toEqual({ truePositives: 7, falsePositives: 3, trueNegatives: 8, falseNegatives: 2 });
    expect(accuracy(Y, P)).toBeCloseTo(0.75, 12);
    expect(precision(Y, P)).toBeCloseTo(0.7, 12);
    expect(recall(Y, P)).toBeCloseTo(0.7777777777777778, 12);
    expect(f1(Y, P)).toBeCloseTo(0.7368421052631577, 12);
  });

  it('match sklearn at 0.7', () => {
    expect(accuracy(Y, P, 0.7)).toBeCloseTo(0.7, 12);
    expect(precision(Y, P, 0.7)).toBeCloseTo(0.8, 12);
    expect(recall(Y, P, 0.7)).toBeCloseTo(0.4444444444444444, 12);
    expect(f1(Y, P, 0.7)).toBeCloseTo(0.5714285714285714, 12);
  });

  it('count a probability equal to the threshold as positive', () => {
    expect(confusionMatrix([1, 0], [0.5, 0.49])).toEqual({ truePositives: 1, falsePositives: 0, trueNegatives: 1, falseNegatives: 0 });
  });

  it('return 0 where sklearn zero_division=0 does', () => {
    expect(precision([1, 0], [0.1, 0.2])).toBe(0);
    expect(recall([0, 0], [0.1, 0.9])).toBe(0);
    expect(f1([0, 0], [0.1, 0.2])).toBe(0);
  });
});

describe('calibration', () => {
  it('builds the reliability table that sklearn calibration_curve gives', () => {
    // Act
    const result = calibration(Y, P, 5);

    // Assess: sklearn calibration_curve(Y, P, n_bins=5)
    expect(result.bins.map((bin) => bin.fractionPositive)).toEqual([0, 0.2, 0.75, 0.5, 1]);
    const means = [0.11, 0.306, 0.5325, 0.6975, 0.8733333333333334];
    result.bins.forEach((bin, b) => expect(bin.meanPredicted).toBeCloseTo(means[b], 12));
    expect(result.bins.map((bin) => bin.count)).toEqual([4, 5, 4, 4, 3]);
    expect(result.bins[1]).toMatchObject({ lower: 0.2, upper: 0.4 });
  });

  it('computes the expected calibration error (numpy on the same right-closed bins)', () => {
    expect(calibration(Y, P, 5).ece).toBeCloseTo(0.1505, 12);
    expect(expectedCalibrationError(Y, P)).toBeCloseTo(0.1725, 12);
  });

  it('puts a probability on a bin edge in the lower bin, even where p * bins rounds up', () => {
    // 0.7 * 10 is 7.000000000000001 in floating point; 0.7 still belongs to (0.6, 0.7].
    const result = calibration([0, 1, 1, 0], [0.7, 0.2, 0, 1], 10);
    expect(result.bins.map((bin) => bin.count)).toEqual([1, 1, 0, 0, 0, 0, 1, 0, 0, 1]);
  });

  it('leaves empty bins null and puts p = 1 in the last bin', () => {
    // Prepare: bin 1: p = 0.1 (y 0) -> gap 0.1; bin 4 of 4: p = 0.9 and 1 (y 1, 1) -> gap 0.05.
    // Act
    const result = calibration([0, 1, 1], [0.1, 0.9, 1], 4);

    // Assess
    expect(result.bins.map((bin) => bin.count)).toEqual([1, 0, 0, 2]);
    expect(result.bins[1]).toMatchObject({ meanPredicted: null, fractionPositive: null });
    expect(result.ece).toBeCloseTo((1 / 3) * 0.1 + (2 / 3) * 0.05, 12);
    expect(result.maxCalibrationError).toBeCloseTo(0.1, 12);
  });
});

describe('regression metrics', () => {
  it('match sklearn mean_squared_error (root) and mean_absolute_error', () => {
    const yTrue = [3, -0.5, 2, 7, 4.2];
    const yPred = [2.5, 0, 2, 8, 3.9];
    expect(rmse(yTrue, yPred)).toBeCloseTo(0.5639148871948674, 12);
    expect(mae(yTrue, yPred)).toBeCloseTo(0.4600000000000001, 12);
  });
});

describe('binaryMetrics', () => {
  it('reports every metric at once and nulls the undefined ones with a reason', () => {
    // Act
    const all = binaryMetrics(Y, P);
    const oneClass = binaryMetrics([0, 0, 0], [0.1, 0.2, 0.3]);

    // Assess
    expect(all.metrics.auc).toBeCloseTo(0.8484848484848484, 12);
    expect(all.metrics.f1).toBeCloseTo(0.7368421052631577, 12);
    expect(all.positives).toBe(9);
    expect(oneClass.metrics).toMatchObject({ auc: null, precision: null, recall: null, f1: null, accuracy: 1 });
    expect(oneClass.undefinedReasons.auc).toBe('AUC is undefined: no positive rows');
  });
});

describe('metricsBySubgroup', () => {
  // Group A: perfect ranking; group B: inverted; group C: only negatives.
  const yTrue = [0, 1, 0, 1, 0, 1, 0, 1, 0, 0];
  const yProb = [0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.6, 0.4, 0.2, 0.6];
  const groups = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'C', 'C'];

  it('computes metrics per subgroup with counts and the largest gap per metric', () => {
    // Act
    const report = metricsBySubgroup(yTrue, yProb, groups);

    // Assess
    expect(report.groups.map((group) => [group.group, group.count, group.positives])).toEqual([
      ['A', 4, 2],
      ['B', 4, 2],
      ['C', 2, 0],
    ]);
    expect(report.groups[0].metrics.auc).toBe(1);
    expect(report.groups[1].metrics.auc).toBe(0);
    expect(report.groups[0].metrics.accuracy).toBe(1);
    expect(report.groups[1].metrics.accuracy).toBe(0);
    expect(report.groups[2].metrics.accuracy).toBe(0.5);
    expect(report.gaps.auc).toEqual({ gap: 1, lowest: { group: 'B', value: 0 }, highest: { group: 'A', value: 1 }, groupsCompared: 2 });
    expect(report.gaps.accuracy).toMatchObject({ gap: 1, lowest: { group: 'B' }, highest: { group: 'A' }, groupsCompared: 3 });
  });

  it('gives a one-class subgroup a null AUC with the reason', () => {
    // Act
    const report = metricsBySubgroup(yTrue, yProb, groups);

    // Assess
    const c = report.groups[2];
    expect(c.metrics.auc).toBeNull();
    expect(c.undefinedReasons.auc).toBe('AUC is undefined: no positive rows');
    expect(c.metrics.recall).toBeNull();
  });

  it('reports missing group values as a null group, listed last', () => {
    const report = metricsBySubgroup([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.1], ['x', null, undefined, 'x']);
    expect(report.groups.map((group) => [group.group, group.count])).toEqual([
      ['x', 2],
      [null, 2],
    ]);
  });

  it('leaves subgroups below minGroupSize out of the gaps', () => {
    const report = metricsBySubgroup(yTrue, yProb, groups, { minGroupSize: 3 });
    expect(report.groups[2].includedInGaps).toBe(false);
    expect(report.gaps.accuracy?.groupsCompared).toBe(2);
  });

  it('supports regression', () => {
    // Act
    const report = metricsBySubgroup([1, 2, 3, 4], [1, 2, 5, 4], ['m', 'm', 'f', 'f'], { task: 'regression' });

    // Assess
    expect(report.groups.map((group) => [group.group, group.metrics.mae])).toEqual([
      ['f', 1],
      ['m', 0],
    ]);
    expect(report.gaps.rmse?.gap).toBeCloseTo(Math.sqrt(2), 12);
  });
});

describe('metric input errors', () => {
  it('names a length mismatch', () => {
    expect(thrownBy(() => auc([0, 1, 1], [0.1, 0.2])).message).toBe('yScore: has 2 values but yTrue has 3');
    expect(thrownBy(() => metricsBySubgroup([0, 1], [0.1, 0.2], ['a'])).message).toBe('groupValues: has 1 values but yTrue has 2');
    expect(thrownBy(() => logLoss([0, 1], [0.1, 0.2], { weights: [1] })).field).toBe('weights');
  });

  it('rejects empty input', () => {
    expect(thrownBy(() => logLoss([], [])).message).toBe('yTrue: is empty');
  });

  it('rejects probabilities outside [0, 1] and NaN with their index', () => {
    expect(thrownBy(() => logLoss([0, 1], [0.2, 1.2])).message).toBe('yProb[1]: must be a probability in [0, 1], got 1.2');
    expect(thrownBy(() => calibration([0, 1], [Number.NaN, 0.5])).message).toBe('yProb[0]: is NaN');
    expect(thrownBy(() => f1([0, 1], [-0.1, 0.5])).index).toBe(0);
  });

  it('rejects labels that are not 0/1 and non-finite regression values', () => {
    expect(thrownBy(() => accuracy([0, 2], [0.1, 0.2])).message).toBe('yTrue[1]: must be 0 or 1, got 2');
    expect(thrownBy(() => rmse([1, Number.POSITIVE_INFINITY], [1, 2])).message).toBe('yTrue[1]: must be finite, got Infinity');
    expect(thrownBy(() => auc([0, 1], [0.1, Number.NaN])).message).toBe('yScore[1]: must be finite, got NaN');
  });

  it('rejects a bad threshold, bin count and weights', () => {
    expect(thrownBy(() => precision([0, 1], [0.1, 0.2], 2)).field).toBe('threshold');
    expect(thrownBy(() => calibration([0, 1], [0.1, 0.2], 0)).field).toBe('bins');
    expect(thrownBy(() => auc([0, 1], [0.1, 0.2], [1, -1])).message).toBe('weights[1]: must be finite and >= 0, got -1');
  });
});
