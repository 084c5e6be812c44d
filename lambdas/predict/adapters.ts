/**
 * The predict function's AWS side: the S3 prediction log sink and per-variant metrics as
 * CloudWatch Embedded Metric Format lines (Lambda turns stdout EMF into metrics, so no
 * PutMetricData call sits on the request path).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ServedRequestSummary } from '../core/serving/endpoint';
import type { PredictionLogSink } from '../core/serving/prediction-log';

export const ENDPOINT_METRICS_NAMESPACE = 'LuminaOps/Endpoint';

export function s3PredictionLogSink(s3: S3Client, bucket: string): PredictionLogSink {
  return {
    async write(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
    },
  };
}

/** One EMF line per variant served: Predictions, Positives and Latency by Project and Variant. */
export function emfLines(project: string, summary: ServedRequestSummary, now: number): string[] {
  return summary.byVariant.map((v) => JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{
        Namespace: ENDPOINT_METRICS_NAMESPACE,
        Dimensions: [['Project', 'Variant']],
        Metrics: [{ Name: 'Predictions', Unit: 'Count' }, { Name: 'Positives', Unit: 'Count' }, { Name: 'Latency', Unit: 'Milliseconds' }],
      }],
    },
    Project: project,
    Variant: v.variant,
    ModelVersion: v.modelVersion,
    Predictions: v.predictions,
    Positives: v.positives,
    Latency: summary.latencyMs,
    requestId: summary.requestId,
  }));
}
