import { TemplateResolutionError } from './errors';
import { isJsonObject } from './template';
import type { JsonObject, JsonValue, PseudoParameters, ResolvedParameters, TemplateMappings } from './template';

/** Everything intrinsic functions can look up. The provisioner supplies the resource callbacks. */
export interface ResolveContext {
  readonly parameters: ResolvedParameters;
  readonly pseudo: PseudoParameters;
  /** Evaluated Conditions section, for Fn::If. */
  readonly conditions: Readonly<Record<string, boolean>>;
  readonly mappings: TemplateMappings;
  /** What Ref returns for a resource (its physical id); undefined when no such resource is known. */
  readonly ref: (logicalId: string) => JsonValue | undefined;
  /** A resource attribute; undefined when the resource or attribute is not known. */
  readonly getAtt: (logicalId: string, attribute: string) => JsonValue | undefined;
  /**
   * An export of another local stack.
   * @default - every Fn::ImportValue fails
   */
  readonly importValue?: (exportName: string) => JsonValue | undefined;
  /**
   * Availability zones of a region, for Fn::GetAZs.
   * @default - the region name followed by a, b and c
   */
  readonly availabilityZones?: (region: string) => string[];
}

/** AWS::NoValue while resolving: the enclosing key or array item is dropped. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolved = JsonValue | typeof NO_VALUE;
type Intrinsic = (argument: JsonValue, ctx: ResolveContext, path: string) => Resolved;

/**
 * Resolves every intrinsic function in `value`. `path` names where `value` sits in the
 * template (e.g. `Resources.Pipeline.Properties`) so errors point at the failing spot.
 * Returns undefined only when `value` itself resolves to AWS::NoValue.
 * Throws TemplateResolutionError with the JSON path and what was missing.
 */
export function resolve(value: JsonValue, ctx: ResolveContext, path = ''): JsonValue | undefined {
  const resolved = walk(value, ctx, path);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves `value` and requires a string, as for a state machine's DefinitionString. */
export function resolveString(value: JsonValue, ctx: ResolveContext, path = ''): string {
  return text(value, ctx, path, 'value');
}

function walk(value: JsonValue, ctx: ResolveContext, path: string): Resolved {
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    value.forEach((item, index) => {
      const resolved = walk(item, ctx, `${path}[${index}]`);
      if (resolved !== NO_VALUE) items.push(resolved);
    });
    return items;
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && isIntrinsicKey(keys[0])) return intrinsic(keys[0], value[keys[0]], ctx, child(path, keys[0]));
    const result: JsonObject = {};
    for (const key of keys) {
      const resolved = walk(value[key], ctx, child(path, key));
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }
  return value;
}

export function isIntrinsicKey(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}

export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function intrinsic(name: string, argument: JsonValue, ctx: ResolveContext, path: string): Resolved {
  const handler = INTRINSICS[name];
  if (handler) return handler(argument, ctx, path);
  if (CONDITION_FUNCTIONS.has(name)) {
    throw new TemplateResolutionError(path, `${name} is a condition function: declare it under Conditions and use Fn::If`);
  }
  throw new TemplateResolutionError(path, `unsupported intrinsic function ${name}`);
}

const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or']);

const PSEUDO: Readonly<Record<string, (pseudo: PseudoParameters) => JsonValue>> = {
  'AWS::Region': (p) => p.region,
  'AWS::AccountId': (p) => p.accountId,
  'AWS::Partition': (p) => p.partition,
  'AWS::URLSuffix': (p) => p.urlSuffix,
  'AWS::StackName': (p) => p.stackName,
  'AWS::StackId': (p) => p.stackId,
  'AWS::NotificationARNs': (p) => [...p.notificationArns],
};

