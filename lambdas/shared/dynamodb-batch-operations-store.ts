import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OperationsItem, OperationsStore } from '../core/batch/operations-store';

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/** OperationsStore over the operations table (pk/sk strings): consistent reads, condition expressions, ADD counters. */
export function dynamoDbOperationsStore(client: DynamoDBClient, tableName: string): OperationsStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const assignments = (set: Readonly<Record<string, unknown>>, names: Record<string, string>, values: Record<string, unknown>): string[] =>
    Object.entries(set)
      .filter(([, value]) => value !== undefined)
      .map(([attribute, value], i) => {
        names[`#s${i}`] = attribute;
        values[`:s${i}`] = value;
        return `#s${i} = :s${i}`;
      });
  return {
    async get(key) {
      const response = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
      return response.Item as OperationsItem | undefined;
    },
    async putIfAbsent(item) {
      try {
        await doc.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async updateIf(key, set, conditions) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets = assignments(set, names, values);
      const checks = ['attribute_exists(pk)'];
      conditions.forEach((condition, i) => {
        names[`#c${i}`] = condition.attribute;
        if (condition.value === undefined) checks.push(`attribute_not_exists(#c${i})`);
        else {
          values[`:c${i}`] = condition.value;
          checks.push(`#c${i} = :c${i}`);
        }
      });
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: key.pk, sk: key.sk },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: checks.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async add(key, counters, set = {}) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets = assignments(set, names, values);
      const adds = Object.entries(counters).map(([attribute, by], i) => {
        names[`#a${i}`] = attribute;
        values[`:a${i}`] = by;
        return `#a${i} :a${i}`;
      });
      const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', adds.length > 0 ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' ');
      if (!expression) return;
      await doc.send(new UpdateCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk }, UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
    },
  };
}
