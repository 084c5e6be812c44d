import { DeleteStackCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { TerminateProvisionedProductCommand } from '@aws-sdk/client-service-catalog';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { PLATFORM_STACK_NAME } from '../../../lib/app';
import type { LineInput } from '../../../local/cli/command';
import { DEFAULT_PLATFORM_STACK } from '../../../local/cli/commands/project';
import { runCli } from '../../../local/cli/main';
import { BUCKET, CALLER_ARN, FakeAws, type FakeAwsOptions, PRODUCT_ID, SC_STACK_NAME, machineArn, mocks } from '../aws/fake-aws';
import { FakeCloudState, recordingIo, removeTemporaryDirs, scriptedInput, temporaryDir } from './fake-local-cloud';

function setup(options: FakeAwsOptions = {}, stdin?: LineInput) {
  const world = new FakeAws(options);
  const state = new FakeCloudState();
  const recording = recordingIo({ cwd: temporaryDir(), state, stdin });
  return { world, state, run: (argv: string[]) => runCli(argv, recording.io), stdout: recording.stdout, stderr: recording.stderr };
}

const AWS = ['--aws', '--region', 'eu-west-1'];

afterAll(removeTemporaryDirs);

describe('lumina project delete --aws: the plan', () => {
  it('--dry-run prints the plan grouped by kind, with versions, delete markers and what the template keeps, and changes nothing', async () => {
    // Prepare
    const cli = setup();

    // Act
    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--dry-run']);

    // Assess
    expect(code).toBe(0);
    expect(cli.stdout()).toBe(
      [
        `Deleting project adherence from AWS account 123456789012 (eu-west-1) removes (provisioned product adherence ${PRODUCT_ID}, stack ${SC_STACK_NAME}, 9 resources):`,
        '  pipelines               3: TrainingPipeline-Ab12, InferencePipeline-Cd34, LabelsPipeline-Ef56',
        '  functions               1',
        '  endpoint URLs           1: arn:aws:lambda:eu-west-1:123456789012:function:SC-pp-adherence-Endpoint',
        '  alarms                  1',
        '  event rules             1',
        '  schedules               1: adherence-retrain',
        '  IAM roles and policies  1',
        `  artifacts               3 objects (5 versions, 3.6 KiB) and 1 delete markers under s3://${BUCKET}/projects/adherence/`,
        '  registry items          4',
        '  experiment runs         2',
        '  operations items        3',
        '  feature store items     0',
        'Kept: the audit trail (2 entries; the deletion adds one), and what the template retains: 2 log groups.',
        '',
      ].join('\n'),
    );
    expect(cli.stderr()).toContain(`AWS account 123456789012, region eu-west-1, as ${CALLER_ARN}\n`);
    expect(cli.world.writes()).toEqual([]);
    expect(cli.state.starts).toHaveLength(0);
  });

  it('--dry-run --json prints the plan as JSON, with the deployment', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--dry-run', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({
      project: 'adherence',
      deployment: { kind: 'service-catalog', provisionedProductId: PRODUCT_ID },
      artifacts: { objects: 3, objectVersions: 5, deleteMarkers: 1 },
      items: { registry: 4, experiments: 2, operations: 3, featureStore: 0 },
      retained: { auditEntries: 2 },
      blockers: [],
    });
    expect(cli.world.writes()).toEqual([]);
  });

  it('takes the region from the SDK (AWS_REGION) when --region is not given', async () => {
    const cli = setup();
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const code = await cli.run(['project', 'delete', 'adherence', '--aws', '--dry-run']);

      expect(code).toBe(0);
      expect(cli.stdout()).toContain('from AWS account 123456789012 (eu-west-1)');
    } finally {
      restoreEnv('AWS_REGION', saved);
    }
  });
});

