/**
 * The hot loops of boosting, spread over threads: gradients and leaf margins (split by rows),
 * partitions (split by rows, or by nodes), gradient histograms and split search (split by
 * features, or by nodes).
 *
 * A shared command runs on every engine, each on its own contiguous range of features (or of
 * rows, for gradients, leaves and partition parts); an
 * owned command runs on one engine over all features, so the nodes of one tree level can
 * be built in parallel. Either way every histogram bin is summed in row order and every
 * split search scans features in order, keeping the first best: the same numbers whichever
 * engine computes them. Gradients are summed per fixed block of rows and the blocks in
 * order. So a model is bit-identical for any thread count. The calling thread is engine 0;
 * the others are worker threads that share the bins, gradients, row index and histograms
 * through SharedArrayBuffers and wait on Atomics between batches of commands.
 *
 * The engine is plain JavaScript in a string, compiled with `new Function` in the calling
 * thread and run with `eval: true` in workers: one implementation, no TypeScript loader
 * needed in the worker (tsx, ts-jest and bundles all work).
 */
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { Objective } from './model';

/** Most split nodes a caller may put in one batch (each takes up to 4 commands and 2 finds). */
export const MAX_SPLITS_PER_BATCH = 1024;
const COMMAND_CAPACITY = 4 * MAX_SPLITS_PER_BATCH;
const FIND_CAPACITY = 2 * MAX_SPLITS_PER_BATCH;
const RESULT_WIDTH = 6;
const MAX_ENGINES = 64;
const WORKER_TIMEOUT_MS = 120_000;
const OP_BUILD = 1;
const OP_SUBTRACT = 2;
const OP_FIND = 3;
const OP_GRADIENTS = 4;
const OP_SPLIT = 5;
const OP_PARTITION_PART = 6;
const OP_LEAVES = 7;
/** Ints per split job: begin, end, column, leftMax, missing bin, missing left, parent slot, new slot, left and right tickets. */
const JOB_WIDTH = 10;
/** Ints per command: op, three arguments, owner engine (-1: shared by features). */
const COMMAND_WIDTH = 5;

const BLOCK_ROWS = 4096;
/** Rows whose cache lines build() touches ahead of summing them. */
const TOUCH_ROWS = 64;
/** Histograms per shared slab of histogram memory. */
const SLOTS_PER_SLAB = 16;

