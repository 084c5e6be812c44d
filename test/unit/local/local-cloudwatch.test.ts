import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCloudWatch, type LocalCloudWatchOptions } from '../../../local/cloudwatch/local-cloudwatch';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
const DRIFT_ALARM = {
  logicalId: 'DriftAlarm',
  name: 'drift-high',
  type: 'AWS::CloudWatch::Alarm',
  properties: {
    Namespace: 'LuminaOps',
    MetricName: 'drift',
    Statistic: 'Average',
    Period: 60,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 0.3,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'breaching',
    AlarmActions: [TOPIC],
  },
};

function setup(overrides: Partial<LocalCloudWatchOptions> = {}) {
  const clock = { now: new Date('2026-03-02T10:00:30Z') };
  const published: { topicArn: string; subject: string; message: string }[] = [];
  const service = new LocalCloudWatch({
    account: '000000000000',
    region: 'us-east-1',
    clock: () => clock.now,
    newId: () => 'evt',
    publishToTopic: (topicArn, subject, message) => {
      published.push({ topicArn, subject, message });
      return `msg-${published.length}`;
    },
    ...overrides,
  });
  return { service, clock, published };
}

describe('LocalCloudWatch alarms', () => {
  it('the clock-driven tick applies TreatMissingData: with no data at all, breaching raises the alarm and runs its SNS action', () => {
    const { service, clock, published } = setup();
    service.registerAlarm(DRIFT_ALARM);

    clock.now = new Date('2026-03-02T10:03:00Z');
    const transitions = service.evaluateAlarms();

    expect(transitions.map((t) => [t.previous.value, t.next.value])).toEqual([['INSUFFICIENT_DATA', 'ALARM']]);
    expect(transitions[0]!.event).toMatchObject({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: { alarmName: 'drift-high', state: { value: 'ALARM' } } });
    expect(published).toEqual([{ topicArn: TOPIC, subject: 'ALARM: "drift-high" in US East (N. Virginia)', message: expect.stringContaining('"NewStateValue":"ALARM"') }]);
    expect(service.describeAlarmHistory({ AlarmName: 'drift-high' }).AlarmHistoryItems.map((h) => h.HistorySummary)).toEqual([
      `Successfully executed action ${TOPIC}`,
      'Alarm updated from INSUFFICIENT_DATA to ALARM',
      'Alarm "drift-high" created',
    ]);
    // Nothing changed since: the next tick is quiet.
    expect(service.evaluateAlarms()).toEqual([]);
  });

  it('metrics that arrive are evaluated at once; below the threshold for two periods moves the alarm to OK', () => {
    const { service, clock } = setup();
    service.registerAlarm(DRIFT_ALARM);
    clock.now = new Date('2026-03-02T10:02:10Z');
    service.putMetricData({
      Namespace: 'LuminaOps',
      MetricData: [
        { MetricName: 'drift', Value: 0.1, Timestamp: new Date('2026-03-02T10:00:15Z') },
        { MetricName: 'drift', Value: 0.2, Timestamp: new Date('2026-03-02T10:01:15Z') },
      ],
    });
    expect(service.alarms.state('drift-high')).toMatchObject({ value: 'OK', timestamp: new Date('2026-03-02T10:02:10Z') });
  });

  it('a failed SNS action is recorded in the history, not thrown', () => {
    const { service, clock } = setup({
      publishToTopic: (topicArn) => {
        throw new Error(`Topic does not exist: ${topicArn}`);
      },
    });
    service.registerAlarm(DRIFT_ALARM);
    clock.now = new Date('2026-03-02T10:03:00Z');
    service.evaluateAlarms();
    expect(service.describeAlarmHistory({ HistoryItemType: 'Action' }).AlarmHistoryItems[0]!.HistorySummary).toBe(
      `Failed to execute action ${TOPIC}. Received error: "Topic does not exist: ${TOPIC}"`,
    );
  });

  it('refuses alarm actions it cannot run and composite alarms naming unknown alarms, naming the field', () => {
    const { service } = setup();
    expect(() => service.registerAlarm({ ...DRIFT_ALARM, properties: { ...DRIFT_ALARM.properties, AlarmActions: ['arn:aws:automate:us-east-1:ec2:stop'] } })).toThrow(
      'Alarm drift-high: AlarmActions[0]: arn:aws:automate:us-east-1:ec2:stop is not an SNS topic; the local cloud runs SNS alarm actions only',
    );
    expect(() => service.registerAlarm({ logicalId: 'Any', name: 'any-problem', type: 'AWS::CloudWatch::CompositeAlarm', properties: { AlarmRule: 'ALARM("missing")' } })).toThrow(
      'Alarm any-problem: AlarmRule: names alarm missing, which does not exist',
    );
  });

  it('composite alarms follow their children and are listed by DescribeAlarms with AlarmTypes', () => {
    const { service, clock } = setup();
    service.registerAlarm(DRIFT_ALARM);
    service.registerAlarm({ logicalId: 'Any', name: 'any-problem', type: 'AWS::CloudWatch::CompositeAlarm', properties: { AlarmRule: 'ALARM("drift-high")' } });
    clock.now = new Date('2026-03-02T10:03:00Z');
    expect(service.evaluateAlarms().map((t) => `${t.alarm.name}:${t.next.value}`)).toEqual(['drift-high:ALARM', 'any-problem:ALARM']);
    const described = service.describeAlarms({ AlarmTypes: ['CompositeAlarm'] });
    expect(described.MetricAlarms).toEqual([]);
    expect(described.CompositeAlarms).toEqual([expect.objectContaining({ AlarmName: 'any-problem', AlarmRule: 'ALARM("drift-high")', StateValue: 'ALARM' })]);
    expect(service.describeAlarms({ ParentsOfAlarmName: 'drift-high', AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }).CompositeAlarms).toHaveLength(1);
  });

  it('with a stateDir, metrics, states and history survive a new instance; the re-registered alarm resumes its state', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'lumina-cw-'));
    try {
      const first = setup({ stateDir });
      first.service.registerAlarm(DRIFT_ALARM);
      first.clock.now = new Date('2026-03-02T10:03:00Z');
      first.service.putMetricData({ Namespace: 'LuminaOps', MetricData: [{ MetricName: 'drift', Value: 0.9, Timestamp: new Date('2026-03-02T10:02:30Z') }] });
      const raised = first.service.alarms.state('drift-high')!;
      expect(raised.value).toBe('ALARM');

      const second = setup({ stateDir });
      second.clock.now = new Date('2026-03-02T10:03:00Z');
      second.service.registerAlarm(DRIFT_ALARM);

      expect(second.service.alarms.state('drift-high')).toEqual(raised);
      expect(second.service.evaluateAlarms()).toEqual([]);
      expect(second.service.listMetrics({}).Metrics).toEqual([{ Namespace: 'LuminaOps', MetricName: 'drift', Dimensions: [] }]);
      expect(second.service.describeAlarmHistory({ AlarmName: 'drift-high' }).AlarmHistoryItems).toHaveLength(3);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
