/**
 * The dataset-version record the training pipeline writes to the registry after
 * validation: what was dropped (key, S3 version, content hash), its shape, and whether it
 * was accepted. Pure: the clock is an argument, and the id depends only on the source
 * object, so a retried or repeated event for the same object yields the same record id.
 */
import { createHash } from 'node:crypto';
import type { ColumnType } from './cell-kind';
import type { DatasetErrorCode, DatasetIssue, IssueTotals } from './dataset-issues';
import { projectLayout } from './layout';

export interface DatasetSource {
  /** The S3 object key that was dropped. */
  readonly key: string;
  /** The S3 version id; S3's `"null"` (unversioned object) counts as absent. */
  readonly versionId?: string;
  /** The S3 ETag, with or without its quotes. */
  readonly etag?: string;
}

export interface BaselineKeys {
  readonly statistics: string;
  readonly constraints: string;
  readonly profile?: string;
}

export interface DatasetVersionRecord {
  readonly projectName: string;
  readonly datasetVersionId: string;
  readonly sourceKey: string;
  readonly sourceVersionId?: string;
  readonly sha256: string;
  readonly rows: number;
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
  /** ISO-8601 UTC time the record was built. */
  readonly uploadedAt: string;
  readonly status: 'validated' | 'rejected';
  /** Why a rejected dataset was rejected (at most `MAX_REASON_CHARS`). */
  readonly reason?: string;
  readonly baselineKeys?: BaselineKeys;
}

/** The parts of a validation result a dataset version needs (`DatasetValidation` fits). */
export interface ValidationOutcome {
  readonly ok: boolean;
  readonly sha256: string;
  readonly rows: number;
  readonly columns: readonly { readonly name: string; readonly inferredType: ColumnType }[];
  readonly issues: readonly DatasetIssue<DatasetErrorCode>[];
  readonly issueTotals: IssueTotals<DatasetErrorCode>;
}

export interface DatasetVersionInput {
  readonly projectName: string;
  readonly source: DatasetSource;
  readonly validation: ValidationOutcome;
  /** Only for a validated dataset: where its baseline was written. */
  readonly baselineKeys?: BaselineKeys;
  readonly now: () => Date;
}

/** Raised when the inputs of a dataset version contradict each other or are malformed. */
export class DatasetVersionError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid dataset version input, ${field}: ${reason}`);
    this.name = 'DatasetVersionError';
  }
}

export const MAX_REASON_CHARS = 1000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function normalizedVersionId(versionId: string | undefined): string | undefined {
  return versionId === undefined || versionId === '' || versionId === 'null' ? undefined : versionId;
}

function normalizedEtag(etag: string | undefined): string | undefined {
  const bare = etag?.replace(/^"|"$/g, '');
  return bare === undefined || bare === '' ? undefined : bare;
}

/**
 * A dataset version id: `ds-` and 24 hex characters of SHA-256 over the object key and
 * its S3 version id (else its ETag, else the content's SHA-256). The same object always
 * gets the same id; a new upload under the same key gets a new one.
 */
export function datasetVersionIdFor(source: DatasetSource, sha256?: string): string {
  if (source.key.trim() === '') throw new DatasetVersionError('source.key', 'must not be empty');
  const versionId = normalizedVersionId(source.versionId);
  const etag = normalizedEtag(source.etag);
  let identity: string;
  if (versionId !== undefined) identity = `version:${versionId}`;
  else if (etag !== undefined) identity = `etag:${etag}`;
  else if (sha256 !== undefined) identity = `sha256:${sha256}`;
  else throw new DatasetVersionError('source', 'needs a versionId, an etag or the content sha256 to identify the object');
  const digest = createHash('sha256').update(`${source.key}\n${identity}`).digest('hex');
  return `ds-${digest.slice(0, 24)}`;
}

/** One line that says why a dataset was rejected: counts by code, then the first issues. */
export function rejectionReason(issues: readonly DatasetIssue[], totals: IssueTotals): string {
  const counts = Object.entries(totals.byCode)
    .map(([code, n]) => `${code} ×${String(n)}`)
    .join(', ');
  const first = issues
    .slice(0, 3)
    .map((issue) => issue.message)
    .join('; ');
  const text = `${totals.total} ${totals.total === 1 ? 'error' : 'errors'} (${counts}): ${first}`;
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** Builds the registry record of one dropped dataset. */
export function buildDatasetVersionRecord(input: DatasetVersionInput): DatasetVersionRecord {
  const { source, validation, baselineKeys } = input;
  const layout = projectLayout(input.projectName);
  if (!SHA256_HEX.test(validation.sha256)) throw new DatasetVersionError('validation.sha256', 'must be 64 lowercase hex characters');
  if (!Number.isInteger(validation.rows) || validation.rows < 0) throw new DatasetVersionError('validation.rows', 'must be a whole number >= 0');
  const uploadedAt = input.now();
  if (Number.isNaN(uploadedAt.getTime())) throw new DatasetVersionError('now', 'the clock returned an invalid date');

  const datasetVersionId = datasetVersionIdFor(source, validation.sha256);
  const sourceVersionId = normalizedVersionId(source.versionId);
  const common = {
    projectName: layout.projectName,
    datasetVersionId,
    sourceKey: source.key,
    ...(sourceVersionId === undefined ? {} : { sourceVersionId }),
    sha256: validation.sha256,
    rows: validation.rows,
    columns: validation.columns.map((column) => ({ name: column.name, type: column.inferredType })),
    uploadedAt: uploadedAt.toISOString(),
  };

  if (!validation.ok) {
    if (baselineKeys !== undefined) throw new DatasetVersionError('baselineKeys', 'a rejected dataset has no baseline');
    const reason = validation.issues.length > 0 ? rejectionReason(validation.issues, validation.issueTotals) : 'validation failed';
    return { ...common, status: 'rejected', reason };
  }
  if (baselineKeys === undefined) return { ...common, status: 'validated' };
  // The baseline must sit in this version's folder, or lineage would point elsewhere.
  const { prefix } = layout.datasetVersion(datasetVersionId);
  for (const [name, key] of Object.entries(baselineKeys)) {
    if (typeof key === 'string' && !key.startsWith(prefix)) {
      throw new DatasetVersionError(`baselineKeys.${name}`, `${JSON.stringify(key)} is not under ${prefix}`);
    }
  }
  return { ...common, status: 'validated', baselineKeys };
}
