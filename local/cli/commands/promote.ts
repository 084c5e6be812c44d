/**
 * `lumina promote`, `lumina rollback` and `lumina approve`: the governed registry operations
 * (lambdas/core/governance/registry-operations.ts) against the local cloud's tables, the
 * same code the registry API runs. Locally the actor is `local:<os user>` acting as the
 * persona given by --as, and the source in the audit trail is `cli`.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type Caller, PERSONAS, type Persona } from '../../../lambdas/core/governance/personas';
import { MIN_JUSTIFICATION_LENGTH } from '../../../lambdas/core/governance/promotion-policy';
import { type GovernedRegistryDeps, type PromotionOutcome, approveModelCard, promote, rollback } from '../../../lambdas/core/governance/registry-operations';
import type { TargetStage } from '../../../lambdas/core/registry/keys';
import type { LocalCloudApi } from '../../cloud-api';
import { type ParsedCommand, UsageError } from '../args';
import { localAuditStore } from '../audit-store';
import { withLocalCloud } from '../cloud-session';
import { type CliContext, type CommandSpec, EXIT_CODES } from '../command';
import { toJson } from '../output';
import { checkProjectName } from '../project-settings';
import { localRegistryStore } from '../registry-store';
import { positiveInteger } from './models';

const TARGET_STAGES: readonly TargetStage[] = ['staging', 'production', 'archived'];

/** The `--as PERSONA` flag of the governed commands. */
export const asFlag = (defaultText: string) => ({
  name: 'as',
  type: 'string' as const,
  value: 'PERSONA',
  description: `the persona you act as: ${PERSONAS.join(', ')}; the same persona table as the registry API decides what it may do`,
  defaultText,
});

export const promoteCommand: CommandSpec = {
  name: 'promote',
  summary: 'Move a model version to staging, production or archived, checked against the persona table and the promotion policy',
  synopsis: 'promote NAME VERSION --stage production|staging|archived [flags]',
  description: [
    "Moves a model version to a stage. Production is evaluated against the project's promotion policy (field promotionPolicy of projects/NAME/config/project.config.json in the artifact bucket; without it, a complete model card approved with 'lumina approve' is required): every failed rule is named and the promotion is refused, unless a model approver gives --justification, which is recorded in the audit trail as a policy exception.",
    'Locally you act as local:<your user name> with the persona given by --as: model approvers promote to production, ML engineers move versions to staging and archive them, data scientists only read. Without --as, production is promoted as model-approver and staging or archived moves are made as ml-engineer. Every change is written to the audit trail (lumina audit NAME) with the source cli.',
    '--json prints { change, policy, audit }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'VERSION', description: 'the version number (see lumina models NAME)' },
  ],
  flags: [
    { name: 'stage', type: 'string', value: 'STAGE', description: 'production, staging or archived (required)' },
    { name: 'justification', type: 'string', value: 'TEXT', description: `production only: why to promote despite failed policy rules (at least ${MIN_JUSTIFICATION_LENGTH} characters; model approvers only; recorded)` },
    { name: 'reason', type: 'string', value: 'TEXT', description: 'why the stage changes, for the stage history and the audit trail', defaultText: '"<persona> moved it to <stage>"' },
    asFlag('model-approver for production, ml-engineer for staging and archived'),
  ],
  examples: [
    'lumina promote adherence 3 --stage production',
    'lumina promote adherence 3 --stage production --justification "Current model withdrawn; best available until the Q3 retrain"',
    'lumina promote adherence 4 --stage staging --as ml-engineer',
    'lumina promote adherence 2 --stage archived --reason "superseded"',
  ],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'promote');
    const version = positiveInteger(args.positionals.VERSION, 'VERSION', 'promote');
    const stageText = args.string('stage');
    if (stageText === undefined) throw new UsageError(`missing --stage (one of ${TARGET_STAGES.join(', ')})`, 'promote');
    if (!(TARGET_STAGES as readonly string[]).includes(stageText)) throw new UsageError(`--stage must be one of ${TARGET_STAGES.join(', ')} (got '${stageText}')`, 'promote');
    const stage = stageText as TargetStage;
    const justification = args.string('justification');
    if (justification !== undefined && stage !== 'production') throw new UsageError('--justification is for --stage production only', 'promote');
    if (justification !== undefined && justification.trim().length < MIN_JUSTIFICATION_LENGTH) {
      throw new UsageError(`--justification needs at least ${MIN_JUSTIFICATION_LENGTH} characters (got ${justification.trim().length})`, 'promote');
    }
    const caller = localCaller(args, context, stage === 'production' ? 'model-approver' : 'ml-engineer', 'promote');
    return withLocalCloud(context, { command: 'promote', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const outcome = await promote(name, version, stage, caller, { justification, reason: args.string('reason') }, localGovernedRegistry(cloud));
      context.print(context.json ? toJson({ change: outcome.change, policy: outcome.decision ? { source: outcome.policySource, ...outcome.decision } : undefined, audit: outcome.audit }) : formatPromotion(outcome, caller));
      return EXIT_CODES.ok;
    });
  },
};

