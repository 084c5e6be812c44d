import * as fs from 'node:fs';
import { runCli } from '../../../local/cli/main';
import type { LineInput } from '../../../local/cli/command';
import { FakeCloudState, recordingIo, removeTemporaryDirs, scriptedInput, temporaryDir } from './fake-local-cloud';

async function setup(stdin?: LineInput) {
  const state = new FakeCloudState();
  const cwd = temporaryDir();
  const recording = recordingIo({ cwd, state, stdin });
  const run = (argv: string[]) => runCli(argv, recording.io);
  expect(await run(['project', 'create', 'adherence', '--target', 'y'])).toBe(0);
  expect(await run(['project', 'create', 'readmission', '--target', 'y'])).toBe(0);
  expect(await run(['data', 'put', 'adherence', writeCsv(cwd), '--training'])).toBe(0);
  const printedBefore = recording.stdout().length;
  return { state, run, stdout: () => recording.stdout().slice(printedBefore), stderr: recording.stderr };
}

function writeCsv(dir: string): string {
  const file = `${dir}/train.csv`;
  fs.writeFileSync(file, 'age,y\n40,1\n52,0\n');
  return file;
}

afterAll(removeTemporaryDirs);

describe('lumina project delete: the plan', () => {
  it('prints what it removes grouped by kind with counts, the artifact prefix and the kept audit trail', async () => {
    // Prepare
    const cli = await setup();

    // Act
    const code = await cli.run(['project', 'delete', 'adherence', '--dry-run']);

    // Assess
    expect(code).toBe(0);
    const out = cli.stdout();
    expect(out).toContain('Deleting project adherence removes (stack SC-000000000000-pp-adherence, 7 resources):');
    expect(out).toMatch(/pipelines +2: SC-000000000000-pp-adherence-Training, SC-000000000000-pp-adherence-Inference\n/);
    expect(out).toMatch(/functions +1\n/);
    expect(out).toMatch(/endpoint URLs +1: http:\/\/127\.0\.0\.1:45100\/\n/);
    expect(out).toMatch(/alarms +2\n/);
    expect(out).toMatch(/IAM roles and policies +1\n/);
    expect(out).toMatch(/artifacts +1 objects, 16 B under s3:\/\/luminaops-artifacts-fake\/projects\/adherence\/\n/);
    expect(out).toMatch(/registry items +4\n/);
    expect(out).toMatch(/experiment runs +1\n/);
    expect(out).toMatch(/feature store items +0\n/);
    expect(out).toContain('Kept: the audit trail (3 entries; the deletion adds one).');
    expect(cli.state.projects.map((p) => p.name)).toEqual(['adherence', 'readmission']);
    expect(cli.state.deletions).toEqual([{ project: 'adherence', options: { dryRun: true } }]);
  });

  it('--dry-run --json prints the plan as JSON', async () => {
    const cli = await setup();

    const code = await cli.run(['project', 'delete', 'adherence', '--dry-run', '--json']);

    expect(code).toBe(0);
    const plan = JSON.parse(cli.stdout());
    expect(plan).toMatchObject({ project: 'adherence', artifacts: { prefix: 'projects/adherence/', objects: 1 }, items: { registry: 4 }, blockers: [] });
  });
});

