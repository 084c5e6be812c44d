import { TemplateResolutionError } from './errors';
import { child, resolve } from './intrinsics';
import type { ResolveContext } from './intrinsics';
import { pseudoParameters } from './parameters';
import { isJsonObject } from './template';
import type { CloudFormationTemplate, JsonValue, PseudoParameters, ResolvedParameters } from './template';

const CONDITION_SHAPES = 'Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition';

/**
 * Evaluates the template's Conditions section with the given (already resolved) parameters.
 * Conditions may refer to parameters, pseudo parameters, mappings and other conditions,
 * never to resources. Throws TemplateResolutionError naming the condition's path.
 */
export function evaluateConditions(
  template: CloudFormationTemplate,
  parameters: ResolvedParameters,
  pseudo: PseudoParameters = pseudoParameters({ stackName: 'local' }),
): Record<string, boolean> {
  const declared = template.Conditions ?? {};
  const refuseResources = (): never => {
    throw new Error('conditions cannot refer to resources');
  };
  const ctx: ResolveContext = {
    parameters,
    pseudo,
    conditions: {},
    mappings: template.Mappings ?? {},
    ref: refuseResources,
    getAtt: refuseResources,
  };
  const evaluated: Record<string, boolean> = {};

  const named = (name: string, path: string, chain: readonly string[]): boolean => {
    if (Object.hasOwn(evaluated, name)) return evaluated[name];
    if (!Object.hasOwn(declared, name)) throw new TemplateResolutionError(path, `condition ${name} is not defined in Conditions`);
    const loopStart = chain.indexOf(name);
    if (loopStart >= 0) {
      throw new TemplateResolutionError(path, `conditions refer to each other in a cycle: ${[...chain.slice(loopStart), name].join(' -> ')}`);
    }
    const value = expression(declared[name], child('Conditions', name), [...chain, name]);
    evaluated[name] = value;
    return value;
  };

  const expression = (value: JsonValue, path: string, chain: readonly string[]): boolean => {
    const keys = isJsonObject(value) ? Object.keys(value) : [];
    if (!isJsonObject(value) || keys.length !== 1) {
      throw new TemplateResolutionError(path, `a condition must be one of ${CONDITION_SHAPES}, got ${JSON.stringify(value)}`);
    }
    const key = keys[0];
    const argument = value[key];
    const at = child(path, key);
    if (key === 'Condition') {
      if (typeof argument !== 'string') throw new TemplateResolutionError(at, 'Condition must name a condition');
      return named(argument, at, chain);
    }
    if (key === 'Fn::Equals') {
      const [left, right] = conditionOperands(argument, 2, 2, key, at);
      return sameValue(resolve(left, ctx, `${at}[0]`), resolve(right, ctx, `${at}[1]`));
    }
    if (key === 'Fn::Not') {
      const [operand] = conditionOperands(argument, 1, 1, key, at);
      return !expression(operand, `${at}[0]`, chain);
    }
    if (key === 'Fn::And' || key === 'Fn::Or') {
      const results = conditionOperands(argument, 2, 10, key, at).map((operand, i) => expression(operand, `${at}[${i}]`, chain));
      return key === 'Fn::And' ? results.every(Boolean) : results.some(Boolean);
    }
    throw new TemplateResolutionError(path, `a condition must be one of ${CONDITION_SHAPES}, got ${key}`);
  };

  for (const name of Object.keys(declared)) named(name, child('Conditions', name), []);
  return evaluated;
}

function conditionOperands(argument: JsonValue, min: number, max: number, name: string, path: string): JsonValue[] {
  if (!Array.isArray(argument) || argument.length < min || argument.length > max) {
    const count = min === max ? `${min}` : `${min} to ${max}`;
    throw new TemplateResolutionError(path, `${name} expects a list of ${count} operands, got ${JSON.stringify(argument)}`);
  }
  return argument;
}

/** CloudFormation compares values as strings: 1 equals "1", true equals "true". */
function sameValue(left: JsonValue | undefined, right: JsonValue | undefined): boolean {
  return JSON.stringify(normalise(left)) === JSON.stringify(normalise(right));
}

function normalise(value: JsonValue | undefined): JsonValue {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(normalise);
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return String(value);
}
