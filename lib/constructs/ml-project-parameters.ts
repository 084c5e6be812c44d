import { CfnParameter } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** What a data scientist chooses when creating an ML project (values may be tokens). */
export interface MlProjectConfig {
  readonly projectName: string;
  readonly targetColumn: string;
  readonly entityIdColumn: string;
  readonly positiveLabel: string;
  readonly driftThreshold: string;
  readonly retrainingSchedule: string;
  readonly trainingInstanceType: string;
  readonly spotTraining: string;
  /** Features with their own drift alarm (names as the monitor publishes them); empty for none. */
  readonly monitoredFeatures: string[];
  /** Email address subscribed to the project's alerts; empty for none. */
  readonly alertEmail: string;
  /** AUC of labelled production predictions below which the performance alarm fires. */
  readonly performanceFloorAuc: string;
}

/** GPU instance types offered for SageMaker training; the first is the default. */
export const TRAINING_INSTANCE_TYPES = ['ml.g5.xlarge', 'ml.g5.2xlarge', 'ml.g4dn.xlarge', 'ml.g4dn.2xlarge', 'ml.p3.2xlarge', 'ml.m5.xlarge'] as const;

/**
 * The ML project's CloudFormation parameters: the Service Catalog form a data scientist
 * fills in, and the `--parameters` of a direct `cdk deploy`. Validation lives here so a bad
 * value is refused before anything is created.
 */
export class MlProjectParameters extends Construct {
  readonly config: MlProjectConfig;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Parameters belong to the stack; give them stable logical ids (no construct path prefix).
    const param = (name: string, props: ConstructorParameters<typeof CfnParameter>[2]): string => {
      const parameter = new CfnParameter(scope, name, props);
      parameter.overrideLogicalId(name);
      return parameter.valueAsString;
    };
    const listParam = (name: string, props: ConstructorParameters<typeof CfnParameter>[2]): string[] => {
      const parameter = new CfnParameter(scope, name, props);
      parameter.overrideLogicalId(name);
      return parameter.valueAsList;
    };
    this.config = {
      projectName: param('ProjectName', {
        type: 'String',
        description: 'Project name: lowercase letters, digits and hyphens, 3-32 characters, starting with a letter',
        allowedPattern: '^[a-z][a-z0-9-]{2,31}$',
        constraintDescription: 'must be 3-32 lowercase letters, digits or hyphens, starting with a letter',
      }),
      targetColumn: param('TargetColumn', { type: 'String', description: 'Column the model predicts', minLength: 1, maxLength: 128 }),
      entityIdColumn: param('EntityIdColumn', {
        type: 'String',
        description: 'Column identifying the entity (e.g. patient id); splits keep an entity on one side. Empty for none.',
        default: '',
        maxLength: 128,
      }),
      positiveLabel: param('PositiveLabel', {
        type: 'String',
        description: 'Target value counted as the positive class (binary classification). Empty to infer.',
        default: '',
        maxLength: 128,
      }),
      driftThreshold: param('DriftThreshold', {
        type: 'Number',
        description: 'Per-feature drift distance above which the drift alarm fires',
        default: '0.2',
        minValue: 0.01,
        maxValue: 1,
      }),
      retrainingSchedule: param('RetrainingSchedule', {
        type: 'String',
        description: "Scheduled retraining as an EventBridge schedule expression, e.g. 'rate(7 days)', or 'none'",
        default: 'none',
        allowedPattern: '^(none|rate\\(\\d+ (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$',
      }),
      trainingInstanceType: param('TrainingInstanceType', {
        type: 'String',
        description: 'SageMaker training instance type (GPU by default)',
        default: TRAINING_INSTANCE_TYPES[0],
        allowedValues: [...TRAINING_INSTANCE_TYPES],
      }),
      spotTraining: param('SpotTraining', {
        type: 'String',
        description: 'Use managed spot training with checkpoints',
        default: 'true',
        allowedValues: ['true', 'false'],
      }),
      monitoredFeatures: listParam('MonitoredFeatures', {
        type: 'CommaDelimitedList',
        description:
          'Features that get their own drift alarm, comma separated (at most 20; letters, digits, _ . - as the monitor publishes them). The overall drift score is always alarmed. Empty for none.',
        default: '',
      }),
      alertEmail: param('AlertEmail', {
        type: 'String',
        description: "Email address that receives this project's drift, retraining and pipeline alerts (confirm the subscription email). Empty for none.",
        default: '',
        allowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
        constraintDescription: 'must be empty or an email address',
      }),
      performanceFloorAuc: param('PerformanceFloorAuc', {
        type: 'Number',
        description:
          'AUC floor for labelled production predictions (latest window, all served versions): below it the performance alarm fires, alerts and starts retraining. 0 never fires.',
        default: '0.6',
        minValue: 0,
        maxValue: 1,
      }),
    };
  }
}
