import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ExecutionAlreadyExistsError,
  ExecutionService,
  InvalidNameError,
  StateMachineDoesNotExistError,
} from '../../../local/runtime/execution-service';
import {
  LocalTopics,
  RESOURCES,
  snsTaskAdapters,
  StatesTaskError,
  stepFunctionsTaskAdapters,
  TaskAdapters,
  TaskResourceNotSupportedError,
} from '../../../local/runtime/task-adapters';

const ACCOUNT = 'arn:aws:states:us-east-1:123456789012';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:pipeline-events';
const ECHO = 'arn:aws:states:::lambda:invoke';
const GATE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

function machineArn(name: string): string {
  return `${ACCOUNT}:stateMachine:${name}`;
}

/** A Task adapter that returns its Parameters, so a test can see what the engine evaluated. */
const echoAdapters: TaskAdapters = { [ECHO]: async (params) => params };

/** Echoes $$ and the input, then records a metric through SNS. */
const CONTEXT_DEFINITION = {
  StartAt: 'Echo',
  States: {
    Echo: {
      Type: 'Task',
      Resource: ECHO,
      Parameters: {
        'executionId.$': '$$.Execution.Id',
        'executionName.$': '$$.Execution.Name',
        'executionInput.$': '$$.Execution.Input',
        'startTime.$': '$$.Execution.StartTime',
        'machineId.$': '$$.StateMachine.Id',
        'machineName.$': '$$.StateMachine.Name',
      },
      Next: 'Notify',
    },
    Notify: { Type: 'Task', Resource: RESOURCES.snsPublish, Parameters: { TopicArn: TOPIC_ARN, 'Message.$': '$' }, ResultPath: null, End: true },
  },
};

const FAILING_DEFINITION = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Fine' }], Default: 'Reject' },
    Fine: { Type: 'Succeed' },
    Reject: { Type: 'Fail', Error: 'Dataset.Rejected', Cause: 'too many missing values' },
  },
};

/** Flaky twice (retried), then an uncaught custom error from the second Task. */
function retryingAdapters(): TaskAdapters {
  let attempts = 0;
  return {
    [ECHO]: async (params) => {
      attempts += 1;
      if (attempts <= 2) throw new StatesTaskError('Lambda.ServiceException', 'try again');
      return params;
    },
    [RESOURCES.snsPublish]: async () => {
      throw new StatesTaskError('ModelConversionError', '{"errorMessage":"tree 3 has no leaves"}');
    },
  };
}

const RETRYING_DEFINITION = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: ECHO, Parameters: { step: 'prepare' }, Retry: [{ ErrorEquals: ['Lambda.ServiceException'], MaxAttempts: 3, IntervalSeconds: 5 }], Next: 'Convert' },
    Convert: { Type: 'Task', Resource: RESOURCES.snsPublish, End: true },
  },
};

/** Waits on a Task that only finishes when the test releases it. */
function gatedAdapters(): { adapters: TaskAdapters; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { adapters: { [GATE]: async () => gate.then(() => ({ released: true })) }, release: () => release() };
}

const GATED_DEFINITION = { StartAt: 'Hold', States: { Hold: { Type: 'Task', Resource: GATE, End: true } } };

