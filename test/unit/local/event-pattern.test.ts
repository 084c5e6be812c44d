import { EventPatternError, compilePattern, matchesPattern, validatePattern } from '../../../local/events/event-pattern';

/** The "Object Created" event S3 sends to EventBridge (S3 user guide, EventBridge event message structure). */
const s3ObjectCreated = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::lumina-artifacts'],
  detail: {
    version: '0',
    bucket: { name: 'lumina-artifacts' },
    object: {
      key: 'projects/x/training/inbox/patients.csv',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '10.0.0.33',
    reason: 'PutObject',
  },
};

/** The pattern DataDropTrigger synthesizes. */
const dataDropPattern = {
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: { bucket: { name: ['lumina-artifacts'] }, object: { key: [{ prefix: 'projects/x/training/inbox/' }] } },
};

/** A single-metric alarm state change, as the CloudWatch user guide shows it. */
const alarmStateChange = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
  detail: {
    alarmName: 'ServerCpuTooHigh',
    configuration: {
      description: 'Goes into alarm when server CPU utilization is too high!',
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          metricStat: { metric: { dimensions: { InstanceId: 'i-12345678901234567' }, name: 'CPUUtilization', namespace: 'AWS/EC2' }, period: 300, stat: 'Average' },
          returnData: true,
        },
      ],
    },
    previousState: { reason: 'Threshold Crossed', timestamp: '2019-10-01T13:56:40.987+0000', value: 'OK' },
    state: { reason: 'Threshold Crossed', timestamp: '2019-10-02T17:04:40.989+0000', value: 'ALARM' },
  },
};

function withDetail(detail: Record<string, unknown>): Record<string, unknown> {
  return { source: 'app', 'detail-type': 'Test', detail };
}

describe('event patterns: real event shapes', () => {
  it('matches an S3 Object Created event under the training inbox prefix', () => {
    expect(matchesPattern(dataDropPattern, s3ObjectCreated)).toBe(true);
  });

  it.each([
    ['a key under another prefix', { ...s3ObjectCreated, detail: { ...s3ObjectCreated.detail, object: { key: 'projects/x/inference/inbox/a.csv' } } }],
    ['another bucket', { ...s3ObjectCreated, detail: { ...s3ObjectCreated.detail, bucket: { name: 'other-bucket' } } }],
    ['an Object Deleted event', { ...s3ObjectCreated, 'detail-type': 'Object Deleted' }],
    ['another source', { ...s3ObjectCreated, source: 'aws.s3x' }],
    ['a key that only contains the prefix later on', { ...s3ObjectCreated, detail: { ...s3ObjectCreated.detail, object: { key: 'archive/projects/x/training/inbox/a.csv' } } }],
  ])('does not match S3 events for %s', (_label, event) => {
    expect(matchesPattern(dataDropPattern, event)).toBe(false);
  });

  it('matches the alarm state change of a named alarm entering ALARM, whatever its previous state', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['ServerCpuTooHigh'], state: { value: ['ALARM'] } },
    };
    expect(matchesPattern(pattern, alarmStateChange)).toBe(true);
    const recovered = { ...alarmStateChange, detail: { ...alarmStateChange.detail, state: { ...alarmStateChange.detail.state, value: 'OK' } } };
    expect(matchesPattern(pattern, recovered)).toBe(false);
    expect(matchesPattern({ ...pattern, detail: { ...pattern.detail, alarmName: ['OtherAlarm'] } }, alarmStateChange)).toBe(false);
  });

  it('reaches into arrays of objects in the alarm configuration', () => {
    const pattern = { detail: { configuration: { metrics: { metricStat: { metric: { namespace: ['AWS/EC2'] } } } } } };
    expect(matchesPattern(pattern, alarmStateChange)).toBe(true);
    expect(matchesPattern({ detail: { configuration: { metrics: { metricStat: { stat: ['Maximum'] } } } } }, alarmStateChange)).toBe(false);
  });
});

