/**
 * SNS subscription filter policies, for the local SNS's deliveries to subscriptions.
 *
 * A policy's language is EventBridge's event-pattern language for the operators SNS shares
 * (exact strings and numbers, `prefix`, `suffix`, `anything-but`, `numeric`, `exists`,
 * `equals-ignore-case`, `$or`; "Amazon SNS message filtering" in the SNS developer guide),
 * so matching reuses event-pattern.ts. What differs is what the policy is matched against:
 *
 * - scope `MessageBody`: the message, which must be a JSON object; a message that is not
 *   JSON (or not an object) matches no body policy, and SNS does not deliver it;
 * - scope `MessageAttributes` (the default): the attributes as name → value, `String` and
 *   `Number` attributes by their value (numbers as numbers) and `String.Array` as the array
 *   its JSON text holds; `Binary` attributes are not matched by SNS, so they are left out.
 */
import type { SnsMessageAttribute } from '../runtime/task-adapters';
import { compilePattern, type CompiledEventPattern, EventPatternError } from './event-pattern';

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

export class FilterPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterPolicyError';
  }
}

export interface CompiledFilterPolicy {
  readonly scope: FilterPolicyScope;
  matches(message: { readonly Message: string; readonly MessageAttributes?: Readonly<Record<string, SnsMessageAttribute>> }): boolean;
}

/** Compiles a subscription's FilterPolicy (object or JSON text); an invalid one throws FilterPolicyError naming where. */
export function compileFilterPolicy(policy: unknown, scope: string | undefined = 'MessageAttributes'): CompiledFilterPolicy {
  if (scope !== 'MessageAttributes' && scope !== 'MessageBody') throw new FilterPolicyError(`FilterPolicyScope must be MessageAttributes or MessageBody, not ${JSON.stringify(scope)}`);
  const value = typeof policy === 'string' ? parseJson(policy, 'FilterPolicy') : policy;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FilterPolicyError('FilterPolicy must be a JSON object');
  let compiled: CompiledEventPattern;
  try {
    compiled = compilePattern(value);
  } catch (error) {
    if (error instanceof EventPatternError) throw new FilterPolicyError(`FilterPolicy is not valid at ${error.path}: ${error.reason}`);
    throw error;
  }
  return {
    scope,
    matches: (message) => {
      if (scope === 'MessageBody') {
        const body = tryParseJson(message.Message);
        return typeof body === 'object' && body !== null && !Array.isArray(body) && compiled.matches(body);
      }
      return compiled.matches(attributeValues(message.MessageAttributes ?? {}));
    },
  };
}

function attributeValues(attributes: Readonly<Record<string, SnsMessageAttribute>>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute.StringValue === undefined) continue;
    if (attribute.DataType.startsWith('Number')) values[name] = Number(attribute.StringValue);
    else if (attribute.DataType === 'String.Array') values[name] = tryParseJson(attribute.StringValue);
    else if (attribute.DataType.startsWith('String')) values[name] = attribute.StringValue;
  }
  return values;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FilterPolicyError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
