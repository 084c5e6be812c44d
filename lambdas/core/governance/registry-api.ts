/**
 * The registry API as plain requests and responses (the function URL handler in
 * lambdas/registry-api/ is a thin adapter over `handleRegistryRequest`):
 *
 *   POST /models/{project}/{version}/promote       { stage, justification?, reason? }
 *   POST /models/{project}/rollback                { reason }
 *   POST /models/{project}/{version}/approve-card  { note? }
 *   GET  /audit/{project}?since=ISO&action=A&limit=N&order=newest|oldest
 *   POST /ab/{project}                             { challenger: V | null, split? }   (null stops the test)
 *   GET  /ab/{project}                             the test as stored and as the endpoint applies it
 *
 * Answers: 200 with the result; 400 naming every bad field (path, query and body together);
 * 403 when the caller is no persona or its persona may not do this; 404 for an unknown
 * route, project or version; 405 for a known path with the wrong method; 409 for stage
 * conflicts, refused transitions, policy refusals (with the failed rules), an incomplete
 * card, a broken project configuration or a refused A/B change. Bad input never gets a 5xx.
 */
import * as z from 'zod';
import { ProjectNameSchema } from '../datasets/layout';
import { InvalidRegistryRequestError, InvalidStageTransitionError, StageConflictError, UnknownProjectError, UnknownVersionError } from '../registry/errors';
import { NothingToRollBackError } from '../registry/rollback';
import { readStagePointers } from '../registry/stage-pointers';
import { AbConfigError, effectiveAbTest, readAbConfig } from '../serving/ab-testing';
import { AUDIT_ACTIONS } from './audit-trail';
import { type Caller, type PersonaRoleNames, PersonaRefusedError, UnknownCallerError, callerFromArn } from './personas';
import { InvalidProjectConfigError } from './project-policy';
import { MIN_JUSTIFICATION_LENGTH } from './promotion-policy';
import { CardIncompleteError, type GovernedRegistryDeps, PromotionBlockedError, approveModelCard, changeAbTest, promote, readAuditTrail, rollback } from './registry-operations';

export interface RegistryApiRequest {
  readonly method: string;
  readonly path: string;
  /** The raw body text (already base64-decoded); undefined or '' when there is none. */
  readonly body?: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The IAM principal that signed the request (the function URL's authorizer). */
  readonly principalArn?: string;
  readonly sourceIp?: string;
}

export interface RegistryApiResponse {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

export interface RegistryApiConfig {
  readonly personaRoles: PersonaRoleNames;
  /** Only sessions in this account count as personas. @default - any account */
  readonly account?: string;
}

export interface Problem {
  readonly field: string;
  readonly reason: string;
}

const Justification = z
  .string()
  .trim()
  .min(MIN_JUSTIFICATION_LENGTH, `a justification needs at least ${MIN_JUSTIFICATION_LENGTH} characters`)
  .max(4000, 'at most 4000 characters');

export const PromoteBody = z
  .object({
    stage: z.enum(['staging', 'production', 'archived']),
    justification: Justification.optional(),
    reason: z.string().trim().min(1, 'must not be empty').max(1000, 'at most 1000 characters').optional(),
  })
  .strict();

export const RollbackBody = z.object({ reason: z.string().trim().min(1, 'a rollback needs a reason').max(1000, 'at most 1000 characters') }).strict();

export const ApproveCardBody = z.object({ note: z.string().trim().max(1000, 'at most 1000 characters').optional() }).strict();

export const AuditQueryParams = z
  .object({
    since: z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time, e.g. 2026-05-01T00:00:00Z' }).optional(),
    action: z
      .string()
      .transform((text) => text.split(',').map((a) => a.trim()))
      .pipe(z.array(z.enum(AUDIT_ACTIONS, { message: `one or more of ${AUDIT_ACTIONS.join(', ')}, comma-separated` })))
      .optional(),
    limit: z
      .string()
      .regex(/^[1-9][0-9]{0,3}$/, 'a whole number from 1 to 9999')
      .transform(Number)
      .optional(),
    order: z.enum(['newest', 'oldest']).optional(),
  })
  .strict();

export const AbTestBody = z
  .object({
    /** The version to test against production, or null to stop the test. */
    challenger: z.number().int('a whole version number').positive('a version number (1 or more)').nullable(),
    /** The challenger's share of traffic. */
    split: z.number().gt(0, 'above 0').lt(1, 'below 1 (a fraction: 0.1 is 10%)').optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.challenger !== null && body.split === undefined) ctx.addIssue({ code: 'custom', path: ['split'], message: "required with a challenger: its share of traffic, above 0 and below 1" });
  });

const VersionSegment = z.string().regex(/^[1-9][0-9]{0,8}$/, 'a positive whole number').transform(Number);

type Route =
  | { readonly kind: 'promote'; readonly project: string; readonly version: string }
  | { readonly kind: 'rollback'; readonly project: string }
  | { readonly kind: 'approve-card'; readonly project: string; readonly version: string }
  | { readonly kind: 'audit'; readonly project: string }
  | { readonly kind: 'ab-change'; readonly project: string }
  | { readonly kind: 'ab-read'; readonly project: string };

const ROUTES: readonly { readonly method: string; readonly name: string; readonly pattern: RegExp; readonly route: (m: RegExpExecArray) => Route }[] = [
  { method: 'POST', name: '/models/{project}/{version}/promote', pattern: /^\/models\/([^/]+)\/([^/]+)\/promote$/, route: (m) => ({ kind: 'promote', project: m[1], version: m[2] }) },
  { method: 'POST', name: '/models/{project}/rollback', pattern: /^\/models\/([^/]+)\/rollback$/, route: (m) => ({ kind: 'rollback', project: m[1] }) },
  { method: 'POST', name: '/models/{project}/{version}/approve-card', pattern: /^\/models\/([^/]+)\/([^/]+)\/approve-card$/, route: (m) => ({ kind: 'approve-card', project: m[1], version: m[2] }) },
  { method: 'GET', name: '/audit/{project}', pattern: /^\/audit\/([^/]+)$/, route: (m) => ({ kind: 'audit', project: m[1] }) },
  { method: 'POST', name: '/ab/{project}', pattern: /^\/ab\/([^/]+)$/, route: (m) => ({ kind: 'ab-change', project: m[1] }) },
  { method: 'GET', name: '/ab/{project}', pattern: /^\/ab\/([^/]+)$/, route: (m) => ({ kind: 'ab-read', project: m[1] }) },
];

export async function handleRegistryRequest(request: RegistryApiRequest, config: RegistryApiConfig, deps: GovernedRegistryDeps): Promise<RegistryApiResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const matches = ROUTES.map((r) => ({ ...r, match: r.pattern.exec(path) })).filter((r) => r.match);
  if (matches.length === 0) return error(404, 'NotFound', `no route for ${request.method} ${request.path}`, { routes: ROUTES.map((r) => `${r.method} ${r.name}`) });
  const found = matches.find((r) => r.method === request.method.toUpperCase());
  if (!found) return error(405, 'MethodNotAllowed', `${request.path} answers ${[...new Set(matches.map((r) => r.method))].join(', ')}, not ${request.method}`);
  const route = found.route(found.match!);

