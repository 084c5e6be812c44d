import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import { build } from 'esbuild';
import { awsClientConfig, RunningEmulators, startEmulators } from '../../../local/runtime/emulators';
import { LambdaRuntime } from '../../../local/runtime/lambda-runtime';
import { buildTaskOverrides, dynamoDbTaskAdapters, lambdaTaskAdapters, RESOURCES, TaskAdapters } from '../../../local/runtime/task-adapters';

const EXECUTION = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1' };
const FUNCTION_ARN = (name: string): string => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

/** CDK's retry block for LambdaInvoke, as synthesized. */
const CDK_LAMBDA_RETRY = {
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
};

let workDir: string;
let runtime: LambdaRuntime;
let emulators: RunningEmulators;
let dynamo: DynamoDBClient;
let adapters: TaskAdapters;

async function bundle(name: string, source: string): Promise<string> {
  const sourceFile = join(workDir, `${name}.ts`);
  const assetDir = join(workDir, `asset.${name}`);
  await mkdir(assetDir, { recursive: true });
  await writeFile(sourceFile, source);
  await build({ entryPoints: [sourceFile], bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile: join(assetDir, 'index.js'), logLevel: 'silent' });
  return assetDir;
}

type Definition = ConstructorParameters<typeof StateMachine>[0];
type Input = Parameters<StateMachine['run']>[0];

/** Runs a definition as the local cloud receives it: plain JSON resolved from the template. */
function run(literal: object, input: Input) {
  const definition: Definition = JSON.parse(JSON.stringify(literal));
  const machine = new StateMachine(definition);
  const overrides = buildTaskOverrides(definition, adapters, EXECUTION);
  return machine.run(input, { overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: retryOverrides(definition) } }).result;
}

