import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, runCli } from '../../../local/cli/main';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

function setup(env: Record<string, string> = {}) {
  const cwd = temporaryDir();
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd, state, env });
  return { cwd, state, ...recording, run: (argv: string[]) => runCli(argv, recording.io) };
}

afterAll(removeTemporaryDirs);

describe('lumina help and version', () => {
  it('--version prints the version from package.json', async () => {
    // Prepare
    const cli = setup();
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string };

    // Act
    const code = await cli.run(['--version']);

    // Assess
    expect(code).toBe(0);
    expect(cli.stdout()).toBe(`${version}\n`);
  });

  it.each([[['--help']], [['-h']], [['help']]])('%j prints the general help listing every command and the exit codes', async (argv) => {
    const cli = setup();

    const code = await cli.run(argv);

    expect(code).toBe(0);
    for (const command of COMMANDS) expect(cli.stdout()).toContain(`  ${command.name} `);
    expect(cli.stdout()).toContain('--state-dir DIR');
    expect(cli.stdout()).toMatch(/3\s+a pipeline run failed/);
    expect(cli.state.starts).toHaveLength(0);
  });

  it.each(COMMANDS.map((c) => [c.name]))('lumina %s --help shows usage, every flag with its description and an example, without starting the cloud', async (name) => {
    const cli = setup();
    const command = COMMANDS.find((c) => c.name === name)!;

    const code = await cli.run([...name.split(' '), '--help']);

    expect(code).toBe(0);
    const help = cli.stdout();
    expect(help).toContain(`Usage: lumina ${name}`);
    for (const flag of command.flags) expect(help).toMatch(new RegExp(`--${flag.name}.*${flag.description.slice(0, 20).replace(/[()]/g, '.')}`));
    for (const positional of command.positionals) expect(help).toContain(positional.name);
    expect(help).toMatch(/Examples?:\n {2}lumina /);
    expect(help).toContain('--json');
    expect(cli.state.starts).toHaveLength(0);
  });

  it.each(COMMANDS.map((c) => [c.name]))("lumina help %s prints the same text as --help", async (name) => {
    const viaHelp = setup();
    const viaFlag = setup();

    await viaHelp.run(['help', ...name.split(' ')]);
    await viaFlag.run([...name.split(' '), '-h']);

    expect(viaHelp.stdout()).toBe(viaFlag.stdout());
  });

  it('help wins over other mistakes on the line', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'create', '--bogus', '--help']);

    expect(code).toBe(0);
    expect(cli.stdout()).toContain('Usage: lumina project create NAME --target COL');
  });

  it('defaults are shown in the help', async () => {
    const cli = setup();

    await cli.run(['project', 'create', '--help']);

    expect(cli.stdout()).toMatch(/--drift-threshold X .*\(default: 0\.2\)/);
    expect(cli.stdout()).toMatch(/--instance-type T .*\(default: ml\.g5\.xlarge\)/);
    expect(cli.stdout()).toMatch(/--state-dir DIR .*\(default: \$LUMINA_STATE_DIR, else \.lumina/);
  });

  it('lumina project --help lists the group commands', async () => {
    const cli = setup();

    const code = await cli.run(['project', '--help']);

    expect(code).toBe(0);
    expect(cli.stdout()).toMatch(/project create\s+Create an ML project/);
    expect(cli.stdout()).toMatch(/project list\s+List the ML projects/);
  });
});

