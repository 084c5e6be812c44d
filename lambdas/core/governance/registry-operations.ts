/**
 * The governed registry operations: what the registry API and `lumina promote | rollback |
 * approve | audit | ab` do. Each one
 *   1. authorises the caller's persona (personas.ts),
 *   2. for production, evaluates the project's promotion policy (project-policy.ts) on the
 *      version's metrics, its subgroup metrics and the latest model card revision with its
 *      approval; a failed rule blocks, naming the rule, unless a model approver gives a
 *      written justification, and then the exception is recorded,
 *   3. changes the registry (setStage, rollbackProduction, a new card revision),
 *   4. appends an audit entry: who (principal and persona), when, what, from where.
 * The registry change comes before its audit entry, so the trail never shows a change that
 * did not happen; if the entry cannot be written the caller gets AuditNotRecordedError,
 * which names the change, instead of a quiet success.
 */
import type { RegistryStore } from '../registry/store';
import { ConditionFailedError } from '../registry/store';
import { InvalidRegistryRequestError, UnknownVersionError } from '../registry/errors';
import { checkProject, checkVersion, modelCardMarkdownKey, type TargetStage } from '../registry/keys';
import { type ModelCard, cardItem, getModelCard, recordModelCardMarkdown, renderModelCardMarkdown } from '../registry/model-card';
import { getModelVersion, latestVersionNumber } from '../registry/model-version';
import { rollbackProduction } from '../registry/rollback';
import { type AbConfig, readAbConfig, setAbTest } from '../serving/ab-testing';
import type { StageChange } from '../registry/stage-pointers';
import { setStage } from '../registry/stages';
import { type AuditAction, type AuditEvent, type AuditQuery, type AuditStore, queryAuditTrail, recordAuditEvent } from './audit-trail';
import { type Caller, GovernanceError, type RegistryOperation, authorise } from './personas';
import { type LoadedPolicy, type ReadConfigObject, loadPromotionPolicy } from './project-policy';
import {
  MIN_JUSTIFICATION_LENGTH,
  PolicyExceptionError,
  type PromotionCandidate,
  type PromotionDecision,
  type RuleResult,
  describeRefusal,
  evaluatePromotion,
} from './promotion-policy';

export interface GovernedRegistryDeps {
  readonly registry: RegistryStore;
  readonly audit: AuditStore;
  /** Reads the project's configuration object (the promotion policy). */
  readonly readConfig: ReadConfigObject;
  /** Writes a card revision's Markdown to the artifact store. @default - not written */
  readonly writeCardMarkdown?: (key: string, markdown: string) => Promise<void>;
  readonly now: () => Date;
  readonly newId: () => string;
}

/** A card revision with the approval recorded on it (approval is a revision of its own). */
export interface ApprovableModelCard extends ModelCard {
  readonly approvedBy?: string;
  readonly approvedAt?: string;
  readonly approvalNote?: string;
}

/** A failed promotion policy: the rules that failed, each named with its actual value. */
export class PromotionBlockedError extends GovernanceError {
  constructor(
    readonly project: string,
    readonly version: number,
    readonly failed: readonly RuleResult[],
    /** Why a justification that was given did not count. */
    readonly exceptionProblem?: string,
  ) {
    const hint = exceptionProblem ?? `a model approver may promote anyway with a justification of at least ${MIN_JUSTIFICATION_LENGTH} characters, recorded in the audit trail`;
    super(`${project} version ${version}: ${describeRefusal({ allowed: false, results: failed, failed })}\n${hint}`);
    this.name = 'PromotionBlockedError';
  }
}

/** A card with empty sections cannot be approved: the approval would vouch for text nobody wrote. */
export class CardIncompleteError extends GovernanceError {
  constructor(
    readonly project: string,
    readonly version: number,
    readonly revision: number,
    readonly missing: readonly string[],
  ) {
    super(`${project} version ${version}: model card revision ${revision} is incomplete (missing: ${missing.join(', ')}); complete it before approving`);
    this.name = 'CardIncompleteError';
  }
}

