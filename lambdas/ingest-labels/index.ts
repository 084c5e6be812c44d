import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { ingestLabelsDrop, LabelsDropInput } from '../core/performance/labels-drop';
import { cloudWatchMetricSink } from '../monitor-batch/cloudwatch-metric-sink';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3Bucket } from '../shared/s3-bucket';
import { s3ObjectStore } from '../shared/s3-object-store';
import { IngestLabelsEnvironment } from './environment';

const env = readEnvironment(IngestLabelsEnvironment);
const logger = new Logger({ serviceName: 'ingest-labels' });
const s3 = new S3Client({});
const given = (value: string): string | undefined => (value.trim() === '' ? undefined : value);
const project = {
  name: env.PROJECT_NAME,
  entityIdColumn: given(env.ENTITY_ID_COLUMN),
  targetColumn: given(env.TARGET_COLUMN),
  positiveLabel: given(env.POSITIVE_LABEL),
};
const deps = {
  objects: s3ObjectStore(s3),
  bucket: s3Bucket(s3, env.ARTIFACT_BUCKET),
  metrics: cloudWatchMetricSink(new CloudWatchClient({})),
  now: () => new Date(),
};

/** One labels drop (the labels pipeline's IngestLabels step): labels-drop.ts over S3 and CloudWatch. */
export const handler = middy(async (event: unknown) => {
  const input = parseInput(LabelsDropInput, event, 'labels drop');
  const result = await ingestLabelsDrop(input, { project, artifactBucket: env.ARTIFACT_BUCKET }, deps);
  if (result.accepted) logger.info('labels accepted', { key: input.key, upload: result.upload, rows: result.rows, joined: result.joined, latest: result.latest });
  else logger.warn('labels refused', { key: input.key, upload: result.upload, problemCount: result.problemCount, rejectedKey: result.rejectedKey });
  return result;
}).use(injectLambdaContext(logger));