describe('lumina command errors', () => {
  it.each([
    [['projet', 'list'], "unknown command 'projet list' (did you mean 'project list'?)", "Run 'lumina --help' for usage."],
    [['rnus', 'adherence'], "unknown command 'rnus adherence' (did you mean 'runs'?)", "Run 'lumina --help' for usage."],
    [['project', 'crate', 'x'], "unknown command 'project crate' (did you mean 'project create'?)", "Run 'lumina project --help' for usage."],
    [['dat', 'put'], "unknown command 'dat put' (did you mean 'data put'?)", "Run 'lumina --help' for usage."],
  ])('%j suggests the closest command and exits 2', async (argv, message, hint) => {
    const cli = setup();

    const code = await cli.run(argv);

    expect(code).toBe(2);
    expect(cli.stderr()).toBe(`lumina: ${message}\n${hint}\n`);
    expect(cli.stdout()).toBe('');
  });

  it('an unknown command with nothing close gets no suggestion', async () => {
    const cli = setup();

    const code = await cli.run(['deploy']);

    expect(code).toBe(2);
    expect(cli.stderr()).toBe("lumina: unknown command 'deploy'\nRun 'lumina --help' for usage.\n");
  });

  it('no command prints the help on stderr and exits 2', async () => {
    const cli = setup();

    const code = await cli.run([]);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('Usage: lumina COMMAND');
    expect(cli.stderr()).toContain('lumina: missing COMMAND');
  });

  it("a group without its command names the choices", async () => {
    const cli = setup();

    const code = await cli.run(['project']);

    expect(code).toBe(2);
    expect(cli.stderr()).toBe("lumina: missing command after 'project': one of create, list, delete\nRun 'lumina project --help' for usage.\n");
  });

  it('an unknown flag before the command is named', async () => {
    const cli = setup();

    const code = await cli.run(['--jsno', 'project', 'list']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('lumina: unknown flag --jsno before the command (did you mean --json?)');
  });

  it('a failure that is not a usage error exits 1 with one line and no stack trace', async () => {
    const cli = setup();
    await cli.run(['project', 'create', 'adherence', '--target', 'y']);

    const code = await cli.run(['project', 'create', 'adherence', '--target', 'y']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: project adherence already exists\n');
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
    expect(cli.stderr()).not.toContain('for usage');
  });

  it('--verbose adds the stack trace to a failure', async () => {
    const cli = setup();
    await cli.run(['project', 'create', 'adherence', '--target', 'y']);

    const code = await cli.run(['project', 'create', 'adherence', '--target', 'y', '--verbose']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: project adherence already exists\n');
    expect(cli.stderr()).toMatch(/^\s+at /m);
  });
});

describe('lumina global flags', () => {
  it('the state directory defaults to .lumina under the current directory', async () => {
    const cli = setup();

    await cli.run(['project', 'list']);

    expect(cli.state.starts[0].stateDir).toBe(path.join(cli.cwd, '.lumina'));
  });

  it('LUMINA_STATE_DIR sets the state directory, relative to the current directory', async () => {
    const cli = setup({ LUMINA_STATE_DIR: 'from-env' });

    await cli.run(['project', 'list']);

    expect(cli.state.starts[0].stateDir).toBe(path.join(cli.cwd, 'from-env'));
  });

  it('--state-dir overrides LUMINA_STATE_DIR, also before the command', async () => {
    const cli = setup({ LUMINA_STATE_DIR: 'from-env' });
    const explicit = path.join(cli.cwd, 'explicit');

    await cli.run(['--state-dir', explicit, 'project', 'list']);

    expect(cli.state.starts[0].stateDir).toBe(explicit);
  });

  it('--json prints only JSON on stdout and its progress on stderr', async () => {
    const cli = setup();

    const code = await cli.run(['--json', 'project', 'list']);

    expect(code).toBe(0);
    expect(JSON.parse(cli.stdout())).toEqual([]);
    expect(cli.stderr()).toContain('starting the local cloud on');
  });

  it("--verbose forwards the local cloud's log lines to stderr", async () => {
    const quiet = setup();
    const verbose = setup();

    await quiet.run(['project', 'list']);
    await verbose.run(['project', 'list', '--verbose']);

    expect(quiet.state.starts[0].log).toBeUndefined();
    expect(quiet.stderr()).not.toContain('[fake] deployed');
    expect(verbose.stderr()).toContain('[fake] deployed LuminaOps: 12 resources\n');
  });

  it('an empty --state-dir is a usage error', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'list', '--state-dir=']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('lumina: --state-dir needs a directory');
  });
});
