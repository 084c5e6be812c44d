/**
 * A model ready to serve, and scoring a validated batch with it: one ONNX run for all the
 * records of a variant, then per record the probability, the label at the model's decision
 * threshold, a confidence and the top risk factors (exact TreeSHAP, summed per user column).
 *
 * Scores come from onnxruntime (the deployed artifact); explanations come from the same
 * model's trees in the engine (ONNX carries no training cover, which TreeSHAP needs), so a
 * model is loaded from both its ONNX file and its XGBoost JSON and the two are checked to
 * be the same model (feature names, tree count, objective) at load.
 */
import type { GbdtModel } from '../ml/model';
import type { OnnxModelMetadata } from '../ml/onnx-metadata';
import { createTreeExplainer, type TreeExplainer } from '../ml/treeshap';
import { type CompiledContract, compileContract, inputContractFromMetadata, type ValidatedBatch } from './input-contract';

/** What scoring needs from an ONNX session: positive-class probabilities for row-major float32 rows. */
export interface ProbabilityScorer {
  score(rows: Float32Array, nRows: number): Promise<Float32Array>;
}

/** The model attribute (XGBoost JSON `attributes`, ONNX metadata) holding the decision threshold. */
export const DECISION_THRESHOLD_ATTRIBUTE = 'luminaops.decision_threshold';
export const DEFAULT_DECISION_THRESHOLD = 0.5;

/** The served model does not fit the endpoint, or its two artifacts disagree. A server fault. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    readonly version: number,
    reason: string,
  ) {
    super(`model version ${version}: ${reason}`);
  }
}

export interface ServingModel {
  readonly version: number;
  readonly metadata: OnnxModelMetadata;
  readonly contract: CompiledContract;
  /** Predicted label is 1 when probability >= threshold. */
  readonly threshold: number;
  readonly scorer: ProbabilityScorer;
  readonly explainer: TreeExplainer;
  /** The user's columns in first-feature order, and each encoded feature's column index. */
  readonly columns: readonly string[];
  readonly columnOfFeature: Int32Array;
  /** The feature groups (exact versions) the version was trained on, from its lineage: where an entity id's features come from. @default - none */
  readonly featureGroups?: readonly { readonly name: string; readonly version: number }[];
}

function decisionThreshold(version: number, attributes: Readonly<Record<string, string>>): number {
  const text = attributes[DECISION_THRESHOLD_ATTRIBUTE];
  if (text === undefined) return DEFAULT_DECISION_THRESHOLD;
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new ModelLoadError(version, `attribute ${DECISION_THRESHOLD_ATTRIBUTE} must be a number strictly between 0 and 1, got ${JSON.stringify(text)}`);
  return value;
}

/** Assembles a ServingModel from the ONNX metadata, the same model's trees and a scorer. */
export function buildServingModel(version: number, metadata: OnnxModelMetadata, trees: GbdtModel, scorer: ProbabilityScorer): ServingModel {
  if (metadata.objective !== 'binary:logistic') {
    throw new ModelLoadError(version, `the endpoint serves binary:logistic models (probability, label, confidence); this one is ${metadata.objective}`);
  }
  const names = trees.features.map((f) => f.name);
  if (trees.objective !== metadata.objective || names.length !== metadata.featureNames.length || names.some((n, i) => n !== metadata.featureNames[i])) {
    throw new ModelLoadError(version, `the XGBoost JSON model (${trees.objective}: ${names.join(', ')}) and the ONNX model (${metadata.objective}: ${metadata.featureNames.join(', ')}) are not the same model`);
  }
  if (trees.trees.length !== metadata.treeCount) {
    throw new ModelLoadError(version, `the XGBoost JSON model has ${trees.trees.length} trees, the ONNX model ${metadata.treeCount}`);
  }
  const columns: string[] = [];
  const columnOfFeature = new Int32Array(trees.features.length);
  trees.features.forEach((spec, f) => {
    let c = columns.indexOf(spec.column);
    if (c === -1) c = columns.push(spec.column) - 1;
    columnOfFeature[f] = c;
  });
  let contract: CompiledContract;
  try {
    contract = compileContract(inputContractFromMetadata(metadata));
  } catch (error) {
    throw new ModelLoadError(version, (error as Error).message);
  }
  return {
    version,
    metadata,
    contract,
    threshold: decisionThreshold(version, metadata.attributes),
    scorer,
    explainer: createTreeExplainer(trees),
    columns,
    columnOfFeature,
  };
}

