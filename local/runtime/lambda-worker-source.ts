/**
 * The worker_threads entry that hosts one Lambda sandbox, as plain CommonJS source. It is evaluated
 * (`new Worker(source, { eval: true })`) so it runs the same under tsx, ts-jest and a bundled CLI,
 * none of which has to load TypeScript inside the worker.
 *
 * Protocol (parent → worker): { type: 'invoke', requestId, event (JSON text), deadline, invokedFunctionArn }.
 * Worker → parent: { type: 'log', requestId, stream, line }, { type: 'initialized', initDurationMs },
 * { type: 'result', requestId, payload (JSON text) }, { type: 'error', requestId, error, fatal }.
 * `fatal` asks the parent to replace this sandbox (failed init, uncaught exception, unhandled rejection).
 */
export const LAMBDA_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { format } = require('node:util');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const config = workerData;
if (config.enableSourceMaps && typeof process.setSourceMapsEnabled === 'function') {
  process.setSourceMapsEnabled(true);
}

let currentRequestId = null;
const partial = { stdout: '', stderr: '' };

function postLine(stream, line) {
  parentPort.postMessage({ type: 'log', requestId: currentRequestId, stream, line });
}

function capture(stream, text) {
  partial[stream] += text;
  let newline = partial[stream].indexOf('\n');
  while (newline >= 0) {
    postLine(stream, partial[stream].slice(0, newline));
    partial[stream] = partial[stream].slice(newline + 1);
    newline = partial[stream].indexOf('\n');
  }
}

function flushLogs() {
  for (const stream of ['stdout', 'stderr']) {
    if (partial[stream] !== '') {
      postLine(stream, partial[stream]);
      partial[stream] = '';
    }
  }
}

function patchStream(target, stream) {
  target.write = function write(chunk, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    capture(stream, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(encoding || 'utf8'));
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  };
}
patchStream(process.stdout, 'stdout');
patchStream(process.stderr, 'stderr');

// Like the Node.js Lambda runtime: "time<TAB>requestId<TAB>LEVEL<TAB>message", newlines kept in one record.
function patchConsole(method, level, stream) {
  console[method] = function () {
    const message = format.apply(null, arguments).replace(/\n/g, '\r');
    const target = stream === 'stderr' ? process.stderr : process.stdout;
    target.write(new Date().toISOString() + '\t' + (currentRequestId || 'undefined') + '\t' + level + '\t' + message + '\n');
  };
}
patchConsole('log', 'INFO', 'stdout');
patchConsole('info', 'INFO', 'stdout');
patchConsole('warn', 'WARN', 'stderr');
patchConsole('error', 'ERROR', 'stderr');
patchConsole('debug', 'DEBUG', 'stdout');
patchConsole('trace', 'TRACE', 'stderr');

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

// Shape of the Node.js runtime's error payload (errorType, errorMessage, trace, in this order).
function toLambdaError(error) {
  if (error instanceof Error || (error && typeof error === 'object' && 'message' in error && 'name' in error)) {
    return {
      errorType: String(error.name),
      errorMessage: String(error.message),
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

async function loadHandler() {
  const spec = config.handler;
  const dot = spec.lastIndexOf('.');
  if (dot < 1 || dot === spec.length - 1) {
    throw new RuntimeError('Runtime.MalformedHandlerName', "Bad handler '" + spec + "'");
  }
  const moduleName = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split('.');
  const base = path.resolve(config.taskRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((candidate) => fs.existsSync(candidate));
  if (!file) {
    throw new RuntimeError(
      'Runtime.ImportModuleError',
      "Error: Cannot find module '" + moduleName + "' in " + config.taskRoot,
    );
  }
  let loaded;
  try {
    loaded = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', String(error));
    throw error;
  }
  let handler = loaded;
  for (const key of exportPath) handler = handler == null ? undefined : handler[key];
  if (typeof handler !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', spec + ' is undefined or not exported');
  }
  return handler;
}

function callHandler(handler, event, context) {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    const returned = handler(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

function logInvokeError(lambdaError) {
  process.stderr.write(
    new Date().toISOString() + '\t' + currentRequestId + '\tERROR\tInvoke Error \t' + JSON.stringify(lambdaError) + '\n',
  );
}

let handlerPromise = null;

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  currentRequestId = message.requestId;
  let initializing = false;
  try {
    if (handlerPromise === null) {
      initializing = true;
      const started = performance.now();
      handlerPromise = loadHandler();
      await handlerPromise;
      parentPort.postMessage({ type: 'initialized', initDurationMs: performance.now() - started });
      initializing = false;
    }
    const handler = await handlerPromise;
    const context = {
      functionName: config.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: message.invokedFunctionArn,
      memoryLimitInMB: String(config.memoryMb),
      awsRequestId: message.requestId,
      logGroupName: config.logGroupName,
      logStreamName: config.logStreamName,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    const result = await callHandler(handler, JSON.parse(message.event), context);
    const payload = JSON.stringify(result === undefined ? null : result);
    flushLogs();
    parentPort.postMessage({ type: 'result', requestId: message.requestId, payload: payload === undefined ? 'null' : payload });
  } catch (error) {
    const lambdaError = toLambdaError(error);
    logInvokeError(lambdaError);
    flushLogs();
    parentPort.postMessage({ type: 'error', requestId: message.requestId, error: lambdaError, fatal: initializing });
  } finally {
    currentRequestId = null;
  }
});

function reportFatal(errorType, error) {
  const lambdaError = errorType
    ? { errorType, errorMessage: String(error && error.stack ? error.stack.split('\n')[0] : error), trace: [] }
    : toLambdaError(error);
  if (currentRequestId !== null) logInvokeError(lambdaError);
  flushLogs();
  parentPort.postMessage({ type: 'error', requestId: currentRequestId, error: lambdaError, fatal: true });
}

process.on('uncaughtException', (error) => reportFatal(null, error));
process.on('unhandledRejection', (reason) => reportFatal('Runtime.UnhandledPromiseRejection', reason));
`;
