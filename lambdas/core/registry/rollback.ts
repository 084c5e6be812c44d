/**
 * Rolling production back: the version that was in production before the current one goes
 * back to production, with no retraining. It is the one exception to "archived is final",
 * and only for versions that have been in production. Production history is replayed from
 * the stage history as a stack: a promotion pushes, a rollback pops, so a second rollback
 * goes one further back rather than undoing the first.
 */
import { ConditionFailedError, type RegistryStore } from './store';
import { InvalidRegistryRequestError, StageConflictError } from './errors';
import { registryKeys } from './keys';
import { readStagePointers, type StageChange } from './stage-pointers';
import { stageHistory } from './stages';

export class NothingToRollBackError extends Error {
  constructor(readonly project: string, detail: string) {
    super(`cannot roll back ${project}: ${detail}`);
    this.name = 'NothingToRollBackError';
  }
}

/** Production versions in the order they are stacked now (last = current). */
export function productionStack(history: readonly StageChange[]): number[] {
  const stack: number[] = [];
  for (const change of history) {
    if (change.to === 'production') {
      if (change.rollback) stack.pop();
      else stack.push(change.version);
    } else if (change.to === 'archived' && stack.at(-1) === change.version && change.from === 'production') {
      stack.pop();
    }
  }
  return stack;
}

export async function rollbackProduction(store: RegistryStore, project: string, actor: string, reason: string, now: () => Date): Promise<StageChange> {
  if (actor.trim() === '') throw new InvalidRegistryRequestError('actor', 'a rollback needs the name of who made it');
  if (reason.trim() === '') throw new InvalidRegistryRequestError('reason', 'a rollback needs a reason');
  const pointers = await readStagePointers(store, project);
  if (pointers.production === null) throw new NothingToRollBackError(project, 'no version is in production');
  const stack = productionStack(await stageHistory(store, project));
  if (stack.at(-1) !== pointers.production) throw new StageConflictError(project, `the stage history does not end with production version ${pointers.production}; try again`);
  const previous = stack.at(-2);
  if (previous === undefined) throw new NothingToRollBackError(project, `version ${pointers.production} is the first production version`);

  const change: StageChange = {
    revision: pointers.revision + 1,
    project,
    version: previous,
    from: 'archived',
    to: 'production',
    actor,
    reason,
    at: now().toISOString(),
    displaced: [{ version: pointers.production, from: 'production', to: 'archived' }],
    rollback: true,
  };
  try {
    await store.put(
      'registry',
      { ...registryKeys.stages(project), type: 'stage-pointers', staging: pointers.staging === previous ? null : pointers.staging, production: previous, revision: change.revision, lastChange: change },
      { kind: 'equals', attribute: 'revision', value: pointers.revision },
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new StageConflictError(project, 'another stage change landed during the rollback; check `lumina models` and try again');
    throw error;
  }
  await store.put('registry', { ...registryKeys.stageChange(project, change.revision), type: 'stage-change', change }, { kind: 'absent' });
  const cache = (version: number, stage: 'production' | 'archived') =>
    store
      .update('registry', registryKeys.version(project, version), { stage, stageRevision: change.revision, stageChangedAt: change.at }, { kind: 'missingOrBelow', attribute: 'stageRevision', value: change.revision })
      .catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error;
      });
  await Promise.all([cache(previous, 'production'), cache(pointers.production, 'archived')]);
  return change;
}
