import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the evaluate-model function (shared by its construct and its handler). */
export const EvaluateModelEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  TARGET_COLUMN: z.string().min(1),
  MODEL_REGISTRY_TABLE: z.string().min(3),
});
export type EvaluateModelEnvironment = z.output<typeof EvaluateModelEnvironment>;
