import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the split-dataset function (shared by its construct and its handler). */
export const SplitDatasetEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  TARGET_COLUMN: z.string().min(1),
  ENTITY_ID_COLUMN: z.string(),
  POSITIVE_LABEL: z.string(),
  /** The platform's feature store table, for training sets that join feature groups. */
  FEATURE_STORE_TABLE: z.string().min(3),
});
export type SplitDatasetEnvironment = z.output<typeof SplitDatasetEnvironment>;
