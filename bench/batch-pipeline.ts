/**
 * Batch inference through the whole local inference pipeline: 1,000,000 rows x 30 features
 * (plus an id column) dropped into a project's inference inbox on the local cloud, then S3
 * (s3rver) → EventBridge rule → Step Functions → PlanBatch → ScoreChunk Map → MergeBatch and
 * the data-quality monitor side by side → run records, every step the synthesized Lambda bundle in its local
 * sandbox (worker threads, two per function). The production model is trained by the
 * project's own training pipeline on 20,000 rows of the benchmark set (100 rounds, depth 6)
 * and promoted through the registry API, as a user would.
 *
 * Prints rows/s end to end (from the PutObject of the drop to the end of the execution;
 * target >= 100,000 rows/s), where the time went (from the execution and the pipeline's own
 * metadata.json timings), and peak memory: the RSS of this one process, which holds the
 * emulators, the Step Functions engine and every Lambda sandbox (worker threads share it), and
 * the bench's own copy of the input while it uploads; and the process CPU time the run used
 * (robust to a busy machine, unlike wall time). Then it profiles, on this thread against the
 * same s3rver: one chunk of ScoreChunk's core (S3 range read / parse+encode+format / ONNX / S3
 * puts), the merge's S3 work alone, the monitor's core (S3 vs statistics) and a streaming GET
 * of the input. Then a JSON line. Never fails on slowness. Each phase's process CPU time is
 * read off a 50 ms sampler; the merge and the monitor run side by side, so "monitor" is the
 * time from the end of the merge to the end of the execution.
 *
 * Run: npx tsx bench/batch-pipeline.ts [rows]
 */
import * as os from 'node:os';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { BatchObjects } from '../lambdas/core/batch/batch-objects';
import { OUTPUT_COLUMNS } from '../lambdas/core/batch/input-contract';
import { batchRunLayout } from '../lambdas/core/batch/layout';
import { onnxScoringModel } from '../lambdas/core/batch/onnx-scoring-model';
import { memoryOperationsStore } from '../lambdas/core/batch/operations-store';
import { ChunkRangeSchema, InputObjectSchema, ModelReferenceSchema } from '../lambdas/core/batch/plan-batch';
import { scoreChunk, type ScoringModel } from '../lambdas/core/batch/score-chunk';
import { MonitorBatchStepInput, runBatchMonitor } from '../lambdas/core/monitoring/monitor-batch-step';
import { parseMonitorConfig } from '../lambdas/core/monitoring/monitor-config';
import { listModelVersions } from '../lambdas/core/registry/model-version';
import { dynamoDbRegistryStore } from '../lambdas/shared/dynamodb-registry-store';
import type { ObjectStore } from '../lambdas/shared/object-store';
import { s3StreamingConcatenation } from '../lambdas/merge-batch/s3-streaming-concatenation';
import { s3BatchObjects } from '../lambdas/shared/s3-batch-objects';
import { s3ObjectStore } from '../lambdas/shared/s3-object-store';
import { PLATFORM_STACK_NAME } from '../lib/app';
import type { ExecutionInfo } from '../local/cloud-api';
import { type LocalCloud, startLocalCloud } from '../local/cloud';
import { FEATURES, makeClassification } from './make-classification';
import { seededRandom } from './synthetic-gbdt-model';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const TRAINING_ROWS = 20_000;
const PROJECT = 'bench';
const MISSING_RATE = 0.03;
const COLUMNS = ['id', ...Array.from({ length: FEATURES }, (_, i) => `f${i}`)];

const TRAINING_CONFIG = {
  hyperparameters: { num_round: 100, max_depth: 6, eta: 0.1, early_stopping_rounds: 100, seed: 7 },
  primaryMetric: 'auc',
  card: {
    purpose: 'Benchmark model for batch inference throughput.',
    intendedUse: 'Benchmarks only.',
    limitations: ['Synthetic make_classification data.'],
    ethicalConsiderations: ['None: synthetic data.'],
  },
};

