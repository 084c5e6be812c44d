/**
 * The monitor's CloudWatch metrics: names (sanitised, reversible), dimension sets, values,
 * and the split into PutMetricData requests at the API's limits.
 */
import type { MonitorResult } from '../../../lambdas/core/monitoring/data-quality-monitor';
import {
  buildDriftMetrics,
  datumRequestBytes,
  metricSuffixes,
  putMetricDataRequests,
  PUT_METRIC_DATA_LIMITS,
  type MetricDatum,
} from '../../../lambdas/core/monitoring/drift-metrics';
import { MonitorConfigError, parseMonitorConfig } from '../../../lambdas/core/monitoring/monitor-config';

const at = new Date('2024-05-01T12:00:00Z');

function resultWith(features: { name: string; distance?: number; completeness: number }[], driftScore: number): MonitorResult {
  return {
    rows: 100,
    statistics: { version: 0, dataset: { item_count: 100 }, features: [] },
    violations: { violations: [] },
    features: features.map((f) => ({
      name: f.name,
      kind: 'numeric',
      status: f.distance === undefined ? 'missing-column' : 'compared',
      baselineCompleteness: 1,
      batchCompleteness: f.completeness,
      measure: 'ks',
      threshold: 0.2,
      drifted: false,
      ...(f.distance === undefined ? {} : { distance: f.distance }),
    })),
    driftScore,
    driftedFeatures: [],
    missingColumns: [],
    extraColumns: [],
  };
}

describe('metricSuffixes', () => {
  it('keeps plain names and hashes changed ones so no two features share a metric', () => {
    const suffixes = metricSuffixes(['age', 'blood pressure', 'blood_pressure', 'x'.repeat(300)]);
    expect(suffixes.get('age')).toBe('age');
    expect(suffixes.get('blood_pressure')).toBe('blood_pressure');
    expect(suffixes.get('blood pressure')).toMatch(/^blood_pressure_[0-9a-f]{8}$/);
    // 255 - len('feature_baseline_drift_') = 232 characters at most.
    expect(suffixes.get('x'.repeat(300))).toHaveLength(232);
    expect(new Set(suffixes.values()).size).toBe(4);
  });
});

describe('buildDriftMetrics', () => {
  it('publishes drift, completeness and the score under each dimension set, with a reverse map', () => {
    const result = resultWith([{ name: 'age', distance: 0.25, completeness: 0.9 }, { name: 'heart rate', completeness: 0 }], 0.25);
    const metrics = buildDriftMetrics(result, parseMonitorConfig({}), { project: 'adherence', modelVersion: '7', timestamp: at });
    expect(metrics.namespace).toBe('LuminaOps/DataQuality');
    const heart = metricSuffixes(['heart rate']).get('heart rate')!;
    // age: drift + non-null; heart rate (missing): non-null only; the score: 4 metrics x 2 dimension sets.
    expect(metrics.datums).toHaveLength(8);
    expect(metrics.datums.slice(0, 2)).toEqual([
      { MetricName: 'feature_baseline_drift_age', Dimensions: [{ Name: 'Project', Value: 'adherence' }], Timestamp: at, Value: 0.25, Unit: 'None' },
      {
        MetricName: 'feature_baseline_drift_age',
        Dimensions: [
          { Name: 'Project', Value: 'adherence' },
          { Name: 'ModelVersion', Value: '7' },
        ],
        Timestamp: at,
        Value: 0.25,
        Unit: 'None',
      },
    ]);
    expect(metrics.datums.filter((d) => d.MetricName === `feature_non_null_${heart}`).map((d) => d.Value)).toEqual([0, 0]);
    expect(metrics.datums.filter((d) => d.MetricName === 'drift_score').map((d) => d.Value)).toEqual([0.25, 0.25]);
    expect(metrics.featureOfMetric).toEqual({
      feature_baseline_drift_age: 'age',
      feature_non_null_age: 'age',
      [`feature_non_null_${heart}`]: 'heart rate',
    });
  });

  it('uses the configured namespace, dimension sets and static dimensions', () => {
    const config = parseMonitorConfig({ metrics: { namespace: 'Acme/Quality', dimensionSets: [['Stage', 'Project']], staticDimensions: { Stage: 'prod' } } });
    const metrics = buildDriftMetrics(resultWith([], 0), config, { project: 'adherence', modelVersion: '7', timestamp: at });
    expect(metrics).toMatchObject({ namespace: 'Acme/Quality', datums: [{ MetricName: 'drift_score', Dimensions: [{ Name: 'Stage', Value: 'prod' }, { Name: 'Project', Value: 'adherence' }], Value: 0 }] });
  });

  it('refuses a dimension set naming an unknown dimension', () => {
    expect(() => parseMonitorConfig({ metrics: { dimensionSets: [['Project', 'Region']] } })).toThrow(MonitorConfigError);
    expect(() => parseMonitorConfig({ metrics: { dimensionSets: [['Project', 'Region']] } })).toThrow('metrics.dimensionSets.0: dimension "Region" is neither Project, ModelVersion nor a key of staticDimensions');
  });
});

const datum = (i: number, dimensions = 1, valueLength = 10): MetricDatum => ({
  MetricName: `feature_baseline_drift_f${i}`,
  Dimensions: Array.from({ length: dimensions }, (_, j) => ({ Name: `D${j}`, Value: String(j).padEnd(valueLength, 'v') })),
  Timestamp: at,
  Value: i / 1000,
  Unit: 'None',
});

describe('putMetricDataRequests', () => {
  it('sends up to 1,000 datums in one request', () => {
    const datums = Array.from({ length: 1000 }, (_, i) => datum(i));
    const requests = putMetricDataRequests('LuminaOps/DataQuality', datums);
    expect(requests).toHaveLength(1);
    expect(requests[0].MetricData).toHaveLength(1000);
  });

  it('starts a second request at the 1,001st datum, keeping the order', () => {
    const datums = Array.from({ length: 1001 }, (_, i) => datum(i));
    const requests = putMetricDataRequests('LuminaOps/DataQuality', datums);
    expect(requests.map((r) => r.MetricData.length)).toEqual([1000, 1]);
    expect(requests.flatMap((r) => r.MetricData)).toEqual(datums);
  });

  it('splits by payload size: every request within 1,000,000 bytes, none that could take the next datum', () => {
    // 30 dimensions with 1,024-character values: about 32 KB a datum.
    const datums = Array.from({ length: 100 }, (_, i) => datum(i, 30, 1024));
    const requests = putMetricDataRequests('LuminaOps/DataQuality', datums);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.flatMap((r) => r.MetricData)).toEqual(datums);
    const header = 'Action=PutMetricData&Version=2010-08-01&Namespace=LuminaOps%2FDataQuality'.length;
    const sizeOf = (list: readonly MetricDatum[]): number => list.reduce((sum, d, i) => sum + datumRequestBytes(d, i + 1), header);
    requests.forEach((request, i) => {
      expect(sizeOf(request.MetricData)).toBeLessThanOrEqual(PUT_METRIC_DATA_LIMITS.requestBytes);
      const next = requests[i + 1]?.MetricData[0];
      if (next) expect(sizeOf([...request.MetricData, next])).toBeGreaterThan(PUT_METRIC_DATA_LIMITS.requestBytes);
    });
  });

  it('refuses a datum with more than 30 dimensions', () => {
    expect(() => putMetricDataRequests('LuminaOps/DataQuality', [datum(1, 31)])).toThrow('has 31 dimensions; at most 30');
  });
});
