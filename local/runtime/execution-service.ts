/**
 * A small local Step Functions service over aws-local-stepfunctions: state machines are built
 * once per definition, executions run in the background with every Task routed to a local
 * adapter, and each execution can be described, listed, waited for, stopped and read back as a
 * simplified history. With a stateDir, execution records survive a restart of the local cloud.
 *
 * Where aws-local-stepfunctions 3.0.0 departs from the service, the service wins here:
 * - a Task without TimeoutSeconds is unbounded in the service but 60 s in the engine, so such
 *   Tasks get the longest timeout a Node timer allows (about 24.8 days).
 * Known engine limits that remain:
 * - the engine reads the clock twice as it starts, once for the ExecutionStarted event (this
 *   service's startDate) and once for `$$.Execution.StartTime`, which can be a millisecond or
 *   more later (the service gives both the same instant);
 * - inside a Map iteration or Parallel branch the engine sets `$$.Execution.Input` and
 *   `$$.Execution.StartTime` to the iteration's own input and start time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  bindTaskOverrides,
  type ExecutionOutcome,
  type ExecutionStatus,
  type PlannedTask,
  planTaskOverrides,
  type StepFunctionsBackend,
  TaskAbortedError,
  type TaskAdapters,
} from './task-adapters';
import { checkDefinition, UnsupportedDefinitionError } from '../step-functions/definition-check';

export type { ExecutionStatus };

export interface StateMachineSpec {
  readonly arn: string;
  readonly name: string;
  /** The resolved ASL definition as a plain object. */
  readonly definition: object;
  readonly adapters: TaskAdapters;
  /** Shown as `$$.Execution.RoleArn`. @default - not set */
  readonly roleArn?: string;
}

export type ExecutionDescription = ExecutionOutcome;

export interface ExecutionSummary {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
}

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimeout'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'ParallelBranchStarted'
  | 'ParallelBranchSucceeded'
  | 'ParallelBranchFailed'
  | 'StateEntered'
  | 'StateExited'
  | 'StateFailed'
  | 'StateRetried'
  | 'StateCaught';

/** One entry of an execution's history, simplified from the engine's event log. */
export interface HistoryEvent {
  /** 1-based, in the order the engine reported them. */
  readonly id: number;
  readonly timestamp: string;
  readonly type: HistoryEventType;
  readonly stateName?: string;
  readonly stateType?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** For StateRetried: which retry this is (1 = first retry). */
  readonly retryAttempt?: number;
  /** Inside a Map: the iteration index. */
  readonly mapIndex?: number;
  /** For Map iteration and Parallel branch events: the Map or Parallel state. */
  readonly parentStateName?: string;
}

export interface ExecutionServiceOptions {
  /** Persist execution records under `<stateDir>/executions/`. @default - in memory only */
  readonly stateDir?: string;
  /** Replaces every Retry interval (e.g. 0 in tests). @default - the definition's intervals */
  readonly retryIntervalMs?: number;
  /** Replaces every Wait state's duration. @default - the definition's waits */
  readonly waitTimeMs?: number;
  /** History events kept in memory per execution (the service fails executions past 25,000). @default 25000 */
  readonly maxHistoryEvents?: number;
  /** History events written to each persisted record, without inputs and outputs. @default 500 */
  readonly persistedHistoryEvents?: number;
  /** Called when an execution starts and when it ends (e.g. to emit EventBridge status-change events). */
  readonly onStatusChange?: (execution: ExecutionDescription) => void;
}