describe('ExecutionService', () => {
  let topics: LocalTopics;
  let service: ExecutionService;

  beforeEach(() => {
    topics = new LocalTopics();
    topics.createTopic(TOPIC_ARN);
    service = new ExecutionService({ retryIntervalMs: 0 });
  });

  afterEach(async () => {
    await service.close();
  });

  it('runs an execution in the background and describes it as SUCCEEDED with a correct $$ context', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Training'), name: 'Training', definition: CONTEXT_DEFINITION, adapters: { ...echoAdapters, ...snsTaskAdapters(topics) } });

    // Act
    const { executionArn, startDate } = await service.startExecution(machineArn('Training'), { dataset: 'v3' }, 'run-1');
    const running = service.describeExecution(executionArn).status;
    const done = await service.waitForExecution(executionArn, { timeoutMs: 10_000 });

    // Assess
    expect(running).toBe('RUNNING');
    expect(executionArn).toBe(`${ACCOUNT}:execution:Training:run-1`);
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'run-1', stateMachineArn: machineArn('Training'), input: { dataset: 'v3' }, startDate });
    const { startTime, ...context } = done.output as { startTime: string };
    expect(context).toEqual({
      executionId: executionArn,
      executionName: 'run-1',
      executionInput: { dataset: 'v3' },
      machineId: machineArn('Training'),
      machineName: 'Training',
    });
    // The engine reads the clock for $$.Execution.StartTime just after it stamps the
    // ExecutionStarted event (startDate): the same millisecond or a later one, never earlier
    const lag = Date.parse(startTime) - startDate.getTime();
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1000);
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(startDate.getTime());
    expect(JSON.parse(topics.messages(TOPIC_ARN)[0].Message)).toEqual(done.output);
  });

  it('refuses, when the machine is created, a definition the engine would ignore or fail on mid-run', () => {
    const definition = {
      StartAt: 'Stamp',
      States: {
        Stamp: { Type: 'Pass', Parameters: { 'at.$': '$$.State.EnteredTime' }, Next: 'Shape' },
        Shape: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input %}', End: true },
      },
    };
    expect(() => service.createStateMachine({ arn: machineArn('Odd'), name: 'Odd', definition, adapters: {} })).toThrow(
      expect.objectContaining({ name: 'UnsupportedDefinitionError', message: expect.stringMatching(/Odd cannot run locally:[\s\S]*Stamp: reads \$\$\.State\.EnteredTime[\s\S]*Shape: uses QueryLanguage JSONata/) }),
    );
    expect(service.listStateMachines().map((m) => m.name)).not.toContain('Odd');
  });

  it('describes a Fail state as FAILED with its Error and Cause', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });

    // Act
    const { executionArn } = await service.startExecution(machineArn('Gate'), { ok: false });
    const done = await service.waitForExecution(executionArn);

    // Assess
    expect(done).toMatchObject({ status: 'FAILED', error: 'Dataset.Rejected', cause: 'too many missing values' });
    expect(done.output).toBeUndefined();
  });

  it('records retries and the uncaught Task error in a simplified history', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Convert'), name: 'Convert', definition: RETRYING_DEFINITION, adapters: retryingAdapters() });

    // Act
    const { executionArn } = await service.startExecution(machineArn('Convert'), {});
    const done = await service.waitForExecution(executionArn);
    const history = service.getExecutionHistory(executionArn);

    // Assess
    expect(done).toMatchObject({ status: 'FAILED', error: 'ModelConversionError', cause: '{"errorMessage":"tree 3 has no leaves"}' });
    expect(history.map((e) => [e.type, e.stateName ?? null])).toEqual([
      ['ExecutionStarted', null],
      ['StateEntered', 'Prepare'],
      ['StateFailed', 'Prepare'],
      ['StateRetried', 'Prepare'],
      ['StateFailed', 'Prepare'],
      ['StateRetried', 'Prepare'],
      ['StateExited', 'Prepare'],
      ['StateEntered', 'Convert'],
      ['StateFailed', 'Convert'],
      ['ExecutionFailed', null],
    ]);
    expect(history.find((e) => e.type === 'StateRetried' && e.retryAttempt === 2)).toBeDefined();
    expect(history.at(-1)).toMatchObject({ error: 'ModelConversionError' });
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
  });

  it('refuses a second execution with the same name, but answers a repeated start of a running one', async () => {
    // Prepare
    const { adapters, release } = gatedAdapters();
    service.createStateMachine({ arn: machineArn('Hold'), name: 'Hold', definition: GATED_DEFINITION, adapters });
    const first = await service.startExecution(machineArn('Hold'), { n: 1 }, 'nightly');

    // Act
    const repeated = await service.startExecution(machineArn('Hold'), { n: 1 }, 'nightly');
    const differentInput = service.startExecution(machineArn('Hold'), { n: 2 }, 'nightly');
    release();
    await service.waitForExecution(first.executionArn);
    const afterFinish = service.startExecution(machineArn('Hold'), { n: 1 }, 'nightly');

    // Assess
    expect(repeated).toEqual(first);
    await expect(differentInput).rejects.toBeInstanceOf(ExecutionAlreadyExistsError);
    await expect(afterFinish).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('stops a running execution as ABORTED with the given error and cause', async () => {
    // Prepare
    const { adapters } = gatedAdapters();
    service.createStateMachine({ arn: machineArn('Hold'), name: 'Hold', definition: GATED_DEFINITION, adapters });
    const { executionArn } = await service.startExecution(machineArn('Hold'), {});

    // Act
    const stopped = await service.stopExecution(executionArn, { error: 'Operator', cause: 'wrong dataset' });

    // Assess
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'wrong dataset' });
    expect(service.getExecutionHistory(executionArn).at(-1)?.type).toBe('ExecutionAborted');
  });

  it('lists executions newest first and filters by status', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });
    const a = await service.startExecution(machineArn('Gate'), { ok: true }, 'a');
    await service.waitForExecution(a.executionArn);
    const b = await service.startExecution(machineArn('Gate'), { ok: false }, 'b');
    await service.waitForExecution(b.executionArn);

    // Act
    const all = service.listExecutions(machineArn('Gate'));
    const failed = service.listExecutions(machineArn('Gate'), { status: 'FAILED' });

    // Assess
    expect(all.map((e) => [e.name, e.status])).toEqual([
      ['b', 'FAILED'],
      ['a', 'SUCCEEDED'],
    ]);
    expect(failed.map((e) => e.name)).toEqual(['b']);
  });

  it('runs a child state machine through startExecution.sync:2 and fails the parent Task with States.TaskFailed when the child fails', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });
    const parent = {
      StartAt: 'Child',
      States: {
        Child: {
          Type: 'Task',
          Resource: RESOURCES.startExecutionSync2,
          Parameters: { StateMachineArn: machineArn('Gate'), 'Input.$': '$', 'Name.$': '$.name' },
          ResultSelector: { 'Status.$': '$.Status', 'Output.$': '$.Output' },
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.childFailure', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Pass', End: true },
      },
    };
    service.createStateMachine({ arn: machineArn('Parent'), name: 'Parent', definition: parent, adapters: stepFunctionsTaskAdapters(service) });

    // Act
    const ok = await service.waitForExecution((await service.startExecution(machineArn('Parent'), { ok: true, name: 'child-ok' })).executionArn);
    const bad = await service.waitForExecution((await service.startExecution(machineArn('Parent'), { ok: false, name: 'child-bad' })).executionArn);

    // Assess
    expect(ok.output).toEqual({ Status: 'SUCCEEDED', Output: { ok: true, name: 'child-ok' } });
    const failure = (bad.output as { childFailure: { Error: string; Cause: string } }).childFailure;
    expect(failure.Error).toBe('States.TaskFailed');
    expect(JSON.parse(failure.Cause)).toMatchObject({ Status: 'FAILED', Error: 'Dataset.Rejected', Name: 'child-bad', ExecutionArn: `${ACCOUNT}:execution:Gate:child-bad` });
  });

  it('refuses a state machine whose Map holds a Task without a local adapter', () => {
    // Prepare
    const definition = {
      StartAt: 'Each',
      States: { Each: { Type: 'Map', End: true, ItemProcessor: { StartAt: 'Train', States: { Train: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', End: true } } } } },
    };

    // Act
    const create = () => service.createStateMachine({ arn: machineArn('Tuning'), name: 'Tuning', definition, adapters: echoAdapters });

    // Assess
    expect(create).toThrow(TaskResourceNotSupportedError);
    expect(create).toThrow(/Each > ItemProcessor > Train .*sagemaker:createTrainingJob\.sync/);
  });

  it('refuses unknown state machines and invalid execution names like the service', async () => {
    // Prepare
    service.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });

    // Act
    const unknown = service.startExecution(machineArn('Nope'), {});
    const badName = service.startExecution(machineArn('Gate'), {}, 'has space');

    // Assess
    await expect(unknown).rejects.toBeInstanceOf(StateMachineDoesNotExistError);
    await expect(badName).rejects.toBeInstanceOf(InvalidNameError);
  });
});

