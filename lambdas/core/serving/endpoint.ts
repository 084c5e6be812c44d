/**
 * The online prediction endpoint as a pure function of an HTTP event: a Lambda function URL
 * (payload v2) or API Gateway proxy event (v1 or v2) in, an HTTP response out. The Lambda
 * handler (lambdas/predict) only builds the dependencies and calls `handleEvent`.
 *
 * POST: parse the body → assign each record to the champion or the challenger → validate it
 * against that model's input contract → one ONNX run per variant → explanations → write the
 * prediction log → answer. GET: the endpoint's status (versions, A/B test, counters).
 *
 * Status codes: 200 scored; 400 the request is wrong (every bad field, with path and reason);
 * 404 no online features for the entity; 405 another method; 500 a server fault (the log
 * could not be written, the feature store holds values the model refuses, a bug); 503 no
 * model can be served yet. Bad input never yields a 5xx: anything unexpected is caught and
 * answered as a 500 only after every input check has passed.
 */
import { type AbConfig, assignVariant, effectiveAbTest, type EffectiveAbTest, type Variant, VariantCounters } from './ab-testing';
import type { FieldError, UnknownCategoryPolicy, ValidatedRecord } from './input-contract';
import { validateRecords } from './input-contract';
import { type Clock, type ModelCache, ModelUnavailableError, type ServingErrorReporter } from './model-source';
import { type PredictionLogLine, type PredictionLogSink, predictionLogKey, toJsonLines } from './prediction-log';
import { parsePredictBody } from './request-body';
import { type RiskFactor, scoreBatch, type ServingModel } from './scoring';

