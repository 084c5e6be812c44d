/**
 * Small inline-SVG charts for the HTML reports (profiling, drift): self-contained, no
 * scripts, no external assets, every label escaped. A report must open from an S3 console
 * download or a local file with nothing else.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

export interface BarChartOptions {
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
  /** A second series drawn beside the first (e.g. baseline vs batch). */
  readonly compare?: readonly Bar[];
  readonly seriesNames?: readonly [string, string];
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toPrecision(3));

/** A vertical bar chart; with `compare`, two bars per label. */
export function barChart(bars: readonly Bar[], options: BarChartOptions = {}): string {
  const width = options.width ?? 360;
  const height = options.height ?? 160;
  const pad = { top: options.title ? 22 : 8, bottom: 34, left: 36, right: 8 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1e-12, ...bars.map((b) => b.value), ...(options.compare ?? []).map((b) => b.value));
  const slot = bars.length > 0 ? plotW / bars.length : plotW;
  const series = options.compare ? 2 : 1;
  const barW = Math.max(1, (slot * 0.8) / series);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" viewBox="0 0 ${width} ${height}">`];
  if (options.title) parts.push(`<text x="${pad.left}" y="14" font-size="12" font-weight="bold">${escapeHtml(options.title)}</text>`);
  parts.push(`<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${pad.left + plotW}" y2="${pad.top + plotH}" stroke="#999"/>`);
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + 8}" font-size="9" text-anchor="end">${fmt(max)}</text>`);
  const draw = (list: readonly Bar[], offset: number, color: string): void => {
    list.forEach((bar, i) => {
      const h = (Math.max(0, bar.value) / max) * plotH;
      const x = pad.left + i * slot + slot * 0.1 + offset * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(pad.top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${escapeHtml(bar.label)}: ${fmt(bar.value)}</title></rect>`);
    });
  };
  draw(bars, 0, '#4c78a8');
  if (options.compare) draw(options.compare, 1, '#f58518');
  const every = Math.max(1, Math.ceil(bars.length / 8));
  bars.forEach((bar, i) => {
    if (i % every !== 0) return;
    const x = pad.left + i * slot + slot / 2;
    const label = bar.label.length > 12 ? `${bar.label.slice(0, 11)}…` : bar.label;
    parts.push(`<text x="${x.toFixed(1)}" y="${pad.top + plotH + 12}" font-size="9" text-anchor="middle">${escapeHtml(label)}</text>`);
  });
  if (options.compare && options.seriesNames) {
    parts.push(`<rect x="${pad.left}" y="${height - 12}" width="8" height="8" fill="#4c78a8"/><text x="${pad.left + 11}" y="${height - 5}" font-size="9">${escapeHtml(options.seriesNames[0])}</text>`);
    parts.push(`<rect x="${pad.left + 90}" y="${height - 12}" width="8" height="8" fill="#f58518"/><text x="${pad.left + 101}" y="${height - 5}" font-size="9">${escapeHtml(options.seriesNames[1])}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A square heat map of values in [-1, 1] (correlations), labels on both axes. */
export function heatMap(labels: readonly string[], values: readonly (readonly number[])[], cell = 22): string {
  const left = 90;
  const top = 90;
  const size = labels.length * cell;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + size + 8}" height="${top + size + 8}" role="img">`];
  const color = (v: number): string => {
    if (!Number.isFinite(v)) return '#eee';
    const t = Math.min(1, Math.abs(v));
    const shade = Math.round(255 - 180 * t);
    return v >= 0 ? `rgb(${shade},${shade},255)` : `rgb(255,${shade},${shade})`;
  };
  labels.forEach((label, i) => {
    const short = escapeHtml(label.length > 14 ? `${label.slice(0, 13)}…` : label);
    parts.push(`<text x="${left - 4}" y="${top + i * cell + cell * 0.65}" font-size="9" text-anchor="end">${short}</text>`);
    parts.push(`<text transform="translate(${left + i * cell + cell * 0.65},${top - 4}) rotate(-60)" font-size="9">${short}</text>`);
    labels.forEach((other, j) => {
      const v = values[i][j];
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${color(v)}"><title>${escapeHtml(label)} × ${escapeHtml(other)}: ${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}</title></rect>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
