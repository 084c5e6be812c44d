import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditConflictError, type AuditItem, queryAuditTrail } from '../../../lambdas/core/governance/audit-trail';
import { PersonaRefusedError } from '../../../lambdas/core/governance/personas';
import { InvalidProjectConfigError, loadPromotionPolicy, projectConfigKey } from '../../../lambdas/core/governance/project-policy';
import {
  AuditNotRecordedError,
  CardIncompleteError,
  PromotionBlockedError,
  approveModelCard,
  archive,
  policySubgroupMetrics,
  promote,
  readAuditTrail,
  rollback,
} from '../../../lambdas/core/governance/registry-operations';
import { InvalidRegistryRequestError, InvalidStageTransitionError } from '../../../lambdas/core/registry/errors';
import { listModelCardRevisions, reviseModelCard } from '../../../lambdas/core/registry/model-card';
import { NothingToRollBackError } from '../../../lambdas/core/registry/rollback';
import { currentStages, setStage } from '../../../lambdas/core/registry/stages';
import { type GovernedProject, SUBGROUP_REPORT, approver, engineer, governedProject, scientist } from './governance-fixtures';

const entries = (project: GovernedProject) => queryAuditTrail({ project: 'adherence', order: 'oldest' }, project.deps.audit);

describe('approveModelCard', () => {
  it('records the approval as a new card revision with approvedBy/approvedAt, renders it and audits it', async () => {
    const project = await governedProject();

    const outcome = await approveModelCard('adherence', 1, approver, 'Reviewed with the clinical safety board', project.deps);

    expect(outcome.alreadyApproved).toBe(false);
    expect(outcome.card).toMatchObject({
      revision: 2,
      approvedBy: approver.principal,
      approvedAt: '2026-05-01T10:00:03.000Z',
      approvalNote: 'Reviewed with the clinical safety board',
      createdBy: approver.principal,
      changeNote: 'approved revision 1: Reviewed with the clinical safety board',
      markdownKey: 'projects/adherence/registry/000001/model-card.r2.md',
    });
    const revisions = await listModelCardRevisions(project.deps.registry, 'adherence', 1);
    expect(revisions.map((r) => [r.revision, (r as { approvedBy?: string }).approvedBy])).toEqual([
      [1, undefined],
      [2, approver.principal],
    ]);
    expect(project.markdown.get('projects/adherence/registry/000001/model-card.r2.md')).toContain(
      `## Approval\n\nApproved by ${approver.principal} at 2026-05-01T10:00:03.000Z.\n\n> Reviewed with the clinical safety board\n`,
    );
    expect(await entries(project)).toEqual([
      {
        project: 'adherence',
        action: 'model.card-approved',
        actor: approver.principal,
        source: '203.0.113.5',
        target: 'model:1',
        details: { persona: 'model-approver', version: 1, approvedRevision: 1, cardRevision: 2, note: 'Reviewed with the clinical safety board' },
        id: 'entry-1',
        at: '2026-05-01T10:00:04.000Z',
      },
    ]);
  });

  it('refuses an incomplete card, naming the missing sections, and writes nothing', async () => {
    const project = await governedProject({ card: { purpose: 'Predicts non-adherence.', intendedUse: 'Outreach.' } });

    const approving = approveModelCard('adherence', 1, approver, undefined, project.deps);

    await expect(approving).rejects.toBeInstanceOf(CardIncompleteError);
    await expect(approving).rejects.toThrow('adherence version 1: model card revision 1 is incomplete (missing: limitations, ethicalConsiderations)');
    expect(await listModelCardRevisions(project.deps.registry, 'adherence', 1)).toHaveLength(1);
    expect(project.deps.audit.size()).toBe(0);
  });

  it('a second approval of the same revision changes nothing and adds no entry', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);

    const again = await approveModelCard('adherence', 1, approver, undefined, project.deps);

    expect(again).toMatchObject({ alreadyApproved: true, card: { revision: 2 } });
    expect(await listModelCardRevisions(project.deps.registry, 'adherence', 1)).toHaveLength(2);
    expect(project.deps.audit.size()).toBe(1);
  });

  it.each([[scientist], [engineer]])('refuses the %o persona and writes nothing', async (caller) => {
    const project = await governedProject();

    await expect(approveModelCard('adherence', 1, caller, undefined, project.deps)).rejects.toThrow(PersonaRefusedError);

    expect(await listModelCardRevisions(project.deps.registry, 'adherence', 1)).toHaveLength(1);
    expect(project.deps.audit.size()).toBe(0);
  });

  it('an unknown version is named with the versions there are', async () => {
    const project = await governedProject();
    await expect(approveModelCard('adherence', 7, approver, undefined, project.deps)).rejects.toThrow('project adherence has no model version 7 (versions are 1..1)');
  });
});

