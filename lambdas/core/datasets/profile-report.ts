/**
 * The dataset profiling report a reviewer reads before approving a dataset version: a
 * self-contained HTML page (inline SVG, no scripts) with each column's distribution and
 * missing values, the correlation matrix of the numeric columns, outliers, duplicate rows,
 * and a list of flagged anomalies at the top. The anomalies are also returned as data so the
 * pipeline can record them with the dataset version.
 */
import type { Table, TableColumn } from '../ml/tabular';
import { barChart, escapeHtml, heatMap } from '../reports/svg-charts';

export interface ProfileReportOptions {
  readonly title: string;
  /** The label column, reported for class balance. */
  readonly target?: string;
  /** Flag columns missing more than this fraction. @default 0.2 */
  readonly missingFraction?: number;
  /** Flag numeric pairs with |r| at or above this. @default 0.95 */
  readonly correlation?: number;
  /** Flag columns with more than this fraction of rows beyond 3 IQR from the quartiles. @default 0.01 */
  readonly outlierFraction?: number;
  /** Flag a binary target whose minority class is below this fraction. @default 0.1 */
  readonly minorityFraction?: number;
}

export interface Anomaly {
  readonly kind: 'missing' | 'constant' | 'identifier-like' | 'outliers' | 'duplicates' | 'correlated' | 'imbalance';
  readonly column?: string;
  readonly message: string;
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: TableColumn['type'];
  readonly missing: number;
  readonly distinct: number;
  readonly outliers?: number;
  readonly quartiles?: readonly [number, number, number];
}

export interface ProfileReport {
  readonly html: string;
  readonly anomalies: readonly Anomaly[];
  readonly columns: readonly ColumnProfile[];
  readonly duplicateRows: number;
  /** Numeric column names and their Pearson correlation matrix (NaN where undefined). */
  readonly correlation: { readonly columns: readonly string[]; readonly matrix: readonly (readonly number[])[] };
}

const pct = (part: number, whole: number): string => `${whole === 0 ? 0 : Number(((100 * part) / whole).toFixed(2))}%`;

function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

function presentValues(column: TableColumn): Float64Array {
  if (column.type === 'categorical') return new Float64Array(0);
  const out: number[] = [];
  for (let i = 0; i < column.values.length; i++) if (!Number.isNaN(column.values[i])) out.push(column.values[i]);
  return Float64Array.from(out);
}

/** Pearson correlation over rows where both are present; NaN with fewer than 3 such rows or no spread. */
export function pearson(a: Float64Array, b: Float64Array): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    n++;
    sa += a[i];
    sb += b[i];
  }
  if (n < 3) return Number.NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return va === 0 || vb === 0 ? Number.NaN : cov / Math.sqrt(va * vb);
}

function histogram(values: Float64Array, buckets = 12): { label: string; value: number }[] {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return [{ label: String(min), value: values.length }];
  const width = (max - min) / buckets;
  const counts = new Array<number>(buckets).fill(0);
  for (const v of values) counts[Math.min(buckets - 1, Math.floor((v - min) / width))]++;
  return counts.map((value, i) => ({ label: (min + i * width).toPrecision(3), value }));
}