const ENGINE_SOURCE = String.raw`
'use strict';
function createBoostingEngine(init) {
  const bins = init.bins, nCols = init.nCols, binOffset = init.binOffset;
  const gradHess = init.gradHess, rows = init.rowIndex, active = init.featureActive;
  const commands = init.commands, findInputs = init.findInputs, results = init.results;
  const me = init.engineIndex, ownBegin = init.featureBegin, ownEnd = init.featureEnd;
  const lambda = init.lambda, alpha = init.alpha, minChildWeight = init.minChildWeight;
  const margins = init.margins, labels = init.labels, gradWeights = init.gradWeights, metricWeights = init.metricWeights;
  const logistic = init.objective === 'binary:logistic', blockSums = init.blockSums;
  const nRows = labels.length, nBlocks = Math.ceil(nRows / ${BLOCK_ROWS});
  const firstBlock = Math.floor((me * nBlocks) / init.engineCount);
  const endBlock = Math.floor(((me + 1) * nBlocks) / init.engineCount);
  const size = 2 * binOffset[nCols];
  const columns = init.columns, scratch = init.scratch, jobs = init.jobs, jobMiddles = init.jobMiddles;
  const engineCount = init.engineCount, partLefts = init.partLefts, leaves = init.leaves;
  const slots = [];

  // Histogram memory is shared: a node's histogram may be built by one engine and read by another.
  function addSlab(buffer) {
    for (let i = 0; i < ${SLOTS_PER_SLAB}; i++) slots.push(new Float64Array(buffer, 8 * size * i, size));
  }

  // Rows of a deep node are scattered over memory, and a row's updates are too many
  // instructions for the processor to look ahead to the next rows' loads: each row would wait
  // for its own cache misses. So each block of rows is first touched by a loop small enough
  // to have all the block's misses in flight at once (JavaScript has no prefetch), then
  // summed from cache. Measured 2.5-3x faster on the rows of a 16- or 64-node level.
  let touched = 0;
  function build(hist, begin, end, fBegin, fEnd) {
    hist.fill(0, 2 * binOffset[fBegin], 2 * binOffset[fEnd]);
    const width = fEnd - fBegin, last = width - 1;
    let t = 0;
    for (let blockBegin = begin; blockBegin < end; blockBegin += ${TOUCH_ROWS}) {
      const blockEnd = Math.min(end, blockBegin + ${TOUCH_ROWS});
      for (let i = blockBegin; i < blockEnd; i++) {
        const r = rows[i], j = r * nCols + fBegin;
        t += bins[j] + bins[j + last] + gradHess[2 * r];
      }
      for (let i = blockBegin; i < blockEnd; i++) {
        const r = rows[i];
        const g = gradHess[2 * r], h = gradHess[2 * r + 1];
        let j = r * nCols + fBegin;
        const stop = j + width;
        for (; j + 1 < stop; j += 2) {
          const k = bins[j] << 1, m = bins[j + 1] << 1;
          hist[k] += g; hist[k + 1] += h;
          hist[m] += g; hist[m + 1] += h;
        }
        if (j < stop) {
          const k = bins[j] << 1;
          hist[k] += g; hist[k + 1] += h;
        }
      }
    }
    touched += t;
  }

  function subtract(into, other, fBegin, fEnd) {
    for (let k = 2 * binOffset[fBegin], end = 2 * binOffset[fEnd]; k < end; k++) into[k] -= other[k];
  }

  function score(g, h) {
    const t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
    return t * t / (h + lambda);
  }

  // Best split over active features [fBegin, fEnd). Missing rows go left first, then right
  // (only when the node has missing rows); ties keep the first candidate found. Bin 0 holds
  // no training values, so the first left-going candidate is "missing rows alone".
  function find(hist, G, H, out, fBegin, fEnd) {
    const parent = score(G, H);
    let bestGain = -Infinity, bestFeature = -1, bestBin = -1, bestLeft = 0, bestG = 0, bestH = 0;
    for (let f = fBegin; f < fEnd; f++) {
      if (active[f] === 0) continue;
      const first = binOffset[f], missing = binOffset[f + 1] - 1, last = missing - 1;
      const gm = hist[2 * missing], hm = hist[2 * missing + 1];
      for (let dir = 0; dir < 2; dir++) {
        if (dir === 1 && gm === 0 && hm === 0) break;
        let gl = dir === 0 ? gm : 0, hl = dir === 0 ? hm : 0;
        for (let b = first; b < last; b++) {
          const gb = hist[2 * b], hb = hist[2 * b + 1];
          // An empty bin repeats the previous candidate.
          if (gb === 0 && hb === 0 && b !== first) continue;
          gl += gb; hl += hb;
          const hr = H - hl;
          if (hr < minChildWeight || hr <= 0) break;
          if (hl < minChildWeight || hl <= 0) continue;
          const gain = score(gl, hl) + score(G - gl, hr) - parent;
          if (gain > bestGain) {
            bestGain = gain; bestFeature = f; bestBin = b - first; bestLeft = dir === 0 ? 1 : 0;
            bestG = gl; bestH = hl;
          }
        }
      }
    }
    results[out] = bestGain; results[out + 1] = bestFeature; results[out + 2] = bestBin;
    results[out + 3] = bestLeft; results[out + 4] = bestG; results[out + 5] = bestH;
  }

  // Stable partition of rows[begin..end) on one column; returns where the right rows start.
  function partition(begin, end, column, leftMax, missing, missingLeft) {
    const nLeft = splitRows(begin, end, column, leftMax, missing, missingLeft);
    for (let i = begin, j = nLeft, stop = begin + end - nLeft; i < stop; i++, j++) rows[j] = scratch[i];
    return nLeft;
  }

  // This engine's share of a node's rows, split by rows (see BoostingEngines.queuePartition):
  // its left rows compacted in place, its right rows at the same offsets in scratch.
  function partitionPart(job) {
    const at = ${JOB_WIDTH} * job, begin = jobs[at], n = jobs[at + 1] - begin;
    const partBegin = begin + Math.floor((me * n) / engineCount), partEnd = begin + Math.floor(((me + 1) * n) / engineCount);
    const nLeft = splitRows(partBegin, partEnd, jobs[at + 2], jobs[at + 3], jobs[at + 4], jobs[at + 5]);
    partLefts[job * engineCount + me] = nLeft - partBegin;
  }

  // Moves the left rows of rows[begin..end) to its front, in order, and the right rows to
  // scratch[begin..], in order; returns where the left rows end. Branch-free: the side is a
  // coin flip per row, and mispredicted branches cost more than writing every row to both
  // places and advancing one cursor.
  function splitRows(begin, end, column, leftMax, missing, missingLeft) {
    const base = column * nRows;
    let nLeft = begin, nRight = begin;
    for (let i = begin; i < end; i++) {
      const r = rows[i], b = columns[base + r];
      const left = (((leftMax - b) >>> 31) ^ 1) | ((((b ^ missing) - 1) >>> 31) & missingLeft);
      rows[nLeft] = r; scratch[nRight] = r;
      nLeft += left; nRight += left ^ 1;
    }
    return nLeft;
  }

  // Adds leaf values to the margins of this engine's share of rowIndex[0..count); leaves
  // holds (begin, end, value) per leaf, in row-index order.
  function addLeaves(nLeaves, count) {
    const partBegin = Math.floor((me * count) / engineCount), partEnd = Math.floor(((me + 1) * count) / engineCount);
    for (let l = 0; l < nLeaves; l++) {
      const begin = Math.max(partBegin, leaves[3 * l]), end = Math.min(partEnd, leaves[3 * l + 1]), value = leaves[3 * l + 2];
      for (let i = begin; i < end; i++) margins[rows[i]] += value;
    }
  }

  // A split owned by this engine: partition the node, build the smaller child into the new
  // slot, turn the parent's slot into the larger child, search both children.
  function splitJob(job, fBegin, fEnd) {
    const at = ${JOB_WIDTH} * job, begin = jobs[at], end = jobs[at + 1];
    const middle = partition(begin, end, jobs[at + 2], jobs[at + 3], jobs[at + 4], jobs[at + 5]);
    jobMiddles[job] = middle;
    const parent = jobs[at + 6], fresh = jobs[at + 7];
    if (fresh < 0) return;
    const leftSmaller = middle - begin <= end - middle;
    build(slots[fresh], leftSmaller ? begin : middle, leftSmaller ? middle : end, fBegin, fEnd);
    subtract(slots[parent], slots[fresh], fBegin, fEnd);
    childFind(jobs[at + 8], leftSmaller ? fresh : parent, middle - begin, fBegin, fEnd);
    childFind(jobs[at + 9], leftSmaller ? parent : fresh, end - middle, fBegin, fEnd);
  }

  function childFind(q, slot, count, fBegin, fEnd) {
    if (q < 0) return;
    const out = q * ${RESULT_WIDTH};
    if (count < 2) {
      results[out] = -Infinity; results[out + 1] = -1;
      return;
    }
    find(slots[slot], findInputs[2 * q], findInputs[2 * q + 1], out, fBegin, fEnd);
  }

  // Per block of rows: metric sum, metric weight, gradient sum, hessian sum (log loss and
  // squared error as XGBoost defines them; the hessian of log loss is floored at 1e-16).
  // The metric only when withLoss (its logarithm is a third of the pass). With resetRows,
  // also puts every row back in the row index, in order, for the next tree.
  function gradients(write, withLoss, resetRows) {
    for (let block = firstBlock; block < endBlock; block++) {
      const begin = block * ${BLOCK_ROWS}, end = Math.min(nRows, begin + ${BLOCK_ROWS});
      let loss = 0, weight = 0, gradSum = 0, hessSum = 0;
      for (let r = begin; r < end; r++) {
        const m = margins[r], y = labels[r], lw = metricWeights[r];
        let g, h;
        if (logistic) {
          const e = Math.exp(-Math.abs(m));
          const p = m >= 0 ? 1 / (1 + e) : e / (1 + e);
          if (withLoss === 1) loss += lw * (Math.max(m, 0) - y * m + Math.log1p(e));
          g = p - y; h = Math.max(p * (1 - p), 1e-16);
        } else {
          g = m - y; h = 1;
          loss += lw * g * g;
        }
        weight += lw;
        if (resetRows === 1) rows[r] = r;
        if (write === 1) {
          const w = gradWeights[r];
          g *= w; h *= w;
          gradHess[2 * r] = g; gradHess[2 * r + 1] = h;
          gradSum += g; hessSum += h;
        }
      }
      blockSums[4 * block] = loss; blockSums[4 * block + 1] = weight;
      blockSums[4 * block + 2] = gradSum; blockSums[4 * block + 3] = hessSum;
    }
  }

  // A command with owner -1 is shared: every engine works on its own features. Otherwise
  // its owner does all features and writes split results to the first result region.
  function run(count) {
    for (let c = 0; c < count; c++) {
      const at = ${COMMAND_WIDTH} * c, op = commands[at], owner = commands[at + 4];
      if (owner !== -1 && owner !== me) continue;
      const fBegin = owner === -1 ? ownBegin : 0, fEnd = owner === -1 ? ownEnd : nCols;
      if (op === ${OP_BUILD}) build(slots[commands[at + 1]], commands[at + 2], commands[at + 3], fBegin, fEnd);
      else if (op === ${OP_SUBTRACT}) subtract(slots[commands[at + 1]], slots[commands[at + 2]], fBegin, fEnd);
      else if (op === ${OP_FIND}) {
        const q = commands[at + 2];
        const out = (owner === -1 ? me * ${FIND_CAPACITY} + q : q) * ${RESULT_WIDTH};
        find(slots[commands[at + 1]], findInputs[2 * q], findInputs[2 * q + 1], out, fBegin, fEnd);
      } else if (op === ${OP_SPLIT}) splitJob(commands[at + 1], fBegin, fEnd);
      else if (op === ${OP_GRADIENTS}) gradients(commands[at + 1], commands[at + 2], commands[at + 3]);
      else if (op === ${OP_PARTITION_PART}) partitionPart(commands[at + 1]);
      else if (op === ${OP_LEAVES}) addLeaves(commands[at + 1], commands[at + 2]);
    }
  }

  return { run: run, addSlab: addSlab, partition: partition };
}
`;

