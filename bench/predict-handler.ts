/**
 * The predict Lambda handler in process (lambdas/predict/index.ts, middy and all), for a
 * 100-tree, depth-6, 30-feature model (bench/benchmark-model.ts):
 * - warm: p50/p95/p99 of one single-record function URL request, including body parsing,
 *   validation, the ONNX run, top-5 TreeSHAP risk factors, the log line (to a stubbed S3)
 *   and the metrics line (target p95 <= 2 ms);
 * - cold start: module load + init (registry pointer, model fetch, session create) for the
 *   first handler, and the init alone repeated on fresh caches (target <= 300 ms).
 * AWS is stubbed with aws-sdk-client-mock: DynamoDB answers the registry items, S3 GetObject
 * reads the artifacts from local files, PutObject succeeds.
 *
 * The handler is bundled with esbuild first, as NodejsFunction does for Lambda (middy is
 * ESM-only, so the TypeScript source cannot be required as CommonJS); the AWS SDK and
 * onnxruntime-node stay external, as in the deployed bundle, so the mocks reach the SDK.
 *
 * Run: npx tsx bench/predict-handler.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSync } from 'esbuild';
import type { Context } from 'aws-lambda';
import { convertToOnnx } from '../lambdas/core/ml/onnx';
import { writeXgboostJson } from '../lambdas/core/ml/xgboost-json';
import { memoryRegistryStore } from '../lambdas/core/registry/memory-store';
import { registryKeys } from '../lambdas/core/registry/keys';
import { registryModelLoader, registryProductionPointer } from '../lambdas/core/serving/model-loading';
import { ModelCache } from '../lambdas/core/serving/model-source';
import { createOnnxScorer } from '../lambdas/core/serving/onnx-scorer';
import { BENCH_DEPTH, BENCH_FEATURES as FEATURES, BENCH_TREES, benchmarkModel, holdoutRows } from './benchmark-model';

const WARMUP = 300;
const REQUESTS = 3_000;
const INIT_REPEATS = 10;
const PROJECT = 'bench-project';

const percentile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

async function main(): Promise<void> {
  const { model, source, description } = await benchmarkModel();
  console.log(`model: ${description}`);

  // The artifacts as local files, served by the S3 stub.
  const dir = mkdtempSync(join(tmpdir(), 'predict-bench-'));
  const keys = { onnxKey: `projects/${PROJECT}/models/1/model.onnx`, modelKey: `projects/${PROJECT}/models/1/model.json` };
  const files = new Map([[keys.onnxKey, join(dir, 'model.onnx')], [keys.modelKey, join(dir, 'model.json')]]);
  writeFileSync(files.get(keys.onnxKey)!, convertToOnnx(model));
  writeFileSync(files.get(keys.modelKey)!, writeXgboostJson(model));
  const s3 = mockClient(S3Client);
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const bytes = new Uint8Array(await readFile(files.get(input.Key)!));
    return { Body: { transformToByteArray: async () => bytes } };
  });
  s3.on(PutObjectCommand).resolves({});
  const dynamo = mockClient(DynamoDBDocumentClient);
  dynamo.on(GetCommand).resolves({}); // no A/B item; the specific answers below take precedence
  dynamo.on(GetCommand, { Key: registryKeys.stages(PROJECT) }).resolves({ Item: { ...registryKeys.stages(PROJECT), staging: null, production: 1, revision: 1 } });
  dynamo.on(GetCommand, { Key: registryKeys.version(PROJECT, 1) }).resolves({ Item: { ...registryKeys.version(PROJECT, 1), version: 1, artifacts: keys } });

  Object.assign(process.env, {
    PROJECT_NAME: PROJECT,
    MODEL_REGISTRY_TABLE: 'registry',
    ARTIFACT_BUCKET: 'artifacts',
    PREDICTION_LOG_BUCKET: 'artifacts',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });

  // Inside node_modules/.cache so the bundle's external requires resolve to the repo's packages.
  const bundle = join(__dirname, '..', 'node_modules', '.cache', 'luminaops-bench', 'predict.cjs');
  buildSync({
    entryPoints: [join(__dirname, '..', 'lambdas', 'predict', 'index.ts')],
    bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile: bundle,
    external: ['@aws-sdk/*', 'onnxruntime-node'], logLevel: 'error',
  });
  const requireFromRepo = createRequire(join(__dirname, '..', 'package.json'));

  // Cold start: loading the handler bundle (onnxruntime-node, AWS SDK, middy) and its init.
  let start = process.hrtime.bigint();
  const module = requireFromRepo(bundle) as typeof import('../lambdas/predict/index');
  const importMs = elapsedMs(start);
  await module.ready;
  const coldStartMs = elapsedMs(start);
  const status = JSON.parse((await module.endpoint.handleEvent({ version: '2.0', requestContext: { http: { method: 'GET' } } })).body);
  if (status.production?.version !== 1) throw new Error(`the handler did not load the model: ${JSON.stringify(status)}`);

  // Init alone, on fresh caches: registry pointer → version item → two S3 objects → parse → session.
  const store = memoryRegistryStore();
  await store.put('registry', { ...registryKeys.stages(PROJECT), staging: null, production: 1, revision: 1 });
  await store.put('registry', { ...registryKeys.version(PROJECT, 1), version: 1, artifacts: keys });
  const objects = { get: async (_bucket: string, key: string) => new Uint8Array(await readFile(files.get(key)!)), put: async () => ({}) };
  const initMs: number[] = [];
  for (let i = 0; i < INIT_REPEATS; i++) {
    start = process.hrtime.bigint();
    const cache = new ModelCache(registryProductionPointer(store, PROJECT), registryModelLoader({ store, objects, artifactBucket: 'artifacts', project: PROJECT, createScorer: createOnnxScorer }), Date.now);
    await cache.production();
    initMs.push(elapsedMs(start));
  }
  initMs.sort((a, b) => a - b);

  // Warm single-record requests through the middy handler.
  const rows = holdoutRows(REQUESTS);
  const bodies = Array.from({ length: REQUESTS }, (_, r) => {
    const record: Record<string, number> = {};
    for (let f = 0; f < FEATURES; f++) record[model.features[f].column] = rows[r * FEATURES + f];
    return JSON.stringify(record);
  });
  const event = (i: number) => ({
    version: '2.0', rawPath: '/', headers: { 'content-type': 'application/json' },
    requestContext: { requestId: `bench-${i}`, http: { method: 'POST', path: '/' } }, body: bodies[i % REQUESTS], isBase64Encoded: false,
  });
  const context = { functionName: 'predict', awsRequestId: 'bench', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:predict' } as Context;
  const handler = module.handler as unknown as (e: unknown, c: Context) => Promise<{ statusCode: number; body: string }>;
  const writeStdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the handler's EMF metric lines
  const latencies: number[] = [];
  let failures = 0;
  let riskFactors = 0;
  try {
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      start = process.hrtime.bigint();
      const response = await handler(event(i), context);
      const ms = elapsedMs(start);
      if (response.statusCode !== 200) failures += 1;
      if (i >= WARMUP) {
        latencies.push(ms);
        if (i === WARMUP) riskFactors = JSON.parse(response.body).predictions[0].riskFactors.length;
      }
    }
  } finally {
    process.stdout.write = writeStdout;
  }
  latencies.sort((a, b) => a - b);
  const warm = { p50: round(percentile(latencies, 0.5)), p95: round(percentile(latencies, 0.95)), p99: round(percentile(latencies, 0.99)), max: round(latencies[latencies.length - 1]) };

  console.log(`warm handler, single record (${REQUESTS} requests after ${WARMUP} warm-up; validation + ONNX + top-${riskFactors} risk factors + log line):`);
  console.log(`  p50 ${warm.p50} ms, p95 ${warm.p95} ms, p99 ${warm.p99} ms, max ${warm.max} ms (target p95 <= 2 ms); non-200 answers: ${failures}`);
  console.log(`cold start: module load ${round(importMs, 1)} ms + init = ${round(coldStartMs, 1)} ms (target <= 300 ms)`);
  console.log(`init alone (pointer, version item, 2 artifacts from local files, parse, session create), ${INIT_REPEATS} runs: p50 ${round(percentile(initMs, 0.5), 1)} ms, max ${round(initMs[initMs.length - 1], 1)} ms`);
  console.log(JSON.stringify({
    benchmark: 'predict-handler',
    model: { source, trees: model.trees.length, maxDepth: BENCH_DEPTH, features: FEATURES, targetTrees: BENCH_TREES },
    warmSingleRecordMs: warm,
    requests: REQUESTS,
    non200: failures,
    riskFactors,
    coldStartMs: round(coldStartMs, 1),
    moduleLoadMs: round(importMs, 1),
    initAloneMs: { p50: round(percentile(initMs, 0.5), 1), max: round(initMs[initMs.length - 1], 1) },
    target: { warmP95Ms: 2, coldStartMs: 300 },
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
