/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized
 * feature attribution for tree ensembles", algorithm 2), the same computation as XGBoost's
 * `predict(pred_contribs=True)`: the expectation over features outside the coalition
 * follows the training cover of each branch. Contributions are per encoded feature plus a
 * last entry, the bias (the model's expected margin); they sum to the row's margin.
 *
 * Speed: the recursion allocates nothing. All path segments live in four preallocated
 * typed arrays (each level copies its parent's path into the next segment, as in XGBoost),
 * and the per-leaf work is cut by computing the cold elements' common share once (see
 * addLeafContributions).
 */
import type { ColumnEncoding, GbdtModel, Tree } from './model';
import { PredictionInputError, type RowLayout } from './predict';

/** The model cannot be explained (a node without training cover, say). */
export class TreeShapError extends Error {
  override readonly name = 'TreeShapError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Precomputed per-model state; reuse one explainer for many rows. */
export interface TreeExplainer {
  readonly model: GbdtModel;
  /** Base margin plus each tree's cover-weighted mean leaf value. */
  readonly expectedValue: number;
  /** Contributions of one row: length features + 1, the last entry is the bias. */
  shap(row: ArrayLike<number>, out?: Float64Array): Float64Array;
}

interface PathBuffers {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
  /** reciprocal[k] = 1 / k, so the inner loops multiply instead of divide. */
  reciprocal: Float64Array;
}

/** Cover-weighted mean of the leaves under the root (XGBoost's node mean value). */
function treeExpectedValue(tree: Tree, t: number): number {
  const visit = (node: number): number => {
    const l = tree.left[node];
    if (l === -1) return tree.leafValue[node];
    const r = tree.right[node];
    const cover = tree.cover[node];
    if (!(cover > 0)) {
      throw new TreeShapError(`trees[${t}].cover[${node}]`, `is ${cover}; TreeSHAP needs the positive training cover of every split node`);
    }
    return (visit(l) * tree.cover[l] + visit(r) * tree.cover[r]) / cover;
  };
  return visit(0);
}

function treeDepth(tree: Tree): number {
  let deepest = 0;
  const stack: number[] = [0, 0];
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const node = stack.pop() as number;
    if (tree.left[node] === -1) {
      if (depth > deepest) deepest = depth;
    } else {
      stack.push(tree.left[node], depth + 1, tree.right[node], depth + 1);
    }
  }
  return deepest;
}

/** Builds an explainer: checks covers, computes expected values and sizes the path buffers. */
export function createTreeExplainer(model: GbdtModel): TreeExplainer {
  const width = model.features.length;
  let expectedValue = model.baseMargin;
  let maxDepth = 0;
  model.trees.forEach((tree, t) => {
    expectedValue += treeExpectedValue(tree, t);
    maxDepth = Math.max(maxDepth, treeDepth(tree));
  });
  // One path segment per level, each one longer than its parent's (root's starts at 1).
  const levels = maxDepth + 2;
  const size = (levels * (levels + 1)) / 2 + 1;
  const buffers: PathBuffers = {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
    reciprocal: Float64Array.from({ length: levels + 1 }, (_, k) => (k === 0 ? 0 : 1 / k)),
  };
  return {
    model,
    expectedValue,
    shap(row: ArrayLike<number>, out?: Float64Array): Float64Array {
      if (row.length !== width) {
        throw new PredictionInputError('row', `has ${row.length} values but the model expects ${width} features`);
      }
      const phi = out ?? new Float64Array(width + 1);
      if (phi.length !== width + 1) {
        throw new PredictionInputError('out', `has ${phi.length} entries but must have ${width + 1} (features + bias)`);
      }
      phi.fill(0);
      for (const tree of model.trees) {
        recurse(tree, row, phi, buffers, 0, 0, 0, 1, 1, -1);
      }
      phi[width] = expectedValue;
      return phi;
    },
  };
}

/** Adds a feature to the path: pweights are updated for the new path length. */
function extendPath(b: PathBuffers, base: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
  const weight = b.weight;
  b.feature[base + depth] = feature;
  b.zero[base + depth] = zeroFraction;
  b.one[base + depth] = oneFraction;
  weight[base + depth] = depth === 0 ? 1 : 0;
  const inverse = 1 / (depth + 1);
  for (let i = depth - 1; i >= 0; i--) {
    const w = weight[base + i];
    weight[base + i + 1] += oneFraction * w * (i + 1) * inverse;
    weight[base + i] = zeroFraction * w * (depth - i) * inverse;
  }
}

/** Removes the element at `index` from the path (undoing extendPath). */
function unwindPath(b: PathBuffers, base: number, depth: number, index: number): void {
  const { weight, feature, zero, one } = b;
  const oneFraction = one[base + index];
  const zeroFraction = zero[base + index];
  let nextOnePortion = weight[base + depth];
  const denominator = depth + 1;
  for (let i = depth - 1; i >= 0; i--) {
    if (oneFraction !== 0) {
      const tmp = weight[base + i];
      weight[base + i] = (nextOnePortion * denominator) / ((i + 1) * oneFraction);
      nextOnePortion = tmp - (weight[base + i] * zeroFraction * (depth - i)) / denominator;
    } else {
      weight[base + i] = (weight[base + i] * denominator) / (zeroFraction * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    feature[base + i] = feature[base + i + 1];
    zero[base + i] = zero[base + i + 1];
    one[base + i] = one[base + i + 1];
  }
}

/**
 * Adds a leaf's contributions for every feature on the path (XGBoost's loop over
 * UnwoundPathSum). Two facts make it cheaper than the textbook loop:
 * - a cold element (one fraction 0) contributes -(d + 1) * sum_i w_i / (d - i) * value,
 *   whatever its zero fraction, so that sum is computed once per leaf;
 * - one fractions are exactly 0 or 1 on path-dependent paths (a hot branch inherits the
 *   one fraction of the feature's earlier element), so a hot element needs no division.
 */
function addLeafContributions(b: PathBuffers, base: number, depth: number, value: number, phi: Float64Array): void {
  const { weight, feature, zero, one, reciprocal } = b;
  const denominator = depth + 1;
  let coldSum = 0;
  for (let i = depth - 1; i >= 0; i--) coldSum += weight[base + i] * reciprocal[depth - i];
  const coldContribution = -denominator * coldSum * value;
  const top = weight[base + depth] * denominator;
  for (let e = 1; e <= depth; e++) {
    const zeroFraction = zero[base + e];
    if (one[base + e] === 0) {
      if (zeroFraction !== 0) phi[feature[base + e]] += coldContribution;
      continue;
    }
    if (zeroFraction === 1) continue;
    // `next` is XGBoost's next_one_portion times (depth + 1), which saves a product per step.
    let next = top;
    let total = 0;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next * reciprocal[i + 1];
      total += tmp;
      next = weight[base + i] * denominator - tmp * zeroFraction * (depth - i);
    }
    phi[feature[base + e]] += total * (1 - zeroFraction) * value;
  }
}

function recurse(
  tree: Tree,
  row: ArrayLike<number>,
  phi: Float64Array,
  b: PathBuffers,
  node: number,
  parentBase: number,
  parentDepth: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  // This level's segment starts right after the parent's; copy the parent's path into it.
  const base = parentBase + parentDepth + 1;
  for (let i = 0; i < parentDepth; i++) {
    b.feature[base + i] = b.feature[parentBase + i];
    b.zero[base + i] = b.zero[parentBase + i];
    b.one[base + i] = b.one[parentBase + i];
    b.weight[base + i] = b.weight[parentBase + i];
  }
  extendPath(b, base, parentDepth, parentZero, parentOne, parentFeature);
  let depth = parentDepth;

  const left = tree.left[node];
  if (left === -1) {
    addLeafContributions(b, base, depth, tree.leafValue[node], phi);
    return;
  }

  const right = tree.right[node];
  const split = tree.feature[node];
  const x = row[split];
  let hot: number;
  if (x !== x) hot = tree.defaultLeft[node] === 1 ? left : right;
  else hot = Math.fround(x) < tree.threshold[node] ? left : right;
  const cold = hot === left ? right : left;
  const cover = tree.cover[node];
  const hotZero = tree.cover[hot] / cover;
  const coldZero = tree.cover[cold] / cover;
  let incomingZero = 1;
  let incomingOne = 1;

  // A feature already on the path is unwound and re-added with the combined fractions.
  let index = 0;
  for (; index <= depth; index++) if (b.feature[base + index] === split) break;
  if (index !== depth + 1) {
    incomingZero = b.zero[base + index];
    incomingOne = b.one[base + index];
    unwindPath(b, base, depth, index);
    depth -= 1;
  }

  recurse(tree, row, phi, b, hot, base, depth + 1, hotZero * incomingZero, incomingOne, split);
  // A cold branch no training row took adds nothing (all its path weights would be 0).
  if (coldZero * incomingZero > 0) {
    recurse(tree, row, phi, b, cold, base, depth + 1, coldZero * incomingZero, 0, split);
  }
}

const explainers = new WeakMap<GbdtModel, TreeExplainer>();

function explainerFor(model: GbdtModel): TreeExplainer {
  let explainer = explainers.get(model);
  if (explainer === undefined) {
    explainer = createTreeExplainer(model);
    explainers.set(model, explainer);
  }
  return explainer;
}

/** SHAP contributions of one row (encoded features, then the bias); they sum to the margin. */
export function shapValues(model: GbdtModel, row: ArrayLike<number>): Float64Array {
  return explainerFor(model).shap(row);
}

/** Contributions for `nRows` rows: row r's are at `[r * (features + 1), (r + 1) * (features + 1))`. */
export function shapValuesBatch(
  model: GbdtModel,
  values: Float32Array | Float64Array,
  nRows: number,
  options: { readonly layout?: RowLayout } = {},
): Float64Array {
  const width = model.features.length;
  if (values.length !== nRows * width) {
    throw new PredictionInputError('rows.length', `is ${values.length} but ${nRows} rows of ${width} features need ${nRows * width} values`);
  }
  const explainer = explainerFor(model);
  const out = new Float64Array(nRows * (width + 1));
  const row = new Float64Array(width);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < width; f++) {
      row[f] = options.layout === 'column-major' ? values[f * nRows + r] : values[r * width + f];
    }
    explainer.shap(row, out.subarray(r * (width + 1), (r + 1) * (width + 1)));
  }
  return out;
}

