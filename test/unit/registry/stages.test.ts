import { InvalidStageTransitionError, StageConflictError } from '../../../lambdas/core/registry/errors';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { getModelVersion, listModelVersions, registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { currentStages, findChampion, setStage, stageHistory } from '../../../lambdas/core/registry/stages';
import { steppingClock, versionRequest } from './registry-fixtures';

async function registryWith(count: number) {
  const store = memoryRegistryStore();
  const now = steppingClock();
  for (let i = 1; i <= count; i++) {
    await registerModelVersion(store, versionRequest({ metrics: { auc: 0.7 + i / 100 }, lineage: { ...versionRequest().lineage, executionId: `run-${i}` } }), { now });
  }
  return { store, now };
}

const stagesOf = async (store: ReturnType<typeof memoryRegistryStore>) => Object.fromEntries((await listModelVersions(store, 'adherence')).map((v) => [v.version, v.stage]));

describe('setStage', () => {
  it('walks a version through staging, production and archived, recording who, when and why', async () => {
    const { store, now } = await registryWith(1);

    const staged = await setStage(store, 'adherence', 1, 'staging', 'pipeline', 'first model', { now });
    const promoted = await setStage(store, 'adherence', 1, 'production', 'dr.lee', 'reviewed the card', { now });
    const archived = await setStage(store, 'adherence', 1, 'archived', 'dr.lee', 'retired', { now });

    expect(staged).toEqual({ revision: 1, project: 'adherence', version: 1, from: 'none', to: 'staging', actor: 'pipeline', reason: 'first model', at: '2026-05-01T10:00:02.000Z', displaced: [] });
    expect(promoted).toMatchObject({ revision: 2, from: 'staging', to: 'production', actor: 'dr.lee', reason: 'reviewed the card' });
    expect(archived).toMatchObject({ revision: 3, from: 'production', to: 'archived' });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: null, production: null, revision: 3 });
    const detail = await getModelVersion(store, 'adherence', 1);
    expect(detail.record.stage).toBe('archived');
    expect(detail.stageHistory.map((c) => `${c.from}->${c.to}`)).toEqual(['none->staging', 'staging->production', 'production->archived']);
  });

  it('archives the version a new one pushes out of its stage', async () => {
    const { store, now } = await registryWith(3);
    await setStage(store, 'adherence', 1, 'staging', 'pipeline', 'first', { now });
    await setStage(store, 'adherence', 1, 'production', 'dr.lee', 'approved', { now });
    await setStage(store, 'adherence', 2, 'staging', 'pipeline', 'better', { now });

    const change = await setStage(store, 'adherence', 2, 'production', 'dr.lee', 'approved', { now });
    await setStage(store, 'adherence', 3, 'staging', 'pipeline', 'better still', { now });

    expect(change.displaced).toEqual([{ version: 1, from: 'production', to: 'archived' }]);
    expect(await stagesOf(store)).toEqual({ 1: 'archived', 2: 'production', 3: 'staging' });
  });

  it.each([
    ['none', 'production', 'staging or archived'],
    ['staging', 'staging', 'production or archived'],
    ['production', 'staging', 'archived'],
    ['archived', 'staging', 'nothing: archived is final'],
  ] as const)('refuses %s -> %s and says where it can go (%s)', async (from, to, allowed) => {
    const { store, now } = await registryWith(1);
    const path: Record<string, ('staging' | 'production' | 'archived')[]> = { none: [], staging: ['staging'], production: ['staging', 'production'], archived: ['archived'] };
    for (const step of path[from]) await setStage(store, 'adherence', 1, step, 'a', 'setup', { now });

    const moving = setStage(store, 'adherence', 1, to, 'a', 'test', { now });

    await expect(moving).rejects.toThrow(InvalidStageTransitionError);
    await expect(moving).rejects.toThrow(`project adherence version 1 cannot move from ${from} to ${to} (from ${from} it can move to ${allowed})`);
  });

  it('refuses a change without an actor or a reason', async () => {
    const { store, now } = await registryWith(1);

    await expect(setStage(store, 'adherence', 1, 'staging', ' ', 'x', { now })).rejects.toThrow('invalid actor');
    await expect(setStage(store, 'adherence', 1, 'staging', 'a', '', { now })).rejects.toThrow('invalid reason');
  });

  it('refuses when the pointers are no longer what the caller expected', async () => {
    const { store, now } = await registryWith(2);
    await setStage(store, 'adherence', 1, 'staging', 'pipeline', 'first', { now });

    const moving = setStage(store, 'adherence', 2, 'staging', 'pipeline', 'better', { now, expect: { staging: null, production: null } });

    await expect(moving).rejects.toThrow(StageConflictError);
    await expect(moving).rejects.toThrow('expected staging none and production none, found staging 1 and production none');
  });

  it('30 concurrent stagings leave one staging version, a gap-free history and every other version archived', async () => {
    const { store, now } = await registryWith(30);

    const changes = await Promise.all(Array.from({ length: 30 }, (_, i) => setStage(store, 'adherence', i + 1, 'staging', `caller-${i + 1}`, 'race', { now })));

    const history = await stageHistory(store, 'adherence');
    expect(history.map((c) => c.revision)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(changes.map((c) => c.revision).sort((a, b) => a - b)).toEqual(history.map((c) => c.revision));
    // Each change displaced exactly the version the one before it staged.
    history.slice(1).forEach((change, i) => expect(change.displaced).toEqual([{ version: history[i].version, from: 'staging', to: 'archived' }]));
    const last = history[history.length - 1].version;
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: last, production: null, revision: 30 });
    const stages = await stagesOf(store);
    expect(Object.values(stages).filter((s) => s === 'staging')).toHaveLength(1);
    expect(stages[last]).toBe('staging');
    expect(Object.values(stages).filter((s) => s === 'archived')).toHaveLength(29);
  });
});

describe('findChampion', () => {
  it('is the staging version, else the production version, else none', async () => {
    const { store, now } = await registryWith(2);
    expect(await findChampion(store, 'adherence')).toBeUndefined();

    await setStage(store, 'adherence', 1, 'staging', 'p', 'first', { now });
    await setStage(store, 'adherence', 1, 'production', 'p', 'ok', { now });
    expect(await findChampion(store, 'adherence')).toMatchObject({ version: 1, stage: 'production', pointers: { staging: null, production: 1 } });

    await setStage(store, 'adherence', 2, 'staging', 'p', 'better', { now });
    const champion = await findChampion(store, 'adherence');
    expect(champion).toMatchObject({ version: 2, stage: 'staging', pointers: { staging: 2, production: 1 } });
    expect(champion?.record.metrics.auc).toBeCloseTo(0.72, 10);
  });
});
