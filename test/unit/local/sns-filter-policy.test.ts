import { compileFilterPolicy, FilterPolicyError } from '../../../local/events/sns-filter-policy';
import { LocalTopics } from '../../../local/runtime/task-adapters';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
/** The project email subscription's policy (lib/constructs/ml-project.ts) for project `adherence`. */
const PROJECT_POLICY = { $or: [{ project: ['adherence'] }, { AlarmName: ['adherence-drift', 'adherence-performance-floor'] }] };

const cloudWatchNotification = (alarmName: string): string =>
  JSON.stringify({ AlarmName: alarmName, NewStateValue: 'ALARM', OldStateValue: 'OK', NewStateReason: 'Threshold Crossed', Trigger: { MetricName: 'auc', Namespace: 'LuminaOps/ModelPerformance' } });

describe('SNS filter policies (message body scope)', () => {
  const policy = compileFilterPolicy(PROJECT_POLICY, 'MessageBody');

  it("lets through the project's own notifications and CloudWatch's notifications of its alarms", () => {
    expect(policy.matches({ Message: JSON.stringify({ project: 'adherence', event: 'performance-alarm' }) })).toBe(true);
    expect(policy.matches({ Message: cloudWatchNotification('adherence-performance-floor') })).toBe(true);
    expect(policy.matches({ Message: cloudWatchNotification('adherence-drift') })).toBe(true);
  });

  it("drops other projects' notifications and alarms, even when a name only starts the same", () => {
    expect(policy.matches({ Message: JSON.stringify({ project: 'adherence-eu', event: 'pipeline-failed' }) })).toBe(false);
    expect(policy.matches({ Message: cloudWatchNotification('adherence-eu-drift') })).toBe(false);
    expect(policy.matches({ Message: cloudWatchNotification('adherence-feature-drift-age') })).toBe(false);
  });

  it('delivers nothing that is not a JSON object to a body policy', () => {
    expect(policy.matches({ Message: 'adherence: plain text' })).toBe(false);
    expect(policy.matches({ Message: '["adherence"]' })).toBe(false);
    expect(policy.matches({ Message: '' })).toBe(false);
  });

  it('takes the policy as JSON text too, and refuses an invalid policy or scope naming the problem', () => {
    expect(compileFilterPolicy(JSON.stringify(PROJECT_POLICY), 'MessageBody').matches({ Message: '{"project":"adherence"}' })).toBe(true);
    expect(() => compileFilterPolicy('{not json', 'MessageBody')).toThrow(/FilterPolicy is not JSON/);
    expect(() => compileFilterPolicy([], 'MessageBody')).toThrow(FilterPolicyError);
    expect(() => compileFilterPolicy({ project: 'adherence' }, 'MessageBody')).toThrow(/not valid at \$\.project/);
    expect(() => compileFilterPolicy(PROJECT_POLICY, 'Body')).toThrow(/FilterPolicyScope must be MessageAttributes or MessageBody/);
  });
});

describe('SNS filter policies (message attributes scope, the default)', () => {
  const policy = compileFilterPolicy({ project: ['adherence'], severity: [{ numeric: ['>=', 3] }], tags: ['drift'] });

  it('matches String values, Number values numerically and String.Array elements', () => {
    const attributes = {
      project: { DataType: 'String', StringValue: 'adherence' },
      severity: { DataType: 'Number', StringValue: '4' },
      tags: { DataType: 'String.Array', StringValue: '["retraining","drift"]' },
    };
    expect(policy.matches({ Message: 'anything', MessageAttributes: attributes })).toBe(true);
    expect(policy.matches({ Message: 'anything', MessageAttributes: { ...attributes, severity: { DataType: 'Number', StringValue: '2' } } })).toBe(false);
    expect(policy.matches({ Message: 'anything', MessageAttributes: { ...attributes, tags: { DataType: 'String.Array', StringValue: '["retraining"]' } } })).toBe(false);
  });

  it('never matches a message without the attributes it names', () => {
    expect(policy.matches({ Message: JSON.stringify({ project: 'adherence', severity: 5, tags: ['drift'] }) })).toBe(false);
  });
});

describe('LocalTopics email subscriptions', () => {
  it('delivers to a mailbox what the subscription filter lets through, and nothing after unsubscribing', () => {
    // Arrange
    const topics = new LocalTopics({ newId: (() => { let n = 0; return () => `m${++n}`; })(), clock: () => new Date('2026-12-02T10:00:00.000Z') });
    topics.createTopic(TOPIC);
    topics.subscribeEmail({ subscriptionArn: `${TOPIC}:s1`, topicArn: TOPIC, endpoint: 'team@example.org', filter: compileFilterPolicy(PROJECT_POLICY, 'MessageBody') });
    topics.subscribeEmail({ subscriptionArn: `${TOPIC}:s2`, topicArn: TOPIC, endpoint: 'all@example.org' });

    // Act
    topics.publish({ TopicArn: TOPIC, Subject: 'ALARM: "adherence-performance-floor"', Message: cloudWatchNotification('adherence-performance-floor') });
    topics.publish({ TopicArn: TOPIC, Message: JSON.stringify({ project: 'other', event: 'pipeline-failed' }) });
    topics.unsubscribeEmail(`${TOPIC}:s1`);
    topics.publish({ TopicArn: TOPIC, Message: JSON.stringify({ project: 'adherence', event: 'labels-refused' }) });

    // Assert
    expect(topics.mailbox('team@example.org')).toEqual([
      { subscriptionArn: `${TOPIC}:s1`, topicArn: TOPIC, messageId: 'm1', subject: 'ALARM: "adherence-performance-floor"', message: cloudWatchNotification('adherence-performance-floor'), timestamp: '2026-12-02T10:00:00.000Z' },
    ]);
    expect(topics.mailbox('all@example.org').map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(topics.emailSubscriptionArns()).toEqual([`${TOPIC}:s2`]);
  });

  it('refuses a subscription to a topic that does not exist', () => {
    expect(() => new LocalTopics().subscribeEmail({ subscriptionArn: 'x:s', topicArn: TOPIC, endpoint: 'a@b.c' })).toThrow(/Topic does not exist/);
  });
});
