import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PlatformTablesProps {
  readonly encryptionKey: kms.IKey;
}

/** Names of the platform's tables, also the keys of `PlatformTables.all`. */
export const TABLE_NAMES = ['registry', 'experiments', 'featureStore', 'operations', 'audit'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/**
 * The platform's DynamoDB tables, all with the same generic key (`pk`, `sk`) so each holds
 * several item types of one concern: the model registry (projects, datasets, models,
 * versions, stages, model cards, lineage, approvals), experiments and runs, the feature
 * store, operations (A/B configuration, batch checkpoints, pipeline runs) and the audit trail.
 * On demand, KMS-encrypted, point-in-time recovery, retained.
 */
export class PlatformTables extends Construct {
  readonly all: Readonly<Record<TableName, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: PlatformTablesProps) {
    super(scope, id);
    const ids: Record<TableName, string> = {
      registry: 'ModelRegistry',
      experiments: 'Experiments',
      featureStore: 'FeatureStore',
      operations: 'Operations',
      audit: 'AuditTrail',
    };
    const tables = {} as Record<TableName, dynamodb.Table>;
    for (const name of TABLE_NAMES) {
      tables[name] = new dynamodb.Table(this, ids[name], {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: props.encryptionKey,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(tables[name]).acknowledge({
        id: 'HIPAA.Security-DynamoDBInBackupPlan',
        reason: 'Continuous point-in-time recovery (35 days) is enabled on every table; an AWS Backup plan is an account-level choice left to the operator.',
      });
    }
    this.all = tables;
  }
}
