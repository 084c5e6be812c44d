/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized
 * feature attribution for tree ensembles", algorithm 2), the same computation as XGBoost's
 * `predict(pred_contribs=True)`: the expectation over features outside the coalition
 * follows the training cover of each branch. Contributions are per encoded feature plus a
 * last entry, the bias (the model's expected margin); they sum to the row's margin.
 *
 * Speed: each leaf's share of every coalition is tabulated when the explainer is built (see
 * TabulatedTree), so a row costs one walk of each tree and a few table reads per leaf: about
 * a third of the recursion's time for 100 trees of depth 6, for about 2 MB of tables and
 * 10-30 ms more to build the explainer. Trees the tables do not suit (a leaf without cover,
 * more than MAX_TABLE_FEATURES distinct features on a path, or beyond the explainer's table
 * budget) use the recursion, which allocates nothing: all path segments live in four
 * preallocated typed arrays (each level copies its parent's path into the next segment, as
 * in XGBoost), and the per-leaf work is cut by computing the cold elements' common share
 * once (see addLeafContributions). Both give the same values up to rounding (1e-15 here).
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
  /** Trees explained from tables; the others by the recursion. */
  readonly tabulatedTrees: number;
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

/** Most distinct features on one leaf's path for its table (2^k entries). */
const MAX_TABLE_FEATURES = 10;
/** Default table budget of one explainer, in entries of 8 bytes (4 MiB); trees beyond it use the recursion. */
export const DEFAULT_MAX_TABLE_ENTRIES = 1 << 19;

export interface TreeExplainerOptions {
  /** Most table entries (8 bytes each) the explainer may build; 0 explains every tree by the recursion. @default DEFAULT_MAX_TABLE_ENTRIES */
  readonly maxTableEntries?: number;
}

/**
 * A tree whose leaves carry precomputed SHAP tables. For a leaf whose path has the distinct
 * features F (k of them; z_j the product of the path's cover shares of feature j's splits)
 * and value v, and a row that satisfies every split of the features in P (its hot set):
 *   phi_i += v (1 - z_i) / z_i * T(P without i)   for i in P,
 *   phi_i += -v T(P)                              for i in F outside P,
 * with T(Q) = sum over S subset of Q of |S|! (k - |S| - 1)! / k! * prod over j in F \ S of z_j.
 * That is path-dependent TreeSHAP's sum over coalitions with o_j = 1 on P and 0 elsewhere,
 * grouped by leaf (Yang's Fast TreeSHAP v2 tabulates the same sums). T is tabulated for
 * every subset (bit e: the e-th distinct feature in path order), so a row costs one walk of
 * the tree and k updates per leaf. Dividing by z_i needs every cover share positive.
 */
interface TabulatedTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly defaultLeft: Uint8Array;
  /** Bit of the node's split feature among its path's distinct features. */
  readonly bit: Int32Array;
  /** 1 when the node's split feature appears on its path for the first time. */
  readonly first: Uint8Array;
  /** Per node: the leaf's index, or -1. */
  readonly leaf: Int32Array;
  readonly leafFeatures: Int32Array;
  /** Per leaf: where its features and hot scales start (k entries) and its table starts (2^k entries). */
  readonly leafStart: Int32Array;
  readonly leafCount: Int32Array;
  readonly tableStart: Int32Array;
  /** (1 - z_e) / z_e per leaf feature (the table carries v). */
  readonly hotScale: Float64Array;
  /** v T(Q) per leaf and subset Q. */
  readonly table: Float64Array;
}

/** Scratch space for tabulating: the path's distinct features and shares, and the table's sums. */
interface TableScratch {
  readonly pathFeatures: Int32Array;
  readonly pathZeros: Float64Array;
  readonly sums: Float64Array;
  readonly outside: Float64Array;
  /** weights[k * (MAX_TABLE_FEATURES + 1) + s] = s! (k - s - 1)! / k! */
  readonly weights: Float64Array;
}

