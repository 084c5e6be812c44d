/**
 * The endpoint's online feature lookup: a request `{ "entityId": "..." }` is scored on the
 * entity's latest values in the online feature store, from exactly the feature groups (and
 * versions) the production model was trained on (its lineage, see
 * pipeline/feature-join.ts). Features of several groups are merged; the model's input
 * contract then checks them like any record, so a model that also needs inputs the store does
 * not hold answers 400 naming them.
 */
import { FeatureStoreError } from '../features/errors';
import { getOnlineFeatures } from '../features/online';
import type { FeatureTable } from '../features/store';
import { FeatureLookupRefusedError, type OnlineFeatureLookup } from './endpoint';

export function onlineFeatureLookup(table: FeatureTable): OnlineFeatureLookup {
  return async (entityId, groups) => {
    if (groups.length === 0) {
      throw new FeatureLookupRefusedError("the production model was trained without feature groups, so the online feature store holds none of its inputs; send the record's features instead");
    }
    const merged: Record<string, unknown> = {};
    let found = false;
    for (const group of groups) {
      let result: Awaited<ReturnType<typeof getOnlineFeatures>>;
      try {
        result = await getOnlineFeatures(table, { group: group.name, version: group.version, entityIds: [entityId] });
      } catch (error) {
        // An id the store could never hold, or a group version that is gone: the request's or the project's fault, not the service's.
        if (error instanceof FeatureStoreError) throw new FeatureLookupRefusedError(error.message);
        throw error;
      }
      const entity = result.entities[entityId];
      if (entity === undefined) continue;
      found = true;
      Object.assign(merged, entity.features);
    }
    return found ? merged : undefined;
  };
}
