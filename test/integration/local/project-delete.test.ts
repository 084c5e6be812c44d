/**
 * Deleting a project on the real local cloud: a trained project is refused while its run is
 * RUNNING and while another project's item refers to its artifacts; then `lumina project
 * delete --yes` removes its stack (state machines, functions, function URL, alarms, rules),
 * its artifacts and its table items, keeps and extends its audit trail, verifies nothing is
 * left, and leaves a second project untouched. A data drop after the deletion starts nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { queryAuditTrail, recordAuditEvent } from '../../../lambdas/core/governance/audit-trail';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { type LocalCloud, LocalCloudError, startLocalCloud } from '../../../local/cloud';
import { localAuditStore } from '../../../local/cli/audit-store';
import { type CliIo, runCli } from '../../../local/cli/main';
import { generatePatients } from '../../../local/demo/synthetic-patients';

const DOOMED = 'doomed';
const KEEPER = 'keeper';

describe('local cloud: lumina project delete', () => {
  let cloud: LocalCloud;
  let work: string;
  let documents: DynamoDBDocumentClient;

  /** The CLI on the one booted cloud: each command "starts" it and its stop leaves it running. */
  const cli = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const shared = new Proxy(cloud, { get: (target, property) => (property === 'stop' ? async () => undefined : Reflect.get(target, property, target)) }) as LocalCloudApi;
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { USER: 'tester' },
      cwd: work,
      startCloud: async () => shared,
      stopRequests: () => () => undefined,
    };
    const code = await runCli([...argv, '--state-dir', path.join(work, 'cli-state')], io);
    return { code, stdout, stderr };
  };
  const keys = async (prefix: string): Promise<string[]> => ((await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const partition = async (table: 'registry' | 'operations', project: string): Promise<unknown[]> =>
    (await documents.send(new QueryCommand({ TableName: cloud.tableName(table), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PROJECT#${project}` } }))).Items ?? [];
  const experimentRuns = async (project: string): Promise<unknown[]> =>
    (await documents.send(new ScanCommand({ TableName: cloud.tableName('experiments'), FilterExpression: '#project = :p', ExpressionAttributeNames: { '#project': 'project' }, ExpressionAttributeValues: { ':p': project } }))).Items ?? [];

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-delete-'));
    cloud = await startLocalCloud({ alarmEvaluationIntervalMs: 0 });
    documents = DynamoDBDocumentClient.from(cloud.dynamodb);
    for (const name of [DOOMED, KEEPER]) {
      await cloud.createProject({ name, targetColumn: 'stopped_within_30d', entityIdColumn: 'patient_id', positiveLabel: '1', alertEmail: `${name}@example.org` });
      await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${name}/config/training.json`, Body: JSON.stringify({ hyperparameters: { num_round: 15, max_depth: 3, eta: 0.3 } }) }));
      await recordAuditEvent({ project: name, action: 'project.created', actor: 'local:tester', source: 'test', target: `project:${name}` }, { store: localAuditStore(cloud), now: () => new Date(), newId: () => `created-${name}` });
    }
    await documents.send(new PutCommand({ TableName: cloud.tableName('registry'), Item: { pk: `PROJECT#${KEEPER}`, sk: 'NOTE#1', note: 'keeper item' } }));
  }, 120_000);

  afterAll(async () => {
    await cloud?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('refuses, then deletes everything of one project with --yes, keeps its audit trail and leaves the other project untouched', async () => {
    // Prepare: a training drop on the doomed project; while it runs, deletion is refused naming the run.
    const doomed = cloud.project(DOOMED);
    const keeper = cloud.project(KEEPER);
    await cloud.putData(DOOMED, 'training', 'patients.csv', new TextEncoder().encode(generatePatients({ patients: 400, seed: 5 }).csv));
    const running = await waitForRunning(cloud, DOOMED);
    await expect(cloud.deleteProject(DOOMED)).rejects.toThrow(new RegExp(`cannot be deleted: execution ${running} of .* is RUNNING`));
    await cloud.waitForIdle(120_000);
    expect(cloud.listRuns(DOOMED)[0].status).toBe('SUCCEEDED');
    expect(await partition('registry', DOOMED)).not.toHaveLength(0);
    expect(await experimentRuns(DOOMED)).not.toHaveLength(0);

    // Another project's item referring to the doomed project's artifacts blocks too.
    const dependent = { pk: `PROJECT#${KEEPER}`, sk: 'LINK#1', source: `s3://${cloud.artifactBucket}/projects/${DOOMED}/training/inbox/patients.csv` };
    await documents.send(new PutCommand({ TableName: cloud.tableName('registry'), Item: dependent }));
    const blocked = await cli(['project', 'delete', DOOMED, '--yes']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(`registry item PROJECT#${KEEPER} LINK#1 (not the project's) refers to projects/${DOOMED}/`);
    expect(cloud.listProjects().map((p) => p.name)).toEqual([DOOMED, KEEPER]);
    await documents.send(new PutCommand({ TableName: cloud.tableName('registry'), Item: { ...dependent, source: 'elsewhere' } }));

    const stackResources = (await cloud.deleteProject(DOOMED, { dryRun: true })).plan.resources;
    const machines = stackResources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine').map((r) => r.physicalId);
    const alarms = stackResources.filter((r) => r.type === 'AWS::CloudWatch::Alarm').map((r) => r.physicalId);
    const doomedUrl = doomed.outputs.EndpointUrl;
    // Training, batch inference and labels.
    expect(machines).toHaveLength(3);
    expect(stackResources.filter((r) => r.type === 'AWS::SNS::Subscription')).toHaveLength(1);
    expect(alarms.length).toBeGreaterThan(0);
    expect(cloud.listFunctionUrls().map((u) => u.url)).toContain(doomedUrl);
    const keeperAlarm = keeper.outputs.DriftAlarmName;
    const keeperKeysBefore = await keys(`projects/${KEEPER}/`);
    const objectsBefore = (await keys(`projects/${DOOMED}/`)).length;
    expect(objectsBefore).toBeGreaterThan(1);

    // Act
    const deleted = await cli(['project', 'delete', DOOMED, '--yes']);

    // Assess: the plan, what was removed, and the verification.
    expect(deleted.stderr).not.toContain('lumina:');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/pipelines +3: /);
    expect(deleted.stdout).toMatch(new RegExp(`artifacts +${objectsBefore} objects, .* under s3://${cloud.artifactBucket}/projects/${DOOMED}/`));
    expect(deleted.stdout).toContain(`Deleted project ${DOOMED}:`);
    expect(deleted.stdout).toContain(`Verified: no resource, object or item of ${DOOMED} is left.`);

    // The stack, its state machines (and their runs), its function URL and alarms are gone.
    expect(cloud.listProjects().map((p) => p.name)).toEqual([KEEPER]);
    expect(() => cloud.stackOutputs(doomed.stackName)).toThrow(LocalCloudError);
    for (const machine of machines) expect(() => cloud.listExecutions(machine)).toThrow(/State Machine Does Not Exist/);
    expect(cloud.listFunctionUrls().map((u) => u.url)).not.toContain(doomedUrl);
    await expect(fetch(doomedUrl)).rejects.toThrow();
    for (const alarm of alarms) expect(cloud.alarmState(alarm)).toBeUndefined();
    // Its artifacts and items are gone.
    expect(await keys(`projects/${DOOMED}/`)).toEqual([]);
    expect(await partition('registry', DOOMED)).toEqual([]);
    expect(await partition('operations', DOOMED)).toEqual([]);
    expect(await experimentRuns(DOOMED)).toEqual([]);
    // The audit trail stays, with the deletion: who, and what counts.
    const trail = await queryAuditTrail({ project: DOOMED }, localAuditStore(cloud));
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['project.created', 'project.deleted']));
    const deletion = trail.find((e) => e.action === 'project.deleted')!;
    expect(deletion).toMatchObject({ actor: 'local:tester', source: 'cli', target: `project:${DOOMED}`, details: { stackName: doomed.stackName, artifacts: { objects: objectsBefore } } });
    expect((deletion.details.items as Record<string, number>).registry).toBeGreaterThan(0);

    // The other project is untouched.
    expect(cloud.stackOutputs(keeper.stackName).TrainingPipelineArn).toBe(keeper.outputs.TrainingPipelineArn);
    expect(cloud.listExecutions(keeper.outputs.TrainingPipelineArn)).toEqual([]);
    expect(cloud.listFunctionUrls().map((u) => u.url)).toContain(cloud.project(KEEPER).outputs.EndpointUrl);
    expect(cloud.alarmState(keeperAlarm)).toBeDefined();
    expect(await keys(`projects/${KEEPER}/`)).toEqual(keeperKeysBefore);
    expect(await partition('registry', KEEPER)).toHaveLength(2);
    expect((await queryAuditTrail({ project: KEEPER }, localAuditStore(cloud))).map((e) => e.action)).toEqual(['project.created']);

    // Nothing routes for the deleted project any more: a drop in its old inbox starts no run.
    const runsBefore = cloud.listExecutions().length;
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${DOOMED}/training/inbox/late.csv`, Body: 'a,b\n1,2\n' }));
    await cloud.waitForIdle(30_000);
    expect(cloud.listExecutions()).toHaveLength(runsBefore);
    await expect(cloud.deleteProject(DOOMED)).rejects.toThrow(`no project named ${DOOMED}`);
  }, 150_000);
});

/** The name of the project's first RUNNING execution, once its data drop has started one. */
async function waitForRunning(cloud: LocalCloud, project: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const run = cloud.listRuns(project).find((r) => r.status === 'RUNNING');
    if (run) return run.name;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no RUNNING execution of ${project} appeared`);
}
