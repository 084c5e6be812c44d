/**
 * The SNS message CloudWatch publishes for an alarm action (the JSON body subscribers receive:
 * AlarmName, NewStateValue, NewStateReason, StateChangeTime, Region, AlarmArn, OldStateValue,
 * the action lists and the Trigger), and its Subject: `ALARM: "name" in US East (N. Virginia)`.
 */
import type { AlarmState } from './alarm-definition';
import type { MetricAlarmDefinition } from './alarm-evaluator';
import { formatAlarmTimestamp } from './cloudwatch-format';
import type { CompositeAlarmDefinition } from './composite-alarm';

const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
};

export interface AlarmNotificationInput {
  readonly alarm: MetricAlarmDefinition | CompositeAlarmDefinition;
  readonly previous: AlarmState;
  readonly next: AlarmState;
  readonly account: string;
  readonly region: string;
  readonly configurationUpdated: Date;
}

export function regionDisplayName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** SNS subjects are at most 100 characters. */
export function alarmNotificationSubject(alarmName: string, state: AlarmState['value'], region: string): string {
  const subject = `${state}: "${alarmName}" in ${regionDisplayName(region)}`;
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

export function alarmNotificationMessage(input: AlarmNotificationInput): Record<string, unknown> {
  const { alarm, previous, next } = input;
  const message: Record<string, unknown> = {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: input.account,
    AlarmConfigurationUpdatedTimestamp: formatAlarmTimestamp(input.configurationUpdated),
    NewStateValue: next.value,
    NewStateReason: next.reason,
    StateChangeTime: formatAlarmTimestamp(next.timestamp),
    Region: regionDisplayName(input.region),
    AlarmArn: alarm.arn,
    OldStateValue: previous.value,
    OKActions: [...alarm.okActions],
    AlarmActions: [...alarm.alarmActions],
    InsufficientDataActions: [...alarm.insufficientDataActions],
  };
  if (alarm.kind === 'composite') return { ...message, AlarmRule: alarm.ruleText };
  const statistic =
    alarm.statistic.kind === 'standard'
      ? { StatisticType: 'Statistic', Statistic: alarm.statistic.name.toUpperCase() }
      : { StatisticType: 'ExtendedStatistic', ExtendedStatistic: alarm.statistic.name };
  message.Trigger = {
    MetricName: alarm.metricName,
    Namespace: alarm.namespace,
    ...statistic,
    Unit: alarm.unit ?? null,
    Dimensions: Object.entries(alarm.dimensions).map(([name, value]) => ({ value, name })),
    Period: alarm.period,
    EvaluationPeriods: alarm.evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm,
    ComparisonOperator: alarm.comparisonOperator,
    Threshold: alarm.threshold,
    TreatMissingData: alarm.treatMissingData,
    EvaluateLowSampleCountPercentile: alarm.evaluateLowSampleCountPercentile ?? '',
  };
  return message;
}
