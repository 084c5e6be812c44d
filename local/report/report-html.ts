/**
 * The project report as one self-contained HTML page: inline CSS and inline SVG charts, no
 * scripts, no external assets, so it opens from a file, a download or `lumina up`'s server
 * alike. A pure function of ProjectReportData (collected by project-report.ts); every piece
 * of text that came from users or data (names, parameters, reasons, errors, features,
 * violation descriptions) is escaped.
 */
import type { PerformanceResult, PerformanceWindowFigures } from '../../lambdas/core/performance/performance-summary';
import type { ModelVersionSummary } from '../../lambdas/core/registry/model-version';
import type { StageChange } from '../../lambdas/core/registry/stage-pointers';
import { barChart, escapeHtml } from '../../lambdas/core/reports/svg-charts';
import { type LineSeries, lineChart } from './line-chart';

export interface ReportRun {
  readonly name: string;
  /** TrainingPipeline, InferencePipeline, or the state machine's name. */
  readonly pipeline: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly durationMs?: number;
  /** Error and cause in one line, for failed runs. */
  readonly failure?: string;
}

export interface DriftViolation {
  readonly feature: string;
  readonly check: string;
  readonly description: string;
}

export interface BatchDrift {
  /** The input's inbox-relative name without .csv. */
  readonly input: string;
  /** The outbox folder's short run id (16 hex). */
  readonly runId: string;
  /** The batch run's outbox prefix. */
  readonly prefix: string;
  /** When the batch was merged (else when its files were written). */
  readonly at: string;
  readonly modelVersion?: number;
  readonly rowsScored?: number;
  readonly rowsRejected?: number;
  /** False when the model had no baseline, so the batch was scored but not monitored. */
  readonly monitored: boolean;
  /** From the run that monitored it; null when that run is not known (the score lives in the run's output and the metrics). */
  readonly driftScore: number | null;
  readonly driftedFeatures: readonly string[];
  readonly violations: readonly DriftViolation[];
  /** S3 key of the batch's HTML drift report. */
  readonly reportKey?: string;
  /** The drift report's copy next to the project report, relative to it. */
  readonly reportHref?: string;
}

export interface ProjectReportData {
  readonly project: {
    readonly name: string;
    readonly stackName: string;
    readonly createdAt: string;
    readonly parameters: Readonly<Record<string, string>>;
  };
  readonly generatedAt: string;
  readonly bucket: string;
  readonly registry: {
    readonly staging: number | null;
    readonly production: number | null;
    readonly versions: readonly ModelVersionSummary[];
    readonly stageHistory: readonly StageChange[];
  };
  /** Newest first. */
  readonly runs: readonly ReportRun[];
  readonly drift: {
    /** The project's drift threshold (its DriftThreshold parameter). */
    readonly threshold: number;
    /** Oldest first. */
    readonly batches: readonly BatchDrift[];
  };
  /** From `lumina labels put`; null until ground truth arrived. */
  readonly performance: PerformanceResult | null;
  /** What could not be read, said in the report rather than failing it. */
  readonly notes: readonly string[];
}

const e = escapeHtml;
const num = (value: number | null | undefined, digits = 4): string => (value === null || value === undefined || !Number.isFinite(value) ? '–' : Number(value.toPrecision(digits)).toString());
const when = (iso: string | undefined): string => (iso ? e(`${iso.slice(0, 19).replace('T', ' ')}Z`) : '–');
const duration = (ms: number | undefined): string => {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
};

