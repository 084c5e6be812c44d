/**
 * Guards against retrain storms: a drifting feed can keep a drift alarm flapping, and each
 * ALARM would start a retraining. A project may have one retraining running at a time,
 * and a new one may start only after a cool-down since the last one began. The guard is
 * one item per project in the operations table, changed only by conditional writes, so two
 * alarms arriving together cannot both win.
 *
 * Runs started by a person (`lumina train`) or by new training data are not throttled by
 * the cool-down, but they still wait for a running retraining (they are refused with the
 * running execution named).
 */

export interface GuardItem {
  /** Execution currently holding the guard, if any. */
  readonly runningExecution?: string;
  /** ISO time the holder (or the last holder) started. */
  readonly startedAt?: string;
  readonly trigger?: string;
}

/** The operations-table access the guard needs; conditional writes must be atomic. */
export interface GuardStore {
  read(project: string): Promise<GuardItem | undefined>;
  /**
   * Writes `next` only if the stored item still equals `expected` (undefined = absent) on
   * runningExecution and startedAt; returns false when the condition failed.
   */
  compareAndSet(project: string, expected: GuardItem | undefined, next: GuardItem): Promise<boolean>;
}

export type GuardOutcome =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly reason: 'running' | 'cooling-down'; readonly message: string; readonly retryAfter?: string };

export interface AcquireRequest {
  readonly project: string;
  readonly executionId: string;
  readonly trigger: 'alarm' | 'schedule' | 'manual' | 's3';
  readonly now: Date;
  /** @default 6 hours */
  readonly coolDownMs?: number;
}

export const DEFAULT_RETRAINING_COOL_DOWN_MS = 6 * 3_600_000;

export async function acquireRetrainingGuard(store: GuardStore, request: AcquireRequest): Promise<GuardOutcome> {
  const coolDown = request.coolDownMs ?? DEFAULT_RETRAINING_COOL_DOWN_MS;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await store.read(request.project);
    if (current?.runningExecution && current.runningExecution !== request.executionId) {
      return { acquired: false, reason: 'running', message: `retraining ${current.runningExecution} (${current.trigger ?? 'unknown trigger'}, started ${current.startedAt}) is still running` };
    }
    const throttled = request.trigger === 'alarm' || request.trigger === 'schedule';
    if (throttled && current?.startedAt) {
      const until = Date.parse(current.startedAt) + coolDown;
      if (request.now.getTime() < until) {
        const retryAfter = new Date(until).toISOString();
        return { acquired: false, reason: 'cooling-down', message: `the last retraining started at ${current.startedAt}; the next ${request.trigger}-triggered one may start after ${retryAfter}`, retryAfter };
      }
    }
    const next: GuardItem = { runningExecution: request.executionId, startedAt: request.now.toISOString(), trigger: request.trigger };
    if (await store.compareAndSet(request.project, current, next)) return { acquired: true };
  }
  return { acquired: false, reason: 'running', message: 'another run took the retraining guard at the same moment' };
}

/** Releases the guard held by `executionId` (success or failure); the start time stays for the cool-down. */
export async function releaseRetrainingGuard(store: GuardStore, project: string, executionId: string): Promise<boolean> {
  const current = await store.read(project);
  if (current?.runningExecution !== executionId) return false;
  return store.compareAndSet(project, current, { startedAt: current.startedAt, trigger: current.trigger });
}

/** An in-memory GuardStore with atomic compare-and-set, for tests and tools. */
export function memoryGuardStore(): GuardStore {
  const items = new Map<string, GuardItem>();
  const same = (a: GuardItem | undefined, b: GuardItem | undefined): boolean =>
    (a?.runningExecution ?? null) === (b?.runningExecution ?? null) && (a?.startedAt ?? null) === (b?.startedAt ?? null) && (a === undefined) === (b === undefined);
  return {
    async read(project) {
      await Promise.resolve();
      const item = items.get(project);
      return item && { ...item };
    },
    async compareAndSet(project, expected, next) {
      await Promise.resolve();
      if (!same(items.get(project), expected)) return false;
      items.set(project, { ...next });
      return true;
    },
  };
}
