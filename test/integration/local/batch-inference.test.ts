/**
 * Batch inference on the real local cloud: a CSV dropped in the inference inbox runs the
 * synthesized pipeline (S3 → EventBridge rule → Step Functions → PlanBatch / ScoreChunk Map /
 * MergeBatch / data-quality monitor Lambdas). One boot trains a small model and promotes it
 * through the registry API as the model approver, then:
 *
 * - a drop is scored into the outbox: every input row with its probability, label and model
 *   version, metadata.json with row counts and timings, the monitor's outputs;
 * - a file with bad rows keeps them in rejects.csv, each with its row, column and reason, and
 *   scores the rest (unknown categories and missing values are not rejections: the contract
 *   encodes them);
 * - the same object version delivered again (the same event, or the same bytes put again) is
 *   scored once;
 * - a run stopped while its chunks are scoring is taken over with `resume: true`, skips the
 *   chunks that have checkpoints, and writes byte for byte what an uninterrupted run wrote.
 *
 * The chunk size is the InferencePipeline construct's default (50,000 rows; no project
 * parameter sets it), so the reference file has about 340,000 rows: seven chunks, scored two at
 * a time by the local ScoreChunk pool.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { splitFields } from '../../../lambdas/core/batch/csv-records';
import { batchItemKeys, runIdOf, runKeyOf } from '../../../lambdas/core/batch/layout';
import type { BatchMetadata } from '../../../lambdas/core/batch/merge-batch';
import type { OperationsItem, OperationsStore } from '../../../lambdas/core/batch/operations-store';
import { OUTPUT_COLUMNS } from '../../../lambdas/core/batch/input-contract';
import { baselineReference, parseBaseline } from '../../../lambdas/core/monitoring/baseline-reference';
import { monitorCsvBatch } from '../../../lambdas/core/monitoring/data-quality-monitor';
import { parseMonitorConfig } from '../../../lambdas/core/monitoring/monitor-config';
import { listModelVersions } from '../../../lambdas/core/registry/model-version';
import { dynamoDbOperationsStore } from '../../../lambdas/shared/dynamodb-batch-operations-store';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { PLATFORM_STACK_NAME } from '../../../lib/app';
import type { ExecutionInfo } from '../../../local/cloud-api';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import { generatePatients } from '../../../local/demo/synthetic-patients';

const PROJECT = 'scoring';
const TARGET = 'stopped_within_30d';
/** The construct's default ROWS_PER_CHUNK (lib/constructs/inference-pipeline.ts). */
const ROWS_PER_CHUNK = 50_000;

/** The execution input DataDropTrigger gives the pipeline (other fields kept as they are). */
const DropEvent = z.looseObject({ bucket: z.string(), key: z.string(), versionId: z.string().nullish(), etag: z.string().nullish() });
type DropEvent = z.output<typeof DropEvent>;

/** A scored run's output: the plan's monitor hand-off, the merge step's result and the monitor's summary. */
const ScoredRunOutput = z.object({
  batch: z.object({
    plan: z.object({ monitor: z.object({ outputPrefix: z.string(), batch: z.object({ key: z.string() }), baselineKeys: z.object({ statistics: z.string(), constraints: z.string() }) }) }),
  }),
  outbox: z.object({
    merged: z.object({
      runId: z.string(),
      predictionsKey: z.string(),
      rejectsKey: z.string(),
      metadataKey: z.string(),
      modelVersion: z.number(),
      rowsScored: z.number(),
      rowsRejected: z.number(),
    }),
  }),
  monitor: z.object({
    report: z.object({
      rows: z.number(),
      driftScore: z.number(),
      metricRequests: z.number(),
      metricTimestamp: z.string(),
      keys: z.object({ statistics: z.string(), violations: z.string(), report: z.string(), metrics: z.string() }),
    }),
  }),
});

/** BatchAlreadyScored's output. */
const AlreadyScoredOutput = z.object({ outcome: z.literal('already scored'), message: z.string(), runId: z.string(), scoredBy: z.string() });