/** Global importance: mean |SHAP| of each encoded feature over the rows (bias excluded). */
export function meanAbsoluteShap(
  model: GbdtModel,
  values: Float32Array | Float64Array,
  nRows: number,
  options: { readonly layout?: RowLayout } = {},
): Float64Array {
  const width = model.features.length;
  const contributions = shapValuesBatch(model, values, nRows, options);
  const mean = new Float64Array(width);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < width; f++) mean[f] += Math.abs(contributions[r * (width + 1) + f]);
  }
  if (nRows > 0) for (let f = 0; f < width; f++) mean[f] /= nRows;
  return mean;
}

/**
 * Importance from the trees themselves, as XGBoost's `get_score` defines it: `weight` is
 * the number of splits on a feature, `total_gain` / `total_cover` the sums over those
 * splits, `gain` / `cover` the averages per split.
 */
export type GainImportanceKind = 'weight' | 'gain' | 'total_gain' | 'cover' | 'total_cover';

export function gainImportance(model: GbdtModel, kind: GainImportanceKind = 'total_gain'): Float64Array {
  const width = model.features.length;
  const splits = new Float64Array(width);
  const gain = new Float64Array(width);
  const cover = new Float64Array(width);
  for (const tree of model.trees) {
    for (let node = 0; node < tree.left.length; node++) {
      if (tree.left[node] === -1) continue;
      const f = tree.feature[node];
      splits[f] += 1;
      gain[f] += tree.gain[node];
      cover[f] += tree.cover[node];
    }
  }
  const perSplit = (total: Float64Array): Float64Array => total.map((v, f) => (splits[f] === 0 ? 0 : v / splits[f]));
  switch (kind) {
    case 'weight': return splits;
    case 'total_gain': return gain;
    case 'total_cover': return cover;
    case 'gain': return perSplit(gain);
    case 'cover': return perSplit(cover);
  }
}

