/**
 * EventBridge event patterns: validation and matching, following the EventBridge user guide
 * ("Event patterns", "Content filtering", "Arrays in event patterns", "Null values and empty
 * strings") and, where the guide is silent, the open-source matcher EventBridge is built on
 * (aws/event-ruler):
 *
 * - Fields AND together; the values listed for a field OR together. Only fields named in the
 *   pattern are looked at.
 * - An event array matches when any element matches. An array of objects is matched element
 *   by element, so two fields never match from two different elements (array consistency).
 * - Every operator except `exists: false` needs the field to be present as a leaf value;
 *   `exists` only sees leaves, so a field holding an object or an empty array "does not exist".
 * - `anything-but` excludes values of its own type only: `{"anything-but": "x"}` matches 5.
 * - `numeric` applies to JSON numbers within ±5.0e9; `cidr` to strings holding an IP address.
 * - A number in a pattern matches the same number however the event writes it (300 = 3.0e2).
 *
 * A pattern that EventBridge would refuse throws EventPatternError naming the JSON path.
 */
import { type CidrBlock, cidrContains, parseCidr, parseIpAddress } from './ip-address';

export class EventPatternError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Event pattern is not valid at ${path}: ${reason}`);
    this.name = 'EventPatternError';
  }
}

/** EventBridge limits numeric matching to this range (user guide, "Numeric matching"). */
export const NUMERIC_LIMIT = 5.0e9;

const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
] as const;
type LeafValue = string | number | boolean | null;

/** One entry of a field's value list: a test on one leaf value, or an existence test. */
type Condition = { readonly kind: 'exists'; readonly exists: boolean } | { readonly kind: 'value'; readonly test: (value: LeafValue) => boolean };

interface LeafNode {
  readonly kind: 'leaf';
  readonly conditions: readonly Condition[];
}

interface ObjectNode {
  readonly kind: 'object';
  readonly fields: readonly { readonly key: string; readonly node: LeafNode | ObjectNode }[];
  /** Each `$or` at this level: at least one of its branches must match. */
  readonly alternatives: readonly (readonly ObjectNode[])[];
}

export interface CompiledEventPattern {
  readonly source: unknown;
  matches(event: unknown): boolean;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

// ---------------------------------------------------------------- compilation

function compileObject(pattern: Record<string, unknown>, path: string, insideOr: boolean): ObjectNode {
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new EventPatternError(path, 'empty objects are not allowed');
  const fields: { key: string; node: LeafNode | ObjectNode }[] = [];
  const alternatives: ObjectNode[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    const here = childPath(path, key);
    if (key === '$or') {
      alternatives.push(compileOr(value, here));
      continue;
    }
    if (insideOr && (OPERATORS as readonly string[]).includes(key)) {
      throw new EventPatternError(here, `"${key}" is a reserved word and cannot be a field name inside $or`);
    }
    if (Array.isArray(value)) fields.push({ key, node: compileLeaf(value, here) });
    else if (isPlainObject(value)) fields.push({ key, node: compileObject(value, here, insideOr) });
    else throw new EventPatternError(here, `must be an object or an array, not ${describe(value)}`);
  }
  return { kind: 'object', fields, alternatives };
}

function compileOr(value: unknown, path: string): ObjectNode[] {
  if (!Array.isArray(value)) throw new EventPatternError(path, '$or must be followed by an array of objects');
  if (value.length < 2) throw new EventPatternError(path, '$or needs at least 2 objects');
  return value.map((branch, i) => {
    if (!isPlainObject(branch)) throw new EventPatternError(`${path}[${i}]`, `only objects are allowed in $or, not ${describe(branch)}`);
    return compileObject(branch, `${path}[${i}]`, true);
  });
}

function compileLeaf(values: unknown[], path: string): LeafNode {
  if (values.length === 0) throw new EventPatternError(path, 'empty arrays are not allowed');
  const conditions = values.map((value, i): Condition => {
    const here = `${path}[${i}]`;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      return { kind: 'value', test: (v) => v === value };
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new EventPatternError(here, 'numbers must be finite');
      return { kind: 'value', test: (v) => typeof v === 'number' && v === value };
    }
    if (isPlainObject(value)) return compileOperator(value, here);
    throw new EventPatternError(here, `match value must be a string, number, true, false, null or an operator object, not ${describe(value)}`);
  });
  return { kind: 'leaf', conditions };
}

function compileOperator(expression: Record<string, unknown>, path: string): Condition {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    throw new EventPatternError(path, `an operator object has exactly one key, found ${keys.length} (${keys.join(', ') || 'none'})`);
  }
  const operator = keys[0]!;
  const operand = expression[operator];
  const here = childPath(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(operator, operand, here);
    case 'equals-ignore-case': {
      const expected = requireString(operand, here, 'equals-ignore-case').toLowerCase();
      return { kind: 'value', test: (v) => typeof v === 'string' && v.toLowerCase() === expected };
    }
    case 'wildcard': {
      const regex = compileWildcard(requireString(operand, here, 'wildcard'), here);
      return { kind: 'value', test: (v) => typeof v === 'string' && regex.test(v) };
    }
    case 'anything-but': {
      const excluded = compileAnythingBut(operand, here);
      return { kind: 'value', test: (v) => !excluded(v) };
    }
    case 'numeric':
      return compileNumeric(operand, here);
    case 'exists':
      if (typeof operand !== 'boolean') throw new EventPatternError(here, `exists takes true or false, not ${describe(operand)}`);
      return { kind: 'exists', exists: operand };
    case 'cidr': {
      const block = parseCidr(requireString(operand, here, 'cidr'));
      if (typeof block === 'string') throw new EventPatternError(here, block);
      return { kind: 'value', test: (v) => matchesCidr(block, v) };
    }
    default:
      throw new EventPatternError(here, `unknown operator "${operator}" (known: ${OPERATORS.join(', ')})`);
  }
}

function requireString(operand: unknown, path: string, operator: string): string {
  if (typeof operand !== 'string') throw new EventPatternError(path, `${operator} takes a string, not ${describe(operand)}`);
  return operand;
}

function compileAffix(operator: 'prefix' | 'suffix', operand: unknown, path: string): Condition {
  let text: string;
  let ignoreCase = false;
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new EventPatternError(path, `${operator} takes a string or {"equals-ignore-case": string}`);
    }
    text = requireString(operand['equals-ignore-case'], childPath(path, 'equals-ignore-case'), `${operator} equals-ignore-case`);
    ignoreCase = true;
  } else {
    text = requireString(operand, path, operator);
  }
  const expected = ignoreCase ? text.toLowerCase() : text;
  return {
    kind: 'value',
    test: (v) => {
      if (typeof v !== 'string') return false;
      const actual = ignoreCase ? v.toLowerCase() : v;
      return operator === 'prefix' ? actual.startsWith(expected) : actual.endsWith(expected);
    },
  };
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function compileWildcard(pattern: string, path: string): RegExp {
  let source = '';
  let previousWasStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new EventPatternError(path, `a backslash may only escape "*" or "\\" (position ${i})`);
      }
      source += `\\${next}`;
      i++;
      previousWasStar = false;
    } else if (c === '*') {
      if (previousWasStar) throw new EventPatternError(path, `consecutive wildcard characters are not allowed (position ${i})`);
      source += '[\\s\\S]*';
      previousWasStar = true;
    } else {
      source += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
      previousWasStar = false;
    }
  }
  return new RegExp(`^${source}$`);
}

/** Returns a predicate that is true for the values anything-but excludes. */
function compileAnythingBut(operand: unknown, path: string): (value: LeafValue) => boolean {
  if (typeof operand === 'string') return (v) => v === operand;
  if (typeof operand === 'number') {
    requireNumericRange(operand, path);
    return (v) => v === operand;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new EventPatternError(path, 'anything-but needs at least one value');
    const allStrings = operand.every((v) => typeof v === 'string');
    const allNumbers = operand.every((v) => typeof v === 'number');
    if (!allStrings && !allNumbers) {
      throw new EventPatternError(path, 'an anything-but list holds only strings or only numbers');
    }
    if (allNumbers) operand.forEach((n, i) => requireNumericRange(n as number, `${path}[${i}]`));
    const set = new Set<LeafValue>(operand as LeafValue[]);
    return (v) => set.has(v);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = keys[0];
    if (keys.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner!)) {
      throw new EventPatternError(path, 'anything-but takes a string, a number, a list, or one of {prefix}, {suffix}, {equals-ignore-case}, {wildcard}');
    }
    const here = childPath(path, inner!);
    const raw = operand[inner!];
    const texts = Array.isArray(raw) ? raw : [raw];
    if (texts.length === 0) throw new EventPatternError(here, `anything-but ${inner} needs at least one value`);
    const strings = texts.map((t, i) => requireString(t, Array.isArray(raw) ? `${here}[${i}]` : here, `anything-but ${inner}`));
    if ((inner === 'prefix' || inner === 'suffix') && strings.some((s) => s === '')) {
      throw new EventPatternError(here, `an empty anything-but ${inner} is not allowed`);
    }
    switch (inner) {
      case 'prefix':
        return (v) => typeof v === 'string' && strings.some((s) => v.startsWith(s));
      case 'suffix':
        return (v) => typeof v === 'string' && strings.some((s) => v.endsWith(s));
      case 'equals-ignore-case': {
        const lowered = new Set(strings.map((s) => s.toLowerCase()));
        return (v) => typeof v === 'string' && lowered.has(v.toLowerCase());
      }
      default: {
        const regexes = strings.map((s) => compileWildcard(s, here));
        return (v) => typeof v === 'string' && regexes.some((r) => r.test(v));
      }
    }
  }
  throw new EventPatternError(path, `anything-but takes a string, a number or a list, not ${describe(operand)}`);
}

function requireNumericRange(n: number, path: string): void {
  if (!Number.isFinite(n) || Math.abs(n) > NUMERIC_LIMIT) {
    throw new EventPatternError(path, `numeric values must be within ±${NUMERIC_LIMIT.toExponential(1)}, got ${n}`);
  }
}

interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

function compileNumeric(operand: unknown, path: string): Condition {
  if (!Array.isArray(operand)) throw new EventPatternError(path, `numeric takes an array like [">", 0, "<=", 5], not ${describe(operand)}`);
  const operandAt = (i: number): number => {
    const n = operand[i];
    if (typeof n !== 'number') throw new EventPatternError(`${path}[${i}]`, `the value after "${String(operand[i - 1])}" must be a number, not ${describe(n)}`);
    requireNumericRange(n, `${path}[${i}]`);
    return n;
  };
  const first = operand[0];
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  let equals: number | undefined;
  if (first === '=') {
    equals = operandAt(1);
    if (operand.length !== 2) throw new EventPatternError(path, '"=" takes exactly one number');
  } else if (first === '<' || first === '<=') {
    upper = { value: operandAt(1), inclusive: first === '<=' };
    if (operand.length !== 2) throw new EventPatternError(path, `"${first}" takes exactly one number; put a lower bound first for a range`);
  } else if (first === '>' || first === '>=') {
    lower = { value: operandAt(1), inclusive: first === '>=' };
    if (operand.length > 2) {
      const second = operand[2];
      if (second !== '<' && second !== '<=') {
        throw new EventPatternError(`${path}[2]`, `a range continues with "<" or "<=", not ${describe(second)}`);
      }
      upper = { value: operandAt(3), inclusive: second === '<=' };
      if (operand.length !== 4) throw new EventPatternError(path, 'too many terms in numeric range');
      if (lower.value >= upper.value) {
        throw new EventPatternError(path, `the range's lower bound ${lower.value} must be below its upper bound ${upper.value}`);
      }
    }
  } else {
    throw new EventPatternError(`${path}[0]`, `unknown numeric operator ${describe(first)} (use =, <, <=, >, >=)`);
  }
  return {
    kind: 'value',
    test: (v) => {
      if (typeof v !== 'number' || Math.abs(v) > NUMERIC_LIMIT) return false;
      if (equals !== undefined) return v === equals;
      if (lower && (lower.inclusive ? v < lower.value : v <= lower.value)) return false;
      if (upper && (upper.inclusive ? v > upper.value : v >= upper.value)) return false;
      return true;
    },
  };
}

