/**
 * The split step: reads the versioned dataset copy the profile step wrote, fits the tabular
 * encoding on the training side, splits rows by the hash of the entity id (an entity is on
 * one side only, and the same ids give the same split on every run), and writes the
 * SageMaker channels of the training contract plus the raw holdout rows the evaluation
 * needs (subgroup columns, and the champion's own encoding). Pure orchestration: storage is
 * an argument.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type ObjectStore, isMissingObject } from '../../shared/object-store';
import { projectLayout } from '../datasets/layout';
import { profileDataset } from '../datasets/profile-dataset';
import { inferColumnType } from '../datasets/validate-dataset';
import { DEFAULT_SPLIT_FRACTIONS, type EntitySplit, type SplitName, splitByEntity, splitTableByEntity } from '../ml/split';
import { DataError, encodeTable, encodeTarget, fitEncoding, selectRows, type Table, type TableColumn, tableFromCsv } from '../ml/tabular';
import type { FeatureStoreTableAndObjects } from '../features/store-dependencies';
import type { JoinStats } from '../features/point-in-time';
import type { FeatureGroupVersion } from '../registry/model-version';
import { writeChannelCsv, writeCsv } from './channel-csv';
import { joinFeatureGroups } from './feature-join';
import { CHANNELS, runIdOf, runLayout, trainingConfigKey, trainingJobNameFor } from './run-layout';
import { TrainingConfig, type TuningRequest, hyperparametersOf, tuningRequestOf } from './training-config';
import type { ProjectDataSpec } from './training-data';

export const SplitStepInput = z.object({
  /** `$$.Execution.Id`: the run id is its name. */
  executionId: z.string().min(1),
  dataset: z.object({
    datasetVersionId: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  }),
  /** The positive class the validation inferred, used when the project names none. */
  inferredPositiveLabel: z.string().nullish(),
  /** The SageMaker S3OutputPath the workflow will use; checked against this run's layout. */
  modelOutputUri: z.string().min(1),
});
export type SplitStepInput = z.output<typeof SplitStepInput>;

export interface SplitStepResult {
  readonly runId: string;
  readonly runPrefix: string;
  readonly datasetKey: string;
  readonly trainingJobName: string;
  /** The contract's hyperparameters (strings), the configuration's over the defaults. */
  readonly hyperParameters: Record<string, string>;
  /** S3 prefixes of the channels (each holds `data.csv`, or `encoding.json`). */
  readonly channels: Readonly<Record<'train' | 'validation' | 'test' | 'encoding', string>>;
  readonly holdoutKey: string;
  readonly encodingKey: string;
  readonly rows: Readonly<Record<SplitName, number>>;
  readonly entities: Readonly<Record<SplitName, number>>;
  readonly features: number;
  readonly positiveLabel: string;
  readonly primaryMetric: string;
  readonly subgroupColumns: readonly string[];
  readonly seedCodeVersion: string;
  readonly card: TrainingConfig['card'];
  /** Whether the workflow runs a hyperparameter tuning job instead of one training job. */
  readonly useTuning: boolean;
  /** The tuning job's request parts (null without an enabled tuning section). */
  readonly tuning: SplitTuning | null;
  /** The feature group versions joined onto the rows (the version's `lineage.featureGroups`); empty without a featureStore section. */
  readonly featureGroups: readonly FeatureGroupVersion[];
  /**
   * The Model Monitor baseline the version is registered with: the dataset version's, or with
   * a featureStore section the joined training set's (the dataset's columns and the joined
   * features), so drift of feature-store features is monitored too.
   */
  readonly baselineKeys: { readonly statistics: string; readonly constraints: string };
  /** What the feature-store join did (null without a featureStore section). */
  readonly featureJoin: { readonly trainingSetKey: string; readonly featureColumns: readonly string[]; readonly stats: readonly JoinStats[] } | null;
}

/** What the workflow's tuning task reads: SageMaker's request parts and a per-run job name. */
export interface SplitTuning extends TuningRequest {
  readonly jobName: string;
}

export interface SplitDependencies {
  readonly objects: ObjectStore;
  /** The feature store, for projects whose training.json names feature groups. @default - none (such a run fails, saying so) */
  readonly features?: FeatureStoreTableAndObjects;
}

