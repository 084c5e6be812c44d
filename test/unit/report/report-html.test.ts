import { summarisePerformance } from '../../../lambdas/core/performance/performance-summary';
import type { ModelVersionSummary } from '../../../lambdas/core/registry/model-version';
import { lineChart } from '../../../local/report/line-chart';
import { summariseReport } from '../../../local/report/project-report';
import { type ProjectReportData, renderProjectReport, windowText } from '../../../local/report/report-html';

const EVIL = '<script>alert("x")</script>';

const version = (n: number, extra: Partial<ModelVersionSummary> = {}): ModelVersionSummary => ({
  version: n,
  status: 'accepted',
  stage: 'none',
  registeredAt: `2026-03-0${n}T09:00:00.000Z`,
  primaryMetric: 'auc',
  primaryScore: 0.8,
  metrics: { auc: 0.8 + n / 100, logLoss: 0.4 },
  datasetVersionId: `ds-${n}`,
  trigger: 's3',
  executionId: `exec-${n}`,
  ...extra,
});

function reportData(overrides: Partial<ProjectReportData> = {}): ProjectReportData {
  const at = (i: number) => `2026-03-0${i}T10:00:00.000Z`;
  const joined = [0.9, 0.2, 0.8, 0.3].map((probability, i) => ({
    prediction: { requestId: `r${i}`, modelVersion: 1, variant: 'champion', probability, at: at(2 + (i % 2)) },
    outcome: (i % 2 === 0 ? 1 : 0) as 0 | 1,
    joinedBy: 'request' as const,
  }));
  return {
    project: { name: 'adherence', stackName: 'SC-000000000000-pp-adherence', createdAt: at(1), parameters: { TargetColumn: EVIL, DriftThreshold: '0.2' } },
    generatedAt: at(5),
    bucket: 'luminaops-artifacts',
    registry: {
      staging: 2,
      production: 1,
      versions: [version(1, { stage: 'production' }), version(2, { stage: 'staging', datasetVersionId: EVIL })],
      stageHistory: [{ revision: 1, project: 'adherence', version: 1, from: 'staging', to: 'production', actor: 'local:alice', reason: `approved ${EVIL}`, at: at(3), displaced: [] }],
    },
    runs: [
      { name: 'run-2', pipeline: 'InferencePipeline', status: 'FAILED', startDate: at(4), stopDate: at(4), durationMs: 1200, failure: `BatchFileError: ${EVIL}` },
      { name: 'run-1', pipeline: 'TrainingPipeline', status: 'SUCCEEDED', startDate: at(2), durationMs: 45_000 },
    ],
    drift: {
      threshold: 0.2,
      batches: [
        { input: 'june', runId: '0123456789abcdef', prefix: 'p/june/0123456789abcdef/', at: at(3), modelVersion: 1, rowsScored: 100, monitored: true, driftScore: 0.05, driftedFeatures: [], violations: [], reportKey: 'p/june/0123456789abcdef/monitor/report.html', reportHref: 'drift/june-0123456789abcdef.html' },
        {
          input: `july${EVIL}`,
          runId: 'fedcba9876543210',
          prefix: 'p/july/fedcba9876543210/',
          at: at(4),
          modelVersion: 1,
          monitored: true,
          driftScore: 0.61,
          driftedFeatures: ['age', `brand${EVIL}`],
          violations: [{ feature: 'age', check: 'baseline_drift_check', description: `Baseline drift distance 0.61 ${EVIL}` }],
          reportKey: 'p/july/fedcba9876543210/monitor/report.html',
        },
        { input: 'old', runId: '1111111111111111', prefix: 'p/old/1111111111111111/', at: at(1), monitored: false, driftScore: null, driftedFeatures: [], violations: [] },
      ],
    },
    performance: summarisePerformance(joined, { project: 'adherence', now: new Date(at(5)), uploads: ['u1'], outcomes: 4 }),
    notes: [`could not read ${EVIL}`],
    ...overrides,
  };
}

