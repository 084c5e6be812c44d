/**
 * The scheduled check of the endpoint's prediction log: which log objects and lines of the
 * window it reads, what it compares with the production version's baseline, and what it
 * writes and publishes (nothing for an empty window or without a production model).
 */
import { profileDataset } from '../../../lambdas/core/datasets/profile-dataset';
import { EndpointLogMonitorInput, runEndpointLogMonitor } from '../../../lambdas/core/monitoring/endpoint-log-monitor';
import type { PutMetricDataRequest } from '../../../lambdas/core/monitoring/drift-metrics';
import { parseMonitorConfig } from '../../../lambdas/core/monitoring/monitor-config';
import type { LabelsBucket } from '../../../lambdas/core/performance/ingest-labels';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { steppingClock, versionRequest } from '../registry/registry-fixtures';

const BASELINE = profileDataset(new TextEncoder().encode('patient_id,age,region,label\n1,30,north,0\n2,40,south,1\n3,50,north,0\n4,60,south,1\n'), {
  columns: [
    { name: 'age', type: 'integral' },
    { name: 'region', type: 'string' },
  ],
});
const NOW = new Date('2026-12-02T06:00:00.000Z');
const LOG = 'projects/adherence/predictions/endpoint/';
const config = parseMonitorConfig({ ignoreColumns: ['patient_id', 'label'], drift: { default: 0.3 } });

function memoryBucket(files: Record<string, string>): LabelsBucket & { objects: Map<string, string> } {
  const objects = new Map(Object.entries(files));
  return {
    objects,
    async get(key) {
      const text = objects.get(key);
      return text === undefined ? undefined : new TextEncoder().encode(text);
    },
    async put(key, body) {
      objects.set(key, typeof body === 'string' ? body : new TextDecoder().decode(body));
    },
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix));
    },
  };
}

const line = (modelVersion: number, at: string, inputs: Record<string, unknown>) => JSON.stringify({ requestId: 'r', modelVersion, variant: 'champion', probability: 0.5, at, inputs });
const logKey = (at: string, id: string) => `${LOG}dt=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/${Date.parse(at)}-${id}-w.jsonl`;

async function productionRegistry(production: boolean) {
  const registry = memoryRegistryStore();
  const now = steppingClock();
  await registerModelVersion(registry, versionRequest(), { now });
  await registerModelVersion(registry, versionRequest({ lineage: { ...versionRequest().lineage, executionId: 'run-2' } }), { now });
  if (production) {
    await setStage(registry, 'adherence', 1, 'staging', 'test', 'stage v1', { now });
    await setStage(registry, 'adherence', 1, 'production', 'test', 'serve v1', { now });
  }
  return registry;
}

