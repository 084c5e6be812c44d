import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { SplitStepInput, splitTrainingDataset } from '../core/pipeline/split-dataset';
import { dynamoDbFeatureTable } from '../shared/dynamodb-feature-table';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { SplitDatasetEnvironment } from './environment';

const env = readEnvironment(SplitDatasetEnvironment);
const logger = new Logger({ serviceName: 'split-dataset' });
const objects = s3ObjectStore(new S3Client({}));
// The offline store lives in the artifact bucket under features/.
const features = { table: dynamoDbFeatureTable(new DynamoDBClient({}), env.FEATURE_STORE_TABLE), objects, bucket: env.ARTIFACT_BUCKET };

export const handler = middy(async (event: unknown) => {
  const input = parseInput(SplitStepInput, event, 'split step input');
  const result = await splitTrainingDataset(
    input,
    { projectName: env.PROJECT_NAME, targetColumn: env.TARGET_COLUMN, entityIdColumn: env.ENTITY_ID_COLUMN, positiveLabel: env.POSITIVE_LABEL },
    { objects, features },
    env.ARTIFACT_BUCKET,
  );
  logger.info('dataset split', { runPrefix: result.runPrefix, rows: result.rows, entities: result.entities, features: result.features, trainingJobName: result.trainingJobName, tuningJobName: result.tuning?.jobName, featureGroups: result.featureGroups });
  return result;
}).use(injectLambdaContext(logger));
