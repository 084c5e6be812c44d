import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the plan-batch function (shared by its construct and its handler). */
export const PlanBatchEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  REGISTRY_TABLE: z.string().min(1),
  OPERATIONS_TABLE: z.string().min(1),
  /** Records per chunk (one ScoreChunk invocation each). */
  ROWS_PER_CHUNK: z.coerce.number().int().min(1).max(1_000_000),
});
export type PlanBatchEnvironment = z.output<typeof PlanBatchEnvironment>;
