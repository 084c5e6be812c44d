/**
 * The stage pointers: one item per project (`STAGES`) names the staging and the production
 * version. Both pointers live in one item so a promotion (staging → production, which empties
 * staging and replaces production) is a single conditional write, guarded by `revision`.
 */
import type { RegistryStore } from './store';
import { registryKeys, type Stage, type TargetStage } from './keys';

export interface DisplacedVersion {
  readonly version: number;
  readonly from: Stage;
  readonly to: 'archived';
}

/** One stage change, as recorded on the pointers item and in the stage history. */
export interface StageChange {
  /** The pointers' revision this change produced (1, 2, …: the project's stage history order). */
  readonly revision: number;
  readonly project: string;
  readonly version: number;
  readonly from: Stage;
  readonly to: TargetStage;
  readonly actor: string;
  readonly reason: string;
  readonly at: string;
  /** Versions this change pushed out of a pointer (they become archived). */
  readonly displaced: readonly DisplacedVersion[];
  /** Set on a rollback: production went back to an earlier production version (rollback.ts). */
  readonly rollback?: true;
}

export interface StagePointers {
  readonly staging: number | null;
  readonly production: number | null;
  /** 0 before the first stage change. */
  readonly revision: number;
  readonly lastChange?: StageChange;
}

export const NO_STAGES: StagePointers = { staging: null, production: null, revision: 0 };

export async function readStagePointers(store: RegistryStore, project: string): Promise<StagePointers> {
  const item = await store.get('registry', registryKeys.stages(project));
  if (!item) return NO_STAGES;
  return {
    staging: (item.staging as number | null | undefined) ?? null,
    production: (item.production as number | null | undefined) ?? null,
    revision: Number(item.revision),
    lastChange: item.lastChange as StageChange | undefined,
  };
}

/**
 * A version's stage. The pointers are the truth for staging and production; the version
 * item's cached stage only tells `none` from `archived` (a version that left a pointer is
 * archived, also when the process that moved the pointer stopped before updating the cache).
 */
export function stageOf(version: number, pointers: StagePointers, cachedStage: Stage | undefined): Stage {
  if (pointers.production === version) return 'production';
  if (pointers.staging === version) return 'staging';
  return cachedStage === undefined || cachedStage === 'none' ? 'none' : 'archived';
}
