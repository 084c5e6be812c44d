import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../local/cli/main';
import { STATE_LOCK_FILE } from '../../../local/cli/state-lock';
import { FAKE_BUCKET, FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

const GOOD_CSV = 'patient_id,age,stopped_within_30d\nP1,50,0\nP2,61,1\n';
const NO_TARGET_CSV = 'patient_id,age\nP1,50\n';

async function setup(options: { onWrite?: (stream: 'stdout' | 'stderr', text: string) => void } = {}) {
  const cwd = temporaryDir();
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd, state, onWrite: options.onWrite });
  const run = (argv: string[]) => runCli(argv, recording.io);
  fs.writeFileSync(path.join(cwd, 'patients.csv'), GOOD_CSV);
  fs.writeFileSync(path.join(cwd, 'no-target.csv'), NO_TARGET_CSV);
  await run(['project', 'create', 'adherence', '--target', 'stopped_within_30d']);
  const printed = { out: recording.stdout().length, err: recording.stderr().length };
  // What the command under test printed, after the setup's own output.
  return { cwd, state, run, stdout: () => recording.stdout().slice(printed.out), stderr: () => recording.stderr().slice(printed.err), requestStop: recording.requestStop };
}

afterAll(removeTemporaryDirs);

describe('lumina data put: usage errors', () => {
  it.each([
    ['both inboxes', ['adherence', 'patients.csv', '--training', '--inference'], '--training and --inference cannot be used together'],
    ['no inbox', ['adherence', 'patients.csv'], 'choose the inbox: --training or --inference'],
    ['no FILE', ['adherence', '--training'], 'missing FILE (the CSV file to upload'],
    ['no NAME', [], 'missing NAME (the project)'],
    ['a bad project name', ['Adherence', 'patients.csv', '--training'], "NAME 'Adherence' is not a valid project name"],
    ['a timeout that is not a number', ['adherence', 'patients.csv', '--training', '--timeout', 'soon'], "--timeout must be a positive number of seconds (got 'soon')"],
    ['an unknown flag', ['adherence', 'patients.csv', '--training', '--wait'], 'unknown flag --wait (did you mean --no-wait?)'],
  ])('%s', async (_case, args, message) => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', ...args]);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(`lumina: ${message}`);
    expect(cli.stderr()).toMatch(/Run 'lumina data put --help' for usage\.\n$/);
    expect(cli.state.starts).toHaveLength(1);
  });

  it('a missing file is named as given and in full', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'missing.csv', '--training']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(`lumina: FILE 'missing.csv' (${path.join(cli.cwd, 'missing.csv')}) does not exist\n`);
    expect(cli.state.starts).toHaveLength(1);
  });

  it('an empty file is refused before the cloud starts', async () => {
    const cli = await setup();
    const empty = path.join(cli.cwd, 'empty.csv');
    fs.writeFileSync(empty, '');

    const code = await cli.run(['data', 'put', 'adherence', empty, '--training']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(`lumina: FILE '${empty}' is empty\n`);
    expect(cli.state.starts).toHaveLength(1);
  });

  it('a directory is refused', async () => {
    const cli = await setup();
    fs.mkdirSync(path.join(cli.cwd, 'folder.csv'));

    const code = await cli.run(['data', 'put', 'adherence', 'folder.csv', '--training']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain("lumina: FILE 'folder.csv'");
    expect(cli.stderr()).toContain('is a directory, not a file');
  });
});

