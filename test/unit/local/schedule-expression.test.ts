import { ScheduleExpressionError, nextFireTime, parseScheduleExpression } from '../../../local/events/schedule-expression';

const ANCHOR = new Date('2024-05-01T10:00:00.000Z');

function next(expression: string, after: string): string | undefined {
  return nextFireTime(parseScheduleExpression(expression), new Date(after), ANCHOR)?.toISOString();
}

describe('schedule expressions: rate', () => {
  it.each([
    ['rate(1 minute)', '2024-05-01T10:00:00.000Z', '2024-05-01T10:01:00.000Z'],
    ['rate(5 minutes)', '2024-05-01T10:04:59.000Z', '2024-05-01T10:05:00.000Z'],
    ['rate(5 minutes)', '2024-05-01T10:05:00.000Z', '2024-05-01T10:10:00.000Z'],
    ['rate(1 hour)', '2024-05-01T09:00:00.000Z', '2024-05-01T11:00:00.000Z'],
    ['rate(2 days)', '2024-05-04T00:00:00.000Z', '2024-05-05T10:00:00.000Z'],
  ])('%s after %s fires at %s (intervals counted from the rule creation)', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it.each([
    ['rate(1 minutes)', 'singular unit "minute"'],
    ['rate(5 minute)', 'plural unit "minutes"'],
    ['rate(0 minutes)', 'positive whole number'],
    ['rate(5 weeks)', 'unknown unit "weeks"'],
    ['rate(five minutes)', 'rate takes "value unit"'],
  ])('refuses %s', (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expression)).toThrow(reason);
  });
});

describe('schedule expressions: cron', () => {
  it.each([
    ['every day at 03:00, later that day', 'cron(0 3 * * ? *)', '2024-05-01T02:59:59.000Z', '2024-05-01T03:00:00.000Z'],
    ['every day at 03:00, strictly after a fire', 'cron(0 3 * * ? *)', '2024-05-01T03:00:00.000Z', '2024-05-02T03:00:00.000Z'],
    ['every 15 minutes on weekdays, over a weekend', 'cron(0/15 * ? * MON-FRI *)', '2024-05-03T23:50:00.000Z', '2024-05-06T00:00:00.000Z'],
    ['every 15 minutes on weekdays, within an hour', 'cron(0/15 * ? * MON-FRI *)', '2024-05-03T10:16:00.000Z', '2024-05-03T10:30:00.000Z'],
    ['the last day of a leap February', 'cron(0 12 L * ? *)', '2024-02-10T00:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    ['the weekday nearest a Saturday 15th', 'cron(0 9 15W * ? *)', '2024-06-01T00:00:00.000Z', '2024-06-14T09:00:00.000Z'],
    ['the weekday nearest a Sunday 1st', 'cron(0 9 1W * ? *)', '2024-08-31T12:00:00.000Z', '2024-09-02T09:00:00.000Z'],
    ['the last weekday of a month ending on Saturday', 'cron(0 0 LW * ? *)', '2024-08-01T00:00:00.000Z', '2024-08-30T00:00:00.000Z'],
    ['the last Friday of the month', 'cron(0 10 ? * 6L *)', '2024-05-01T00:00:00.000Z', '2024-05-31T10:00:00.000Z'],
    ['the second Tuesday of the month', 'cron(0 10 ? * 3#2 *)', '2024-05-01T00:00:00.000Z', '2024-05-14T10:00:00.000Z'],
    ['named months in a given year', 'cron(30 8 1 JAN,JUL ? 2025)', '2024-05-01T00:00:00.000Z', '2025-01-01T08:30:00.000Z'],
    ['a range of hours with a step', 'cron(0 8-18/5 * * ? *)', '2024-05-01T13:01:00.000Z', '2024-05-01T18:00:00.000Z'],
  ])('%s: %s after %s', (_label, expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('returns undefined once a cron has no year left', () => {
    expect(next('cron(30 8 1 JAN,JUL ? 2025)', '2025-07-01T08:30:00.000Z')).toBeUndefined();
  });

  it.each([
    ['cron(0 12 * * MON *)', 'exactly one of Day-of-month and Day-of-week must be "?"'],
    ['cron(0 12 ? * ? *)', 'exactly one of Day-of-month and Day-of-week must be "?"'],
    ['cron(0 12 * * ?)', 'cron takes 6 fields'],
    ['cron(60 * * * ? *)', 'Minutes value "60" is outside 0-59'],
    ['cron(0 0 ? * 8 *)', 'Day-of-week value "8" is outside 1-7'],
    ['cron(0 0 32 * ? *)', 'Day-of-month value "32" is outside 1-31'],
    ['cron(0 0 * * ? 1969)', 'Year value "1969" is outside 1970-2199'],
    ['cron(0 0 ? * 2#6 *)', '"#6" must be between #1 and #5'],
    ['cron(0 5-1 * * ? *)', 'Hours range "5-1" runs backwards'],
    ['every 5 minutes', 'expected rate(...) or cron(...)'],
  ])('refuses %s', (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(reason);
  });
});
