import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import { PLATFORM_STACK_NAME } from '../../../lib/app';
import { FIXTURE_METRIC, synthAlarmFixtureApp } from '../../fixtures/apps/alarm-fixture-app';

/** The local CloudWatch's clock: tests move it; nothing sleeps. */
let now = new Date('2026-03-02T10:00:30.000Z');
const clock = (): Date => new Date(now);
const DIMENSIONS = Object.entries(FIXTURE_METRIC.dimensions).map(([Name, Value]) => ({ Name, Value }));

describe('local cloud: CloudWatch alarms from the template, end to end', () => {
  let cdkOut: string;
  let stateDir: string;
  let cloud: LocalCloud;
  let client: CloudWatchClient;
  let outputs: Readonly<Record<string, string>>;

  const start = async (): Promise<void> => {
    cloud = await startLocalCloud({ cdkOut, stateDir, clock, alarmEvaluationIntervalMs: 0 });
    // A client built from the printed endpoint, as a user or a Lambda bundle would.
    client = new CloudWatchClient({ region: cloud.endpoints.region, endpoint: cloud.endpoints.cloudwatch, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    outputs = cloud.stackOutputs(PLATFORM_STACK_NAME);
  };
  const stop = async (): Promise<void> => {
    client?.destroy();
    await cloud?.stop();
  };
  const alarm = async () => (await client.send(new DescribeAlarmsCommand({ AlarmNames: [outputs.FixtureAlarmName!] }))).MetricAlarms![0]!;
  const putDrift = (value: number, timestamp?: Date) =>
    client.send(new PutMetricDataCommand({ Namespace: FIXTURE_METRIC.namespace, MetricData: [{ MetricName: FIXTURE_METRIC.metricName, Dimensions: DIMENSIONS, Value: value, Timestamp: timestamp }] }));

  beforeAll(async () => {
    cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-cw-cdk-'));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-cw-state-'));
    synthAlarmFixtureApp(cdkOut);
    await start();
  });

  afterAll(async () => {
    await stop();
    fs.rmSync(cdkOut, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('registers the template alarm with its resolved properties, in INSUFFICIENT_DATA', async () => {
    expect(await alarm()).toMatchObject({
      AlarmName: outputs.FixtureAlarmName,
      Namespace: FIXTURE_METRIC.namespace,
      MetricName: FIXTURE_METRIC.metricName,
      Dimensions: DIMENSIONS,
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0.3,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [outputs.FixtureAlarmTopicArn],
      StateValue: 'INSUFFICIENT_DATA',
    });
  });

  it('a below-threshold datum moves the alarm to OK on the next minute and starts nothing', async () => {
    await putDrift(0.1);
    // Evaluated on arrival, but CloudWatch's newest period ends at the whole minute: not yet seen.
    expect((await alarm()).StateValue).toBe('INSUFFICIENT_DATA');

    now = new Date('2026-03-02T10:01:05.000Z');
    const transitions = cloud.evaluateAlarms();
    await cloud.waitForIdle(60_000);

    expect(transitions.map((t) => `${t.previous.value}->${t.next.value}`)).toEqual(['INSUFFICIENT_DATA->OK']);
    expect(await alarm()).toMatchObject({ StateValue: 'OK', StateReason: expect.stringContaining('[0.1 (02/03/26 10:00:00)] was not greater than the threshold (0.3)') });
    expect(cloud.listExecutions(outputs.FixtureRetrainingArn)).toEqual([]);
    expect(cloud.topicMessages(outputs.FixtureAlarmTopicArn!)).toEqual([]);
  });

  it('an above-threshold datum raises the alarm: the state-change event starts the state machine and the SNS action is published', async () => {
    await putDrift(0.9, new Date('2026-03-02T10:00:40.000Z'));
    await cloud.waitForIdle(60_000);

    expect(await alarm()).toMatchObject({ StateValue: 'ALARM', StateReason: expect.stringContaining('1 out of the last 1 datapoints [0.9 (02/03/26 10:00:00)] was greater than the threshold (0.3)') });
    const runs = cloud.listExecutions(outputs.FixtureRetrainingArn);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'SUCCEEDED',
      input: expect.objectContaining({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', resources: [expect.stringContaining(`:alarm:${outputs.FixtureAlarmName}`)] }),
      output: { alarm: outputs.FixtureAlarmName, state: 'ALARM', previous: 'OK' },
    });
    const messages = cloud.topicMessages(outputs.FixtureAlarmTopicArn!);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.Subject).toBe(`ALARM: "${outputs.FixtureAlarmName}" in US East (N. Virginia)`);
    expect(JSON.parse(messages[0]!.Message)).toMatchObject({ AlarmName: outputs.FixtureAlarmName, NewStateValue: 'ALARM', OldStateValue: 'OK', Trigger: { MetricName: 'drift_score', Statistic: 'MAXIMUM', Threshold: 0.3 } });

    const history = await client.send(new DescribeAlarmHistoryCommand({ AlarmName: outputs.FixtureAlarmName, HistoryItemType: 'StateUpdate' }));
    expect(history.AlarmHistoryItems!.map((h) => h.HistorySummary)).toEqual(['Alarm updated from OK to ALARM', 'Alarm updated from INSUFFICIENT_DATA to OK']);
  });

  it('a restart on the same state dir keeps S3 objects, tables, projects, executions, metrics and alarm states', async () => {
    // Prepare: one of each kind of state.
    await cloud.createProject({ name: 'persisted', targetColumn: 'y' });
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: 'notes/kept.txt', Body: 'still here' }));
    const tableName = (await cloud.dynamodb.send(new ListTablesCommand({}))).TableNames![0]!;
    const { Table } = await cloud.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const key = Object.fromEntries(Table!.KeySchema!.map((k) => [k.AttributeName!, { S: `kept-${k.KeyType}` }]));
    await cloud.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { ...key, note: { S: 'survives restarts' } } }));
    const before = await alarm();

    // Act
    await stop();
    await start();

    // Assess
    const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: 'notes/kept.txt' }));
    expect(await object.Body!.transformToString()).toBe('still here');
    expect((await cloud.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: key }))).Item?.note).toEqual({ S: 'survives restarts' });
    expect(cloud.listProjects().map((p) => p.name)).toEqual(['persisted']);
    expect(cloud.listExecutions(outputs.FixtureRetrainingArn)).toEqual([expect.objectContaining({ status: 'SUCCEEDED', output: { alarm: outputs.FixtureAlarmName, state: 'ALARM', previous: 'OK' } })]);
    const after = await alarm();
    expect(after).toMatchObject({ StateValue: 'ALARM', StateReason: before.StateReason, StateUpdatedTimestamp: before.StateUpdatedTimestamp });
    const history = await client.send(new DescribeAlarmHistoryCommand({ AlarmName: outputs.FixtureAlarmName, HistoryItemType: 'StateUpdate' }));
    expect(history.AlarmHistoryItems).toHaveLength(2);
    const stats = await client.send(
      new GetMetricStatisticsCommand({ Namespace: FIXTURE_METRIC.namespace, MetricName: FIXTURE_METRIC.metricName, Dimensions: DIMENSIONS, StartTime: new Date('2026-03-02T10:00:00Z'), EndTime: new Date('2026-03-02T10:01:00Z'), Period: 60, Statistics: ['Maximum', 'SampleCount'] }),
    );
    expect(stats.Datapoints).toEqual([expect.objectContaining({ Maximum: 0.9, SampleCount: 2 })]);

    // The restored alarm is still in ALARM: evaluating again is not a new transition.
    expect(cloud.evaluateAlarms()).toEqual([]);
    await cloud.waitForIdle(60_000);
    expect(cloud.listExecutions(outputs.FixtureRetrainingArn)).toHaveLength(1);
  });
});
