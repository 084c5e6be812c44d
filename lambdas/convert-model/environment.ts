import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

/** Environment of the convert-model function (shared by its construct and its handler). */
export const ConvertModelEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
});
export type ConvertModelEnvironment = z.output<typeof ConvertModelEnvironment>;