describe('lumina data put', () => {
  it('uploads into the training inbox, waits for the run and exits 0 when it succeeded', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'patients.csv', '--training']);

    expect(code).toBe(0);
    expect(cli.state.uploads).toEqual([{ project: 'adherence', kind: 'training', key: 'projects/adherence/training/inbox/patients.csv', body: GOOD_CSV }]);
    expect(cli.stdout()).toBe(
      [
        `Uploaded patients.csv (${GOOD_CSV.length} bytes) to s3://${FAKE_BUCKET}/projects/adherence/training/inbox/patients.csv`,
        'TrainingPipeline run run-1: SUCCEEDED in 1.5 s',
        '',
      ].join('\n'),
    );
    expect(cli.stderr()).toContain('waiting for the pipeline runs it started');
  });

  it('prints a rejected dataset with its reason and exits 3', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'no-target.csv', '--training']);

    expect(code).toBe(3);
    expect(cli.stdout()).toContain('TrainingPipeline run run-1: FAILED in 1.5 s\n  error: DatasetRejected\n  cause: 1 error (missing_target ×1): the header has no target column "stopped_within_30d"\n');
  });

  it("shows a Lambda failure's type and message, not its trace", async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'patients.csv', '--inference']);

    expect(code).toBe(3);
    expect(cli.state.uploads[0].key).toBe('projects/adherence/inference/inbox/patients.csv');
    expect(cli.stdout()).toContain('run run-1: FAILED in 1.5 s\n  error: ModelNotFound\n  cause: ModelNotFound: project adherence has no production model yet\n');
    expect(cli.stdout()).not.toContain('index.js');
  });

  it('reports only the runs this upload started', async () => {
    const cli = await setup();
    await cli.run(['data', 'put', 'adherence', 'no-target.csv', '--training']);
    const before = cli.stdout().length;

    const code = await cli.run(['data', 'put', 'adherence', 'patients.csv', '--training']);

    expect(code).toBe(0);
    expect(cli.stdout().slice(before)).not.toContain('run-1');
    expect(cli.stdout().slice(before)).toContain('TrainingPipeline run run-2: SUCCEEDED');
  });

  it('--json prints the upload and the finished runs as ExecutionInfo', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'no-target.csv', '--training', '--json']);

    expect(code).toBe(3);
    const printed = JSON.parse(cli.stdout());
    expect(printed).toMatchObject({
      project: 'adherence',
      kind: 'training',
      bucket: FAKE_BUCKET,
      key: 'projects/adherence/training/inbox/no-target.csv',
      uri: `s3://${FAKE_BUCKET}/projects/adherence/training/inbox/no-target.csv`,
      bytes: NO_TARGET_CSV.length,
      waited: true,
    });
    expect(printed.runs).toHaveLength(1);
    expect(printed.runs[0]).toMatchObject({ name: 'run-1', status: 'FAILED', error: 'DatasetRejected' });
    expect(Object.keys(printed.runs[0])).toEqual(expect.arrayContaining(['executionArn', 'stateMachineArn', 'startDate', 'stopDate', 'input', 'cause']));
  });

  it('--no-wait returns after the upload and says that the runs stop with the cloud', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'adherence', 'patients.csv', '--training', '--no-wait', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ waited: false, runs: [] });
    expect(cli.state.runs[0].info.status).toBe('RUNNING');
    expect(cli.stderr()).toContain('not waiting: pipeline runs the upload started are stopped with the local cloud when this command exits');
  });

  it('an unknown project fails with exit 1 after the cloud started, and the cloud is stopped', async () => {
    const cli = await setup();

    const code = await cli.run(['data', 'put', 'nobody', 'patients.csv', '--training']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no project named nobody (have: adherence)\n');
    expect(cli.state.stops).toBe(cli.state.starts.length);
  });

  it('Ctrl-C while waiting stops the cloud, releases the state directory and exits 130', async () => {
    const cli = await setup({
      onWrite: (stream, text) => {
        if (stream === 'stderr' && text.includes('waiting for the pipeline runs')) setImmediate(() => cli.requestStop('SIGINT'));
      },
    });
    cli.state.holdRuns = true;

    const code = await cli.run(['data', 'put', 'adherence', 'patients.csv', '--training']);

    expect(code).toBe(130);
    expect(cli.stderr()).toContain('SIGINT: stopping the local cloud before the command finished');
    expect(cli.state.stops).toBe(2);
    expect(fs.existsSync(path.join(cli.cwd, '.lumina', STATE_LOCK_FILE))).toBe(false);
  });
});
