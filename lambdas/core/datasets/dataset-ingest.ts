/**
 * The profile step with the project's PII policy applied on ingest: the dataset copy the
 * pipeline keeps (`datasets/<id>/data.csv`, what splitting, training and lineage use) has
 * flagged columns masked or dropped, or the dataset is refused; the upload in the inbox is
 * never changed. The decision (column, kind, confidence, action, reason) is recorded on the
 * dataset version, in `datasets/<id>/pii-decisions.json`, and in the audit trail when the
 * function has the audit table.
 *
 * Order of work:
 *   read the upload, check it is the validated bytes → read the project's `piiPolicy`
 *   → scan every column (validation's step output lists only the first findings)
 *   → decide (target and entity id exempt) → refuse: log, audit, throw PiiRefusedError
 *   → mask/drop → profile the kept copy (so no raw PII reaches the baseline's categorical
 *   buckets) → write copy, baseline, profile → audit → the dataset version record.
 *
 * The record's `sha256` is the kept copy's hash (the split step checks the copy against it);
 * `sourceSha256` is the upload's when the two differ. `uploadedAt` is the upload's S3
 * LastModified time (a retraining run re-profiles the same upload and must not move it).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { type AuditAction, type AuditStore, recordAuditEvent } from '../governance/audit-trail';
import { loadProjectConfigField, type ReadConfigObject } from '../governance/project-policy';
import { DatasetChangedError, ForeignObjectError, ProfileStepInput, type ProjectDataSpec } from '../pipeline/training-data';
import type { ColumnType } from './cell-kind';
import { buildDatasetVersionRecord, type DatasetVersionRecord } from './dataset-version';
import { projectLayout } from './layout';
import { type PiiDecision, PiiRefusedError, applyPiiDecisions, decidePiiActions, loadPiiPolicy, withExemptColumns } from './pii-policy';
import { scanCsvForPii } from './pii-scan';
import { profileDataset, profileSchemaOf } from './profile-dataset';
import { type UploadAttribution, parseUploadMetadata } from './upload-attribution';

/** The profile step's input; `executionId` (`$$.Execution.Id`), when the workflow passes it, is the audit entry's source. */
export const IngestStepInput = ProfileStepInput.extend({
  executionId: z.string().min(1).optional(),
});
export type IngestStepInput = z.output<typeof IngestStepInput>;

/** The uploaded object as S3 returns it. */
/** Where a project says training needs an approved dataset version: this field of project.config.json. */
export const DATASET_APPROVAL_FIELD = 'datasetApproval';
export const DatasetApprovalPolicy = z.object({ required: z.boolean().default(false) }).strict();

export interface UploadedObject {
  readonly body: Uint8Array;
  /** User metadata, keys without `x-amz-meta-`. */
  readonly metadata: Readonly<Record<string, string | undefined>>;
  readonly lastModified?: Date;
}

export interface IngestAudit {
  readonly store: AuditStore;
  readonly newId: () => string;
  /** Who decided: the pipeline function (e.g. `lambda:<function name>`). */
  readonly actor: string;
}

export interface IngestDependencies {
  /** Writes the copy, the baseline and the logs. */
  readonly objects: ObjectStore;
  readonly readUpload: (bucket: string, key: string, versionId?: string) => Promise<UploadedObject>;
  readonly readConfig: ReadConfigObject;
  /** The project's masking key; only called when a column is to be masked. */
  readonly maskKey: () => Promise<string>;
  /** Absent when the function has no audit table: the decision is then on the version and in pii-decisions.json only. */
  readonly audit?: IngestAudit;
  readonly now: () => Date;
}

/** A decision as the version record and the audit trail keep it. */
export type RecordedPiiDecision = Pick<PiiDecision, 'column' | 'kind' | 'confidence' | 'action' | 'reason'>;

export interface DatasetPiiOutcome {
  /** The configuration object the policy came from, or `default`. */
  readonly policySource: string;
  readonly decisions: readonly RecordedPiiDecision[];
  readonly masked: readonly string[];
  readonly dropped: readonly string[];
}

