/**
 * The in-memory form of a gradient-boosted tree ensemble, shared by every part of the
 * engine: the trainer writes it, the XGBoost JSON reader and writer translate it, the
 * ONNX converter, the scorer and TreeSHAP read it. Pure data: no AWS, no I/O.
 *
 * Trees are stored as flat arrays in XGBoost's own layout (node 0 is the root; a leaf has
 * left === -1), so reading and writing XGBoost's JSON model format is a copy, not a
 * translation. A row goes left when `x < threshold` (XGBoost's rule) and follows
 * `defaultLeft` when the value is missing (NaN).
 */

export type Objective = 'binary:logistic' | 'reg:squarederror';

export interface Tree {
  /** Index of the left child, or -1 for a leaf. */
  readonly left: Int32Array;
  /** Index of the right child, or -1 for a leaf. */
  readonly right: Int32Array;
  /** Encoded feature index the node splits on (0 for leaves). */
  readonly feature: Int32Array;
  /** Split condition: go left when x < threshold. Stored as float32, like XGBoost. */
  readonly threshold: Float32Array;
  /** 1 when a missing value goes left. */
  readonly defaultLeft: Uint8Array;
  /** Leaf value (already scaled by the learning rate) for leaves; 0 for inner nodes. */
  readonly leafValue: Float64Array;
  /** Sum of hessians of the training rows that reached the node (TreeSHAP needs it). */
  readonly cover: Float64Array;
  /** Loss reduction of the split (0 for leaves); global importance uses it. */
  readonly gain: Float64Array;
}

/** How one user column became one or more encoded model inputs. */
export type ColumnEncoding =
  | { readonly kind: 'numeric'; readonly column: string }
  | { readonly kind: 'boolean'; readonly column: string }
  /**
   * Ordinal encoding: category -> code (0..n-1). Unknown categories at prediction time map
   * to `unknownCode` (a code no training row had), so trees send them down the missing path.
   */
  | { readonly kind: 'categorical'; readonly column: string; readonly categories: readonly string[]; readonly unknownCode: number };

export interface FeatureSpec {
  /** Name of the encoded model input, as ONNX and XGBoost see it. */
  readonly name: string;
  /** The user's column this input comes from (explanations map back through it). */
  readonly column: string;
  readonly type: 'float' | 'categorical' | 'boolean';
}

export interface GbdtModel {
  readonly objective: Objective;
  /**
   * Base margin added to every prediction before the link function (for binary:logistic
   * the log-odds; XGBoost's JSON stores base_score in probability space and the reader and
   * writer convert).
   */
  readonly baseMargin: number;
  readonly features: readonly FeatureSpec[];
  readonly trees: readonly Tree[];
  /** How user columns map to encoded features, in feature order. Absent for raw numeric models. */
  readonly encodings?: readonly ColumnEncoding[];
  /** Best boosting round chosen by early stopping (trees beyond it are already dropped). */
  readonly bestIteration?: number;
  /** Free-form attributes carried through XGBoost JSON `attributes` and ONNX metadata. */
  readonly attributes?: Readonly<Record<string, string>>;
}
