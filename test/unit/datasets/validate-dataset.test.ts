import { createHash } from 'node:crypto';
import { inferColumnType, validateDataset, ValidationSpecError, type DatasetValidation } from '../../../lambdas/core/datasets/validate-dataset';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const BOM = [0xef, 0xbb, 0xbf];
const spec = { targetColumn: 'label' };

function codes(result: DatasetValidation): string[] {
  return result.issues.map((issue) => issue.code);
}

describe('validateDataset: a clean file', () => {
  it('accepts a well-formed CSV and describes its columns', () => {
    // Prepare
    const bytes = utf8('id,age,score,city,smoker,label\n1,30,0.5,Paris,true,0\n2,41,1.25,Lyon,false,1\n3,,2e-3,Paris,TRUE,0\n');

    // Act
    const result = validateDataset(bytes, { targetColumn: 'label', entityIdColumn: 'id' });

    // Assess
    expect(result.ok).toBe(true);
    expect(result.issues).toEqual([]);
    expect(result.rows).toBe(3);
    expect(result.bytes).toBe(bytes.length);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.columns).toEqual([
      { name: 'id', inferredType: 'integral', missing: 0, distinct: 3, distinctCapped: false },
      { name: 'age', inferredType: 'integral', missing: 1, distinct: 2, distinctCapped: false },
      { name: 'score', inferredType: 'fractional', missing: 0, distinct: 3, distinctCapped: false },
      { name: 'city', inferredType: 'string', missing: 0, distinct: 2, distinctCapped: false },
      { name: 'smoker', inferredType: 'boolean', missing: 0, distinct: 3, distinctCapped: false },
      { name: 'label', inferredType: 'integral', missing: 0, distinct: 2, distinctCapped: false },
    ]);
    expect(result.target).toEqual({
      column: 'label',
      kind: 'binary',
      classes: [
        { value: '0', count: 2 },
        { value: '1', count: 1 },
      ],
      positiveLabel: '1',
      positiveLabelSource: 'known-pair',
    });
  });

  it('returns a JSON value that survives a round trip unchanged', () => {
    // Prepare
    const bytes = utf8('id,email,label\n1,a@example.com,0\n1,b@example.com,1\n');

    // Act
    const result = validateDataset(bytes, { targetColumn: 'label', entityIdColumn: 'id' });

    // Assess
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('validateDataset: encoding and file-level failures', () => {
  it('rejects an empty file', () => {
    // Act
    const result = validateDataset(new Uint8Array(0), spec);

    // Assess
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual(['empty_file']);
    expect(result.rows).toBe(0);
    expect(result.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('rejects a file with only a byte order mark and blank lines', () => {
    // Act
    const result = validateDataset(new Uint8Array([...BOM, 10, 13, 10]), spec);

    // Assess
    expect(codes(result)).toEqual(['empty_file']);
    expect(result.issues[0].message).toContain('byte order mark');
  });

  it('accepts a UTF-8 byte order mark and strips it from the first column name', () => {
    // Prepare
    const bytes = new Uint8Array([...BOM, ...utf8('id,label\n1,0\n2,1\n')]);

    // Act
    const result = validateDataset(bytes, { targetColumn: 'label', entityIdColumn: 'id' });

    // Assess
    expect(result.ok).toBe(true);
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'label']);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('reports bytes that are not UTF-8 with their offset and line', () => {
    // Prepare: 0xff 0xfe in the middle of line 3
    const head = utf8('id,name,label\n1,ann,0\n2,b');
    const bytes = new Uint8Array([...head, 0xff, 0xfe, ...utf8('b,1\n')]);

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual({
      code: 'invalid_utf8',
      line: 3,
      message: `bytes ff fe at byte offset ${head.length} (line 3) are not valid UTF-8`,
    });
  });

  it('recognises a UTF-16 file by its byte order mark', () => {
    // Prepare
    const bytes = new Uint8Array([0xff, 0xfe, ...utf8('a,label\n')]);

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    const issue = result.issues.find((i) => i.code === 'invalid_utf8');
    expect(issue?.line).toBe(1);
    expect(issue?.message).toContain('UTF-16');
  });

  it('rejects a file larger than maxBytes without reading it', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,1\n'), { ...spec, maxBytes: 10 });

    // Assess
    expect(codes(result)).toEqual(['too_large']);
    expect(result.columns).toEqual([]);
  });

  it('stops at maxRows and says so', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,1\n3,0\n4,1\n'), { ...spec, maxRows: 2 });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'too_many_rows', line: 4 }));
  });
});

describe('validateDataset: header failures', () => {
  it('rejects duplicate column names, naming both positions', () => {
    // Act
    const result = validateDataset(utf8('id,age,age,label\n1,2,3,0\n2,3,4,1\n'), spec);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual({
      code: 'duplicate_column_name',
      line: 1,
      column: 'age',
      message: 'column name "age" appears twice in the header (columns 2 and 3)',
    });
  });

  it('rejects a blank column name by position', () => {
    // Act
    const result = validateDataset(utf8('id,,label\n1,2,0\n2,3,1\n'), spec);

    // Assess
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'blank_column_name', column: '#2' }));
    expect(result.columns[1].name).toBe('#2');
  });

  it('rejects a blank header line', () => {
    // Act
    const result = validateDataset(utf8(',,\n1,2,0\n'), spec);

    // Assess
    expect(codes(result)).toEqual(['missing_header']);
  });

  it('rejects a header without data rows', () => {
    // Act
    const result = validateDataset(utf8('id,label\n'), spec);

    // Assess
    expect(codes(result)).toContain('no_data_rows');
  });

  it('rejects a missing target column and points at a case mismatch', () => {
    // Act
    const result = validateDataset(utf8('id,Label\n1,0\n2,1\n'), spec);

    // Assess
    const issue = result.issues.find((i) => i.code === 'missing_target_column');
    expect(issue).toMatchObject({ line: 1, column: 'label' });
    expect(issue?.message).toContain('there is a column "Label"');
    expect(result.target).toBeUndefined();
  });

  it('explains a file separated by semicolons', () => {
    // Act
    const result = validateDataset(utf8('id;label\n1;0\n2;1\n'), spec);

    // Assess
    expect(result.issues.find((i) => i.code === 'missing_target_column')?.message).toContain('must be comma-separated');
  });

  it('rejects a missing entity id column', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,1\n'), { ...spec, entityIdColumn: 'patient_id' });

    // Assess
    expect(codes(result)).toEqual(['missing_entity_id_column']);
  });
});

