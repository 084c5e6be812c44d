/**
 * Local stand-ins for Step Functions service integrations, keyed by Task Resource ARN, and their
 * expansion into aws-local-stepfunctions' per-state `taskResourceLocalHandlers`.
 *
 * Each adapter receives the Task's evaluated Parameters and answers like the integration does:
 * the same response fields, and failures thrown as errors whose `name` is the Step Functions
 * error (`Lambda.ResourceNotFoundException`, `DynamoDB.ConditionalCheckFailedException`, the
 * function's errorType) and whose `message` is the Cause, because aws-local-stepfunctions builds
 * a Catch's `{Error, Cause}` from `error.name` and `error.message`. A Task whose Resource has no
 * adapter is refused before anything runs: the local cloud never falls through to real AWS.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { RunOptions } from 'aws-local-stepfunctions';
import { findAdapterKey, LAMBDA_FUNCTION_ARN_PATTERN, listTaskStates } from '../step-functions/definition-check';
import type { CompiledFilterPolicy } from '../events/sns-filter-policy';
import type { InvokeResult } from './lambda-runtime';

export { LAMBDA_FUNCTION_ARN_PATTERN };

export interface TaskContext {
  readonly stateName: string;
  readonly executionArn: string;
  /** The Task's Resource as written in the definition (suffixes such as `.sync` included). */
  readonly resource: string;
  /** Aborted when the execution ends or is stopped; long-running adapters may stop early. */
  readonly signal?: AbortSignal;
}

/** Runs one Task: `params` is the Task's evaluated Parameters (its effective input). */
export type TaskAdapter = (params: unknown, ctx: TaskContext) => Promise<unknown>;

/** Adapters keyed by Resource: exact ARNs, or patterns where `*` matches anything (most specific wins). */
export type TaskAdapters = Readonly<Record<string, TaskAdapter>>;

export const RESOURCES = {
  lambdaInvoke: 'arn:aws:states:::lambda:invoke',
  dynamodbPutItem: 'arn:aws:states:::dynamodb:putItem',
  dynamodbGetItem: 'arn:aws:states:::dynamodb:getItem',
  dynamodbUpdateItem: 'arn:aws:states:::dynamodb:updateItem',
  dynamodbDeleteItem: 'arn:aws:states:::dynamodb:deleteItem',
  snsPublish: 'arn:aws:states:::sns:publish',
  startExecution: 'arn:aws:states:::states:startExecution',
  startExecutionSync: 'arn:aws:states:::states:startExecution.sync',
  startExecutionSync2: 'arn:aws:states:::states:startExecution.sync:2',
  putEvents: 'arn:aws:states:::events:putEvents',
} as const;

/** Step Functions' payload quota: a connector's result above it fails the state. */
export const MAX_STATE_PAYLOAD_BYTES = 256 * 1024;

/** A failure as Step Functions reports it: `name` is the Error, `message` the Cause. */
export class StatesTaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** A Task whose Resource has no local adapter (the local cloud fails closed). */
export class TaskResourceNotSupportedError extends Error {
  constructor(
    readonly stateName: string,
    readonly statePath: string,
    readonly resource: string | undefined,
  ) {
    super(
      resource === undefined
        ? `Task state ${statePath} has no resolved Resource string`
        : `Task state ${statePath} uses Resource ${resource}, which has no local adapter; the local cloud does not call real AWS`,
    );
    this.name = 'TaskResourceNotSupportedError';
  }
}

/** Two Task states with one name but different Resources: the engine keys handlers by name. */
export class ConflictingTaskNameError extends Error {
  constructor(
    readonly stateName: string,
    readonly paths: readonly string[],
  ) {
    super(`Task name ${stateName} is used by different Tasks at ${paths.join(' and ')}; local Task handlers are keyed by state name`);
    this.name = 'ConflictingTaskNameError';
  }
}

/** Parameters an adapter cannot use: the Task, the field and the reason. */
export class TaskParametersError extends StatesTaskError {
  constructor(errorName: string, ctx: TaskContext, field: string, reason: string) {
    super(errorName, `Task ${ctx.stateName} (${ctx.resource}): Parameters.${field} ${reason}`);
  }
}

/** The adapter that handles `resource`, if any. */
export function findTaskAdapter(adapters: TaskAdapters, resource: string): TaskAdapter | undefined {
  const key = findAdapterKey(resource, Object.keys(adapters));
  return key === undefined ? undefined : adapters[key];
}