const INTRINSICS: Readonly<Record<string, Intrinsic>> = {
  Ref: (argument, ctx, path) => reference(text(argument, ctx, path, 'Ref'), ctx, path),

  'Fn::GetAtt': (argument, ctx, path) => {
    let logicalId: string;
    let attribute: string;
    if (typeof argument === 'string') {
      const dot = argument.indexOf('.');
      if (dot <= 0 || dot === argument.length - 1) {
        throw new TemplateResolutionError(path, `Fn::GetAtt expects "LogicalId.Attribute", got ${JSON.stringify(argument)}`);
      }
      logicalId = argument.slice(0, dot);
      attribute = argument.slice(dot + 1);
    } else if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
      logicalId = argument[0];
      attribute = text(argument[1], ctx, `${path}[1]`, 'Fn::GetAtt attribute');
    } else {
      throw new TemplateResolutionError(path, `Fn::GetAtt expects [LogicalId, Attribute], got ${JSON.stringify(argument)}`);
    }
    return attributeOf(logicalId, attribute, ctx, path);
  },

  'Fn::Join': (argument, ctx, path) => {
    const [delimiter, values] = operands(argument, 2, 'Fn::Join', '[delimiter, [values]]', path);
    const separator = text(delimiter, ctx, `${path}[0]`, 'Fn::Join delimiter');
    const items = list(values, ctx, `${path}[1]`, 'Fn::Join values');
    return items.map((item, index) => scalar(item, `${path}[1][${index}]`, 'Fn::Join value')).join(separator);
  },

  'Fn::Sub': (argument, ctx, path) => {
    let template: string;
    const variables: Record<string, string> = {};
    if (typeof argument === 'string') {
      template = argument;
    } else if (Array.isArray(argument) && argument.length === 2 && isJsonObject(argument[1])) {
      template = text(argument[0], ctx, `${path}[0]`, 'Fn::Sub template');
      for (const [name, value] of Object.entries(argument[1])) {
        variables[name] = text(value, ctx, `${path}[1].${name}`, `Fn::Sub variable ${name}`);
      }
    } else {
      throw new TemplateResolutionError(path, `Fn::Sub expects a string or [string, {variables}], got ${JSON.stringify(argument)}`);
    }
    return substitute(template, variables, ctx, path);
  },

  'Fn::Select': (argument, ctx, path) => {
    const [indexValue, values] = operands(argument, 2, 'Fn::Select', '[index, [values]]', path);
    const indexText = text(indexValue, ctx, `${path}[0]`, 'Fn::Select index');
    const index = Number(indexText);
    if (indexText.trim() === '' || !Number.isInteger(index) || index < 0) {
      throw new TemplateResolutionError(`${path}[0]`, `Fn::Select index must be a whole number, got ${JSON.stringify(indexText)}`);
    }
    const items = list(values, ctx, `${path}[1]`, 'Fn::Select values');
    if (index >= items.length) {
      throw new TemplateResolutionError(path, `Fn::Select index ${index} is out of range for a list of ${items.length}`);
    }
    return items[index];
  },

  'Fn::Split': (argument, ctx, path) => {
    const [delimiter, source] = operands(argument, 2, 'Fn::Split', '[delimiter, string]', path);
    const separator = text(delimiter, ctx, `${path}[0]`, 'Fn::Split delimiter');
    if (separator === '') throw new TemplateResolutionError(`${path}[0]`, 'Fn::Split delimiter must not be empty');
    return text(source, ctx, `${path}[1]`, 'Fn::Split source').split(separator);
  },

  'Fn::ImportValue': (argument, ctx, path) => {
    const exportName = text(argument, ctx, path, 'Fn::ImportValue name');
    const lookup = ctx.importValue;
    const value = lookup ? callOut(path, `Fn::ImportValue ${exportName}`, () => lookup(exportName)) : undefined;
    if (value === undefined) throw new TemplateResolutionError(path, `Fn::ImportValue ${exportName}: no stack exports ${exportName}`);
    return value;
  },

  'Fn::If': (argument, ctx, path) => {
    const [condition, whenTrue, whenFalse] = operands(argument, 3, 'Fn::If', '[condition, valueIfTrue, valueIfFalse]', path);
    if (typeof condition !== 'string') {
      throw new TemplateResolutionError(`${path}[0]`, `Fn::If condition must be a condition name, got ${JSON.stringify(condition)}`);
    }
    if (!Object.hasOwn(ctx.conditions, condition)) {
      throw new TemplateResolutionError(`${path}[0]`, `Fn::If: condition ${condition} is not defined in Conditions`);
    }
    return ctx.conditions[condition] ? walk(whenTrue, ctx, `${path}[1]`) : walk(whenFalse, ctx, `${path}[2]`);
  },

  'Fn::FindInMap': (argument, ctx, path) => {
    if (!Array.isArray(argument) || argument.length < 3 || argument.length > 4) {
      throw new TemplateResolutionError(path, `Fn::FindInMap expects [MapName, TopLevelKey, SecondLevelKey], got ${JSON.stringify(argument)}`);
    }
    const [mapName, topKey, secondKey] = [0, 1, 2].map((i) => text(argument[i], ctx, `${path}[${i}]`, 'Fn::FindInMap key'));
    const fallback = argument[3];
    const defaultValue = isJsonObject(fallback) && Object.hasOwn(fallback, 'DefaultValue') ? fallback.DefaultValue : undefined;
    const missing = (reason: string): Resolved => {
      if (defaultValue !== undefined) return walk(defaultValue, ctx, `${path}[3].DefaultValue`);
      throw new TemplateResolutionError(path, `Fn::FindInMap: ${reason}`);
    };
    const mapping = Object.hasOwn(ctx.mappings, mapName) ? ctx.mappings[mapName] : undefined;
    if (!mapping) return missing(`Mappings has no map ${mapName}`);
    const top = Object.hasOwn(mapping, topKey) ? mapping[topKey] : undefined;
    if (!top) return missing(`map ${mapName} has no key ${topKey}`);
    if (!Object.hasOwn(top, secondKey)) return missing(`map ${mapName}.${topKey} has no key ${secondKey}`);
    return structuredClone(top[secondKey]);
  },

  'Fn::Base64': (argument, ctx, path) => Buffer.from(text(argument, ctx, path, 'Fn::Base64 value'), 'utf8').toString('base64'),

  'Fn::GetAZs': (argument, ctx, path) => {
    const region = text(argument, ctx, path, 'Fn::GetAZs region') || ctx.pseudo.region;
    return ctx.availabilityZones ? [...ctx.availabilityZones(region)] : ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
  },

  'Fn::Length': (argument, ctx, path) => list(argument, ctx, path, 'Fn::Length value').length,

  'Fn::ToJsonString': (argument, ctx, path) => {
    const value = walk(argument, ctx, path);
    if (value === NO_VALUE || value === null || typeof value !== 'object') {
      throw new TemplateResolutionError(path, `Fn::ToJsonString expects an object or a list, got ${describe(value)}`);
    }
    return JSON.stringify(value);
  },
};

