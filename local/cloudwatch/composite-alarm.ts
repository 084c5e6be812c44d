/**
 * AWS::CloudWatch::CompositeAlarm: the AlarmRule expression (CloudWatch API reference,
 * PutCompositeAlarm) parsed and evaluated against the states of the alarms it names.
 *
 * Grammar: `ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)` where x is an alarm name or ARN, bare
 * or in double quotes; `TRUE`, `FALSE`; `AT_LEAST(M, STATE, (x, y, ...))` with M a count or a
 * percentage and STATE one of ALARM, OK, INSUFFICIENT_DATA, NOT_ALARM, NOT_OK,
 * NOT_INSUFFICIENT_DATA; `NOT`, `AND`, `OR` and parentheses. The reference does not state
 * precedence, so the usual one applies: NOT binds tightest, then AND, then OR.
 *
 * A composite alarm is in ALARM when its rule is true and OK when it is false.
 */
import {
  type AlarmActions,
  type AlarmContext,
  type AlarmResource,
  type AlarmState,
  type AlarmStateValue,
  AlarmDefinitionError,
  alarmArn,
  alarmNameOf,
  readActions,
  requireString,
} from './alarm-definition';
import { formatAlarmTimestamp, formatLongDate } from './cloudwatch-format';

export class AlarmRuleError extends Error {
  constructor(
    readonly rule: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`AlarmRule is not valid at position ${position}: ${reason} (rule: ${rule})`);
    this.name = 'AlarmRuleError';
  }
}

type AtLeastState = AlarmStateValue | 'NOT_ALARM' | 'NOT_OK' | 'NOT_INSUFFICIENT_DATA';

export type AlarmRuleNode =
  | { readonly kind: 'state'; readonly state: AlarmStateValue; readonly alarm: string }
  | { readonly kind: 'constant'; readonly value: boolean }
  | { readonly kind: 'not'; readonly operand: AlarmRuleNode }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly AlarmRuleNode[] }
  | {
      readonly kind: 'at-least';
      readonly count: number;
      readonly percent: boolean;
      readonly state: AtLeastState;
      readonly alarms: readonly string[];
    };

export interface CompositeAlarmDefinition extends AlarmActions {
  readonly kind: 'composite';
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly ruleText: string;
  readonly rule: AlarmRuleNode;
}

/** A child alarm as the composite sees it. */
export interface ChildAlarmState {
  readonly name: string;
  readonly arn: string;
  readonly state: AlarmState;
}

export interface CompositeEvaluation {
  readonly state: AlarmState;
  readonly changed: boolean;
  /** The children whose state made the rule come out as it did. */
  readonly triggeringAlarms: readonly ChildAlarmState[];
}

