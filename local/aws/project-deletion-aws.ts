/**
 * `lumina project delete NAME --aws`: deleting an ML project from a real AWS account, with the
 * SDK clients passed in. The plan lists the project's stack resources (and those its template
 * keeps), every artifact version and delete marker under `projects/NAME/`, its items per
 * table and its audit entries, and what blocks the deletion. The deletion then goes in an
 * order that loses nothing when a step fails: remove the deployment (Service Catalog
 * termination, or the stack) and wait for it (on failure or timeout stop here: artifacts and
 * items untouched); delete every artifact version; delete the items; record one
 * `project.deleted` audit entry; check again. The audit trail itself is kept. Running it again
 * finishes an interrupted deletion: with the deployment already removed, the plan holds only the
 * data left. With no data left either, a run whose audit write failed is finished by recording
 * the entry alone (the project's newest audit entry is not `project.deleted`); otherwise there is
 * nothing to delete (an error).
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { queryAuditTrail, recordAuditEvent } from '../../lambdas/core/governance/audit-trail';
import { dynamoDbAuditStore } from '../../lambdas/shared/dynamodb-audit-store';
import type { ProjectDeletionPlan, ProjectDeletionResult, ProjectItemTable } from '../cloud-api';
import { type ItemKey, PROJECT_ITEM_TABLES, classifyItems, deleteItems, projectPrefix, scanTable } from '../project-deletion';
import type { AwsCaller, AwsClients } from './aws-clients';
import { type ArtifactDeleteError, deleteArtifactVersions, listArtifactVersions } from './artifact-versions';
import { type StackResource, listStackResources, retainedLogicalIds } from './cloudformation-stack';
import type { AwsPlatform } from './platform-outputs';
import { type DeploymentRemoval, type ProjectDeployment, type RemovalOptions, deploymentBlockers, deploymentLeftovers, findProjectDeployment, removeDeployment, stackAlreadyDeleted } from './project-deployment';

/** Where and as whom the command runs. */
export interface AwsProjectContext {
  readonly clients: AwsClients;
  readonly platform: AwsPlatform;
  readonly region: string;
  readonly caller: AwsCaller;
}

export interface AwsProjectDeletionPlan extends ProjectDeletionPlan {
  /** The project's stack; '' when the deployment is already removed. */
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  /** Who deletes (STS caller ARN): the audit entry's actor. */
  readonly caller: string;
  readonly deployment: ProjectDeployment;
  /** `objects` counts keys whose current version is an object; `bytes` every object version's size. */
  readonly artifacts: ProjectDeletionPlan['artifacts'] & { readonly objectVersions: number; readonly deleteMarkers: number };
  /** Besides the audit trail: the stack resources whose DeletionPolicy keeps them (the project's log groups). */
  readonly retained: ProjectDeletionPlan['retained'] & { readonly resources: readonly StackResource[] };
  /**
   * Set when the deployment and data are gone but the audit trail does not end in `project.deleted`
   * (an earlier run's audit write failed): the deletion only records that entry. The trail's newest entry.
   */
  readonly auditOnly?: { readonly newestAction: string; readonly newestAt: string };
}

export interface AwsProjectDeletionResult extends ProjectDeletionResult {
  readonly plan: AwsProjectDeletionPlan;
  readonly removal: DeploymentRemoval;
  /** Object versions and delete markers deleted. */
  readonly artifactsDeleted: number;
  readonly artifactErrors: readonly ArtifactDeleteError[];
  readonly itemsDeleted: Readonly<Record<ProjectItemTable, number>>;
  /** Steps after the removal that stopped with an error; the steps after them still ran. */
  readonly failures: readonly string[];
}

/** Tables where a project's items are exactly its partition `PROJECT#<name>` (one Query finds them); elsewhere they carry `project: <name>` and only a Scan does. */
const PARTITIONED_TABLES: ReadonlySet<ProjectItemTable> = new Set(['registry', 'operations']);

export interface PlanDeps {
  /** A line saying what is being read (long scans). */
  readonly onStep?: (line: string) => void;
}

