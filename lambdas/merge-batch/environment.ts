import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the merge-batch function (shared by its construct and its handler). */
export const MergeBatchEnvironment = z.object({
  PROJECT_NAME: ProjectNameSchema,
  OPERATIONS_TABLE: z.string().min(1),
});
export type MergeBatchEnvironment = z.output<typeof MergeBatchEnvironment>;
