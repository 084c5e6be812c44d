/**
 * The local CloudWatch service: the metric store and the template's alarms behind the API
 * operations the local endpoint serves (PutMetricData, DescribeAlarms, DescribeAlarmHistory,
 * GetMetricStatistics, GetMetricData, ListMetrics).
 *
 * Alarms are evaluated after every accepted PutMetricData and on each `evaluateAlarms()` (the
 * caller's periodic tick; CloudWatch itself evaluates once a minute, on the minute, so a datum
 * stamped now counts from the next whole minute on). Each transition is written to the alarm's
 * history, its SNS actions are published, and it is handed to `onTransition` (the local cloud
 * puts its "CloudWatch Alarm State Change" event on the bus).
 *
 * With a stateDir, metrics (`cloudwatch/metrics.jsonl`), alarm states (`cloudwatch/alarms.json`)
 * and history (`cloudwatch/alarm-history.jsonl`) survive a restart: an alarm registered again
 * under the same name resumes its saved state.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { AlarmDefinitionError, type AlarmState, type AlarmStateValue, alarmNameOf } from './alarm-definition';
import type { EvaluationOptions, MetricAlarmDefinition } from './alarm-evaluator';
import { alarmNotificationMessage, alarmNotificationSubject } from './alarm-notification';
import { type AlarmTransition, type AnyAlarm, AlarmRegistry } from './alarm-registry';
import {
  CloudWatchServiceError,
  cloudWatchErrors,
  type describeAlarmHistoryShape,
  type describeAlarmsShape,
  fromQueryErrorCode,
  type getMetricDataShape,
  type getMetricStatisticsShape,
  type listMetricsShape,
  type putMetricDataShape,
} from './cloudwatch-json-protocol';
import { alarmsReferenced } from './composite-alarm';
import { CloudWatchValidationError, MetricsStore, type StoredDatum, STANDARD_UNITS } from './metrics-store';
import { type MetricObservation, type StatisticSpec, STANDARD_STATISTICS, type StandardStatistic, aggregate, parsePercentile } from './statistics';

export type AlarmType = 'MetricAlarm' | 'CompositeAlarm';
export type HistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

export interface AlarmHistoryItem {
  readonly AlarmName: string;
  readonly AlarmType: AlarmType;
  readonly Timestamp: Date;
  readonly HistoryItemType: HistoryItemType;
  readonly HistorySummary: string;
  /** JSON text. */
  readonly HistoryData: string;
}

/** An alarm resource from a deployed template, as the provisioner hands it over. */
export interface TemplateAlarm {
  readonly logicalId: string;
  readonly name: string;
  readonly type: 'AWS::CloudWatch::Alarm' | 'AWS::CloudWatch::CompositeAlarm' | string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface LocalCloudWatchOptions {
  readonly account: string;
  readonly region: string;
  /** The service's now: stamps data without a Timestamp and times evaluations. */
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Persist under `<stateDir>/cloudwatch/`. @default - in memory only */
  readonly stateDir?: string;
  /** Publishes one SNS alarm action; throws when the topic does not exist. Returns the message id. @default - SNS actions fail */
  readonly publishToTopic?: (topicArn: string, subject: string, message: string) => string;
  /** Called for each transition after it is recorded and its actions ran. @default - none */
  readonly onTransition?: (transition: AlarmTransition) => void;
  readonly evaluation?: EvaluationOptions;
}

type PutMetricDataRequest = z.output<typeof putMetricDataShape>;
type DescribeAlarmsRequest = z.output<typeof describeAlarmsShape>;
type DescribeAlarmHistoryRequest = z.output<typeof describeAlarmHistoryShape>;
type GetMetricStatisticsRequest = z.output<typeof getMetricStatisticsShape>;
type GetMetricDataRequest = z.output<typeof getMetricDataShape>;
type ListMetricsRequest = z.output<typeof listMetricsShape>;

interface SavedAlarms {
  readonly states: Record<string, { value: AlarmStateValue; reason: string; reasonData?: string; timestamp: string; transitioned?: string }>;
}

const SNS_TOPIC_ARN = /^arn:[^:]+:sns:[^:]+:\d{12}:[^:]+$/;
const MAX_DATAPOINTS = 1440;
const MAX_GET_METRIC_DATA_POINTS = 100_800;

export class LocalCloudWatch {
  readonly metrics: MetricsStore;
  readonly alarms: AlarmRegistry;
  private readonly history: AlarmHistoryItem[] = [];
  private readonly configured = new Map<string, Date>();
  private readonly transitioned = new Map<string, Date>();
  private readonly saved: SavedAlarms;
  private readonly directory: string | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalCloudWatchOptions) {
    this.metrics = new MetricsStore(options.clock);
    this.alarms = new AlarmRegistry({ account: options.account, region: options.region, clock: options.clock, newEventId: options.newId, evaluation: options.evaluation });
    this.directory = options.stateDir === undefined ? undefined : join(options.stateDir, 'cloudwatch');
    this.saved = { states: {} };
    if (this.directory) {
      mkdirSync(this.directory, { recursive: true });
      this.saved = this.load();
    }
  }

