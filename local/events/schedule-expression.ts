/**
 * EventBridge rule schedules (user guide, "Schedule expressions for rules"), all in UTC:
 *
 * - `rate(value unit)`: a positive whole value; unit minute(s), hour(s) or day(s), singular
 *   exactly when the value is 1. It fires every `value` units from when the rule was created
 *   (the anchor), so the first fire is one interval after the anchor.
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields with `, - * /`,
 *   `?` (day-of-month or day-of-week; exactly one of the two must be `?`), `L` and `W` in
 *   day-of-month, `L` and `#` in day-of-week (1 = SUN ... 7 = SAT), names JAN-DEC and SUN-SAT,
 *   years 1970-2199.
 *
 * Pure: next fire times are computed from a given instant; nothing here sets a timer.
 */

export class ScheduleExpressionError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`Schedule expression "${expression}" is not valid: ${reason}`);
    this.name = 'ScheduleExpressionError';
  }
}

export interface RateSchedule {
  readonly kind: 'rate';
  readonly expression: string;
  readonly intervalMs: number;
}

export interface CronSchedule {
  readonly kind: 'cron';
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** undefined means `*` (every year in range). */
  readonly years: ReadonlySet<number> | undefined;
  readonly dayOfMonth: DayOfMonthRule | undefined;
  readonly dayOfWeek: DayOfWeekRule | undefined;
}

export type ScheduleExpression = RateSchedule | CronSchedule;

type DayOfMonthRule =
  | { readonly kind: 'days'; readonly days: ReadonlySet<number> }
  | { readonly kind: 'last'; readonly weekday: boolean }
  | { readonly kind: 'nearest-weekday'; readonly day: number };

type DayOfWeekRule =
  | { readonly kind: 'days'; readonly days: ReadonlySet<number> }
  | { readonly kind: 'last'; readonly day: number }
  | { readonly kind: 'nth'; readonly day: number; readonly nth: number };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

function parseRate(expression: string, body: string): RateSchedule {
  const match = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  if (!match) throw new ScheduleExpressionError(expression, 'rate takes "value unit", e.g. rate(5 minutes)');
  const value = Number(match[1]);
  const unit = match[2]!;
  if (value < 1) throw new ScheduleExpressionError(expression, 'the rate value must be a positive whole number');
  const singular = unit.replace(/s$/, '') as keyof typeof UNIT_MS;
  if (!(singular in UNIT_MS)) throw new ScheduleExpressionError(expression, `unknown unit "${unit}" (minute, hour or day)`);
  const plural = unit.endsWith('s');
  if (value === 1 && plural) throw new ScheduleExpressionError(expression, `a value of 1 takes the singular unit "${singular}"`);
  if (value > 1 && !plural) throw new ScheduleExpressionError(expression, `a value above 1 takes the plural unit "${singular}s"`);
  return { kind: 'rate', expression, intervalMs: value * UNIT_MS[singular] };
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0]; 1 for months (JAN = 1) and weekdays (SUN = 1). */
  readonly nameBase?: number;
}

