/**
 * The project's online endpoint in the local cloud, booted once (bench/endpoint-setup.ts):
 * version 1 trained from a drop of synthetic patients and promoted through the registry API,
 * version 2 trained from a second drop (a different sample, so a different model; registered
 * whatever the staging gate decided). Everything is called through the project's AWS_IAM
 * function URL (`EndpointUrl`), as the data scientist:
 * - one record and `{records: [...]}`: probability, label, confidence, risk factors, model
 *   version, variant, latency, and the prediction log line;
 * - bad requests answer 400 naming every bad field, never 5xx; no identity answers 403;
 * - A/B: the split written with `setAbTest` (what `lumina ab` calls) holds within 4.5 sigma
 *   over 10,000 distinct entity ids, is sticky per entity id, and a new split applies to the
 *   next requests once the endpoint's 1 s A/B cache has passed;
 * - promotion and rollback through the registry API change the served version once the
 *   endpoint's 5 s production re-check has passed.
 * Waits for the endpoint's caches poll with a deadline; nothing sleeps a fixed time.
 *
 * The 10,000 A/B predictions travel as 100 requests of 100 records (the endpoint's per-request
 * limit): every record is assigned on its own entity id, and 10,000 single-record requests
 * would take minutes through the local Lambda runtime's two sandboxes. Stickiness is checked
 * again with single-record requests.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { assignVariant, type EffectiveAbTest, readAbConfig, setAbTest } from '../../../lambdas/core/serving/ab-testing';
import { predictionLogPrefix } from '../../../lambdas/core/serving/prediction-log';
import { labelConfidence } from '../../../lambdas/core/serving/scoring';
import { MAX_FUNCTION_URL_BODY_BYTES } from '../../../local/runtime/function-urls';
import {
  callOk,
  callUrl,
  type EndpointCloud,
  ENTITY_ID_COLUMN,
  type PatientRecord,
  patientRecords,
  promoteToProduction,
  startEndpointCloud,
  trainFromDrop,
  type UrlResponse,
} from '../../../bench/endpoint-setup';

interface Prediction {
  readonly requestId: string;
  readonly entityId?: string;
  readonly probability: number;
  readonly label: 0 | 1;
  readonly confidence: number;
  readonly riskFactors: readonly { readonly column: string; readonly value: unknown; readonly contribution: number; readonly direction: string }[];
  readonly baseLogOdds: number;
  readonly modelVersion: number;
  readonly variant: 'champion' | 'challenger';
  readonly latencyMs: number;
}

interface FieldError {
  readonly path: string;
  readonly message: string;
}

const MODEL_COLUMNS = ['age', 'sex', 'bmi', 'hba1c', 'egfr', 'hypertension', 'ckd', 'depression', 'prior_gaps', 'prior_pdc', 'brand', 'copay'];
/** The endpoint's MAX_BODY_BYTES (the template's value). */
const MAX_BODY_BYTES = 262_144;
const RECORDS_PER_REQUEST = 100;
/** How far the challenger's share may stray from the split, in standard deviations of a binomial share. */
const SIGMAS = 4.5;

const predictionsOf = (response: UrlResponse): Prediction[] => {
  if (response.status !== 200) throw new Error(`the endpoint answered ${response.status}: ${response.text.slice(0, 500)}`);
  return (response.json as { predictions: Prediction[] }).predictions;
};
const errorsOf = (response: UrlResponse): FieldError[] => (response.json as { errors: FieldError[] }).errors;

/** Runs `task` over `items` with at most `limit` in flight, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]);
      }
    }),
  );
  return results;
}

/**
 * Polls until `check` holds for every answer of three consecutive pairs of concurrent requests,
 * or fails at the deadline. A pair in flight at once is served by both of the function's local
 * sandboxes, each with its own caches, so a success means no sandbox still answers from before
 * the change. Returns the milliseconds it took.
 */
