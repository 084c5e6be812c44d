import { BatchContractError } from '../../../lambdas/core/batch/errors';
import { checkBatchHeader, compileRowEncoder, TEXT_PATH } from '../../../lambdas/core/batch/input-contract';
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

  it.each(cells.filter((row) => !row.some((cell) => cell.includes(','))).map((row, i) => [i, row]))('encodes or rejects case %i from the record bytes exactly as from its fields (%j)', (_, row) => {
    // Prepare: the record inside a larger buffer, as in a chunk
    const record = (row as string[]).join(',');
    const bytes = Buffer.from(`xx\n${record}\nyy`);
    const fromFields = new Float32Array(3).fill(-1);
    const fromBytes = new Float32Array(3).fill(-1);

    // Act
    const expected = encoder.encode(row as string[], 2, fromFields, 0);
    const actual = encoder.encodeAscii(bytes, 3, 3 + record.length, 2, fromBytes, 0);

    // Assess
    expect(actual).toEqual(expected);
    if (expected === undefined) expect(Array.from(fromBytes)).toEqual(Array.from(fromFields));
  });

  it('sends records with quotes, non-ASCII bytes or the wrong field count to the text path', () => {
    for (const record of ['1,"red",yes', '1,rød,yes', '1,red', '1,red,yes,extra', '1,red,"yes']) {
      const bytes = Buffer.from(record);
      expect(encoder.encodeAscii(bytes, 0, bytes.length, 2, new Float32Array(3), 0)).toBe(TEXT_PATH);
    }
  });

  it('reads plain decimals from bytes as Number() does, to the last bit', () => {
    const numeric = compileRowEncoder(checkBatchHeader('age,colour,smoker', metadata));
    for (const text of ['0.1', '-0', '+7', '.5', '5.', '123456789012345', '0.000000000000001', '-98765.4321', '3.4028234', '0.30000000000000004']) {
      const out = new Float32Array(3);
      const bytes = Buffer.from(`${text},red,yes`);
      expect(numeric.encodeAscii(bytes, 0, bytes.length, 2, out, 0)).toBeUndefined();
      expect(Object.is(out[0], Math.fround(Number(text)))).toBe(true);
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