describe('local cloud: batch inference from an inbox drop to the outbox', () => {
  let cloud: LocalCloud;
  let operations: OperationsStore;
  let pipelineArn: string;
  let modelVersion: number;
  /** Lambda and cloud log lines (the score-chunk function logs each chunk it scores or skips). */
  const logs: string[] = [];

  /** The reference file, scored uninterrupted in beforeAll. */
  const reference = generatePatients({ patients: 170_000, seed: 5, firstPatient: 1_000_000, unlabelled: true });
  let referenceRun: ExecutionInfo;
  let referenceOutput: z.output<typeof ScoredRunOutput>;
  let referencePredictions: string;
  let referenceRejects: string;

  const text = async (key: string): Promise<string> => (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body!.transformToString('utf-8');
  const keysUnder = async (prefix: string): Promise<string[]> =>
    ((await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  const dropEventOf = (run: ExecutionInfo): DropEvent => DropEvent.parse(run.input);
  const runsOf = (key: string): ExecutionInfo[] => cloud.listRuns(PROJECT).filter((r) => DropEvent.safeParse(r.input).data?.key === key);
  const runIdFor = (run: ExecutionInfo): string => {
    const { bucket, key, versionId, etag } = dropEventOf(run);
    return runIdOf(runKeyOf({ bucket, key, versionId: versionId ?? undefined, etag: etag ?? undefined }));
  };
  const marker = (runId: string): Promise<OperationsItem | undefined> => operations.get(batchItemKeys.run(PROJECT, runId));
  const runByArn = (executionArn: string): ExecutionInfo => {
    const run = cloud.listRuns(PROJECT).find((r) => r.executionArn === executionArn);
    if (!run) throw new Error(`no run ${executionArn}`);
    return run;
  };

  /** Drops a file, waits until the pipeline has finished, and returns the run it started. */
  const dropAndWait = async (fileName: string, body: string): Promise<ExecutionInfo> => {
    const before = new Set(cloud.listRuns(PROJECT).map((r) => r.executionArn));
    const { key } = await cloud.putData(PROJECT, 'inference', fileName, Buffer.from(body));
    await cloud.waitForIdle(240_000);
    const started = runsOf(key).filter((r) => !before.has(r.executionArn));
    if (started.length !== 1) throw new Error(`${fileName}: expected one new run, got ${started.length}`);
    return started[0];
  };

  /** Starts the pipeline with an input (a re-delivered event, a resume) and waits for it. */
  const startAndWait = async (input: unknown): Promise<ExecutionInfo> => {
    const { executionArn } = await cloud.startExecution(pipelineArn, input);
    await cloud.waitForIdle(240_000);
    return runByArn(executionArn);
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({ alarmEvaluationIntervalMs: 0, log: (line) => logs.push(line) });
    await cloud.createProject({ name: PROJECT, targetColumn: TARGET, entityIdColumn: 'patient_id', positiveLabel: '1' });
    pipelineArn = cloud.project(PROJECT).outputs.InferencePipelineArn;
    operations = dynamoDbOperationsStore(cloud.dynamodb, cloud.tableName('operations'));
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/training.json`, Body: JSON.stringify(TRAINING_CONFIG) }));

    // A small model, approved and promoted to production by the model approver (as the demo does).
    await cloud.putData(PROJECT, 'training', 'patients.csv', Buffer.from(generatePatients({ patients: 800, seed: 11 }).csv));
    await cloud.waitForIdle(240_000);
    const registry = dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
    const [v1] = await listModelVersions(registry, PROJECT);
    if (!v1) throw new Error(`training registered no model: ${JSON.stringify(cloud.listRuns(PROJECT).map((r) => [r.status, r.error, r.cause]))}`);
    modelVersion = v1.version;
    const registryApi = cloud.stackOutputs(PLATFORM_STACK_NAME).RegistryApiUrl.replace(/\/+$/, '');
    const approver = sessionOf(cloud.personaRoleArn('modelApprover'));
    await postJson(`${registryApi}/models/${PROJECT}/${modelVersion}/approve-card`, approver, { note: 'Synthetic test data; card reviewed.' });
    await postJson(`${registryApi}/models/${PROJECT}/${modelVersion}/promote`, approver, { stage: 'production', reason: 'batch inference integration test' });

    referenceRun = await dropAndWait('reference.csv', reference.csv);
    if (referenceRun.status !== 'SUCCEEDED') throw new Error(`reference run ${referenceRun.status}: ${referenceRun.error} ${referenceRun.cause}`);
    referenceOutput = ScoredRunOutput.parse(referenceRun.output);
    referencePredictions = await text(referenceOutput.outbox.merged.predictionsKey);
    referenceRejects = await text(referenceOutput.outbox.merged.rejectsKey);
  }, 360_000);

  afterAll(async () => {
    await cloud?.stop();
  });

  it('scores every row of a drop into the outbox with the model version, metadata and the monitor outputs', async () => {
    // Assess: the run
    const { merged } = referenceOutput.outbox;
    const runId = runIdFor(referenceRun);
    const inputLines = reference.csv.slice(0, -1).split('\n');
    const chunks = Math.ceil(reference.rows / ROWS_PER_CHUNK);
    expect(chunks).toBeGreaterThanOrEqual(2);
    expect(merged).toMatchObject({ runId, modelVersion, rowsScored: reference.rows, rowsRejected: 0 });
    expect(merged.predictionsKey).toBe(`projects/${PROJECT}/inference/outbox/reference/${runId.slice(0, 16)}/predictions.csv`);

    // predictions.csv: the input header plus the output columns, then every input row in order, its text untouched
    const outputLines = referencePredictions.slice(0, -1).split('\n');
    expect(outputLines).toHaveLength(inputLines.length);
    expect(outputLines[0]).toBe(`${inputLines[0]},probability,label,model_version`);
    const malformed: string[] = [];
    for (let i = 1; i < inputLines.length; i++) {
      const line = outputLines[i];
      const scored = line.startsWith(`${inputLines[i]},`) ? /^(0\.\d{6}|1\.000000),([01]),(\d+)$/.exec(line.slice(inputLines[i].length + 1)) : null;
      const consistent = scored !== null && Number(scored[3]) === modelVersion && (Number(scored[1]) >= 0.5 ? '1' : '0') === scored[2];
      if (!consistent && malformed.length < 5) malformed.push(`row ${i + 1}: ${line}`);
    }
    expect(malformed).toEqual([]);
    expect(new Set(outputLines.slice(1).map((l) => l.split(',').at(-3))).size).toBeGreaterThan(1); // the model's probabilities, not a constant
    expect(referenceRejects).toBe('row,column,reason,value,record\n');

    // metadata.json: model, input object, row counts, timings
    const metadata = JSON.parse(await text(merged.metadataKey)) as BatchMetadata;
    const input = dropEventOf(referenceRun);
    expect(metadata).toMatchObject({
      project: PROJECT,
      runId,
      input: { bucket: cloud.artifactBucket, key: input.key, etag: input.etag, bytes: Buffer.byteLength(reference.csv) },
      model: { version: modelVersion },
      rows: { total: reference.rows, scored: reference.rows, rejected: 0, blank: 0 },
      chunks,
      outputs: { predictions: merged.predictionsKey, rejects: merged.rejectsKey, predictionsBytes: Buffer.byteLength(referencePredictions), rejectsBytes: Buffer.byteLength(referenceRejects) },
      executions: { mergedBy: referenceRun.executionArn, attempt: 1 },
    });
    const { startedAt, plannedAt, mergedAt } = metadata.timings;
    expect(Date.parse(startedAt)).toBeLessThanOrEqual(Date.parse(plannedAt ?? ''));
    expect(Date.parse(plannedAt ?? '')).toBeLessThanOrEqual(Date.parse(mergedAt));
    expect(metadata.timings.chunkScoringMs).toBeGreaterThan(0);
    expect(metadata.timings.elapsedMs).toBe(Date.parse(mergedAt) - Date.parse(startedAt));

    // the monitor read the scored batch (the chunk files predictions.csv is made of) and wrote its three outputs next to it
    const { report } = referenceOutput.monitor;
    expect(report.rows).toBe(reference.rows);
    expect(report.metricRequests).toBeGreaterThanOrEqual(1);
    expect(referenceOutput.batch.plan.monitor.batch.key).toBe(merged.predictionsKey);
    const monitorPrefix = referenceOutput.batch.plan.monitor.outputPrefix;
    expect(monitorPrefix).toBe(`projects/${PROJECT}/inference/outbox/reference/${runId.slice(0, 16)}/monitor/`);
    expect(await keysUnder(monitorPrefix)).toEqual([report.keys.violations, report.keys.metrics, report.keys.report, report.keys.statistics].sort());
    expect(JSON.parse(await text(report.keys.metrics))).toEqual({ timestamp: report.metricTimestamp, requests: report.metricRequests });
    // ...and its statistics are those of predictions.csv itself (the monitor read its chunk files while the merge wrote it)
    const { baselineKeys } = referenceOutput.batch.plan.monitor;
    const baseline = parseBaseline(JSON.parse(await text(baselineKeys.statistics)), JSON.parse(await text(baselineKeys.constraints)));
    const config = parseMonitorConfig({ ignoreColumns: [...OUTPUT_COLUMNS, TARGET, 'patient_id'] });
    const expected = monitorCsvBatch(new TextEncoder().encode(referencePredictions), baselineReference(baseline.statistics, baseline.constraints), config);
    expect(JSON.parse(await text(report.keys.statistics))).toEqual(JSON.parse(JSON.stringify(expected.statistics)));

    // the run marker: scored, every chunk done
    expect(await marker(runId)).toMatchObject({ status: 'SUCCEEDED', chunksDone: chunks, chunksTotal: chunks, rowsScored: reference.rows, ownerExecution: referenceRun.executionArn });
  });

  it('keeps rows that fail the input contract in rejects.csv with their reason and scores the rest', async () => {
    // Prepare: good rows around bad ones (header = row 1)
    const [header, ...good] = generatePatients({ patients: 30, seed: 9, firstPatient: 500_000, unlabelled: true }).csv.trim().split('\n');
    const columns = header.split(',');
    const withCell = (line: string, column: string, value: string): string => line.split(',').map((cell, i) => (columns[i] === column ? value : cell)).join(',');
    const lines = [
      header,
      ...good.slice(0, 5),
      withCell(good[5], 'age', 'sixty'), // wrong type
      withCell(good[6], 'brand', 'Novabrand'), // unknown category: the encoding's unknown code, scored
      good[7].split(',').slice(0, -1).join(','), // ragged: one field short
      withCell(good[8], 'hba1c', ''), // missing value: every model input may be missing, scored
      withCell(good[9], 'hypertension', 'maybe'), // not a boolean
      '', // blank line: neither scored nor rejected
      withCell(good[10], 'bmi', 'Infinity'), // non-finite
      withCell(good[11], 'brand', 'Glu"co"ra'), // a quote inside an unquoted field
      ...good.slice(12),
    ];
    const rowOf = (line: string): number => lines.indexOf(line) + 1;
    const bad = {
      wrongType: lines[6],
      ragged: lines[8],
      notBoolean: lines[10],
      nonFinite: lines[12],
      badQuote: lines[13],
    };

    // Act
    const run = await dropAndWait('with-bad-rows.csv', `${lines.join('\n')}\n`);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const { merged } = ScoredRunOutput.parse(run.output).outbox;
    const rejects = (await text(merged.rejectsKey)).trim().split('\n');
    expect(rejects[0]).toBe('row,column,reason,value,record');
    const parsed = rejects.slice(1).map((line) => {
      const fields = splitFields(line);
      if (!Array.isArray(fields)) throw new Error(`rejects.csv line is not CSV: ${line} (${fields.reason})`);
      const [row, column, reason, value, record] = fields;
      return { row: Number(row), column, reason, value, record };
    });
    expect(parsed).toEqual([
      { row: rowOf(bad.wrongType), column: 'age', reason: "value 'sixty' is not a number", value: 'sixty', record: bad.wrongType },
      { row: rowOf(bad.ragged), column: '', reason: `row has ${columns.length - 1} fields but the header has ${columns.length}`, value: '', record: bad.ragged },
      { row: rowOf(bad.notBoolean), column: 'hypertension', reason: "value 'maybe' is not a boolean (expected true/false/yes/no/1/0)", value: 'maybe', record: bad.notBoolean },
      {
        row: rowOf(bad.nonFinite),
        column: 'bmi',
        reason: "non-finite value 'Infinity' in a numeric column (leave the cell empty for a missing value)",
        value: 'Infinity',
        record: bad.nonFinite,
      },
      { row: rowOf(bad.badQuote), column: '', reason: `field ${columns.indexOf('brand') + 1}: a quote inside an unquoted field`, value: '', record: bad.badQuote },
    ]);

    const rejected = new Set(Object.values(bad));
    const expectedScored = lines.slice(1).filter((line) => line !== '' && !rejected.has(line));
    const predictions = (await text(merged.predictionsKey)).trim().split('\n');
    expect(predictions.slice(1).map((line) => line.split(',').slice(0, -3).join(','))).toEqual(expectedScored);
    expect(merged).toMatchObject({ rowsScored: expectedScored.length, rowsRejected: 5 });
    const metadata = JSON.parse(await text(merged.metadataKey)) as BatchMetadata;
    expect(metadata.rows).toEqual({ total: lines.length - 1, scored: expectedScored.length, rejected: 5, blank: 1 });
  });

  it('scores an object version once when its event is delivered again', async () => {
    // Act: the very same event again, then the same bytes put again under the same key (same ETag)
    const redelivered = await startAndWait(referenceRun.input);
    const reput = await dropAndWait('reference.csv', reference.csv);

    // Assess: both runs are no-ops naming the execution that scored the object
    const runId = runIdFor(referenceRun);
    for (const run of [redelivered, reput]) {
      expect(run.status).toBe('SUCCEEDED');
      const output = AlreadyScoredOutput.parse(run.output);
      expect(output).toMatchObject({ runId, scoredBy: referenceRun.executionArn });
      expect(output.message).toContain('already scored');
    }
    // one output folder for the object, unchanged
    const outbox = `projects/${PROJECT}/inference/outbox/reference/`;
    const folders = new Set((await keysUnder(outbox)).map((key) => key.slice(outbox.length).split('/')[0]));
    expect([...folders]).toEqual([runId.slice(0, 16)]);
    expect(await text(referenceOutput.outbox.merged.predictionsKey)).toBe(referencePredictions);
    expect(JSON.parse(await text(referenceOutput.outbox.merged.metadataKey))).toMatchObject({ executions: { mergedBy: referenceRun.executionArn, attempt: 1 } });
    expect(await marker(runId)).toMatchObject({ status: 'SUCCEEDED', ownerExecution: referenceRun.executionArn, attempt: 1 });
  });

  it('resumes a run stopped while its chunks are scoring and writes the same bytes as an uninterrupted run', async () => {
    // Prepare: the reference bytes under another name (so another run), stopped once a first chunk has its checkpoint
    const { key } = await cloud.putData(PROJECT, 'inference', 'killed.csv', Buffer.from(reference.csv));
    const killed = await poll(() => runsOf(key)[0], `a run for ${key}`);
    const runId = runIdFor(killed);
    const chunks = Math.ceil(reference.rows / ROWS_PER_CHUNK);
    await poll(async () => (Number((await marker(runId))?.chunksDone ?? 0) >= 1 ? true : undefined), 'a first chunk checkpoint');

    // Act: kill
    const stopped = await cloud.stopExecution(killed.executionArn, { error: 'Test.Killed', cause: 'stopped while its chunks were scoring' });

    // Assess: stopped mid-run; the run stays RUNNING, owned by the dead execution
    expect(stopped.status).toBe('ABORTED');
    const left = await marker(runId);
    expect(left).toMatchObject({ status: 'RUNNING', ownerExecution: killed.executionArn, attempt: 1, chunksTotal: chunks });
    expect(Number(left?.chunksDone)).toBeLessThan(chunks);
    expect(await keysUnder(`projects/${PROJECT}/inference/outbox/killed/`)).toEqual([]);

    // Act: the event delivered again does not take over a run someone else owns...
    const duplicate = await startAndWait(killed.input);
    // ...a start with resume: true does
    const resumed = await startAndWait({ ...dropEventOf(killed), resume: true });

    // Assess
    expect(AlreadyScoredOutput.parse(duplicate.output).message).toContain('resume: true');
    expect({ status: resumed.status, error: resumed.error, cause: resumed.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    const { merged } = ScoredRunOutput.parse(resumed.output).outbox;
    expect(merged.runId).toBe(runId);
    // byte for byte what the uninterrupted run wrote (both CSVs depend only on the input bytes and the model)
    const predictions = await text(merged.predictionsKey);
    expect(predictions.length).toBe(referencePredictions.length);
    expect(predictions === referencePredictions).toBe(true);
    expect(await text(merged.rejectsKey)).toBe(referenceRejects);
    const metadata = JSON.parse(await text(merged.metadataKey)) as BatchMetadata;
    expect(metadata).toMatchObject({ rows: { total: reference.rows, scored: reference.rows, rejected: 0 }, chunks, executions: { mergedBy: resumed.executionArn, attempt: 2 } });
    expect(await marker(runId)).toMatchObject({ status: 'SUCCEEDED', ownerExecution: resumed.executionArn, attempt: 2, chunksDone: chunks, rowsScored: reference.rows });

    // the resumed run skipped chunks the killed one had finished and scored the others
    const checkpoints = await Promise.all(Array.from({ length: chunks }, (_, i) => operations.get(batchItemKeys.chunk(PROJECT, runId, i + 1))));
    const scoredBy = checkpoints.map((c) => String(c?.executionId));
    expect(scoredBy.filter((arn) => arn === killed.executionArn).length).toBeGreaterThanOrEqual(1);
    expect(scoredBy.filter((arn) => arn === resumed.executionArn).length).toBeGreaterThanOrEqual(1);
    expect(scoredBy.every((arn) => arn === killed.executionArn || arn === resumed.executionArn)).toBe(true);
    const skipped = logs.filter((line) => line.includes('"message":"chunk already scored (checkpoint found)"') && line.includes(`"runId":"${runId}"`));
    expect(skipped.length).toBeGreaterThanOrEqual(1);
  });
});

/** How the test project trains (small and quick) and what its model card says (approve-card needs it complete). */
const TRAINING_CONFIG = {
  hyperparameters: { num_round: 30, max_depth: 3, eta: 0.3, seed: 7 },
  primaryMetric: 'auc',
  card: {
    purpose: 'Integration test of batch inference.',
    intendedUse: 'Scoring synthetic batches in tests.',
    limitations: ['Synthetic data only.'],
    ethicalConsiderations: ['None beyond the synthetic data.'],
  },
};

/** A session of a role, as IAM reports the caller of a signed request. */
function sessionOf(roleArn: string): string {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) throw new Error(`not a role ARN: ${roleArn}`);
  return `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/batch-inference-test`;
}

/** POSTs JSON to an IAM-authorised function URL as a principal; a non-2xx answer throws with its body. */
async function postJson(url: string, principalArn: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lumina-principal': principalArn }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

/** Polls until `probe` gives a value (every 20 ms, at most 120 s): waiting for a state, not timing it. */
async function poll<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
