/**
 * An inline-SVG line chart for the project report (values over time per series), in the
 * style of lambdas/core/reports/svg-charts.ts: no scripts, no external assets, every label
 * escaped. A null value breaks its line (a window without data is not drawn as a value).
 */
import { escapeHtml } from '../../lambdas/core/reports/svg-charts';

export interface LineSeries {
  readonly name: string;
  /** One value per x label; null where the series has no value. */
  readonly values: readonly (number | null)[];
}

export interface LineChartOptions {
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
  /** @default the smallest value (0 when all are positive) */
  readonly yMin?: number;
  /** @default the largest value */
  readonly yMax?: number;
  /** A dashed horizontal line, e.g. a threshold or a floor. */
  readonly reference?: { readonly value: number; readonly label: string };
}

export const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'] as const;

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : Number(n.toPrecision(3)).toString());

export function lineChart(xLabels: readonly string[], series: readonly LineSeries[], options: LineChartOptions = {}): string {
  const width = options.width ?? 520;
  const legendRows = Math.ceil(series.length / 3);
  const height = (options.height ?? 200) + legendRows * 14;
  const pad = { top: options.title ? 22 : 8, bottom: 30 + legendRows * 14, left: 44, right: 12 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (options.reference) values.push(options.reference.value);
  const low = options.yMin ?? Math.min(0, ...values);
  const high = Math.max(options.yMax ?? Math.max(...values, low + 1e-9), low + 1e-9);
  const x = (i: number): number => pad.left + (xLabels.length <= 1 ? plotW / 2 : (i / (xLabels.length - 1)) * plotW);
  const y = (v: number): number => pad.top + plotH - ((Math.min(high, Math.max(low, v)) - low) / (high - low)) * plotH;

  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" viewBox="0 0 ${width} ${height}">`];
  if (options.title) parts.push(`<text x="${pad.left}" y="14" font-size="12" font-weight="bold">${escapeHtml(options.title)}</text>`);
  parts.push(`<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${pad.left + plotW}" y2="${pad.top + plotH}" stroke="#999"/>`);
  parts.push(`<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" stroke="#999"/>`);
  for (const tick of [low, (low + high) / 2, high]) {
    parts.push(`<text x="${pad.left - 4}" y="${(y(tick) + 3).toFixed(1)}" font-size="9" text-anchor="end">${fmt(tick)}</text>`);
  }
  if (options.reference) {
    const ry = y(options.reference.value).toFixed(1);
    parts.push(`<line x1="${pad.left}" y1="${ry}" x2="${pad.left + plotW}" y2="${ry}" stroke="#c00" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${pad.left + plotW}" y="${(Number(ry) - 3).toFixed(1)}" font-size="9" text-anchor="end" fill="#c00">${escapeHtml(options.reference.label)}</text>`);
  }
  const every = Math.max(1, Math.ceil(xLabels.length / 6));
  xLabels.forEach((label, i) => {
    if (i % every !== 0 && i !== xLabels.length - 1) return;
    const short = label.length > 16 ? `${label.slice(0, 15)}…` : label;
    // The end labels hang inwards, so they stay inside the chart.
    const anchor = xLabels.length > 1 && i === 0 ? 'start' : xLabels.length > 1 && i === xLabels.length - 1 ? 'end' : 'middle';
    parts.push(`<text x="${x(i).toFixed(1)}" y="${pad.top + plotH + 12}" font-size="9" text-anchor="${anchor}">${escapeHtml(short)}</text>`);
  });
  series.forEach((s, index) => {
    const color = SERIES_COLORS[index % SERIES_COLORS.length];
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${run.join(' ')}"/>`);
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        flush();
        return;
      }
      run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeHtml(s.name)} · ${escapeHtml(xLabels[i] ?? '')}: ${fmt(v)}</title></circle>`);
    });
    flush();
    const lx = pad.left + (index % 3) * Math.floor(plotW / 3);
    const ly = height - 6 - (legendRows - 1 - Math.floor(index / 3)) * 14;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="8" height="8" fill="${color}"/><text x="${lx + 11}" y="${ly}" font-size="9">${escapeHtml(s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