describe('promote to production', () => {
  it('with the default policy, promotes a staging version whose complete card is approved, and audits the policy verdict', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);

    const outcome = await promote('adherence', 1, 'production', approver, {}, project.deps);

    expect(outcome.change).toMatchObject({ version: 1, from: 'staging', to: 'production', actor: approver.principal, reason: 'model-approver moved it to production' });
    expect(outcome.policySource).toBe('default');
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ staging: null, production: 1 });
    const [, promoted] = await entries(project);
    expect(promoted).toMatchObject({
      action: 'model.promoted',
      actor: approver.principal,
      source: '203.0.113.5',
      target: 'model:1',
      details: {
        persona: 'model-approver',
        from: 'staging',
        to: 'production',
        stageRevision: 2,
        policy: { source: 'default', cardRevision: 2, results: [{ rule: 'model card complete and approved', passed: true }] },
      },
    });
    expect(promoted.details).not.toHaveProperty('exception');
  });

  it('blocks a version whose card is not approved, naming the rule, and changes nothing', async () => {
    const project = await governedProject();

    const promoting = promote('adherence', 1, 'production', approver, {}, project.deps);

    await expect(promoting).rejects.toBeInstanceOf(PromotionBlockedError);
    await expect(promoting).rejects.toThrow('model card complete and approved: the card is complete but no model approver has approved it');
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ staging: 1, production: null });
    expect(project.deps.audit.size()).toBe(0);
  });

  it('an edit after the approval withdraws it: the latest revision is the one that counts', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);
    await reviseModelCard(project.deps.registry, 'adherence', 1, { changes: { intendedUse: 'Also for discharge planning.' }, actor: 'dave', changeNote: 'widened use' }, { now: project.deps.now });

    await expect(promote('adherence', 1, 'production', approver, {}, project.deps)).rejects.toThrow('no model approver has approved it');
  });

  it("evaluates the project's configured rules and names every failed one with its actual value", async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);
    project.setPolicy({
      rules: [
        { kind: 'metric', metric: 'auc', min: 0.85 },
        { kind: 'metric', metric: 'ece', max: 0.05 },
        { kind: 'subgroup-gap', column: 'sex', metric: 'auc', max: 0.05 },
      ],
    });

    let refusal: PromotionBlockedError | undefined;
    await promote('adherence', 1, 'production', approver, {}, project.deps).catch((error: PromotionBlockedError) => (refusal = error));

    expect(refusal).toBeInstanceOf(PromotionBlockedError);
    expect(refusal!.failed.map((f) => f.rule)).toEqual(['auc >= 0.85', 'subgroup gap of auc over sex <= 0.05']);
    expect(refusal!.failed[0].actual).toBe(0.81);
    expect(refusal!.failed[1].actual).toBeCloseTo(0.06, 12);
    expect(refusal!.message).toContain('subgroup gap of auc over sex <= 0.05: gap is 0.06 (F 0.84 vs M 0.78)');
    expect(refusal!.message).toContain('a model approver may promote anyway with a justification of at least 20 characters');
    // Only the card approval: the refusal changed nothing.
    expect((await entries(project)).map((e) => e.action)).toEqual(['model.card-approved']);
  });

  it('lets a model approver promote despite failed rules with a justification, and records the exception', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);
    project.setPolicy({ rules: [{ kind: 'metric', metric: 'auc', min: 0.85 }] });
    const justification = 'Current production model is withdrawn; this one is the best available until the Q3 retrain.';

    const outcome = await promote('adherence', 1, 'production', approver, { justification }, project.deps);

    expect(outcome.decision).toMatchObject({ allowed: true, exception: { approver: approver.principal, justification } });
    expect(outcome.policySource).toBe(projectConfigKey('adherence'));
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ production: 1 });
    const trail = await entries(project);
    expect(trail.map((e) => e.action)).toEqual(['model.card-approved', 'policy.exception-granted', 'model.promoted']);
    expect(trail[1]).toMatchObject({
      actor: approver.principal,
      source: '203.0.113.5',
      target: 'model:1',
      details: { persona: 'model-approver', version: 1, justification, failedRules: [{ rule: 'auc >= 0.85', passed: false, actual: 0.81 }], policySource: 'projects/adherence/config/project.config.json' },
    });
    expect(trail[2].details).toMatchObject({ exception: { approver: approver.principal, justification } });
  });

  it('a justification shorter than 20 characters is no exception: blocked, nothing changed or recorded', async () => {
    const project = await governedProject();
    project.setPolicy({ rules: [{ kind: 'metric', metric: 'auc', min: 0.85 }], requireApprovedCard: false });

    const promoting = promote('adherence', 1, 'production', approver, { justification: 'trust me' }, project.deps);

    await expect(promoting).rejects.toMatchObject({ name: 'PromotionBlockedError', exceptionProblem: 'a policy exception needs a justification of at least 20 characters (got 8)' });
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ staging: 1, production: null });
    expect(project.deps.audit.size()).toBe(0);
  });

  it('a data scientist and an ML engineer cannot promote to production, with or without a justification', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);

    await expect(promote('adherence', 1, 'production', scientist, {}, project.deps)).rejects.toThrow('data-scientist may not promote a model version to production');
    await expect(promote('adherence', 1, 'production', engineer, { justification: 'x'.repeat(40) }, project.deps)).rejects.toThrow('ml-engineer may not promote a model version to production');
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ staging: 1, production: null });
    expect(project.deps.audit.size()).toBe(1);
  });

  it('a version not in staging cannot go to production: the transition error names what is allowed', async () => {
    const project = await governedProject({ versions: 2 });
    project.setPolicy({ requireApprovedCard: false });

    await expect(promote('adherence', 1, 'production', approver, {}, project.deps)).rejects.toBeInstanceOf(InvalidStageTransitionError);
    expect(project.deps.audit.size()).toBe(0);
  });
});

