import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { PlanBatchStepInput, planBatch } from '../core/batch/plan-batch';
import { registryProductionModelSource } from '../core/batch/production-model';
import { readOnnxMetadata } from '../core/ml/onnx-metadata';
import { dynamoDbOperationsStore } from '../shared/dynamodb-batch-operations-store';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3BatchObjects } from '../shared/s3-batch-objects';
import { s3ObjectStore } from '../shared/s3-object-store';
import { PlanBatchEnvironment } from './environment';

const env = readEnvironment(PlanBatchEnvironment);
const logger = new Logger({ serviceName: 'plan-batch' });
const s3 = new S3Client({});
const dynamodb = new DynamoDBClient({});
const models = s3ObjectStore(s3);

export const handler = middy(async (event: unknown) => {
  const step = parseInput(PlanBatchStepInput, event, 'plan-batch input');
  const plan = await planBatch(
    { ...step.event, executionId: step.executionId },
    { project: env.PROJECT_NAME, artifactBucket: env.ARTIFACT_BUCKET, rowsPerChunk: env.ROWS_PER_CHUNK },
    {
      models: registryProductionModelSource(dynamoDbRegistryStore(dynamodb, { registry: env.REGISTRY_TABLE })),
      loadModelMetadata: async (bucket, key) => readOnnxMetadata(await models.get(bucket, key)),
      objects: s3BatchObjects(s3),
      operations: dynamoDbOperationsStore(dynamodb, env.OPERATIONS_TABLE),
      now: () => new Date(),
    },
  );
  if (plan.alreadyScored) logger.info(plan.message, { runId: plan.runId, scoredBy: plan.scoredBy });
  else logger.info('batch planned', { runId: plan.runId, chunks: plan.chunksTotal, records: plan.records, modelVersion: plan.model.version, attempt: plan.attempt });
  return plan;
}).use(injectLambdaContext(logger));
