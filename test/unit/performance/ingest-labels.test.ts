import { type LabelsBucket, ingestLabels, labelsKeys, uploadIdOf } from '../../../lambdas/core/performance/ingest-labels';
import { ingestLabelsDrop, LabelsDropError, LabelsDropInput, MAX_LABELS_DROP_BYTES } from '../../../lambdas/core/performance/labels-drop';
import { PerformanceResultSchema } from '../../../lambdas/core/performance/performance-summary';
import { batchPredictionRecords, parsePredictionLog } from '../../../lambdas/core/performance/prediction-records';
import type { PutMetricDataRequest } from '../../../lambdas/core/monitoring/drift-metrics';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** A bucket in memory that records the order of writes. */
function memoryBucket(initial: Record<string, string> = {}): LabelsBucket & { objects: Map<string, Uint8Array>; writes: string[] } {
  const objects = new Map(Object.entries(initial).map(([k, v]) => [k, encode(v)]));
  const writes: string[] = [];
  return {
    objects,
    writes,
    async get(key) {
      return objects.get(key);
    },
    async put(key, body) {
      writes.push(key);
      objects.set(key, typeof body === 'string' ? encode(body) : body);
    },
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix));
    },
  };
}

const P = 'adherence';
const logLine = (requestId: string, at: string, probability: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ requestId, httpRequestId: requestId, index: 0, project: P, source: 'endpoint', modelVersion: 1, variant: 'champion', probability, label: probability >= 0.5 ? 1 : 0, confidence: 0.9, threshold: 0.5, riskFactors: [], inputs: {}, inputSource: 'request', at, latencyMs: 3, ...extra });

/** Eight endpoint predictions on two days (v1 champion, v2 challenger) and a batch run of three rows. */
function predictions(): Record<string, string> {
  const day1 = '2026-03-02T09:00:00.000Z';
  const day2 = '2026-03-03T09:00:00.000Z';
  const endpoint = `projects/${P}/predictions/endpoint/dt=2026-03-02/hour=09/`;
  return {
    [`${endpoint}1-a.jsonl`]: [logLine('r1', day1, 0.9, { entityId: 'p1' }), logLine('r2', day1, 0.2, { entityId: 'p2' }), logLine('r3', day1, 0.7), logLine('r4', day1, 0.4)].join('\n') + '\n',
    [`${endpoint}2-b.jsonl`]: [logLine('r5', day2, 0.8, { modelVersion: 2, variant: 'challenger' }), logLine('r6', day2, 0.3, { modelVersion: 2, variant: 'challenger' }), '{"not": "a prediction"}', 'garbage'].join('\n') + '\n',
    [`projects/${P}/inference/outbox/june/0123456789abcdef/predictions.csv`]: 'patient_id,age,probability,label,model_version\nb1,61,0.65,1,1\nb2,70,0.15,0,1\nb3,55,0.55,1,1\n',
    [`projects/${P}/inference/outbox/june/0123456789abcdef/metadata.json`]: JSON.stringify({ runId: '0123456789abcdef'.repeat(4), model: { version: 1 }, timings: { mergedAt: '2026-03-02T12:00:00.000Z' } }),
  };
}

const project = { name: P, entityIdColumn: 'patient_id', targetColumn: 'stopped', positiveLabel: '1' };

