/**
 * The local EventBridge: rules loaded from resolved AWS::Events::Rule properties, events put
 * with the PutEvents contract or published by local services, and delivery to target
 * handlers the caller registers by ARN prefix (e.g. `arn:aws:states:` starts an execution).
 *
 * It fails closed: a target whose ARN no handler claims is a recorded delivery failure naming
 * the rule and the target, never a silent drop; target properties the local cloud does not
 * model are refused when the rule loads. Retries follow the target's RetryPolicy for
 * failures a handler marks retryable (RetryableTargetError), immediately, as there is no
 * wall clock to wait on; after the last failure the event goes to the DeadLetterConfig queue
 * when one is set. Scheduled rules are computed, not timed: the caller asks for the next fire
 * times and fires them.
 */
import {
  type EventBridgeEvent,
  type EventEnvelopeInput,
  type JsonObject,
  eventAsJson,
  formatEventTime,
  isJsonObject,
  normalizeEvent,
} from './event-envelope';
import { type CompiledEventPattern, EventPatternError, compilePattern } from './event-pattern';
import { type PreparedTargetInput, type TargetInputProperties, type TargetPayload, TargetInputError, prepareTargetInput } from './input-transform';
import { type ScheduleExpression, ScheduleExpressionError, nextFireTime, parseScheduleExpression } from './schedule-expression';

