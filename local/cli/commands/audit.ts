/** `lumina audit NAME`: a project's audit trail, newest first. */
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent, queryAuditTrail } from '../../../lambdas/core/governance/audit-trail';
import { UsageError } from '../args';
import { localAuditStore } from '../audit-store';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';
import { positiveInteger } from './models';

export const auditCommand: CommandSpec = {
  name: 'audit',
  summary: "Show a project's audit trail: who changed what, when and from where",
  synopsis: 'audit NAME [flags]',
  description: [
    "Lists the project's audit entries, newest first: when, the action, who (an IAM principal, or local:<user> for the CLI), as which persona, from where (a source IP, or cli), what it acted on and the gist of the change. Entries are only ever added: promotions (with the policy verdict), policy exceptions (with the justification), rollbacks, stage changes, model-card approvals and the other state changes.",
    '--json prints { project, entries: [...] } with every entry in full.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [
    { name: 'since', type: 'string', value: 'ISO', description: 'only entries at or after this time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z' },
    { name: 'action', type: 'string', value: 'A', description: `only these actions, comma-separated: ${AUDIT_ACTIONS.join(', ')}` },
    { name: 'limit', type: 'string', value: 'N', description: 'at most N entries (the newest)' },
  ],
  examples: ['lumina audit adherence', 'lumina audit adherence --action model.promoted,policy.exception-granted', 'lumina audit adherence --since 2026-05-01 --limit 20 --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'audit');
    const sinceText = args.string('since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText);
    const actionText = args.string('action');
    const actions = actionText === undefined ? undefined : parseActions(actionText);
    const limitText = args.string('limit');
    const limit = limitText === undefined ? undefined : positiveInteger(limitText, '--limit', 'audit');
    return withLocalCloud(context, { command: 'audit', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const entries = await queryAuditTrail({ project: name, since, actions, limit }, localAuditStore(cloud));
      if (context.json) context.print(toJson({ project: name, entries }));
      else if (entries.length === 0) context.print(`No audit entries for ${name}${since || actions ? ' matching the filters' : ''}.\n`);
      else context.print(formatAuditTable(entries));
      return EXIT_CODES.ok;
    });
  },
};

function parseSince(text: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? new Date(text) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`--since must be an ISO date or date-time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z (got '${text}')`, 'audit');
  return date;
}

function parseActions(text: string): AuditAction[] {
  const actions = text.split(',').map((a) => a.trim());
  const unknown = actions.filter((a) => !(AUDIT_ACTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) throw new UsageError(`unknown --action ${unknown.map((a) => `'${a}'`).join(', ')} (actions: ${AUDIT_ACTIONS.join(', ')})`, 'audit');
  return actions as AuditAction[];
}

export function formatAuditTable(entries: readonly AuditEvent[]): string {
  return formatTable(
    ['AT', 'ACTION', 'ACTOR', 'PERSONA', 'SOURCE', 'TARGET', 'DETAILS'],
    entries.map((e) => [formatTimestamp(e.at), e.action, e.actor, String(e.details.persona ?? '-'), e.source, e.target, truncate(summary(e), 100)]),
  );
}

/** The gist of an entry's details, in one line. */
function summary(entry: AuditEvent): string {
  const d = entry.details as Record<string, any>;
  switch (entry.action) {
    case 'model.promoted':
    case 'model.stage-changed':
      return `${d.from} -> ${d.to}: ${d.reason}${d.exception ? ' (policy exception)' : ''}`;
    case 'model.rolled-back':
      return `production ${d.rolledBackFrom} -> ${d.version}: ${d.reason}`;
    case 'model.card-approved':
      return `card revision ${d.approvedRevision} approved${d.note ? `: ${d.note}` : ''}`;
    case 'policy.exception-granted':
      return `failed: ${(d.failedRules as { rule: string }[] | undefined)?.map((r) => r.rule).join('; ') ?? '?'}; justification: ${d.justification}`;
    default:
      return JSON.stringify(d);
  }
}
