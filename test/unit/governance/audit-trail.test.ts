import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AuditConflictError, memoryAuditStore, queryAuditTrail, recordAuditEvent } from '../../../lambdas/core/governance/audit-trail';
import { dynamoDbAuditStore } from '../../../lambdas/shared/dynamodb-audit-store';

function deps() {
  let clock = Date.parse('2026-12-01T10:00:00.000Z');
  let id = 0;
  const store = memoryAuditStore();
  return {
    store,
    now: () => new Date((clock += 1000)),
    newId: () => `e${++id}`,
  };
}

describe('audit trail', () => {
  it('records who, when, what and from where, and reads back newest first', async () => {
    const d = deps();
    await recordAuditEvent({ project: 'adherence', action: 'model.registered', actor: 'pipeline', source: 'arn:exec:1', target: 'model:1' }, d);
    await recordAuditEvent(
      { project: 'adherence', action: 'model.promoted', actor: 'alice', source: '10.0.0.7', target: 'model:1', details: { from: 'staging', to: 'production' } },
      d,
    );
    await recordAuditEvent({ project: 'other', action: 'project.created', actor: 'bob', source: 'cli', target: 'project:other' }, d);

    const events = await queryAuditTrail({ project: 'adherence' }, d.store);
    expect(events.map((e) => [e.at, e.action, e.actor, e.source, e.target])).toEqual([
      ['2026-12-01T10:00:02.000Z', 'model.promoted', 'alice', '10.0.0.7', 'model:1'],
      ['2026-12-01T10:00:01.000Z', 'model.registered', 'pipeline', 'arn:exec:1', 'model:1'],
    ]);
    expect(events[0].details).toEqual({ from: 'staging', to: 'production' });
    expect((await queryAuditTrail({ project: 'adherence', order: 'oldest', limit: 1 }, d.store))[0].action).toBe('model.registered');
  });

  it('filters by time and action', async () => {
    const d = deps();
    for (const action of ['dataset.approved', 'model.registered', 'model.stage-changed', 'model.rolled-back'] as const) {
      await recordAuditEvent({ project: 'p', action, actor: 'a', source: 's', target: 't' }, d);
    }
    const since = new Date('2026-12-01T10:00:03.000Z');
    expect((await queryAuditTrail({ project: 'p', since }, d.store)).map((e) => e.action)).toEqual(['model.rolled-back', 'model.stage-changed']);
    expect((await queryAuditTrail({ project: 'p', actions: ['dataset.approved'] }, d.store)).map((e) => e.action)).toEqual(['dataset.approved']);
    await expect(queryAuditTrail({ project: 'p', limit: 0 }, d.store)).rejects.toThrow('limit must be a positive integer, got 0');
  });

  it('never rewrites an entry: a second write with the same key is refused', async () => {
    const d = deps();
    const sameMoment = { ...d, now: () => new Date('2026-12-01T12:00:00.000Z'), newId: () => 'fixed' };
    await recordAuditEvent({ project: 'p', action: 'ab.changed', actor: 'a', source: 's', target: 'ab' }, sameMoment);
    await expect(recordAuditEvent({ project: 'p', action: 'project.deleted', actor: 'x', source: 's', target: 'p' }, sameMoment)).rejects.toBeInstanceOf(AuditConflictError);
    const [kept] = await queryAuditTrail({ project: 'p' }, d.store);
    expect(kept.action).toBe('ab.changed');
  });

  it('refuses an entry without an actor or with an unknown action, writing nothing', async () => {
    const d = deps();
    await expect(recordAuditEvent({ project: 'p', action: 'model.promoted', actor: '', source: 's', target: 't' }, d)).rejects.toThrow(/actor/);
    await expect(recordAuditEvent({ project: 'p', action: 'model.deleted' as never, actor: 'a', source: 's', target: 't' }, d)).rejects.toThrow(/action/);
    expect(d.store.size()).toBe(0);
  });
});

describe('dynamoDbAuditStore', () => {
  it('writes entries only if absent, maps a failed condition to AuditConflictError, and pages queries', async () => {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(documents);
    const store = dynamoDbAuditStore(documents, 'Audit');
    mock.on(PutCommand).resolvesOnce({}).rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const item = { pk: 'PROJECT#p', sk: 'AUDIT#t#1', event: {} as never };
    await store.putNew(item);
    expect(mock.commandCalls(PutCommand)[0].args[0].input).toEqual({ TableName: 'Audit', Item: item, ConditionExpression: 'attribute_not_exists(pk)' });
    await expect(store.putNew(item)).rejects.toBeInstanceOf(AuditConflictError);

    mock.on(QueryCommand).resolvesOnce({ Items: [item], LastEvaluatedKey: { pk: 'PROJECT#p', sk: 'AUDIT#t#1' } }).resolvesOnce({ Items: [{ ...item, sk: 'AUDIT#t#2' }] });
    const found = await store.query('PROJECT#p', 'AUDIT#', { descending: true });
    expect(found.map((i) => i.sk)).toEqual(['AUDIT#t#1', 'AUDIT#t#2']);
    const calls = mock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ScanIndexForward: false });
    expect(calls[1].ExclusiveStartKey).toEqual({ pk: 'PROJECT#p', sk: 'AUDIT#t#1' });
  });
});
