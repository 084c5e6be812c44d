import type { InvokeResult } from '../../../local/runtime/lambda-runtime';
import {
  buildTaskOverrides,
  ConflictingTaskNameError,
  eventBridgeTaskAdapters,
  findTaskAdapter,
  lambdaTaskAdapters,
  LocalTopics,
  MAX_STATE_PAYLOAD_BYTES,
  planTaskOverrides,
  PublishedMessage,
  RESOURCES,
  snsTaskAdapters,
  TaskAdapters,
  TaskContext,
  TaskResourceNotSupportedError,
} from '../../../local/runtime/task-adapters';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Scorer';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:model-events';
const EXECUTION = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Training:run-1' };

function ctx(resource: string, stateName = 'State'): TaskContext {
  return { stateName, resource, executionArn: EXECUTION.executionArn };
}

function task(resource: string): Record<string, unknown> {
  return { Type: 'Task', Resource: resource, End: true };
}

/** Records what it was asked and answers like LambdaRuntime.invoke would for the given outcome. */
function recordingInvoker(outcome: Partial<InvokeResult> & { payload: unknown }) {
  const calls: Array<{ functionName: string; payload: unknown }> = [];
  return {
    calls,
    invoke: async (functionName: string, payload: unknown): Promise<InvokeResult> => {
      calls.push({ functionName, payload });
      return { requestId: 'req-1', executedVersion: '$LATEST', logs: ['line one', 'line two'], durationMs: 3, coldStart: false, ...outcome };
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('planTaskOverrides', () => {
  const adapters: TaskAdapters = { [RESOURCES.lambdaInvoke]: async () => 'ok' };

  it('refuses a Task whose Resource has no adapter, naming the state and the ARN', () => {
    // Prepare
    const definition = { StartAt: 'Train', States: { Train: task('arn:aws:states:::sagemaker:createTrainingJob.sync') } };

    // Act
    const plan = () => planTaskOverrides(definition, adapters);

    // Assess
    expect(plan).toThrow(TaskResourceNotSupportedError);
    expect(plan).toThrow('Task state Train uses Resource arn:aws:states:::sagemaker:createTrainingJob.sync, which has no local adapter');
  });

  it('refuses an unsupported Task inside a Map with its full path', () => {
    // Prepare
    const definition = {
      StartAt: 'ScoreChunks',
      States: {
        ScoreChunks: {
          Type: 'Map',
          End: true,
          ItemProcessor: { StartAt: 'Score', States: { Score: { ...task(RESOURCES.lambdaInvoke), Next: 'Archive', End: undefined }, Archive: task('arn:aws:states:::aws-sdk:s3:putObject') } },
        },
      },
    };

    // Act
    let error: unknown;
    try {
      planTaskOverrides(definition, adapters);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(TaskResourceNotSupportedError);
    expect(error).toMatchObject({ stateName: 'Archive', statePath: 'ScoreChunks > ItemProcessor > Archive', resource: 'arn:aws:states:::aws-sdk:s3:putObject' });
  });

  it('maps every Task at any depth, in Parallel branches and Map iterators, to its adapter by state name', () => {
    // Prepare
    const definition = {
      StartAt: 'Fanout',
      States: {
        Fanout: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Notify', States: { Notify: task(RESOURCES.snsPublish) } },
            { StartAt: 'Each', States: { Each: { Type: 'Map', End: true, Iterator: { StartAt: 'Score', States: { Score: task(FUNCTION_ARN) } } } } },
          ],
        },
      },
    };
    const topics = new LocalTopics();
    const all = { ...adapters, ...snsTaskAdapters(topics), ...lambdaTaskAdapters(recordingInvoker({ payload: 1 })) };

    // Act
    const plan = planTaskOverrides(definition, all);
    const overrides = buildTaskOverrides(definition, all, EXECUTION);

    // Assess
    expect(plan.map((t) => [t.path, t.resource])).toEqual([
      ['Fanout > Branches[0] > Notify', RESOURCES.snsPublish],
      ['Fanout > Branches[1] > Each > Iterator > Score', FUNCTION_ARN],
    ]);
    expect(Object.keys(overrides).sort()).toEqual(['Notify', 'Score']);
  });

  it('refuses two Tasks that share a name but not a Resource', () => {
    // Prepare
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Step', States: { Step: task(RESOURCES.lambdaInvoke) } },
            { StartAt: 'Step', States: { Step: task(RESOURCES.snsPublish) } },
          ],
        },
      },
    };

    // Act
    const plan = () => planTaskOverrides(definition, { ...adapters, ...snsTaskAdapters(new LocalTopics()) });

    // Assess
    expect(plan).toThrow(ConflictingTaskNameError);
  });
});

