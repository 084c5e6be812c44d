/**
 * Gradient histograms and split search, split by features across threads.
 *
 * Each engine owns a contiguous range of features: it builds, subtracts and searches the
 * histograms of its features only, in row order, so every histogram bin and every split
 * candidate is the same number whichever engine computes it. Results are merged in feature
 * order, which makes a model bit-identical for any thread count. The calling thread is
 * engine 0; the others are worker threads that share the bins, gradients and row index
 * through SharedArrayBuffers and wait on Atomics between batches of commands.
 *
 * The engine is plain JavaScript in a string, compiled with `new Function` in the calling
 * thread and run with `eval: true` in workers: one implementation, no TypeScript loader
 * needed in the worker (tsx, ts-jest and bundles all work).
 */
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';

const ENGINE_SOURCE = String.raw`
'use strict';
function createHistogramEngine(init) {
  const bins = init.bins, nCols = init.nCols, binOffset = init.binOffset;
  const gradHess = init.gradHess, rows = init.rowIndex, active = init.featureActive;
  const commands = init.commands, findInputs = init.findInputs, results = init.results;
  const resultBase = init.resultOffset, fBegin = init.featureBegin, fEnd = init.featureEnd;
  const lambda = init.lambda, alpha = init.alpha, minChildWeight = init.minChildWeight;
  const lo = 2 * binOffset[fBegin], hi = 2 * binOffset[fEnd], size = 2 * binOffset[nCols];
  const width = fEnd - fBegin;
  const slots = [];

  function slot(id) {
    let hist = slots[id];
    if (hist === undefined) {
      hist = new Float64Array(size);
      slots[id] = hist;
    }
    return hist;
  }

  function build(hist, begin, end) {
    hist.fill(0, lo, hi);
    for (let i = begin; i < end; i++) {
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

  function subtract(into, other) {
    for (let k = lo; k < hi; k++) into[k] -= other[k];
  }

  function score(g, h) {
    const t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
    return t * t / (h + lambda);
  }

  // Best split over this engine's active features. Missing rows go left first, then right
  // (only when the node has missing rows); ties keep the first candidate found.
  function find(hist, G, H, out) {
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

  function run(count) {
    for (let c = 0; c < count; c++) {
      const at = 4 * c, op = commands[at];
      if (op === 1) build(slot(commands[at + 1]), commands[at + 2], commands[at + 3]);
      else if (op === 2) subtract(slot(commands[at + 1]), slot(commands[at + 2]));
      else if (op === 3) {
        const q = commands[at + 2];
        find(slot(commands[at + 1]), findInputs[2 * q], findInputs[2 * q + 1], resultBase + 6 * q);
      }
    }
  }

  return { run: run };
}
`;

const WORKER_SOURCE = `${ENGINE_SOURCE}
const workerThreads = require('node:worker_threads');
workerThreads.parentPort.once('message', function (init) {
  const control = init.control, errors = init.errorPort;
  const DONE = 2 + 2 * init.workerIndex, STATUS = 3 + 2 * init.workerIndex;
  let engine;
  try {
    engine = createHistogramEngine(init);
    Atomics.store(control, STATUS, 1);
  } catch (e) {
    errors.postMessage(String((e && e.stack) || e));
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
      engine.run(Atomics.load(control, 1));
    } catch (e) {
      errors.postMessage(String((e && e.stack) || e));
      Atomics.store(control, STATUS, 2);
    }
    Atomics.store(control, DONE, seq);
    Atomics.notify(control, DONE);
  }
  errors.close();
});
`;

interface Engine {
  run(count: number): void;
}

type EngineFactory = (init: EngineInit) => Engine;

interface EngineInit extends HistogramData {
  readonly commands: Int32Array;
  readonly findInputs: Float64Array;
  readonly results: Float64Array;
  readonly resultOffset: number;
  readonly featureBegin: number;
  readonly featureEnd: number;
}

