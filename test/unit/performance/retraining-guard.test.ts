import { TrainingConfig } from '../../../lambdas/core/pipeline/training-config';
import {
  type AcquireRequest,
  type GuardItem,
  type GuardStore,
  RetrainingGuardStepInput,
  acquireRetrainingGuard,
  memoryGuardStore,
  releaseRetrainingGuard,
  runRetrainingGuardStep,
} from '../../../lambdas/core/performance/retraining-guard';

const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;
const acquire = (store: GuardStore, executionId: string, trigger: AcquireRequest['trigger'], now: string, more: Partial<AcquireRequest> = {}) =>
  acquireRetrainingGuard(store, { project: 'p', executionId, trigger, now: at(now), coolDownMs: 6 * HOUR, ...more });

describe('retraining guard: one run at a time', () => {
  it('lets one of many simultaneous alarm-triggered runs through, and names it to the others', async () => {
    const store = memoryGuardStore();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => acquire(store, `e${i}`, 'alarm', '2026-12-01T10:00:00Z')));
    const winners = outcomes.flatMap((o, i) => (o.acquired ? [`e${i}`] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !o.acquired)) {
      expect(outcome).toMatchObject({ acquired: false, reason: 'running', blockingExecution: winners[0] });
    }
  });

  it('refuses any trigger while another run holds the guard, naming it, and keeps projects apart', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 's3', '2026-12-01T10:00:00Z');
    for (const trigger of ['manual', 's3', 'alarm', 'schedule'] as const) {
      expect(await acquire(store, 'e2', trigger, '2026-12-01T10:01:00Z')).toEqual({
        acquired: false,
        reason: 'running',
        message: 'retraining e1 (s3, started 2026-12-01T10:00:00.000Z) is still running',
        blockingExecution: 'e1',
      });
    }
    expect((await acquireRetrainingGuard(store, { project: 'q', executionId: 'e9', trigger: 'alarm', now: at('2026-12-01T10:01:00Z') })).acquired).toBe(true);
  });

  it('grants the holder again (a retried step) even within the cool-down it started itself', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'alarm', '2026-12-01T10:00:00Z');
    expect(await acquire(store, 'e1', 'alarm', '2026-12-01T10:00:05Z')).toEqual({ acquired: true });
  });

  it('releases only for the holder, and a released guard lets the next run in', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'manual', '2026-12-01T10:00:00Z');
    expect(await releaseRetrainingGuard(store, 'p', 'e2')).toBe(false);
    expect((await acquire(store, 'e3', 'manual', '2026-12-01T10:05:00Z')).acquired).toBe(false);
    expect(await releaseRetrainingGuard(store, 'p', 'e1')).toBe(true);
    expect(await releaseRetrainingGuard(store, 'p', 'e1')).toBe(false); // a second release (failure path after success path) is a no-op
    expect((await acquire(store, 'e3', 'manual', '2026-12-01T10:05:00Z')).acquired).toBe(true);
  });

  it('takes over from a holder older than the longest run (stopped without releasing), not from a younger one', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'manual', '2026-12-01T10:00:00Z');
    expect(await acquire(store, 'e2', 'manual', '2026-12-02T10:00:00Z', { maxRunMs: 24 * HOUR })).toMatchObject({ acquired: false, reason: 'running' });
    expect(await acquire(store, 'e2', 'manual', '2026-12-02T10:00:01Z', { maxRunMs: 24 * HOUR })).toEqual({ acquired: true });
    expect(await releaseRetrainingGuard(store, 'p', 'e1')).toBe(false);
    expect((await store.read('p'))?.runningExecution).toBe('e2');
  });

  it('gives up with a refusal when the guard keeps changing under it', async () => {
    const store: GuardStore = { read: async () => ({ revision: 1 }), compareAndSet: async () => false };
    expect(await acquire(store, 'e1', 'manual', '2026-12-01T10:00:00Z')).toMatchObject({ acquired: false, reason: 'running', blockingExecution: 'unknown' });
    await expect(releaseRetrainingGuard({ read: async () => ({ revision: 1, runningExecution: 'e1' }), compareAndSet: async () => false }, 'p', 'e1')).rejects.toThrow(
      /changed 5 times while e1 released it/,
    );
  });
});

