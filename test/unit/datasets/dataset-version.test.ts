import {
  buildDatasetVersionRecord,
  DatasetVersionError,
  datasetVersionIdFor,
  type ValidationOutcome,
} from '../../../lambdas/core/datasets/dataset-version';
import { projectLayout } from '../../../lambdas/core/datasets/layout';
import { validateDataset } from '../../../lambdas/core/datasets/validate-dataset';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const clock = () => new Date('2024-06-01T12:00:00.000Z');
const source = { key: 'projects/churn-model/training/inbox/visits.csv', versionId: 'v-123', etag: '"abc"' };

describe('datasetVersionIdFor', () => {
  it('gives the same id for the same object version and a new id for a new version', () => {
    // Act
    const first = datasetVersionIdFor(source);
    const again = datasetVersionIdFor({ ...source });
    const next = datasetVersionIdFor({ ...source, versionId: 'v-124' });

    // Assess
    expect(first).toMatch(/^ds-[0-9a-f]{24}$/);
    expect(again).toBe(first);
    expect(next).not.toBe(first);
  });

  it('falls back to the ETag, then to the content hash, when S3 has no version id', () => {
    // Act
    const byEtag = datasetVersionIdFor({ key: source.key, versionId: 'null', etag: '"abc"' });
    const byBareEtag = datasetVersionIdFor({ key: source.key, etag: 'abc' });
    const byHash = datasetVersionIdFor({ key: source.key }, 'f'.repeat(64));

    // Assess
    expect(byBareEtag).toBe(byEtag);
    expect(byHash).not.toBe(byEtag);
    expect(() => datasetVersionIdFor({ key: source.key })).toThrow(DatasetVersionError);
  });
});

describe('buildDatasetVersionRecord', () => {
  const accepted = validateDataset(utf8('id,age,label\n1,30,0\n2,41,1\n'), { targetColumn: 'label' });
  const rejected = validateDataset(utf8('id,age,label\n1,30,0\n2,41\n3,50,0\n'), { targetColumn: 'label' });

  it('records a validated dataset with its baseline keys', () => {
    // Prepare
    const id = datasetVersionIdFor(source);
    const keys = projectLayout('churn-model').datasetVersion(id);

    // Act
    const record = buildDatasetVersionRecord({
      projectName: 'churn-model',
      source,
      validation: accepted,
      baselineKeys: { statistics: keys.statistics, constraints: keys.constraints, profile: keys.profile },
      now: clock,
    });

    // Assess
    expect(record).toEqual({
      projectName: 'churn-model',
      datasetVersionId: id,
      sourceKey: source.key,
      sourceVersionId: 'v-123',
      sha256: accepted.sha256,
      rows: 2,
      columns: [
        { name: 'id', type: 'integral' },
        { name: 'age', type: 'integral' },
        { name: 'label', type: 'integral' },
      ],
      uploadedAt: '2024-06-01T12:00:00.000Z',
      status: 'validated',
      baselineKeys: { statistics: keys.statistics, constraints: keys.constraints, profile: keys.profile },
    });
  });

  it('records a rejected dataset with the reason and no undefined fields', () => {
    // Act
    const record = buildDatasetVersionRecord({ projectName: 'churn-model', source: { key: source.key, versionId: 'null', etag: 'e1' }, validation: rejected, now: clock });

    // Assess
    expect(record.status).toBe('rejected');
    expect(record.reason).toBe('2 errors (ragged_row ×1, target_not_binary ×1): target column "label" must have exactly two classes for binary classification, but it has only one class, "0" (2 rows); line 3 has 2 fields, expected 3 like the header');
    expect(Object.values(record)).not.toContain(undefined);
    expect('sourceVersionId' in record).toBe(false);
    expect('baselineKeys' in record).toBe(false);
  });

  it('refuses a baseline for a rejected dataset', () => {
    // Act
    const act = () =>
      buildDatasetVersionRecord({ projectName: 'churn-model', source, validation: rejected, baselineKeys: { statistics: 's', constraints: 'c' }, now: clock });

    // Assess
    expect(act).toThrow(new DatasetVersionError('baselineKeys', 'a rejected dataset has no baseline'));
  });

  it('refuses baseline keys outside the version folder', () => {
    // Act
    const act = () =>
      buildDatasetVersionRecord({
        projectName: 'churn-model',
        source,
        validation: accepted,
        baselineKeys: { statistics: 'projects/churn-model/datasets/other/baseline/statistics.json', constraints: 'x' },
        now: clock,
      });

    // Assess
    expect(act).toThrow(/baselineKeys\.statistics/);
  });

  it('refuses a malformed hash, a bad project name and a broken clock', () => {
    // Prepare
    const badHash: ValidationOutcome = { ...accepted, sha256: 'xyz' };

    // Act
    const hash = () => buildDatasetVersionRecord({ projectName: 'churn-model', source, validation: badHash, now: clock });
    const name = () => buildDatasetVersionRecord({ projectName: 'Churn', source, validation: accepted, now: clock });
    const time = () => buildDatasetVersionRecord({ projectName: 'churn-model', source, validation: accepted, now: () => new Date('nope') });

    // Assess
    expect(hash).toThrow(/validation\.sha256/);
    expect(name).toThrow(/projectName/);
    expect(time).toThrow(/invalid date/);
  });
});