export interface PlannedTask {
  readonly stateName: string;
  readonly path: string;
  readonly resource: string;
  readonly adapter: TaskAdapter;
}

/** Every Task state of a definition (inside Map and Parallel too) with its adapter; throws for any without. */
export function planTaskOverrides(definition: object, adapters: TaskAdapters): readonly PlannedTask[] {
  const planned = new Map<string, PlannedTask>();
  for (const task of listTaskStates(definition)) {
    const adapter = task.resource === undefined ? undefined : findTaskAdapter(adapters, task.resource);
    if (task.resource === undefined || adapter === undefined) {
      throw new TaskResourceNotSupportedError(task.name, task.path, task.resource);
    }
    const earlier = planned.get(task.name);
    if (earlier && earlier.resource !== task.resource) throw new ConflictingTaskNameError(task.name, [earlier.path, task.path]);
    planned.set(task.name, { stateName: task.name, path: task.path, resource: task.resource, adapter });
  }
  return [...planned.values()];
}

export type TaskOverrides = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export interface TaskExecution {
  readonly executionArn: string;
  /**
   * When aborted, Tasks still running reject at once. The engine keeps a timer per running Task
   * until the Task settles, so an execution that ends must abort this to release them.
   */
  readonly signal?: AbortSignal;
}

/** Binds planned Tasks to one execution: the `taskResourceLocalHandlers` for aws-local-stepfunctions. */
export function bindTaskOverrides(plan: readonly PlannedTask[], execution: TaskExecution): TaskOverrides {
  const overrides: TaskOverrides = {};
  const { executionArn, signal } = execution;
  for (const task of plan) {
    const ctx: TaskContext = { stateName: task.stateName, executionArn, resource: task.resource, signal };
    overrides[task.stateName] = async (input) => {
      // The engine checks a stop only between states: a stopped execution's Map still starts its queued
      // iterations. Their Tasks must not begin work (the service starts no new iteration after StopExecution).
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new TaskAbortedError(executionArn);
      return jsonResult(await untilAborted(task.adapter(input, ctx), signal));
    };
  }
  return overrides;
}

/** planTaskOverrides + bindTaskOverrides in one step. */
export function buildTaskOverrides(definition: object, adapters: TaskAdapters, execution: TaskExecution): TaskOverrides {
  return bindTaskOverrides(planTaskOverrides(definition, adapters), execution);
}

