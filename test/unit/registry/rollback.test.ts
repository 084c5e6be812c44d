import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { getModelVersion, registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { NothingToRollBackError, productionStack, rollbackProduction } from '../../../lambdas/core/registry/rollback';
import { currentStages, setStage, stageHistory } from '../../../lambdas/core/registry/stages';
import { steppingClock, versionRequest } from './registry-fixtures';

async function projectWithThreeProductionVersions() {
  const store = memoryRegistryStore();
  const now = steppingClock();
  for (let i = 1; i <= 3; i++) {
    await registerModelVersion(store, versionRequest({ lineage: { ...versionRequest().lineage, executionId: `run-${i}` } }), { now });
    await setStage(store, 'adherence', i, 'staging', 'pipeline', 'beat the champion', { now });
    await setStage(store, 'adherence', i, 'production', 'alice', `promote v${i}`, { now });
  }
  return { store, now };
}

describe('rollbackProduction', () => {
  it('puts the previous production version back, archives the current one, and records who and why', async () => {
    const { store, now } = await projectWithThreeProductionVersions();
    const change = await rollbackProduction(store, 'adherence', 'bob', 'v3 mis-scores new brands', now);
    expect(change).toMatchObject({ version: 2, from: 'archived', to: 'production', actor: 'bob', reason: 'v3 mis-scores new brands', rollback: true, displaced: [{ version: 3, from: 'production', to: 'archived' }] });
    expect((await currentStages(store, 'adherence')).production).toBe(2);
    expect((await getModelVersion(store, 'adherence', 2)).record.stage).toBe('production');
    expect((await getModelVersion(store, 'adherence', 3)).record.stage).toBe('archived');
    expect((await stageHistory(store, 'adherence')).at(-1)).toEqual(change);
  });

  it('goes one further back on a second rollback and refuses past the first production version', async () => {
    const { store, now } = await projectWithThreeProductionVersions();
    await rollbackProduction(store, 'adherence', 'bob', 'first', now);
    expect((await rollbackProduction(store, 'adherence', 'bob', 'second', now)).version).toBe(1);
    await expect(rollbackProduction(store, 'adherence', 'bob', 'third', now)).rejects.toThrow('cannot roll back adherence: version 1 is the first production version');
  });

  it('refuses without a production version, an actor or a reason', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();
    await expect(rollbackProduction(store, 'adherence', 'bob', 'why', now)).rejects.toBeInstanceOf(NothingToRollBackError);
    await expect(rollbackProduction(store, 'adherence', ' ', 'why', now)).rejects.toThrow('invalid actor');
    await expect(rollbackProduction(store, 'adherence', 'bob', '', now)).rejects.toThrow('invalid reason');
  });

  it('replays production history as a stack: promotions push, rollbacks and retirements pop', () => {
    const change = (version: number, from: string, to: string, rollback = false) => ({ revision: 0, project: 'p', version, from, to, actor: 'a', reason: 'r', at: '', displaced: [], ...(rollback ? { rollback: true as const } : {}) });
    expect(productionStack([change(1, 'staging', 'production'), change(2, 'staging', 'production'), change(1, 'archived', 'production', true), change(3, 'staging', 'production')] as never)).toEqual([1, 3]);
    expect(productionStack([change(1, 'staging', 'production'), change(1, 'production', 'archived')] as never)).toEqual([]);
  });
});
