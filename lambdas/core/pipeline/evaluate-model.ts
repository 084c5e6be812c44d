/**
 * The evaluate step: scores the challenger on the run's holdout (the raw test rows) with the
 * engine's metrics, per subgroup for the project's configured columns, computes TreeSHAP
 * global importance mapped back to the user's columns, and scores the current champion on
 * the same holdout with the champion's own encoding. Writes the full report to S3 and
 * returns what the register step decides on. Pure orchestration: storage and the champion
 * lookup are arguments.
 */
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { type BinaryMetricName, type SubgroupReport, binaryMetrics, metricsBySubgroup } from '../ml/metrics';
import type { GbdtModel } from '../ml/model';
import { predictBatch } from '../ml/predict';
import { DataError, encodeTable, getColumn, parseBooleanToken, type Table, tableFromCsv } from '../ml/tabular';
import { contributionsByColumn, meanAbsoluteShap } from '../ml/treeshap';
import { readXgboostJson } from '../ml/xgboost-json';
import { runIdOf, runLayout } from './run-layout';

/** Rows TreeSHAP explains for global importance (about 0.3 ms a row for 100 depth-6 trees with the explainer's tables, 1 ms by the recursion). */
const IMPORTANCE_ROWS = 500;
/** Subgroups smaller than this are reported but left out of the gaps. */
const MIN_SUBGROUP_SIZE = 10;
/** Most subgroups kept per column in the step output (the report in S3 has them all). */
const MAX_SUBGROUPS_IN_OUTPUT = 20;

export const EvaluateStepInput = z.object({
  executionId: z.string().min(1),
  modelKey: z.string().min(1),
  positiveLabel: z.string().min(1),
  primaryMetric: z.enum(['auc', 'logLoss', 'accuracy', 'precision', 'recall', 'f1', 'ece']),
  subgroupColumns: z.array(z.string().min(1)).default([]),
});
export type EvaluateStepInput = z.output<typeof EvaluateStepInput>;

/** The champion as the registry knows it. */
export interface ChampionModel {
  readonly version: number;
  readonly modelKey: string;
}

export interface EvaluationDependencies {
  readonly objects: ObjectStore;
  /** The project's current champion (staging, else production), if any. */
  readonly findChampion: () => Promise<ChampionModel | undefined>;
}

type Metrics = Record<BinaryMetricName, number | null>;

export interface CompactSubgroups {
  readonly groups: readonly { readonly group: string | null; readonly count: number; readonly positives?: number; readonly metrics: Metrics }[];
  readonly gaps: Readonly<Record<string, { readonly gap: number; readonly lowest: string | null; readonly highest: string | null } | null>>;
  /** Groups left out of this summary (the S3 report has every group). */
  readonly omittedGroups: number;
}

export interface EvaluateStepResult {
  readonly primaryMetric: string;
  readonly metrics: Metrics;
  readonly subgroupMetrics: Readonly<Record<string, CompactSubgroups>>;
  readonly importanceKey: string;
  readonly metricsKey: string;
  readonly holdoutRows: number;
  readonly holdoutPositives: number;
  readonly champion: { readonly version: number; readonly metrics: Metrics } | null;
  /** Why the champion was not scored on this holdout (it then competes with its recorded metrics). */
  readonly championNote?: string;
}

