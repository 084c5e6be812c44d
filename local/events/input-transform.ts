/**
 * What an EventBridge rule target receives, from the target's own properties (EventBridge user
 * guide, "Input transformation"; API reference, Target and InputTransformer):
 *
 * - no input property: the whole event;
 * - `Input`: that constant JSON text;
 * - `InputPath`: the part of the event the JSON path selects;
 * - `InputTransformer`: `InputTemplate` with each `<name>` replaced by the value `InputPathsMap`
 *   extracts, or by a reserved variable (`aws.events.rule-name`, `aws.events.rule-arn`,
 *   `aws.events.event`, `aws.events.event.json`, `aws.events.event.ingestion-time`).
 *
 * In a JSON template (one that starts with `{` or `[`) a placeholder outside quotes becomes
 * the value as JSON, so strings gain quotes; inside quotes, and anywhere in a string template,
 * the value goes in as raw text, unescaped, as EventBridge does. A path that selects nothing
 * gives an empty string (observed on AWS for both positions). Checks that PutTargets makes
 * (one input kind per target, known placeholders, map keys) run when a target is prepared.
 */
import { type EventBridgeEvent, type JsonValue, eventAsJson, formatEventTime, isJsonObject } from './event-envelope';
import { type JsonPath, evaluateJsonPath, parseJsonPath } from './json-path';

export class TargetInputError extends Error {
  constructor(
    readonly targetId: string,
    readonly problem: string,
  ) {
    super(`Target ${targetId}: ${problem}`);
    this.name = 'TargetInputError';
  }
}

export interface InputTransformerProperties {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** The input-related properties of an AWS::Events::Rule target (resolved). */
export interface TargetInputProperties {
  readonly Id: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformerProperties;
}

/** What the target receives: its exact text, and the parsed value when the text is JSON. */
export type TargetPayload =
  | { readonly kind: 'json'; readonly text: string; readonly value: JsonValue }
  | { readonly kind: 'text'; readonly text: string };

export interface TargetInputContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  /** When EventBridge received the event (`aws.events.event.ingestion-time`). */
  readonly ingestionTime: Date;
}

export interface PreparedTargetInput {
  build(event: EventBridgeEvent, context: TargetInputContext): TargetPayload;
}

export const PREDEFINED_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
] as const;
type PredefinedVariable = (typeof PREDEFINED_VARIABLES)[number];
/** These expand to JSON objects, so they may only stand as a JSON value. */
const OBJECT_VARIABLES: readonly string[] = ['aws.events.event', 'aws.events.event.json'];

const MAX_TEMPLATE_LENGTH = 8192;
const MAX_INPUT_LENGTH = 8192;
const MAX_PATH_LENGTH = 256;
const MAX_PATHS = 100;
const PATH_KEY = /^[A-Za-z0-9_-]{1,256}$/;

type Token = { readonly literal: string } | { readonly placeholder: string; readonly quoted: boolean };

function parseJsonText(text: string): { ok: true; value: JsonValue } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false };
  }
}

function payloadFromText(text: string): TargetPayload {
  const parsed = parseJsonText(text);
  return parsed.ok ? { kind: 'json', text, value: parsed.value } : { kind: 'text', text };
}

/** True when the template reads as JSON: EventBridge then quotes string values it inserts. */
export function isJsonTemplate(template: string): boolean {
  const start = template.trimStart()[0];
  return start === '{' || start === '[';
}

/** Index just past the string literal that contains `from` (which is inside the literal). */
function endOfString(template: string, from: number): number {
  for (let i = from; i < template.length; i++) {
    if (template[i] === '\\') i++;
    else if (template[i] === '"') return i + 1;
  }
  return template.length;
}

function nextNonSpace(template: string, from: number): string | undefined {
  const rest = template.slice(from).trimStart();
  return rest[0];
}

/** Splits a template into literal text and placeholders, noting which sit inside quotes. */
function tokenize(template: string, targetId: string): Token[] {
  const json = isJsonTemplate(template);
  const tokens: Token[] = [];
  let literal = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '<') {
      const close = template.indexOf('>', i + 1);
      if (close >= 0) {
        const name = template.slice(i + 1, close);
        const quoted = !json || inString;
        if (json) {
          const after = inString ? endOfString(template, close + 1) : close + 1;
          if (nextNonSpace(template, after) === ':') {
            throw new TargetInputError(targetId, `InputTemplate uses placeholder <${name}> as an object key, which EventBridge does not allow`);
          }
        }
        if (literal) tokens.push({ literal });
        literal = '';
        tokens.push({ placeholder: name, quoted });
        i = close;
        continue;
      }
    }
    if (json && c === '\\' && inString) {
      literal += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (json && c === '"') inString = !inString;
    literal += c;
  }
  if (literal) tokens.push({ literal });
  return tokens;
}

