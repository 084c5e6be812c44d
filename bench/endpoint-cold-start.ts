/**
 * Cold start of the predict function: its synthesized bundle (the `cdk.out` asset the local
 * cloud runs and CDK deploys, onnxruntime-node included) loaded in a fresh Node 22 process,
 * several times, against the local cloud with a trained, promoted model
 * (bench/endpoint-setup.ts). Each process gets the function's own environment, resolved from
 * the product template, pointed at the emulators. Per run it measures:
 * - module load: `require` of the bundle (AWS SDK, middy, Powertools, onnxruntime-node native binding);
 * - init: the handler's `ready` (registry pointer and version item from DynamoDB, the ONNX
 *   and XGBoost JSON artifacts from S3, parse, ONNX session create, tree explainer);
 * - cold start = module load + init, against the 300 ms target;
 * - the first request after it, through the middy handler (validation, ONNX, TreeSHAP, log write).
 * The process's own start (Node bootstrap before the first line runs) is printed apart: Lambda
 * counts its runtime start separately from the function's init.
 * Each phase is also given as the process's CPU time (user + system, all its threads): on a
 * shared machine wall time grows with other processes' load, CPU time much less.
 *
 * Run: npx tsx bench/endpoint-cold-start.ts [--runs N]
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { ENTITY_ID_COLUMN, patientRecords, predictFunctionOf, promoteToProduction, startEndpointCloud } from './endpoint-setup';

const TARGET_MS = 300;

/** What one fresh process reports (one JSON line on stdout). */
const RunFigures = z.object({
  bootMs: z.number(),
  moduleLoadMs: z.number(),
  initMs: z.number(),
  firstRequestMs: z.number(),
  moduleLoadCpuMs: z.number(),
  initCpuMs: z.number(),
  firstRequestCpuMs: z.number(),
  firstStatus: z.number(),
  servedVersion: z.number().nullable(),
  initErrors: z.array(z.string()),
});
type RunFigures = z.output<typeof RunFigures>;

/**
 * The child, as CommonJS source for `node -e`: times the bundle's require and its `ready`
 * promise, then one request through the exported middy handler. The handler's own log lines
 * are held back (they would mix with the figures) and its init errors reported.
 */
const CHILD_SOURCE = String.raw`
'use strict';
const started = performance.now();
const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
const held = [];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk) => { held.push(String(chunk)); return true; };
process.stderr.write = (chunk) => { held.push(String(chunk)); return true; };
const loadStart = performance.now();
const loadStartCpu = cpuMs();
const mod = require(process.env.BENCH_HANDLER_FILE);
const loaded = performance.now();
const loadedCpu = cpuMs();
mod.ready.then(async () => {
  const ready = performance.now();
  const readyCpu = cpuMs();
  const event = {
    version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '', headers: { 'content-type': 'application/json' },
    requestContext: { requestId: 'cold-start', http: { method: 'POST', path: '/' } },
    body: process.env.BENCH_BODY, isBase64Encoded: false,
  };
  const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'cold-start', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:predict', getRemainingTimeInMillis: () => 15000 };
  const response = await mod.handler(event, context);
  const answered = performance.now();
  const answeredCpu = cpuMs();
  let servedVersion = null;
  try { servedVersion = JSON.parse(response.body).predictions[0].modelVersion; } catch {}
  const initErrors = held.join('').split('\n').filter((line) => /"level":"ERROR"/.test(line)).map((line) => line.slice(0, 300));
  write(JSON.stringify({ bootMs: started, moduleLoadMs: loaded - loadStart, initMs: ready - loaded, firstRequestMs: answered - ready, moduleLoadCpuMs: loadedCpu - loadStartCpu, initCpuMs: readyCpu - loadedCpu, firstRequestCpuMs: answeredCpu - readyCpu, firstStatus: response.statusCode, servedVersion, initErrors }) + '\n');
  process.exit(0);
}).catch((error) => { write(JSON.stringify({ crashed: String(error && error.stack || error) }) + '\n'); process.exit(1); });
`;