export interface HttpRequest {
  readonly method: string;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The platform's request id (requestContext.requestId). */
  readonly requestId?: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The online feature store's values for an entity from the given feature groups (the
 * production model's, from its lineage; empty when it was trained without any); undefined
 * when the store has none of the entity's features.
 */
export type OnlineFeatureLookup = (entityId: string, groups: readonly { readonly name: string; readonly version: number }[]) => Promise<Readonly<Record<string, unknown>> | undefined>;

export interface PredictionEndpointConfig {
  readonly project: string;
  /** @default 262144 (256 KiB) */
  readonly maxBodyBytes?: number;
  /** @default 100 */
  readonly maxRecords?: number;
  /** Risk factors per prediction. @default 5 */
  readonly topRiskFactors?: number;
  /** @default 'reject' */
  readonly unknownCategory?: UnknownCategoryPolicy;
  /** A record field naming the entity (sticky A/B key, logged); not a model input. @default - none */
  readonly entityIdColumn?: string;
  /** Errors listed in one 400 answer; the rest are counted. @default 200 */
  readonly maxErrors?: number;
}

/** What the adapter may publish per served request (metrics per variant). */
export interface ServedRequestSummary {
  readonly requestId: string;
  readonly latencyMs: number;
  readonly byVariant: readonly { readonly variant: Variant; readonly modelVersion: number; readonly predictions: number; readonly positives: number }[];
}

export interface PredictionEndpointDependencies {
  readonly models: ModelCache;
  /** The A/B configuration, read through a short cache (PolledValue). */
  readonly abConfig: () => Promise<AbConfig | undefined>;
  readonly log: PredictionLogSink;
  readonly featureLookup?: OnlineFeatureLookup;
  /** Epoch milliseconds: timestamps and cache intervals. */
  readonly clock: Clock;
  /** A monotonic millisecond counter for latencies. @default performance.now */
  readonly elapsedMs?: () => number;
  /** Unique ids: request ids when the event has none, and each log object's write id. */
  readonly newRequestId: () => string;
  readonly onError?: ServingErrorReporter;
  readonly onServed?: (summary: ServedRequestSummary) => void;
}

export interface PredictionResponseItem {
  readonly requestId: string;
  readonly entityId?: string;
  readonly probability: number;
  readonly label: 0 | 1;
  readonly confidence: number;
  readonly riskFactors: readonly RiskFactor[];
  readonly baseLogOdds: number;
  readonly modelVersion: number;
  readonly variant: Variant;
  readonly latencyMs: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Function URL / API Gateway v2 (`version: '2.0'`) or API Gateway REST proxy (`httpMethod`) → HttpRequest. */
export function httpRequestFromEvent(event: unknown): HttpRequest | undefined {
  if (!isObject(event)) return undefined;
  const context = isObject(event.requestContext) ? event.requestContext : undefined;
  let method: string | undefined;
  if (context && isObject(context.http) && typeof context.http.method === 'string') method = context.http.method;
  else if (typeof event.httpMethod === 'string') method = event.httpMethod;
  if (method === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (isObject(event.headers)) {
    for (const [name, value] of Object.entries(event.headers)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return {
    method: method.toUpperCase(),
    ...(typeof event.body === 'string' ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
    headers,
    ...(context && typeof context.requestId === 'string' && context.requestId !== '' ? { requestId: context.requestId } : {}),
  };
}

export interface PredictionEndpoint {
  handleEvent(event: unknown): Promise<HttpResponse>;
  handle(request: HttpRequest): Promise<HttpResponse>;
  /** Loads the production model (at init, so the first request does not pay for it). */
  warm(): Promise<void>;
  readonly counters: VariantCounters;
}

/** A feature lookup the request cannot have (the model has no feature groups, an invalid entity id): answered 400 with the message. */
export class FeatureLookupRefusedError extends Error {
  override readonly name = 'FeatureLookupRefusedError';
}

class ClientError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 405,
    readonly errors: readonly FieldError[],
  ) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }
}

/** The feature store holds values the model refuses: not the caller's fault. */
function modelColumnsOf(raw: unknown, columns: readonly string[]): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const source = raw as Record<string, unknown>;
  return Object.fromEntries(columns.filter((c) => Object.hasOwn(source, c)).map((c) => [c, source[c]]));
}

class FeatureStoreDataError extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(`online feature store values do not fit the model: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

interface Assigned {
  readonly index: number;
  readonly raw: unknown;
  readonly entityId?: string;
}

export function createPredictionEndpoint(config: PredictionEndpointConfig, deps: PredictionEndpointDependencies): PredictionEndpoint {
  const limits = { maxBodyBytes: config.maxBodyBytes ?? 262_144, maxRecords: config.maxRecords ?? 100 };
  const topK = config.topRiskFactors ?? 5;
  const unknownCategory = config.unknownCategory ?? 'reject';
  const maxErrors = config.maxErrors ?? 200;
  const elapsed = deps.elapsedMs ?? (() => performance.now());
  const onError = deps.onError ?? (() => undefined);
  const counters = new VariantCounters();

  const respond = (statusCode: number, requestId: string, payload: Record<string, unknown>, extra: Record<string, string> = {}): HttpResponse => ({
    statusCode,
    headers: { ...JSON_HEADERS, 'x-request-id': requestId, ...extra },
    body: JSON.stringify({ requestId, ...payload }),
  });

  const errorResponse = (statusCode: number, requestId: string, errors: readonly FieldError[], extra: Record<string, string> = {}): HttpResponse => {
    const shown = errors.length > maxErrors ? [...errors.slice(0, maxErrors), { path: '(body)', message: `… and ${errors.length - maxErrors} more errors not listed` }] : errors;
    return respond(statusCode, requestId, { errors: shown }, extra);
  };

  /** The record's entity id field, read before validation (it picks the variant, and so the contract). */
  const entityIdOf = (raw: unknown): string | undefined => {
    if (config.entityIdColumn === undefined || !isObject(raw) || !Object.hasOwn(raw, config.entityIdColumn)) return undefined;
    const id = raw[config.entityIdColumn];
    return (typeof id === 'string' && id.length > 0 && id.length <= 256) || (typeof id === 'number' && Number.isFinite(id)) ? String(id) : undefined;
  };

  async function readAbTest(production: number): Promise<EffectiveAbTest> {
    try {
      return effectiveAbTest(production, await deps.abConfig());
    } catch (error) {
      onError('reading the A/B configuration failed; serving the champion only', error);
      return { champion: production, split: 0, inactiveReason: 'the A/B configuration could not be read' };
    }
  }

  async function predict(request: HttpRequest, requestId: string, started: number): Promise<HttpResponse> {
    const parsed = parsePredictBody(request.body, request.isBase64Encoded, limits);
    if (!parsed.ok) throw new ClientError(400, parsed.errors);
    const body = parsed.body;

    let records: readonly unknown[];
    let entityIds: readonly (string | undefined)[];
    let inputSource: 'request' | 'feature-store' = 'request';
    if (body.form === 'entity') {
      if (deps.featureLookup === undefined) {
        throw new ClientError(400, [{ path: 'entityId', message: 'this endpoint has no online feature store; send the record\'s features instead' }]);
      }
      const production = await deps.models.production();
      let features: Readonly<Record<string, unknown>> | undefined;
      try {
        features = await deps.featureLookup(body.entityId, production.featureGroups ?? []);
      } catch (error) {
        if (error instanceof FeatureLookupRefusedError) throw new ClientError(400, [{ path: 'entityId', message: error.message }]);
        throw error;
      }
      if (features === undefined) throw new ClientError(404, [{ path: 'entityId', message: `the online feature store has no features for entity ${JSON.stringify(body.entityId)}` }]);
      const record = { ...features };
      if (config.entityIdColumn !== undefined) delete record[config.entityIdColumn];
      records = [record];
      entityIds = [body.entityId];
      inputSource = 'feature-store';
    } else {
      records = body.records;
      entityIds = records.map(entityIdOf);
    }

    const champion = await deps.models.production();
    const test = await readAbTest(champion.version);
    let challenger: ServingModel | undefined;
    const assigned: Record<Variant, Assigned[]> = { champion: [], challenger: [] };
    records.forEach((raw, index) => {
      const entityId = entityIds[index];
      const variant = assignVariant(entityId ?? requestId, test);
      assigned[variant].push({ index, raw, ...(entityId === undefined ? {} : { entityId }) });
    });
    if (assigned.challenger.length > 0 && test.challenger !== undefined) {
      try {
        challenger = await deps.models.version(test.challenger);
      } catch (error) {
        onError(`loading challenger version ${test.challenger} failed; its share goes to the champion`, error);
        assigned.champion = [...assigned.champion, ...assigned.challenger].sort((a, b) => a.index - b.index);
        assigned.challenger = [];
      }
    }
    deps.models.retainOnly(new Set(test.challenger === undefined ? [] : [test.challenger]));

    const pathOf = (index: number): string => (body.form === 'batch' ? `records[${index}]` : '');
    const groups: { variant: Variant; model: ServingModel; items: Assigned[] }[] = [];
    if (assigned.champion.length > 0) groups.push({ variant: 'champion', model: champion, items: assigned.champion });
    if (assigned.challenger.length > 0 && challenger) groups.push({ variant: 'challenger', model: challenger, items: assigned.challenger });

    const errors: FieldError[] = [];
    const validated = groups.map((group) => {
      // A feature group holds more features than a model may use (it was trained on a selection): from the store, take the model's columns only.
      const raws = group.items.map((a) => (inputSource === 'feature-store' ? modelColumnsOf(a.raw, group.model.columns) : a.raw));
      const result = validateRecords(group.model.contract, raws, (i) => pathOf(group.items[i].index), { unknownCategory, entityIdColumn: config.entityIdColumn });
      errors.push(...result.errors);
      return result.batch;
    });
    if (errors.length > 0) {
      if (inputSource === 'feature-store') throw new FeatureStoreDataError(errors);
      // Errors in record order, whichever variant a record went to.
      const order = (path: string): number => Number(/^records\[(\d+)\]/.exec(path)?.[1] ?? 0);
      throw new ClientError(400, errors.map((e, i) => ({ e, i })).sort((a, b) => order(a.e.path) - order(b.e.path) || a.i - b.i).map(({ e }) => e));
    }

    const results = new Array<{ scored: Awaited<ReturnType<typeof scoreBatch>>[number]; model: ServingModel; variant: Variant; record: ValidatedRecord }>(records.length);
    for (let g = 0; g < groups.length; g++) {
      const batch = validated[g]!;
      const scored = await scoreBatch(groups[g].model, batch, topK);
      groups[g].items.forEach((item, i) => {
        results[item.index] = { scored: scored[i], model: groups[g].model, variant: groups[g].variant, record: batch.records[i] };
      });
    }

    const latencyMs = Math.round((elapsed() - started) * 1000) / 1000;
    const now = new Date(deps.clock());
    const at = now.toISOString();
    const predictionId = (index: number): string => (body.form === 'batch' ? `${requestId}-${index}` : requestId);
    const items: PredictionResponseItem[] = [];
    const lines: PredictionLogLine[] = [];
    results.forEach(({ scored, model, variant, record }, index) => {
      const entityId = entityIds[index];
      const id = predictionId(index);
      items.push({
        requestId: id,
        ...(entityId === undefined ? {} : { entityId }),
        probability: scored.probability,
        label: scored.label,
        confidence: scored.confidence,
        riskFactors: scored.riskFactors,
        baseLogOdds: scored.baseLogOdds,
        modelVersion: model.version,
        variant,
        latencyMs,
      });
      lines.push({
        requestId: id,
        httpRequestId: requestId,
        index,
        ...(entityId === undefined ? {} : { entityId }),
        project: config.project,
        source: 'endpoint',
        modelVersion: model.version,
        variant,
        probability: scored.probability,
        label: scored.label,
        confidence: scored.confidence,
        threshold: model.threshold,
        riskFactors: scored.riskFactors,
        inputs: record.inputs,
        inputSource,
        at,
        latencyMs,
      });
    });
    // Logged before answering: a prediction that cannot be logged is not served.
    await deps.log.write(predictionLogKey(config.project, now, requestId, deps.newRequestId()), toJsonLines(lines));

    const byVariant = groups.map((group) => {
      const labels = group.items.map((item) => results[item.index].scored.label);
      counters.record(group.variant, group.model.version, labels, group.items.map((item) => results[item.index].scored.probability));
      return { variant: group.variant, modelVersion: group.model.version, predictions: labels.length, positives: labels.reduce<number>((s, l) => s + l, 0) };
    });
    deps.onServed?.({ requestId, latencyMs, byVariant });
    return respond(200, requestId, { latencyMs, predictions: items });
  }

  async function status(requestId: string): Promise<HttpResponse> {
    const model = await deps.models.production();
    const test = await readAbTest(model.version);
    return respond(200, requestId, {
      project: config.project,
      production: { version: model.version, threshold: model.threshold, inputs: model.contract.contract.fields },
      abTest: test,
      loadedVersions: deps.models.loadedVersions(),
      counters: counters.snapshot(),
    });
  }

  async function handle(request: HttpRequest): Promise<HttpResponse> {
    const started = elapsed();
    const given = request.headers['x-request-id'];
    const requestId = given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : request.requestId ?? deps.newRequestId();
    try {
      if (given !== undefined && given !== requestId) {
        throw new ClientError(400, [{ path: 'headers.x-request-id', message: 'must be 1-128 letters, digits or . _ : - starting with a letter or digit' }]);
      }
      if (request.method === 'POST') return await predict(request, requestId, started);
      if (request.method === 'GET') return await status(requestId);
      throw new ClientError(405, [{ path: '(method)', message: `${request.method} is not allowed; POST a prediction request or GET the status` }]);
    } catch (error) {
      if (error instanceof ClientError) return errorResponse(error.statusCode, requestId, error.errors, error.statusCode === 405 ? { allow: 'GET, POST' } : {});
      if (error instanceof ModelUnavailableError) {
        onError('no model can be served', error);
        return errorResponse(503, requestId, [{ path: '(model)', message: error.message }], { 'retry-after': '5' });
      }
      if (error instanceof FeatureStoreDataError) {
        onError('online feature store values do not fit the model', error);
        return errorResponse(500, requestId, error.errors.map((e) => ({ path: `(feature store).${e.path}`, message: e.message })));
      }
      onError('prediction request failed with a server fault', error);
      return errorResponse(500, requestId, [{ path: '(server)', message: `internal error (request id ${requestId}); the request was not scored` }]);
    }
  }

  return {
    counters,
    handle,
    async handleEvent(event: unknown): Promise<HttpResponse> {
      const request = httpRequestFromEvent(event);
      if (request === undefined) {
        const requestId = deps.newRequestId();
        return errorResponse(400, requestId, [{ path: '(event)', message: 'not a Lambda function URL or API Gateway proxy event (no requestContext.http.method or httpMethod)' }]);
      }
      return handle(request);
    },
    async warm(): Promise<void> {
      await deps.models.production();
    },
  };
}