describe('ExecutionService persistence', () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'lumina-executions-'));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('lists and describes finished executions after a restart, with their history', async () => {
    // Prepare
    const first = new ExecutionService({ stateDir });
    first.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });
    const { executionArn } = await first.startExecution(machineArn('Gate'), { ok: false }, 'rejected-run');
    const original = await first.waitForExecution(executionArn);
    await first.close();

    // Act
    const second = new ExecutionService({ stateDir });
    const listed = second.listExecutions();
    const described = second.describeExecution(executionArn);
    const history = second.getExecutionHistory(executionArn);
    await second.close();

    // Assess
    expect(listed.map((e) => e.executionArn)).toEqual([executionArn]);
    expect(described).toEqual(original);
    expect(history.map((e) => e.type)).toEqual(['ExecutionStarted', 'StateEntered', 'StateExited', 'StateEntered', 'StateFailed', 'ExecutionFailed']);
    expect(await readdir(join(stateDir, 'executions', 'Gate'))).toEqual(['rejected-run.json']);
  });

  it('marks an execution that was running when its process went away as ABORTED', async () => {
    // Prepare
    const { adapters, release } = gatedAdapters();
    const crashed = new ExecutionService({ stateDir });
    crashed.createStateMachine({ arn: machineArn('Hold'), name: 'Hold', definition: GATED_DEFINITION, adapters });
    try {
      const { executionArn } = await crashed.startExecution(machineArn('Hold'), {}, 'interrupted');
      await crashed.flush();

      // Act
      const restarted = new ExecutionService({ stateDir });
      const described = restarted.describeExecution(executionArn);
      await restarted.flush();
      const persisted = JSON.parse(await readFile(join(stateDir, 'executions', 'Hold', 'interrupted.json'), 'utf8'));

      // Assess
      expect(described).toMatchObject({ status: 'ABORTED', error: 'Local.ProcessExited' });
      expect(described.stopDate).toBeInstanceOf(Date);
      expect(persisted.status).toBe('ABORTED');
    } finally {
      release();
      await crashed.close();
    }
  });

  it('caps the persisted history and keeps the last event', async () => {
    // Prepare
    const service = new ExecutionService({ stateDir, persistedHistoryEvents: 3 });
    service.createStateMachine({ arn: machineArn('Gate'), name: 'Gate', definition: FAILING_DEFINITION, adapters: {} });
    const { executionArn } = await service.startExecution(machineArn('Gate'), { ok: true }, 'short');
    await service.waitForExecution(executionArn);
    await service.close();

    // Act
    const persisted = JSON.parse(await readFile(join(stateDir, 'executions', 'Gate', 'short.json'), 'utf8'));

    // Assess
    expect(persisted.historyEventCount).toBe(6);
    expect(persisted.historyTruncated).toBe(true);
    expect(persisted.history.map((e: { type: string }) => e.type)).toEqual(['ExecutionStarted', 'StateEntered', 'ExecutionSucceeded']);
  });
});
