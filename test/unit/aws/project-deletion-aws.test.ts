import { DeleteStackCommand, DescribeStackEventsCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { DescribeRecordCommand, SearchProvisionedProductsCommand, TerminateProvisionedProductCommand } from '@aws-sdk/client-service-catalog';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { callerIdentity, createAwsClients } from '../../../local/aws/aws-clients';
import { type AwsDeletionDeps, type AwsProjectContext, deleteAwsProject, planAwsProjectDeletion } from '../../../local/aws/project-deletion-aws';
import { resolveAwsPlatform } from '../../../local/aws/platform-outputs';
import { DeploymentRemovalError, type RemovalWait } from '../../../local/aws/project-deployment';
import { BUCKET, CALLER_ARN, CDK_STACK_ARN, FakeAws, type FakeAwsOptions, PRODUCT_ID, REGION, SC_STACK_ARN, SC_STACK_NAME, TABLES, machineArn, mocks } from './fake-aws';

async function connect(options: FakeAwsOptions = {}): Promise<{ world: FakeAws; context: AwsProjectContext }> {
  const world = new FakeAws(options);
  const clients = createAwsClients(REGION);
  const platform = await resolveAwsPlatform(clients.cloudFormation, 'LuminaOps', REGION);
  return { world, context: { clients, platform, region: REGION, caller: await callerIdentity(clients.sts) } };
}

/** A clock that only moves when the code sleeps, and a record of the waits and retry pauses. */
function fakeDeps(overrides: Partial<AwsDeletionDeps> = {}) {
  let time = Date.parse('2026-03-02T09:00:00.000Z');
  let ids = 0;
  const waits: RemovalWait[] = [];
  const sleeps: number[] = [];
  const pauses: number[] = [];
  const deps: AwsDeletionDeps = {
    now: () => new Date(time),
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    newId: () => `id-${++ids}`,
    timeoutMs: 30 * 60_000,
    pollIntervalMs: 15_000,
    onWait: (wait) => waits.push(wait),
    pauseBeforeRetry: async (round) => {
      pauses.push(round);
    },
    ...overrides,
  };
  return { deps, waits, sleeps, pauses };
}

describe('planAwsProjectDeletion', () => {
  it('lists the stack resources (apart from the retained ones), every artifact version and marker, the items per table and the audit entries, reading every page', async () => {
    // Prepare
    const { context } = await connect();

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);

    // Assess
    expect(plan.deployment).toEqual({ kind: 'service-catalog', provisionedProductId: PRODUCT_ID, provisionedProductName: 'adherence', status: 'AVAILABLE', stack: { stackId: SC_STACK_ARN, stackName: SC_STACK_NAME, status: 'CREATE_COMPLETE' } });
    expect(plan.stackName).toBe(SC_STACK_NAME);
    expect(plan.resources.map((r) => r.logicalId)).toEqual(['TrainingPipeline', 'InferencePipeline', 'LabelsPipeline', 'ScoreChunk', 'EndpointUrl', 'DriftAlarm', 'DataDropRule', 'PipelineRole', 'RetrainSchedule']);
    expect(plan.retained.resources.map((r) => r.logicalId)).toEqual(['ScoreChunkLogs', 'TrainingLogs']);
    expect(plan.artifacts).toEqual({ bucket: BUCKET, prefix: 'projects/adherence/', objects: 3, objectVersions: 5, deleteMarkers: 1, bytes: 3690 });
    expect(plan.items).toEqual({ registry: 4, experiments: 2, operations: 3, featureStore: 0 });
    expect(plan.retained.auditEntries).toBe(2);
    expect(plan.blockers).toEqual([]);
    expect(plan).toMatchObject({ region: REGION, account: '123456789012', caller: CALLER_ARN });
    // 11 resources in pages of 4, 6 versions and markers in pages of 2, the record's outputs in 2 pages.
    expect(mocks.cloudFormation.commandCalls(ListStackResourcesCommand)).toHaveLength(3);
    expect(mocks.s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(3);
    expect(mocks.serviceCatalog.commandCalls(DescribeRecordCommand).map((c) => c.args[0].input.PageToken)).toEqual([undefined, 'outputs-2']);
  });

  it("finds the product's stack through SearchProvisionedProducts when the provisioning record does not name it", async () => {
    const { context } = await connect({ recordNamesStack: false });

    const plan = await planAwsProjectDeletion('adherence', context);

    expect(plan.deployment).toMatchObject({ kind: 'service-catalog', stack: { stackId: SC_STACK_ARN } });
    expect(mocks.serviceCatalog.commandCalls(SearchProvisionedProductsCommand)[0].args[0].input).toMatchObject({ Filters: { SearchQuery: [`id:${PRODUCT_ID}`] } });
  });

  it('names every blocker: RUNNING executions on every page, a product UNDER_CHANGE, and items of others that refer to the artifacts', async () => {
    // Prepare
    const training = machineArn('TrainingPipeline-Ab12');
    const { world, context } = await connect({ productStatus: 'UNDER_CHANGE', runningExecutions: { [training]: ['run-7', 'run-8'] } });
    world.tables.featureStore.push({ pk: 'FG#vitals', sk: 'INGEST#000001#x', source: `s3://${BUCKET}/projects/adherence/training/inbox/patients.csv` });

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);

    // Assess
    expect(plan.blockers).toEqual([
      'provisioned product adherence is UNDER_CHANGE (a provisioning, update, termination or plan is under way; wait for it to finish, then run this again)',
      'execution run-7 of TrainingPipeline-Ab12 is RUNNING (wait for it, or stop it)',
      'execution run-8 of TrainingPipeline-Ab12 is RUNNING (wait for it, or stop it)',
      "featureStore item FG#vitals INGEST#000001#x (not the project's) refers to projects/adherence/",
    ]);
    expect(mocks.sfn.commandCalls(ListExecutionsCommand).filter((c) => c.args[0].input.stateMachineArn === training).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: training, statusFilter: 'RUNNING', nextToken: undefined },
      { stateMachineArn: training, statusFilter: 'RUNNING', nextToken: '1' },
    ]);
    await expect(deleteAwsProject(plan, context, fakeDeps().deps)).rejects.toThrow('project adherence cannot be deleted: provisioned product adherence is UNDER_CHANGE (a provisioning, update, termination or plan is under way;');
    expect(world.writes()).toEqual([]);
  });

  it('names the stack deployed with cdk deploy when there is no provisioned product', async () => {
    const { context } = await connect({ deployment: 'cdk-stack' });

    const plan = await planAwsProjectDeletion('adherence', context);

    expect(plan.deployment).toEqual({ kind: 'cdk-stack', stack: { stackId: CDK_STACK_ARN, stackName: 'LuminaOps-adherence', status: 'CREATE_COMPLETE' } });
    expect(plan.resources).toHaveLength(9);
  });

  it('plans only the data left when neither the product nor the stack exists any more', async () => {
    // Prepare
    const { world, context } = await connect({ deployment: 'none' });

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);

    // Assess
    expect(plan.deployment).toEqual({ kind: 'removed', provisionedProductName: 'adherence', stackName: 'LuminaOps-adherence' });
    expect(plan).toMatchObject({ stackName: '', resources: [], retained: { auditEntries: 2, resources: [] }, blockers: [] });
    expect(plan.artifacts).toMatchObject({ objectVersions: 5, deleteMarkers: 1 });
    expect(plan.items).toEqual({ registry: 4, experiments: 2, operations: 3, featureStore: 0 });
    expect(mocks.cloudFormation.commandCalls(ListStackResourcesCommand)).toHaveLength(0);
    expect(world.writes()).toEqual([]);
  });

  it('counts a lone delete marker as data left', async () => {
    const { world, context } = await connect({ deployment: 'none' });
    world.objects.splice(0, world.objects.length, ...world.objects.filter((o) => o.deleteMarker || o.key.startsWith('projects/keeper/')));
    for (const table of ['registry', 'experiments', 'operations'] as const) world.tables[table] = world.tables[table].filter((i) => !`${i.pk}`.includes('adherence'));

    const plan = await planAwsProjectDeletion('adherence', context);

    expect(plan.deployment.kind).toBe('removed');
    expect(plan.artifacts).toMatchObject({ objects: 0, objectVersions: 0, deleteMarkers: 1 });
    expect(plan.items).toEqual({ registry: 0, experiments: 0, operations: 0, featureStore: 0 });
  });

  it('fails, naming every place it looked, when neither a deployment nor data is left, and says the audit trail holds the project', async () => {
    // Prepare: a deletion that finished.
    const { world, context } = await connect();
    await deleteAwsProject(await planAwsProjectDeletion('adherence', context), context, fakeDeps().deps);
    const writes = world.writes();

    // Act
    const failure = planAwsProjectDeletion('adherence', context);

    // Assess
    await expect(failure).rejects.toThrow(
      `project adherence is neither deployed nor has data left in eu-west-1: nothing to delete. Service Catalog has no provisioned product named adherence (that you can see), CloudFormation has no stack named LuminaOps-adherence, and there is no object version or delete marker under s3://${BUCKET}/projects/adherence/ and no item of adherence in the registry, experiments, operations, featureStore tables; the audit trail, which a deletion keeps, holds 3 entries of adherence, the newest recording its deletion: it was deleted already. Check the name for a typo, and the region (--region).`,
    );
    expect(world.writes()).toEqual(writes);
  });

  it('fails with the typo hint alone for a name that never had anything', async () => {
    const { world, context } = await connect();

    await expect(planAwsProjectDeletion('adherenc', context)).rejects.toThrow(
      /^project adherenc is neither deployed nor has data left in eu-west-1: nothing to delete\. .* featureStore tables\. Check the name for a typo, and the region \(--region\)\.$/,
    );
    expect(world.writes()).toEqual([]);
  });

  it("refuses a stack whose ProjectName parameter is another project's", async () => {
    const { world, context } = await connect({ projectParameter: 'readmission' });

    await expect(planAwsProjectDeletion('adherence', context)).rejects.toThrow(`stack ${SC_STACK_NAME} was deployed for project readmission (its ProjectName parameter), not adherence`);
    expect(world.writes()).toEqual([]);
  });
});