/** Retry without waiting, for every top-level state that has a Retry. */
function retryOverrides(definition: Definition): Record<string, number> {
  return Object.fromEntries(Object.entries(definition.States).filter(([, state]) => 'Retry' in state).map(([name]) => [name, 0]));
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'lumina-task-adapters-'));
  emulators = await startEmulators();
  dynamo = new DynamoDBClient(awsClientConfig(emulators).dynamodb);
  await dynamo.send(
    new CreateTableCommand({
      TableName: 'Registry',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  runtime = new LambdaRuntime();
  const flaky = await bundle(
    'flaky',
    `class ModelNotReady extends Error { constructor(m: string) { super(m); this.name = 'ModelNotReady'; } }
     let calls = 0;
     export const handler = async (event: { failTimes: number }) => {
       calls += 1;
       if (calls <= event.failTimes) throw new ModelNotReady('attempt ' + calls + ' too early');
       return { calls };
     };`,
  );
  const validator = await bundle(
    'validator',
    `class DatasetValidationError extends Error { constructor(m: string) { super(m); this.name = 'DatasetValidationError'; } }
     export const handler = async (event: { column: string }) => { throw new DatasetValidationError('column ' + event.column + ': not a number'); };`,
  );
  const scorer = await bundle('scorer', `export const handler = async (event: { rows: number[] }) => ({ scored: event.rows.length });`);
  runtime.register({ name: 'Flaky', arn: FUNCTION_ARN('Flaky'), assetDir: flaky, maxConcurrency: 1 });
  runtime.register({ name: 'Validator', arn: FUNCTION_ARN('Validator'), assetDir: validator });
  runtime.register({ name: 'Scorer', arn: FUNCTION_ARN('Scorer'), assetDir: scorer });
  adapters = { ...lambdaTaskAdapters(runtime), ...dynamoDbTaskAdapters(dynamo) };
});

afterAll(async () => {
  await runtime.close();
  dynamo.destroy();
  await emulators.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('lambda:invoke under aws-local-stepfunctions', () => {
  it('returns the service response with Payload.$ selectable, as CDK definitions expect', async () => {
    // Prepare
    const definition = {
      StartAt: 'Score',
      States: {
        Score: {
          Type: 'Task',
          Resource: RESOURCES.lambdaInvoke,
          Parameters: { FunctionName: FUNCTION_ARN('Scorer'), 'Payload.$': '$' },
          ResultSelector: { 'Payload.$': '$.Payload', 'StatusCode.$': '$.StatusCode', 'ExecutedVersion.$': '$.ExecutedVersion' },
          Retry: [CDK_LAMBDA_RETRY],
          End: true,
        },
      },
    };

    // Act
    const output = await run(definition, { rows: [1, 2, 3] });

    // Assess
    expect(output).toEqual({ Payload: { scored: 3 }, StatusCode: 200, ExecutedVersion: '$LATEST' });
  });

  it('retries a function error by its errorType and succeeds on a later attempt', async () => {
    // Prepare
    const definition = {
      StartAt: 'Warm',
      States: {
        Warm: {
          Type: 'Task',
          Resource: RESOURCES.lambdaInvoke,
          Parameters: { FunctionName: 'Flaky', 'Payload.$': '$' },
          OutputPath: '$.Payload',
          Retry: [CDK_LAMBDA_RETRY, { ErrorEquals: ['ModelNotReady'], MaxAttempts: 2, IntervalSeconds: 1 }],
          End: true,
        },
      },
    };

    // Act
    const output = await run(definition, { failTimes: 2 });

    // Assess
    expect(output).toEqual({ calls: 3 });
  });

  it('catches a function error with Error = errorType and Cause = the error payload JSON', async () => {
    // Prepare
    const definition = {
      StartAt: 'Validate',
      States: {
        Validate: {
          Type: 'Task',
          Resource: RESOURCES.lambdaInvoke,
          Parameters: { FunctionName: FUNCTION_ARN('Validator'), 'Payload.$': '$' },
          Retry: [CDK_LAMBDA_RETRY],
          Catch: [{ ErrorEquals: ['DatasetValidationError'], ResultPath: '$.failure', Next: 'RecordFailure' }],
          End: true,
        },
        RecordFailure: { Type: 'Pass', End: true },
      },
    };

    // Act
    const output = (await run(definition, { column: 'age' })) as { failure: { Error: string; Cause: string } };

    // Assess
    expect(output.failure.Error).toBe('DatasetValidationError');
    expect(JSON.parse(output.failure.Cause)).toMatchObject({
      errorType: 'DatasetValidationError',
      errorMessage: 'column age: not a number',
      trace: expect.arrayContaining([expect.stringContaining('DatasetValidationError: column age: not a number')]),
    });
  });

  it('lets States.ALL catch an unknown function as Lambda.ResourceNotFoundException', async () => {
    // Prepare
    const definition = {
      StartAt: 'Call',
      States: {
        Call: { Type: 'Task', Resource: RESOURCES.lambdaInvoke, Parameters: { FunctionName: 'Missing', Payload: {} }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }], End: true },
        Handled: { Type: 'Pass', End: true },
      },
    };

    // Act
    const output = (await run(definition, {})) as { Error: string };

    // Assess
    expect(output.Error).toBe('Lambda.ResourceNotFoundException');
  });
});

describe('dynamodb:* under aws-local-stepfunctions', () => {
  it('puts, gets and atomically updates an item, and reports a failed condition by its service name', async () => {
    // Prepare
    const definition = {
      StartAt: 'Put',
      States: {
        Put: {
          Type: 'Task',
          Resource: RESOURCES.dynamodbPutItem,
          Parameters: { TableName: 'Registry', Item: { pk: { 'S.$': '$.model' }, stage: { S: 'staging' }, blob: { B: 'AAEC' } }, ConditionExpression: 'attribute_not_exists(pk)' },
          ResultPath: '$.put',
          Next: 'Get',
        },
        Get: {
          Type: 'Task',
          Resource: RESOURCES.dynamodbGetItem,
          Parameters: { TableName: 'Registry', Key: { pk: { 'S.$': '$.model' } } },
          ResultSelector: { 'Item.$': '$.Item', 'Status.$': '$.SdkHttpMetadata.HttpStatusCode' },
          ResultPath: '$.got',
          Next: 'Bump',
        },
        Bump: {
          Type: 'Task',
          Resource: RESOURCES.dynamodbUpdateItem,
          Parameters: {
            TableName: 'Registry',
            Key: { pk: { 'S.$': '$.model' } },
            UpdateExpression: 'ADD #v :one',
            ExpressionAttributeNames: { '#v': 'latestVersion' },
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'UPDATED_NEW',
          },
          ResultSelector: { 'Attributes.$': '$.Attributes' },
          ResultPath: '$.bumped',
          Next: 'PutAgain',
        },
        PutAgain: {
          Type: 'Task',
          Resource: RESOURCES.dynamodbPutItem,
          Parameters: { TableName: 'Registry', Item: { pk: { 'S.$': '$.model' } }, ConditionExpression: 'attribute_not_exists(pk)' },
          Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.conflict', Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Pass', End: true },
      },
    };

    // Act
    const output = (await run(definition, { model: 'churn' })) as Record<string, { [key: string]: unknown }>;
    const stored = await dynamo.send(new GetItemCommand({ TableName: 'Registry', Key: { pk: { S: 'churn' } } }));

    // Assess
    expect(output.put).toMatchObject({ SdkHttpMetadata: { HttpStatusCode: 200 } });
    expect(output.got).toEqual({ Item: { pk: { S: 'churn' }, stage: { S: 'staging' }, blob: { B: 'AAEC' } }, Status: 200 });
    expect(output.bumped).toEqual({ Attributes: { latestVersion: { N: '1' } } });
    expect(output.conflict.Error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(output.conflict.Cause).toMatch(/^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;/);
    expect(Buffer.from(stored.Item!.blob.B!).toString('base64')).toBe('AAEC');
  });
});