/** 86400000 → "1 day", 21600000 → "6 hours", 1800000 → "30 minutes". */
export function windowText(ms: number): string {
  const unit = (n: number, word: string): string => `${Number(n.toPrecision(4))} ${word}${n === 1 ? '' : 's'}`;
  if (ms % 86_400_000 === 0) return unit(ms / 86_400_000, 'day');
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  return unit(ms / 60_000, 'minute');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], rowClass?: (index: number) => string | undefined): string {
  if (rows.length === 0) return '<p class="muted">none</p>';
  const head = `<tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`;
  const body = rows.map((cells, i) => {
    const cls = rowClass?.(i);
    return `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table>${head}${body.join('')}</table>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.muted{color:#777}.bad{color:#b00020;font-weight:bold}.ok{color:#1b7f3b}
tr.failed td,tr.drifted td{background:#fff3f3}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}.card b{display:block;font-size:18px}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}code{font-size:12px}small{color:#666}
`;

export function renderProjectReport(data: ProjectReportData): string {
  const name = e(data.project.name);
  const sections = [summarySection(data), registrySection(data), runsSection(data), driftSection(data), performanceSection(data)];
  if (data.notes.length > 0) sections.push(`<h2>Notes</h2><ul>${data.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>LuminaOps report: ${name}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>LuminaOps project ${name}</h1>`,
    `<p class="muted">Generated ${when(data.generatedAt)} · stack ${e(data.project.stackName)} · created ${when(data.project.createdAt)} · bucket ${e(data.bucket)}</p>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}

function summarySection(data: ProjectReportData): string {
  const { registry, runs, drift, performance } = data;
  const failed = runs.filter((r) => r.status !== 'SUCCEEDED' && r.status !== 'RUNNING').length;
  const monitored = drift.batches.filter((b) => b.monitored);
  const drifted = monitored.filter((b) => b.driftedFeatures.length > 0).length;
  const latest = latestOverall(performance);
  const cards: [string, string][] = [
    ['production', registry.production === null ? 'none' : `v${registry.production}`],
    ['staging', registry.staging === null ? 'none' : `v${registry.staging}`],
    ['model versions', String(registry.versions.length)],
    ['pipeline runs', `${runs.length}${failed > 0 ? ` (${failed} failed)` : ''}`],
    ['monitored batches', `${monitored.length}${drifted > 0 ? ` (${drifted} drifted)` : ''}`],
    ['latest AUC', latest ? num(latest.auc, 3) : '–'],
  ];
  const parameters = Object.entries(data.project.parameters)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [e(k), e(v)]);
  return `<div class="cards">${cards.map(([label, value]) => `<div class="card"><small>${e(label)}</small><b>${e(value)}</b></div>`).join('')}</div>
<details><summary>Project parameters</summary>${table(['parameter', 'value'], parameters)}</details>`;
}

/** Metric columns: the primary metric first, then the usual ones that any version has. */
function metricColumns(versions: readonly ModelVersionSummary[]): string[] {
  const usual = ['auc', 'logLoss', 'f1', 'accuracy', 'precision', 'recall', 'ece'];
  const present = new Set(versions.flatMap((v) => Object.keys(v.metrics)));
  const primary = versions.at(-1)?.primaryMetric;
  const columns = [...(primary && present.has(primary) ? [primary] : []), ...usual.filter((m) => present.has(m) && m !== primary)];
  return columns.slice(0, 6);
}

function registrySection(data: ProjectReportData): string {
  const { versions, stageHistory } = data.registry;
  const out = ['<h2 id="registry">Model registry</h2>'];
  if (versions.length === 0) {
    out.push('<p class="muted">No model version registered yet.</p>');
    return out.join('\n');
  }
  const metrics = metricColumns(versions);
  const primary = versions.at(-1)!.primaryMetric;
  out.push(`<div class="charts">${barChart(versions.map((v) => ({ label: `v${v.version}`, value: v.metrics[primary] ?? 0 })), { title: `${primary} by version`, width: Math.max(240, 48 * versions.length + 60) })}</div>`);
  out.push(
    table(
      ['version', 'stage', 'status', ...metrics, 'registered', 'dataset', 'trigger'],
      versions.map((v) => [
        `v${v.version}`,
        v.stage === 'production' ? `<b class="ok">${e(v.stage)}</b>` : e(v.stage),
        v.status === 'rejected' ? `<span class="bad">${e(v.status)}</span>` : e(v.status),
        ...metrics.map((m) => num(v.metrics[m])),
        when(v.registeredAt),
        `<code>${e(v.datasetVersionId)}</code>`,
        e(v.trigger),
      ]),
    ),
  );
  out.push('<h3>Stage history</h3>');
  out.push(
    table(
      ['#', 'at', 'version', 'change', 'by', 'reason'],
      stageHistory.map((c) => [
        String(c.revision),
        when(c.at),
        `v${c.version}`,
        `${e(c.from)} → ${e(c.to)}${c.displaced.length > 0 ? ` <small>(${c.displaced.map((d) => `v${d.version} ${e(d.from)} → ${e(d.to)}`).join(', ')})</small>` : ''}${c.rollback ? ' <small>(rollback)</small>' : ''}`,
        e(c.actor),
        e(c.reason),
      ]),
    ),
  );
  return out.join('\n');
}

function runsSection(data: ProjectReportData): string {
  const out = ['<h2 id="runs">Pipeline runs</h2>'];
  if (data.runs.length === 0) {
    out.push('<p class="muted">No pipeline run yet.</p>');
    return out.join('\n');
  }
  const recent = data.runs.slice(0, 30).reverse();
  out.push(`<div class="charts">${barChart(recent.map((r) => ({ label: r.pipeline.replace(/Pipeline$/, ''), value: (r.durationMs ?? 0) / 1000 })), { title: `Duration (s) of the last ${recent.length} runs, oldest first`, width: Math.max(300, 24 * recent.length + 60) })}</div>`);
  out.push(
    table(
      ['run', 'pipeline', 'status', 'started', 'duration', 'error'],
      data.runs.map((r) => [`<code>${e(r.name)}</code>`, e(r.pipeline), r.status === 'SUCCEEDED' ? `<span class="ok">${e(r.status)}</span>` : r.status === 'RUNNING' ? e(r.status) : `<span class="bad">${e(r.status)}</span>`, when(r.startDate), duration(r.durationMs), e(r.failure ?? '')]),
      (i) => (['FAILED', 'TIMED_OUT', 'ABORTED'].includes(data.runs[i].status) ? 'failed' : undefined),
    ),
  );
  return out.join('\n');
}

function batchLabel(b: BatchDrift): string {
  return `${b.input} ${b.at.slice(5, 16).replace('T', ' ')}`;
}

function driftSection(data: ProjectReportData): string {
  const { threshold } = data.drift;
  const out = ['<h2 id="drift">Data drift per batch</h2>'];
  const monitored = data.drift.batches.filter((b) => b.monitored);
  const unmonitored = data.drift.batches.length - monitored.length;
  if (monitored.length === 0) {
    out.push(`<p class="muted">No monitored inference batch yet${unmonitored > 0 ? ` (${unmonitored} scored without a baseline to compare with)` : ''}.</p>`);
    return out.join('\n');
  }
  const charts: string[] = [];
  const scored = monitored.filter((b) => b.driftScore !== null);
  if (scored.length > 0) {
    charts.push(lineChart(scored.map(batchLabel), [{ name: 'drift score', values: scored.map((b) => b.driftScore) }], { title: `Drift score per batch (threshold ${num(threshold)})`, reference: { value: threshold, label: `threshold ${num(threshold)}` }, yMin: 0 }));
  }
  const featureCounts = new Map<string, number>();
  for (const b of monitored) for (const f of b.driftedFeatures) featureCounts.set(f, (featureCounts.get(f) ?? 0) + 1);
  if (featureCounts.size > 0) {
    const bars = [...featureCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label, value]) => ({ label, value }));
    charts.push(barChart(bars, { title: 'Batches in which each feature drifted', width: Math.max(260, 40 * bars.length + 60) }));
  }
  out.push(`<div class="charts">${charts.join('')}</div>`);
  out.push(
    table(
      ['batch', 'merged', 'model', 'rows', 'drift score', 'drifted features', 'violations', 'drift report'],
      monitored
        .slice()
        .reverse()
        .map((b) => [
          `${e(b.input)}<br><small><code>${e(b.runId)}</code></small>`,
          when(b.at),
          b.modelVersion === undefined ? '–' : `v${b.modelVersion}`,
          b.rowsScored === undefined ? '–' : `${b.rowsScored}${b.rowsRejected ? ` <small>(+${b.rowsRejected} rejected)</small>` : ''}`,
          b.driftScore === null ? '–' : b.driftScore > threshold ? `<span class="bad">${num(b.driftScore)}</span>` : num(b.driftScore),
          b.driftedFeatures.length === 0 ? '<span class="ok">none</span>' : b.driftedFeatures.map((f) => `<span class="bad">${e(f)}</span>`).join(', '),
          b.violations.length === 0 ? 'none' : `<details><summary>${b.violations.length}</summary><ul>${b.violations.map((v) => `<li><code>${e(v.check)}</code> ${e(v.feature)}: ${e(v.description)}</li>`).join('')}</ul></details>`,
          b.reportHref ? `<a href="${e(b.reportHref)}">report.html</a>` : b.reportKey ? `<code>s3://${e(data.bucket)}/${e(b.reportKey)}</code>` : '–',
        ]),
      (i) => (monitored[monitored.length - 1 - i].driftedFeatures.length > 0 ? 'drifted' : undefined),
    ),
  );
  if (unmonitored > 0) out.push(`<p class="muted">${unmonitored} more batch${unmonitored === 1 ? ' was' : 'es were'} scored without a baseline to compare with.</p>`);
  return out.join('\n');
}

