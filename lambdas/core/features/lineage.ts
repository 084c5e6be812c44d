/**
 * What a training run records about the features it used: each group and the exact version
 * (never "latest", which moves). The shape is the registry's `lineage.featureGroups`
 * (lambdas/core/registry/model-version.ts), so it goes into the register step as it is.
 */
import type { FeatureGroupVersion } from '../registry/model-version';
import { checkGroupName, checkVersion } from './keys';

/** Sorted by group then version, each pair once. */
export function featureLineage(used: readonly { readonly name: string; readonly version: number }[]): FeatureGroupVersion[] {
  const unique = new Map<string, FeatureGroupVersion>();
  for (const { name, version } of used) unique.set(`${checkGroupName(name)}\u0000${checkVersion(version)}`, { name, version });
  return [...unique.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
}