function render(value: JsonValue | undefined, quoted: boolean): string {
  if (value === undefined) return quoted ? '' : '""';
  if (quoted) return typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** The reserved `aws.events.event`: the envelope without detail, as EventBridge renders it. */
function eventWithoutDetail(event: EventBridgeEvent): JsonValue {
  return {
    id: event.id,
    account: event.account,
    detailType: event['detail-type'],
    time: event.time,
    source: event.source,
    region: event.region,
    resources: [...event.resources],
    version: event.version,
  };
}

function predefinedValue(name: PredefinedVariable, event: EventBridgeEvent, context: TargetInputContext): JsonValue {
  switch (name) {
    case 'aws.events.rule-arn':
      return context.ruleArn;
    case 'aws.events.rule-name':
      return context.ruleName;
    case 'aws.events.event.ingestion-time':
      return formatEventTime(context.ingestionTime);
    case 'aws.events.event':
      return eventWithoutDetail(event);
    case 'aws.events.event.json':
      return eventAsJson(event);
  }
}

function prepareTransformer(targetId: string, transformer: unknown): PreparedTargetInput {
  if (!isJsonObject(transformer)) throw new TargetInputError(targetId, 'InputTransformer must be an object');
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template.length === 0) {
    throw new TargetInputError(targetId, 'InputTransformer.InputTemplate is required and must be a non-empty string');
  }
  if (template.length > MAX_TEMPLATE_LENGTH) {
    throw new TargetInputError(targetId, `InputTemplate is ${template.length} characters; the limit is ${MAX_TEMPLATE_LENGTH}`);
  }
  const rawMap = transformer.InputPathsMap ?? {};
  if (!isJsonObject(rawMap)) throw new TargetInputError(targetId, 'InputTransformer.InputPathsMap must be an object of name to JSON path');
  const entries = Object.entries(rawMap);
  if (entries.length > MAX_PATHS) {
    throw new TargetInputError(targetId, `InputPathsMap has ${entries.length} entries; the limit is ${MAX_PATHS}`);
  }
  const paths = new Map<string, JsonPath>();
  for (const [key, value] of entries) {
    if (!PATH_KEY.test(key)) {
      throw new TargetInputError(targetId, `InputPathsMap key "${key}" must be 1-256 letters, digits, "_" or "-"`);
    }
    if (typeof value !== 'string' || value.length > MAX_PATH_LENGTH) {
      throw new TargetInputError(targetId, `InputPathsMap.${key} must be a JSON path of at most ${MAX_PATH_LENGTH} characters`);
    }
    const path = parseJsonPath(value);
    if (typeof path === 'string') throw new TargetInputError(targetId, `InputPathsMap.${key} "${value}": ${path}`);
    paths.set(key, path);
  }
  const json = isJsonTemplate(template);
  const tokens = tokenize(template, targetId);
  for (const token of tokens) {
    if (!('placeholder' in token)) continue;
    const name = token.placeholder;
    const predefined = (PREDEFINED_VARIABLES as readonly string[]).includes(name);
    if (!predefined && !paths.has(name)) {
      throw new TargetInputError(targetId, `InputTemplate for target ${targetId} contains invalid placeholder ${name}.`);
    }
    if (OBJECT_VARIABLES.includes(name) && (token.quoted || !json)) {
      throw new TargetInputError(targetId, `<${name}> can only be used as a value for a JSON field, not inside a string`);
    }
  }
  return {
    build(event, context) {
      const document = eventAsJson(event);
      const text = tokens
        .map((token) => {
          if ('literal' in token) return token.literal;
          const name = token.placeholder;
          if ((PREDEFINED_VARIABLES as readonly string[]).includes(name)) {
            return render(predefinedValue(name as PredefinedVariable, event, context), token.quoted);
          }
          const result = evaluateJsonPath(paths.get(name)!, document);
          return render(result.found ? result.value : undefined, token.quoted);
        })
        .join('');
      return payloadFromText(text);
    },
  };
}

/**
 * Checks a target's input properties the way PutTargets does and returns what builds its
 * payload for an event. Throws TargetInputError naming the target and the problem.
 */
export function prepareTargetInput(target: TargetInputProperties): PreparedTargetInput {
  const id = target.Id;
  const given = (['Input', 'InputPath', 'InputTransformer'] as const).filter((key) => target[key] !== undefined);
  if (given.length > 1) {
    throw new TargetInputError(id, `Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`);
  }
  if (target.Input !== undefined) {
    const input = target.Input;
    if (typeof input !== 'string') throw new TargetInputError(id, 'Input must be a string of JSON text');
    if (input.length > MAX_INPUT_LENGTH) throw new TargetInputError(id, `Input is ${input.length} characters; the limit is ${MAX_INPUT_LENGTH}`);
    const parsed = parseJsonText(input);
    if (!parsed.ok) throw new TargetInputError(id, `Input is not valid JSON: ${input.slice(0, 80)}`);
    const payload: TargetPayload = { kind: 'json', text: input, value: parsed.value };
    return { build: () => payload };
  }
  if (target.InputPath !== undefined) {
    const raw = target.InputPath;
    if (typeof raw !== 'string' || raw.length > MAX_PATH_LENGTH) {
      throw new TargetInputError(id, `InputPath must be a JSON path of at most ${MAX_PATH_LENGTH} characters`);
    }
    const path = parseJsonPath(raw);
    if (typeof path === 'string') throw new TargetInputError(id, `InputPath "${raw}": ${path}`);
    return {
      build(event) {
        const result = evaluateJsonPath(path, eventAsJson(event));
        if (!result.found) throw new TargetInputError(id, `InputPath ${raw} selects nothing in event ${event.id}`);
        return { kind: 'json', text: JSON.stringify(result.value), value: result.value };
      },
    };
  }
  if (target.InputTransformer !== undefined) return prepareTransformer(id, target.InputTransformer);
  return {
    build(event) {
      const value = eventAsJson(event);
      return { kind: 'json', text: JSON.stringify(value), value };
    },
  };
}

/** One-shot form of prepareTargetInput(target).build(event, context). */
export function buildTargetPayload(target: TargetInputProperties, event: EventBridgeEvent, context: TargetInputContext): TargetPayload {
  return prepareTargetInput(target).build(event, context);
}
