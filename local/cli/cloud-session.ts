/**
 * Runs a command against the local cloud on the context's state directory: takes the
 * state lock, starts the cloud, runs the work, and always stops the cloud and releases
 * the lock, also when the user presses Ctrl-C.
 */
import * as fs from 'node:fs';
import type { LocalCloudApi } from '../cloud-api';
import { UsageError } from './args';
import { type CliContext, EXIT_CODES, type StopRequests } from './command';
import { type StateLock, acquireStateLock } from './state-lock';

export interface CloudSession {
  readonly cloud: LocalCloudApi;
  readonly lock: StateLock;
  /** Resolves with the signal's name when the user asks to stop. */
  readonly stopRequested: Promise<string>;
}

export interface CloudSessionOptions {
  /** The command's name, recorded in the lock file. */
  readonly command: string;
  /**
   * Whether a stop request ends the work early with exit code 130 (one-shot commands).
   * When false the work itself waits for `stopRequested` (`lumina up`).
   */
  readonly interruptible: boolean;
}

export async function withLocalCloud(context: CliContext, options: CloudSessionOptions, work: (session: CloudSession) => Promise<number>): Promise<number> {
  assertStateDirUsable(context.stateDir, options.command);
  const lock = acquireStateLock(context.stateDir, { command: options.command, notice: context.note });
  let signalled: string | undefined;
  let unsubscribe = (): void => undefined;
  const stopRequested = new Promise<string>((resolve) => {
    unsubscribe = context.stopRequests((signal) => {
      signalled = signal;
      resolve(signal);
    });
  });
  let cloud: LocalCloudApi | undefined;
  try {
    context.note(`starting the local cloud on ${context.stateDir}`);
    cloud = await context.io.startCloud({ stateDir: context.stateDir, log: context.verbose ? context.note : undefined });
    if (!options.interruptible) return await work({ cloud, lock, stopRequested });
    if (signalled) return interrupted(context, signalled);
    const running = work({ cloud, lock, stopRequested });
    // The work cannot be cancelled; once the cloud stops under it, its failure is expected.
    running.catch(() => undefined);
    const outcome = await Promise.race([running.then((code) => ({ code })), stopRequested.then((signal) => ({ signal }))]);
    return 'code' in outcome ? outcome.code : interrupted(context, outcome.signal);
  } finally {
    try {
      await cloud?.stop();
    } finally {
      lock.release();
      unsubscribe();
    }
  }
}

/** Stop requests as this process's first SIGINT or SIGTERM; a second Ctrl-C then ends the process at once. */
export const processStopRequests: StopRequests = (listener) => {
  const handler = (signal: NodeJS.Signals): void => {
    off();
    listener(signal);
  };
  const off = (): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return off;
};

function interrupted(context: CliContext, signal: string): number {
  context.note(`${signal}: stopping the local cloud before the command finished`);
  return EXIT_CODES.interrupted;
}

function assertStateDirUsable(stateDir: string, command: string): void {
  const stat = fs.statSync(stateDir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new UsageError(`--state-dir ${stateDir} is not a directory`, command);
}
