/**
 * Training speed and quality of the embedded GBDT trainer against XGBoost 1.7 (hist).
 *
 * Data: bench/make-classification.ts (seed 42), 100,000 training rows + 20,000 holdout rows,
 * 30 features.
 *
 * Both trainers: binary:logistic, 100 trees, depth 6, eta 0.1, 256 bins, 2 threads, the
 * same base score. Times cover binning + training (XGBoost: DMatrix + train). Holdout AUC
 * is computed here from both models' margins. Targets: time <= 1.5x XGBoost, AUC within 0.002.
 * XGBoost runs only when `/usr/bin/python3 -c "import xgboost"` works. Each run also prints
 * its process CPU time (all threads): on a shared machine wall times swing with the load,
 * and an OpenMP trainer's far more than ours, so CPU time tells how much work each did.
 *
 * Run: npx tsx bench/train.ts [--rows 100000] [--repeat 3] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { auc } from '../lambdas/core/ml/metrics';
import type { FeatureSpec } from '../lambdas/core/ml/model';
import { predictBatch } from '../lambdas/core/ml/predict';
import { trainGbdt } from '../lambdas/core/ml/trainer';
import { type Dataset, FEATURES, makeClassification } from './make-classification';

const HOLDOUT = 20_000;
const TREES = 100;
const DEPTH = 6;
const ETA = 0.1;
const MAX_BIN = 256;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

const XGBOOST_SCRIPT = `
import sys, time, json
import numpy as np
import xgboost as xgb
d, rows, holdout, cols, repeat, threads, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
X = np.fromfile(d + '/train.f32', dtype=np.float32).reshape(rows, cols)
y = np.fromfile(d + '/train.label', dtype=np.float64)
H = np.fromfile(d + '/holdout.f32', dtype=np.float32).reshape(holdout, cols)
params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': ${DEPTH}, 'eta': ${ETA}, 'max_bin': ${MAX_BIN},
          'nthread': threads, 'base_score': base, 'eval_metric': 'logloss'}
times = []
cpu = []
for _ in range(repeat):
    t = time.perf_counter()
    c = time.process_time()
    booster = xgb.train(params, xgb.DMatrix(X, label=y, nthread=threads), num_boost_round=${TREES})
    times.append((time.perf_counter() - t) * 1000)
    cpu.append((time.process_time() - c) * 1000)
booster.predict(xgb.DMatrix(H, nthread=threads), output_margin=True).astype(np.float64).tofile(d + '/xgb.margin')
print(json.dumps({'version': xgb.__version__, 'times': times, 'cpu': cpu}))
`;

interface XgboostFigures {
  readonly version: string;
  readonly times: number[];
  /** Process CPU time of each run (all threads), ms. */
  readonly cpu: number[];
  readonly auc: number;
}