describe('lumina project delete --aws: deleting', () => {
  it('--yes terminates, cleans up, verifies and prints what it removed', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(0);
    expect(cli.stdout()).toMatch(/\nDeleted project adherence: terminated provisioned product pp-adherence123 \(record rec-terminate-1, [^)]+\) with its 9 resources; deleted 6 object versions and delete markers and 9 table items\.\n/);
    expect(cli.stdout()).toMatch(new RegExp(`Audit entry [0-9a-f-]{36} \\(project.deleted\\) recorded for ${CALLER_ARN.replace(/[/]/g, '\\/')}; the audit trail is kept.`));
    expect(cli.stdout()).toContain('Verified: no product, stack, object version or item of adherence is left.');
    expect(cli.world.writes()[0]).toBe('TerminateProvisionedProductCommand');
    expect(cli.world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
  });

  it('deletes after the name is typed, and plans again first', async () => {
    const input = scriptedInput(['adherence']);
    const cli = setup({}, input);

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS]);

    expect(code).toBe(0);
    expect(input.asked()).toBe(1);
    expect(cli.stdout()).toContain('Delete project adherence? Type its name to confirm: ');
    expect(cli.stdout().match(/^Deleting project adherence from AWS/gm)).toHaveLength(1);
    expect(mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    // Two plans of 11 resources in pages of 4.
    expect(mocks.cloudFormation.commandCalls(ListStackResourcesCommand)).toHaveLength(6);
    expect(cli.world.projectItems('registry')).toEqual([]);
  });

  it('refuses when a blocker appeared while the person was typing the name', async () => {
    let world: FakeAws | undefined;
    const input: LineInput = {
      isTTY: true,
      readLine: async () => {
        world!.tables.registry.push({ pk: 'PROJECT#keeper', sk: 'LINK#1', source: `s3://${BUCKET}/projects/adherence/training/inbox/patients.csv` });
        return 'adherence';
      },
    };
    const cli = setup({}, input);
    world = cli.world;

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS]);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain("lumina: project adherence cannot be deleted while:\n  - registry item PROJECT#keeper LINK#1 (not the project's) refers to projects/adherence/\n");
    expect(cli.world.writes()).toEqual([]);
  });

  it('changes nothing when the typed name does not match', async () => {
    const cli = setup({}, scriptedInput(['readmission']));

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS]);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain("lumina: not deleted: 'readmission' is not 'adherence'");
    expect(cli.world.writes()).toEqual([]);
  });

  it('stops when the termination fails, prints the record errors, and leaves artifacts and items', async () => {
    const cli = setup({ removalStatuses: ['FAILED'] });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain(
      `lumina: terminating provisioned product adherence (${PRODUCT_ID}) failed (record rec-terminate-1 is FAILED):\n  - CFN_STACK_DELETE_FAILED: Resource PipelineRole: Cannot delete entity, must detach all policies first.\nNothing else was deleted: the artifacts and table items of adherence are untouched. Run the same command again once the removal is done or its cause is fixed.\n`,
    );
    expect(cli.world.writes()).toEqual(['TerminateProvisionedProductCommand']);
    expect(cli.world.objects).toHaveLength(7);
  });

  it('exits 1 listing the keys S3 refused and what the check found left', async () => {
    const cli = setup({ undeletableKeys: ['projects/adherence/config/training.json'] });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(1);
    expect(cli.stdout()).toContain('3 problems: 2 keys S3 refused, 0 failed steps, 1 leftovers.');
    expect(cli.stderr()).toContain(
      [
        'lumina: deleting adherence left work undone:',
        '  - S3 did not delete projects/adherence/config/training.json (version v2): AccessDenied: Access Denied',
        '  - S3 did not delete projects/adherence/config/training.json (version v1): AccessDenied: Access Denied',
        `  - 2 object versions and 0 delete markers remain under s3://${BUCKET}/projects/adherence/`,
        'Run the same command again to finish, once the cause is fixed.',
        '',
      ].join('\n'),
    );
  });

  it('with --json prints the result, with the removal and the counts', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ deleted: true, removal: { recordId: 'rec-terminate-1' }, artifactsDeleted: 6, artifactErrors: [], itemsDeleted: { registry: 4, experiments: 2, operations: 3 }, failures: [], leftovers: [] });
  });

  it('deletes a stack deployed with cdk deploy', async () => {
    const cli = setup({ deployment: 'cdk-stack' });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(0);
    expect(cli.stdout()).toContain('removes (stack LuminaOps-adherence, deployed with cdk deploy, 9 resources):');
    expect(cli.stdout()).toMatch(/Deleted project adherence: deleted stack LuminaOps-adherence \([^)]+\) with its 9 resources;/);
    expect(cli.world.writes()[0]).toBe('DeleteStackCommand');
  });
});

