import {
  DataError,
  encodeCsv,
  encodeRows,
  encodeTable,
  encodeTarget,
  fitEncoding,
  getColumn,
  inferColumnType,
  selectRows,
  tableFromCsv,
  tableFromRecords,
} from '../../../lambdas/core/ml/tabular';

/**
 * Runs fn and returns the DataError it threw, checking that the message names the column
 * and row the error carries; fails the test when fn throws nothing or something else.
 */
function thrownBy(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    const dataError = error as DataError;
    if (dataError.column !== undefined) expect(dataError.message).toContain(`column '${dataError.column}'`);
    if (dataError.row !== undefined) expect(dataError.message).toContain(`row ${dataError.row}`);
    return dataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

const PATIENTS = [
  'patient_id,age,sex,smoker,zip,readmitted',
  'p1,64,F,yes,02134,no',
  'p2,NA,M,no,10001,yes',
  'p3,51.5,F,,02134,no',
  'p4,70,"X, other",TRUE,94105,Yes',
  'p5,,M,No,10001,no',
].join('\n');

describe('tableFromCsv', () => {
  it('infers numeric, categorical and boolean columns and reads missing tokens as missing', () => {
    // Act
    const table = tableFromCsv(PATIENTS);

    // Assess
    expect(table.rowCount).toBe(5);
    expect(table.columns.map((column) => [column.name, column.type])).toEqual([
      ['patient_id', 'categorical'],
      ['age', 'numeric'],
      ['sex', 'categorical'],
      ['smoker', 'boolean'],
      ['zip', 'numeric'],
      ['readmitted', 'boolean'],
    ]);
    const age = getColumn(table, 'age');
    expect(age.type === 'numeric' && Array.from(age.values)).toEqual([64, NaN, 51.5, 70, NaN]);
    const smoker = getColumn(table, 'smoker');
    expect(smoker.type === 'boolean' && Array.from(smoker.values)).toEqual([1, 0, NaN, 1, 0]);
    expect(getColumn(table, 'sex').text).toEqual(['F', 'M', 'F', 'X, other', 'M']);
  });

  it('keeps a declared type over the inferred one', () => {
    // Act
    const table = tableFromCsv(PATIENTS, { schema: { zip: 'categorical' } });

    // Assess
    expect(getColumn(table, 'zip').type).toBe('categorical');
    expect(getColumn(table, 'zip').text).toEqual(['02134', '10001', '02134', '94105', '10001']);
  });

  it('treats only the configured tokens as missing', () => {
    // Act
    const table = tableFromCsv('a,b\n1,x\n?,y\n3,z', { missingValues: ['?'] });

    // Assess
    const a = getColumn(table, 'a');
    expect(a.type === 'numeric' && Array.from(a.values)).toEqual([1, NaN, 3]);
  });

  it('tolerates a BOM and a trailing blank line', () => {
    // Act
    const table = tableFromCsv('\ufeffx,y\r\n1,2\r\n3,4\r\n\r\n');

    // Assess
    expect(table.columns.map((column) => column.name)).toEqual(['x', 'y']);
    expect(table.rowCount).toBe(2);
  });
});

describe('inferColumnType', () => {
  it('keeps 0/1-only columns numeric and needs a true/false/yes/no word for boolean', () => {
    expect(inferColumnType(['0', '1', '1'])).toBe('numeric');
    expect(inferColumnType(['YES', 'no', '1'])).toBe('boolean');
    expect(inferColumnType(['1', '2', 'x'])).toBe('categorical');
    expect(inferColumnType([])).toBe('numeric');
  });
});

describe('tableFromRecords', () => {
  it('reads numbers, booleans, strings and nulls from records', () => {
    // Act
    const table = tableFromRecords([
      { age: 40, smoker: true, sex: 'F' },
      { age: null, smoker: false, sex: ' M ' },
      { age: Number.NaN, smoker: 'yes', sex: 'NA' },
    ]);

    // Assess
    const age = getColumn(table, 'age');
    expect(age.type === 'numeric' && Array.from(age.values)).toEqual([40, NaN, NaN]);
    const smoker = getColumn(table, 'smoker');
    expect(smoker.type === 'boolean' && Array.from(smoker.values)).toEqual([1, 0, 1]);
    expect(getColumn(table, 'sex').text).toEqual(['F', 'M', null]);
  });

  it('rejects a record whose keys differ from the first, naming the row and the columns', () => {
    // Act
    const error = thrownBy(() => tableFromRecords([{ a: 1, b: 2 }, { a: 1, b: 2 }, { a: 3, c: 4 }]));

    // Assess
    expect(error.row).toBe(4);
    expect(error.missingColumns).toEqual(['b']);
    expect(error.extraColumns).toEqual(['c']);
    expect(error.message).toContain('row 4');
    expect(error.message).toContain('missing columns: b');
    expect(error.message).toContain('unexpected columns: c');
  });

  it('rejects an infinite number with its column and row', () => {
    // Act
    const error = thrownBy(() => tableFromRecords([{ x: 1 }, { x: Number.POSITIVE_INFINITY }]));

    // Assess
    expect(error).toMatchObject({ column: 'x', row: 3, value: 'Infinity' });
  });
});

describe('tabular input errors', () => {
  it('rejects empty CSV text', () => {
    expect(thrownBy(() => tableFromCsv('')).message).toContain('empty');
  });

  it('rejects a header without rows', () => {
    expect(thrownBy(() => tableFromCsv('a,b\n')).message).toContain('no data rows');
  });

  it('rejects an empty record list', () => {
    expect(thrownBy(() => tableFromRecords([])).message).toContain('no records');
  });

  it('rejects a duplicate header name, naming it and both positions', () => {
    // Act
    const error = thrownBy(() => tableFromCsv('id,age,age\n1,2,3'));

    // Assess
    expect(error).toMatchObject({ column: 'age', row: 1 });
    expect(error.message).toContain("column 'age'");
    expect(error.message).toContain('columns 2 and 3');
  });

  it('rejects a ragged row with its row number counting the header as row 1', () => {
    // Act
    const error = thrownBy(() => tableFromCsv('a,b\n1,2\n3,4\n5\n'));

    // Assess
    expect(error.row).toBe(4);
    expect(error.message).toContain('row 4');
    expect(error.message).toContain('1 fields but the header has 2');
  });

  it('rejects a blank line inside multi-column data as a ragged row', () => {
    expect(thrownBy(() => tableFromCsv('a,b\n1,2\n\n3,4')).row).toBe(3);
  });

  it('rejects a non-numeric value in a declared numeric column, quoting the value', () => {
    // Act
    const error = thrownBy(() => tableFromCsv('id,age\n1,40\n2,forty', { schema: { age: 'numeric' } }));

    // Assess
    expect(error).toMatchObject({ column: 'age', row: 3, value: 'forty' });
    expect(error.message).toBe("column 'age', row 3: value 'forty' is not a number");
  });

  it('rejects Infinity and NaN literals in numeric columns unless NaN is a missing token', () => {
    // Act
    const infinity = thrownBy(() => tableFromCsv('x\n1\n-Infinity\n'));
    const nan = thrownBy(() => tableFromCsv('x\n1\nNaN\n', { missingValues: [''] }));
    const overflow = thrownBy(() => tableFromCsv('x\n1\n1e999\n'));

    // Assess
    expect(infinity).toMatchObject({ column: 'x', row: 3, value: '-Infinity' });
    expect(infinity.message).toContain('non-finite');
    expect(nan).toMatchObject({ column: 'x', row: 3, value: 'NaN' });
    expect(overflow).toMatchObject({ column: 'x', row: 3 });
  });

  it('rejects a value that is not a boolean token in a declared boolean column', () => {
    const error = thrownBy(() => tableFromCsv('flag\nyes\nmaybe', { schema: { flag: 'boolean' } }));
    expect(error).toMatchObject({ column: 'flag', row: 3, value: 'maybe' });
  });

  it('rejects a schema entry for a column the data lacks', () => {
    expect(thrownBy(() => tableFromCsv('a\n1', { schema: { b: 'numeric' } })).column).toBe('b');
  });

  it('reports an unclosed quote as a DataError', () => {
    expect(thrownBy(() => tableFromCsv('a,b\n"1,2\n3,4\n')).message).toContain('CSV cannot be parsed');
  });
});

describe('fitEncoding', () => {
  it('drops target and entity id, sorts categories deterministically and reserves an unknown code', () => {
    // Prepare
    const table = tableFromCsv(PATIENTS, { schema: { zip: 'categorical' } });

    // Act
    const { encodings, features } = fitEncoding(table, { target: 'readmitted', entityId: 'patient_id' });

    // Assess
    expect(encodings).toEqual([
      { kind: 'numeric', column: 'age' },
      { kind: 'categorical', column: 'sex', categories: ['F', 'M', 'X, other'], unknownCode: 3 },
      { kind: 'boolean', column: 'smoker' },
      { kind: 'categorical', column: 'zip', categories: ['02134', '10001', '94105'], unknownCode: 3 },
    ]);
    expect(features).toEqual([
      { name: 'age', column: 'age', type: 'float' },
      { name: 'sex', column: 'sex', type: 'categorical' },
      { name: 'smoker', column: 'smoker', type: 'boolean' },
      { name: 'zip', column: 'zip', type: 'categorical' },
    ]);
  });

  it('encodes a numeric column as categories on request, ordering numbers numerically', () => {
    // Prepare
    const table = tableFromCsv('grade,y\n10,1\n9,0\n2,1\n10,0');

    // Act
    const { encodings } = fitEncoding(table, { target: 'y', categorical: ['grade'] });

    // Assess
    expect(encodings).toEqual([{ kind: 'categorical', column: 'grade', categories: ['2', '9', '10'], unknownCode: 3 }]);
  });

  it('leaves excluded columns out', () => {
    const { encodings } = fitEncoding(tableFromCsv(PATIENTS), { target: 'readmitted', entityId: 'patient_id', exclude: ['zip', 'sex'] });
    expect(encodings.map((encoding) => encoding.column)).toEqual(['age', 'smoker']);
  });

  it('rejects a target column that is not in the data, naming it', () => {
    // Act
    const error = thrownBy(() => fitEncoding(tableFromCsv(PATIENTS), { target: 'outcome' }));

    // Assess
    expect(error.column).toBe('outcome');
    expect(error.message).toContain("column 'outcome'");
    expect(error.message).toContain('target column is not in the data');
  });

  it('rejects a data set with nothing left to learn from', () => {
    expect(thrownBy(() => fitEncoding(tableFromCsv('id,y\n1,0\n2,1'), { target: 'y', entityId: 'id' })).message).toContain('no feature columns');
  });
});

describe('encoding rows', () => {
  const table = tableFromCsv(PATIENTS, { schema: { zip: 'categorical' } });
  const { encodings } = fitEncoding(table, { target: 'readmitted', entityId: 'patient_id' });

  it('encodes the training table row-major with NaN for missing values', () => {
    // Act
    const matrix = encodeTable(encodings, table);

    // Assess
    expect([matrix.nRows, matrix.nCols]).toEqual([5, 4]);
    expect(Array.from(matrix.values.subarray(0, 4))).toEqual([64, 0, 1, 0]);
    expect(Array.from(matrix.values.subarray(4, 8))).toEqual([NaN, 1, 0, 1]);
    expect(Array.from(matrix.values.subarray(8, 12))).toEqual([51.5, 0, NaN, 0]);
  });

  it('maps unseen categories to the unknown code at prediction time', () => {
    // Act
    const matrix = encodeRows(encodings, [{ age: 33.25, sex: 'U', smoker: 'no', zip: '60601' }]);

    // Assess
    expect(matrix.values).toBeInstanceOf(Float32Array);
    expect(Array.from(matrix.values)).toEqual([33.25, 3, 0, 3]);
  });

  it('ignores declared extra columns and rejects undeclared ones, listing them', () => {
    // Prepare
    const record = { patient_id: 'p9', age: 1, sex: 'F', smoker: true, zip: '02134', note: 'x', bmi: 20 };

    // Act
    const error = thrownBy(() => encodeRows(encodings, [record], { ignoreColumns: ['patient_id'] }));
    const allowed = encodeRows(encodings, [record], { allowExtraColumns: true });

    // Assess
    expect(error.extraColumns).toEqual(['note', 'bmi']);
    expect(error.message).toContain('unexpected columns: note, bmi');
    expect(Array.from(allowed.values)).toEqual([1, 0, 1, 0]);
  });

  it('rejects a record that lacks model columns, listing them and the row', () => {
    // Act
    const error = thrownBy(() => encodeRows(encodings, [{ age: 1, sex: 'F', smoker: true, zip: '1' }, { age: 2, zip: '1' }]));

    // Assess
    expect(error.row).toBe(3);
    expect(error.missingColumns).toEqual(['sex', 'smoker']);
    expect(error.message).toContain('missing columns: sex, smoker');
  });

  it('rejects a non-numeric prediction value with column, row and value', () => {
    const error = thrownBy(() => encodeRows(encodings, [{ age: 'old', sex: 'F', smoker: true, zip: '1' }]));
    expect(error).toMatchObject({ column: 'age', row: 2, value: 'old' });
  });

  it('encodes prediction CSV and checks its header against the model columns', () => {
    // Act
    const matrix = encodeCsv(encodings, 'zip,smoker,age,sex,patient_id\n10001,yes,,M,p7', { ignoreColumns: ['patient_id'] });
    const error = thrownBy(() => encodeCsv(encodings, 'age,sex,extra\n1,F,2'));

    // Assess
    expect(Array.from(matrix.values)).toEqual([NaN, 1, 1, 1]);
    expect(error.row).toBe(1);
    expect(error.missingColumns).toEqual(['smoker', 'zip']);
    expect(error.extraColumns).toEqual(['extra']);
  });

  it('selects rows of an encoded matrix in the order asked', () => {
    // Act
    const picked = selectRows(encodeTable(encodings, table), [3, 0]);

    // Assess
    expect([picked.nRows, picked.nCols]).toEqual([2, 4]);
    expect(Array.from(picked.values)).toEqual([70, 2, 1, 2, 64, 0, 1, 0]);
    expect(() => selectRows(picked, [2])).toThrow('row index 2 is outside 0..1');
  });

  it('rejects a model column missing from a table, listing it', () => {
    const error = thrownBy(() => encodeTable(encodings, tableFromCsv('age,sex\n1,F')));
    expect(error.missingColumns).toEqual(['smoker', 'zip']);
  });
});

describe('encodeTarget', () => {
  it('encodes a yes/no target with the true value as positive by default', () => {
    // Act
    const target = encodeTarget(tableFromCsv(PATIENTS), { target: 'readmitted', task: 'binary' });

    // Assess
    expect(Array.from(target.values)).toEqual([0, 1, 0, 1, 0]);
    expect(target).toMatchObject({ positiveLabel: 'yes', negativeLabel: 'no' });
  });

  it('uses the configured positive label for a categorical target', () => {
    // Act
    const target = encodeTarget(tableFromCsv('y\nbenign\nmalignant\nbenign'), { target: 'y', task: 'binary', positiveLabel: 'malignant' });

    // Assess
    expect(Array.from(target.values)).toEqual([0, 1, 0]);
  });

  it('uses the configured positive label for a numeric target', () => {
    const target = encodeTarget(tableFromCsv('y\n1\n2\n2.0'), { target: 'y', task: 'binary', positiveLabel: 2 });
    expect(Array.from(target.values)).toEqual([0, 1, 1]);
  });

  it('asks for the positive label when the classes are not boolean-like', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('y\nbenign\nmalignant'), { target: 'y', task: 'binary' }));
    expect(error.message).toContain("column 'y'");
    expect(error.message).toContain('name the positive label');
  });

  it('rejects a positive label that does not occur', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('y\na\nb'), { target: 'y', task: 'binary', positiveLabel: 'c' }));
    expect(error).toMatchObject({ column: 'y', value: 'c' });
  });

  it('encodes a regression target', () => {
    const target = encodeTarget(tableFromCsv('cost\n1.5\n-2\n30'), { target: 'cost', task: 'regression' });
    expect(Array.from(target.values)).toEqual([1.5, -2, 30]);
  });

  it('rejects a missing target value, naming the row', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('x,y\n1,1\n2,\n3,0'), { target: 'y', task: 'binary' }));
    expect(error).toMatchObject({ column: 'y', row: 3 });
    expect(error.message).toBe("column 'y', row 3: target value is missing");
  });

  it('rejects a binary target with only one class', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('x,y\n1,yes\n2,YES'), { target: 'y', task: 'binary' }));
    expect(error.column).toBe('y');
    expect(error.message).toContain('only one class');
  });

  it('rejects a binary target with three classes, listing them', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('y\na\nb\nc'), { target: 'y', task: 'binary' }));
    expect(error.message).toContain("3 distinct values ('a', 'b', 'c')");
  });

  it('rejects a constant regression target', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('y\n4\n4\n4'), { target: 'y', task: 'regression' }));
    expect(error.column).toBe('y');
    expect(error.message).toContain('constant');
  });

  it('rejects a non-numeric regression target with its row', () => {
    const error = thrownBy(() => encodeTarget(tableFromCsv('y\n4\nhigh'), { target: 'y', task: 'regression' }));
    expect(error).toMatchObject({ column: 'y', row: 3, value: 'high' });
  });

  it('rejects a target column that is not there', () => {
    expect(thrownBy(() => encodeTarget(tableFromCsv('y\n1\n0'), { target: 'label', task: 'binary' })).column).toBe('label');
  });
});
