import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { PERFORMANCE_METRICS, PERFORMANCE_NAMESPACE } from '../../lambdas/core/performance/performance-summary';

/** The performance floor alarm is named `<project>-performance-floor`. */
export const PERFORMANCE_ALARM_SUFFIX = '-performance-floor';

export interface PerformanceAlarmsProps {
  readonly projectName: string;
  /** AUC below which the project's served predictions count as failing (a parameter token). */
  readonly aucFloor: string;
  /** Where alarm state changes are announced. */
  readonly alarmActionArns: readonly string[];
}

/**
 * The project's performance floor: an alarm on the AUC of the latest performance window over
 * every served model version (`auc` with the single dimension Project — what users got), as
 * the ground-truth join publishes it each time labels arrive.
 *
 * Labels arrive when they arrive (daily, weekly), so a period without a datapoint keeps the
 * alarm where it is (`ignore`): a model that fell below the floor stays in ALARM until
 * labels show it recovered, and silence never reads as health or as failure. The retraining
 * rule listens to this alarm as it does to the drift alarm.
 */
export class PerformanceAlarms extends Construct {
  readonly aucFloor: cloudwatch.CfnAlarm;
  readonly aucFloorName: string;

  constructor(scope: Construct, id: string, props: PerformanceAlarmsProps) {
    super(scope, id);
    this.aucFloorName = `${props.projectName}${PERFORMANCE_ALARM_SUFFIX}`;
    this.aucFloor = new cloudwatch.CfnAlarm(this, 'AucFloor', {
      alarmName: this.aucFloorName,
      alarmDescription: `${props.projectName}: AUC of labelled production predictions (latest window) below the project's performance floor; starts retraining`,
      namespace: PERFORMANCE_NAMESPACE,
      metricName: PERFORMANCE_METRICS.auc,
      dimensions: [{ name: 'Project', value: props.projectName }],
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: 'LessThanThreshold',
      threshold: Token.asNumber(props.aucFloor),
      treatMissingData: 'ignore',
      actionsEnabled: true,
      alarmActions: [...props.alarmActionArns],
      okActions: [...props.alarmActionArns],
    });
  }
}