  // ------------------------------------------------------------ alarms from templates

  /** Registers a template alarm; refuses (AlarmDefinitionError) what the local cloud cannot run. */
  registerAlarm(resource: TemplateAlarm): AnyAlarm {
    const definition =
      resource.type === 'AWS::CloudWatch::CompositeAlarm'
        ? this.alarms.addCompositeAlarm({ logicalId: resource.logicalId, name: resource.name, properties: resource.properties })
        : resource.type === 'AWS::CloudWatch::Alarm'
          ? this.alarms.addMetricAlarm({ logicalId: resource.logicalId, name: resource.name, properties: resource.properties })
          : undefined;
    if (!definition) throw new AlarmDefinitionError(resource.name, 'Type', `${resource.type} is not a CloudWatch alarm type`);
    for (const [field, arns] of [['AlarmActions', definition.alarmActions], ['OKActions', definition.okActions], ['InsufficientDataActions', definition.insufficientDataActions]] as const) {
      arns.forEach((arn, i) => {
        // Fail closed: EC2, Auto Scaling, Systems Manager and Lambda actions have no local twin.
        if (!SNS_TOPIC_ARN.test(arn)) throw new AlarmDefinitionError(definition.name, `${field}[${i}]`, `${arn} is not an SNS topic; the local cloud runs SNS alarm actions only`);
      });
    }
    if (definition.kind === 'composite') {
      for (const ref of alarmsReferenced(definition.rule)) {
        if (!this.alarms.definition(ref)) throw new AlarmDefinitionError(definition.name, 'AlarmRule', `names alarm ${ref}, which does not exist`);
      }
    }
    const now = this.options.clock();
    this.configured.set(definition.name, now);
    const saved = this.saved.states[definition.name];
    if (saved) {
      this.alarms.restoreState(definition.name, { value: saved.value, reason: saved.reason, reasonData: saved.reasonData, timestamp: new Date(saved.timestamp) });
      if (saved.transitioned) this.transitioned.set(definition.name, new Date(saved.transitioned));
    } else {
      this.recordHistory({
        AlarmName: definition.name,
        AlarmType: alarmType(definition),
        Timestamp: now,
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${definition.name}" created`,
        HistoryData: JSON.stringify({ type: 'Create', version: '1.0', createdAlarm: describeAlarm(definition, this.alarms.state(definition.name)!, now, undefined) }),
      });
      this.saveStates();
    }
    return definition;
  }

  /**
   * DeleteAlarms for one alarm: it stops being evaluated and its saved state goes; its history
   * stays (CloudWatch keeps alarm history after deletion). Refuses while a remaining composite
   * alarm names it, as CloudWatch does. Returns whether it existed.
   */
  deleteAlarm(name: string): boolean {
    const definition = this.alarms.definition(name);
    if (!definition) return false;
    const parent = this.alarms.definitions().find((a) => a.kind === 'composite' && a.name !== definition.name && alarmsReferenced(a.rule).some((ref) => this.alarms.definition(ref)?.name === definition.name));
    if (parent) throw new AlarmDefinitionError(definition.name, 'AlarmName', `composite alarm ${parent.name} names it; delete that first`);
    this.alarms.remove(definition.name);
    this.configured.delete(definition.name);
    this.transitioned.delete(definition.name);
    delete this.saved.states[definition.name];
    this.recordHistory({
      AlarmName: definition.name,
      AlarmType: alarmType(definition),
      Timestamp: this.options.clock(),
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${definition.name}" deleted`,
      HistoryData: JSON.stringify({ type: 'Delete', version: '1.0' }),
    });
    this.saveStates();
    return true;
  }

