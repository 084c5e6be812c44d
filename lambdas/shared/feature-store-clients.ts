import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FeatureStoreDependencies } from '../core/features/store-dependencies';
import { dynamoDbFeatureTable } from './dynamodb-feature-table';
import { s3ObjectStore } from './s3-object-store';

export interface FeatureStoreLocation {
  /** Physical name of the platform's `featureStore` table. */
  readonly tableName: string;
  /** The artifact bucket, which holds the offline store under `features/`. */
  readonly bucket: string;
}

/** The feature store core's dependencies over SDK v3 clients: DynamoDB for definitions and online values, S3 for the offline store. */
export function featureStoreOverAws(clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client }, location: FeatureStoreLocation, now: () => Date = () => new Date()): FeatureStoreDependencies {
  return {
    table: dynamoDbFeatureTable(clients.dynamodb, location.tableName),
    objects: s3ObjectStore(clients.s3),
    bucket: location.bucket,
    now,
  };
}