function runFresh(handlerFile: string, environment: Readonly<Record<string, string>>, body: string): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    // process.execPath is the repo's Node 22 (tsx runs on it), the Lambda runtime's major version.
    const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...environment, BENCH_HANDLER_FILE: handlerFile, BENCH_BODY: body },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      const parsed = RunFigures.safeParse((() => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return undefined;
        }
      })());
      if (code === 0 && parsed.success) resolve(parsed.data);
      else reject(new Error(`the fresh process exited with ${code}: ${line || stderr.slice(0, 2000)}`));
    });
  });
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
const stats = (values: readonly number[]): { min: number; median: number; max: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: round(sorted[0]), median: round(median), max: round(sorted[sorted.length - 1]) };
};
const line = (name: string, s: { min: number; median: number; max: number }): string => `${name.padEnd(34)} min ${String(s.min).padStart(6)} ms  median ${String(s.median).padStart(6)} ms  max ${String(s.max).padStart(6)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' } }, strict: true });
  const runs = values.runs === undefined ? 7 : Number(values.runs);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100)) throw new Error(`--runs must be a whole number from 1 to 100 (got '${values.runs}')`);
  const t0 = Date.now();
  const { endpoint, version } = await startEndpointCloud({
    patients: 3000,
    seed: 1,
    hyperparameters: { num_round: 100, max_depth: 6, eta: 0.1, seed: 7 },
    log: (text) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${text}`),
  });
  try {
    await promoteToProduction(endpoint, version.version, 'endpoint cold-start benchmark');
    const fn = predictFunctionOf(endpoint);
    const handlerFile = path.join(fn.assetDir, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`);
    const [record] = patientRecords({ patients: 1, seed: 3, firstPatient: 8_000_000 });
    const body = JSON.stringify({ ...record, [ENTITY_ID_COLUMN]: 'COLD1' });
    console.log(`model version ${version.version} in production (100 rounds, depth 6); bundle ${path.relative(process.cwd(), fn.assetDir)}; ${runs} fresh processes`);

    const figures: RunFigures[] = [];
    for (let i = 0; i < runs; i++) {
      const run = await runFresh(handlerFile, fn.environment, body);
      if (run.initErrors.length > 0) throw new Error(`run ${i + 1}: the handler's init logged errors: ${run.initErrors.join(' | ')}`);
      if (run.firstStatus !== 200 || run.servedVersion !== version.version) throw new Error(`run ${i + 1}: the first request answered ${run.firstStatus} from version ${run.servedVersion}`);
      figures.push(run);
      console.log(
        `  run ${i + 1}: module load ${round(run.moduleLoadMs)} ms + init ${round(run.initMs)} ms = ${round(run.moduleLoadMs + run.initMs)} ms ` +
          `(CPU ${round(run.moduleLoadCpuMs)} + ${round(run.initCpuMs)} = ${round(run.moduleLoadCpuMs + run.initCpuMs)} ms); ` +
          `first request ${round(run.firstRequestMs)} ms (CPU ${round(run.firstRequestCpuMs)} ms); process start ${round(run.bootMs)} ms before`,
      );
    }
    const cold = stats(figures.map((f) => f.moduleLoadMs + f.initMs));
    const summary = {
      moduleLoadMs: stats(figures.map((f) => f.moduleLoadMs)),
      initMs: stats(figures.map((f) => f.initMs)),
      coldStartMs: cold,
      firstRequestMs: stats(figures.map((f) => f.firstRequestMs)),
      processStartMs: stats(figures.map((f) => f.bootMs)),
      cpu: {
        moduleLoadMs: stats(figures.map((f) => f.moduleLoadCpuMs)),
        initMs: stats(figures.map((f) => f.initCpuMs)),
        coldStartMs: stats(figures.map((f) => f.moduleLoadCpuMs + f.initCpuMs)),
        firstRequestMs: stats(figures.map((f) => f.firstRequestCpuMs)),
      },
    };
    console.log(line('module load', summary.moduleLoadMs));
    console.log(line('init (model fetch + session)', summary.initMs));
    console.log(line('cold start (load + init)', summary.coldStartMs));
    console.log(line('first request after init', summary.firstRequestMs));
    console.log(line('process start (not counted)', summary.processStartMs));
    console.log(line('CPU: module load', summary.cpu.moduleLoadMs));
    console.log(line('CPU: init', summary.cpu.initMs));
    console.log(line('CPU: cold start (load + init)', summary.cpu.coldStartMs));
    console.log(line('CPU: first request', summary.cpu.firstRequestMs));
    console.log(`target: cold start <= ${TARGET_MS} ms: median ${cold.median <= TARGET_MS ? 'meets it' : 'misses it'} (${cold.median} ms), max ${cold.max <= TARGET_MS ? 'meets it' : 'misses it'} (${cold.max} ms)`);
    console.log(JSON.stringify({ benchmark: 'endpoint-cold-start', runs, modelVersion: version.version, ...summary, target: { coldStartMs: TARGET_MS } }));
  } finally {
    await endpoint.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
