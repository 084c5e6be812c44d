import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the validate-dataset function (shared by its construct and its handler). */
export const ValidateDatasetEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  TARGET_COLUMN: z.string().min(1),
  /** Empty when the project has no entity id column. */
  ENTITY_ID_COLUMN: z.string(),
  /** Empty when the target is numeric (regression) or the positive label is inferred. */
  POSITIVE_LABEL: z.string(),
});
export type ValidateDatasetEnvironment = z.output<typeof ValidateDatasetEnvironment>;
