import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the register-model function (shared by its construct and its handler). */
export const RegisterModelEnvironment = z.object({
  MODEL_REGISTRY_TABLE: z.string().min(3),
  EXPERIMENTS_TABLE: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  ARTIFACT_BUCKET: z.string().min(3),
});
export type RegisterModelEnvironment = z.output<typeof RegisterModelEnvironment>;
