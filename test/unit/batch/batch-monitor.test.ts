/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
import { profileDataset } from '../../../lambdas/core/datasets/profile-dataset';
import { type MonitorBatchStepInput, runBatchMonitor } from '../../../lambdas/core/monitoring/monitor-batch-step';
import { parseMonitorConfig } from '../../../lambdas/core/monitoring/monitor-config';
import type { PutMetricDataRequest } from '../../../lambdas/core/monitoring/drift-metrics';
import { registryKeys } from '../../../lambdas/core/registry/keys';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { BUCKET, batchWorld, type BatchWorld, drop, ONNX_KEY, PROJECT, runBatch, text } from './batch-fixtures';

const STATISTICS_KEY = `projects/${PROJECT}/datasets/ds-1/baseline/statistics.json`;
const CONSTRAINTS_KEY = `projects/${PROJECT}/datasets/ds-1/baseline/constraints.json`;

/** Rows 5 and 9 are rejected (not a number, not a boolean), row 7 is blank; a quoted note spans two lines. */
const CSV = [
  'patient_id,age,colour,smoker,note',
  'p1,0.2,red,yes,plain',
  'p2,3,blue,no,plain',
  'p3,41.5,red,yes,"with, comma"',
  'p4,abc,red,yes,bad age',
  'p5,,purple,false,"two',
  'lines"',
  '',
  'p6,7,orange,true,unknown colour',
  'p7,2,red,maybe,bad smoker',
  'p8,NA,NA,NA,all missing',
  'p9,0.7,blue,0,last',
].join('\n') + '\n';

/** A world whose production model (version 3) has a training baseline: age fractional, colour and smoker text. */
async function worldWithBaseline(): Promise<BatchWorld> {
  const world = await batchWorld();
  const training = ['patient_id,age,colour,smoker', ...Array.from({ length: 40 }, (_, i) => `t${i},${(i % 9) * 1.5},${['red', 'blue', 'green'][i % 3]},${i % 2 ? 'yes' : 'no'}`)].join('\n');
  const baseline = profileDataset(new TextEncoder().encode(training), {
    columns: [
      { name: 'age', type: 'fractional' },
      { name: 'colour', type: 'string' },
      { name: 'smoker', type: 'string' },
    ],
  });
  await world.objects.put(BUCKET, STATISTICS_KEY, JSON.stringify(baseline.statistics), 'application/json');
  await world.objects.put(BUCKET, CONSTRAINTS_KEY, JSON.stringify(baseline.constraints), 'application/json');
  await world.registry.put('registry', { ...registryKeys.version(PROJECT, 3), version: 3, artifacts: { onnxKey: ONNX_KEY, baselineStatisticsKey: STATISTICS_KEY, baselineConstraintsKey: CONSTRAINTS_KEY } });
  return world;
}

/** The world's objects as the monitor's ObjectStore, outputs written under their own prefix per run. */
function objectStoreOf(world: BatchWorld, written: Map<string, string>): ObjectStore {
  return {
    async get(bucket, key) {
      const body = world.objects.objects.get(`${bucket}/${key}`);
      if (!body) throw Object.assign(new Error(`no object ${bucket}/${key}`), { name: 'NoSuchKey' });
      return body;
    },
    async put(_bucket, key, body) {
      written.set(key.slice(key.lastIndexOf('/') + 1), typeof body === 'string' ? body : new TextDecoder().decode(body));
      return {};
    },
  };
}

async function monitor(world: BatchWorld, input: MonitorBatchStepInput) {
  const written = new Map<string, string>();
  const metrics: PutMetricDataRequest[] = [];
  const config = parseMonitorConfig({ ignoreColumns: ['probability', 'label', 'model_version', 'patient_id', 'note'] });
  const output = await runBatchMonitor(input, { projectName: PROJECT, artifactBucket: BUCKET, config }, {
    objects: objectStoreOf(world, written),
    metrics: { putMetricData: async (request) => void metrics.push(request) },
    now: () => new Date('2025-03-01T12:00:00Z'),
  });
  return { output, written, metrics };
}

