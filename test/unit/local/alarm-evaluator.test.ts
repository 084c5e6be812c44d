import {
  type AlarmState,
  AlarmDefinitionError,
  AlarmRuleError,
  type MetricAlarmDefinition,
  actionsFor,
  buildAlarmStateChangeEvent,
  evaluateAlarmRule,
  evaluateCompositeAlarm,
  evaluateMetricAlarm,
  initialAlarmState,
  parseAlarmRule,
  parseCompositeAlarm,
  parseMetricAlarm,
} from '../../../local/cloudwatch/alarm-evaluator';
import { AlarmRegistry } from '../../../local/cloudwatch/alarm-registry';
import { MetricsStore, type MetricDatum } from '../../../local/cloudwatch/metrics-store';

const CONTEXT = { account: '123456789012', region: 'us-east-1' };
const NS = 'LuminaOps/Monitoring';
const DIMENSIONS = [{ Name: 'Project', Value: 'churn' }];
/** Evaluations run at 12:00:30; the newest 5-minute period is [11:55, 12:00). */
const AT = new Date('2024-05-01T12:00:30.000Z');
const END = Date.parse('2024-05-01T12:00:00.000Z');
const PERIOD = 300;

function alarm(overrides: Record<string, unknown> = {}, name = 'DriftTooHigh'): MetricAlarmDefinition {
  return parseMetricAlarm(
    {
      logicalId: 'DriftAlarm',
      name,
      properties: {
        Namespace: NS,
        MetricName: 'feature_baseline_drift_age',
        Dimensions: DIMENSIONS,
        Statistic: 'Maximum',
        Period: PERIOD,
        EvaluationPeriods: 3,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        ...overrides,
      },
    },
    CONTEXT,
  );
}

/** A store holding one datapoint per period, given oldest first ('-' = none), a minute into each period. */
function metricsFor(values: readonly (number | '-')[], extra: Partial<MetricDatum> = {}): MetricsStore {
  const store = new MetricsStore(() => AT);
  values.forEach((value, i) => {
    if (value === '-') return;
    const age = values.length - 1 - i;
    const timestamp = new Date(END - (age + 1) * PERIOD * 1000 + 60_000);
    store.putMetricData({ Namespace: NS, MetricData: [{ MetricName: 'feature_baseline_drift_age', Dimensions: DIMENSIONS, Timestamp: timestamp, Value: value, ...extra }] });
  });
  return store;
}

/** The user guide's notation: 0 = not breaching, X = breaching, - = missing. */
function row(text: string): (number | '-')[] {
  return text.split(' ').map((c) => (c === 'X' ? 5 : c === '0' ? 1 : '-'));
}

const previous: AlarmState = { value: 'OK', reason: 'previous evaluation', timestamp: new Date('2024-05-01T11:00:00.000Z') };

function definitionError(action: () => unknown): AlarmDefinitionError {
  try {
    action();
  } catch (error) {
    if (error instanceof AlarmDefinitionError) return error;
    throw error;
  }
  throw new Error('expected an AlarmDefinitionError');
}

describe('metric alarms: the user guide tables for missing data (range of 5, current state OK)', () => {
  // "Retain" keeps the current state (OK here).
  const threeOfThree: [string, string, string, string, string][] = [
    ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
    ['0 - - - -', 'OK', 'OK', 'OK', 'OK'],
    ['- - - - -', 'INSUFFICIENT_DATA', 'Retain', 'ALARM', 'OK'],
    ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'Retain', 'ALARM', 'OK'],
    ['X - - - -', 'ALARM', 'Retain', 'ALARM', 'OK'],
    // "Avoiding premature transitions": - - X - - alarms under missing, as its breaching point is M periods old.
    ['- - X - -', 'ALARM', 'Retain', 'ALARM', 'OK'],
    // One period younger, the breaching point is not old enough yet.
    ['- - - X -', 'INSUFFICIENT_DATA', 'Retain', 'ALARM', 'OK'],
  ];
  const twoOfThree: [string, string, string, string, string][] = [
    ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'Retain', 'ALARM', 'OK'],
  ];
  const treatments = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;

  function check(datapointsToAlarm: number, data: string, expected: string[]): void {
    treatments.forEach((treat, i) => {
      const result = evaluateMetricAlarm(alarm({ DatapointsToAlarm: datapointsToAlarm, TreatMissingData: treat }), metricsFor(row(data)), AT, previous);
      if (expected[i] === 'Retain') {
        expect({ treat, same: result.state === previous, changed: result.changed }).toEqual({ treat, same: true, changed: false });
      } else {
        expect({ treat, value: result.state.value }).toEqual({ treat, value: expected[i] });
      }
    });
  }

  it.each(threeOfThree)('3 out of 3, data %s: missing %s, ignore %s, breaching %s, notBreaching %s', (data, ...expected) => {
    check(3, data, expected);
  });

  it.each(twoOfThree)('2 out of 3, data %s: missing %s, ignore %s, breaching %s, notBreaching %s', (data, ...expected) => {
    check(2, data, expected);
  });
});

