import { queryByPrefix } from './dynamodb-prefix-query';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, type ItemKey, type RegistryStore, type RegistryTable, type StoredItem } from '../core/registry/store';

/** Physical names of the tables (from the function's environment, or the platform's exports); a function that never touches experiments leaves it out. */
export interface RegistryTableNames {
  readonly registry: string;
  readonly experiments?: string;
}

/**
 * RegistryStore over DynamoDB (AWS and dynalite alike): strongly consistent reads, ADD for
 * counters, condition expressions for every guarded write. No transactions.
 */
export function dynamoDbRegistryStore(client: DynamoDBClient | DynamoDBDocumentClient, tables: RegistryTableNames): RegistryStore {
  const doc = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const name = (table: RegistryTable): string => {
    const tableName = tables[table];
    if (!tableName) throw new Error(`no ${table} table name was configured for this registry store`);
    return tableName;
  };
  const key = (k: ItemKey) => ({ pk: k.pk, sk: k.sk });
  const conditional = async <T>(table: RegistryTable, k: ItemKey, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') throw new ConditionFailedError(table, k);
      throw error;
    }
  };

  return {
    async get(table, k) {
      const response = await doc.send(new GetCommand({ TableName: name(table), Key: key(k), ConsistentRead: true }));
      return response.Item as StoredItem | undefined;
    },

    async put(table, item, condition) {
      const input =
        condition?.kind === 'absent'
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : condition?.kind === 'equals'
            ? { ConditionExpression: '#c = :c', ExpressionAttributeNames: { '#c': condition.attribute }, ExpressionAttributeValues: { ':c': condition.value } }
            : {};
      await conditional(table, item, () => doc.send(new PutCommand({ TableName: name(table), Item: item, ...input })));
    },

    async increment(table, k, attribute, by) {
      const response = await doc.send(
        new UpdateCommand({
          TableName: name(table),
          Key: key(k),
          UpdateExpression: 'ADD #a :by',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':by': by },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(response.Attributes?.[attribute]);
    },

    async update(table, k, set, condition) {
      const entries = Object.entries(set).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const assignments = entries.map(([attribute, value], i) => {
        names[`#s${i}`] = attribute;
        values[`:s${i}`] = value;
        return `#s${i} = :s${i}`;
      });
      let expression = 'attribute_exists(pk)';
      if (condition) {
        names['#c'] = condition.attribute;
        values[':c'] = condition.value;
        expression += condition.kind === 'equals' ? ' AND #c = :c' : ' AND (attribute_not_exists(#c) OR #c < :c)';
      }
      await conditional(table, k, () =>
        doc.send(
          new UpdateCommand({
            TableName: name(table),
            Key: key(k),
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ConditionExpression: expression,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    async query(table, pk, options) {
      return queryByPrefix<StoredItem>(doc, name(table), pk, options);
    },
  };
}