describe('validateDataset: structure failures', () => {
  it('reports every ragged row with its line and field counts', () => {
    // Act
    const result = validateDataset(utf8('id,age,label\n1,30,0\n2,40\n3,50,1,extra\n4,60,1\n'), spec);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.issues.filter((i) => i.code === 'ragged_row')).toEqual([
      { code: 'ragged_row', line: 3, message: 'line 3 has 2 fields, expected 3 like the header' },
      { code: 'ragged_row', line: 4, message: 'line 4 has 4 fields, expected 3 like the header' },
    ]);
    expect(result.rows).toBe(4);
  });

  it('reports an unterminated quote at the line where the quoted field starts', () => {
    // Act
    const result = validateDataset(utf8('id,note,label\n1,ok,0\n2,"never closed,1\n3,x,0\n'), spec);

    // Assess
    expect(result.ok).toBe(false);
    const issue = result.issues.find((i) => i.code === 'unterminated_quote');
    expect(issue?.line).toBe(3);
    expect(issue?.message).toContain('starts on line 3');
  });

  it('reports a stray quote inside an unquoted field and keeps reading', () => {
    // Act
    const result = validateDataset(utf8('id,note,label\n1,ab"c,0\n2,x,1\n3,y,0\n'), spec);

    // Assess
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'invalid_quote', line: 2, column: 'note' }));
    expect(result.rows).toBe(2);
  });

  it('counts physical lines across quoted fields that span CRLF line breaks', () => {
    // Prepare: the note on line 2 spans lines 2-4; the ragged row is on line 6
    const bytes = utf8('id,note,label\r\n1,"a\r\nb\r\nc",0\r\n2,x,1\r\n3,y\r\n');

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.issues).toEqual([{ code: 'ragged_row', line: 6, message: 'line 6 has 2 fields, expected 3 like the header' }]);
  });

  it('keeps line numbers right when blank lines are skipped', () => {
    // Act
    const result = validateDataset(utf8('id,label\n\n1,0\n\n\n2\n3,1\n'), spec);

    // Assess
    expect(result.issues.find((i) => i.code === 'ragged_row')?.line).toBe(6);
  });
});

