import { ZodError } from 'zod';
import { describeRefusal, evaluatePromotion, PolicyExceptionError, type PromotionCandidate } from '../../../lambdas/core/governance/promotion-policy';

const completeCard = {
  sections: {
    purpose: 'Flag patients likely to stop a diabetes medicine within 30 days',
    intendedUse: 'Pharmacist outreach prioritisation',
    trainingData: { datasetVersionId: 'ds-1', rows: 1000 },
    metrics: { auc: 0.8 },
    limitations: 'Synthetic data only',
    ethicalConsiderations: 'Not for coverage decisions',
  },
  approvedBy: 'arn:aws:iam::000000000000:role/ModelApprover',
};

const candidate = (overrides: Partial<PromotionCandidate> = {}): PromotionCandidate => ({
  version: 3,
  metrics: { auc: 0.81, ece: 0.03 },
  subgroupMetrics: { sex: { F: { auc: 0.82 }, M: { auc: 0.79 } } },
  card: completeCard,
  ...overrides,
});

describe('evaluatePromotion', () => {
  const policy = {
    rules: [
      { kind: 'metric' as const, metric: 'auc', min: 0.75 },
      { kind: 'metric' as const, metric: 'ece', max: 0.05 },
      { kind: 'subgroup-gap' as const, column: 'sex', metric: 'auc', max: 0.05 },
    ],
  };

  it('allows a model that meets every rule and has an approved, complete card', () => {
    const decision = evaluatePromotion(policy, candidate());
    expect(decision.allowed).toBe(true);
    expect(decision.results.map((r) => r.rule)).toEqual(['auc >= 0.75', 'ece <= 0.05', 'subgroup gap of auc over sex <= 0.05', 'model card complete and approved']);
    // gap = 0.82 - 0.79 = 0.03
    expect(decision.results[2].actual).toBeCloseTo(0.03, 12);
  });

  it('blocks with every failed rule named and its actual value, not just the first', () => {
    const decision = evaluatePromotion(policy, candidate({ metrics: { auc: 0.7, ece: 0.09 }, subgroupMetrics: { sex: { F: { auc: 0.8 }, M: { auc: 0.7 } } } }));
    expect(decision.allowed).toBe(false);
    expect(decision.failed.map((f) => f.rule)).toEqual(['auc >= 0.75', 'ece <= 0.05', 'subgroup gap of auc over sex <= 0.05']);
    expect(describeRefusal(decision)).toBe(
      [
        'promotion blocked by 3 rules:',
        '  - auc >= 0.75: auc is 0.7, outside the limit',
        '  - ece <= 0.05: ece is 0.09, outside the limit',
        '  - subgroup gap of auc over sex <= 0.05: gap is 0.1 (F 0.8 vs M 0.7)',
      ].join('\n'),
    );
  });

  it('fails a rule whose metric or subgroups the model lacks, saying what it has', () => {
    const decision = evaluatePromotion(policy, candidate({ metrics: { auc: 0.9 }, subgroupMetrics: { sex: { F: { auc: 0.9 } } } }));
    expect(decision.failed.map((f) => f.message)).toEqual([
      'ece <= 0.05: the model has no ece metric (it has auc)',
      'subgroup gap of auc over sex <= 0.05: needs auc for at least two groups of sex, found 1',
    ]);
  });

  it('requires a complete card with an approver unless the policy says otherwise', () => {
    const incomplete = { sections: { ...completeCard.sections, limitations: '  ', ethicalConsiderations: {} }, approvedBy: 'x' };
    expect(evaluatePromotion({}, candidate({ card: incomplete })).failed[0].message).toBe(
      'model card complete and approved: sections missing or empty: limitations, ethicalConsiderations',
    );
    expect(evaluatePromotion({}, candidate({ card: { sections: completeCard.sections } })).failed[0].message).toBe(
      'model card complete and approved: the card is complete but no model approver has approved it',
    );
    expect(evaluatePromotion({}, candidate({ card: undefined })).failed[0].message).toBe('model card complete and approved: model 3 has no model card');
    expect(evaluatePromotion({ requireApprovedCard: false }, candidate({ card: undefined })).allowed).toBe(true);
  });

  it('lets a failed rule through only with an approver and a written justification, and returns the exception', () => {
    const failing = candidate({ metrics: { auc: 0.7, ece: 0.01 } });
    expect(() => evaluatePromotion(policy, failing, { approver: 'alice', justification: 'ok' })).toThrow(PolicyExceptionError);
    expect(() => evaluatePromotion(policy, failing, { approver: ' ', justification: 'Clinical lead accepts lower AUC for pilot' })).toThrow('needs the approver');
    const decision = evaluatePromotion(policy, failing, { approver: 'alice', justification: '  Clinical lead accepts lower AUC for the pilot ward  ' });
    expect(decision.allowed).toBe(true);
    expect(decision.failed).toHaveLength(1);
    expect(decision.exception).toEqual({ approver: 'alice', justification: 'Clinical lead accepts lower AUC for the pilot ward' });
  });

  it('refuses a malformed policy with the offending field', () => {
    expect(() => evaluatePromotion({ rules: [{ kind: 'metric', metric: 'auc' }] } as never, candidate())).toThrow('a metric rule needs min, max or both');
    try {
      evaluatePromotion({ rules: [{ kind: 'subgroup-gap', column: 'sex', metric: 'auc', max: -1 }] } as never, candidate());
      throw new Error('expected a ZodError');
    } catch (error) {
      expect(error).toBeInstanceOf(ZodError);
      expect((error as ZodError).issues[0].path).toEqual(['rules', 0, 'max']);
    }
  });
});
