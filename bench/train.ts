/**
 * Training speed and quality of the embedded GBDT trainer against XGBoost 1.7 (hist).
 *
 * Data: bench/make-classification.ts (seed 42), 100,000 training rows + 20,000 holdout rows,
 * 30 features.
 *
 * Both trainers: binary:logistic, 100 trees, depth 6, eta 0.1, 256 bins, 2 threads, the
 * same base score. Times cover binning + training (XGBoost: DMatrix + train). Holdout AUC
 * is computed here from both models' margins. Targets: time <= 1.5x XGBoost, AUC within 0.002.
 *
 * Two like-for-like pairs: without a training metric (ours with `trainingLoss: false`,
 * XGBoost with no evals: the pair the target is read on), and with the training log loss
 * computed every round (our default, which the pipeline's training history shows; XGBoost
 * with `evals=[(dtrain, 'train')]`). The host's speed drifts over tens of seconds, so each
 * repetition runs ours and then XGBoost (a fresh process, data loaded untimed) back to back,
 * and the ratio reported is the median of the repetitions' ratios.
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
runs = {'none': {'times': [], 'cpu': []}, 'train': {'times': [], 'cpu': []}}
for _ in range(repeat):
    for mode in ('none', 'train'):
        t = time.perf_counter()
        c = time.process_time()
        dtrain = xgb.DMatrix(X, label=y, nthread=threads)
        booster = xgb.train(params, dtrain, num_boost_round=${TREES}, evals=[(dtrain, 'train')] if mode == 'train' else [], verbose_eval=False)
        runs[mode]['times'].append((time.perf_counter() - t) * 1000)
        runs[mode]['cpu'].append((time.process_time() - c) * 1000)
booster.predict(xgb.DMatrix(H, nthread=threads), output_margin=True).astype(np.float64).tofile(d + '/xgb.margin')
print(json.dumps({'version': xgb.__version__, 'runs': runs}))
`;

type Mode = 'none' | 'train';
const MODES: readonly Mode[] = ['none', 'train'];
const MODE_TEXT: Record<Mode, { ours: string; xgboost: string }> = {
  none: { ours: 'no training metric', xgboost: 'no evals' },
  train: { ours: 'training log loss every round (default)', xgboost: "evals=[(dtrain, 'train')]" },
};

interface Runs {
  readonly times: number[];
  /** Process CPU time of each run (all threads), ms. */
  readonly cpu: number[];
}

/** XGBoost in a Python process per call (one run of each mode); the data files are written once. */
class XgboostRunner {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
  version = '';

  constructor(
    train: Dataset,
    holdout: Dataset,
    private readonly rows: number,
    private readonly threads: number,
    private readonly baseScore: number,
  ) {
    writeFileSync(join(this.dir, 'train.f32'), train.values);
    writeFileSync(join(this.dir, 'train.label'), train.labels);
    writeFileSync(join(this.dir, 'holdout.f32'), holdout.values);
  }

  static available(): boolean {
    return spawnSync('/usr/bin/python3', ['-c', 'import xgboost'], { encoding: 'utf8' }).status === 0;
  }

