/**
 * One local cloud per state directory. The DynamoDB emulator keeps its tables in LevelDB,
 * which one process at a time may open, so every command that starts the local cloud
 * holds `<stateDir>/lumina-up.json` while it runs (`lumina up` for as long as it is up)
 * and a second command on the same directory refuses with a clear error instead of a
 * LevelDB lock failure. A file left by a process that died is stale and is removed.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalEndpoints } from '../cloud-api';
import { formatTimestamp } from './output';

export const STATE_LOCK_FILE = 'lumina-up.json';

export interface StateLockRecord {
  readonly pid: number;
  /** The command holding the state directory, e.g. 'up' or 'project create'. */
  readonly command: string;
  readonly startedAt: string;
  /** The emulators' endpoints, once the local cloud is up. */
  readonly endpoints?: LocalEndpoints;
}

/** The state directory is in use by a live process. */
export class StateDirBusyError extends Error {
  constructor(
    readonly stateDir: string,
    readonly holder: StateLockRecord,
  ) {
    const by = holder.command === 'up' ? '' : `, lumina ${holder.command}`;
    super(`a local cloud is already running on ${stateDir} (pid ${holder.pid}${by}, started ${formatTimestamp(holder.startedAt)}); stop it or use another --state-dir`);
    this.name = 'StateDirBusyError';
  }
}

export interface StateLock {
  readonly file: string;
  readonly record: StateLockRecord;
  /** Records the running cloud's endpoints in the lock file, for other tools to find. */
  setEndpoints(endpoints: LocalEndpoints): void;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

export interface AcquireStateLockOptions {
  readonly command: string;
  /** @default process.pid */
  readonly pid?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default isProcessAlive */
  readonly isAlive?: (pid: number) => boolean;
  /** Told when a stale lock is removed. @default - silent */
  readonly notice?: (message: string) => void;
}

/** Takes the state directory for this process, or throws StateDirBusyError naming the live holder. */
export function acquireStateLock(stateDir: string, options: AcquireStateLockOptions): StateLock {
  const isAlive = options.isAlive ?? isProcessAlive;
  const file = path.join(stateDir, STATE_LOCK_FILE);
  const record: StateLockRecord = { pid: options.pid ?? process.pid, command: options.command, startedAt: (options.now?.() ?? new Date()).toISOString() };
  fs.mkdirSync(stateDir, { recursive: true });
  // Two rounds: the second follows the removal of a stale lock, and loses only to a process that won the same race.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusively(file, serialize(record))) return heldLock(file, record);
    const holder = readStateLock(stateDir);
    if (holder === 'missing') continue;
    if (holder !== 'unreadable' && isAlive(holder.pid)) throw new StateDirBusyError(stateDir, holder);
    fs.rmSync(file, { force: true });
    options.notice?.(holder === 'unreadable' ? `removed an unreadable lock file ${file}` : `removed a stale lock ${file} (pid ${holder.pid} is not running)`);
  }
  const holder = readStateLock(stateDir);
  if (holder !== 'missing' && holder !== 'unreadable') throw new StateDirBusyError(stateDir, holder);
  throw new Error(`could not take the lock ${file}: another process keeps replacing it`);
}

/** The lock file's record, 'missing' when there is none, 'unreadable' when it is not a lock record. */
export function readStateLock(stateDir: string): StateLockRecord | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(path.join(stateDir, STATE_LOCK_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StateLockRecord>;
    // pid 0 or negative would address process groups in kill(): never trust one.
    if (!Number.isInteger(parsed.pid) || parsed.pid! <= 0 || typeof parsed.startedAt !== 'string') return 'unreadable';
    return { pid: parsed.pid!, command: typeof parsed.command === 'string' ? parsed.command : 'up', startedAt: parsed.startedAt, endpoints: parsed.endpoints };
  } catch {
    return 'unreadable';
  }
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heldLock(file: string, initial: StateLockRecord): StateLock {
  let record = initial;
  const stillOurs = (): boolean => {
    const current = readStateLock(path.dirname(file));
    return typeof current === 'object' && current.pid === record.pid && current.startedAt === record.startedAt;
  };
  return {
    file,
    get record() {
      return record;
    },
    setEndpoints(endpoints) {
      record = { ...record, endpoints };
      const temporary = temporaryName(file);
      fs.writeFileSync(temporary, serialize(record));
      fs.renameSync(temporary, file);
    },
    release() {
      if (stillOurs()) fs.rmSync(file, { force: true });
    },
  };
}

/** Creates `file` with `content` only if it does not exist; readers never see it half-written. */
function createExclusively(file: string, content: string): boolean {
  const temporary = temporaryName(file);
  fs.writeFileSync(temporary, content);
  try {
    fs.linkSync(temporary, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links: an exclusive create is the next best thing.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createWithExclusiveFlag(file, content);
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function createWithExclusiveFlag(file: string, content: string): boolean {
  try {
    fs.writeFileSync(file, content, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function temporaryName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function serialize(record: StateLockRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
