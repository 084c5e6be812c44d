/**
 * The CloudWatch wire protocol as the installed SDK speaks it. @aws-sdk/client-cloudwatch
 * 3.1162 uses awsJson1_0 with the awsQueryCompatible trait (not awsQuery, not RPCv2 CBOR):
 *
 * - `POST /`, `Content-Type: application/x-amz-json-1.0`,
 *   `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, `x-amzn-query-mode: true`;
 * - PutMetricData bodies of 10 KiB or more arrive gzipped (`Content-Encoding: gzip`, the
 *   operation's requestCompression trait);
 * - timestamps are epoch seconds (fractions allowed); doubles that JSON cannot hold are the
 *   strings "NaN", "Infinity" and "-Infinity";
 * - errors: `{"__type": "com.amazonaws.cloudwatch#<Shape>", "message": ...}` plus
 *   `x-amzn-query-error: <QueryCode>;Sender`, from which the SDK picks the named exception
 *   (InvalidParameterValueException, MissingRequiredParameterException, ...).
 *
 * This file decodes requests into plain inputs (zod, field paths named the Query way:
 * `MetricData.member.2.Value`) and encodes results and errors. It knows no operation's logic.
 */
import { gunzipSync } from 'node:zlib';
import * as z from 'zod';

export const CLOUDWATCH_SERVICE_TARGET = 'GraniteServiceVersion20100801';
export const JSON_1_0_CONTENT_TYPE = 'application/x-amz-json-1.0';
const SHAPE_NAMESPACE = 'com.amazonaws.cloudwatch';

/** A failure the way CloudWatch reports it: the Smithy shape, its Query error code, HTTP status. */
export class CloudWatchServiceError extends Error {
  constructor(
    /** The error shape, e.g. InvalidParameterValueException (the SDK error's `name`). */
    readonly shape: string,
    /** The awsQueryError code (`InvalidParameterValue`), when the shape has one. */
    readonly queryCode: string | undefined,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = shape;
  }
}

export const cloudWatchErrors = {
  invalidParameterValue: (message: string) => new CloudWatchServiceError('InvalidParameterValueException', 'InvalidParameterValue', 400, message),
  missingParameter: (message: string) => new CloudWatchServiceError('MissingRequiredParameterException', 'MissingParameter', 400, message),
  invalidParameterCombination: (message: string) => new CloudWatchServiceError('InvalidParameterCombinationException', 'InvalidParameterCombination', 400, message),
  invalidNextToken: (message: string) => new CloudWatchServiceError('InvalidNextToken', 'InvalidNextToken', 400, message),
  resourceNotFound: (message: string) => new CloudWatchServiceError('ResourceNotFound', 'ResourceNotFound', 404, message),
  unknownOperation: (message: string) => new CloudWatchServiceError('UnknownOperationException', undefined, 400, message),
  serialization: (message: string) => new CloudWatchServiceError('SerializationException', undefined, 400, message),
  internal: (message: string) => new CloudWatchServiceError('InternalServiceFault', 'InternalServiceError', 500, message),
} as const;

/** The metric store's error codes, as the JSON protocol's shapes. */
export function fromQueryErrorCode(code: 'InvalidParameterValue' | 'MissingParameter' | 'InvalidParameterCombination', message: string): CloudWatchServiceError {
  if (code === 'MissingParameter') return cloudWatchErrors.missingParameter(message);
  if (code === 'InvalidParameterCombination') return cloudWatchErrors.invalidParameterCombination(message);
  return cloudWatchErrors.invalidParameterValue(message);
}

export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface DecodedRequest {
  readonly operation: string;
  readonly body: unknown;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function header(request: WireRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Operation name and parsed JSON body; throws CloudWatchServiceError for anything else. */
export function decodeRequest(request: WireRequest): DecodedRequest {
  const contentType = header(request, 'content-type') ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    throw cloudWatchErrors.unknownOperation('this local CloudWatch speaks awsJson1_0 (what @aws-sdk/client-cloudwatch 3.1162 sends); awsQuery form posts are not served');
  }
  if (request.method !== 'POST') throw cloudWatchErrors.unknownOperation(`${request.method} ${request.path}: CloudWatch takes POST / only`);
  if (!contentType.startsWith(JSON_1_0_CONTENT_TYPE)) throw cloudWatchErrors.serialization(`Content-Type ${contentType || '(none)'} is not ${JSON_1_0_CONTENT_TYPE}`);
  const target = header(request, 'x-amz-target') ?? '';
  const [prefix, operation] = target.split('.');
  if (prefix !== CLOUDWATCH_SERVICE_TARGET || !operation) {
    throw cloudWatchErrors.unknownOperation(`X-Amz-Target ${target || '(none)'} does not name a ${CLOUDWATCH_SERVICE_TARGET} operation`);
  }
  let bytes = request.body;
  const encoding = (header(request, 'content-encoding') ?? '').toLowerCase();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw cloudWatchErrors.serialization(`the gzip body does not decompress: ${(error as Error).message}`);
    }
  } else if (encoding !== '' && encoding !== 'identity') {
    throw cloudWatchErrors.serialization(`Content-Encoding ${encoding} is not supported (gzip is)`);
  }
  const text = bytes.toString('utf8');
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw cloudWatchErrors.serialization(`the body is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw cloudWatchErrors.serialization('the body must be a JSON object');
  return { operation, body };
}

/** Dates as epoch seconds, non-finite doubles as the strings the SDK reads back. */
function toWireJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (Array.isArray(value)) return value.map(toWireJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWireJson(v)]));
  }
  return value;
}

export function encodeResult(output: object, requestId: string): WireResponse {
  return { status: 200, headers: { 'content-type': JSON_1_0_CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: JSON.stringify(toWireJson(output)) };
}

export function encodeError(error: CloudWatchServiceError, requestId: string): WireResponse {
  const headers: Record<string, string> = { 'content-type': JSON_1_0_CONTENT_TYPE, 'x-amzn-requestid': requestId };
  if (error.queryCode) headers['x-amzn-query-error'] = `${error.queryCode};${error.status >= 500 ? 'Receiver' : 'Sender'}`;
  // InternalServiceFault's member is `Message`; the client errors' is `message`.
  const message = error.shape === 'InternalServiceFault' ? { Message: error.message } : { message: error.message };
  return { status: error.status, headers, body: JSON.stringify({ __type: `${SHAPE_NAMESPACE}#${error.shape}`, ...message }) };
}