/** Service-named errors, so a control server can answer with the API's error codes. */
export class StepFunctionsServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
export class StateMachineDoesNotExistError extends StepFunctionsServiceError {
  constructor(readonly stateMachineArn: string) {
    super('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
  }
}
export class ExecutionDoesNotExistError extends StepFunctionsServiceError {
  constructor(readonly executionArn: string) {
    super('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  }
}
export class ExecutionAlreadyExistsError extends StepFunctionsServiceError {
  constructor(readonly executionArn: string) {
    super('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
  }
}
export class InvalidNameError extends StepFunctionsServiceError {
  constructor(name: string, reason: string) {
    super('InvalidName', `Invalid Name: '${name}' ${reason}`);
  }
}
export class InvalidArnError extends StepFunctionsServiceError {
  constructor(arn: string, reason: string) {
    super('InvalidArn', `Invalid Arn: '${arn}' ${reason}`);
  }
}
export class InvalidDefinitionError extends StepFunctionsServiceError {
  constructor(stateMachineArn: string, reason: string) {
    super('InvalidDefinition', `Invalid State Machine Definition for ${stateMachineArn}: ${reason}`);
  }
}
export class ExecutionWaitTimeoutError extends Error {
  constructor(
    readonly executionArn: string,
    readonly timeoutMs: number,
  ) {
    super(`Execution ${executionArn} was still running after ${timeoutMs} ms`);
    this.name = 'ExecutionWaitTimeoutError';
  }
}

/** The longest a Node timer can wait; stands in for the service's unbounded Task timeout. */
const UNBOUNDED_TASK_TIMEOUT_SECONDS = 2_147_483;
const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([^:]*):([^:]*):stateMachine:([^:]+)$/;
const INVALID_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

interface RegisteredMachine {
  readonly spec: StateMachineSpec;
  readonly definitionText: string;
  readonly machine: StateMachine;
  readonly plan: readonly PlannedTask[];
  readonly retryStates: readonly string[];
  readonly waitStates: readonly string[];
}

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  historyEventCount: number;
  /** Start order, to order executions that started within the same millisecond. */
  sequence: number;
  abort?: () => void;
  stopRequest?: { error?: string; cause?: string };
  done: Promise<void>;
}

interface PersistedRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  historyEventCount: number;
  historyTruncated: boolean;
  history: HistoryEvent[];
}

type EngineEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export class ExecutionService implements StepFunctionsBackend {
  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly writes = new Map<string, Promise<void>>();
  private sequence = 0;

  constructor(private readonly options: ExecutionServiceOptions = {}) {
    if (options.stateDir) this.loadPersisted(join(options.stateDir, 'executions'));
  }

  /**
   * Registers (or replaces) a state machine. Every Task must have an adapter, or this throws
   * TaskResourceNotSupportedError naming the state and its Resource. Running executions keep the
   * definition they started with.
   */
  createStateMachine(spec: StateMachineSpec): void {
    const parsed = STATE_MACHINE_ARN.exec(spec.arn);
    if (!parsed) throw new InvalidArnError(spec.arn, 'is not a state machine ARN');
    // Refuse up front what the engine would ignore or fail on mid-run (JSONata, variables, Distributed
    // Map, $$.State/$$.Task); Task resources and names are checked by the plan, with its own errors.
    const problems = checkDefinition(spec.definition, Object.keys(spec.adapters)).filter((p) => p.kind !== 'unsupported-resource' && p.kind !== 'duplicate-task-name');
    if (problems.length > 0) throw new UnsupportedDefinitionError(problems, spec.name);
    const plan = planTaskOverrides(spec.definition, spec.adapters);
    const definitionText = JSON.stringify(spec.definition);
    const existing = this.machines.get(spec.arn);
    let machine: StateMachine;
    if (existing && existing.definitionText === definitionText) {
      machine = existing.machine;
    } else {
      try {
        machine = new StateMachine(withServiceTaskTimeouts(JSON.parse(definitionText)));
      } catch (error) {
        throw new InvalidDefinitionError(spec.arn, error instanceof Error ? error.message : String(error));
      }
    }
    const retryStates: string[] = [];
    const waitStates: string[] = [];
    forEachState(spec.definition, (name, state) => {
      if (Array.isArray(state.Retry)) retryStates.push(name);
      if (state.Type === 'Wait') waitStates.push(name);
    });
    this.machines.set(spec.arn, { spec, definitionText, machine, plan, retryStates, waitStates });
  }

  /**
   * DeleteStateMachine, and with it the machine's execution records (memory and disk), as a
   * deleted project keeps no runs. Refuses while an execution of it is RUNNING. Returns
   * whether the machine existed.
   */
  async deleteStateMachine(stateMachineArn: string): Promise<boolean> {
    const running = [...this.executions.values()].filter((r) => r.stateMachineArn === stateMachineArn && r.status === 'RUNNING');
    if (running.length > 0) throw new StepFunctionsServiceError('StateMachineBusy', `state machine ${stateMachineArn} has a RUNNING execution: ${running.map((r) => r.name).join(', ')}`);
    const existed = this.machines.delete(stateMachineArn);
    for (const [arn, record] of this.executions) if (record.stateMachineArn === stateMachineArn) this.executions.delete(arn);
    await this.flush();
    if (this.options.stateDir) await rm(join(this.options.stateDir, 'executions', machineNameOf(stateMachineArn)), { recursive: true, force: true });
    return existed;
  }

  listStateMachines(): Array<{ arn: string; name: string }> {
    return [...this.machines.values()].map(({ spec }) => ({ arn: spec.arn, name: spec.name }));
  }

  /** Starts an execution in the background; resolves as soon as it is running. */
  async startExecution(stateMachineArn: string, input: unknown = {}, name?: string): Promise<{ executionArn: string; startDate: Date }> {
    const registered = this.machines.get(stateMachineArn);
    if (!registered) throw new StateMachineDoesNotExistError(stateMachineArn);
    const executionName = name ?? randomUUID();
    validateName(executionName);
    const executionArn = executionArnFor(stateMachineArn, executionName);
    const inputText = JSON.stringify(input ?? {});

    const existing = this.executions.get(executionArn);
    if (existing) {
      // The service: same name and input while still running is the same request, answered again.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === inputText) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExistsError(executionArn);
    }

    const { spec, machine, plan } = registered;
    const executionInput: unknown = JSON.parse(inputText);
    const { retryIntervalMs, waitTimeMs } = this.options;
    const retryIntervalOverrides = retryIntervalMs === undefined ? undefined : Object.fromEntries(registered.retryStates.map((s) => [s, retryIntervalMs]));
    const waitTimeOverrides = waitTimeMs === undefined ? undefined : Object.fromEntries(registered.waitStates.map((s) => [s, waitTimeMs]));
    const ended = new AbortController();
    const run = machine.run(JSON.parse(inputText), {
      overrides: { taskResourceLocalHandlers: bindTaskOverrides(plan, { executionArn, signal: ended.signal }), retryIntervalOverrides, waitTimeOverrides },
      context: {
        Execution: { Id: executionArn, Name: executionName, ...(spec.roleArn ? { RoleArn: spec.roleArn } : {}) },
        StateMachine: { Id: spec.arn, Name: spec.name },
      },
    });

    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionName,
      status: 'RUNNING',
      startDate: new Date(),
      input: executionInput,
      history: [],
      historyEventCount: 0,
      sequence: this.sequence++,
      // Tasks see the stop at once, before the engine's Map can start a queued iteration (see bindTaskOverrides).
      abort: () => {
        run.abort();
        ended.abort(new TaskAbortedError(executionArn));
      },
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, record);

    // The engine queues ExecutionStarted synchronously; its timestamp is the execution's start.
    const first = await run.eventLogs.next();
    if (!first.done) {
      this.addHistory(record, first.value);
      if (first.value.type === 'ExecutionStarted') record.startDate = new Date(first.value.timestamp);
    }
    const historyDone = this.consumeHistory(record, run.eventLogs);
    const settled = run.result.then(
      (output): Outcome => ({ status: 'SUCCEEDED', output }),
      (error: unknown): Outcome => outcomeOfFailure(error, record),
    );
    record.done = settled.then((outcome) => {
      // Tasks still running (a stopped execution, a failed Parallel sibling) end with the execution.
      ended.abort(new TaskAbortedError(executionArn));
      return this.finish(record, historyDone, outcome);
    });
    this.persist(record);
    this.options.onStatusChange?.(this.describe(record));
    return { executionArn, startDate: record.startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return this.describe(this.record(executionArn));
  }

  /** Executions newest first, optionally of one state machine and one status. */
  listExecutions(stateMachineArn?: string, filter: { status?: ExecutionStatus } = {}): ExecutionSummary[] {
    if (stateMachineArn !== undefined && !this.machines.has(stateMachineArn) && ![...this.executions.values()].some((r) => r.stateMachineArn === stateMachineArn)) {
      throw new StateMachineDoesNotExistError(stateMachineArn);
    }
    return [...this.executions.values()]
      .filter((r) => stateMachineArn === undefined || r.stateMachineArn === stateMachineArn)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime() || b.sequence - a.sequence)
      .map(({ executionArn, stateMachineArn: machineArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn: machineArn, name, status, startDate, stopDate }));
  }

