/**
 * Grows one regression tree on binned features from gradients and hessians, XGBoost style:
 * leaf weight -T(G)/(H + lambda) scaled by eta (T = L1 soft threshold), split gain
 * T(GL)²/(HL+λ) + T(GR)²/(HR+λ) - T(G)²/(H+λ), a split only when the gain exceeds 1e-6 and
 * gamma and both children hold minChildWeight of hessian.
 *
 * Rows of a node are a contiguous range of the row index; a split partitions the range
 * stably (rows stay ascending, which keeps histogram reads local). Only the smaller child's
 * histogram is built; the larger one is its parent minus the smaller one. The work runs on
 * the boosting engines: a big node shared by all of them (its partition split by rows, its
 * histograms by features), smaller nodes of a level each whole on one engine (partition
 * included).
 */
import type { BinCuts, BinnedMatrix } from './binning';
import { BoostingEngines, type LeafRange, MAX_SPLITS_PER_BATCH, type SplitCandidate } from './boosting-engine';
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
/** Nodes with fewer rows are partitioned on the calling thread even with several engines. */
const PARALLEL_PARTITION_ROWS = 8192;

interface Node {
  readonly id: number;
  readonly depth: number;
  begin: number;
  end: number;
  readonly grad: number;
  readonly hess: number;
  slot: number;
  ticket: number;
  /** Split job running this node's split, or -1. */
  job: number;
  /** Slot its split job builds the smaller child into, or -1. */
  jobSlot: number;
  candidate: SplitCandidate | undefined;
  split: SplitCandidate | undefined;
  left: number;
  right: number;
}

export class TreeGrower {
  private nodes: Node[] = [];

  constructor(
    private readonly engines: BoostingEngines,
    private readonly cuts: BinCuts,
    private readonly shape: TreeShape,
  ) {}

  /** Grows a tree on rowIndex[0..nRows) whose gradients sum to gradSum and hessians to hessSum. */
  grow(nRows: number, gradSum: number, hessSum: number): GrownTree {
    this.nodes = [];
    const root = this.addNode(0, 0, nRows, gradSum, hessSum);
    if (this.mayGrow(root)) {
      root.slot = this.engines.allocateSlot();
      this.engines.build(root.slot, 0, nRows);
      root.ticket = this.engines.find(root.slot, gradSum, hessSum);
      this.engines.flush();
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
        const owners = this.assignOwners(batch);
        const middles = this.partitionShared(batch.filter((_, i) => owners[i] === -1));
        batch.forEach((node, i) => (owners[i] === -1 ? this.splitShared(node, middles.get(node) as number) : this.queueSplitJob(node, owners[i])));
        this.engines.flush();
        for (const node of batch) {
          if (node.job >= 0) this.finishSplitJob(node);
          const children = [this.nodes[node.left], this.nodes[node.right]];
          for (const child of children) this.collect(child);
          next.push(...children);
        }
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
      this.splitShared(node, this.partitionShared([node]).get(node) as number);
      leaves++;
      this.engines.flush();
      for (const child of [this.nodes[node.left], this.nodes[node.right]]) {
        this.collect(child);
        if (this.canSplit(child)) queue.push(child);
        else this.releaseSlot(child);
      }
    }
    for (let node = queue.pop(); node !== undefined; node = queue.pop()) this.releaseSlot(node);
  }

  private addNode(depth: number, begin: number, end: number, grad: number, hess: number): Node {
    const node: Node = {
      id: this.nodes.length,
      depth,
      begin,
      end,
      grad,
      hess,
      slot: -1,
      ticket: -1,
      job: -1,
      jobSlot: -1,
      candidate: undefined,
      split: undefined,
      left: -1,
      right: -1,
    };
    this.nodes.push(node);
    return node;
  }

  private canSplit(node: Node): boolean {
    const c = node.candidate;
    return c !== undefined && c.feature >= 0 && c.gain > MIN_GAIN && c.gain >= this.shape.gamma;
  }

  /**
   * Whether a node may still split: depth left, enough hessian for two children, and (once
   * its rows are known) two rows; split jobs check the rows themselves.
   */
  private mayGrow(node: Node, rowsKnown = true): boolean {
    const { maxDepth, minChildWeight } = this.shape;
    return (
      (maxDepth === 0 || node.depth < maxDepth) &&
      (!rowsKnown || rowsOf(node) >= 2) &&
      node.hess > 0 &&
      node.hess >= 2 * minChildWeight * (1 - 1e-9)
    );
  }

  /** Adds the node's two children; their rows are set by the partition. */
  private addChildren(node: Node): [Node, Node] {
    const split = node.candidate as SplitCandidate;
    node.split = split;
    const left = this.addNode(node.depth + 1, node.begin, node.end, split.gradLeft, split.hessLeft);
    const right = this.addNode(node.depth + 1, node.begin, node.end, node.grad - split.gradLeft, node.hess - split.hessLeft);
    node.left = left.id;
    node.right = right.id;
    return [left, right];
  }

  /**
   * Partitions the rows of nodes split by all engines on their candidate splits; returns
   * where each node's right rows start. With several engines, they share each large node
   * by rows (one flush for all); small ones are quicker partitioned here than a flush.
   */
  private partitionShared(nodes: readonly Node[]): Map<Node, number> {
    const middles = new Map<Node, number>();
    const here = this.engines.threads === 1 ? nodes : nodes.filter((node) => rowsOf(node) < PARALLEL_PARTITION_ROWS);
    for (const node of here) middles.set(node, this.engines.partition(...this.partitionArgs(node)));
    const parallel = nodes.filter((node) => !middles.has(node));
    if (parallel.length === 0) return middles;
    const queued = parallel.map((node) => this.engines.queuePartition(...this.partitionArgs(node)));
    this.engines.flush();
    parallel.forEach((node, i) => middles.set(node, this.engines.finishPartition(queued[i])));
    return middles;
  }