describe('ingestLabels', () => {
  it('keeps the original first, joins by request and entity id, stores the result and publishes metrics', async () => {
    // Prepare
    const bucket = memoryBucket(predictions());
    const requests: PutMetricDataRequest[] = [];
    const now = new Date('2026-03-05T08:00:00.000Z');
    const body = encode('request_id,patient_id,outcome\nr1,,1\nr2,,0\nr3,,0\nr4,,0\nr5,,1\nr6,,0\n,b1,1\n,b2,0\n,b3,0\nr-unknown,,1\n');

    // Act
    const outcome = await ingestLabels({ project, fileName: 'outcomes march.csv', body }, { bucket, metrics: { putMetricData: async (r) => void requests.push(r) }, now: () => now });

    // Assess
    if (!outcome.accepted) throw new Error('expected the file to be accepted');
    const upload = uploadIdOf(now, body);
    expect(upload).toMatch(/^20260305T080000Z-[0-9a-f]{8}$/);
    expect(bucket.writes[0]).toBe(`projects/${P}/labels/inbox/${upload}-outcomes_march.csv`);
    expect(decode(bucket.objects.get(bucket.writes[0]))).toBe(decode(body));
    expect(outcome.joined).toEqual({ total: 9, byRequest: 6, byEntity: 3 });
    expect(outcome.unmatched).toEqual([{ line: 11, reason: 'no prediction with request id r-unknown' }]);
    expect(outcome.predictions).toMatchObject({ read: 9, endpoint: 6, batch: 3, skipped: 2 });

    const stored = PerformanceResultSchema.parse(JSON.parse(decode(bucket.objects.get(labelsKeys.performance(P)))));
    expect(stored).toEqual(outcome.performance);
    expect(bucket.objects.has(labelsKeys.history(P, upload))).toBe(true);
    const v1 = stored.versions.find((v) => v.modelVersion === 1 && v.variant === null)!;
    // v1: r1 .9/1, r2 .2/0, r3 .7/0, r4 .4/0, b1 .65/1, b2 .15/0, b3 .55/0 → 2 positives, both ranked above all but r3 (.7) → AUC 9/10
    expect(v1).toMatchObject({ count: 7, positives: 2, auc: 0.9 });
    expect(v1.accuracy).toBeCloseTo(5 / 7, 12);
    expect(stored.versions.map((v) => [v.modelVersion, v.variant])).toEqual([
      [1, null],
      [1, 'batch'],
      [1, 'champion'],
      [2, null],
      [2, 'challenger'],
    ]);
    expect(stored.windows.map((w) => [w.start, w.modelVersion, w.variant, w.count])).toEqual([
      ['2026-03-02T00:00:00.000Z', 1, 'batch', 3],
      ['2026-03-02T00:00:00.000Z', 1, 'champion', 4],
      ['2026-03-03T00:00:00.000Z', 2, 'challenger', 2],
    ]);
    expect(stored.abTest).toMatchObject({ recommendation: 'not-enough-data' });

    expect(requests).toHaveLength(1);
    expect(requests[0].Namespace).toBe('LuminaOps/ModelPerformance');
    const datum = (name: string, dims: Record<string, string>) =>
      requests[0].MetricData.find((d) => d.MetricName === name && JSON.stringify(Object.fromEntries(d.Dimensions.map((x) => [x.Name, x.Value]))) === JSON.stringify(dims));
    expect(datum('auc', { Project: P, ModelVersion: '2' })?.Value).toBe(1);
    expect(datum('labelled_predictions', { Project: P, ModelVersion: '1', Variant: 'champion' })?.Value).toBe(4);
    // {Project} is the latest window over every version: day 2, v2 only.
    expect(datum('labelled_predictions', { Project: P })?.Value).toBe(2);
    expect(requests[0].MetricData.every((d) => d.Timestamp.getTime() === now.getTime())).toBe(true);
  });

  it('refuses a bad file with a report, after keeping it, and changes nothing else', async () => {
    const bucket = memoryBucket(predictions());
    const requests: PutMetricDataRequest[] = [];
    const now = new Date('2026-03-05T08:00:00.000Z');

    const outcome = await ingestLabels({ project, fileName: 'bad.csv', body: encode('request_id,outcome\nr1,perhaps\n') }, { bucket, metrics: { putMetricData: async (r) => void requests.push(r) }, now: () => now });

    expect(outcome).toMatchObject({ accepted: false, problemCount: 1, problems: [{ line: 2, column: 'outcome', value: 'perhaps' }] });
    expect(bucket.writes).toEqual([outcome.sourceKey, `projects/${P}/labels/rejected/${outcome.upload}.json`]);
    expect(JSON.parse(decode(bucket.objects.get(bucket.writes[1])))).toMatchObject({ problemCount: 1, sourceKey: outcome.sourceKey });
    expect(requests).toEqual([]);
  });

  it('computes from every accepted upload, a later correction winning', async () => {
    const bucket = memoryBucket(predictions());
    const deps = (at: string) => ({ bucket, metrics: { putMetricData: async () => undefined }, now: () => new Date(at) });

    await ingestLabels({ project, fileName: 'a.csv', body: encode('request_id,outcome\nr1,0\nr2,0\n') }, deps('2026-03-05T08:00:00.000Z'));
    const second = await ingestLabels({ project, fileName: 'b.csv', body: encode('request_id,outcome\nr1,1\nr3,1\n') }, deps('2026-03-06T08:00:00.000Z'));

    if (!second.accepted) throw new Error('expected the file to be accepted');
    expect(second.performance.uploads).toHaveLength(2);
    expect(second.performance.outcomes).toBe(4);
    const champion = second.performance.versions.find((v) => v.variant === 'champion')!;
    // r1 corrected to 1, r2 0, r3 1.
    expect(champion).toMatchObject({ count: 3, positives: 2 });
  });
});

