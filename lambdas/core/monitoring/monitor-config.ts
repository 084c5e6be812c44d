/**
 * The data-quality monitor's settings, from the project configuration. Every field has a
 * default, so `{}` is a valid configuration; the project's drift threshold parameter is
 * `drift.default`.
 *
 * ```json
 * {
 *   "drift": { "default": 0.2, "features": { "age": 0.1 }, "numericMeasure": "ks" },
 *   "completenessTolerance": 0.05,
 *   "dataTypeTolerance": 0,
 *   "unknownCategoryTolerance": 0,
 *   "ignoreColumns": ["request_id"],
 *   "metrics": { "namespace": "LuminaOps/DataQuality", "dimensionSets": [["Project"], ["Project", "ModelVersion"]] }
 * }
 * ```
 */
import * as z from 'zod';

/** Distance in [0, 1] (PSI is unbounded, but a PSI threshold above 1 is never useful either). */
const Threshold = z.number().positive().max(10);
const Tolerance = z.number().min(0).max(1);
/** CloudWatch dimension names: printable ASCII, no leading colon, at most 255 characters. */
const DimensionName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
  .refine((name) => !name.startsWith(':') && name.trim() !== '', 'must not start with ":" or be blank');

/** The dimensions the monitor fills in itself for every run. */
export const RUN_DIMENSIONS = ['Project', 'ModelVersion'] as const;

export const DEFAULT_METRIC_NAMESPACE = 'LuminaOps/DataQuality';

export const MonitorConfigSchema = z
  .object({
    drift: z
      .object({
        /** A feature drifts when its distance is above its threshold. */
        default: Threshold.default(0.2),
        /** Per-feature thresholds (feature name → threshold). */
        features: z.record(z.string(), Threshold).default({}),
        /**
         * The distance compared with the threshold for numeric features: `ks` (the
         * Kolmogorov–Smirnov statistic, the L-infinity distance between the two CDFs, what
         * Model Monitor's baseline_drift_check uses) or `psi`. Categorical features always use
         * the L-infinity distance between category frequencies.
         */
        numericMeasure: z.enum(['ks', 'psi']).default('ks'),
      })
      .prefault({}),
    /** A completeness violation needs batch completeness below baseline completeness minus this. */
    completenessTolerance: Tolerance.default(0.05),
    /** A data type violation needs more than this share of a feature's present cells of the wrong type. */
    dataTypeTolerance: Tolerance.default(0),
    /** A categorical values violation needs more than this share of present values outside the baseline's categories. */
    unknownCategoryTolerance: Tolerance.default(0),
    /** Batch columns that are not features and must not count as extra columns (ids, predictions). */
    ignoreColumns: z.array(z.string()).default([]),
    metrics: z
      .object({
        namespace: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
          .refine((ns) => !ns.startsWith('AWS/') && !ns.startsWith(':'), 'must not start with "AWS/" or ":"')
          .default(DEFAULT_METRIC_NAMESPACE),
        /**
         * Every metric is published once per dimension set. The default publishes under
         * {Project} (what the project's alarms watch) and {Project, ModelVersion} (per model).
         * Names are `Project`, `ModelVersion` or a key of `staticDimensions`.
         */
        dimensionSets: z
          .array(z.array(DimensionName).min(1).max(30))
          .min(1)
          .default([['Project'], ['Project', 'ModelVersion']]),
        /** Fixed dimension values (e.g. `{ "Stage": "prod" }`), usable in `dimensionSets`. */
        staticDimensions: z.record(DimensionName, z.string().min(1).max(1024)).default({}),
      })
      .prefault({})
      .superRefine((metrics, ctx) => {
        metrics.dimensionSets.forEach((set, i) => {
          if (new Set(set).size !== set.length) ctx.addIssue({ code: 'custom', path: ['dimensionSets', i], message: 'names a dimension twice' });
          for (const name of set) {
            if (!(RUN_DIMENSIONS as readonly string[]).includes(name) && !(name in metrics.staticDimensions)) {
              ctx.addIssue({ code: 'custom', path: ['dimensionSets', i], message: `dimension "${name}" is neither Project, ModelVersion nor a key of staticDimensions` });
            }
          }
        });
      }),
  })
  .strict();

export type MonitorConfigInput = z.input<typeof MonitorConfigSchema>;
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;

/** Raised when the monitor's configuration is invalid; names every bad field. */
export class MonitorConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid data-quality monitor configuration: ${problems.join('; ')}`);
    this.name = 'MonitorConfigError';
  }
}

export function parseMonitorConfig(input: unknown): MonitorConfig {
  const parsed = MonitorConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new MonitorConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
}

/** The drift threshold that applies to a feature. */
export function driftThresholdFor(config: MonitorConfig, feature: string): number {
  return Object.prototype.hasOwnProperty.call(config.drift.features, feature) ? config.drift.features[feature] : config.drift.default;
}