/** What the engines read. Typed arrays must live on SharedArrayBuffers when threads > 1. */
export interface HistogramData {
  /** Row-major global bin ids (see binning.ts). */
  readonly bins: Uint16Array | Uint32Array;
  readonly nCols: number;
  readonly binOffset: Int32Array;
  /** Interleaved gradient and hessian per row. */
  readonly gradHess: Float64Array;
  /** Rows of each node, as contiguous ranges. */
  readonly rowIndex: Uint32Array;
  /** 1 for features the current tree may split on. */
  readonly featureActive: Uint8Array;
  readonly lambda: number;
  readonly alpha: number;
  readonly minChildWeight: number;
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

/** Most split nodes a caller may put in one batch (each takes up to 4 commands and 2 finds). */
export const MAX_SPLITS_PER_BATCH = 1024;
const COMMAND_CAPACITY = 4 * MAX_SPLITS_PER_BATCH;
const FIND_CAPACITY = 2 * MAX_SPLITS_PER_BATCH;
const RESULT_WIDTH = 6;
const WORKER_TIMEOUT_MS = 120_000;
const OP_BUILD = 1;
const OP_SUBTRACT = 2;
const OP_FIND = 3;

let engineFactory: EngineFactory | undefined;

function localEngineFactory(): EngineFactory {
  engineFactory ??= new Function(`${ENGINE_SOURCE}\nreturn createHistogramEngine;`)() as EngineFactory;
  return engineFactory;
}

/**
 * Histogram engines for one training run. Commands queue up and run together on flush();
 * histogram slots are numbered by the caller through allocateSlot()/releaseSlot().
 */
export class HistogramEngines {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (2 + 2 * 64)));
  private readonly commands = new Int32Array(new SharedArrayBuffer(4 * 4 * COMMAND_CAPACITY));
  private readonly findInputs = new Float64Array(new SharedArrayBuffer(8 * 2 * FIND_CAPACITY));
  private readonly results: Float64Array;
  private readonly errorPorts: MessagePort[] = [];
  private readonly workerErrors: string[] = [];
  private local: Engine | undefined;
  private nCommands = 0;
  private nFinds = 0;
  private sequence = 0;
  private nextSlot = 0;
  private readonly freeSlots: number[] = [];

  private constructor(
    private readonly nEngines: number,
    private readonly workers: readonly Worker[],
  ) {
    this.results = new Float64Array(new SharedArrayBuffer(8 * RESULT_WIDTH * FIND_CAPACITY * nEngines));
  }

  /**
   * Starts min(nThreads, nCols) engines: worker threads boot while the caller bins the
   * data; attach() hands them the data.
   */
  static start(nThreads: number, nCols: number): HistogramEngines {
    const nEngines = Math.max(1, Math.min(nThreads, nCols, 64));
    const workers: Worker[] = [];
    for (let w = 1; w < nEngines; w++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      workers.push(worker);
    }
    const engines = new HistogramEngines(nEngines, workers);
    for (const worker of workers) worker.on('error', (error: Error) => engines.workerErrors.push(error.message));
    return engines;
  }

  get threads(): number {
    return this.nEngines;
  }

  attach(data: HistogramData): void {
    const init = (e: number): EngineInit => ({
      ...data,
      commands: this.commands,
      findInputs: this.findInputs,
      results: this.results,
      resultOffset: e * RESULT_WIDTH * FIND_CAPACITY,
      featureBegin: Math.floor((e * data.nCols) / this.nEngines),
      featureEnd: Math.floor(((e + 1) * data.nCols) / this.nEngines),
    });
    this.workers.forEach((worker, w) => {
      const channel = new MessageChannel();
      this.errorPorts.push(channel.port1);
      worker.postMessage({ ...init(w + 1), control: this.control, workerIndex: w, errorPort: channel.port2 }, [channel.port2]);
    });
    this.local = localEngineFactory()(init(0));
    this.workers.forEach((_, w) => this.waitWhile(3 + 2 * w, 0, `histogram worker ${w + 1} did not start`));
    this.throwWorkerErrors();
  }

  allocateSlot(): number {
    return this.freeSlots.pop() ?? this.nextSlot++;
  }

  releaseSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  /** Histogram of the rows rowIndex[begin..end) into slot. */
  build(slot: number, begin: number, end: number): void {
    this.push(OP_BUILD, slot, begin, end);
  }

  /** slot -= other (the larger child from its parent and its smaller sibling). */
  subtract(slot: number, other: number): void {
    this.push(OP_SUBTRACT, slot, other, 0);
  }

  /** Queues a split search on a node with gradient sum G and hessian sum H; returns its ticket. */
  find(slot: number, gradSum: number, hessSum: number): number {
    if (this.nFinds === FIND_CAPACITY) throw new RangeError(`more than ${FIND_CAPACITY} split searches in one batch`);
    const ticket = this.nFinds++;
    this.findInputs[2 * ticket] = gradSum;
    this.findInputs[2 * ticket + 1] = hessSum;
    this.push(OP_FIND, slot, ticket, 0);
    return ticket;
  }

  /** Runs the queued commands on every engine and waits for all of them. */
  flush(): void {
    const local = this.local;
    if (local === undefined) throw new Error('HistogramEngines.attach() must run before flush()');
    const count = this.nCommands;
    if (this.workers.length > 0) {
      this.sequence++;
      Atomics.store(this.control, 1, count);
      Atomics.store(this.control, 0, this.sequence);
      Atomics.notify(this.control, 0);
    }
    local.run(count);
    this.workers.forEach((_, w) => this.waitUntil(2 + 2 * w, this.sequence, `histogram worker ${w + 1} did not answer`));
    this.throwWorkerErrors();
    this.nCommands = 0;
    this.nFinds = 0;
  }

  /** The best split of a search from the last flush, merged across engines in feature order. */
  candidate(ticket: number): SplitCandidate {
    let at = ticket * RESULT_WIDTH;
    for (let e = 1; e < this.nEngines; e++) {
      const other = e * RESULT_WIDTH * FIND_CAPACITY + ticket * RESULT_WIDTH;
      if (this.results[other] > this.results[at]) at = other;
    }
    const r = this.results;
    return { gain: r[at], feature: r[at + 1], bin: r[at + 2], defaultLeft: r[at + 3] === 1, gradLeft: r[at + 4], hessLeft: r[at + 5] };
  }

  async close(): Promise<void> {
    Atomics.store(this.control, 0, -1);
    Atomics.notify(this.control, 0);
    for (const port of this.errorPorts) port.close();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private push(op: number, a: number, b: number, c: number): void {
    if (this.nCommands === COMMAND_CAPACITY) throw new RangeError(`more than ${COMMAND_CAPACITY} histogram commands in one batch`);
    const at = 4 * this.nCommands++;
    this.commands[at] = op;
    this.commands[at + 1] = a;
    this.commands[at + 2] = b;
    this.commands[at + 3] = c;
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
      const message = receiveMessageOnPort(this.errorPorts[w])?.message;
      throw new Error(`histogram worker ${w + 1} failed: ${String(message ?? this.workerErrors.join('; '))}`);
    });
  }
}