/** Thrown into a Task that was still running when its execution ended. */
export class TaskAbortedError extends Error {
  constructor(readonly executionArn: string) {
    super(`the execution ${executionArn} ended while this Task was running`);
    this.name = 'States.Runtime';
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The result as the engine will carry it: JSON only, within the state payload quota. */
function jsonResult(result: unknown): ReturnType<TaskOverrides[string]> {
  const text = JSON.stringify(result === undefined ? null : result);
  if (Buffer.byteLength(text) > MAX_STATE_PAYLOAD_BYTES) {
    throw new StatesTaskError(
      'States.DataLimitExceeded',
      `The state/task returned a result with a size exceeding the maximum number of bytes service limit (${Buffer.byteLength(text)} > ${MAX_STATE_PAYLOAD_BYTES}).`,
    );
  }
  return JSON.parse(text);
}

// --- Shared response metadata --------------------------------------------------------------

export interface SdkMetadata {
  readonly SdkHttpMetadata: { readonly AllHttpHeaders: Record<string, string[]>; readonly HttpHeaders: Record<string, string>; readonly HttpStatusCode: number };
  readonly SdkResponseMetadata: { readonly RequestId: string };
}

function sdkMetadata(requestId: string, headers: Record<string, string> = {}, statusCode = 200): SdkMetadata {
  const httpHeaders = { 'Content-Type': 'application/x-amz-json-1.0', Date: new Date().toUTCString(), 'x-amzn-RequestId': requestId, ...headers };
  const allHttpHeaders = Object.fromEntries(Object.entries(httpHeaders).map(([key, value]) => [key, [value]]));
  return { SdkHttpMetadata: { AllHttpHeaders: allHttpHeaders, HttpHeaders: httpHeaders, HttpStatusCode: statusCode }, SdkResponseMetadata: { RequestId: requestId } };
}

function serviceCause(message: string, service: string, statusCode: number, errorCode: string, requestId: string): string {
  return `${message} (Service: ${service}; Status Code: ${statusCode}; Error Code: ${errorCode}; Request ID: ${requestId}; Proxy: null)`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireRecord(params: unknown, ctx: TaskContext, errorName: string): Record<string, unknown> {
  if (!isRecord(params)) throw new TaskParametersError(errorName, ctx, '(Parameters)', `must be an object, got ${JSON.stringify(params)}`);
  return params;
}

function requireString(params: Record<string, unknown>, field: string, ctx: TaskContext, errorName: string): string {
  const value = params[field];
  if (typeof value !== 'string' || value === '') throw new TaskParametersError(errorName, ctx, field, `must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

// --- Lambda -------------------------------------------------------------------------------

/** What the Lambda adapters need from the local Lambda runtime. */
export interface LambdaInvoker {
  invoke(functionName: string, payload: unknown): Promise<InvokeResult>;
}

const LAMBDA_SERVICE_ERRORS: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  RequestTooLargeException: 413,
};

async function invokeForStates(invoker: LambdaInvoker, functionName: string, payload: unknown): Promise<InvokeResult> {
  let result: InvokeResult;
  try {
    result = await invoker.invoke(functionName, payload);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'ServiceException';
    const status = LAMBDA_SERVICE_ERRORS[name];
    const message = error instanceof Error ? error.message : String(error);
    if (status === undefined) throw new StatesTaskError('Lambda.ServiceException', serviceCause(message, 'AWSLambda', 500, 'ServiceException', randomUUID()));
    throw new StatesTaskError(`Lambda.${name}`, serviceCause(message, 'AWSLambda', status, name, randomUUID()));
  }
  if (result.functionError) {
    // The service: Error is the function's errorType, Cause its error payload as JSON text.
    const payloadError = result.payload;
    const errorType = isRecord(payloadError) && typeof payloadError.errorType === 'string' ? payloadError.errorType : 'Lambda.Unknown';
    throw new StatesTaskError(errorType, JSON.stringify(payloadError));
  }
  return result;
}

/** `lambda:invoke` (the optimized integration) and bare function ARNs (legacy: payload in, payload out). */
export function lambdaTaskAdapters(invoker: LambdaInvoker): TaskAdapters {
  const lambdaInvoke: TaskAdapter = async (params, ctx) => {
    const request = requireRecord(params, ctx, 'Lambda.InvalidParameterValueException');
    const functionName = requireString(request, 'FunctionName', ctx, 'Lambda.InvalidParameterValueException');
    const qualifier = typeof request.Qualifier === 'string' ? request.Qualifier : undefined;
    const target = qualifier ? `${functionName}:${qualifier}` : functionName;
    const payload = 'Payload' in request ? request.Payload : {};
    const invocationType = request.InvocationType ?? 'RequestResponse';

    if (invocationType === 'Event') {
      // Asynchronous invocation: accepted now, run in the background; its outcome is not the Task's.
      void invoker.invoke(target, payload).catch(() => undefined);
      const requestId = randomUUID();
      return { Payload: '', StatusCode: 202, ...sdkMetadata(requestId, { 'Content-Type': 'application/json' }, 202) };
    }
    if (invocationType === 'DryRun') {
      return { Payload: '', StatusCode: 204, ...sdkMetadata(randomUUID(), { 'Content-Type': 'application/json' }, 204) };
    }
    if (invocationType !== 'RequestResponse') {
      throw new TaskParametersError('Lambda.InvalidParameterValueException', ctx, 'InvocationType', `must be RequestResponse, Event or DryRun, got ${JSON.stringify(invocationType)}`);
    }

    const result = await invokeForStates(invoker, target, payload);
    const body = JSON.stringify(result.payload);
    const response: Record<string, unknown> = {
      ExecutedVersion: result.executedVersion,
      Payload: result.payload,
      ...sdkMetadata(result.requestId, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        'X-Amz-Executed-Version': result.executedVersion,
      }),
      StatusCode: 200,
    };
    if (request.LogType === 'Tail') response.LogResult = Buffer.from(result.logs.join('\n').slice(-4096)).toString('base64');
    return response;
  };

  const functionArn: TaskAdapter = async (params, ctx) => (await invokeForStates(invoker, ctx.resource, params)).payload;

  return { [RESOURCES.lambdaInvoke]: lambdaInvoke, [LAMBDA_FUNCTION_ARN_PATTERN]: functionArn };
}

// --- DynamoDB -----------------------------------------------------------------------------

/** Errors the DynamoDB integration reports by their own name; anything else is AmazonDynamoDBException. */
const DYNAMODB_NAMED_ERRORS = new Set([
  'ConditionalCheckFailedException',
  'ResourceNotFoundException',
  'ProvisionedThroughputExceededException',
  'ItemCollectionSizeLimitExceededException',
  'TransactionConflictException',
  'RequestLimitExceeded',
  'InternalServerError',
]);

interface ServiceErrorShape {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function isServiceError(error: unknown): error is ServiceErrorShape {
  return error instanceof Error && '$metadata' in error && isRecord(error.$metadata);
}

function dynamoDbError(error: unknown): StatesTaskError {
  if (!isServiceError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new StatesTaskError('DynamoDB.SdkClientException', `Unable to execute HTTP request: ${message}`);
  }
  const errorName = DYNAMODB_NAMED_ERRORS.has(error.name) ? `DynamoDB.${error.name}` : 'DynamoDB.AmazonDynamoDBException';
  const status = error.$metadata?.httpStatusCode ?? 400;
  return new StatesTaskError(errorName, serviceCause(error.message, 'AmazonDynamoDBv2', status, error.name, error.$metadata?.requestId ?? randomUUID()));
}

/** Step Functions writes binary attributes as base64 text; the SDK wants bytes. */
function toSdkAttributeValue(value: unknown): unknown {
  if (!isRecord(value)) return value;
  if (typeof value.B === 'string') return { ...value, B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { ...value, BS: value.BS.map((b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : b)) };
  if (isRecord(value.M)) return { ...value, M: toSdkAttributeMap(value.M) };
  if (Array.isArray(value.L)) return { ...value, L: value.L.map(toSdkAttributeValue) };
  return value;
}

function toSdkAttributeMap(map: unknown): unknown {
  if (!isRecord(map)) return map;
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, toSdkAttributeValue(value)]));
}

/** Bytes back to base64 text, as the integration returns them; undefined fields dropped. */
function fromSdkOutput(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(fromSdkOutput);
  if (isRecord(value)) return fromSdkRecord(value);
  return value;
}

function fromSdkRecord(value: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, fromSdkOutput(v)]),
  );
}

function dynamoRequest<T>(params: unknown, ctx: TaskContext, required: 'Item' | 'Key'): T {
  const request = requireRecord(params, ctx, 'DynamoDB.AmazonDynamoDBException');
  requireString(request, 'TableName', ctx, 'DynamoDB.AmazonDynamoDBException');
  if (!isRecord(request[required])) throw new TaskParametersError('DynamoDB.AmazonDynamoDBException', ctx, required, 'must be a map of attribute values');
  const converted: Record<string, unknown> = { ...request };
  for (const field of ['Item', 'Key', 'ExpressionAttributeValues']) {
    if (field in converted) converted[field] = toSdkAttributeMap(converted[field]);
  }
  // Validated above: the wire shape Step Functions passes is the SDK command's input shape.
  return converted as T;
}

/** `dynamodb:putItem|getItem|updateItem|deleteItem` against the local DynamoDB (dynalite). */
export function dynamoDbTaskAdapters(client: DynamoDBClient): TaskAdapters {
  const run = async <T extends { $metadata: { requestId?: string } }>(send: () => Promise<T>): Promise<unknown> => {
    try {
      const { $metadata, ...output } = await send();
      return { ...fromSdkRecord(output), ...sdkMetadata($metadata.requestId ?? randomUUID()) };
    } catch (error) {
      throw dynamoDbError(error);
    }
  };
  return {
    [RESOURCES.dynamodbPutItem]: (params, ctx) => run(() => client.send(new PutItemCommand(dynamoRequest<PutItemCommandInput>(params, ctx, 'Item')))),
    [RESOURCES.dynamodbGetItem]: (params, ctx) => run(() => client.send(new GetItemCommand(dynamoRequest<GetItemCommandInput>(params, ctx, 'Key')))),
    [RESOURCES.dynamodbUpdateItem]: (params, ctx) => run(() => client.send(new UpdateItemCommand(dynamoRequest<UpdateItemCommandInput>(params, ctx, 'Key')))),
    [RESOURCES.dynamodbDeleteItem]: (params, ctx) => run(() => client.send(new DeleteItemCommand(dynamoRequest<DeleteItemCommandInput>(params, ctx, 'Key')))),
  };
}

// --- SNS ----------------------------------------------------------------------------------

export interface SnsMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export interface PublishRequest {
  readonly TopicArn: string;
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Readonly<Record<string, SnsMessageAttribute>>;
}

export interface PublishedMessage extends PublishRequest {
  readonly MessageId: string;
  readonly Timestamp: string;
}

export type TopicListener = (message: PublishedMessage) => void | Promise<void>;

/** Publish to a topic the local cloud never created (the service's NotFoundException). */
export class TopicNotFoundError extends Error {
  constructor(readonly topicArn: string) {
    super(`Topic does not exist: ${topicArn}`);
    this.name = 'NotFoundException';
  }
}

export interface LocalTopicsOptions {
  /** @default randomUUID */
  readonly newId?: () => string;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** A subscriber that throws does not fail the publish; it is reported here. @default - ignored */
  readonly onSubscriberError?: (error: unknown, message: PublishedMessage) => void;
}

/** An email subscription (from the template's AWS::SNS::Subscription): its filter decides what reaches the mailbox. */
export interface EmailSubscription {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly endpoint: string;
  /** @default - every message */
  readonly filter?: CompiledFilterPolicy;
}

/** A message delivered to an email subscription's mailbox. */
export interface DeliveredEmail {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly message: string;
  readonly timestamp: string;
}

/**
 * The local SNS: topics from the template, every published message kept, subscriber
 * callbacks, and email subscriptions delivered to local mailboxes through their filter policies.
 */
export class LocalTopics {
  private readonly published = new Map<string, PublishedMessage[]>();
  private readonly listeners = new Map<string, Set<TopicListener>>();
  private readonly emailSubscriptions = new Map<string, EmailSubscription>();
  private readonly mailboxes = new Map<string, DeliveredEmail[]>();

  constructor(private readonly options: LocalTopicsOptions = {}) {}

  createTopic(topicArn: string): void {
    if (!this.published.has(topicArn)) this.published.set(topicArn, []);
  }

  hasTopic(topicArn: string): boolean {
    return this.published.has(topicArn);
  }

  topicArns(): string[] {
    return [...this.published.keys()];
  }

  publish(request: PublishRequest): PublishedMessage {
    const messages = this.published.get(request.TopicArn);
    if (!messages) throw new TopicNotFoundError(request.TopicArn);
    const message: PublishedMessage = {
      ...request,
      MessageId: (this.options.newId ?? randomUUID)(),
      Timestamp: (this.options.clock?.() ?? new Date()).toISOString(),
    };
    messages.push(message);
    for (const subscription of this.emailSubscriptions.values()) {
      if (subscription.topicArn !== request.TopicArn || (subscription.filter && !subscription.filter.matches(message))) continue;
      const mailbox = this.mailboxes.get(subscription.endpoint) ?? [];
      mailbox.push({
        subscriptionArn: subscription.subscriptionArn,
        topicArn: message.TopicArn,
        messageId: message.MessageId,
        ...(message.Subject === undefined ? {} : { subject: message.Subject }),
        message: message.Message,
        timestamp: message.Timestamp,
      });
      this.mailboxes.set(subscription.endpoint, mailbox);
    }
    for (const listener of this.listeners.get(request.TopicArn) ?? []) {
      // Delivery is asynchronous, as with SNS: the publisher does not wait for subscribers.
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => listener(message))
          .catch((error: unknown) => this.options.onSubscriberError?.(error, message));
      });
    }
    return message;
  }

  /** Messages published to one topic, oldest first. */
  messages(topicArn: string): readonly PublishedMessage[] {
    return [...(this.published.get(topicArn) ?? [])];
  }

  /** Delivers later messages on the subscription's topic that pass its filter to the endpoint's mailbox. */
  subscribeEmail(subscription: EmailSubscription): void {
    if (!this.published.has(subscription.topicArn)) throw new TopicNotFoundError(subscription.topicArn);
    this.emailSubscriptions.set(subscription.subscriptionArn, subscription);
  }

  unsubscribeEmail(subscriptionArn: string): void {
    this.emailSubscriptions.delete(subscriptionArn);
  }

  emailSubscriptionArns(): string[] {
    return [...this.emailSubscriptions.keys()];
  }

  /** What was delivered to an email address, oldest first. */
  mailbox(endpoint: string): readonly DeliveredEmail[] {
    return [...(this.mailboxes.get(endpoint) ?? [])];
  }

  /** Calls `listener` for each later message on the topic; returns the unsubscribe function. */
  subscribe(topicArn: string, listener: TopicListener): () => void {
    const set = this.listeners.get(topicArn) ?? new Set<TopicListener>();
    set.add(listener);
    this.listeners.set(topicArn, set);
    return () => set.delete(listener);
  }
}

function messageAttributes(value: unknown, ctx: TaskContext): Record<string, SnsMessageAttribute> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new TaskParametersError('SNS.InvalidParameterException', ctx, 'MessageAttributes', 'must be a map');
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (!isRecord(attribute) || typeof attribute.DataType !== 'string') {
      throw new TaskParametersError('SNS.InvalidParameterException', ctx, `MessageAttributes.${name}`, 'must have a DataType string');
    }
    const { StringValue, BinaryValue } = attribute;
    attributes[name] = {
      DataType: attribute.DataType,
      ...(typeof StringValue === 'string' ? { StringValue } : {}),
      ...(typeof BinaryValue === 'string' ? { BinaryValue } : {}),
    };
  }
  return attributes;
}

/** `sns:publish` into LocalTopics. */
export function snsTaskAdapters(topics: LocalTopics): TaskAdapters {
  const publish: TaskAdapter = async (params, ctx) => {
    const request = requireRecord(params, ctx, 'SNS.InvalidParameterException');
    const topicArn = requireString(request, 'TopicArn', ctx, 'SNS.InvalidParameterException');
    if (request.Message === undefined || request.Message === null || request.Message === '') {
      throw new TaskParametersError('SNS.InvalidParameterException', ctx, 'Message', 'is required');
    }
    // Step Functions sends a JSON Message as its text.
    const message = typeof request.Message === 'string' ? request.Message : JSON.stringify(request.Message);
    const attributes = messageAttributes(request.MessageAttributes, ctx);
    try {
      const published = topics.publish({
        TopicArn: topicArn,
        Message: message,
        ...(request.Subject === undefined ? {} : { Subject: String(request.Subject) }),
        ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
      });
      return { MessageId: published.MessageId, ...sdkMetadata(randomUUID(), { 'Content-Type': 'text/xml' }) };
    } catch (error) {
      if (error instanceof TopicNotFoundError) {
        throw new StatesTaskError('SNS.NotFoundException', serviceCause(error.message, 'AmazonSNS', 404, 'NotFound', randomUUID()));
      }
      throw error;
    }
  };
  return { [RESOURCES.snsPublish]: publish };
}

// --- Step Functions (nested executions) ----------------------------------------------------

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionOutcome {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** What the startExecution adapters need from the local execution service. */
export interface StepFunctionsBackend {
  startExecution(stateMachineArn: string, input: unknown, name?: string): Promise<{ executionArn: string; startDate: Date }>;
  waitForExecution(executionArn: string): Promise<ExecutionOutcome>;
}

function describeResponse(outcome: ExecutionOutcome, parseJson: boolean): Record<string, unknown> {
  const text = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));
  return {
    ExecutionArn: outcome.executionArn,
    Input: parseJson ? outcome.input : text(outcome.input),
    InputDetails: { Included: true },
    Name: outcome.name,
    Output: parseJson ? outcome.output : text(outcome.output),
    OutputDetails: { Included: true },
    StartDate: outcome.startDate.getTime(),
    StateMachineArn: outcome.stateMachineArn,
    Status: outcome.status,
    StopDate: outcome.stopDate?.getTime(),
    Error: outcome.error,
    Cause: outcome.cause,
  };
}

/** `states:startExecution`, `.sync` (Output as text) and `.sync:2` (Output as JSON). */
export function stepFunctionsTaskAdapters(backend: StepFunctionsBackend): TaskAdapters {
  const start = async (params: unknown, ctx: TaskContext): Promise<{ executionArn: string; startDate: Date }> => {
    const request = requireRecord(params, ctx, 'StepFunctions.InvalidArnException');
    const stateMachineArn = requireString(request, 'StateMachineArn', ctx, 'StepFunctions.InvalidArnException');
    let input: unknown = request.Input ?? {};
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        throw new TaskParametersError('StepFunctions.InvalidExecutionInputException', ctx, 'Input', 'is text that is not JSON');
      }
    }
    const name = typeof request.Name === 'string' ? request.Name : undefined;
    try {
      return await backend.startExecution(stateMachineArn, input, name);
    } catch (error) {
      const errorName = error instanceof Error ? error.name : 'ServiceException';
      const code = errorName.endsWith('Exception') ? errorName : `${errorName}Exception`;
      throw new StatesTaskError(`StepFunctions.${code}`, serviceCause(error instanceof Error ? error.message : String(error), 'AWSStepFunctions', 400, code, randomUUID()));
    }
  };
  const sync = (parseJson: boolean): TaskAdapter => async (params, ctx) => {
    const { executionArn } = await start(params, ctx);
    const outcome = await backend.waitForExecution(executionArn);
    const response = fromSdkRecord(describeResponse(outcome, parseJson));
    if (outcome.status !== 'SUCCEEDED') throw new StatesTaskError('States.TaskFailed', JSON.stringify(response));
    return { ...response, ...sdkMetadata(randomUUID()) };
  };
  return {
    [RESOURCES.startExecution]: async (params, ctx) => {
      const { executionArn, startDate } = await start(params, ctx);
      return { ExecutionArn: executionArn, StartDate: startDate.getTime(), ...sdkMetadata(randomUUID()) };
    },
    [RESOURCES.startExecutionSync]: sync(false),
    [RESOURCES.startExecutionSync2]: sync(true),
  };
}

// --- EventBridge --------------------------------------------------------------------------

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  /** A JSON object as text (Step Functions serializes a JSON Detail). */
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: string;
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

export interface PutEventsOutcome {
  readonly FailedEntryCount: number;
  readonly Entries: ReadonlyArray<{ readonly EventId?: string; readonly ErrorCode?: string; readonly ErrorMessage?: string }>;
}

/** `events:putEvents` delivered to the local event bus through `putEvents`. */
export function eventBridgeTaskAdapters(putEvents: (entries: PutEventsEntry[]) => Promise<PutEventsOutcome> | PutEventsOutcome): TaskAdapters {
  const adapter: TaskAdapter = async (params, ctx) => {
    const request = requireRecord(params, ctx, 'EventBridge.ValidationException');
    if (!Array.isArray(request.Entries) || request.Entries.length === 0) {
      throw new TaskParametersError('EventBridge.ValidationException', ctx, 'Entries', 'must be a non-empty list');
    }
    const entries = request.Entries.map((entry: unknown, index: number): PutEventsEntry => {
      const where = `Entries[${index}]`;
      if (!isRecord(entry)) throw new TaskParametersError('EventBridge.ValidationException', ctx, where, 'must be an object');
      const text = (field: string): string | undefined => {
        const value = entry[field];
        if (value === undefined) return undefined;
        if (typeof value !== 'string') throw new TaskParametersError('EventBridge.ValidationException', ctx, `${where}.${field}`, `must be a string, got ${JSON.stringify(value)}`);
        return value;
      };
      const resources = entry.Resources;
      if (resources !== undefined && !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))) {
        throw new TaskParametersError('EventBridge.ValidationException', ctx, `${where}.Resources`, 'must be a list of strings');
      }
      return {
        Source: text('Source'),
        DetailType: text('DetailType'),
        Detail: entry.Detail === undefined || typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail),
        Resources: resources,
        Time: entry.Time === undefined ? undefined : String(entry.Time),
        EventBusName: text('EventBusName'),
        TraceHeader: text('TraceHeader'),
      };
    });
    const outcome = await putEvents(entries);
    const response = { Entries: outcome.Entries, FailedEntryCount: outcome.FailedEntryCount };
    if (outcome.FailedEntryCount > 0) throw new StatesTaskError('EventBridge.FailedEntry', JSON.stringify(response));
    return { ...response, ...sdkMetadata(randomUUID()) };
  };
  return { [RESOURCES.putEvents]: adapter };
}