export interface RiskFactor {
  /** The user's column. */
  readonly column: string;
  /** The value the caller sent for it (null = missing). */
  readonly value: string | number | boolean | null;
  /** Contribution to the log-odds (all of the column's encoded inputs together). */
  readonly contribution: number;
  readonly direction: 'increases' | 'decreases';
}

export interface ScoredRecord {
  readonly probability: number;
  readonly label: 0 | 1;
  readonly confidence: number;
  readonly riskFactors: readonly RiskFactor[];
  /**
   * The model's expected log-odds (TreeSHAP's bias). baseLogOdds plus the contributions of
   * every column is this record's log-odds; riskFactors holds the largest k of them.
   */
  readonly baseLogOdds: number;
}

/**
 * Confidence in the label, in [0, 1]: how far the probability is from the decision
 * threshold, as a share of the room on that side: (p - t) / (1 - t) above the threshold,
 * (t - p) / t below. 0 on the threshold (the label is a coin toss between the two
 * decisions), 1 at p = 0 or 1. With t = 0.5 it is |2p - 1|. Scaling by each side's room
 * keeps both labels able to reach 1 when the threshold is not 0.5 (|2p - 1| would call
 * p = 0.3 "confident" of a positive at t = 0.2). It is not a calibrated probability of
 * being right; the probability itself is.
 */
export function labelConfidence(probability: number, threshold: number): number {
  if (probability >= threshold) return threshold >= 1 ? 1 : Math.min(1, (probability - threshold) / (1 - threshold));
  return threshold <= 0 ? 1 : Math.min(1, (threshold - probability) / threshold);
}

export interface ScoringScratch {
  readonly phi: Float64Array;
  readonly byColumn: Float64Array;
}

/** Per-column contributions of one encoded row, plus the bias (log-odds). */
export function columnContributions(model: ServingModel, row: Float32Array, scratch?: ScoringScratch): { byColumn: Float64Array; bias: number } {
  const width = model.contract.width;
  const phi = scratch?.phi ?? new Float64Array(width + 1);
  const byColumn = scratch?.byColumn ?? new Float64Array(model.columns.length);
  model.explainer.shap(row, phi);
  byColumn.fill(0);
  for (let f = 0; f < width; f++) byColumn[model.columnOfFeature[f]] += phi[f];
  return { byColumn, bias: phi[width] };
}

function topK(model: ServingModel, byColumn: Float64Array, inputs: Readonly<Record<string, string | number | boolean | null>>, k: number): RiskFactor[] {
  const chosen: number[] = [];
  // k is small (5): repeated selection beats sorting every column.
  for (let pick = 0; pick < k; pick++) {
    let best = -1;
    let bestAbs = 0;
    for (let c = 0; c < byColumn.length; c++) {
      const abs = Math.abs(byColumn[c]);
      if (abs > bestAbs && !chosen.includes(c)) {
        best = c;
        bestAbs = abs;
      }
    }
    if (best === -1) break;
    chosen.push(best);
  }
  return chosen.map((c) => {
    const column = model.columns[c];
    const contribution = byColumn[c];
    return { column, value: inputs[column] ?? null, contribution, direction: contribution > 0 ? 'increases' : 'decreases' };
  });
}

/** Scores a validated batch in one ONNX run and explains each record (top `k` columns). */
export async function scoreBatch(model: ServingModel, batch: ValidatedBatch, k: number): Promise<ScoredRecord[]> {
  const probabilities = await model.scorer.score(batch.rows, batch.nRows);
  if (probabilities.length !== batch.nRows) {
    throw new ModelLoadError(model.version, `the ONNX session returned ${probabilities.length} probabilities for ${batch.nRows} rows`);
  }
  const width = model.contract.width;
  const scratch: ScoringScratch = { phi: new Float64Array(width + 1), byColumn: new Float64Array(model.columns.length) };
  const scored: ScoredRecord[] = [];
  for (let r = 0; r < batch.nRows; r++) {
    const probability = probabilities[r];
    const label: 0 | 1 = probability >= model.threshold ? 1 : 0;
    let riskFactors: RiskFactor[] = [];
    let baseLogOdds = model.explainer.expectedValue;
    if (k > 0) {
      const { byColumn, bias } = columnContributions(model, batch.rows.subarray(r * width, (r + 1) * width), scratch);
      riskFactors = topK(model, byColumn, batch.records[r].inputs, k);
      baseLogOdds = bias;
    }
    scored.push({ probability, label, confidence: labelConfidence(probability, model.threshold), riskFactors, baseLogOdds });
  }
  return scored;
}
