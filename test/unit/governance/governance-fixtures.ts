/** A project with registered versions, an audit store and a configuration store, for the governed operations. */
import { type AuditStore, memoryAuditStore } from '../../../lambdas/core/governance/audit-trail';
import type { Caller } from '../../../lambdas/core/governance/personas';
import { projectConfigKey } from '../../../lambdas/core/governance/project-policy';
import type { GovernedRegistryDeps } from '../../../lambdas/core/governance/registry-operations';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { steppingClock, versionRequest } from '../registry/registry-fixtures';

export const ACCOUNT = '123456789012';
export const approver: Caller = { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/LuminaOps-ModelApprover/carol`, persona: 'model-approver', source: '203.0.113.5' };
export const engineer: Caller = { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/LuminaOps-MlEngineer/erin`, persona: 'ml-engineer', source: '203.0.113.6' };
export const scientist: Caller = { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/LuminaOps-DataScientist/dave`, persona: 'data-scientist', source: '203.0.113.7' };

export const COMPLETE_NARRATIVE = {
  purpose: 'Predicts who stops their medication within 30 days.',
  intendedUse: 'Prioritising pharmacist follow-up calls.',
  limitations: ['Trained on one hospital network only.'],
  ethicalConsiderations: ['Not for decisions about coverage or care eligibility.'],
};

/** The engine's SubgroupReport per column: F 0.84, M 0.78 (gap 0.06); a 3-row group left out of the gaps. */
export const SUBGROUP_REPORT = {
  sex: {
    task: 'binary',
    groups: [
      { group: 'F', count: 500, metrics: { auc: 0.84, ece: 0.02 }, undefinedReasons: {}, includedInGaps: true },
      { group: 'M', count: 480, metrics: { auc: 0.78, ece: 0.04 }, undefinedReasons: {}, includedInGaps: true },
      { group: null, count: 3, metrics: { auc: null, ece: 0.5 }, undefinedReasons: { auc: 'one class' }, includedInGaps: false },
    ],
    gaps: {},
  },
};

export interface GovernedProject {
  readonly deps: GovernedRegistryDeps & { readonly audit: AuditStore & { size(): number } };
  readonly configs: Map<string, string>;
  readonly markdown: Map<string, string>;
  setPolicy(policy: unknown): void;
}

/**
 * `adherence` with `versions` registered (auc 0.81, ece 0.03, the subgroup report above,
 * a complete card unless `card` says otherwise); the last one is in staging.
 */
export async function governedProject(options: { versions?: number; card?: Partial<typeof COMPLETE_NARRATIVE> } = {}): Promise<GovernedProject> {
  const registry = memoryRegistryStore();
  const audit = memoryAuditStore();
  const now = steppingClock();
  const configs = new Map<string, string>();
  const markdown = new Map<string, string>();
  let ids = 0;
  const count = options.versions ?? 1;
  for (let i = 1; i <= count; i++) {
    await registerModelVersion(
      registry,
      versionRequest({
        metrics: { auc: 0.81, ece: 0.03, logLoss: 0.42 },
        subgroupMetrics: SUBGROUP_REPORT,
        card: options.card ?? COMPLETE_NARRATIVE,
        lineage: { ...versionRequest().lineage, executionId: `run-${i}` },
      }),
      { now },
    );
  }
  await setStage(registry, 'adherence', count, 'staging', 'training-pipeline/run', 'beat the champion', { now });
  return {
    deps: {
      registry,
      audit,
      readConfig: async (key) => configs.get(key),
      writeCardMarkdown: async (key, text) => {
        markdown.set(key, text);
      },
      now,
      newId: () => `entry-${++ids}`,
    },
    configs,
    markdown,
    setPolicy: (policy) => configs.set(projectConfigKey('adherence'), JSON.stringify({ projectName: 'adherence', promotionPolicy: policy })),
  };
}
