/**
 * The retraining-guard handler with mocked DynamoDB and S3: the conditional writes it sends
 * to the operations table, where it reads the cool-down from, and how it refuses bad input.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = { functionName: 'retraining-guard', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:retraining-guard' } as Context;
const KEY = { pk: 'PROJECT#adherence', sk: 'GUARD#RETRAINING' };
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:Training:run-2';
const OTHER = 'arn:aws:states:us-east-1:000000000000:execution:Training:run-1';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  Object.assign(process.env, {
    ARTIFACT_BUCKET: 'artifacts-bucket',
    PROJECT_NAME: 'adherence',
    OPERATIONS_TABLE: 'operations-table',
    MAX_RUN_MINUTES: '1440',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../../lambdas/retraining-guard/index'));
});

beforeEach(() => {
  dynamo.reset();
  s3.reset();
});

const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();
const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
const storedItem = (item: Record<string, unknown> | undefined) => dynamo.on(GetCommand, { TableName: 'operations-table', Key: KEY, ConsistentRead: true }).resolves({ Item: item && { ...KEY, ...item } });
const trainingJson = (config: object) =>
  s3.on(GetObjectCommand, { Bucket: 'artifacts-bucket', Key: 'projects/adherence/config/training.json' }).resolves({
    Body: { transformToByteArray: async () => new TextEncoder().encode(JSON.stringify(config)) },
  } as never);
const noSuchKey = () => s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));

describe('retraining-guard handler: acquire', () => {
  it('takes a free guard with a conditional first write, and starts the cool-down for an alarm run', async () => {
    storedItem(undefined);
    dynamo.on(PutCommand).resolves({});
    noSuchKey();

    const output = await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'alarm' }, context);

    expect(output).toEqual({ acquired: true });
    expect(puts()).toEqual([
      {
        TableName: 'operations-table',
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { ...KEY, revision: 1, runningExecution: EXECUTION, runningTrigger: 'alarm', runningSince: expect.any(String), coolDownFrom: expect.any(String), coolDownExecution: EXECUTION },
      },
    ]);
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toMatchObject({ Bucket: 'artifacts-bucket', Key: 'projects/adherence/config/training.json' });
  });

  it("refuses an alarm run within the project's configured cool-down, and writes nothing", async () => {
    storedItem({ revision: 4, coolDownFrom: minutesAgo(20), coolDownExecution: OTHER });
    trainingJson({ retraining: { coolDownMinutes: 30 } });

    const output = await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'alarm' }, context);

    expect(output).toMatchObject({ acquired: false, reason: 'cooling-down', blockingExecution: OTHER, message: expect.stringContaining(`(${OTHER}) started at`) });
    expect(puts()).toEqual([]);
  });

  it('lets the alarm run in once the configured cool-down has passed, on the revision it read', async () => {
    storedItem({ revision: 4, coolDownFrom: minutesAgo(20), coolDownExecution: OTHER });
    dynamo.on(PutCommand).resolves({});
    trainingJson({ retraining: { coolDownMinutes: 15 } });

    expect(await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'schedule' }, context)).toEqual({ acquired: true });
    expect(puts()[0]).toMatchObject({
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':revision': 4 },
      Item: { revision: 5, runningExecution: EXECUTION, runningTrigger: 'schedule', coolDownExecution: EXECUTION },
    });
  });

  it('uses the default cool-down (6 hours) when the project has no training.json', async () => {
    storedItem({ revision: 1, coolDownFrom: minutesAgo(300), coolDownExecution: OTHER });
    noSuchKey();

    expect(await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'alarm' }, context)).toMatchObject({ acquired: false, reason: 'cooling-down' });
  });

  it('does not read the configuration for a data drop (a bad training.json fails the split step, not the guard)', async () => {
    storedItem({ revision: 1, coolDownFrom: minutesAgo(1), coolDownExecution: OTHER });
    dynamo.on(PutCommand).resolves({});
    trainingJson({ retraining: { coolDownMinutes: 'soon' } });

    expect(await handler({ action: 'acquire', executionId: EXECUTION, trigger: 's3' }, context)).toEqual({ acquired: true });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    // The alarm's cool-down start is kept through the data drop's run.
    expect(puts()[0].Item).toMatchObject({ runningTrigger: 's3', coolDownExecution: OTHER });
  });

  it('loses a race to a concurrent writer and names the winner', async () => {
    dynamo.on(GetCommand).resolvesOnce({ Item: { ...KEY, revision: 2 } }).resolves({ Item: { ...KEY, revision: 3, runningExecution: OTHER, runningTrigger: 'alarm', runningSince: minutesAgo(0) } });
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    const output = await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'manual' }, context);

    expect(output).toMatchObject({ acquired: false, reason: 'running', blockingExecution: OTHER, message: expect.stringContaining(`retraining ${OTHER} (alarm, started`) });
    expect(puts()).toHaveLength(1);
  });

  it('takes over from a holder older than MAX_RUN_MINUTES', async () => {
    storedItem({ revision: 7, runningExecution: OTHER, runningTrigger: 'manual', runningSince: minutesAgo(1441) });
    dynamo.on(PutCommand).resolves({});

    expect(await handler({ action: 'acquire', executionId: EXECUTION, trigger: 'manual' }, context)).toEqual({ acquired: true });
    expect(puts()[0]).toMatchObject({ ExpressionAttributeValues: { ':revision': 7 }, Item: { revision: 8, runningExecution: EXECUTION } });
  });
});

describe('retraining-guard handler: release and bad input', () => {
  it("releases the caller's guard, keeping the cool-down start", async () => {
    const since = minutesAgo(5);
    storedItem({ revision: 3, runningExecution: EXECUTION, runningTrigger: 'alarm', runningSince: since, coolDownFrom: since, coolDownExecution: EXECUTION });
    dynamo.on(PutCommand).resolves({});

    expect(await handler({ action: 'release', executionId: EXECUTION }, context)).toEqual({ released: true });
    expect(puts()).toEqual([
      {
        TableName: 'operations-table',
        ConditionExpression: '#revision = :revision',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':revision': 3 },
        Item: { ...KEY, revision: 4, coolDownFrom: since, coolDownExecution: EXECUTION },
      },
    ]);
  });

  it('leaves a guard held by another run alone', async () => {
    storedItem({ revision: 3, runningExecution: OTHER, runningTrigger: 'manual', runningSince: minutesAgo(5) });

    expect(await handler({ action: 'release', executionId: EXECUTION }, context)).toEqual({ released: false });
    expect(puts()).toEqual([]);
  });

  it('refuses a bad step input naming the fields, before touching DynamoDB', async () => {
    await expect(handler({ action: 'acquire', executionId: EXECUTION, trigger: 'drift' }, context)).rejects.toThrow(
      'Invalid retraining guard step input: trigger: must be one of s3, schedule, alarm, manual',
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('refuses a stored guard item it did not write', async () => {
    storedItem({ revision: 'one', runningExecution: OTHER });

    await expect(handler({ action: 'release', executionId: EXECUTION }, context)).rejects.toThrow(/Invalid retraining guard item PROJECT#adherence\/GUARD#RETRAINING: revision: /);
  });
});
