/**
 * What metric and composite alarms share: states, the error for definitions the local cloud
 * cannot evaluate, ARNs, and the action lists read from the template.
 */

export class AlarmDefinitionError extends Error {
  constructor(
    readonly alarm: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Alarm ${alarm}: ${field}: ${reason}`);
    this.name = 'AlarmDefinitionError';
  }
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** JSON text, as CloudWatch's StateReasonData; absent on the initial state. */
  readonly reasonData?: string;
  readonly timestamp: Date;
}

export interface AlarmResource {
  readonly logicalId: string;
  /** The physical alarm name; defaults to Properties.AlarmName, then the logical id. */
  readonly name?: string;
  /** Properties with every intrinsic resolved. */
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface AlarmContext {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}

export interface AlarmActions {
  readonly actionsEnabled: boolean;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
}

export const INITIAL_STATE_REASON = 'Unchecked: Initial alarm creation';

/** The state every alarm starts in. */
export function initialAlarmState(at: Date): AlarmState {
  return { value: 'INSUFFICIENT_DATA', reason: INITIAL_STATE_REASON, timestamp: at };
}

export function alarmArn(context: AlarmContext, name: string): string {
  return `arn:${context.partition ?? 'aws'}:cloudwatch:${context.region}:${context.account}:alarm:${name}`;
}

/** The alarm name an ARN names, or the text itself when it is a name. */
export function alarmNameOf(nameOrArn: string): string {
  const match = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(nameOrArn);
  return match ? match[1]! : nameOrArn;
}

export function requireString(alarm: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new AlarmDefinitionError(alarm, field, `must be a non-empty string, not ${JSON.stringify(value)}`);
  return value;
}

function toStringList(alarm: string, field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AlarmDefinitionError(alarm, field, 'must be a list of ARNs');
  return value.map((v, i) => requireString(alarm, `${field}[${i}]`, v));
}

function toBoolean(alarm: string, field: string, value: unknown): boolean {
  if (value === undefined || value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new AlarmDefinitionError(alarm, field, `must be true or false, not ${JSON.stringify(value)}`);
}

export function readActions(alarm: string, props: Readonly<Record<string, unknown>>): AlarmActions {
  return {
    actionsEnabled: toBoolean(alarm, 'ActionsEnabled', props.ActionsEnabled),
    alarmActions: toStringList(alarm, 'AlarmActions', props.AlarmActions),
    okActions: toStringList(alarm, 'OKActions', props.OKActions),
    insufficientDataActions: toStringList(alarm, 'InsufficientDataActions', props.InsufficientDataActions),
  };
}

/** The action ARNs to run for a state, or none when actions are disabled. */
export function actionsFor(alarm: AlarmActions, state: AlarmStateValue): readonly string[] {
  if (!alarm.actionsEnabled) return [];
  return state === 'ALARM' ? alarm.alarmActions : state === 'OK' ? alarm.okActions : alarm.insufficientDataActions;
}
