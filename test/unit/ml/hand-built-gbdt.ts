/**
 * A two-tree model small enough to check by hand, shared by the predict, TreeSHAP and ONNX
 * tests. Features: a (column "age", numeric) and b (column "colour", categorical codes).
 *
 * Tree 0: a < 0.5 (missing: left) ? 1 : (b < 2 (missing: right) ? -1 : 0.5)
 *         covers 10 -> 4 | 6 -> 3 | 3; expected value (4*1 - 3*1 + 3*0.5) / 10 = 0.25
 * Tree 1: b < 1 (missing: right) ? 0.2 : -0.2
 *         covers 10 -> 5 | 5; expected value 0
 * Base margin -0.5.
 */
import type { GbdtModel, Tree } from '../../../lambdas/core/ml/model';

export interface HandNode {
  readonly left: number;
  readonly right: number;
  readonly feature?: number;
  readonly threshold?: number;
  readonly defaultLeft?: number;
  readonly leaf?: number;
  readonly cover: number;
  readonly gain?: number;
}

export function handTree(nodes: readonly HandNode[]): Tree {
  return {
    left: Int32Array.from(nodes, (n) => n.left),
    right: Int32Array.from(nodes, (n) => n.right),
    feature: Int32Array.from(nodes, (n) => n.feature ?? 0),
    threshold: Float32Array.from(nodes, (n) => n.threshold ?? 0),
    defaultLeft: Uint8Array.from(nodes, (n) => n.defaultLeft ?? 0),
    leafValue: Float64Array.from(nodes, (n) => n.leaf ?? 0),
    cover: Float64Array.from(nodes, (n) => n.cover),
    gain: Float64Array.from(nodes, (n) => n.gain ?? 0),
  };
}

export const handBuiltModel: GbdtModel = {
  objective: 'binary:logistic',
  baseMargin: -0.5,
  features: [
    { name: 'a', column: 'age', type: 'float' },
    { name: 'b', column: 'colour', type: 'categorical' },
  ],
  encodings: [
    { kind: 'numeric', column: 'age' },
    { kind: 'categorical', column: 'colour', categories: ['red', 'green', 'blue', 'purple'], unknownCode: 4 },
  ],
  trees: [
    handTree([
      { left: 1, right: 2, feature: 0, threshold: 0.5, defaultLeft: 1, cover: 10, gain: 5 },
      { left: -1, right: -1, leaf: 1, cover: 4 },
      { left: 3, right: 4, feature: 1, threshold: 2, defaultLeft: 0, cover: 6, gain: 2 },
      { left: -1, right: -1, leaf: -1, cover: 3 },
      { left: -1, right: -1, leaf: 0.5, cover: 3 },
    ]),
    handTree([
      { left: 1, right: 2, feature: 1, threshold: 1, defaultLeft: 0, cover: 10, gain: 3 },
      { left: -1, right: -1, leaf: 0.2, cover: 5 },
      { left: -1, right: -1, leaf: -0.2, cover: 5 },
    ]),
  ],
};
