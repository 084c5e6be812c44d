/**
 * The template resolver of the local cloud: turns a synthesized CloudFormation template's
 * intrinsic functions into plain values, with the physical ids the provisioner supplies.
 * Pure: no AWS, no I/O. The parts live in the files re-exported here.
 */
import { evaluateConditions } from './conditions';
import type { ResolveContext } from './intrinsics';
import { resolveParameters } from './parameters';
import type { GivenParameters, ResolveParametersOptions } from './parameters';
import type { CloudFormationTemplate, PseudoParameters } from './template';

export { evaluateConditions } from './conditions';
export { dependencyOrder } from './dependency-order';
export type { DependencyOrderOptions } from './dependency-order';
export { DependencyCycleError, ParameterValidationError, TemplateResolutionError } from './errors';
export type { ParameterProblem } from './errors';
export { resolve, resolveString } from './intrinsics';
export type { ResolveContext } from './intrinsics';
export { pseudoParameters, resolveParameters } from './parameters';
export type { GivenParameters, PseudoParameterOptions, ResolveParametersOptions } from './parameters';
export type {
  CloudFormationTemplate,
  JsonObject,
  JsonValue,
  ParameterValue,
  PseudoParameters,
  ResolvedParameters,
  TemplateMappings,
  TemplateParameter,
  TemplateResource,
} from './template';

export interface ResolveContextOptions extends ResolveParametersOptions {
  /** @default - every parameter takes its Default */
  readonly parameters?: GivenParameters;
  readonly pseudo: PseudoParameters;
  readonly ref: ResolveContext['ref'];
  readonly getAtt: ResolveContext['getAtt'];
  /** @default - every Fn::ImportValue fails */
  readonly importValue?: ResolveContext['importValue'];
  /** @default - the region name followed by a, b and c */
  readonly availabilityZones?: ResolveContext['availabilityZones'];
}

/**
 * A ResolveContext for one stack: validates parameters (ParameterValidationError),
 * evaluates Conditions, and takes Mappings from the template.
 */
export function createResolveContext(template: CloudFormationTemplate, options: ResolveContextOptions): ResolveContext {
  const parameters = resolveParameters(template.Parameters, options.parameters, { ssmParameter: options.ssmParameter });
  return {
    parameters,
    pseudo: options.pseudo,
    conditions: evaluateConditions(template, parameters, options.pseudo),
    mappings: template.Mappings ?? {},
    ref: options.ref,
    getAtt: options.getAtt,
    importValue: options.importValue,
    availabilityZones: options.availabilityZones,
  };
}