describe('promotion policy from the project configuration', () => {
  it("reads the seed code's project.config.json field promotionPolicy", async () => {
    const seedConfig = fs.readFileSync(path.join(__dirname, '../../../seed-code/project.config.json'), 'utf8');
    const loaded = await loadPromotionPolicy(async (key) => (key === 'projects/adherence/config/project.config.json' ? seedConfig : undefined), 'adherence');
    expect(loaded.source).toBe('projects/adherence/config/project.config.json');
    expect(loaded.policy.rules.map((r) => r.kind)).toEqual(['metric', 'metric', 'subgroup-gap']);
    expect(loaded.policy.requireApprovedCard).toBe(true);
  });

  it('a configuration without the field, or no configuration, gives the default policy', async () => {
    const project = await governedProject();
    expect(await loadPromotionPolicy(project.deps.readConfig, 'adherence')).toEqual({ policy: { rules: [], requireApprovedCard: true }, source: 'default' });
    project.configs.set(projectConfigKey('adherence'), JSON.stringify({ projectName: 'adherence' }));
    expect(await loadPromotionPolicy(project.deps.readConfig, 'adherence')).toEqual({ policy: { rules: [], requireApprovedCard: true }, source: 'default' });
  });

  it('a broken policy is refused with the field named, never replaced by the default', async () => {
    const project = await governedProject();
    project.setPolicy({ rules: [{ kind: 'metric', metric: 'auc' }, { kind: 'subgroup-gap', column: 'sex', metric: 'auc', max: -1 }] });

    const promoting = promote('adherence', 1, 'production', approver, {}, project.deps);

    await expect(promoting).rejects.toBeInstanceOf(InvalidProjectConfigError);
    await expect(promoting).rejects.toThrow('promotionPolicy.rules.0: a metric rule needs min, max or both');
    await expect(promoting).rejects.toThrow('promotionPolicy.rules.1.max');
    project.configs.set(projectConfigKey('adherence'), '{ not json');
    await expect(loadPromotionPolicy(project.deps.readConfig, 'adherence')).rejects.toThrow('project adherence: configuration projects/adherence/config/project.config.json is invalid: (root): not JSON');
  });
});