export interface IngestedDatasetRecord extends DatasetVersionRecord, UploadAttribution {
  /** The upload's SHA-256 when the kept copy differs from it (a column was masked or dropped). */
  readonly sourceSha256?: string;
  /** The upload's ETag (no quotes): with sourceKey and sourceVersionId, enough to run the pipeline on this version again. */
  readonly sourceEtag?: string;
  /** When this copy and its baseline were written. */
  readonly profiledAt: string;
  readonly pii: DatasetPiiOutcome;
  /** The project requires an approved dataset version before training (project.config.json `datasetApproval.required`). */
  readonly approvalRequired: boolean;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const json = (value: unknown): string => JSON.stringify(value, null, 2);

function checkOwnObject(event: { bucket: string; key: string }, inboxPrefix: string, bucket: string): void {
  if (event.bucket !== bucket) throw new ForeignObjectError(`bucket ${event.bucket} is not this platform's artifact bucket ${bucket}`);
  if (!event.key.startsWith(inboxPrefix)) throw new ForeignObjectError(`object ${event.key} is not under this project's inbox ${inboxPrefix}`);
}

/** The validated columns as kept: dropped ones gone, masked ones now text (pseudonyms). */
function keptColumns(
  columns: readonly { readonly name: string; readonly inferredType: ColumnType }[],
  masked: readonly string[],
  dropped: readonly string[],
): { name: string; inferredType: ColumnType }[] {
  return columns.filter((c) => !dropped.includes(c.name)).map((c) => ({ name: c.name, inferredType: masked.includes(c.name) ? 'string' : c.inferredType }));
}

export async function ingestTrainingDataset(input: IngestStepInput, spec: ProjectDataSpec, deps: IngestDependencies, bucket: string): Promise<IngestedDatasetRecord> {
  const layout = projectLayout(spec.projectName);
  checkOwnObject(input, layout.trainingInboxPrefix, bucket);
  const upload = await deps.readUpload(input.bucket, input.key, input.versionId || undefined);
  const sourceSha256 = sha256Hex(upload.body);
  if (sourceSha256 !== input.validation.sha256) throw new DatasetChangedError(input.key, input.validation.sha256, sourceSha256);
  const attribution = parseUploadMetadata(upload.metadata);
  const { datasetVersionId, rows } = input.validation;
  const keys = layout.datasetVersion(datasetVersionId);

  const loaded = await loadPiiPolicy(deps.readConfig, spec.projectName);
  const approval = await loadProjectConfigField(deps.readConfig, spec.projectName, DATASET_APPROVAL_FIELD, DatasetApprovalPolicy);
  const policy = withExemptColumns(loaded.policy, [spec.targetColumn, spec.entityIdColumn]);
  const decisions = decidePiiActions(scanCsvForPii(upload.body), policy);
  const recorded: RecordedPiiDecision[] = decisions.map(({ column, kind, confidence, action, reason }) => ({ column, kind, confidence, action, reason }));
  const decidedAt = deps.now().toISOString();
  const audit = async (action: AuditAction, details: Record<string, unknown>): Promise<void> => {
    if (deps.audit === undefined) return;
    await recordAuditEvent(
      { project: spec.projectName, action, actor: deps.audit.actor, source: input.executionId ?? `s3://${input.bucket}/${input.key}`, target: `dataset:${datasetVersionId}`, details },
      { store: deps.audit.store, newId: deps.audit.newId, now: deps.now },
    );
  };
  const log = { datasetVersionId, sourceKey: input.key, sourceSha256, policySource: loaded.source, policy, decidedAt, decisions: recorded };

  const refused = decisions.filter((d) => d.action === 'refuse');
  if (refused.length > 0) {
    // Evidence first, then the trail, then the failure the pipeline records.
    await deps.objects.put(bucket, keys.piiDecisions, json({ ...log, outcome: 'refused' }), 'application/json');
    await audit('dataset.rejected', { reason: 'pii-policy', policySource: loaded.source, sourceKey: input.key, decisions: recorded });
    throw new PiiRefusedError(refused);
  }

  const maskKey = decisions.some((d) => d.action === 'mask') ? await deps.maskKey() : '';
  const applied = applyPiiDecisions(upload.body, decisions, maskKey);
  const changed = applied.masked.length + applied.dropped.length > 0;
  const kept = changed ? new TextEncoder().encode(applied.csv) : upload.body;
  const keptSha256 = sha256Hex(kept);
  const columns = keptColumns(input.validation.columns, applied.masked, applied.dropped);
  const pii: DatasetPiiOutcome = { policySource: loaded.source, decisions: recorded, masked: applied.masked, dropped: applied.dropped };

  const notFeatures = [spec.targetColumn, spec.entityIdColumn].filter((c) => c !== '');
  const profile = profileDataset(kept, profileSchemaOf(columns, notFeatures));
  await deps.objects.put(bucket, keys.data, kept, 'text/csv');
  await deps.objects.put(bucket, keys.statistics, json(profile.statistics), 'application/json');
  await deps.objects.put(bucket, keys.constraints, json(profile.constraints), 'application/json');
  await deps.objects.put(bucket, keys.profile, json({ summary: profile.summary, validation: input.validation, pii }), 'application/json');
  if (decisions.length > 0) {
    await deps.objects.put(bucket, keys.piiDecisions, json({ ...log, outcome: changed ? 'applied' : 'unchanged', masked: applied.masked, dropped: applied.dropped, sha256: keptSha256 }), 'application/json');
    await audit('dataset.pii-policy-applied', { policySource: loaded.source, sourceKey: input.key, decisions: recorded, masked: applied.masked, dropped: applied.dropped, sha256: keptSha256, sourceSha256 });
  }

  const sourceEtag = input.etag?.replace(/^"|"$/g, '') || undefined;
  const record = buildDatasetVersionRecord({
    projectName: spec.projectName,
    source: { key: input.key, versionId: input.versionId || undefined, etag: input.etag || undefined },
    validation: { ok: true, sha256: sourceSha256, rows, columns, issues: [], issueTotals: { total: 0, byCode: {}, truncated: false } },
    baselineKeys: { statistics: keys.statistics, constraints: keys.constraints, profile: keys.profile },
    now: () => upload.lastModified ?? new Date(decidedAt),
  });
  return {
    ...record,
    sha256: keptSha256,
    ...(changed ? { sourceSha256 } : {}),
    ...(sourceEtag === undefined ? {} : { sourceEtag }),
    ...attribution,
    profiledAt: decidedAt,
    pii,
    // Training stops at this version until a model approver approves these exact bytes (the pipeline checks).
    approvalRequired: approval.value.required,
  };
}
