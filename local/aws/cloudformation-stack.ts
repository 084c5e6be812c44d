/**
 * What `lumina project delete --aws` reads from and asks of CloudFormation: a stack by name or
 * id, its resources, which of them its template retains, its deletion and why a deletion
 * failed. A stack that does not exist is `undefined`, not an error.
 */
import {
  type CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';

export interface StackResource {
  readonly type: string;
  readonly logicalId: string;
  readonly physicalId: string;
}

/** The stack, or undefined when CloudFormation has none by that name (an id also finds a deleted stack, as DELETE_COMPLETE). */
export async function describeStack(cloudFormation: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    return (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    // CloudFormation has no NotFound error for stacks: a ValidationError says "Stack with id X does not exist".
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** Whether the stack is gone: not found, or DELETE_COMPLETE when looked up by id. */
export function isDeleted(stack: Stack | undefined): boolean {
  return stack === undefined || stack.StackStatus === 'DELETE_COMPLETE';
}

/** The stack's resources that still exist (a resource a failed deletion already removed is DELETE_COMPLETE), every page. */
export async function listStackResources(cloudFormation: CloudFormationClient, stackId: string): Promise<StackResource[]> {
  const resources: StackResource[] = [];
  let token: string | undefined;
  do {
    const page = await cloudFormation.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }));
    for (const summary of page.StackResourceSummaries ?? []) {
      if (summary.ResourceStatus === 'DELETE_COMPLETE') continue;
      resources.push({ type: summary.ResourceType ?? '', logicalId: summary.LogicalResourceId ?? '', physicalId: summary.PhysicalResourceId ?? '' });
    }
    token = page.NextToken;
  } while (token);
  return resources;
}

/** Deletion policies under which CloudFormation leaves the resource in place when the stack goes. */
const RETAINING_POLICIES = new Set(['Retain', 'RetainExceptOnCreate']);

/**
 * Logical ids of the resources the stack's template keeps on deletion (a project's function
 * and execution log groups: RemovalPolicy.RETAIN). Read from the template, so the plan never
 * promises to remove what CloudFormation will keep.
 */
export async function retainedLogicalIds(cloudFormation: CloudFormationClient, stackId: string): Promise<Set<string>> {
  const body = (await cloudFormation.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: 'Original' }))).TemplateBody;
  let template: unknown;
  try {
    template = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    template = undefined;
  }
  const resources = isRecord(template) && isRecord(template.Resources) ? template.Resources : undefined;
  // LuminaOps templates are synthesized JSON; a YAML or empty body is not one of ours.
  if (!resources) throw new Error(`the template of stack ${stackId} is not a JSON template with Resources, so it is not a LuminaOps project template`);
  return new Set(Object.entries(resources).flatMap(([logicalId, resource]) => (isRecord(resource) && RETAINING_POLICIES.has(String(resource.DeletionPolicy)) ? [logicalId] : [])));
}

/** Starts the stack's deletion; the token makes a retried call the same request. */
export async function startStackDeletion(cloudFormation: CloudFormationClient, stackId: string, token: string): Promise<void> {
  await cloudFormation.send(new DeleteStackCommand({ StackName: stackId, ClientRequestToken: token }));
}

/** `<logical id> (<type>): <reason>` of each resource that failed to delete since `since`, newest first. */
export async function stackDeleteFailures(cloudFormation: CloudFormationClient, stackId: string, since: Date): Promise<string[]> {
  const reasons: string[] = [];
  let token: string | undefined;
  do {
    const page = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token }));
    const events = page.StackEvents ?? [];
    for (const event of events) {
      if (event.ResourceStatus !== 'DELETE_FAILED' || (event.Timestamp && event.Timestamp < since)) continue;
      // The stack itself fails with "The following resource(s) failed to delete: [...]"; the resources' own events say why.
      if (event.LogicalResourceId === event.StackName && event.ResourceType === 'AWS::CloudFormation::Stack') continue;
      reasons.push(`${event.LogicalResourceId} (${event.ResourceType}): ${event.ResourceStatusReason ?? 'no reason given'}`);
    }
    // Events come newest first: once a page reaches before the deletion, older pages cannot matter.
    const oldest = events.at(-1)?.Timestamp;
    token = oldest && oldest < since ? undefined : page.NextToken;
  } while (token);
  return reasons;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
