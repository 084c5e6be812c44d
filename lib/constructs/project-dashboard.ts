import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PERFORMANCE_METRICS, PERFORMANCE_NAMESPACE } from '../../lambdas/core/performance/performance-summary';
import { ENDPOINT_METRICS_NAMESPACE } from '../../lambdas/predict/adapters';
import { DATA_QUALITY_NAMESPACE, DRIFT_SCORE_METRIC, FEATURE_DRIFT_METRIC_PREFIX } from './drift-alarms';

export interface ProjectDashboardProps {
  readonly projectName: string;
  readonly trainingPipeline: sfn.IStateMachine;
  /** @default - no inference pipeline widget */
  readonly inferencePipeline?: sfn.IStateMachine;
  /** The online endpoint's function. @default - no endpoint widgets */
  readonly endpoint?: lambda.IFunction;
  /** The drift threshold (a parameter token), drawn as a line on the drift graphs. */
  readonly driftThreshold: string;
  /** The performance floor alarm, drawn on the AUC graph. @default - no performance alarm widget */
  readonly performanceAlarm?: cloudwatch.IAlarm;
}

/**
 * One CloudWatch dashboard per project: pipeline runs, the endpoint's latency and errors and
 * its A/B variants, the overall drift score and every feature's drift, and model performance
 * from ground truth (per model version and variant). Per-feature and per-version series are
 * found with SEARCH expressions, so they need no widget of their own.
 */
export class ProjectDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ProjectDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const runs = (machine: sfn.IStateMachine, label: string): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title: `${label} runs`,
        left: [
          machine.metricStarted({ period, statistic: 'Sum', label: 'started' }),
          machine.metricSucceeded({ period, statistic: 'Sum', label: 'succeeded' }),
          machine.metricFailed({ period, statistic: 'Sum', label: 'failed' }),
        ],
        width: 12,
      });
    const threshold = { value: Number(props.driftThreshold), label: 'drift threshold', color: '#d62728' };
    const thresholdAnnotations = Number.isFinite(threshold.value) ? [threshold] : [];

    const widgets: cloudwatch.IWidget[][] = [
      [
        new cloudwatch.TextWidget({
          markdown: `# LuminaOps project ${props.projectName}\nPipelines, endpoint, data drift. Drift metrics: namespace \`${DATA_QUALITY_NAMESPACE}\`, dimension \`Project\`.`,
          width: 24,
          height: 2,
        }),
      ],
      [runs(props.trainingPipeline, 'Training pipeline'), ...(props.inferencePipeline ? [runs(props.inferencePipeline, 'Inference pipeline')] : [])],
      [
        new cloudwatch.GraphWidget({
          title: 'Overall drift score',
          left: [new cloudwatch.Metric({ namespace: DATA_QUALITY_NAMESPACE, metricName: DRIFT_SCORE_METRIC, dimensionsMap: { Project: props.projectName }, statistic: 'Maximum', period })],
          leftAnnotations: thresholdAnnotations,
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Drift per feature',
          left: [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${DATA_QUALITY_NAMESPACE},Project} Project="${props.projectName}" "${FEATURE_DRIFT_METRIC_PREFIX}"', 'Maximum', 300)`,
              label: '',
              period,
            }),
          ],
          leftAnnotations: thresholdAnnotations,
          width: 12,
        }),
      ],
    ];
    if (props.endpoint) {
      widgets.push([
        new cloudwatch.GraphWidget({
          title: 'Endpoint latency (ms)',
          left: ['p50', 'p95', 'p99'].map((statistic) => props.endpoint!.metricDuration({ period, statistic, label: statistic })),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Endpoint invocations and errors',
          left: [props.endpoint.metricInvocations({ period, statistic: 'Sum' })],
          right: [props.endpoint.metricErrors({ period, statistic: 'Sum' }), props.endpoint.metricThrottles({ period, statistic: 'Sum' })],
          width: 12,
        }),
      ]);
    }
    const search = (namespace: string, dimensions: string, metric: string, statistic: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${namespace},${dimensions}} Project="${props.projectName}" MetricName="${metric}"', '${statistic}', 300)`,
        label: '',
        period,
      });
    widgets.push([
      new cloudwatch.GraphWidget({
        title: 'A/B variants: predictions served',
        left: [search(ENDPOINT_METRICS_NAMESPACE, 'Project,Variant', 'Predictions', 'Sum')],
        right: [search(ENDPOINT_METRICS_NAMESPACE, 'Project,Variant', 'Positives', 'Sum')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'A/B variants: latency p95 (ms)',
        left: [search(ENDPOINT_METRICS_NAMESPACE, 'Project,Variant', 'Latency', 'p95')],
        width: 12,
      }),
    ]);
    const auc = new cloudwatch.Metric({ namespace: PERFORMANCE_NAMESPACE, metricName: PERFORMANCE_METRICS.auc, dimensionsMap: { Project: props.projectName }, statistic: 'Minimum', period });
    widgets.push([
      props.performanceAlarm
        ? new cloudwatch.AlarmWidget({ title: 'Model performance: AUC of labelled predictions vs the floor', alarm: props.performanceAlarm, width: 12 })
        : new cloudwatch.GraphWidget({ title: 'Model performance: AUC of labelled predictions', left: [auc], width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Performance per model version and variant (AUC; calibration error right)',
        left: [search(PERFORMANCE_NAMESPACE, 'Project,ModelVersion,Variant', PERFORMANCE_METRICS.auc, 'Minimum')],
        right: [search(PERFORMANCE_NAMESPACE, 'Project,ModelVersion,Variant', PERFORMANCE_METRICS.calibrationError, 'Maximum')],
        width: 12,
      }),
    ]);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { widgets, defaultInterval: Duration.days(1) });
  }
}