describe('lumina project delete: confirmation', () => {
  it('deletes after the project name is typed, and prints what was removed and the verification', async () => {
    const input = scriptedInput(['adherence']);
    const cli = await setup(input);

    const code = await cli.run(['project', 'delete', 'adherence']);

    expect(code).toBe(0);
    expect(input.asked()).toBe(1);
    expect(cli.stdout()).toContain('Delete project adherence? Type its name to confirm: ');
    expect(cli.stdout()).toContain('Deleted project adherence: 7 resources, 1 objects (16 B), 7 table items.');
    expect(cli.stdout()).toContain('Audit entry audit-1 (project.deleted) recorded');
    expect(cli.stdout()).toContain('Verified: no resource, object or item of adherence is left.');
    expect(cli.state.projects.map((p) => p.name)).toEqual(['readmission']);
    expect(cli.state.deletions[1]).toEqual({ project: 'adherence', options: { actor: expect.stringMatching(/^local:/), source: 'cli' } });
  });

  it('keeps the project when the typed name does not match', async () => {
    const cli = await setup(scriptedInput(['readmission']));

    const code = await cli.run(['project', 'delete', 'adherence']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain("lumina: not deleted: 'readmission' is not 'adherence'");
    expect(cli.state.projects.map((p) => p.name)).toEqual(['adherence', 'readmission']);
    expect(cli.state.deletions.filter((d) => !d.options.dryRun)).toEqual([]);
  });

  it('keeps the project when the input ends without an answer', async () => {
    const cli = await setup(scriptedInput([]));

    const code = await cli.run(['project', 'delete', 'adherence']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: not deleted: no answer');
    expect(cli.state.projects).toHaveLength(2);
  });

  it('--yes deletes without asking', async () => {
    const input = scriptedInput([], false);
    const cli = await setup(input);

    const code = await cli.run(['project', 'delete', 'adherence', '--yes']);

    expect(code).toBe(0);
    expect(input.asked()).toBe(0);
    expect(cli.stdout()).not.toContain('Type its name');
    expect(cli.state.projects.map((p) => p.name)).toEqual(['readmission']);
  });
});

describe('lumina project delete: refusals', () => {
  it.each([
    ['stdin is not a terminal', scriptedInput(['adherence'], false)],
    ['there is no stdin at all', undefined],
  ])('without --yes when %s: a usage error telling to pass --yes, before the cloud starts', async (_case, stdin) => {
    const cli = await setup(stdin);
    const startsBefore = cli.state.starts.length;

    const code = await cli.run(['project', 'delete', 'adherence']);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('lumina: project delete asks for the project name to confirm, and stdin is not a terminal: pass --yes to delete adherence without asking');
    expect(cli.state.starts).toHaveLength(startsBefore);
    expect(cli.state.projects).toHaveLength(2);
  });

  it('refuses while a run of the project is RUNNING, naming it, and never asks', async () => {
    const input = scriptedInput(['adherence']);
    const cli = await setup(input);
    cli.state.runs.push({
      info: { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:SC-000000000000-pp-adherence-Training:run-9', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:SC-000000000000-pp-adherence-Training', name: 'run-9', status: 'RUNNING', startDate: cli.state.tick(), input: {} },
      outcome: { status: 'SUCCEEDED' },
    });

    const code = await cli.run(['project', 'delete', 'adherence', '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: project adherence cannot be deleted while:\n  - execution run-9 of adherence is RUNNING\n');
    expect(input.asked()).toBe(0);
    expect(cli.state.projects).toHaveLength(2);
  });

  it('refuses while something else refers to the project', async () => {
    const cli = await setup();
    cli.state.extraDeletionBlockers = ["featureStore item FG#vitals INGEST#000001#x (not the project's) refers to projects/adherence/"];

    const code = await cli.run(['project', 'delete', 'adherence', '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('  - featureStore item FG#vitals INGEST#000001#x');
    expect(cli.state.projects).toHaveLength(2);
  });

  it('fails when the check after the deletion finds leftovers, naming them', async () => {
    const cli = await setup();
    cli.state.deletionLeftovers = ['2 objects remain under s3://luminaops-artifacts-fake/projects/adherence/'];

    const code = await cli.run(['project', 'delete', 'adherence', '--yes']);

    expect(code).toBe(1);
    expect(cli.stdout()).toContain('Verification found 1 leftovers.');
    expect(cli.stderr()).toContain('lumina: the check after deleting adherence found what is left:\n  - 2 objects remain under');
  });

  it('an unknown project fails and names the projects there are', async () => {
    const cli = await setup();

    const code = await cli.run(['project', 'delete', 'nosuch', '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no project named nosuch (have: adherence, readmission)');
  });

  it('an invalid name is a usage error', async () => {
    const cli = await setup();

    expect(await cli.run(['project', 'delete', 'Bad', '--yes'])).toBe(2);
    expect(cli.stderr()).toContain("NAME 'Bad' is not a valid project name");
  });
});