describe('lumina project delete --aws: run again after the product or stack is gone', () => {
  const RESUMED_PLAN = [
    'Project adherence is already removed from AWS account 123456789012 (eu-west-1): Service Catalog has no provisioned product named adherence, and CloudFormation has no stack named LuminaOps-adherence. Only its remaining data will be deleted:',
    `  artifacts            3 objects (5 versions, 3.6 KiB) and 1 delete markers under s3://${BUCKET}/projects/adherence/`,
    '  registry items       4',
    '  experiment runs      2',
    '  operations items     3',
    '  feature store items  0',
    'Kept: the audit trail (2 entries; the deletion adds one).',
    '',
  ].join('\n');

  it('deletes the data left without terminating anything, says so, and verifies', async () => {
    // Prepare
    const cli = setup({ deployment: 'none' });

    // Act
    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    // Assess
    expect(code).toBe(0);
    const auditId = /Audit entry ([0-9a-f-]{36}) /.exec(cli.stdout())?.[1];
    expect(cli.stdout()).toBe(
      RESUMED_PLAN +
        [
          'Deleted the remaining data of project adherence (its product/stack was already removed): deleted 6 object versions and delete markers and 9 table items.',
          `Audit entry ${auditId} (project.deleted) recorded for ${CALLER_ARN}; the audit trail is kept.`,
          'Verified: no product, stack, object version or item of adherence is left.',
          '',
        ].join('\n'),
    );
    expect(cli.stderr()).not.toContain('lumina:');
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)).toHaveLength(0);
    expect(mocks.cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(mocks.documents.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ event: { id: auditId, action: 'project.deleted', details: { deployment: { kind: 'removed', alreadyRemoved: true } } } });
    expect(cli.world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
    expect(cli.world.projectItems('registry')).toEqual([]);
  });

  it('--dry-run prints the already-removed plan and writes nothing', async () => {
    const cli = setup({ deployment: 'none' });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--dry-run']);

    expect(code).toBe(0);
    expect(cli.stdout()).toBe(RESUMED_PLAN);
    expect(cli.world.writes()).toEqual([]);
  });

  it('--json prints the plan and the result with the removed deployment as valid JSON', async () => {
    const dryRun = setup({ deployment: 'none' });
    expect(await dryRun.run(['project', 'delete', 'adherence', ...AWS, '--dry-run', '--json'])).toBe(0);
    expect(JSON.parse(dryRun.stdout())).toMatchObject({ stackName: '', deployment: { kind: 'removed', provisionedProductName: 'adherence', stackName: 'LuminaOps-adherence' }, resources: [], blockers: [] });

    const cli = setup({ deployment: 'none' });
    expect(await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ deleted: true, plan: { deployment: { kind: 'removed' } }, removal: { elapsedMs: 0 }, artifactsDeleted: 6, failures: [], leftovers: [] });
  });

  it('when only the audit write failed: the next run says only the entry is missing, records it and verifies', async () => {
    // Prepare: a deletion that removed everything but could not record its audit entry.
    const cli = setup();
    cli.world.auditWriteDenied = true;
    expect(await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes'])).toBe(1);
    expect(cli.stderr()).toContain('  - recording the project.deleted audit entry: AccessDeniedException: User is not authorized to perform: dynamodb:PutItem\nRun the same command again to finish, once the cause is fixed.\n');
    cli.world.auditWriteDenied = false;
    const stdoutBefore = cli.stdout().length;

    // Act
    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    // Assess
    expect(code).toBe(0);
    const printed = cli.stdout().slice(stdoutBefore);
    const auditId = /Audit entry ([0-9a-f-]{36}) /.exec(printed)?.[1];
    expect(printed).toBe(
      [
        'Project adherence is already removed from AWS account 123456789012 (eu-west-1): Service Catalog has no provisioned product named adherence, and CloudFormation has no stack named LuminaOps-adherence. No data is left either, but its audit trail ends in model.promoted (2026-03-01T09:00:00.000Z), not project.deleted: an earlier deletion did not record its entry. Only the project.deleted audit entry will be recorded:',
        `  artifacts            0 objects (0 versions, 0 B) and 0 delete markers under s3://${BUCKET}/projects/adherence/`,
        '  registry items       0',
        '  experiment runs      0',
        '  operations items     0',
        '  feature store items  0',
        'Kept: the audit trail (2 entries; the deletion adds one).',
        'Recorded the deletion of project adherence (its product/stack and data were already gone): deleted 0 object versions and delete markers and 0 table items.',
        `Audit entry ${auditId} (project.deleted) recorded for ${CALLER_ARN}; the audit trail is kept.`,
        'Verified: no product, stack, object version or item of adherence is left.',
        '',
      ].join('\n'),
    );
    expect(mocks.documents.commandCalls(PutCommand).at(-1)!.args[0].input.Item).toMatchObject({ event: { id: auditId, action: 'project.deleted', details: { onlyAuditEntryWasMissing: true } } });
  });

  it('with nothing left at all: fails saying there is nothing to delete, and deletes and writes nothing', async () => {
    // Prepare: a deletion that finished.
    const cli = setup();
    expect(await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes'])).toBe(0);
    const stdoutBefore = cli.stdout().length;
    const writes = cli.world.writes();

    // Act
    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    // Assess
    expect(code).toBe(1);
    expect(cli.stderr()).toContain(
      `lumina: project adherence is neither deployed nor has data left in eu-west-1: nothing to delete. Service Catalog has no provisioned product named adherence (that you can see), CloudFormation has no stack named LuminaOps-adherence, and there is no object version or delete marker under s3://${BUCKET}/projects/adherence/ and no item of adherence in the registry, experiments, operations, featureStore tables; the audit trail, which a deletion keeps, holds 3 entries of adherence, the newest recording its deletion: it was deleted already. Check the name for a typo, and the region (--region).\n`,
    );
    expect(cli.stdout().length).toBe(stdoutBefore);
    expect(cli.world.writes()).toEqual(writes);
  });
});

