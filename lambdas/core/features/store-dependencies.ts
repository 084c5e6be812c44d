/** What reading and writing the feature store needs: its table and the bucket holding the offline store. */
import type { ObjectStore } from '../../shared/object-store';
import type { FeatureTable } from './store';

export interface FeatureStoreTableAndObjects {
  readonly table: FeatureTable;
  readonly objects: ObjectStore;
  /** The artifact bucket, which holds the offline store. */
  readonly bucket: string;
}

export interface FeatureStoreDependencies extends FeatureStoreTableAndObjects {
  readonly now: () => Date;
}
