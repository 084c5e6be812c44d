import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { getModelCard, listModelCardRevisions, renderModelCardMarkdown, reviseModelCard } from '../../../lambdas/core/registry/model-card';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { steppingClock, versionRequest } from './registry-fixtures';

describe('model card', () => {
  it('an edit is a new revision; earlier revisions stay as they were', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();
    await registerModelVersion(store, versionRequest(), { now });

    const revised = await reviseModelCard(store, 'adherence', 1, { changes: { limitations: ['Trained on one health system only.'] }, actor: 'dr.lee', changeNote: 'limitations' }, { now });

    expect(revised).toMatchObject({ revision: 2, createdBy: 'dr.lee', limitations: ['Trained on one health system only.'], purpose: 'Predicts who stops their medication within 30 days.', missingSections: ['ethicalConsiderations'] });
    expect((await listModelCardRevisions(store, 'adherence', 1)).map((c) => [c.revision, c.limitations.length])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect((await getModelCard(store, 'adherence', 1))?.revision).toBe(2);
    expect((await getModelCard(store, 'adherence', 1, 1))?.limitations).toEqual([]);
  });

  it('concurrent edits each get their own revision', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();
    await registerModelVersion(store, versionRequest(), { now });

    const edits = await Promise.all(
      Array.from({ length: 8 }, (_, i) => reviseModelCard(store, 'adherence', 1, { changes: { ethicalConsiderations: [`note ${i}`] }, actor: `editor-${i}`, changeNote: '' }, { now })),
    );

    expect(edits.map((e) => e.revision).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses edits to registration facts, and edits of a version that does not exist', async () => {
    const store = memoryRegistryStore();
    const now = steppingClock();
    await registerModelVersion(store, versionRequest(), { now });

    await expect(reviseModelCard(store, 'adherence', 1, { changes: { evaluation: {} } as never, actor: 'x', changeNote: '' }, { now })).rejects.toThrow(
      'invalid changes: evaluation cannot be edited (editable: purpose, intendedUse, limitations, ethicalConsiderations)',
    );
    await expect(reviseModelCard(store, 'adherence', 4, { changes: { purpose: 'x' }, actor: 'x', changeNote: '' }, { now })).rejects.toThrow('project adherence has no model version 4 (versions are 1..1)');
  });

  it('renders Markdown with every section, subgroup tables and the missing sections flagged', async () => {
    const store = memoryRegistryStore();
    const subgroupMetrics = {
      sex: { task: 'binary', groups: [{ group: 'F', count: 120, metrics: { auc: 0.8, f1: 0.5 } }, { group: null, count: 3, metrics: { auc: null, f1: 0.25 } }], gaps: {} },
    };
    const { card } = await registerModelVersion(store, versionRequest({ subgroupMetrics, card: { purpose: 'Predicts who stops.', rows: 500 } }), { now: steppingClock() });

    const markdown = renderModelCardMarkdown(card);

    expect(markdown).toBe(
      [
        '# Model card: adherence version 1',
        '',
        'Revision 1, 2026-05-01T10:00:01.000Z by tester: created at registration',
        '',
        '> Incomplete: intended use, limitations, ethical considerations still to be written.',
        '',
        '## Purpose',
        '',
        'Predicts who stops.',
        '',
        '## Intended use',
        '',
        '_Not written yet._',
        '',
        '## Training data',
        '',
        '- Dataset version: `ds-1`',
        `- SHA-256: \`${'a'.repeat(64)}\``,
        '- Object: `projects/adherence/datasets/ds-1/data.csv`',
        '- Rows: 500',
        '',
        '## Training',
        '',
        '- Backend: embedded (job `job-1`)',
        '- Seed code: seed-1.0.0',
        '- Parameters: eta=0.1, max_depth=6',
        '',
        '## Metrics',
        '',
        'Primary metric: **auc**',
        '',
        '| Metric | Value |',
        '| --- | --- |',
        '| auc | 0.8100 |',
        '| logLoss | 0.4200 |',
        '',
        '## Subgroup metrics',
        '',
        '| Column | Group | Rows | auc | f1 |',
        '| --- | --- | --- | --- | --- |',
        '| sex | F | 120 | 0.8000 | 0.5000 |',
        '| sex | (missing) | 3 | - | 0.2500 |',
        '',
        '## Limitations',
        '',
        '_Not written yet._',
        '',
        '## Ethical considerations',
        '',
        '_Not written yet._',
        '',
      ].join('\n'),
    );
  });
});
