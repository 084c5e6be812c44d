/**
 * TreeSHAP speed for a 100-tree, depth-6, 30-feature model: milliseconds per row for exact
 * path-dependent SHAP values (target <= 1 ms), with local accuracy checked on every row.
 *
 * The model comes from bench/benchmark-model.ts: trained by the embedded trainer on a seeded
 * synthetic set (or, if training fails, seeded random trees; the output says which).
 * TreeSHAP cost grows with leaves x depth^2, so the full-depth synthetic trees are the
 * harder case; `--synthetic` measures them too.
 *
 * Run: npx tsx bench/treeshap.ts [--synthetic]
 */
import { predictMargin } from '../lambdas/core/ml/predict';
import { createTreeExplainer, topRiskFactors } from '../lambdas/core/ml/treeshap';
import type { GbdtModel } from '../lambdas/core/ml/model';
import { BENCH_DEPTH, BENCH_FEATURES as FEATURES, BENCH_TREES, benchmarkModel, holdoutRows } from './benchmark-model';
import { syntheticModel } from './synthetic-gbdt-model';

const ROWS = 2_000;
const PASSES = 5;

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface ShapFigures {
  readonly leaves: number;
  readonly explainerCreateMs: number;
  readonly msPerRowMedian: number;
  readonly msPerRowBest: number;
  readonly topRiskFactorsMsPerRow: number;
  readonly maxLocalAccuracyError: number;
}

function measure(model: GbdtModel): ShapFigures {
  const leaves = model.trees.reduce((n, t) => n + t.left.filter((l) => l === -1).length, 0);
  let start = process.hrtime.bigint();
  const explainer = createTreeExplainer(model);
  const explainerMs = elapsedMs(start);

  const rows = holdoutRows(ROWS);
  const out = new Float64Array(FEATURES + 1);
  let worstLocalAccuracy = 0;
  for (let r = 0; r < ROWS; r++) {
    const row = rows.subarray(r * FEATURES, (r + 1) * FEATURES);
    explainer.shap(row, out);
    const total = out.reduce((a, b) => a + b, 0);
    worstLocalAccuracy = Math.max(worstLocalAccuracy, Math.abs(total - predictMargin(model, row)));
  }

  const passMs: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    start = process.hrtime.bigint();
    for (let r = 0; r < ROWS; r++) explainer.shap(rows.subarray(r * FEATURES, (r + 1) * FEATURES), out);
    passMs.push(elapsedMs(start) / ROWS);
  }
  passMs.sort((a, b) => a - b);

  // What the endpoint asks for: SHAP, column mapping, top 5
  start = process.hrtime.bigint();
  for (let r = 0; r < 500; r++) topRiskFactors(model, rows.subarray(r * FEATURES, (r + 1) * FEATURES), 5);
  const topFactorsMs = elapsedMs(start) / 500;

  return {
    leaves,
    explainerCreateMs: Number(explainerMs.toFixed(2)),
    msPerRowMedian: Number(passMs[Math.floor(PASSES / 2)].toFixed(4)),
    msPerRowBest: Number(passMs[0].toFixed(4)),
    topRiskFactorsMsPerRow: Number(topFactorsMs.toFixed(4)),
    maxLocalAccuracyError: worstLocalAccuracy,
  };
}

function print(label: string, f: ShapFigures): void {
  console.log(`${label}: ${f.leaves} leaves; explainer created in ${f.explainerCreateMs} ms`);
  console.log(`${label}: TreeSHAP ${f.msPerRowMedian} ms/row median over ${PASSES} passes of ${ROWS} rows (best ${f.msPerRowBest}; target <= 1 ms)`);
  console.log(`${label}: topRiskFactors(k = 5) ${f.topRiskFactorsMsPerRow} ms/row; local accuracy max |sum(phi) - margin| = ${f.maxLocalAccuracyError.toExponential(2)}`);
}

async function main(): Promise<void> {
  const { model, source, description } = await benchmarkModel();
  console.log(`model: ${description}`);
  const figures = measure(model);
  print(source, figures);
  const result: Record<string, unknown> = {
    benchmark: 'treeshap',
    model: { source, trees: model.trees.length, maxDepth: BENCH_DEPTH, features: FEATURES },
    rows: ROWS,
    ...figures,
    target: { msPerRow: 1 },
  };
  if (process.argv.includes('--synthetic') && source !== 'synthetic') {
    const full = syntheticModel({ trees: BENCH_TREES, depth: BENCH_DEPTH, features: FEATURES, seed: 20240601 });
    console.log(`full-depth synthetic model: seeded random trees, ${BENCH_TREES} x depth ${BENCH_DEPTH} (every path 6 deep)`);
    const synthetic = measure(full);
    print('synthetic', synthetic);
    result.fullDepthSynthetic = synthetic;
  }
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
