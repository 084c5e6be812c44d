import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { MergeBatchInput, mergeBatch } from '../core/batch/merge-batch';
import { dynamoDbOperationsStore } from '../shared/dynamodb-batch-operations-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3BatchObjects } from '../shared/s3-batch-objects';
import { MergeBatchEnvironment } from './environment';
import { s3StreamingConcatenation } from './s3-streaming-concatenation';

const env = readEnvironment(MergeBatchEnvironment);
const logger = new Logger({ serviceName: 'merge-batch' });
const s3 = new S3Client({});
const s3Objects = s3BatchObjects(s3);
const objects = { ...s3Objects, concatenate: s3StreamingConcatenation(s3, s3Objects.concatenate) };
const operations = dynamoDbOperationsStore(new DynamoDBClient({}), env.OPERATIONS_TABLE);

export const handler = middy(async (event: unknown) => {
  const input = parseInput(MergeBatchInput, event, 'merge-batch input');
  const merged = await mergeBatch(input, { project: env.PROJECT_NAME }, { objects, operations, now: () => new Date() });
  logger.info('batch merged into the outbox', { ...merged });
  return merged;
}).use(injectLambdaContext(logger));