  try {
    // Who is asking comes first: an unknown caller learns nothing about the request's validity.
    const caller = identify(request, config);
    switch (route.kind) {
      case 'promote': {
        const { project, version, body } = parseAll(route, request, PromoteBody);
        const outcome = await promote(project, version!, body.stage, caller, { justification: body.justification, reason: body.reason }, deps);
        return ok({ change: outcome.change, policy: outcome.decision ? { source: outcome.policySource, ...outcome.decision } : undefined, audit: outcome.audit });
      }
      case 'rollback': {
        const { project, body } = parseAll(route, request, RollbackBody);
        const outcome = await rollback(project, caller, body.reason, deps);
        return ok({ change: outcome.change, audit: [outcome.audit] });
      }
      case 'approve-card': {
        const { project, version, body } = parseAll(route, request, ApproveCardBody, { optionalBody: true });
        const outcome = await approveModelCard(project, version!, caller, body.note, deps);
        return ok({ card: outcome.card, alreadyApproved: outcome.alreadyApproved, audit: outcome.audit ? [outcome.audit] : [] });
      }
      case 'audit': {
        const problems: Problem[] = [];
        const project = field(ProjectNameSchema, route.project, 'project', problems);
        const query = fieldOf(AuditQueryParams, definedEntries(request.query), 'query', problems);
        if (request.body !== undefined && request.body !== '') problems.push({ field: 'body', reason: 'GET /audit takes no body' });
        if (problems.length > 0) throw new BadRequest(problems);
        const entries = await readAuditTrail(caller, { project: project!, since: query!.since ? new Date(query!.since) : undefined, actions: query!.action, limit: query!.limit, order: query!.order }, deps.audit);
        return ok({ project, entries });
      }
      case 'ab-change': {
        const { project, body } = parseAll(route, request, AbTestBody);
        const outcome = await changeAbTest(project, caller, { challenger: body.challenger, split: body.split ?? 0 }, deps);
        return ok({ change: outcome.change, previous: outcome.previous, audit: outcome.audit });
      }
      case 'ab-read': {
        const problems: Problem[] = [];
        const project = field(ProjectNameSchema, route.project, 'project', problems);
        if (request.body !== undefined && request.body !== '') problems.push({ field: 'body', reason: 'GET /ab takes no body' });
        if (Object.keys(request.query).length > 0) problems.push(...Object.keys(request.query).map((name) => ({ field: `query.${name}`, reason: 'this route takes no query parameters' })));
        if (problems.length > 0) throw new BadRequest(problems);
        const [config, pointers] = await Promise.all([readAbConfig(deps.registry, project!), readStagePointers(deps.registry, project!)]);
        return ok({ project, config: config ?? null, production: pointers.production, effective: pointers.production === null ? null : effectiveAbTest(pointers.production, config) });
      }
    }
  } catch (caught) {
    return errorResponse(caught);
  }
}

