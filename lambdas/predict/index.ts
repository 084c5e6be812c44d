import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { readAbConfig } from '../core/serving/ab-testing';
import { createPredictionEndpoint } from '../core/serving/endpoint';
import { registryModelLoader, registryProductionPointer } from '../core/serving/model-loading';
import { ModelCache, PolledValue } from '../core/serving/model-source';
import { onlineFeatureLookup } from '../core/serving/feature-lookup';
import { createOnnxScorer, prepareOnnxRuntime } from '../core/serving/onnx-scorer';
import { dynamoDbFeatureTable } from '../shared/dynamodb-feature-table';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { s3ObjectStore } from '../shared/s3-object-store';
import { emfLines, s3PredictionLogSink } from './adapters';
import { PredictEnvironment } from './environment';

const env = readEnvironment(PredictEnvironment);
const logger = new Logger({ serviceName: 'predict' });
const dynamodb = new DynamoDBClient({});
const store = dynamoDbRegistryStore(dynamodb, { registry: env.MODEL_REGISTRY_TABLE });
const s3 = new S3Client({});
const clock = (): number => Date.now();
const onError = (message: string, error: unknown): void => logger.error(message, error as Error);

const models = new ModelCache(
  registryProductionPointer(store, env.PROJECT_NAME),
  registryModelLoader({ store, objects: s3ObjectStore(s3), artifactBucket: env.ARTIFACT_BUCKET, project: env.PROJECT_NAME, createScorer: createOnnxScorer, prepareScorer: prepareOnnxRuntime }),
  clock,
  { checkIntervalMs: env.MODEL_CHECK_INTERVAL_SECONDS * 1000, onError },
);
const abConfig = new PolledValue(() => readAbConfig(store, env.PROJECT_NAME), clock, env.AB_CONFIG_CACHE_SECONDS * 1000, onError);

export const endpoint = createPredictionEndpoint(
  {
    project: env.PROJECT_NAME,
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxRecords: env.MAX_RECORDS,
    topRiskFactors: env.TOP_RISK_FACTORS,
    unknownCategory: env.UNKNOWN_CATEGORY_POLICY,
    entityIdColumn: env.ENTITY_ID_COLUMN,
  },
  {
    models,
    abConfig: () => abConfig.get(),
    log: s3PredictionLogSink(s3, env.PREDICTION_LOG_BUCKET),
    ...(env.FEATURE_STORE_TABLE ? { featureLookup: onlineFeatureLookup(dynamoDbFeatureTable(dynamodb, env.FEATURE_STORE_TABLE)) } : {}),
    clock,
    newRequestId: randomUUID,
    onError,
    onServed: (summary) => {
      for (const line of emfLines(env.PROJECT_NAME, summary, clock())) process.stdout.write(`${line}\n`);
    },
  },
);

// Init: fetch the production model and create its session before the first request. A failure
// here is logged and retried by the first request (which answers 503 if it fails again).
export const ready: Promise<void> = endpoint.warm().catch((error: unknown) => onError('loading the production model at init failed', error));

export const handler = middy(async (event: unknown) => {
  await ready;
  return endpoint.handleEvent(event);
}).use(injectLambdaContext(logger));
