import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  LambdaFunctionNotFoundError,
  LambdaLogLine,
  LambdaRuntime,
  parseFunctionName,
} from '../../../local/runtime/lambda-runtime';

const REPO_NODE_MODULES = join(__dirname, '../../../node_modules');
const ACCOUNT_ARN = 'arn:aws:lambda:us-east-1:123456789012:function';

let workDir: string;

/** Bundles one TypeScript handler the way NodejsFunction does (CommonJS, node22, source map beside it). */
async function bundle(name: string, source: string, options: { external?: string[]; format?: 'cjs' | 'esm' } = {}): Promise<string> {
  const sourceDir = join(workDir, 'src', name);
  const assetDir = join(workDir, `asset.${name}`);
  await mkdir(sourceDir, { recursive: true });
  await writeFile(join(sourceDir, 'handler.ts'), source);
  await build({
    entryPoints: [join(sourceDir, 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: options.format ?? 'cjs',
    sourcemap: true,
    external: options.external ?? [],
    outfile: join(assetDir, options.format === 'esm' ? 'index.mjs' : 'index.js'),
    logLevel: 'silent',
  });
  return assetDir;
}

function register(runtime: LambdaRuntime, name: string, assetDir: string, extra: Partial<Parameters<LambdaRuntime['register']>[0]> = {}): void {
  runtime.register({ name, arn: `${ACCOUNT_ARN}:${name}`, assetDir, timeoutSeconds: 5, memoryMb: 256, ...extra });
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'lumina-lambda-runtime-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('LambdaRuntime', () => {
  let runtime: LambdaRuntime;
  const logged: LambdaLogLine[] = [];

  beforeEach(() => {
    logged.length = 0;
    runtime = new LambdaRuntime({
      baseEnvironment: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' },
      logger: (entry) => logged.push(entry),
    });
  });

  afterEach(async () => {
    await runtime.close();
  });

  it('gives each function its own environment even when they run at the same time', async () => {
    // Prepare
    const source = `
      export const handler = async () => {
        const before = process.env.MODEL_STAGE;
        process.env.MODEL_STAGE = 'changed-by-' + before;
        await new Promise((resolve) => setTimeout(resolve, 150));
        return { before, after: process.env.MODEL_STAGE, onlyMine: process.env.ONLY_IN_SCORER ?? null,
          s3: process.env.AWS_ENDPOINT_URL_S3, name: process.env.AWS_LAMBDA_FUNCTION_NAME,
          memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, handler: process.env._HANDLER,
          executionEnv: process.env.AWS_EXECUTION_ENV, taskRoot: process.env.LAMBDA_TASK_ROOT };
      };`;
    const assetDir = await bundle('env-echo', source);
    register(runtime, 'Scorer', assetDir, { environment: { MODEL_STAGE: 'production', ONLY_IN_SCORER: 'yes' } });
    register(runtime, 'Trainer', assetDir, { environment: { MODEL_STAGE: 'staging' } });

    // Act
    const [scorer, trainer] = await Promise.all([runtime.invoke('Scorer', {}), runtime.invoke('Trainer', {})]);

    // Assess
    expect(scorer.payload).toEqual({
      before: 'production',
      after: 'changed-by-production',
      onlyMine: 'yes',
      s3: 'http://127.0.0.1:4569',
      name: 'Scorer',
      memory: '256',
      handler: 'index.handler',
      executionEnv: 'AWS_Lambda_nodejs22.x',
      taskRoot: assetDir,
    });
    expect(trainer.payload).toMatchObject({ before: 'staging', after: 'changed-by-staging', onlyMine: null, name: 'Trainer' });
    expect(process.env.MODEL_STAGE).toBeUndefined();
  });

  it('reuses a warm sandbox: module state survives and only the first call is a cold start', async () => {
    // Prepare
    const assetDir = await bundle('counter', `let calls = 0; export const handler = async (event: { add: number }) => ({ calls: ++calls, echo: event.add });`);
    register(runtime, 'Counter', assetDir);

    // Act
    const first = await runtime.invoke('Counter', { add: 1 });
    const second = await runtime.invoke(`${ACCOUNT_ARN}:Counter`, { add: 2 });

    // Assess
    expect(first).toMatchObject({ payload: { calls: 1, echo: 1 }, coldStart: true });
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(second).toMatchObject({ payload: { calls: 2, echo: 2 }, coldStart: false });
    expect(second.functionError).toBeUndefined();
  });

  it('queues invocations beyond the concurrency limit onto the busy sandbox', async () => {
    // Prepare
    const assetDir = await bundle('slow-counter', `let calls = 0; export const handler = async () => { await new Promise((r) => setTimeout(r, 50)); return ++calls; };`);
    register(runtime, 'Single', assetDir, { maxConcurrency: 1 });

    // Act
    const results = await Promise.all([runtime.invoke('Single', {}), runtime.invoke('Single', {}), runtime.invoke('Single', {})]);

    // Assess
    expect(results.map((r) => r.payload)).toEqual([1, 2, 3]);
    expect(results.map((r) => r.coldStart)).toEqual([true, false, false]);
  });

  it('passes a Lambda context object', async () => {
    // Prepare
    const assetDir = await bundle(
      'context',
      `import type { Context } from 'aws-lambda';
       export const handler = async (_event: unknown, context: Context) => ({
         functionName: context.functionName, functionVersion: context.functionVersion,
         invokedFunctionArn: context.invokedFunctionArn, memoryLimitInMB: context.memoryLimitInMB,
         awsRequestId: context.awsRequestId, logGroupName: context.logGroupName, logStreamName: context.logStreamName,
         remaining: context.getRemainingTimeInMillis(), waits: context.callbackWaitsForEmptyEventLoop });`,
    );
    register(runtime, 'Context', assetDir, { timeoutSeconds: 7, memoryMb: 512 });

    // Act
    const result = await runtime.invoke(`${ACCOUNT_ARN}:Context:live`, null);

    // Assess
    const context = result.payload as Record<string, unknown>;
    expect(context).toMatchObject({
      functionName: 'Context',
      functionVersion: '$LATEST',
      invokedFunctionArn: `${ACCOUNT_ARN}:Context:live`,
      memoryLimitInMB: '512',
      awsRequestId: result.requestId,
      logGroupName: '/aws/lambda/Context',
      waits: true,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(5000);
    expect(context.remaining).toBeLessThanOrEqual(7000);
  });

  it('returns a thrown error in the Node.js runtime shape and keeps the sandbox warm', async () => {
    // Prepare
    const assetDir = await bundle(
      'validator',
      `class DatasetValidationError extends Error { constructor(m: string) { super(m); this.name = 'DatasetValidationError'; } }
       export const handler = async (event: { fail: boolean }) => {
         if (event.fail) throw new DatasetValidationError('column age: not a number in row 3');
         return 'valid';
       };`,
    );
    register(runtime, 'Validator', assetDir);

    // Act
    const failed = await runtime.invoke('Validator', { fail: true });
    const next = await runtime.invoke('Validator', { fail: false });

    // Assess
    expect(failed.functionError).toBe('Unhandled');
    expect(failed.payload).toEqual({
      errorType: 'DatasetValidationError',
      errorMessage: 'column age: not a number in row 3',
      trace: expect.arrayContaining(['DatasetValidationError: column age: not a number in row 3']),
    });
    expect(failed.logs.some((line) => line.includes('ERROR\tInvoke Error'))).toBe(true);
    expect(next).toMatchObject({ payload: 'valid', coldStart: false });
  });

  it('maps source locations in traces through the bundle source map when NODE_OPTIONS asks for it', async () => {
    // Prepare
    const assetDir = await bundle('mapped', `export const handler = async () => {\n  throw new Error('mapped');\n};`);
    register(runtime, 'Mapped', assetDir, { environment: { NODE_OPTIONS: '--enable-source-maps' } });

    // Act
    const failed = await runtime.invoke('Mapped', {});

    // Assess
    expect((failed.payload as { trace: string[] }).trace.join('\n')).toMatch(/handler\.ts:2:/);
  });

  it('terminates a handler that runs past its timeout, even a busy loop, and starts a fresh sandbox next time', async () => {
    // Prepare
    const assetDir = await bundle('spinner', `export const handler = async (event: { spin: boolean }) => { if (event.spin) { for (;;) { /* never yields */ } } return 'done'; };`);
    register(runtime, 'Spinner', assetDir, { timeoutSeconds: 1 });

    // Act
    const timedOut = await runtime.invoke('Spinner', { spin: true }, { timeoutMs: 300 });
    const after = await runtime.invoke('Spinner', { spin: false });

    // Assess
    expect(timedOut.functionError).toBe('Unhandled');
    expect(timedOut.payload).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${timedOut.requestId} Error: Task timed out after 0.30 seconds`,
      trace: [],
    });
    expect(after).toMatchObject({ payload: 'done', coldStart: true });
  });

  it('replaces a sandbox whose process exits', async () => {
    // Prepare
    const assetDir = await bundle('exiter', `export const handler = async (event: { exit: boolean }) => { if (event.exit) process.exit(3); return 'alive'; };`);
    register(runtime, 'Exiter', assetDir);

    // Act
    const crashed = await runtime.invoke('Exiter', { exit: true });
    const after = await runtime.invoke('Exiter', { exit: false });

    // Assess
    expect(crashed.functionError).toBe('Unhandled');
    expect(crashed.payload).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') });
    expect(after).toMatchObject({ payload: 'alive', coldStart: true });
  });

  it('serializes results like the service: undefined becomes null, dates become strings', async () => {
    // Prepare
    const assetDir = await bundle('shapes', `export const handler = async (event: { kind: string }) => event.kind === 'none' ? undefined : { at: new Date(0), skip: undefined };`);
    register(runtime, 'Shapes', assetDir);

    // Act
    const none = await runtime.invoke('Shapes', { kind: 'none' });
    const dated = await runtime.invoke('Shapes', { kind: 'date' });

    // Assess
    expect(none.payload).toBeNull();
    expect(dated.payload).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('supports callback-style handlers and ESM bundles', async () => {
    // Prepare
    const callbackDir = await bundle('callback', `export const handler = (event: { n: number }, _context: unknown, callback: (e: Error | null, r?: number) => void) => { setTimeout(() => callback(null, event.n * 2), 10); };`);
    const esmDir = await bundle('esm', `export const handler = async () => 'from esm';`, { format: 'esm' });
    register(runtime, 'Callback', callbackDir);
    register(runtime, 'Esm', esmDir);

    // Act
    const [callback, esm] = await Promise.all([runtime.invoke('Callback', { n: 21 }), runtime.invoke('Esm', {})]);

    // Assess
    expect(callback.payload).toBe(42);
    expect(esm.payload).toBe('from esm');
  });

  it('captures console and raw JSON log lines per invocation and forwards them to the logger', async () => {
    // Prepare
    const assetDir = await bundle(
      'logger',
      `export const handler = async (event: { id: string }) => {
         console.log('scoring', event.id);
         process.stdout.write(JSON.stringify({ level: 'INFO', message: 'scored', id: event.id }) + '\\n');
         console.error('multi\\nline');
         return event.id;
       };`,
    );
    register(runtime, 'Logger', assetDir);

    // Act
    const result = await runtime.invoke('Logger', { id: 'batch-7' });

    // Assess
    expect(result.logs).toHaveLength(3);
    expect(result.logs[0]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${result.requestId}\\tINFO\\tscoring batch-7$`));
    expect(JSON.parse(result.logs[1])).toEqual({ level: 'INFO', message: 'scored', id: 'batch-7' });
    expect(result.logs[2]).toMatch(/\tERROR\tmulti\rline$/);
    expect(logged.filter((entry) => entry.requestId === result.requestId).map((entry) => entry.line)).toEqual(result.logs);
    expect(logged.find((entry) => entry.line.includes('ERROR'))?.stream).toBe('stderr');
  });

  it('reports a missing handler export as Runtime.HandlerNotFound', async () => {
    // Prepare
    const assetDir = await bundle('wrong-export', `export const main = async () => 'never';`);
    register(runtime, 'WrongExport', assetDir);

    // Act
    const result = await runtime.invoke('WrongExport', {});

    // Assess
    expect(result.functionError).toBe('Unhandled');
    expect(result.payload).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' });
  });

  it('refuses to invoke a function that was never registered', async () => {
    // Act + Assess
    await expect(runtime.invoke(`${ACCOUNT_ARN}:Missing`, {})).rejects.toBeInstanceOf(LambdaFunctionNotFoundError);
  });

  it('loads a bundle that requires the onnxruntime-node native addon inside a sandbox', async () => {
    // Prepare
    const assetDir = await bundle(
      'onnx',
      `import * as ort from 'onnxruntime-node';
       export const handler = async () => ({ create: typeof ort.InferenceSession.create, tensor: new ort.Tensor('float32', [1, 2], [1, 2]).dims });`,
      { external: ['onnxruntime-node'] },
    );
    await mkdir(join(assetDir, 'node_modules'));
    await symlink(join(REPO_NODE_MODULES, 'onnxruntime-node'), join(assetDir, 'node_modules', 'onnxruntime-node'));
    register(runtime, 'Onnx', assetDir, { timeoutSeconds: 30 });

    // Act
    const [first, second] = await Promise.all([runtime.invoke('Onnx', {}), runtime.invoke('Onnx', {})]);

    // Assess
    expect(first.payload).toEqual({ create: 'function', tensor: [1, 2] });
    expect(second.payload).toEqual({ create: 'function', tensor: [1, 2] });
  });
});

describe('parseFunctionName', () => {
  it.each([
    ['Scorer', { name: 'Scorer', qualifier: undefined }],
    ['Scorer:live', { name: 'Scorer', qualifier: 'live' }],
    [`${ACCOUNT_ARN}:Scorer`, { name: 'Scorer', qualifier: undefined }],
    [`${ACCOUNT_ARN}:Scorer:$LATEST`, { name: 'Scorer', qualifier: '$LATEST' }],
    ['123456789012:function:Scorer', { name: 'Scorer', qualifier: undefined }],
  ])('reads %s', (input, expected) => {
    expect(parseFunctionName(input)).toEqual(expected);
  });
});
