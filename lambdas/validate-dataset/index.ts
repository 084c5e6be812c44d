import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { TrainingDropEvent, validateTrainingDrop } from '../core/pipeline/training-data';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { ValidateDatasetEnvironment } from './environment';

const env = readEnvironment(ValidateDatasetEnvironment);
const logger = new Logger({ serviceName: 'validate-dataset' });
const objects = s3ObjectStore(new S3Client({}));

export const handler = middy(async (event: unknown) => {
  const drop = parseInput(TrainingDropEvent, event, 'training drop event');
  const result = await validateTrainingDrop(
    drop,
    { projectName: env.PROJECT_NAME, targetColumn: env.TARGET_COLUMN, entityIdColumn: env.ENTITY_ID_COLUMN, positiveLabel: env.POSITIVE_LABEL },
    { objects, now: () => new Date() },
    env.ARTIFACT_BUCKET,
  );
  logger.info('dataset validated', { key: drop.key, ok: result.ok, rows: result.rows, issues: result.issueTotals.total, reason: result.reason });
  return result;
}).use(injectLambdaContext(logger));
