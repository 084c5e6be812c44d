import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { onnxScoringModel } from '../core/batch/onnx-scoring-model';
import { ScoreChunkInput, scoreChunk, type ScoringModel } from '../core/batch/score-chunk';
import { dynamoDbOperationsStore } from '../shared/dynamodb-batch-operations-store';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3BatchObjects } from '../shared/s3-batch-objects';
import { s3ObjectStore } from '../shared/s3-object-store';
import { ScoreChunkEnvironment } from './environment';

const env = readEnvironment(ScoreChunkEnvironment);
const logger = new Logger({ serviceName: 'score-chunk' });
const s3 = new S3Client({});
const models = s3ObjectStore(s3);
const objects = s3BatchObjects(s3);
const operations = dynamoDbOperationsStore(new DynamoDBClient({}), env.OPERATIONS_TABLE);
// A warm container keeps the model it loaded (keyed by ONNX key: a run pins its version).
let loaded: { key: string; model: Promise<ScoringModel> } | undefined;

export const handler = middy(async (event: unknown) => {
  const input = parseInput(ScoreChunkInput, event, 'score-chunk input');
  const result = await scoreChunk(input, { project: env.PROJECT_NAME }, {
    objects,
    operations,
    loadModel: async (model) => {
      if (loaded?.key !== model.onnxKey) loaded = { key: model.onnxKey, model: models.get(env.ARTIFACT_BUCKET, model.onnxKey).then(onnxScoringModel) };
      return loaded.model;
    },
    now: () => new Date(),
  });
  logger.info(result.skipped ? 'chunk already scored (checkpoint found)' : 'chunk scored', { runId: input.runId, ...result });
  return result;
}).use(injectLambdaContext(logger));
