import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../local/cli/main';
import { STATE_LOCK_FILE, StateDirBusyError, acquireStateLock, readStateLock } from '../../../local/cli/state-lock';
import { FAKE_BUCKET, FAKE_ENDPOINTS, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

/** Above Linux's largest pid_max (2^22): no process can have it. */
const DEAD_PID = 2 ** 22 + 1;

function writeLock(stateDir: string, record: object | string): string {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, STATE_LOCK_FILE);
  fs.writeFileSync(file, typeof record === 'string' ? record : JSON.stringify(record));
  return file;
}

afterAll(removeTemporaryDirs);

describe('state directory lock, through the CLI', () => {
  it('refuses to start while a live process holds the state directory, naming it', async () => {
    // Prepare
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const { io, stderr } = recordingIo({ cwd, state });
    const stateDir = path.join(cwd, '.lumina');
    const file = writeLock(stateDir, { pid: process.pid, command: 'up', startedAt: '2026-03-02T08:30:00.000Z', endpoints: FAKE_ENDPOINTS });

    // Act
    const code = await runCli(['project', 'list'], io);

    // Assess
    expect(code).toBe(1);
    expect(stderr()).toBe(`lumina: a local cloud is already running on ${stateDir} (pid ${process.pid}, started 2026-03-02 08:30:00Z); stop it or use another --state-dir\n`);
    expect(state.starts).toHaveLength(0);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('names the command when the holder is not lumina up', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const { io, stderr } = recordingIo({ cwd, state });
    writeLock(path.join(cwd, 'state'), { pid: process.pid, command: 'data put', startedAt: '2026-03-02T08:30:00.000Z' });

    const code = await runCli(['up', '--state-dir', 'state'], io);

    expect(code).toBe(1);
    expect(stderr()).toContain(`(pid ${process.pid}, lumina data put, started 2026-03-02 08:30:00Z)`);
  });

  it('removes a stale lock of a dead process with a notice, runs, and leaves no lock behind', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const { io, stderr } = recordingIo({ cwd, state });
    const file = writeLock(path.join(cwd, '.lumina'), { pid: DEAD_PID, command: 'up', startedAt: '2026-03-01T00:00:00.000Z' });

    const code = await runCli(['project', 'list'], io);

    expect(code).toBe(0);
    expect(stderr()).toContain(`removed a stale lock ${file} (pid ${DEAD_PID} is not running)\n`);
    expect(state.starts).toHaveLength(1);
    expect(fs.existsSync(file)).toBe(false);
  });

  it.each([['not JSON', '{"pid": 12'], ['pid 0', JSON.stringify({ pid: 0, startedAt: '2026-03-01T00:00:00.000Z' })]])('removes an unreadable lock file (%s) with a notice', async (_case, content) => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const { io, stderr } = recordingIo({ cwd, state });
    const file = writeLock(path.join(cwd, '.lumina'), content);

    const code = await runCli(['project', 'list'], io);

    expect(code).toBe(0);
    expect(stderr()).toContain(`removed an unreadable lock file ${file}\n`);
  });

  it('a --state-dir that is a file is a usage error naming it', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const { io, stderr } = recordingIo({ cwd, state });
    fs.writeFileSync(path.join(cwd, 'not-a-dir'), 'x');

    const code = await runCli(['project', 'list', '--state-dir', 'not-a-dir'], io);

    expect(code).toBe(2);
    expect(stderr()).toContain(`lumina: --state-dir ${path.join(cwd, 'not-a-dir')} is not a directory\n`);
  });
});

describe('lumina up', () => {
  it('prints the endpoints, holds the lock with them while up, and stops cleanly on SIGINT', async () => {
    // Prepare: stop as soon as the "how to stop" line is printed, and look at the lock file then.
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const stateDir = path.join(cwd, '.lumina');
    let lockWhileUp: ReturnType<typeof readStateLock> = 'missing';
    const recording = recordingIo({
      cwd,
      state,
      onWrite: (_stream, text) => {
        if (!text.includes('Ctrl-C')) return;
        lockWhileUp = readStateLock(stateDir);
        setImmediate(() => recording.requestStop('SIGINT'));
      },
    });
    await runCli(['project', 'create', 'adherence', '--target', 'y'], recording.io);

    // Act
    const code = await runCli(['up'], recording.io);

    // Assess
    expect(code).toBe(0);
    expect(lockWhileUp).toEqual({ pid: process.pid, command: 'up', startedAt: expect.any(String), endpoints: FAKE_ENDPOINTS });
    expect(recording.stdout()).toContain(`LuminaOps local cloud is up (pid ${process.pid})\n`);
    for (const line of [`state dir        ${stateDir}`, 'region           us-east-1', `S3               ${FAKE_ENDPOINTS.s3} (path-style)`, `DynamoDB         ${FAKE_ENDPOINTS.dynamodb}`, 'credentials      S3RVER / S3RVER', `artifact bucket  ${FAKE_BUCKET}`, 'projects         adherence (SC-000000000000-pp-adherence)', 'Stop it with Ctrl-C.']) {
      expect(recording.stdout()).toContain(line);
    }
    expect(recording.stderr()).toContain('SIGINT: stopping the local cloud\nlocal cloud stopped\n');
    expect(state.stops).toBe(2);
    expect(fs.existsSync(path.join(stateDir, STATE_LOCK_FILE))).toBe(false);
  });

  it('--json prints the endpoints as JSON and the stop hint on stderr; SIGTERM stops it too', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const recording = recordingIo({
      cwd,
      state,
      onWrite: (stream, text) => {
        if (stream === 'stderr' && text.includes('Ctrl-C')) setImmediate(() => recording.requestStop('SIGTERM'));
      },
    });

    const code = await runCli(['up', '--json'], recording.io);

    expect(code).toBe(0);
    expect(JSON.parse(recording.stdout())).toEqual({
      pid: process.pid,
      startedAt: expect.any(String),
      stateDir: path.join(cwd, '.lumina'),
      endpoints: FAKE_ENDPOINTS,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      artifactBucket: FAKE_BUCKET,
      functionUrls: [],
      projects: [],
    });
    expect(recording.stderr()).toContain('SIGTERM: stopping the local cloud');
  });
});

describe('acquireStateLock', () => {
  it('a second holder is refused with StateDirBusyError while the first holds the directory', () => {
    const stateDir = path.join(temporaryDir(), 'state');
    const first = acquireStateLock(stateDir, { command: 'up', pid: process.pid });

    expect(() => acquireStateLock(stateDir, { command: 'runs', pid: process.pid })).toThrow(StateDirBusyError);
    first.release();
    const second = acquireStateLock(stateDir, { command: 'runs', pid: process.pid });
    expect(second.record.command).toBe('runs');
    second.release();
  });

  it('release leaves a lock that another process has taken since', () => {
    const stateDir = temporaryDir();
    const mine = acquireStateLock(stateDir, { command: 'up', isAlive: () => false });
    const theirs = acquireStateLock(stateDir, { command: 'up', pid: process.pid, now: () => new Date('2030-01-01T00:00:00.000Z'), isAlive: () => false });

    mine.release();

    expect(readStateLock(stateDir)).toEqual(theirs.record);
  });
});
