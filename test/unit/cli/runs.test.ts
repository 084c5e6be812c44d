import { runCli } from '../../../local/cli/main';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

async function setupWithRuns() {
  const cwd = temporaryDir();
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd, state });
  const run = (argv: string[]) => runCli(argv, recording.io);
  await run(['project', 'create', 'adherence', '--target', 'y']);
  state.addRun('adherence', { name: 'first', status: 'SUCCEEDED', startDate: '2026-03-01T08:00:00.000Z', stopDate: '2026-03-01T08:00:04.250Z' });
  state.addRun('adherence', {
    name: 'second',
    status: 'FAILED',
    startDate: '2026-03-01T09:00:00.000Z',
    stopDate: '2026-03-01T09:03:05.000Z',
    error: 'States.TaskFailed',
    cause: JSON.stringify({ errorType: 'ZodError', errorMessage: 'BUCKET is required', trace: ['at handler'] }),
  });
  state.addRun('adherence', { name: 'third', status: 'RUNNING', startDate: '2026-03-01T10:00:00.000Z' });
  const printed = recording.stdout().length;
  return { state, run, stdout: () => recording.stdout().slice(printed), stderr: recording.stderr };
}

afterAll(removeTemporaryDirs);

describe('lumina runs', () => {
  it('prints the runs newest first with pipeline, status, start, duration and error', async () => {
    const cli = await setupWithRuns();

    const code = await cli.run(['runs', 'adherence']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe(
      [
        'NAME    PIPELINE          STATUS     STARTED               DURATION  ERROR',
        'third   TrainingPipeline  RUNNING    2026-03-01 10:00:00Z  -',
        'second  TrainingPipeline  FAILED     2026-03-01 09:00:00Z  3m 05s    States.TaskFailed: ZodError: BUCKET is required',
        'first   TrainingPipeline  SUCCEEDED  2026-03-01 08:00:00Z  4.3 s',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the executions as ExecutionInfo[], newest first', async () => {
    const cli = await setupWithRuns();

    const code = await cli.run(['runs', 'adherence', '--json']);

    expect(code).toBe(0);
    const printed = JSON.parse(cli.stdout());
    expect(printed.map((r: { name: string }) => r.name)).toEqual(['third', 'second', 'first']);
    expect(printed[1]).toEqual({
      executionArn: expect.stringContaining(':execution:'),
      stateMachineArn: expect.stringContaining(':stateMachine:'),
      name: 'second',
      status: 'FAILED',
      startDate: '2026-03-01T09:00:00.000Z',
      stopDate: '2026-03-01T09:03:05.000Z',
      input: {},
      error: 'States.TaskFailed',
      cause: expect.stringContaining('BUCKET is required'),
    });
  });

  it('says how to start a run when there is none', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    const recording = recordingIo({ cwd, state });
    await runCli(['project', 'create', 'adherence', '--target', 'y'], recording.io);

    const code = await runCli(['runs', 'adherence'], recording.io);

    expect(code).toBe(0);
    expect(recording.stdout()).toContain("No runs for adherence yet. Start one with 'lumina data put adherence FILE --training'.\n");
  });

  it('an unknown project exits 1 and names the projects there are', async () => {
    const cli = await setupWithRuns();

    const code = await cli.run(['runs', 'churn']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no project named churn (have: adherence)\n');
  });

  it('a missing NAME is a usage error', async () => {
    const cli = await setupWithRuns();

    const code = await cli.run(['runs']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain("lumina: missing NAME (the project)\nRun 'lumina runs --help' for usage.\n");
  });
});
