/**
 * Guards against retrain storms: a drifting feed can keep a drift alarm flapping, and each
 * ALARM would start a retraining. The guard is one item per project in the operations table,
 * changed only by conditional writes (compare-and-set on a revision), so two runs arriving
 * together cannot both win.
 *
 * - One training run at a time per project, whatever started it: a run that finds another
 *   one running is refused, naming the running execution.
 * - A cool-down for the automatic, repeatable triggers only (`alarm`, `schedule`), counted
 *   from the start of the last alarm- or schedule-triggered run. A data drop or a person
 *   (`s3`, `manual`) is never throttled by it and does not start it: otherwise the first
 *   drift alarm after a project's first training would always be refused.
 * - A holder older than the longest a run can last (the state machine's timeout) is treated
 *   as gone: Step Functions stopped it without running its release, and the guard must not
 *   stay locked forever.
 */
import * as z from 'zod';

export const RETRAINING_TRIGGERS = ['s3', 'schedule', 'alarm', 'manual'] as const;
export type RetrainingTrigger = (typeof RETRAINING_TRIGGERS)[number];

/** Triggers the cool-down applies to: they fire by themselves and can repeat without anyone deciding to. */
export function isCoolDownTrigger(trigger: RetrainingTrigger): boolean {
  return trigger === 'alarm' || trigger === 'schedule';
}

const IsoTime = z.iso.datetime({ offset: true });

/** The stored guard item (the adapter parses what it reads with this). */
export const GuardItemSchema = z.object({
  /** Bumped by every write; compare-and-set compares it. */
  revision: z.number().int().min(1),
  /** Execution holding the guard (its ARN), when a run is in progress. */
  runningExecution: z.string().min(1).optional(),
  runningTrigger: z.enum(RETRAINING_TRIGGERS).optional(),
  /** When the holder took the guard. */
  runningSince: IsoTime.optional(),
  /** Start of the last alarm- or schedule-triggered run: the cool-down counts from here. */
  coolDownFrom: IsoTime.optional(),
  /** The execution that started the cool-down, named when a run is refused for it. */
  coolDownExecution: z.string().min(1).optional(),
});
export type GuardItem = z.output<typeof GuardItemSchema>;

/** The operations-table access the guard needs; conditional writes must be atomic. */
export interface GuardStore {
  read(project: string): Promise<GuardItem | undefined>;
  /**
   * Writes `next` only if the stored item's revision is still `expectedRevision` (undefined =
   * no item yet); returns false when the condition failed.
   */
  compareAndSet(project: string, expectedRevision: number | undefined, next: GuardItem): Promise<boolean>;
}

export type GuardRefusal =
  | { readonly acquired: false; readonly reason: 'running'; readonly message: string; readonly blockingExecution: string }
  | { readonly acquired: false; readonly reason: 'cooling-down'; readonly message: string; readonly blockingExecution: string; readonly retryAfter: string };
export type GuardOutcome = { readonly acquired: true } | GuardRefusal;

export interface AcquireRequest {
  readonly project: string;
  /** The run asking (its execution ARN); asking again while holding is granted (a retried step). */
  readonly executionId: string;
  readonly trigger: RetrainingTrigger;
  readonly now: Date;
  /** @default DEFAULT_RETRAINING_COOL_DOWN_MS */
  readonly coolDownMs?: number;
  /** The longest a run can last; an older holder is treated as gone. @default DEFAULT_MAX_RUN_MS */
  readonly maxRunMs?: number;
}

export const DEFAULT_RETRAINING_COOL_DOWN_MS = 6 * 3_600_000;
/** The training state machine's timeout. */
export const DEFAULT_MAX_RUN_MS = 24 * 3_600_000;
/** Compare-and-set attempts before giving up under contention (each failure means someone else wrote). */
const MAX_ATTEMPTS = 5;

export async function acquireRetrainingGuard(store: GuardStore, request: AcquireRequest): Promise<GuardOutcome> {
  const coolDownMs = request.coolDownMs ?? DEFAULT_RETRAINING_COOL_DOWN_MS;
  const maxRunMs = request.maxRunMs ?? DEFAULT_MAX_RUN_MS;
  const now = request.now.toISOString();
  let current: GuardItem | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    current = await store.read(request.project);
    if (current?.runningExecution === request.executionId) return { acquired: true };
    const refusal = refusalFor(current, request, coolDownMs, maxRunMs);
    if (refusal) return refusal;
    const throttled = isCoolDownTrigger(request.trigger);
    const next: GuardItem = {
      revision: (current?.revision ?? 0) + 1,
      runningExecution: request.executionId,
      runningTrigger: request.trigger,
      runningSince: now,
      coolDownFrom: throttled ? now : current?.coolDownFrom,
      coolDownExecution: throttled ? request.executionId : current?.coolDownExecution,
    };
    if (await store.compareAndSet(request.project, current?.revision, next)) return { acquired: true };
  }
  const holder = current?.runningExecution ?? 'unknown';
  return { acquired: false, reason: 'running', message: `the retraining guard changed ${MAX_ATTEMPTS} times while this run asked for it (last holder: ${holder})`, blockingExecution: holder };
}

