/** `lumina train` over the fake local cloud: the run it starts, how it reports the outcome, and its flags. */
import { runCli } from '../../../local/cli/main';
import { registrationOf } from '../../../local/cli/commands/train';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

async function setup() {
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state });
  await runCli(['project', 'create', 'adherence', '--target', 'y'], recording.io);
  let printed = recording.stdout().length;
  let errors = recording.stderr().length;
  return {
    state,
    run: async (argv: string[]) => {
      printed = recording.stdout().length;
      errors = recording.stderr().length;
      return runCli(argv, recording.io);
    },
    stdout: () => recording.stdout().slice(printed),
    stderr: () => recording.stderr().slice(errors),
  };
}

const registration = (overrides: Record<string, unknown> = {}) => ({
  version: 2,
  decision: 'staging',
  championVersion: 1,
  challengerScore: 0.8412,
  championScore: 0.8123,
  primaryMetric: 'auc',
  reason: 'auc 0.8412 beats the champion (0.8123)',
  experimentId: 'exp-1',
  runId: 'run-1',
  replayed: false,
  ...overrides,
});

afterAll(removeTemporaryDirs);

describe('lumina train', () => {
  it('starts a manual training run, waits for it and prints the staged version against the champion', async () => {
    const cli = await setup();
    cli.state.trainingOutcome = { status: 'SUCCEEDED', output: { registration: { result: registration() } } };

    const code = await cli.run(['train', 'adherence']);

    expect(code).toBe(0);
    expect(cli.state.runs.at(-1)?.info.input).toEqual({ trigger: 'manual' });
    expect(cli.stdout()).toBe(
      [
        'TrainingPipeline run run-1: SUCCEEDED in 1.5 s',
        '  version 2 staged: auc 0.8412 vs 0.8123 for champion version 1',
        '  reason: auc 0.8412 beats the champion (0.8123)',
        '  next: lumina model adherence 2, then lumina promote adherence 2 --stage production',
        '',
      ].join('\n'),
    );
    expect(cli.stderr()).toContain('started TrainingPipeline run run-1; waiting for it to finish');
  });

  it('prints a rejected challenger with both scores and no next step', async () => {
    const cli = await setup();
    cli.state.trainingOutcome = { status: 'SUCCEEDED', output: { registration: { result: registration({ decision: 'rejected', challengerScore: 0.7, reason: 'auc 0.7 does not beat 0.8123' }) } } };

    const code = await cli.run(['train', 'adherence']);

    expect(code).toBe(0);
    expect(cli.stdout()).toContain('  version 2 rejected: auc 0.7000 vs 0.8123 for champion version 1\n  reason: auc 0.7 does not beat 0.8123\n');
    expect(cli.stdout()).not.toContain('next:');
  });

  it('says when the first model had no champion to beat', async () => {
    const cli = await setup();
    cli.state.trainingOutcome = { status: 'SUCCEEDED', output: { registration: { result: registration({ version: 1, championVersion: null, championScore: null }) } } };

    await cli.run(['train', 'adherence']);

    expect(cli.stdout()).toContain('  version 1 staged: auc 0.8412 (no champion to beat yet)\n');
  });

  it('a failed run prints its error and cause and exits 3', async () => {
    const cli = await setup();
    cli.state.trainingOutcome = { status: 'FAILED', error: 'NoDatasetVersion', cause: 'project adherence has no accepted training dataset yet; drop a CSV in its training inbox first' };

    const code = await cli.run(['train', 'adherence']);

    expect(code).toBe(3);
    expect(cli.stdout()).toBe(
      [
        'TrainingPipeline run run-1: FAILED in 1.5 s',
        '  error: NoDatasetVersion',
        '  cause: project adherence has no accepted training dataset yet; drop a CSV in its training inbox first',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the run and the registration (null when the run registered nothing)', async () => {
    const cli = await setup();
    cli.state.trainingOutcome = { status: 'SUCCEEDED', output: { registration: { result: registration() } } };

    expect(await cli.run(['train', 'adherence', '--json'])).toBe(0);
    const printed = JSON.parse(cli.stdout());
    expect(printed).toMatchObject({ project: 'adherence', waited: true, run: { name: 'run-1', status: 'SUCCEEDED', input: { trigger: 'manual' } }, registration: { version: 2, decision: 'staging', primaryMetric: 'auc' } });
    expect(printed.registration).not.toHaveProperty('experimentId');

    cli.state.trainingOutcome = { status: 'FAILED', error: 'States.TaskFailed' };
    expect(await cli.run(['train', 'adherence', '--json'])).toBe(3);
    expect(JSON.parse(cli.stdout())).toMatchObject({ waited: true, run: { status: 'FAILED', error: 'States.TaskFailed' }, registration: null });
  });

  it('--no-wait returns once the run has started', async () => {
    const cli = await setup();

    const code = await cli.run(['train', 'adherence', '--no-wait']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe('Started TrainingPipeline run run-1 on the latest accepted dataset of adherence\n');
    expect(cli.stderr()).toContain('not waiting');
    expect(cli.state.runs.at(-1)?.info.status).toBe('RUNNING');
  });

  it('while it waits, says every 15 s how long the run has gone and the step it is in (stderr)', async () => {
    const state = new FakeCloudState();
    const recording = recordingIo({ cwd: temporaryDir(), state });
    await runCli(['project', 'create', 'adherence', '--target', 'y'], recording.io);
    const startCloud = async (options: Parameters<typeof state.startCloud>[0]) => Object.assign(await state.startCloud(options), { currentState: () => 'TrainModelOnSpot' });
    state.holdRuns = true;
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: Date.parse('2026-03-02T09:00:02.000Z') });
    try {
      const running = runCli(['train', 'adherence'], { ...recording.io, startCloud });
      while (!recording.stderr().includes('waiting for it to finish')) await new Promise((resolve) => setImmediate(resolve));

      jest.advanceTimersByTime(15_000);
      jest.advanceTimersByTime(15_000);
      recording.requestStop();

      expect(await running).toBe(130);
      expect(recording.stderr()).toContain('run run-1: running for 15.0 s, in TrainModelOnSpot\nrun run-1: running for 30.0 s, in TrainModelOnSpot\n');
    } finally {
      jest.useRealTimers();
    }
  });

  it.each([
    [['train', 'adherence', '--timeout', '0'], "--timeout must be a positive number of seconds (got '0')"],
    [['train', 'adherence', '--timeout', 'soon'], "--timeout must be a positive number of seconds (got 'soon')"],
    [['train', 'adherence', '--no-wait', '--timeout', '60'], '--timeout is how long to wait: it cannot be used with --no-wait'],
    [['train', 'Adherence'], "NAME 'Adherence' is not a valid project name"],
    [['train'], 'missing NAME (the project)'],
  ])('%j is a usage error before the cloud starts', async (argv, message) => {
    const cli = await setup();
    const starts = cli.state.starts.length;

    const code = await cli.run(argv);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(`lumina: ${message}`);
    expect(cli.stderr()).toContain("Run 'lumina train --help' for usage.");
    expect(cli.state.starts).toHaveLength(starts);
  });

  it('an unknown project exits 1 without starting a run', async () => {
    const cli = await setup();

    const code = await cli.run(['train', 'churn']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no project named churn (have: adherence)');
    expect(cli.state.runs).toHaveLength(0);
  });
});

describe('registrationOf', () => {
  it('reads the RegisterModel result from a run output and ignores anything else', () => {
    expect(registrationOf({ registration: { result: registration() } })).toMatchObject({ version: 2, decision: 'staging' });
    expect(registrationOf({ registration: { result: { version: 'two' } } })).toBeNull();
    expect(registrationOf(undefined)).toBeNull();
    expect(registrationOf({ failure: { Error: 'x' } })).toBeNull();
  });
});