async function untilEverySandbox(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  let consecutive = 0;
  while (Date.now() - started < deadlineMs) {
    const pair = await Promise.all([check(), check()]);
    consecutive = pair.every(Boolean) ? consecutive + 1 : 0;
    if (consecutive === 3) return Date.now() - started;
    if (consecutive === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not seen on every sandbox within ${deadlineMs} ms`);
}

describe('local cloud: the online endpoint', () => {
  let endpoint: EndpointCloud;
  let challengerVersion: number;
  /** Feature values for the traffic: records of patients the models never saw. */
  let pool: PatientRecord[];

  const predict = (body: unknown): Promise<UrlResponse> => callUrl(endpoint.endpointUrl, endpoint.principals.dataScientist, body);
  const recordFor = (entityId: string, i: number): PatientRecord => ({ ...pool[i % pool.length], [ENTITY_ID_COLUMN]: entityId });
  /** Sends records for these entity ids in requests of 100 and returns each one's prediction. */
  const predictEntities = async (ids: readonly string[], featureOffset = 0): Promise<Map<string, Prediction>> => {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += RECORDS_PER_REQUEST) chunks.push(ids.slice(i, i + RECORDS_PER_REQUEST));
    const answers = await mapLimit(chunks, 4, async (chunk) => predictionsOf(await predict({ records: chunk.map((id, j) => recordFor(id, featureOffset + j)) })));
    const byEntity = new Map<string, Prediction>();
    for (const p of answers.flat()) byEntity.set(p.entityId!, p);
    return byEntity;
  };
  const setSplit = (split: number) => setAbTest(endpoint.store, endpoint.project, { challenger: challengerVersion, split, actor: 'test:endpoint', now: () => new Date() });

  beforeAll(async () => {
    const started = await startEndpointCloud({ patients: 1500, seed: 1, hyperparameters: { num_round: 30, max_depth: 3, eta: 0.3, seed: 7 } });
    endpoint = started.endpoint;
    await promoteToProduction(endpoint, started.version.version, 'first model of the endpoint test');
    // A second sample of the population: another model, registered as version 2 (staged or rejected).
    challengerVersion = (await trainFromDrop(endpoint, 'patients-2.csv', { patients: 1500, seed: 2 })).version;
    pool = patientRecords({ patients: 300, seed: 5, firstPatient: 5_000_000 });
  }, 300_000);

  afterAll(async () => {
    await endpoint?.stop();
  });

  it('scores one record and a batch with probability, label, confidence, risk factors, version, variant and latency, and logs them', async () => {
    // GET is the endpoint's status: the production version and its decision threshold.
    const status = await fetch(endpoint.endpointUrl, { headers: { 'x-lumina-principal': endpoint.principals.dataScientist } });
    expect(status.status).toBe(200);
    const production = ((await status.json()) as { production: { version: number; threshold: number } }).production;
    expect(production.version).toBe(1);
    const threshold = production.threshold;
    const [record, second, third] = pool;

    const single = await predict(record);

    const [p] = predictionsOf(single);
    expect(p).toMatchObject({ entityId: record[ENTITY_ID_COLUMN], modelVersion: 1, variant: 'champion' });
    expect(p.probability).toBeGreaterThan(0);
    expect(p.probability).toBeLessThan(1);
    expect(p.label).toBe(p.probability >= threshold ? 1 : 0);
    expect(p.confidence).toBeCloseTo(labelConfidence(p.probability, threshold), 6);
    expect(p.latencyMs).toBeGreaterThanOrEqual(0);
    expect(p.riskFactors).toHaveLength(5);
    const magnitudes = p.riskFactors.map((f) => Math.abs(f.contribution));
    expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
    for (const factor of p.riskFactors) {
      expect(MODEL_COLUMNS).toContain(factor.column);
      expect(factor.value).toEqual(record[factor.column]);
      expect(factor.direction).toBe(factor.contribution >= 0 ? 'increases' : 'decreases');
    }

    const batch = predictionsOf(await predict({ records: [record, second, third] }));

    expect(batch.map((b) => b.entityId)).toEqual([record, second, third].map((r) => r[ENTITY_ID_COLUMN]));
    expect(batch[0].probability).toBeCloseTo(p.probability, 12);
    expect(batch[0].riskFactors).toEqual(p.riskFactors);
    const batchRequestId = batch[0].requestId.replace(/-0$/, '');
    expect(batch.map((b) => b.requestId)).toEqual([0, 1, 2].map((i) => `${batchRequestId}-${i}`));
    for (const b of batch) expect(b).toMatchObject({ modelVersion: 1, variant: 'champion', label: b.probability >= threshold ? 1 : 0 });

    // The one-record request's prediction log line, where the monitor and the ground-truth join read it.
    const { cloud } = endpoint;
    const listed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: predictionLogPrefix(endpoint.project) }));
    const key = (listed.Contents ?? []).map((o) => o.Key!).find((k) => k.includes(p.requestId));
    expect(key).toBeDefined();
    const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
    const line = JSON.parse((await object.Body!.transformToString()).trim());
    expect(line).toMatchObject({ requestId: p.requestId, entityId: p.entityId, modelVersion: 1, variant: 'champion', probability: p.probability, label: p.label, source: 'endpoint' });
    expect(line.inputs.age).toBe(record.age);
  });

  it('answers 400 naming every bad field for bad requests, 403 without an identity, and never 5xx', async () => {
    const [record] = pool;
    const { bmi: _bmi, ...withoutBmi } = record;
    const statuses: number[] = [];
    const send = async (body: unknown, raw = false): Promise<UrlResponse> => {
      const response = await callUrl(endpoint.endpointUrl, endpoint.principals.dataScientist, body, { raw });
      statuses.push(response.status);
      return response;
    };

    const fields = await send({ ...withoutBmi, age: 'sixty', smoker: true });
    expect(fields.status).toBe(400);
    expect(errorsOf(fields)).toEqual([
      { path: 'age', message: expect.stringMatching(/expected a number .*got the string "sixty"/) },
      { path: 'bmi', message: expect.stringMatching(/^is missing/) },
      { path: 'smoker', message: expect.stringMatching(/^is not a model input/) },
    ]);

    const records = await send({ records: [withoutBmi, record, { ...record, hypertension: 'yes', brand: 'Aspirin' }] });
    expect(records.status).toBe(400);
    expect(errorsOf(records).map((e) => e.path)).toEqual(['records[0].bmi', 'records[2].hypertension', 'records[2].brand']);
    expect(errorsOf(records)[2].message).toMatch(/unknown category "Aspirin"/);

    const empty = await send('', true);
    expect(empty.status).toBe(400);
    expect(errorsOf(empty)).toEqual([{ path: '(body)', message: expect.stringContaining('empty') }]);
    const emptyObject = await send({});
    expect(emptyObject.status).toBe(400);
    expect(errorsOf(emptyObject)).toEqual([{ path: '(body)', message: expect.stringContaining('empty') }]);

    const notJson = await send('{"age": 61,', true);
    expect(notJson.status).toBe(400);
    expect(errorsOf(notJson)).toEqual([{ path: '(body)', message: expect.stringContaining('not valid JSON') }]);
    const array = await send([record]);
    expect(array.status).toBe(400);
    expect(errorsOf(array)).toEqual([{ path: '(body)', message: expect.stringContaining('must be a JSON object') }]);

    // Over the endpoint's limit (the function answers), then over the function URL's 6 MB payload limit (the URL answers).
    const huge = await send({ ...record, note: 'x'.repeat(MAX_BODY_BYTES) });
    expect(huge.status).toBe(400);
    expect(errorsOf(huge)).toEqual([{ path: '(body)', message: expect.stringContaining(`the limit is ${MAX_BODY_BYTES} bytes`) }]);
    const tooLarge = await send(JSON.stringify({ ...record, note: 'x'.repeat(MAX_FUNCTION_URL_BODY_BYTES) }), true);
    expect(tooLarge.status).toBe(413);

    const tooMany = await send({ records: Array.from({ length: RECORDS_PER_REQUEST + 1 }, () => record) });
    expect(tooMany.status).toBe(400);
    expect(errorsOf(tooMany)).toEqual([{ path: 'records', message: expect.stringContaining(`the limit is ${RECORDS_PER_REQUEST}`) }]);

    const anonymous = await callUrl(endpoint.endpointUrl, undefined, record);
    expect(anonymous.status).toBe(403);

    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it('splits traffic between champion and challenger as configured, sticky per entity id, and applies a new split to the next requests', async () => {
    const split = 0.2;
    const config = await setSplit(split);
    expect(config).toMatchObject({ champion: 1, challenger: challengerVersion, split });
    expect(await readAbConfig(endpoint.store, endpoint.project)).toMatchObject({ champion: 1, challenger: challengerVersion, split });
    const test = (s: number): EffectiveAbTest => ({ champion: 1, challenger: challengerVersion, split: s });
    const ids = Array.from({ length: 10_000 }, (_, i) => `AB${String(i).padStart(6, '0')}`);
    // A probe the new test must send to the challenger; the endpoint reads the A/B item through a 1 s cache.
    const probe = ids.find((id) => assignVariant(id, test(split)) === 'challenger')!;
    await untilEverySandbox('the A/B test', 10_000, async () => predictionsOf(await predict(recordFor(probe, 0)))[0].variant === 'challenger');

    const served = await predictEntities(ids);

    expect(served.size).toBe(ids.length);
    const challengers = ids.filter((id) => served.get(id)!.variant === 'challenger');
    const share = challengers.length / ids.length;
    expect(Math.abs(share - split)).toBeLessThanOrEqual(SIGMAS * Math.sqrt((split * (1 - split)) / ids.length));
    for (const id of ids) {
      const p = served.get(id)!;
      expect(p.modelVersion).toBe(p.variant === 'challenger' ? challengerVersion : 1);
    }
    // Each record is assigned on its entity id by the documented rule (not on the request id it came in).
    expect(ids.filter((id) => served.get(id)!.variant !== assignVariant(id, test(split)))).toEqual([]);
    // Sticky: the same entities, alone in a request and with other feature values, keep their variant.
    const again = ids.filter((_, i) => i % 20 === 0);
    const resent = await mapLimit(again, 8, async (id) => predictionsOf(await predict(recordFor(id, 7)))[0]);
    expect(resent.map((p) => p.variant)).toEqual(again.map((id) => served.get(id)!.variant));
    expect(resent.some((p) => p.variant === 'challenger')).toBe(true);

    // A new split: entities that move from the champion to the challenger show when it applies.
    const wider = 0.5;
    const movers = ids.filter((id) => assignVariant(id, test(split)) === 'champion' && assignVariant(id, test(wider)) === 'challenger').slice(0, RECORDS_PER_REQUEST);
    expect(movers).toHaveLength(RECORDS_PER_REQUEST);
    await setSplit(wider);
    await untilEverySandbox('the new split', 10_000, async () => predictionsOf(await predict({ records: movers.map((id, i) => recordFor(id, i)) })).every((p) => p.variant === 'challenger'));

    const fresh = Array.from({ length: 2_000 }, (_, i) => `AC${String(i).padStart(6, '0')}`);
    const old = ids.slice(0, 1_000);
    const after = await predictEntities([...fresh, ...old]);
    const freshShare = fresh.filter((id) => after.get(id)!.variant === 'challenger').length / fresh.length;
    expect(Math.abs(freshShare - wider)).toBeLessThanOrEqual(SIGMAS * Math.sqrt((wider * (1 - wider)) / fresh.length));
    // Raising the split only moves entities to the challenger, never back.
    for (const id of old) if (served.get(id)!.variant === 'challenger') expect(after.get(id)!.variant).toBe('challenger');
    expect(old.filter((id) => after.get(id)!.variant === 'challenger').length).toBeGreaterThan(old.filter((id) => served.get(id)!.variant === 'challenger').length);
  });

  it('serves the promoted version, and the previous one after a rollback, without a redeploy', async () => {
    const config = await readAbConfig(endpoint.store, endpoint.project);
    // An entity the running test keeps on the champion, so the variant does not decide the version.
    const championEntity = Array.from({ length: 1000 }, (_, i) => `PR${i}`).find((id) => assignVariant(id, { champion: 1, challenger: challengerVersion, split: config?.split ?? 0 }) === 'champion')!;
    const servedVersion = async (entity: string): Promise<Prediction> => predictionsOf(await predict(recordFor(entity, 3)))[0];
    expect((await servedVersion(championEntity)).modelVersion).toBe(1);

    await promoteToProduction(endpoint, challengerVersion, 'the challenger is the better model');

    // The endpoint re-checks the production pointer every 5 s.
    await untilEverySandbox(`version ${challengerVersion} in production`, 30_000, async () => (await servedVersion(championEntity)).modelVersion === challengerVersion);
    const promoted = await servedVersion(championEntity);
    expect(promoted).toMatchObject({ modelVersion: challengerVersion, variant: 'champion' });
    // The A/B test was set against version 1: now stale, so its challenger entities get production too.
    const challengerEntity = Array.from({ length: 1000 }, (_, i) => `PR${i}`).find((id) => assignVariant(id, { champion: 1, challenger: challengerVersion, split: config?.split ?? 0 }) === 'challenger')!;
    expect(await servedVersion(challengerEntity)).toMatchObject({ modelVersion: challengerVersion, variant: 'champion' });

    const rolledBack = (await callOk(`${endpoint.registryApiUrl}/models/${endpoint.project}/rollback`, endpoint.principals.modelApprover, { reason: 'endpoint test: back to version 1' })) as { change: { version: number; rollback: boolean } };
    expect(rolledBack.change).toMatchObject({ version: 1, rollback: true });

    await untilEverySandbox('version 1 back in production', 30_000, async () => (await servedVersion(championEntity)).modelVersion === 1);
    expect(await servedVersion(championEntity)).toMatchObject({ modelVersion: 1, variant: 'champion' });
  });
});