describe('the monitor hand-off of a batch run', () => {
  it('reads the run as its header and chunk files and writes exactly what it writes from the merged predictions.csv', async () => {
    // Prepare: a run scored in 3 chunks and merged
    const world = await worldWithBaseline();
    const run = await runBatch(world, await drop(world, 'june.csv', CSV, 'etag-1'), 'exec-1');
    if (run.plan.alreadyScored || !run.plan.monitor) throw new Error('expected a plan with a monitor hand-off');
    const handOff = run.plan.monitor;

    // Act: the pipeline's input (chunk files), and the same batch read from the merged file
    const fromChunks = await monitor(world, { ...handOff, modelVersion: String(handOff.modelVersion), batch: { ...handOff.batch } });
    const fromMerged = await monitor(world, { ...handOff, modelVersion: String(handOff.modelVersion), batch: { ...handOff.batch }, chunks: undefined });

    // Assess
    expect(handOff).toMatchObject({
      project: PROJECT,
      batch: { bucket: BUCKET, key: run.merged!.predictionsKey },
      chunks: { runId: run.plan.runId, inputKey: run.plan.input.key, count: 3, header: `${text(world, run.merged!.predictionsKey).split('\n')[0]}\n` },
      baselineKeys: { statistics: STATISTICS_KEY, constraints: CONSTRAINTS_KEY },
      modelVersion: 3,
      outputPrefix: `projects/${PROJECT}/inference/outbox/june/${run.plan.runId.slice(0, 16)}/monitor/`,
    });
    expect(fromChunks.output.rows).toBe(7);
    expect(fromChunks.output).toEqual(fromMerged.output);
    expect([...fromChunks.written.keys()].sort()).toEqual(['constraint_violations.json', 'metrics.json', 'report.html', 'statistics.json']);
    expect(fromChunks.written).toEqual(fromMerged.written);
    expect(fromChunks.metrics).toEqual(fromMerged.metrics);
  });

  it('publishes once: an attempt after a failed publish publishes at its own time, one after a finished publish publishes nothing', async () => {
    // Prepare: outputs are stored in the world, so a later attempt finds the first one's.
    const world = await worldWithBaseline();
    const run = await runBatch(world, await drop(world, 'june.csv', CSV, 'etag-1'), 'exec-1');
    if (run.plan.alreadyScored || !run.plan.monitor) throw new Error('expected a plan with a monitor hand-off');
    const input: MonitorBatchStepInput = { ...run.plan.monitor, modelVersion: String(run.plan.monitor.modelVersion), batch: { ...run.plan.monitor.batch } };
    const config = parseMonitorConfig({ ignoreColumns: ['probability', 'label', 'model_version', 'patient_id', 'note'] });
    const store: ObjectStore = {
      get: async (bucket, key) => {
        const body = world.objects.objects.get(`${bucket}/${key}`);
        if (!body) throw Object.assign(new Error(`no object ${key}`), { name: 'NoSuchKey' });
        return body;
      },
      put: async (bucket, key, body) => {
        world.objects.objects.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
        return {};
      },
    };
    const attempt = async (at: string, putMetricData: (request: PutMetricDataRequest) => Promise<void>) =>
      runBatchMonitor(input, { projectName: PROJECT, artifactBucket: BUCKET, config }, { objects: store, metrics: { putMetricData }, now: () => new Date(at) });
    const published: PutMetricDataRequest[] = [];
    const report = () => text(world, `${input.outputPrefix}report.html`);

    // Act 1: the first attempt fails while publishing.
    await expect(
      attempt('2025-03-01T12:00:00.000Z', async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      }),
    ).rejects.toThrow('Rate exceeded');
    const reportOfFirst = report();

    const recordAfterFailure = world.objects.objects.has(`${BUCKET}/${input.outputPrefix}metrics.json`);

    // Act 2: the retry, a minute later, publishes at its own time.
    const retry = await attempt('2025-03-01T12:01:00.000Z', async (request) => void published.push(request));
    const reportOfRetry = report();

    // Act 3: a redrive an hour later publishes nothing and keeps the retry's time.
    const redrive = await attempt('2025-03-01T13:00:00.000Z', async (request) => void published.push(request));

    // Assess
    expect(recordAfterFailure).toBe(false);
    expect(retry).toMatchObject({ metricRequests: 1, metricTimestamp: '2025-03-01T12:01:00.000Z' });
    expect(published).toHaveLength(1);
    expect(published[0].MetricData.every((datum) => datum.Timestamp.toISOString() === '2025-03-01T12:01:00.000Z')).toBe(true);
    expect(redrive).toEqual({ ...retry, metricRequests: 0 });
    expect(reportOfRetry).not.toBe(reportOfFirst);
    expect(report()).toBe(reportOfRetry);
    expect(JSON.parse(text(world, `${input.outputPrefix}metrics.json`))).toEqual({ timestamp: '2025-03-01T12:01:00.000Z', requests: 1 });
  });

  it('leaves the hand-off out when the production model has no baseline', async () => {
    const world = await batchWorld();
    const run = await runBatch(world, await drop(world, 'june.csv', CSV, 'etag-1'), 'exec-1');
    expect(run.plan).not.toHaveProperty('monitor');
  });
});
