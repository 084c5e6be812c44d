/**
 * How an ML project is deployed in AWS, and its removal. A project is either a Service
 * Catalog provisioned product (what data scientists launch) or a stack deployed with
 * `cdk deploy -c project=NAME <platform stack>-NAME` (lib/app.ts). Removal terminates the
 * product (Service Catalog deletes its stack with the launch role) or deletes the stack,
 * then waits for the outcome, reporting progress; a failure or a timeout throws
 * DeploymentRemovalError so that nothing else is touched. When neither exists any more (an
 * earlier run removed it, then failed or stopped waiting), the deployment is `removed`: there is
 * nothing to remove, and the deletion goes on with the data that is left.
 */
import type { CloudFormationClient, Stack } from '@aws-sdk/client-cloudformation';
import {
  DescribeProvisionedProductCommand,
  DescribeRecordCommand,
  type ProvisionedProductDetail,
  type RecordOutput,
  SearchProvisionedProductsCommand,
  type ServiceCatalogClient,
  TerminateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { describeStack, isDeleted, stackDeleteFailures, startStackDeletion } from './cloudformation-stack';

export interface DeployedStack {
  /** The stack's ARN: it finds the stack also once deleted (DELETE_COMPLETE). */
  readonly stackId: string;
  readonly stackName: string;
  readonly status: string;
}

export type ProjectDeployment =
  | {
      readonly kind: 'service-catalog';
      readonly provisionedProductId: string;
      readonly provisionedProductName: string;
      /** AVAILABLE, UNDER_CHANGE, TAINTED, ERROR or PLAN_IN_PROGRESS. */
      readonly status: string;
      readonly stack: DeployedStack;
    }
  | { readonly kind: 'cdk-stack'; readonly stack: DeployedStack }
  | {
      /** No provisioned product and no live stack: already removed (or a wrong name or region, which only the data left can tell apart). */
      readonly kind: 'removed';
      /** The provisioned product name looked for. */
      readonly provisionedProductName: string;
      /** The cdk stack name looked for. */
      readonly stackName: string;
    };

export interface DeploymentClients {
  readonly serviceCatalog: ServiceCatalogClient;
  readonly cloudFormation: CloudFormationClient;
}

/** Service Catalog names the stack it provisioned in this output of the provisioning record. */
const STACK_ARN_OUTPUT = 'CloudformationStackARN';
/** The product template's parameter that names the project (lib/constructs/ml-project-parameters.ts). */
const PROJECT_NAME_PARAMETER = 'ProjectName';

/**
 * Finds the project's deployment: first a provisioned product named like the project, else the
 * CDK stack `<platform stack>-<project>`, else `removed`. Terminated products are not found
 * (Service Catalog answers ResourceNotFound; its product statuses have no TERMINATED).
 */
export async function findProjectDeployment(clients: DeploymentClients, project: string, platformStackName: string): Promise<ProjectDeployment> {
  const product = await provisionedProductNamed(clients.serviceCatalog, project);
  if (product) {
    const id = product.Id ?? '';
    if (product.Type !== 'CFN_STACK') throw new Error(`provisioned product ${project} (${id}) is of type ${product.Type ?? 'unknown'}, not a CloudFormation stack (CFN_STACK): not a LuminaOps ML project`);
    const stackId = await provisionedStackId(clients.serviceCatalog, product);
    const stack = await describeStack(clients.cloudFormation, stackId);
    // CloudFormation finds a deleted stack by id for 90 days only; after that the product record is all that is left, and it is still terminated.
    if (stack) checkProjectParameter(stack, project, `provisioned product ${project} (${id})`);
    return {
      kind: 'service-catalog',
      provisionedProductId: id,
      provisionedProductName: product.Name ?? project,
      status: product.Status ?? 'unknown',
      stack: stack ? deployedStack(stack) : { stackId, stackName: stackNameOfArn(stackId), status: 'DELETE_COMPLETE' },
    };
  }
  const stackName = `${platformStackName}-${project}`;
  const stack = await describeStack(clients.cloudFormation, stackName);
  if (stack && !isDeleted(stack)) {
    checkProjectParameter(stack, project, `stack ${stackName}`);
    return { kind: 'cdk-stack', stack: deployedStack(stack) };
  }
  return { kind: 'removed', provisionedProductName: project, stackName };
}

/** Whether the deployment's stack is already deleted (a product whose stack is gone still has its record to terminate). */
export function stackAlreadyDeleted(deployment: ProjectDeployment): boolean {
  return deployment.kind === 'removed' || deployment.stack.status === 'DELETE_COMPLETE';
}

/** Why the deployment cannot be removed now; empty when it can. */
export function deploymentBlockers(deployment: ProjectDeployment): string[] {
  const blockers: string[] = [];
  if (deployment.kind === 'service-catalog' && (deployment.status === 'UNDER_CHANGE' || deployment.status === 'PLAN_IN_PROGRESS')) {
    blockers.push(`provisioned product ${deployment.provisionedProductName} is ${deployment.status} (a provisioning, update, termination or plan is under way; wait for it to finish, then run this again)`);
  }
  if (deployment.kind === 'cdk-stack' && deployment.stack.status.endsWith('_IN_PROGRESS')) {
    blockers.push(`stack ${deployment.stack.stackName} is ${deployment.stack.status} (wait for that operation to finish)`);
  }
  return blockers;
}

/** A removal that failed or did not finish in time; `reasons` are what Service Catalog or CloudFormation said. */
export class DeploymentRemovalError extends Error {
  constructor(
    message: string,
    readonly reasons: readonly string[],
  ) {
    super(message);
    this.name = 'DeploymentRemovalError';
  }
}

export interface RemovalWait {
  readonly what: string;
  readonly status: string;
  readonly elapsedMs: number;
}

export interface RemovalOptions {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Idempotency tokens (TerminateToken, ClientRequestToken). */
  readonly newId: () => string;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  /** Called after each poll that found the removal still going. */
  readonly onWait?: (wait: RemovalWait) => void;
}

export interface DeploymentRemoval {
  /** The Service Catalog record of the termination. */
  readonly recordId?: string;
  readonly elapsedMs: number;
}

/** Terminates the product or deletes the stack and waits until it is gone; throws DeploymentRemovalError on failure or timeout. Sends nothing for a `removed` deployment. */
export async function removeDeployment(clients: DeploymentClients, deployment: ProjectDeployment, options: RemovalOptions): Promise<DeploymentRemoval> {
  switch (deployment.kind) {
    case 'service-catalog':
      return terminateProduct(clients.serviceCatalog, deployment, options);
    case 'cdk-stack':
      return deleteCdkStack(clients.cloudFormation, deployment.stack, options);
    case 'removed':
      return { elapsedMs: 0 };
  }
}

/** What the check after a removal still finds of the deployment; for a `removed` one, a product or stack by the names looked for that appeared meanwhile. */
export async function deploymentLeftovers(clients: DeploymentClients, deployment: ProjectDeployment): Promise<string[]> {
  const leftovers: string[] = [];
  if (deployment.kind === 'removed') {
    const product = await provisionedProductNamed(clients.serviceCatalog, deployment.provisionedProductName);
    if (product) leftovers.push(`a provisioned product named ${deployment.provisionedProductName} (${product.Id ?? 'no id'}) exists now (${product.Status ?? 'no status'}): it appeared during the deletion`);
    const stack = await describeStack(clients.cloudFormation, deployment.stackName);
    if (!isDeleted(stack)) leftovers.push(`a stack named ${deployment.stackName} exists now (${stack?.StackStatus ?? 'no status'}): it appeared during the deletion`);
    return leftovers;
  }
  if (deployment.kind === 'service-catalog') {
    const product = await provisionedProduct(clients.serviceCatalog, { Id: deployment.provisionedProductId });
    if (product) leftovers.push(`provisioned product ${deployment.provisionedProductName} (${deployment.provisionedProductId}) still exists (${product.Status ?? 'no status'})`);
  }
  const stack = await describeStack(clients.cloudFormation, deployment.stack.stackId);
  if (!isDeleted(stack)) leftovers.push(`stack ${deployment.stack.stackName} is still there (${stack?.StackStatus ?? 'no status'})`);
  return leftovers;
}

async function terminateProduct(serviceCatalog: ServiceCatalogClient, deployment: Extract<ProjectDeployment, { kind: 'service-catalog' }>, options: RemovalOptions): Promise<DeploymentRemoval> {
  const what = `terminating provisioned product ${deployment.provisionedProductName} (${deployment.provisionedProductId})`;
  const started = options.now().getTime();
  // With the stack already deleted nothing physical is left to remove: Service Catalog's guide terminates such a product with RetainPhysicalResources.
  const retain = stackAlreadyDeleted(deployment) ? { RetainPhysicalResources: true } : {};
  const terminated = await serviceCatalog.send(new TerminateProvisionedProductCommand({ ProvisionedProductId: deployment.provisionedProductId, TerminateToken: options.newId(), IgnoreErrors: false, ...retain }));
  const recordId = terminated.RecordDetail?.RecordId;
  if (!recordId) throw new DeploymentRemovalError(`${what}: Service Catalog returned no record to follow`, []);
  await pollUntilDone(
    `${what}, record ${recordId}`,
    async () => {
      const { RecordDetail: record } = await serviceCatalog.send(new DescribeRecordCommand({ Id: recordId }));
      const status = record?.Status ?? 'unknown';
      if (status === 'SUCCEEDED') return { done: true };
      if (status === 'FAILED') {
        const reasons = (record?.RecordErrors ?? []).map((e) => `${e.Code ?? 'Error'}: ${e.Description ?? 'no description'}`);
        throw new DeploymentRemovalError(`${what} failed (record ${recordId} is FAILED)`, reasons.length > 0 ? reasons : ['Service Catalog gave no reason; see the record in the console']);
      }
      return { done: false, status };
    },
    started,
    options,
  );
  return { recordId, elapsedMs: options.now().getTime() - started };
}

async function deleteCdkStack(cloudFormation: CloudFormationClient, stack: DeployedStack, options: RemovalOptions): Promise<DeploymentRemoval> {
  const what = `deleting stack ${stack.stackName}`;
  const started = options.now().getTime();
  await startStackDeletion(cloudFormation, stack.stackId, options.newId());
  await pollUntilDone(
    what,
    async () => {
      const current = await describeStack(cloudFormation, stack.stackId);
      if (isDeleted(current)) return { done: true };
      const status = current?.StackStatus ?? 'unknown';
      if (status === 'DELETE_FAILED') {
        // Only events of this deletion: from when CloudFormation says it began (a minute earlier if it does not say).
        const since = current?.DeletionTime ?? new Date(started - 60_000);
        const reasons = await stackDeleteFailures(cloudFormation, stack.stackId, since);
        throw new DeploymentRemovalError(`${what} failed (DELETE_FAILED)`, reasons.length > 0 ? reasons : [current?.StackStatusReason ?? 'CloudFormation gave no reason']);
      }
      return { done: false, status };
    },
    started,
    options,
  );
  return { elapsedMs: options.now().getTime() - started };
}

/** Checks at once, then every pollIntervalMs until done, a failure (thrown by check) or the timeout. */
async function pollUntilDone(what: string, check: () => Promise<{ done: true } | { done: false; status: string }>, started: number, options: RemovalOptions): Promise<void> {
  for (;;) {
    const outcome = await check();
    if (outcome.done) return;
    const elapsedMs = options.now().getTime() - started;
    if (elapsedMs >= options.timeoutMs) {
      const minutes = options.timeoutMs / 60_000;
      throw new DeploymentRemovalError(`${what}: still ${outcome.status} after the --wait-timeout of ${minutes} minute${minutes === 1 ? '' : 's'}`, [
        'the removal goes on in AWS; this command stopped waiting for it',
        'check it in the Service Catalog or CloudFormation console',
      ]);
    }
    options.onWait?.({ what, status: outcome.status, elapsedMs });
    await options.sleep(Math.min(options.pollIntervalMs, options.timeoutMs - elapsedMs));
  }
}

async function provisionedProductNamed(serviceCatalog: ServiceCatalogClient, name: string): Promise<ProvisionedProductDetail | undefined> {
  return provisionedProduct(serviceCatalog, { Name: name });
}

/** The provisioned product, or undefined when Service Catalog has none (that the caller can see) by that name or id. */
async function provisionedProduct(serviceCatalog: ServiceCatalogClient, key: { Name: string } | { Id: string }): Promise<ProvisionedProductDetail | undefined> {
  try {
    return (await serviceCatalog.send(new DescribeProvisionedProductCommand(key))).ProvisionedProductDetail;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * The ARN of the stack behind a provisioned product: the CloudformationStackARN output of its
 * provisioning record (DescribeRecord takes an exact id), else the PhysicalId that
 * SearchProvisionedProducts reports for a CFN_STACK product.
 */
async function provisionedStackId(serviceCatalog: ServiceCatalogClient, product: ProvisionedProductDetail): Promise<string> {
  const recordIds = [...new Set([product.LastSuccessfulProvisioningRecordId, product.LastProvisioningRecordId].filter((id): id is string => Boolean(id)))];
  for (const recordId of recordIds) {
    const output = (await recordOutputs(serviceCatalog, recordId)).find((o) => o.OutputKey === STACK_ARN_OUTPUT)?.OutputValue;
    if (output && isStackArn(output)) return output;
  }
  let token: string | undefined;
  do {
    const page = await serviceCatalog.send(new SearchProvisionedProductsCommand({ AccessLevelFilter: { Key: 'Account', Value: 'self' }, Filters: { SearchQuery: [`id:${product.Id}`] }, PageToken: token }));
    const physicalId = page.ProvisionedProducts?.find((p) => p.Id === product.Id)?.PhysicalId;
    if (physicalId && isStackArn(physicalId)) return physicalId;
    token = page.NextPageToken;
  } while (token);
  throw new Error(`cannot tell which CloudFormation stack provisioned product ${product.Name} (${product.Id}) is: its provisioning records have no ${STACK_ARN_OUTPUT} output and SearchProvisionedProducts gives no stack ARN as its PhysicalId`);
}

/** A record's outputs, every page (DescribeRecord returns at most 20 per page). */
async function recordOutputs(serviceCatalog: ServiceCatalogClient, recordId: string): Promise<RecordOutput[]> {
  const outputs: RecordOutput[] = [];
  let token: string | undefined;
  do {
    const page = await serviceCatalog.send(new DescribeRecordCommand({ Id: recordId, PageToken: token }));
    outputs.push(...(page.RecordOutputs ?? []));
    token = page.NextPageToken;
  } while (token);
  return outputs;
}

/** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID` → NAME. */
function stackNameOfArn(arn: string): string {
  return arn.split('/')[1] ?? arn;
}

function isStackArn(value: string): boolean {
  return /^arn:[^:]+:cloudformation:[^:]+:\d{12}:stack\/.+/.test(value);
}

function checkProjectParameter(stack: Stack, project: string, what: string): void {
  const value = stack.Parameters?.find((p) => p.ParameterKey === PROJECT_NAME_PARAMETER)?.ParameterValue;
  if (value === undefined) throw new Error(`${what}: stack ${stack.StackName} has no ${PROJECT_NAME_PARAMETER} parameter, so it is not a LuminaOps ML project`);
  if (value !== project) throw new Error(`${what}: stack ${stack.StackName} was deployed for project ${value} (its ${PROJECT_NAME_PARAMETER} parameter), not ${project}; nothing was deleted`);
}

function deployedStack(stack: Stack): DeployedStack {
  return { stackId: stack.StackId ?? '', stackName: stack.StackName ?? '', status: stack.StackStatus ?? 'unknown' };
}