describe('prediction records', () => {
  it('reads the endpoint log lines it can and says why it skips the others', () => {
    const read = parsePredictionLog(`${logLine('r1', '2026-03-02T09:00:00.000Z', 0.4)}\n{"requestId":"r2"}\n\nnope\n`, 'k.jsonl');
    expect(read.records).toEqual([expect.objectContaining({ requestId: 'r1', probability: 0.4, threshold: 0.5, source: 'endpoint', variant: 'champion' })]);
    expect(read.skipped.map((s) => [s.line, s.reason.split(':')[0]])).toEqual([
      [2, 'modelVersion'],
      [4, 'not JSON'],
    ]);
  });

  it('gives batch rows an id of their run and line, the variant "batch" and the merge time', () => {
    const metadata = { runId: 'ab'.repeat(32), model: { version: 3 }, timings: { mergedAt: '2026-03-02T12:00:00.000Z' } };
    const read = batchPredictionRecords(encode('patient_id,probability,label,model_version\np1,0.25,0,3\np2,,1,3\n,0.5,1,3\n'), { key: 'k.csv', metadata, entityIdColumn: 'patient_id' });
    expect(read.records).toEqual([{ requestId: `batch-${'ab'.repeat(8)}-2`, entityId: 'p1', modelVersion: 3, variant: 'batch', probability: 0.25, at: '2026-03-02T12:00:00.000Z', source: 'batch' }]);
    expect(read.skipped.map((s) => s.line)).toEqual([3, 4]);
    expect(batchPredictionRecords(encode('id,probability\n1,0.5\n'), { key: 'k.csv', metadata }).skipped[0].reason).toBe('the project has no entity id column: the batch cannot be joined');
  });
});