// ---------------------------------------------------------------- input shapes

/** A JSON double: a number, or the SDK's "NaN" / "Infinity" / "-Infinity" strings. */
const wireDouble = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform((text) => Number(text))]);
/** Epoch seconds, as the SDK writes timestamps. */
const wireTimestamp = z.number().transform((seconds) => new Date(Math.round(seconds * 1000)));
const wireDimension = z.object({ Name: z.string().optional(), Value: z.string().optional() });

const metricDatumShape = z.object({
  MetricName: z.string().optional(),
  Dimensions: z.array(wireDimension).optional(),
  Timestamp: wireTimestamp.optional(),
  Value: wireDouble.optional(),
  StatisticValues: z
    .object({ SampleCount: wireDouble.optional(), Sum: wireDouble.optional(), Minimum: wireDouble.optional(), Maximum: wireDouble.optional() })
    .optional(),
  Values: z.array(wireDouble).optional(),
  Counts: z.array(wireDouble).optional(),
  Unit: z.string().optional(),
  StorageResolution: z.number().int().optional(),
});

export const putMetricDataShape = z.object({
  Namespace: z.string().optional(),
  MetricData: z.array(metricDatumShape).optional(),
  EntityMetricData: z.array(z.unknown()).optional(),
  StrictEntityValidation: z.boolean().optional(),
});

const alarmTypeShape = z.enum(['CompositeAlarm', 'MetricAlarm']);
const stateValueShape = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

export const describeAlarmsShape = z.object({
  AlarmNames: z.array(z.string()).max(100).optional(),
  AlarmNamePrefix: z.string().optional(),
  AlarmTypes: z.array(alarmTypeShape).optional(),
  ChildrenOfAlarmName: z.string().optional(),
  ParentsOfAlarmName: z.string().optional(),
  StateValue: stateValueShape.optional(),
  ActionPrefix: z.string().optional(),
  MaxRecords: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().optional(),
});

export const describeAlarmHistoryShape = z.object({
  AlarmName: z.string().optional(),
  AlarmContributorId: z.string().optional(),
  AlarmTypes: z.array(alarmTypeShape).optional(),
  HistoryItemType: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction']).optional(),
  StartDate: wireTimestamp.optional(),
  EndDate: wireTimestamp.optional(),
  MaxRecords: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
});

export const getMetricStatisticsShape = z.object({
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Dimensions: z.array(wireDimension).optional(),
  StartTime: wireTimestamp.optional(),
  EndTime: wireTimestamp.optional(),
  Period: z.number().int().optional(),
  Statistics: z.array(z.string()).optional(),
  ExtendedStatistics: z.array(z.string()).optional(),
  Unit: z.string().optional(),
});

const metricShape = z.object({ Namespace: z.string().optional(), MetricName: z.string().optional(), Dimensions: z.array(wireDimension).optional() });

export const getMetricDataShape = z.object({
  MetricDataQueries: z
    .array(
      z.object({
        Id: z.string().optional(),
        MetricStat: z.object({ Metric: metricShape.optional(), Period: z.number().int().optional(), Stat: z.string().optional(), Unit: z.string().optional() }).optional(),
        Expression: z.string().optional(),
        Label: z.string().optional(),
        ReturnData: z.boolean().optional(),
        Period: z.number().int().optional(),
        AccountId: z.string().optional(),
      }),
    )
    .optional(),
  StartTime: wireTimestamp.optional(),
  EndTime: wireTimestamp.optional(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().int().optional(),
  LabelOptions: z.object({ Timezone: z.string().optional() }).optional(),
});

export const listMetricsShape = z.object({
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Dimensions: z.array(z.object({ Name: z.string().optional(), Value: z.string().optional() })).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.literal('PT3H').optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().optional(),
});

/** `MetricData.member.2.Value`: a zod issue path the way CloudWatch names parameters (1-based members). */
export function queryParameterPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `member.${part + 1}` : String(part))).join('.');
}

/** Parses an operation's input; a type mismatch is the service's InvalidParameterValue naming the parameter. */
export function parseInput<S extends z.ZodType>(shape: S, body: unknown): z.output<S> {
  const parsed = shape.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const parameter = queryParameterPath(issue.path) || '(request)';
  throw cloudWatchErrors.invalidParameterValue(`The value for parameter ${parameter} is invalid: ${issue.message}.`);
}
