/** What every CLI command is made of: its I/O, its context and its description. */
import type { LocalCloudApi, LocalCloudOptions } from '../cloud-api';
import type { FlagSpec, ParsedCommand, PositionalSpec } from './args';

/** Where text goes: process.stdout/stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

export type StartCloud = (options: LocalCloudOptions) => Promise<LocalCloudApi>;

/** Subscribes to the user's request to stop (Ctrl-C); returns the unsubscribe. */
export type StopRequests = (listener: (signal: string) => void) => () => void;

/** What the user types, line by line (a confirmation). */
export interface LineInput {
  /** Whether a person is at a terminal (not a pipe, a file or a CI job). */
  readonly isTTY: boolean;
  /** The next line without its line ending; undefined at the end of the input. */
  readLine(): Promise<string | undefined>;
}

/** Everything the CLI touches outside itself, so tests can drive it in-process. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly startCloud: StartCloud;
  /** @default the first SIGINT or SIGTERM this process receives */
  readonly stopRequests?: StopRequests;
  /** @default - no input: a command that asks for confirmation needs --yes */
  readonly stdin?: LineInput;
}

export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** A pipeline run that the command waited for failed, timed out or was aborted. */
  runFailed: 3,
  /** Stopped by Ctrl-C before it finished (128 + SIGINT). */
  interrupted: 130,
} as const;

export interface CliContext {
  readonly io: CliIo;
  /** Absolute. */
  readonly stateDir: string;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly stopRequests: StopRequests;
  /** Writes a result to stdout as it is. */
  print(text: string): void;
  /** Writes a progress or notice line to stderr. */
  note(line: string): void;
}

export interface CommandSpec {
  /** Words after `lumina`, e.g. 'project create'. */
  readonly name: string;
  readonly summary: string;
  /** The synopsis after `lumina`, e.g. 'project create NAME --target COL [flags]'. */
  readonly synopsis: string;
  /** Paragraphs shown under the synopsis. */
  readonly description: readonly string[];
  readonly positionals: readonly PositionalSpec[];
  readonly flags: readonly FlagSpec[];
  readonly examples: readonly string[];
  /** Exit codes beyond the common ones (0, 1, 2, 130). @default - none */
  readonly extraExitCodes?: readonly string[];
  run(args: ParsedCommand, context: CliContext): Promise<number>;
}