export function formatPromotion(outcome: PromotionOutcome, caller: Caller): string {
  const { change } = outcome;
  const lines = [`${change.project} version ${change.version}: ${change.from} -> ${change.to} by ${caller.principal} as ${caller.persona} (stage revision ${change.revision})`];
  for (const displaced of change.displaced) lines.push(`  version ${displaced.version}: ${displaced.from} -> archived (replaced)`);
  if (outcome.decision) {
    lines.push(`Policy (${outcome.policySource}):`);
    for (const result of outcome.decision.results) lines.push(`  ${result.passed ? 'pass' : 'FAIL'}  ${result.message}`);
    if (outcome.decision.exception) lines.push(`Exception granted by ${outcome.decision.exception.approver}: ${outcome.decision.exception.justification}`);
  }
  lines.push(`Audit: ${outcome.audit.map((e) => `${e.action} (${e.id})`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export const rollbackCommand: CommandSpec = {
  name: 'rollback',
  summary: 'Put the previous production version back in production (no retraining)',
  synopsis: 'rollback NAME --reason TEXT [flags]',
  description: [
    'Rolls production back to the version that was in production before the current one, without retraining; a second rollback goes one further back. The current version is archived.',
    'Locally you act as local:<your user name> with the persona given by --as (ML engineers and model approvers may roll back). The rollback is written to the audit trail with the source cli.',
    '--json prints { change, audit }.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [{ name: 'reason', type: 'string', value: 'TEXT', description: 'why (required; recorded in the stage history and the audit trail)' }, asFlag('model-approver')],
  examples: ['lumina rollback adherence --reason "v4 mis-scores the new formulary"', 'lumina rollback adherence --reason "alarm on v4" --as ml-engineer'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'rollback');
    const reason = args.string('reason');
    if (reason === undefined || reason.trim() === '') throw new UsageError('missing --reason: a rollback records why', 'rollback');
    const caller = localCaller(args, context, 'model-approver', 'rollback');
    return withLocalCloud(context, { command: 'rollback', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const outcome = await rollback(name, caller, reason, localGovernedRegistry(cloud));
      const { change } = outcome;
      const from = change.displaced[0]?.version;
      context.print(
        context.json
          ? toJson(outcome)
          : `${name} production rolled back: version ${from} -> version ${change.version} by ${caller.principal} as ${caller.persona} (stage revision ${change.revision})\nAudit: ${outcome.audit.action} (${outcome.audit.id})\n`,
      );
      return EXIT_CODES.ok;
    });
  },
};

export const approveCommand: CommandSpec = {
  name: 'approve',
  summary: "Approve the latest revision of a model version's card (model approvers)",
  synopsis: 'approve NAME VERSION [flags]',
  description: [
    "Approves the latest revision of the version's model card: the approval is written as a new card revision carrying who approved it and when, and the rendered card (with its approval) goes to the artifact bucket. An incomplete card (sections still to be written) is refused. A later edit of the card writes a revision without the approval, so production then needs a new approval.",
    'Locally you act as local:<your user name> with the persona given by --as; only model approvers approve. The approval is written to the audit trail with the source cli.',
    '--json prints { card, alreadyApproved, audit }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'VERSION', description: 'the version number (see lumina models NAME)' },
  ],
  flags: [{ name: 'note', type: 'string', value: 'TEXT', description: 'a note kept with the approval (e.g. the review board and date)' }, asFlag('model-approver')],
  examples: ['lumina approve adherence 3', 'lumina approve adherence 3 --note "Clinical safety board, 2026-04-28"'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'approve');
    const version = positiveInteger(args.positionals.VERSION, 'VERSION', 'approve');
    const caller = localCaller(args, context, 'model-approver', 'approve');
    return withLocalCloud(context, { command: 'approve', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const outcome = await approveModelCard(name, version, caller, args.string('note'), localGovernedRegistry(cloud));
      const { card } = outcome;
      if (context.json) context.print(toJson({ card, alreadyApproved: outcome.alreadyApproved, audit: outcome.audit ? [outcome.audit] : [] }));
      else if (outcome.alreadyApproved) context.print(`${name} version ${version}: model card revision ${card.revision} is already approved by ${card.approvedBy} at ${card.approvedAt}; nothing recorded\n`);
      else
        context.print(
          `${name} version ${version}: model card revision ${card.revision} approved by ${card.approvedBy} as ${caller.persona}${card.markdownKey ? ` (s3://${cloud.artifactBucket}/${card.markdownKey})` : ''}\nAudit: ${outcome.audit!.action} (${outcome.audit!.id})\n`,
        );
      return EXIT_CODES.ok;
    });
  },
};

/** `local:<os user>` acting as the persona from --as (or the command's default), from `cli`. */
export function localCaller(args: ParsedCommand, context: CliContext, defaultPersona: Persona, command: string): Caller {
  const as = args.string('as') ?? defaultPersona;
  if (!(PERSONAS as readonly string[]).includes(as)) throw new UsageError(`--as must be one of ${PERSONAS.join(', ')} (got '${as}')`, command);
  const user = context.io.env.USER || context.io.env.USERNAME || os.userInfo().username;
  return { principal: `local:${user}`, persona: as as Persona, source: 'cli' };
}

/** The governed operations' dependencies over the local cloud's tables and artifact bucket. */
export function localGovernedRegistry(cloud: LocalCloudApi): GovernedRegistryDeps {
  return {
    registry: localRegistryStore(cloud),
    audit: localAuditStore(cloud),
    readConfig: async (key) => {
      try {
        const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
        return object.Body ? await object.Body.transformToString('utf-8') : '';
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    writeCardMarkdown: async (key, markdown) => {
      await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: markdown, ContentType: 'text/markdown; charset=utf-8' }));
    },
    now: () => new Date(),
    newId: randomUUID,
  };
}
