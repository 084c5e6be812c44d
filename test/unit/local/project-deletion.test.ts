import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCloudWatch } from '../../../local/cloudwatch/local-cloudwatch';
import { classifyItems } from '../../../local/project-deletion';

describe('classifyItems: what a project owns and what depends on it', () => {
  it("owns its partition and items carrying its name; others' items that mention its artifacts are dependents", () => {
    // Prepare
    const items = [
      { pk: 'PROJECT#adherence', sk: 'VERSION#000001', modelKey: 'projects/adherence/runs/r1/model.json' },
      { pk: 'EXPERIMENT#adherence', sk: 'RUN#r1', project: 'adherence' },
      { pk: 'PROJECT#adherence-2', sk: 'VERSION#000001', modelKey: 'projects/adherence-2/runs/r1/model.json' },
      { pk: 'FG#vitals', sk: 'INGEST#000001#x', source: 's3://bucket/projects/adherence/training/inbox/a.csv' },
      { pk: 'PROJECT#other', sk: 'NOTE#1', note: 'mentions adherence but not its prefix' },
    ];

    // Act
    const result = classifyItems(items, 'adherence');

    // Assess
    expect(result.owned).toEqual([
      { pk: 'PROJECT#adherence', sk: 'VERSION#000001' },
      { pk: 'EXPERIMENT#adherence', sk: 'RUN#r1' },
    ]);
    expect(result.dependents).toEqual(['FG#vitals INGEST#000001#x']);
  });
});

describe('LocalCloudWatch.deleteAlarm', () => {
  const alarm = (name: string) => ({
    logicalId: name,
    name,
    type: 'AWS::CloudWatch::Alarm',
    properties: { Namespace: 'LuminaOps', MetricName: 'drift', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 0.3, ComparisonOperator: 'GreaterThanOrEqualToThreshold' },
  });
  const composite = { logicalId: 'Any', name: 'any', type: 'AWS::CloudWatch::CompositeAlarm', properties: { AlarmRule: 'ALARM("drift-a")' } };
  const options = (stateDir?: string) => ({ account: '000000000000', region: 'us-east-1', clock: () => new Date('2026-03-02T10:00:00Z'), newId: () => 'evt', stateDir });

  it('refuses while a composite names the alarm, then removes it once the composite is gone', () => {
    const service = new LocalCloudWatch(options());
    service.registerAlarm(alarm('drift-a'));
    service.registerAlarm(composite);

    expect(() => service.deleteAlarm('drift-a')).toThrow('composite alarm any names it; delete that first');
    expect(service.deleteAlarm('any')).toBe(true);
    expect(service.deleteAlarm('drift-a')).toBe(true);

    expect(service.alarms.definition('drift-a')).toBeUndefined();
    expect(service.evaluateAlarms()).toEqual([]);
    expect(service.deleteAlarm('drift-a')).toBe(false);
  });

  it('drops the saved state, so the alarm registered again after a restart starts fresh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-delete-'));
    try {
      const first = new LocalCloudWatch(options(dir));
      first.registerAlarm(alarm('drift-b'));
      first.deleteAlarm('drift-b');

      const second = new LocalCloudWatch(options(dir));
      second.registerAlarm(alarm('drift-b'));

      const history = second.describeAlarmHistory({ AlarmName: 'drift-b' }).AlarmHistoryItems.map((h) => h.HistorySummary);
      expect(history).toEqual(expect.arrayContaining(['Alarm "drift-b" created', 'Alarm "drift-b" deleted']));
      expect(history.filter((h) => h === 'Alarm "drift-b" created')).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