/** The versioned copy is not the bytes that were validated. */
export class DatasetHashMismatchError extends Error {
  override readonly name = 'DatasetHashMismatchError';
}

/** The project's training.json is not valid JSON or not a valid configuration. */
export class TrainingConfigError extends Error {
  override readonly name = 'TrainingConfigError';
}

/** The project's configuration, or the defaults when it has none. */
export async function readTrainingConfig(objects: ObjectStore, bucket: string, projectName: string): Promise<TrainingConfig> {
  const key = trainingConfigKey(projectName);
  let text: string;
  try {
    text = new TextDecoder().decode(await objects.get(bucket, key));
  } catch (error) {
    if (isMissingObject(error)) return TrainingConfig.parse({});
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TrainingConfigError(`${key} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = TrainingConfig.safeParse(json);
  if (!parsed.success) {
    throw new TrainingConfigError(`${key}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export async function splitTrainingDataset(input: SplitStepInput, spec: ProjectDataSpec, deps: SplitDependencies, bucket: string): Promise<SplitStepResult> {
  const runId = runIdOf(input.executionId);
  const run = runLayout(spec.projectName, runId);
  const expectedOutput = `s3://${bucket}/${run.modelOutputPrefix}`;
  if (input.modelOutputUri.replace(/\/?$/, '/') !== expectedOutput) {
    throw new DataError(`modelOutputUri ${input.modelOutputUri} is not this run's model prefix ${expectedOutput} (the workflow and the run layout disagree)`);
  }
  const config = await readTrainingConfig(deps.objects, bucket, spec.projectName);
  const datasetFiles = projectLayout(spec.projectName).datasetVersion(input.dataset.datasetVersionId);
  const datasetKey = datasetFiles.data;
  const bytes = await deps.objects.get(bucket, datasetKey);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== input.dataset.sha256) {
    throw new DatasetHashMismatchError(`${datasetKey} has sha256 ${sha256.slice(0, 12)}…, not the validated ${input.dataset.sha256.slice(0, 12)}…`);
  }

  let csv = new TextDecoder().decode(bytes);
  let featureJoin: SplitStepResult['featureJoin'] = null;
  let featureGroups: readonly FeatureGroupVersion[] = [];
  if (config.featureStore) {
    const joined = await joinFeatureGroups(csv, config.featureStore, spec, deps.features);
    csv = joined.csv;
    featureGroups = joined.lineage;
    await deps.objects.put(bucket, run.trainingSet, joined.csv, 'text/csv');
    featureJoin = { trainingSetKey: run.trainingSet, featureColumns: joined.featureColumns, stats: joined.stats };
  }
  const table = tableFromCsv(csv);
  let baselineKeys = { statistics: datasetFiles.statistics, constraints: datasetFiles.constraints };
  if (featureJoin) {
    // The same columns as the dataset's baseline (all but the target and entity id), types inferred as validation does.
    const notFeatures = [spec.targetColumn, spec.entityIdColumn];
    const schema = { columns: table.columns.filter((c) => !notFeatures.includes(c.name)).map((c) => ({ name: c.name, type: inferColumnType(c.text) })) };
    const profile = profileDataset(new TextEncoder().encode(csv), schema);
    await deps.objects.put(bucket, run.baselineStatistics, JSON.stringify(profile.statistics, null, 2), 'application/json');
    await deps.objects.put(bucket, run.baselineConstraints, JSON.stringify(profile.constraints, null, 2), 'application/json');
    baselineKeys = { statistics: run.baselineStatistics, constraints: run.baselineConstraints };
  }
  for (const column of config.subgroupColumns) {
    if (!table.columns.some((c) => c.name === column)) throw new DataError('subgroup column (config subgroupColumns) is not in the data', { column });
  }
  const split = splitRows(table, spec.entityIdColumn, config);
  for (const side of CHANNELS) {
    if (split[side].length === 0) {
      throw new DataError(`the ${side} side of the split is empty (${table.rowCount} rows, ${Object.values(split.entityCounts).reduce((a, b) => a + b, 0)} entities); add data or change split.fractions`);
    }
  }
  const positiveLabel = spec.positiveLabel || input.inferredPositiveLabel || undefined;
  const target = encodeTarget(table, { target: spec.targetColumn, task: 'binary', positiveLabel });
  const encoding = fitEncoding(subsetTable(table, split.train), {
    target: spec.targetColumn,
    entityId: spec.entityIdColumn || undefined,
    // A row's event time says when, not what: never a feature.
    exclude: config.featureStore ? [...config.excludeColumns, config.featureStore.eventTimeColumn] : config.excludeColumns,
    categorical: config.categoricalColumns,
  });
  const encoded = encodeTable(encoding.encodings, table);
  const featureNames = encoding.features.map((f) => f.name);

  for (const side of CHANNELS) {
    const rows = split[side];
    const labels = Float64Array.from(rows, (r) => target.values[r]);
    await deps.objects.put(bucket, run.channelData(side), writeChannelCsv(labels, selectRows(encoded, rows), featureNames), 'text/csv');
  }
  await deps.objects.put(bucket, run.encoding, JSON.stringify(encoding, null, 2), 'application/json');
  const header = table.columns.map((c) => c.name);
  const holdoutRows = Array.from(split.test, (r) => table.columns.map((c) => c.text[r]));
  await deps.objects.put(bucket, run.holdout, writeCsv(header, holdoutRows), 'text/csv');

  const uri = (key: string): string => `s3://${bucket}/${key}`;
  return {
    runId,
    runPrefix: run.prefix,
    datasetKey,
    trainingJobName: trainingJobNameFor(spec.projectName, input.executionId),
    hyperParameters: hyperparametersOf(config),
    channels: {
      train: uri(run.channelPrefix('train')),
      validation: uri(run.channelPrefix('validation')),
      test: uri(run.channelPrefix('test')),
      encoding: uri(run.channelPrefix('encoding')),
    },
    holdoutKey: run.holdout,
    encodingKey: run.encoding,
    rows: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    entities: split.entityCounts,
    features: featureNames.length,
    positiveLabel: target.positiveLabel ?? '1',
    primaryMetric: config.primaryMetric,
    subgroupColumns: config.subgroupColumns,
    seedCodeVersion: config.seedCodeVersion,
    card: config.card,
    ...tuningOf(config, spec.projectName, input.executionId),
    featureGroups: [...featureGroups],
    baselineKeys,
    featureJoin,
  };
}

/** The tuning part of the result: a request only when the project enabled tuning. */
function tuningOf(config: TrainingConfig, projectName: string, executionId: string): Pick<SplitStepResult, 'useTuning' | 'tuning'> {
  const { tuning } = config;
  if (!tuning?.enabled) return { useTuning: false, tuning: null };
  return { useTuning: true, tuning: { jobName: tuningJobNameFor(projectName, executionId), ...tuningRequestOf({ ...config, tuning }) } };
}

/**
 * A SageMaker hyperparameter tuning job name for a run: at most 32 characters (SageMaker's
 * limit, leaving room for the `-NNN-xxxxxxxx` it appends to name each training job), unique
 * per project and execution, and the same on a retry. The project name is cut to 15
 * characters, so the hash keeps two projects with one long prefix apart.
 */
export function tuningJobNameFor(projectName: string, executionId: string): string {
  const hash = createHash('sha256').update(`tuning\n${projectName}\n${executionId}`).digest('hex').slice(0, 16);
  return `${projectName.slice(0, 15).replace(/-+$/, '')}-${hash}`;
}

/** By entity when the project has an entity id; otherwise each row is its own entity (its row number). */
function splitRows(table: Table, entityIdColumn: string, config: TrainingConfig): EntitySplit {
  const options = { seed: config.split.seed, fractions: config.split.fractions ?? DEFAULT_SPLIT_FRACTIONS };
  if (entityIdColumn) return splitTableByEntity(table, entityIdColumn, options);
  return splitByEntity(Array.from({ length: table.rowCount }, (_, i) => `row-${i}`), options);
}

/** The given rows of a typed table (the encoding is fitted on the training side only). */
export function subsetTable(table: Table, rows: ArrayLike<number>): Table {
  const pick = <T>(values: ArrayLike<T>): T[] => Array.from(rows as ArrayLike<number>, (r) => values[r]);
  const columns = table.columns.map((column): TableColumn => {
    if (column.type === 'categorical') return { ...column, text: pick(column.text) };
    return { ...column, text: pick(column.text), values: Float64Array.from(pick(column.values)) };
  });
  return { columns, rowCount: rows.length };
}