describe('findTaskAdapter', () => {
  it('matches exact ARNs, .sync variants only when registered, and bare function ARNs by pattern', () => {
    // Prepare
    const adapters = lambdaTaskAdapters(recordingInvoker({ payload: null }));
    const sync = async () => 'sync';
    const withSync = { ...adapters, 'arn:aws:states:::sagemaker:createTrainingJob.sync': sync };

    // Act + Assess
    expect(findTaskAdapter(adapters, RESOURCES.lambdaInvoke)).toBe(adapters[RESOURCES.lambdaInvoke]);
    expect(findTaskAdapter(adapters, `${FUNCTION_ARN}:live`)).toBeDefined();
    expect(findTaskAdapter(adapters, 'arn:aws:states:::lambda:invoke.waitForTaskToken')).toBeUndefined();
    expect(findTaskAdapter(withSync, 'arn:aws:states:::sagemaker:createTrainingJob.sync')).toBe(sync);
    expect(findTaskAdapter(withSync, 'arn:aws:states:::sagemaker:createTrainingJob')).toBeUndefined();
  });
});

describe('lambda adapters', () => {
  it('answers lambda:invoke with the service response shape around the function payload', async () => {
    // Prepare
    const invoker = recordingInvoker({ payload: { auc: 0.93 } });
    const adapter = lambdaTaskAdapters(invoker)[RESOURCES.lambdaInvoke];

    // Act
    const response = await adapter({ FunctionName: FUNCTION_ARN, Payload: { dataset: 's3://d/v1' } }, ctx(RESOURCES.lambdaInvoke));

    // Assess
    expect(invoker.calls).toEqual([{ functionName: FUNCTION_ARN, payload: { dataset: 's3://d/v1' } }]);
    expect(response).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { auc: 0.93 },
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': 'req-1' } },
      SdkResponseMetadata: { RequestId: 'req-1' },
    });
  });

  it('appends a Qualifier and returns the log tail when LogType is Tail', async () => {
    // Prepare
    const invoker = recordingInvoker({ payload: 'ok' });
    const adapter = lambdaTaskAdapters(invoker)[RESOURCES.lambdaInvoke];

    // Act
    const response = await adapter({ FunctionName: 'Scorer', Qualifier: 'live', Payload: {}, LogType: 'Tail' }, ctx(RESOURCES.lambdaInvoke));

    // Assess
    expect(invoker.calls[0].functionName).toBe('Scorer:live');
    expect(Buffer.from((response as { LogResult: string }).LogResult, 'base64').toString()).toBe('line one\nline two');
  });

  it('throws a function error with the errorType as name and the error payload JSON as cause', async () => {
    // Prepare
    const errorPayload = { errorType: 'DatasetValidationError', errorMessage: 'column age: not a number', trace: ['DatasetValidationError: column age: not a number'] };
    const adapter = lambdaTaskAdapters(recordingInvoker({ payload: errorPayload, functionError: 'Unhandled' }))[RESOURCES.lambdaInvoke];

    // Act
    const error = await rejection(adapter({ FunctionName: 'Validator', Payload: {} }, ctx(RESOURCES.lambdaInvoke)));

    // Assess
    expect(error.name).toBe('DatasetValidationError');
    expect(JSON.parse(error.message)).toEqual(errorPayload);
  });

  it('reports an unknown function as Lambda.ResourceNotFoundException', async () => {
    // Prepare
    const missing = {
      invoke: async (functionName: string): Promise<InvokeResult> => {
        throw Object.assign(new Error(`Function not found: ${functionName}`), { name: 'ResourceNotFoundException' });
      },
    };
    const adapter = lambdaTaskAdapters(missing)[RESOURCES.lambdaInvoke];

    // Act
    const error = await rejection(adapter({ FunctionName: 'Nope' }, ctx(RESOURCES.lambdaInvoke)));

    // Assess
    expect(error.name).toBe('Lambda.ResourceNotFoundException');
    expect(error.message).toMatch(/^Function not found: Nope \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException;/);
  });

  it('invokes a bare function ARN with the state input and returns only the payload', async () => {
    // Prepare
    const invoker = recordingInvoker({ payload: { scored: 3 } });
    const adapter = findTaskAdapter(lambdaTaskAdapters(invoker), FUNCTION_ARN)!;

    // Act
    const result = await adapter({ rows: 3 }, ctx(FUNCTION_ARN));

    // Assess
    expect(invoker.calls).toEqual([{ functionName: FUNCTION_ARN, payload: { rows: 3 } }]);
    expect(result).toEqual({ scored: 3 });
  });

  it('fails the state with States.DataLimitExceeded when a result exceeds 256 KiB', async () => {
    // Prepare
    const big = 'x'.repeat(MAX_STATE_PAYLOAD_BYTES);
    const definition = { StartAt: 'Score', States: { Score: task(FUNCTION_ARN) } };
    const overrides = buildTaskOverrides(definition, lambdaTaskAdapters(recordingInvoker({ payload: big })), EXECUTION);

    // Act
    const error = await rejection(Promise.resolve(overrides.Score({})));

    // Assess
    expect(error.name).toBe('States.DataLimitExceeded');
  });
});