  /** Evaluates every alarm at `at` (the periodic tick); returns the transitions. */
  evaluateAlarms(at: Date = this.options.clock()): AlarmTransition[] {
    const transitions = this.alarms.evaluate(this.metrics, at);
    for (const transition of transitions) this.afterTransition(transition);
    if (transitions.length > 0) this.saveStates();
    for (const transition of transitions) this.options.onTransition?.(transition);
    return transitions;
  }

  /** Calls evaluateAlarms every intervalMs until close(). The timer does not keep the process alive. */
  startTicking(intervalMs: number, onError: (error: unknown) => void): void {
    this.stopTicking();
    this.ticker = setInterval(() => {
      try {
        this.evaluateAlarms();
      } catch (error) {
        onError(error);
      }
    }, intervalMs);
    this.ticker.unref();
  }

  stopTicking(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  // ------------------------------------------------------------ API operations

  putMetricData(input: PutMetricDataRequest): Record<string, never> {
    if (input.EntityMetricData !== undefined) {
      throw cloudWatchErrors.invalidParameterValue('The parameter EntityMetricData is not modelled by the local cloud; send MetricData.');
    }
    let stored: StoredDatum[];
    try {
      stored = this.metrics.putMetricData(input);
    } catch (error) {
      if (error instanceof CloudWatchValidationError) throw fromQueryErrorCode(error.code, error.message.slice(error.code.length + 2));
      throw error;
    }
    if (this.directory) appendFileSync(join(this.directory, 'metrics.jsonl'), stored.map((d) => `${JSON.stringify(d)}\n`).join(''));
    this.evaluateAlarms();
    return {};
  }

  describeAlarms(input: DescribeAlarmsRequest): { MetricAlarms: object[]; CompositeAlarms: object[]; NextToken?: string } {
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) {
      throw cloudWatchErrors.invalidParameterCombination('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.');
    }
    if (input.ChildrenOfAlarmName !== undefined && input.ParentsOfAlarmName !== undefined) {
      throw cloudWatchErrors.invalidParameterCombination('The parameters ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive.');
    }
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    let alarms = [...this.alarms.definitions()].sort((a, b) => a.name.localeCompare(b.name));
    if (input.AlarmNames) alarms = alarms.filter((a) => input.AlarmNames!.includes(a.name));
    if (input.AlarmNamePrefix !== undefined) alarms = alarms.filter((a) => a.name.startsWith(input.AlarmNamePrefix!));
    if (input.StateValue) alarms = alarms.filter((a) => this.alarms.state(a.name)!.value === input.StateValue);
    if (input.ActionPrefix !== undefined) alarms = alarms.filter((a) => [...a.alarmActions, ...a.okActions, ...a.insufficientDataActions].some((arn) => arn.startsWith(input.ActionPrefix!)));
    if (input.ChildrenOfAlarmName !== undefined) {
      const parent = this.alarms.definition(input.ChildrenOfAlarmName);
      const children = parent?.kind === 'composite' ? alarmsReferenced(parent.rule).map(alarmNameOf) : [];
      alarms = alarms.filter((a) => children.includes(a.name));
    }
    if (input.ParentsOfAlarmName !== undefined) {
      const child = alarmNameOf(input.ParentsOfAlarmName);
      alarms = alarms.filter((a) => a.kind === 'composite' && alarmsReferenced(a.rule).map(alarmNameOf).includes(child));
    }
    alarms = alarms.filter((a) => types.includes(alarmType(a)));
    const { page, nextToken } = paginate(alarms, input.NextToken, input.MaxRecords ?? 50);
    const described = page.map((a) => describeAlarm(a, this.alarms.state(a.name)!, this.configured.get(a.name)!, this.transitioned.get(a.name)));
    return {
      MetricAlarms: described.filter((_, i) => page[i]!.kind === 'metric'),
      CompositeAlarms: described.filter((_, i) => page[i]!.kind === 'composite'),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  describeAlarmHistory(input: DescribeAlarmHistoryRequest): { AlarmHistoryItems: AlarmHistoryItem[]; NextToken?: string } {
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const items = this.history
      .filter((h) => input.AlarmName === undefined || h.AlarmName === input.AlarmName)
      .filter((h) => types.includes(h.AlarmType))
      .filter((h) => input.HistoryItemType === undefined || h.HistoryItemType === input.HistoryItemType)
      .filter((h) => input.StartDate === undefined || h.Timestamp >= input.StartDate)
      .filter((h) => input.EndDate === undefined || h.Timestamp <= input.EndDate)
      // The history is in recording order: a stable sort keeps items of one instant in it.
      .sort((a, b) => a.Timestamp.getTime() - b.Timestamp.getTime());
    if (input.ScanBy !== 'TimestampAscending') items.reverse();
    const { page, nextToken } = paginate(items, input.NextToken, input.MaxRecords ?? 100);
    return { AlarmHistoryItems: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  getMetricStatistics(input: GetMetricStatisticsRequest): { Label: string; Datapoints: object[] } {
    const namespace = required('Namespace', input.Namespace);
    const metricName = required('MetricName', input.MetricName);
    const start = required('StartTime', input.StartTime);
    const end = required('EndTime', input.EndTime);
    const period = checkPeriod('Period', required('Period', input.Period));
    const standard = input.Statistics ?? [];
    const extended = input.ExtendedStatistics ?? [];
    if (standard.length === 0 && extended.length === 0) throw cloudWatchErrors.invalidParameterCombination('Must specify either Statistics or ExtendedStatistics.');
    if (standard.length > 5) throw cloudWatchErrors.invalidParameterValue('The collection Statistics must not have a size greater than 5.');
    if (extended.length > 10) throw cloudWatchErrors.invalidParameterValue('The collection ExtendedStatistics must not have a size greater than 10.');
    standard.forEach((s, i) => {
      if (!(STANDARD_STATISTICS as readonly string[]).includes(s)) {
        throw cloudWatchErrors.invalidParameterValue(`The value ${s} for parameter Statistics.member.${i + 1} is not one of ${STANDARD_STATISTICS.join(', ')}.`);
      }
    });
    const percentiles = extended.map((s, i) => {
      const spec = parsePercentile(s);
      if (typeof spec === 'string') throw cloudWatchErrors.invalidParameterValue(`The value ${s} for parameter ExtendedStatistics.member.${i + 1} is invalid: ${spec}.`);
      return spec;
    });
    const unit = checkUnit('Unit', input.Unit);
    const dimensions = toDimensionMap('Dimensions', input.Dimensions ?? []);
    const buckets = this.buckets({ namespace, metricName, dimensions, unit }, start, end, period, MAX_DATAPOINTS);
    return {
      Label: metricName,
      Datapoints: buckets.map(({ timestamp, observations }) => {
        const point: Record<string, unknown> = { Timestamp: timestamp };
        for (const s of standard) point[s] = aggregate(observations, { kind: 'standard', name: s as StandardStatistic })?.value;
        if (percentiles.length > 0) {
          point.ExtendedStatistics = Object.fromEntries(percentiles.map((p) => [p.name, aggregate(observations, p)?.value]).filter(([, v]) => v !== undefined));
        }
        point.Unit = unit ?? observations[0]!.unit;
        return point;
      }),
    };
  }

  getMetricData(input: GetMetricDataRequest): { MetricDataResults: object[]; Messages: object[] } {
    const queries = input.MetricDataQueries;
    if (!queries || queries.length === 0) throw cloudWatchErrors.missingParameter('The parameter MetricDataQueries is required.');
    if (queries.length > 500) throw cloudWatchErrors.invalidParameterValue('The collection MetricDataQueries must not have a size greater than 500.');
    const start = required('StartTime', input.StartTime);
    const end = required('EndTime', input.EndTime);
    const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const results = queries.map((query, i) => {
      const at = `MetricDataQueries.member.${i + 1}`;
      const id = required(`${at}.Id`, query.Id);
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw cloudWatchErrors.invalidParameterValue(`The value ${id} for parameter ${at}.Id must start with a lowercase letter and hold only letters, digits and underscores.`);
      if (query.Expression !== undefined) throw cloudWatchErrors.invalidParameterValue(`The parameter ${at}.Expression (metric math) is not modelled by the local cloud; query a MetricStat.`);
      if (query.AccountId !== undefined) throw cloudWatchErrors.invalidParameterValue(`The parameter ${at}.AccountId (cross-account) is not modelled by the local cloud.`);
      const stat = required(`${at}.MetricStat`, query.MetricStat);
      const metric = required(`${at}.MetricStat.Metric`, stat.Metric);
      const statistic = toStatistic(`${at}.MetricStat.Stat`, required(`${at}.MetricStat.Stat`, stat.Stat));
      const period = checkPeriod(`${at}.MetricStat.Period`, required(`${at}.MetricStat.Period`, stat.Period));
      const buckets = this.buckets(
        {
          namespace: required(`${at}.MetricStat.Metric.Namespace`, metric.Namespace),
          metricName: required(`${at}.MetricStat.Metric.MetricName`, metric.MetricName),
          dimensions: toDimensionMap(`${at}.MetricStat.Metric.Dimensions`, metric.Dimensions ?? []),
          unit: checkUnit(`${at}.MetricStat.Unit`, stat.Unit),
        },
        start,
        end,
        period,
        MAX_GET_METRIC_DATA_POINTS,
      );
      const points = buckets
        .map((b) => ({ timestamp: b.timestamp, value: aggregate(b.observations, statistic)?.value }))
        .filter((p): p is { timestamp: Date; value: number } => p.value !== undefined);
      if (descending) points.reverse();
      return { Id: id, Label: query.Label ?? metric.MetricName, Timestamps: points.map((p) => p.timestamp), Values: points.map((p) => p.value), StatusCode: 'Complete', ReturnData: query.ReturnData };
    });
    return { MetricDataResults: results.filter((r) => r.ReturnData !== false).map(({ ReturnData: _r, ...rest }) => rest), Messages: [] };
  }

  listMetrics(input: ListMetricsRequest): { Metrics: object[] } {
    const filters = input.Dimensions ?? [];
    const metrics = this.metrics
      .listMetrics()
      .filter((m) => input.Namespace === undefined || m.namespace === input.Namespace)
      .filter((m) => input.MetricName === undefined || m.metricName === input.MetricName)
      .filter((m) => filters.every((f) => f.Name !== undefined && f.Name in m.dimensions && (f.Value === undefined || m.dimensions[f.Name] === f.Value)))
      .map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) }));
    return { Metrics: metrics };
  }

