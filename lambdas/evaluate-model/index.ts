import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { EvaluateStepInput, evaluateTrainedModel } from '../core/pipeline/evaluate-model';
import { findChampion } from '../core/registry/stages';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { EvaluateModelEnvironment } from './environment';

const env = readEnvironment(EvaluateModelEnvironment);
const logger = new Logger({ serviceName: 'evaluate-model' });
const objects = s3ObjectStore(new S3Client({}));
const registry = dynamoDbRegistryStore(new DynamoDBClient({}), { registry: env.MODEL_REGISTRY_TABLE });

export const handler = middy(async (event: unknown) => {
  const input = parseInput(EvaluateStepInput, event, 'evaluate step input');
  const result = await evaluateTrainedModel(
    input,
    { projectName: env.PROJECT_NAME, targetColumn: env.TARGET_COLUMN },
    {
      objects,
      findChampion: async () => {
        const champion = await findChampion(registry, env.PROJECT_NAME);
        return champion && { version: champion.version, modelKey: champion.record.artifacts.modelKey };
      },
    },
    env.ARTIFACT_BUCKET,
  );
  logger.info('model evaluated', { primaryMetric: result.primaryMetric, metrics: result.metrics, champion: result.champion, championNote: result.championNote });
  return result;
}).use(injectLambdaContext(logger));
