/**
 * A project's training configuration: `projects/<p>/config/training.json` in the artifact
 * bucket (optional; every field has a default). It says how to train (hyperparameters, the
 * seed-code version), how to split, which columns are categorical, excluded or evaluated as
 * subgroups, which metric decides against the champion, and the model card's narrative.
 *
 * Hyperparameter values are passed through as strings, as SageMaker passes them: the
 * training job, not this file, judges a value (a bad one fails the run at training, recorded
 * and notified like any other failure). Unknown top-level fields are refused by name.
 *
 * The optional `tuning` section (the shape of seed-code/project.config.json's) asks for a
 * SageMaker hyperparameter tuning job instead of one training job. Unlike hyperparameter
 * values, it is checked here, because a tuning job that cannot measure its objective (a
 * metric the script does not log, a direction against the metric) burns every trial before
 * it fails: the objective must be `validation:<eval_metric>` in that metric's direction,
 * ranges must name tunable hyperparameters, and integer hyperparameters take integer ranges.
 *
 * The optional `featureStore` section joins feature groups onto the uploaded rows as of each
 * row's event time (point-in-time correct), and the run's lineage records the versions used.
 *
 * The optional `retraining` section sets the retrain-storm guard's cool-down
 * (`coolDownMinutes`, default 360, 0 for none); the guard function reads it at every
 * alarm- or schedule-triggered start.
 */
import * as z from 'zod';

/** The hyperparameters of the seed-code training contract, with their defaults. */
export const DEFAULT_HYPERPARAMETERS: Readonly<Record<string, string>> = {
  objective: 'binary:logistic',
  num_round: '200',
  max_depth: '6',
  eta: '0.1',
  lambda: '1',
  alpha: '0',
  min_child_weight: '1',
  subsample: '1',
  colsample_bytree: '1',
  max_bin: '256',
  early_stopping_rounds: '20',
  seed: '0',
  eval_metric: 'logloss',
};

