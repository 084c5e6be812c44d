import { buildProfileReport, pearson } from '../../../lambdas/core/datasets/profile-report';
import { tableFromCsv } from '../../../lambdas/core/ml/tabular';
import { barChart, escapeHtml } from '../../../lambdas/core/reports/svg-charts';

function csv(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('buildProfileReport', () => {
  // 40 rows: x = i, y = 2i + 1 (perfectly correlated), z constant, note mostly missing,
  // id unique per row, label 1 in 2 of 40 rows (5%), one outlier in w, and rows 38-39 duplicating row 0.
  const lines = ['id,x,y,z,w,note,label'];
  for (let i = 0; i < 38; i++) lines.push(`R${i},${i},${2 * i + 1},7,${i === 5 ? 1000 : i % 5},${i < 10 ? 'n' : ''},${i === 3 || i === 4 ? 1 : 0}`);
  lines.push('R0,0,1,7,0,n,0', 'R0,0,1,7,0,n,0');
  const report = buildProfileReport(tableFromCsv(csv(lines)), { title: 'Patients <v2>', target: 'label' });

  it('flags each anomaly with the column and the measured value', () => {
    expect(report.anomalies.map((a) => a.message)).toEqual([
      'id: 38 distinct values in 40 rows, looks like an identifier, not a feature',
      'z: a single value (7) in every present row',
      'w: 1 values (2.5%) beyond 3 IQR of the quartiles',
      'note: 70% of values missing',
      'note: a single value (n) in every present row',
      'label: minority class is 5% of labelled rows',
      '2 duplicate rows (5%)',
      'x and y: correlation 1.000',
    ]);
    expect(report.duplicateRows).toBe(2);
  });

  it('computes quartiles, outliers and the correlation matrix', () => {
    const w = report.columns.find((c) => c.name === 'w')!;
    // w over 40 rows: values 0..4 repeating plus 1000; Q1 = 0.75..., the outlier is 1000 only
    expect(w.outliers).toBe(1);
    expect(report.correlation.columns).toEqual(['x', 'y', 'z', 'w', 'label']);
    expect(report.correlation.matrix[0][1]).toBeCloseTo(1, 12);
    expect(Number.isNaN(report.correlation.matrix[0][2])).toBe(true); // z has no spread
  });

  it('renders self-contained HTML with escaped names, a chart per column and the heat map', () => {
    expect(report.html).toContain('<title>Patients &lt;v2&gt;</title>');
    expect(report.html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(report.html.match(/<svg /g)).toHaveLength(7 + 1);
    expect(report.html).toContain('Flagged anomalies (8)');
  });

  it('reports nothing for a clean, balanced data set', () => {
    const clean = ['a,b,label'];
    for (let i = 0; i < 30; i++) clean.push(`${i % 7},${(i * 13) % 11},${i % 2}`);
    expect(buildProfileReport(tableFromCsv(csv(clean)), { title: 't', target: 'label' }).anomalies).toEqual([]);
  });
});

describe('pearson', () => {
  it('matches a hand-computed value and skips rows missing either side', () => {
    // x = 1,2,3,4 ; y = 2,4,5,4 -> mean 2.5 / 3.75; cov = 3.5, var x = 5, var y = 4.75 -> r = 3.5/sqrt(23.75)
    expect(pearson(Float64Array.from([1, 2, 3, 4, NaN]), Float64Array.from([2, 4, 5, 4, 9]))).toBeCloseTo(3.5 / Math.sqrt(23.75), 12);
    expect(Number.isNaN(pearson(Float64Array.from([1, 2]), Float64Array.from([1, 2])))).toBe(true);
  });
});

describe('svg charts', () => {
  it('escapes every label and draws one rect per bar and series', () => {
    const svg = barChart([{ label: '<a>', value: 2 }, { label: 'b&c', value: 1 }], { compare: [{ label: '<a>', value: 1 }, { label: 'b&c', value: 3 }], seriesNames: ['baseline', 'batch'] });
    expect(svg).toContain('&lt;a&gt;');
    expect(svg).toContain('b&amp;c');
    expect(svg).not.toContain('<a>');
    expect(svg.match(/<rect [^>]*fill="#(4c78a8|f58518)"><title>/g)).toHaveLength(4);
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;');
  });
});
