/**
 * The local cloud's alarms: the template's metric and composite alarms with their current
 * states. Each evaluation runs the metric alarms, then the composite alarms children first,
 * and returns only the transitions, each with its "CloudWatch Alarm State Change" event and
 * the action ARNs (SNS topics, ...) the new state calls for. Pure: the caller supplies the
 * metrics and the time, and publishes the events.
 */
import type { EventBridgeEvent } from '../events/event-envelope';
import {
  type AlarmContext,
  type AlarmResource,
  type AlarmState,
  AlarmDefinitionError,
  actionsFor,
  alarmNameOf,
  initialAlarmState,
} from './alarm-definition';
import { type EvaluatedDatapoint, type EvaluationOptions, type MetricAlarmDefinition, evaluateMetricAlarm, parseMetricAlarm } from './alarm-evaluator';
import { buildAlarmStateChangeEvent } from './alarm-state-change-event';
import { type CompositeAlarmDefinition, alarmsReferenced, evaluateCompositeAlarm, parseCompositeAlarm } from './composite-alarm';
import type { MetricReader } from './metrics-store';

export interface AlarmRegistryOptions extends AlarmContext {
  /** Stamps the initial INSUFFICIENT_DATA state of each alarm added. */
  readonly clock: () => Date;
  readonly newEventId: () => string;
  readonly evaluation?: EvaluationOptions;
}

export interface AlarmTransition {
  readonly alarm: MetricAlarmDefinition | CompositeAlarmDefinition;
  readonly previous: AlarmState;
  readonly next: AlarmState;
  readonly event: EventBridgeEvent;
  /** Action ARNs for the new state (empty when ActionsEnabled is false). */
  readonly actions: readonly string[];
  /** For metric alarms: the datapoints the decision used, newest first. */
  readonly datapoints?: readonly EvaluatedDatapoint[];
}

export type AnyAlarm = MetricAlarmDefinition | CompositeAlarmDefinition;

export class AlarmRegistry {
  private readonly alarms = new Map<string, AnyAlarm>();
  private readonly states = new Map<string, AlarmState>();

  constructor(private readonly options: AlarmRegistryOptions) {}

  addMetricAlarm(resource: AlarmResource): MetricAlarmDefinition {
    return this.add(parseMetricAlarm(resource, this.options));
  }

  addCompositeAlarm(resource: AlarmResource): CompositeAlarmDefinition {
    return this.add(parseCompositeAlarm(resource, this.options));
  }

  /** Removes an alarm and its state. Returns whether it existed. */
  remove(nameOrArn: string): boolean {
    const name = alarmNameOf(nameOrArn);
    this.states.delete(name);
    return this.alarms.delete(name);
  }

  definitions(): readonly AnyAlarm[] {
    return [...this.alarms.values()];
  }

  /** The current state of an alarm, by name or ARN. */
  state(nameOrArn: string): AlarmState | undefined {
    return this.states.get(alarmNameOf(nameOrArn));
  }

  /** Puts back a state saved earlier (a restart on the same state dir); unknown alarms are ignored. */
  restoreState(name: string, state: AlarmState): boolean {
    if (!this.alarms.has(name)) return false;
    this.states.set(name, state);
    return true;
  }

  /** The alarm named (by name or ARN), if registered. */
  definition(nameOrArn: string): AnyAlarm | undefined {
    return this.alarms.get(alarmNameOf(nameOrArn));
  }

  /** Evaluates every alarm at `at` and returns the state transitions, in evaluation order. */
  evaluate(metrics: MetricReader, at: Date): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    for (const alarm of this.alarms.values()) {
      if (alarm.kind !== 'metric') continue;
      const previous = this.states.get(alarm.name)!;
      const result = evaluateMetricAlarm(alarm, metrics, at, previous, this.options.evaluation);
      if (result.changed) transitions.push(this.transition(alarm, previous, result.state, result.datapoints));
    }
    for (const alarm of this.compositeOrder()) {
      const previous = this.states.get(alarm.name)!;
      const result = evaluateCompositeAlarm(
        alarm,
        (ref) => {
          const child = this.alarms.get(alarmNameOf(ref));
          return child && { name: child.name, arn: child.arn, state: this.states.get(child.name)! };
        },
        at,
        previous,
      );
      if (result.changed) transitions.push(this.transition(alarm, previous, result.state, undefined));
    }
    return transitions;
  }

  private add<T extends AnyAlarm>(alarm: T): T {
    if (this.alarms.has(alarm.name)) throw new AlarmDefinitionError(alarm.name, 'AlarmName', 'an alarm with this name already exists');
    this.alarms.set(alarm.name, alarm);
    this.states.set(alarm.name, initialAlarmState(this.options.clock()));
    return alarm;
  }

  private transition(alarm: AnyAlarm, previous: AlarmState, next: AlarmState, datapoints: readonly EvaluatedDatapoint[] | undefined): AlarmTransition {
    this.states.set(alarm.name, next);
    const event = buildAlarmStateChangeEvent({
      alarm,
      previous,
      next,
      account: this.options.account,
      region: this.options.region,
      eventId: this.options.newEventId(),
    })!;
    return { alarm, previous, next, event, actions: actionsFor(alarm, next.value), ...(datapoints ? { datapoints } : {}) };
  }

  /** Composite alarms ordered so that a composite comes after the composites it names. */
  private compositeOrder(): CompositeAlarmDefinition[] {
    const ordered: CompositeAlarmDefinition[] = [];
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (alarm: CompositeAlarmDefinition, path: string[]): void => {
      if (done.has(alarm.name)) return;
      if (visiting.has(alarm.name)) {
        throw new AlarmDefinitionError(alarm.name, 'AlarmRule', `composite alarms name each other in a cycle: ${[...path, alarm.name].join(' -> ')}`);
      }
      visiting.add(alarm.name);
      for (const ref of alarmsReferenced(alarm.rule)) {
        const child = this.alarms.get(alarmNameOf(ref));
        if (!child) throw new AlarmDefinitionError(alarm.name, 'AlarmRule', `names alarm ${ref}, which does not exist`);
        if (child.kind === 'composite') visit(child, [...path, alarm.name]);
      }
      visiting.delete(alarm.name);
      done.add(alarm.name);
      ordered.push(alarm);
    };
    for (const alarm of this.alarms.values()) if (alarm.kind === 'composite') visit(alarm, []);
    return ordered;
  }
}