describe('resolveAwsPlatform', () => {
  it('reads the bucket and table names from the exports', async () => {
    const { context } = await connect();

    expect(context.platform).toEqual({ stackName: 'LuminaOps', artifactBucket: BUCKET, tables: TABLES });
  });

  it('fails with the stack and region when the platform stack is missing', async () => {
    new FakeAws({ platform: false });

    await expect(resolveAwsPlatform(createAwsClients(REGION).cloudFormation, 'LuminaOps', REGION)).rejects.toThrow(
      'no CloudFormation stack named LuminaOps in eu-west-1: deploy the platform first (npx cdk deploy LuminaOps), or pass the right --platform-stack or --region',
    );
  });

  it('fails naming the export the platform stack lacks', async () => {
    new FakeAws({ missingExports: ['LuminaOps:Table-audit'] });

    await expect(resolveAwsPlatform(createAwsClients(REGION).cloudFormation, 'LuminaOps', REGION)).rejects.toThrow('stack LuminaOps has no output exported as LuminaOps:Table-audit');
  });
});

describe('deleteAwsProject', () => {
  it('terminates the product first, then deletes every artifact version, the items and records one audit entry as the STS caller; the check finds nothing', async () => {
    // Prepare
    const { world, context } = await connect();
    const plan = await planAwsProjectDeletion('adherence', context);
    const { deps } = fakeDeps();

    // Act
    const result = await deleteAwsProject(plan, context, deps);

    // Assess
    expect(world.writes()).toEqual(['TerminateProvisionedProductCommand', 'DeleteObjectsCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'PutCommand']);
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)[0].args[0].input).toEqual({ ProvisionedProductId: PRODUCT_ID, TerminateToken: 'id-1', IgnoreErrors: false });
    const deleted = mocks.s3.commandCalls(DeleteObjectsCommand)[0].args[0].input.Delete?.Objects;
    expect(deleted).toHaveLength(6);
    expect(deleted).toContainEqual({ Key: 'projects/adherence/training/inbox/old.csv', VersionId: 'dm1' });
    expect(world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
    expect(['registry', 'experiments', 'operations'].flatMap((t) => world.projectItems(t as 'registry'))).toEqual([]);
    expect(world.projectItems('registry', 'keeper')).toEqual(['PROJECT#keeper VERSION#000001']);
    const audit = mocks.documents.commandCalls(PutCommand)[0].args[0].input;
    expect(audit.TableName).toBe(TABLES.audit);
    expect(audit.Item).toMatchObject({
      pk: 'PROJECT#adherence',
      event: {
        action: 'project.deleted',
        actor: CALLER_ARN,
        source: 'cli:aws',
        target: 'project:adherence',
        details: {
          deployment: { kind: 'service-catalog', provisionedProduct: PRODUCT_ID, stack: SC_STACK_NAME, record: 'rec-terminate-1' },
          artifacts: { versionsDeleted: 6, bytes: 3690, errors: 0 },
          items: { registry: 4, experiments: 2, operations: 3, featureStore: 0 },
          retainedResources: { 'AWS::Logs::LogGroup': 2 },
        },
      },
    });
    expect(result).toMatchObject({ deleted: true, auditEventId: 'id-2', artifactsDeleted: 6, artifactErrors: [], itemsDeleted: { registry: 4, experiments: 2, operations: 3, featureStore: 0 }, failures: [], leftovers: [] });
  });

  it('waits for the termination record, reporting the status and elapsed time after each poll', async () => {
    const { context } = await connect({ removalStatuses: ['IN_PROGRESS', 'IN_PROGRESS_IN_ERROR', 'SUCCEEDED'] });
    const plan = await planAwsProjectDeletion('adherence', context);
    const { deps, waits, sleeps } = fakeDeps();

    const result = await deleteAwsProject(plan, context, deps);

    expect(waits).toEqual([
      { what: `terminating provisioned product adherence (${PRODUCT_ID}), record rec-terminate-1`, status: 'IN_PROGRESS', elapsedMs: 0 },
      { what: `terminating provisioned product adherence (${PRODUCT_ID}), record rec-terminate-1`, status: 'IN_PROGRESS_IN_ERROR', elapsedMs: 15_000 },
    ]);
    expect(sleeps).toEqual([15_000, 15_000]);
    expect(result.removal).toEqual({ recordId: 'rec-terminate-1', elapsedMs: 30_000 });
    expect(result.leftovers).toEqual([]);
  });

  it('stops when the termination FAILED, with the record errors, and deletes no artifact and no item', async () => {
    const { world, context } = await connect({ removalStatuses: ['FAILED'] });
    const plan = await planAwsProjectDeletion('adherence', context);

    const failure = await deleteAwsProject(plan, context, fakeDeps().deps).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DeploymentRemovalError);
    expect((failure as DeploymentRemovalError).message).toBe(`terminating provisioned product adherence (${PRODUCT_ID}) failed (record rec-terminate-1 is FAILED)`);
    expect((failure as DeploymentRemovalError).reasons).toEqual(['CFN_STACK_DELETE_FAILED: Resource PipelineRole: Cannot delete entity, must detach all policies first.']);
    expect(world.writes()).toEqual(['TerminateProvisionedProductCommand']);
    expect(world.objects).toHaveLength(7);
    expect(world.projectItems('registry')).toHaveLength(4);
  });

  it('gives up after --wait-timeout and deletes nothing else', async () => {
    const { world, context } = await connect({ removalStatuses: ['IN_PROGRESS'] });
    const plan = await planAwsProjectDeletion('adherence', context);
    const { deps, waits } = fakeDeps({ timeoutMs: 60_000 });

    const failure = await deleteAwsProject(plan, context, deps).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DeploymentRemovalError);
    expect((failure as Error).message).toBe(`terminating provisioned product adherence (${PRODUCT_ID}), record rec-terminate-1: still IN_PROGRESS after the --wait-timeout of 1 minute`);
    expect(waits.map((w) => w.elapsedMs)).toEqual([0, 15_000, 30_000, 45_000]);
    expect(world.writes()).toEqual(['TerminateProvisionedProductCommand']);
    expect(world.objects).toHaveLength(7);
  });

  it("reports the keys S3 refuses, still deletes the items, and the check lists what is left", async () => {
    const { world, context } = await connect({ undeletableKeys: ['projects/adherence/runs/r1/model.json'] });
    const plan = await planAwsProjectDeletion('adherence', context);

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    expect(result.artifactErrors).toEqual([{ key: 'projects/adherence/runs/r1/model.json', versionId: 'v1', code: 'AccessDenied', message: 'Access Denied' }]);
    expect(result.artifactsDeleted).toBe(5);
    expect(world.projectItems('registry')).toEqual([]);
    expect(result.leftovers).toEqual([`1 object versions and 0 delete markers remain under s3://${BUCKET}/projects/adherence/`]);
  });

  it('goes on with the items and the audit entry when a step fails, and reports the failure', async () => {
    const { world, context } = await connect({ deleteObjectsDenied: true });
    const plan = await planAwsProjectDeletion('adherence', context);

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    const failure = `deleting the artifacts under s3://${BUCKET}/projects/adherence/: AccessDenied: User is not authorized to perform: s3:DeleteObjectVersion`;
    expect(result.failures).toEqual([failure]);
    expect(world.projectItems('registry')).toEqual([]);
    expect(mocks.documents.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ event: { details: { failures: [failure], artifacts: { versionsDeleted: 0 } } } });
    expect(result.leftovers).toEqual([`5 object versions and 1 delete markers remain under s3://${BUCKET}/projects/adherence/`]);
  });

  it('lists items of the project the check still finds', async () => {
    const { context } = await connect({ itemsThatComeBack: ['PROJECT#adherence STAGES', 'EXPERIMENT#adherence RUN#r2'] });
    const plan = await planAwsProjectDeletion('adherence', context);

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    expect(result.failures).toEqual([]);
    expect(result.leftovers).toEqual(['1 items of the project remain in the registry table', '1 items of the project remain in the experiments table']);
  });

  it('deletes artifact versions in requests of at most 1000', async () => {
    const { world, context } = await connect();
    world.objects.push(...Array.from({ length: 2494 }, (_, i) => ({ key: `projects/adherence/logs/${String(i).padStart(5, '0')}.json`, versionId: 'v1', deleteMarker: false, latest: true, size: 1 })));
    const plan = await planAwsProjectDeletion('adherence', context);

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    expect(mocks.s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length)).toEqual([1000, 1000, 500]);
    expect(result.artifactsDeleted).toBe(2500);
    expect(result.leftovers).toEqual([]);
  });

  it('resends the deletes DynamoDB leaves unprocessed, after a pause', async () => {
    const { world, context } = await connect({ unprocessedOnFirstWrite: 1 });
    const plan = await planAwsProjectDeletion('adherence', context);
    const { deps, pauses } = fakeDeps();

    const result = await deleteAwsProject(plan, context, deps);

    const registryWrites = mocks.dynamodb.commandCalls(BatchWriteItemCommand).filter((c) => TABLES.registry in (c.args[0].input.RequestItems ?? {}));
    expect(registryWrites.map((c) => c.args[0].input.RequestItems?.[TABLES.registry].length)).toEqual([4, 1]);
    expect(pauses).toEqual([1, 1, 1]);
    expect(world.projectItems('registry')).toEqual([]);
    expect(result.leftovers).toEqual([]);
  });

  it('lists the product and stack as leftovers when they are still there after a SUCCEEDED termination', async () => {
    const { context } = await connect({ productSurvivesTermination: true });
    const plan = await planAwsProjectDeletion('adherence', context);

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    expect(result.leftovers).toEqual([`provisioned product adherence (${PRODUCT_ID}) still exists (AVAILABLE)`, `stack ${SC_STACK_NAME} is still there (CREATE_COMPLETE)`]);
  });

  it('deletes a cdk-deployed stack, waits for DELETE_COMPLETE and then cleans up the same way', async () => {
    const { world, context } = await connect({ deployment: 'cdk-stack', removalStatuses: ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'] });
    const plan = await planAwsProjectDeletion('adherence', context);
    const { deps, waits } = fakeDeps();

    const result = await deleteAwsProject(plan, context, deps);

    expect(mocks.cloudFormation.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([{ StackName: CDK_STACK_ARN, ClientRequestToken: 'id-1' }]);
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)).toHaveLength(0);
    expect(waits).toEqual([{ what: 'deleting stack LuminaOps-adherence', status: 'DELETE_IN_PROGRESS', elapsedMs: 0 }]);
    expect(world.writes()[0]).toBe('DeleteStackCommand');
    expect(result.leftovers).toEqual([]);
    expect(world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
  });

  it("stops at DELETE_FAILED with the failed resources' reasons from this deletion's events", async () => {
    const { world, context } = await connect({ deployment: 'cdk-stack', removalStatuses: ['DELETE_FAILED'] });
    const plan = await planAwsProjectDeletion('adherence', context);

    const failure = await deleteAwsProject(plan, context, fakeDeps().deps).catch((error: unknown) => error);

    expect((failure as Error).message).toBe('deleting stack LuminaOps-adherence failed (DELETE_FAILED)');
    expect((failure as DeploymentRemovalError).reasons).toEqual(['PipelineRole (AWS::IAM::Role): Cannot delete entity, must detach all policies first.']);
    expect(mocks.cloudFormation.commandCalls(DescribeStackEventsCommand)).toHaveLength(2);
    expect(world.writes()).toEqual(['DeleteStackCommand']);
  });

  it.each([
    ['DELETE_COMPLETE', 'deleted' as const],
    ['no longer known to CloudFormation', 'forgotten' as const],
  ])('terminates a product whose stack is already gone (%s), with RetainPhysicalResources and no resources to list', async (_case, productStack) => {
    // Prepare
    const { world, context } = await connect({ productStack });

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);
    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    // Assess
    expect(plan.deployment).toEqual({ kind: 'service-catalog', provisionedProductId: PRODUCT_ID, provisionedProductName: 'adherence', status: 'AVAILABLE', stack: { stackId: SC_STACK_ARN, stackName: SC_STACK_NAME, status: 'DELETE_COMPLETE' } });
    expect(plan).toMatchObject({ resources: [], retained: { resources: [] }, blockers: [] });
    expect(mocks.cloudFormation.commandCalls(ListStackResourcesCommand)).toHaveLength(0);
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand).map((c) => c.args[0].input)).toEqual([{ ProvisionedProductId: PRODUCT_ID, TerminateToken: 'id-1', IgnoreErrors: false, RetainPhysicalResources: true }]);
    expect(result.leftovers).toEqual([]);
    expect(world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
  });
});

