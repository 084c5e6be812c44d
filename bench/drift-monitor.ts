/**
 * The data-quality monitor on 1,000,000 rows x 50 features (35 numeric, 15 categorical),
 * seeded synthetic data (target: the monitor in <= 3 s).
 *
 * What is timed, separately:
 * - `parse`: the batch CSV bytes (already in memory) read into columns (`readBatchCsv`);
 * - `monitor`: statistics.json, every check, PSI/KS/L-infinity/chi-squared, drift score
 *   (`monitorBatch`) on the columns — the figure the target is about;
 * - `outputs`: report HTML, JSON serialisation, metric datums and their batching;
 * - `total` = the three, i.e. everything the Lambda does but S3 and CloudWatch I/O.
 * Not timed: generating the data, profiling the baseline (100,000 rows, the training
 * pipeline's own code). Two batches: one from the baseline's distribution (another seed),
 * one with 6 features shifted. Each is measured RUNS times; the best and median are printed.
 * Wall and CPU time are printed: on a shared machine CPU time shows the work, wall time the wait.
 * Peak RSS is the whole process's (generated CSV text included).
 *
 * Run: npx tsx bench/drift-monitor.ts [--rows N]
 */
import { profileDataset, type ProfileSchema } from '../lambdas/core/datasets/profile-dataset';
import { baselineReference } from '../lambdas/core/monitoring/baseline-reference';
import { readBatchCsv } from '../lambdas/core/monitoring/columnar-csv';
import { monitorBatch, planColumns } from '../lambdas/core/monitoring/data-quality-monitor';
import { buildDriftMetrics, putMetricDataRequests } from '../lambdas/core/monitoring/drift-metrics';
import { renderDriftReport } from '../lambdas/core/monitoring/drift-report';
import { parseMonitorConfig } from '../lambdas/core/monitoring/monitor-config';
import { seededRandom } from './synthetic-gbdt-model';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
const BASELINE_ROWS = 100_000;
const NUMERIC = 35;
const CATEGORICAL = 15;
const RUNS = 3;
const SHIFTED = new Set(['num_3', 'num_10', 'num_21', 'int_30', 'cat_2', 'cat_9']);


function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Column {
  readonly name: string;
  readonly type: 'fractional' | 'integral' | 'string';
  cell(random: () => number, shifted: boolean): string;
}

function columns(): Column[] {
  const out: Column[] = [];
  for (let i = 0; i < NUMERIC; i++) {
    const name = i < 30 ? `num_${i}` : `int_${i}`;
    if (i < 15) out.push({ name, type: 'fractional', cell: (r, s) => (gaussian(r) * (1 + i) + 10 * i + (s ? 0.5 * (1 + i) : 0)).toFixed(3) });
    else if (i < 30) out.push({ name, type: 'fractional', cell: (r, s) => Math.exp(gaussian(r) * 0.5 + (s ? 0.4 : 0)).toFixed(4) });
    else out.push({ name, type: 'integral', cell: (r, s) => String(18 + Math.floor(r() * (s ? 40 : 70)) + (s ? 30 : 0)) });
  }
  for (let i = 0; i < CATEGORICAL; i++) {
    const levels = 3 + 3 * i;
    out.push({
      name: `cat_${i}`,
      type: 'string',
      cell: (r, s) => {
        // Zipf-like skew; shifted batches favour the tail.
        const u = s ? 1 - r() ** 2 : r() ** 2;
        return `level_${Math.min(levels - 1, Math.floor(u * levels))}`;
      },
    });
  }
  return out;
}

