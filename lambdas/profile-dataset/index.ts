import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { IngestStepInput, ingestTrainingDataset } from '../core/datasets/dataset-ingest';
import { projectLayout } from '../core/datasets/layout';
import { dynamoDbAuditStore } from '../shared/dynamodb-audit-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { ProfileDatasetEnvironment } from './environment';
import { s3ConfigReader, s3MaskKey, s3UploadReader } from './s3-ingest-sources';

const env = readEnvironment(ProfileDatasetEnvironment);
const logger = new Logger({ serviceName: 'profile-dataset' });
const s3 = new S3Client({});
const audit =
  env.AUDIT_TABLE === undefined
    ? undefined
    : {
        store: dynamoDbAuditStore(DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }), env.AUDIT_TABLE),
        newId: randomUUID,
        actor: `lambda:${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'profile-dataset'}`,
      };
const deps = {
  objects: s3ObjectStore(s3),
  readUpload: s3UploadReader(s3),
  readConfig: s3ConfigReader(s3, env.ARTIFACT_BUCKET),
  maskKey: s3MaskKey(s3, env.ARTIFACT_BUCKET, projectLayout(env.PROJECT_NAME).piiMaskKey),
  audit,
  now: () => new Date(),
};

export const handler = middy(async (event: unknown) => {
  const input = parseInput(IngestStepInput, event, 'profile step input');
  const record = await ingestTrainingDataset(
    input,
    { projectName: env.PROJECT_NAME, targetColumn: env.TARGET_COLUMN, entityIdColumn: env.ENTITY_ID_COLUMN, positiveLabel: env.POSITIVE_LABEL },
    deps,
    env.ARTIFACT_BUCKET,
  );
  logger.info('dataset profiled', {
    datasetVersionId: record.datasetVersionId,
    rows: record.rows,
    baseline: record.baselineKeys,
    pii: { policySource: record.pii.policySource, masked: record.pii.masked, dropped: record.pii.dropped, audited: audit !== undefined },
  });
  return record;
}).use(injectLambdaContext(logger));
