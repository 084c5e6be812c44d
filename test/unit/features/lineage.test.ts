import { featureLineage } from '../../../lambdas/core/features/lineage';
import { RegisterStepInput } from '../../../lambdas/core/registry/steps';

describe('feature lineage', () => {
  it('lists each group version once, sorted, in the shape the register step takes', () => {
    const lineage = featureLineage([
      { name: 'patient-vitals', version: 3 },
      { name: 'lab-results', version: 1 },
      { name: 'patient-vitals', version: 3 },
      { name: 'patient-vitals', version: 2 },
    ]);

    expect(lineage).toEqual([
      { name: 'lab-results', version: 1 },
      { name: 'patient-vitals', version: 2 },
      { name: 'patient-vitals', version: 3 },
    ]);
    expect(RegisterStepInput.shape.featureGroups.parse(lineage)).toEqual(lineage);
  });

  it('refuses a version that is not a positive whole number', () => {
    expect(() => featureLineage([{ name: 'patient-vitals', version: 0 }])).toThrow('invalid version: 0 is not a positive whole number');
  });
});