function tableScratch(maxDepth: number): TableScratch {
  const width = MAX_TABLE_FEATURES + 1;
  const weights = new Float64Array(width * width);
  for (let k = 1; k <= MAX_TABLE_FEATURES; k++) {
    // s! (k - s - 1)! / k! = 1 / (k * C(k - 1, s))
    let choose = 1;
    for (let s = 0; s < k; s++) {
      weights[k * width + s] = 1 / (k * choose);
      choose = (choose * (k - 1 - s)) / (s + 1);
    }
  }
  return {
    pathFeatures: new Int32Array(maxDepth + 1),
    pathZeros: new Float64Array((maxDepth + 2) * (maxDepth + 1)),
    sums: new Float64Array((1 << MAX_TABLE_FEATURES) * width),
    outside: new Float64Array(1 << MAX_TABLE_FEATURES),
    weights,
  };
}

/** Tabulates a tree, or undefined when a leaf's path has a zero cover share or too many distinct features, or the budget is spent. */
function tabulate(tree: Tree, budget: { entries: number }, scratch: TableScratch): TabulatedTree | undefined {
  const n = tree.left.length;
  const bit = new Int32Array(n).fill(-1);
  const first = new Uint8Array(n);
  const leaf = new Int32Array(n).fill(-1);
  // First pass: each node's bit, the leaves' table sizes, whether every share is positive.
  let leaves = 0;
  let entries = 0;
  let features = 0;
  const { pathFeatures } = scratch;
  const walk = (node: number, k: number): boolean => {
    const l = tree.left[node];
    if (l === -1) {
      if (k > MAX_TABLE_FEATURES) return false;
      leaf[node] = leaves++;
      entries += 1 << k;
      features += k;
      return true;
    }
    const f = tree.feature[node];
    let e = 0;
    while (e < k && pathFeatures[e] !== f) e++;
    bit[node] = e;
    first[node] = e === k ? 1 : 0;
    if (e === k) pathFeatures[k] = f;
    const next = e === k ? k + 1 : k;
    const r = tree.right[node];
    if (!(tree.cover[l] > 0) || !(tree.cover[r] > 0)) return false;
    return walk(l, next) && walk(r, next);
  };
  if (!walk(0, 0) || entries > budget.entries) return undefined;
  budget.entries -= entries;

  const leafStart = new Int32Array(leaves);
  const leafCount = new Int32Array(leaves);
  const tableStart = new Int32Array(leaves);
  const leafFeatures = new Int32Array(features);
  const hotScale = new Float64Array(features);
  const table = new Float64Array(entries);
  let featureAt = 0;
  let tableAt = 0;
  // Second pass, in the same leaf order: zeros of the path's distinct features, one row of pathZeros per depth.
  const { pathZeros } = scratch;
  const stride = pathFeatures.length;
  const fill = (node: number, depth: number, k: number): void => {
    const l = tree.left[node];
    const at = depth * stride;
    if (l === -1) {
      const index = leaf[node];
      leafStart[index] = featureAt;
      leafCount[index] = k;
      tableStart[index] = tableAt;
      for (let e = 0; e < k; e++) {
        const z = pathZeros[at + e];
        leafFeatures[featureAt + e] = pathFeatures[e];
        hotScale[featureAt + e] = (1 - z) / z;
      }
      fillTable(pathZeros, at, k, tree.leafValue[node], table, tableAt, scratch);
      featureAt += k;
      tableAt += 1 << k;
      return;
    }
    const e = bit[node];
    const isFirst = first[node] === 1;
    if (isFirst) pathFeatures[e] = tree.feature[node];
    const next = isFirst ? k + 1 : k;
    const childAt = at + stride;
    const cover = tree.cover[node];
    for (let side = 0; side < 2; side++) {
      const child = side === 0 ? l : tree.right[node];
      for (let j = 0; j < k; j++) pathZeros[childAt + j] = pathZeros[at + j];
      const share = tree.cover[child] / cover;
      pathZeros[childAt + e] = isFirst ? share : pathZeros[at + e] * share;
      fill(child, depth + 1, next);
    }
  };
  fill(0, 0, 0);
  return { left: tree.left, right: tree.right, feature: tree.feature, threshold: tree.threshold, defaultLeft: tree.defaultLeft, bit, first, leaf, leafFeatures, leafStart, leafCount, tableStart, hotScale, table };
}

