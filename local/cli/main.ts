/**
 * The `lumina` CLI: finds the command in argv, parses its flags, runs it, and turns every
 * failure into one `lumina: ...` line and an exit code. Takes its I/O and the local-cloud
 * factory as arguments, so tests drive it in-process.
 */
import * as path from 'node:path';
import packageJson from '../../package.json';
import { GLOBAL_FLAGS, UsageError, asksForHelp, parseCommandArgs } from './args';
import { closestMatch } from './closest-match';
import { processStopRequests } from './cloud-session';
import { type CliContext, type CliIo, type CommandSpec, EXIT_CODES } from './command';
import { abCommand } from './commands/ab';
import { auditCommand } from './commands/audit';
import { dataImportCommand, dataPutCommand } from './commands/data';
import { DATASET_COMMANDS } from './commands/datasets';
import { compareCommand, experimentsCommand } from './commands/experiments';
import { FEATURE_COMMANDS } from './commands/features';
import { labelsPutCommand } from './commands/labels';
import { modelCommand, modelsCommand } from './commands/models';
import { predictCommand } from './commands/predict';
import { projectCreateCommand, projectDeleteCommand, projectListCommand } from './commands/project';
import { approveCommand, promoteCommand, rollbackCommand } from './commands/promote';
import { reportCommand } from './commands/report';
import { runsCommand } from './commands/runs';
import { trainCommand } from './commands/train';
import { upCommand } from './commands/up';
import { renderCommandHelp, renderGroupHelp, renderMainHelp } from './help';

export type { CliIo } from './command';
export { EXIT_CODES } from './command';

export const COMMANDS: readonly CommandSpec[] = [
  upCommand,
  projectCreateCommand,
  projectListCommand,
  projectDeleteCommand,
  dataPutCommand,
  dataImportCommand,
  runsCommand,
  trainCommand,
  modelsCommand,
  modelCommand,
  experimentsCommand,
  compareCommand,
  approveCommand,
  promoteCommand,
  rollbackCommand,
  auditCommand,
  predictCommand,
  abCommand,
  ...FEATURE_COMMANDS,
  labelsPutCommand,
  reportCommand,
  ...DATASET_COMMANDS,
];

const helpCommand: CommandSpec = {
  name: 'help',
  summary: 'Show help for lumina or for a command',
  synopsis: 'help [COMMAND]',
  description: ["Prints the general help, or a command's help: 'lumina help data put' is 'lumina data put --help'."],
  positionals: [],
  flags: [],
  examples: ['lumina help project create'],
  run: async () => EXIT_CODES.ok,
};

const ALL_COMMANDS = [...COMMANDS, helpCommand];

/** Runs one `lumina` invocation (argv without node and the script) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const verbose = argv.slice(0, terminatorIndex(argv)).includes('--verbose');
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const helpCommandLine = error.command ? `lumina ${error.command} --help` : 'lumina --help';
      io.stderr.write(`lumina: ${error.message}\nRun '${helpCommandLine}' for usage.\n`);
      return EXIT_CODES.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`lumina: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT_CODES.failure;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const { leading, words, rest } = splitCommandLine(argv);
  if (words.length === 0) {
    if (leading.includes('--version')) {
      io.stdout.write(`${packageJson.version}\n`);
      return EXIT_CODES.ok;
    }
    if (asksForHelp(leading)) {
      io.stdout.write(renderMainHelp(ALL_COMMANDS));
      return EXIT_CODES.ok;
    }
    io.stderr.write(renderMainHelp(ALL_COMMANDS));
    throw new UsageError('missing COMMAND', '');
  }
  if (leading.includes('--version')) throw new UsageError('--version takes no command: run lumina --version', '');

  if (words[0] === 'help') {
    io.stdout.write(helpFor(words.slice(1), rest));
    return EXIT_CODES.ok;
  }
  if (isGroup(words[0]) && words.length === 1 && asksForHelp(rest)) {
    io.stdout.write(groupHelp(words[0]));
    return EXIT_CODES.ok;
  }
  // Leading flags go first, so a `--` terminator in the rest still ends the flags.
  const { command, args } = findCommand(words, [...leading, ...rest]);
  const parsed = parseCommandArgs(command.name, args, command.flags, command.positionals);
  if (parsed.help) {
    io.stdout.write(renderCommandHelp(command));
    return EXIT_CODES.ok;
  }
  const stateDirFlag = parsed.string('state-dir');
  if (stateDirFlag !== undefined && stateDirFlag.trim() === '') throw new UsageError('--state-dir needs a directory (got an empty value)', command.name);
  const context: CliContext = {
    io,
    stateDir: path.resolve(io.cwd, stateDirFlag ?? (io.env.LUMINA_STATE_DIR || '.lumina')),
    json: parsed.boolean('json'),
    verbose: parsed.boolean('verbose'),
    stopRequests: io.stopRequests ?? processStopRequests,
    print: (text) => io.stdout.write(text),
    note: (line) => io.stderr.write(`${line}\n`),
  };
  return command.run(parsed, context);
}

/**
 * Global flags may come before the command (`lumina --json project list`). Returns those
 * leading flags, the command words and the rest of the line.
 */
