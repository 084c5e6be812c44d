/**
 * Moving versions between stages: none → staging → production → archived. The move is one
 * conditional write of the project's stage pointers (optimistic concurrency on `revision`,
 * retried on conflict), then the history item and the versions' cached stages (guarded by
 * revision, so the newest change wins whatever order the writes land in).
 */
import { ConditionFailedError, type RegistryStore } from './store';
import { InvalidRegistryRequestError, InvalidStageTransitionError, StageConflictError, UnknownProjectError, UnknownVersionError } from './errors';
import { checkVersion, registryKeys, type Stage, type TargetStage } from './keys';
import { getModelVersion, latestVersionNumber, type ModelVersionRecord } from './model-version';
import { type DisplacedVersion, type StageChange, type StagePointers, readStagePointers, stageOf } from './stage-pointers';

/** Where a version may go from each stage. A version out of both pointers is archived for good. */
export const STAGE_TRANSITIONS: Readonly<Record<Stage, readonly TargetStage[]>> = {
  none: ['staging', 'archived'],
  staging: ['production', 'archived'],
  production: ['archived'],
  archived: [],
};

export interface SetStageOptions {
  /** Refuse (StageConflictError) unless the pointers still are what the caller decided on. */
  readonly expect?: { readonly staging: number | null; readonly production: number | null };
  readonly now: () => Date;
}

/** Enough attempts for hundreds of writers on one project; each lost attempt means another change landed. */
const MAX_ATTEMPTS = 500;

export async function setStage(store: RegistryStore, project: string, version: number, stage: TargetStage, actor: string, reason: string, options: SetStageOptions): Promise<StageChange> {
  checkVersion(version);
  if (!(['staging', 'production', 'archived'] as const).includes(stage)) {
    throw new InvalidRegistryRequestError('stage', `"${String(stage)}" is not a stage to move to (staging, production or archived)`);
  }
  if (actor.trim() === '') throw new InvalidRegistryRequestError('actor', 'a stage change needs the name of who made it');
  if (reason.trim() === '') throw new InvalidRegistryRequestError('reason', 'a stage change needs a reason');

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [pointers, item] = await Promise.all([readStagePointers(store, project), store.get('registry', registryKeys.version(project, version))]);
    if (!item) {
      const latest = await latestVersionNumber(store, project);
      if (latest === 0) throw new UnknownProjectError(project);
      throw new UnknownVersionError(project, version, latest);
    }
    if (options.expect && (options.expect.staging !== pointers.staging || options.expect.production !== pointers.production)) {
      throw new StageConflictError(
        project,
        `expected staging ${options.expect.staging ?? 'none'} and production ${options.expect.production ?? 'none'}, found staging ${pointers.staging ?? 'none'} and production ${pointers.production ?? 'none'}`,
      );
    }
    const from = stageOf(version, pointers, item.stage as Stage | undefined);
    if (!STAGE_TRANSITIONS[from].includes(stage)) throw new InvalidStageTransitionError(project, version, from, stage, STAGE_TRANSITIONS[from]);

    const { next, displaced } = movePointers(pointers, version, stage);
    const change: StageChange = { revision: pointers.revision + 1, project, version, from, to: stage, actor, reason, at: options.now().toISOString(), displaced };
    try {
      await store.put(
        'registry',
        { ...registryKeys.stages(project), type: 'stage-pointers', staging: next.staging, production: next.production, revision: change.revision, lastChange: change },
        pointers.revision === 0 ? { kind: 'absent' } : { kind: 'equals', attribute: 'revision', value: pointers.revision },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    // The pointers moved; the rest is derived from them and may lag if the process stops here.
    await store.put('registry', { ...registryKeys.stageChange(project, change.revision), type: 'stage-change', change }, { kind: 'absent' }).catch(ignoreConditionFailed);
    const cache = (v: number, to: Stage) =>
      store
        .update('registry', registryKeys.version(project, v), { stage: to, stageRevision: change.revision, stageChangedAt: change.at }, { kind: 'missingOrBelow', attribute: 'stageRevision', value: change.revision })
        .catch(ignoreConditionFailed);
    await Promise.all([cache(version, stage), ...displaced.map((d) => cache(d.version, d.to))]);
    return change;
  }
  throw new StageConflictError(project, `${MAX_ATTEMPTS} concurrent stage changes in a row; try again`);
}

function movePointers(pointers: StagePointers, version: number, stage: TargetStage): { next: { staging: number | null; production: number | null }; displaced: DisplacedVersion[] } {
  const displaced: DisplacedVersion[] = [];
  let { staging, production } = pointers;
  if (stage === 'staging') {
    if (staging !== null) displaced.push({ version: staging, from: 'staging', to: 'archived' });
    staging = version;
  } else if (stage === 'production') {
    if (production !== null) displaced.push({ version: production, from: 'production', to: 'archived' });
    production = version;
    if (staging === version) staging = null;
  } else {
    if (staging === version) staging = null;
    if (production === version) production = null;
  }
  return { next: { staging, production }, displaced };
}

function ignoreConditionFailed(error: unknown): void {
  if (!(error instanceof ConditionFailedError)) throw error;
}

export interface CurrentStages {
  readonly staging: number | null;
  readonly production: number | null;
  readonly revision: number;
  readonly lastChange?: StageChange;
}

/** The version in each stage now. */
export async function currentStages(store: RegistryStore, project: string): Promise<CurrentStages> {
  return readStagePointers(store, project);
}

/** The project's stage history, oldest first. */
export async function stageHistory(store: RegistryStore, project: string): Promise<StageChange[]> {
  const items = await store.query('registry', registryKeys.partition(project), { skPrefix: registryKeys.stageChangePrefix });
  return items.map((item) => item.change as StageChange);
}

export interface Champion {
  readonly version: number;
  readonly stage: 'staging' | 'production';
  readonly record: ModelVersionRecord;
  /** The pointers the champion was read from (pass to setStage's `expect`). */
  readonly pointers: { readonly staging: number | null; readonly production: number | null };
}

/**
 * The model a challenger has to beat: the staging version (the newest accepted one) when
 * there is one, else the production version; undefined for a project without either.
 */
export async function findChampion(store: RegistryStore, project: string): Promise<Champion | undefined> {
  const pointers = await readStagePointers(store, project);
  const version = pointers.staging ?? pointers.production;
  const expected = { staging: pointers.staging, production: pointers.production };
  if (version === null) return undefined;
  const { record } = await getModelVersion(store, project, version);
  return { version, stage: pointers.staging !== null ? 'staging' : 'production', record, pointers: expected };
}
