/**
 * A small served model with all three column kinds, its two artifacts (ONNX and XGBoost
 * JSON), and in-memory dependencies for the endpoint: a registry with stage pointers, an
 * object store holding the artifacts, a prediction log and a clock the test moves.
 */
import type { GbdtModel } from '../../../lambdas/core/ml/model';
import { convertToOnnx } from '../../../lambdas/core/ml/onnx';
import { writeXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { memoryRegistryStore, type MemoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { registryKeys } from '../../../lambdas/core/registry/keys';
import { abTestKey, type AbConfig } from '../../../lambdas/core/serving/ab-testing';
import { createPredictionEndpoint, type OnlineFeatureLookup, type PredictionEndpoint, type PredictionEndpointConfig } from '../../../lambdas/core/serving/endpoint';
import { registryModelLoader, registryProductionPointer } from '../../../lambdas/core/serving/model-loading';
import { ModelCache, PolledValue } from '../../../lambdas/core/serving/model-source';
import { createOnnxScorer } from '../../../lambdas/core/serving/onnx-scorer';
import { readAbConfig } from '../../../lambdas/core/serving/ab-testing';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { syntheticModel } from '../../../bench/synthetic-gbdt-model';

export const PROJECT = 'adherence';
export const BUCKET = 'artifacts';

/**
 * Seeded random trees (bench/synthetic-gbdt-model.ts) over six columns: age, colour
 * (categorical), smoker (boolean), bmi, income, visits. `seed` gives a different model with
 * the same contract (a challenger).
 */
export function servingTestModel(seed = 7, attributes: Record<string, string> = {}): GbdtModel {
  const base = syntheticModel({ trees: 30, depth: 5, features: 6, seed });
  return {
    ...base,
    features: [
      { name: 'age', column: 'age', type: 'float' },
      { name: 'colour', column: 'colour', type: 'categorical' },
      { name: 'smoker', column: 'smoker', type: 'boolean' },
      { name: 'bmi', column: 'bmi', type: 'float' },
      { name: 'income', column: 'income', type: 'float' },
      { name: 'visits', column: 'visits', type: 'float' },
    ],
    encodings: [
      { kind: 'numeric', column: 'age' },
      { kind: 'categorical', column: 'colour', categories: ['red', 'green', 'blue', 'purple'], unknownCode: 4 },
      { kind: 'boolean', column: 'smoker' },
      { kind: 'numeric', column: 'bmi' },
      { kind: 'numeric', column: 'income' },
      { kind: 'numeric', column: 'visits' },
    ],
    attributes,
  };
}

/** A valid record with values spread around the trees' split points. */
export function sampleRecord(i: number): Record<string, string | number | boolean | null> {
  const wave = (k: number): number => Math.round(Math.sin(i * 1.7 + k) * 2500) / 1000;
  return {
    age: wave(1),
    colour: ['red', 'green', 'blue', 'purple'][i % 4],
    smoker: i % 3 === 0,
    bmi: i % 11 === 0 ? null : wave(2),
    income: wave(3),
    visits: wave(4),
  };
}

export function modelKeys(version: number): { onnxKey: string; modelKey: string } {
  return { onnxKey: `projects/${PROJECT}/models/${version}/model.onnx`, modelKey: `projects/${PROJECT}/models/${version}/model.json` };
}

export interface ServingWorld {
  readonly store: MemoryRegistryStore;
  readonly objects: ObjectStore & { readonly data: Map<string, Uint8Array>; gets: number };
  readonly logs: Map<string, string>;
  now: number;
  readonly models: Map<number, GbdtModel>;
  addVersion(version: number, model: GbdtModel): Promise<void>;
  setProduction(version: number): Promise<void>;
  setAbConfig(config: Omit<AbConfig, 'revision'> & { revision?: number }): Promise<void>;
  endpoint(config?: Partial<PredictionEndpointConfig>, extra?: { featureLookup?: OnlineFeatureLookup; failLog?: boolean; checkIntervalMs?: number; abCacheMs?: number }): PredictionEndpoint;
}

export function servingWorld(): ServingWorld {
  const store = memoryRegistryStore();
  const data = new Map<string, Uint8Array>();
  const objects = {
    data,
    gets: 0,
    async get(bucket: string, key: string) {
      objects.gets += 1;
      const body = data.get(`${bucket}/${key}`);
      if (!body) throw new Error(`NoSuchKey: ${bucket}/${key}`);
      return body;
    },
    async put(bucket: string, key: string, body: Uint8Array | string) {
      data.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
      return {};
    },
  };
  const logs = new Map<string, string>();
  let stagesRevision = 0;
  const world: ServingWorld = {
    store,
    objects,
    logs,
    now: Date.parse('2026-03-01T10:00:00.000Z'),
    models: new Map(),
    async addVersion(version, model) {
      world.models.set(version, model);
      const keys = modelKeys(version);
      await objects.put(BUCKET, keys.onnxKey, convertToOnnx(model));
      await objects.put(BUCKET, keys.modelKey, writeXgboostJson(model));
      await store.put('registry', { ...registryKeys.version(PROJECT, version), type: 'model-version', version, artifacts: { ...keys, baselineStatisticsKey: 'x', baselineConstraintsKey: 'y', importanceKey: 'z' } });
    },
    async setProduction(version) {
      stagesRevision += 1;
      await store.put('registry', { ...registryKeys.stages(PROJECT), staging: null, production: version, revision: stagesRevision });
    },
    async setAbConfig(config) {
      await store.put('registry', { ...abTestKey(PROJECT), revision: 1, ...config });
    },
    endpoint(config = {}, extra = {}) {
      const clock = (): number => world.now;
      const models = new ModelCache(
        registryProductionPointer(store, PROJECT),
        registryModelLoader({ store, objects, artifactBucket: BUCKET, project: PROJECT, createScorer: createOnnxScorer }),
        clock,
        { checkIntervalMs: extra.checkIntervalMs ?? 5000 },
      );
      const ab = new PolledValue(() => readAbConfig(store, PROJECT), clock, extra.abCacheMs ?? 0);
      let counter = 0;
      return createPredictionEndpoint(
        { project: PROJECT, entityIdColumn: 'patient_id', ...config },
        {
          models,
          abConfig: () => ab.get(),
          log: {
            async write(key, body) {
              if (extra.failLog) throw new Error('S3 is down');
              logs.set(key, body);
            },
          },
          ...(extra.featureLookup ? { featureLookup: extra.featureLookup } : {}),
          clock,
          newRequestId: () => `req-${++counter}`,
        },
      );
    },
  };
  return world;
}

/** A function URL (payload v2) POST event. */
export function urlEvent(body: string | undefined, options: { method?: string; headers?: Record<string, string>; base64?: boolean; requestId?: string } = {}): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    requestContext: { requestId: options.requestId ?? 'url-req-1', http: { method: options.method ?? 'POST', path: '/' } },
    ...(body === undefined ? {} : { body: options.base64 ? Buffer.from(body).toString('base64') : body }),
    isBase64Encoded: options.base64 ?? false,
  };
}