const WORKER_SOURCE = `${ENGINE_SOURCE}
const workerThreads = require('node:worker_threads');
workerThreads.parentPort.once('message', function (init) {
  const control = init.control, port = init.port;
  const DONE = 2 + 2 * init.workerIndex, STATUS = 3 + 2 * init.workerIndex;
  let engine;
  try {
    engine = createBoostingEngine(init);
    Atomics.store(control, STATUS, 1);
  } catch (e) {
    port.postMessage(String((e && e.stack) || e));
    Atomics.store(control, STATUS, 2);
  }
  Atomics.notify(control, STATUS);
  let seen = 0;
  while (engine !== undefined) {
    Atomics.wait(control, 0, seen);
    const seq = Atomics.load(control, 0);
    if (seq === seen) continue;
    if (seq < 0) break;
    seen = seq;
    try {
      // New histogram slabs arrive as messages, posted before the batch that uses them.
      for (let m = workerThreads.receiveMessageOnPort(port); m !== undefined; m = workerThreads.receiveMessageOnPort(port)) {
        engine.addSlab(m.message);
      }
      engine.run(Atomics.load(control, 1));
    } catch (e) {
      port.postMessage(String((e && e.stack) || e));
      Atomics.store(control, STATUS, 2);
    }
    Atomics.store(control, DONE, seq);
    Atomics.notify(control, DONE);
  }
  port.close();
});
`;

