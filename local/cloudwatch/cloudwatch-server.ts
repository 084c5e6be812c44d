/**
 * The local CloudWatch endpoint: an HTTP server in-process on 127.0.0.1 (like s3rver) that
 * answers @aws-sdk/client-cloudwatch with LocalCloudWatch. Lambda bundles reach it through
 * AWS_ENDPOINT_URL_CLOUDWATCH. Requests are not signature-checked (no emulator here checks
 * credentials). An operation it does not serve is an UnknownOperationException naming it.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  CloudWatchServiceError,
  type WireResponse,
  cloudWatchErrors,
  decodeRequest,
  describeAlarmHistoryShape,
  describeAlarmsShape,
  encodeError,
  encodeResult,
  getMetricDataShape,
  getMetricStatisticsShape,
  listMetricsShape,
  parseInput,
  putMetricDataShape,
} from './cloudwatch-json-protocol';
import type { LocalCloudWatch } from './local-cloudwatch';

/** What points an unmodified Lambda bundle's CloudWatch client at the endpoint (the SDK reads AWS_ENDPOINT_URL_ + serviceId "CloudWatch"). */
export function cloudWatchLambdaEnvironment(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL_CLOUDWATCH: endpoint };
}

export interface RunningCloudWatchServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  close(): Promise<void>;
}

type Operation = (service: LocalCloudWatch, body: unknown) => object;

function operation<S extends z.ZodType>(shape: S, run: (service: LocalCloudWatch, input: z.output<S>) => object): Operation {
  return (service, body) => run(service, parseInput(shape, body));
}

export const CLOUDWATCH_OPERATIONS: Readonly<Record<string, Operation>> = {
  PutMetricData: operation(putMetricDataShape, (s, input) => s.putMetricData(input)),
  DescribeAlarms: operation(describeAlarmsShape, (s, input) => s.describeAlarms(input)),
  DescribeAlarmHistory: operation(describeAlarmHistoryShape, (s, input) => s.describeAlarmHistory(input)),
  GetMetricStatistics: operation(getMetricStatisticsShape, (s, input) => s.getMetricStatistics(input)),
  GetMetricData: operation(getMetricDataShape, (s, input) => s.getMetricData(input)),
  ListMetrics: operation(listMetricsShape, (s, input) => s.listMetrics(input)),
};

/** Serves one decoded HTTP request; never throws (failures become the service's error responses). */
export function handleCloudWatchRequest(service: LocalCloudWatch, request: Parameters<typeof decodeRequest>[0], onError?: (error: unknown) => void): WireResponse {
  const requestId = randomUUID();
  try {
    const { operation: name, body } = decodeRequest(request);
    const run = CLOUDWATCH_OPERATIONS[name];
    if (!run) throw cloudWatchErrors.unknownOperation(`${name} is not served by the local CloudWatch (served: ${Object.keys(CLOUDWATCH_OPERATIONS).join(', ')})`);
    return encodeResult(run(service, body), requestId);
  } catch (error) {
    if (error instanceof CloudWatchServiceError) return encodeError(error, requestId);
    onError?.(error);
    return encodeError(cloudWatchErrors.internal((error as Error).message ?? String(error)), requestId);
  }
}

export async function startCloudWatchServer(service: LocalCloudWatch, options: { onError?: (error: unknown) => void } = {}): Promise<RunningCloudWatchServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const response = handleCloudWatchRequest(service, { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) }, options.onError);
      res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
      res.end(response.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      })),
  };
}
