import { CloudWatchValidationError, MetricsStore, type MetricDatum } from '../../../local/cloudwatch/metrics-store';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const NS = 'LuminaOps/Monitoring';

function store(): MetricsStore {
  return new MetricsStore(() => NOW);
}

function datum(extra: Partial<MetricDatum> = {}): MetricDatum {
  return { MetricName: 'feature_baseline_drift_age', Dimensions: [{ Name: 'Project', Value: 'churn' }], Value: 0.12, ...extra };
}

function refusal(action: () => unknown): CloudWatchValidationError {
  try {
    action();
  } catch (error) {
    if (error instanceof CloudWatchValidationError) return error;
    throw error;
  }
  throw new Error('expected a CloudWatchValidationError');
}

const window = { start: new Date('2024-05-01T11:00:00.000Z'), end: new Date('2024-05-01T13:00:00.000Z') };

describe('metrics store: capture and query', () => {
  it('stores a Value datum at the service clock and reads it back for its exact dimensions', () => {
    // Prepare
    const metrics = store();
    // Act
    metrics.putMetricData({ Namespace: NS, MetricData: [datum()] });
    // Assess
    expect(metrics.observations({ namespace: NS, metricName: 'feature_baseline_drift_age', dimensions: { Project: 'churn' }, ...window })).toEqual([
      { timestamp: NOW, unit: 'None', sampleCount: 1, sum: 0.12, minimum: 0.12, maximum: 0.12, values: [{ value: 0.12, count: 1 }] },
    ]);
  });

  it('treats each dimension combination as its own metric, whatever the order of dimensions', () => {
    const metrics = store();
    const twoDims = [{ Name: 'Project', Value: 'churn' }, { Name: 'Feature', Value: 'age' }];
    metrics.putMetricData({ Namespace: NS, MetricData: [datum({ Dimensions: twoDims, Value: 1 }), datum({ Value: 2 })] });
    const read = (dimensions: Record<string, string>) =>
      metrics.observations({ namespace: NS, metricName: 'feature_baseline_drift_age', dimensions, ...window }).map((o) => o.sum);
    expect(read({ Feature: 'age', Project: 'churn' })).toEqual([1]);
    expect(read({ Project: 'churn' })).toEqual([2]);
    expect(read({})).toEqual([]);
    expect(metrics.listMetrics()).toHaveLength(2);
  });

  it('reads a window from its start, inclusive, to its end, exclusive, oldest first, optionally by unit', () => {
    const metrics = store();
    metrics.putMetricData({
      Namespace: NS,
      MetricData: [
        datum({ Timestamp: '2024-05-01T11:10:00.000Z', Value: 3, Unit: 'Count' }),
        datum({ Timestamp: new Date('2024-05-01T11:00:00.000Z'), Value: 1, Unit: 'Count' }),
        datum({ Timestamp: new Date('2024-05-01T11:05:00.000Z'), Value: 2, Unit: 'Percent' }),
      ],
    });
    const query = { namespace: NS, metricName: 'feature_baseline_drift_age', dimensions: { Project: 'churn' } };
    expect(metrics.observations({ ...query, start: new Date('2024-05-01T11:00:00.000Z'), end: new Date('2024-05-01T11:10:00.000Z') }).map((o) => o.sum)).toEqual([1, 2]);
    expect(metrics.observations({ ...query, ...window, unit: 'Count' }).map((o) => o.sum)).toEqual([1, 3]);
  });

  it('keeps Values/Counts and statistic sets as the service does', () => {
    const metrics = store();
    metrics.putMetricData({
      Namespace: NS,
      MetricData: [
        datum({ Value: undefined, Values: [1, 5, 9], Counts: [2, 1, 1] }),
        datum({ Value: undefined, StatisticValues: { SampleCount: 4, Sum: 10, Minimum: 1, Maximum: 4 } }),
      ],
    });
    const [values, set] = metrics.observations({ namespace: NS, metricName: 'feature_baseline_drift_age', dimensions: { Project: 'churn' }, ...window });
    expect(values).toMatchObject({ sampleCount: 4, sum: 16, minimum: 1, maximum: 9 });
    expect(set).toMatchObject({ sampleCount: 4, sum: 10, minimum: 1, maximum: 4, values: undefined });
  });
});

