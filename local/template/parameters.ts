import { createHash } from 'node:crypto';
import { ParameterProblem, ParameterValidationError } from './errors';
import type { JsonValue, ParameterValue, PseudoParameters, ResolvedParameters, TemplateParameter } from './template';

/** Values a caller passes for stack parameters; list parameters take an array or a comma-separated string. */
export type GivenParameters = Readonly<Record<string, string | number | boolean | readonly string[]>>;

export interface ResolveParametersOptions {
  /**
   * Looks up an SSM parameter by name for `AWS::SSM::Parameter::Value<…>` parameters.
   * Without it such parameters (CDK's BootstrapVersion) are left out, so only a Ref to
   * one fails. Return undefined for a name that does not exist.
   * @default - SSM-typed parameters are left out
   */
  readonly ssmParameter?: (name: string) => string | undefined;
}

const SSM_VALUE_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;
const LIST_TYPE = /^List<(.+)>$/;
const AWS_SPECIFIC_TYPE = /^AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+$/;

/**
 * Applies defaults and checks every constraint CloudFormation checks (AllowedValues,
 * AllowedPattern, MinLength/MaxLength, Number with MinValue/MaxValue, list types).
 * Values come back as Ref returns them: numbers as strings, lists as string arrays.
 * Throws ParameterValidationError listing every bad parameter and why.
 */
export function resolveParameters(
  templateParameters: Readonly<Record<string, TemplateParameter>> | undefined,
  given: GivenParameters = {},
  options: ResolveParametersOptions = {},
): ResolvedParameters {
  const declared = templateParameters ?? {};
  const problems: ParameterProblem[] = [];
  const resolved: Record<string, ParameterValue> = {};

  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) problems.push({ parameter: name, reason: 'is not declared in the template' });
  }

  for (const [name, declaration] of Object.entries(declared)) {
    const raw = Object.hasOwn(given, name) ? given[name] : declaration.Default;
    if (raw === undefined) {
      problems.push({ parameter: name, reason: 'has no value and no Default' });
      continue;
    }
    const result = parameterValue(name, declaration, raw, options, problems);
    if (result !== undefined) resolved[name] = result;
  }

  if (problems.length > 0) throw new ParameterValidationError(problems);
  return resolved;
}

function parameterValue(
  name: string,
  declaration: TemplateParameter,
  raw: JsonValue | GivenParameters[string],
  options: ResolveParametersOptions,
  problems: ParameterProblem[],
): ParameterValue | undefined {
  const fail = (reason: string): undefined => {
    const hint = declaration.ConstraintDescription ? ` (${declaration.ConstraintDescription})` : '';
    problems.push({ parameter: name, reason: reason + hint });
    return undefined;
  };
  const type = declaration.Type;
  const ssm = SSM_VALUE_TYPE.exec(type);
  if (ssm) {
    const parameterName = scalarText(raw);
    if (parameterName === undefined) return fail(`must be an SSM parameter name, got ${JSON.stringify(raw)}`);
    if (!options.ssmParameter) return undefined;
    const looked = options.ssmParameter(parameterName);
    if (looked === undefined) return fail(`SSM parameter ${parameterName} does not exist`);
    return isListType(ssm[1]) ? splitList(looked) : looked;
  }

  if (isListType(type)) {
    const items = Array.isArray(raw) ? raw.map(scalarText) : splitList(scalarText(raw) ?? '');
    if (items.some((item) => item === undefined)) return fail(`must be a list of strings, got ${JSON.stringify(raw)}`);
    const list = items as string[];
    const itemType = type === 'CommaDelimitedList' ? 'String' : (LIST_TYPE.exec(type)?.[1] ?? 'String');
    for (const item of list) {
      const reason = itemProblem(declaration, itemType === 'Number' ? 'Number' : 'String', item, false);
      if (reason) return fail(`item ${JSON.stringify(item)} ${reason}`);
    }
    return list;
  }

  if (type !== 'String' && type !== 'Number' && type !== 'AWS::SSM::Parameter::Name' && !AWS_SPECIFIC_TYPE.test(type)) {
    return fail(`has unknown Type ${JSON.stringify(type)}`);
  }
  const text = scalarText(raw);
  if (text === undefined) return fail(`must be a single value, got ${JSON.stringify(raw)}`);
  const reason = itemProblem(declaration, type === 'Number' ? 'Number' : 'String', text, true);
  return reason ? fail(`value ${JSON.stringify(text)} ${reason}`) : text;
}

/** The constraint a single value breaks, or undefined. Lengths apply to String parameters only. */
function itemProblem(declaration: TemplateParameter, kind: 'String' | 'Number', value: string, checkLength: boolean): string | undefined {
  if (kind === 'Number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return 'is not a number';
    const min = optionalNumber(declaration.MinValue);
    const max = optionalNumber(declaration.MaxValue);
    if (min !== undefined && n < min) return `is below MinValue ${min}`;
    if (max !== undefined && n > max) return `is above MaxValue ${max}`;
    if (declaration.AllowedValues && !declaration.AllowedValues.some((allowed) => Number(allowed) === n)) {
      return `is not one of AllowedValues ${JSON.stringify(declaration.AllowedValues)}`;
    }
    return undefined;
  }
  if (declaration.AllowedValues && !declaration.AllowedValues.some((allowed) => scalarText(allowed) === value)) {
    return `is not one of AllowedValues ${JSON.stringify(declaration.AllowedValues)}`;
  }
  if (declaration.AllowedPattern !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${declaration.AllowedPattern})$`);
    } catch {
      return `cannot be checked: AllowedPattern ${declaration.AllowedPattern} is not a valid regular expression`;
    }
    if (!pattern.test(value)) return `does not match AllowedPattern ${declaration.AllowedPattern}`;
  }
  if (checkLength) {
    const min = optionalNumber(declaration.MinLength);
    const max = optionalNumber(declaration.MaxLength);
    if (min !== undefined && value.length < min) return `is shorter than MinLength ${min}`;
    if (max !== undefined && value.length > max) return `is longer than MaxLength ${max}`;
  }
  return undefined;
}

function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || LIST_TYPE.test(type);
}

function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function optionalNumber(value: number | string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

export interface PseudoParameterOptions {
  readonly stackName: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default - an ARN derived from region, account and stack name */
  readonly stackId?: string;
  /** @default [] */
  readonly notificationArns?: string[];
}

/** Pseudo parameters for a local stack; partition and URL suffix follow the region as in AWS. */
export function pseudoParameters(options: PseudoParameterOptions): PseudoParameters {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  const urlSuffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  // A stable id per stack, shaped like the UUID AWS appends, so repeated local runs agree.
  const hex = createHash('sha256').update(`${region}/${accountId}/${options.stackName}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return {
    region,
    accountId,
    partition,
    urlSuffix,
    stackName: options.stackName,
    stackId: options.stackId ?? `arn:${partition}:cloudformation:${region}:${accountId}:stack/${options.stackName}/${uuid}`,
    notificationArns: options.notificationArns ?? [],
  };
}
