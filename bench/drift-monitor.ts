/**
 * The data-quality monitor on 1,000,000 rows x 50 features (35 numeric, 15 categorical),
 * seeded synthetic data. Target (issue #6): the whole monitor run, CSV bytes to outputs, in
 * <= 3 s — the `total` below, not only its `monitor` part.
 *
 * What is timed, separately:
 * - `parse`: the batch CSV bytes (already in memory) read into columns (`readBatchCsv`);
 * - `monitor`: statistics.json, every check, PSI/KS/L-infinity/chi-squared, drift score
 *   (`monitorBatch`) on the columns;
 * - `outputs`: report HTML, JSON serialisation, metric datums and their batching;
 * - `total` = the three, i.e. everything the Lambda does but S3 and CloudWatch I/O; the
 *   figure compared with the target.
 * Not timed: generating the data, profiling the baseline (100,000 rows, the training
 * pipeline's own code). Two batches: one from the baseline's distribution (another seed),
 * one with 6 features shifted. Each is measured RUNS times; the best and median are printed.
 * Wall and CPU time are printed: on a shared machine CPU time shows the work, wall time the
 * wait. CPU time is the process's (user + system, garbage-collector threads included), so it
 * can exceed wall time on an idle machine.
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
/** Issue #6: parse + monitor + outputs within this. */
const TARGET_MS = 3000;
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

/** One part's wall and CPU times over the runs. */
class Timing {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];

  measure<T>(work: () => T): T {
    const start = process.hrtime.bigint();
    const cpuStart = cpuMs();
    const result = work();
    this.wall.push(ms(start));
    this.cpu.push(cpuMs() - cpuStart);
    return result;
  }

  line(label: string): string {
    return `${label.padEnd(7)} best ${Math.min(...this.wall).toFixed(0)} ms, median ${median(this.wall).toFixed(0)} ms, CPU median ${median(this.cpu).toFixed(0)} ms`;
  }
}

const verdict = (value: number): string => (value <= TARGET_MS ? 'within' : 'OVER');

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
    const parse = new Timing();
    const monitor = new Timing();
    const outputs = new Timing();
    let summary = '';
    for (let run = 0; run < RUNS; run++) {
      const table = parse.measure(() => readBatchCsv(bytes, (header) => planColumns(header, baseline, config)));
      const result = monitor.measure(() => monitorBatch(table, baseline, config));
      summary = outputs.measure(() => {
        const html = renderDriftReport(result, { project: 'bench', modelVersion: '1', batch: label, generatedAt: new Date(), defaultThreshold: config.drift.default });
        const json = JSON.stringify(result.statistics).length + JSON.stringify(result.violations).length;
        const metrics = buildDriftMetrics(result, config, { project: 'bench', modelVersion: '1', timestamp: new Date() });
        const requests = putMetricDataRequests(metrics.namespace, metrics.datums);
        return `drift score ${result.driftScore.toFixed(4)}, drifted [${result.driftedFeatures.join(', ')}], ${result.violations.violations.length} violations, report ${(html.length / 1024).toFixed(0)} KB, JSON ${(json / 1024).toFixed(0)} KB, ${metrics.datums.length} datums in ${requests.length} PutMetricData call(s)`;
      });
    }
    const sum = (part: 'wall' | 'cpu'): number[] => parse[part].map((p, i) => p + monitor[part][i] + outputs[part][i]);
    const totalWall = sum('wall');
    const totalCpu = sum('cpu');
    console.log(`  ${summary}`);
    console.log(`  ${parse.line('parse')}`);
    console.log(`  ${monitor.line('monitor')}`);
    console.log(`  ${outputs.line('outputs')}`);
    console.log(
      `  total   best ${Math.min(...totalWall).toFixed(0)} ms, median ${median(totalWall).toFixed(0)} ms, CPU median ${median(totalCpu).toFixed(0)} ms   (parse + monitor + outputs; target <= ${TARGET_MS} ms: median wall ${verdict(median(totalWall))}, median CPU ${verdict(median(totalCpu))})`,
    );
    figures[label] = {
      csvMB: Number((bytes.length / 1e6).toFixed(1)),
      parseMs: Math.round(median(parse.wall)),
      parseBestMs: Math.round(Math.min(...parse.wall)),
      parseCpuMs: Math.round(median(parse.cpu)),
      monitorMs: Math.round(median(monitor.wall)),
      monitorBestMs: Math.round(Math.min(...monitor.wall)),
      monitorCpuMs: Math.round(median(monitor.cpu)),
      outputsMs: Math.round(median(outputs.wall)),
      outputsCpuMs: Math.round(median(outputs.cpu)),
      totalMs: Math.round(median(totalWall)),
      totalBestMs: Math.round(Math.min(...totalWall)),
      totalCpuMs: Math.round(median(totalCpu)),
      targetMs: TARGET_MS,
      totalWithinTarget: median(totalWall) <= TARGET_MS,
      summary,
    };
  }
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`peak RSS ${peakRssMB} MB (whole process, generated CSV text included)`);
  console.log(JSON.stringify({ benchmark: 'drift-monitor', ...figures, peakRssMB }));
}

main();
