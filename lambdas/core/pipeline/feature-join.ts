/**
 * The split step's feature-store join: when `training.json` names feature groups
 * (`featureStore`), every row of the uploaded dataset gets those groups' feature values as of
 * the row's event time — the latest value at or before it, never one recorded later
 * (features/point-in-time.ts) — and the run records the exact group versions it used.
 *
 * The dataset keeps all its own columns (target, entity id, subgroups, its own features); the
 * joined feature columns come after them. A row with no feature value at its time keeps the
 * row with an empty cell (a missing value the trainer handles), so the split and the baseline
 * rows stay the upload's rows. The event time column is not a feature.
 */
import type { FeatureStoreTableAndObjects } from '../features/store-dependencies';
import type { JoinStats } from '../features/point-in-time';
import { buildTrainingSet, parseLabelCsv } from '../features/training-set';
import type { FeatureValue } from '../features/values';
import { DataError, tableFromCsv } from '../ml/tabular';
import type { FeatureGroupVersion } from '../registry/model-version';
import { writeCsv } from './channel-csv';
import type { FeatureStoreConfig } from './training-config';

export interface FeatureJoinSpec {
  readonly entityIdColumn: string;
  readonly targetColumn: string;
}

export interface FeatureJoinResult {
  /** The dataset with the joined feature columns after its own. */
  readonly csv: string;
  readonly featureColumns: readonly string[];
  /** The run's `lineage.featureGroups`: each group and the exact version used. */
  readonly lineage: readonly FeatureGroupVersion[];
  /** Per group: rows that found a value at or before their time, and rows that did not. */
  readonly stats: readonly JoinStats[];
}

export async function joinFeatureGroups(csv: string, config: FeatureStoreConfig, spec: FeatureJoinSpec, store: FeatureStoreTableAndObjects | undefined): Promise<FeatureJoinResult> {
  if (!store) throw new DataError('training.json names feature groups (featureStore) but this deployment gave the split step no feature store table');
  if (!spec.entityIdColumn) throw new DataError("training.json names feature groups (featureStore): the project needs an entity id column to look their values up by");
  const table = tableFromCsv(csv);
  const names = table.columns.map((c) => c.name);
  if (!names.includes(config.eventTimeColumn)) throw new DataError('the featureStore event time column is not in the data', { column: config.eventTimeColumn });

  const labels = parseLabelCsv(csv, { entityIdColumn: spec.entityIdColumn, eventTimeColumn: config.eventTimeColumn, labelColumn: spec.targetColumn });
  const joined = await buildTrainingSet(store, { labels, featureGroups: config.groups, missing: 'null' });
  const featureColumns = joined.columns.slice(3);
  for (const column of featureColumns) {
    if (names.includes(column)) throw new DataError('a feature-store feature has the name of a dataset column; drop the column from the upload or choose the group features (featureStore.groups[].features)', { column });
  }
  const entity = table.columns.find((c) => c.name === spec.entityIdColumn)!;
  if (joined.rows.length !== table.rowCount || joined.rows.some((row, r) => String(row[spec.entityIdColumn]) !== entity.text[r])) {
    throw new DataError(`the feature join read ${joined.rows.length} rows and the dataset has ${table.rowCount}: the rows do not line up (blank or malformed lines?)`);
  }
  const rows = joined.rows.map((row, r) => [...table.columns.map((c) => c.text[r]), ...featureColumns.map((column) => cell(row[column]))]);
  return { csv: writeCsv([...names, ...featureColumns], rows), featureColumns, lineage: joined.lineage, stats: joined.stats };
}

function cell(value: FeatureValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}
