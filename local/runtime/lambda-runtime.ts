/**
 * Runs synthesized Lambda bundles (the `cdk.out/asset.<hash>/` folders) the way the service does:
 * each function has a small pool of sandboxes (worker_threads), reused between invocations (warm
 * starts), each with its own environment, so two functions running at once never share
 * `process.env`. Handler errors, timeouts and crashes come back as Lambda reports them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LAMBDA_WORKER_SOURCE } from './lambda-worker-source';

/** Lambda's synchronous invocation payload quota, request and response. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface LambdaFunctionConfig {
  /** The function's physical name (FunctionName). */
  readonly name: string;
  readonly arn: string;
  /** Folder holding the bundle, e.g. `cdk.out/asset.<hash>`. */
  readonly assetDir: string;
  /** `file.export`, resolved inside assetDir. @default 'index.handler' */
  readonly handler?: string;
  /** The function's resolved template environment. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 3 (the service default) */
  readonly timeoutSeconds?: number;
  /** @default 128 (the service default) */
  readonly memoryMb?: number;
  /** Sandboxes that may run at once; further invocations wait for one. @default the runtime's defaultMaxConcurrency */
  readonly maxConcurrency?: number;
}

export interface LambdaLogLine {
  readonly functionName: string;
  /** Undefined for output written outside any invocation (e.g. a timer that fires later). */
  readonly requestId: string | undefined;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

export interface LambdaRuntimeOptions {
  /** Variables every sandbox gets on top of the function's environment (see lambdaEnvironmentForEmulators). @default {} */
  readonly baseEnvironment?: Readonly<Record<string, string>>;
  /** Receives every line a handler writes (the CLI prints them with --verbose). @default - lines are kept only in the result */
  readonly logger?: (entry: LambdaLogLine) => void;
  /** @default 2 */
  readonly defaultMaxConcurrency?: number;
}

export interface InvokeOptions {
  /** Overrides the function's Timeout for this invocation. @default - timeoutSeconds * 1000 */
  readonly timeoutMs?: number;
}

/** What the handler threw, in the Node.js runtime's shape. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

export interface InvokeResult {
  /** The handler's result after a JSON round trip (undefined → null), or a LambdaErrorPayload. */
  readonly payload: unknown;
  readonly functionError?: 'Unhandled';
  readonly requestId: string;
  /** The version that ran; the local cloud only has $LATEST. */
  readonly executedVersion: '$LATEST';
  /** Lines the handler wrote during this invocation. */
  readonly logs: readonly string[];
  readonly durationMs: number;
  readonly coldStart: boolean;
  readonly initDurationMs?: number;
}

/** Invoke of a name or ARN that was never registered (the service's ResourceNotFoundException). */
export class LambdaFunctionNotFoundError extends Error {
  constructor(readonly functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = 'ResourceNotFoundException';
  }
}

/** Invoke request larger than the synchronous payload quota (the service's RequestTooLargeException). */
export class LambdaRequestTooLargeError extends Error {
  constructor(
    readonly functionName: string,
    readonly bytes: number,
  ) {
    super(`${functionName}: request payload of ${bytes} bytes exceeds the ${MAX_SYNC_PAYLOAD_BYTES}-byte limit`);
    this.name = 'RequestTooLargeException';
  }
}

/** The runtime was closed while the invocation waited or ran. */
export class LambdaRuntimeClosedError extends Error {
  constructor(readonly functionName: string) {
    super(`${functionName}: the local Lambda runtime was closed`);
    this.name = 'LambdaRuntimeClosedError';
  }
}

/** A function registration that cannot run: the field and the reason. */
export class LambdaConfigError extends Error {
  constructor(
    readonly functionName: string,
    readonly field: string,
    reason: string,
  ) {
    super(`Lambda function ${functionName || '(unnamed)'}: ${field} ${reason}`);
    this.name = 'LambdaConfigError';
  }
}

type WorkerMessage =
  | { type: 'log'; requestId: string | null; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'initialized'; initDurationMs: number }
  | { type: 'result'; requestId: string; payload: string }
  | { type: 'error'; requestId: string | null; error: LambdaErrorPayload; fatal: boolean };

