/** The shapes of a synthesized CloudFormation template, as far as the local cloud reads it. */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: JsonValue;
  readonly AllowedValues?: JsonValue[];
  readonly AllowedPattern?: string;
  readonly MinLength?: number | string;
  readonly MaxLength?: number | string;
  readonly MinValue?: number | string;
  readonly MaxValue?: number | string;
  readonly ConstraintDescription?: string;
  readonly Description?: string;
  readonly NoEcho?: boolean | string;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly [key: string]: JsonValue | undefined;
}

/** Mappings: map name, then top-level key, then second-level key. */
export type TemplateMappings = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, JsonValue>>>>>>;

export interface CloudFormationTemplate {
  readonly Parameters?: Readonly<Record<string, TemplateParameter>>;
  readonly Mappings?: TemplateMappings;
  readonly Conditions?: Readonly<Record<string, JsonValue>>;
  readonly Resources?: Readonly<Record<string, TemplateResource>>;
  readonly Outputs?: Readonly<Record<string, JsonValue>>;
  readonly [section: string]: unknown;
}

/** A parameter's value as Ref returns it: a string, or a list for list-typed parameters. */
export type ParameterValue = string | string[];
export type ResolvedParameters = Readonly<Record<string, ParameterValue>>;

export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly notificationArns: string[];
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
