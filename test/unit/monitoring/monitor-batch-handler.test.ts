/**
 * The monitor-batch handler with mocked S3 and CloudWatch: what it reads, writes and
 * publishes for a step input, and how it refuses bad input.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { profileDataset } from '../../../lambdas/core/datasets/profile-dataset';

const s3 = mockClient(S3Client);
const cloudwatch = mockClient(CloudWatchClient);
const context = { functionName: 'monitor-batch', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:monitor-batch' } as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;

const BASELINE = profileDataset(new TextEncoder().encode('patient_id,age,region,label\n1,30,north,0\n2,40,south,1\n3,50,north,0\n4,60,south,1\n'), {
  columns: [
    { name: 'age', type: 'integral' },
    { name: 'region', type: 'string' },
  ],
});
// Every age above the baseline's range (KS 1), regions as in the baseline, one extra column.
const BATCH = 'patient_id,age,region,score\n10,80,north,0.1\n11,81,south,0.2\n12,82,north,0.3\n13,83,south,0.4\n';

const objects: Record<string, string> = {
  'projects/adherence/datasets/ds-1/baseline/statistics.json': JSON.stringify(BASELINE.statistics),
  'projects/adherence/datasets/ds-1/baseline/constraints.json': JSON.stringify(BASELINE.constraints),
  'projects/adherence/inference/inbox/batch.csv': BATCH,
};

const input = {
  project: 'adherence',
  batch: { bucket: 'inference-bucket', key: 'projects/adherence/inference/inbox/batch.csv', versionId: 'v9' },
  baselineKeys: { statistics: 'projects/adherence/datasets/ds-1/baseline/statistics.json', constraints: 'projects/adherence/datasets/ds-1/baseline/constraints.json' },
  modelVersion: 3,
  outputPrefix: 'projects/adherence/monitoring/run-1',
};

beforeAll(async () => {
  Object.assign(process.env, {
    ARTIFACT_BUCKET: 'artifacts-bucket',
    PROJECT_NAME: 'adherence',
    TARGET_COLUMN: 'label',
    ENTITY_ID_COLUMN: 'patient_id',
    DRIFT_THRESHOLD: '0.3',
    MONITOR_CONFIG: JSON.stringify({ ignoreColumns: [] }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../../lambdas/monitor-batch/index'));
});

beforeEach(() => {
  s3.reset();
  cloudwatch.reset();
  s3.on(GetObjectCommand).callsFake((request: { Key: string }) => {
    const text = objects[request.Key];
    if (text === undefined) throw Object.assign(new Error(`no object ${request.Key}`), { name: 'NoSuchKey' });
    return { Body: { transformToByteArray: async () => new TextEncoder().encode(text) } };
  });
  s3.on(PutObjectCommand).resolves({});
  cloudwatch.on(PutMetricDataCommand).resolves({});
});

describe('monitor-batch handler', () => {
  it('reads the batch and baseline, writes the three outputs, publishes one metric request', async () => {
    const output = await handler(input, context);

    expect(output).toEqual({
      driftScore: 1,
      driftedFeatures: ['age'],
      violationCount: 2,
      rows: 4,
      missingColumns: [],
      extraColumns: ['score'],
      keys: {
        statistics: 'projects/adherence/monitoring/run-1/statistics.json',
        violations: 'projects/adherence/monitoring/run-1/constraint_violations.json',
        report: 'projects/adherence/monitoring/run-1/report.html',
        metrics: 'projects/adherence/monitoring/run-1/metrics.json',
      },
      metricRequests: 1,
      metricTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      metricNamespace: 'LuminaOps/DataQuality',
    });
    const gets = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    expect(gets).toContainEqual({ Bucket: 'inference-bucket', Key: input.batch.key, VersionId: 'v9' });
    expect(gets).toContainEqual({ Bucket: 'artifacts-bucket', Key: input.baselineKeys.statistics, VersionId: undefined });

    const puts = Object.fromEntries(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input]));
    expect(puts['projects/adherence/monitoring/run-1/report.html']).toMatchObject({ Bucket: 'artifacts-bucket', ContentType: 'text/html; charset=utf-8' });
    const violations = JSON.parse(puts['projects/adherence/monitoring/run-1/constraint_violations.json'].Body as string);
    expect(violations.violations.map((v: { feature_name: string; constraint_check_type: string }) => [v.feature_name, v.constraint_check_type])).toEqual([
      ['age', 'baseline_drift_check'],
      ['score', 'extra_column_check'],
    ]);
    expect(JSON.parse(puts['projects/adherence/monitoring/run-1/metrics.json'].Body as string)).toEqual({ timestamp: (output as { metricTimestamp: string }).metricTimestamp, requests: 1 });
    const statistics = JSON.parse(puts['projects/adherence/monitoring/run-1/statistics.json'].Body as string);
    expect(statistics.dataset).toEqual({ item_count: 4 });

    const metricCalls = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(metricCalls).toHaveLength(1);
    const request = metricCalls[0].args[0].input;
    expect(request.Namespace).toBe('LuminaOps/DataQuality');
    // age: drift + non-null, region: drift + non-null, the score; each under {Project} and {Project, ModelVersion}.
    expect(request.MetricData).toHaveLength(10);
    expect(request.MetricData).toContainEqual(
      expect.objectContaining({ MetricName: 'feature_baseline_drift_age', Value: 1, Dimensions: [{ Name: 'Project', Value: 'adherence' }] }),
    );
    expect(request.MetricData).toContainEqual(
      expect.objectContaining({
        MetricName: 'drift_score',
        Value: 1,
        Dimensions: [
          { Name: 'Project', Value: 'adherence' },
          { Name: 'ModelVersion', Value: '3' },
        ],
      }),
    );
  });

  it('refuses a bad step input naming the fields, before reading anything', async () => {
    const invoking = handler({ ...input, outputPrefix: '', baselineKeys: { statistics: 'x' } }, context);

    await expect(invoking).rejects.toThrow('Invalid monitor step input: baselineKeys.constraints: Invalid input: expected string, received undefined; outputPrefix: Too small');
    expect(s3.calls()).toHaveLength(0);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it("refuses another project's batch", async () => {
    await expect(handler({ ...input, project: 'other-project' }, context)).rejects.toThrow('this monitor belongs to project adherence; the step input names project other-project');
    expect(cloudwatch.calls()).toHaveLength(0);
  });
});