export function buildProfileReport(table: Table, options: ProfileReportOptions): ProfileReport {
  const limits = { missing: options.missingFraction ?? 0.2, correlation: options.correlation ?? 0.95, outliers: options.outlierFraction ?? 0.01, minority: options.minorityFraction ?? 0.1 };
  const rows = table.rowCount;
  const anomalies: Anomaly[] = [];
  const columns: ColumnProfile[] = [];
  const charts: string[] = [];

  for (const column of table.columns) {
    const missing = column.text.reduce((n, cell) => n + (cell === null ? 1 : 0), 0);
    const counts = new Map<string, number>();
    for (const cell of column.text) if (cell !== null) counts.set(cell, (counts.get(cell) ?? 0) + 1);
    const distinct = counts.size;
    let profile: ColumnProfile = { name: column.name, type: column.type, missing, distinct };
    if (rows > 0 && missing / rows > limits.missing) anomalies.push({ kind: 'missing', column: column.name, message: `${column.name}: ${pct(missing, rows)} of values missing` });
    if (rows > 1 && distinct === 1 && missing < rows) anomalies.push({ kind: 'constant', column: column.name, message: `${column.name}: a single value (${[...counts.keys()][0]}) in every present row` });
    if (distinct === 0) anomalies.push({ kind: 'constant', column: column.name, message: `${column.name}: no values at all` });

    if (column.type === 'numeric') {
      const values = presentValues(column).sort();
      // Quartile fences mean nothing for a binary or constant column (IQR 0 makes every other value an outlier).
      if (values.length >= 4 && distinct > 2) {
        const q: [number, number, number] = [quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75)];
        const iqr = q[2] - q[0];
        let outliers = 0;
        if (iqr > 0) for (const v of values) if (v < q[0] - 3 * iqr || v > q[2] + 3 * iqr) outliers++;
        profile = { ...profile, outliers, quartiles: q };
        if (outliers / rows > limits.outliers) anomalies.push({ kind: 'outliers', column: column.name, message: `${column.name}: ${outliers} values (${pct(outliers, rows)}) beyond 3 IQR of the quartiles` });
      }
      charts.push(barChart(histogram(values), { title: `${column.name} (missing ${pct(missing, rows)})` }));
    } else {
      if (column.type === 'categorical' && rows >= 20 && distinct > 0.5 * rows && column.name !== options.target) {
        anomalies.push({ kind: 'identifier-like', column: column.name, message: `${column.name}: ${distinct} distinct values in ${rows} rows, looks like an identifier, not a feature` });
      }
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 12);
      charts.push(barChart(top.map(([label, value]) => ({ label, value })), { title: `${column.name} (${distinct} distinct, missing ${pct(missing, rows)})` }));
    }
    if (column.name === options.target && distinct === 2) {
      const minority = Math.min(...counts.values());
      if (minority / (rows - missing) < limits.minority) anomalies.push({ kind: 'imbalance', column: column.name, message: `${column.name}: minority class is ${pct(minority, rows - missing)} of labelled rows` });
    }
    columns.push(profile);
  }

  const seen = new Set<string>();
  let duplicateRows = 0;
  for (let r = 0; r < rows; r++) {
    const key = JSON.stringify(table.columns.map((c) => c.text[r]));
    if (seen.has(key)) duplicateRows++;
    else seen.add(key);
  }
  if (duplicateRows > 0) anomalies.push({ kind: 'duplicates', message: `${duplicateRows} duplicate row${duplicateRows === 1 ? '' : 's'} (${pct(duplicateRows, rows)})` });

  const numeric = table.columns.filter((c): c is Extract<TableColumn, { type: 'numeric' | 'boolean' }> => c.type !== 'categorical');
  const matrix = numeric.map((a) => numeric.map((b) => (a === b ? 1 : pearson(a.values, b.values))));
  for (let i = 0; i < numeric.length; i++) {
    for (let j = i + 1; j < numeric.length; j++) {
      if (Math.abs(matrix[i][j]) >= limits.correlation) {
        anomalies.push({ kind: 'correlated', column: numeric[i].name, message: `${numeric[i].name} and ${numeric[j].name}: correlation ${matrix[i][j].toFixed(3)}` });
      }
    }
  }

  const columnRows = columns
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${c.type}</td><td>${c.missing} (${pct(c.missing, rows)})</td><td>${c.distinct}</td><td>${c.quartiles ? c.quartiles.map((q) => q.toPrecision(4)).join(' / ') : ''}</td><td>${c.outliers ?? ''}</td></tr>`,
    )
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}.flag{color:#b00}</style></head><body>
<h1>${escapeHtml(options.title)}</h1>
<p>${rows} rows, ${table.columns.length} columns, ${duplicateRows} duplicate rows.</p>
<h2>Flagged anomalies (${anomalies.length})</h2>
${anomalies.length === 0 ? '<p>None.</p>' : `<ul>${anomalies.map((a) => `<li class="flag">${escapeHtml(a.message)}</li>`).join('')}</ul>`}
<h2>Columns</h2>
<table><thead><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>quartiles</th><th>outliers (3 IQR)</th></tr></thead><tbody>${columnRows}</tbody></table>
<h2>Distributions</h2><div class="charts">${charts.join('')}</div>
<h2>Correlations (numeric columns)</h2>${numeric.length >= 2 ? heatMap(numeric.map((c) => c.name), matrix) : '<p>Fewer than two numeric columns.</p>'}
</body></html>
`;
  return { html, anomalies, columns, duplicateRows, correlation: { columns: numeric.map((c) => c.name), matrix } };
}
