/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * The seed code (seed-code/) is Python; this suite runs its pytest tests and proves its
 * output goes through our own ONNX path: train.py on a seeded data set → xgboost-model.json
 * → readXgboostJson → convertToOnnx → onnxruntime-node, compared with XGBoost's own
 * predictions. Needs Debian's XGBoost under /usr/bin/python3 (not the pyenv python3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { PromotionPolicy } from '../../../lambdas/core/governance/promotion-policy';
import { convertToOnnx, readOnnxMetadata, scoreWithOnnx, verifyOnnxConversion } from '../../../lambdas/core/ml/onnx';
import { readXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { knownMetricDirection } from '../../../lambdas/core/registry/staging-decision';
import { DRIFT_THRESHOLD_RANGE } from '../../../local/cli/project-settings';

const PYTHON = '/usr/bin/python3';
const SEED_CODE = path.resolve(__dirname, '../../../seed-code');
const REPO = path.resolve(SEED_CODE, '..');
// No bytecode or caches written into the repository; one XGBoost thread for tiny data.
const PYTHON_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1' };
const INSTALL_HINT = 'install Debian python3-xgboost python3-numpy python3-pytest (sudo apt-get install python3-xgboost python3-numpy python3-pytest); the pyenv python3 on PATH is not used';

function python(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(PYTHON, args, { cwd: REPO, env: PYTHON_ENV, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`${PYTHON} did not run (${result.error.message}): ${INSTALL_HINT}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Fails (never skips) with the packages to install when the Python side is missing. */
function requirePythonDependencies(): void {
  const check = python(['-c', 'import xgboost, numpy, pytest']);
  if (check.status !== 0) throw new Error(`${PYTHON} cannot import xgboost, numpy and pytest: ${INSTALL_HINT}\n${check.output}`);
}

/** mulberry32: a small seeded generator, so the data set is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FEATURES = ['age', 'bmi', 'glucose', 'smoker', 'visits'];

/** Rows of [label, ...features] as CSV text: values with 3 decimals, about 8% missing cells. */
function syntheticCsv(random: () => number, rows: number): { text: string; features: number[][] } {
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lines = [['label', ...FEATURES].join(',')];
  const features: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = [55 + 12 * normal(), 27 + 4 * normal(), 100 + 20 * normal(), random() < 0.3 ? 1 : 0, Math.floor(random() * 6)]
      .map((v) => Math.round(v * 1000) / 1000);
    const logit = 0.06 * (row[0] - 55) + 0.15 * (row[1] - 27) + 0.04 * (row[2] - 100) + 1.1 * row[3] - 0.25 * row[4];
    const label = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const cells = row.map((v, c) => (c < 3 && random() < 0.08 ? NaN : v));
    features.push(cells);
    lines.push([label, ...cells.map((v) => (Number.isNaN(v) ? '' : String(v)))].join(','));
  }
  return { text: `${lines.join('\n')}\n`, features };
}

describe('seed-code', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'seed-code-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("passes its own pytest suite under Debian's XGBoost", () => {
    // Prepare
    requirePythonDependencies();

    // Act
    const run = python(['-m', 'pytest', 'seed-code/tests', '-q']);

    // Assess
    if (run.status !== 0) throw new Error(`pytest seed-code/tests failed (exit ${run.status}):\n${run.output}`);
    // The summary line: everything passed, nothing skipped or deselected.
    const summary = run.output.trim().split('\n').pop() ?? '';
    expect(summary).toMatch(/^\d+ passed in [\d.]+s/);
  });

  it("trains a model whose ONNX conversion scores like XGBoost itself (max abs diff <= 1e-6)", async () => {
    // Prepare: a SageMaker-shaped job folder with seeded data
    requirePythonDependencies();
    const random = seededRandom(20240611);
    const channel = (name: string, text: string): void => {
      mkdirSync(path.join(root, 'input/data', name), { recursive: true });
      writeFileSync(path.join(root, 'input/data', name, name === 'encoding' ? 'encoding.json' : 'data.csv'), text);
    };
    channel('train', syntheticCsv(random, 400).text);
    channel('validation', syntheticCsv(random, 150).text);
    const holdout = syntheticCsv(random, 200);
    mkdirSync(path.join(root, 'holdout'));
    writeFileSync(path.join(root, 'holdout/data.csv'), holdout.text);
    const encoding = {
      encodings: FEATURES.map((column) => ({ kind: column === 'smoker' ? 'boolean' : 'numeric', column })),
      features: FEATURES.map((name) => ({ name, column: name, type: name === 'smoker' ? 'boolean' : 'float' })),
    };
    channel('encoding', JSON.stringify(encoding));
    mkdirSync(path.join(root, 'input/config'), { recursive: true });
    writeFileSync(path.join(root, 'input/config/hyperparameters.json'), JSON.stringify({
      objective: 'binary:logistic', num_round: '60', max_depth: '4', eta: '0.2', early_stopping_rounds: '10', seed: '5',
    }));

    // Act: train, let XGBoost predict the holdout, then convert and score through our path
    const training = python(['seed-code/train.py', '--local', root]);
    if (training.status !== 0) throw new Error(`train.py failed (exit ${training.status}):\n${training.output}`);
    const modelPath = path.join(root, 'model/xgboost-model.json');
    const predicting = python(['seed-code/tests/predict_with_xgboost.py', modelPath, path.join(root, 'holdout/data.csv'), path.join(root, 'xgboost-predictions.json')]);
    if (predicting.status !== 0) throw new Error(`predict_with_xgboost.py failed:\n${predicting.output}`);
    const xgboost = JSON.parse(readFileSync(path.join(root, 'xgboost-predictions.json'), 'utf8')) as { best_iteration: number; predictions: number[] };

    const model = readXgboostJson(readFileSync(modelPath));
    const onnxBytes = convertToOnnx(model);
    const rows = Float32Array.from(holdout.features.flat());
    const session = await InferenceSession.create(onnxBytes);
    const onnxProbabilities = await scoreWithOnnx(session, model.objective, rows, holdout.features.length);
    await session.release();
    const engineCheck = await verifyOnnxConversion(model, onnxBytes, rows);

    // Assess
    const metrics = JSON.parse(readFileSync(path.join(root, 'model/metrics.json'), 'utf8')) as { best_iteration: number; validation: { auc: number }; history: { validation: { auc: number[] } } };
    expect(model.bestIteration).toBe(metrics.best_iteration);
    expect(xgboost.best_iteration).toBe(metrics.best_iteration);
    expect(model.trees).toHaveLength(metrics.best_iteration + 1);
    expect(model.features.map((f) => f.name)).toEqual(FEATURES);
    expect(model.encodings).toEqual(encoding.encodings);
    expect(readOnnxMetadata(onnxBytes).featureNames).toEqual(FEATURES);
    expect(JSON.parse(readFileSync(path.join(root, 'model/encoding.json'), 'utf8'))).toEqual(encoding);

    expect(xgboost.predictions).toHaveLength(holdout.features.length);
    let maxAbsDiff = 0;
    xgboost.predictions.forEach((p, r) => { maxAbsDiff = Math.max(maxAbsDiff, Math.abs(onnxProbabilities[r] - p)); });
    expect(maxAbsDiff).toBeLessThanOrEqual(1e-6);
    expect(engineCheck.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    // Not a constant model: the probabilities spread out.
    expect(Math.max(...xgboost.predictions) - Math.min(...xgboost.predictions)).toBeGreaterThan(0.15);
  });

  it('ships a project configuration the platform accepts', () => {
    // Prepare
    const config = JSON.parse(readFileSync(path.join(SEED_CODE, 'project.config.json'), 'utf8')) as {
      primaryMetric: string;
      promotionPolicy: unknown;
      drift: { default: { threshold: number }; features: Record<string, { threshold: number }> };
    };

    // Act
    const policy = PromotionPolicy.safeParse(config.promotionPolicy);
    const thresholds = [config.drift.default.threshold, ...Object.values(config.drift.features).map((f) => f.threshold)];

    // Assess: the same rules the registry, governance and `lumina project create` apply
    expect(policy.success ? [] : policy.error.issues).toEqual([]);
    expect(knownMetricDirection(config.primaryMetric)).toBeDefined();
    for (const threshold of thresholds) {
      expect(threshold).toBeGreaterThanOrEqual(DRIFT_THRESHOLD_RANGE.min);
      expect(threshold).toBeLessThanOrEqual(DRIFT_THRESHOLD_RANGE.max);
    }
  });
});