describe('retraining guard: the cool-down', () => {
  it('refuses alarm and schedule runs within the cool-down after an alarm-triggered run, naming it', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'alarm', '2026-12-01T10:00:00Z');
    await releaseRetrainingGuard(store, 'p', 'e1');
    const expected = (trigger: string) => ({
      acquired: false,
      reason: 'cooling-down',
      message: `the last alarm- or schedule-triggered retraining (e1) started at 2026-12-01T10:00:00.000Z; the next ${trigger}-triggered one may start after 2026-12-01T16:00:00.000Z`,
      blockingExecution: 'e1',
      retryAfter: '2026-12-01T16:00:00.000Z',
    });
    expect(await acquire(store, 'e2', 'alarm', '2026-12-01T12:00:00Z')).toEqual(expected('alarm'));
    expect(await acquire(store, 'e2', 'schedule', '2026-12-01T15:59:59.999Z')).toEqual(expected('schedule'));
    expect(await acquire(store, 'e2', 'schedule', '2026-12-01T16:00:00Z')).toEqual({ acquired: true });
  });

  it('lets data drops and people through during the cool-down, without restarting it', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'schedule', '2026-12-01T10:00:00Z');
    await releaseRetrainingGuard(store, 'p', 'e1');
    expect(await acquire(store, 'e2', 'manual', '2026-12-01T12:00:00Z')).toEqual({ acquired: true });
    await releaseRetrainingGuard(store, 'p', 'e2');
    expect(await acquire(store, 'e3', 's3', '2026-12-01T13:00:00Z')).toEqual({ acquired: true });
    await releaseRetrainingGuard(store, 'p', 'e3');
    // Still counted from e1: had the manual or s3 run restarted it, 16:00 would be refused.
    expect(await acquire(store, 'e4', 'alarm', '2026-12-01T16:00:00Z')).toEqual({ acquired: true });
  });

  it('does not start the cool-down with a data drop or a person: the first drift alarm after the first training runs', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'first-drop', 's3', '2026-12-01T10:00:00Z');
    await releaseRetrainingGuard(store, 'p', 'first-drop');
    expect(await acquire(store, 'drift', 'alarm', '2026-12-01T10:00:20Z')).toEqual({ acquired: true });
  });

  it('is not started by a refused run', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'manual', '2026-12-01T10:00:00Z');
    expect((await acquire(store, 'e2', 'alarm', '2026-12-01T10:01:00Z')).acquired).toBe(false);
    await releaseRetrainingGuard(store, 'p', 'e1');
    expect(await acquire(store, 'e3', 'alarm', '2026-12-01T10:02:00Z')).toEqual({ acquired: true });
  });

  it('is off at 0 minutes', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'alarm', '2026-12-01T10:00:00Z', { coolDownMs: 0 });
    await releaseRetrainingGuard(store, 'p', 'e1');
    expect(await acquire(store, 'e2', 'alarm', '2026-12-01T10:00:00Z', { coolDownMs: 0 })).toEqual({ acquired: true });
  });

  it('survives the release: the item keeps where the cool-down started and holds no run', async () => {
    const store = memoryGuardStore();
    await acquire(store, 'e1', 'alarm', '2026-12-01T10:00:00Z');
    expect(await store.read('p')).toEqual<GuardItem>({
      revision: 1,
      runningExecution: 'e1',
      runningTrigger: 'alarm',
      runningSince: '2026-12-01T10:00:00.000Z',
      coolDownFrom: '2026-12-01T10:00:00.000Z',
      coolDownExecution: 'e1',
    });
    await releaseRetrainingGuard(store, 'p', 'e1');
    expect(await store.read('p')).toEqual({ revision: 2, coolDownFrom: '2026-12-01T10:00:00.000Z', coolDownExecution: 'e1' });
  });
});

describe('retraining guard: the workflow step', () => {
  const deps = (store: GuardStore, coolDownMs: () => Promise<number>) => ({ store, clock: () => at('2026-12-01T10:00:00Z'), coolDownMs });

  it("reads the project's cool-down for alarm and schedule runs only", async () => {
    const store = memoryGuardStore();
    const broken = async (): Promise<number> => {
      throw new Error('training.json: retraining.coolDownMinutes: too big');
    };
    // A data drop or a person must not fail on the cool-down setting they do not use.
    expect(await runRetrainingGuardStep('p', { action: 'acquire', executionId: 'e1', trigger: 's3' }, deps(store, broken))).toEqual({ acquired: true });
    expect(await runRetrainingGuardStep('p', { action: 'release', executionId: 'e1' }, deps(store, broken))).toEqual({ released: true });
    await expect(runRetrainingGuardStep('p', { action: 'acquire', executionId: 'e2', trigger: 'alarm' }, deps(store, broken))).rejects.toThrow(/too big/);
    const asked: string[] = [];
    const tenMinutes = async (): Promise<number> => {
      asked.push('cool-down');
      return 600_000;
    };
    expect(await runRetrainingGuardStep('p', { action: 'acquire', executionId: 'e3', trigger: 'schedule' }, deps(store, tenMinutes))).toEqual({ acquired: true });
    expect(asked).toEqual(['cool-down']);
    expect(await runRetrainingGuardStep('p', { action: 'release', executionId: 'e9' }, deps(store, tenMinutes))).toEqual({ released: false });
  });

  it('parses the step input with the bad fields named', () => {
    expect(RetrainingGuardStepInput.safeParse({ action: 'acquire', executionId: 'e1', trigger: 'drift' }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'trigger: must be one of s3, schedule, alarm, manual',
    ]);
    expect(RetrainingGuardStepInput.safeParse({ action: 'lock', executionId: 'e1' }).error?.issues[0].message).toBe("action must be 'acquire' or 'release'");
    expect(RetrainingGuardStepInput.safeParse({ action: 'release', executionId: '' }).success).toBe(false);
  });
});

describe('training configuration: retraining', () => {
  it('defaults the cool-down to 360 minutes and allows 0', () => {
    expect(TrainingConfig.parse({}).retraining).toEqual({ coolDownMinutes: 360 });
    expect(TrainingConfig.parse({ retraining: {} }).retraining).toEqual({ coolDownMinutes: 360 });
    expect(TrainingConfig.parse({ retraining: { coolDownMinutes: 0 } }).retraining).toEqual({ coolDownMinutes: 0 });
  });

  it('refuses negative, fractional, huge and unknown settings by name', () => {
    const problems = (retraining: unknown): string[] =>
      TrainingConfig.safeParse({ retraining }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(problems({ coolDownMinutes: -1 })).toEqual([expect.stringMatching(/^retraining\.coolDownMinutes: .*>=0/)]);
    expect(problems({ coolDownMinutes: 1.5 })).toEqual(['retraining.coolDownMinutes: must be a whole number of minutes']);
    expect(problems({ coolDownMinutes: 50_000 })).toEqual([expect.stringMatching(/^retraining\.coolDownMinutes: .*<=43200/)]);
    expect(problems({ coolDownHours: 6 })).toEqual([expect.stringMatching(/^retraining: .*coolDownHours/)]);
  });
});
