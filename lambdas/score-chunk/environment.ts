import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the score-chunk function (shared by its construct and its handler). */
export const ScoreChunkEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  OPERATIONS_TABLE: z.string().min(1),
});
export type ScoreChunkEnvironment = z.output<typeof ScoreChunkEnvironment>;