export async function planAwsProjectDeletion(project: string, context: AwsProjectContext, deps: PlanDeps = {}): Promise<AwsProjectDeletionPlan> {
  const { clients, platform } = context;
  const step = deps.onStep ?? (() => undefined);
  const deployment = await findProjectDeployment(clients, project, platform.stackName);
  // A product whose stack is already gone (an earlier failed termination) still has its record to terminate, but no resources.
  const stackId = deployment.kind === 'removed' ? undefined : deployment.stack.stackId;
  const stackResources = stackId === undefined || stackAlreadyDeleted(deployment) ? [] : await listStackResources(clients.cloudFormation, stackId);
  const retainedIds = stackId !== undefined && stackResources.length > 0 ? await retainedLogicalIds(clients.cloudFormation, stackId) : new Set<string>();
  const resources = stackResources.filter((r) => !retainedIds.has(r.logicalId));
  const machines = resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine').map((r) => r.physicalId);
  const blockers = [...deploymentBlockers(deployment), ...(await runningExecutionBlockers(clients.sfn, machines))];

  const prefix = projectPrefix(project);
  step(`listing every object version under s3://${platform.artifactBucket}/${prefix}`);
  const listing = await listArtifactVersions(clients.s3, platform.artifactBucket, prefix);

  const items: Record<ProjectItemTable, number> = { registry: 0, experiments: 0, operations: 0, featureStore: 0 };
  // With the deployment already removed, whether items are left decides whether there is anything to do: a consistent read does not see the ones a run just deleted.
  const consistentRead = deployment.kind === 'removed';
  for (const table of PROJECT_ITEM_TABLES) {
    // An item of another project that refers to this one's artifacts can be anywhere: only reading every item finds it (a Scan, acceptable for an admin operation).
    step(`scanning the ${table} table (${platform.tables[table]}) for the project's items and items that refer to ${prefix}`);
    const scanned = classifyItems(await scanTable(clients.dynamodb, platform.tables[table], { consistentRead }), project);
    blockers.push(...scanned.dependents.map((d) => `${table} item ${d} (not the project's) refers to ${prefix}`));
    items[table] = PARTITIONED_TABLES.has(table) ? (await queryPartition(context, table, project, consistentRead)).length : scanned.owned.length;
  }
  // Newest first.
  const audit = await queryAuditTrail({ project }, auditStore(context));
  const auditEntries = audit.length;
  let auditOnly: AwsProjectDeletionPlan['auditOnly'];
  if (deployment.kind === 'removed' && listing.versions.length === 0 && Object.values(items).every((n) => n === 0)) {
    const newest = audit[0];
    if (newest === undefined || newest.action === 'project.deleted') throw new Error(nothingToDelete(project, deployment, context, prefix, auditEntries));
    auditOnly = { newestAction: newest.action, newestAt: newest.at };
  }

  return {
    project,
    stackName: deployment.kind === 'removed' ? '' : deployment.stack.stackName,
    resources,
    artifacts: { bucket: platform.artifactBucket, prefix, objects: listing.currentObjects, bytes: listing.bytes, objectVersions: listing.objectVersions, deleteMarkers: listing.deleteMarkers },
    items,
    retained: { auditEntries, resources: stackResources.filter((r) => retainedIds.has(r.logicalId)) },
    blockers,
    region: context.region,
    account: context.caller.account,
    caller: context.caller.arn,
    deployment,
    ...(auditOnly ? { auditOnly } : {}),
  };
}

export interface AwsDeletionDeps extends RemovalOptions, PlanDeps {
  /** Backoff before resending unprocessed BatchWriteItem deletes. @default - none */
  readonly pauseBeforeRetry?: (round: number) => Promise<void>;
}

/**
 * Deletes what the plan lists. Throws when a blocker stands, and DeploymentRemovalError when
 * the removal fails or times out (nothing else touched then). Once the deployment is gone,
 * every later step runs even if one before it failed; failures, S3's per-key errors and the
 * check's leftovers are in the result.
 */