/** The registry changed but its audit entry could not be written. */
export class AuditNotRecordedError extends GovernanceError {
  constructor(
    readonly what: string,
    readonly cause: unknown,
  ) {
    super(`${what} was made but its audit entry could not be written: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'AuditNotRecordedError';
  }
}

export interface PromoteOptions {
  /** Why the stage changes. @default - "<persona> moved it to <stage>" */
  readonly reason?: string;
  /** For production only: a model approver's justification for promoting despite failed rules. */
  readonly justification?: string;
}

export interface PromotionOutcome {
  readonly change: StageChange;
  /** The policy's verdict (production only). */
  readonly decision?: PromotionDecision;
  readonly policySource?: string;
  /** The entries written, in order. */
  readonly audit: readonly AuditEvent[];
}

const STAGE_OPERATION: Readonly<Record<TargetStage, RegistryOperation>> = {
  staging: 'model.stage.staging',
  production: 'model.stage.production',
  archived: 'model.stage.archived',
};

/** Moves a version to staging, production or archived, as the caller's persona allows. */
export async function promote(project: string, version: number, stage: TargetStage, caller: Caller, options: PromoteOptions, deps: GovernedRegistryDeps): Promise<PromotionOutcome> {
  checkProject(project);
  checkVersion(version);
  const operation = STAGE_OPERATION[stage];
  if (!operation) throw new InvalidRegistryRequestError('stage', `"${String(stage)}" is not a stage to move to (staging, production or archived)`);
  authorise(caller, operation);
  if (stage !== 'production' && options.justification !== undefined) {
    throw new InvalidRegistryRequestError('justification', 'only a promotion to production is evaluated against the policy, so only it takes a justification');
  }
  if (stage !== 'production') {
    const change = await setStage(deps.registry, project, version, stage, caller.principal, reasonFor(options.reason, caller, stage), { now: deps.now });
    const entry = await audit(deps, caller, 'model.stage-changed', project, `model:${version}`, stageDetails(caller, change), `stage change of ${project} version ${version} to ${stage}`);
    return { change, audit: [entry] };
  }

  const [detail, loaded] = await Promise.all([getModelVersion(deps.registry, project, version), loadPromotionPolicy(deps.readConfig, project)]);
  const candidate = promotionCandidate(detail.record.version, detail.record.metrics, detail.record.subgroupMetrics, detail.card as ApprovableModelCard | undefined);
  const decision = evaluate(project, version, loaded, candidate, caller, options.justification);
  const change = await setStage(deps.registry, project, version, 'production', caller.principal, reasonFor(options.reason, caller, stage), { now: deps.now });
  const what = `promotion of ${project} version ${version} to production`;
  const policy = { source: loaded.source, results: decision.results.map(ruleDetails), cardRevision: detail.card?.revision ?? null };
  const entries: AuditEvent[] = [];
  if (decision.exception) {
    entries.push(
      await audit(
        deps,
        caller,
        'policy.exception-granted',
        project,
        `model:${version}`,
        { persona: caller.persona, version, failedRules: decision.failed.map(ruleDetails), justification: decision.exception.justification, policySource: loaded.source },
        what,
      ),
    );
  }
  entries.push(
    await audit(deps, caller, 'model.promoted', project, `model:${version}`, { ...stageDetails(caller, change), policy, ...(decision.exception ? { exception: decision.exception } : {}) }, what),
  );
  return { change, decision, policySource: loaded.source, audit: entries };
}

function evaluate(project: string, version: number, loaded: LoadedPolicy, candidate: PromotionCandidate, caller: Caller, justification: string | undefined): PromotionDecision {
  const plain = evaluatePromotion(loaded.policy, candidate);
  if (plain.allowed || justification === undefined) {
    if (!plain.allowed) throw new PromotionBlockedError(project, version, plain.failed);
    return plain;
  }
  // Only now is an exception being asked for: it is an operation of its own.
  authorise(caller, 'policy.exception');
  try {
    return evaluatePromotion(loaded.policy, candidate, { approver: caller.principal, justification });
  } catch (error) {
    if (error instanceof PolicyExceptionError) throw new PromotionBlockedError(project, version, plain.failed, error.message);
    throw error;
  }
}

/** Archives a version (from none, staging or production). */
export async function archive(project: string, version: number, caller: Caller, reason: string | undefined, deps: GovernedRegistryDeps): Promise<PromotionOutcome> {
  return promote(project, version, 'archived', caller, { reason }, deps);
}

export interface RollbackOutcome {
  readonly change: StageChange;
  readonly audit: AuditEvent;
}

/** Puts the previous production version back in production (no retraining). */
export async function rollback(project: string, caller: Caller, reason: string, deps: GovernedRegistryDeps): Promise<RollbackOutcome> {
  checkProject(project);
  authorise(caller, 'model.rollback');
  if (reason.trim() === '') throw new InvalidRegistryRequestError('reason', 'a rollback needs a reason');
  const change = await rollbackProduction(deps.registry, project, caller.principal, reason.trim(), deps.now);
  const entry = await audit(
    deps,
    caller,
    'model.rolled-back',
    project,
    `model:${change.version}`,
    { ...stageDetails(caller, change), rolledBackFrom: change.displaced[0]?.version ?? null },
    `rollback of ${project} production to version ${change.version}`,
  );
  return { change, audit: entry };
}

export interface AbChangeOutcome {
  /** The test as written; null when asked to stop a test that was not running (nothing written). */
  readonly change: AbConfig | null;
  readonly previous: AbConfig | null;
  readonly audit: readonly AuditEvent[];
}

/**
 * Starts, changes (challenger null: stops) the project's A/B test: the endpoint serves the
 * challenger to `split` of the traffic from its next configuration read (within a second).
 * The champion is the production version now (ab-testing.ts setAbTest checks the versions).
 */
export async function changeAbTest(project: string, caller: Caller, request: { readonly challenger: number | null; readonly split: number }, deps: GovernedRegistryDeps): Promise<AbChangeOutcome> {
  checkProject(project);
  authorise(caller, 'ab.change');
  if (request.challenger !== null) checkVersion(request.challenger);
  const previous = (await readAbConfig(deps.registry, project)) ?? null;
  if (request.challenger === null && (previous === null || previous.challenger === null)) return { change: null, previous, audit: [] };
  const change = await setAbTest(deps.registry, project, { challenger: request.challenger, split: request.split, actor: caller.principal, now: deps.now });
  const entry = await audit(
    deps,
    caller,
    'ab.changed',
    project,
    `model:${request.challenger ?? previous!.challenger}`,
    {
      persona: caller.persona,
      champion: change.champion,
      challenger: change.challenger,
      split: change.split,
      revision: change.revision,
      previous: previous ? { champion: previous.champion, challenger: previous.challenger, split: previous.split, revision: previous.revision } : null,
    },
    `A/B test change of ${project} (revision ${change.revision})`,
  );
  return { change, previous, audit: [entry] };
}

export interface CardApprovalOutcome {
  readonly card: ApprovableModelCard;
  /** True when the latest revision was already approved: nothing was written. */
  readonly alreadyApproved: boolean;
  readonly audit?: AuditEvent;
}

const MAX_APPROVAL_ATTEMPTS = 20;

/**
 * Approves the latest revision of a version's model card by writing a new revision that
 * carries approvedBy/approvedAt. A later edit (reviseModelCard) writes a revision without
 * them, so an approval never outlives the text it approved.
 */
export async function approveModelCard(project: string, version: number, caller: Caller, note: string | undefined, deps: GovernedRegistryDeps): Promise<CardApprovalOutcome> {
  checkProject(project);
  checkVersion(version);
  authorise(caller, 'model-card.approve');
  for (let attempt = 0; attempt < MAX_APPROVAL_ATTEMPTS; attempt++) {
    const latest = (await getModelCard(deps.registry, project, version)) as ApprovableModelCard | undefined;
    if (!latest) throw new UnknownVersionError(project, version, await latestVersionNumber(deps.registry, project));
    if (latest.approvedBy) return { card: latest, alreadyApproved: true };
    if (latest.missingSections.length > 0) throw new CardIncompleteError(project, version, latest.revision, latest.missingSections);
    const at = deps.now().toISOString();
    const { markdownKey: _previousMarkdown, ...content } = latest;
    const approved: ApprovableModelCard = {
      ...content,
      revision: latest.revision + 1,
      createdAt: at,
      createdBy: caller.principal,
      changeNote: `approved revision ${latest.revision}${note?.trim() ? `: ${note.trim()}` : ''}`,
      approvedBy: caller.principal,
      approvedAt: at,
      ...(note?.trim() ? { approvalNote: note.trim() } : {}),
    };
    try {
      await deps.registry.put('registry', cardItem(approved), { kind: 'absent' });
    } catch (error) {
      // Someone wrote a revision meanwhile: approve what is latest now (or refuse it).
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    let card = approved;
    if (deps.writeCardMarkdown) {
      const key = modelCardMarkdownKey(project, version, approved.revision);
      await deps.writeCardMarkdown(key, renderApprovedCardMarkdown(approved));
      card = (await recordModelCardMarkdown(deps.registry, approved, key)) as ApprovableModelCard;
    }
    const entry = await audit(
      deps,
      caller,
      'model.card-approved',
      project,
      `model:${version}`,
      { persona: caller.persona, version, approvedRevision: latest.revision, cardRevision: approved.revision, ...(approved.approvalNote ? { note: approved.approvalNote } : {}) },
      `approval of ${project} version ${version}'s model card`,
    );
    return { card, alreadyApproved: false, audit: entry };
  }
  throw new Error(`model card of ${project} version ${version}: ${MAX_APPROVAL_ATTEMPTS} concurrent edits in a row, giving up`);
}

