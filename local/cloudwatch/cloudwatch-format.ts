/**
 * How CloudWatch writes numbers and dates in alarm reasons, reason data and state-change
 * events. CloudWatch is a Java service: numbers print like Java's Double.toString
 * (`50.0`, `0.0666851903306472`, `1.0E7`) and timestamps like `2019-10-02T17:04:40.985+0000`.
 */

/** A number as Java's Double.toString prints it. */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(n);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(n);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * JSON text as CloudWatch's reason data has it: values wrapped by double() print as Java
 * doubles (`50.0`), plain numbers as integers (`"period":300`).
 */
export function javaJson(value: unknown): string {
  if (value instanceof JavaDoubleBox) return javaDouble(value.value);
  if (Array.isArray(value)) return `[${value.map(javaJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${javaJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Marks a number as a Java double so javaJson prints `5.0`, not `5`. */
export class JavaDoubleBox {
  constructor(readonly value: number) {}
}

export function double(value: number): JavaDoubleBox {
  return new JavaDoubleBox(value);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2019-10-02T17:04:40.985+0000`: alarm state timestamps and reason-data dates. */
export function formatAlarmTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}+0000`;
}

/** `02/10/19 16:59:00`: datapoint times inside a threshold reason. */
export function formatReasonDate(date: Date): string {
  return `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCFullYear() % 100)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `Friday 30 April, 2021 06:51:41 UTC`: child transitions inside a composite alarm reason. */
export function formatLongDate(date: Date): string {
  return `${WEEKDAYS[date.getUTCDay()]} ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]}, ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}
