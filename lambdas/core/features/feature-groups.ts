/**
 * Registering and reading feature group definitions. A changed definition becomes a new
 * version, numbered like model versions: an ADD counter hands out the number, then the
 * version item is written with `attribute_not_exists` (no TransactWriteItems). Earlier
 * versions stay. Registering the definition the latest version already has (same
 * fingerprint) creates nothing and returns that version.
 */
import { type FeatureGroupRecord, definitionFingerprint, parseFeatureGroupDefinition } from './definition';
import { UnknownFeatureGroupError, UnknownFeatureGroupVersionError } from './errors';
import { checkGroupName, checkVersion, featureKeys } from './keys';
import { type FeatureTable, FeatureConditionFailedError, type StoredItem } from './store';

export interface RegisteredFeatureGroup {
  readonly record: FeatureGroupRecord;
  /** False when the latest version already had this definition: nothing was written. */
  readonly created: boolean;
  /** The version that was latest before (undefined for a new group). */
  readonly previousVersion?: number;
}

/** One line of `lumina features list`: the catalog entry of a group. */
export interface FeatureGroupSummary {
  readonly name: string;
  readonly latestVersion: number;
  readonly description: string;
  readonly features: number;
  readonly author: string;
  readonly updatedAt: string;
}

const MAX_ALLOCATION_ATTEMPTS = 10;

export async function registerFeatureGroup(table: FeatureTable, input: unknown, deps: { readonly now: () => Date }): Promise<RegisteredFeatureGroup> {
  const definition = parseFeatureGroupDefinition(input);
  const fingerprint = definitionFingerprint(definition);
  const latest = await latestRecord(table, definition.name);
  if (latest?.fingerprint === fingerprint) return { record: latest, created: false, previousVersion: latest.version };

  const createdAt = deps.now().toISOString();
  for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
    const version = await table.increment(featureKeys.versionCounter(definition.name), 'last', 1);
    const record: FeatureGroupRecord = { ...definition, version, createdAt, fingerprint };
    try {
      await table.put({ ...featureKeys.version(definition.name, version), type: 'feature-group-version', record }, { kind: 'absent' });
    } catch (error) {
      // Only when the counter is behind the items (restored from an older backup): take the next number.
      if (error instanceof FeatureConditionFailedError) continue;
      throw error;
    }
    await updateCatalog(table, record);
    return { record, created: true, ...(latest ? { previousVersion: latest.version } : {}) };
  }
  throw new Error(`could not allocate a version for feature group ${definition.name} after ${MAX_ALLOCATION_ATTEMPTS} attempts`);
}

/** The catalog entry moves forward only: a slower registration of an older version does not pull it back. */
async function updateCatalog(table: FeatureTable, record: FeatureGroupRecord): Promise<void> {
  const summary: FeatureGroupSummary = {
    name: record.name,
    latestVersion: record.version,
    description: record.description,
    features: record.features.length,
    author: record.author,
    updatedAt: record.createdAt,
  };
  try {
    await table.put({ ...featureKeys.catalogEntry(record.name), type: 'feature-group', ...summary }, { kind: 'absentOrBelow', attribute: 'latestVersion', value: record.version, inclusive: false });
  } catch (error) {
    if (!(error instanceof FeatureConditionFailedError)) throw error;
  }
}

async function latestRecord(table: FeatureTable, group: string): Promise<FeatureGroupRecord | undefined> {
  const [item] = await table.query(featureKeys.group(group), { skPrefix: featureKeys.versionPrefix, descending: true, limit: 1 });
  return item ? recordOf(item) : undefined;
}

function recordOf(item: StoredItem): FeatureGroupRecord {
  return item.record as FeatureGroupRecord;
}

/** The latest version of a group, or the version asked for, exactly as stored. */
export async function getFeatureGroup(table: FeatureTable, group: string, version?: number): Promise<FeatureGroupRecord> {
  checkGroupName(group);
  if (version === undefined) {
    const latest = await latestRecord(table, group);
    if (!latest) throw new UnknownFeatureGroupError(group, (await listFeatureGroups(table)).map((g) => g.name));
    return latest;
  }
  const item = await table.get(featureKeys.version(group, checkVersion(version)));
  if (item) return recordOf(item);
  const latest = await latestRecord(table, group);
  if (!latest) throw new UnknownFeatureGroupError(group, (await listFeatureGroups(table)).map((g) => g.name));
  throw new UnknownFeatureGroupVersionError(group, version, latest.version);
}

/** Every version of a group, oldest first. */
export async function listFeatureGroupVersions(table: FeatureTable, group: string): Promise<FeatureGroupRecord[]> {
  const items = await table.query(featureKeys.group(group), { skPrefix: featureKeys.versionPrefix });
  if (items.length === 0) throw new UnknownFeatureGroupError(group, (await listFeatureGroups(table)).map((g) => g.name));
  return items.map(recordOf);
}

/** Every registered group with its latest version, by name. */
export async function listFeatureGroups(table: FeatureTable): Promise<FeatureGroupSummary[]> {
  const items = await table.query(featureKeys.catalog, { skPrefix: featureKeys.catalogPrefix });
  return items.map((item) => ({
    name: String(item.name),
    latestVersion: Number(item.latestVersion),
    description: String(item.description),
    features: Number(item.features),
    author: String(item.author),
    updatedAt: String(item.updatedAt),
  }));
}
