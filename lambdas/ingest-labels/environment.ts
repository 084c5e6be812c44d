import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the labels-ingestion function (shared by its construct and its handler). */
export const IngestLabelsEnvironment = z.object({
  /** The project's artifact bucket: the drop, the kept file, the predictions and the performance result. */
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  /** The project's parameters ('' = not set): the columns a labels file may use, and the positive label. */
  ENTITY_ID_COLUMN: z.string(),
  TARGET_COLUMN: z.string(),
  POSITIVE_LABEL: z.string(),
});
export type IngestLabelsEnvironment = z.output<typeof IngestLabelsEnvironment>;
