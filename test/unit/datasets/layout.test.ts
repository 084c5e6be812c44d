import {
  DatasetVersionIdSchema,
  InvalidKeySegmentError,
  parseTrainingInboxKey,
  ProjectNameSchema,
  projectLayout,
} from '../../../lambdas/core/datasets/layout';

describe('ProjectNameSchema', () => {
  it.each(['abc', 'churn-model', 'a1-b2', 'x'.repeat(32), 'p2024'])('accepts %s', (name) => {
    // Act
    const parsed = ProjectNameSchema.safeParse(name);

    // Assess
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'x'.repeat(33)],
    ['upper case', 'Churn'],
    ['starting with a digit', '1abc'],
    ['starting with a hyphen', '-abc'],
    ['an underscore', 'churn_model'],
    ['a slash', 'a/b/c'],
    ['a space', 'my project'],
  ])('rejects a name with %s', (_why, name) => {
    // Act
    const parsed = ProjectNameSchema.safeParse(name);

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('projectLayout', () => {
  const layout = projectLayout('churn-model');

  it('places the inbox, rejected reports and datasets under the project', () => {
    // Assess
    expect(layout.projectPrefix).toBe('projects/churn-model/');
    expect(layout.trainingInboxPrefix).toBe('projects/churn-model/training/inbox/');
    expect(layout.rejectedPrefix).toBe('projects/churn-model/training/rejected/');
    expect(layout.datasetsPrefix).toBe('projects/churn-model/datasets/');
    expect(layout.rejectedReportKey('ds-0123456789abcdef01234567')).toBe('projects/churn-model/training/rejected/ds-0123456789abcdef01234567.json');
  });

  it('keeps a dataset version, its profile and its baseline in one folder', () => {
    // Act
    const keys = layout.datasetVersion('ds-0123456789abcdef01234567');

    // Assess
    expect(keys).toEqual({
      prefix: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/',
      data: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/data.csv',
      profile: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/profile.json',
      statistics: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/baseline/statistics.json',
      constraints: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/baseline/constraints.json',
      piiDecisions: 'projects/churn-model/datasets/ds-0123456789abcdef01234567/pii-decisions.json',
    });
  });

  it('keeps the public-import cache and the masking key under the project', () => {
    expect(layout.importsPrefix).toBe('projects/churn-model/imports/');
    expect(layout.piiMaskKey).toBe('projects/churn-model/secrets/pii-mask-key');
  });

  it('refuses a project name that is not a valid key segment', () => {
    // Act
    const act = () => projectLayout('../other');

    // Assess
    expect(act).toThrow(InvalidKeySegmentError);
    expect(act).toThrow(/Invalid projectName "\.\.\/other"/);
  });

  it.each(['', '..', 'a/b', '.hidden', 'x'.repeat(129)])('refuses the dataset version id %j', (id) => {
    // Act
    const act = () => layout.datasetVersion(id);

    // Assess
    expect(act).toThrow(InvalidKeySegmentError);
    expect(DatasetVersionIdSchema.safeParse(id).success).toBe(false);
  });
});

describe('parseTrainingInboxKey', () => {
  it('reads the project and file name of a dropped object', () => {
    // Act
    const parsed = parseTrainingInboxKey('projects/churn-model/training/inbox/2024/06/visits.csv');

    // Assess
    expect(parsed).toEqual({ projectName: 'churn-model', fileName: 'visits.csv' });
  });

  it.each([
    'projects/churn-model/training/inbox/',
    'projects/churn-model/training/inbox/folder/',
    'projects/churn-model/inference/inbox/a.csv',
    'projects/Bad_Name/training/inbox/a.csv',
    'other/churn-model/training/inbox/a.csv',
  ])('ignores %s', (key) => {
    // Assess
    expect(parseTrainingInboxKey(key)).toBeUndefined();
  });
});
