/**
 * The EventBridge event CloudWatch sends when an alarm changes state (CloudWatch user guide,
 * "Alarm events and EventBridge"): source `aws.cloudwatch`, detail-type `CloudWatch Alarm
 * State Change`, the alarm ARN as the only resource, and a detail with alarmName,
 * configuration, previousState and state. Only transitions produce one: when the state value
 * did not change there is no event.
 */
import { createHash } from 'node:crypto';
import { type EventBridgeEvent, type JsonObject, formatEventTime } from '../events/event-envelope';
import type { AlarmState } from './alarm-definition';
import type { MetricAlarmDefinition } from './alarm-evaluator';
import { formatAlarmTimestamp } from './cloudwatch-format';
import type { CompositeAlarmDefinition } from './composite-alarm';

export interface AlarmStateChange {
  readonly alarm: MetricAlarmDefinition | CompositeAlarmDefinition;
  readonly previous: AlarmState;
  readonly next: AlarmState;
  readonly account: string;
  readonly region: string;
  readonly eventId: string;
}

/** A UUID-shaped id that stays the same for an alarm across events. */
function stableMetricId(arn: string): string {
  const hex = createHash('sha1').update(arn).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The event's `configuration`: the alarm's metric as CloudWatch describes it, or its rule. */
export function alarmConfiguration(alarm: MetricAlarmDefinition | CompositeAlarmDefinition): JsonObject {
  const description: JsonObject = alarm.description === undefined ? {} : { description: alarm.description };
  if (alarm.kind === 'composite') return { alarmRule: alarm.ruleText, ...description };
  const metricStat: JsonObject = {
    metric: { dimensions: { ...alarm.dimensions }, name: alarm.metricName, namespace: alarm.namespace },
    period: alarm.period,
    stat: alarm.statistic.name,
  };
  if (alarm.unit !== undefined) metricStat.unit = alarm.unit;
  return {
    ...description,
    metrics: [{ id: alarm.metricId ?? stableMetricId(alarm.arn), metricStat, returnData: true }],
  };
}

function stateJson(state: AlarmState): JsonObject {
  const out: JsonObject = { reason: state.reason };
  if (state.reasonData !== undefined) out.reasonData = state.reasonData;
  out.timestamp = formatAlarmTimestamp(state.timestamp);
  out.value = state.value;
  return out;
}

/** The "CloudWatch Alarm State Change" event, or undefined when the state value did not change. */
export function buildAlarmStateChangeEvent(change: AlarmStateChange): EventBridgeEvent | undefined {
  if (change.previous.value === change.next.value) return undefined;
  return {
    version: '0',
    id: change.eventId,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: change.account,
    time: formatEventTime(change.next.timestamp),
    region: change.region,
    resources: [change.alarm.arn],
    detail: {
      alarmName: change.alarm.name,
      configuration: alarmConfiguration(change.alarm),
      previousState: stateJson(change.previous),
      state: stateJson(change.next),
    },
  };
}
