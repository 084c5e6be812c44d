import { queryByPrefix } from './dynamodb-prefix-query';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BATCH_GET_LIMIT, type FeatureTable, FeatureConditionFailedError, type ItemKey, type StoredItem } from '../core/features/store';

/**
 * The feature store's FeatureTable over DynamoDB (AWS and dynalite alike): strongly
 * consistent single-item reads, ADD for the version counter, condition expressions for
 * guarded puts, one BatchGetItem per `batchGet` (the core chunks and retries). No transactions.
 */
export function dynamoDbFeatureTable(client: DynamoDBClient | DynamoDBDocumentClient, tableName: string): FeatureTable {
  const doc = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const key = (k: ItemKey) => ({ pk: k.pk, sk: k.sk });

  return {
    async get(k) {
      const response = await doc.send(new GetCommand({ TableName: tableName, Key: key(k), ConsistentRead: true }));
      return response.Item as StoredItem | undefined;
    },

    async put(item, condition) {
      const input =
        condition?.kind === 'absent'
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : condition?.kind === 'absentOrBelow'
            ? {
                ConditionExpression: `attribute_not_exists(pk) OR #c ${condition.inclusive ? '<=' : '<'} :c`,
                ExpressionAttributeNames: { '#c': condition.attribute },
                ExpressionAttributeValues: { ':c': condition.value },
              }
            : {};
      try {
        await doc.send(new PutCommand({ TableName: tableName, Item: item, ...input }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') throw new FeatureConditionFailedError(item);
        throw error;
      }
    },

    async increment(k, attribute, by) {
      const response = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key(k),
          UpdateExpression: 'ADD #a :by',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':by': by },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(response.Attributes?.[attribute]);
    },

    async query(pk, options) {
      return queryByPrefix<StoredItem>(doc, tableName, pk, options);
    },

    async batchGet(keys, options) {
      if (keys.length === 0) return { items: [], unprocessed: [] };
      if (keys.length > BATCH_GET_LIMIT) throw new Error(`BatchGetItem takes at most ${BATCH_GET_LIMIT} keys (got ${keys.length})`);
      const response = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys.map(key), ConsistentRead: options?.consistentRead ?? false } } }),
      );
      const unprocessed = (response.UnprocessedKeys?.[tableName]?.Keys ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) }));
      return { items: (response.Responses?.[tableName] ?? []) as StoredItem[], unprocessed };
    },
  };
}