function identify(request: RegistryApiRequest, config: RegistryApiConfig): Caller {
  if (!request.principalArn) throw new UnknownCallerError('(unsigned request)', 'the registry API needs an IAM-signed request');
  return callerFromArn(request.principalArn, request.sourceIp ?? 'unknown', config.personaRoles, config.account);
}

class BadRequest extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`invalid request: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`);
  }
}

/** Path parameters and body together, so the caller sees every bad field in one answer. */
function parseAll<S extends z.ZodType>(
  route: { readonly project: string; readonly version?: string },
  request: RegistryApiRequest,
  schema: S,
  options: { readonly optionalBody?: boolean } = {},
): { project: string; version?: number; body: z.output<S> } {
  const problems: Problem[] = [];
  const project = field(ProjectNameSchema, route.project, 'project', problems);
  const version = route.version === undefined ? undefined : field(VersionSegment, route.version, 'version', problems);
  let json: unknown = {};
  const text = request.body ?? '';
  if (text.trim() === '') {
    if (!options.optionalBody) problems.push({ field: 'body', reason: 'a JSON object is required' });
  } else {
    try {
      json = JSON.parse(text);
    } catch {
      problems.push({ field: 'body', reason: 'not valid JSON' });
      json = undefined;
    }
  }
  const body = json === undefined ? undefined : fieldOf(schema, json, 'body', problems);
  if (Object.keys(request.query).length > 0) problems.push(...Object.keys(request.query).map((name) => ({ field: `query.${name}`, reason: 'this route takes no query parameters' })));
  if (problems.length > 0) throw new BadRequest(problems);
  return { project: project!, version, body: body as z.output<S> };
}

function field<S extends z.ZodType>(schema: S, value: unknown, name: string, problems: Problem[]): z.output<S> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(...parsed.error.issues.map((issue) => ({ field: name, reason: issue.message })));
  return undefined;
}

/** Parses an object and names each bad field under `prefix` (unknown keys one by one). */
function fieldOf<S extends z.ZodType>(schema: S, value: unknown, prefix: string, problems: Problem[]): z.output<S> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const at = [prefix, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') problems.push(...issue.keys.map((key) => ({ field: `${at}.${key}`, reason: 'not a known field' })));
    else problems.push({ field: at, reason: issue.message });
  }
  return undefined;
}

function definedEntries(query: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
}

function ok(body: Record<string, unknown>): RegistryApiResponse {
  return { statusCode: 200, body: JSON.parse(JSON.stringify(body)) as Record<string, unknown> };
}

function error(statusCode: number, code: string, message: string, extra: Record<string, unknown> = {}): RegistryApiResponse {
  return { statusCode, body: { error: code, message, ...extra } };
}

/** Maps the typed refusals to answers; anything else is the service's fault and is rethrown. */
export function errorResponse(caught: unknown): RegistryApiResponse {
  if (caught instanceof BadRequest) return error(400, 'InvalidRequest', caught.message, { problems: caught.problems });
  if (caught instanceof InvalidRegistryRequestError) return error(400, 'InvalidRequest', caught.message, { problems: [{ field: caught.field, reason: caught.reason }] });
  if (caught instanceof PersonaRefusedError) return error(403, 'Forbidden', caught.message, { persona: caught.persona, operation: caught.operation });
  if (caught instanceof UnknownCallerError) return error(403, 'Forbidden', caught.message, { principal: caught.principal });
  if (caught instanceof UnknownProjectError || caught instanceof UnknownVersionError) return error(404, 'NotFound', caught.message);
  if (caught instanceof PromotionBlockedError) {
    return error(409, 'PromotionBlocked', caught.message, { failedRules: caught.failed.map((f) => ({ rule: f.rule, actual: f.actual, message: f.message })), ...(caught.exceptionProblem ? { exceptionProblem: caught.exceptionProblem } : {}) });
  }
  if (caught instanceof InvalidStageTransitionError) return error(409, 'InvalidStageTransition', caught.message, { from: caught.from, to: caught.to, allowed: caught.allowed });
  if (caught instanceof StageConflictError) return error(409, 'StageConflict', caught.message);
  if (caught instanceof NothingToRollBackError) return error(409, 'NothingToRollBack', caught.message);
  if (caught instanceof CardIncompleteError) return error(409, 'CardIncomplete', caught.message, { missing: caught.missing, revision: caught.revision });
  if (caught instanceof AbConfigError) return error(409, 'AbTestRefused', caught.message);
  if (caught instanceof InvalidProjectConfigError) return error(409, 'InvalidProjectConfig', caught.message, { key: caught.key, problems: caught.problems });
  throw caught;
}