function matchesCidr(block: CidrBlock, value: LeafValue): boolean {
  if (typeof value !== 'string') return false;
  const address = parseIpAddress(value);
  return address !== undefined && cidrContains(block, address);
}

// ---------------------------------------------------------------- matching

/** The leaf values a field holds: arrays flatten, objects hold no leaf at this path. */
function leafValues(value: unknown, out: LeafValue[] = []): LeafValue[] {
  if (Array.isArray(value)) {
    for (const element of value) leafValues(element, out);
  } else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out.push(value);
  }
  return out;
}

function matchLeaf(node: LeafNode, value: unknown): boolean {
  const values = leafValues(value);
  return node.conditions.some((condition) =>
    condition.kind === 'exists' ? condition.exists === values.length > 0 : values.some((v) => condition.test(v)),
  );
}

function matchObject(node: ObjectNode, value: unknown): boolean {
  if (Array.isArray(value)) {
    // An empty array holds no fields at all; otherwise one element must satisfy the whole object.
    return value.length === 0 ? matchObject(node, undefined) : value.some((element) => matchObject(node, element));
  }
  const fields = isPlainObject(value) ? value : undefined;
  for (const { key, node: child } of node.fields) {
    const fieldValue = fields && Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    const ok = child.kind === 'leaf' ? matchLeaf(child, fieldValue) : matchObject(child, fieldValue);
    if (!ok) return false;
  }
  return node.alternatives.every((branches) => branches.some((branch) => matchObject(branch, value)));
}

// ---------------------------------------------------------------- public API

/** Validates a pattern (an object, or its JSON text) and prepares it for repeated matching. */
export function compilePattern(pattern: unknown): CompiledEventPattern {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern) as unknown;
    } catch (error) {
      throw new EventPatternError('$', `not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(parsed)) throw new EventPatternError('$', `the pattern must be a JSON object, not ${describe(parsed)}`);
  const root = compileObject(parsed, '$', false);
  return { source: parsed, matches: (event: unknown) => matchObject(root, event) };
}

/** Throws EventPatternError (naming the JSON path) when EventBridge would refuse the pattern. */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}