/** The card's Markdown with its approval stated at the end. */
export function renderApprovedCardMarkdown(card: ApprovableModelCard): string {
  const body = renderModelCardMarkdown(card);
  if (!card.approvedBy) return body;
  const note = card.approvalNote ? `\n\n> ${card.approvalNote}` : '';
  return `${body}\n## Approval\n\nApproved by ${card.approvedBy} at ${card.approvedAt}.${note}\n`;
}

/** The project's audit trail, newest first unless asked otherwise. */
export async function readAuditTrail(caller: Caller, query: AuditQuery, audit: AuditStore): Promise<AuditEvent[]> {
  checkProject(query.project);
  authorise(caller, 'audit.read');
  return queryAuditTrail(query, audit);
}

/** What the policy sees of a version: its metrics, subgroup metrics and the latest card revision. */
export function promotionCandidate(version: number, metrics: Readonly<Record<string, number>>, subgroupMetrics: unknown, card: ApprovableModelCard | undefined): PromotionCandidate {
  return {
    version,
    metrics,
    subgroupMetrics: policySubgroupMetrics(subgroupMetrics),
    card: card
      ? {
          sections: {
            purpose: card.purpose,
            intendedUse: card.intendedUse,
            trainingData: card.trainingData,
            metrics: card.evaluation.metrics,
            limitations: card.limitations,
            ethicalConsiderations: card.ethicalConsiderations,
          },
          ...(card.approvedBy ? { approvedBy: card.approvedBy } : {}),
        }
      : undefined,
  };
}

