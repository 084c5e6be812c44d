import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { MonitorBatchStepInput, runBatchMonitor } from '../core/monitoring/monitor-batch-step';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { cloudWatchMetricSink } from './cloudwatch-metric-sink';
import { MonitorBatchEnvironment, monitorConfigOf } from './environment';

const env = readEnvironment(MonitorBatchEnvironment);
const config = monitorConfigOf(env);
const logger = new Logger({ serviceName: 'monitor-batch' });
const objects = s3ObjectStore(new S3Client({}));
const metrics = cloudWatchMetricSink(new CloudWatchClient({}));

export { MonitorBatchStepInput, MonitorBatchStepOutput } from '../core/monitoring/monitor-batch-step';

export const handler = middy(async (event: unknown) => {
  const input = parseInput(MonitorBatchStepInput, event, 'monitor step input');
  const output = await runBatchMonitor(input, { projectName: env.PROJECT_NAME, artifactBucket: env.ARTIFACT_BUCKET, config }, { objects, metrics, now: () => new Date() });
  logger.info('batch monitored', {
    batch: input.batch.key,
    modelVersion: input.modelVersion,
    rows: output.rows,
    driftScore: output.driftScore,
    driftedFeatures: output.driftedFeatures,
    violations: output.violationCount,
  });
  return output;
}).use(injectLambdaContext(logger));