function runXgboost(train: Dataset, holdout: Dataset, rows: number, repeat: number, threads: number, baseScore: number): XgboostFigures | undefined {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import xgboost'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
  try {
    writeFileSync(join(dir, 'train.f32'), train.values);
    writeFileSync(join(dir, 'train.label'), train.labels);
    writeFileSync(join(dir, 'holdout.f32'), holdout.values);
    const args = ['-c', XGBOOST_SCRIPT, dir, String(rows), String(HOLDOUT), String(FEATURES), String(repeat), String(threads), String(baseScore)];
    const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`XGBoost run failed: ${run.stderr}`);
    const { version, times, cpu } = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { version: string; times: number[]; cpu: number[] };
    const bytes = readFileSync(join(dir, 'xgb.margin'));
    const margins = new Float64Array(bytes.buffer, bytes.byteOffset, HOLDOUT);
    return { version, times, cpu, auc: auc(holdout.labels, margins) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = argument('rows', 100_000);
  const repeat = argument('repeat', 3);
  const threads = argument('threads', 2);
  const all = makeClassification(rows + HOLDOUT, 42);
  const train: Dataset = { values: all.values.subarray(0, rows * FEATURES), labels: all.labels.subarray(0, rows) };
  const holdout: Dataset = { values: all.values.slice(rows * FEATURES), labels: all.labels.slice(rows) };
  const featureSpecs: FeatureSpec[] = Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, column: `f${i}`, type: 'float' }));
  const positiveRate = train.labels.reduce((s, y) => s + y, 0) / rows;
  console.log(`data: ${rows} x ${FEATURES} train, ${HOLDOUT} holdout, positive rate ${positiveRate.toFixed(4)}`);
  console.log(`params: ${TREES} trees, depth ${DEPTH}, eta ${ETA}, ${MAX_BIN} bins, ${threads} threads`);
  console.log(`machine: ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)} (1 min) at start`);

  const ours: number[] = [];
  const oursCpu: number[] = [];
  let ourAuc = NaN;
  let binningMs = NaN;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const { model, report } = await trainGbdt(
      { objective: 'binary:logistic', features: { values: train.values, nRows: rows, nCols: FEATURES }, labels: train.labels, featureSpecs },
      { nEstimators: TREES, maxDepth: DEPTH, learningRate: ETA, maxBin: MAX_BIN, nThreads: threads, baseScore: positiveRate },
    );
    ours.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    oursCpu.push((cpu.user + cpu.system) / 1000);
    binningMs = report.binningMs;
    ourAuc = auc(holdout.labels, predictBatch(model, holdout.values, HOLDOUT).margins);
    console.log(`ours run ${i + 1}: ${ours[i].toFixed(0)} ms (binning ${binningMs.toFixed(0)} ms), CPU ${oursCpu[i].toFixed(0)} ms, holdout AUC ${ourAuc.toFixed(5)}`);
  }

  const xgb = runXgboost(train, holdout, rows, repeat, threads, positiveRate);
  if (xgb) {
    xgb.times.forEach((t, i) => console.log(`XGBoost ${xgb.version} run ${i + 1}: ${t.toFixed(0)} ms, CPU ${xgb.cpu[i].toFixed(0)} ms`));
    console.log(`XGBoost holdout AUC ${xgb.auc.toFixed(5)}`);
  } else {
    console.log('XGBoost: not available (/usr/bin/python3 -c "import xgboost" failed)');
  }
  const best = Math.min(...ours);
  const typical = median(ours);
  console.log(`ours: best ${best.toFixed(0)} ms, median ${typical.toFixed(0)} ms, median CPU ${median(oursCpu).toFixed(0)} ms, AUC ${ourAuc.toFixed(5)}`);
  const figures: Record<string, unknown> = {
    bench: 'train',
    rows,
    cols: FEATURES,
    trees: TREES,
    depth: DEPTH,
    eta: ETA,
    threads,
    oursBestMs: Math.round(best),
    oursMedianMs: Math.round(typical),
    oursBinningMs: Math.round(binningMs),
    oursMedianCpuMs: Math.round(median(oursCpu)),
    oursAuc: Number(ourAuc.toFixed(5)),
  };
  if (xgb) {
    const xgbBest = Math.min(...xgb.times);
    const xgbTypical = median(xgb.times);
    const ratioBest = best / xgbBest;
    const ratioMedian = typical / xgbTypical;
    const gap = ourAuc - xgb.auc;
    console.log(`XGBoost: best ${xgbBest.toFixed(0)} ms, median ${xgbTypical.toFixed(0)} ms, median CPU ${median(xgb.cpu).toFixed(0)} ms, AUC ${xgb.auc.toFixed(5)}`);
    console.log(`time ratio ours/XGBoost: best ${ratioBest.toFixed(2)}, median ${ratioMedian.toFixed(2)} (target <= 1.5)`);
    console.log(`AUC gap ours - XGBoost: ${gap.toFixed(5)} (target |gap| <= 0.002)`);
    Object.assign(figures, {
      xgboostVersion: xgb.version,
      xgboostBestMs: Math.round(xgbBest),
      xgboostMedianMs: Math.round(xgbTypical),
      xgboostMedianCpuMs: Math.round(median(xgb.cpu)),
      xgboostAuc: Number(xgb.auc.toFixed(5)),
      timeRatioBest: Number(ratioBest.toFixed(3)),
      timeRatioMedian: Number(ratioMedian.toFixed(3)),
      aucGap: Number(gap.toFixed(5)),
    });
  }
  console.log(JSON.stringify(figures));
}

void main();
