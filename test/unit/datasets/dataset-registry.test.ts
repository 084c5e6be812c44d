import {
  DatasetNotApprovableError,
  DatasetVersionNotFoundError,
  InvalidDatasetItemError,
  approveDatasetVersion,
  getDatasetVersion,
  listDatasetVersions,
} from '../../../lambdas/core/datasets/dataset-registry';
import { memoryAuditStore, queryAuditTrail } from '../../../lambdas/core/governance/audit-trail';
import { PersonaRefusedError } from '../../../lambdas/core/governance/personas';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';

const PK = 'PROJECT#adherence';
const sha = (c: string): string => c.repeat(64);
const APPROVER = { principal: 'local:alice', persona: 'model-approver' as const, source: 'cli' };

/** What RecordDatasetVersion writes: the profile step's record as JSON. */
function validatedItem(id: string, uploadedAt: string, columns: { name: string; type: string }[], extra: Record<string, unknown> = {}) {
  const record = { projectName: 'adherence', datasetVersionId: id, sourceKey: `projects/adherence/training/inbox/${id}.csv`, sha256: sha('a'), rows: 100, columns, uploadedAt, status: 'validated', ...extra };
  return { pk: PK, sk: `DATASET#${id}`, status: 'validated', record: JSON.stringify(record), sourceKey: record.sourceKey, executionArn: `arn:exec:${id}`, executionStartedAt: uploadedAt };
}

async function setup() {
  const registry = memoryRegistryStore();
  const audit = memoryAuditStore();
  const base = [
    { name: 'patient_id', type: 'string' },
    { name: 'age', type: 'integral' },
    { name: 'stopped', type: 'integral' },
  ];
  await registry.put('registry', validatedItem('ds-b', '2026-05-02T10:00:00.000Z', [...base, { name: 'bmi', type: 'fractional' }].map((c) => (c.name === 'age' ? { ...c, type: 'fractional' } : c)), { sha256: sha('b'), uploadedBy: 'local:bob', source: { url: 'https://data.example.org/p.csv' } }));
  await registry.put('registry', validatedItem('ds-a', '2026-05-01T10:00:00.000Z', [...base, { name: 'email', type: 'string' }], { pii: { policySource: 'default', decisions: [{ column: 'email', kind: 'email', confidence: 0.99, action: 'mask', reason: 'default policy' }], masked: ['email'], dropped: [] } }));
  await registry.put('registry', { pk: PK, sk: 'DATASET#ds-bad', status: 'rejected', reason: '1 error (missing_target_column ×1)', reportKey: 'projects/adherence/training/rejected/ds-bad.json', sourceKey: 'projects/adherence/training/inbox/bad.csv', executionStartedAt: '2026-05-01T12:00:00.000Z' });
  await registry.put('registry', { pk: PK, sk: 'DATASET#LATEST', datasetVersionId: 'ds-b', sourceKey: 'projects/adherence/training/inbox/ds-b.csv' });
  let ids = 0;
  const deps = { registry, audit, now: () => new Date('2026-05-03T09:00:00Z'), newId: () => `audit-${++ids}` };
  return { registry, audit, deps };
}

