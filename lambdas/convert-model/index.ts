import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { ConvertStepInput, convertTrainedModel } from '../core/pipeline/convert-model';
import { readEnvironment } from '../shared/environment';
import { parseInput } from '../shared/parse-input';
import { s3ObjectStore } from '../shared/s3-object-store';
import { ConvertModelEnvironment } from './environment';

const env = readEnvironment(ConvertModelEnvironment);
const logger = new Logger({ serviceName: 'convert-model' });
const objects = s3ObjectStore(new S3Client({}));

export const handler = middy(async (event: unknown) => {
  const input = parseInput(ConvertStepInput, event, 'convert step input');
  const result = await convertTrainedModel(input, env.PROJECT_NAME, { objects }, env.ARTIFACT_BUCKET);
  logger.info('model converted to ONNX and verified', { ...result });
  return result;
}).use(injectLambdaContext(logger));
