/**
 * The audit trail: every state change a compliance officer asks about (dataset approval,
 * registration, stage change, promotion, rollback, A/B change, deletion), with who, when,
 * what and from where. Entries are only ever added: each is written with a condition that
 * its key does not exist, so a retry or a bug cannot overwrite history. Entries of a
 * project sort by time (`AUDIT#<ISO time>#<id>`), so reading them back is one query.
 */
import * as z from 'zod';

export const AUDIT_ACTIONS = [
  'dataset.approved',
  'dataset.rejected',
  'dataset.pii-policy-applied',
  'model.registered',
  'model.stage-changed',
  'model.promoted',
  'model.rolled-back',
  'model.card-approved',
  'policy.exception-granted',
  'ab.changed',
  'project.created',
  'project.deleted',
  'features.registered',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEventInput = z
  .object({
    project: z.string().min(1),
    action: z.enum(AUDIT_ACTIONS),
    /** Who: an IAM principal ARN, a role name or a local user. */
    actor: z.string().min(1),
    /** From where: source IP, `lumina` CLI host, or the pipeline execution ARN. */
    source: z.string().min(1),
    /** What it acted on, e.g. `model:3`, `dataset:ds-…`. */
    target: z.string().min(1),
    /** The change itself: before/after values, reasons, justifications. */
    details: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type AuditEventInput = z.input<typeof AuditEventInput>;

export interface AuditEvent extends z.output<typeof AuditEventInput> {
  readonly id: string;
  readonly at: string;
}

export interface AuditItem {
  readonly pk: string;
  readonly sk: string;
  readonly event: AuditEvent;
}

/** Where entries live: a DynamoDB table in the cloud and locally, a Map in tests. */
export interface AuditStore {
  /** Writes the item only if no item has its key; otherwise throws AuditConflictError. */
  putNew(item: AuditItem): Promise<void>;
  /** Items whose pk matches and sk starts with the prefix, in sk order. */
  query(pk: string, skPrefix: string, options: { readonly descending?: boolean; readonly limit?: number }): Promise<AuditItem[]>;
}

export class AuditConflictError extends Error {
  constructor(readonly key: { pk: string; sk: string }) {
    super(`audit entry ${key.pk} ${key.sk} already exists; audit entries are never rewritten`);
    this.name = 'AuditConflictError';
  }
}

export interface AuditDeps {
  readonly store: AuditStore;
  readonly now: () => Date;
  readonly newId: () => string;
}

const projectKey = (project: string): string => `PROJECT#${project}`;

/** Appends one entry and returns it. Invalid input throws a ZodError naming the field. */
export async function recordAuditEvent(input: AuditEventInput, deps: AuditDeps): Promise<AuditEvent> {
  const parsed = AuditEventInput.parse(input);
  const event: AuditEvent = { ...parsed, id: deps.newId(), at: deps.now().toISOString() };
  await deps.store.putNew({ pk: projectKey(parsed.project), sk: `AUDIT#${event.at}#${event.id}`, event });
  return event;
}

export interface AuditQuery {
  readonly project: string;
  /** Only entries at or after this time. */
  readonly since?: Date;
  readonly actions?: readonly AuditAction[];
  /** Newest first (the default) or oldest first. */
  readonly order?: 'newest' | 'oldest';
  readonly limit?: number;
}

export async function queryAuditTrail(query: AuditQuery, store: AuditStore): Promise<AuditEvent[]> {
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) throw new RangeError(`limit must be a positive integer, got ${query.limit}`);
  const items = await store.query(projectKey(query.project), 'AUDIT#', { descending: query.order !== 'oldest' });
  const since = query.since?.toISOString();
  const actions = query.actions ? new Set(query.actions) : undefined;
  const events = items.map((item) => item.event).filter((event) => (since === undefined || event.at >= since) && (!actions || actions.has(event.action)));
  return query.limit === undefined ? events : events.slice(0, query.limit);
}

/** An in-memory AuditStore with the same put-if-absent semantics, for tests and tools. */
export function memoryAuditStore(): AuditStore & { readonly size: () => number } {
  const items = new Map<string, AuditItem>();
  return {
    async putNew(item) {
      const id = `${item.pk}\u0000${item.sk}`;
      if (items.has(id)) throw new AuditConflictError({ pk: item.pk, sk: item.sk });
      items.set(id, structuredClone(item));
    },
    async query(pk, skPrefix, options) {
      const found = [...items.values()].filter((item) => item.pk === pk && item.sk.startsWith(skPrefix)).sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      if (options.descending) found.reverse();
      return structuredClone(options.limit === undefined ? found : found.slice(0, options.limit));
    },
    size: () => items.size,
  };
}
