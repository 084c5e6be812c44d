import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the stage-model function (shared by its construct and its handler). */
export const StageModelEnvironment = z.object({
  MODEL_REGISTRY_TABLE: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
});
export type StageModelEnvironment = z.output<typeof StageModelEnvironment>;