  // ------------------------------------------------------------ internals

  private buckets(
    metric: { namespace: string; metricName: string; dimensions: Record<string, string>; unit: string | undefined },
    start: Date,
    end: Date,
    period: number,
    maxPoints: number,
  ): { timestamp: Date; observations: MetricObservation[] }[] {
    if (start.getTime() >= end.getTime()) throw cloudWatchErrors.invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
    const periodMs = period * 1000;
    // CloudWatch rounds the start down to the period's grain (a whole minute for periods of a minute or more).
    const grain = period >= 60 ? 60_000 : periodMs;
    const first = Math.floor(start.getTime() / grain) * grain;
    const count = Math.ceil((end.getTime() - first) / periodMs);
    if (count > maxPoints) {
      throw cloudWatchErrors.invalidParameterCombination(
        `You have requested up to ${count} datapoints, which exceeds the limit of ${maxPoints.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const out: { timestamp: Date; observations: MetricObservation[] }[] = [];
    for (let k = 0; k < count; k++) {
      const bucketStart = first + k * periodMs;
      const observations = this.metrics.observations({ ...metric, start: new Date(bucketStart), end: new Date(Math.min(bucketStart + periodMs, end.getTime())) });
      if (observations.length > 0) out.push({ timestamp: new Date(bucketStart), observations });
    }
    return out;
  }

  private afterTransition(transition: AlarmTransition): void {
    const { alarm, previous, next } = transition;
    this.transitioned.set(alarm.name, next.timestamp);
    this.recordHistory({
      AlarmName: alarm.name,
      AlarmType: alarmType(alarm),
      Timestamp: next.timestamp,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${previous.value} to ${next.value}`,
      HistoryData: JSON.stringify({
        version: '1.0',
        oldState: { stateValue: previous.value, stateReason: previous.reason, ...(previous.reasonData ? { stateReasonData: JSON.parse(previous.reasonData) } : {}) },
        newState: { stateValue: next.value, stateReason: next.reason, ...(next.reasonData ? { stateReasonData: JSON.parse(next.reasonData) } : {}) },
      }),
    });
    for (const topicArn of transition.actions) {
      const subject = alarmNotificationSubject(alarm.name, next.value, this.options.region);
      const message = alarmNotificationMessage({ alarm, previous, next, account: this.options.account, region: this.options.region, configurationUpdated: this.configured.get(alarm.name)! });
      let summary: string;
      let data: Record<string, unknown>;
      try {
        if (!this.options.publishToTopic) throw new Error('no local SNS is attached');
        const messageId = this.options.publishToTopic(topicArn, subject, JSON.stringify(message));
        summary = `Successfully executed action ${topicArn}`;
        data = { actionState: 'Succeeded', notificationResource: topicArn, stateUpdateTimestamp: next.timestamp.getTime(), publishedMessage: { messageId } };
      } catch (error) {
        summary = `Failed to execute action ${topicArn}. Received error: "${(error as Error).message}"`;
        data = { actionState: 'Failed', notificationResource: topicArn, stateUpdateTimestamp: next.timestamp.getTime(), error: (error as Error).message };
      }
      this.recordHistory({ AlarmName: alarm.name, AlarmType: alarmType(alarm), Timestamp: next.timestamp, HistoryItemType: 'Action', HistorySummary: summary, HistoryData: JSON.stringify(data) });
    }
  }

