/**
 * The human-readable drift report: one self-contained HTML page (inline CSS and SVG, no
 * scripts, no external assets) with the run's summary, a table of every feature, the
 * constraint violations, and a chart per drifted feature comparing the baseline's and the
 * batch's shares over the bins the distance was computed on. Every name, value and
 * description from the data is escaped.
 */
import { barChart, escapeHtml } from '../reports/svg-charts';
import type { FeatureDrift, MonitorResult } from './data-quality-monitor';

export interface DriftReportContext {
  readonly project: string;
  readonly modelVersion: string;
  readonly batch: string;
  readonly generatedAt: Date;
  readonly defaultThreshold: number;
}

const fmt = (value: number | undefined, digits = 4): string => (value === undefined || !Number.isFinite(value) ? '–' : Number(value.toPrecision(digits)).toString());
const pct = (share: number | undefined): string => (share === undefined ? '–' : `${Number((share * 100).toFixed(2))}%`);

function featureRow(f: FeatureDrift): string {
  const status = f.drifted ? '<b class="bad">drift</b>' : f.status === 'compared' ? 'ok' : escapeHtml(f.status);
  const cells = [
    escapeHtml(f.name),
    f.kind,
    status,
    `${fmt(f.distance)} <small>(${f.measure === 'linf' ? 'L∞' : f.measure.toUpperCase()})</small>`,
    fmt(f.threshold),
    fmt(f.psi),
    fmt(f.ks),
    fmt(f.lInfinity),
    f.chiSquared === undefined ? '–' : `${fmt(f.chiSquared.statistic)} (df ${f.chiSquared.degreesOfFreedom}, p ${fmt(f.chiSquared.pValue, 3)})`,
    `${pct(f.baselineCompleteness)} → ${pct(f.batchCompleteness)}`,
    pct(f.dataTypeMismatchShare),
    pct(f.unknownCategoryShare),
  ];
  return `<tr${f.drifted ? ' class="drifted"' : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function featureChart(f: FeatureDrift): string {
  if (f.distribution === undefined) return '';
  const bars = f.distribution.labels.map((label, i) => ({ label, value: f.distribution!.baseline[i] }));
  const compare = f.distribution.labels.map((label, i) => ({ label, value: f.distribution!.batch[i] }));
  const chart = barChart(bars, { width: 520, height: 200, title: `${f.name}: share per ${f.kind === 'numeric' ? 'baseline decile bin' : 'category'}`, compare, seriesNames: ['baseline', 'batch'] });
  return `<section class="chart"><h3>${escapeHtml(f.name)}</h3><p>${f.measure === 'linf' ? 'L∞' : f.measure.toUpperCase()} ${fmt(f.distance)} &gt; threshold ${fmt(f.threshold)}</p>${chart}</section>`;
}

export function renderDriftReport(result: MonitorResult, context: DriftReportContext): string {
  const drifted = result.features.filter((f) => f.drifted);
  const violations = result.violations.violations;
  const head = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drift report: ${escapeHtml(context.project)} model ${escapeHtml(context.modelVersion)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
tr.drifted{background:#fde8e8}.bad{color:#b00}.chart{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}small{color:#666}</style></head><body>`;
  const summary = `<h1>Data drift report</h1>
<p>Project <b>${escapeHtml(context.project)}</b>, model version <b>${escapeHtml(context.modelVersion)}</b>, batch <code>${escapeHtml(context.batch)}</code>, ${result.rows} rows, generated ${escapeHtml(context.generatedAt.toISOString())}.</p>
<p>Drift score <b>${fmt(result.driftScore)}</b> (default threshold ${fmt(context.defaultThreshold)}): ${drifted.length === 0 ? 'no feature drifted' : `${drifted.length} drifted feature${drifted.length === 1 ? '' : 's'}: ${drifted.map((f) => escapeHtml(f.name)).join(', ')}`}. ${violations.length} constraint violation${violations.length === 1 ? '' : 's'}.</p>`;
  const table = `<h2>Features</h2><table><thead><tr><th>feature</th><th>kind</th><th>status</th><th>distance</th><th>threshold</th><th>PSI</th><th>KS</th><th>L∞</th><th>χ²</th><th>completeness</th><th>type mismatch</th><th>new categories</th></tr></thead><tbody>${result.features.map(featureRow).join('')}</tbody></table>`;
  const violationList =
    violations.length === 0
      ? '<h2>Constraint violations</h2><p>None.</p>'
      : `<h2>Constraint violations</h2><table><thead><tr><th>feature</th><th>check</th><th>description</th></tr></thead><tbody>${violations
          .map((v) => `<tr><td>${escapeHtml(v.feature_name)}</td><td>${escapeHtml(v.constraint_check_type)}</td><td>${escapeHtml(v.description)}</td></tr>`)
          .join('')}</tbody></table>`;
  const charts = drifted.length === 0 ? '' : `<h2>Drifted features</h2>${drifted.map(featureChart).join('')}`;
  return `${head}${summary}${charts}${table}${violationList}</body></html>`;
}