/** A rule's resolved definition is not one the local bus can run; names the rule and field. */
export class EventRuleError extends Error {
  constructor(
    readonly rule: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Rule ${rule}: ${field}: ${reason}`);
    this.name = 'EventRuleError';
  }
}

/** The whole PutEvents request is invalid (the service's ValidationException). */
export class PutEventsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PutEventsValidationError';
  }
}

/** Thrown by a target handler for a transient failure that EventBridge would retry. */
export class RetryableTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableTargetError';
  }
}

export interface RuleResource {
  readonly logicalId: string;
  /** The rule's physical name; defaults to Properties.Name, then the logical id. */
  readonly name?: string;
  /** AWS::Events::Rule properties with every intrinsic resolved. */
  readonly properties: Readonly<Record<string, unknown>>;
}

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface RuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly roleArn: string | undefined;
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly deadLetterArn: string | undefined;
  readonly input: PreparedTargetInput;
}

export interface EventRule {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly state: RuleState;
  readonly pattern: CompiledEventPattern | undefined;
  readonly schedule: ScheduleExpression | undefined;
  /** When the rule was loaded: rate schedules count their intervals from here. */
  readonly createdAt: Date;
  readonly targets: readonly RuleTarget[];
}

export interface TargetInvocation {
  readonly event: EventBridgeEvent;
  readonly payload: TargetPayload;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly eventBusName: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly roleArn: string | undefined;
  /** 1 for the first try. */
  readonly attempt: number;
  /** Set when this invocation delivers a failed event to the target's dead-letter queue. */
  readonly deadLetter?: { readonly targetArn: string; readonly error: string };
}

export type TargetHandler = (invocation: TargetInvocation) => void | Promise<void>;

export type DeliveryStatus = 'delivered' | 'failed' | 'dead-lettered';

export interface DeliveryRecord {
  readonly eventId: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Why delivery failed (also set for dead-lettered events). */
  readonly error?: string;
}

export interface EventBusOptions {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  readonly clock: () => Date;
  /** Event ids. */
  readonly newId: () => string;
  /** Handlers keyed by target ARN prefix; the longest matching prefix wins. */
  readonly targetHandlers: Readonly<Record<string, TargetHandler>>;
}

export interface PutEventsRequestEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  /** A JSON object as text. */
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: Date | string;
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: readonly PutEventsResultEntry[];
  /** Every target delivery the accepted entries caused, in order. */
  readonly deliveries: readonly DeliveryRecord[];
}

export interface ScheduledFire {
  readonly ruleName: string;
  readonly eventBusName: string;
  readonly at: Date;
}

const RULE_PROPERTIES = ['Name', 'Description', 'EventBusName', 'EventPattern', 'ScheduleExpression', 'State', 'Targets', 'RoleArn'];
const TARGET_PROPERTIES = ['Id', 'Arn', 'RoleArn', 'Input', 'InputPath', 'InputTransformer', 'RetryPolicy', 'DeadLetterConfig'];
const RULE_STATES: readonly RuleState[] = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const MAX_TARGETS = 5;
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** EventBridge's default retry policy: 185 attempts within 24 hours. */
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_EVENT_AGE_SECONDS = 86_400;

function busNameOf(value: string): string {
  const arn = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(value);
  return arn ? arn[1]! : value;
}

function optionalString(rule: string, field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new EventRuleError(rule, field, `must be a string, not ${JSON.stringify(value)}`);
  return value;
}

function integerIn(rule: string, field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EventRuleError(rule, field, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return value;
}

function utf8Length(text: string | undefined): number {
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/** The entry size PutEvents counts (user guide, "Calculating PutEvents event entry size"). */
function entrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time !== undefined ? 14 : 0) +
    utf8Length(entry.Source) +
    utf8Length(entry.DetailType) +
    utf8Length(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + utf8Length(r), 0)
  );
}

export class LocalEventBus {
  private readonly rulesByKey = new Map<string, EventRule>();
  private readonly buses = new Set<string>(['default']);
  private readonly log: DeliveryRecord[] = [];
  private readonly partition: string;

  constructor(private readonly options: EventBusOptions) {
    this.partition = options.partition ?? 'aws';
  }

  /** Declares a custom event bus (AWS::Events::EventBus) that events may be put on. */
  addEventBus(name: string): void {
    this.buses.add(busNameOf(name));
  }

  /** Loads one AWS::Events::Rule; throws EventRuleError when the local bus cannot run it. */
  addRule(resource: RuleResource): EventRule {
    const props = resource.properties;
    const name = resource.name ?? optionalString(resource.logicalId, 'Name', props.Name) ?? resource.logicalId;
    for (const key of Object.keys(props)) {
      if (!RULE_PROPERTIES.includes(key)) {
        throw new EventRuleError(name, key, `property is not modelled by the local cloud (supported: ${RULE_PROPERTIES.join(', ')})`);
      }
    }
    const eventBusName = busNameOf(optionalString(name, 'EventBusName', props.EventBusName) ?? 'default');
    const key = `${eventBusName}/${name}`;
    if (this.rulesByKey.has(key)) throw new EventRuleError(name, 'Name', `a rule with this name already exists on event bus ${eventBusName}`);

    const stateText = optionalString(name, 'State', props.State) ?? 'ENABLED';
    if (!(RULE_STATES as readonly string[]).includes(stateText)) {
      throw new EventRuleError(name, 'State', `must be one of ${RULE_STATES.join(', ')}, not ${stateText}`);
    }
    let pattern: CompiledEventPattern | undefined;
    if (props.EventPattern !== undefined) {
      try {
        pattern = compilePattern(props.EventPattern);
      } catch (error) {
        if (error instanceof EventPatternError) throw new EventRuleError(name, 'EventPattern', error.message);
        throw error;
      }
    }
    let schedule: ScheduleExpression | undefined;
    const scheduleText = optionalString(name, 'ScheduleExpression', props.ScheduleExpression);
    if (scheduleText !== undefined) {
      if (eventBusName !== 'default') {
        throw new EventRuleError(name, 'ScheduleExpression', 'schedules are supported only on the default event bus');
      }
      try {
        schedule = parseScheduleExpression(scheduleText);
      } catch (error) {
        if (error instanceof ScheduleExpressionError) throw new EventRuleError(name, 'ScheduleExpression', error.message);
        throw error;
      }
    }
    if (!pattern && !schedule) throw new EventRuleError(name, 'EventPattern', 'a rule needs an EventPattern, a ScheduleExpression, or both');

    const rule: EventRule = {
      logicalId: resource.logicalId,
      name,
      arn: this.ruleArn(eventBusName, name),
      eventBusName,
      state: stateText as RuleState,
      pattern,
      schedule,
      createdAt: this.options.clock(),
      targets: this.loadTargets(name, props.Targets),
    };
    this.rulesByKey.set(key, rule);
    this.buses.add(eventBusName);
    return rule;
  }

  /** DeleteRule: the rule stops matching and firing. Returns whether it existed. */
  removeRule(name: string, eventBusName = 'default'): boolean {
    return this.rulesByKey.delete(`${busNameOf(eventBusName)}/${name}`);
  }

  rules(): readonly EventRule[] {
    return [...this.rulesByKey.values()];
  }

  /** Targets no registered handler claims: each would fail on its first delivery. */
  unroutableTargets(): { readonly ruleName: string; readonly targetId: string; readonly targetArn: string }[] {
    return this.rules().flatMap((rule) =>
      rule.targets.filter((t) => !this.handlerFor(t.arn)).map((t) => ({ ruleName: rule.name, targetId: t.id, targetArn: t.arn })),
    );
  }

  /** Names of the enabled rules on the bus whose pattern matches the event. */
  matchingRules(event: EventEnvelopeInput, eventBusName = 'default'): string[] {
    const json = eventAsJson(normalizeEvent(event));
    return this.rules()
      .filter((r) => r.eventBusName === eventBusName && r.state !== 'DISABLED' && r.pattern?.matches(json))
      .map((r) => r.name);
  }

  /** Every delivery so far, in order. */
  deliveries(): readonly DeliveryRecord[] {
    return [...this.log];
  }

  /** The PutEvents API: validates each entry like the service and delivers accepted ones. */
  async putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsResult> {
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new PutEventsValidationError(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}, got ${entries.length}`);
    }
    if (entries.reduce((sum, e) => sum + entrySize(e), 0) > MAX_REQUEST_BYTES) {
      throw new PutEventsValidationError('Total size of the entries in the request is over the limit.');
    }
    const ingestion = this.options.clock();
    const results: PutEventsResultEntry[] = [];
    const deliveries: DeliveryRecord[] = [];
    for (const entry of entries) {
      const checked = this.checkEntry(entry, ingestion);
      if (!('event' in checked)) {
        results.push(checked);
        continue;
      }
      results.push({ EventId: checked.event.id });
      deliveries.push(...(await this.dispatch(checked.event, checked.eventBusName, ingestion)));
    }
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results, deliveries };
  }

  /** Delivers an event a local service emitted (aws.s3, aws.cloudwatch, ...) to matching rules. */
  async publish(event: EventEnvelopeInput, eventBusName = 'default'): Promise<DeliveryRecord[]> {
    const bus = busNameOf(eventBusName);
    if (!this.buses.has(bus)) throw new PutEventsValidationError(`Event bus ${bus} does not exist.`);
    return this.dispatch(normalizeEvent(event), bus, this.options.clock());
  }

  /** The next fire of every enabled scheduled rule strictly after `after`, earliest first. */
  nextScheduledFires(after: Date): ScheduledFire[] {
    const fires: ScheduledFire[] = [];
    for (const rule of this.rules()) {
      if (!rule.schedule || rule.state === 'DISABLED') continue;
      const at = nextFireTime(rule.schedule, after, rule.createdAt);
      if (at) fires.push({ ruleName: rule.name, eventBusName: rule.eventBusName, at });
    }
    return fires.sort((a, b) => a.at.getTime() - b.at.getTime() || a.ruleName.localeCompare(b.ruleName));
  }

  /** Fires a scheduled rule: its targets receive a "Scheduled Event" for time `at`. */
  async fireSchedule(ruleName: string, at: Date): Promise<DeliveryRecord[]> {
    const rule = this.rulesByKey.get(`default/${ruleName}`);
    if (!rule?.schedule) throw new EventRuleError(ruleName, 'ScheduleExpression', 'no scheduled rule with this name on the default bus');
    if (rule.state === 'DISABLED') return [];
    const event: EventBridgeEvent = {
      version: '0',
      id: this.options.newId(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.account,
      time: formatEventTime(at),
      region: this.options.region,
      resources: [rule.arn],
      detail: {},
    };
    const records: DeliveryRecord[] = [];
    for (const target of rule.targets) records.push(await this.deliver(rule, target, event, at));
    return records;
  }

  private ruleArn(eventBusName: string, name: string): string {
    const path = eventBusName === 'default' ? name : `${eventBusName}/${name}`;
    return `arn:${this.partition}:events:${this.options.region}:${this.options.account}:rule/${path}`;
  }

  private loadTargets(rule: string, raw: unknown): RuleTarget[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new EventRuleError(rule, 'Targets', 'must be a list');
    if (raw.length > MAX_TARGETS) throw new EventRuleError(rule, 'Targets', `a rule has at most ${MAX_TARGETS} targets, found ${raw.length}`);
    const seen = new Set<string>();
    return raw.map((target, i) => {
      const field = `Targets[${i}]`;
      if (!isJsonObject(target)) throw new EventRuleError(rule, field, 'must be an object');
      for (const key of Object.keys(target)) {
        if (!TARGET_PROPERTIES.includes(key)) {
          throw new EventRuleError(rule, `${field}.${key}`, `target property is not modelled by the local cloud (supported: ${TARGET_PROPERTIES.join(', ')})`);
        }
      }
      const id = target.Id;
      if (typeof id !== 'string' || !TARGET_ID.test(id)) throw new EventRuleError(rule, `${field}.Id`, 'must be 1-64 letters, digits, ".", "-" or "_"');
      if (seen.has(id)) throw new EventRuleError(rule, `${field}.Id`, `duplicate target id ${id}`);
      seen.add(id);
      const arn = target.Arn;
      if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new EventRuleError(rule, `${field}.Arn`, `must be an ARN, not ${JSON.stringify(arn)}`);
      const retry = target.RetryPolicy;
      if (retry !== undefined && !isJsonObject(retry)) throw new EventRuleError(rule, `${field}.RetryPolicy`, 'must be an object');
      const deadLetter = target.DeadLetterConfig;
      if (deadLetter !== undefined && (!isJsonObject(deadLetter) || typeof deadLetter.Arn !== 'string')) {
        throw new EventRuleError(rule, `${field}.DeadLetterConfig`, 'must be an object with an Arn');
      }
      let input: PreparedTargetInput;
      try {
        input = prepareTargetInput(target as unknown as TargetInputProperties);
      } catch (error) {
        if (error instanceof TargetInputError) throw new EventRuleError(rule, field, error.message);
        throw error;
      }
      return {
        id,
        arn,
        roleArn: optionalString(rule, `${field}.RoleArn`, target.RoleArn),
        maximumRetryAttempts: integerIn(rule, `${field}.RetryPolicy.MaximumRetryAttempts`, retry?.MaximumRetryAttempts, 0, 185, DEFAULT_RETRY_ATTEMPTS),
        maximumEventAgeSeconds: integerIn(rule, `${field}.RetryPolicy.MaximumEventAgeInSeconds`, retry?.MaximumEventAgeInSeconds, 60, 86_400, DEFAULT_EVENT_AGE_SECONDS),
        deadLetterArn: isJsonObject(deadLetter) ? (deadLetter.Arn as string) : undefined,
        input,
      };
    });
  }

  private checkEntry(entry: PutEventsRequestEntry, ingestion: Date): { event: EventBridgeEvent; eventBusName: string } | PutEventsResultEntry {
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      if (typeof entry[field] !== 'string' || entry[field] === '') {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
      }
    }
    if (entry.Source!.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail!);
    } catch {
      detail = undefined;
    }
    if (!isJsonObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const eventBusName = busNameOf(entry.EventBusName ?? 'default');
    if (!this.buses.has(eventBusName)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${eventBusName} does not exist.` };
    }
    const time = entry.Time === undefined ? ingestion : new Date(entry.Time);
    if (Number.isNaN(time.getTime())) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter Time is not valid. Reason: ${String(entry.Time)} is not a timestamp.` };
    }
    return {
      eventBusName,
      event: {
        version: '0',
        id: this.options.newId(),
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.options.account,
        time: formatEventTime(time),
        region: this.options.region,
        resources: [...(entry.Resources ?? [])],
        detail: detail as JsonObject,
      },
    };
  }

  private async dispatch(event: EventBridgeEvent, eventBusName: string, ingestion: Date): Promise<DeliveryRecord[]> {
    const json = eventAsJson(event);
    const records: DeliveryRecord[] = [];
    for (const rule of this.rules()) {
      if (rule.eventBusName !== eventBusName || rule.state === 'DISABLED' || !rule.pattern?.matches(json)) continue;
      for (const target of rule.targets) records.push(await this.deliver(rule, target, event, ingestion));
    }
    return records;
  }

  private handlerFor(arn: string): TargetHandler | undefined {
    let best: string | undefined;
    for (const prefix of Object.keys(this.options.targetHandlers)) {
      if (arn.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    return best === undefined ? undefined : this.options.targetHandlers[best];
  }

  private record(record: DeliveryRecord): DeliveryRecord {
    this.log.push(record);
    return record;
  }

  private async deliver(rule: EventRule, target: RuleTarget, event: EventBridgeEvent, ingestion: Date): Promise<DeliveryRecord> {
    const base = { eventId: event.id, ruleName: rule.name, ruleArn: rule.arn, targetId: target.id, targetArn: target.arn };
    const handler = this.handlerFor(target.arn);
    if (!handler) {
      const known = Object.keys(this.options.targetHandlers).join(', ') || 'none';
      return this.record({
        ...base,
        status: 'failed',
        attempts: 0,
        error: `no local adapter handles target ${target.id} (${target.arn}) of rule ${rule.name}; adapters are registered for: ${known}`,
      });
    }
    let payload: TargetPayload;
    try {
      payload = target.input.build(event, { ruleName: rule.name, ruleArn: rule.arn, ingestionTime: ingestion });
    } catch (error) {
      return this.finalFailure(rule, target, event, base, 0, (error as Error).message);
    }
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        await handler({
          event,
          payload,
          ruleName: rule.name,
          ruleArn: rule.arn,
          eventBusName: rule.eventBusName,
          targetId: target.id,
          targetArn: target.arn,
          roleArn: target.roleArn,
          attempt,
        });
        return this.record({ ...base, status: 'delivered', attempts: attempt });
      } catch (error) {
        const message = (error as Error).message;
        const ageSeconds = (this.options.clock().getTime() - ingestion.getTime()) / 1000;
        const retry = error instanceof RetryableTargetError && attempt <= target.maximumRetryAttempts && ageSeconds <= target.maximumEventAgeSeconds;
        if (!retry) return this.finalFailure(rule, target, event, base, attempt, message);
      }
    }
  }

  private async finalFailure(
    rule: EventRule,
    target: RuleTarget,
    event: EventBridgeEvent,
    base: Omit<DeliveryRecord, 'status' | 'attempts' | 'error'>,
    attempts: number,
    error: string,
  ): Promise<DeliveryRecord> {
    const failed = { ...base, attempts, error: `rule ${rule.name}, target ${target.id}: ${error}` };
    if (!target.deadLetterArn) return this.record({ ...failed, status: 'failed' });
    const queueHandler = this.handlerFor(target.deadLetterArn);
    if (!queueHandler) {
      return this.record({ ...failed, status: 'failed', error: `${failed.error}; and no local adapter handles its dead-letter queue ${target.deadLetterArn}` });
    }
    const value = eventAsJson(event);
    try {
      await queueHandler({
        event,
        payload: { kind: 'json', text: JSON.stringify(value), value },
        ruleName: rule.name,
        ruleArn: rule.arn,
        eventBusName: rule.eventBusName,
        targetId: target.id,
        targetArn: target.deadLetterArn,
        roleArn: undefined,
        attempt: 1,
        deadLetter: { targetArn: target.arn, error },
      });
      return this.record({ ...failed, status: 'dead-lettered' });
    } catch (dlqError) {
      return this.record({ ...failed, status: 'failed', error: `${failed.error}; dead-letter delivery failed too: ${(dlqError as Error).message}` });
    }
  }
}