interface Invocation {
  readonly requestId: string;
  readonly event: string;
  readonly invokedFunctionArn: string;
  readonly timeoutMs: number;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: Error) => void;
}

interface Sandbox {
  readonly worker: Worker;
  readonly logStreamName: string;
  initialized: boolean;
  running?: RunningInvocation;
  exiting: boolean;
}

interface RunningInvocation {
  readonly invocation: Invocation;
  readonly logs: string[];
  readonly started: number;
  readonly coldStart: boolean;
  readonly timer: NodeJS.Timeout;
  initDurationMs?: number;
}

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::([^:]+))?$/;
const PARTIAL_ARN = /^[0-9]{12}:function:([^:]+)(?::([^:]+))?$/;

/** Splits a FunctionName as the Invoke API accepts it (name, name:qualifier, partial or full ARN). */
export function parseFunctionName(functionName: string): { name: string; qualifier?: string } {
  const full = FUNCTION_ARN.exec(functionName) ?? PARTIAL_ARN.exec(functionName);
  if (full) return { name: full[1], qualifier: full[2] };
  const [name, qualifier] = functionName.split(':');
  return { name, qualifier };
}

class FunctionPool {
  private readonly sandboxes = new Set<Sandbox>();
  private readonly waiting: Invocation[] = [];
  private retired = false;

  constructor(
    readonly config: Required<Omit<LambdaFunctionConfig, 'environment'>> & { environment: Record<string, string> },
    private readonly environment: Record<string, string>,
    private readonly logger: ((entry: LambdaLogLine) => void) | undefined,
  ) {}

  submit(invocation: Invocation): void {
    this.waiting.push(invocation);
    this.dispatch();
  }

  /** Stops taking work; idle sandboxes end now, busy ones when their invocation ends. Returns queued work. */
  retire(): Invocation[] {
    this.retired = true;
    for (const sandbox of this.sandboxes) if (!sandbox.running) this.discard(sandbox);
    return this.waiting.splice(0);
  }

