/**
 * The dataset registry as people read it: every version a project's training inbox
 * produced (accepted or rejected), its shape, hash, source, uploader and time, the schema
 * change against the version before it, and its approval.
 *
 * Items live in the model registry table under the project's partition:
 *   DATASET#<id>           written by the training pipeline (RecordDatasetVersion with the
 *                          profile step's record as JSON, or RecordRejection)
 *   DATASET#LATEST         the latest accepted version (what retraining uses)
 *   DATASET_APPROVAL#<id>  written here by an approval
 * An approval is an item of its own because the pipeline rewrites DATASET#<id> whole each
 * time it re-profiles the same upload (every retraining from the latest dataset). It binds
 * the SHA-256 of the copy it approved: if a later run keeps different bytes under the same
 * id (a changed PII policy), the approval shows as stale and does not count.
 */
import * as z from 'zod';
import { type AuditEvent, type AuditStore, recordAuditEvent } from '../governance/audit-trail';
import { type Caller, authorise } from '../governance/personas';
import { registryKeys } from '../registry/keys';
import { ConditionFailedError, type RegistryStore, type StoredItem } from '../registry/store';
import { type SchemaChange, compareSchemas } from './compare-versions';
import { DatasetVersionIdSchema } from './layout';

export const DATASET_SK_PREFIX = 'DATASET#';
/** The pipeline's pointer item (step-functions/training-pipeline.ts LATEST_DATASET_SK). */
export const LATEST_DATASET_SK = 'DATASET#LATEST';
export const DATASET_APPROVAL_SK_PREFIX = 'DATASET_APPROVAL#';

export const datasetKeys = {
  version: (project: string, id: string) => ({ pk: registryKeys.partition(project), sk: `${DATASET_SK_PREFIX}${DatasetVersionIdSchema.parse(id)}` }),
  approval: (project: string, id: string) => ({ pk: registryKeys.partition(project), sk: `${DATASET_APPROVAL_SK_PREFIX}${DatasetVersionIdSchema.parse(id)}` }),
};

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** The profile step's record (dataset-ingest.ts), as stored; older records lack the newer fields. */
const StoredDatasetRecord = z.looseObject({
  datasetVersionId: z.string(),
  sourceKey: z.string(),
  sha256: Sha256,
  sourceSha256: Sha256.optional(),
  sourceEtag: z.string().optional(),
  rows: z.number().int().nonnegative(),
  columns: z.array(z.object({ name: z.string(), type: z.enum(['integral', 'fractional', 'boolean', 'string', 'unknown']) })),
  uploadedAt: z.string(),
  profiledAt: z.string().optional(),
  uploadedBy: z.string().optional(),
  source: z.object({ url: z.string(), sha256: Sha256.optional(), attribution: z.string().optional() }).optional(),
  pii: z
    .object({
      policySource: z.string(),
      decisions: z.array(z.object({ column: z.string(), kind: z.string(), confidence: z.number(), action: z.string(), reason: z.string().optional() })),
      masked: z.array(z.string()),
      dropped: z.array(z.string()),
    })
    .optional(),
  baselineKeys: z.object({ statistics: z.string(), constraints: z.string(), profile: z.string().optional() }).optional(),
});
export type StoredDatasetRecord = z.output<typeof StoredDatasetRecord>;

const ApprovalItem = z.object({
  datasetVersionId: z.string(),
  sha256: Sha256,
  approvedBy: z.string(),
  persona: z.string(),
  approvedAt: z.string(),
  source: z.string(),
  note: z.string().optional(),
});
export type DatasetApproval = z.output<typeof ApprovalItem>;

/** pending: not approved yet; stale: approved, but the kept bytes changed since; rejected versions cannot be approved. */
export type ApprovalState = 'approved' | 'pending' | 'stale' | 'not-approvable';

export interface DatasetVersionEntry {
  readonly datasetVersionId: string;
  readonly status: 'validated' | 'rejected';
  readonly sourceKey: string;
  /** The upload time (accepted), or when the rejecting run started (rejected). */
  readonly uploadedAt?: string;
  readonly record?: StoredDatasetRecord;
  /** Why a rejected upload was rejected, and where its report is. */
  readonly reason?: string;
  readonly reportKey?: string;
  readonly executionArn?: string;
  readonly approval?: DatasetApproval;
  readonly approvalState: ApprovalState;
  /** Against the previous accepted version (undefined for the first one and for rejected uploads). */
  readonly schemaChange?: SchemaChange;
  /** Whether this is the version retraining uses. */
  readonly latest: boolean;
}

