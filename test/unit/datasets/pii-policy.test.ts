import { createHmac } from 'node:crypto';
import { applyPiiDecisions, applyPiiPolicy, decidePiiActions, loadPiiPolicy, PiiColumnNotFoundError, PiiRefusedError, withExemptColumns } from '../../../lambdas/core/datasets/pii-policy';
import { PiiScanner, scanCsvForPii, type PiiFinding } from '../../../lambdas/core/datasets/pii-scan';

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

describe('PII policy from the project configuration and on whole files', () => {
  const configKey = 'projects/adherence/config/project.config.json';
  const reader = (text: string | undefined) => async (key: string) => (key === configKey ? text : undefined);

  it('reads piiPolicy from project.config.json with its defaults; no object or no field is the default policy', async () => {
    expect(await loadPiiPolicy(reader(undefined), 'adherence')).toEqual({ policy: { default: 'mask', byKind: {}, minConfidence: 0.6, exemptColumns: [] }, source: 'default' });
    expect(await loadPiiPolicy(reader(JSON.stringify({ promotionPolicy: {} })), 'adherence')).toMatchObject({ source: 'default' });
    expect(await loadPiiPolicy(reader(JSON.stringify({ piiPolicy: { byKind: { email: 'drop' } } })), 'adherence')).toEqual({
      policy: { default: 'mask', byKind: { email: 'drop' }, minConfidence: 0.6, exemptColumns: [] },
      source: configKey,
    });
  });

  it('refuses a broken configuration naming the field', async () => {
    await expect(loadPiiPolicy(reader('{ nope'), 'adherence')).rejects.toThrow(`project adherence: configuration ${configKey} is invalid: (root): not JSON`);
    await expect(loadPiiPolicy(reader('[]'), 'adherence')).rejects.toThrow('(root): must be a JSON object');
    await expect(loadPiiPolicy(reader(JSON.stringify({ piiPolicy: { byKind: { ssn: 'drop' } } })), 'adherence')).rejects.toThrow('piiPolicy.byKind: Unrecognized key: "ssn"');
    await expect(loadPiiPolicy(reader(JSON.stringify({ piiPolicy: { masks: true } })), 'adherence')).rejects.toThrow(/piiPolicy: Unrecognized key/);
  });

  it('exempts the target and entity id on top of the listed columns, once each', () => {
    const policy = { default: 'mask' as const, byKind: {}, minConfidence: 0.6, exemptColumns: ['note', 'patient_id'] };
    expect(withExemptColumns(policy, ['stopped', 'patient_id', '']).exemptColumns).toEqual(['note', 'patient_id', 'stopped']);
  });

  it('scanCsvForPii finds over the whole file what validation finds, under trimmed header names', () => {
    const csv = ' patient_id , email ,age,phone\nP1,ann@example.org,54,+14155550123\nP2,bob@example.org,61,+14155550124\n';
    const findings = scanCsvForPii(Buffer.from(csv));
    expect(findings.map((f) => [f.column, f.kind, f.matchingValues])).toEqual(expect.arrayContaining([['email', 'email', 2], ['phone', 'phone_number', 2]]));
    expect(() => scanCsvForPii(Buffer.from('a,b\n1\n'))).toThrow('line 2 has 1 fields, expected 2 like the header');
  });

  it('applies decisions to columns whose header names carry spaces, and refuses a decision naming a column the file lacks', () => {
    const csv = 'id, email ,age\n1,a@example.org,3\n';
    const decision = { kind: 'email' as const, confidence: 0.99, reason: 'default policy' };
    expect(applyPiiDecisions(Buffer.from(csv), [{ ...decision, column: 'email', action: 'drop' }], '').csv).toBe('id,age\n1,3\n');
    expect(() => applyPiiDecisions(Buffer.from(csv), [{ ...decision, column: 'mail', action: 'mask' }], KEY)).toThrow(PiiColumnNotFoundError);
  });
});
