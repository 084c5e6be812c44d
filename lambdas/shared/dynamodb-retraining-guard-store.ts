import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type GuardItem, GuardItemSchema, type GuardStore, retrainingGuardKey } from '../core/performance/retraining-guard';
import { parseInput } from './parse-input';

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/**
 * The retraining guard's GuardStore over the operations table: one item per project
 * (`PROJECT#<p>` / `GUARD#RETRAINING`), read consistently and replaced by a conditional put on
 * its revision (`attribute_not_exists(pk)` for the first write), which DynamoDB applies
 * atomically: of two writers that read the same revision, one wins.
 */
export function dynamoDbRetrainingGuardStore(client: DynamoDBClient, tableName: string): GuardStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    async read(project) {
      const key = retrainingGuardKey(project);
      const response = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      // The schema drops the key attributes (pk, sk) and refuses an item this code did not write.
      return response.Item ? parseInput(GuardItemSchema, response.Item, `retraining guard item ${key.pk}/${key.sk}`) : undefined;
    },
    async compareAndSet(project, expectedRevision, next: GuardItem) {
      const condition =
        expectedRevision === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#revision = :revision', ExpressionAttributeNames: { '#revision': 'revision' }, ExpressionAttributeValues: { ':revision': expectedRevision } };
      try {
        await doc.send(new PutCommand({ TableName: tableName, Item: { ...next, ...retrainingGuardKey(project) }, ...condition }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
