import { InvalidFeatureGroupDefinitionError } from '../../../lambdas/core/features/errors';
import { definitionFingerprint, parseFeatureGroupDefinition } from '../../../lambdas/core/features/definition';
import { vitalsDefinition } from './feature-fixtures';

function problemsOf(input: unknown): { field: string; reason: string }[] {
  try {
    parseFeatureGroupDefinition(input);
  } catch (error) {
    if (error instanceof InvalidFeatureGroupDefinitionError) return error.problems.map(({ field, reason }) => ({ field, reason }));
    throw error;
  }
  throw new Error('the definition was accepted');
}

describe('feature group definitions', () => {
  it('accepts a valid definition and fills in empty feature descriptions', () => {
    const base = vitalsDefinition();
    const definition = parseFeatureGroupDefinition({ ...base, features: [...base.features, { name: 'note', type: 'string' }] });

    expect(definition.features.map((f) => [f.name, f.type])).toEqual([
      ['patient_id', 'string'],
      ['measured_at', 'string'],
      ['heart_rate', 'numeric'],
      ['smoker', 'boolean'],
      ['ward', 'categorical'],
      ['note', 'string'],
    ]);
    expect(definition.features[5].description).toBe('');
  });

  it('names duplicate feature names, also when they differ only in case', () => {
    const base = vitalsDefinition();
    const problems = problemsOf({ ...base, features: [...base.features, { name: 'heart_rate', type: 'numeric' }, { name: 'Smoker', type: 'boolean' }] });

    expect(problems).toEqual([
      { field: 'features.5.name', reason: 'duplicate feature name "heart_rate" (features.2 is "heart_rate")' },
      { field: 'features.6.name', reason: 'duplicate feature name "Smoker" (features.3 is "smoker"; names must differ ignoring case)' },
    ]);
  });

  it('names a bad type with the types there are', () => {
    const base = vitalsDefinition();
    const features = base.features.map((f) => (f.name === 'heart_rate' ? { ...f, type: 'float' } : f));

    expect(problemsOf({ ...base, features })).toEqual([{ field: 'features.2.type', reason: 'type must be one of numeric, categorical, boolean, string (got "float")' }]);
  });

  it('refuses an entity id or event time column that is not among the features', () => {
    const problems = problemsOf(vitalsDefinition({ entityIdColumn: 'mrn', eventTimeColumn: 'taken_at' }));

    expect(problems).toEqual([
      { field: 'entityIdColumn', reason: '"mrn" is not among the features: declare it there with type string or categorical' },
      { field: 'eventTimeColumn', reason: '"taken_at" is not among the features: declare it there with type string (ISO 8601) or numeric (Unix epoch seconds)' },
    ]);
  });

  it('refuses an entity id or event time of the wrong type, and categories on a non-categorical feature', () => {
    const base = vitalsDefinition();
    const features = base.features.map((f) =>
      f.name === 'patient_id' ? { ...f, type: 'numeric' as const } : f.name === 'measured_at' ? { ...f, type: 'boolean' as const } : f.name === 'heart_rate' ? { ...f, categories: ['high'] } : f,
    );

    expect(problemsOf({ ...base, features })).toEqual([
      { field: 'features.2.categories', reason: 'only a categorical feature has categories ("heart_rate" is numeric)' },
      { field: 'entityIdColumn', reason: '"patient_id" must be a string or categorical feature (it is numeric): ids are compared as text' },
      { field: 'eventTimeColumn', reason: '"measured_at" must be a string (ISO 8601) or numeric (Unix epoch seconds) feature (it is boolean)' },
    ]);
  });

  it('refuses unknown fields, a bad group name and a missing author, all at once', () => {
    const problems = problemsOf({ ...vitalsDefinition({ name: 'Patient Vitals', author: ' ' }), entityId: 'patient_id' });

    expect(problems.map((p) => p.field)).toEqual(['name', 'author', '(definition)']);
    expect(problems[2].reason).toContain('entityId');
    expect(problems[0].reason).toBe('a feature group name is 3-64 lowercase letters, digits, "-" or "_", starting with a letter');
  });

  it('needs a feature besides the entity id and the event time', () => {
    const base = vitalsDefinition();
    expect(problemsOf({ ...base, features: base.features.slice(0, 2) })).toEqual([{ field: 'features', reason: 'declare at least one feature besides the entity id and the event time' }]);
  });

  it('fingerprints the content but not the author; feature order counts', () => {
    const a = parseFeatureGroupDefinition(vitalsDefinition());
    const b = parseFeatureGroupDefinition(vitalsDefinition({ author: 'dr.kim' }));
    const reordered = parseFeatureGroupDefinition(vitalsDefinition({ features: [...vitalsDefinition().features].reverse() }));

    expect(definitionFingerprint(a)).toBe(definitionFingerprint(b));
    expect(definitionFingerprint(a)).not.toBe(definitionFingerprint(reordered));
    expect(definitionFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
