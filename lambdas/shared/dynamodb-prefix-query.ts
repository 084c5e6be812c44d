import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

export interface PrefixQueryOptions {
  readonly skPrefix: string;
  readonly descending?: boolean;
  readonly limit?: number;
}

/**
 * Every item of a partition whose sort key starts with a prefix, strongly consistent, in
 * sort-key order, following LastEvaluatedKey until done or `limit` items (the registry and
 * the feature store share this shape of query).
 */
export async function queryByPrefix<T>(doc: DynamoDBDocumentClient, tableName: string, pk: string, options: PrefixQueryOptions): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const response = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': options.skPrefix },
        ScanIndexForward: !options.descending,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...(options.limit === undefined ? {} : { Limit: options.limit - items.length }),
      }),
    );
    items.push(...((response.Items ?? []) as T[]));
    startKey = response.LastEvaluatedKey;
  } while (startKey && (options.limit === undefined || items.length < options.limit));
  return items;
}
