/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * Scoring a validated batch through onnxruntime: the same probabilities as the engine's own
 * scorer, labels at the model's threshold, the documented confidence, and risk factors in
 * the user's column names whose contributions add up to the record's log-odds.
 */
import { convertToOnnx } from '../../../lambdas/core/ml/onnx';
import { predictMargin, predictRow } from '../../../lambdas/core/ml/predict';
import { encodeRows } from '../../../lambdas/core/ml/tabular';
import { writeXgboostJson } from '../../../lambdas/core/ml/xgboost-json';
import { validateRecords } from '../../../lambdas/core/serving/input-contract';
import { loadServingModel } from '../../../lambdas/core/serving/model-loading';
import { createOnnxScorer } from '../../../lambdas/core/serving/onnx-scorer';
import { columnContributions, DECISION_THRESHOLD_ATTRIBUTE, labelConfidence, ModelLoadError, scoreBatch } from '../../../lambdas/core/serving/scoring';
import { sampleRecord, servingTestModel } from './serving-fixtures';

const gbdt = servingTestModel();
const load = (model = gbdt) => loadServingModel(3, convertToOnnx(model), writeXgboostJson(model), createOnnxScorer);
const records = Array.from({ length: 200 }, (_, i) => sampleRecord(i));

describe('scoreBatch', () => {
  it('gives the engine\'s own probabilities (max |diff| <= 1e-6) for records encoded the engine\'s way', async () => {
    const model = await load();
    const { batch } = validateRecords(model.contract, records, (i) => `records[${i}]`, { unknownCategory: 'reject' });
    const engineRows = encodeRows(gbdt.encodings!, records);

    const scored = await scoreBatch(model, batch!, 5);

    expect(Array.from(batch!.rows)).toEqual(Array.from(engineRows.values));
    const diffs = scored.map((s, r) => Math.abs(s.probability - predictRow(gbdt, engineRows.values.subarray(r * 6, (r + 1) * 6))));
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1e-6);
    expect(new Set(scored.map((s) => s.label))).toEqual(new Set([0, 1]));
  });

  it('labels at 0.5 by default and at the model\'s decision threshold attribute when it has one', async () => {
    const plain = await load();
    const strict = await load(servingTestModel(7, { [DECISION_THRESHOLD_ATTRIBUTE]: '0.8' }));
    const { batch } = validateRecords(plain.contract, records, () => '', { unknownCategory: 'reject' });

    const atHalf = await scoreBatch(plain, batch!, 0);
    const atStrict = await scoreBatch(strict, batch!, 0);

    expect(strict.threshold).toBe(0.8);
    atHalf.forEach((s) => expect(s.label).toBe(s.probability >= 0.5 ? 1 : 0));
    atStrict.forEach((s) => expect(s.label).toBe(s.probability >= 0.8 ? 1 : 0));
    expect(atStrict.filter((s) => s.label === 1).length).toBeLessThan(atHalf.filter((s) => s.label === 1).length);
  });

  it('gives top-k risk factors by |contribution| in column names, with the values sent; all columns plus the base sum to the margin', async () => {
    const model = await load();
    const { batch } = validateRecords(model.contract, records.slice(0, 50), () => '', { unknownCategory: 'reject' });

    const top5 = await scoreBatch(model, batch!, 5);
    const all = await scoreBatch(model, batch!, 6);

    top5.forEach((s, r) => {
      const row = batch!.rows.subarray(r * 6, (r + 1) * 6);
      // The served trees (read back from the XGBoost JSON, whose base score is stored in float32).
      const margin = predictMargin(model.explainer.model, row);
      const sumAll = all[r].riskFactors.reduce((sum, f) => sum + f.contribution, all[r].baseLogOdds);
      expect(Math.abs(sumAll - margin)).toBeLessThan(1e-9);
      // And the ONNX probability's log-odds, up to float32 rounding.
      expect(Math.abs(sumAll - Math.log(s.probability / (1 - s.probability)))).toBeLessThan(1e-4);
      expect(s.riskFactors.length).toBeLessThanOrEqual(5);
      const magnitudes = s.riskFactors.map((f) => Math.abs(f.contribution));
      expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
      for (const f of s.riskFactors) {
        expect(f.value).toEqual(records[r][f.column]);
        expect(f.direction).toBe(f.contribution > 0 ? 'increases' : 'decreases');
      }
    });
  });

  it('sums the contributions of encoded inputs that come from one column', async () => {
    // Two encoded inputs read the user's column "age" (say a value and a derived flag).
    const twoFromAge = { ...gbdt, features: gbdt.features.map((f, i) => (i === 3 ? { ...f, column: 'age' } : f)), encodings: undefined };
    const model = await loadServingModel(1, convertToOnnx(twoFromAge), writeXgboostJson(twoFromAge), createOnnxScorer).catch((e: Error) => e);
    // The endpoint's contract needs one input per column, so such a model is refused at load...
    expect(model).toBeInstanceOf(ModelLoadError);
    // ...but the aggregation itself sums per column: check it on the served model's map.
    const served = await load();
    const row = new Float32Array([1, 0, 1, 0.5, -1, 2]);
    const { byColumn, bias } = columnContributions({ ...served, columns: ['age', 'colour', 'smoker', 'income', 'visits'], columnOfFeature: Int32Array.from([0, 1, 2, 0, 3, 4]) }, row);
    const phi = served.explainer.shap(row);
    expect(byColumn[0]).toBeCloseTo(phi[0] + phi[3], 12);
    expect(bias).toBe(phi[6]);
  });

  it('refuses a model whose XGBoost JSON and ONNX are not the same model', async () => {
    const other = servingTestModel(8);
    const renamed = { ...other, features: other.features.map((f, i) => (i === 0 ? { ...f, name: 'years' } : f)) };

    await expect(loadServingModel(4, convertToOnnx(gbdt), writeXgboostJson(renamed), createOnnxScorer)).rejects.toThrow(/model version 4: the XGBoost JSON model .* and the ONNX model .* are not the same model/);
  });
});

describe('labelConfidence', () => {
  it('is |2p - 1| at threshold 0.5 and scales each side of another threshold to [0, 1]', () => {
    expect(labelConfidence(0.9, 0.5)).toBeCloseTo(0.8, 12);
    expect(labelConfidence(0.1, 0.5)).toBeCloseTo(0.8, 12);
    expect(labelConfidence(0.5, 0.5)).toBe(0);
    // Threshold 0.2: p = 0.6 is half-way from 0.2 to 1; p = 0.1 half-way from 0.2 to 0.
    expect(labelConfidence(0.6, 0.2)).toBeCloseTo(0.5, 12);
    expect(labelConfidence(0.1, 0.2)).toBeCloseTo(0.5, 12);
    expect(labelConfidence(1, 0.2)).toBe(1);
    expect(labelConfidence(0, 0.2)).toBe(1);
  });
});
