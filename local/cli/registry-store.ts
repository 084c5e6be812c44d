/** The model registry of a running local cloud, read through its DynamoDB client and the platform's table exports. */
import type { LocalCloudApi } from '../cloud-api';
import type { RegistryStore } from '../../lambdas/core/registry/store';
import { dynamoDbRegistryStore } from '../../lambdas/shared/dynamodb-registry-store';

export function localRegistryStore(cloud: LocalCloudApi): RegistryStore {
  return dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
}