describe('dataset registry', () => {
  it('lists versions oldest upload first with the schema change against the previous accepted version and the latest marked', async () => {
    const { registry } = await setup();

    const versions = await listDatasetVersions(registry, 'adherence');

    expect(versions.map((v) => [v.datasetVersionId, v.status, v.approvalState, v.latest])).toEqual([
      ['ds-a', 'validated', 'pending', false],
      ['ds-bad', 'rejected', 'not-approvable', false],
      ['ds-b', 'validated', 'pending', true],
    ]);
    expect(versions[0].schemaChange).toBeUndefined();
    expect(versions[2].schemaChange).toEqual({
      added: [{ name: 'bmi', type: 'fractional' }],
      removed: [{ name: 'email', type: 'string' }],
      typeChanged: [{ name: 'age', from: 'integral', to: 'fractional' }],
      changed: true,
    });
    expect(versions[0].record?.pii?.masked).toEqual(['email']);
    expect(versions[2].record).toMatchObject({ uploadedBy: 'local:bob', source: { url: 'https://data.example.org/p.csv' } });
    expect(versions[1]).toMatchObject({ reason: '1 error (missing_target_column ×1)', uploadedAt: '2026-05-01T12:00:00.000Z' });
  });

  it('approval records reviewer, persona, time, note and the approved hash, then the audit entry; a second approval records nothing', async () => {
    const { registry, audit, deps } = await setup();

    const outcome = await approveDatasetVersion('adherence', 'ds-a', APPROVER, '  Data review board  ', deps);

    expect(outcome.alreadyApproved).toBe(false);
    expect(outcome.approval).toEqual({ datasetVersionId: 'ds-a', sha256: sha('a'), approvedBy: 'local:alice', persona: 'model-approver', approvedAt: '2026-05-03T09:00:00.000Z', source: 'cli', note: 'Data review board' });
    expect((await getDatasetVersion(registry, 'adherence', 'ds-a')).approvalState).toBe('approved');
    expect(await queryAuditTrail({ project: 'adherence' }, audit)).toEqual([
      expect.objectContaining({ action: 'dataset.approved', actor: 'local:alice', source: 'cli', target: 'dataset:ds-a', details: { persona: 'model-approver', sha256: sha('a'), rows: 100, sourceKey: 'projects/adherence/training/inbox/ds-a.csv', note: 'Data review board' } }),
    ]);

    const again = await approveDatasetVersion('adherence', 'ds-a', APPROVER, undefined, deps);
    expect(again).toEqual({ approval: outcome.approval, alreadyApproved: true });
    expect(await queryAuditTrail({ project: 'adherence' }, audit)).toHaveLength(1);
  });

  it('an approval of other bytes is stale; approving again replaces it and says what it replaced', async () => {
    const { registry, audit, deps } = await setup();
    await approveDatasetVersion('adherence', 'ds-a', APPROVER, undefined, deps);
    // The pipeline re-profiled the same upload under a changed policy: same id, other kept bytes.
    await registry.put('registry', validatedItem('ds-a', '2026-05-01T10:00:00.000Z', [{ name: 'age', type: 'integral' }], { sha256: sha('c') }));

    expect((await getDatasetVersion(registry, 'adherence', 'ds-a')).approvalState).toBe('stale');
    const renewed = await approveDatasetVersion('adherence', 'ds-a', { ...APPROVER, principal: 'local:carol' }, undefined, deps);

    expect(renewed.approval).toMatchObject({ sha256: sha('c'), approvedBy: 'local:carol' });
    expect((await queryAuditTrail({ project: 'adherence' }, audit))[0].details.replaces).toEqual({ approvedBy: 'local:alice', approvedAt: '2026-05-03T09:00:00.000Z', sha256: sha('a') });
  });

  it('refuses other personas, rejected uploads and unknown ids, recording nothing', async () => {
    const { audit, deps } = await setup();

    await expect(approveDatasetVersion('adherence', 'ds-a', { ...APPROVER, persona: 'data-scientist' }, undefined, deps)).rejects.toThrow(PersonaRefusedError);
    await expect(approveDatasetVersion('adherence', 'ds-a', { ...APPROVER, persona: 'ml-engineer' }, undefined, deps)).rejects.toThrow('ml-engineer may not approve a dataset version (dataset.approve); allowed for: model-approver');
    await expect(approveDatasetVersion('adherence', 'ds-bad', APPROVER, undefined, deps)).rejects.toThrow(DatasetNotApprovableError);
    await expect(approveDatasetVersion('adherence', 'ds-nope', APPROVER, undefined, deps)).rejects.toThrow(new DatasetVersionNotFoundError('adherence', 'ds-nope', ['ds-a', 'ds-bad', 'ds-b']));
    expect(await queryAuditTrail({ project: 'adherence' }, audit)).toEqual([]);
  });

  it('names the item of a malformed record', async () => {
    const { registry } = await setup();
    await registry.put('registry', { pk: PK, sk: 'DATASET#ds-x', status: 'validated', record: JSON.stringify({ datasetVersionId: 'ds-x', sourceKey: 'k', sha256: 'nope' }), sourceKey: 'k' });

    await expect(listDatasetVersions(registry, 'adherence')).rejects.toThrow(InvalidDatasetItemError);
    await expect(listDatasetVersions(registry, 'adherence')).rejects.toThrow(/^dataset registry item DATASET#ds-x is malformed: record\.sha256: /);
  });

  it('a project without datasets lists nothing', async () => {
    expect(await listDatasetVersions(memoryRegistryStore(), 'adherence')).toEqual([]);
  });
});
