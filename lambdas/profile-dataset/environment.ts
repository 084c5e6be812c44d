import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the profile-dataset function (shared by its construct and its handler). */
export const ProfileDatasetEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  TARGET_COLUMN: z.string().min(1),
  ENTITY_ID_COLUMN: z.string(),
  POSITIVE_LABEL: z.string(),
  /**
   * The platform's audit table. When set, PII decisions are also appended to the audit
   * trail; without it they are recorded on the dataset version and in pii-decisions.json.
   */
  AUDIT_TABLE: z.string().min(3).optional(),
});
export type ProfileDatasetEnvironment = z.output<typeof ProfileDatasetEnvironment>;
