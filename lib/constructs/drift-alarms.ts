import { CfnCondition, Fn, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** Namespace the data-quality monitor publishes to. */
export const DATA_QUALITY_NAMESPACE = 'LuminaOps/DataQuality';
/** The monitor's overall drift score metric (0 = no drift). */
export const DRIFT_SCORE_METRIC = 'drift_score';
/** Prefix of the per-feature drift metrics: `feature_baseline_drift_<feature>`. */
export const FEATURE_DRIFT_METRIC_PREFIX = 'feature_baseline_drift_';
/** Feature drift alarms are named `<project>-feature-drift-<feature>`. */
export const FEATURE_ALARM_INFIX = '-feature-drift-';
/** The composite drift alarm is named `<project>-drift` (alert subscriptions filter on it). */
export const DRIFT_ALARM_SUFFIX = '-drift';
/** How many monitored features one project template can alarm on. */
export const MAX_MONITORED_FEATURES = 20;

export interface DriftAlarmsProps {
  readonly projectName: string;
  /** Per-feature drift distance above which a feature alarm fires (a parameter token). */
  readonly driftThreshold: string;
  /**
   * The monitored features (a CommaDelimitedList parameter's value, or literals). Service
   * Catalog parameters are fixed at provisioning, so the template carries
   * MAX_MONITORED_FEATURES alarm slots, each created only when its slot holds a name.
   */
  readonly monitoredFeatures: string[];
  /** Where alarm state changes are announced. */
  readonly alarmActionArns: readonly string[];
}

/**
 * A project's drift alarms: one per monitored feature on `feature_baseline_drift_<name>`,
 * one on the overall drift score, and a composite alarm that is in ALARM when any of them
 * is. The composite alarm is what retraining listens to, so a batch that drifts on three
 * features starts one retraining, not three.
 */
export class DriftAlarms extends Construct {
  readonly composite: cloudwatch.CfnCompositeAlarm;
  readonly compositeName: string;
  readonly driftScore: cloudwatch.CfnAlarm;
  readonly featureAlarms: readonly cloudwatch.CfnAlarm[];

  constructor(scope: Construct, id: string, props: DriftAlarmsProps) {
    super(scope, id);
    const dimensions = [{ name: 'Project', value: props.projectName }];
    const threshold = Token.asNumber(props.driftThreshold);
    const common = {
      namespace: DATA_QUALITY_NAMESPACE,
      dimensions,
      statistic: 'Maximum',
      // The monitor publishes once per batch; judge each batch on its own and never alarm on silence.
      period: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      threshold,
    } as const;

    this.driftScore = new cloudwatch.CfnAlarm(this, 'DriftScore', {
      ...common,
      metricName: DRIFT_SCORE_METRIC,
      alarmDescription: `${props.projectName}: overall data drift score of a batch above the project's drift threshold`,
    });

    // Pad the list so every slot exists; an empty slot's condition is false and its alarm is not created.
    const padded = Fn.split(',', Fn.join(',', [Fn.join(',', props.monitoredFeatures), ','.repeat(MAX_MONITORED_FEATURES)]));
    const ruleParts: string[] = [`ALARM("${this.driftScore.attrArn}")`];
    const featureAlarms: cloudwatch.CfnAlarm[] = [];
    for (let slot = 0; slot < MAX_MONITORED_FEATURES; slot++) {
      const feature = Fn.select(slot, padded);
      const used = new CfnCondition(this, `FeatureSlot${slot}Used`, { expression: Fn.conditionNot(Fn.conditionEquals(feature, '')) });
      const alarm = new cloudwatch.CfnAlarm(this, `FeatureDrift${slot}`, {
        ...common,
        // Named after the feature so a composite alarm's triggering alarms say which features drifted
        // (retraining records them in the new version's lineage).
        alarmName: Fn.join('', [props.projectName, FEATURE_ALARM_INFIX, feature]),
        metricName: Fn.join('', [FEATURE_DRIFT_METRIC_PREFIX, feature]),
        alarmDescription: Fn.join('', [`${props.projectName}: drift of feature `, feature, ' above the drift threshold']),
      });
      alarm.cfnOptions.condition = used;
      featureAlarms.push(alarm);
      ruleParts.push(Fn.conditionIf(used.logicalId, Fn.join('', [' OR ALARM("', alarm.attrArn, '")']), '').toString());
    }
    this.featureAlarms = featureAlarms;
    const childReason =
      'A child of the AnyDrift composite alarm, which carries the ALARM/OK actions (alerts topic; the retraining rule listens to it): actions here would notify and retrain once per drifted feature instead of once per batch.';
    for (const child of [this.driftScore, ...featureAlarms]) {
      Validations.of(child).acknowledge({ id: 'HIPAA.Security-CloudWatchAlarmAction', reason: childReason });
    }

    this.compositeName = `${props.projectName}${DRIFT_ALARM_SUFFIX}`;
    this.composite = new cloudwatch.CfnCompositeAlarm(this, 'AnyDrift', {
      alarmName: this.compositeName,
      alarmRule: Fn.join('', ruleParts),
      alarmDescription: `${props.projectName}: data drift on the overall score or any monitored feature; starts retraining`,
      actionsEnabled: true,
      alarmActions: [...props.alarmActionArns],
      okActions: [...props.alarmActionArns],
    });
  }
}