describe('event patterns: exact values, null and empty strings', () => {
  const event = withDetail({ state: 'running', count: 300, flag: true, responseElements: null, eventVersion: '', tags: ['a', 'b'] });

  it.each([
    ['a listed string', { detail: { state: ['stopped', 'running'] } }, true],
    ['no listed string', { detail: { state: ['stopped', 'pending'] } }, false],
    ['a number written differently', { detail: { count: [3.0e2] } }, true],
    ['a number against its string form', { detail: { count: ['300'] } }, false],
    ['a boolean', { detail: { flag: [true] } }, true],
    ['the other boolean', { detail: { flag: [false] } }, false],
    ['null against a null field', { detail: { responseElements: [null] } }, true],
    ['null against an empty string', { detail: { eventVersion: [null] } }, false],
    ['an empty string against an empty string', { detail: { eventVersion: [''] } }, true],
    ['an empty string against null', { detail: { responseElements: [''] } }, false],
    ['null against an absent field', { detail: { missing: [null] } }, false],
    ['one element of an event array', { detail: { tags: ['b', 'z'] } }, true],
    ['no element of an event array', { detail: { tags: ['y', 'z'] } }, false],
    ['a field under an absent parent', { other: { state: ['running'] } }, false],
  ])('%s: %s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('matches the null-and-empty-string example of the user guide', () => {
    const autoscaling = {
      version: '0',
      id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2015-11-11T21:31:47Z',
      region: 'us-east-1',
      resources: [],
      detail: { eventVersion: '', responseElements: null },
    };
    expect(matchesPattern({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
    expect(matchesPattern({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
  });
});

describe('event patterns: prefix, suffix, equals-ignore-case, wildcard', () => {
  const event = withDetail({ time: '2017-10-02T18:43:48Z', service: 'EventBridge', file: 'dir/report.PNG', path: 'a*b\\c', n: 5 });

  it.each([
    ['prefix', { detail: { time: [{ prefix: '2017-10-02' }] } }, true],
    ['prefix that differs', { detail: { time: [{ prefix: '2017-10-03' }] } }, false],
    ['prefix in another case', { detail: { service: [{ prefix: 'eventb' }] } }, false],
    ['prefix ignoring case', { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] } }, true],
    ['prefix ignoring case that differs', { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventc' } }] } }, false],
    ['prefix on a number', { detail: { n: [{ prefix: '5' }] } }, false],
    ['suffix', { detail: { file: [{ suffix: '.PNG' }] } }, true],
    ['suffix in another case', { detail: { file: [{ suffix: '.png' }] } }, false],
    ['suffix ignoring case', { detail: { file: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, true],
    ['suffix ignoring case that differs', { detail: { file: [{ suffix: { 'equals-ignore-case': '.jpg' } }] } }, false],
    ['equals-ignore-case', { detail: { service: [{ 'equals-ignore-case': 'EVENTBRIDGE' }] } }, true],
    ['equals-ignore-case on a longer value', { detail: { service: [{ 'equals-ignore-case': 'eventbridge2' }] } }, false],
    ['wildcard in the middle', { detail: { file: [{ wildcard: 'dir/*.PNG' }] } }, true],
    ['wildcard anchored at both ends', { detail: { file: [{ wildcard: 'report*' }] } }, false],
    ['wildcard matching an empty run', { detail: { file: [{ wildcard: 'dir/report*.PNG' }] } }, true],
    ['escaped star and backslash', { detail: { path: [{ wildcard: 'a\\*b\\\\c' }] } }, true],
    ['escaped star against another character', { detail: { service: [{ wildcard: 'Event\\*' }] } }, false],
  ])('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('event patterns: anything-but', () => {
  const event = withDetail({ state: 'running', limit: 301.8, file: 'notes.txt', path: '/usr/lib/tool', tags: ['keep', 'drop'] });

  it.each([
    ['a different string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
    ['the excluded string', { detail: { state: [{ 'anything-but': 'running' }] } }, false],
    ['a list that excludes the value', { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, false],
    ['a list that does not', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, true],
    ['a number list that excludes the value', { detail: { limit: [{ 'anything-but': [100, 301.8] }] } }, false],
    ['a number list that does not', { detail: { limit: [{ 'anything-but': [100, 200, 300] }] } }, true],
    ['a string exclusion against a number', { detail: { limit: [{ 'anything-but': 'running' }] } }, true],
    ['an absent field', { detail: { missing: [{ 'anything-but': 'running' }] } }, false],
    ['a prefix that the value has', { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, false],
    ['a prefix that the value lacks', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
    ['a suffix that the value has', { detail: { file: [{ 'anything-but': { suffix: '.txt' } }] } }, false],
    ['a suffix list that the value lacks', { detail: { file: [{ 'anything-but': { suffix: ['.png', '.rtf'] } }] } }, true],
    ['a wildcard the value fits', { detail: { path: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, false],
    ['a wildcard the value does not fit', { detail: { path: [{ 'anything-but': { wildcard: '*/bin/*' } }] } }, true],
    ['a case-insensitive exclusion of the value', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, false],
    ['a case-insensitive exclusion of others', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['STOPPED'] } }] } }, true],
    ['an array with one element left over', { detail: { tags: [{ 'anything-but': 'drop' }] } }, true],
    ['an array with every element excluded', { detail: { tags: [{ 'anything-but': ['keep', 'drop'] }] } }, false],
  ])('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('event patterns: numeric', () => {
  const event = withDetail({ c: 5, d: 3, x: 301.8, s: '5', huge: 6e9 });

  it.each([
    ['range (0, 5] holding 5', { detail: { c: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    ['range (0, 5) excluding 5', { detail: { c: [{ numeric: ['>', 0, '<', 5] }] } }, false],
    ['range [5, 6) holding 5', { detail: { c: [{ numeric: ['>=', 5, '<', 6] }] } }, true],
    ['range (5, 6) excluding 5', { detail: { c: [{ numeric: ['>', 5, '<', 6] }] } }, false],
    ['< 10', { detail: { d: [{ numeric: ['<', 10] }] } }, true],
    ['< 3 excluding 3', { detail: { d: [{ numeric: ['<', 3] }] } }, false],
    ['<= 3', { detail: { d: [{ numeric: ['<=', 3] }] } }, true],
    ['> 3 excluding 3', { detail: { d: [{ numeric: ['>', 3] }] } }, false],
    ['>= 3', { detail: { d: [{ numeric: ['>=', 3] }] } }, true],
    ['= 3.018e2', { detail: { x: [{ numeric: ['=', 3.018e2] }] } }, true],
    ['= 301', { detail: { x: [{ numeric: ['=', 301] }] } }, false],
    ['a string holding a number', { detail: { s: [{ numeric: ['=', 5] }] } }, false],
    ['a value beyond the numeric limit', { detail: { huge: [{ numeric: ['>', 0] }] } }, false],
    ['an absent field', { detail: { missing: [{ numeric: ['>', 0] }] } }, false],
  ])('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('event patterns: exists', () => {
  const event = withDetail({ state: 'on', nothing: null, empty: [], nested: { c1: 100 } });

  it.each([
    ['exists true on a present field', { detail: { state: [{ exists: true }] } }, true],
    ['exists true on an absent field', { detail: { missing: [{ exists: true }] } }, false],
    ['exists false on an absent field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['exists true on a null field', { detail: { nothing: [{ exists: true }] } }, true],
    ['exists false on an empty array', { detail: { empty: [{ exists: false }] } }, true],
    ['exists false on an object (not a leaf)', { detail: { nested: [{ exists: false }] } }, true],
    ['exists true on an object (not a leaf)', { detail: { nested: [{ exists: true }] } }, false],
    ['exists false under an absent parent', { absent: { field: [{ exists: false }] } }, true],
  ])('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

describe('event patterns: cidr', () => {
  it.each([
    ['an IPv4 address in the block', '10.0.0.33', '10.0.0.0/24', true],
    ['an IPv4 address outside the block', '10.0.1.33', '10.0.0.0/24', false],
    ['the one address of a /32', '192.168.1.7', '192.168.1.7/32', true],
    ['an IPv6 address in the block', '2001:db8::ff00:42:8329', '2001:db8::/32', true],
    ['an IPv6 address outside the block', '2001:db9::1', '2001:db8::/32', false],
    ['an IPv4 address against an IPv6 block', '10.0.0.1', '::/0', false],
    ['a string that is not an address', 'localhost', '0.0.0.0/0', false],
  ])('%s', (_label, ip, block, expected) => {
    expect(matchesPattern({ detail: { 'source-ip-address': [{ cidr: block }] } }, withDetail({ 'source-ip-address': ip }))).toBe(expected);
  });
});

describe('event patterns: $or and nested objects', () => {
  const pattern = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };

  it.each([
    ['the first branch', { source: 'aws.cloudwatch', metricName: 'ReadLatency' }, true],
    ['the second branch', { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, true],
    ['neither branch', { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'Other' }, false],
    ['a branch but not the AND-ed field', { source: 'aws.ec2', metricName: 'ReadLatency' }, false],
  ])('top-level $or with %s', (_label, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('nests $or inside an object and an AND inside a branch', () => {
    const nested = {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }], state: ['running'] }],
      },
    };
    expect(matchesPattern(nested, withDetail({ 'c-count': 3 }))).toBe(true);
    expect(matchesPattern(nested, withDetail({ 'd-count': 3, state: 'running' }))).toBe(true);
    expect(matchesPattern(nested, withDetail({ 'd-count': 3, state: 'stopped' }))).toBe(false);
  });

  it('does not match two fields taken from different elements of an array (array consistency)', () => {
    const employees = { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] };
    expect(matchesPattern({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
  });

  it('treats a pattern given as JSON text like the object', () => {
    expect(matchesPattern(JSON.stringify(dataDropPattern), s3ObjectCreated)).toBe(true);
  });

  it('reuses a compiled pattern across events', () => {
    const compiled = compilePattern(dataDropPattern);
    expect([compiled.matches(s3ObjectCreated), compiled.matches(alarmStateChange)]).toEqual([true, false]);
  });
});

describe('event patterns: validation', () => {
  function errorOf(pattern: unknown): EventPatternError {
    try {
      validatePattern(pattern);
    } catch (error) {
      if (error instanceof EventPatternError) return error;
      throw error;
    }
    throw new Error('expected the pattern to be refused');
  }

  it.each([
    ['an unknown operator', { detail: { key: [{ prefixx: 'a' }] } }, '$.detail.key[0].prefixx', 'unknown operator "prefixx"'],
    ['a leaf that is a string', { source: 'aws.s3' }, '$.source', 'must be an object or an array'],
    ['a leaf that is a number', { detail: { size: 5 } }, '$.detail.size', 'must be an object or an array'],
    ['an array nested in a value list', { source: [['aws.s3']] }, '$.source[0]', 'match value must be'],
    ['an empty value list', { source: [] }, '$.source', 'empty arrays are not allowed'],
    ['an empty object', { detail: {} }, '$.detail', 'empty objects are not allowed'],
    ['two keys in one operator', { source: [{ prefix: 'a', suffix: 'b' }] }, '$.source[0]', 'exactly one key'],
    ['a numeric operand that is a string', { n: [{ numeric: ['>', '5'] }] }, '$.n[0].numeric[1]', 'must be a number'],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 5] }] }, '$.n[0].numeric[0]', 'unknown numeric operator'],
    ['a range that runs backwards', { n: [{ numeric: ['>', 5, '<', 1] }] }, '$.n[0].numeric', 'lower bound 5 must be below its upper bound 1'],
    ['a range continued with ">"', { n: [{ numeric: ['>', 1, '>', 5] }] }, '$.n[0].numeric[2]', 'continues with "<" or "<="'],
    ['a numeric operand beyond the limit', { n: [{ numeric: ['<', 6e9] }] }, '$.n[0].numeric[1]', 'within ±5.0e+9'],
    ['numeric without an array', { n: [{ numeric: 5 }] }, '$.n[0].numeric', 'takes an array'],
    ['exists with a string', { n: [{ exists: 'yes' }] }, '$.n[0].exists', 'true or false'],
    ['a mixed anything-but list', { n: [{ 'anything-but': ['a', 1] }] }, '$.n[0].anything-but', 'only strings or only numbers'],
    ['an empty anything-but prefix', { n: [{ 'anything-but': { prefix: '' } }] }, '$.n[0].anything-but.prefix', 'empty anything-but prefix'],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }, '$.n[0].wildcard', 'consecutive wildcard'],
    ['a backslash escaping a letter', { n: [{ wildcard: 'a\\b' }] }, '$.n[0].wildcard', 'may only escape'],
    ['a CIDR block without a prefix length', { ip: [{ cidr: '10.0.0.1' }] }, '$.ip[0].cidr', 'exactly one "/"'],
    ['a CIDR prefix longer than the address', { ip: [{ cidr: '10.0.0.0/33' }] }, '$.ip[0].cidr', 'prefix length 33'],
    ['$or with one branch', { $or: [{ a: ['1'] }] }, '$.$or', 'at least 2 objects'],
    ['$or with a non-object branch', { $or: [{ a: ['1'] }, 'b'] }, '$.$or[1]', 'only objects'],
    ['a reserved word as a field inside $or', { $or: [{ numeric: ['1'] }, { b: ['2'] }] }, '$.$or[0].numeric', 'reserved word'],
    ['a pattern that is an array', [{ source: ['a'] }], '$', 'must be a JSON object'],
  ])('refuses %s, naming the path', (_label, pattern, path, reason) => {
    const error = errorOf(pattern);
    expect(error.path).toBe(path);
    expect(error.reason).toContain(reason);
    expect(error.message).toContain(path);
  });

  it('refuses JSON text that does not parse', () => {
    expect(errorOf('{"source": [').reason).toContain('not valid JSON');
  });

  it('accepts every operator the user guide documents', () => {
    expect(() =>
      validatePattern({
        detail: {
          a: ['x', 1, null, true, ''],
          b: [{ prefix: 'p' }, { prefix: { 'equals-ignore-case': 'p' } }, { suffix: 's' }, { suffix: { 'equals-ignore-case': 's' } }],
          c: [{ 'anything-but': 'x' }, { 'anything-but': [1, 2] }, { 'anything-but': { prefix: 'p' } }, { 'anything-but': { suffix: 's' } }],
          d: [{ 'anything-but': { wildcard: '*/lib/*' } }, { 'anything-but': { 'equals-ignore-case': 'x' } }],
          e: [{ numeric: ['=', 1] }, { numeric: ['>', 0, '<=', 5] }, { exists: true }, { cidr: '10.0.0.0/8' }, { wildcard: 'a*b' }],
          f: [{ 'equals-ignore-case': 'x' }],
          $or: [{ g: ['1'] }, { h: { $or: [{ i: ['2'] }, { j: ['3'] }] } }],
        },
      }),
    ).not.toThrow();
  });
});
