import { gzipSync } from 'node:zlib';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListDashboardsCommand,
  ListMetricsCommand,
  MissingRequiredParameterException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  cloudWatchErrors,
  decodeRequest,
  encodeError,
  encodeResult,
  parseInput,
  putMetricDataShape,
  type WireRequest,
} from '../../../local/cloudwatch/cloudwatch-json-protocol';
import { type RunningCloudWatchServer, startCloudWatchServer } from '../../../local/cloudwatch/cloudwatch-server';
import { LocalCloudWatch } from '../../../local/cloudwatch/local-cloudwatch';

const NOW = new Date('2026-03-02T10:00:30.000Z');

function wire(target: string, body: string | Buffer, headers: Record<string, string> = {}): WireRequest {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target, ...headers },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  };
}

describe('CloudWatch awsJson1_0 codec', () => {
  it('reads the operation from X-Amz-Target and the JSON body, gunzipping compressed bodies', () => {
    const body = JSON.stringify({ Namespace: 'LuminaOps', MetricData: [{ MetricName: 'drift', Value: 0.4 }] });
    expect(decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', body))).toEqual({ operation: 'PutMetricData', body: JSON.parse(body) });
    expect(decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', gzipSync(body), { 'content-encoding': 'gzip' }))).toEqual({ operation: 'PutMetricData', body: JSON.parse(body) });
  });

  it('refuses other targets, content types, awsQuery form posts and bodies that are not JSON objects, naming what is wrong', () => {
    expect(() => decodeRequest(wire('DynamoDB_20120810.PutItem', '{}'))).toThrow(/X-Amz-Target DynamoDB_20120810.PutItem does not name a GraniteServiceVersion20100801 operation/);
    expect(() => decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', '{}', { 'content-type': 'application/json' }))).toThrow(/Content-Type application\/json is not application\/x-amz-json-1.0/);
    expect(() => decodeRequest(wire('', 'Action=PutMetricData', { 'content-type': 'application/x-www-form-urlencoded' }))).toThrow(/awsQuery form posts are not served/);
    expect(() => decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', '{"Namespace":'))).toThrow(/the body is not JSON/);
    expect(() => decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', '[1]'))).toThrow(/must be a JSON object/);
    expect(() => decodeRequest(wire('GraniteServiceVersion20100801.PutMetricData', Buffer.from('not gzip'), { 'content-encoding': 'gzip' }))).toThrow(/does not decompress/);
  });

  it('decodes epoch-second timestamps and the SDK\'s NaN/Infinity strings; a wrong type names the parameter the Query way', () => {
    const input = parseInput(putMetricDataShape, { Namespace: 'N', MetricData: [{ MetricName: 'm', Timestamp: 1772445600.5, Value: 'NaN', Values: ['Infinity', '-Infinity', 2] }] });
    expect(input.MetricData![0]!.Timestamp).toEqual(new Date('2026-03-02T10:00:00.500Z'));
    expect(input.MetricData![0]!.Value).toBeNaN();
    expect(input.MetricData![0]!.Values).toEqual([Infinity, -Infinity, 2]);
    expect(() => parseInput(putMetricDataShape, { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1 }, { MetricName: 'b', Value: 'high' }] })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValueException', message: expect.stringContaining('MetricData.member.2.Value') }),
    );
  });

  it('writes errors with __type, the message member and the x-amzn-query-error code; results with epoch seconds', () => {
    const error = encodeError(cloudWatchErrors.missingParameter('The parameter Namespace is required.'), 'req-1');
    expect(error.status).toBe(400);
    expect(error.headers).toMatchObject({ 'x-amzn-query-error': 'MissingParameter;Sender', 'x-amzn-requestid': 'req-1', 'content-type': 'application/x-amz-json-1.0' });
    expect(JSON.parse(error.body)).toEqual({ __type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException', message: 'The parameter Namespace is required.' });
    const internal = encodeError(cloudWatchErrors.internal('boom'), 'req-2');
    expect(internal.status).toBe(500);
    expect(internal.headers['x-amzn-query-error']).toBe('InternalServiceError;Receiver');
    expect(JSON.parse(internal.body)).toEqual({ __type: 'com.amazonaws.cloudwatch#InternalServiceFault', Message: 'boom' });
    expect(JSON.parse(encodeResult({ At: new Date('2026-03-02T10:00:00.250Z'), Gone: undefined, V: NaN }, 'r').body)).toEqual({ At: 1772445600.25, V: 'NaN' });
  });
});

describe('local CloudWatch endpoint, through @aws-sdk/client-cloudwatch', () => {
  let service: LocalCloudWatch;
  let server: RunningCloudWatchServer;
  let client: CloudWatchClient;

  beforeEach(async () => {
    service = new LocalCloudWatch({ account: '000000000000', region: 'us-east-1', clock: () => NOW, newId: () => 'id' });
    server = await startCloudWatchServer(service);
    client = new CloudWatchClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1 });
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  it('stores PutMetricData and reads it back with GetMetricStatistics, GetMetricData and ListMetrics', async () => {
    const dimensions = [{ Name: 'Project', Value: 'adherence' }];
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'LuminaOps/Monitoring',
        MetricData: [
          { MetricName: 'drift_score', Dimensions: dimensions, Timestamp: new Date('2026-03-02T09:58:10Z'), Value: 0.2, Unit: 'None' },
          { MetricName: 'drift_score', Dimensions: dimensions, Timestamp: new Date('2026-03-02T09:58:40Z'), Value: 0.6, Unit: 'None' },
          { MetricName: 'drift_score', Dimensions: dimensions, Timestamp: new Date('2026-03-02T09:59:20Z'), Values: [1, 3], Counts: [1, 3], Unit: 'None' },
        ],
      }),
    );

    const stats = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'LuminaOps/Monitoring',
        MetricName: 'drift_score',
        Dimensions: dimensions,
        StartTime: new Date('2026-03-02T09:58:00Z'),
        EndTime: new Date('2026-03-02T10:00:00Z'),
        Period: 60,
        Statistics: ['Average', 'Maximum', 'SampleCount'],
        ExtendedStatistics: ['p50'],
      }),
    );
    const points = [...stats.Datapoints!].sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    expect(stats.Label).toBe('drift_score');
    expect(points).toEqual([
      { Timestamp: new Date('2026-03-02T09:58:00Z'), Average: 0.4, Maximum: 0.6, SampleCount: 2, ExtendedStatistics: { p50: 0.2 }, Unit: 'None' },
      { Timestamp: new Date('2026-03-02T09:59:00Z'), Average: 2.5, Maximum: 3, SampleCount: 4, ExtendedStatistics: { p50: 3 }, Unit: 'None' },
    ]);

    const data = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date('2026-03-02T09:58:00Z'),
        EndTime: new Date('2026-03-02T10:00:00Z'),
        MetricDataQueries: [{ Id: 'drift', MetricStat: { Metric: { Namespace: 'LuminaOps/Monitoring', MetricName: 'drift_score', Dimensions: dimensions }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    expect(data.MetricDataResults).toEqual([
      { Id: 'drift', Label: 'drift_score', Timestamps: [new Date('2026-03-02T09:59:00Z'), new Date('2026-03-02T09:58:00Z')], Values: [10, 0.8], StatusCode: 'Complete' },
    ]);

    const listed = await client.send(new ListMetricsCommand({ Namespace: 'LuminaOps/Monitoring', Dimensions: [{ Name: 'Project' }] }));
    expect(listed.Metrics).toEqual([{ Namespace: 'LuminaOps/Monitoring', MetricName: 'drift_score', Dimensions: dimensions }]);
  });

  it('accepts 1000 data in one call (the SDK gzips that body) and refuses 1001 with InvalidParameterValueException', async () => {
    const data = (n: number) => Array.from({ length: n }, (_, i) => ({ MetricName: `feature_baseline_drift_f${i}`, Value: i / 1000 }));
    await client.send(new PutMetricDataCommand({ Namespace: 'LuminaOps', MetricData: data(1000) }));
    expect(service.metrics.listMetrics()).toHaveLength(1000);

    const refused = client.send(new PutMetricDataCommand({ Namespace: 'LuminaOps', MetricData: data(1001) }));
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(refused).rejects.toThrow('The collection MetricData must not have a size greater than 1000.');
    expect(service.metrics.listMetrics()).toHaveLength(1000);
  });

  it('answers invalid data with the named exception the service uses, and stores nothing of a refused call', async () => {
    const put = (input: ConstructorParameters<typeof PutMetricDataCommand>[0]) => client.send(new PutMetricDataCommand(input));
    await expect(put({ Namespace: 'N', MetricData: [{ MetricName: 'ok', Value: 1 }, { MetricName: 'bad', Value: NaN }] })).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidParameterValueException', message: expect.stringContaining('MetricData.member.2.Value') }),
    );
    await expect(put({ Namespace: 'N', MetricData: [{ MetricName: 'inf', Value: Infinity }] })).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(put({ MetricData: [{ MetricName: 'm', Value: 1 }] } as never)).rejects.toBeInstanceOf(MissingRequiredParameterException);
    await expect(put({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'm', Value: 1 }] })).rejects.toThrow(/reserved for AWS services/);
    await expect(put({ Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1, Values: [1] }] })).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    const tooManyDimensions = Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' }));
    await expect(put({ Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1, Dimensions: tooManyDimensions }] })).rejects.toThrow(
      'The collection MetricData.member.1.Dimensions must not have a size greater than 30.',
    );
    await expect(put({ Namespace: 'N', MetricData: [{ MetricName: 'm', Value: 1, Timestamp: new Date('2026-02-01T00:00:00Z') }] })).rejects.toThrow(/two weeks in the past/);
    expect(service.metrics.listMetrics()).toEqual([]);
  });

  it('refuses an operation it does not serve with UnknownOperationException naming it', async () => {
    await expect(client.send(new ListDashboardsCommand({}))).rejects.toThrow(
      expect.objectContaining({ name: 'UnknownOperationException', message: expect.stringContaining('ListDashboards is not served by the local CloudWatch') }),
    );
  });

  it('refuses GetMetricStatistics without a statistic and over 1,440 datapoints', async () => {
    const base = { Namespace: 'N', MetricName: 'm', StartTime: new Date('2026-03-01T00:00:00Z'), EndTime: new Date('2026-03-02T00:00:00Z') };
    await expect(client.send(new GetMetricStatisticsCommand({ ...base, Period: 60 }))).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(client.send(new GetMetricStatisticsCommand({ ...base, Period: 30, Statistics: ['Sum'] }))).rejects.toThrow(/requested up to 2880 datapoints, which exceeds the limit of 1,440/);
    await expect(client.send(new GetMetricStatisticsCommand({ ...base, Period: 45, Statistics: ['Sum'] }))).rejects.toThrow(/multiple of 60/);
  });

  it('describes the registered alarms with their state', async () => {
    service.registerAlarm({
      logicalId: 'DriftAlarm',
      name: 'adherence-drift',
      type: 'AWS::CloudWatch::Alarm',
      properties: { Namespace: 'N', MetricName: 'drift', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 0.3, ComparisonOperator: 'GreaterThanThreshold' },
    });
    const described = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'adherence' }));
    expect(described.MetricAlarms).toEqual([
      expect.objectContaining({
        AlarmName: 'adherence-drift',
        AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:adherence-drift',
        StateValue: 'INSUFFICIENT_DATA',
        Statistic: 'Maximum',
        Threshold: 0.3,
        StateUpdatedTimestamp: NOW,
      }),
    ]);
    expect((await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'other' }))).MetricAlarms).toEqual([]);
  });
});
