/**
 * Scores rows with a GbdtModel, the way XGBoost does: every input value is taken as a
 * float32 (XGBoost's DMatrix and ONNX both hold float32), a row goes left when
 * `x < threshold`, a missing value (NaN) follows `defaultLeft`, and the margin is the
 * base margin plus one leaf value per tree. The probability is the sigmoid of the margin
 * for binary:logistic and the margin itself for reg:squarederror.
 *
 * Sums are kept in float64; XGBoost sums in float32, so margins agree to a few float32
 * ulps (about 1e-6 on margins of size ~5), which is far inside any decision threshold.
 */
import type { GbdtModel, Objective, Tree } from './model';

/** A row (or batch) that does not fit the model: wrong width, wrong count. */
export class PredictionInputError extends Error {
  override readonly name = 'PredictionInputError';
  constructor(
    /** What was wrong, e.g. `row` or `rows.length`. */
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** A GbdtModel whose arrays do not form valid trees; `path` points at the bad entry. */
export class ModelStructureError extends Error {
  override readonly name = 'ModelStructureError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Values laid out one row after another (row-major) or one feature after another. */
export type RowLayout = 'row-major' | 'column-major';

export interface BatchPrediction {
  /** Raw scores: base margin plus the sum of leaf values. */
  readonly margins: Float64Array;
  /** Probabilities (binary:logistic) or predicted values (reg:squarederror). */
  readonly predictions: Float64Array;
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

/** The link from margin to prediction: sigmoid for binary:logistic, identity for regression. */
export function applyLink(objective: Objective, margin: number): number {
  return objective === 'binary:logistic' ? sigmoid(margin) : margin;
}

/** The inverse link: log-odds of a probability, or the value itself. */
export function inverseLink(objective: Objective, prediction: number): number {
  return objective === 'binary:logistic' ? Math.log(prediction / (1 - prediction)) : prediction;
}

/**
 * Index of the leaf a row reaches. `values[offset + stride * f]` is feature f, so one
 * walker serves single rows (stride 1), row-major batches (offset = r * width, stride 1)
 * and column-major batches (offset = r, stride = nRows).
 */
export function leafIndex(tree: Tree, values: ArrayLike<number>, offset = 0, stride = 1): number {
  const { left, right, feature, threshold, defaultLeft } = tree;
  let node = 0;
  while (left[node] !== -1) {
    const x = values[offset + stride * feature[node]];
    if (x !== x) {
      node = defaultLeft[node] === 1 ? left[node] : right[node];
    } else {
      node = Math.fround(x) < threshold[node] ? left[node] : right[node];
    }
  }
  return node;
}

function assertRowWidth(model: GbdtModel, row: ArrayLike<number>): void {
  const width = model.features.length;
  if (row.length !== width) {
    throw new PredictionInputError(
      'row',
      `has ${row.length} values but the model expects ${width} features (${describeFeatures(model)})`,
    );
  }
}

function describeFeatures(model: GbdtModel): string {
  const names = model.features.map((f) => f.name);
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, ...`;
}

/** Margin (raw score) of one row of encoded feature values; NaN means missing. */
export function predictMargin(model: GbdtModel, row: ArrayLike<number>): number {
  assertRowWidth(model, row);
  let margin = model.baseMargin;
  for (const tree of model.trees) margin += tree.leafValue[leafIndex(tree, row)];
  return margin;
}

/** Probability (binary:logistic) or value (reg:squarederror) of one row. */
export function predictRow(model: GbdtModel, row: ArrayLike<number>): number {
  return applyLink(model.objective, predictMargin(model, row));
}

/**
 * Scores `nRows` rows held in one flat array. Row-major by default (what ONNX takes);
 * column-major is what a columnar dataset naturally holds.
 */
export function predictBatch(
  model: GbdtModel,
  values: Float32Array | Float64Array,
  nRows: number,
  options: { readonly layout?: RowLayout } = {},
): BatchPrediction {
  const width = model.features.length;
  if (!Number.isInteger(nRows) || nRows < 0) {
    throw new PredictionInputError('nRows', `must be a non-negative integer, got ${nRows}`);
  }
  if (values.length !== nRows * width) {
    throw new PredictionInputError(
      'rows.length',
      `is ${values.length} but ${nRows} rows of ${width} features need ${nRows * width} values`,
    );
  }
  const columnMajor = options.layout === 'column-major';
  const stride = columnMajor ? nRows : 1;
  const margins = new Float64Array(nRows).fill(model.baseMargin);
  // Tree-outer order keeps one tree's arrays hot in cache across the whole batch.
  for (const tree of model.trees) {
    const leafValue = tree.leafValue;
    for (let r = 0; r < nRows; r++) {
      margins[r] += leafValue[leafIndex(tree, values, columnMajor ? r : r * width, stride)];
    }
  }
  const predictions = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) predictions[r] = applyLink(model.objective, margins[r]);
  return { margins, predictions };
}

/**
 * Checks that every tree's arrays have one length, that children point inside the tree,
 * that each node is reached once from the root (no cycles, no sharing) and that split
 * features exist. Converters call it so a bad model fails here, with a path, instead of
 * producing a broken artifact.
 */
export function checkModelStructure(model: GbdtModel): void {
  const width = model.features.length;
  if (width === 0) throw new ModelStructureError('features', 'the model has no features');
  if (!Number.isFinite(model.baseMargin)) {
    throw new ModelStructureError('baseMargin', `must be a finite number, got ${model.baseMargin}`);
  }
  model.trees.forEach((tree, t) => {
    const path = `trees[${t}]`;
    const n = tree.left.length;
    if (n === 0) throw new ModelStructureError(path, 'has no nodes');
    const arrays = ['right', 'feature', 'threshold', 'defaultLeft', 'leafValue', 'cover', 'gain'] as const;
    for (const key of arrays) {
      if (tree[key].length !== n) {
        throw new ModelStructureError(`${path}.${key}`, `has ${tree[key].length} entries but left has ${n}`);
      }
    }
    const seen = new Uint8Array(n);
    const stack = [0];
    while (stack.length > 0) {
      const node = stack.pop() as number;
      if (seen[node] === 1) throw new ModelStructureError(`${path}`, `node ${node} is reached twice`);
      seen[node] = 1;
      const l = tree.left[node];
      const r = tree.right[node];
      if (l === -1 && r === -1) {
        if (!Number.isFinite(tree.leafValue[node])) {
          throw new ModelStructureError(`${path}.leafValue[${node}]`, `must be finite, got ${tree.leafValue[node]}`);
        }
        continue;
      }
      for (const [key, child] of [['left', l], ['right', r]] as const) {
        if (child <= 0 || child >= n) {
          throw new ModelStructureError(`${path}.${key}[${node}]`, `child ${child} is outside 1..${n - 1}`);
        }
      }
      const f = tree.feature[node];
      if (f < 0 || f >= width) {
        throw new ModelStructureError(`${path}.feature[${node}]`, `feature ${f} is outside 0..${width - 1}`);
      }
      if (Number.isNaN(tree.threshold[node])) {
        throw new ModelStructureError(`${path}.threshold[${node}]`, 'is NaN');
      }
      stack.push(r, l);
    }
  });
}