describe('lumina project delete --aws: refusals', () => {
  it('refuses while an execution is RUNNING, naming it, and never asks', async () => {
    const input = scriptedInput(['adherence']);
    const cli = setup({ runningExecutions: { [machineArn('InferencePipeline-Cd34')]: ['batch-3'] } }, input);

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS]);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: project adherence cannot be deleted while:\n  - execution batch-3 of InferencePipeline-Cd34 is RUNNING (wait for it, or stop it)\n');
    expect(input.asked()).toBe(0);
    expect(cli.world.writes()).toEqual([]);
  });

  it('refuses while the provisioned product is UNDER_CHANGE', async () => {
    const cli = setup({ productStatus: 'UNDER_CHANGE' });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('  - provisioned product adherence is UNDER_CHANGE (a provisioning, update, termination or plan is under way; wait for it to finish, then run this again)\n');
    expect(cli.world.writes()).toEqual([]);
  });

  it('fails naming the platform stack and region when the platform is not deployed', async () => {
    const cli = setup({ platform: false });

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--yes']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no CloudFormation stack named LuminaOps in eu-west-1: deploy the platform first');
  });

  it('looks for the platform stack --platform-stack names', async () => {
    const cli = setup();

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS, '--platform-stack', 'LuminaOpsStaging', '--dry-run']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('lumina: no CloudFormation stack named LuminaOpsStaging in eu-west-1');
  });

  it('says so clearly when there is no region anywhere', async () => {
    const cli = setup();
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: process.env.AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE: process.env.AWS_PROFILE, AWS_EC2_METADATA_DISABLED: process.env.AWS_EC2_METADATA_DISABLED };
    delete process.env.AWS_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = `${temporaryDir()}/no-config`;
    process.env.AWS_SHARED_CREDENTIALS_FILE = `${temporaryDir()}/no-credentials`;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const code = await cli.run(['project', 'delete', 'adherence', '--aws', '--dry-run']);

      expect(code).toBe(2);
      expect(cli.stderr()).toContain('lumina: no AWS region: pass --region REGION, or set AWS_REGION or a region in your AWS profile');
      expect(mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    } finally {
      for (const [name, value] of Object.entries(saved)) restoreEnv(name, value);
    }
  });

  it.each([
    [['--region', 'eu-west-1'], '--region goes with --aws (it only means something when deleting from AWS)'],
    [['--platform-stack', 'LuminaOps'], '--platform-stack goes with --aws'],
    [['--wait-timeout', '10'], '--wait-timeout goes with --aws'],
    [['--aws', '--region', 'Mars'], "--region must be an AWS region such as us-east-1 or eu-central-2 (got 'Mars')"],
    [['--aws', '--platform-stack', '1stack'], "--platform-stack must be a CloudFormation stack name: a letter, then up to 127 letters, digits or hyphens (got '1stack')"],
    [['--aws', '--wait-timeout', '0'], "--wait-timeout must be a number of minutes above 0 and at most 1440 (got '0')"],
    [['--aws', '--wait-timeout', 'ten'], "--wait-timeout must be a number of minutes above 0 and at most 1440 (got 'ten')"],
    [['--aws', '--wait-timeout', '1441'], "(got '1441')"],
    [['--aws', '--state-dir', '.lumina'], '--state-dir is where the local cloud keeps its state; --aws deletes from AWS and reads no state directory'],
    [['--aws', '--regoin', 'eu-west-1'], 'unknown flag --regoin (did you mean --region?)'],
  ])('%j is a usage error before anything is called', async (flags, message) => {
    const cli = setup();

    const code = await cli.run(['project', 'delete', 'adherence', '--dry-run', ...flags]);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(message);
    expect(mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });

  it('without --yes and without a terminal: a usage error before AWS is called', async () => {
    const cli = setup({}, scriptedInput(['adherence'], false));

    const code = await cli.run(['project', 'delete', 'adherence', ...AWS]);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('pass --yes to delete adherence without asking');
    expect(mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });
});

describe('lumina project delete --help', () => {
  it('documents the AWS flags with their defaults; the default platform stack is the one lib/app.ts deploys', async () => {
    const cli = setup();

    expect(await cli.run(['project', 'delete', '--help'])).toBe(0);

    expect(DEFAULT_PLATFORM_STACK).toBe(PLATFORM_STACK_NAME);
    expect(cli.stdout()).toMatch(/--aws +delete the project from AWS/);
    expect(cli.stdout()).toMatch(/--platform-stack NAME +with --aws: the platform stack whose exports name the bucket and tables \(default: LuminaOps\)/);
    expect(cli.stdout()).toMatch(/--wait-timeout MINUTES +with --aws: how long to wait for the termination or stack deletion \(default: 30\)/);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