describe('validateDataset: target failures', () => {
  it('rejects a target with one class', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,yes\n2,yes\n3,yes\n'), spec);

    // Assess
    expect(result.issues).toContainEqual({
      code: 'target_not_binary',
      column: 'label',
      message: 'target column "label" must have exactly two classes for binary classification, but it has only one class, "yes" (3 rows)',
    });
  });

  it('rejects a target with more than two classes', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,a\n2,b\n3,c\n'), spec);

    // Assess
    expect(result.issues.find((i) => i.code === 'target_not_binary')?.message).toContain('3 distinct values ("a", "b", "c")');
  });

  it('rejects a positive label the target does not contain', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,1\n'), { ...spec, positiveLabel: 'yes' });

    // Assess
    expect(codes(result)).toEqual(['positive_label_not_found']);
  });

  it('reports rows without a target value', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,\n3,1\n'), spec);

    // Assess
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'missing_target_value', line: 3, column: 'label' }));
  });

  it('takes the rarer class as positive when the labels are not a known pair', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,cat\n2,dog\n3,dog\n'), spec);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.target).toMatchObject({ positiveLabel: 'cat', positiveLabelSource: 'minority-class' });
  });

  it('accepts a numeric target as continuous and rejects a text one', () => {
    // Act
    const numeric = validateDataset(utf8('id,price\n1,10.5\n2,11\n3,12.25\n'), { targetColumn: 'price', targetKind: 'continuous' });
    const text = validateDataset(utf8('id,price\n1,cheap\n2,dear\n3,cheap\n'), { targetColumn: 'price', targetKind: 'continuous' });

    // Assess
    expect(numeric.ok).toBe(true);
    expect(numeric.target).toEqual({ column: 'price', kind: 'continuous' });
    expect(codes(text)).toEqual(['target_not_numeric']);
  });

  it('decides the target kind from the data with targetKind auto', () => {
    // Act
    const binary = validateDataset(utf8('id,y\n1,0\n2,1\n3,1\n'), { targetColumn: 'y', targetKind: 'auto' });
    const continuous = validateDataset(utf8('id,y\n1,0.5\n2,1.5\n3,2.5\n'), { targetColumn: 'y', targetKind: 'auto' });

    // Assess
    expect(binary.target?.kind).toBe('binary');
    expect(continuous.target?.kind).toBe('continuous');
    expect(continuous.ok).toBe(true);
  });
});

