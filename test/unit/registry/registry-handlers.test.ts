/**
 * The register-model and stage-model handlers with mocked AWS clients: what they send to
 * DynamoDB and S3 for a step input, and how they refuse bad input.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { registerInput } from './registry-fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = { functionName: 'register-model', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:register-model' } as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let registerHandler: Handler;
let stageHandler: Handler;

beforeAll(async () => {
  Object.assign(process.env, {
    MODEL_REGISTRY_TABLE: 'registry-table',
    EXPERIMENTS_TABLE: 'experiments-table',
    PROJECT_NAME: 'adherence',
    ARTIFACT_BUCKET: 'artifacts-bucket',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler: registerHandler } = await import('../../../lambdas/register-model/index'));
  ({ handler: stageHandler } = await import('../../../lambdas/stage-model/index'));
});

beforeEach(() => {
  dynamo.reset();
  s3.reset();
});

const sent = <T>(command: new (input: never) => T) => dynamo.commandCalls(command as never).map((call) => call.args[0].input as Record<string, unknown>);

describe('register-model handler', () => {
  it('registers the first model of an empty registry and stages it', async () => {
    // Reads see what the handler wrote before (the registry starts empty).
    dynamo.on(GetCommand).callsFake((input: { Key: { sk: string } }) => ({ Item: sent(PutCommand).map((p) => p.Item as { sk: string }).findLast((item) => item.sk === input.Key.sk) }));
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(UpdateCommand, { UpdateExpression: 'ADD #a :by' }).resolves({ Attributes: { last: 1 } });
    dynamo.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
      const prefix = input.ExpressionAttributeValues[':prefix'];
      const written = sent(PutCommand).map((i) => i.Item as { sk: string }).filter((item) => item.sk.startsWith(prefix));
      return { Items: written };
    });
    s3.on(PutObjectCommand).resolves({});

    const output = await registerHandler(registerInput('run-1', { auc: 0.8 }), context);

    expect(output).toMatchObject({ version: 1, decision: 'staging', championVersion: null, cardKey: 'projects/adherence/registry/000001/model-card.r1.md' });
    const puts = sent(PutCommand);
    const version = puts.find((p) => (p.Item as { sk: string }).sk === 'VERSION#000001');
    expect(version).toMatchObject({ TableName: 'registry-table', ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'PROJECT#adherence', status: 'accepted' } });
    expect(puts.find((p) => (p.Item as { sk: string }).sk === 'STAGES')).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { staging: 1, production: null, revision: 1 } });
    expect(puts.find((p) => p.TableName === 'experiments-table')).toMatchObject({ Item: { pk: 'EXPERIMENT#adherence', sk: 'RUN#run-1', modelVersion: 1 } });
    expect(sent(UpdateCommand)[0]).toMatchObject({ TableName: 'registry-table', Key: { pk: 'PROJECT#adherence', sk: 'COUNTER#VERSION' }, ExpressionAttributeValues: { ':by': 1 } });
    const markdown = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(markdown).toMatchObject({ Bucket: 'artifacts-bucket', Key: 'projects/adherence/registry/000001/model-card.r1.md', ContentType: 'text/markdown; charset=utf-8' });
  });

  it('refuses a bad step input naming the fields, before touching DynamoDB', async () => {
    const input = registerInput('run-1', { auc: 0.8 });

    const invoking = registerHandler({ ...input, onnx: { key: '' }, executionId: undefined }, context);

    await expect(invoking).rejects.toThrow('Invalid register step input: executionId: Invalid input: expected string, received undefined; onnx.key: Too small');
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('stage-model handler', () => {
  it('moves the pointers with a conditional write on their revision', async () => {
    dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'STAGES' } }).resolves({ Item: { pk: 'PROJECT#adherence', sk: 'STAGES', staging: 4, production: 2, revision: 7 } });
    dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'VERSION#000004' } }).resolves({ Item: { pk: 'PROJECT#adherence', sk: 'VERSION#000004', version: 4, stage: 'staging' } });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});

    const change = await stageHandler({ version: 4, stage: 'production', actor: 'dr.lee', reason: 'card approved' }, context);

    expect(change).toMatchObject({ version: 4, from: 'staging', to: 'production', revision: 8, displaced: [{ version: 2, from: 'production', to: 'archived' }] });
    const pointers = sent(PutCommand).find((p) => (p.Item as { sk: string }).sk === 'STAGES');
    expect(pointers).toMatchObject({ ConditionExpression: '#c = :c', ExpressionAttributeNames: { '#c': 'revision' }, ExpressionAttributeValues: { ':c': 7 }, Item: { staging: null, production: 4, revision: 8 } });
    const cacheUpdates = sent(UpdateCommand).map((u) => [(u.Key as { sk: string }).sk, (u.ExpressionAttributeValues as Record<string, unknown>)[':s0']]);
    expect(cacheUpdates.sort()).toEqual([
      ['VERSION#000002', 'archived'],
      ['VERSION#000004', 'production'],
    ]);
  });

  it('retries when another change won the pointers first, then refuses the now invalid move', async () => {
    const stages = { pk: 'PROJECT#adherence', sk: 'STAGES', staging: 4, production: null, revision: 1 };
    dynamo
      .on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'STAGES' } })
      .resolvesOnce({ Item: stages })
      .resolves({ Item: { ...stages, staging: null, production: 4, revision: 2 } });
    dynamo.on(GetCommand, { Key: { pk: 'PROJECT#adherence', sk: 'VERSION#000004' } }).resolves({ Item: { pk: 'PROJECT#adherence', sk: 'VERSION#000004', version: 4, stage: 'staging' } });
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    const invoking = stageHandler({ version: 4, stage: 'production', actor: 'dr.lee', reason: 'approved' }, context);

    await expect(invoking).rejects.toThrow('project adherence version 4 cannot move from production to production');
    expect(sent(PutCommand)).toHaveLength(1);
  });
});
