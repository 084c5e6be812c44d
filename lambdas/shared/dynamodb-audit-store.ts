import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AuditConflictError, type AuditItem, type AuditStore } from '../core/governance/audit-trail';

/** AuditStore over the platform's audit table (pk/sk strings): put-if-absent, paged queries. */
export function dynamoDbAuditStore(documents: DynamoDBDocumentClient, tableName: string): AuditStore {
  return {
    async putNew(item) {
      try {
        await documents.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') throw new AuditConflictError({ pk: item.pk, sk: item.sk });
        throw error;
      }
    },
    async query(pk, skPrefix, options) {
      const items: AuditItem[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
            ScanIndexForward: !options.descending,
            ExclusiveStartKey: startKey,
            Limit: options.limit,
          }),
        );
        items.push(...((page.Items ?? []) as AuditItem[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey && (options.limit === undefined || items.length < options.limit));
      return options.limit === undefined ? items : items.slice(0, options.limit);
    },
  };
}