describe('ingestLabelsDrop (the labels pipeline step)', () => {
  const BUCKET = 'artifacts';
  const dropKey = `projects/${P}/labels/incoming/2026/outcomes.csv`;
  /** The bucket, as the step's ObjectStore too (versions: the latest body wins unless a version is asked for). */
  function dropDeps(files: Record<string, string>, versions: Record<string, string> = {}) {
    const bucket = memoryBucket({ ...predictions(), ...files });
    const requests: PutMetricDataRequest[] = [];
    const objects = {
      async get(name: string, key: string, versionId?: string): Promise<Uint8Array> {
        if (name !== BUCKET) throw new Error(`unexpected bucket ${name}`);
        const body = versionId ? versions[versionId] : decode(bucket.objects.get(key));
        if (body === undefined) throw new Error(`NoSuchKey ${key}`);
        return encode(body);
      },
      async put(): Promise<{ versionId?: string }> {
        throw new Error('the step never writes through the object store');
      },
    };
    return { bucket, requests, deps: { bucket, objects, metrics: { putMetricData: async (r: PutMetricDataRequest) => void requests.push(r) }, now: () => new Date('2026-03-05T08:00:00.000Z') } };
  }
  const config = { project, artifactBucket: BUCKET };

  it('ingests exactly the dropped version and reports the latest window the floor alarm judges', async () => {
    // Prepare: the key now holds other bytes; the event names the version that was dropped.
    const { bucket, requests, deps } = dropDeps({ [dropKey]: 'request_id,outcome\nr1,0\n' }, { v1: 'request_id,outcome\nr5,1\nr6,0\n' });

    // Act
    const result = await ingestLabelsDrop({ bucket: BUCKET, key: dropKey, versionId: 'v1' }, config, deps);

    // Assess
    expect(result).toMatchObject({ accepted: true, source: { key: dropKey, versionId: 'v1' }, rows: 2, joined: 2, unmatched: 0, performanceKey: labelsKeys.performance(P) });
    if (!result.accepted) throw new Error('expected the drop to be accepted');
    // r5 (0.8, outcome 1) and r6 (0.3, outcome 0), both on 2026-03-03: AUC 1, both right at 0.5.
    expect(result.latest).toEqual({ start: '2026-03-03T00:00:00.000Z', auc: 1, accuracy: 1, count: 2 });
    expect(result.metricsPublished).toBeGreaterThan(0);
    expect(requests.flatMap((r) => r.MetricData).find((d) => d.MetricName === 'auc' && d.Dimensions.length === 1)).toMatchObject({ Value: 1, Dimensions: [{ Name: 'Project', Value: P }] });
    // The kept copy is the dropped version, under the file's own name.
    const kept = bucket.writes.find((k) => k.startsWith(`projects/${P}/labels/inbox/`))!;
    expect(kept).toMatch(/-outcomes\.csv$/);
    expect(decode(bucket.objects.get(kept))).toBe('request_id,outcome\nr5,1\nr6,0\n');
  });

  it('returns a refused file with its first problems and report, publishing nothing', async () => {
    const { requests, deps } = dropDeps({ [dropKey]: 'request_id,outcome\nr1,maybe\nr2,1\n' });
    const result = await ingestLabelsDrop({ bucket: BUCKET, key: dropKey }, config, deps);
    expect(result).toMatchObject({ accepted: false, source: { key: dropKey }, problemCount: 1, problems: [{ line: 2, column: 'outcome' }] });
    if (result.accepted) throw new Error('expected the drop to be refused');
    expect(result.rejectedKey).toMatch(new RegExp(`^projects/${P}/labels/rejected/`));
    expect(requests).toEqual([]);
  });

  it("refuses a drop outside the project's bucket or drop prefix, or over the size limit, before ingesting", async () => {
    const { bucket, deps } = dropDeps({ [dropKey]: 'request_id,outcome\nr1,1\n', [`projects/${P}/labels/incoming/big.csv`]: 'x'.repeat(MAX_LABELS_DROP_BYTES + 1) });
    await expect(ingestLabelsDrop({ bucket: 'elsewhere', key: dropKey }, config, deps)).rejects.toThrow(new LabelsDropError(`s3://elsewhere/${dropKey} is not in the project's artifact bucket ${BUCKET}`));
    await expect(ingestLabelsDrop({ bucket: BUCKET, key: 'projects/other/labels/incoming/a.csv' }, config, deps)).rejects.toThrow(/is not under the labels drop prefix projects\/adherence\/labels\/incoming\//);
    await expect(ingestLabelsDrop({ bucket: BUCKET, key: `projects/${P}/labels/incoming/` }, config, deps)).rejects.toThrow(LabelsDropError);
    await expect(ingestLabelsDrop({ bucket: BUCKET, key: `projects/${P}/labels/incoming/big.csv` }, config, deps)).rejects.toThrow(/a labels file may be at most 67108864 bytes/);
    expect(bucket.writes).toEqual([]);
  });

  it('validates the event at the edge', () => {
    expect(LabelsDropInput.safeParse({ bucket: BUCKET }).success).toBe(false);
    expect(LabelsDropInput.parse({ bucket: BUCKET, key: dropKey, versionId: '' }).versionId).toBeUndefined();
    expect(LabelsDropInput.parse({ bucket: BUCKET, key: dropKey, versionId: null }).versionId).toBeUndefined();
    expect(LabelsDropInput.parse({ bucket: BUCKET, key: dropKey, versionId: 'v1', etag: 'e', trigger: 's3', eventId: 'id' })).toEqual({ bucket: BUCKET, key: dropKey, versionId: 'v1', etag: 'e', trigger: 's3', eventId: 'id' });
  });
});
