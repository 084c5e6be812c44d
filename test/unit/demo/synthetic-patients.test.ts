import { encodeTable, encodeTarget, fitEncoding, tableFromCsv } from '../../../lambdas/core/ml/tabular';
import { trainGbdt } from '../../../lambdas/core/ml/trainer';
import { createTreeExplainer } from '../../../lambdas/core/ml/treeshap';
import { BRANDS, COLUMNS, brandsByTrueEffect, generatePatients } from '../../../local/demo/synthetic-patients';

function rowsOf(csv: string): string[][] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
}

describe('generatePatients', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generatePatients({ patients: 300, seed: 7 });
    expect(generatePatients({ patients: 300, seed: 7 }).csv).toBe(a.csv);
    expect(generatePatients({ patients: 300, seed: 8 }).csv).not.toBe(a.csv);
  });

  it('writes one row per prescription, 1 to 3 distinct brands per patient, with the documented columns', () => {
    const { csv, rows, patients } = generatePatients({ patients: 500, seed: 1 });
    expect(csv.split('\n')[0]).toBe(COLUMNS.join(','));
    const table = rowsOf(csv);
    expect(table).toHaveLength(rows);
    const brandsByPatient = new Map<string, string[]>();
    for (const row of table) {
      expect(row).toHaveLength(COLUMNS.length);
      brandsByPatient.set(row[0], [...(brandsByPatient.get(row[0]) ?? []), row[11]]);
    }
    expect(brandsByPatient.size).toBe(patients);
    for (const brands of brandsByPatient.values()) {
      expect(brands.length).toBeGreaterThanOrEqual(1);
      expect(brands.length).toBeLessThanOrEqual(3);
      expect(new Set(brands).size).toBe(brands.length);
    }
  });

  it('stops more often on brands with a larger true effect', () => {
    const rows = rowsOf(generatePatients({ patients: 20_000, seed: 3 }).csv);
    const rate = (brand: string): number => {
      const mine = rows.filter((row) => row[11] === brand);
      return mine.filter((row) => row[13] === '1').length / mine.length;
    };
    const rates = brandsByTrueEffect().map(rate);
    for (let i = 1; i < rates.length; i++) expect(rates[i - 1]).toBeGreaterThan(rates[i]);
  });

  it('shifts ages and brand mix under drift, and leaves the label out of unlabelled batches', () => {
    const meanAge = (csv: string): number => {
      const rows = rowsOf(csv);
      return rows.reduce((sum, row) => sum + Number(row[1]), 0) / rows.length;
    };
    const base = generatePatients({ patients: 3_000, seed: 5 });
    const older = generatePatients({ patients: 3_000, seed: 5, drift: { ageShift: 15, brandMix: { Insulex: 6 } }, unlabelled: true });
    expect(meanAge(older.csv) - meanAge(base.csv)).toBeGreaterThan(12);
    const olderRows = rowsOf(older.csv);
    expect(olderRows[0]).toHaveLength(COLUMNS.length - 1);
    const insulexShare = olderRows.filter((row) => row[11] === 'Insulex').length / olderRows.length;
    expect(insulexShare).toBeGreaterThan(0.4);
  });

  it('refuses a non-positive patient count and a brand mix with no weight', () => {
    expect(() => generatePatients({ patients: 0, seed: 1 })).toThrow('patients must be a positive integer, got 0');
    const none = Object.fromEntries(BRANDS.map((b) => [b, 0]));
    expect(() => generatePatients({ patients: 10, seed: 1, drift: { brandMix: none } })).toThrow('brandMix must give at least one brand a positive weight');
  });

  it('lets the embedded trainer recover the brand effects in their true order (mean SHAP of brand per brand)', async () => {
    const table = tableFromCsv(generatePatients({ patients: 6_000, seed: 11 }).csv);
    const fitted = fitEncoding(table, { target: 'stopped_within_30d', entityId: 'patient_id' });
    const matrix = encodeTable(fitted.encodings, table);
    const labels = encodeTarget(table, { target: 'stopped_within_30d', task: 'binary', positiveLabel: '1' }).values;
    const { model } = await trainGbdt(
      { objective: 'binary:logistic', features: matrix, labels, featureSpecs: fitted.features },
      { nEstimators: 60, maxDepth: 3, learningRate: 0.1, seed: 1 },
    );
    const explainer = createTreeExplainer(model);
    const brandColumn = fitted.features.findIndex((f) => f.column === 'brand');
    const brandCells = table.columns.find((c) => c.name === 'brand')!.text;
    const sum = new Map<string, number>();
    const count = new Map<string, number>();
    for (let r = 0; r < matrix.nRows; r++) {
      const phi = explainer.shap(matrix.values.subarray(r * matrix.nCols, (r + 1) * matrix.nCols));
      const brand = brandCells[r]!;
      sum.set(brand, (sum.get(brand) ?? 0) + phi[brandColumn]);
      count.set(brand, (count.get(brand) ?? 0) + 1);
    }
    const recovered = [...BRANDS].sort((a, b) => sum.get(b)! / count.get(b)! - sum.get(a)! / count.get(a)!);
    expect(recovered).toEqual(brandsByTrueEffect());
  });
});
