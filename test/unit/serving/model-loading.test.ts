/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * Loading a registered version for serving: the registry item names both artifacts, they are
 * fetched together, and the scorer's model-independent start runs while they download.
 */
import { registryModelLoader } from '../../../lambdas/core/serving/model-loading';
import { createOnnxScorer } from '../../../lambdas/core/serving/onnx-scorer';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { BUCKET, PROJECT, servingTestModel, servingWorld } from './serving-fixtures';

/** The world's object store, holding every get until `release` is called. */
function heldObjects(objects: ObjectStore): { store: ObjectStore; requested: string[]; release(): void } {
  const requested: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    requested,
    release,
    store: {
      async get(bucket, key, versionId) {
        requested.push(key);
        await released;
        return objects.get(bucket, key, versionId);
      },
      put: (bucket, key, body, contentType) => objects.put(bucket, key, body, contentType),
    },
  };
}

describe('registryModelLoader', () => {
  it('starts both downloads and prepares the scorer before either artifact has arrived', async () => {
    const world = servingWorld();
    await world.addVersion(3, servingTestModel());
    const held = heldObjects(world.objects);
    const events: string[] = [];
    const loader = registryModelLoader({
      store: world.store,
      objects: held.store,
      artifactBucket: BUCKET,
      project: PROJECT,
      createScorer: async (bytes) => {
        events.push('createScorer');
        return createOnnxScorer(bytes);
      },
      prepareScorer: async () => {
        events.push(`prepareScorer with ${held.requested.length} downloads started`);
      },
    });

    const loading = loader.load(3);
    await new Promise((resolve) => setImmediate(resolve));
    events.push('artifacts arrive');
    held.release();
    const model = await loading;

    expect(events).toEqual(['prepareScorer with 2 downloads started', 'artifacts arrive', 'createScorer']);
    expect(model.version).toBe(3);
    expect(model.explainer.model.trees).toHaveLength(30);
  });

  it('loads the version when preparing the scorer fails (the scorer reports its own problems)', async () => {
    const world = servingWorld();
    await world.addVersion(4, servingTestModel());
    const loader = registryModelLoader({
      store: world.store,
      objects: world.objects,
      artifactBucket: BUCKET,
      project: PROJECT,
      createScorer: createOnnxScorer,
      prepareScorer: () => Promise.reject(new Error('no runtime')),
    });

    await expect(loader.load(4)).resolves.toMatchObject({ version: 4 });
  });

  it('names the version and the missing artifact keys when the registry item has none', async () => {
    const world = servingWorld();
    await world.store.put('registry', { pk: `PROJECT#${PROJECT}`, sk: 'VERSION#000005', version: 5, artifacts: { onnxKey: 'a.onnx' } });
    const loader = registryModelLoader({ store: world.store, objects: world.objects, artifactBucket: BUCKET, project: PROJECT, createScorer: createOnnxScorer });

    await expect(loader.load(5)).rejects.toThrow('model version 5: the registry item has no artifacts.onnxKey / artifacts.modelKey (artifacts.modelKey)');
    await expect(loader.load(6)).rejects.toThrow(`model version 6: project ${PROJECT} has no such version in the registry`);
  });
});
