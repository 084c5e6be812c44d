import { createHash } from 'node:crypto';
import {
  type CloudFormationTemplate,
  type GivenParameters,
  type JsonObject,
  type JsonValue,
  createResolveContext,
  dependencyOrder,
  pseudoParameters,
  resolve,
} from '../template/resolver';

/** A resource the local cloud created from a template. */
export interface ProvisionedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What Ref returns. */
  readonly physicalId: string;
  /** What Fn::GetAtt returns, by attribute name. */
  readonly attributes: Readonly<Record<string, JsonValue>>;
}

export interface ResourceRequest {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** Properties with every intrinsic resolved. */
  readonly properties: JsonObject;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** A name derived like CloudFormation does (stack-logicalId-suffix), stable per stack. */
  readonly generatedName: (maxLength?: number, lowercase?: boolean) => string;
  readonly region: string;
  readonly accountId: string;
}

/** Creates the local twin of one resource type and says what Ref and GetAtt return. */
export type ResourceProvider = (request: ResourceRequest) => Promise<Omit<ProvisionedResource, 'logicalId' | 'type'>>;

/** A deployed local stack. */
export interface DeployedStack {
  readonly name: string;
  readonly parameters: Readonly<Record<string, string | string[]>>;
  readonly resources: Readonly<Record<string, ProvisionedResource>>;
  readonly outputs: Readonly<Record<string, string>>;
  readonly exports: Readonly<Record<string, string>>;
}

export class UnsupportedResourceError extends Error {
  constructor(stackName: string, logicalId: string, type: string) {
    super(`${stackName}/${logicalId}: resource type ${type} has no local twin; the local cloud refuses to pretend it exists`);
    this.name = 'UnsupportedResourceError';
  }
}

export interface DeployOptions {
  readonly stackName: string;
  readonly template: CloudFormationTemplate;
  readonly parameters?: GivenParameters;
  readonly providers: Readonly<Record<string, ResourceProvider>>;
  readonly importValue: (exportName: string) => string | undefined;
  readonly region: string;
  readonly accountId: string;
  readonly onResource?: (resource: ProvisionedResource) => void;
}

/**
 * Deploys a template locally the way CloudFormation would: parameters validated, resources
 * created in dependency order, each resource's properties resolved against the ones
 * already created, outputs and exports computed. Every resource type must have a provider
 * (fail closed).
 */
export async function deployTemplate(options: DeployOptions): Promise<DeployedStack> {
  const { template, stackName, region, accountId } = options;
  const resources = template.Resources ?? {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!options.providers[resource.Type]) throw new UnsupportedResourceError(stackName, logicalId, resource.Type);
  }
  const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${hex(stackName, 8)}-local`;
  const created: Record<string, ProvisionedResource> = {};
  const ctx = createResolveContext(template, {
    parameters: options.parameters,
    pseudo: pseudoParameters({ region, accountId, stackName, stackId }),
    ref: (id) => created[id]?.physicalId,
    getAtt: (id, attribute) => created[id]?.attributes[attribute],
    importValue: options.importValue,
  });

  for (const logicalId of dependencyOrder(template)) {
    const resource = resources[logicalId];
    if (resource.Condition && !ctx.conditions[resource.Condition]) continue;
    const properties = (resolve(resource.Properties ?? {}, ctx, `Resources.${logicalId}.Properties`) ?? {}) as JsonObject;
    const provided = await options.providers[resource.Type]({
      stackName,
      logicalId,
      type: resource.Type,
      properties,
      metadata: (resource.Metadata ?? {}) as Record<string, unknown>,
      generatedName: (maxLength = 64, lowercase = false) => {
        const name = `${stackName}-${logicalId}`.slice(0, maxLength - 13) + `-${hex(`${stackName}/${logicalId}`, 12).toUpperCase()}`;
        return lowercase ? name.toLowerCase() : name;
      },
      region,
      accountId,
    });
    created[logicalId] = { logicalId, type: resource.Type, ...provided };
    options.onResource?.(created[logicalId]);
  }

  const outputs: Record<string, string> = {};
  const exports: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const resolved = resolve(output, ctx, `Outputs.${name}`) as { Value?: JsonValue; Export?: { Name?: JsonValue } };
    if (resolved?.Value === undefined) continue;
    outputs[name] = String(resolved.Value);
    if (resolved.Export?.Name !== undefined) exports[String(resolved.Export.Name)] = String(resolved.Value);
  }
  return { name: stackName, parameters: ctx.parameters, resources: created, outputs, exports };
}

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
