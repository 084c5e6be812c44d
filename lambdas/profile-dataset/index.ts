import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { ProfileStepInput, profileTrainingDataset } from '../core/pipeline/training-data';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { ProfileDatasetEnvironment } from './environment';

const env = readEnvironment(ProfileDatasetEnvironment);
const logger = new Logger({ serviceName: 'profile-dataset' });
const objects = s3ObjectStore(new S3Client({}));

export const handler = middy(async (event: unknown) => {
  const input = parseInput(ProfileStepInput, event, 'profile step input');
  const record = await profileTrainingDataset(
    input,
    { projectName: env.PROJECT_NAME, targetColumn: env.TARGET_COLUMN, entityIdColumn: env.ENTITY_ID_COLUMN, positiveLabel: env.POSITIVE_LABEL },
    { objects, now: () => new Date() },
    env.ARTIFACT_BUCKET,
  );
  logger.info('dataset profiled', { datasetVersionId: record.datasetVersionId, rows: record.rows, baseline: record.baselineKeys });
  return record;
}).use(injectLambdaContext(logger));