describe('LocalTopics and sns:publish', () => {
  it('keeps published messages per topic, JSON messages as text, and tells subscribers', async () => {
    // Prepare
    const topics = new LocalTopics({ newId: () => 'msg-1', clock: () => new Date('2025-01-02T03:04:05Z') });
    topics.createTopic(TOPIC_ARN);
    const delivered: PublishedMessage[] = [];
    topics.subscribe(TOPIC_ARN, (message) => {
      delivered.push(message);
    });
    const adapter = snsTaskAdapters(topics)[RESOURCES.snsPublish];

    // Act
    const response = await adapter(
      { TopicArn: TOPIC_ARN, Subject: 'Model promoted', Message: { model: 'churn', version: 4 }, MessageAttributes: { stage: { DataType: 'String', StringValue: 'staging' } } },
      ctx(RESOURCES.snsPublish, 'Notify'),
    );
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    const expected = {
      TopicArn: TOPIC_ARN,
      Subject: 'Model promoted',
      Message: '{"model":"churn","version":4}',
      MessageAttributes: { stage: { DataType: 'String', StringValue: 'staging' } },
      MessageId: 'msg-1',
      Timestamp: '2025-01-02T03:04:05.000Z',
    };
    expect(response).toMatchObject({ MessageId: 'msg-1', SdkHttpMetadata: { HttpStatusCode: 200 } });
    expect(topics.messages(TOPIC_ARN)).toEqual([expected]);
    expect(delivered).toEqual([expected]);
  });

  it('fails with SNS.NotFoundException for a topic the template never created', async () => {
    // Prepare
    const adapter = snsTaskAdapters(new LocalTopics())[RESOURCES.snsPublish];

    // Act
    const error = await rejection(adapter({ TopicArn: TOPIC_ARN, Message: 'hi' }, ctx(RESOURCES.snsPublish)));

    // Assess
    expect(error.name).toBe('SNS.NotFoundException');
  });

  it('reports a subscriber that throws without failing the publish', async () => {
    // Prepare
    const failures: unknown[] = [];
    const topics = new LocalTopics({ onSubscriberError: (error) => failures.push(error) });
    topics.createTopic(TOPIC_ARN);
    topics.subscribe(TOPIC_ARN, () => {
      throw new Error('subscriber down');
    });

    // Act
    const published = topics.publish({ TopicArn: TOPIC_ARN, Message: 'hello' });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(published.Message).toBe('hello');
    expect(failures).toEqual([new Error('subscriber down')]);
  });
});

describe('events:putEvents', () => {
  it('sends entries with a JSON Detail as text and returns the entry ids', async () => {
    // Prepare
    const sent: unknown[] = [];
    const adapter = eventBridgeTaskAdapters((entries) => {
      sent.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${i}` })) };
    })[RESOURCES.putEvents];

    // Act
    const response = await adapter({ Entries: [{ Source: 'lumina.training', DetailType: 'Model Registered', Detail: { version: 4 } }] }, ctx(RESOURCES.putEvents));

    // Assess
    expect(sent).toEqual([expect.objectContaining({ Source: 'lumina.training', DetailType: 'Model Registered', Detail: '{"version":4}' })]);
    expect(response).toMatchObject({ Entries: [{ EventId: 'event-0' }], FailedEntryCount: 0 });
  });

  it('fails with EventBridge.FailedEntry when the bus rejects an entry', async () => {
    // Prepare
    const adapter = eventBridgeTaskAdapters(() => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }] }))[RESOURCES.putEvents];

    // Act
    const error = await rejection(adapter({ Entries: [{ Source: 's', DetailType: 'd', Detail: 'not json' }] }, ctx(RESOURCES.putEvents)));

    // Assess
    expect(error.name).toBe('EventBridge.FailedEntry');
    expect(JSON.parse(error.message)).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }] });
  });
});