interface Engine {
  run(count: number): void;
  addSlab(buffer: SharedArrayBuffer | ArrayBuffer): void;
  partition(begin: number, end: number, column: number, leftMax: number, missing: number, missingLeft: number): number;
}

/** A leaf's rows rowIndex[begin..end) and the value added to their margins. */
export interface LeafRange {
  readonly begin: number;
  readonly end: number;
  readonly value: number;
}

type EngineFactory = (init: EngineInit) => Engine;

interface EngineInit extends EngineData {
  readonly blockSums: Float64Array;
  readonly engineIndex: number;
  readonly engineCount: number;
  readonly commands: Int32Array;
  readonly findInputs: Float64Array;
  readonly results: Float64Array;
  readonly jobs: Int32Array;
  readonly jobMiddles: Int32Array;
  readonly partLefts: Int32Array;
  readonly leaves: Float64Array;
  readonly featureBegin: number;
  readonly featureEnd: number;
}

/** What the engines read. Typed arrays must live on SharedArrayBuffers when threads > 1. */
export interface EngineData {
  readonly objective: Objective;
  /** Current margin of every training row. */
  readonly margins: Float64Array;
  readonly labels: Float64Array;
  /** Sample weights times scalePosWeight on positives: what gradients carry. */
  readonly gradWeights: Float64Array;
  /** Sample weights: what the training metric carries. */
  readonly metricWeights: Float64Array;
  /** Row-major global bin ids (see binning.ts). */
  readonly bins: Uint16Array | Uint32Array;
  /** The same, column-major. */
  readonly columns: Uint16Array | Uint32Array;
  readonly nCols: number;
  readonly binOffset: Int32Array;
  /** Interleaved gradient and hessian per row, written by gradients(). */
  readonly gradHess: Float64Array;
  /** Rows of each node, as contiguous ranges. */
  readonly rowIndex: Uint32Array;
  /** Room for partitioning, as long as rowIndex. */
  readonly scratch: Uint32Array;
  /** 1 for features the current tree may split on. */
  readonly featureActive: Uint8Array;
  readonly lambda: number;
  readonly alpha: number;
  readonly minChildWeight: number;
  /** Most leaves a tree can have (for addLeaves()). */
  readonly maxLeaves: number;
}