describe('metrics store: PutMetricData limits', () => {
  it('accepts 1000 metric data in one call and refuses 1001', () => {
    const metrics = store();
    expect(() => metrics.putMetricData({ Namespace: NS, MetricData: Array.from({ length: 1000 }, () => datum()) })).not.toThrow();
    const error = refusal(() => metrics.putMetricData({ Namespace: NS, MetricData: Array.from({ length: 1001 }, () => datum()) }));
    expect(error.code).toBe('InvalidParameterValue');
    expect(error.message).toBe('InvalidParameterValue: The collection MetricData must not have a size greater than 1000.');
  });

  it('accepts 30 dimensions and refuses 31', () => {
    const dims = (n: number) => Array.from({ length: n }, (_, i) => ({ Name: `d${i}`, Value: 'v' }));
    expect(() => store().putMetricData({ Namespace: NS, MetricData: [datum({ Dimensions: dims(30) })] })).not.toThrow();
    expect(refusal(() => store().putMetricData({ Namespace: NS, MetricData: [datum(), datum({ Dimensions: dims(31) })] })).message).toBe(
      'InvalidParameterValue: The collection MetricData.member.2.Dimensions must not have a size greater than 30.',
    );
  });

  it('stores nothing from a call with one bad datum', () => {
    const metrics = store();
    refusal(() => metrics.putMetricData({ Namespace: NS, MetricData: [datum(), datum({ Value: Number.NaN })] }));
    expect(metrics.listMetrics()).toEqual([]);
  });

  it.each([
    ['a metric name of 255 characters', datum({ MetricName: 'm'.repeat(255) })],
    ['a dimension value of 1024 characters', datum({ Dimensions: [{ Name: 'Project', Value: 'v'.repeat(1024) }] })],
    ['a value of 2^360', datum({ Value: 2 ** 360 })],
    ['a value of -2^360', datum({ Value: -(2 ** 360) })],
    ['a timestamp two weeks old', datum({ Timestamp: new Date(NOW.getTime() - 14 * 24 * 3600 * 1000) })],
    ['a timestamp two hours ahead', datum({ Timestamp: new Date(NOW.getTime() + 2 * 3600 * 1000) })],
    ['a high-resolution datum', datum({ StorageResolution: 1, Unit: 'Milliseconds' })],
  ])('accepts %s', (_label, d) => {
    expect(() => store().putMetricData({ Namespace: NS, MetricData: [d] })).not.toThrow();
  });

  it.each([
    ['no namespace', { MetricData: [datum()] }, 'MissingParameter', 'The parameter Namespace is required.'],
    ['a namespace of 256 characters', { Namespace: 'n'.repeat(256), MetricData: [datum()] }, 'InvalidParameterValue', 'The parameter Namespace must be shorter than 256 characters.'],
    ['a namespace reserved for AWS', { Namespace: 'AWS/EC2', MetricData: [datum()] }, 'InvalidParameterValue', 'reserved for AWS services'],
    ['no metric data', { Namespace: NS, MetricData: [] }, 'MissingParameter', 'The parameter MetricData is required.'],
    ['a datum without a name', { Namespace: NS, MetricData: [datum(), datum({ MetricName: undefined })] }, 'MissingParameter', 'The parameter MetricData.member.2.MetricName is required.'],
    ['a metric name of 256 characters', { Namespace: NS, MetricData: [datum({ MetricName: 'm'.repeat(256) })] }, 'InvalidParameterValue', 'MetricData.member.1.MetricName must be shorter than 256 characters.'],
    ['a non-ASCII metric name', { Namespace: NS, MetricData: [datum({ MetricName: 'dérive' })] }, 'InvalidParameterValue', 'non-ASCII'],
    ['a dimension value of 1025 characters', { Namespace: NS, MetricData: [datum({ Dimensions: [{ Name: 'P', Value: 'v'.repeat(1025) }] })] }, 'InvalidParameterValue', 'MetricData.member.1.Dimensions.member.1.Value must be shorter than 1025 characters.'],
    ['a blank dimension value', { Namespace: NS, MetricData: [datum({ Dimensions: [{ Name: 'P', Value: '  ' }] })] }, 'InvalidParameterValue', 'at least one non-whitespace character'],
    ['a dimension without a value', { Namespace: NS, MetricData: [datum({ Dimensions: [{ Name: 'P' }] })] }, 'MissingParameter', 'The parameter MetricData.member.1.Dimensions.member.1.Value is required.'],
    ['a dimension name twice', { Namespace: NS, MetricData: [datum({ Dimensions: [{ Name: 'P', Value: 'a' }, { Name: 'P', Value: 'b' }] })] }, 'InvalidParameterValue', 'duplicate dimension names'],
    ['NaN', { Namespace: NS, MetricData: [datum({ Value: Number.NaN })] }, 'InvalidParameterValue', 'The value NaN for parameter MetricData.member.1.Value is invalid'],
    ['Infinity', { Namespace: NS, MetricData: [datum({ Value: Number.POSITIVE_INFINITY })] }, 'InvalidParameterValue', 'special values'],
    ['a value beyond 2^360', { Namespace: NS, MetricData: [datum({ Value: 2 ** 361 })] }, 'InvalidParameterValue', 'range of -2^360 to 2^360'],
    ['a non-finite entry of Values', { Namespace: NS, MetricData: [datum({ Value: undefined, Values: [1, Number.NaN] })] }, 'InvalidParameterValue', 'MetricData.member.1.Values.member.2'],
    ['Value with StatisticValues', { Namespace: NS, MetricData: [datum({ StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } })] }, 'InvalidParameterCombination', 'The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.'],
    ['Value with Values', { Namespace: NS, MetricData: [datum({ Values: [1] })] }, 'InvalidParameterCombination', 'mutually exclusive'],
    ['no value at all', { Namespace: NS, MetricData: [datum({ Value: undefined })] }, 'MissingParameter', 'The parameter MetricData.member.1.Value is required.'],
    ['151 values', { Namespace: NS, MetricData: [datum({ Value: undefined, Values: Array.from({ length: 151 }, (_, i) => i) })] }, 'InvalidParameterValue', 'The collection MetricData.member.1.Values must not have a size greater than 150.'],
    ['Counts of another length', { Namespace: NS, MetricData: [datum({ Value: undefined, Values: [1, 2], Counts: [1] })] }, 'InvalidParameterCombination', 'must be of the same size'],
    ['a statistic set without Sum', { Namespace: NS, MetricData: [datum({ Value: undefined, StatisticValues: { SampleCount: 1, Minimum: 1, Maximum: 1 } })] }, 'MissingParameter', 'The parameter MetricData.member.1.StatisticValues.Sum is required.'],
    ['an unknown unit', { Namespace: NS, MetricData: [datum({ Unit: 'Furlongs' })] }, 'InvalidParameterValue', 'The value Furlongs for parameter MetricData.member.1.Unit is invalid.'],
    ['a storage resolution of 5', { Namespace: NS, MetricData: [datum({ StorageResolution: 5 })] }, 'InvalidParameterValue', 'StorageResolution'],
    ['a timestamp older than two weeks', { Namespace: NS, MetricData: [datum({ Timestamp: new Date(NOW.getTime() - 14 * 24 * 3600 * 1000 - 1) })] }, 'InvalidParameterValue', 'no more than two weeks in the past'],
    ['a timestamp over two hours ahead', { Namespace: NS, MetricData: [datum({ Timestamp: new Date(NOW.getTime() + 2 * 3600 * 1000 + 1) })] }, 'InvalidParameterValue', 'no more than two hours in the future'],
    ['a timestamp that does not parse', { Namespace: NS, MetricData: [datum({ Timestamp: 'yesterday' })] }, 'InvalidParameterValue', 'not a valid timestamp'],
  ])('refuses %s like the service', (_label, input, code, message) => {
    const error = refusal(() => store().putMetricData(input));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });
});
