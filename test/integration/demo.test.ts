/**
 * The main job in CI: the whole `npm start` demo on the local cloud with a smaller data size.
 * Every check of the demo (brand effects recovered, no drift on the like-for-like batch,
 * drift + alarm + retraining on the drifted one) must hold, and the summary must be written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DemoSummary, runDemo } from '../../local/demo/run-demo';

jest.setTimeout(300_000);

describe('npm start demo (small data)', () => {
  let summary: DemoSummary;
  const lines: string[] = [];
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-demo-test-'));

  beforeAll(async () => {
    summary = await runDemo({ patients: 2500, batchPatients: 1200, outDir, log: (line) => lines.push(line) });
  });

  it('completes every step and writes the summary it returns', () => {
    expect(summary.steps.map((s) => s.step)).toEqual(['boot', 'provision', 'train', 'promote', 'brand effects', 'predict', 'batch', 'drifted batch', 'retrain', 'report']);
    expect(lines).toHaveLength(summary.steps.length);
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(summary.ok).toBe(true);
    expect(summary.files.report).toBe(path.join(outDir, 'index.html'));
    const html = fs.readFileSync(summary.files.report!, 'utf8');
    expect(html).toContain('adherence');
    expect(html).toContain('<svg');
  });

  it('recovers the generator brand effects in their true order from TreeSHAP', () => {
    expect(summary.brandEffects.recoveredOrder).toEqual(summary.brandEffects.trueOrder);
    expect(summary.brandEffects.trueOrder).toEqual(['Insulex', 'Sitaglin', 'Glucora', 'Metforal']);
  });

  it('answers one prediction per brand through the endpoint with probability, confidence and risk factors', () => {
    expect(summary.predictions.byBrand.map((p) => p.brand)).toEqual(['Metforal', 'Glucora', 'Sitaglin', 'Insulex']);
    for (const p of summary.predictions.byBrand) {
      expect(p.probability).toBeGreaterThan(0);
      expect(p.probability).toBeLessThan(1);
      expect(p.confidence).toBeGreaterThanOrEqual(0);
      expect(p.riskFactors.length).toBeGreaterThan(0);
    }
  });

  it('finds no drift in the like-for-like batch and drift in the older population, whose alarm starts a retraining judged against the champion', () => {
    expect(summary.batches.baseline).toMatchObject({ driftedFeatures: [], alarm: 'OK', rowsRejected: 0 });
    expect(summary.batches.drifted.driftedFeatures).toContain('age');
    expect(summary.batches.drifted.alarm).toBe('ALARM');
    expect(summary.retraining).toMatchObject({ trigger: 'alarm', status: 'SUCCEEDED' });
    expect(summary.retraining.challengerVersion).toBe(2);
    expect(['staged', 'rejected']).toContain(summary.retraining.decision);
    // The alarm and the drifted monitored feature it named are in the challenger's lineage.
    expect(summary.retraining.lineage.alarm).toMatch(/-drift$/);
    expect(summary.retraining.lineage.driftedFeatures).toContain('age');
  });
});