export async function deleteAwsProject(plan: AwsProjectDeletionPlan, context: AwsProjectContext, deps: AwsDeletionDeps): Promise<AwsProjectDeletionResult> {
  if (plan.blockers.length > 0) throw new Error(`project ${plan.project} cannot be deleted: ${plan.blockers.join('; ')}`);
  const { clients, platform } = context;
  const step = deps.onStep ?? (() => undefined);
  const removal = await removeDeployment(clients, plan.deployment, deps);
  const failures: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      failures.push(`${what}: ${describeError(error)}`);
    }
  };

  // Listed again: objects may have been written between the plan and the removal.
  let artifactsDeleted = 0;
  let artifactErrors: readonly ArtifactDeleteError[] = [];
  let bytes = 0;
  await attempt(`deleting the artifacts under s3://${platform.artifactBucket}/${plan.artifacts.prefix}`, async () => {
    const listing = await listArtifactVersions(clients.s3, platform.artifactBucket, plan.artifacts.prefix);
    step(`deleting ${listing.versions.length} object versions and delete markers under s3://${platform.artifactBucket}/${plan.artifacts.prefix}`);
    const deletion = await deleteArtifactVersions(clients.s3, platform.artifactBucket, listing.versions);
    artifactsDeleted = deletion.deleted;
    artifactErrors = deletion.errors;
    bytes = listing.bytes;
  });

  const itemsDeleted: Record<ProjectItemTable, number> = { registry: 0, experiments: 0, operations: 0, featureStore: 0 };
  for (const table of PROJECT_ITEM_TABLES) {
    await attempt(`deleting the project's items from the ${table} table`, async () => {
      const keys = await projectItemKeys(context, table, plan.project, true);
      if (keys.length > 0) step(`deleting ${keys.length} items from the ${table} table`);
      await deleteItems(clients.dynamodb, platform.tables[table], keys, { pauseBeforeRetry: deps.pauseBeforeRetry });
      itemsDeleted[table] = keys.length;
    });
  }

  let auditEventId: string | undefined;
  await attempt('recording the project.deleted audit entry', async () => {
    const event = await recordAuditEvent(
      {
        project: plan.project,
        action: 'project.deleted',
        actor: plan.caller,
        source: 'cli:aws',
        target: `project:${plan.project}`,
        details: {
          region: plan.region,
          account: plan.account,
          deployment: deploymentDetails(plan.deployment, removal),
          resources: countByType(plan.resources),
          retainedResources: countByType(plan.retained.resources),
          artifacts: { bucket: platform.artifactBucket, prefix: plan.artifacts.prefix, versionsDeleted: artifactsDeleted, bytes, errors: artifactErrors.length },
          items: itemsDeleted,
          ...(plan.auditOnly ? { onlyAuditEntryWasMissing: true } : {}),
          ...(failures.length > 0 ? { failures: [...failures] } : {}),
        },
      },
      { store: auditStore(context), now: deps.now, newId: deps.newId },
    );
    auditEventId = event.id;
  });

  const leftovers = await awsProjectLeftovers(plan, context);
  return { plan, deleted: true, auditEventId, leftovers, removal, artifactsDeleted, artifactErrors, itemsDeleted, failures };
}

/** What the check after a deletion still finds: the product or stack, object versions or markers under the prefix, items of the project. */
export async function awsProjectLeftovers(plan: AwsProjectDeletionPlan, context: AwsProjectContext): Promise<string[]> {
  const { clients, platform } = context;
  const leftovers: string[] = [];
  const check = async (what: string, find: () => Promise<string[]>): Promise<void> => {
    try {
      leftovers.push(...(await find()));
    } catch (error) {
      leftovers.push(`could not check ${what}: ${describeError(error)}`);
    }
  };
  await check('the deployment', () => deploymentLeftovers(clients, plan.deployment));
  await check(`s3://${platform.artifactBucket}/${plan.artifacts.prefix}`, async () => {
    const listing = await listArtifactVersions(clients.s3, platform.artifactBucket, plan.artifacts.prefix);
    return listing.versions.length === 0 ? [] : [`${listing.objectVersions} object versions and ${listing.deleteMarkers} delete markers remain under s3://${platform.artifactBucket}/${plan.artifacts.prefix}`];
  });
  for (const table of PROJECT_ITEM_TABLES) {
    await check(`the ${table} table`, async () => {
      const remaining = (await projectItemKeys(context, table, plan.project, true)).length;
      return remaining === 0 ? [] : [`${remaining} items of the project remain in the ${table} table`];
    });
  }
  return leftovers;
}

