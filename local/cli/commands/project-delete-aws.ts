/**
 * `lumina project delete NAME --aws`: the CLI side of local/aws/project-deletion-aws.ts. Same
 * conversation as the local command (plan, refusals, confirmation by name, result, check),
 * with the AWS clients made here for the resolved region and real time for the waits.
 */
import { randomUUID } from 'node:crypto';
import { callerIdentity, createAwsClients, MissingRegionError, resolveRegion } from '../../aws/aws-clients';
import { type AwsProjectContext, type AwsProjectDeletionPlan, type AwsProjectDeletionResult, deleteAwsProject, planAwsProjectDeletion } from '../../aws/project-deletion-aws';
import { resolveAwsPlatform } from '../../aws/platform-outputs';
import { DeploymentRemovalError, type ProjectDeployment } from '../../aws/project-deployment';
import { UsageError } from '../args';
import { type CliContext, EXIT_CODES } from '../command';
import { formatDuration, formatFields, toJson } from '../output';
import { type AwsProjectDeleteOptions, confirmByName, formatBytes, groupResourcesByKind, itemCountLines, refuseForBlockers, resourceKindLines } from './project';

/** How often a removal is polled (and a progress line printed). Service Catalog and CloudFormation take minutes. */
const POLL_INTERVAL_MS = 15_000;
/** Backoff before resending throttled BatchWriteItem deletes: 100 ms, 200 ms, … at most 5 s. */
const retryPause = (round: number): Promise<void> => sleep(Math.min(100 * 2 ** (round - 1), 5000));

export async function runAwsProjectDelete(name: string, options: AwsProjectDeleteOptions & { readonly yes: boolean; readonly dryRun: boolean }, context: CliContext): Promise<number> {
  let region: string;
  try {
    region = await resolveRegion(options.region);
  } catch (error) {
    if (error instanceof MissingRegionError) throw new UsageError(error.message, 'project delete');
    throw error;
  }
  const clients = createAwsClients(region);
  const caller = await callerIdentity(clients.sts);
  context.note(`AWS account ${caller.account}, region ${region}, as ${caller.arn}`);
  const platform = await resolveAwsPlatform(clients.cloudFormation, options.platformStack, region);
  const aws: AwsProjectContext = { clients, platform, region, caller };
  const plan = await planAwsProjectDeletion(name, aws, { onStep: context.note });

  if (context.json && options.dryRun) {
    context.print(toJson(plan));
    return plan.blockers.length > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
  }
  if (!context.json) context.print(formatAwsDeletionPlan(plan));
  if (plan.blockers.length > 0) return refuseForBlockers(context, name, plan.blockers);
  if (options.dryRun) return EXIT_CODES.ok;
  let confirmed = plan;
  if (!options.yes) {
    if (!(await confirmByName(context, name))) return EXIT_CODES.failure;
    // A person may take a while to answer: plan again, so the blockers and counts are current.
    confirmed = await planAwsProjectDeletion(name, aws, { onStep: context.note });
    if (confirmed.blockers.length > 0) return refuseForBlockers(context, name, confirmed.blockers);
  }

  let result: AwsProjectDeletionResult;
  try {
    result = await deleteAwsProject(confirmed, aws, {
      now: () => new Date(),
      sleep,
      newId: randomUUID,
      timeoutMs: options.waitTimeoutMinutes * 60_000,
      pollIntervalMs: POLL_INTERVAL_MS,
      onWait: ({ what, status, elapsedMs }) => context.note(`${what}: ${status}, ${formatDuration(elapsedMs)} so far (Ctrl-C stops waiting, not the removal)`),
      onStep: context.note,
      pauseBeforeRetry: retryPause,
    });
  } catch (error) {
    if (!(error instanceof DeploymentRemovalError)) throw error;
    if (context.json) context.print(toJson({ plan: confirmed, deleted: false, error: error.message, reasons: error.reasons }));
    context.io.stderr.write(`lumina: ${error.message}:\n${error.reasons.map((r) => `  - ${r}\n`).join('')}Nothing else was deleted: the artifacts and table items of ${name} are untouched. Run the same command again once the removal is done or its cause is fixed.\n`);
    return EXIT_CODES.failure;
  }

  if (context.json) context.print(toJson(result));
  else context.print(formatAwsDeletionResult(result));
  const problems = [
    ...result.artifactErrors.map((e) => `S3 did not delete ${e.key} (version ${e.versionId}): ${e.code}${e.message ? `: ${e.message}` : ''}`),
    ...result.failures,
    ...result.leftovers,
  ];
  if (problems.length > 0) {
    context.io.stderr.write(`lumina: deleting ${name} left work undone:\n${problems.map((p) => `  - ${p}\n`).join('')}Run the same command again to finish, once the cause is fixed.\n`);
    return EXIT_CODES.failure;
  }
  return EXIT_CODES.ok;
}

