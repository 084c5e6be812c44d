import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { build } from 'esbuild';
import { cloudWatchLambdaEnvironment, type RunningCloudWatchServer, startCloudWatchServer } from '../../../local/cloudwatch/cloudwatch-server';
import { CLOUDWATCH_PUT_METRIC_DATA_RESOURCE, cloudWatchTaskAdapters } from '../../../local/cloudwatch/cloudwatch-task-adapter';
import { LocalCloudWatch } from '../../../local/cloudwatch/local-cloudwatch';
import { LambdaRuntime } from '../../../local/runtime/lambda-runtime';
import { buildTaskOverrides } from '../../../local/runtime/task-adapters';

const NOW = new Date('2026-03-02T10:00:30.000Z');
const EXECUTION = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Monitor:run-1' };

describe('local CloudWatch reached from a Lambda bundle and from a Step Functions task', () => {
  let workDir: string;
  let service: LocalCloudWatch;
  let server: RunningCloudWatchServer;
  let runtime: LambdaRuntime;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lumina-cw-endpoint-'));
    service = new LocalCloudWatch({ account: '000000000000', region: 'us-east-1', clock: () => NOW, newId: () => 'id' });
    server = await startCloudWatchServer(service);
  });

  afterAll(async () => {
    await runtime?.close();
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('a bundled handler with an unmodified CloudWatchClient publishes through AWS_ENDPOINT_URL_CLOUDWATCH', async () => {
    // Prepare: bundle the SDK into the handler, as NodejsFunction does.
    const source = join(workDir, 'publish-drift.ts');
    const assetDir = join(workDir, 'asset.publish-drift');
    await mkdir(assetDir, { recursive: true });
    await writeFile(
      source,
      `import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
       const client = new CloudWatchClient({});
       export const handler = async (event: { drift: number | string }) => {
         try {
           await client.send(new PutMetricDataCommand({ Namespace: 'LuminaOps/Monitoring', MetricData: [{ MetricName: 'drift_score', Value: Number(event.drift) }] }));
           return { published: true };
         } catch (error) {
           return { published: false, error: (error as Error).name };
         }
       };`,
    );
    await build({ entryPoints: [source], bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile: join(assetDir, 'index.js'), logLevel: 'silent', nodePaths: [join(__dirname, '../../../node_modules')] });
    runtime = new LambdaRuntime({
      baseEnvironment: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', ...cloudWatchLambdaEnvironment(server.endpoint) },
    });
    runtime.register({ name: 'PublishDrift', arn: 'arn:aws:lambda:us-east-1:000000000000:function:PublishDrift', assetDir, timeoutSeconds: 10 });

    // Act
    const accepted = await runtime.invoke('PublishDrift', { drift: 0.42 });
    const refused = await runtime.invoke('PublishDrift', { drift: 'not a number' });

    // Assess
    expect(accepted.payload).toEqual({ published: true });
    expect(refused.payload).toEqual({ published: false, error: 'InvalidParameterValueException' });
    const stored = service.metrics.observations({ namespace: 'LuminaOps/Monitoring', metricName: 'drift_score', dimensions: {}, start: new Date(0), end: new Date('2100-01-01') });
    expect(stored.map((o) => [o.timestamp, o.sum])).toEqual([[NOW, 0.42]]);
  });

  it('aws-sdk:cloudwatch:putMetricData stores the data, and fails the state with CloudWatch.<Exception> for invalid data', async () => {
    const definition = {
      StartAt: 'PublishDrift',
      States: {
        PublishDrift: {
          Type: 'Task',
          Resource: CLOUDWATCH_PUT_METRIC_DATA_RESOURCE,
          Parameters: { Namespace: 'LuminaOps/Monitoring', MetricData: [{ MetricName: 'psi', 'Value.$': '$.psi', Timestamp: '2026-03-02T09:59:00Z', Dimensions: [{ Name: 'Feature', Value: 'age' }] }] },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Refused' }],
          End: true,
        },
        Refused: { Type: 'Pass', End: true },
      },
    };
    const run = (input: Record<string, number | string>) => {
      const copy = JSON.parse(JSON.stringify(definition));
      return new StateMachine(copy).run(input, { overrides: { taskResourceLocalHandlers: buildTaskOverrides(copy, cloudWatchTaskAdapters(service), EXECUTION) } }).result;
    };

    expect(await run({ psi: 0.07 })).toEqual({});
    expect(service.metrics.observations({ namespace: 'LuminaOps/Monitoring', metricName: 'psi', dimensions: { Feature: 'age' }, start: new Date(0), end: new Date('2100-01-01') }).map((o) => [o.timestamp, o.sum])).toEqual([
      [new Date('2026-03-02T09:59:00Z'), 0.07],
    ]);
    expect(await run({ psi: 'high' })).toEqual({ Error: 'CloudWatch.InvalidParameterValueException', Cause: expect.stringContaining('MetricData.member.1.Value') });
  });
});
