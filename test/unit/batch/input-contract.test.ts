import { BatchContractError } from '../../../lambdas/core/batch/errors';
import { checkBatchHeader, compileRowEncoder } from '../../../lambdas/core/batch/input-contract';
import type { OnnxModelMetadata } from '../../../lambdas/core/ml/onnx';
import { DataError, encodeRows } from '../../../lambdas/core/ml/tabular';

const metadata: Pick<OnnxModelMetadata, 'features' | 'encodings' | 'objective' | 'attributes'> = {
  objective: 'binary:logistic',
  attributes: {},
  features: [
    { name: 'age', column: 'age', type: 'float' },
    { name: 'colour', column: 'colour', type: 'categorical' },
    { name: 'smoker', column: 'smoker', type: 'boolean' },
  ],
  encodings: [
    { kind: 'numeric', column: 'age' },
    { kind: 'categorical', column: 'colour', categories: ['blue', 'red'], unknownCode: 2 },
    { kind: 'boolean', column: 'smoker' },
  ],
};

describe('checkBatchHeader', () => {
  it('maps model columns to header positions and lets other columns pass through', () => {
    const contract = checkBatchHeader(' id , smoker,age,colour,note', metadata);
    expect(contract.inputs.map((i) => i.position)).toEqual([2, 3, 1]);
    expect(contract.threshold).toBe(0.5);
  });

  it('names missing, duplicate and colliding columns', () => {
    expect(() => checkBatchHeader('id,age', metadata)).toThrow(new BatchContractError("row 1 (header): the model's columns are missing: colour, smoker (the model reads age, colour, smoker)", ['colour', 'smoker']));
    expect(() => checkBatchHeader('age,colour,smoker,age', metadata)).toThrow('duplicate column names: age');
    expect(() => checkBatchHeader('age,colour,smoker,probability', metadata)).toThrow('probability would collide with the output columns');
    expect(() => checkBatchHeader('age,colour,smoker', { ...metadata, objective: 'reg:squarederror' })).toThrow('scores binary:logistic models');
  });
});

describe('compileRowEncoder', () => {
  const contract = checkBatchHeader('age,colour,smoker', metadata);
  const encoder = compileRowEncoder(contract);
  const cells: string[][] = [
    ['1.5', 'red', 'yes'], [' -2e3 ', 'green', 'FALSE'], ['', 'NA', 'null'], ['NaN', 'blue', '1'], ['.5', ' red ', 'No'],
    ['abc', 'red', 'yes'], ['inf', 'red', 'yes'], ['1e39', 'red', 'yes'], ['1e400', 'red', 'yes'], ['0x10', 'red', 'yes'], ['1', 'red', 'maybe'], ['1,000', 'red', '0'], ['5.', 'red', '0'], ['.', 'red', '0'], ['+', 'red', '0'], ['1e', 'red', '0'], ['1e+5', 'red', '0'], ['-.5e-3', 'red', '0'], ['1.2.3', 'red', '0'], ['--1', 'red', '0'],
  ];

  it.each(cells.map((row, i) => [i, row]))('encodes or rejects case %i exactly as the engine does (%j)', (_, row) => {
    // Act
    const out = new Float32Array(3);
    const rejection = encoder.encode(row as string[], 2, out, 0);
    let expected: Float32Array | DataError;
    try {
      expected = encodeRows(metadata.encodings!, [{ age: row[0], colour: row[1], smoker: row[2] }]).values;
    } catch (error) {
      expected = error as DataError;
    }

    // Assess
    if (expected instanceof DataError) {
      expect(rejection).toEqual({ row: 2, column: expected.column, reason: expected.reason, value: expected.value });
    } else {
      expect(rejection).toBeUndefined();
      expect(Array.from(out)).toEqual(Array.from(expected));
    }
  });

  it('rejects a row with the wrong number of fields', () => {
    expect(encoder.encode(['1', 'red'], 7, new Float32Array(3), 0)).toEqual({ row: 7, column: '', reason: 'row has 2 fields but the header has 3', value: '' });
  });
});

describe('formatProbability', () => {
  it('writes 6 decimals like toFixed for probabilities', () => {
    const { formatProbability } = jest.requireActual('../../../lambdas/core/batch/score-chunk') as typeof import('../../../lambdas/core/batch/score-chunk');
    for (const p of [0, 1, 0.5, 0.1234564, 0.0000004, 0.9999996, 0.03125, Math.fround(0.7310586)]) expect(formatProbability(p)).toBe(p.toFixed(6));
  });
});