  /** The execution's events so far (capped, see maxHistoryEvents / persistedHistoryEvents). */
  getExecutionHistory(executionArn: string): readonly HistoryEvent[] {
    return [...this.record(executionArn).history];
  }

  /** Resolves when the execution has ended (any status); rejects with ExecutionWaitTimeoutError after timeoutMs. */
  async waitForExecution(executionArn: string, options: { timeoutMs?: number } = {}): Promise<ExecutionDescription> {
    const record = this.record(executionArn);
    const { timeoutMs } = options;
    if (timeoutMs === undefined) {
      await record.done;
    } else {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ExecutionWaitTimeoutError(executionArn, timeoutMs)), timeoutMs);
      });
      try {
        await Promise.race([record.done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    return this.describe(record);
  }

  /** Aborts a running execution (status ABORTED with the given error and cause). */
  async stopExecution(executionArn: string, details: { error?: string; cause?: string } = {}): Promise<ExecutionDescription> {
    const record = this.record(executionArn);
    if (record.status === 'RUNNING' && record.abort) {
      record.stopRequest = details;
      record.abort();
      await record.done;
    }
    return this.describe(record);
  }

  /** Waits until every execution record written so far is on disk; rejects if a write failed. */
  async flush(): Promise<void> {
    await Promise.all(this.writes.values());
  }

  /** Stops running executions (ABORTED, error Local.Shutdown) and waits until every record is written. */
  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((r) => r.status === 'RUNNING' && r.abort);
    await Promise.all(running.map((r) => this.stopExecution(r.executionArn, { error: 'Local.Shutdown', cause: 'the local cloud was shut down' })));
    await this.flush();
  }

  private record(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (!record) throw new ExecutionDoesNotExistError(executionArn);
    return record;
  }

  private describe(record: ExecutionRecord): ExecutionDescription {
    const { executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause } = record;
    return { executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause };
  }

  private async consumeHistory(record: ExecutionRecord, events: AsyncGenerator<EngineEvent>): Promise<void> {
    for await (const event of events) this.addHistory(record, event);
  }

  private addHistory(record: ExecutionRecord, event: EngineEvent): void {
    record.historyEventCount += 1;
    if (record.history.length >= (this.options.maxHistoryEvents ?? 25_000)) return;
    record.history.push(toHistoryEvent(record.historyEventCount, event));
  }

  private async finish(record: ExecutionRecord, historyDone: Promise<void>, outcome: Outcome): Promise<void> {
    // The engine closes its event log on every terminal event; give stragglers a moment at most.
    await Promise.race([historyDone, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    const last = record.history.at(-1);
    record.status = outcome.status;
    record.output = outcome.output;
    record.error = outcome.error;
    record.cause = outcome.cause;
    record.stopDate = last && last.type.startsWith('Execution') && last.type !== 'ExecutionStarted' ? new Date(last.timestamp) : new Date();
    record.abort = undefined;
    this.persist(record);
    this.options.onStatusChange?.(this.describe(record));
  }

  private persist(record: ExecutionRecord): void {
    const { stateDir } = this.options;
    if (!stateDir) return;
    const dir = join(stateDir, 'executions', machineNameOf(record.stateMachineArn));
    const file = join(dir, `${record.name}.json`);
    const text = JSON.stringify(this.toPersisted(record), null, 1);
    // Writes for one execution are chained so a late RUNNING write never lands after the final one.
    const previous = (this.writes.get(file) ?? Promise.resolve()).catch(() => undefined);
    const write = previous.then(async () => {
      await mkdir(dir, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, file);
    });
    // Observed here so a failed write is not an unhandled rejection; flush() and close() report it.
    write.catch(() => undefined);
    this.writes.set(file, write);
  }

  private toPersisted(record: ExecutionRecord): PersistedRecord {
    const cap = this.options.persistedHistoryEvents ?? 500;
    const slim = record.history.map(({ input: _input, output: _output, ...rest }) => rest);
    const history = slim.length > cap ? [...slim.slice(0, cap - 1), slim[slim.length - 1]] : slim;
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.toISOString(),
      stopDate: record.stopDate?.toISOString(),
      input: record.input,
      output: record.output,
      error: record.error,
      cause: record.cause,
      historyEventCount: record.historyEventCount,
      historyTruncated: history.length < record.historyEventCount,
      history,
    };
  }

  private loadPersisted(root: string): void {
    if (!existsSync(root)) return;
    for (const machineDir of readdirSync(root, { withFileTypes: true })) {
      if (!machineDir.isDirectory()) continue;
      for (const entry of readdirSync(join(root, machineDir.name))) {
        if (!entry.endsWith('.json')) continue;
        const file = join(root, machineDir.name, entry);
        let persisted: PersistedRecord;
        try {
          persisted = JSON.parse(readFileSync(file, 'utf8'));
        } catch {
          continue; // a torn or foreign file is not an execution record
        }
        const record: ExecutionRecord = {
          executionArn: persisted.executionArn,
          stateMachineArn: persisted.stateMachineArn,
          name: persisted.name,
          status: persisted.status,
          startDate: new Date(persisted.startDate),
          stopDate: persisted.stopDate ? new Date(persisted.stopDate) : undefined,
          input: persisted.input,
          output: persisted.output,
          error: persisted.error,
          cause: persisted.cause,
          history: persisted.history,
          historyEventCount: persisted.historyEventCount,
          sequence: this.sequence++,
          done: Promise.resolve(),
        };
        if (record.status === 'RUNNING') {
          // Its process is gone: the run cannot continue.
          record.status = 'ABORTED';
          record.error = 'Local.ProcessExited';
          record.cause = 'the local cloud stopped while this execution was running';
          record.stopDate = new Date(statSync(file).mtimeMs);
          this.persist(record);
        }
        this.executions.set(record.executionArn, record);
      }
    }
  }
}

type Outcome = Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>;

function outcomeOfFailure(error: unknown, record: ExecutionRecord): Outcome {
  if (error instanceof ExecutionAbortedError) {
    return { status: 'ABORTED', error: record.stopRequest?.error, cause: record.stopRequest?.cause };
  }
  if (error instanceof ExecutionTimeoutError) {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds of the state machine).' };
  }
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error) {
    return { status: 'FAILED', error: failure.name, cause: causeText(failure.cause ?? failure.message) };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: causeText(failure) };
}