/** A registry item that does not have the shape the pipeline writes; the key is named. */
export class InvalidDatasetItemError extends Error {
  constructor(key: string, reason: string) {
    super(`dataset registry item ${key} is malformed: ${reason}`);
    this.name = 'InvalidDatasetItemError';
  }
}

export class DatasetVersionNotFoundError extends Error {
  constructor(
    readonly project: string,
    readonly datasetVersionId: string,
    known: readonly string[],
  ) {
    super(`project ${project} has no dataset version ${datasetVersionId}${known.length > 0 ? ` (versions: ${known.join(', ')})` : ' (no dataset versions yet)'}`);
    this.name = 'DatasetVersionNotFoundError';
  }
}

export class DatasetNotApprovableError extends Error {
  constructor(project: string, id: string, reason: string) {
    super(`project ${project} dataset version ${id} cannot be approved: ${reason}`);
    this.name = 'DatasetNotApprovableError';
  }
}

const str = (item: StoredItem, attribute: string): string | undefined => (typeof item[attribute] === 'string' && item[attribute] !== '' ? (item[attribute] as string) : undefined);

function parseVersionItem(item: StoredItem): Omit<DatasetVersionEntry, 'approval' | 'approvalState' | 'schemaChange' | 'latest'> {
  const id = item.sk.slice(DATASET_SK_PREFIX.length);
  const status = item.status;
  const sourceKey = str(item, 'sourceKey');
  if (sourceKey === undefined) throw new InvalidDatasetItemError(item.sk, 'sourceKey is missing');
  const common = { datasetVersionId: id, sourceKey, executionArn: str(item, 'executionArn') };
  if (status === 'rejected') {
    return { ...common, status, uploadedAt: str(item, 'executionStartedAt'), reason: str(item, 'reason'), reportKey: str(item, 'reportKey') };
  }
  if (status !== 'validated') throw new InvalidDatasetItemError(item.sk, `status ${JSON.stringify(status)} is neither validated nor rejected`);
  const text = str(item, 'record');
  if (text === undefined) throw new InvalidDatasetItemError(item.sk, 'record is missing');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidDatasetItemError(item.sk, `record is not JSON: ${(error as Error).message}`);
  }
  const parsed = StoredDatasetRecord.safeParse(json);
  if (!parsed.success) throw new InvalidDatasetItemError(item.sk, parsed.error.issues.map((i) => `record.${i.path.join('.')}: ${i.message}`).join('; '));
  if (parsed.data.datasetVersionId !== id) throw new InvalidDatasetItemError(item.sk, `record names dataset version ${parsed.data.datasetVersionId}`);
  return { ...common, status, uploadedAt: parsed.data.uploadedAt, record: parsed.data };
}

