import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
}

/**
 * One CloudWatch dashboard per project: pipeline runs, the endpoint's latency and errors,
 * the overall drift score and every feature's drift (found with a SEARCH expression, so
 * features need no widget of their own).
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
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { widgets, defaultInterval: Duration.days(1) });
  }
}
