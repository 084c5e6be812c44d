/**
 * The training pipeline's data steps: validate what was dropped in a project's training
 * inbox, and profile an accepted dataset into its versioned copy and Model Monitor baseline.
 * Pure orchestration over the dataset core: storage and the clock are arguments.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { buildDatasetVersionRecord, datasetVersionIdFor, type DatasetVersionRecord, rejectionReason } from '../datasets/dataset-version';
import { projectLayout } from '../datasets/layout';
import { profileDataset, profileSchemaOf } from '../datasets/profile-dataset';
import { type DatasetValidation, validateDataset } from '../datasets/validate-dataset';

/** The execution input a training-inbox drop produces (the EventBridge rule's input transformer). */
export const TrainingDropEvent = z.object({
  bucket: z.string().min(3),
  key: z.string().min(1),
  /** Empty or null for an unversioned bucket (the local S3 emulator has no versioning). */
  versionId: z.string().nullish(),
  etag: z.string().nullish(),
  executionId: z.string().min(1).optional(),
});
export type TrainingDropEvent = z.output<typeof TrainingDropEvent>;

/** What the project says about its data (from the project parameters). */
export interface ProjectDataSpec {
  readonly projectName: string;
  readonly targetColumn: string;
  /** Empty when the project has none. */
  readonly entityIdColumn: string;
  readonly positiveLabel: string;
}

export interface DataStepDependencies {
  readonly objects: ObjectStore;
  readonly now: () => Date;
}

/** Raised when an event names an object outside the project's own inbox or bucket. */
export class ForeignObjectError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'ForeignObjectError';
  }
}

/** Raised when the object changed between validation and profiling. */
export class DatasetChangedError extends Error {
  constructor(key: string, expected: string, actual: string) {
    super(`${key} changed after validation (sha256 ${expected.slice(0, 12)}… became ${actual.slice(0, 12)}…); drop it again to start a new run`);
    this.name = 'DatasetChangedError';
  }
}

const FIRST = 10;

/** The validation step's output: small enough for Step Functions (256 KB), with what later steps need. */
export interface ValidationStepResult {
  readonly ok: boolean;
  readonly datasetVersionId: string;
  readonly sha256: string;
  readonly rows: number;
  readonly bytes: number;
  readonly columns: DatasetValidation['columns'];
  readonly target?: DatasetValidation['target'];
  readonly issueTotals: DatasetValidation['issueTotals'];
  readonly issues: DatasetValidation['issues'];
  readonly warnings: DatasetValidation['warnings'];
  readonly pii: DatasetValidation['pii'];
  readonly duplicateRows: number;
  readonly duplicateEntityIds: number;
  /** Why the dataset was rejected (only when not ok). */
  readonly reason?: string;
  /** Where the full rejection report was written (only when not ok). */
  readonly reportKey?: string;
}

export async function validateTrainingDrop(event: TrainingDropEvent, spec: ProjectDataSpec, deps: DataStepDependencies, bucket: string): Promise<ValidationStepResult> {
  const layout = projectLayout(spec.projectName);
  checkOwnObject(event, layout.trainingInboxPrefix, bucket);
  const bytes = await deps.objects.get(event.bucket, event.key, event.versionId || undefined);
  const validation = validateDataset(bytes, {
    targetColumn: spec.targetColumn,
    entityIdColumn: spec.entityIdColumn,
    positiveLabel: spec.positiveLabel,
  });
  const source = { key: event.key, versionId: event.versionId || undefined, etag: event.etag || undefined };
  const datasetVersionId = datasetVersionIdFor(source, validation.sha256);
  const result: ValidationStepResult = {
    ok: validation.ok,
    datasetVersionId,
    sha256: validation.sha256,
    rows: validation.rows,
    bytes: validation.bytes,
    columns: validation.columns,
    target: validation.target,
    issueTotals: validation.issueTotals,
    issues: validation.issues.slice(0, FIRST),
    warnings: validation.warnings.slice(0, FIRST),
    pii: validation.pii.slice(0, FIRST),
    duplicateRows: validation.duplicateRows,
    duplicateEntityIds: validation.duplicateEntityIds,
  };
  if (validation.ok) return result;

  const reason = validation.issues.length > 0 ? rejectionReason(validation.issues, validation.issueTotals) : 'validation failed';
  const reportKey = layout.rejectedReportKey(datasetVersionId);
  const record = buildDatasetVersionRecord({ projectName: spec.projectName, source, validation, now: deps.now });
  // The whole validation (every issue, up to its caps) goes to the report; the inbox object stays.
  await deps.objects.put(bucket, reportKey, JSON.stringify({ record, validation }, null, 2), 'application/json');
  return { ...result, reason, reportKey };
}

export const ProfileStepInput = z.object({
  bucket: z.string().min(3),
  key: z.string().min(1),
  versionId: z.string().nullish(),
  etag: z.string().nullish(),
  validation: z.looseObject({
    ok: z.literal(true),
    datasetVersionId: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    rows: z.number().int().nonnegative(),
    columns: z.array(z.object({ name: z.string(), inferredType: z.enum(['integral', 'fractional', 'boolean', 'string', 'unknown']) })).min(1),
  }),
});
export type ProfileStepInput = z.output<typeof ProfileStepInput>;

/**
 * Copies the accepted dataset to its version folder and writes its baseline
 * (`statistics.json`, `constraints.json`, Model Monitor data-quality formats) over the
 * feature columns (the target and entity id are not features), plus a profile summary.
 */
export async function profileTrainingDataset(input: ProfileStepInput, spec: ProjectDataSpec, deps: DataStepDependencies, bucket: string): Promise<DatasetVersionRecord> {
  const layout = projectLayout(spec.projectName);
  checkOwnObject(input, layout.trainingInboxPrefix, bucket);
  const bytes = await deps.objects.get(input.bucket, input.key, input.versionId || undefined);
  // Validation already read this object; a hash is enough to know it is still the same bytes.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== input.validation.sha256) throw new DatasetChangedError(input.key, input.validation.sha256, sha256);
  const { columns, rows } = input.validation;

  const keys = layout.datasetVersion(input.validation.datasetVersionId);
  const notFeatures = [spec.targetColumn, spec.entityIdColumn].filter((c) => c !== '');
  const profile = profileDataset(bytes, profileSchemaOf(columns, notFeatures));
  await deps.objects.put(bucket, keys.data, bytes, 'text/csv');
  await deps.objects.put(bucket, keys.statistics, JSON.stringify(profile.statistics, null, 2), 'application/json');
  await deps.objects.put(bucket, keys.constraints, JSON.stringify(profile.constraints, null, 2), 'application/json');
  await deps.objects.put(
    bucket,
    keys.profile,
    JSON.stringify({ summary: profile.summary, validation: input.validation }, null, 2),
    'application/json',
  );
  return buildDatasetVersionRecord({
    projectName: spec.projectName,
    source: { key: input.key, versionId: input.versionId || undefined, etag: input.etag || undefined },
    validation: { ok: true, sha256, rows, columns, issues: [], issueTotals: { total: 0, byCode: {}, truncated: false } },
    baselineKeys: { statistics: keys.statistics, constraints: keys.constraints, profile: keys.profile },
    now: deps.now,
  });
}

function checkOwnObject(event: { bucket: string; key: string }, inboxPrefix: string, bucket: string): void {
  if (event.bucket !== bucket) throw new ForeignObjectError(`bucket ${event.bucket} is not this platform's artifact bucket ${bucket}`);
  if (!event.key.startsWith(inboxPrefix)) throw new ForeignObjectError(`object ${event.key} is not under this project's inbox ${inboxPrefix}`);
}