describe('validateDataset: column values', () => {
  const numbers = Array.from({ length: 19 }, (_, i) => `${i + 1},${20 + i},${i % 2}`).join('\n');

  it('reports values that break a predominantly numeric column with line, column and value', () => {
    // Prepare: 19 numbers and one word in "age"
    const bytes = utf8(`id,age,label\n${numbers}\n20,unknown,1\n`);

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.columns[1].inferredType).toBe('integral');
    expect(result.issues).toEqual([
      expect.objectContaining({ code: 'type_mismatch', line: 21, column: 'age', value: 'unknown' }),
    ]);
  });

  it('treats a column with many words as text, without type errors', () => {
    // Act
    const result = validateDataset(utf8('id,code,label\n1,12,0\n2,A7,1\n3,B9,0\n4,15,1\n'), spec);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.columns[1].inferredType).toBe('string');
  });

  it('flags NaN and Infinity literals in a numeric column', () => {
    // Act
    const result = validateDataset(utf8(`id,age,label\n${numbers}\n20,NaN,1\n21,-Infinity,0\n`), spec);

    // Assess
    expect(result.issues.filter((i) => i.code === 'non_finite_number').map((i) => [i.line, i.value])).toEqual([
      [21, 'NaN'],
      [22, '-Infinity'],
    ]);
  });

  it('counts exact duplicate rows and repeated entity ids as warnings, not errors', () => {
    // Act
    const result = validateDataset(utf8('id,age,label\n1,30,0\n2,40,1\n1,30,0\n2,41,1\n'), { ...spec, entityIdColumn: 'id' });

    // Assess
    expect(result.ok).toBe(true);
    expect(result.duplicateRows).toBe(1);
    expect(result.duplicateEntityIds).toBe(2);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'duplicate_rows', line: 4, message: expect.stringContaining('line 4 repeats line 2') }),
        expect.objectContaining({ code: 'duplicate_entity_ids', line: 4, column: 'id' }),
      ]),
    );
  });

  it('rejects rows without an entity id', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n,1\n3,0\n'), { ...spec, entityIdColumn: 'id' });

    // Assess
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'missing_entity_id', line: 3, column: 'id' }));
  });

  it('warns about empty and constant columns', () => {
    // Act
    const result = validateDataset(utf8('id,empty,same,label\n1,,x,0\n2,,x,1\n'), spec);

    // Assess
    expect(result.columns[1].inferredType).toBe('unknown');
    expect(result.warnings.map((w) => [w.code, w.column])).toEqual(
      expect.arrayContaining([
        ['empty_column', 'empty'],
        ['constant_column', 'same'],
      ]),
    );
  });
});

describe('validateDataset: PII scan', () => {
  const bytes = utf8(
    [
      'id,contact,phone,ssn,dob,first_name,home,notes,label',
      '1,ann@example.com,(555) 123-4567,123-45-6789,1990-01-02,Ann,12 Main Street,call me,0',
      '2,bob@example.org,555-987-6543,234-56-7890,1985-05-06,Bob,400 Elm Ave,none,1',
      '3,cy@example.net,+14155550123,345-67-8901,1979-09-10,Cy,7 Oak Road,write to dee@example.com,0',
    ].join('\n'),
  );

  it('finds emails, phones, national ids and street addresses by value, and dates of birth and names by column name', () => {
    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    const found = Object.fromEntries(result.pii.map((f) => [`${f.column}:${f.kind}`, f]));
    expect(found['contact:email']).toMatchObject({ evidence: ['values'], matchingValues: 3, scannedValues: 3, confidence: 0.95, firstLine: 2 });
    expect(found['phone:phone_number']).toMatchObject({ evidence: ['column_name', 'values'], matchingValues: 3 });
    expect(found['phone:phone_number'].confidence).toBeCloseTo(1 - 0.3 * 0.2, 2);
    expect(found['ssn:national_id']).toMatchObject({ evidence: ['column_name', 'values'], matchingValues: 3 });
    expect(found['dob:date_of_birth']).toMatchObject({ evidence: ['column_name'], confidence: 0.8, matchingValues: 0 });
    expect(found['first_name:person_name']).toMatchObject({ evidence: ['column_name'], confidence: 0.7 });
    expect(found['home:street_address']).toMatchObject({ evidence: ['values'], matchingValues: 3 });
    // One email in free text still counts, with less confidence.
    expect(found['notes:email']).toMatchObject({ matchingValues: 1, scannedValues: 3 });
    expect(found['notes:email'].confidence).toBeLessThan(found['contact:email'].confidence);
  });

  it('reports PII as warnings without echoing the values', () => {
    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.warnings.filter((w) => w.code === 'possible_pii')).toHaveLength(result.pii.length);
    const report = JSON.stringify(result);
    expect(report).not.toContain('ann@example.com');
    expect(report).not.toContain('123-45-6789');
    expect(report).not.toContain('Main Street');
  });

  it('does not flag ordinary columns', () => {
    // Act
    const result = validateDataset(utf8('id,age,visit_date,product_name,label\n1,30,2020-01-02,Widget 3000,0\n2,41,2021-03-04,Gadget,1\n'), spec);

    // Assess
    expect(result.pii).toEqual([]);
  });
});

