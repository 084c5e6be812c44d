import {
  EventRuleError,
  LocalEventBus,
  PutEventsValidationError,
  RetryableTargetError,
  type TargetHandler,
  type TargetInvocation,
} from '../../../local/events/event-bus';
import { type EventBridgeEvent, EventEnvelopeError } from '../../../local/events/event-envelope';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const PIPELINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:TrainingPipeline`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:dead-letters`;

/** A clock the test moves by hand, and ids counted from 1. */
function fixture(handlers: Record<string, TargetHandler> = {}, start = '2024-05-01T10:00:00.000Z') {
  let now = new Date(start);
  let ids = 0;
  const bus = new LocalEventBus({
    account: ACCOUNT,
    region: REGION,
    clock: () => now,
    newId: () => `event-${++ids}`,
    targetHandlers: handlers,
  });
  return { bus, setNow: (iso: string) => (now = new Date(iso)) };
}

function recorder(): { handler: TargetHandler; calls: TargetInvocation[] } {
  const calls: TargetInvocation[] = [];
  return { handler: (invocation) => void calls.push(invocation), calls };
}

/** Resolved properties of the rule DataDropTrigger synthesizes (see `cdk synth`). */
function dataDropRule(extra: Record<string, unknown> = {}) {
  return {
    logicalId: 'DataDropRuleC21A1702',
    name: 'proj-x-DataDropRule-1ABC',
    properties: {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: ['lumina-artifacts'] }, object: { key: [{ prefix: 'projects/x/training/inbox/' }] } },
      },
      State: 'ENABLED',
      Targets: [
        {
          Arn: PIPELINE_ARN,
          Id: 'Target0',
          InputTransformer: {
            InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', id: '$.id', 'detail-object-key': '$.detail.object.key' },
            InputTemplate: '{"bucket":<detail-bucket-name>,"key":<detail-object-key>,"trigger":"s3","eventId":<id>}',
          },
          RetryPolicy: { MaximumRetryAttempts: 3 },
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/EventsRole`,
        },
      ],
      ...extra,
    },
  };
}

function s3Created(key: string): EventBridgeEvent {
  return {
    version: '0',
    id: `s3-${key}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: '2024-05-01T10:00:00Z',
    region: REGION,
    resources: ['arn:aws:s3:::lumina-artifacts'],
    detail: { version: '0', bucket: { name: 'lumina-artifacts' }, object: { key, size: 12 }, reason: 'PutObject' },
  };
}

function ruleError(action: () => unknown): EventRuleError {
  try {
    action();
  } catch (error) {
    if (error instanceof EventRuleError) return error;
    throw error;
  }
  throw new Error('expected an EventRuleError');
}