  private recordHistory(item: AlarmHistoryItem): void {
    this.history.push(item);
    if (this.directory) appendFileSync(join(this.directory, 'alarm-history.jsonl'), `${JSON.stringify(item)}\n`);
  }

  private saveStates(): void {
    if (!this.directory) return;
    const states: SavedAlarms['states'] = { ...this.saved.states };
    for (const alarm of this.alarms.definitions()) {
      const state = this.alarms.state(alarm.name)!;
      states[alarm.name] = { value: state.value, reason: state.reason, reasonData: state.reasonData, timestamp: state.timestamp.toISOString(), transitioned: this.transitioned.get(alarm.name)?.toISOString() };
    }
    const file = join(this.directory, 'alarms.json');
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ states }, null, 1)}\n`);
    renameSync(temporary, file);
  }

  private load(): SavedAlarms {
    const dir = this.directory!;
    for (const line of readLines(join(dir, 'metrics.jsonl'))) {
      const datum = JSON.parse(line) as StoredDatum & { observation: MetricObservation & { timestamp: string } };
      this.metrics.restore({ ...datum, observation: { ...datum.observation, timestamp: new Date(datum.observation.timestamp) } });
    }
    for (const line of readLines(join(dir, 'alarm-history.jsonl'))) {
      const item = JSON.parse(line) as AlarmHistoryItem & { Timestamp: string };
      this.history.push({ ...item, Timestamp: new Date(item.Timestamp) });
    }
    const file = join(dir, 'alarms.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SavedAlarms) : { states: {} };
  }
}

function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  // A line cut short by a crash mid-append is dropped rather than failing the restart.
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        JSON.parse(line);
        return true;
      } catch {
        return false;
      }
    });
}

function alarmType(alarm: AnyAlarm): AlarmType {
  return alarm.kind === 'composite' ? 'CompositeAlarm' : 'MetricAlarm';
}

/** An alarm as DescribeAlarms returns it. */
function describeAlarm(alarm: AnyAlarm, state: AlarmState, configured: Date, transitioned: Date | undefined): Record<string, unknown> {
  const common = {
    AlarmName: alarm.name,
    AlarmArn: alarm.arn,
    AlarmDescription: alarm.description,
    AlarmConfigurationUpdatedTimestamp: configured,
    ActionsEnabled: alarm.actionsEnabled,
    OKActions: [...alarm.okActions],
    AlarmActions: [...alarm.alarmActions],
    InsufficientDataActions: [...alarm.insufficientDataActions],
    StateValue: state.value,
    StateReason: state.reason,
    StateReasonData: state.reasonData,
    StateUpdatedTimestamp: state.timestamp,
    StateTransitionedTimestamp: transitioned ?? configured,
  };
  if (alarm.kind === 'composite') return { ...common, AlarmRule: alarm.ruleText };
  return { ...common, ...metricFields(alarm) };
}

function metricFields(alarm: MetricAlarmDefinition): Record<string, unknown> {
  const dimensions = Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value }));
  const selection =
    alarm.metricId !== undefined
      ? {
          Metrics: [
            {
              Id: alarm.metricId,
              MetricStat: { Metric: { Namespace: alarm.namespace, MetricName: alarm.metricName, Dimensions: dimensions }, Period: alarm.period, Stat: alarm.statistic.name, Unit: alarm.unit },
              ReturnData: true,
            },
          ],
        }
      : {
          MetricName: alarm.metricName,
          Namespace: alarm.namespace,
          ...(alarm.statistic.kind === 'standard' ? { Statistic: alarm.statistic.name } : { ExtendedStatistic: alarm.statistic.name }),
          Dimensions: dimensions,
          Period: alarm.period,
          Unit: alarm.unit,
        };
  return {
    ...selection,
    EvaluationPeriods: alarm.evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm,
    Threshold: alarm.threshold,
    ComparisonOperator: alarm.comparisonOperator,
    TreatMissingData: alarm.treatMissingData,
    EvaluateLowSampleCountPercentile: alarm.evaluateLowSampleCountPercentile,
  };
}

/** Offset tokens: the index of the next item, as text. */
function paginate<T>(items: readonly T[], token: string | undefined, size: number): { page: T[]; nextToken: string | undefined } {
  const offset = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(offset) || offset < 0 || offset > items.length) throw cloudWatchErrors.invalidNextToken(`The NextToken ${token} is not one this endpoint issued.`);
  const page = items.slice(offset, offset + size);
  return { page, nextToken: offset + size < items.length ? String(offset + size) : undefined };
}

function required<T>(parameter: string, value: T | undefined): T {
  if (value === undefined || value === '') throw cloudWatchErrors.missingParameter(`The parameter ${parameter} is required.`);
  return value;
}

function checkPeriod(parameter: string, period: number): number {
  if (period < 1 || (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0)) {
    throw cloudWatchErrors.invalidParameterValue(`The parameter ${parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.`);
  }
  return period;
}

function checkUnit(parameter: string, unit: string | undefined): string | undefined {
  if (unit !== undefined && !(STANDARD_UNITS as readonly string[]).includes(unit)) {
    throw cloudWatchErrors.invalidParameterValue(`The value ${unit} for parameter ${parameter} is not a CloudWatch unit.`);
  }
  return unit;
}

function toStatistic(parameter: string, text: string): StatisticSpec {
  if ((STANDARD_STATISTICS as readonly string[]).includes(text)) return { kind: 'standard', name: text as StandardStatistic };
  const spec = parsePercentile(text);
  if (typeof spec === 'string') throw cloudWatchErrors.invalidParameterValue(`The value ${text} for parameter ${parameter} is invalid: ${spec}.`);
  return spec;
}

function toDimensionMap(parameter: string, dimensions: readonly { Name?: string; Value?: string }[]): Record<string, string> {
  if (dimensions.length > 30) throw cloudWatchErrors.invalidParameterValue(`The collection ${parameter} must not have a size greater than 30.`);
  const out: Record<string, string> = {};
  dimensions.forEach((d, i) => {
    out[required(`${parameter}.member.${i + 1}.Name`, d.Name)] = required(`${parameter}.member.${i + 1}.Value`, d.Value);
  });
  return out;
}

export { CloudWatchServiceError };
