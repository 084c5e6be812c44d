/**
 * Promotion policy as code. A project declares the rules a model must meet before it moves
 * to production (in its configuration, next to its code, reviewed like code):
 *
 *   { "rules": [
 *       { "kind": "metric", "metric": "auc", "min": 0.75 },
 *       { "kind": "metric", "metric": "ece", "max": 0.05 },
 *       { "kind": "subgroup-gap", "column": "sex", "metric": "auc", "max": 0.05 } ],
 *     "requireApprovedCard": true }
 *
 * evaluatePromotion checks every rule (it does not stop at the first failure, so the
 * approver sees everything at once) and names each failed rule with the actual value. A
 * failed rule blocks; only an exception with a written justification from a named approver
 * lets the promotion through, and the exception travels with the decision for the audit
 * trail.
 */
import * as z from 'zod';

const MetricName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a metric name: letters, digits, _ . -');

export const PromotionRule = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('metric'), metric: MetricName, min: z.number().finite().optional(), max: z.number().finite().optional() })
    .strict()
    .refine((rule) => rule.min !== undefined || rule.max !== undefined, { message: 'a metric rule needs min, max or both' }),
  z.object({ kind: z.literal('subgroup-gap'), column: z.string().min(1), metric: MetricName, max: z.number().finite().nonnegative() }).strict(),
]);
export type PromotionRule = z.output<typeof PromotionRule>;

export const PromotionPolicy = z
  .object({
    rules: z.array(PromotionRule).default([]),
    /** Production needs a complete model card approved by a model approver. @default true */
    requireApprovedCard: z.boolean().default(true),
  })
  .strict();
export type PromotionPolicy = z.output<typeof PromotionPolicy>;

/** The model card sections that must be written before production. */
export const REQUIRED_CARD_SECTIONS = ['purpose', 'intendedUse', 'trainingData', 'metrics', 'limitations', 'ethicalConsiderations'] as const;

export interface PromotionCandidate {
  readonly version: number;
  /** Holdout metrics by name (auc, logLoss, ece, f1, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** column → group → metric → value. */
  readonly subgroupMetrics?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
  readonly card?: {
    readonly sections: Readonly<Record<string, unknown>>;
    readonly approvedBy?: string;
  };
}

export interface RuleResult {
  /** A readable name of the rule, e.g. `auc >= 0.75`, `subgroup gap of auc over sex <= 0.05`. */
  readonly rule: string;
  readonly passed: boolean;
  readonly actual?: number;
  readonly message: string;
}

export interface PolicyException {
  readonly approver: string;
  readonly justification: string;
}

export interface PromotionDecision {
  readonly allowed: boolean;
  readonly results: readonly RuleResult[];
  readonly failed: readonly RuleResult[];
  /** Present when failed rules were overridden. */
  readonly exception?: PolicyException;
}

export class PolicyExceptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyExceptionError';
  }
}

export const MIN_JUSTIFICATION_LENGTH = 20;

const format = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(4).replace(/0+$/, ''));

function metricRule(rule: Extract<PromotionRule, { kind: 'metric' }>, candidate: PromotionCandidate): RuleResult {
  const bounds = [rule.min !== undefined ? `>= ${format(rule.min)}` : '', rule.max !== undefined ? `<= ${format(rule.max)}` : ''].filter(Boolean).join(' and ');
  const name = `${rule.metric} ${bounds}`;
  const actual = candidate.metrics[rule.metric];
  if (actual === undefined || !Number.isFinite(actual)) {
    return { rule: name, passed: false, message: `${name}: the model has no ${rule.metric} metric (it has ${Object.keys(candidate.metrics).join(', ') || 'none'})` };
  }
  const passed = (rule.min === undefined || actual >= rule.min) && (rule.max === undefined || actual <= rule.max);
  return { rule: name, passed, actual, message: `${name}: ${rule.metric} is ${format(actual)}${passed ? '' : ', outside the limit'}` };
}

function subgroupGapRule(rule: Extract<PromotionRule, { kind: 'subgroup-gap' }>, candidate: PromotionCandidate): RuleResult {
  const name = `subgroup gap of ${rule.metric} over ${rule.column} <= ${format(rule.max)}`;
  const groups = candidate.subgroupMetrics?.[rule.column];
  const values = groups
    ? Object.entries(groups)
        .map(([group, metrics]) => [group, metrics[rule.metric]] as const)
        .filter((entry): entry is readonly [string, number] => entry[1] !== undefined && Number.isFinite(entry[1]))
    : [];
  if (values.length < 2) {
    return { rule: name, passed: false, message: `${name}: needs ${rule.metric} for at least two groups of ${rule.column}, found ${values.length}` };
  }
  const [lowGroup, low] = values.reduce((a, b) => (b[1] < a[1] ? b : a));
  const [highGroup, high] = values.reduce((a, b) => (b[1] > a[1] ? b : a));
  const gap = high - low;
  const passed = gap <= rule.max;
  return { rule: name, passed, actual: gap, message: `${name}: gap is ${format(gap)} (${highGroup} ${format(high)} vs ${lowGroup} ${format(low)})` };
}

function cardRule(candidate: PromotionCandidate): RuleResult {
  const rule = 'model card complete and approved';
  const sections = candidate.card?.sections ?? {};
  const missing = REQUIRED_CARD_SECTIONS.filter((section) => {
    const value = sections[section];
    return value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (typeof value === 'object' && Object.keys(value).length === 0);
  });
  if (!candidate.card) return { rule, passed: false, message: `${rule}: model ${candidate.version} has no model card` };
  if (missing.length > 0) return { rule, passed: false, message: `${rule}: sections missing or empty: ${missing.join(', ')}` };
  if (!candidate.card.approvedBy) return { rule, passed: false, message: `${rule}: the card is complete but no model approver has approved it` };
  return { rule, passed: true, message: `${rule}: approved by ${candidate.card.approvedBy}` };
}

/**
 * Evaluates the policy for a promotion to production. With failed rules the promotion is
 * refused unless `exception` is given with a justification of at least
 * MIN_JUSTIFICATION_LENGTH characters.
 */
export function evaluatePromotion(policyInput: z.input<typeof PromotionPolicy>, candidate: PromotionCandidate, exception?: PolicyException): PromotionDecision {
  const policy = PromotionPolicy.parse(policyInput);
  const results: RuleResult[] = policy.rules.map((rule) => (rule.kind === 'metric' ? metricRule(rule, candidate) : subgroupGapRule(rule, candidate)));
  if (policy.requireApprovedCard) results.push(cardRule(candidate));
  const failed = results.filter((result) => !result.passed);
  if (failed.length === 0) return { allowed: true, results, failed };
  if (!exception) return { allowed: false, results, failed };
  if (exception.approver.trim() === '') throw new PolicyExceptionError('a policy exception needs the approver who grants it');
  if (exception.justification.trim().length < MIN_JUSTIFICATION_LENGTH) {
    throw new PolicyExceptionError(`a policy exception needs a justification of at least ${MIN_JUSTIFICATION_LENGTH} characters (got ${exception.justification.trim().length})`);
  }
  return { allowed: true, results, failed, exception: { approver: exception.approver, justification: exception.justification.trim() } };
}

/** One line per failed rule, for a refusal message. */
export function describeRefusal(decision: PromotionDecision): string {
  return `promotion blocked by ${decision.failed.length} rule${decision.failed.length === 1 ? '' : 's'}:\n${decision.failed.map((f) => `  - ${f.message}`).join('\n')}`;
}