/** What the bench reads from the pipeline's output and metadata.json (parsed, so a changed shape fails loudly). */
const RunOutput = z.object({
  batch: z.object({
    plan: z.object({ runId: z.string(), input: InputObjectSchema, model: ModelReferenceSchema, header: z.string(), chunks: z.array(ChunkRangeSchema).min(1), monitor: z.unknown() }),
  }),
  outbox: z.object({ merged: z.object({ rowsScored: z.number(), rowsRejected: z.number(), metadataKey: z.string(), predictionsKey: z.string() }) }),
  monitor: z.object({ report: z.object({ rows: z.number(), driftScore: z.number() }).optional(), skipped: z.string().optional() }),
});
const Metadata = z.object({
  chunks: z.number(),
  outputs: z.object({ predictionsBytes: z.number() }),
  timings: z.object({ startedAt: z.string(), plannedAt: z.string(), mergedAt: z.string(), chunkScoringMs: z.number(), mergeMs: z.number() }),
});

let peakRss = 0;
/** [epoch ms, process CPU µs, main thread CPU µs] every 50 ms: the CPU a phase used is read off between its start and end. */
const cpuSamples: [number, number, number][] = [];
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const cpu = process.cpuUsage();
  const main = process.threadCpuUsage();
  cpuSamples.push([Date.now(), cpu.user + cpu.system, main.user + main.system]);
};

/** Process (column 1) or main thread (column 2) CPU seconds between two instants (linear between samples). */
function cpuSecondsBetween(from: number, to: number, column: 1 | 2 = 1): number {
  const at = (time: number): number => {
    let i = 0;
    while (i + 1 < cpuSamples.length && cpuSamples[i + 1][0] <= time) i++;
    const t0 = cpuSamples[i][0];
    const c0 = cpuSamples[i][column];
    const next = cpuSamples[i + 1];
    if (!next || next[0] === t0) return c0;
    return c0 + (next[column] - c0) * Math.max(0, Math.min(1, (time - t0) / (next[0] - t0)));
  };
  return (at(to) - at(from)) / 1e6;
}

/** The benchmark set as CSV (id, f0..f29[, label]); 3% of feature cells empty in the batch, like bench/batch-inference.ts. */
function csvOf(values: Float32Array, from: number, to: number, options: { labels?: Float64Array; missingRate: number; seed: number }): Buffer {
  const random = seededRandom(options.seed);
  const header = options.labels ? [...COLUMNS, 'label'] : COLUMNS;
  const blocks: Buffer[] = [Buffer.from(`${header.join(',')}\n`)];
  let lines: string[] = [];
  for (let r = from; r < to; r++) {
    const cells = [`r${r}`];
    for (let f = 0; f < FEATURES; f++) cells.push(random() < options.missingRate ? '' : values[r * FEATURES + f].toFixed(4));
    if (options.labels) cells.push(String(options.labels[r]));
    lines.push(cells.join(','));
    if (lines.length === 10_000) {
      blocks.push(Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
    }
  }
  if (lines.length > 0) blocks.push(Buffer.from(`${lines.join('\n')}\n`));
  return Buffer.concat(blocks);
}

function sessionOf(roleArn: string): string {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) throw new Error(`not a role ARN: ${roleArn}`);
  return `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/bench`;
}