function reference(name: string, ctx: ResolveContext, path: string): Resolved {
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name.startsWith('AWS::')) {
    const pseudo = Object.hasOwn(PSEUDO, name) ? PSEUDO[name] : undefined;
    if (!pseudo) throw new TemplateResolutionError(path, `Ref ${name}: unknown pseudo parameter`);
    return pseudo(ctx.pseudo);
  }
  if (Object.hasOwn(ctx.parameters, name)) {
    const value = ctx.parameters[name];
    return typeof value === 'string' ? value : [...value];
  }
  const physical = callOut(path, `Ref ${name}`, () => ctx.ref(name));
  if (physical === undefined) {
    throw new TemplateResolutionError(path, `Ref ${name}: no parameter, pseudo parameter or resource named ${name} is known`);
  }
  return physical;
}

function attributeOf(logicalId: string, attribute: string, ctx: ResolveContext, path: string): JsonValue {
  const value = callOut(path, `Fn::GetAtt ${logicalId}.${attribute}`, () => ctx.getAtt(logicalId, attribute));
  if (value === undefined) {
    throw new TemplateResolutionError(path, `Fn::GetAtt ${logicalId}.${attribute}: no resource ${logicalId} with attribute ${attribute} is known`);
  }
  return value;
}

/** `${Name}` placeholders of Fn::Sub, including the `${!Literal}` escape. */
export const SUB_PLACEHOLDER = /\$\{([^}]*)\}/g;

function substitute(template: string, variables: Readonly<Record<string, string>>, ctx: ResolveContext, path: string): string {
  return template.replace(SUB_PLACEHOLDER, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name)) return variables[name];
    if (name === '') throw new TemplateResolutionError(path, 'Fn::Sub has an empty ${} placeholder');
    const dot = name.indexOf('.');
    const value = dot > 0 && !name.startsWith('AWS::')
      ? attributeOf(name.slice(0, dot), name.slice(dot + 1), ctx, path)
      : reference(name, ctx, path);
    if (value === NO_VALUE || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
      throw new TemplateResolutionError(path, `Fn::Sub \${${name}} must be a string, got ${describe(value)}`);
    }
    return String(value);
  });
}

function operands(argument: JsonValue, count: number, name: string, shape: string, path: string): JsonValue[] {
  if (!Array.isArray(argument) || argument.length !== count) {
    throw new TemplateResolutionError(path, `${name} expects ${shape}, got ${JSON.stringify(argument)}`);
  }
  return argument;
}

function text(value: JsonValue, ctx: ResolveContext, path: string, what: string): string {
  return scalar(walk(value, ctx, path), path, what);
}

function scalar(value: Resolved, path: string, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(path, `${what} must be a string, got ${describe(value)}`);
}

function list(value: JsonValue, ctx: ResolveContext, path: string, what: string): JsonValue[] {
  const resolved = walk(value, ctx, path);
  if (!Array.isArray(resolved)) throw new TemplateResolutionError(path, `${what} must be a list, got ${describe(resolved)}`);
  return resolved;
}

function describe(value: Resolved): string {
  return value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value);
}

/** Runs a caller's lookup; its failure becomes a TemplateResolutionError at `path`. */
function callOut<T>(path: string, what: string, lookup: () => T): T {
  try {
    return lookup();
  } catch (error) {
    if (error instanceof TemplateResolutionError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemplateResolutionError(path, `${what}: ${reason}`, { cause: error });
  }
}