describe('scheduled endpoint monitor', () => {
  it("compares the window's production predictions with the production baseline, writes the reports and publishes drift", async () => {
    // Prepare: yesterday's traffic of v1 (ages far above the baseline), v2 traffic (a challenger), an older object, a bad line.
    const inWindow = ['2026-12-01T08:00:00.000Z', '2026-12-01T20:30:00.000Z', '2026-12-02T05:59:00.000Z'];
    const bucket = memoryBucket({
      'projects/adherence/datasets/ds-1/baseline/statistics.json': JSON.stringify(BASELINE.statistics),
      'projects/adherence/datasets/ds-1/baseline/constraints.json': JSON.stringify(BASELINE.constraints),
      [logKey(inWindow[0], 'a')]: `${line(1, inWindow[0], { age: 80, region: 'north' })}\n${line(2, inWindow[0], { age: 35, region: 'north' })}\n`,
      [logKey(inWindow[1], 'b')]: `${line(1, inWindow[1], { age: 82, region: 'south' })}\nnot json\n`,
      [logKey(inWindow[2], 'c')]: `${line(1, inWindow[2], { age: 85, region: 'north, east' })}\n`,
      [logKey('2026-11-30T12:00:00.000Z', 'old')]: `${line(1, '2026-11-30T12:00:00.000Z', { age: 31, region: 'north' })}\n`,
    });
    const requests: PutMetricDataRequest[] = [];

    // Act
    const result = await runEndpointLogMonitor(EndpointLogMonitorInput.parse({ trigger: 'schedule' }), { projectName: 'adherence', config }, {
      bucket,
      registry: await productionRegistry(true),
      metrics: { putMetricData: async (r) => void requests.push(r) },
      now: () => NOW,
    });

    // Assess
    // age: every value above the baseline's; region: "north, east" (one cell, comma and all) is a category the baseline never saw.
    expect(result).toMatchObject({ monitored: true, window: { start: '2026-12-01T06:00:00.000Z', end: NOW.toISOString() }, modelVersion: 1, rows: 3, skippedLines: 1, driftedFeatures: ['age', 'region'] });
    if (!result.monitored) throw new Error('expected the window to be monitored');
    expect(result.keys.statistics).toBe('projects/adherence/monitoring/endpoint/20261202T060000Z/statistics.json');
    for (const key of Object.values(result.keys)) expect(bucket.objects.has(key)).toBe(true);
    const statistics = JSON.parse(bucket.objects.get(result.keys.statistics)!) as { dataset: { item_count: number } };
    expect(statistics.dataset.item_count).toBe(3);
    const datums = requests.flatMap((r) => r.MetricData);
    expect(datums.find((d) => d.MetricName === 'feature_baseline_drift_age' && d.Dimensions.length === 1)).toMatchObject({ Value: 1, Dimensions: [{ Name: 'Project', Value: 'adherence' }] });
  });

  it('publishes nothing for an empty window or a project without a production model', async () => {
    const bucket = memoryBucket({ [logKey('2026-11-20T08:00:00.000Z', 'a')]: `${line(1, '2026-11-20T08:00:00.000Z', { age: 80, region: 'north' })}\n` });
    const requests: PutMetricDataRequest[] = [];
    const deps = (production: boolean) => productionRegistry(production).then((registry) => ({ bucket, registry, metrics: { putMetricData: async (r: PutMetricDataRequest) => void requests.push(r) }, now: () => NOW }));
    const input = EndpointLogMonitorInput.parse({ trigger: 'schedule', windowHours: 6 });

    expect(await runEndpointLogMonitor(input, { projectName: 'adherence', config }, await deps(true))).toMatchObject({ monitored: false, reason: 'no predictions of production version 1 in the window', predictionsRead: 0 });
    expect(await runEndpointLogMonitor(input, { projectName: 'adherence', config }, await deps(false))).toMatchObject({ monitored: false, reason: 'the project has no production model' });
    expect(requests).toEqual([]);
  });

  it("takes the window's end from the schedule, so a retry of the same run checks the same window and does not publish again", async () => {
    // Prepare
    const at = '2026-12-01T20:30:00.000Z';
    const bucket = memoryBucket({
      'projects/adherence/datasets/ds-1/baseline/statistics.json': JSON.stringify(BASELINE.statistics),
      'projects/adherence/datasets/ds-1/baseline/constraints.json': JSON.stringify(BASELINE.constraints),
      [logKey(at, 'a')]: `${line(1, at, { age: 80, region: 'north' })}\n`,
    });
    const requests: PutMetricDataRequest[] = [];
    const registry = await productionRegistry(true);
    const input = EndpointLogMonitorInput.parse({ trigger: 'schedule', scheduledAt: '2026-12-02T06:00:00Z' });
    const run = (now: string, fail = false) =>
      runEndpointLogMonitor(input, { projectName: 'adherence', config }, {
        bucket,
        registry,
        metrics: {
          putMetricData: async (r) => {
            if (fail) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
            requests.push(r);
          },
        },
        now: () => new Date(now),
      });

    // Act: the first attempt fails while publishing; Lambda retries after a minute, then again.
    await expect(run('2026-12-02T06:00:04.000Z', true)).rejects.toThrow('Rate exceeded');
    const retry = await run('2026-12-02T06:01:05.000Z');
    const again = await run('2026-12-02T06:03:09.000Z');

    // Assess
    expect(retry).toMatchObject({ monitored: true, window: { start: '2026-12-01T06:00:00.000Z', end: '2026-12-02T06:00:00.000Z' }, metricRequests: 1 });
    expect(again).toEqual({ ...retry, metricRequests: 0 });
    expect(requests).toHaveLength(1);
    expect(requests[0].MetricData.every((d) => d.Timestamp.toISOString() === '2026-12-02T06:01:05.000Z')).toBe(true);
    if (!retry.monitored) throw new Error('expected the window to be monitored');
    expect(retry.keys.metrics).toBe('projects/adherence/monitoring/endpoint/20261202T060000Z/metrics.json');
    expect(JSON.parse(bucket.objects.get(retry.keys.metrics)!)).toEqual({ timestamp: '2026-12-02T06:01:05.000Z', requests: 1 });
  });

  it('validates the schedule input', () => {
    expect(EndpointLogMonitorInput.parse({ trigger: 'schedule' }).windowHours).toBe(24);
    expect(EndpointLogMonitorInput.safeParse({ trigger: 'schedule', windowHours: 0 }).success).toBe(false);
    expect(EndpointLogMonitorInput.safeParse({ trigger: 'alarm' }).success).toBe(false);
    expect(EndpointLogMonitorInput.safeParse({ trigger: 'schedule', extra: true }).success).toBe(false);
    expect(EndpointLogMonitorInput.safeParse({ trigger: 'schedule', scheduledAt: 'yesterday' }).success).toBe(false);
  });
});