type SubgroupMetrics = Record<string, Record<string, Record<string, number>>>;

/**
 * Subgroup metrics as the policy reads them (column → group → metric → value), from the
 * shapes the evaluation reports (the engine's SubgroupReport per column, a list of
 * `{ column, groups }`, or the plain map). Groups the report left out of its gaps (too
 * small) and undefined (null) metrics are left out here too. An unknown shape gives no
 * groups, so a subgroup rule fails rather than passes.
 */
export function policySubgroupMetrics(reported: unknown): SubgroupMetrics | undefined {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const numbers = (metrics: unknown): Record<string, number> =>
    isRecord(metrics) ? Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))) : {};
  const fromGroups = (groups: unknown[]): Record<string, Record<string, number>> => {
    const out: Record<string, Record<string, number>> = {};
    for (const group of groups) {
      if (!isRecord(group) || group.includedInGaps === false) continue;
      out[group.group === null ? '(missing)' : String(group.group ?? group.value ?? '')] = numbers(group.metrics);
    }
    return out;
  };
  if (Array.isArray(reported)) {
    const out: SubgroupMetrics = {};
    for (const report of reported) if (isRecord(report) && typeof report.column === 'string' && Array.isArray(report.groups)) out[report.column] = fromGroups(report.groups);
    return out;
  }
  if (!isRecord(reported)) return undefined;
  const out: SubgroupMetrics = {};
  for (const [column, value] of Object.entries(reported)) {
    if (isRecord(value) && Array.isArray(value.groups)) out[column] = fromGroups(value.groups);
    else if (isRecord(value)) out[column] = Object.fromEntries(Object.entries(value).map(([group, metrics]) => [group, numbers(metrics)]));
  }
  return out;
}

function reasonFor(reason: string | undefined, caller: Caller, stage: TargetStage): string {
  return reason?.trim() ? reason.trim() : `${caller.persona} moved it to ${stage}`;
}

function stageDetails(caller: Caller, change: StageChange): Record<string, unknown> {
  return {
    persona: caller.persona,
    version: change.version,
    from: change.from,
    to: change.to,
    reason: change.reason,
    stageRevision: change.revision,
    displaced: change.displaced.map((d) => ({ version: d.version, from: d.from, to: d.to })),
  };
}

function ruleDetails(result: RuleResult): Record<string, unknown> {
  return { rule: result.rule, passed: result.passed, ...(result.actual === undefined ? {} : { actual: result.actual }), message: result.message };
}

async function audit(deps: GovernedRegistryDeps, caller: Caller, action: AuditAction, project: string, target: string, details: Record<string, unknown>, what: string): Promise<AuditEvent> {
  try {
    return await recordAuditEvent({ project, action, actor: caller.principal, source: caller.source, target, details }, { store: deps.audit, now: deps.now, newId: deps.newId });
  } catch (error) {
    throw new AuditNotRecordedError(what, error);
  }
}