describe('renderProjectReport', () => {
  it('escapes every text that came from users or data', () => {
    const html = renderProjectReport(reportData());

    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // Parameters, dataset ids, stage reasons, run errors, batch names, features, violations and notes all carry EVIL.
    expect(html.split('&lt;script&gt;').length - 1).toBeGreaterThanOrEqual(8);
  });

  it('is one self-contained page: inline style and SVG, no scripts or external references', () => {
    const html = renderProjectReport(reportData());

    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<link|<img|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('charts the registry, the runs, drift per batch with the threshold and performance over time', () => {
    const html = renderProjectReport(reportData());
    const section = (id: string): string => {
      const start = html.indexOf(`id="${id}"`);
      const end = html.indexOf('<h2', start);
      return html.slice(start, end === -1 ? undefined : end);
    };

    expect(section('registry')).toContain('auc by version');
    expect(section('registry')).toMatch(/<svg[^>]*>.*<rect[^>]*><title>v1: 0\.810<\/title>/s);
    expect(section('runs')).toContain('<svg');
    const drift = section('drift');
    expect(drift).toContain('Drift score per batch (threshold 0.2)');
    expect(drift).toMatch(/stroke-dasharray="4 3"/);
    expect(drift).toContain('<title>drift score · july');
    expect(drift).toContain('Batches in which each feature drifted');
    expect(drift).toContain('<a href="drift/june-0123456789abcdef.html">report.html</a>');
    expect(drift).toContain('<code>s3://luminaops-artifacts/p/july/fedcba9876543210/monitor/report.html</code>');
    expect(drift).toContain('1 more batch was scored without a baseline');
    const performance = section('performance');
    expect(performance).toContain('AUC per window');
    expect(performance).toContain('Calibration error (ECE) per window');
    expect(performance).toContain('Reliability of v1');
    expect(performance.match(/<polyline/g)?.length).toBeGreaterThanOrEqual(3);
    expect(performance).toContain('windows of 1 day');
  });

  it('says what is missing instead of drawing empty charts', () => {
    const html = renderProjectReport(reportData({ registry: { staging: null, production: null, versions: [], stageHistory: [] }, runs: [], drift: { threshold: 0.2, batches: [] }, performance: null, notes: [] }));

    expect(html).toContain('No model version registered yet.');
    expect(html).toContain('No pipeline run yet.');
    expect(html).toContain('No monitored inference batch yet.');
    expect(html).toContain('<code>lumina labels put adherence FILE</code>');
    expect(html).not.toContain('<svg');
  });
});

describe('summariseReport', () => {
  it('gives the headline figures', () => {
    expect(summariseReport(reportData())).toEqual({
      project: 'adherence',
      versions: 2,
      staging: 2,
      production: 1,
      runs: 2,
      failedRuns: 1,
      monitoredBatches: 2,
      driftedBatches: 1,
      latestDriftScore: 0.61,
      labelledOutcomes: 4,
      latestAuc: null,
    });
  });
});

describe('lineChart', () => {
  it('breaks a line at a missing value and escapes names and labels', () => {
    const svg = lineChart(['a', 'b', 'c', 'd<'], [{ name: 'v1 <champion>', values: [0.5, 0.6, null, 0.7] }], { yMin: 0, yMax: 1, reference: { value: 0.65, label: 'floor' } });

    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('v1 &lt;champion&gt; · d&lt;: 0.7');
    expect(svg).toContain('>floor</text>');
  });
});

describe('windowText', () => {
  it.each([
    [86_400_000, '1 day'],
    [7 * 86_400_000, '7 days'],
    [6 * 3_600_000, '6 hours'],
    [1_800_000, '30 minutes'],
  ])('%d ms is %s', (ms, text) => {
    expect(windowText(ms)).toBe(text);
  });
});