describe('staging and archive moves', () => {
  it('an ML engineer moves a version to staging and archives one; each move is audited as a stage change', async () => {
    const project = await governedProject({ versions: 2 });

    const staged = await promote('adherence', 1, 'staging', engineer, { reason: 'compare with v2 on the new holdout' }, project.deps);
    const archived = await archive('adherence', 1, engineer, undefined, project.deps);

    expect(staged.change).toMatchObject({ version: 1, from: 'none', to: 'staging', displaced: [{ version: 2, from: 'staging', to: 'archived' }] });
    expect(archived.change).toMatchObject({ version: 1, from: 'staging', to: 'archived' });
    const trail = await entries(project);
    expect(trail.map((e) => [e.action, e.target, e.details.from, e.details.to, e.details.reason])).toEqual([
      ['model.stage-changed', 'model:1', 'none', 'staging', 'compare with v2 on the new holdout'],
      ['model.stage-changed', 'model:1', 'staging', 'archived', 'ml-engineer moved it to archived'],
    ]);
  });

  it('a model approver cannot move to staging or archive, and a justification belongs to production only', async () => {
    const project = await governedProject({ versions: 2 });

    await expect(promote('adherence', 1, 'staging', approver, {}, project.deps)).rejects.toThrow('model-approver may not move a model version to staging');
    await expect(archive('adherence', 1, approver, 'old', project.deps)).rejects.toThrow('model-approver may not archive a model version');
    await expect(promote('adherence', 1, 'staging', engineer, { justification: 'x'.repeat(30) }, project.deps)).rejects.toBeInstanceOf(InvalidRegistryRequestError);
    expect(project.deps.audit.size()).toBe(0);
  });
});