function parseApprovalItem(item: StoredItem): DatasetApproval {
  const parsed = ApprovalItem.safeParse(item);
  if (!parsed.success) throw new InvalidDatasetItemError(item.sk, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

function approvalStateOf(status: DatasetVersionEntry['status'], record: StoredDatasetRecord | undefined, approval: DatasetApproval | undefined): ApprovalState {
  if (status === 'rejected' || record === undefined) return 'not-approvable';
  if (approval === undefined) return 'pending';
  return approval.sha256 === record.sha256 ? 'approved' : 'stale';
}

/** Every dataset version of a project, oldest upload first, with approvals and schema changes. */
export async function listDatasetVersions(store: RegistryStore, project: string): Promise<DatasetVersionEntry[]> {
  const pk = registryKeys.partition(project);
  const [items, approvalItems] = await Promise.all([
    store.query('registry', pk, { skPrefix: DATASET_SK_PREFIX }),
    store.query('registry', pk, { skPrefix: DATASET_APPROVAL_SK_PREFIX }),
  ]);
  const approvals = new Map(approvalItems.map((item) => [item.sk.slice(DATASET_APPROVAL_SK_PREFIX.length), parseApprovalItem(item)]));
  const latestItem = items.find((item) => item.sk === LATEST_DATASET_SK);
  const latestId = latestItem === undefined ? undefined : str(latestItem, 'datasetVersionId');
  const versions = items
    .filter((item) => item.sk !== LATEST_DATASET_SK)
    .map(parseVersionItem)
    .sort((a, b) => (a.uploadedAt ?? '').localeCompare(b.uploadedAt ?? '') || a.datasetVersionId.localeCompare(b.datasetVersionId));
  let previous: StoredDatasetRecord | undefined;
  return versions.map((version) => {
    const approval = approvals.get(version.datasetVersionId);
    const schemaChange = version.record && previous ? compareSchemas(previous, version.record) : undefined;
    if (version.record) previous = version.record;
    return {
      ...version,
      ...(approval === undefined ? {} : { approval }),
      approvalState: approvalStateOf(version.status, version.record, approval),
      ...(schemaChange === undefined ? {} : { schemaChange }),
      latest: version.datasetVersionId === latestId,
    };
  });
}

/** One version (with its schema change against the accepted version uploaded before it). */
export async function getDatasetVersion(store: RegistryStore, project: string, id: string): Promise<DatasetVersionEntry> {
  const versions = await listDatasetVersions(store, project);
  const found = versions.find((v) => v.datasetVersionId === id);
  if (found === undefined) throw new DatasetVersionNotFoundError(project, id, versions.map((v) => v.datasetVersionId));
  return found;
}

export interface DatasetApprovalDeps {
  readonly registry: RegistryStore;
  readonly audit: AuditStore;
  readonly now: () => Date;
  readonly newId: () => string;
}

export interface DatasetApprovalOutcome {
  readonly approval: DatasetApproval;
  readonly alreadyApproved: boolean;
  /** The audit entry (absent when it was already approved: nothing changed). */
  readonly audit?: AuditEvent;
}

/**
 * Approves an accepted dataset version for training: the reviewer (the caller's principal),
 * persona, time and note are written with the SHA-256 of the copy they approved, then the
 * audit trail gets `dataset.approved`. Only personas with `dataset.approve` may; rejected
 * uploads cannot be approved; approving an approved, unchanged version records nothing.
 */
export async function approveDatasetVersion(project: string, id: string, caller: Caller, note: string | undefined, deps: DatasetApprovalDeps): Promise<DatasetApprovalOutcome> {
  authorise(caller, 'dataset.approve');
  const version = await getDatasetVersion(deps.registry, project, id);
  if (version.status === 'rejected' || version.record === undefined) {
    throw new DatasetNotApprovableError(project, id, `the upload was rejected${version.reason ? ` (${version.reason})` : ''}`);
  }
  const { record } = version;
  if (version.approval !== undefined && version.approvalState === 'approved') return { approval: version.approval, alreadyApproved: true };

  const trimmedNote = note?.trim();
  const approval: DatasetApproval = {
    datasetVersionId: id,
    sha256: record.sha256,
    approvedBy: caller.principal,
    persona: caller.persona,
    approvedAt: deps.now().toISOString(),
    source: caller.source,
    ...(trimmedNote ? { note: trimmedNote } : {}),
  };
  const key = datasetKeys.approval(project, id);
  try {
    // A stale approval is replaced only if it is still the one read (no lost concurrent approval).
    await deps.registry.put(
      'registry',
      { ...key, ...approval },
      version.approval === undefined ? { kind: 'absent' } : { kind: 'equals', attribute: 'approvedAt', value: version.approval.approvedAt },
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new DatasetNotApprovableError(project, id, 'another approval was recorded at the same time; read it with lumina dataset');
    throw error;
  }
  const audit = await recordAuditEvent(
    {
      project,
      action: 'dataset.approved',
      actor: caller.principal,
      source: caller.source,
      target: `dataset:${id}`,
      details: {
        persona: caller.persona,
        sha256: record.sha256,
        rows: record.rows,
        sourceKey: record.sourceKey,
        ...(trimmedNote ? { note: trimmedNote } : {}),
        ...(version.approval === undefined ? {} : { replaces: { approvedBy: version.approval.approvedBy, approvedAt: version.approval.approvedAt, sha256: version.approval.sha256 } }),
      },
    },
    { store: deps.audit, now: deps.now, newId: deps.newId },
  );
  return { approval, alreadyApproved: false, audit };
}
