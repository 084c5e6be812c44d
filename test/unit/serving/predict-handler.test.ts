/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * The predict Lambda handler with mocked AWS clients: at init it reads the production
 * pointer and the version's artifact keys from DynamoDB, fetches the ONNX and XGBoost JSON
 * from S3 and creates the session; a request is scored and its log line put to S3.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { convertToOnnx } from '../../../lambdas/core/ml/onnx';
import { writeXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { modelKeys, sampleRecord, servingTestModel, urlEvent } from './serving-fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = { functionName: 'predict', awsRequestId: 'lambda-req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:predict' } as Context;
const model = servingTestModel(7);
const objects = new Map<string, Uint8Array>([
  [modelKeys(3).onnxKey, convertToOnnx(model)],
  [modelKeys(3).modelKey, new TextEncoder().encode(writeXgboostJson(model))],
]);

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
let handler: Handler;

function mockAws(): void {
  dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'STAGES' } }).resolves({ Item: { pk: 'PROJECT#adherence', sk: 'STAGES', staging: null, production: 3, revision: 4 } });
  dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'VERSION#000003' } }).resolves({ Item: { pk: 'PROJECT#adherence', sk: 'VERSION#000003', version: 3, artifacts: modelKeys(3) } });
  dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'AB_TEST' } }).resolves({});
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const bytes = objects.get(input.Key);
    if (input.Bucket !== 'artifacts-bucket' || !bytes) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return { Body: { transformToByteArray: async () => bytes } };
  });
  s3.on(PutObjectCommand).resolves({});
}

beforeAll(async () => {
  Object.assign(process.env, {
    PROJECT_NAME: 'adherence',
    MODEL_REGISTRY_TABLE: 'registry-table',
    ARTIFACT_BUCKET: 'artifacts-bucket',
    PREDICTION_LOG_BUCKET: 'logs-bucket',
    ENTITY_ID_COLUMN: 'patient_id',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  mockAws();
  const module = await import('../../../lambdas/predict/index');
  await module.ready;
  handler = module.handler as unknown as Handler;
});

describe('predict handler', () => {
  it('loaded the production model at init from the registry pointer and S3', () => {
    const gets = dynamo.commandCalls(GetCommand).map((c) => c.args[0].input);
    expect(gets.map((g) => [g.TableName, g.Key?.sk])).toEqual(expect.arrayContaining([['registry-table', 'STAGES'], ['registry-table', 'VERSION#000003']]));
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key).sort()).toEqual([modelKeys(3).modelKey, modelKeys(3).onnxKey].sort());
  });

  it('scores a function URL request and writes its log line to the log bucket', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const response = await handler(urlEvent(JSON.stringify({ ...sampleRecord(2), patient_id: 'p-2' }), { requestId: 'url-42' }), context);

      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).predictions[0]).toMatchObject({ requestId: 'url-42', entityId: 'p-2', modelVersion: 3, variant: 'champion' });
      const put = s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
      expect(put).toMatchObject({ Bucket: 'logs-bucket', ContentType: 'application/x-ndjson' });
      expect(put.Key).toMatch(/^projects\/adherence\/predictions\/endpoint\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/\d+-url-42-[0-9a-f-]{36}\.jsonl$/);
      expect(JSON.parse(String(put.Body))).toMatchObject({ requestId: 'url-42', modelVersion: 3, inputs: sampleRecord(2) });
      const emf = stdout.mock.calls.map(([line]) => String(line)).find((line) => line.includes('"CloudWatchMetrics"'));
      expect(JSON.parse(emf!)).toMatchObject({ Project: 'adherence', Variant: 'champion', Predictions: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'LuminaOps/Endpoint' }] } });
    } finally {
      stdout.mockRestore();
    }
  });

  it('scores an API Gateway REST proxy event and answers 400 for a bad one', async () => {
    const restEvent = (body: string) => ({ httpMethod: 'POST', path: '/predict', headers: {}, body, isBase64Encoded: false, requestContext: { requestId: 'apigw-1' } });

    const ok = await handler(restEvent(JSON.stringify({ records: [sampleRecord(1), sampleRecord(2)] })), context);
    const bad = await handler(restEvent('{"records": [{"age": "old"}]}'), context);

    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).predictions).toHaveLength(2);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).errors.map((e: { path: string }) => e.path)).toEqual(['records[0].age', 'records[0].colour', 'records[0].smoker', 'records[0].bmi', 'records[0].income', 'records[0].visits']);
  });

  it('answers 500, not a prediction, when S3 refuses the log write', async () => {
    s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    try {
      const response = await handler(urlEvent(JSON.stringify(sampleRecord(1)), { requestId: 'url-43' }), context);

      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body).predictions).toBeUndefined();
    } finally {
      s3.on(PutObjectCommand).resolves({});
    }
  });
});