const STATE_FUNCTIONS: readonly AlarmStateValue[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];
const AT_LEAST_STATES: readonly AtLeastState[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA', 'NOT_ALARM', 'NOT_OK', 'NOT_INSUFFICIENT_DATA'];
const MAX_RULE_LENGTH = 10_240;
const COMPOSITE_PROPERTIES = ['ActionsEnabled', 'AlarmActions', 'AlarmDescription', 'AlarmName', 'AlarmRule', 'InsufficientDataActions', 'OKActions', 'Tags'];
const SUPPRESSOR_PROPERTIES = ['ActionsSuppressor', 'ActionsSuppressorExtensionPeriod', 'ActionsSuppressorWaitPeriod'];

class RuleParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): AlarmRuleNode {
    const node = this.parseOr();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text.slice(this.pos, this.pos + 12)}"`);
    return node;
  }

  private fail(reason: string): never {
    throw new AlarmRuleError(this.text, this.pos, reason);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private peekWord(): string {
    this.skipSpace();
    return /^[A-Za-z_]+/.exec(this.text.slice(this.pos))?.[0] ?? '';
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) this.fail(`expected "${char}"`);
    this.pos++;
  }

  private parseOr(): AlarmRuleNode {
    const operands = [this.parseAnd()];
    while (this.peekWord() === 'OR') {
      this.pos += 2;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAnd(): AlarmRuleNode {
    const operands = [this.parseUnary()];
    while (this.peekWord() === 'AND') {
      this.pos += 3;
      operands.push(this.parseUnary());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parseUnary(): AlarmRuleNode {
    if (this.peekWord() === 'NOT') {
      this.pos += 3;
      return { kind: 'not', operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): AlarmRuleNode {
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    const word = this.peekWord();
    if (word === 'TRUE' || word === 'FALSE') {
      this.pos += word.length;
      return { kind: 'constant', value: word === 'TRUE' };
    }
    if ((STATE_FUNCTIONS as readonly string[]).includes(word)) {
      this.pos += word.length;
      this.expect('(');
      const alarm = this.parseAlarmReference([')']);
      this.expect(')');
      return { kind: 'state', state: word as AlarmStateValue, alarm };
    }
    if (word === 'AT_LEAST') {
      this.pos += word.length;
      return this.parseAtLeast();
    }
    if (word === '') this.fail(this.pos >= this.text.length ? 'the rule ends too early' : `unexpected "${this.text[this.pos]}"`);
    return this.fail(`unknown word "${word}" (use ALARM, OK, INSUFFICIENT_DATA, AT_LEAST, TRUE, FALSE, NOT, AND, OR in capitals)`);
  }

  private parseAtLeast(): AlarmRuleNode {
    this.expect('(');
    this.skipSpace();
    const threshold = /^(\d+)(%?)/.exec(this.text.slice(this.pos));
    if (!threshold) this.fail('AT_LEAST starts with a count or a percentage');
    this.pos += threshold[0].length;
    const count = Number(threshold[1]);
    const percent = threshold[2] === '%';
    if (percent && (count < 1 || count > 100)) this.fail('an AT_LEAST percentage is between 1% and 100%');
    this.expect(',');
    const state = this.peekWord();
    if (!(AT_LEAST_STATES as readonly string[]).includes(state)) this.fail(`AT_LEAST takes one of ${AT_LEAST_STATES.join(', ')}`);
    this.pos += state.length;
    this.expect(',');
    this.expect('(');
    const alarms = [this.parseAlarmReference([',', ')'])];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== ',') break;
      this.pos++;
      alarms.push(this.parseAlarmReference([',', ')']));
    }
    this.expect(')');
    this.expect(')');
    if (!percent && count > alarms.length) this.fail(`AT_LEAST(${count}, ...) names only ${alarms.length} alarms`);
    return { kind: 'at-least', count, percent, state: state as AtLeastState, alarms };
  }

  private parseAlarmReference(terminators: readonly string[]): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') {
      const close = this.text.indexOf('"', this.pos + 1);
      if (close < 0) this.fail('unclosed quote');
      const name = this.text.slice(this.pos + 1, close);
      if (name === '') this.fail('empty alarm name');
      this.pos = close + 1;
      return name;
    }
    const start = this.pos;
    while (this.pos < this.text.length && !terminators.includes(this.text[this.pos]!)) this.pos++;
    const name = this.text.slice(start, this.pos).trim();
    if (name === '') this.fail('expected an alarm name or ARN');
    if (/[\s()"]/.test(name)) this.fail(`alarm name "${name}" needs double quotes`);
    return name;
  }
}

export function parseAlarmRule(text: string): AlarmRuleNode {
  if (text.length === 0 || text.length > MAX_RULE_LENGTH) throw new AlarmRuleError(text, 0, `a rule is 1 to ${MAX_RULE_LENGTH} characters long`);
  return new RuleParser(text).parse();
}

/** Every alarm the rule names, as written (name or ARN), once each. */
export function alarmsReferenced(node: AlarmRuleNode): string[] {
  const out = new Set<string>();
  const walk = (n: AlarmRuleNode): void => {
    if (n.kind === 'state') out.add(n.alarm);
    else if (n.kind === 'at-least') n.alarms.forEach((a) => out.add(a));
    else if (n.kind === 'not') walk(n.operand);
    else if (n.kind === 'and' || n.kind === 'or') n.operands.forEach(walk);
  };
  walk(node);
  return [...out];
}

function inState(actual: AlarmStateValue, wanted: AtLeastState): boolean {
  return wanted.startsWith('NOT_') ? actual !== wanted.slice(4) : actual === wanted;
}

/** Evaluates the rule; `stateOf` answers for each alarm reference as written. */
export function evaluateAlarmRule(node: AlarmRuleNode, stateOf: (alarm: string) => AlarmStateValue): boolean {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'not':
      return !evaluateAlarmRule(node.operand, stateOf);
    case 'and':
      return node.operands.every((n) => evaluateAlarmRule(n, stateOf));
    case 'or':
      return node.operands.some((n) => evaluateAlarmRule(n, stateOf));
    case 'at-least': {
      const matching = node.alarms.filter((a) => inState(stateOf(a), node.state)).length;
      return node.percent ? matching * 100 >= node.count * node.alarms.length : matching >= node.count;
    }
  }
}

/** Reads one AWS::CloudWatch::CompositeAlarm; throws AlarmDefinitionError for what cannot be evaluated. */
export function parseCompositeAlarm(resource: AlarmResource, context: AlarmContext): CompositeAlarmDefinition {
  const props = resource.properties;
  const name = resource.name ?? (typeof props.AlarmName === 'string' ? props.AlarmName : resource.logicalId);
  for (const key of Object.keys(props)) {
    if (SUPPRESSOR_PROPERTIES.includes(key)) {
      throw new AlarmDefinitionError(name, key, 'action suppression is not modelled by the local cloud');
    }
    if (!COMPOSITE_PROPERTIES.includes(key)) throw new AlarmDefinitionError(name, key, 'is not an AWS::CloudWatch::CompositeAlarm property the local cloud knows');
  }
  const ruleText = requireString(name, 'AlarmRule', props.AlarmRule);
  let rule: AlarmRuleNode;
  try {
    rule = parseAlarmRule(ruleText);
  } catch (error) {
    if (error instanceof AlarmRuleError) throw new AlarmDefinitionError(name, 'AlarmRule', error.message);
    throw error;
  }
  return {
    kind: 'composite',
    logicalId: resource.logicalId,
    name,
    arn: alarmArn(context, name),
    description: props.AlarmDescription === undefined ? undefined : requireString(name, 'AlarmDescription', props.AlarmDescription),
    ruleText,
    rule,
    ...readActions(name, props),
  };
}

/** Children whose state satisfies a state test that names them. */
function triggering(node: AlarmRuleNode, children: ReadonlyMap<string, ChildAlarmState>, out: Set<ChildAlarmState>): void {
  if (node.kind === 'state') {
    const child = children.get(node.alarm)!;
    if (child.state.value === node.state) out.add(child);
  } else if (node.kind === 'at-least') {
    node.alarms.map((a) => children.get(a)!).filter((c) => inState(c.state.value, node.state)).forEach((c) => out.add(c));
  } else if (node.kind === 'not') {
    triggering(node.operand, children, out);
  } else if (node.kind === 'and' || node.kind === 'or') {
    node.operands.forEach((n) => triggering(n, children, out));
  }
}

/**
 * Evaluates a composite alarm at `at`. `child` resolves each reference in the rule (a name
 * or an ARN) to that alarm's current state; an unknown reference is an AlarmDefinitionError.
 */
export function evaluateCompositeAlarm(
  alarm: CompositeAlarmDefinition,
  child: (nameOrArn: string) => ChildAlarmState | undefined,
  at: Date,
  current: AlarmState,
): CompositeEvaluation {
  const children = new Map<string, ChildAlarmState>();
  for (const reference of alarmsReferenced(alarm.rule)) {
    const found = child(reference) ?? child(alarmNameOf(reference));
    if (!found) throw new AlarmDefinitionError(alarm.name, 'AlarmRule', `names alarm ${reference}, which does not exist`);
    children.set(reference, found);
  }
  const value: AlarmStateValue = evaluateAlarmRule(alarm.rule, (ref) => children.get(ref)!.state.value) ? 'ALARM' : 'OK';
  const set = new Set<ChildAlarmState>();
  triggering(alarm.rule, children, set);
  const triggeringAlarms = [...set].sort((a, b) => b.state.timestamp.getTime() - a.state.timestamp.getTime());
  if (value === current.value) return { state: current, changed: false, triggeringAlarms };
  const latest = triggeringAlarms[0] ?? [...children.values()].sort((a, b) => b.state.timestamp.getTime() - a.state.timestamp.getTime())[0];
  const reason = latest
    ? `${latest.arn} transitioned to ${latest.state.value} at ${formatLongDate(latest.state.timestamp)}`
    : `${alarm.name} rule evaluated to ${value === 'ALARM' ? 'TRUE' : 'FALSE'}`;
  const reasonData = JSON.stringify({
    triggeringAlarms: triggeringAlarms.map((c) => ({ arn: c.arn, state: { value: c.state.value, timestamp: formatAlarmTimestamp(c.state.timestamp) } })),
  });
  return { state: { value, reason, reasonData, timestamp: at }, changed: true, triggeringAlarms };
}