describe('rollback', () => {
  async function twoProductionVersions() {
    const project = await governedProject({ versions: 1 });
    project.setPolicy({ requireApprovedCard: false });
    await promote('adherence', 1, 'production', approver, {}, project.deps);
    const { registerModelVersion } = await import('../../../lambdas/core/registry/model-version');
    const { versionRequest } = await import('../registry/registry-fixtures');
    await registerModelVersion(project.deps.registry, versionRequest({ lineage: { ...versionRequest().lineage, executionId: 'run-2' } }), { now: project.deps.now });
    await setStage(project.deps.registry, 'adherence', 2, 'staging', 'pipeline', 'won', { now: project.deps.now });
    await promote('adherence', 2, 'production', approver, {}, project.deps);
    return project;
  }

  it.each([[engineer], [approver]])('%o rolls production back to the previous version, audited with both versions', async (caller) => {
    const project = await twoProductionVersions();

    const outcome = await rollback('adherence', caller, 'v2 mis-scores new brands', project.deps);

    expect(outcome.change).toMatchObject({ version: 1, to: 'production', rollback: true, actor: caller.principal });
    expect(await currentStages(project.deps.registry, 'adherence')).toMatchObject({ production: 1 });
    expect(outcome.audit).toMatchObject({ action: 'model.rolled-back', actor: caller.principal, source: caller.source, target: 'model:1', details: { persona: caller.persona, rolledBackFrom: 2, reason: 'v2 mis-scores new brands' } });
    expect((await entries(project)).at(-1)).toEqual(outcome.audit);
  });

  it('a data scientist cannot roll back; nothing to roll back is refused and not audited', async () => {
    const project = await twoProductionVersions();
    const before = project.deps.audit.size();

    await expect(rollback('adherence', scientist, 'why not', project.deps)).rejects.toThrow('data-scientist may not roll production back');
    await rollback('adherence', engineer, 'back to v1', project.deps);
    await expect(rollback('adherence', engineer, 'again', project.deps)).rejects.toBeInstanceOf(NothingToRollBackError);

    expect(project.deps.audit.size()).toBe(before + 1);
  });
});

describe('the audit trail of governed operations', () => {
  it('every change adds an entry; earlier entries are never rewritten', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);
    const first = await entries(project);

    await promote('adherence', 1, 'production', approver, {}, project.deps);

    const after = await entries(project);
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(first[0]);
    expect(new Set(after.map((e) => e.id)).size).toBe(2);
  });

  it('when the entry cannot be written the caller is told the change was made without it', async () => {
    const project = await governedProject();
    project.setPolicy({ requireApprovedCard: false });
    const failing = {
      putNew: async (item: AuditItem) => {
        throw new AuditConflictError({ pk: item.pk, sk: item.sk });
      },
      query: project.deps.audit.query,
    };

    const promoting = promote('adherence', 1, 'production', approver, {}, { ...project.deps, audit: failing });

    await expect(promoting).rejects.toBeInstanceOf(AuditNotRecordedError);
    await expect(promoting).rejects.toThrow('promotion of adherence version 1 to production was made but its audit entry could not be written');
  });

  it('every persona reads the trail, newest first, filtered by action', async () => {
    const project = await governedProject();
    await approveModelCard('adherence', 1, approver, undefined, project.deps);
    await promote('adherence', 1, 'production', approver, {}, project.deps);

    for (const caller of [scientist, engineer, approver]) {
      expect((await readAuditTrail(caller, { project: 'adherence' }, project.deps.audit)).map((e) => e.action)).toEqual(['model.promoted', 'model.card-approved']);
    }
    expect((await readAuditTrail(scientist, { project: 'adherence', actions: ['model.card-approved'] }, project.deps.audit)).map((e) => e.id)).toEqual(['entry-1']);
  });
});

describe('policySubgroupMetrics', () => {
  it('reads the engine report, leaving out groups excluded from the gaps and undefined metrics', () => {
    expect(policySubgroupMetrics(SUBGROUP_REPORT)).toEqual({ sex: { F: { auc: 0.84, ece: 0.02 }, M: { auc: 0.78, ece: 0.04 } } });
  });

  it('reads a list of column reports and the plain map; an unknown shape gives no groups', () => {
    expect(policySubgroupMetrics([{ column: 'age', groups: [{ group: '<65', metrics: { auc: 0.8 } }, { group: '65+', metrics: { auc: 0.7 } }] }])).toEqual({ age: { '<65': { auc: 0.8 }, '65+': { auc: 0.7 } } });
    expect(policySubgroupMetrics({ sex: { F: { auc: 0.8 }, M: { auc: null } } })).toEqual({ sex: { F: { auc: 0.8 }, M: {} } });
    expect(policySubgroupMetrics('nonsense')).toBeUndefined();
    expect(policySubgroupMetrics(undefined)).toBeUndefined();
  });
});