function parseValue(expression: string, spec: FieldSpec, text: string): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  const value = named >= 0 ? named + (spec.nameBase ?? 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ScheduleExpressionError(expression, `${spec.name} value "${text}" is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

/** Parses the `, - * /` grammar shared by every field into the set of values it selects. */
function parseList(expression: string, spec: FieldSpec, field: string): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    if (part === '') throw new ScheduleExpressionError(expression, `empty item in ${spec.name} "${field}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new ScheduleExpressionError(expression, `more than one "/" in ${spec.name} "${part}"`);
    let start: number;
    let end: number;
    if (range === '*') {
      start = spec.min;
      end = spec.max;
    } else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      start = parseValue(expression, spec, a!);
      end = parseValue(expression, spec, b!);
      if (start > end) throw new ScheduleExpressionError(expression, `${spec.name} range "${range}" runs backwards`);
    } else {
      start = parseValue(expression, spec, range!);
      end = stepText === undefined ? start : spec.max;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new ScheduleExpressionError(expression, `${spec.name} increment "${stepText}" must be a positive whole number`);
      }
      step = Number(stepText);
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

const MINUTES: FieldSpec = { name: 'Minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'Hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'Day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'Month', min: 1, max: 12, names: MONTHS, nameBase: 1 };
const DAY_OF_WEEK: FieldSpec = { name: 'Day-of-week', min: 1, max: 7, names: WEEKDAYS, nameBase: 1 };
const YEAR: FieldSpec = { name: 'Year', min: MIN_YEAR, max: MAX_YEAR };

function parseDayOfMonth(expression: string, field: string): DayOfMonthRule | undefined {
  if (field === '?') return undefined;
  if (field === 'L') return { kind: 'last', weekday: false };
  if (field === 'LW') return { kind: 'last', weekday: true };
  const weekday = /^(\d{1,2})W$/.exec(field);
  if (weekday) return { kind: 'nearest-weekday', day: parseValue(expression, DAY_OF_MONTH, weekday[1]!) };
  return { kind: 'days', days: parseList(expression, DAY_OF_MONTH, field) };
}

function parseDayOfWeek(expression: string, field: string): DayOfWeekRule | undefined {
  if (field === '?') return undefined;
  if (field.toUpperCase() === 'L') return { kind: 'last', day: 7 };
  const last = /^(\w+)L$/i.exec(field);
  if (last) return { kind: 'last', day: parseValue(expression, DAY_OF_WEEK, last[1]!) };
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw new ScheduleExpressionError(expression, `"#${n}" must be between #1 and #5`);
    return { kind: 'nth', day: parseValue(expression, DAY_OF_WEEK, nth[1]!), nth: n };
  }
  return { kind: 'days', days: parseList(expression, DAY_OF_WEEK, field) };
}

function parseCron(expression: string, body: string): CronSchedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(expression, `cron takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), found ${fields.length}`);
  }
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(expression, 'exactly one of Day-of-month and Day-of-week must be "?"');
  }
  return {
    kind: 'cron',
    expression,
    minutes: parseList(expression, MINUTES, minutes),
    hours: parseList(expression, HOURS, hours),
    months: parseList(expression, MONTH, month),
    years: year === '*' ? undefined : parseList(expression, YEAR, year),
    dayOfMonth: parseDayOfMonth(expression, dom),
    dayOfWeek: parseDayOfWeek(expression, dow),
  };
}

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const match = /^(rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!match) throw new ScheduleExpressionError(expression, 'expected rate(...) or cron(...)');
  return match[1] === 'rate' ? parseRate(expression, match[2]!) : parseCron(expression, match[2]!);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Day of week in cron numbering: 1 = Sunday ... 7 = Saturday. */
function cronWeekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayMatches(cron: CronSchedule, year: number, month: number, day: number): boolean {
  const length = daysInMonth(year, month);
  const dom = cron.dayOfMonth;
  if (dom) {
    if (dom.kind === 'days') return dom.days.has(day);
    if (dom.kind === 'last') {
      if (!dom.weekday) return day === length;
      let last = length;
      while (cronWeekday(year, month, last) === 1 || cronWeekday(year, month, last) === 7) last--;
      return day === last;
    }
    if (dom.day > length) return false;
    const weekday = cronWeekday(year, month, dom.day);
    let target = dom.day;
    // The nearest weekday, without leaving the month.
    if (weekday === 7) target = dom.day === 1 ? 3 : dom.day - 1;
    else if (weekday === 1) target = dom.day === length ? dom.day - 2 : dom.day + 1;
    return day === target;
  }
  const dow = cron.dayOfWeek!;
  const weekday = cronWeekday(year, month, day);
  if (dow.kind === 'days') return dow.days.has(weekday);
  if (dow.kind === 'last') return weekday === dow.day && day + 7 > length;
  return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
}

function nextCronFire(cron: CronSchedule, after: Date): Date | undefined {
  // The first whole minute strictly after `after`.
  const start = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  const hours = [...cron.hours].sort((a, b) => a - b);
  const cursor = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  while (cursor.getUTCFullYear() <= MAX_YEAR) {
    const year = cursor.getUTCFullYear();
    const month = cursor.getUTCMonth() + 1;
    const day = cursor.getUTCDate();
    if ((!cron.years || cron.years.has(year)) && cron.months.has(month) && dayMatches(cron, year, month, day)) {
      const sameDay = cursor.getTime() === Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
      for (const hour of hours) {
        if (sameDay && hour < start.getUTCHours()) continue;
        for (const minute of minutes) {
          const candidate = Date.UTC(year, month - 1, day, hour, minute);
          if (candidate >= start.getTime()) return new Date(candidate);
        }
      }
    }
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return undefined;
}

/**
 * The first fire time strictly after `after`, or undefined when the schedule never fires
 * again (a cron whose years have passed). A rate schedule counts whole intervals from
 * `anchor`, the instant its rule was created.
 */
export function nextFireTime(schedule: ScheduleExpression, after: Date, anchor: Date): Date | undefined {
  if (schedule.kind === 'cron') return nextCronFire(schedule, after);
  const elapsed = after.getTime() - anchor.getTime();
  const intervals = elapsed < 0 ? 1 : Math.floor(elapsed / schedule.intervalMs) + 1;
  return new Date(anchor.getTime() + intervals * schedule.intervalMs);
}
