import type { EventBridgeEvent } from '../../../local/events/event-envelope';
import { TargetInputError, buildTargetPayload, prepareTargetInput } from '../../../local/events/input-transform';

/** The EC2 example event of the user guide's "Input transformation" page. */
const ec2Event: EventBridgeEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', cores: 4, tags: { team: 'ml' }, note: 'say "hi"' },
};

const context = {
  ruleName: 'example',
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ingestionTime: new Date('2015-11-11T21:29:55.250Z'),
};

const paths = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };

function transform(template: string, inputPathsMap: Record<string, string> = paths) {
  return buildTargetPayload({ Id: 'T1', InputTransformer: { InputPathsMap: inputPathsMap, InputTemplate: template } }, ec2Event, context);
}

function problemOf(action: () => unknown): TargetInputError {
  try {
    action();
  } catch (error) {
    if (error instanceof TargetInputError) return error;
    throw error;
  }
  throw new Error('expected a TargetInputError');
}

describe('target input: whole event, Input and InputPath', () => {
  it('sends the whole event when the target sets no input', () => {
    // Prepare / Act
    const payload = buildTargetPayload({ Id: 'T1' }, ec2Event, context);
    // Assess
    expect(payload.kind).toBe('json');
    expect(payload.kind === 'json' && payload.value).toEqual({ ...ec2Event });
    expect(JSON.parse(payload.text)['detail-type']).toBe('EC2 Instance State-change Notification');
  });

  it('sends the constant Input text as it is', () => {
    const payload = buildTargetPayload({ Id: 'T1', Input: '{"trigger": "schedule", "n": 1}' }, ec2Event, context);
    expect(payload).toEqual({ kind: 'json', text: '{"trigger": "schedule", "n": 1}', value: { trigger: 'schedule', n: 1 } });
  });

  it('refuses Input that is not JSON, naming the target', () => {
    const error = problemOf(() => prepareTargetInput({ Id: 'Nightly', Input: 'not json' }));
    expect(error.targetId).toBe('Nightly');
    expect(error.message).toContain('Target Nightly: Input is not valid JSON');
  });

  it.each([
    ['$.detail', { 'instance-id': 'i-0123456789', state: 'RUNNING', cores: 4, tags: { team: 'ml' }, note: 'say "hi"' }],
    ['$.detail.state', 'RUNNING'],
    ['$.detail.cores', 4],
    ['$.resources[0]', 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    ['$.detail.*', ['i-0123456789', 'RUNNING', 4, { team: 'ml' }, 'say "hi"']],
  ])('sends what InputPath %s selects', (path, expected) => {
    const payload = buildTargetPayload({ Id: 'T1', InputPath: path }, ec2Event, context);
    expect(payload.kind === 'json' && payload.value).toEqual(expected);
  });

  it('fails the delivery when InputPath selects nothing, naming the target and the path', () => {
    const prepared = prepareTargetInput({ Id: 'T9', InputPath: '$.detail.missing' });
    const error = problemOf(() => prepared.build(ec2Event, context));
    expect(error.message).toBe(`Target T9: InputPath $.detail.missing selects nothing in event ${ec2Event.id}`);
  });

  it('refuses an InputPath in bracket notation', () => {
    expect(problemOf(() => prepareTargetInput({ Id: 'T1', InputPath: "$['detail']" })).problem).toContain('use dot notation');
  });
});

describe('target input: the user guide examples of InputTransformer', () => {
  it('fills a simple string template and sends it as a JSON string', () => {
    const payload = transform('"instance <instance> is in <state>"');
    expect(payload).toEqual({ kind: 'json', text: '"instance i-0123456789 is in RUNNING"', value: 'instance i-0123456789 is in RUNNING' });
  });

  it('keeps escaped quotes of a string template', () => {
    const payload = transform('"instance \\"<instance>\\" is in <state>"');
    expect(payload.text).toBe('"instance \\"i-0123456789\\" is in RUNNING"');
    expect(payload.kind === 'json' && payload.value).toBe('instance "i-0123456789" is in RUNNING');
  });

  it('quotes string values placed as JSON values', () => {
    const payload = transform('{\n  "instance" : <instance>,\n  "state": <state>\n}');
    expect(payload.kind === 'json' && payload.value).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
  });

  it('inserts raw text for placeholders inside JSON strings', () => {
    const payload = transform('{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}');
    expect(payload.kind === 'json' && payload.value).toEqual({ instance: 'i-0123456789', state: 'RUNNING', instanceStatus: 'instance "i-0123456789" is in RUNNING' });
  });

  it('mixes variables with static JSON', () => {
    const payload = transform('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}');
    expect(payload.kind === 'json' && payload.value).toEqual({ instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('fills the reserved variables in JSON', () => {
    const payload = transform(
      '{"ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "received": <aws.events.event.ingestion-time>, "originalEvent" : <aws.events.event>, "full": <aws.events.event.json>}',
      {},
    );
    expect(payload.kind === 'json' && payload.value).toEqual({
      ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
      ruleName: 'example',
      received: '2015-11-11T21:29:55Z',
      // aws.events.event leaves out the detail and names detail-type "detailType", as AWS renders it.
      originalEvent: {
        id: ec2Event.id,
        account: '123456789012',
        detailType: 'EC2 Instance State-change Notification',
        time: '2015-11-11T21:29:54Z',
        source: 'aws.ec2',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        version: '0',
      },
      full: { ...ec2Event },
    });
  });

  it('fills reserved variables inside a string template', () => {
    expect(transform('"<aws.events.rule-name> triggered"', {})).toEqual({ kind: 'json', text: '"example triggered"', value: 'example triggered' });
  });

  it('sends a template that is neither quoted nor JSON as plain text', () => {
    expect(transform('<instance> is in state <state>')).toEqual({ kind: 'text', text: 'i-0123456789 is in state RUNNING' });
  });
});

describe('target input: values and missing paths', () => {
  it('renders the template CDK synthesizes for DataDropTrigger-style targets', () => {
    const payload = transform('{"bucket":<detail-state>,"trigger":"s3","eventId":<id>,"msg":"state is <detail-state>"}', { 'detail-state': '$.detail.state', id: '$.id' });
    expect(payload.kind === 'json' && payload.value).toEqual({ bucket: 'RUNNING', trigger: 's3', eventId: ec2Event.id, msg: 'state is RUNNING' });
  });

  it('keeps numbers and objects as JSON values, and writes numbers as text inside strings', () => {
    const payload = transform('{"cores": <cores>, "tags": <tags>, "text": "<cores> cores"}', { cores: '$.detail.cores', tags: '$.detail.tags' });
    expect(payload.kind === 'json' && payload.value).toEqual({ cores: 4, tags: { team: 'ml' }, text: '4 cores' });
  });

  it('writes an object inside a string template as its compact JSON text', () => {
    expect(transform('tags: <tags>', { tags: '$.detail.tags' })).toEqual({ kind: 'text', text: 'tags: {"team":"ml"}' });
  });

  it('replaces a path that selects nothing with an empty string, in strings and as a JSON value', () => {
    expect(transform('"Event at <timestamp>, info <gone>"', { timestamp: '$.time', gone: '$.detail.gone' }).text).toBe('"Event at 2015-11-11T21:29:54Z, info "');
    const json = transform('{"time": <timestamp>, "gone": <gone>}', { timestamp: '$.time', gone: '$.detail.gone' });
    expect(json.kind === 'json' && json.value).toEqual({ time: '2015-11-11T21:29:54Z', gone: '' });
  });

  it('does not escape inserted values, so a quote inside a JSON string breaks the JSON', () => {
    const payload = transform('{"note": "<note>"}', { note: '$.detail.note' });
    expect(payload).toEqual({ kind: 'text', text: '{"note": "say "hi""}' });
  });

  it('collects a wildcard path into a list', () => {
    const payload = transform('{"values": <all>}', { all: '$.detail.tags.*' });
    expect(payload.kind === 'json' && payload.value).toEqual({ values: ['ml'] });
  });
});

describe('target input: checks PutTargets makes', () => {
  it.each([
    [
      'two input kinds',
      { Id: 'T1', Input: '{}', InputPath: '$.detail' },
      'Only one of Input, InputPath, or InputTransformer must be provided for target T1.',
    ],
    [
      'a placeholder with no path',
      { Id: 'T1', InputTransformer: { InputPathsMap: {}, InputTemplate: '"<notdefinedkey>"' } },
      'InputTemplate for target T1 contains invalid placeholder notdefinedkey.',
    ],
    [
      'a map key with a dot',
      { Id: 'T1', InputTransformer: { InputPathsMap: { 'aws.mine': '$.id' }, InputTemplate: '"x"' } },
      'InputPathsMap key "aws.mine" must be 1-256 letters, digits, "_" or "-"',
    ],
    [
      'a map value that is not a JSON path',
      { Id: 'T1', InputTransformer: { InputPathsMap: { a: 'detail.state' }, InputTemplate: '"<a>"' } },
      'InputPathsMap.a "detail.state": a JSON path starts with "$"',
    ],
    [
      'a placeholder used as an object key',
      { Id: 'T1', InputTransformer: { InputPathsMap: { a: '$.id' }, InputTemplate: '{"<a>": 1}' } },
      'InputTemplate uses placeholder <a> as an object key',
    ],
    [
      'aws.events.event inside a string',
      { Id: 'T1', InputTransformer: { InputTemplate: '"event: <aws.events.event>"' } },
      '<aws.events.event> can only be used as a value for a JSON field',
    ],
    ['an empty template', { Id: 'T1', InputTransformer: { InputTemplate: '' } }, 'InputTemplate is required'],
    ['a template over 8192 characters', { Id: 'T1', InputTransformer: { InputTemplate: `"${'x'.repeat(8192)}"` } }, 'the limit is 8192'],
    [
      'more than 100 paths',
      { Id: 'T1', InputTransformer: { InputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.id'])), InputTemplate: '"x"' } },
      'InputPathsMap has 101 entries; the limit is 100',
    ],
  ])('refuses %s, naming the target', (_label, target, message) => {
    const error = problemOf(() => prepareTargetInput(target as never));
    expect(error.targetId).toBe('T1');
    expect(error.message).toContain(message);
  });

  it('accepts the same template twice and gives the same payload each time', () => {
    const prepared = prepareTargetInput({ Id: 'T1', InputTransformer: { InputPathsMap: paths, InputTemplate: '{"s": <state>}' } });
    expect(prepared.build(ec2Event, context)).toEqual(prepared.build(ec2Event, context));
  });
});