describe('local event bus: rules and delivery', () => {
  it('starts the pipeline with the transformed input when a CSV lands in the inbox', async () => {
    // Prepare
    const states = recorder();
    const { bus } = fixture({ 'arn:aws:states:': states.handler });
    const rule = bus.addRule(dataDropRule());
    // Act
    const records = await bus.publish(s3Created('projects/x/training/inbox/patients.csv'));
    // Assess
    expect(records).toEqual([
      { eventId: 's3-projects/x/training/inbox/patients.csv', ruleName: rule.name, ruleArn: rule.arn, targetId: 'Target0', targetArn: PIPELINE_ARN, status: 'delivered', attempts: 1 },
    ]);
    expect(rule.arn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/proj-x-DataDropRule-1ABC`);
    expect(states.calls).toHaveLength(1);
    expect(states.calls[0]!.payload.kind === 'json' && states.calls[0]!.payload.value).toEqual({
      bucket: 'lumina-artifacts',
      key: 'projects/x/training/inbox/patients.csv',
      trigger: 's3',
      eventId: 's3-projects/x/training/inbox/patients.csv',
    });
    expect(states.calls[0]!.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/EventsRole`);
  });

  it('delivers nothing for an object outside the inbox', async () => {
    const states = recorder();
    const { bus } = fixture({ 'arn:aws:states:': states.handler });
    bus.addRule(dataDropRule());
    expect(await bus.publish(s3Created('projects/x/inference/inbox/batch.csv'))).toEqual([]);
    expect(states.calls).toEqual([]);
  });

  it('fans one event out to every matching rule and every target, in order', async () => {
    const calls: string[] = [];
    const { bus } = fixture({
      'arn:aws:states:': (i) => void calls.push(`states:${i.ruleName}/${i.targetId}`),
      'arn:aws:lambda:': (i) => void calls.push(`lambda:${i.ruleName}/${i.targetId}`),
    });
    bus.addRule(dataDropRule());
    bus.addRule({
      logicalId: 'AuditAll',
      properties: {
        EventPattern: { source: ['aws.s3'] },
        Targets: [
          { Id: 'audit', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit` },
          { Id: 'count', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:count` },
        ],
      },
    });
    bus.addRule({ logicalId: 'OnlyEc2', properties: { EventPattern: { source: ['aws.ec2'] }, Targets: [{ Id: 'x', Arn: PIPELINE_ARN }] } });
    const records = await bus.publish(s3Created('projects/x/training/inbox/a.csv'));
    expect(calls).toEqual(['states:proj-x-DataDropRule-1ABC/Target0', 'lambda:AuditAll/audit', 'lambda:AuditAll/count']);
    expect(records.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(bus.matchingRules(s3Created('projects/x/training/inbox/a.csv'))).toEqual(['proj-x-DataDropRule-1ABC', 'AuditAll']);
  });

  it('skips a disabled rule', async () => {
    const states = recorder();
    const { bus } = fixture({ 'arn:aws:states:': states.handler });
    bus.addRule(dataDropRule({ State: 'DISABLED' }));
    expect(await bus.publish(s3Created('projects/x/training/inbox/a.csv'))).toEqual([]);
    expect(states.calls).toEqual([]);
  });

  it('fails closed on a target no adapter handles, naming the rule and the target', async () => {
    const states = recorder();
    const { bus } = fixture({ 'arn:aws:states:': states.handler });
    bus.addRule({
      logicalId: 'Notify',
      properties: { EventPattern: { source: ['aws.s3'] }, Targets: [{ Id: 'Queue1', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:notifications` }] },
    });
    expect(bus.unroutableTargets()).toEqual([{ ruleName: 'Notify', targetId: 'Queue1', targetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:notifications` }]);
    const [record] = await bus.publish(s3Created('a.csv'));
    expect(record).toMatchObject({ ruleName: 'Notify', targetId: 'Queue1', status: 'failed', attempts: 0 });
    expect(record!.error).toContain('no local adapter handles target Queue1');
    expect(record!.error).toContain('of rule Notify');
    expect(record!.error).toContain('arn:aws:states:');
    expect(bus.deliveries()).toEqual([record]);
  });

  it('routes to the handler with the longest matching ARN prefix', async () => {
    const seen: string[] = [];
    const { bus } = fixture({
      'arn:aws:': () => void seen.push('generic'),
      'arn:aws:states:': () => void seen.push('states'),
    });
    bus.addRule({ logicalId: 'R', properties: { EventPattern: { source: ['aws.s3'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    await bus.publish(s3Created('a.csv'));
    expect(seen).toEqual(['states']);
  });

  it('retries a retryable failure up to MaximumRetryAttempts, then records the failure', async () => {
    let tries = 0;
    const { bus } = fixture({
      'arn:aws:states:': () => {
        tries++;
        throw new RetryableTargetError('ExecutionLimitExceeded');
      },
    });
    bus.addRule(dataDropRule());
    const [record] = await bus.publish(s3Created('projects/x/training/inbox/a.csv'));
    expect(tries).toBe(4);
    expect(record).toMatchObject({ status: 'failed', attempts: 4 });
    expect(record!.error).toBe('rule proj-x-DataDropRule-1ABC, target Target0: ExecutionLimitExceeded');
  });

  it('delivers after retryable failures when a later attempt succeeds', async () => {
    const attempts: number[] = [];
    const { bus } = fixture({
      'arn:aws:states:': (i) => {
        attempts.push(i.attempt);
        if (i.attempt < 3) throw new RetryableTargetError('throttled');
      },
    });
    bus.addRule(dataDropRule());
    const [record] = await bus.publish(s3Created('projects/x/training/inbox/a.csv'));
    expect(attempts).toEqual([1, 2, 3]);
    expect(record).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('does not retry a failure the handler does not mark retryable', async () => {
    let tries = 0;
    const { bus } = fixture({
      'arn:aws:states:': () => {
        tries++;
        throw new Error('StateMachineDoesNotExist');
      },
    });
    bus.addRule(dataDropRule());
    const [record] = await bus.publish(s3Created('projects/x/training/inbox/a.csv'));
    expect([tries, record!.status, record!.attempts]).toEqual([1, 'failed', 1]);
  });

  it('sends the event to the dead-letter queue after the last failure', async () => {
    const queue = recorder();
    const { bus } = fixture({
      'arn:aws:states:': () => {
        throw new Error('InvalidExecutionInput');
      },
      'arn:aws:sqs:': queue.handler,
    });
    const rule = dataDropRule();
    const target = { ...(rule.properties.Targets[0] as object), DeadLetterConfig: { Arn: QUEUE_ARN } };
    bus.addRule({ ...rule, properties: { ...rule.properties, Targets: [target] } });
    const [record] = await bus.publish(s3Created('projects/x/training/inbox/a.csv'));
    expect(record).toMatchObject({ status: 'dead-lettered', attempts: 1 });
    expect(queue.calls).toHaveLength(1);
    expect(queue.calls[0]).toMatchObject({ targetArn: QUEUE_ARN, deadLetter: { targetArn: PIPELINE_ARN, error: 'InvalidExecutionInput' } });
    expect(queue.calls[0]!.payload.kind === 'json' && queue.calls[0]!.payload.value).toMatchObject({ id: 's3-projects/x/training/inbox/a.csv', source: 'aws.s3' });
  });

  it('refuses to publish an envelope EventBridge could not carry, naming the field', async () => {
    const { bus } = fixture();
    const broken = { ...s3Created('a.csv'), source: undefined as unknown as string };
    await expect(bus.publish(broken)).rejects.toThrow(EventEnvelopeError);
    await expect(bus.publish(broken)).rejects.toThrow('Event s3-a.csv: source: must be a string');
  });

  it('records a delivery failure when the target input cannot be built', async () => {
    const { bus } = fixture({ 'arn:aws:states:': () => undefined });
    bus.addRule({ logicalId: 'R', properties: { EventPattern: { source: ['aws.s3'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN, InputPath: '$.detail.missing' }] } });
    const [record] = await bus.publish(s3Created('a.csv'));
    expect(record).toMatchObject({ status: 'failed', attempts: 0 });
    expect(record!.error).toBe('rule R, target T: Target T: InputPath $.detail.missing selects nothing in event s3-a.csv');
  });
});

describe('local event bus: PutEvents', () => {
  it('builds the envelope, answers with event ids, and delivers', async () => {
    const lambda = recorder();
    const { bus } = fixture({ 'arn:aws:lambda:': lambda.handler });
    bus.addRule({ logicalId: 'R', properties: { EventPattern: { source: ['lumina.registry'] }, Targets: [{ Id: 'T', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f` }] } });
    const result = await bus.putEvents([
      { Source: 'lumina.registry', DetailType: 'Model Registered', Detail: '{"model":"churn","version":3}', Resources: ['arn:x'] },
      { Source: 'lumina.other', DetailType: 'Ignored', Detail: '{}', Time: new Date('2024-04-30T08:00:00.123Z') },
    ]);
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: 'event-1' }, { EventId: 'event-2' }]);
    expect(result.deliveries.map((d) => d.status)).toEqual(['delivered']);
    expect(lambda.calls[0]!.event).toEqual({
      version: '0',
      id: 'event-1',
      'detail-type': 'Model Registered',
      source: 'lumina.registry',
      account: ACCOUNT,
      time: '2024-05-01T10:00:00Z',
      region: REGION,
      resources: ['arn:x'],
      detail: { model: 'churn', version: 3 },
    });
  });

  it('fails single entries the way the service does and keeps the others', async () => {
    const { bus } = fixture();
    const result = await bus.putEvents([
      { Source: 'app', DetailType: 'T' },
      { Source: 'aws.s3', DetailType: 'Object Created', Detail: '{}' },
      { Source: 'app', DetailType: 'T', Detail: '[1, 2]' },
      { Source: 'app', DetailType: 'T', Detail: '{}', EventBusName: 'nope' },
      { Source: 'app', DetailType: 'T', Detail: '{}' },
    ]);
    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries).toEqual([
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus nope does not exist.' },
      { EventId: 'event-1' },
    ]);
  });

  it('refuses a request with more than 10 entries', async () => {
    const { bus } = fixture();
    const entries = Array.from({ length: 11 }, () => ({ Source: 'app', DetailType: 'T', Detail: '{}' }));
    await expect(bus.putEvents(entries)).rejects.toThrow(PutEventsValidationError);
    await expect(bus.putEvents([])).rejects.toThrow('between 1 and 10');
  });

  it('keeps custom buses apart and accepts a bus ARN', async () => {
    const lambda = recorder();
    const { bus } = fixture({ 'arn:aws:lambda:': lambda.handler });
    bus.addRule({
      logicalId: 'OnOps',
      properties: {
        EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/ops`,
        EventPattern: { source: ['app'] },
        Targets: [{ Id: 'T', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f` }],
      },
    });
    await bus.putEvents([{ Source: 'app', DetailType: 'T', Detail: '{}' }]);
    expect(lambda.calls).toHaveLength(0);
    await bus.putEvents([{ Source: 'app', DetailType: 'T', Detail: '{}', EventBusName: 'ops' }]);
    expect(lambda.calls.map((c) => [c.eventBusName, c.ruleArn])).toEqual([['ops', `arn:aws:events:${REGION}:${ACCOUNT}:rule/ops/OnOps`]]);
  });
});

describe('local event bus: rule definitions it refuses', () => {
  it.each([
    ['an unknown rule property', { EventPattern: { source: ['a'] }, Tags: [] }, 'Tags'],
    ['a target property it does not model', { EventPattern: { source: ['a'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN, SqsParameters: { MessageGroupId: 'g' } }] }, 'Targets[0].SqsParameters'],
    ['an invalid pattern', { EventPattern: { source: [{ prefixx: 'a' }] } }, 'EventPattern'],
    ['a schedule on a custom bus', { EventBusName: 'ops', ScheduleExpression: 'rate(5 minutes)' }, 'ScheduleExpression'],
    ['an invalid schedule', { ScheduleExpression: 'rate(1 minutes)' }, 'ScheduleExpression'],
    ['neither a pattern nor a schedule', { State: 'ENABLED' }, 'EventPattern'],
    ['an unknown state', { EventPattern: { source: ['a'] }, State: 'PAUSED' }, 'State'],
    ['six targets', { EventPattern: { source: ['a'] }, Targets: Array.from({ length: 6 }, (_, i) => ({ Id: `T${i}`, Arn: PIPELINE_ARN })) }, 'Targets'],
    ['two targets with one id', { EventPattern: { source: ['a'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN }, { Id: 'T', Arn: PIPELINE_ARN }] }, 'Targets[1].Id'],
    ['two input kinds on a target', { EventPattern: { source: ['a'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN, Input: '{}', InputPath: '$' }] }, 'Targets[0]'],
    ['a retry count above 185', { EventPattern: { source: ['a'] }, Targets: [{ Id: 'T', Arn: PIPELINE_ARN, RetryPolicy: { MaximumRetryAttempts: 186 } }] }, 'Targets[0].RetryPolicy.MaximumRetryAttempts'],
  ])('refuses %s, naming the rule and field', (_label, properties, field) => {
    const { bus } = fixture();
    const error = ruleError(() => bus.addRule({ logicalId: 'BadRule', properties }));
    expect(error.rule).toBe('BadRule');
    expect(error.field).toBe(field);
    expect(error.message).toContain(`Rule BadRule: ${field}`);
  });

  it('refuses a second rule with the same name on the same bus', () => {
    const { bus } = fixture();
    bus.addRule(dataDropRule());
    expect(ruleError(() => bus.addRule(dataDropRule())).reason).toContain('already exists');
  });
});

describe('local event bus: scheduled rules', () => {
  it('fires a rate rule one interval after it was created, and on every interval after', () => {
    const { bus, setNow } = fixture({}, '2024-05-01T10:00:30.000Z');
    bus.addRule({ logicalId: 'Every5', properties: { ScheduleExpression: 'rate(5 minutes)', Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    setNow('2024-05-01T12:00:00.000Z');
    expect(bus.nextScheduledFires(new Date('2024-05-01T10:00:30.000Z'))[0]!.at.toISOString()).toBe('2024-05-01T10:05:30.000Z');
    expect(bus.nextScheduledFires(new Date('2024-05-01T10:07:00.000Z'))[0]!.at.toISOString()).toBe('2024-05-01T10:10:30.000Z');
  });

  it('lists the next fires of enabled schedules, earliest first', () => {
    const { bus } = fixture({}, '2024-05-01T10:00:00.000Z');
    bus.addRule({ logicalId: 'Nightly', properties: { ScheduleExpression: 'cron(0 3 * * ? *)', Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    bus.addRule({ logicalId: 'Hourly', properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    bus.addRule({ logicalId: 'Off', properties: { ScheduleExpression: 'rate(1 minute)', State: 'DISABLED', Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    const fires = bus.nextScheduledFires(new Date('2024-05-01T10:00:00.000Z'));
    expect(fires.map((f) => [f.ruleName, f.at.toISOString()])).toEqual([
      ['Hourly', '2024-05-01T11:00:00.000Z'],
      ['Nightly', '2024-05-02T03:00:00.000Z'],
    ]);
  });

  it('fires a Scheduled Event at the rule targets, through their input transformer', async () => {
    const states = recorder();
    const { bus } = fixture({ 'arn:aws:states:': states.handler });
    const rule = bus.addRule({
      logicalId: 'Retrain',
      properties: {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Targets: [{ Id: 'T', Arn: PIPELINE_ARN, InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '"hello <time>"' } }],
      },
    });
    const records = await bus.fireSchedule('Retrain', new Date('2024-05-02T03:00:00.000Z'));
    expect(records.map((r) => r.status)).toEqual(['delivered']);
    expect(states.calls[0]!.event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [rule.arn], detail: {}, time: '2024-05-02T03:00:00Z' });
    expect(states.calls[0]!.payload).toEqual({ kind: 'json', text: '"hello 2024-05-02T03:00:00Z"', value: 'hello 2024-05-02T03:00:00Z' });
  });

  it('does not fire a disabled schedule and refuses to fire a rule without one', async () => {
    const { bus } = fixture({ 'arn:aws:states:': () => undefined });
    bus.addRule({ logicalId: 'Off', properties: { ScheduleExpression: 'rate(1 day)', State: 'DISABLED', Targets: [{ Id: 'T', Arn: PIPELINE_ARN }] } });
    bus.addRule(dataDropRule());
    expect(await bus.fireSchedule('Off', new Date())).toEqual([]);
    await expect(bus.fireSchedule('proj-x-DataDropRule-1ABC', new Date())).rejects.toThrow(EventRuleError);
  });
});
