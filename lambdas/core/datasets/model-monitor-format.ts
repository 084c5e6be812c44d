/**
 * The SageMaker Model Monitor data-quality baseline files, typed as documented in
 * "Schema for Statistics (statistics.json file)" and "Schema for Constraints
 * (constraints.json file)" of the SageMaker developer guide. Field names are the
 * documented snake_case ones; the drift monitor reads these same types back.
 */

export type MonitorInferredType = 'Integral' | 'Fractional' | 'String' | 'Unknown';

export interface MonitorCommonStatistics {
  readonly num_present: number;
  readonly num_missing: number;
}

export interface KllBucket {
  readonly lower_bound: number;
  readonly upper_bound: number;
  readonly count: number;
}

export interface KllSketch {
  readonly parameters: { readonly c: number; readonly k: number };
  /** Levels of values; see `profile-dataset.ts` for what ours hold. */
  readonly data: readonly (readonly number[])[];
}

export interface MonitorNumericalStatistics {
  readonly common: MonitorCommonStatistics;
  /** Absent when the column has no values (JSON has no NaN). */
  readonly mean?: number;
  readonly sum?: number;
  readonly std_dev?: number;
  readonly min?: number;
  readonly max?: number;
  readonly distribution: { readonly kll: { readonly buckets: readonly KllBucket[]; readonly sketch: KllSketch } };
}

export interface CategoricalBucket {
  readonly value: string;
  readonly count: number;
}

export interface MonitorStringStatistics {
  readonly common: MonitorCommonStatistics;
  readonly distinct_count: number;
  readonly distribution: { readonly categorical: { readonly buckets: readonly CategoricalBucket[] } };
}

export type MonitorFeatureStatistics =
  | { readonly name: string; readonly inferred_type: 'Integral' | 'Fractional'; readonly numerical_statistics: MonitorNumericalStatistics }
  | { readonly name: string; readonly inferred_type: 'String' | 'Unknown'; readonly string_statistics: MonitorStringStatistics };

/** statistics.json */
export interface MonitorStatistics {
  readonly version: 0;
  readonly dataset: { readonly item_count: number };
  readonly features: readonly MonitorFeatureStatistics[];
}

export interface MonitorFeatureConstraints {
  readonly name: string;
  readonly inferred_type: MonitorInferredType;
  /** Share of rows with a value, 0..1. */
  readonly completeness: number;
  readonly num_constraints?: { readonly is_non_negative: boolean };
  readonly string_constraints?: { readonly domains: readonly string[] };
}

export type EnabledFlag = 'Enabled' | 'Disabled';

export interface MonitoringConfig {
  readonly evaluate_constraints: EnabledFlag;
  readonly emit_metrics: EnabledFlag;
  readonly datatype_check_threshold: number;
  readonly domain_content_threshold: number;
  readonly distribution_constraints: {
    readonly perform_comparison: EnabledFlag;
    readonly comparison_threshold: number;
    readonly comparison_method: 'Simple' | 'Robust';
    readonly categorical_comparison_threshold: number;
    readonly categorical_drift_method: 'LInfinity' | 'ChiSquared';
  };
}

/** constraints.json */
export interface MonitorConstraints {
  readonly version: 0;
  readonly features: readonly MonitorFeatureConstraints[];
  readonly monitoring_config: MonitoringConfig;
}

/**
 * The monitoring settings SageMaker's baselining job writes (its generated files use 1.0
 * for the two thresholds; the guide's schema example shows 0.1).
 */
export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  evaluate_constraints: 'Enabled',
  emit_metrics: 'Enabled',
  datatype_check_threshold: 1.0,
  domain_content_threshold: 1.0,
  distribution_constraints: {
    perform_comparison: 'Enabled',
    comparison_threshold: 0.1,
    comparison_method: 'Robust',
    categorical_comparison_threshold: 0.1,
    categorical_drift_method: 'LInfinity',
  },
};

/** The KLL parameters SageMaker's baselining job records (c = 0.64, k = 2048). */
export const KLL_PARAMETERS = { c: 0.64, k: 2048 } as const;