/** A node split run whole by one engine; rows with bin <= leftMax go left, missing ones per missingLeft. */
export interface SplitJob {
  readonly begin: number;
  readonly end: number;
  readonly column: number;
  readonly leftMax: number;
  readonly missingBin: number;
  readonly missingLeft: boolean;
  readonly parentSlot: number;
  /** Slot for the smaller child's histogram, or -1 for no histograms. */
  readonly newSlot: number;
  /** Split-search tickets of the children (from reserveFind), or -1. */
  readonly leftTicket: number;
  readonly rightTicket: number;
}

export interface GradientSums {
  /** Sum of metric weight x per-row loss (log loss, or squared error). */
  readonly lossSum: number;
  readonly weightSum: number;
  readonly gradSum: number;
  readonly hessSum: number;
}

export interface SplitCandidate {
  /** Loss reduction; -Infinity when no split is allowed. */
  readonly gain: number;
  readonly feature: number;
  /** Local bin: rows with bin <= this go left. */
  readonly bin: number;
  readonly defaultLeft: boolean;
  readonly gradLeft: number;
  readonly hessLeft: number;
}

let engineFactory: EngineFactory | undefined;

function localEngineFactory(): EngineFactory {
  engineFactory ??= new Function(`${ENGINE_SOURCE}\nreturn createBoostingEngine;`)() as EngineFactory;
  return engineFactory;
}

/**
 * The engines of one training run. Commands queue up and run together on flush(); each is
 * shared by all engines (split by features) or owned by one engine (all features), which
 * lets several nodes of a level be built in parallel. Histogram slots are numbered by the
 * caller through allocateSlot()/releaseSlot().
 */
