/**
 * The project's online endpoint under load: the local cloud with a trained, promoted model
 * (bench/endpoint-setup.ts), then autocannon with 1,000 concurrent connections for 10 s of
 * single-record POSTs (a different patient per request) against the AWS_IAM function URL
 * (`EndpointUrl`), as the data scientist. Prints errors, timeouts and non-2xx answers, the
 * p50/p95/p99 latency of the answers and requests per second; then, from the prediction log,
 * the handler's own time per request (parse, validate, ONNX, TreeSHAP; not the log write), so
 * the end-to-end latency can be split into queueing and work.
 *
 * What this measures is the local cloud: one process, the function's two local sandboxes
 * (worker threads), s3rver taking one prediction-log PUT per request, and autocannon in the
 * same process, on this machine's cores. With 1,000 connections and two sandboxes, most of a
 * request's latency is its wait in the queue (Little's law: latency ~ connections / rate).
 * Lambda would scale out to concurrent instances instead. The client timeout is raised from
 * autocannon's 10 s default to 60 s, so a queued request counts as slow rather than as an error.
 *
 * Run: npx tsx bench/endpoint-load.ts [--connections N] [--duration S]
 */
import { parseArgs } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { predictionLogPrefix } from '../lambdas/core/serving/prediction-log';
import { type EndpointCloud, ENTITY_ID_COLUMN, patientRecords, promoteToProduction, startEndpointCloud } from './endpoint-setup';

const TIMEOUT_SECONDS = 60;
/** Log objects read at once when collecting the handler's latencies. */
const READ_CONCURRENCY = 32;

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
const percentile = (sorted: readonly number[], q: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const summary = (values: number[]): { p50: number; p95: number; p99: number; max: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? Number.NaN) };
};

function positiveInteger(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new Error(`--${flag} must be a whole number from 1 to 999999 (got '${text}')`);
  return Number(text);
}

/** autocannon's run, with every answer's latency (its histogram has no p95). */
function runLoad(url: string, principal: string, bodies: readonly string[], connections: number, duration: number): Promise<{ result: autocannon.Result; latencies: number[]; statuses: Map<number, number> }> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        timeout: TIMEOUT_SECONDS,
        headers: { 'content-type': 'application/json', 'x-lumina-principal': principal },
        requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve({ result, latencies, statuses })),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
}

/** The handler's own latency of each prediction logged since `sinceMs` (the log key starts with the epoch ms). */
async function handlerLatencies(endpoint: EndpointCloud, sinceMs: number): Promise<number[]> {
  const { cloud } = endpoint;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: predictionLogPrefix(endpoint.project), ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const epoch = Number(/\/(\d{13})-[^/]+$/.exec(object.Key ?? '')?.[1]);
      if (object.Key && epoch >= sinceMs) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const latencies: number[] = [];
  for (let start = 0; start < keys.length; start += READ_CONCURRENCY) {
    const texts = await Promise.all(
      keys.slice(start, start + READ_CONCURRENCY).map(async (key) => (await (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body?.transformToString('utf-8')) ?? ''),
    );
    for (const text of texts) for (const line of text.split('\n')) if (line.trim() !== '') latencies.push((JSON.parse(line) as { latencyMs: number }).latencyMs);
  }
  return latencies;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { connections: { type: 'string' }, duration: { type: 'string' } }, strict: true });
  const connections = positiveInteger(values.connections, 'connections', 1000);
  const duration = positiveInteger(values.duration, 'duration', 10);
  const t0 = Date.now();
  const { endpoint, version } = await startEndpointCloud({
    patients: 3000,
    seed: 1,
    hyperparameters: { num_round: 100, max_depth: 6, eta: 0.1, seed: 7 },
    log: (line) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`),
  });
  try {
    await promoteToProduction(endpoint, version.version, 'endpoint load benchmark');
    const principal = endpoint.principals.dataScientist;
    const bodies = patientRecords({ patients: 2000, seed: 9, firstPatient: 9_000_000 }).map((record, i) => JSON.stringify({ ...record, [ENTITY_ID_COLUMN]: `L${i}` }));
    // Warm both local sandboxes (module load, model fetch, session create) before measuring.
    for (let i = 0; i < 5; i++) {
      const answers = await Promise.all([0, 1].map((j) => fetch(endpoint.endpointUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lumina-principal': principal }, body: bodies[2 * i + j] })));
      for (const answer of answers) if (answer.status !== 200) throw new Error(`warm-up request answered ${answer.status}: ${await answer.text()}`);
    }
    console.log(`model version ${version.version} in production (100 rounds, depth 6, ${version.metrics.auc === undefined ? '' : `auc ${version.metrics.auc.toFixed(3)}, `}12 columns); endpoint ${endpoint.endpointUrl}`);
    console.log(`autocannon: ${connections} connections, ${duration} s, single-record POSTs, client timeout ${TIMEOUT_SECONDS} s ...`);

    const started = Date.now();
    const { result, latencies, statuses } = await runLoad(endpoint.endpointUrl, principal, bodies, connections, duration);
    const e2e = summary(latencies);
    // Read back from the prediction log after the run; a failure to read it must not hide the load figures.
    const handler = await handlerLatencies(endpoint, started).then(
      (values) => summary(values),
      (error: unknown) => {
        console.log(`handler's own time: not available (reading the prediction log back failed: ${(error as Error).name}: ${(error as Error).message})`);
        return undefined;
      },
    );
    const requestsPerSecond = round(result['2xx'] / result.duration, 1);

    // Requests still queued when the run ends are dropped by autocannon: neither answers nor errors.
    const inFlightAtEnd = result.requests.sent - latencies.length - result.errors;
    console.log(`answers: ${latencies.length} (${[...statuses].map(([code, n]) => `${n} x ${code}`).join(', ') || 'none'}) in ${round(result.duration)} s; sent ${result.requests.sent}, still in flight at the end ${inFlightAtEnd}`);
    console.log(`errors ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx}`);
    console.log(`latency, end to end: p50 ${e2e.p50} ms, p95 ${e2e.p95} ms, p99 ${e2e.p99} ms, max ${e2e.max} ms`);
    if (handler) console.log(`handler's own time (from the prediction log, before the log write): p50 ${handler.p50} ms, p95 ${handler.p95} ms, p99 ${handler.p99} ms`);
    console.log(`throughput: ${requestsPerSecond} requests/s answered 2xx (autocannon mean ${round(result.requests.average, 1)}/s)`);
    console.log(
      JSON.stringify({
        benchmark: 'endpoint-load',
        connections,
        durationSeconds: round(result.duration),
        clientTimeoutSeconds: TIMEOUT_SECONDS,
        answered: latencies.length,
        sent: result.requests.sent,
        inFlightAtEnd,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        latencyMs: e2e,
        handlerLatencyMs: handler ?? null,
        requestsPerSecond,
        target: { errors: 0 },
      }),
    );
  } finally {
    await endpoint.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
