/**
 * The Step Functions AWS SDK integration `arn:aws:states:::aws-sdk:cloudwatch:putMetricData`
 * against the local CloudWatch. Parameters are the API's (Namespace, MetricData, ...);
 * Timestamp may be ISO-8601 text or epoch seconds. The result is the API's empty response;
 * a refusal fails the state with `CloudWatch.<Exception>` (e.g.
 * `CloudWatch.InvalidParameterValueException`), the way SDK integrations name errors.
 */
import { randomUUID } from 'node:crypto';
import { StatesTaskError, type TaskAdapters } from '../runtime/task-adapters';
import { CloudWatchServiceError, parseInput, putMetricDataShape } from './cloudwatch-json-protocol';
import type { LocalCloudWatch } from './local-cloudwatch';

export const CLOUDWATCH_PUT_METRIC_DATA_RESOURCE = 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData';

/** ISO timestamps to epoch seconds, so the task's Parameters parse like the wire input. */
function withEpochTimestamps(params: unknown): unknown {
  if (typeof params !== 'object' || params === null || !Array.isArray((params as { MetricData?: unknown }).MetricData)) return params;
  const request = params as { MetricData: unknown[] };
  return {
    ...request,
    MetricData: request.MetricData.map((datum) => {
      if (typeof datum !== 'object' || datum === null) return datum;
      const timestamp = (datum as { Timestamp?: unknown }).Timestamp;
      if (typeof timestamp !== 'string') return datum;
      const ms = Date.parse(timestamp);
      return { ...datum, Timestamp: Number.isNaN(ms) ? timestamp : ms / 1000 };
    }),
  };
}

export function cloudWatchTaskAdapters(cloudwatch: LocalCloudWatch): TaskAdapters {
  return {
    [CLOUDWATCH_PUT_METRIC_DATA_RESOURCE]: async (params) => {
      try {
        return cloudwatch.putMetricData(parseInput(putMetricDataShape, withEpochTimestamps(params)));
      } catch (error) {
        if (!(error instanceof CloudWatchServiceError)) throw error;
        throw new StatesTaskError(`CloudWatch.${error.shape}`, `${error.message} (Service: CloudWatch, Status Code: ${error.status}, Request ID: ${randomUUID()})`);
      }
    },
  };
}