/** The project's own items of a table: its partition by Query, or by Scan where items carry `project`. */
async function projectItemKeys(context: AwsProjectContext, table: ProjectItemTable, project: string, consistentRead: boolean): Promise<ItemKey[]> {
  if (PARTITIONED_TABLES.has(table)) return queryPartition(context, table, project, consistentRead);
  return [...classifyItems(await scanTable(context.clients.dynamodb, context.platform.tables[table], { consistentRead }), project).owned];
}

async function queryPartition(context: AwsProjectContext, table: ProjectItemTable, project: string, consistentRead: boolean): Promise<ItemKey[]> {
  const keys: ItemKey[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents(context).send(
      new QueryCommand({
        TableName: context.platform.tables[table],
        KeyConditionExpression: '#pk = :pk',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': `PROJECT#${project}` },
        ConsistentRead: consistentRead,
        ExclusiveStartKey: startKey,
      }),
    );
    keys.push(...(page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return keys;
}

/** Why a project with neither a deployment nor data is an error: where it looked, and what to check. */
function nothingToDelete(project: string, deployment: Extract<ProjectDeployment, { kind: 'removed' }>, context: AwsProjectContext, prefix: string, auditEntries: number): string {
  const looked =
    `Service Catalog has no provisioned product named ${deployment.provisionedProductName} (that you can see), CloudFormation has no stack named ${deployment.stackName}, ` +
    `and there is no object version or delete marker under s3://${context.platform.artifactBucket}/${prefix} and no item of ${project} in the ${PROJECT_ITEM_TABLES.join(', ')} tables`;
  const audit = auditEntries > 0 ? `; the audit trail, which a deletion keeps, holds ${auditEntries} entries of ${project}, the newest recording its deletion: it was deleted already` : '';
  return `project ${project} is neither deployed nor has data left in ${context.region}: nothing to delete. ${looked}${audit}. Check the name for a typo, and the region (--region).`;
}

async function runningExecutionBlockers(sfn: SFNClient, machineArns: readonly string[]): Promise<string[]> {
  const blockers: string[] = [];
  for (const stateMachineArn of machineArns) {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken: token }));
      } catch (error) {
        if ((error as Error).name === 'StateMachineDoesNotExist') break;
        throw error;
      }
      blockers.push(...(page.executions ?? []).map((e) => `execution ${e.name} of ${stateMachineArn.split(':').pop()} is RUNNING (wait for it, or stop it)`));
      token = page.nextToken;
    } while (token);
  }
  return blockers;
}

/** The audit store the registry API uses (lambdas/registry-api/index.ts), on the platform's audit table. */
function auditStore(context: AwsProjectContext) {
  return dynamoDbAuditStore(documents(context), context.platform.tables.audit);
}

function documents(context: AwsProjectContext): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(context.clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
}

/** The deployment in the audit entry; `alreadyRemoved` marks a deletion that an earlier run started and this one finished. */
function deploymentDetails(deployment: ProjectDeployment, removal: DeploymentRemoval): Record<string, unknown> {
  switch (deployment.kind) {
    case 'service-catalog':
      return { kind: deployment.kind, provisionedProduct: deployment.provisionedProductId, name: deployment.provisionedProductName, stack: deployment.stack.stackName, record: removal.recordId };
    case 'cdk-stack':
      return { kind: deployment.kind, stack: deployment.stack.stackName };
    case 'removed':
      return { kind: deployment.kind, alreadyRemoved: true, lookedFor: { provisionedProduct: deployment.provisionedProductName, stack: deployment.stackName } };
  }
}

function countByType(resources: readonly StackResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}
