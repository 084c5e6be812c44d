/**
 * `lumina project create` flags to ProjectSettings, checked before anything starts. The
 * rules mirror the ML-project product's parameter constraints
 * (lib/constructs/ml-project-parameters.ts), which the local provisioner enforces again.
 */
import { MAX_MONITORED_FEATURES } from '../../lib/constructs/drift-alarms';
import { TRAINING_INSTANCE_TYPES } from '../../lib/constructs/ml-project-parameters';
import { ScheduleExpressionError, parseScheduleExpression } from '../events/schedule-expression';
import type { ProjectSettings } from '../cloud-api';
import { type ParsedCommand, UsageError } from './args';

export const PROJECT_NAME_PATTERN = /^[a-z][a-z0-9-]{2,31}$/;
const MAX_COLUMN_LENGTH = 128;
/** The product's AllowedPattern for RetrainingSchedule (without 'none'); the expression is then parsed as EventBridge would. */
const SCHEDULE_PATTERN = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;
export const DRIFT_THRESHOLD_RANGE = { min: 0.01, max: 1 } as const;

/** Checks the project name alone (other commands take it too). */
export function checkProjectName(name: string, command: string): string {
  if (!PROJECT_NAME_PATTERN.test(name)) {
    throw new UsageError(`NAME '${name}' is not a valid project name: use 3-32 lowercase letters, digits or hyphens, starting with a letter (${PROJECT_NAME_PATTERN.source})`, command);
  }
  return name;
}

export function projectSettingsFromArgs(args: ParsedCommand, command: string): ProjectSettings {
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };
  const name = checkProjectName(args.positionals.NAME, command);

  const column = (flag: string, required: boolean): string | undefined => {
    const value = args.string(flag);
    if (value === undefined) return required ? fail(`missing --${flag} COL (the column the model predicts)`) : undefined;
    if (required && value.trim() === '') fail(`--${flag} must name a column (got an empty value)`);
    if (value.length > MAX_COLUMN_LENGTH) fail(`--${flag} must be at most ${MAX_COLUMN_LENGTH} characters (got ${value.length})`);
    return value;
  };
  const targetColumn = column('target', true)!;
  const entityIdColumn = column('entity-id', false);
  const positiveLabel = column('positive-label', false);

  const thresholdText = args.string('drift-threshold');
  let driftThreshold: number | undefined;
  if (thresholdText !== undefined) {
    const value = thresholdText.trim() === '' ? Number.NaN : Number(thresholdText);
    if (!Number.isFinite(value) || value < DRIFT_THRESHOLD_RANGE.min || value > DRIFT_THRESHOLD_RANGE.max) {
      fail(`--drift-threshold must be a number from ${DRIFT_THRESHOLD_RANGE.min} to ${DRIFT_THRESHOLD_RANGE.max} (got '${thresholdText}')`);
    }
    driftThreshold = value;
  }

  const floorText = args.string('performance-floor');
  let performanceFloorAuc: number | undefined;
  if (floorText !== undefined) {
    const value = floorText.trim() === '' ? Number.NaN : Number(floorText);
    if (!Number.isFinite(value) || value < 0 || value > 1) fail(`--performance-floor must be an AUC from 0 to 1 (got '${floorText}')`);
    performanceFloorAuc = value;
  }

  const retrainingSchedule = args.string('schedule');
  if (retrainingSchedule !== undefined && retrainingSchedule !== 'none') {
    if (!SCHEDULE_PATTERN.test(retrainingSchedule)) fail(`--schedule must be 'none', 'rate(VALUE UNIT)' or 'cron(FIELDS)' (got '${retrainingSchedule}')`);
    try {
      parseScheduleExpression(retrainingSchedule);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      fail(`--schedule '${retrainingSchedule}' is not a valid EventBridge schedule: ${error.reason}`);
    }
  }

  const trainingInstanceType = args.string('instance-type');
  if (trainingInstanceType !== undefined && !(TRAINING_INSTANCE_TYPES as readonly string[]).includes(trainingInstanceType)) {
    fail(`--instance-type must be one of ${TRAINING_INSTANCE_TYPES.join(', ')} (got '${trainingInstanceType}')`);
  }

  const spotText = args.string('spot');
  if (spotText !== undefined && spotText !== 'true' && spotText !== 'false') fail(`--spot must be true or false (got '${spotText}')`);

  const featuresText = args.string('monitored-features');
  let monitoredFeatures: string[] | undefined;
  if (featuresText !== undefined) {
    monitoredFeatures = featuresText.split(',').map((f) => f.trim());
    const bad = monitoredFeatures.filter((f) => !/^[A-Za-z0-9_.-]{1,128}$/.test(f));
    if (bad.length > 0) fail(`--monitored-features must be comma-separated feature names of letters, digits, _ . - (bad: ${bad.map((f) => `'${f}'`).join(', ')})`);
    if (monitoredFeatures.length > MAX_MONITORED_FEATURES) fail(`--monitored-features names ${monitoredFeatures.length} features; a project alarms on at most ${MAX_MONITORED_FEATURES}`);
    if (new Set(monitoredFeatures).size !== monitoredFeatures.length) fail('--monitored-features names a feature twice');
  }
  const alertEmail = args.string('alert-email');
  if (alertEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alertEmail)) fail(`--alert-email must be an email address (got '${alertEmail}')`);

  return {
    name,
    targetColumn,
    ...(monitoredFeatures === undefined ? {} : { monitoredFeatures }),
    ...(alertEmail === undefined ? {} : { alertEmail }),
    ...(entityIdColumn === undefined ? {} : { entityIdColumn }),
    ...(positiveLabel === undefined ? {} : { positiveLabel }),
    ...(driftThreshold === undefined ? {} : { driftThreshold }),
    ...(performanceFloorAuc === undefined ? {} : { performanceFloorAuc }),
    ...(retrainingSchedule === undefined ? {} : { retrainingSchedule }),
    ...(trainingInstanceType === undefined ? {} : { trainingInstanceType }),
    ...(spotText === undefined ? {} : { spotTraining: spotText === 'true' }),
  };
}
