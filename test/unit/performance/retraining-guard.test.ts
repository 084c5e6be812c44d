import { acquireRetrainingGuard, memoryGuardStore, releaseRetrainingGuard } from '../../../lambdas/core/performance/retraining-guard';

const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;

describe('retraining guard', () => {
  it('lets one of many simultaneous alarm-triggered runs through', async () => {
    const store = memoryGuardStore();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => acquireRetrainingGuard(store, { project: 'p', executionId: `e${i}`, trigger: 'alarm', now: at('2026-12-01T10:00:00Z') })),
    );
    expect(outcomes.filter((o) => o.acquired)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.acquired).every((o) => !o.acquired && o.reason === 'running')).toBe(true);
  });

  it('refuses alarm and schedule runs during the cool-down after a run, but not data drops or people', async () => {
    const store = memoryGuardStore();
    await acquireRetrainingGuard(store, { project: 'p', executionId: 'e1', trigger: 'alarm', now: at('2026-12-01T10:00:00Z'), coolDownMs: 6 * HOUR });
    expect(await releaseRetrainingGuard(store, 'p', 'e1')).toBe(true);
    const early = await acquireRetrainingGuard(store, { project: 'p', executionId: 'e2', trigger: 'alarm', now: at('2026-12-01T12:00:00Z'), coolDownMs: 6 * HOUR });
    expect(early).toEqual({
      acquired: false,
      reason: 'cooling-down',
      message: 'the last retraining started at 2026-12-01T10:00:00.000Z; the next alarm-triggered one may start after 2026-12-01T16:00:00.000Z',
      retryAfter: '2026-12-01T16:00:00.000Z',
    });
    expect((await acquireRetrainingGuard(store, { project: 'p', executionId: 'e3', trigger: 'manual', now: at('2026-12-01T12:00:00Z') })).acquired).toBe(true);
    await releaseRetrainingGuard(store, 'p', 'e3');
    expect((await acquireRetrainingGuard(store, { project: 'p', executionId: 'e4', trigger: 'schedule', now: at('2026-12-01T18:00:01Z'), coolDownMs: 6 * HOUR })).acquired).toBe(true);
  });

  it('names the running execution, keeps projects apart, and releases only for the holder', async () => {
    const store = memoryGuardStore();
    await acquireRetrainingGuard(store, { project: 'p', executionId: 'e1', trigger: 's3', now: at('2026-12-01T10:00:00Z') });
    const blocked = await acquireRetrainingGuard(store, { project: 'p', executionId: 'e2', trigger: 'manual', now: at('2026-12-01T10:01:00Z') });
    expect(blocked).toMatchObject({ acquired: false, reason: 'running', message: 'retraining e1 (s3, started 2026-12-01T10:00:00.000Z) is still running' });
    expect((await acquireRetrainingGuard(store, { project: 'q', executionId: 'e9', trigger: 'alarm', now: at('2026-12-01T10:01:00Z') })).acquired).toBe(true);
    expect(await releaseRetrainingGuard(store, 'p', 'e2')).toBe(false);
    expect((await acquireRetrainingGuard(store, { project: 'p', executionId: 'e1', trigger: 's3', now: at('2026-12-01T10:02:00Z') })).acquired).toBe(true); // a retry of the holder
  });
});
