/**
 * Change detection for the served model, driven by an injected clock (no sleeps): the
 * pointer is re-read only after the interval, a new production version is served from the
 * first request after it, and failures keep the current model serving.
 */
import { ModelCache, ModelUnavailableError, PolledValue } from '../../../lambdas/core/serving/model-source';
import type { ServingModel } from '../../../lambdas/core/serving/scoring';

function fakeModel(version: number): ServingModel {
  return { version } as ServingModel;
}

function setup(options: { checkIntervalMs?: number } = {}) {
  const state = { now: 0, production: 1 as number | null, pointerReads: 0, loads: [] as number[], failPointer: false, failLoad: new Set<number>() };
  const errors: string[] = [];
  const cache = new ModelCache(
    { readProduction: async () => { state.pointerReads += 1; if (state.failPointer) throw new Error('DynamoDB unavailable'); return state.production; } },
    { load: async (v) => { state.loads.push(v); if (state.failLoad.has(v)) throw new Error(`version ${v} is corrupt`); return fakeModel(v); } },
    () => state.now,
    { ...options, onError: (message) => errors.push(message) },
  );
  return { state, cache, errors };
}

describe('ModelCache', () => {
  it('picks up a production change on the first request after the interval (default 5 s), not before', async () => {
    const { state, cache } = setup();
    expect((await cache.production()).version).toBe(1);

    state.production = 2;
    state.now = 4_999;
    const before = await cache.production();
    state.now = 5_000;
    const after = await cache.production();

    expect(before.version).toBe(1);
    expect(after.version).toBe(2);
    expect(state.pointerReads).toBe(2);
    expect(state.loads).toEqual([1, 2]);
  });

  it('reads the pointer once per interval however many requests arrive', async () => {
    const { state, cache } = setup({ checkIntervalMs: 1000 });

    for (let t = 0; t < 3000; t += 10) {
      state.now = t;
      await cache.production();
    }

    expect(state.pointerReads).toBe(3);
  });

  it('shares one load among concurrent first requests', async () => {
    const { state, cache } = setup();

    const models = await Promise.all([cache.production(), cache.production(), cache.production()]);

    expect(models.map((m) => m.version)).toEqual([1, 1, 1]);
    expect(state.loads).toEqual([1]);
    expect(state.pointerReads).toBe(1);
  });

  it('keeps serving the current version when the pointer read or the new version\'s load fails, and retries next interval', async () => {
    const { state, cache, errors } = setup();
    await cache.production();

    state.failPointer = true;
    state.now = 5_000;
    const whilePointerFails = await cache.production();
    state.failPointer = false;
    state.production = 2;
    state.failLoad.add(2);
    state.now = 10_000;
    const whileLoadFails = await cache.production();
    state.failLoad.clear();
    state.now = 15_000;
    const recovered = await cache.production();

    expect([whilePointerFails.version, whileLoadFails.version, recovered.version]).toEqual([1, 1, 2]);
    expect(errors).toEqual(['re-reading a polled value failed; keeping the previous one', 'loading production version 2 failed; still serving version 1']);
    expect(state.loads).toEqual([1, 2, 2]);
  });

  it('is unavailable when the project has no production version or it cannot be loaded at all', async () => {
    const none = setup();
    none.state.production = null;
    const broken = setup();
    broken.state.failLoad.add(1);

    await expect(none.cache.production()).rejects.toThrow(new ModelUnavailableError('the project has no production model yet (promote a version to production)'));
    await expect(broken.cache.production()).rejects.toThrow('production version 1 could not be loaded: version 1 is corrupt');
  });

  it('caches challenger versions and forgets those no longer wanted', async () => {
    const { state, cache } = setup();
    await cache.production();

    await cache.version(4);
    await cache.version(4);
    cache.retainOnly(new Set([5]));
    await cache.version(5);

    expect(state.loads).toEqual([1, 4, 5]);
    expect(cache.loadedVersions()).toEqual([1, 5]);
  });
});

describe('PolledValue', () => {
  it('re-reads only after the interval and propagates a first failure', async () => {
    let now = 0;
    let reads = 0;
    const value = new PolledValue(async () => ++reads, () => now, 1000);
    const failing = new PolledValue(async () => { throw new Error('no table'); }, () => now, 1000);

    const first = await value.get();
    now = 999;
    const cached = await value.get();
    now = 1000;
    const fresh = await value.get();

    expect([first, cached, fresh]).toEqual([1, 1, 2]);
    await expect(failing.get()).rejects.toThrow('no table');
  });
});
