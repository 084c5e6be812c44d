import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the retraining-guard function (shared by its construct and its handler). */
export const RetrainingGuardEnvironment = z.object({
  /** Where the project's config/training.json (the cool-down) is. */
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  /** The table holding the guard item. */
  OPERATIONS_TABLE: z.string().min(3),
  /** The training state machine's timeout: a holder older than this was stopped without releasing. */
  MAX_RUN_MINUTES: z.coerce.number().int().positive(),
});
export type RetrainingGuardEnvironment = z.output<typeof RetrainingGuardEnvironment>;