function splitCommandLine(argv: readonly string[]): { leading: string[]; words: string[]; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-') && argv[i] !== '--'; i++) {
    const arg = argv[i];
    if (arg === '--version' || arg === '--help' || arg === '-h') {
      leading.push(arg);
      continue;
    }
    const name = arg.replace(/^--/, '').split('=')[0];
    const flag = GLOBAL_FLAGS.find((f) => f.name === name && arg.startsWith('--'));
    if (!flag) {
      const suggestion = closestMatch(name.replace(/^-+/, ''), [...GLOBAL_FLAGS.map((f) => f.name), 'version']);
      throw new UsageError(`unknown flag ${arg} before the command${suggestion ? ` (did you mean --${suggestion}?)` : ''}`, '');
    }
    leading.push(arg);
    if (flag.type === 'string' && !arg.includes('=') && i + 1 < argv.length) leading.push(argv[++i]);
  }
  const remaining = argv.slice(i);
  // Groups take a second word; so does an unknown command, for the suggestion.
  const groupWords = isGroup(remaining[0]) || !ALL_COMMANDS.some((c) => c.name === remaining[0]) ? 2 : 1;
  const words: string[] = [];
  while (words.length < groupWords && remaining.length > 0 && !remaining[0].startsWith('-')) words.push(remaining.shift()!);
  return { leading, words, rest: remaining };
}

function findCommand(words: readonly string[], args: string[]): { command: CommandSpec; args: string[] } {
  const [first, second] = words;
  if (isGroup(first)) {
    const members = groupMembers(first);
    // A group word may also be a command of its own (`dataset NAME ID` beside `dataset approve`): a second word naming no member is its first argument.
    const own = COMMANDS.find((c) => c.name === first);
    if (own && !members.some((c) => c.name === `${first} ${second}`)) return { command: own, args: second === undefined ? args : [second, ...args] };
    if (second === undefined) {
      throw new UsageError(`missing command after '${first}': one of ${members.map((c) => c.name.split(' ')[1]).join(', ')}`, first);
    }
    const command = members.find((c) => c.name === `${first} ${second}`);
    if (!command) {
      const suggestion = closestMatch(second, members.map((c) => c.name.split(' ')[1]));
      throw new UsageError(`unknown command '${first} ${second}'${suggestion ? ` (did you mean '${first} ${suggestion}'?)` : ''}`, first);
    }
    return { command, args };
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command) return { command, args };
  throw new UsageError(`unknown command '${words.join(' ')}'${suggestionFor(words)}`, '');
}

/** `lumina help [COMMAND...]` */
function helpFor(topic: readonly string[], rest: readonly string[]): string {
  const words = [...topic, ...rest.filter((a) => !a.startsWith('-'))];
  if (words.length === 0) return renderMainHelp(ALL_COMMANDS);
  if (words[0] === 'help') return renderCommandHelp(helpCommand);
  if (isGroup(words[0]) && words.length === 1) return groupHelp(words[0]);
  const name = words.slice(0, isGroup(words[0]) ? 2 : 1).join(' ');
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`no help for unknown command '${name}'${suggestionFor(words)}`, 'help');
  return renderCommandHelp(command);
}

function suggestionFor(words: readonly string[]): string {
  const topLevel = [...new Set(ALL_COMMANDS.map((c) => c.name.split(' ')[0]))];
  const first = closestMatch(words[0], topLevel);
  if (!first) return '';
  if (!isGroup(first)) return ` (did you mean '${first}'?)`;
  const members = groupMembers(first).map((c) => c.name.split(' ')[1]);
  const second = words[1] === undefined ? undefined : closestMatch(words[1], members);
  return ` (did you mean '${first} ${second ?? members.join('|')}'?)`;
}

function isGroup(word: string | undefined): boolean {
  return word !== undefined && COMMANDS.some((c) => c.name.startsWith(`${word} `));
}

function groupMembers(group: string): CommandSpec[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${group} `));
}

/** A group's help; a group word that is also a command (`dataset`) shows that command's help first. */
function groupHelp(group: string): string {
  const own = COMMANDS.find((c) => c.name === group);
  const members = renderGroupHelp(group, groupMembers(group));
  return own ? `${renderCommandHelp(own)}\n${members}` : members;
}

function terminatorIndex(argv: readonly string[]): number {
  const index = argv.indexOf('--');
  return index === -1 ? argv.length : index;
}
