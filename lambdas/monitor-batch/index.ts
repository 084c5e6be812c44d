import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { EndpointLogMonitorInput, runEndpointLogMonitor } from '../core/monitoring/endpoint-log-monitor';
import { MonitorBatchStepInput, runBatchMonitor } from '../core/monitoring/monitor-batch-step';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { s3Bucket } from '../shared/s3-bucket';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { cloudWatchMetricSink } from './cloudwatch-metric-sink';
import { MonitorBatchEnvironment, monitorConfigOf } from './environment';

const env = readEnvironment(MonitorBatchEnvironment);
const config = monitorConfigOf(env);
const logger = new Logger({ serviceName: 'monitor-batch' });
const s3 = new S3Client({});
const objects = s3ObjectStore(s3);
const metrics = cloudWatchMetricSink(new CloudWatchClient({}));

export { MonitorBatchStepInput, MonitorBatchStepOutput } from '../core/monitoring/monitor-batch-step';

/** The inference pipeline's step, or (`{ "trigger": "schedule" }`) the scheduled check of the endpoint's prediction log. */
export const handler = middy(async (event: unknown) => {
  if (typeof event === 'object' && event !== null && (event as { trigger?: unknown }).trigger === 'schedule') {
    const scheduled = parseInput(EndpointLogMonitorInput, event, 'scheduled endpoint monitor input');
    if (!env.REGISTRY_TABLE) throw new Error('REGISTRY_TABLE is not set: this deployment cannot monitor the endpoint');
    const registry = dynamoDbRegistryStore(new DynamoDBClient({}), { registry: env.REGISTRY_TABLE });
    const result = await runEndpointLogMonitor(scheduled, { projectName: env.PROJECT_NAME, config }, { bucket: s3Bucket(s3, env.ARTIFACT_BUCKET), registry, metrics, now: () => new Date() });
    logger.info('endpoint predictions monitored', { ...result });
    return result;
  }
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