/** The latest window over every series: the figures of the newest window with data (largest count wins a tie). */
function latestOverall(performance: PerformanceResult | null): PerformanceWindowFigures | undefined {
  if (!performance || performance.windows.length === 0) return undefined;
  const last = performance.windows.at(-1)!.start;
  return performance.windows.filter((w) => w.start === last).sort((a, b) => b.count - a.count)[0];
}

function performanceSection(data: ProjectReportData): string {
  const out = ['<h2 id="performance">Performance over time (ground truth)</h2>'];
  const p = data.performance;
  if (!p) {
    out.push(`<p class="muted">No ground truth yet: upload outcomes with <code>lumina labels put ${e(data.project.name)} FILE</code>.</p>`);
    return out.join('\n');
  }
  out.push(`<p>${p.joined.total} outcomes joined to predictions (${p.joined.byRequest} by request id, ${p.joined.byEntity} by entity id; ${p.joined.endpoint} endpoint, ${p.joined.batch} batch) from ${p.uploads.length} labels upload${p.uploads.length === 1 ? '' : 's'}; windows of ${windowText(p.windowMs)} by prediction time; computed ${when(p.generatedAt)}.</p>`);
  if (p.windows.length === 0) {
    out.push('<p class="muted">No outcome could be joined to a logged prediction yet.</p>');
    return out.join('\n');
  }
  const starts = [...new Set(p.windows.map((w) => w.start))].sort();
  const keys = [...new Set(p.windows.map((w) => `v${w.modelVersion} ${w.variant}`))].sort();
  const seriesOf = (pick: (w: PerformanceWindowFigures) => number | null): LineSeries[] =>
    keys.map((key) => ({ name: key, values: starts.map((start) => {
      const w = p.windows.find((x) => x.start === start && `v${x.modelVersion} ${x.variant}` === key);
      return w ? pick(w) : null;
    }) }));
  const labels = starts.map((s) => s.slice(0, 16).replace('T', ' '));
  out.push(
    `<div class="charts">${[
      lineChart(labels, seriesOf((w) => w.auc), { title: 'AUC per window', yMin: 0, yMax: 1 }),
      lineChart(labels, seriesOf((w) => w.accuracy), { title: 'Accuracy per window', yMin: 0, yMax: 1 }),
      lineChart(labels, seriesOf((w) => w.ece), { title: 'Calibration error (ECE) per window', yMin: 0 }),
    ].join('')}</div>`,
  );
  out.push('<h3>Per model version and variant</h3>');
  out.push(
    table(
      ['version', 'variant', 'outcomes', 'positive', 'AUC', 'accuracy', 'ECE', 'log loss', 'mean predicted', 'observed rate', 'predictions'],
      p.versions.map((v) => [`v${v.modelVersion}`, v.variant === null ? '<b>all</b>' : e(v.variant), String(v.count), String(v.positives), num(v.auc), num(v.accuracy), num(v.ece), num(v.logLoss), num(v.meanPredicted), num(v.observedRate), `${when(v.firstPrediction)} – ${when(v.lastPrediction)}`]),
    ),
  );
  const charts = p.calibration.map((c) => {
    const bins = c.bins.filter((b) => b.count > 0);
    return lineChart(
      bins.map((b) => `${num(b.lower, 2)}–${num(b.upper, 2)}`),
      [
        { name: 'observed positive rate', values: bins.map((b) => b.fractionPositive) },
        { name: 'mean predicted', values: bins.map((b) => b.meanPredicted) },
      ],
      { title: `Reliability of v${c.modelVersion} (ECE ${num(c.ece, 3)})`, yMin: 0, yMax: 1, width: 420 },
    );
  });
  out.push(`<h3>Calibration</h3><div class="charts">${charts.join('')}</div>`);
  if (p.abTest) out.push(`<h3>A/B test</h3><p>${e(String(p.abTest.recommendation ?? ''))}: ${e(String(p.abTest.reason ?? ''))}</p>`);
  out.push('<details><summary>Windows</summary>');
  out.push(table(['window start', 'version', 'variant', 'outcomes', 'AUC', 'accuracy', 'ECE'], p.windows.map((w) => [when(w.start), `v${w.modelVersion}`, e(w.variant), String(w.count), num(w.auc), num(w.accuracy), num(w.ece)])));
  out.push('</details>');
  return out.join('\n');
}
