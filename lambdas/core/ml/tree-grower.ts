/**
 * Grows one regression tree on binned features from gradients and hessians, XGBoost style:
 * leaf weight -T(G)/(H + lambda) scaled by eta (T = L1 soft threshold), split gain
 * T(GL)²/(HL+λ) + T(GR)²/(HR+λ) - T(G)²/(H+λ), a split only when the gain exceeds 1e-6 and
 * gamma and both children hold minChildWeight of hessian.
 *
 * Rows of a node are a contiguous range of the row index; a split partitions the range
 * stably (rows stay ascending, which keeps histogram reads local). Only the smaller child's
 * histogram is built; the larger one is its parent minus the smaller one.
 */
import type { BinCuts, BinnedMatrix } from './binning';
import { HistogramEngines, MAX_SPLITS_PER_BATCH, type SplitCandidate } from './histogram-engine';
import type { Tree } from './model';
import type { GrowPolicy } from './training-params';

export interface TreeShape {
  readonly maxDepth: number;
  readonly growPolicy: GrowPolicy;
  readonly maxLeaves: number;
  readonly learningRate: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly minChildWeight: number;
}

/** A tree and the binned form of its splits, for scoring binned rows. */
export interface GrownTree {
  readonly tree: Tree;
  /** Per node: a row goes left when its global bin is <= splitBin (and not the missing bin). */
  readonly splitBin: Int32Array;
  readonly missingBin: Int32Array;
  /** Per node: its rows are rowIndex[rowBegin..rowEnd) once the tree is grown. */
  readonly rowBegin: Uint32Array;
  readonly rowEnd: Uint32Array;
}

/** XGBoost's kRtEps: smaller loss reductions are rounding noise, not splits. */
const MIN_GAIN = 1e-6;

interface Node {
  readonly id: number;
  readonly depth: number;
  readonly begin: number;
  readonly end: number;
  readonly grad: number;
  readonly hess: number;
  slot: number;
  ticket: number;
  candidate: SplitCandidate | undefined;
  split: SplitCandidate | undefined;
  left: number;
  right: number;
}

export const T: Record<string, number> = {};
const tick = (k: string, t0: number) => { T[k] = (T[k] ?? 0) + performance.now() - t0; };
export class TreeGrower {
  private readonly scratch: Uint32Array;
  private nodes: Node[] = [];

  constructor(
    private readonly engines: HistogramEngines,
    private readonly binned: BinnedMatrix,
    private readonly cuts: BinCuts,
    private readonly rowIndex: Uint32Array,
    private readonly shape: TreeShape,
  ) {
    this.scratch = new Uint32Array(binned.nRows);
  }

  /** Grows a tree on rowIndex[0..nRows) whose gradients sum to gradSum and hessians to hessSum. */
  grow(nRows: number, gradSum: number, hessSum: number): GrownTree {
    this.nodes = [];
    const root = this.addNode(0, 0, nRows, gradSum, hessSum);
    if (this.mayGrow(root)) {
      root.slot = this.engines.allocateSlot();
      this.engines.build(root.slot, 0, nRows);
      root.ticket = this.engines.find(root.slot, gradSum, hessSum);
      const t1 = performance.now();
      this.engines.flush();
      tick('flushRoot', t1);
      root.candidate = this.engines.candidate(root.ticket);
    }
    if (this.shape.growPolicy === 'depthwise') this.growDepthwise(root);
    else this.growLossguide(root);
    return this.toTree();
  }

  private growDepthwise(root: Node): void {
    let level = [root];
    while (level.length > 0) {
      const splitting = level.filter((node) => {
        if (this.canSplit(node)) return true;
        this.releaseSlot(node);
        return false;
      });
      const next: Node[] = [];
      for (let start = 0; start < splitting.length; start += MAX_SPLITS_PER_BATCH) {
        const batch = splitting.slice(start, start + MAX_SPLITS_PER_BATCH);
        const children = batch.flatMap((node) => this.split(node));
        const t1 = performance.now();
        this.engines.flush();
        tick('flush', t1);
        for (const child of children) this.collect(child);
        next.push(...children);
      }
      level = next;
    }
  }

