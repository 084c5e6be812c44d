import { parseArgs } from 'node:util';
import { closestMatch } from './closest-match';

/** A usage error: names the bad flag or value; `command` is the command whose help to point at ('' for the top level). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag a command accepts, described once for both parsing and help. */
export interface FlagSpec {
  /** Long name without dashes, e.g. 'target'. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in help, e.g. 'COL'. Only for string flags. */
  readonly value?: string;
  readonly description: string;
  /** The default as help shows it. @default - none shown */
  readonly defaultText?: string;
}

export interface PositionalSpec {
  /** Upper-case placeholder, e.g. 'NAME'. */
  readonly name: string;
  readonly description: string;
}

/** The flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'state-dir',
    type: 'string',
    value: 'DIR',
    description: 'where the local cloud keeps its state (S3 objects, tables, runs, projects)',
    defaultText: '$LUMINA_STATE_DIR, else .lumina in the current directory',
  },
  { name: 'json', type: 'boolean', description: 'machine-readable output: only JSON on stdout, progress on stderr' },
  { name: 'verbose', type: 'boolean', description: "forward the local cloud's log lines (Lambda logs) to stderr; stack traces on errors" },
  { name: 'help', type: 'boolean', short: 'h', description: 'show this help' },
];

export interface ParsedCommand {
  readonly help: boolean;
  readonly positionals: Readonly<Record<string, string>>;
  /** A string flag's value, or undefined when absent. */
  string(name: string): string | undefined;
  /** Whether a boolean flag was given. */
  boolean(name: string): boolean;
}

/** `--help`/`-h` anywhere before a `--` terminator asks for help, whatever else is wrong with the line. */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Strict parsing with messages that name the flag: unknown flags (with the closest known
 * one), missing values, values on boolean flags, repeated flags, missing and stray
 * positionals.
 */
export function parseCommandArgs(command: string, argv: readonly string[], flags: readonly FlagSpec[], positionals: readonly PositionalSpec[]): ParsedCommand {
  const all = [...GLOBAL_FLAGS, ...flags];
  const byName = new Map(all.map((f) => [f.name, f]));
  const byShort = new Map(all.filter((f) => f.short).map((f) => [f.short!, f]));
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };

  if (asksForHelp(argv)) return { help: true, positionals: {}, string: () => undefined, boolean: () => false };

  const { tokens } = parseArgs({ args: [...argv], options: {}, allowPositionals: true, strict: false, tokens: true });
  const values = new Map<string, string | boolean>();
  const rest: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'positional') {
      rest.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const flag = token.rawName.startsWith('--') ? byName.get(token.name) : byShort.get(token.name);
    if (!flag) {
      const suggestion = closestMatch(token.name, [...byName.keys()]);
      fail(`unknown flag ${token.rawName}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`);
      continue;
    }
    const shown = `--${flag.name}`;
    if (values.has(flag.name)) fail(`${shown} is given more than once`);
    if (flag.type === 'boolean') {
      if (token.inlineValue) fail(`${shown} takes no value (got '${token.value}')`);
      values.set(flag.name, true);
      continue;
    }
    // Non-strict parsing leaves a string flag's value out when the next argument looks like a flag.
    let value = token.value;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next?.kind === 'positional' && next.index === token.index + 1) {
        value = next.value;
        i += 1;
      }
    }
    if (value === undefined) {
      const following = argv[token.index + 1];
      const hint = following?.startsWith('-') && following !== '--' ? `; for a value that starts with '-', write ${shown}=${following}` : '';
      fail(`${shown} needs a value (${flag.value ?? 'VALUE'})${hint}`);
    }
    values.set(flag.name, value!);
  }

  if (rest.length > positionals.length) fail(`unexpected argument '${rest[positionals.length]}'`);
  const named: Record<string, string> = {};
  positionals.forEach((p, index) => {
    if (rest[index] === undefined) fail(`missing ${p.name} (${p.description})`);
    named[p.name] = rest[index];
  });
  return {
    help: false,
    positionals: named,
    string: (name) => {
      const value = values.get(name);
      return typeof value === 'string' ? value : undefined;
    },
    boolean: (name) => values.get(name) === true,
  };
}
