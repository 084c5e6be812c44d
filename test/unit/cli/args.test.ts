import { type FlagSpec, UsageError, parseCommandArgs } from '../../../local/cli/args';

const FLAGS: FlagSpec[] = [
  { name: 'target', type: 'string', value: 'COL', description: 'the target' },
  { name: 'no-wait', type: 'boolean', description: 'do not wait' },
];
const POSITIONALS = [
  { name: 'NAME', description: 'the project' },
  { name: 'FILE', description: 'the file' },
];

function parse(argv: string[]) {
  return parseCommandArgs('data put', argv, FLAGS, POSITIONALS);
}

function usageError(argv: string[]): UsageError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe('parseCommandArgs', () => {
  it('reads positionals, string flags in both spellings, booleans and global flags in any order', () => {
    const parsed = parse(['--json', 'adherence', '--target', 'y', 'file.csv', '--no-wait', '--state-dir=/tmp/x']);

    expect(parsed.help).toBe(false);
    expect(parsed.positionals).toEqual({ NAME: 'adherence', FILE: 'file.csv' });
    expect(parsed.string('target')).toBe('y');
    expect(parsed.string('state-dir')).toBe('/tmp/x');
    expect(parsed.boolean('no-wait')).toBe(true);
    expect(parsed.boolean('json')).toBe(true);
    expect(parsed.boolean('verbose')).toBe(false);
  });

  it('takes a value that starts with a dash when written with =', () => {
    expect(parse(['a', 'b', '--target=-x']).string('target')).toBe('-x');
  });

  it('takes arguments after -- as positionals', () => {
    expect(parse(['a', '--', '--odd-file-name']).positionals).toEqual({ NAME: 'a', FILE: '--odd-file-name' });
  });

  it('reports help without checking the rest', () => {
    expect(parse(['--unknown', '-h']).help).toBe(true);
  });

  it.each([
    [['a', 'b', '--bogus'], 'unknown flag --bogus'],
    [['a', 'b', '-x'], 'unknown flag -x'],
    [['a', 'b', '--no-wiat'], 'unknown flag --no-wiat (did you mean --no-wait?)'],
    [['a', 'b', '--target'], '--target needs a value (COL)'],
    [['a', 'b', '--target', '--json'], "--target needs a value (COL); for a value that starts with '-', write --target=--json"],
    [['a', 'b', '--no-wait=yes'], "--no-wait takes no value (got 'yes')"],
    [['a', 'b', '--target', 'x', '--target=y'], '--target is given more than once'],
    [['a'], 'missing FILE (the file)'],
    [[], 'missing NAME (the project)'],
    [['a', 'b', 'c'], "unexpected argument 'c'"],
  ])('%j fails with "%s"', (argv, message) => {
    const error = usageError(argv);

    expect(error.message).toBe(message);
    expect(error.command).toBe('data put');
  });
});