export function formatAwsDeletionPlan(plan: AwsProjectDeletionPlan): string {
  const { artifacts, deployment } = plan;
  const artifactLine = `${artifacts.objects} objects (${artifacts.objectVersions} versions, ${formatBytes(artifacts.bytes)}) and ${artifacts.deleteMarkers} delete markers under s3://${artifacts.bucket}/${artifacts.prefix}`;
  const retained = groupResourcesByKind(plan.retained.resources).map(({ kind, resources }) => `${resources.length} ${kind}`);
  return [
    planHeadline(plan, deployment),
    formatFields([...resourceKindLines(plan.resources), ['artifacts', artifactLine], ...itemCountLines(plan.items)]).trimEnd(),
    `Kept: the audit trail (${plan.retained.auditEntries} entries; the deletion adds one)${retained.length > 0 ? `, and what the template retains: ${retained.join(', ')}` : ''}.`,
    '',
  ].join('\n');
}

/** What the deletion removes; for a deployment already removed, that only the data is left and where the command looked. */
function planHeadline(plan: AwsProjectDeletionPlan, deployment: ProjectDeployment): string {
  const account = `AWS account ${plan.account} (${plan.region})`;
  switch (deployment.kind) {
    case 'removed': {
      const gone = `Project ${plan.project} is already removed from ${account}: Service Catalog has no provisioned product named ${deployment.provisionedProductName}, and CloudFormation has no stack named ${deployment.stackName}.`;
      if (plan.auditOnly) {
        const { newestAction, newestAt } = plan.auditOnly;
        return `${gone} No data is left either, but its audit trail ends in ${newestAction} (${newestAt}), not project.deleted: an earlier deletion did not record its entry. Only the project.deleted audit entry will be recorded:`;
      }
      return `${gone} Only its remaining data will be deleted:`;
    }
    case 'service-catalog': {
      const stack = deployment.stack.status === 'DELETE_COMPLETE' ? `its stack ${deployment.stack.stackName} already deleted` : `stack ${deployment.stack.stackName}`;
      return `Deleting project ${plan.project} from ${account} removes (provisioned product ${deployment.provisionedProductName} ${deployment.provisionedProductId}, ${stack}, ${plan.resources.length} resources):`;
    }
    case 'cdk-stack':
      return `Deleting project ${plan.project} from ${account} removes (stack ${deployment.stack.stackName}, deployed with cdk deploy, ${plan.resources.length} resources):`;
  }
}

export function formatAwsDeletionResult(result: AwsProjectDeletionResult): string {
  const { plan } = result;
  const items = Object.values(result.itemsDeleted).reduce((sum, n) => sum + n, 0);
  const problems = result.artifactErrors.length + result.failures.length + result.leftovers.length;
  return [
    `${resultHeadline(result)} deleted ${result.artifactsDeleted} object versions and delete markers and ${items} table items.`,
    result.auditEventId ? `Audit entry ${result.auditEventId} (project.deleted) recorded for ${plan.caller}; the audit trail is kept.` : 'No project.deleted audit entry was recorded (see below).',
    problems === 0 ? `Verified: no product, stack, object version or item of ${plan.project} is left.` : `${problems} problems: ${result.artifactErrors.length} keys S3 refused, ${result.failures.length} failed steps, ${result.leftovers.length} leftovers.`,
    '',
  ].join('\n');
}

/** What was removed, up to the data; a resumed deletion says it terminated nothing. */
function resultHeadline(result: AwsProjectDeletionResult): string {
  const { plan } = result;
  const { deployment } = plan;
  const took = formatDuration(result.removal.elapsedMs);
  switch (deployment.kind) {
    case 'removed':
      if (plan.auditOnly) return `Recorded the deletion of project ${plan.project} (its product/stack and data were already gone):`;
      return `Deleted the remaining data of project ${plan.project} (its product/stack was already removed):`;
    case 'service-catalog':
      return `Deleted project ${plan.project}: terminated provisioned product ${deployment.provisionedProductId} (record ${result.removal.recordId}, ${took}) with its ${plan.resources.length} resources;`;
    case 'cdk-stack':
      return `Deleted project ${plan.project}: deleted stack ${deployment.stack.stackName} (${took}) with its ${plan.resources.length} resources;`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