  /**
   * Splits a node with the work shared by all engines, its rows partitioned at `middle`:
   * queues the children's histograms (the smaller one built, the larger one its parent's
   * minus it, in the parent's slot) and split searches.
   */
  private splitShared(node: Node, middle: number): void {
    const [left, right] = this.addChildren(node);
    left.end = middle;
    right.begin = middle;
    const growLeft = this.mayGrow(left);
    const growRight = this.mayGrow(right);
    if (!growLeft && !growRight) {
      this.releaseSlot(node);
      return;
    }
    const [small, large] = smallerFirst(left, right);
    small.slot = this.engines.allocateSlot();
    this.engines.build(small.slot, small.begin, small.end);
    this.engines.subtract(node.slot, small.slot);
    large.slot = node.slot;
    node.slot = -1;
    for (const [child, grows] of [[left, growLeft], [right, growRight]] as const) {
      if (grows) child.ticket = this.engines.find(child.slot, child.grad, child.hess);
      else this.releaseSlot(child);
    }
  }

  /** Queues the same work as one split job for one engine; finishSplitJob() reads its outcome. */
  private queueSplitJob(node: Node, owner: number): void {
    const [left, right] = this.addChildren(node);
    const split = node.split as SplitCandidate;
    const growLeft = this.mayGrow(left, false);
    const growRight = this.mayGrow(right, false);
    node.jobSlot = growLeft || growRight ? this.engines.allocateSlot() : -1;
    left.ticket = growLeft ? this.engines.reserveFind(left.grad, left.hess, owner) : -1;
    right.ticket = growRight ? this.engines.reserveFind(right.grad, right.hess, owner) : -1;
    node.job = this.engines.splitJob(
      {
        begin: node.begin,
        end: node.end,
        column: split.feature,
        leftMax: this.leftMax(split),
        missingBin: this.missing(split),
        missingLeft: split.defaultLeft,
        parentSlot: node.slot,
        newSlot: node.jobSlot,
        leftTicket: left.ticket,
        rightTicket: right.ticket,
      },
      owner,
    );
  }

  private finishSplitJob(node: Node): void {
    const left = this.nodes[node.left];
    const right = this.nodes[node.right];
    const middle = this.engines.jobMiddle(node.job);
    left.end = middle;
    right.begin = middle;
    if (node.jobSlot < 0) {
      this.releaseSlot(node);
      return;
    }
    const [small, large] = smallerFirst(left, right);
    small.slot = node.jobSlot;
    large.slot = node.slot;
    node.slot = -1;
    for (const child of [left, right]) if (child.ticket < 0) this.releaseSlot(child);
  }

  /**
   * Spreads a level's splits over the engines, weighed by rows: a node larger than an
   * engine's fair share is shared by features (-1); the others go whole to the least loaded
   * engine, largest first, which keeps every engine on full rows. Any assignment gives the
   * same tree.
   */
  private assignOwners(batch: readonly Node[]): number[] {
    const nEngines = this.engines.threads;
    const cost = batch.map(rowsOf);
    const share = cost.reduce((a, b) => a + b, 0) / nEngines;
    const owners: number[] = cost.map((c) => (nEngines === 1 || c > share ? -1 : 0));
    const load = new Array<number>(nEngines).fill(0);
    cost.forEach((c, i) => {
      if (owners[i] === -1) load.forEach((_, e) => (load[e] += c / nEngines));
    });
    const order = cost.map((_, i) => i).filter((i) => owners[i] !== -1);
    order.sort((a, b) => cost[b] - cost[a] || a - b);
    for (const i of order) {
      const e = load.indexOf(Math.min(...load));
      owners[i] = e;
      load[e] += cost[i];
    }
    return owners;
  }

  /** begin, end, column, leftMax, missing bin, missing left: a node's partition on its candidate split. */
  private partitionArgs(node: Node): [number, number, number, number, number, boolean] {
    const split = node.candidate as SplitCandidate;
    return [node.begin, node.end, split.feature, this.leftMax(split), this.missing(split), split.defaultLeft];
  }

  private leftMax(split: SplitCandidate): number {
    return this.cuts.binOffset[split.feature] + split.bin;
  }

  private missing(split: SplitCandidate): number {
    return this.cuts.binOffset[split.feature + 1] - 1;
  }

  private collect(node: Node): void {
    if (node.ticket >= 0) node.candidate = this.engines.candidate(node.ticket);
  }

  private releaseSlot(node: Node): void {
    if (node.slot >= 0) this.engines.releaseSlot(node.slot);
    node.slot = -1;
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
      splitBin[i] = this.leftMax(split);
      missingBin[i] = this.missing(split);
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

/** The leaves' row ranges and values, in row-index order (for BoostingEngines.addLeaves). */
export function leafRanges(grown: GrownTree): LeafRange[] {
  const { left, leafValue } = grown.tree;
  const leaves: LeafRange[] = [];
  for (let node = 0; node < left.length; node++) {
    if (left[node] === -1) leaves.push({ begin: grown.rowBegin[node], end: grown.rowEnd[node], value: leafValue[node] });
  }
  return leaves.sort((a, b) => a.begin - b.begin);
}

function rowsOf(node: Node): number {
  return node.end - node.begin;
}

function smallerFirst(left: Node, right: Node): [Node, Node] {
  return rowsOf(left) <= rowsOf(right) ? [left, right] : [right, left];
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