const PRIMARY_METRICS = ['auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'ece'] as const;

/** Hyperparameters of the training contract a tuning job may vary, and whether each is an integer. */
export const TUNABLE_HYPERPARAMETERS: Readonly<Record<string, 'integer' | 'number'>> = {
  num_round: 'integer',
  max_depth: 'integer',
  eta: 'number',
  lambda: 'number',
  alpha: 'number',
  min_child_weight: 'number',
  subsample: 'number',
  colsample_bytree: 'number',
  max_bin: 'integer',
  early_stopping_rounds: 'integer',
  seed: 'integer',
  scale_pos_weight: 'number',
};

/** eval_metric values of the training contract (seed-code/train.py's EVAL_METRICS) → whether higher is better. */
export const EVAL_METRIC_HIGHER_IS_BETTER: Readonly<Record<string, boolean>> = {
  auc: true,
  aucpr: true,
  logloss: false,
  error: false,
  rmse: false,
  mae: false,
  mape: false,
};
const TUNING_OBJECTIVE_METRICS = Object.keys(EVAL_METRIC_HIGHER_IS_BETTER).map((metric) => `validation:${metric}`) as [string, ...string[]];

/** SageMaker's limits: at most 30 ranged hyperparameters, 30 values a categorical range. */
const MAX_RANGES = 30;
const MAX_CATEGORICAL_VALUES = 30;

const finite = z.number().finite();
const ContinuousRange = z
  .object({
    type: z.literal('continuous'),
    min: finite,
    max: finite,
    /** Auto lets SageMaker choose (locally: Linear). */
    scaling: z.enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']).default('Auto'),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (!(range.min < range.max)) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${range.min} must be below max ${range.max}` });
    if (range.scaling === 'Logarithmic' && !(range.min > 0)) ctx.addIssue({ code: 'custom', path: ['min'], message: `Logarithmic scaling needs min > 0, got ${range.min}` });
    if (range.scaling === 'ReverseLogarithmic' && !(range.min >= 0 && range.max < 1)) {
      ctx.addIssue({ code: 'custom', path: ['scaling'], message: `ReverseLogarithmic scaling needs 0 <= min and max < 1, got [${range.min}, ${range.max}]` });
    }
  });
const IntegerRange = z
  .object({
    type: z.literal('integer'),
    min: z.number().int('must be an integer'),
    max: z.number().int('must be an integer'),
    scaling: z.enum(['Auto', 'Linear', 'Logarithmic']).default('Auto'),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (!(range.min < range.max)) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${range.min} must be below max ${range.max}` });
    if (range.scaling === 'Logarithmic' && !(range.min >= 1)) ctx.addIssue({ code: 'custom', path: ['min'], message: `Logarithmic scaling needs min >= 1, got ${range.min}` });
  });
const CategoricalRange = z
  .object({
    type: z.literal('categorical'),
    /** Numbers are accepted and written as text, like hyperparameter values. */
    values: z
      .array(z.union([z.string().min(1), finite]).transform(String))
      .min(1, 'a categorical range needs at least one value')
      .max(MAX_CATEGORICAL_VALUES, `a categorical range takes at most ${MAX_CATEGORICAL_VALUES} values`)
      .refine((values) => new Set(values).size === values.length, 'values must not repeat'),
  })
  .strict();
const TuningRange = z.discriminatedUnion('type', [ContinuousRange, IntegerRange, CategoricalRange], {
  error: (issue) => (issue.code === 'invalid_union' ? "type must be 'continuous', 'integer' or 'categorical'" : undefined),
});
export type TuningRange = z.output<typeof TuningRange>;

export const TuningConfig = z
  .object({
    /** Whether runs tune; a section with enabled false is still checked. */
    enabled: z.boolean(),
    /** Bayesian: SageMaker's model-based search (locally TPE); Random: independent draws. */
    strategy: z.enum(['Bayesian', 'Random'], { error: 'must be Bayesian or Random' }).default('Bayesian'),
    /** The budget: training jobs the tuning job may start. */
    maxTrainingJobs: z.number().int().min(1).max(500).default(10),
    maxParallelTrainingJobs: z.number().int().min(1).max(100).default(1),
    /** Auto: SageMaker stops trials that are unlikely to beat the best so far (locally: successive halving over num_round). */
    earlyStopping: z.enum(['Auto', 'Off']).default('Auto'),
    objective: z
      .object({
        metric: z.enum(TUNING_OBJECTIVE_METRICS, { error: `must be one of ${TUNING_OBJECTIVE_METRICS.join(', ')} (validation:<eval_metric>, what the training script logs)` }),
        type: z.enum(['Maximize', 'Minimize']),
      })
      .strict(),
    ranges: z.record(z.string().min(1), TuningRange).superRefine((ranges, ctx) => {
      const names = Object.keys(ranges);
      if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'declare at least one hyperparameter range' });
      if (names.length > MAX_RANGES) ctx.addIssue({ code: 'custom', message: `at most ${MAX_RANGES} hyperparameters can be tuned, got ${names.length}` });
      for (const name of names) {
        const kind = TUNABLE_HYPERPARAMETERS[name];
        if (kind === undefined) {
          ctx.addIssue({ code: 'custom', path: [name], message: `is not a tunable hyperparameter of the training contract (tunable: ${Object.keys(TUNABLE_HYPERPARAMETERS).join(', ')})` });
        } else if (kind === 'integer' && ranges[name].type === 'continuous') {
          ctx.addIssue({ code: 'custom', path: [name, 'type'], message: `${name} is an integer hyperparameter: use an integer or categorical range` });
        }
      }
    }),
  })
  .strict()
  .superRefine((tuning, ctx) => {
    if (tuning.maxParallelTrainingJobs > tuning.maxTrainingJobs) {
      ctx.addIssue({ code: 'custom', path: ['maxParallelTrainingJobs'], message: `${tuning.maxParallelTrainingJobs} exceeds maxTrainingJobs ${tuning.maxTrainingJobs}` });
    }
  });
export type TuningConfig = z.output<typeof TuningConfig>;
/** 6 hours: a drift alarm that keeps firing retrains at most four times a day. */
export const DEFAULT_COOL_DOWN_MINUTES = 360;
/** 30 days: longer is more likely minutes mistaken for seconds than a wish. */
const MAX_COOL_DOWN_MINUTES = 43_200;

export const RetrainingConfig = z
  .object({
    /**
     * Minutes after the start of an alarm- or schedule-triggered run before the next such run
     * may start (0: no cool-down). Data drops and `lumina train` neither wait for it nor start it.
     */
    coolDownMinutes: z.number().int('must be a whole number of minutes').min(0).max(MAX_COOL_DOWN_MINUTES).default(DEFAULT_COOL_DOWN_MINUTES),
  })
  .strict();
export type RetrainingConfig = z.output<typeof RetrainingConfig>;

const ColumnList = z.array(z.string().trim().min(1, 'a column name must not be empty')).default([]);

/**
 * Features from the feature store: each row of the uploaded dataset (entity id, event time,
 * target, and any features of its own) gets the named groups' feature values as of its event
 * time (point-in-time, no leakage), and the run records the exact group versions it used.
 */
export const FeatureStoreConfig = z
  .object({
    /** The dataset column holding each row's event time (ISO 8601, or epoch seconds); not a feature. */
    eventTimeColumn: z.string().trim().min(1),
    groups: z
      .array(
        z
          .object({
            name: z.string().trim().min(1),
            /** @default - the latest version, resolved at the run and recorded in its lineage */
            version: z.number().int().positive().optional(),
            /** A subset of the group's features. @default - all of them */
            features: z.array(z.string().trim().min(1)).min(1).optional(),
          })
          .strict(),
      )
      .min(1, 'name at least one feature group')
      .refine((groups) => new Set(groups.map((g) => g.name)).size === groups.length, 'a group must not be named twice'),
  })
  .strict();
export type FeatureStoreConfig = z.output<typeof FeatureStoreConfig>;

export const TrainingConfig = z
  .object({
    /** Overrides of DEFAULT_HYPERPARAMETERS; numbers are accepted and written as text. */
    hyperparameters: z.record(z.string().min(1), z.union([z.string(), z.number()]).transform(String)).default({}),
    /** Columns whose holdout metrics are reported per value (sex, age band, site). */
    subgroupColumns: ColumnList,
    /** Columns encoded as categories whatever their values look like (zip codes, codes). */
    categoricalColumns: ColumnList,
    /** Columns that are not features (besides the target and the entity id). */
    excludeColumns: ColumnList,
    /** The metric the challenger must beat the champion on. */
    primaryMetric: z.enum(PRIMARY_METRICS).default('auc'),
    split: z
      .object({
        seed: z.number().int().min(0).max(0xffffffff).default(0),
        fractions: z.object({ train: z.number(), validation: z.number(), test: z.number() }).optional(),
      })
      .strict()
      .default({ seed: 0 }),
    /** What the project's CI recorded for the seed-code package it uploaded (a commit, a tag). */
    seedCodeVersion: z.string().trim().min(1).default('unversioned'),
    card: z
      .object({
        purpose: z.string().optional(),
        intendedUse: z.string().optional(),
        limitations: z.array(z.string()).optional(),
        ethicalConsiderations: z.array(z.string()).optional(),
      })
      .strict()
      .default({}),
    /** A hyperparameter tuning job instead of one training job, when enabled. */
    tuning: TuningConfig.optional(),
    /** Feature groups joined onto each row as of its event time (lambdas/core/features/training-set.ts). */
    featureStore: FeatureStoreConfig.optional(),
    /** Retrain-storm guard (lambdas/core/performance/retraining-guard.ts). */
    retraining: RetrainingConfig.default({ coolDownMinutes: DEFAULT_COOL_DOWN_MINUTES }),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.tuning) checkTuningObjective(config.tuning, hyperparametersOf(config), ctx);
  });
export type TrainingConfig = z.output<typeof TrainingConfig>;

/**
 * The objective must be a metric the training job reports, in its direction: the script logs
 * `validation-<eval_metric>` only, and a tuning job that minimises AUC finds the worst model.
 */
function checkTuningObjective(tuning: TuningConfig, hyperparameters: Readonly<Record<string, string>>, ctx: z.RefinementCtx): void {
  const evalMetric = hyperparameters.eval_metric;
  const metric = tuning.objective.metric.slice('validation:'.length);
  if (metric !== evalMetric) {
    ctx.addIssue({
      code: 'custom',
      path: ['tuning', 'objective', 'metric'],
      message: `${tuning.objective.metric} is not reported by the training job: hyperparameters.eval_metric is '${evalMetric}', so use validation:${evalMetric} or set eval_metric to '${metric}'`,
    });
    return;
  }
  const expected = EVAL_METRIC_HIGHER_IS_BETTER[metric] ? 'Maximize' : 'Minimize';
  if (tuning.objective.type !== expected) {
    ctx.addIssue({ code: 'custom', path: ['tuning', 'objective', 'type'], message: `must be ${expected} for ${tuning.objective.metric}, got ${tuning.objective.type}` });
  }
}

/** The configuration's hyperparameters over the defaults. */
export function hyperparametersOf(config: Pick<TrainingConfig, 'hyperparameters'>): Record<string, string> {
  return { ...DEFAULT_HYPERPARAMETERS, ...config.hyperparameters };
}

// ---------------------------------------------------------------- SageMaker's tuning request

/** SageMaker's HyperParameterTuningJobConfig (the fields this platform sets). */
export interface HyperParameterTuningJobConfig {
  readonly Strategy: 'Bayesian' | 'Random';
  readonly HyperParameterTuningJobObjective: { readonly Type: 'Maximize' | 'Minimize'; readonly MetricName: string };
  readonly ResourceLimits: { readonly MaxNumberOfTrainingJobs: number; readonly MaxParallelTrainingJobs: number };
  readonly TrainingJobEarlyStoppingType: 'Auto' | 'Off';
  readonly ParameterRanges: {
    readonly ContinuousParameterRanges: readonly { readonly Name: string; readonly MinValue: string; readonly MaxValue: string; readonly ScalingType: string }[];
    readonly IntegerParameterRanges: readonly { readonly Name: string; readonly MinValue: string; readonly MaxValue: string; readonly ScalingType: string }[];
    readonly CategoricalParameterRanges: readonly { readonly Name: string; readonly Values: readonly string[] }[];
  };
}

/** A SageMaker metric definition: how a metric is read from the training job's log. */
export interface MetricDefinition {
  readonly Name: string;
  readonly Regex: string;
}

/** What the workflow's tuning task sends, besides the training job's own settings. */
export interface TuningRequest {
  readonly config: HyperParameterTuningJobConfig;
  /** The contract's hyperparameters minus the tuned ones (SageMaker refuses a name in both). */
  readonly staticHyperParameters: Record<string, string>;
  /** The script's log lines for the eval metric (seed-code/README.md, "Logs and SageMaker metric definitions"). */
  readonly metricDefinitions: readonly MetricDefinition[];
}

const NUMBER_PATTERN = '([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)';

/** `train:<m>` and `validation:<m>` as the training script logs them (`validation-auc: 0.91`). */
export function metricDefinitionsFor(evalMetric: string): MetricDefinition[] {
  return ['train', 'validation'].map((channel) => ({ Name: `${channel}:${evalMetric}`, Regex: `${channel}-${evalMetric}: ${NUMBER_PATTERN}` }));
}

/** The configuration's tuning section as SageMaker's request parts. */
export function tuningRequestOf(config: TrainingConfig & { readonly tuning: TuningConfig }): TuningRequest {
  const { tuning } = config;
  const hyperparameters = hyperparametersOf(config);
  const entries = Object.entries(tuning.ranges).sort(([a], [b]) => a.localeCompare(b));
  const numeric = (type: 'continuous' | 'integer') =>
    entries.flatMap(([name, range]) => (range.type === type ? [{ Name: name, MinValue: String(range.min), MaxValue: String(range.max), ScalingType: range.scaling }] : []));
  return {
    config: {
      Strategy: tuning.strategy,
      HyperParameterTuningJobObjective: { Type: tuning.objective.type, MetricName: tuning.objective.metric },
      ResourceLimits: { MaxNumberOfTrainingJobs: tuning.maxTrainingJobs, MaxParallelTrainingJobs: tuning.maxParallelTrainingJobs },
      TrainingJobEarlyStoppingType: tuning.earlyStopping,
      ParameterRanges: {
        ContinuousParameterRanges: numeric('continuous'),
        IntegerParameterRanges: numeric('integer'),
        CategoricalParameterRanges: entries.flatMap(([name, range]) => (range.type === 'categorical' ? [{ Name: name, Values: range.values }] : [])),
      },
    },
    staticHyperParameters: Object.fromEntries(Object.entries(hyperparameters).filter(([name]) => !(name in tuning.ranges))),
    metricDefinitions: metricDefinitionsFor(hyperparameters.eval_metric),
  };
}
