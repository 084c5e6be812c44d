/**
 * The request validator: each kind of bad input answers with its path and reason, and every
 * bad field of every record is reported at once.
 */
import { compileContract, inputContractFromMetadata, InputContractError, validateRecords } from '../../../lambdas/core/serving/input-contract';
import { parsePredictBody } from '../../../lambdas/core/serving/request-body';
import { sampleRecord, servingTestModel } from './serving-fixtures';

const model = servingTestModel();
const compiled = compileContract(inputContractFromMetadata(model));
const limits = { maxBodyBytes: 2048, maxRecords: 3 };
const reject = { unknownCategory: 'reject' as const, entityIdColumn: 'patient_id' };
const single = (record: unknown) => validateRecords(compiled, [record], () => '', reject);

describe('inputContractFromMetadata', () => {
  it('derives one required, nullable field per encoded input, with types and categories', () => {
    // Assess
    expect(compiled.contract.fields.map((f) => [f.name, f.type])).toEqual([
      ['age', 'number'], ['colour', 'category'], ['smoker', 'boolean'], ['bmi', 'number'], ['income', 'number'], ['visits', 'number'],
    ]);
    expect(compiled.contract.fields[1]).toEqual({ name: 'colour', type: 'category', categories: ['red', 'green', 'blue', 'purple'], required: true, nullable: true });
    expect(compiled.contract.fields.every((f) => f.required && f.nullable)).toBe(true);
  });

  it('falls back to the feature specs for a raw numeric model and refuses two inputs from one column', () => {
    const raw = inputContractFromMetadata({ features: [{ name: 'f0', column: 'f0', type: 'float' }, { name: 'f1', column: 'f1', type: 'boolean' }] });

    expect(raw.fields.map((f) => [f.name, f.type])).toEqual([['f0', 'number'], ['f1', 'boolean']]);
    expect(() => inputContractFromMetadata({ features: [{ name: 'a', column: 'x', type: 'float' }, { name: 'b', column: 'x', type: 'float' }] })).toThrow(InputContractError);
  });
});

describe('validateRecords', () => {
  it('encodes a valid record like the engine: numbers, category codes, booleans, null as NaN', () => {
    const { batch, errors } = single({ age: 1.5, colour: ' blue ', smoker: true, bmi: null, income: -2, visits: 0, patient_id: 'p-1' });

    expect(errors).toEqual([]);
    expect(Array.from(batch!.rows)).toEqual([1.5, 2, 1, NaN, -2, 0]);
    expect(batch!.records[0].entityId).toBe('p-1');
  });

  it('reports a missing field with its path and the null convention', () => {
    const { age: _age, ...record } = sampleRecord(1);

    const { errors } = single(record);

    expect(errors).toEqual([{ path: 'age', message: 'is missing: every model column is required (send null for a missing value); expected a number' }]);
  });

  it('reports a wrong type for each kind of field', () => {
    const { errors } = single({ ...sampleRecord(1), age: '42', colour: { name: 'red' }, smoker: 'yes' });

    expect(errors).toEqual([
      { path: 'age', message: 'expected a number (or null for missing), got the string "42"' },
      { path: 'colour', message: 'expected a category (a string; null for missing), got an object' },
      { path: 'smoker', message: 'expected a boolean (true/false, or 1/0; null for missing), got the string "yes"' },
    ]);
  });

  it('reports an extra field, naming the model columns, but accepts the entity id column', () => {
    const { errors } = single({ ...sampleRecord(1), patient_id: 'p-9', 'blood pressure': 120 });

    expect(errors).toEqual([{ path: '["blood pressure"]', message: 'is not a model input (the model\'s columns: age, colour, smoker, bmi, income, visits; the entity id column is patient_id)' }]);
  });

  it('refuses NaN and Infinity, sent as strings or as JSON overflow, and values beyond float32', () => {
    const body = `{"records":[${JSON.stringify({ ...sampleRecord(1), age: 'NaN', bmi: 'Infinity' }).slice(0, -1)}},{"age":1e999,"colour":"red","smoker":false,"bmi":1e39,"income":0,"visits":0}]}`;
    const parsed = parsePredictBody(body, false, { maxBodyBytes: 10_000, maxRecords: 5 });
    if (!parsed.ok || parsed.body.form !== 'batch') throw new Error('expected a batch body');

    const { errors } = validateRecords(compiled, parsed.body.records, (i) => `records[${i}]`, reject);

    expect(errors).toEqual([
      { path: 'records[0].age', message: 'NaN and Infinity are not allowed; send null for a missing value (got the string "NaN")' },
      { path: 'records[0].bmi', message: 'NaN and Infinity are not allowed; send null for a missing value (got the string "Infinity")' },
      { path: 'records[1].age', message: 'must be a finite number, got Infinity; NaN and Infinity are not allowed (send null for a missing value)' },
      { path: 'records[1].bmi', message: '1e+39 is outside the float32 range the model uses (|x| <= 3.4028235e38)' },
    ]);
  });

  it('rejects an unknown category under the reject policy and scores it as missing under the missing policy', () => {
    const record = { ...sampleRecord(1), colour: 'teal' };

    const rejected = single(record);
    const asMissing = validateRecords(compiled, [record], () => '', { unknownCategory: 'missing' });

    expect(rejected.errors).toEqual([{ path: 'colour', message: 'unknown category "teal"; known categories: "red", "green", "blue", "purple" (this endpoint rejects unknown categories)' }]);
    expect(asMissing.errors).toEqual([]);
    expect(asMissing.batch!.rows[1]).toBeNaN();
  });

  it('reports every bad field of every record at once, and a record that is not an object', () => {
    const records = [{ ...sampleRecord(0), age: 'old' }, sampleRecord(1), 'not a record', { ...sampleRecord(3), smoker: 2, extra: 1 }];

    const { batch, errors } = validateRecords(compiled, records, (i) => `records[${i}]`, reject);

    expect(batch).toBeUndefined();
    expect(errors.map((e) => e.path)).toEqual(['records[0].age', 'records[2]', 'records[3].smoker', 'records[3].extra']);
    expect(errors[1].message).toBe('must be an object of the model\'s columns (age, colour, smoker, bmi, income, visits), got the string "not a record"');
  });

  it('does not read inherited properties as fields (a record without "constructor" is still missing it)', () => {
    const contract = compileContract(inputContractFromMetadata({ features: [{ name: 'constructor', column: 'constructor', type: 'float' }] }));

    const { errors } = validateRecords(contract, [{}], () => '', reject);

    expect(errors.map((e) => e.path)).toEqual(['constructor']);
  });
});

