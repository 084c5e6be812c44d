/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * The endpoint end to end over in-memory dependencies (registry, artifacts, log) and a real
 * onnxruntime session: answers, the prediction log, A/B serving, model swaps without a
 * redeploy, status codes, and a property test that random bodies never crash it or get 5xx.
 */
import fc from 'fast-check';
import { PredictionLogRecord } from '../../../lambdas/core/performance/ground-truth';
import { FeatureLookupRefusedError } from '../../../lambdas/core/serving/endpoint';
import { assignVariant } from '../../../lambdas/core/serving/ab-testing';
import { predictRow } from '../../../lambdas/core/ml/predict';
import { encodeRows } from '../../../lambdas/core/ml/tabular';
import { sampleRecord, servingTestModel, servingWorld, urlEvent, type ServingWorld } from './serving-fixtures';

const json = (response: { body: string }) => JSON.parse(response.body);

async function worldWithProduction(): Promise<ServingWorld> {
  const world = servingWorld();
  await world.addVersion(3, servingTestModel(7));
  await world.addVersion(4, servingTestModel(11));
  await world.setProduction(3);
  return world;
}

describe('prediction endpoint', () => {
  it('scores one record: probability, label, confidence, top-5 risk factors, version, variant, latency; and logs it', async () => {
    const world = await worldWithProduction();
    const endpoint = world.endpoint();
    const record = { ...sampleRecord(5), patient_id: 'p-5' };

    const response = await endpoint.handleEvent(urlEvent(JSON.stringify(record), { requestId: 'abc-1' }));

    expect(response.statusCode).toBe(200);
    const body = json(response);
    const [prediction] = body.predictions;
    const expected = predictRow(world.models.get(3)!, encodeRows(world.models.get(3)!.encodings!, [sampleRecord(5)]).values);
    expect(Math.abs(prediction.probability - expected)).toBeLessThanOrEqual(1e-6);
    expect(prediction).toMatchObject({ requestId: 'abc-1', entityId: 'p-5', label: expected >= 0.5 ? 1 : 0, modelVersion: 3, variant: 'champion' });
    expect(prediction.confidence).toBeCloseTo(Math.abs(2 * prediction.probability - 1), 6);
    expect(prediction.riskFactors).toHaveLength(5);
    expect(prediction.latencyMs).toBeGreaterThan(0);
    const [[key, lines]] = [...world.logs];
    expect(key).toBe('projects/adherence/predictions/endpoint/dt=2026-03-01/hour=10/1772359200000-abc-1-req-1.jsonl');
    const line = JSON.parse(lines.trimEnd());
    expect(PredictionLogRecord.parse(line)).toEqual({ requestId: 'abc-1', entityId: 'p-5', modelVersion: 3, variant: 'champion', probability: prediction.probability, at: '2026-03-01T10:00:00.000Z' });
    expect(line).toMatchObject({ httpRequestId: 'abc-1', project: 'adherence', inputs: sampleRecord(5), label: prediction.label, threshold: 0.5, inputSource: 'request' });
  });

  it('scores many records in one request, with per-record ids, and one log line each', async () => {
    const world = await worldWithProduction();
    const records = Array.from({ length: 20 }, (_, i) => sampleRecord(i));

    const response = await world.endpoint().handleEvent(urlEvent(JSON.stringify({ records }), { requestId: 'batch-1' }));

    const body = json(response);
    expect(body.predictions.map((p: { requestId: string }) => p.requestId)).toEqual(records.map((_, i) => `batch-1-${i}`));
    const model = world.models.get(3)!;
    const expected = Array.from(encodeRows(model.encodings!, records).values);
    body.predictions.forEach((p: { probability: number }, r: number) => expect(Math.abs(p.probability - predictRow(model, expected.slice(r * 6, (r + 1) * 6)))).toBeLessThanOrEqual(1e-6));
    expect([...world.logs.values()][0].trimEnd().split('\n')).toHaveLength(20);
  });

  it('scores an entity from the online feature store, and answers 404 for an entity it does not know', async () => {
    const world = await worldWithProduction();
    const endpoint = world.endpoint({}, { featureLookup: async (id) => (id === 'p-1' ? { ...sampleRecord(1), patient_id: 'p-1' } : undefined) });

    const known = await endpoint.handleEvent(urlEvent('{"entityId":"p-1"}'));
    const unknown = await endpoint.handleEvent(urlEvent('{"entityId":"p-2"}'));

    expect(known.statusCode).toBe(200);
    expect(json(known).predictions[0]).toMatchObject({ entityId: 'p-1', modelVersion: 3 });
    expect(JSON.parse([...world.logs.values()][0])).toMatchObject({ inputSource: 'feature-store', inputs: sampleRecord(1) });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).errors).toEqual([{ path: 'entityId', message: 'the online feature store has no features for entity "p-2"' }]);
  });

  it('asks the store for the production model\'s feature groups, takes only the model\'s columns from it, and answers 400 when the lookup is refused', async () => {
    const world = await worldWithProduction();
    const asked: unknown[] = [];
    const endpoint = world.endpoint({}, {
      featureLookup: async (id, groups) => {
        asked.push(groups);
        if (id === 'refused') throw new FeatureLookupRefusedError('the production model was trained without feature groups');
        return { ...sampleRecord(1), ward: 'cardio', heart_rate_7d: 88 };
      },
    });

    const extra = await endpoint.handleEvent(urlEvent('{"entityId":"p-1"}'));
    const refused = await endpoint.handleEvent(urlEvent('{"entityId":"refused"}'));

    expect(extra.statusCode).toBe(200);
    expect(asked[0]).toEqual([]);
    expect(refused.statusCode).toBe(400);
    expect(json(refused).errors).toEqual([{ path: 'entityId', message: 'the production model was trained without feature groups' }]);
  });

  it('answers 400 with every bad field of every record at once', async () => {
    const world = await worldWithProduction();
    const records = [{ ...sampleRecord(0), age: 'x' }, sampleRecord(1), { ...sampleRecord(2), colour: 'teal', extra: true }];

    const response = await world.endpoint().handleEvent(urlEvent(JSON.stringify({ records })));

    expect(response.statusCode).toBe(400);
    expect(json(response).errors.map((e: { path: string }) => e.path)).toEqual(['records[0].age', 'records[2].colour', 'records[2].extra']);
    expect(world.logs.size).toBe(0);
  });

  it.each([
    ['an empty body', undefined, '(body)'],
    ['non-JSON', 'age=3', '(body)'],
    ['a huge body', JSON.stringify({ records: Array.from({ length: 5000 }, (_, i) => sampleRecord(i)) }), '(body)'],
    ['a missing field', JSON.stringify({ colour: 'red', smoker: true, bmi: 1, income: 1, visits: 1 }), 'age'],
    ['a wrong type', JSON.stringify({ ...sampleRecord(1), smoker: 'maybe' }), 'smoker'],
    ['an extra field', JSON.stringify({ ...sampleRecord(1), height: 180 }), 'height'],
  ])('answers 400 for %s', async (_name, body, path) => {
    const world = await worldWithProduction();

    const response = await world.endpoint().handleEvent(urlEvent(body));

    expect(response.statusCode).toBe(400);
    expect(json(response).errors[0].path).toBe(path);
  });

  it('answers 405 for other methods, 400 for a bad x-request-id or a non-HTTP event, and GET gives the status', async () => {
    const world = await worldWithProduction();
    const endpoint = world.endpoint();

    const put = await endpoint.handleEvent(urlEvent('{}', { method: 'PUT' }));
    const badId = await endpoint.handleEvent(urlEvent(JSON.stringify(sampleRecord(1)), { headers: { 'x-request-id': 'bad id/../' } }));
    const notHttp = await endpoint.handleEvent({ Records: [] });
    const status = await endpoint.handleEvent(urlEvent(undefined, { method: 'GET' }));

    expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, POST']);
    expect(json(badId).errors[0].path).toBe('headers.x-request-id');
    expect(notHttp.statusCode).toBe(400);
    expect(json(status)).toMatchObject({ project: 'adherence', production: { version: 3, threshold: 0.5 }, abTest: { champion: 3, split: 0 } });
  });

  it('answers 503 with no production model, and 500 (not a served prediction) when the log cannot be written', async () => {
    const empty = servingWorld();
    const world = await worldWithProduction();

    const unavailable = await empty.endpoint().handleEvent(urlEvent(JSON.stringify(sampleRecord(1))));
    const unlogged = await world.endpoint({}, { failLog: true }).handleEvent(urlEvent(JSON.stringify(sampleRecord(1)), { requestId: 'r-9' }));

    expect(unavailable.statusCode).toBe(503);
    expect(json(unavailable).errors[0].message).toBe('the project has no production model yet (promote a version to production)');
    expect(unlogged.statusCode).toBe(500);
    expect(json(unlogged)).toEqual({ requestId: 'r-9', errors: [{ path: '(server)', message: 'internal error (request id r-9); the request was not scored' }] });
  });

  it('serves a promoted version from the first request after the check interval, without a new endpoint', async () => {
    const world = await worldWithProduction();
    const endpoint = world.endpoint();
    const ask = async () => json(await endpoint.handleEvent(urlEvent(JSON.stringify(sampleRecord(1))))).predictions[0].modelVersion;
    await ask();

    await world.setProduction(4);
    world.now += 4_000;
    const before = await ask();
    world.now += 1_000;
    const after = await ask();

    expect([before, after]).toEqual([3, 4]);
  });

  it('splits entities between champion and challenger as configured, sticky per entity, and applies a new split immediately', async () => {
    const world = await worldWithProduction();
    await world.setAbConfig({ champion: 3, challenger: 4, split: 0.3 });
    const endpoint = world.endpoint({ maxRecords: 300 });
    const ids = Array.from({ length: 300 }, (_, i) => `p-${i}`);
    let request = 0;
    const serve = async () => {
      const records = ids.map((id, i) => ({ ...sampleRecord(i), patient_id: id }));
      const body = json(await endpoint.handleEvent(urlEvent(JSON.stringify({ records }), { requestId: `ab-${++request}` })));
      return body.predictions.map((p: { variant: string; modelVersion: number }) => `${p.variant}:${p.modelVersion}`);
    };
    const expected = ids.map((id) => (assignVariant(id, { champion: 3, challenger: 4, split: 0.3 }) === 'challenger' ? 'challenger:4' : 'champion:3'));

    const first = await serve();
    const second = await serve();
    await world.setAbConfig({ champion: 3, challenger: 4, split: 0 });
    const afterStop = await serve();

    expect(first).toEqual(expected);
    expect(second).toEqual(first);
    expect(first.filter((v: string) => v === 'challenger:4').length).toBeGreaterThan(60);
    expect(afterStop.every((v: string) => v === 'champion:3')).toBe(true);
    expect(world.logs.size).toBe(3);
    const logged = [...world.logs.values()][0].trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(logged.map((l) => `${l.variant}:${l.modelVersion}`)).toEqual(first);
    expect(endpoint.counters.snapshot().challenger?.predictions).toBe(first.filter((v: string) => v === 'challenger:4').length * 2);
  });

  it('never throws and never answers 5xx, whatever the body (fast-check)', async () => {
    const world = await worldWithProduction();
    const endpoint = world.endpoint({ maxBodyBytes: 16_384, maxRecords: 20 }, { featureLookup: async (id) => (id.length % 2 === 0 ? sampleRecord(id.length) : undefined) });
    const fieldValue = fc.oneof(
      fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.constantFrom('red', 'NaN', 'Infinity', ' blue ', ''),
      fc.constantFrom(1e308, -1e308, 3.5e38, Number.MAX_SAFE_INTEGER), fc.json(), fc.array(fc.integer(), { maxLength: 3 }),
    );
    const recordish = fc.oneof(
      fc.record({ age: fieldValue, colour: fieldValue, smoker: fieldValue, bmi: fieldValue, income: fieldValue, visits: fieldValue }, { requiredKeys: [] }),
      fc.dictionary(fc.string(), fieldValue, { maxKeys: 8 }),
      fc.constant(sampleRecord(3)),
    );
    const bodyText = fc.oneof(
      fc.json({ depthSize: 'medium' }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      recordish.map((r) => JSON.stringify(r)),
      fc.array(recordish, { maxLength: 25 }).map((records) => JSON.stringify({ records })),
      fc.string({ maxLength: 40 }).map((entityId) => JSON.stringify({ entityId })),
      fc.integer({ min: 1, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
      fc.integer({ min: 1, max: 400 }).map((n) => JSON.stringify({ records: Array.from({ length: n }, (_, i) => sampleRecord(i)) })),
      fc.constant('{"age": 1e999, "colour": "red", "smoker": true, "bmi": null, "income": -1e999, "visits": 0}'),
    );

    await fc.assert(
      fc.asyncProperty(bodyText, fc.boolean(), fc.constantFrom('POST', 'POST', 'GET', 'DELETE'), async (body, base64, method) => {
        const response = await endpoint.handleEvent(urlEvent(base64 ? Buffer.from(body).toString('base64') : body, { base64, method }));
        expect(response.statusCode).toBeLessThan(500);
        const parsed = JSON.parse(response.body);
        if (response.statusCode >= 400) {
          expect(parsed.errors.length).toBeGreaterThan(0);
          for (const error of parsed.errors) expect(typeof error.path === 'string' && typeof error.message === 'string').toBe(true);
        }
      }),
      { numRuns: 400, seed: 20260301 },
    );
  });
});