/** Why `request` may not start now, or undefined when it may. */
function refusalFor(current: GuardItem | undefined, request: AcquireRequest, coolDownMs: number, maxRunMs: number): GuardRefusal | undefined {
  if (current?.runningExecution && !isAbandoned(current, request.now, maxRunMs)) {
    return {
      acquired: false,
      reason: 'running',
      message: `retraining ${current.runningExecution} (${current.runningTrigger ?? 'unknown trigger'}, started ${current.runningSince ?? 'at an unknown time'}) is still running`,
      blockingExecution: current.runningExecution,
    };
  }
  if (!isCoolDownTrigger(request.trigger) || !current?.coolDownFrom) return undefined;
  const until = Date.parse(current.coolDownFrom) + coolDownMs;
  if (request.now.getTime() >= until) return undefined;
  const retryAfter = new Date(until).toISOString();
  const last = current.coolDownExecution ?? 'unknown';
  return {
    acquired: false,
    reason: 'cooling-down',
    message: `the last alarm- or schedule-triggered retraining (${last}) started at ${current.coolDownFrom}; the next ${request.trigger}-triggered one may start after ${retryAfter}`,
    blockingExecution: last,
    retryAfter,
  };
}

/** A holder that started longer ago than a run can last was stopped without releasing (timeout, StopExecution). */
function isAbandoned(current: GuardItem, now: Date, maxRunMs: number): boolean {
  return current.runningSince !== undefined && now.getTime() - Date.parse(current.runningSince) > maxRunMs;
}

/**
 * Releases the guard held by `executionId` (success, rejection or failure); the cool-down's
 * start stays. Returns false when that execution does not hold it (it was refused, never got
 * that far, or released already): releasing is safe on every exit path.
 */
export async function releaseRetrainingGuard(store: GuardStore, project: string, executionId: string): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.read(project);
    if (current?.runningExecution !== executionId) return false;
    const next: GuardItem = { revision: current.revision + 1, coolDownFrom: current.coolDownFrom, coolDownExecution: current.coolDownExecution };
    if (await store.compareAndSet(project, current.revision, next)) return true;
  }
  throw new Error(`the retraining guard of ${project} changed ${MAX_ATTEMPTS} times while ${executionId} released it`);
}

/** Where the guard lives in the operations table (next to the project's RUN# items). */
export function retrainingGuardKey(project: string): { readonly pk: string; readonly sk: string } {
  return { pk: `PROJECT#${project}`, sk: 'GUARD#RETRAINING' };
}

/** An in-memory GuardStore with atomic compare-and-set, for tests and tools. */
export function memoryGuardStore(): GuardStore {
  const items = new Map<string, GuardItem>();
  return {
    async read(project) {
      await Promise.resolve();
      const item = items.get(project);
      return item && { ...item };
    },
    async compareAndSet(project, expectedRevision, next) {
      await Promise.resolve();
      if (items.get(project)?.revision !== expectedRevision) return false;
      items.set(project, { ...next });
      return true;
    },
  };
}

// ---------------------------------------------------------------- the workflow's guard step

/** What the training workflow sends: acquire right after the trigger is known, release on every exit. */
export const RetrainingGuardStepInput = z.discriminatedUnion(
  'action',
  [
    z.object({
      action: z.literal('acquire'),
      /** `$$.Execution.Id`. */
      executionId: z.string().min(1),
      trigger: z.enum(RETRAINING_TRIGGERS, { error: `must be one of ${RETRAINING_TRIGGERS.join(', ')}` }),
    }),
    z.object({ action: z.literal('release'), executionId: z.string().min(1) }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? "action must be 'acquire' or 'release'" : undefined) },
);
export type RetrainingGuardStepInput = z.output<typeof RetrainingGuardStepInput>;

export type RetrainingGuardStepResult = GuardOutcome | { readonly released: boolean };

export interface RetrainingGuardStepDependencies {
  readonly store: GuardStore;
  readonly clock: () => Date;
  /** The project's cool-down; asked only for alarm- and schedule-triggered runs (a data drop must not fail on a bad config here). */
  readonly coolDownMs: () => Promise<number>;
  /** @default DEFAULT_MAX_RUN_MS */
  readonly maxRunMs?: number;
}

export async function runRetrainingGuardStep(project: string, input: RetrainingGuardStepInput, deps: RetrainingGuardStepDependencies): Promise<RetrainingGuardStepResult> {
  if (input.action === 'release') return { released: await releaseRetrainingGuard(deps.store, project, input.executionId) };
  const coolDownMs = isCoolDownTrigger(input.trigger) ? await deps.coolDownMs() : 0;
  return acquireRetrainingGuard(deps.store, { project, executionId: input.executionId, trigger: input.trigger, now: deps.clock(), coolDownMs, maxRunMs: deps.maxRunMs });
}