function causeText(cause: unknown): string {
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

function toHistoryEvent(id: number, event: EngineEvent): HistoryEvent {
  const base = { id, timestamp: new Date(event.timestamp).toISOString(), type: event.type };
  switch (event.type) {
    case 'ExecutionStarted':
      return { ...base, input: event.input };
    case 'ExecutionSucceeded':
      return { ...base, output: event.output };
    case 'ExecutionFailed':
      return { ...base, error: event.Error, cause: causeText(event.Cause) };
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
      return base;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
      return { ...base, parentStateName: event.parentState.name, mapIndex: 'index' in event ? event.index : undefined };
    case 'MapIterationFailed':
    case 'ParallelBranchFailed':
      return { ...base, parentStateName: event.parentState.name, mapIndex: 'index' in event ? event.index : undefined, error: event.Error, cause: causeText(event.Cause) };
    case 'StateEntered':
      return { ...base, stateName: event.state.name, stateType: event.state.type, input: event.state.input, mapIndex: event.index };
    case 'StateExited':
      return { ...base, stateName: event.state.name, stateType: event.state.type, output: event.state.output, mapIndex: event.index };
    case 'StateFailed':
      return { ...base, stateName: event.state.name, stateType: event.state.type, error: event.Error, cause: causeText(event.Cause), mapIndex: event.index };
    case 'StateRetried':
      return { ...base, stateName: event.state.name, stateType: event.state.type, retryAttempt: event.retry.attempt, mapIndex: event.index };
    case 'StateCaught':
      return { ...base, stateName: event.state.name, stateType: event.state.type, mapIndex: event.index };
  }
}

function validateName(name: string): void {
  if (name.length < 1 || name.length > 80) throw new InvalidNameError(name, 'must be 1 to 80 characters');
  if (INVALID_NAME_CHARACTERS.test(name)) throw new InvalidNameError(name, 'contains whitespace, brackets, wildcards or special characters');
}

function executionArnFor(stateMachineArn: string, executionName: string): string {
  const [, partition, region, account, machineName] = STATE_MACHINE_ARN.exec(stateMachineArn)!;
  return `arn:${partition}:states:${region}:${account}:execution:${machineName}:${executionName}`;
}

function machineNameOf(stateMachineArn: string): string {
  return STATE_MACHINE_ARN.exec(stateMachineArn)?.[4] ?? 'unknown';
}

type JsonState = Record<string, unknown>;

/** Visits every state, inside Map processors and Parallel branches too. */
function forEachState(machine: unknown, visit: (name: string, state: JsonState) => void): void {
  if (!isRecord(machine) || !isRecord(machine.States)) return;
  for (const [name, state] of Object.entries(machine.States)) {
    if (!isRecord(state)) continue;
    visit(name, state);
    if (state.Type === 'Map') forEachState(state.ItemProcessor ?? state.Iterator, visit);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) for (const branch of state.Branches) forEachState(branch, visit);
  }
}

/** A copy of the definition in which Tasks without a timeout get the service's (unbounded) default. */
function withServiceTaskTimeouts(definition: StateMachineDefinition): StateMachineDefinition {
  forEachState(definition, (_name, state) => {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = UNBOUNDED_TASK_TIMEOUT_SECONDS;
    }
  });
  return definition;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
