import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { StageStepInput, stageModelVersion } from '../core/registry/steps';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { StageModelEnvironment } from './environment';

const env = readEnvironment(StageModelEnvironment);
const logger = new Logger({ serviceName: 'stage-model' });
const store = dynamoDbRegistryStore(new DynamoDBClient({}), { registry: env.MODEL_REGISTRY_TABLE });

export const handler = middy(async (event: unknown) => {
  const input = parseInput(StageStepInput, event, 'stage step input');
  const change = await stageModelVersion(input, { projectName: env.PROJECT_NAME }, { store, now: () => new Date() });
  logger.info('model stage changed', { version: change.version, from: change.from, to: change.to, actor: change.actor, reason: change.reason, revision: change.revision });
  return change;
}).use(injectLambdaContext(logger));
