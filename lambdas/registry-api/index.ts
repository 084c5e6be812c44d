import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleRegistryRequest } from '../core/governance/registry-api';
import { AuditNotRecordedError, type GovernedRegistryDeps } from '../core/governance/registry-operations';
import { dynamoDbAuditStore } from '../shared/dynamodb-audit-store';
import { dynamoDbRegistryStore } from '../shared/dynamodb-registry-store';
import { readEnvironment } from '../shared/environment';
import { RegistryApiEnvironment } from './environment';

const env = readEnvironment(RegistryApiEnvironment);
const logger = new Logger({ serviceName: 'registry-api' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const s3 = new S3Client({});
const config = {
  personaRoles: { dataScientist: env.DATA_SCIENTIST_ROLE_NAME, mlEngineer: env.ML_ENGINEER_ROLE_NAME, modelApprover: env.MODEL_APPROVER_ROLE_NAME },
  account: env.PERSONA_ACCOUNT,
};
const deps: GovernedRegistryDeps = {
  registry: dynamoDbRegistryStore(documents, { registry: env.MODEL_REGISTRY_TABLE }),
  audit: dynamoDbAuditStore(documents, env.AUDIT_TABLE),
  readConfig: async (key) => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: env.ARTIFACT_BUCKET, Key: key }));
      return object.Body ? await object.Body.transformToString('utf-8') : '';
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  },
  writeCardMarkdown: async (key, markdown) => {
    await s3.send(new PutObjectCommand({ Bucket: env.ARTIFACT_BUCKET, Key: key, Body: markdown, ContentType: 'text/markdown; charset=utf-8' }));
  },
  now: () => new Date(),
  newId: randomUUID,
};

/** The registry API behind an IAM-authorised function URL (payload format 2.0). */
export const handler = middy(async (event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
  const { http } = event.requestContext;
  const principalArn = event.requestContext.authorizer?.iam?.userArn;
  const response = await handleRegistryRequest(
    {
      method: http.method,
      path: event.rawPath ?? http.path,
      body: event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
      query: event.queryStringParameters ?? {},
      principalArn,
      sourceIp: http.sourceIp,
    },
    config,
    deps,
  ).catch((error: unknown) => {
    logger.error('registry request failed', { method: http.method, path: event.rawPath, principalArn, error: error as Error });
    // A change without its audit entry must say so: the caller has to know it happened.
    const message = error instanceof AuditNotRecordedError ? error.message : 'the registry API failed; the request id is in its logs';
    return { statusCode: 500, body: { error: error instanceof AuditNotRecordedError ? 'AuditNotRecorded' : 'InternalError', message, requestId: event.requestContext.requestId } };
  });
  logger.info('registry request', { method: http.method, path: event.rawPath, principalArn, sourceIp: http.sourceIp, statusCode: response.statusCode, error: response.body.error });
  return { statusCode: response.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(response.body) };
}).use(injectLambdaContext(logger));
