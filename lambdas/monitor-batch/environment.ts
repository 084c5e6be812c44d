import * as z from 'zod';
import { ProjectNameSchema } from '../core/datasets/layout';
import { parseMonitorConfig, type MonitorConfig } from '../core/monitoring/monitor-config';

/** Environment of the monitor-batch function (shared by its construct and its handler). */
export const MonitorBatchEnvironment = z.object({
  ARTIFACT_BUCKET: z.string().min(3),
  PROJECT_NAME: ProjectNameSchema,
  /** The target and entity id columns are not features: never extra columns. Empty when none. */
  TARGET_COLUMN: z.string().default(''),
  ENTITY_ID_COLUMN: z.string().default(''),
  /** The project's DriftThreshold parameter; the default drift threshold unless MONITOR_CONFIG sets one. Empty = 0.2. */
  DRIFT_THRESHOLD: z
    .string()
    .default('')
    .refine((value) => value === '' || (Number.isFinite(Number(value)) && Number(value) > 0), 'must be a positive number or empty'),
  /** The monitor configuration as JSON (see lambdas/core/monitoring/monitor-config.ts). Empty = defaults. */
  MONITOR_CONFIG: z.string().default(''),
  /** The model registry table: the scheduled endpoint check reads the production version and its baseline keys. @default - batch monitoring only */
  REGISTRY_TABLE: z.string().min(3).optional(),
});
export type MonitorBatchEnvironment = z.output<typeof MonitorBatchEnvironment>;

/** The monitor configuration the environment describes (throws naming the bad field). */
export function monitorConfigOf(env: MonitorBatchEnvironment): MonitorConfig {
  let raw: Record<string, unknown> = {};
  if (env.MONITOR_CONFIG.trim() !== '') {
    try {
      raw = JSON.parse(env.MONITOR_CONFIG) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`MONITOR_CONFIG is not JSON: ${(error as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('MONITOR_CONFIG must be a JSON object');
  }
  const drift = (raw.drift ?? {}) as Record<string, unknown>;
  const withThreshold = env.DRIFT_THRESHOLD !== '' && drift.default === undefined ? { ...raw, drift: { ...drift, default: Number(env.DRIFT_THRESHOLD) } } : raw;
  const ignore = Array.isArray(withThreshold.ignoreColumns) ? (withThreshold.ignoreColumns as unknown[]) : [];
  const notFeatures = [env.TARGET_COLUMN, env.ENTITY_ID_COLUMN].filter((c) => c !== '' && !ignore.includes(c));
  return parseMonitorConfig({ ...withThreshold, ignoreColumns: [...ignore, ...notFeatures] });
}
