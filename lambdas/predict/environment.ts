import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';

const seconds = (fallback: number) => z.coerce.number().min(0).max(3600).default(fallback);

/** Environment of the predict function (shared by its construct and its handler). */
export const PredictEnvironment = z.object({
  PROJECT_NAME: ProjectNameSchema,
  /** Stage pointers, version items (artifact keys) and the A/B item (`AB_TEST`). */
  MODEL_REGISTRY_TABLE: z.string().min(3),
  /** Where the registry's artifact keys point (ONNX and XGBoost JSON). */
  ARTIFACT_BUCKET: z.string().min(3),
  /** Where prediction log lines go (projects/<project>/predictions/endpoint/...). */
  PREDICTION_LOG_BUCKET: z.string().min(3),
  /** How often the production pointer is re-checked. */
  MODEL_CHECK_INTERVAL_SECONDS: seconds(5),
  /** How long the A/B configuration is cached. */
  AB_CONFIG_CACHE_SECONDS: seconds(1),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(6_000_000).default(262_144),
  MAX_RECORDS: z.coerce.number().int().min(1).max(10_000).default(100),
  TOP_RISK_FACTORS: z.coerce.number().int().min(0).max(100).default(5),
  UNKNOWN_CATEGORY_POLICY: z.enum(['reject', 'missing']).default('reject'),
  /** The project's entity id column: accepted in records, used for sticky A/B assignment. */
  ENTITY_ID_COLUMN: z.string().min(1).optional(),
  /** The platform's feature store table: `{ "entityId" }` requests are scored on its online values. @default - entity requests are refused */
  FEATURE_STORE_TABLE: z.string().min(3).optional(),
});
export type PredictEnvironment = z.output<typeof PredictEnvironment>;