export async function evaluateTrainedModel(input: EvaluateStepInput, spec: { readonly projectName: string; readonly targetColumn: string }, deps: EvaluationDependencies, bucket: string): Promise<EvaluateStepResult> {
  const run = runLayout(spec.projectName, runIdOf(input.executionId));
  const model = await readModel(deps.objects, bucket, input.modelKey);
  const holdout = tableFromCsv(new TextDecoder().decode(await deps.objects.get(bucket, run.holdout)));
  const labels = labelsOf(holdout, spec.targetColumn, input.positiveLabel);
  const encoded = encodeTable(model.encodings!, holdout);
  const predictions = predictBatch(model, encoded.values, encoded.nRows).predictions;
  const overall = binaryMetrics(labels, predictions);

  const subgroupReports = Object.fromEntries(
    input.subgroupColumns.map((column) => [column, metricsBySubgroup(labels, predictions, getColumn(holdout, column).text, { minGroupSize: MIN_SUBGROUP_SIZE })]),
  );
  const explained = Math.min(encoded.nRows, IMPORTANCE_ROWS);
  const perFeature = meanAbsoluteShap(model, encoded.values.subarray(0, explained * encoded.nCols), explained);
  const importance = contributionsByColumn(model, perFeature)
    .map(({ column, contribution }) => ({ column, meanAbsShap: contribution }))
    .sort((a, b) => b.meanAbsShap - a.meanAbsShap);

  const championResult = await scoreChampion(deps, bucket, holdout, labels);
  await deps.objects.put(
    bucket,
    run.importance,
    JSON.stringify({ method: 'TreeSHAP mean |contribution| over holdout rows (margin space)', rows: explained, columns: importance }, null, 2),
    'application/json',
  );
  await deps.objects.put(
    bucket,
    run.evaluationMetrics,
    JSON.stringify({ holdoutRows: overall.count, positives: overall.positives, overall, subgroups: subgroupReports, champion: championResult }, null, 2),
    'application/json',
  );
  return {
    primaryMetric: input.primaryMetric,
    metrics: { ...overall.metrics },
    subgroupMetrics: Object.fromEntries(Object.entries(subgroupReports).map(([column, report]) => [column, compact(report)])),
    importanceKey: run.importance,
    metricsKey: run.evaluationMetrics,
    holdoutRows: overall.count,
    holdoutPositives: overall.positives,
    champion: championResult.scored ? { version: championResult.version, metrics: championResult.metrics } : null,
    ...(championResult.note ? { championNote: championResult.note } : {}),
  };
}

async function readModel(objects: ObjectStore, bucket: string, key: string): Promise<GbdtModel> {
  const model = readXgboostJson(await objects.get(bucket, key));
  if (!model.encodings) throw new DataError(`${key} carries no column encodings (luminaops.encodings); it cannot score raw rows`);
  return model;
}

type ChampionScore = { scored: true; version: number; metrics: Metrics; note?: undefined } | { scored: false; version?: number; note?: string };

async function scoreChampion(deps: EvaluationDependencies, bucket: string, holdout: Table, labels: Float64Array): Promise<ChampionScore> {
  const champion = await deps.findChampion();
  if (!champion) return { scored: false };
  try {
    const model = await readModel(deps.objects, bucket, champion.modelKey);
    const encoded = encodeTable(model.encodings!, holdout);
    const predictions = predictBatch(model, encoded.values, encoded.nRows).predictions;
    return { scored: true, version: champion.version, metrics: { ...binaryMetrics(labels, predictions).metrics } };
  } catch (error) {
    // A champion that cannot read this data (a column it needs is gone) competes with its recorded metrics.
    if (error instanceof DataError) return { scored: false, version: champion.version, note: `champion version ${champion.version} cannot score this holdout: ${error.message}` };
    throw error;
  }
}

/** 1 where the target is the positive label; a holdout may hold one class only (AUC is then null). */
export function labelsOf(table: Table, targetColumn: string, positiveLabel: string): Float64Array {
  const column = getColumn(table, targetColumn);
  const positive = positiveLabel.trim();
  const same = (text: string): boolean => {
    if (text === positive) return true;
    const a = Number(text);
    const b = Number(positive);
    if (text !== '' && positive !== '' && Number.isFinite(a) && Number.isFinite(b)) return a === b;
    const x = parseBooleanToken(text);
    return x !== undefined && x === parseBooleanToken(positive);
  };
  return Float64Array.from(column.text, (text, i) => {
    if (text === null) throw new DataError('target value is missing', { column: targetColumn, row: i + 2 });
    return same(text) ? 1 : 0;
  });
}

function compact(report: SubgroupReport<BinaryMetricName>): CompactSubgroups {
  const groups = [...report.groups].sort((a, b) => b.count - a.count).slice(0, MAX_SUBGROUPS_IN_OUTPUT);
  return {
    groups: groups.map((g) => ({ group: g.group, count: g.count, ...(g.positives === undefined ? {} : { positives: g.positives }), metrics: { ...g.metrics } })),
    gaps: Object.fromEntries(Object.entries(report.gaps).map(([metric, gap]) => [metric, gap ? { gap: gap.gap, lowest: gap.lowest.group, highest: gap.highest.group } : null])),
    omittedGroups: report.groups.length - groups.length,
  };
}