describe('validateDataset: bounded output', () => {
  it('lists at most 10 issues per code and 50 in all, while totals count every one', () => {
    // Prepare: 300 ragged rows, 300 rows without a target, 300 type errors
    const lines = ['id,age,label'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},${i},${i % 2}`);
    for (let i = 0; i < 300; i++) lines.push(`r${i},1`);
    for (let i = 0; i < 300; i++) lines.push(`m${i},1,`);
    for (let i = 0; i < 300; i++) lines.push(`t${i},oops${i},1`);
    const bytes = utf8(lines.join('\n'));

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.issues.length).toBeLessThanOrEqual(50);
    expect(result.issueTotals.byCode).toEqual({ ragged_row: 300, missing_target_value: 300, type_mismatch: 300 });
    expect(result.issueTotals.total).toBe(900);
    expect(result.issueTotals.truncated).toBe(true);
    expect(result.issues.filter((i) => i.code === 'type_mismatch')).toHaveLength(10);
  });

  it('stays far below the Step Functions payload limit for a wide file full of problems', () => {
    // Prepare: 500 columns with long names, every row bad in several ways
    const names = Array.from({ length: 499 }, (_, i) => `a_rather_long_feature_column_name_number_${i}`);
    const header = [...names, 'label'].join(',');
    const row = (i: number) => [...names.map((_, c) => (c % 7 === 0 ? `x${'y'.repeat(200)}${i}` : String(i + c))), ''].join(',');
    const bytes = utf8([header, ...Array.from({ length: 60 }, (_, i) => row(i)), 'short,row'].join('\n'));

    // Act
    const result = validateDataset(bytes, spec);

    // Assess
    expect(result.columns).toHaveLength(500);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(128 * 1024);
  });

  it('rejects a file with more columns than maxColumns', () => {
    // Act
    const result = validateDataset(utf8('a,b,c,label\n1,2,3,0\n'), { ...spec, maxColumns: 3 });

    // Assess
    expect(codes(result)).toEqual(['too_many_columns']);
    expect(result.columns).toEqual([]);
  });
});

describe('validateDataset: spec', () => {
  it('rejects a spec without a target column', () => {
    // Act
    const act = () => validateDataset(utf8('a\n1\n'), { targetColumn: ' ' });

    // Assess
    expect(act).toThrow(ValidationSpecError);
    expect(act).toThrow(/targetColumn/);
  });

  it('treats empty optional settings (as read from an environment) as not set', () => {
    // Act
    const result = validateDataset(utf8('id,label\n1,0\n2,1\n'), { targetColumn: 'label', entityIdColumn: '', positiveLabel: '' });

    // Assess
    expect(result.ok).toBe(true);
    expect(result.target?.positiveLabelSource).toBe('known-pair');
  });
});

describe('inferColumnType', () => {
  it.each([
    [['1', '2', '', null], 'integral'],
    [['1', '2.5', 'NaN'], 'fractional'],
    [['true', 'FALSE', ''], 'boolean'],
    [['a', '1'], 'string'],
    [['', null], 'unknown'],
  ] as const)('types %j as %s, as validation types a column', (cells, type) => {
    expect(inferColumnType(cells)).toBe(type);
    const csv = `x,y\n${cells.map((c, i) => `${c ?? ''},${i}`).join('\n')}\n`;
    expect(validateDataset(new TextEncoder().encode(csv), { targetColumn: 'y' }).columns.find((c) => c.name === 'x')?.inferredType).toBe(type);
  });
});