export interface ColumnContribution {
  /** The user's column (FeatureSpec.column). */
  readonly column: string;
  /** Sum over the encoded features that come from this column. */
  readonly contribution: number;
}

/**
 * Maps a per-feature vector (SHAP contributions, with or without the trailing bias, or an
 * importance vector) back to the user's columns, summing features of the same column.
 * Columns come in the order of their first feature.
 */
export function contributionsByColumn(model: GbdtModel, perFeature: ArrayLike<number>): ColumnContribution[] {
  const width = model.features.length;
  if (perFeature.length !== width && perFeature.length !== width + 1) {
    throw new PredictionInputError('contributions', `has ${perFeature.length} entries but the model has ${width} features (${width + 1} with the bias)`);
  }
  const sums = new Map<string, number>();
  model.features.forEach((spec, f) => {
    sums.set(spec.column, (sums.get(spec.column) ?? 0) + perFeature[f]);
  });
  return [...sums].map(([column, contribution]) => ({ column, contribution }));
}

export interface RiskFactor {
  readonly column: string;
  /**
   * The column's value in the user's terms: the category for a categorical column (null for
   * an unknown one), true/false for a boolean, the number otherwise; null when missing.
   */
  readonly value: number | string | boolean | null;
  /** Contribution to the margin (log-odds for binary:logistic). */
  readonly contribution: number;
  /** Whether this column pushes the prediction up (toward the positive class) or down. */
  readonly direction: 'increases' | 'decreases';
}

function columnValue(encoding: ColumnEncoding | undefined, encoded: number): number | string | boolean | null {
  if (Number.isNaN(encoded)) return null;
  if (encoding === undefined || encoding.kind === 'numeric') return encoded;
  if (encoding.kind === 'boolean') return encoded !== 0;
  return Number.isInteger(encoded) && encoded >= 0 && encoded < encoding.categories.length ? encoding.categories[encoded] : null;
}

/**
 * The k columns with the largest |contribution| to this row's margin, largest first,
 * with the column's value and the direction of its push. Columns with no contribution
 * are left out.
 */
export function topRiskFactors(model: GbdtModel, row: ArrayLike<number>, k: number): RiskFactor[] {
  const contributions = shapValues(model, row);
  const firstFeature = new Map<string, number>();
  const featureCount = new Map<string, number>();
  model.features.forEach((spec, f) => {
    if (!firstFeature.has(spec.column)) firstFeature.set(spec.column, f);
    featureCount.set(spec.column, (featureCount.get(spec.column) ?? 0) + 1);
  });
  return contributionsByColumn(model, contributions)
    .filter((c) => c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, Math.max(0, k))
    .map(({ column, contribution }) => {
      const f = firstFeature.get(column) as number;
      // A column spread over several encoded features has no single encoded value to show.
      const value = featureCount.get(column) === 1 ? columnValue(model.encodings?.[f], row[f]) : null;
      return { column, value, contribution, direction: contribution > 0 ? 'increases' : 'decreases' };
    });
}