  private growLossguide(root: Node): void {
    const queue = new CandidateQueue();
    if (this.canSplit(root)) queue.push(root);
    else this.releaseSlot(root);
    let leaves = 1;
    const maxLeaves = this.shape.maxLeaves;
    while (maxLeaves === 0 || leaves < maxLeaves) {
      const node = queue.pop();
      if (node === undefined) break;
      const children = this.split(node);
      leaves++;
      this.engines.flush();
      for (const child of children) {
        this.collect(child);
        if (this.canSplit(child)) queue.push(child);
        else this.releaseSlot(child);
      }
    }
    for (let node = queue.pop(); node !== undefined; node = queue.pop()) this.releaseSlot(node);
  }

  private addNode(depth: number, begin: number, end: number, grad: number, hess: number): Node {
    const node: Node = { id: this.nodes.length, depth, begin, end, grad, hess, slot: -1, ticket: -1, candidate: undefined, split: undefined, left: -1, right: -1 };
    this.nodes.push(node);
    return node;
  }

  private canSplit(node: Node): boolean {
    const c = node.candidate;
    return c !== undefined && c.feature >= 0 && c.gain > MIN_GAIN && c.gain >= this.shape.gamma;
  }

  /** Whether a node may still split: depth left, two rows, and enough hessian for two children. */
  private mayGrow(node: Node): boolean {
    const { maxDepth, minChildWeight } = this.shape;
    return (
      (maxDepth === 0 || node.depth < maxDepth) &&
      node.end - node.begin >= 2 &&
      node.hess > 0 &&
      node.hess >= 2 * minChildWeight * (1 - 1e-9)
    );
  }

  /** Partitions the node's rows and queues its children's histograms and split searches. */
  private split(node: Node): [Node, Node] {
    const split = node.candidate as SplitCandidate;
    node.split = split;
    const t0 = performance.now();
    const middle = this.partition(node.begin, node.end, split);
    tick('partition', t0);
    const left = this.addNode(node.depth + 1, node.begin, middle, split.gradLeft, split.hessLeft);
    const right = this.addNode(node.depth + 1, middle, node.end, node.grad - split.gradLeft, node.hess - split.hessLeft);
    node.left = left.id;
    node.right = right.id;

    const growLeft = this.mayGrow(left);
    const growRight = this.mayGrow(right);
    if (growLeft || growRight) {
      const [small, large] = left.end - left.begin <= right.end - right.begin ? [left, right] : [right, left];
      small.slot = this.engines.allocateSlot();
      this.engines.build(small.slot, small.begin, small.end);
      this.engines.subtract(node.slot, small.slot);
      large.slot = node.slot;
      node.slot = -1;
      for (const [child, grows] of [[left, growLeft], [right, growRight]] as const) {
        if (grows) child.ticket = this.engines.find(child.slot, child.grad, child.hess);
        else this.releaseSlot(child);
      }
    } else {
      this.releaseSlot(node);
    }
    return [left, right];
  }

  private collect(node: Node): void {
    if (node.ticket >= 0) node.candidate = this.engines.candidate(node.ticket);
  }

  private releaseSlot(node: Node): void {
    if (node.slot >= 0) this.engines.releaseSlot(node.slot);
    node.slot = -1;
  }

  /** Stable partition of rowIndex[begin..end) by the split; returns where the right side starts. */
  private partition(begin: number, end: number, split: SplitCandidate): number {
    const { bins, nCols } = this.binned;
    const rows = this.rowIndex;
    const scratch = this.scratch;
    const feature = split.feature;
    const leftMax = this.cuts.binOffset[feature] + split.bin;
    const missing = this.cuts.binOffset[feature + 1] - 1;
    const missingLeft = split.defaultLeft ? 1 : 0;
    let nLeft = begin;
    let nRight = 0;
    // Branch-free: the side is a coin flip per row, and mispredicted branches cost more than
    // writing every row to both places and advancing one cursor.
    for (let i = begin; i < end; i++) {
      const r = rows[i];
      const b = bins[r * nCols + feature];
      const left = (((leftMax - b) >>> 31) ^ 1) | ((((b ^ missing) - 1) >>> 31) & missingLeft);
      rows[nLeft] = r;
      scratch[nRight] = r;
      nLeft += left;
      nRight += left ^ 1;
    }
    rows.set(scratch.subarray(0, nRight), nLeft);
    return nLeft;
  }

