import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricSink } from '../core/monitoring/drift-metrics';

/** MetricSink over the AWS SDK v3 CloudWatch client (the local cloud's endpoint and AWS alike). */
export function cloudWatchMetricSink(cloudwatch: CloudWatchClient): MetricSink {
  return {
    async putMetricData(request) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: request.Namespace,
          MetricData: request.MetricData.map((d) => ({ ...d, Dimensions: d.Dimensions.map((x) => ({ ...x })) })),
        }),
      );
    },
  };
}