  async close(): Promise<void> {
    this.retired = true;
    for (const invocation of this.waiting.splice(0)) invocation.reject(new LambdaRuntimeClosedError(this.config.name));
    const terminations: Promise<number>[] = [];
    for (const sandbox of [...this.sandboxes]) {
      const running = sandbox.running;
      if (running) {
        clearTimeout(running.timer);
        sandbox.running = undefined;
        running.invocation.reject(new LambdaRuntimeClosedError(this.config.name));
      }
      sandbox.exiting = true;
      this.sandboxes.delete(sandbox);
      terminations.push(sandbox.worker.terminate());
    }
    await Promise.all(terminations);
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.retired) {
      const sandbox = this.idleSandbox() ?? this.newSandbox();
      if (!sandbox) return;
      this.run(sandbox, this.waiting.shift()!);
    }
  }

  private idleSandbox(): Sandbox | undefined {
    for (const sandbox of this.sandboxes) if (!sandbox.running && !sandbox.exiting) return sandbox;
    return undefined;
  }

  private newSandbox(): Sandbox | undefined {
    if (this.sandboxes.size >= this.config.maxConcurrency) return undefined;
    const { name, memoryMb, assetDir, handler } = this.config;
    const logStreamName = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const worker = new Worker(LAMBDA_WORKER_SOURCE, {
      eval: true,
      env: this.environment,
      // Plain Node like the Lambda runtime, whatever loader (tsx) runs the parent.
      execArgv: [],
      stdout: true,
      stderr: true,
      name: `lambda:${name}`,
      workerData: {
        functionName: name,
        memoryMb,
        taskRoot: assetDir,
        handler,
        logGroupName: `/aws/lambda/${name}`,
        logStreamName,
        enableSourceMaps: (this.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
      },
    });
    const sandbox: Sandbox = { worker, logStreamName, initialized: false, exiting: false };
    worker.on('message', (message: WorkerMessage) => this.onMessage(sandbox, message));
    worker.on('error', (error: Error) => this.onCrash(sandbox, { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') }));
    worker.on('exit', (code: number) => {
      if (!sandbox.exiting) {
        this.onCrash(sandbox, {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${sandbox.running?.invocation.requestId ?? 'none'} Error: Runtime exited with error: exit status ${code}`,
          trace: [],
        });
      }
    });
    // Native writes that bypass the patched streams still reach the logger.
    for (const stream of ['stdout', 'stderr'] as const) {
      worker[stream].setEncoding('utf8');
      worker[stream].on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line !== '') this.logger?.({ functionName: name, requestId: undefined, stream, line });
      });
    }
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  private run(sandbox: Sandbox, invocation: Invocation): void {
    const coldStart = !sandbox.initialized;
    const timer = setTimeout(() => this.onTimeout(sandbox), invocation.timeoutMs);
    sandbox.running = { invocation, logs: [], started: performance.now(), coldStart, timer };
    sandbox.worker.ref();
    sandbox.worker.postMessage({
      type: 'invoke',
      requestId: invocation.requestId,
      event: invocation.event,
      deadline: Date.now() + invocation.timeoutMs,
      invokedFunctionArn: invocation.invokedFunctionArn,
    });
  }

  private onMessage(sandbox: Sandbox, message: WorkerMessage): void {
    const running = sandbox.running;
    const current = running !== undefined && message.type !== 'initialized' && message.requestId === running.invocation.requestId;
    switch (message.type) {
      case 'log':
        if (current) running.logs.push(message.line);
        this.logger?.({ functionName: this.config.name, requestId: message.requestId ?? undefined, stream: message.stream, line: message.line });
        return;
      case 'initialized':
        sandbox.initialized = true;
        if (running) running.initDurationMs = message.initDurationMs;
        return;
      case 'result':
        if (current) this.finish(sandbox, JSON.parse(message.payload), undefined, false);
        return;
      case 'error':
        if (current) this.finish(sandbox, message.error, 'Unhandled', message.fatal);
        else if (message.fatal) this.discard(sandbox);
        return;
    }
  }

  private onTimeout(sandbox: Sandbox): void {
    const running = sandbox.running;
    if (!running) return;
    const { requestId, timeoutMs } = running.invocation;
    const seconds = (timeoutMs / 1000).toFixed(2);
    const line = `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`;
    running.logs.push(line);
    this.logger?.({ functionName: this.config.name, requestId, stream: 'stderr', line });
    const error: LambdaErrorPayload = {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
      trace: [],
    };
    this.finish(sandbox, error, 'Unhandled', true);
  }

  private onCrash(sandbox: Sandbox, error: LambdaErrorPayload): void {
    if (sandbox.running) this.finish(sandbox, error, 'Unhandled', true);
    else this.discard(sandbox);
  }

  /** Resolves the sandbox's invocation; `endSandbox` replaces it (timeout, crash, failed init). */
  private finish(sandbox: Sandbox, payload: unknown, functionError: 'Unhandled' | undefined, endSandbox: boolean): void {
    const running = sandbox.running!;
    clearTimeout(running.timer);
    sandbox.running = undefined;
    const { invocation } = running;
    const size = functionError ? 0 : Buffer.byteLength(JSON.stringify(payload));
    const tooLarge = size > MAX_SYNC_PAYLOAD_BYTES;
    invocation.resolve({
      payload: tooLarge
        ? {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
            trace: [],
          }
        : payload,
      functionError: tooLarge ? 'Unhandled' : functionError,
      requestId: invocation.requestId,
      executedVersion: '$LATEST',
      logs: running.logs,
      durationMs: performance.now() - running.started,
      coldStart: running.coldStart,
      initDurationMs: running.initDurationMs,
    });
    if (endSandbox || this.retired) {
      this.discard(sandbox);
    } else {
      // An idle sandbox must not keep the process alive.
      sandbox.worker.unref();
      this.dispatch();
    }
  }

  /** Ends a sandbox for good; the next invocation that needs one gets a cold start. */
  private discard(sandbox: Sandbox): void {
    if (sandbox.exiting) return;
    sandbox.exiting = true;
    this.sandboxes.delete(sandbox);
    void sandbox.worker.terminate();
    this.dispatch();
  }
}

export class LambdaRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly arns = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: LambdaRuntimeOptions = {}) {}

  /** Adds a function, or replaces it (running invocations finish on the old code). */
  register(config: LambdaFunctionConfig): void {
    const full = this.normalize(config);
    const environment: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      ...full.environment,
      ...this.options.baseEnvironment,
      AWS_LAMBDA_FUNCTION_NAME: full.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(full.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${full.name}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: full.handler,
      LAMBDA_TASK_ROOT: full.assetDir,
    };
    const pool = new FunctionPool(full, environment, this.options.logger);
    const previous = this.pools.get(full.name);
    this.pools.set(full.name, pool);
    this.arns.set(full.arn, full.name);
    if (previous) {
      if (previous.config.arn !== full.arn) this.arns.delete(previous.config.arn);
      for (const queued of previous.retire()) pool.submit(queued);
    }
  }

  /** DeleteFunction: its sandboxes end and waiting invocations reject. Returns whether it existed. */
  async unregister(functionName: string): Promise<boolean> {
    const pool = this.find(functionName);
    if (!pool) return false;
    this.pools.delete(pool.config.name);
    this.arns.delete(pool.config.arn);
    await pool.close();
    return true;
  }

  has(functionName: string): boolean {
    return this.find(functionName) !== undefined;
  }

  functionNames(): string[] {
    return [...this.pools.keys()];
  }

  /**
   * Synchronous (RequestResponse) invocation. Handler failures resolve with `functionError`;
   * only problems of the call itself reject (unknown function, oversized request, closed runtime).
   */
  invoke(functionName: string, payload: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    const pool = this.find(functionName);
    if (!pool || this.closed) {
      return Promise.reject(this.closed ? new LambdaRuntimeClosedError(functionName) : new LambdaFunctionNotFoundError(functionName));
    }
    const event = JSON.stringify(payload === undefined ? {} : payload) ?? 'null';
    const bytes = Buffer.byteLength(event);
    if (bytes > MAX_SYNC_PAYLOAD_BYTES) return Promise.reject(new LambdaRequestTooLargeError(functionName, bytes));
    const { qualifier } = parseFunctionName(functionName);
    const invokedFunctionArn = qualifier ? `${pool.config.arn}:${qualifier}` : pool.config.arn;
    return new Promise<InvokeResult>((resolve, reject) => {
      pool.submit({
        requestId: randomUUID(),
        event,
        invokedFunctionArn,
        timeoutMs: options.timeoutMs ?? pool.config.timeoutSeconds * 1000,
        resolve,
        reject,
      });
    });
  }

  /** Terminates every sandbox; waiting and running invocations reject with LambdaRuntimeClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
    this.arns.clear();
  }

  private find(functionName: string): FunctionPool | undefined {
    const { name, qualifier } = parseFunctionName(functionName);
    const unqualified = qualifier ? functionName.slice(0, -(qualifier.length + 1)) : functionName;
    return this.pools.get(this.arns.get(unqualified) ?? name);
  }

  private normalize(config: LambdaFunctionConfig): FunctionPool['config'] {
    const { name } = config;
    if (!name) throw new LambdaConfigError(name, 'name', 'is empty');
    if (!config.assetDir) throw new LambdaConfigError(name, 'assetDir', 'is empty');
    const timeoutSeconds = config.timeoutSeconds ?? 3;
    if (!(timeoutSeconds > 0 && timeoutSeconds <= 900)) throw new LambdaConfigError(name, 'timeoutSeconds', `must be 1-900, got ${timeoutSeconds}`);
    const memoryMb = config.memoryMb ?? 128;
    if (!(memoryMb >= 128 && memoryMb <= 10240)) throw new LambdaConfigError(name, 'memoryMb', `must be 128-10240, got ${memoryMb}`);
    const maxConcurrency = config.maxConcurrency ?? this.options.defaultMaxConcurrency ?? 2;
    if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) throw new LambdaConfigError(name, 'maxConcurrency', `must be a positive integer, got ${maxConcurrency}`);
    return {
      name,
      arn: config.arn,
      assetDir: config.assetDir,
      handler: config.handler ?? 'index.handler',
      environment: { ...config.environment },
      timeoutSeconds,
      memoryMb,
      maxConcurrency,
    };
  }
}