  private toTree(): GrownTree {
    const n = this.nodes.length;
    const { learningRate, lambda, alpha } = this.shape;
    const tree = {
      left: new Int32Array(n),
      right: new Int32Array(n),
      feature: new Int32Array(n),
      threshold: new Float32Array(n),
      defaultLeft: new Uint8Array(n),
      leafValue: new Float64Array(n),
      cover: new Float64Array(n),
      gain: new Float64Array(n),
    };
    const splitBin = new Int32Array(n);
    const missingBin = new Int32Array(n);
    const rowBegin = new Uint32Array(n);
    const rowEnd = new Uint32Array(n);
    for (const node of this.nodes) {
      const i = node.id;
      tree.left[i] = node.left;
      tree.right[i] = node.right;
      tree.cover[i] = node.hess;
      rowBegin[i] = node.begin;
      rowEnd[i] = node.end;
      const split = node.split;
      if (split === undefined) {
        const denominator = node.hess + lambda;
        tree.leafValue[i] = denominator > 0 ? (-softThreshold(node.grad, alpha) / denominator) * learningRate : 0;
        continue;
      }
      tree.feature[i] = split.feature;
      tree.threshold[i] = this.cuts.thresholds[split.feature][split.bin];
      tree.defaultLeft[i] = split.defaultLeft ? 1 : 0;
      tree.gain[i] = split.gain;
      splitBin[i] = this.cuts.binOffset[split.feature] + split.bin;
      missingBin[i] = this.cuts.binOffset[split.feature + 1] - 1;
    }
    return { tree, splitBin, missingBin, rowBegin, rowEnd };
  }
}

/** Adds a grown tree's leaf values to the margins of binned rows (rows it was not grown on). */
export function addTreeToMargins(grown: GrownTree, binned: BinnedMatrix, margins: Float64Array): void {
  const { left, right, feature, defaultLeft, leafValue } = grown.tree;
  const { splitBin, missingBin } = grown;
  const { bins, nCols, nRows } = binned;
  for (let r = 0; r < nRows; r++) {
    const base = r * nCols;
    let node = 0;
    while (left[node] !== -1) {
      const b = bins[base + feature[node]];
      const goLeft = b === missingBin[node] ? defaultLeft[node] === 1 : b <= splitBin[node];
      node = goLeft ? left[node] : right[node];
    }
    margins[r] += leafValue[node];
  }
}

/** Adds leaf values to the rows the tree was grown on, through the leaves' row ranges. */
export function addLeavesToMargins(grown: GrownTree, rowIndex: Uint32Array, margins: Float64Array): void {
  const { left, leafValue } = grown.tree;
  for (let node = 0; node < left.length; node++) {
    if (left[node] !== -1) continue;
    const value = leafValue[node];
    for (let i = grown.rowBegin[node]; i < grown.rowEnd[node]; i++) margins[rowIndex[i]] += value;
  }
}

function softThreshold(g: number, alpha: number): number {
  return g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
}

/** Max-heap of nodes by split gain; equal gains go to the older node. */
class CandidateQueue {
  private readonly heap: Node[] = [];

  push(node: Node): void {
    const heap = this.heap;
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): Node | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && before(heap[l], heap[best])) best = l;
        if (r < heap.length && before(heap[r], heap[best])) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top;
  }
}

function before(a: Node, b: Node): boolean {
  const ga = (a.candidate as SplitCandidate).gain;
  const gb = (b.candidate as SplitCandidate).gain;
  return ga > gb || (ga === gb && a.id < b.id);
}
