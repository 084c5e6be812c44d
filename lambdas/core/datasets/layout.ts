/**
 * Where a project's training data lives in the artifacts bucket. Every key is built here,
 * so the pipeline, its IAM grants and the local cloud cannot disagree on a path.
 *
 * projects/<project>/training/inbox/                 drop training CSVs here
 * projects/<project>/training/rejected/<id>.json     validation report of a rejected drop
 * projects/<project>/datasets/<id>/data.csv          the accepted dataset version
 * projects/<project>/datasets/<id>/profile.json      human-readable profile summary
 * projects/<project>/datasets/<id>/baseline/statistics.json   Model Monitor baseline
 * projects/<project>/datasets/<id>/baseline/constraints.json
 * projects/<project>/datasets/<id>/pii-decisions.json     what the PII policy did (also when it refused)
 * projects/<project>/imports/<hash>/{data,manifest.json}  public-import cache with source attribution
 * projects/<project>/secrets/pii-mask-key                 the project's masking key (profile step only)
 */
import * as z from 'zod';

/** Lowercase letters, digits and hyphens, 3 to 32 characters, starting with a letter. */
export const PROJECT_NAME_PATTERN = /^[a-z][a-z0-9-]{2,31}$/;

export const ProjectNameSchema = z
  .string()
  .regex(PROJECT_NAME_PATTERN, 'project name must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter');

/** A dataset version id is one safe key segment: letters, digits, `.`, `_`, `-`, at most 128 characters. */
export const DATASET_VERSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const DatasetVersionIdSchema = z
  .string()
  .regex(DATASET_VERSION_ID_PATTERN, 'dataset version id must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Raised for a project name or dataset version id that cannot be part of a key. */
export class InvalidKeySegmentError extends Error {
  constructor(
    readonly field: 'projectName' | 'datasetVersionId',
    readonly value: string,
    reason: string,
  ) {
    super(`Invalid ${field} ${JSON.stringify(value)}: ${reason}`);
    this.name = 'InvalidKeySegmentError';
  }
}

function checkProjectName(projectName: string): string {
  const parsed = ProjectNameSchema.safeParse(projectName);
  if (!parsed.success) throw new InvalidKeySegmentError('projectName', projectName, parsed.error.issues[0].message);
  return parsed.data;
}

function checkDatasetVersionId(id: string): string {
  const parsed = DatasetVersionIdSchema.safeParse(id);
  if (!parsed.success) throw new InvalidKeySegmentError('datasetVersionId', id, parsed.error.issues[0].message);
  return parsed.data;
}

export interface DatasetVersionKeys {
  /** Folder of the version, ending with `/`. */
  readonly prefix: string;
  readonly data: string;
  readonly profile: string;
  readonly statistics: string;
  readonly constraints: string;
  /** `pii-decisions.json`: the PII policy's decision per flagged column. */
  readonly piiDecisions: string;
}

export interface ProjectLayout {
  readonly projectName: string;
  /** `projects/<name>/`: the project's whole area (for IAM grants). */
  readonly projectPrefix: string;
  /** `projects/<name>/training/inbox/`: objects created here start the training pipeline. */
  readonly trainingInboxPrefix: string;
  /** `projects/<name>/training/rejected/` */
  readonly rejectedPrefix: string;
  /** `projects/<name>/datasets/` */
  readonly datasetsPrefix: string;
  /** Keys of one dataset version. */
  datasetVersion(datasetVersionId: string): DatasetVersionKeys;
  /** `projects/<name>/training/rejected/<id>.json` */
  rejectedReportKey(datasetVersionId: string): string;
  /** `projects/<name>/imports/`: cached public imports (public-import.ts keys go under it). */
  readonly importsPrefix: string;
  /** `projects/<name>/secrets/pii-mask-key`: the HMAC key of masked columns; only the profile step reads it. */
  readonly piiMaskKey: string;
}

/** The key layout of one project; throws `InvalidKeySegmentError` for a bad name or id. */
export function projectLayout(projectName: string): ProjectLayout {
  const name = checkProjectName(projectName);
  const projectPrefix = `projects/${name}/`;
  const datasetsPrefix = `${projectPrefix}datasets/`;
  const rejectedPrefix = `${projectPrefix}training/rejected/`;
  return {
    projectName: name,
    projectPrefix,
    trainingInboxPrefix: `${projectPrefix}training/inbox/`,
    rejectedPrefix,
    datasetsPrefix,
    datasetVersion(datasetVersionId: string): DatasetVersionKeys {
      const prefix = `${datasetsPrefix}${checkDatasetVersionId(datasetVersionId)}/`;
      return {
        prefix,
        data: `${prefix}data.csv`,
        profile: `${prefix}profile.json`,
        statistics: `${prefix}baseline/statistics.json`,
        constraints: `${prefix}baseline/constraints.json`,
        piiDecisions: `${prefix}pii-decisions.json`,
      };
    },
    rejectedReportKey(datasetVersionId: string): string {
      return `${rejectedPrefix}${checkDatasetVersionId(datasetVersionId)}.json`;
    },
    importsPrefix: `${projectPrefix}imports/`,
    piiMaskKey: `${projectPrefix}secrets/pii-mask-key`,
  };
}

/**
 * Reads an object key from a data-drop event: the project and the file name when the key
 * is a file directly or deeper under a project's training inbox, otherwise undefined.
 */
export function parseTrainingInboxKey(key: string): { projectName: string; fileName: string } | undefined {
  const match = /^projects\/([^/]+)\/training\/inbox\/(.+)$/.exec(key);
  if (match === null) return undefined;
  const [, projectName, rest] = match;
  if (!PROJECT_NAME_PATTERN.test(projectName) || rest.endsWith('/')) return undefined;
  return { projectName, fileName: rest.slice(rest.lastIndexOf('/') + 1) };
}
