/** The audit trail of a running local cloud, read and appended through its DynamoDB client and the platform's table exports. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditStore } from '../../lambdas/core/governance/audit-trail';
import { dynamoDbAuditStore } from '../../lambdas/shared/dynamodb-audit-store';
import type { LocalCloudApi } from '../cloud-api';

export function localAuditStore(cloud: LocalCloudApi): AuditStore {
  return dynamoDbAuditStore(DynamoDBDocumentClient.from(cloud.dynamodb, { marshallOptions: { removeUndefinedValues: true } }), cloud.tableName('audit'));
}
