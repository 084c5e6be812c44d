import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { RegisterStepInput, registerTrainingRun } from '../core/registry/steps';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { RegisterModelEnvironment } from './environment';

const env = readEnvironment(RegisterModelEnvironment);
const logger = new Logger({ serviceName: 'register-model' });
const store = dynamoDbRegistryStore(new DynamoDBClient({}), { registry: env.MODEL_REGISTRY_TABLE, experiments: env.EXPERIMENTS_TABLE });
const objects = s3ObjectStore(new S3Client({}));

export const handler = middy(async (event: unknown) => {
  const input = parseInput(RegisterStepInput, event, 'register step input');
  const result = await registerTrainingRun(input, { projectName: env.PROJECT_NAME, artifactBucket: env.ARTIFACT_BUCKET }, { store, objects, now: () => new Date() });
  logger.info('model version registered', { ...result });
  return result;
}).use(injectLambdaContext(logger));
