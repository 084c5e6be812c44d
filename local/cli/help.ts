/** Help texts, rendered from the command specs so flags, defaults and help never disagree. */
import { type FlagSpec, GLOBAL_FLAGS } from './args';
import type { CommandSpec } from './command';
import { formatFields } from './output';

const EXIT_CODE_LINES = ['0  success', '1  failure (the message says what failed)', '2  usage error (a bad command, flag or value)', '130  interrupted by Ctrl-C'];

export function renderMainHelp(commands: readonly CommandSpec[]): string {
  return [
    'lumina: run the LuminaOps platform on this machine (the local cloud)',
    '',
    'Usage: lumina COMMAND [ARGS] [flags]',
    '',
    'Commands:',
    formatFields(commands.map((c) => [c.name, c.summary])).trimEnd(),
    '',
    'Global flags (every command):',
    renderFlags([...GLOBAL_FLAGS, { name: 'version', type: 'boolean', description: 'print the version and exit' }]),
    '',
    'Exit codes:',
    exitCodes(['3  a pipeline run failed (lumina data put, lumina train)']),
    '',
    'Example:',
    '  lumina project create adherence --target stopped_within_30d --entity-id patient_id',
    '  lumina data put adherence patients.csv --training',
    '  lumina runs adherence',
    '',
    "Run 'lumina COMMAND --help' for a command's arguments and flags.",
    '',
  ].join('\n');
}

/** `lumina project --help`: the group's commands. */
export function renderGroupHelp(group: string, commands: readonly CommandSpec[]): string {
  return [
    `Usage: lumina ${group} COMMAND [ARGS] [flags]`,
    '',
    'Commands:',
    formatFields(commands.map((c) => [c.name, c.summary])).trimEnd(),
    '',
    `Run 'lumina ${group} COMMAND --help' for a command's arguments and flags.`,
    '',
  ].join('\n');
}

export function renderCommandHelp(command: CommandSpec): string {
  const sections = [`Usage: lumina ${command.synopsis}`, '', ...command.description.flatMap((p) => [wrap(p, 90), ''])];
  if (command.positionals.length > 0) {
    sections.push('Arguments:', formatFields(command.positionals.map((p) => [p.name, p.description])).trimEnd(), '');
  }
  if (command.flags.length > 0) sections.push('Flags:', renderFlags(command.flags), '');
  // A command may give a global flag's name its own meaning (predict's --json BODY): list it once, as the command's.
  sections.push('Global flags:', renderFlags(GLOBAL_FLAGS.filter((g) => !command.flags.some((f) => f.name === g.name))), '');
  sections.push('Exit codes:', exitCodes(command.extraExitCodes ?? []), '');
  sections.push(command.examples.length > 1 ? 'Examples:' : 'Example:', ...command.examples.map((e) => `  ${e}`), '');
  return sections.join('\n');
}

function renderFlags(flags: readonly FlagSpec[]): string {
  return formatFields(
    flags.map((f) => {
      const names = `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
      return [names, `${f.description}${f.defaultText ? ` (default: ${f.defaultText})` : ''}`];
    }),
  ).trimEnd();
}

function exitCodes(extra: readonly string[]): string {
  const lines = [...EXIT_CODE_LINES.slice(0, 3), ...extra, EXIT_CODE_LINES[3]];
  return formatFields(lines.map((line) => {
    const [code, ...rest] = line.split('  ');
    return [code, rest.join('  ')];
  })).trimEnd();
}

function wrap(paragraph: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
