import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { FeatureConditionFailedError } from '../../../lambdas/core/features/store';
import { dynamoDbFeatureTable } from '../../../lambdas/shared/dynamodb-feature-table';

describe('the DynamoDB feature table', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(doc);
  afterEach(() => mock.reset());

  it('sends one BatchGetItem and returns the unprocessed keys DynamoDB reports', async () => {
    mock.on(BatchGetCommand).resolves({
      Responses: { FeatureStore: [{ pk: 'FG#g#ENTITY#a', sk: 'VERSION#000001', entityId: 'a' }] },
      UnprocessedKeys: { FeatureStore: { Keys: [{ pk: 'FG#g#ENTITY#b', sk: 'VERSION#000001' }] } },
    });
    const table = dynamoDbFeatureTable(doc, 'FeatureStore');

    const result = await table.batchGet([
      { pk: 'FG#g#ENTITY#a', sk: 'VERSION#000001' },
      { pk: 'FG#g#ENTITY#b', sk: 'VERSION#000001' },
    ]);

    expect(result).toEqual({ items: [{ pk: 'FG#g#ENTITY#a', sk: 'VERSION#000001', entityId: 'a' }], unprocessed: [{ pk: 'FG#g#ENTITY#b', sk: 'VERSION#000001' }] });
    expect(mock.commandCalls(BatchGetCommand)[0].args[0].input).toEqual({
      RequestItems: { FeatureStore: { Keys: [{ pk: 'FG#g#ENTITY#a', sk: 'VERSION#000001' }, { pk: 'FG#g#ENTITY#b', sk: 'VERSION#000001' }], ConsistentRead: false } },
    });
    await expect(table.batchGet(Array.from({ length: 101 }, (_, i) => ({ pk: `p${i}`, sk: 's' })))).rejects.toThrow('BatchGetItem takes at most 100 keys (got 101)');
  });

  it('writes the newer-wins condition and turns a failed condition into FeatureConditionFailedError', async () => {
    mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const table = dynamoDbFeatureTable(doc, 'FeatureStore');

    await expect(table.put({ pk: 'p', sk: 's', order: 'b' }, { kind: 'absentOrBelow', attribute: 'order', value: 'b', inclusive: true })).rejects.toThrow(FeatureConditionFailedError);

    expect(mock.commandCalls(PutCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk) OR #c <= :c',
      ExpressionAttributeNames: { '#c': 'order' },
      ExpressionAttributeValues: { ':c': 'b' },
    });
  });
});
