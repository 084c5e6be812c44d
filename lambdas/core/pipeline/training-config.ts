/**
 * A project's training configuration: `projects/<p>/config/training.json` in the artifact
 * bucket (optional; every field has a default). It says how to train (hyperparameters, the
 * seed-code version), how to split, which columns are categorical, excluded or evaluated as
 * subgroups, which metric decides against the champion, and the model card's narrative.
 *
 * Hyperparameter values are passed through as strings, as SageMaker passes them: the
 * training job, not this file, judges a value (a bad one fails the run at training, recorded
 * and notified like any other failure). Unknown top-level fields are refused by name.
 */
import { z } from 'zod';

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
const ColumnList = z.array(z.string().trim().min(1, 'a column name must not be empty')).default([]);

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
  })
  .strict();
export type TrainingConfig = z.output<typeof TrainingConfig>;

/** The configuration's hyperparameters over the defaults. */
export function hyperparametersOf(config: TrainingConfig): Record<string, string> {
  return { ...DEFAULT_HYPERPARAMETERS, ...config.hyperparameters };
}