  run(): Record<Mode, Runs> {
    const args = ['-c', XGBOOST_SCRIPT, this.dir, String(this.rows), String(HOLDOUT), String(FEATURES), '1', String(this.threads), String(this.baseScore)];
    const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`XGBoost run failed: ${run.stderr}`);
    const { version, runs } = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { version: string; runs: Record<Mode, Runs> };
    this.version = version;
    return runs;
  }

  /** Holdout AUC of the last run's model. */
  auc(holdout: Dataset): number {
    const bytes = readFileSync(join(this.dir, 'xgb.margin'));
    return auc(holdout.labels, new Float64Array(bytes.buffer, bytes.byteOffset, HOLDOUT));
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
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

  const ours: Record<Mode, Runs> = { none: { times: [], cpu: [] }, train: { times: [], cpu: [] } };
  const theirs: Record<Mode, Runs> = { none: { times: [], cpu: [] }, train: { times: [], cpu: [] } };
  const xgb = XgboostRunner.available() ? new XgboostRunner(train, holdout, rows, threads, positiveRate) : undefined;
  if (!xgb) console.log('XGBoost: not available (/usr/bin/python3 -c "import xgboost" failed)');
  let ourAuc = NaN;
  let binningMs = NaN;
  for (let i = 0; i < repeat; i++) {
    for (const mode of MODES) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const { model, report } = await trainGbdt(
        { objective: 'binary:logistic', features: { values: train.values, nRows: rows, nCols: FEATURES }, labels: train.labels, featureSpecs },
        { nEstimators: TREES, maxDepth: DEPTH, learningRate: ETA, maxBin: MAX_BIN, nThreads: threads, baseScore: positiveRate },
        { trainingLoss: mode === 'train' },
      );
      const ms = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      ours[mode].times.push(ms);
      ours[mode].cpu.push((cpu.user + cpu.system) / 1000);
      binningMs = report.binningMs;
      ourAuc = auc(holdout.labels, predictBatch(model, holdout.values, HOLDOUT).margins);
      console.log(`ours run ${i + 1}, ${MODE_TEXT[mode].ours}: ${ms.toFixed(0)} ms (binning ${binningMs.toFixed(0)} ms), CPU ${ours[mode].cpu[i].toFixed(0)} ms, holdout AUC ${ourAuc.toFixed(5)}`);
    }
    if (!xgb) continue;
    const runs = xgb.run();
    for (const mode of MODES) {
      theirs[mode].times.push(runs[mode].times[0]);
      theirs[mode].cpu.push(runs[mode].cpu[0]);
      console.log(`XGBoost ${xgb.version} run ${i + 1}, ${MODE_TEXT[mode].xgboost}: ${runs[mode].times[0].toFixed(0)} ms, CPU ${runs[mode].cpu[0].toFixed(0)} ms`);
    }
  }
  const xgbAuc = xgb?.auc(holdout);
  xgb?.close();
  const figures: Record<string, unknown> = { bench: 'train', rows, cols: FEATURES, trees: TREES, depth: DEPTH, eta: ETA, threads, oursBinningMs: Math.round(binningMs), oursAuc: Number(ourAuc.toFixed(5)) };
  for (const mode of MODES) {
    const key = mode === 'none' ? 'NoMetric' : 'TrainMetric';
    const mine = ours[mode];
    console.log(`ours, ${MODE_TEXT[mode].ours}: best ${Math.min(...mine.times).toFixed(0)} ms, median ${median(mine.times).toFixed(0)} ms, median CPU ${median(mine.cpu).toFixed(0)} ms`);
    Object.assign(figures, { [`ours${key}BestMs`]: Math.round(Math.min(...mine.times)), [`ours${key}MedianMs`]: Math.round(median(mine.times)), [`ours${key}MedianCpuMs`]: Math.round(median(mine.cpu)) });
    if (!xgb) continue;
    const other = theirs[mode];
    const ratios = mine.times.map((t, i) => t / other.times[i]);
    const ratioBest = Math.min(...mine.times) / Math.min(...other.times);
    const ratioMedian = median(ratios);
    console.log(`XGBoost, ${MODE_TEXT[mode].xgboost}: best ${Math.min(...other.times).toFixed(0)} ms, median ${median(other.times).toFixed(0)} ms, median CPU ${median(other.cpu).toFixed(0)} ms`);
    console.log(
      `time ratio ours/XGBoost, ${mode === 'none' ? 'neither computing a training metric' : 'both computing the training log loss'}: per repetition ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${ratioMedian.toFixed(2)}, best/best ${ratioBest.toFixed(2)} (target <= 1.5)`,
    );
    Object.assign(figures, {
      [`xgboost${key}BestMs`]: Math.round(Math.min(...other.times)),
      [`xgboost${key}MedianMs`]: Math.round(median(other.times)),
      [`xgboost${key}MedianCpuMs`]: Math.round(median(other.cpu)),
      [`timeRatio${key}Best`]: Number(ratioBest.toFixed(3)),
      [`timeRatio${key}Median`]: Number(ratioMedian.toFixed(3)),
    });
  }
  if (xgb && xgbAuc !== undefined) {
    const gap = ourAuc - xgbAuc;
    console.log(`AUC ours ${ourAuc.toFixed(5)}, XGBoost ${xgbAuc.toFixed(5)}: gap ${gap.toFixed(5)} (target |gap| <= 0.002)`);
    Object.assign(figures, { xgboostVersion: xgb.version, xgboostAuc: Number(xgbAuc.toFixed(5)), aucGap: Number(gap.toFixed(5)) });
  }
  console.log(JSON.stringify(figures));
}

void main();