export class BoostingEngines {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (2 + 2 * MAX_ENGINES)));
  private readonly commands = new Int32Array(new SharedArrayBuffer(4 * COMMAND_WIDTH * COMMAND_CAPACITY));
  private readonly findInputs = new Float64Array(new SharedArrayBuffer(8 * 2 * FIND_CAPACITY));
  private readonly jobs = new Int32Array(new SharedArrayBuffer(4 * JOB_WIDTH * MAX_SPLITS_PER_BATCH));
  private readonly jobMiddles = new Int32Array(new SharedArrayBuffer(4 * MAX_SPLITS_PER_BATCH));
  private nJobs = 0;
  private readonly partLefts: Int32Array;
  private leaves: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private rowIndex: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private scratch: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private readonly results: Float64Array;
  private blockSums: Float64Array = new Float64Array(0);
  private readonly ports: MessagePort[] = [];
  private readonly findOwners = new Int32Array(FIND_CAPACITY);
  private histogramSize = 0;
  private shared = false;
  private readonly workerErrors: string[] = [];
  private local: Engine | undefined;
  private nCommands = 0;
  private nFinds = 0;
  private sequence = 0;
  private nextSlot = 0;
  private readonly freeSlots: number[] = [];
  private readonly releasedInBatch: number[] = [];

  private constructor(
    private readonly nEngines: number,
    private readonly workers: readonly Worker[],
  ) {
    this.results = new Float64Array(new SharedArrayBuffer(8 * RESULT_WIDTH * FIND_CAPACITY * nEngines));
    this.partLefts = new Int32Array(new SharedArrayBuffer(4 * MAX_SPLITS_PER_BATCH * nEngines));
  }

  /**
   * Starts min(nThreads, nCols) engines: worker threads boot while the caller bins the
   * data; attach() hands them the data.
   */
  static start(nThreads: number, nCols: number): BoostingEngines {
    const nEngines = Math.max(1, Math.min(nThreads, nCols, MAX_ENGINES));
    const workers: Worker[] = [];
    for (let w = 1; w < nEngines; w++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      workers.push(worker);
    }
    const engines = new BoostingEngines(nEngines, workers);
    for (const worker of workers) worker.on('error', (error: Error) => engines.workerErrors.push(error.message));
    return engines;
  }

  get threads(): number {
    return this.nEngines;
  }

  attach(data: EngineData): void {
    const nBlocks = Math.ceil(data.labels.length / BLOCK_ROWS);
    this.blockSums = new Float64Array(new SharedArrayBuffer(8 * 4 * nBlocks));
    this.histogramSize = 2 * data.binOffset[data.nCols];
    this.shared = this.workers.length > 0;
    this.rowIndex = data.rowIndex;
    this.scratch = data.scratch;
    this.leaves = new Float64Array(this.shared ? new SharedArrayBuffer(8 * 3 * data.maxLeaves) : new ArrayBuffer(8 * 3 * data.maxLeaves));
    const init = (e: number): EngineInit => ({
      ...data,
      blockSums: this.blockSums,
      engineIndex: e,
      engineCount: this.nEngines,
      commands: this.commands,
      findInputs: this.findInputs,
      results: this.results,
      jobs: this.jobs,
      jobMiddles: this.jobMiddles,
      partLefts: this.partLefts,
      leaves: this.leaves,
      featureBegin: Math.floor((e * data.nCols) / this.nEngines),
      featureEnd: Math.floor(((e + 1) * data.nCols) / this.nEngines),
    });
    this.workers.forEach((worker, w) => {
      const channel = new MessageChannel();
      this.ports.push(channel.port1);
      worker.postMessage({ ...init(w + 1), control: this.control, workerIndex: w, port: channel.port2 }, [channel.port2]);
    });
    this.local = localEngineFactory()(init(0));
    this.workers.forEach((_, w) => this.waitWhile(3 + 2 * w, 0, `boosting worker ${w + 1} did not start`));
    this.throwWorkerErrors();
  }

  allocateSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.nextSlot % SLOTS_PER_SLAB === 0) this.addSlab();
    return this.nextSlot++;
  }

  private addSlab(): void {
    const bytes = 8 * this.histogramSize * SLOTS_PER_SLAB;
    const slab = this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    this.local?.addSlab(slab);
    for (const port of this.ports) port.postMessage(slab);
  }

  /** Frees a slot; with commands queued, only after they ran (an engine may still be reading it). */
  releaseSlot(slot: number): void {
    if (this.nCommands === 0) this.freeSlots.push(slot);
    else this.releasedInBatch.push(slot);
  }

  /** Histogram of the rows rowIndex[begin..end) into slot; owner -1 shares it by features. */
  build(slot: number, begin: number, end: number, owner = -1): void {
    this.push(OP_BUILD, slot, begin, end, owner);
  }

  /** slot -= other (the larger child from its parent and its smaller sibling). */
  subtract(slot: number, other: number, owner = -1): void {
    this.push(OP_SUBTRACT, slot, other, 0, owner);
  }

  /** Queues a split search on a node with gradient sum G and hessian sum H; returns its ticket. */
  find(slot: number, gradSum: number, hessSum: number, owner = -1): number {
    const ticket = this.reserveFind(gradSum, hessSum, owner);
    this.push(OP_FIND, slot, ticket, 0, owner);
    return ticket;
  }

  /** A ticket for a split search that a split job runs. */
  reserveFind(gradSum: number, hessSum: number, owner: number): number {
    if (this.nFinds === FIND_CAPACITY) throw new RangeError(`more than ${FIND_CAPACITY} split searches in one batch`);
    const ticket = this.nFinds++;
    this.findInputs[2 * ticket] = gradSum;
    this.findInputs[2 * ticket + 1] = hessSum;
    this.findOwners[ticket] = owner;
    return ticket;
  }

  /** Queues a split job on one engine; returns its number for jobMiddle() after the flush. */
  splitJob(job: SplitJob, owner: number): number {
    const index = this.addJob([job.begin, job.end, job.column, job.leftMax, job.missingBin, job.missingLeft ? 1 : 0, job.parentSlot, job.newSlot, job.leftTicket, job.rightTicket]);
    this.push(OP_SPLIT, index, 0, 0, owner);
    return index;
  }

  /** Where a split job's right rows start (valid after the flush). */
  jobMiddle(index: number): number {
    return this.jobMiddles[index];
  }

  /**
   * Queues the partition of rowIndex[begin..end) (see SplitJob) split by rows over all the
   * engines; returns its number for finishPartition() after the flush.
   */
  queuePartition(begin: number, end: number, column: number, leftMax: number, missingBin: number, missingLeft: boolean): number {
    const index = this.addJob([begin, end, column, leftMax, missingBin, missingLeft ? 1 : 0]);
    this.push(OP_PARTITION_PART, index, 0, 0, -1);
    return index;
  }

  /**
   * After the flush, joins the engines' parts of a queued partition into one stable
   * partition (the left rows of every part in order, then the right rows); returns where the
   * right rows start.
   */
  finishPartition(index: number): number {
    const at = JOB_WIDTH * index;
    const begin = this.jobs[at];
    const n = this.jobs[at + 1] - begin;
    const rows = this.rowIndex;
    const partBegin = (e: number): number => begin + Math.floor((e * n) / this.nEngines);
    let to = begin;
    for (let e = 0; e < this.nEngines; e++) {
      const from = partBegin(e);
      const nLeft = this.partLefts[index * this.nEngines + e];
      if (from !== to) rows.copyWithin(to, from, from + nLeft);
      to += nLeft;
    }
    const middle = to;
    for (let e = 0; e < this.nEngines; e++) {
      const from = partBegin(e);
      const nRight = partBegin(e + 1) - from - this.partLefts[index * this.nEngines + e];
      rows.set(this.scratch.subarray(from, from + nRight), to);
      to += nRight;
    }
    return middle;
  }

  /** Adds each leaf's value to the margins of its rows, rowIndex[0..count) shared by all engines; runs queued commands first. */
  addLeaves(leaves: readonly LeafRange[], count: number): void {
    if (leaves.length * 3 > this.leaves.length) throw new RangeError(`more than ${this.leaves.length / 3} leaves in one tree`);
    leaves.forEach((leaf, l) => {
      this.leaves[3 * l] = leaf.begin;
      this.leaves[3 * l + 1] = leaf.end;
      this.leaves[3 * l + 2] = leaf.value;
    });
    this.push(OP_LEAVES, leaves.length, count, 0, -1);
    this.flush();
  }

  /** Partitions rowIndex[begin..end) now, on the calling thread (see SplitJob); returns where the right rows start. */
  partition(begin: number, end: number, column: number, leftMax: number, missingBin: number, missingLeft: boolean): number {
    return this.engine().partition(begin, end, column, leftMax, missingBin, missingLeft ? 1 : 0);
  }

  /** Runs the queued commands on every engine and waits for all of them. */
  flush(): void {
    const local = this.engine();
    const count = this.nCommands;
    if (this.workers.length > 0) {
      this.sequence++;
      Atomics.store(this.control, 1, count);
      Atomics.store(this.control, 0, this.sequence);
      Atomics.notify(this.control, 0);
    }
    local.run(count);
    this.workers.forEach((_, w) => this.waitUntil(2 + 2 * w, this.sequence, `boosting worker ${w + 1} did not answer`));
    this.throwWorkerErrors();
    this.nCommands = 0;
    this.nFinds = 0;
    this.nJobs = 0;
    this.freeSlots.push(...this.releasedInBatch);
    this.releasedInBatch.length = 0;
  }

  /**
   * Runs queued commands, then computes at the current margins, when `withLoss`, the training
   * metric's sums (lossSum is 0 otherwise) and, when `write`, every row's gradient and
   * hessian with their sums. With `resetRows`, rowIndex becomes 0, 1, ..., nRows - 1.
   */
  gradients(write: boolean, withLoss: boolean, resetRows = false): GradientSums {
    this.push(OP_GRADIENTS, write ? 1 : 0, withLoss ? 1 : 0, resetRows ? 1 : 0, -1);
    this.flush();
    const b = this.blockSums;
    let lossSum = 0;
    let weightSum = 0;
    let gradSum = 0;
    let hessSum = 0;
    for (let i = 0; i < b.length; i += 4) {
      lossSum += b[i];
      weightSum += b[i + 1];
      gradSum += b[i + 2];
      hessSum += b[i + 3];
    }
    return { lossSum, weightSum, gradSum, hessSum };
  }

  /** The best split of a search from the last flush (a shared search merged across engines in feature order). */
  candidate(ticket: number): SplitCandidate {
    let at = ticket * RESULT_WIDTH;
    for (let e = 1; e < this.nEngines && this.findOwners[ticket] === -1; e++) {
      const other = e * RESULT_WIDTH * FIND_CAPACITY + ticket * RESULT_WIDTH;
      if (this.results[other] > this.results[at]) at = other;
    }
    const r = this.results;
    return { gain: r[at], feature: r[at + 1], bin: r[at + 2], defaultLeft: r[at + 3] === 1, gradLeft: r[at + 4], hessLeft: r[at + 5] };
  }

  async close(): Promise<void> {
    Atomics.store(this.control, 0, -1);
    Atomics.notify(this.control, 0);
    for (const port of this.ports) port.close();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private engine(): Engine {
    if (this.local === undefined) throw new Error('BoostingEngines.attach() must run first');
    return this.local;
  }

  /** Stores a job's ints (see JOB_WIDTH) for this batch; returns its number. */
  private addJob(values: readonly number[]): number {
    if (this.nJobs === MAX_SPLITS_PER_BATCH) throw new RangeError(`more than ${MAX_SPLITS_PER_BATCH} split jobs in one batch`);
    const index = this.nJobs++;
    this.jobs.set(values, JOB_WIDTH * index);
    return index;
  }

  private push(op: number, a: number, b: number, c: number, owner: number): void {
    if (this.nCommands === COMMAND_CAPACITY) throw new RangeError(`more than ${COMMAND_CAPACITY} engine commands in one batch`);
    const at = COMMAND_WIDTH * this.nCommands++;
    this.commands[at] = op;
    this.commands[at + 1] = a;
    this.commands[at + 2] = b;
    this.commands[at + 3] = c;
    this.commands[at + 4] = owner;
  }

  private waitUntil(index: number, value: number, timeoutMessage: string): void {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (let seen = Atomics.load(this.control, index); seen !== value; seen = Atomics.load(this.control, index)) {
      if (Date.now() > deadline) throw new Error(`${timeoutMessage} within ${WORKER_TIMEOUT_MS} ms`);
      Atomics.wait(this.control, index, seen, 1000);
    }
  }

  private waitWhile(index: number, value: number, timeoutMessage: string): void {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    while (Atomics.load(this.control, index) === value) {
      if (Date.now() > deadline) throw new Error(`${timeoutMessage} within ${WORKER_TIMEOUT_MS} ms`);
      Atomics.wait(this.control, index, value, 1000);
    }
  }

  private throwWorkerErrors(): void {
    this.workers.forEach((_, w) => {
      if (Atomics.load(this.control, 3 + 2 * w) !== 2) return;
      const message = receiveMessageOnPort(this.ports[w])?.message;
      throw new Error(`boosting worker ${w + 1} failed: ${String(message ?? this.workerErrors.join('; '))}`);
    });
  }
}