describe('parsePredictBody', () => {
  const errorsOf = (raw: string | undefined, base64 = false) => {
    const result = parsePredictBody(raw, base64, limits);
    if (result.ok) throw new Error('expected errors');
    return result.errors;
  };

  it('reads the three forms', () => {
    expect(parsePredictBody('{"age":1}', false, limits)).toEqual({ ok: true, body: { form: 'single', records: [{ age: 1 }] } });
    expect(parsePredictBody('{"records":[{"age":1},{"age":2}]}', false, limits)).toEqual({ ok: true, body: { form: 'batch', records: [{ age: 1 }, { age: 2 }] } });
    expect(parsePredictBody(Buffer.from('{"entityId":"p-1"}').toString('base64'), true, limits)).toEqual({ ok: true, body: { form: 'entity', entityId: 'p-1' } });
  });

  it('refuses an empty body, whitespace and an empty object', () => {
    expect(errorsOf(undefined)[0]).toEqual({ path: '(body)', message: 'the request body is empty; send a record of the model\'s columns, {"records": [...]}, or {"entityId": "..."}' });
    expect(errorsOf('  \n')[0].message).toMatch(/^the request body is empty/);
    expect(errorsOf('{}')[0].message).toMatch(/^the JSON object is empty/);
  });

  it('refuses non-JSON, invalid UTF-8 and JSON that is not an object', () => {
    expect(errorsOf('{"age": 1,')[0].message).toMatch(/^the body is not valid JSON: /);
    expect(errorsOf(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), true)).toEqual([{ path: '(body)', message: 'the body is not valid UTF-8 text' }]);
    expect(errorsOf('[{"age":1}]')[0].message).toMatch(/must be a JSON object .*, got an array$/);
    expect(errorsOf('42')[0].message).toMatch(/got a number$/);
  });

  it('refuses a body over the size limit, counted in UTF-8 bytes after base64 decoding', () => {
    const big = JSON.stringify({ age: 'x'.repeat(3000) });
    const multiByte = JSON.stringify({ name: 'é'.repeat(1100) }); // 1,111 characters, 2,211 bytes

    expect(errorsOf(big)[0].message).toBe(`the body is more than ${big.length} bytes; the limit is 2048 bytes (use batch inference for large inputs)`);
    expect(errorsOf(multiByte)[0].message).toBe('the body is 2211 bytes; the limit is 2048 bytes (use batch inference for large inputs)');
    expect(errorsOf(Buffer.from(multiByte).toString('base64'), true)[0].message).toMatch(/^the body is (more than )?22\d\d bytes/);
  });

  it('refuses a records field that is not a non-empty array within the record limit', () => {
    expect(errorsOf('{"records":{}}')).toEqual([{ path: 'records', message: 'must be an array of records, got an object' }]);
    expect(errorsOf('{"records":[]}')).toEqual([{ path: 'records', message: 'is empty; send at least one record' }]);
    expect(errorsOf('{"records":[{},{},{},{}]}')).toEqual([{ path: 'records', message: 'has 4 records; the limit is 3 per request (use batch inference for files)' }]);
  });

  it('refuses an entity id that is not a short non-empty string', () => {
    expect(errorsOf('{"entityId":42}')[0]).toEqual({ path: 'entityId', message: 'must be a non-empty string of at most 256 characters, got a number' });
    expect(errorsOf('{"entityId":""}')[0].path).toBe('entityId');
  });
});
