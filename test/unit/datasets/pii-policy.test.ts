import { createHmac } from 'node:crypto';
import { applyPiiPolicy, decidePiiActions, PiiRefusedError } from '../../../lambdas/core/datasets/pii-policy';
import { PiiScanner, type PiiFinding } from '../../../lambdas/core/datasets/pii-scan';

const CSV = [
  'patient_id,email,full_name,age,note,stopped',
  'P1,ann@example.org,Ann Lee,54,"likes ""tea"", mornings",0',
  'P2,bob@example.org,Bob Ray,61,,1',
  'P3,ann@example.org,Ann Lee,47,plain,0',
].join('\n');

/** The findings the validate step would produce for CSV (the real scanner). */
function scan(csv: string): PiiFinding[] {
  const [header, ...rows] = csv.split('\n');
  const columns = header.split(',');
  const scanner = new PiiScanner(columns);
  rows.forEach((row, r) => row.split(',').forEach((value, i) => i < columns.length && value !== '' && scanner.scan(i, value, r + 2)));
  return scanner.findings();
}

const KEY = 'project-secret-key-0123456789';
const pseudonym = (value: string): string => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 16);

describe('PII policy', () => {
  const findings = scan(CSV);

  it('finds the email and name columns with the scanner', () => {
    expect(findings.map((f) => [f.column, f.kind])).toEqual(expect.arrayContaining([['email', 'email'], ['full_name', 'person_name']]));
  });

  it('masks by default with a keyed pseudonym: equal values stay equal, quoting survives', () => {
    const result = applyPiiPolicy(Buffer.from(CSV), findings, { exemptColumns: ['patient_id'] }, KEY);
    expect([...result.masked].sort()).toEqual(['email', 'full_name']);
    expect(result.csv).toBe(
      [
        'patient_id,email,full_name,age,note,stopped',
        `P1,${pseudonym('ann@example.org')},${pseudonym('Ann Lee')},54,"likes ""tea"", mornings",0`,
        `P2,${pseudonym('bob@example.org')},${pseudonym('Bob Ray')},61,,1`,
        `P3,${pseudonym('ann@example.org')},${pseudonym('Ann Lee')},47,plain,0`,
        '',
      ].join('\n'),
    );
    expect(result.csv).not.toContain('example.org');
  });

  it('drops columns by kind and keeps the rest', () => {
    const result = applyPiiPolicy(Buffer.from(CSV), findings, { default: 'mask', byKind: { email: 'drop' } }, KEY);
    expect(result.dropped).toEqual(['email']);
    expect(result.csv.split('\n')[0]).toBe('patient_id,full_name,age,note,stopped');
  });

  it('refuses the dataset naming every refused column, producing nothing', () => {
    expect(() => applyPiiPolicy(Buffer.from(CSV), findings, { default: 'refuse' }, KEY)).toThrow(PiiRefusedError);
    try {
      applyPiiPolicy(Buffer.from(CSV), findings, { default: 'refuse' }, KEY);
    } catch (error) {
      expect((error as PiiRefusedError).decisions.map((d) => d.column).sort()).toEqual(['email', 'full_name']);
      expect((error as Error).message).toMatch(/^dataset refused by the PII policy: column "(email|full_name)" may hold/);
    }
  });

  it('logs a decision for every finding: ignored below the threshold, exempt columns untouched, strongest action per column', () => {
    const synthetic: PiiFinding[] = [
      { kind: 'person_name', column: 'name', confidence: 0.4, evidence: ['column_name'], matchingValues: 0, scannedValues: 3 },
      { kind: 'national_id', column: 'patient_id', confidence: 0.9, evidence: ['values'], matchingValues: 3, scannedValues: 3 },
      { kind: 'email', column: 'contact', confidence: 0.9, evidence: ['values'], matchingValues: 3, scannedValues: 3 },
      { kind: 'phone_number', column: 'contact', confidence: 0.8, evidence: ['values'], matchingValues: 3, scannedValues: 3 },
    ];
    const decisions = decidePiiActions(synthetic, { byKind: { phone_number: 'drop' }, exemptColumns: ['patient_id'] });
    expect(decisions.map((d) => [d.column, d.action, d.reason])).toEqual([
      ['name', 'ignored', 'confidence 0.40 below 0.6'],
      ['patient_id', 'exempt', 'column is exempt (entity id, target or listed)'],
      ['contact', 'drop', 'policy for phone_number'],
    ]);
  });

  it('returns the file unchanged when nothing is to be masked or dropped, and validates policy and key', () => {
    expect(applyPiiPolicy(Buffer.from(CSV), findings, { default: 'allow' }, '').csv).toBe(CSV);
    expect(() => applyPiiPolicy(Buffer.from(CSV), findings, {}, 'short')).toThrow('the masking key must be at least 16 characters');
    expect(() => decidePiiActions(findings, { default: 'hide' } as never)).toThrow(/default/);
  });
});
