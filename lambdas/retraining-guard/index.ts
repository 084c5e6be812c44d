import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { RetrainingGuardStepInput, runRetrainingGuardStep } from '../core/performance/retraining-guard';
import { readTrainingConfig } from '../core/pipeline/split-dataset';
import { dynamoDbRetrainingGuardStore } from '../shared/dynamodb-retraining-guard-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { RetrainingGuardEnvironment } from './environment';

const env = readEnvironment(RetrainingGuardEnvironment);
const logger = new Logger({ serviceName: 'retraining-guard' });
const objects = s3ObjectStore(new S3Client({}));
const store = dynamoDbRetrainingGuardStore(new DynamoDBClient({}), env.OPERATIONS_TABLE);

export const handler = middy(async (event: unknown) => {
  const input = parseInput(RetrainingGuardStepInput, event, 'retraining guard step input');
  const result = await runRetrainingGuardStep(env.PROJECT_NAME, input, {
    store,
    clock: () => new Date(),
    // The same reader (and the same errors) as the split step: projects/<p>/config/training.json, defaults when absent.
    coolDownMs: async () => (await readTrainingConfig(objects, env.ARTIFACT_BUCKET, env.PROJECT_NAME)).retraining.coolDownMinutes * 60_000,
    maxRunMs: env.MAX_RUN_MINUTES * 60_000,
  });
  logger.info(`retraining guard ${input.action}`, { executionId: input.executionId, ...result });
  return result;
}).use(injectLambdaContext(logger));
