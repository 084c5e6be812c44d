/**
 * Every item key of the feature store table and every S3 key of the offline store is built
 * here (the layout is described in README.md).
 */
import { InvalidFeatureRequestError } from './errors';
import type { ItemKey } from './store';

/** 3-64 lowercase letters, digits, `-` or `_`, starting with a letter: one key segment and one S3 path segment. */
export const GROUP_NAME_PATTERN = /^[a-z][a-z0-9_-]{2,63}$/;
export const GROUP_NAME_RULE = '3-64 lowercase letters, digits, "-" or "_", starting with a letter';

/** Entity ids are the last segment of a partition key, so any text goes; DynamoDB caps a partition key at 2048 bytes. */
const MAX_ENTITY_ID_BYTES = 1024;

export function checkGroupName(group: string): string {
  if (!GROUP_NAME_PATTERN.test(group)) throw new InvalidFeatureRequestError('feature group', `"${group}" is not a feature group name (${GROUP_NAME_RULE})`);
  return group;
}

export function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw new InvalidFeatureRequestError('version', `${version} is not a positive whole number`);
  return version;
}

/** Why an entity id cannot be stored, or undefined when it can. */
export function entityIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'the entity id is empty';
  if (id.trim() !== id) return `the entity id ${JSON.stringify(id)} has leading or trailing spaces`;
  if (Buffer.byteLength(id, 'utf8') > MAX_ENTITY_ID_BYTES) return `the entity id is longer than ${MAX_ENTITY_ID_BYTES} bytes`;
  return undefined;
}

export function checkEntityId(id: string): string {
  const problem = entityIdProblem(id);
  if (problem) throw new InvalidFeatureRequestError('entity id', problem);
  return id;
}

/** Six digits keep sort keys in version order. */
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const featureKeys = {
  /** The partition of one group: its counter, versions and ingestions. */
  group: (group: string): string => `FG#${checkGroupName(group)}`,
  versionCounter: (group: string): ItemKey => ({ pk: featureKeys.group(group), sk: 'COUNTER#VERSION' }),
  versionPrefix: 'VERSION#',
  version: (group: string, version: number): ItemKey => ({ pk: featureKeys.group(group), sk: `VERSION#${pad(checkVersion(version), 6)}` }),
  ingestionPrefix: (version: number): string => `INGEST#${pad(checkVersion(version), 6)}#`,
  ingestion: (group: string, version: number, ingestionId: string): ItemKey => ({ pk: featureKeys.group(group), sk: `${featureKeys.ingestionPrefix(version)}${ingestionId}` }),
  /** One item per group in one partition: what `lumina features list` reads. */
  catalog: 'FEATURE_GROUPS',
  catalogPrefix: 'GROUP#',
  catalogEntry: (group: string): ItemKey => ({ pk: featureKeys.catalog, sk: `GROUP#${checkGroupName(group)}` }),
  /** The online value of one entity for one version of a group. */
  online: (group: string, version: number, entityId: string): ItemKey => ({
    pk: `FG#${checkGroupName(group)}#ENTITY#${checkEntityId(entityId)}`,
    sk: `VERSION#${pad(checkVersion(version), 6)}`,
  }),
};

/**
 * An ingestion's id: its UTC start time to the millisecond, `20260301T090000.123Z`. Fixed
 * width, so ids sort in time order as text; unique per group version (claimed with a
 * conditional put, see ingestion.ts).
 */
export function ingestionIdAt(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '');
}

/** Objects of one ingestion: `features/<group>/v<version>/ingest=<id>/part-0000.jsonl`, … */
export function offlinePartKey(group: string, version: number, ingestionId: string, part: number): string {
  return `features/${checkGroupName(group)}/v${checkVersion(version)}/ingest=${ingestionId}/part-${pad(part, 4)}.jsonl`;
}