/** v T(Q) for every subset Q of the k features, at table[start + Q]; T(F) itself is never read and stays 0. */
function fillTable(zeros: Float64Array, zerosAt: number, k: number, v: number, table: Float64Array, start: number, scratch: TableScratch): void {
  if (k === 0) return;
  const { sums, outside, weights } = scratch;
  const width = k + 1;
  const weightAt = k * (MAX_TABLE_FEATURES + 1);
  // sums[Q * width + s]: over S subset of Q with |S| = s, the product over Q \ S of z. outside[Q]: the product over F \ Q.
  const full = 1 << k;
  for (let s = 0; s < width; s++) sums[s] = s === 0 ? 1 : 0;
  let all = 1;
  for (let e = 0; e < k; e++) all *= zeros[zerosAt + e];
  outside[0] = all;
  for (let q = 1; q < full; q++) {
    const low = q & -q;
    const e = 31 - Math.clz32(low);
    const p = q ^ low;
    const z = zeros[zerosAt + e];
    const from = p * width;
    const to = q * width;
    sums[to] = z * sums[from];
    for (let s = 1; s < width; s++) sums[to + s] = z * sums[from + s] + sums[from + s - 1];
    outside[q] = outside[p] / z;
  }
  for (let q = 0; q < full - 1; q++) {
    let t = 0;
    const at = q * width;
    for (let s = 0; s < k; s++) t += weights[weightAt + s] * sums[at + s];
    table[start + q] = v * outside[q] * t;
  }
}

function visitTabulated(tree: TabulatedTree, row: ArrayLike<number>, phi: Float64Array, node: number, mask: number): void {
  const l = tree.left[node];
  if (l === -1) {
    const index = tree.leaf[node];
    const k = tree.leafCount[index];
    if (k === 0) return;
    const start = tree.leafStart[index];
    const table = tree.table;
    const base = tree.tableStart[index];
    const cold = -table[base + mask];
    for (let e = 0; e < k; e++) {
      const f = tree.leafFeatures[start + e];
      if ((mask >> e) & 1) phi[f] += tree.hotScale[start + e] * table[base + (mask ^ (1 << e))];
      else phi[f] += cold;
    }
    return;
  }
  const r = tree.right[node];
  const x = row[tree.feature[node]];
  let hot: number;
  if (x !== x) hot = tree.defaultLeft[node] === 1 ? l : r;
  else hot = Math.fround(x) < tree.threshold[node] ? l : r;
  const cold = hot === l ? r : l;
  const bit = 1 << tree.bit[node];
  if (tree.first[node] === 1) {
    visitTabulated(tree, row, phi, hot, mask | bit);
    visitTabulated(tree, row, phi, cold, mask);
  } else {
    visitTabulated(tree, row, phi, hot, mask);
    visitTabulated(tree, row, phi, cold, mask & ~bit);
  }
}

/** Builds an explainer: checks covers, computes expected values and sizes the path buffers. */
export function createTreeExplainer(model: GbdtModel, options: TreeExplainerOptions = {}): TreeExplainer {
  const maxTableEntries = options.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES;
  if (!Number.isInteger(maxTableEntries) || maxTableEntries < 0) {
    throw new RangeError(`maxTableEntries must be a non-negative integer, got ${maxTableEntries}`);
  }
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
  const budget = { entries: maxTableEntries };
  const scratch = tableScratch(maxDepth);
  const tabulated = model.trees.map((tree) => (budget.entries > 0 ? tabulate(tree, budget, scratch) : undefined));
  return {
    model,
    expectedValue,
    tabulatedTrees: tabulated.filter((t) => t !== undefined).length,
    shap(row: ArrayLike<number>, out?: Float64Array): Float64Array {
      if (row.length !== width) {
        throw new PredictionInputError('row', `has ${row.length} values but the model expects ${width} features`);
      }
      const phi = out ?? new Float64Array(width + 1);
      if (phi.length !== width + 1) {
        throw new PredictionInputError('out', `has ${phi.length} entries but must have ${width + 1} (features + bias)`);
      }
      phi.fill(0);
      for (let t = 0; t < model.trees.length; t++) {
        const fast = tabulated[t];
        if (fast) visitTabulated(fast, row, phi, 0, 0);
        else recurse(model.trees[t], row, phi, buffers, 0, 0, 0, 1, 1, -1);
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