function csv(cols: readonly Column[], rows: number, seed: number, shift: boolean): Uint8Array {
  const random = seededRandom(seed);
  const lines: string[] = [cols.map((c) => c.name).join(',')];
  for (let r = 0; r < rows; r++) {
    const cells = new Array<string>(cols.length);
    for (let c = 0; c < cols.length; c++) cells[c] = random() < 0.01 ? '' : cols[c].cell(random, shift && SHIFTED.has(cols[c].name));
    lines.push(cells.join(','));
  }
  return Buffer.from(lines.join('\n'));
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
/** CPU time of this process (user + system), less sensitive than wall time to other work on a shared machine. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const cols = columns();
  const schema: ProfileSchema = { columns: cols.map((c) => ({ name: c.name, type: c.type })) };
  const baselineCsv = csv(cols, BASELINE_ROWS, 1, false);
  const profile = profileDataset(baselineCsv, schema);
  const baseline = baselineReference(profile.statistics, profile.constraints);
  const config = parseMonitorConfig({ drift: { default: 0.1 } });

  const figures: Record<string, unknown> = { rows: ROWS, features: cols.length, numeric: NUMERIC, categorical: CATEGORICAL, baselineRows: BASELINE_ROWS };
  for (const [label, shift] of [
    ['same-distribution', false],
    ['drifted', true],
  ] as const) {
    const generated = process.hrtime.bigint();
    const bytes = csv(cols, ROWS, label === 'drifted' ? 3 : 2, shift);
    console.log(`${label}: generated ${(bytes.length / 1e6).toFixed(1)} MB of CSV in ${(ms(generated) / 1000).toFixed(1)} s (not timed)`);
    const parse: number[] = [];
    const monitor: number[] = [];
    const outputs: number[] = [];
    const monitorCpu: number[] = [];
    let summary = '';
    for (let run = 0; run < RUNS; run++) {
      let start = process.hrtime.bigint();
      const table = readBatchCsv(bytes, (header) => planColumns(header, baseline, config));
      parse.push(ms(start));
      start = process.hrtime.bigint();
      const cpuStart = cpuMs();
      const result = monitorBatch(table, baseline, config);
      monitor.push(ms(start));
      monitorCpu.push(cpuMs() - cpuStart);
      start = process.hrtime.bigint();
      const html = renderDriftReport(result, { project: 'bench', modelVersion: '1', batch: label, generatedAt: new Date(), defaultThreshold: config.drift.default });
      const json = JSON.stringify(result.statistics).length + JSON.stringify(result.violations).length;
      const metrics = buildDriftMetrics(result, config, { project: 'bench', modelVersion: '1', timestamp: new Date() });
      const requests = putMetricDataRequests(metrics.namespace, metrics.datums);
      outputs.push(ms(start));
      summary = `drift score ${result.driftScore.toFixed(4)}, drifted [${result.driftedFeatures.join(', ')}], ${result.violations.violations.length} violations, report ${(html.length / 1024).toFixed(0)} KB, JSON ${(json / 1024).toFixed(0)} KB, ${metrics.datums.length} datums in ${requests.length} PutMetricData call(s)`;
    }
    const total = parse.map((p, i) => p + monitor[i] + outputs[i]);
    console.log(`  ${summary}`);
    console.log(`  parse   best ${Math.min(...parse).toFixed(0)} ms, median ${median(parse).toFixed(0)} ms`);
    console.log(`  monitor best ${Math.min(...monitor).toFixed(0)} ms, median ${median(monitor).toFixed(0)} ms, CPU median ${median(monitorCpu).toFixed(0)} ms   (target <= 3000 ms)`);
    console.log(`  outputs best ${Math.min(...outputs).toFixed(0)} ms, median ${median(outputs).toFixed(0)} ms`);
    console.log(`  total   best ${Math.min(...total).toFixed(0)} ms, median ${median(total).toFixed(0)} ms   (parse + monitor + outputs)`);
    figures[label] = {
      csvMB: Number((bytes.length / 1e6).toFixed(1)),
      parseMs: Math.round(median(parse)),
      monitorMs: Math.round(median(monitor)),
      monitorBestMs: Math.round(Math.min(...monitor)),
      monitorCpuMs: Math.round(median(monitorCpu)),
      parseBestMs: Math.round(Math.min(...parse)),
      outputsMs: Math.round(median(outputs)),
      totalMs: Math.round(median(total)),
      summary,
    };
  }
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`peak RSS ${peakRssMB} MB (whole process, generated CSV text included)`);
  console.log(JSON.stringify({ benchmark: 'drift-monitor', ...figures, peakRssMB }));
}

main();