describe('deleteAwsProject, run again after an earlier run removed the deployment', () => {
  it('deletes the versions and items the timed-out run left, sends no termination or stack deletion, and the audit entry says the deployment was already removed', async () => {
    // Prepare: the first run stops waiting; AWS finishes the termination afterwards.
    const { world, context } = await connect({ removalStatuses: ['IN_PROGRESS'] });
    const first = await deleteAwsProject(await planAwsProjectDeletion('adherence', context), context, fakeDeps({ timeoutMs: 60_000 }).deps).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(DeploymentRemovalError);
    world.productExists = false;
    world.stackStatus = 'DELETE_COMPLETE';

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);
    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    // Assess
    expect(plan.deployment).toEqual({ kind: 'removed', provisionedProductName: 'adherence', stackName: 'LuminaOps-adherence' });
    expect(world.writes()).toEqual(['TerminateProvisionedProductCommand', 'DeleteObjectsCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand', 'PutCommand']);
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)).toHaveLength(1);
    expect(mocks.cloudFormation.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
    expect(['registry', 'experiments', 'operations'].flatMap((t) => world.projectItems(t as 'registry'))).toEqual([]);
    expect(mocks.documents.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({
      event: {
        action: 'project.deleted',
        actor: CALLER_ARN,
        details: {
          deployment: { kind: 'removed', alreadyRemoved: true, lookedFor: { provisionedProduct: 'adherence', stack: 'LuminaOps-adherence' } },
          resources: {},
          artifacts: { versionsDeleted: 6, bytes: 3690, errors: 0 },
          items: { registry: 4, experiments: 2, operations: 3, featureStore: 0 },
        },
      },
    });
    expect(result).toMatchObject({ removal: { elapsedMs: 0 }, artifactsDeleted: 6, failures: [], leftovers: [] });
  });

  it('deletes the versions S3 refused the first time once it no longer refuses', async () => {
    // Prepare: the first run terminated the product and deleted the items, but DeleteObjects was denied; then the permission is granted.
    const { world, context } = await connect({ deleteObjectsDenied: true });
    const first = await deleteAwsProject(await planAwsProjectDeletion('adherence', context), context, fakeDeps().deps);
    expect(first.leftovers).toEqual([`5 object versions and 1 delete markers remain under s3://${BUCKET}/projects/adherence/`]);
    world.deleteObjectsDenied = false;

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);
    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    // Assess
    expect(plan.deployment.kind).toBe('removed');
    expect(plan.items).toEqual({ registry: 0, experiments: 0, operations: 0, featureStore: 0 });
    expect(result).toMatchObject({ artifactsDeleted: 6, itemsDeleted: { registry: 0, experiments: 0, operations: 0, featureStore: 0 }, failures: [], leftovers: [] });
    expect(world.objects.map((o) => o.key)).toEqual(['projects/keeper/config/training.json']);
    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)).toHaveLength(1);
  });

  it('records only the project.deleted entry when the earlier run deleted everything but could not write it; a third run finds nothing to do', async () => {
    // Prepare: the first run removes the deployment, artifacts and items; its audit write is denied.
    const { world, context } = await connect();
    world.auditWriteDenied = true;
    const first = await deleteAwsProject(await planAwsProjectDeletion('adherence', context), context, fakeDeps().deps);
    expect(first.failures).toEqual(['recording the project.deleted audit entry: AccessDeniedException: User is not authorized to perform: dynamodb:PutItem']);
    expect(first.auditEventId).toBeUndefined();
    world.productExists = false;
    world.stackStatus = 'DELETE_COMPLETE';
    world.auditWriteDenied = false;
    const entriesBefore = world.tables.audit.length;

    // Act
    const plan = await planAwsProjectDeletion('adherence', context);
    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    // Assess
    expect(plan).toMatchObject({ deployment: { kind: 'removed' }, artifacts: { objectVersions: 0, deleteMarkers: 0 }, items: { registry: 0, experiments: 0, operations: 0, featureStore: 0 } });
    expect(plan.auditOnly).toEqual({ newestAction: 'model.promoted', newestAt: '2026-03-01T09:00:00.000Z' });
    expect(result).toMatchObject({ auditEventId: 'id-1', artifactsDeleted: 0, itemsDeleted: { registry: 0, experiments: 0, operations: 0, featureStore: 0 }, failures: [], leftovers: [] });
    expect(world.tables.audit).toHaveLength(entriesBefore + 1);
    expect(mocks.documents.commandCalls(PutCommand).at(-1)!.args[0].input.Item).toMatchObject({
      event: { action: 'project.deleted', details: { deployment: { kind: 'removed', alreadyRemoved: true }, onlyAuditEntryWasMissing: true } },
    });
    await expect(planAwsProjectDeletion('adherence', context)).rejects.toThrow(/the newest recording its deletion: it was deleted already/);
  });

  it('lists a product that appeared under the name during the deletion as a leftover', async () => {
    const { world, context } = await connect({ deployment: 'none' });
    const plan = await planAwsProjectDeletion('adherence', context);
    world.productExists = true;

    const result = await deleteAwsProject(plan, context, fakeDeps().deps);

    expect(mocks.serviceCatalog.commandCalls(TerminateProvisionedProductCommand)).toHaveLength(0);
    expect(result.leftovers).toEqual([`a provisioned product named adherence (${PRODUCT_ID}) exists now (AVAILABLE): it appeared during the deletion`]);
  });
});