describe('metric alarms: thresholds, reasons and datapoints', () => {
  it('goes to ALARM when the 3 newest datapoints breach, with the reason and reason data CloudWatch writes', () => {
    // Prepare
    const metrics = metricsFor([7, 6, 5]);
    // Act
    const result = evaluateMetricAlarm(alarm(), metrics, AT, previous);
    // Assess
    expect(result.changed).toBe(true);
    expect(result.state).toEqual({
      value: 'ALARM',
      reason:
        'Threshold Crossed: 3 out of the last 3 datapoints [5.0 (01/05/24 11:55:00), 6.0 (01/05/24 11:50:00), 7.0 (01/05/24 11:45:00)] were greater than the threshold (3.0) (minimum 3 datapoints for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2024-05-01T12:00:30.000+0000","startDate":"2024-05-01T11:45:00.000+0000","statistic":"Maximum","period":300,"recentDatapoints":[7.0,6.0,5.0],"threshold":3.0}',
      timestamp: AT,
    });
    expect(result.datapoints.map((d) => [d.timestamp.toISOString(), d.value, d.breaching])).toEqual([
      ['2024-05-01T11:55:00.000Z', 5, true],
      ['2024-05-01T11:50:00.000Z', 6, true],
      ['2024-05-01T11:45:00.000Z', 7, true],
    ]);
  });

  it('goes back to OK with the ALARM -> OK reason when one of 3 datapoints recovers', () => {
    const alarmed: AlarmState = { ...previous, value: 'ALARM' };
    const result = evaluateMetricAlarm(alarm(), metricsFor([7, 6, 1]), AT, alarmed);
    expect(result.state.value).toBe('OK');
    expect(result.state.reason).toBe(
      'Threshold Crossed: 1 out of the last 3 datapoints [1.0 (01/05/24 11:55:00)] was not greater than the threshold (3.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
  });

  it('alarms on 2 breaching of 3 (M of N) but not on 1', () => {
    expect(evaluateMetricAlarm(alarm({ DatapointsToAlarm: 2 }), metricsFor([5, 1, 5]), AT, previous).state.value).toBe('ALARM');
    expect(evaluateMetricAlarm(alarm({ DatapointsToAlarm: 2 }), metricsFor([5, 1, 1]), AT, previous).state.value).toBe('OK');
  });

  it('keeps the current state object and reports no change when the state value stays', () => {
    const result = evaluateMetricAlarm(alarm(), metricsFor([1, 1, 1]), AT, previous);
    expect(result).toMatchObject({ changed: false });
    expect(result.state).toBe(previous);
  });

  it('says how missing datapoints were treated when it fills them', () => {
    const all = evaluateMetricAlarm(alarm({ TreatMissingData: 'breaching' }), metricsFor([]), AT, previous);
    expect(all.state.reason).toBe('Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].');
    const some = evaluateMetricAlarm(alarm({ TreatMissingData: 'breaching' }), metricsFor(row('- - - - X')), AT, previous);
    expect(some.state.reason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [5.0 (01/05/24 11:55:00)] were greater than the threshold (3.0), and 2 missing datapoints were treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(some.datapoints.map((d) => [d.value, d.breaching, d.filled])).toEqual([
      [5, true, false],
      [undefined, true, true],
      [undefined, true, true],
    ]);
    const unknown = evaluateMetricAlarm(alarm(), metricsFor(row('- - - - X')), AT, previous);
    expect(unknown.state.reason).toBe('Insufficient Data: 2 datapoints were unknown.');
  });

  it.each([
    ['GreaterThanOrEqualToThreshold', 3, true],
    ['GreaterThanOrEqualToThreshold', 2.9, false],
    ['GreaterThanThreshold', 3, false],
    ['GreaterThanThreshold', 3.1, true],
    ['LessThanThreshold', 3, false],
    ['LessThanThreshold', 2.9, true],
    ['LessThanOrEqualToThreshold', 3, true],
    ['LessThanOrEqualToThreshold', 3.1, false],
  ])('%s with a datapoint of %s against 3 breaches: %s', (operator, value, breaches) => {
    const result = evaluateMetricAlarm(alarm({ ComparisonOperator: operator, EvaluationPeriods: 1 }), metricsFor([value]), AT, initialAlarmState(AT));
    expect(result.state.value).toBe(breaches ? 'ALARM' : 'OK');
  });

  it('uses data of the alarm unit only when the alarm names one', () => {
    const store = metricsFor([5, 5, 5], { Unit: 'Count' });
    expect(evaluateMetricAlarm(alarm({ Unit: 'Count' }), store, AT, previous).state.value).toBe('ALARM');
    expect(evaluateMetricAlarm(alarm({ Unit: 'Percent' }), store, AT, previous).state.value).toBe('INSUFFICIENT_DATA');
  });
});

describe('metric alarms: statistics over one period', () => {
  /** One 5-minute period holding the values 1, 2, 3 and 10. */
  function onePeriod(extra: Partial<MetricDatum>[] = [{ Value: 1 }, { Value: 2 }, { Value: 3 }, { Value: 10 }]): MetricsStore {
    const store = new MetricsStore(() => AT);
    extra.forEach((d, i) =>
      store.putMetricData({
        Namespace: NS,
        MetricData: [{ MetricName: 'feature_baseline_drift_age', Dimensions: DIMENSIONS, Timestamp: new Date(END - 240_000 + i * 1000), ...d }],
      }),
    );
    return store;
  }

  it.each([
    [{ Statistic: 'SampleCount' }, 4],
    [{ Statistic: 'Average' }, 4],
    [{ Statistic: 'Sum' }, 16],
    [{ Statistic: 'Minimum' }, 1],
    [{ Statistic: 'Maximum' }, 10],
    [{ Statistic: undefined, ExtendedStatistic: 'p25' }, 1],
    [{ Statistic: undefined, ExtendedStatistic: 'p50' }, 2],
    [{ Statistic: undefined, ExtendedStatistic: 'p75' }, 3],
    [{ Statistic: undefined, ExtendedStatistic: 'p90' }, 10],
    [{ Statistic: undefined, ExtendedStatistic: 'p100' }, 10],
  ])('%j of 1, 2, 3, 10 is %s', (statistic, expected) => {
    const result = evaluateMetricAlarm(alarm({ ...statistic, EvaluationPeriods: 1 }), onePeriod(), AT, previous);
    expect(result.datapoints[0]!.value).toBe(expected);
  });

  it('combines Values/Counts and statistic sets into the period statistic', () => {
    const store = onePeriod([{ Values: [2, 4], Counts: [3, 1] }, { StatisticValues: { SampleCount: 2, Sum: 30, Minimum: 10, Maximum: 20 } }]);
    const average = evaluateMetricAlarm(alarm({ Statistic: 'Average', EvaluationPeriods: 1 }), store, AT, previous);
    expect(average.datapoints[0]).toMatchObject({ value: 40 / 6, sampleCount: 6 });
  });

  it('has no percentile for a statistic set with spread, or for negative values', () => {
    const p50 = alarm({ Statistic: undefined, ExtendedStatistic: 'p50', EvaluationPeriods: 1 });
    expect(evaluateMetricAlarm(p50, onePeriod([{ StatisticValues: { SampleCount: 2, Sum: 30, Minimum: 10, Maximum: 20 } }]), AT, previous).datapoints[0]!.value).toBeUndefined();
    expect(evaluateMetricAlarm(p50, onePeriod([{ StatisticValues: { SampleCount: 3, Sum: 21, Minimum: 7, Maximum: 7 } }]), AT, previous).datapoints[0]!.value).toBe(7);
    expect(evaluateMetricAlarm(p50, onePeriod([{ Value: -1 }, { Value: 2 }]), AT, previous).datapoints[0]!.value).toBeUndefined();
  });

  it('keeps the state of a percentile alarm while samples are too few, when told to ignore them', () => {
    // p90 needs 10 / (1 - 0.9) = 100 samples; the period has 4.
    const ignoring = alarm({ Statistic: undefined, ExtendedStatistic: 'p90', EvaluationPeriods: 1, EvaluateLowSampleCountPercentile: 'ignore' });
    expect(evaluateMetricAlarm(ignoring, onePeriod(), AT, previous).state).toBe(previous);
    const evaluating = alarm({ Statistic: undefined, ExtendedStatistic: 'p90', EvaluationPeriods: 1, EvaluateLowSampleCountPercentile: 'evaluate' });
    expect(evaluateMetricAlarm(evaluating, onePeriod(), AT, previous).state.value).toBe('ALARM');
  });
});

describe('metric alarms: definitions', () => {
  it('reads the Metrics form CDK writes for a labelled metric, and numbers given as strings', () => {
    const definition = parseMetricAlarm(
      {
        logicalId: 'A2',
        name: 'Labelled',
        properties: {
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: '1',
          Threshold: '0.2',
          Metrics: [{ Id: 'm1', Label: 'lbl', ReturnData: true, MetricStat: { Metric: { MetricName: 'm', Namespace: NS, Dimensions: DIMENSIONS }, Period: 300, Stat: 'p90' } }],
        },
      },
      CONTEXT,
    );
    expect(definition).toMatchObject({
      name: 'Labelled',
      arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Labelled',
      metricName: 'm',
      dimensions: { Project: 'churn' },
      statistic: { kind: 'percentile', percentile: 90 },
      threshold: 0.2,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'missing',
      metricId: 'm1',
    });
  });

  it.each([
    ['metric math', { Statistic: undefined, MetricName: undefined, Namespace: undefined, Dimensions: undefined, Period: undefined, Metrics: [{ Id: 'e1', Expression: 'SUM(METRICS())' }] }, 'Metrics[0].Expression', 'metric math'],
    ['an anomaly band operator', { ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }, 'ComparisonOperator', 'anomaly detection band'],
    ['a threshold metric', { ThresholdMetricId: 'ad1' }, 'ThresholdMetricId', 'anomaly detection'],
    ['a trimmed mean', { Statistic: undefined, ExtendedStatistic: 'tm90' }, 'ExtendedStatistic', 'percentiles (pNN) only'],
    ['both statistic kinds', { ExtendedStatistic: 'p90' }, 'Statistic', 'exactly one of Statistic and ExtendedStatistic'],
    ['a period of 45 seconds', { Period: 45 }, 'Period', 'multiple of 60'],
    ['more datapoints to alarm than periods', { DatapointsToAlarm: 4 }, 'DatapointsToAlarm', 'more than EvaluationPeriods'],
    ['over a day of 5-minute periods', { EvaluationPeriods: 289 }, 'EvaluationPeriods', 'the limit is one day'],
    ['an unknown missing-data treatment', { TreatMissingData: 'zero' }, 'TreatMissingData', 'must be one of'],
    ['an unknown property', { EvaluationWindow: { SlidingWindow: {} } }, 'EvaluationWindow', 'property the local cloud knows'],
    ['a threshold that is not a number', { Threshold: 'high' }, 'Threshold', 'must be a number'],
  ])('refuses %s clearly', (_label, overrides, field, reason) => {
    const error = definitionError(() => alarm(overrides));
    expect(error.field).toBe(field);
    expect(error.reason).toContain(reason);
    expect(error.message).toContain('Alarm DriftTooHigh');
  });

  it('accepts seven days of hourly periods', () => {
    expect(alarm({ Period: 3600, EvaluationPeriods: 168 }).evaluationPeriods).toBe(168);
  });
});

describe('composite alarms: AlarmRule', () => {
  const states: Record<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'> = { a: 'ALARM', b: 'OK', c: 'INSUFFICIENT_DATA', 'cpu high': 'ALARM' };
  const stateOf = (ref: string) => states[ref.replace(/^arn:aws:cloudwatch:us-east-1:123456789012:alarm:/, '')]!;

  it.each([
    ['ALARM(a)', true],
    ['OK(a)', false],
    ['INSUFFICIENT_DATA(c)', true],
    ['ALARM("cpu high") AND OK(b)', true],
    ['ALARM(a) AND NOT OK(b)', false],
    ['(ALARM(a) OR ALARM(b)) AND INSUFFICIENT_DATA(c)', true],
    ['ALARM(b) OR ALARM(a) AND OK(a)', false],
    ['ALARM(a) OR ALARM(b) AND OK(a)', true],
    ['NOT (ALARM(b) OR OK(a))', true],
    ['TRUE AND NOT FALSE', true],
    ['FALSE', false],
    ['(ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a") OR (NOT (OK("arn:aws:cloudwatch:us-east-1:123456789012:alarm:b"))))', true],
    ['AT_LEAST(2, ALARM, (a, b, "cpu high"))', true],
    ['AT_LEAST(3, ALARM, (a, b, "cpu high"))', false],
    ['AT_LEAST(50%, NOT_OK, (a, b))', true],
    ['AT_LEAST(100%, NOT_INSUFFICIENT_DATA, (a, c))', false],
  ])('%s is %s', (rule, expected) => {
    expect(evaluateAlarmRule(parseAlarmRule(rule), stateOf)).toBe(expected);
  });

  it.each([
    ['ALARM(a) and OK(b)', 'unexpected "and OK(b)"'],
    ['ALARM(a', 'expected ")"'],
    ['WARN(a)', 'unknown word "WARN"'],
    ['ALARM(a) AND', 'the rule ends too early'],
    ['ALARM(cpu high)', 'needs double quotes'],
    ['AT_LEAST(4, ALARM, (a, b))', 'names only 2 alarms'],
    ['', 'a rule is 1 to 10240 characters long'],
  ])('refuses %s', (rule, reason) => {
    expect(() => parseAlarmRule(rule)).toThrow(AlarmRuleError);
    expect(() => parseAlarmRule(rule)).toThrow(reason);
  });

  it('goes to ALARM with the triggering child in its reason, and refuses unknown children', () => {
    const composite = parseCompositeAlarm({ logicalId: 'C', name: 'AnyDrift', properties: { AlarmRule: 'ALARM(a) OR ALARM(b)' } }, CONTEXT);
    const childAt = new Date('2024-05-01T11:58:07.000Z');
    const child = (ref: string) =>
      ref === 'a' || ref === 'b'
        ? { name: ref, arn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ref}`, state: { value: ref === 'a' ? ('ALARM' as const) : ('OK' as const), reason: 'r', timestamp: childAt } }
        : undefined;
    const result = evaluateCompositeAlarm(composite, child, AT, initialAlarmState(AT));
    expect(result.state.value).toBe('ALARM');
    expect(result.state.reason).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:a transitioned to ALARM at Wednesday 01 May, 2024 11:58:07 UTC');
    expect(JSON.parse(result.state.reasonData!)).toEqual({
      triggeringAlarms: [{ arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a', state: { value: 'ALARM', timestamp: '2024-05-01T11:58:07.000+0000' } }],
    });
    const dangling = parseCompositeAlarm({ logicalId: 'D', properties: { AlarmRule: 'ALARM(gone)' } }, CONTEXT);
    expect(definitionError(() => evaluateCompositeAlarm(dangling, child, AT, initialAlarmState(AT))).reason).toContain('names alarm gone, which does not exist');
  });

  it('refuses action suppressors, which it does not model', () => {
    expect(definitionError(() => parseCompositeAlarm({ logicalId: 'C', properties: { AlarmRule: 'TRUE', ActionsSuppressor: 'x' } }, CONTEXT)).field).toBe('ActionsSuppressor');
  });
});

describe('alarm state change events', () => {
  function registry() {
    let ids = 0;
    const reg = new AlarmRegistry({ ...CONTEXT, clock: () => new Date('2024-05-01T11:00:00.000Z'), newEventId: () => `evt-${++ids}` });
    reg.addMetricAlarm({
      logicalId: 'DriftAlarm',
      name: 'DriftTooHigh',
      properties: {
        AlarmDescription: 'Drift of feature age',
        Namespace: NS,
        MetricName: 'feature_baseline_drift_age',
        Dimensions: DIMENSIONS,
        Statistic: 'Maximum',
        Period: PERIOD,
        EvaluationPeriods: 1,
        Threshold: 0.2,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: ['arn:aws:sns:us-east-1:123456789012:alerts'],
      },
    });
    reg.addCompositeAlarm({ logicalId: 'AnyDrift', name: 'AnyDrift', properties: { AlarmRule: 'ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:DriftTooHigh")' } });
    return reg;
  }

  it('emits the CloudWatch Alarm State Change event on a transition, as the user guide shows it', () => {
    // Prepare
    const reg = registry();
    const metrics = metricsFor([0.5]);
    // Act
    const transitions = reg.evaluate(metrics, AT);
    // Assess
    expect(transitions.map((t) => [t.alarm.name, t.previous.value, t.next.value, t.actions])).toEqual([
      ['DriftTooHigh', 'INSUFFICIENT_DATA', 'ALARM', ['arn:aws:sns:us-east-1:123456789012:alerts']],
      ['AnyDrift', 'INSUFFICIENT_DATA', 'ALARM', []],
    ]);
    const event = transitions[0]!.event;
    expect(event).toEqual({
      version: '0',
      id: 'evt-1',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2024-05-01T12:00:30Z',
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:DriftTooHigh'],
      detail: {
        alarmName: 'DriftTooHigh',
        configuration: {
          description: 'Drift of feature age',
          metrics: [
            {
              id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
              metricStat: { metric: { dimensions: { Project: 'churn' }, name: 'feature_baseline_drift_age', namespace: NS }, period: 300, stat: 'Maximum' },
              returnData: true,
            },
          ],
        },
        previousState: { reason: 'Unchecked: Initial alarm creation', timestamp: '2024-05-01T11:00:00.000+0000', value: 'INSUFFICIENT_DATA' },
        state: {
          reason:
            'Threshold Crossed: 1 out of the last 1 datapoints [0.5 (01/05/24 11:55:00)] was greater than the threshold (0.2) (minimum 1 datapoint for OK -> ALARM transition).',
          reasonData:
            '{"version":"1.0","queryDate":"2024-05-01T12:00:30.000+0000","startDate":"2024-05-01T11:55:00.000+0000","statistic":"Maximum","period":300,"recentDatapoints":[0.5],"threshold":0.2}',
          timestamp: '2024-05-01T12:00:30.000+0000',
          value: 'ALARM',
        },
      },
    });
    expect(transitions[1]!.event.detail).toMatchObject({ alarmName: 'AnyDrift', configuration: { alarmRule: 'ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:DriftTooHigh")' } });
  });

  it('emits nothing while the state stays, and again on the way back', () => {
    const reg = registry();
    reg.evaluate(metricsFor([0.5]), AT);
    expect(reg.evaluate(metricsFor([0.5]), new Date(AT.getTime() + 1000))).toEqual([]);
    const recovery = reg.evaluate(metricsFor([0.5, 0.1]), new Date(AT.getTime() + PERIOD * 1000));
    expect(recovery.map((t) => [t.alarm.name, t.previous.value, t.next.value])).toEqual([
      ['DriftTooHigh', 'ALARM', 'OK'],
      ['AnyDrift', 'ALARM', 'OK'],
    ]);
    expect(recovery[0]!.event.detail.previousState).toMatchObject({ value: 'ALARM', timestamp: '2024-05-01T12:00:30.000+0000' });
    expect(reg.state('DriftTooHigh')!.value).toBe('OK');
  });

  it('names the actions of the new state, and none when actions are disabled', () => {
    const topics = { AlarmActions: ['arn:aws:sns:us-east-1:123456789012:alerts'], OKActions: ['arn:aws:sns:us-east-1:123456789012:ok'] };
    expect(actionsFor(alarm(topics), 'ALARM')).toEqual(['arn:aws:sns:us-east-1:123456789012:alerts']);
    expect(actionsFor(alarm(topics), 'OK')).toEqual(['arn:aws:sns:us-east-1:123456789012:ok']);
    expect(actionsFor(alarm(topics), 'INSUFFICIENT_DATA')).toEqual([]);
    expect(actionsFor(alarm({ ...topics, ActionsEnabled: false }), 'ALARM')).toEqual([]);
  });

  it('builds no event when previous and next states have the same value', () => {
    const definition = alarm();
    expect(buildAlarmStateChangeEvent({ alarm: definition, previous, next: { ...previous, timestamp: AT }, account: '1', region: 'r', eventId: 'e' })).toBeUndefined();
  });

  it('refuses composite alarms that name each other in a cycle', () => {
    const reg = new AlarmRegistry({ ...CONTEXT, clock: () => AT, newEventId: () => 'e' });
    reg.addCompositeAlarm({ logicalId: 'X', name: 'X', properties: { AlarmRule: 'ALARM(Y)' } });
    reg.addCompositeAlarm({ logicalId: 'Y', name: 'Y', properties: { AlarmRule: 'OK(X)' } });
    expect(() => reg.evaluate(new MetricsStore(() => AT), AT)).toThrow('cycle: X -> Y -> X');
  });
});
