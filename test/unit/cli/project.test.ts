import { runCli } from '../../../local/cli/main';
import { FAKE_BUCKET, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

function setup(state = new FakeCloudState()) {
  const cwd = temporaryDir();
  const recording = recordingIo({ cwd, state });
  return { cwd, state, ...recording, run: (argv: string[]) => runCli(argv, recording.io) };
}

afterAll(removeTemporaryDirs);

describe('lumina project create: usage errors name the flag and the rule', () => {
  it.each([
    ['no NAME', [], 'missing NAME (project name'],
    ['no --target', ['adherence'], 'missing --target COL (the column the model predicts)'],
    ['an empty --target', ['adherence', '--target='], '--target must name a column (got an empty value)'],
    ['--target without its value', ['adherence', '--target'], '--target needs a value (COL)'],
    ['--target followed by a flag', ['adherence', '--target', '--json'], "--target needs a value (COL); for a value that starts with '-', write --target=--json"],
    ['an upper-case name', ['Adherence', '--target', 'y'], "NAME 'Adherence' is not a valid project name: use 3-32 lowercase letters, digits or hyphens, starting with a letter (^[a-z][a-z0-9-]{2,31}$)"],
    ['a two-letter name', ['ab', '--target', 'y'], "NAME 'ab' is not a valid project name"],
    ['a name starting with a digit', ['1abc', '--target', 'y'], "NAME '1abc' is not a valid project name"],
    ['a threshold above 1', ['adherence', '--target', 'y', '--drift-threshold', '1.5'], "--drift-threshold must be a number from 0.01 to 1 (got '1.5')"],
    ['a threshold below 0.01', ['adherence', '--target', 'y', '--drift-threshold', '0.001'], "--drift-threshold must be a number from 0.01 to 1 (got '0.001')"],
    ['a threshold that is not a number', ['adherence', '--target', 'y', '--drift-threshold', 'high'], "--drift-threshold must be a number from 0.01 to 1 (got 'high')"],
    ['a schedule that is no expression', ['adherence', '--target', 'y', '--schedule', 'weekly'], "--schedule must be 'none', 'rate(VALUE UNIT)' or 'cron(FIELDS)' (got 'weekly')"],
    ['a rate with a plural unit for 1', ['adherence', '--target', 'y', '--schedule', 'rate(1 days)'], "--schedule 'rate(1 days)' is not a valid EventBridge schedule: a value of 1 takes the singular unit \"day\""],
    ['a cron with five fields', ['adherence', '--target', 'y', '--schedule', 'cron(0 3 * * ?)'], "--schedule 'cron(0 3 * * ?)' is not a valid EventBridge schedule"],
    ['spot that is not a boolean', ['adherence', '--target', 'y', '--spot', 'yes'], "--spot must be true or false (got 'yes')"],
    ['an instance type not offered', ['adherence', '--target', 'y', '--instance-type', 'ml.t3.large'], "--instance-type must be one of ml.g5.xlarge, ml.g5.2xlarge"],
    ['an unknown flag', ['adherence', '--target', 'y', '--bogus'], 'unknown flag --bogus'],
    ['a misspelt flag', ['adherence', '--tagret', 'y'], 'unknown flag --tagret (did you mean --target?)'],
    ['a repeated flag', ['adherence', '--target', 'y', '--target', 'z'], '--target is given more than once'],
    ['a value on a boolean flag', ['adherence', '--target', 'y', '--json=yes'], "--json takes no value (got 'yes')"],
    ['a stray argument', ['adherence', 'extra', '--target', 'y'], "unexpected argument 'extra'"],
    ['a monitored feature with a space', ['adherence', '--target', 'y', '--monitored-features', 'age,hb a1c'], "--monitored-features must be comma-separated feature names of letters, digits, _ . - (bad: 'hb a1c')"],
    ['more than 20 monitored features', ['adherence', '--target', 'y', '--monitored-features', Array.from({ length: 21 }, (_, i) => `f${i}`).join(',')], '--monitored-features names 21 features; a project alarms on at most 20'],
    ['a monitored feature twice', ['adherence', '--target', 'y', '--monitored-features', 'age,age'], '--monitored-features names a feature twice'],
    ['an alert email without a domain', ['adherence', '--target', 'y', '--alert-email', 'ops@'], "--alert-email must be an email address (got 'ops@')"],
  ])('%s', async (_case, args, message) => {
    // Prepare
    const cli = setup();

    // Act
    const code = await cli.run(['project', 'create', ...args]);

    // Assess
    expect(code).toBe(2);
    expect(cli.stderr()).toContain(`lumina: ${message}`);
    expect(cli.stderr()).toMatch(/Run 'lumina project create --help' for usage\.\n$/);
    expect(cli.state.starts).toHaveLength(0);
  });
});

describe('lumina project create', () => {
  it('provisions the project with the given settings and prints its stack and inbox', async () => {
    const cli = setup();

    const code = await cli.run([
      'project', 'create', 'adherence', '--target', 'stopped_within_30d', '--entity-id', 'patient_id', '--positive-label', '1',
      '--drift-threshold', '0.3', '--schedule', 'rate(7 days)', '--instance-type', 'ml.g4dn.xlarge', '--spot', 'false',
    ]);

    expect(code).toBe(0);
    expect(cli.state.projects[0].parameters).toEqual({
      ProjectName: 'adherence',
      TargetColumn: 'stopped_within_30d',
      EntityIdColumn: 'patient_id',
      PositiveLabel: '1',
      DriftThreshold: '0.3',
      RetrainingSchedule: 'rate(7 days)',
      TrainingInstanceType: 'ml.g4dn.xlarge',
      SpotTraining: 'false',
    });
    expect(cli.stdout()).toContain('Created project adherence (stack SC-000000000000-pp-adherence)\n');
    expect(cli.stdout()).toMatch(new RegExp(`TrainingInbox\\s+s3://${FAKE_BUCKET}/projects/adherence/training/inbox/\\n`));
    expect(cli.stdout()).toContain('Next: lumina data put adherence FILE.csv --training\n');
    expect(cli.state.stops).toBe(1);
  });

  it("accepts 'none' and cron expressions as schedules", async () => {
    const cli = setup();

    await cli.run(['project', 'create', 'nightly', '--target', 'y', '--schedule', 'cron(0 3 * * ? *)']);
    await cli.run(['project', 'create', 'manual', '--target', 'y', '--schedule', 'none']);

    expect(cli.state.projects.map((p) => p.parameters.RetrainingSchedule)).toEqual(['cron(0 3 * * ? *)', 'none']);
  });

  it('--json prints the ProjectInfo and nothing else on stdout', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'create', 'adherence', '--target', 'y', '--json']);

    expect(code).toBe(0);
    const printed = JSON.parse(cli.stdout());
    expect(printed).toEqual(cli.state.projects[0]);
    expect(Object.keys(printed).sort()).toEqual(['createdAt', 'name', 'outputs', 'parameters', 'stackName']);
  });
});

describe('lumina project list', () => {
  it('prints a table of name, target, entity id and creation time', async () => {
    const cli = setup();
    await cli.run(['project', 'create', 'adherence', '--target', 'stopped_within_30d', '--entity-id', 'patient_id']);
    await cli.run(['project', 'create', 'churn', '--target', 'churned']);
    const before = cli.stdout().length;

    const code = await cli.run(['project', 'list']);

    expect(code).toBe(0);
    expect(cli.stdout().slice(before)).toBe(
      [
        'NAME       TARGET              ENTITY ID   CREATED',
        'adherence  stopped_within_30d  patient_id  2026-03-02 09:00:01Z',
        'churn      churned             -           2026-03-02 09:00:02Z',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the projects as an array of ProjectInfo', async () => {
    const cli = setup();
    await cli.run(['project', 'create', 'adherence', '--target', 'y']);
    const before = cli.stdout().length;

    await cli.run(['project', 'list', '--json']);

    expect(JSON.parse(cli.stdout().slice(before))).toEqual(cli.state.projects);
  });

  it('says how to create a project when there is none', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'list']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe("No projects yet. Create one with 'lumina project create NAME --target COL'.\n");
  });
});