async function postJson(url: string, principalArn: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lumina-principal': principalArn }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

/** Trains v1 through the project's training pipeline and promotes it as the model approver. */
async function trainAndPromote(cloud: LocalCloud, training: Buffer): Promise<number> {
  await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/training.json`, Body: JSON.stringify(TRAINING_CONFIG) }));
  await cloud.putData(PROJECT, 'training', 'training.csv', training);
  await cloud.waitForIdle(30 * 60_000);
  const registry = dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
  const [v1] = await listModelVersions(registry, PROJECT);
  if (!v1) throw new Error(`training registered no model: ${JSON.stringify(cloud.listRuns(PROJECT).map((r) => [r.status, r.error, r.cause]))}`);
  const api = cloud.stackOutputs(PLATFORM_STACK_NAME).RegistryApiUrl.replace(/\/+$/, '');
  const approver = sessionOf(cloud.personaRoleArn('modelApprover'));
  await postJson(`${api}/models/${PROJECT}/${v1.version}/approve-card`, approver, { note: 'bench' });
  await postJson(`${api}/models/${PROJECT}/${v1.version}/promote`, approver, { stage: 'production', reason: 'bench' });
  return v1.version;
}

/** Wall and CPU time of one piece of work (CPU = this process: main thread and every worker thread). */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

interface ChunkProfile {
  readonly rows: number;
  readonly totalMs: number;
  readonly readRangeMs: number;
  readonly onnxMs: number;
  readonly putMs: number;
  /** The rest: splitting records and fields, checking and encoding cells, formatting output lines. */
  readonly parseEncodeFormatMs: number;
}

/**
 * Where one ScoreChunk's time goes: the pipeline's own scoreChunk core on this thread (warm, second
 * run), against the same s3rver, with its S3 reads and writes and the ONNX calls timed. Outputs go
 * under a scratch prefix and checkpoints to memory, so the finished run is left untouched.
 */
async function profileChunk(cloud: LocalCloud, plan: z.output<typeof RunOutput>['batch']['plan']): Promise<ChunkProfile> {
  const objects = s3BatchObjects(cloud.s3);
  const onnx = await (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: plan.model.onnxKey }))).Body!.transformToByteArray();
  const model = await onnxScoringModel(onnx);
  let readRangeMs = 0;
  let onnxMs = 0;
  let putMs = 0;
  const clock = async <T>(add: (elapsed: number) => void, work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      add(performance.now() - started);
    }
  };
  const timedObjects: BatchObjects = {
    ...objects,
    readRange: (input, start, end) => clock((e) => (readRangeMs += e), objects.readRange(input, start, end)),
    put: (bucket, key, body, contentType) => clock((e) => (putMs += e), objects.put(bucket, key.replace('/inference/runs/', '/inference/bench-profile/'), body, contentType)),
  };
  const timedModel: ScoringModel = { metadata: model.metadata, score: (rows, nRows) => clock((e) => (onnxMs += e), model.score(rows, nRows)) };
  const chunk = plan.chunks[0];
  const run = () =>
    scoreChunk(
      { runId: plan.runId, input: plan.input, model: plan.model, header: plan.header, chunk, executionId: 'bench-profile' },
      { project: PROJECT },
      { objects: timedObjects, operations: memoryOperationsStore(), loadModel: async () => timedModel, now: () => new Date() },
    );
  await run(); // warm-up: JIT, first session run
  readRangeMs = onnxMs = putMs = 0;
  const started = performance.now();
  await run();
  const totalMs = performance.now() - started;
  await model.release();
  return { rows: chunk.rows, totalMs, readRangeMs, onnxMs, putMs, parseEncodeFormatMs: totalMs - readRangeMs - onnxMs - putMs };
}

/**
 * The merge's S3 work on its own: the run's chunk outputs concatenated again as MergeBatch does
 * (GETs piped into one PutObject of a known length) into a scratch key.
 */
async function profileMerge(cloud: LocalCloud, plan: z.output<typeof RunOutput>['batch']['plan']) {
  const layout = batchRunLayout(PROJECT, plan.input.key, plan.runId);
  const parts = await Promise.all(
    plan.chunks.map(async (chunk) => {
      const key = layout.chunkPredictions(chunk.index);
      const head = await cloud.s3.send(new HeadObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
      return { key, bytes: Number(head.ContentLength) };
    }),
  );
  const concatenate = s3StreamingConcatenation(cloud.s3, s3BatchObjects(cloud.s3).concatenate);
  return timed(() => concatenate(cloud.artifactBucket, `projects/${PROJECT}/inference/bench-profile/merged.csv`, parts, 'text/csv'));
}

/** The monitor step's core on this thread against the same s3rver, its reads and writes timed (metrics go nowhere). */
async function profileMonitor(cloud: LocalCloud, monitorInput: unknown) {
  const input = MonitorBatchStepInput.parse({ ...(monitorInput as object), outputPrefix: `projects/${PROJECT}/inference/bench-profile/monitor/` });
  const store = s3ObjectStore(cloud.s3);
  // Wall time with at least one S3 call in flight (the chunk files are read side by side).
  let ioMs = 0;
  let inFlight = 0;
  let since = 0;
  const io = async <T>(work: () => Promise<T>): Promise<T> => {
    if (inFlight++ === 0) since = performance.now();
    try {
      return await work();
    } finally {
      if (--inFlight === 0) ioMs += performance.now() - since;
    }
  };
  const timedStore: ObjectStore = { get: (...args) => io(() => store.get(...args)), put: (...args) => io(() => store.put(...args)) };
  // As the pipeline's monitor: the output columns, the target and the entity id are not features.
  const config = parseMonitorConfig({ ignoreColumns: [...OUTPUT_COLUMNS, 'label', 'id'] });
  const run = await timed(() => runBatchMonitor(input, { projectName: PROJECT, artifactBucket: cloud.artifactBucket, config }, { objects: timedStore, metrics: { putMetricData: async () => undefined }, now: () => new Date() }));
  return { ...run, ioMs };
}

const ms = (from: string | Date, to: string | Date): number => new Date(to).getTime() - new Date(from).getTime();
const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

async function main(): Promise<void> {
  const sampler = setInterval(sampleRss, 50);
  const bootStart = Date.now();
  const cloud = await startLocalCloud({ alarmEvaluationIntervalMs: 0 });
  try {
    await cloud.createProject({ name: PROJECT, targetColumn: 'label', entityIdColumn: 'id', positiveLabel: '1' });
    const bootMs = Date.now() - bootStart;

    // One draw for both sets: make_classification's clusters depend on the seed, so the batch comes from the training population.
    let data: ReturnType<typeof makeClassification> | undefined = makeClassification(TRAINING_ROWS + ROWS, 3);
    const trainStart = Date.now();
    const version = await trainAndPromote(cloud, csvOf(data.values, 0, TRAINING_ROWS, { labels: data.labels, missingRate: 0, seed: 1 }));
    const trainMs = Date.now() - trainStart;
    let input: Buffer | undefined = csvOf(data.values, TRAINING_ROWS, TRAINING_ROWS + ROWS, { missingRate: MISSING_RATE, seed: 2 });
    data = undefined;
    const inputBytes = input.length;
    console.log(`setup: local cloud up in ${(bootMs / 1000).toFixed(1)} s (synth + deploy); model v${version} trained on ${TRAINING_ROWS.toLocaleString()} rows and promoted in ${(trainMs / 1000).toFixed(1)} s`);
    console.log(`input: ${ROWS.toLocaleString()} rows x ${FEATURES} features, ${mb(inputBytes)} MB`);

    // --- timed: drop → outbox → monitor → run recorded -------------------------------------------
    sampleRss();
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const cpuBefore = process.cpuUsage();
    const mainThreadBefore = process.threadCpuUsage();
    const dropped = new Date();
    const { key } = await cloud.putData(PROJECT, 'inference', 'million.csv', input);
    const uploaded = new Date();
    input = undefined; // the emulator has it now; the bench's copy may go
    await cloud.waitForIdle(60 * 60_000);
    const finished = new Date();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const mainThread = process.threadCpuUsage(mainThreadBefore);
    const mainThreadSeconds = (mainThread.user + mainThread.system) / 1e6;
    clearInterval(sampler);
    sampleRss();

    const run: ExecutionInfo | undefined = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: unknown }).key === key);
    if (!run || run.status !== 'SUCCEEDED') throw new Error(`the inference run ${run?.status ?? 'did not start'}: ${run?.error ?? ''} ${run?.cause ?? ''}`);
    const output = RunOutput.parse(run.output);
    const { merged } = output.outbox;
    const metadataText = await (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: merged.metadataKey }))).Body!.transformToString();
    const metadata = Metadata.parse(JSON.parse(metadataText));
    const t = metadata.timings;
    const startDate = new Date(run.startDate);
    const stopDate = new Date(run.stopDate ?? finished);
    const mergeStarted = new Date(new Date(t.mergedAt).getTime() - t.mergeMs);
    const phases = {
      uploadMs: ms(dropped, uploaded),
      eventToExecutionMs: ms(uploaded, startDate),
      planMs: ms(startDate, t.plannedAt),
      scoreMs: ms(t.plannedAt, mergeStarted),
      mergeMs: t.mergeMs,
      monitorAndRecordMs: ms(t.mergedAt, stopDate),
    };
    const phaseWindows: Record<keyof typeof phases, [number, number]> = {
      uploadMs: [dropped.getTime(), uploaded.getTime()],
      eventToExecutionMs: [uploaded.getTime(), startDate.getTime()],
      planMs: [startDate.getTime(), Date.parse(t.plannedAt)],
      scoreMs: [Date.parse(t.plannedAt), mergeStarted.getTime()],
      mergeMs: [mergeStarted.getTime(), Date.parse(t.mergedAt)],
      monitorAndRecordMs: [Date.parse(t.mergedAt), stopDate.getTime()],
    };
    const phaseCpu = Object.fromEntries(Object.entries(phaseWindows).map(([phase, [from, to]]) => [phase, Number(cpuSecondsBetween(from, to).toFixed(1))])) as Record<keyof typeof phases, number>;
    const phaseMainCpu = Object.fromEntries(Object.entries(phaseWindows).map(([phase, [from, to]]) => [phase, Number(cpuSecondsBetween(from, to, 2).toFixed(1))])) as Record<keyof typeof phases, number>;
    const cpuNote = (phase: keyof typeof phases): string => `${phaseCpu[phase].toFixed(1)} s CPU (${phaseMainCpu[phase].toFixed(1)} s main thread)`;
    const seconds = ms(dropped, finished) / 1000;
    const pipelineSeconds = ms(startDate, stopDate) / 1000;
    const rowsPerSecond = Math.round(ROWS / seconds);
    const maxRss = process.resourceUsage().maxRSS * 1024;

    console.log(`upload:  ${phases.uploadMs} ms, ${cpuNote('uploadMs')} (PutObject of the drop into s3rver)`);
    // s3rver emits the event once the object is stored, before its answer reaches this client: the execution can start first.
    const eventMs = phases.eventToExecutionMs;
    console.log(
      eventMs >= 0
        ? `event:   ${eventMs} ms after the PUT's answer (S3 event → EventBridge rule → StartExecution)`
        : `event:   the execution started ${-eventMs} ms before the PUT's answer reached the bench (s3rver emits the S3 event once the object is stored, then answers)`,
    );
    console.log(`plan:    ${phases.planMs} ms, ${cpuNote('planMs')} (PlanBatch: cold start, run marker, model pin, header check, one streaming pass → ${metadata.chunks} chunks)`);
    console.log(`score:   ${phases.scoreMs} ms, ${cpuNote('scoreMs')} (ScoreChunks Map; ${t.chunkScoringMs} ms of chunk time, ${Math.round(t.chunkScoringMs / metadata.chunks)} ms a chunk)`);
    console.log(`merge:   ${phases.mergeMs} ms, ${cpuNote('mergeMs')} (${mb(metadata.outputs.predictionsBytes)} MB predictions.csv, one streamed PUT of the chunk files)`);
    console.log(`monitor: ${phases.monitorAndRecordMs} ms, ${cpuNote('monitorAndRecordMs')} after the merge ended (the data-quality monitor, which started with the merge and reads the same chunk files, then the run marker and run record)`);
    console.log(
      `end to end: ${seconds.toFixed(2)} s, ${rowsPerSecond.toLocaleString()} rows/s (target >= 100,000); execution alone ${pipelineSeconds.toFixed(2)} s, ${Math.round(ROWS / pipelineSeconds).toLocaleString()} rows/s; scored ${merged.rowsScored.toLocaleString()}, rejected ${merged.rowsRejected}`,
    );
    console.log(
      `peak RSS during the run: ${mb(peakRss)} MB (sampled every 50 ms; ${mb(rssBefore)} MB before the drop, including the bench's ${mb(inputBytes)} MB copy of the input); process maximum ${mb(maxRss)} MB. One process: emulators, engine and every Lambda sandbox (worker threads).`,
    );
    console.log(
      `CPU: ${cpuSeconds.toFixed(1)} s of process CPU time for the run (${(cpuSeconds / seconds).toFixed(2)} cores busy on average; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end), ${Math.round(ROWS / cpuSeconds).toLocaleString()} rows per CPU second; ${mainThreadSeconds.toFixed(1)} s of it on the main thread (s3rver, dynalite, the Step Functions engine, this bench), the rest in the Lambda sandboxes' threads and onnxruntime`,
    );

    // --- profile: one chunk, and the emulator's I/O -----------------------------------------------
    const chunk = await profileChunk(cloud, output.batch.plan);
    const share = (part: number): string => `${part.toFixed(0)} ms (${((100 * part) / chunk.totalMs).toFixed(0)}%)`;
    console.log(
      `one chunk (${chunk.rows.toLocaleString()} rows, warm, this thread): ${chunk.totalMs.toFixed(0)} ms = ${Math.round((chunk.rows / chunk.totalMs) * 1000).toLocaleString()} rows/s; S3 range read ${share(chunk.readRangeMs)}, parse/encode/format ${share(chunk.parseEncodeFormatMs)}, ONNX ${share(chunk.onnxMs)}, S3 puts ${share(chunk.putMs)}`,
    );
    const mergeProfile = await profileMerge(cloud, output.batch.plan);
    console.log(`merge's S3 work alone: ${mergeProfile.wallMs.toFixed(0)} ms (${mb(mergeProfile.value.bytes)} MB through s3rver: ${metadata.chunks} GETs piped into one PUT; ${mergeProfile.cpuMs.toFixed(0)} ms CPU)`);
    const monitorProfile = await profileMonitor(cloud, output.batch.plan.monitor);
    console.log(
      `monitor alone: ${monitorProfile.wallMs.toFixed(0)} ms (${monitorProfile.value.rows.toLocaleString()} rows, read as the header and ${metadata.chunks} chunk files): S3 get/put ${monitorProfile.ioMs.toFixed(0)} ms, statistics and drift ${(monitorProfile.wallMs - monitorProfile.ioMs).toFixed(0)} ms; ${monitorProfile.cpuMs.toFixed(0)} ms CPU`,
    );
    const inputRead = await timed(async () => {
      const body = (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body as AsyncIterable<Uint8Array>;
      let bytes = 0;
      for await (const piece of body) bytes += piece.length;
      return bytes;
    });
    console.log(`s3rver: streaming GET of the ${mb(inputRead.value)} MB input in ${inputRead.wallMs.toFixed(0)} ms (${((inputRead.value / 1e6 / inputRead.wallMs) * 1000).toFixed(0)} MB/s, ${inputRead.cpuMs.toFixed(0)} ms CPU)`);

    console.log(
      JSON.stringify({
        bench: 'batch-pipeline',
        rows: ROWS,
        features: FEATURES,
        chunks: metadata.chunks,
        inputMB: Number((inputBytes / 1e6).toFixed(1)),
        ...phases,
        phaseCpuSeconds: phaseCpu,
        phaseMainThreadCpuSeconds: phaseMainCpu,
        seconds: Number(seconds.toFixed(2)),
        rowsPerSecond,
        pipelineSeconds: Number(pipelineSeconds.toFixed(2)),
        rowsScored: merged.rowsScored,
        peakRssMB: Math.round(peakRss / 1e6),
        maxRssMB: Math.round(maxRss / 1e6),
        cpuSeconds: Number(cpuSeconds.toFixed(1)),
        mainThreadCpuSeconds: Number(mainThreadSeconds.toFixed(1)),
        loadAverage: Number(os.loadavg()[0].toFixed(1)),
        chunkProfile: {
          rows: chunk.rows,
          totalMs: Math.round(chunk.totalMs),
          readRangeMs: Math.round(chunk.readRangeMs),
          parseEncodeFormatMs: Math.round(chunk.parseEncodeFormatMs),
          onnxMs: Math.round(chunk.onnxMs),
          putMs: Math.round(chunk.putMs),
        },
        mergeS3Ms: Math.round(mergeProfile.wallMs),
        monitorProfile: { totalMs: Math.round(monitorProfile.wallMs), s3Ms: Math.round(monitorProfile.ioMs) },
        s3GetMBps: Math.round((inputRead.value / 1e6 / inputRead.wallMs) * 1000),
      }),
    );
  } finally {
    clearInterval(sampler);
    await cloud.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
