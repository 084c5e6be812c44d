/**
 * Who may do what to the model registry. A caller is mapped to one of the platform's three
 * personas from the IAM role it assumed (the role names come from configuration: CDK
 * generates the physical names), and every governed operation checks the persona against
 * one permission table. IAM decides who may call the registry API at all; this table
 * decides which operations each persona may perform through it. Unknown callers are refused.
 */

export const PERSONAS = ['data-scientist', 'ml-engineer', 'model-approver'] as const;
export type Persona = (typeof PERSONAS)[number];

/** The governed operations of the registry API and the `lumina` CLI. */
export const REGISTRY_OPERATIONS = [
  'audit.read',
  'model.stage.staging',
  'model.stage.archived',
  'model.stage.production',
  'model.rollback',
  'model-card.approve',
  'policy.exception',
  'dataset.approve',
  'ab.change',
] as const;
export type RegistryOperation = (typeof REGISTRY_OPERATIONS)[number];

/**
 * The permission table. Data scientists read; ML engineers move versions through staging
 * and archive them, may roll production back and start, change or stop an A/B test (a
 * challenger serves real traffic); model approvers approve cards, promote to production,
 * roll back, run A/B tests, grant policy exceptions and approve dataset versions for training
 * (and have no infrastructure rights, which is IAM's part: lib/constructs/persona-roles.ts).
 */
export const PERSONA_PERMISSIONS: Readonly<Record<Persona, readonly RegistryOperation[]>> = {
  'data-scientist': ['audit.read'],
  'ml-engineer': ['audit.read', 'model.stage.staging', 'model.stage.archived', 'model.rollback', 'ab.change'],
  'model-approver': ['audit.read', 'model.stage.production', 'model.rollback', 'model-card.approve', 'policy.exception', 'dataset.approve', 'ab.change'],
};

/** The physical IAM role name of each persona (from the function's environment). */
export interface PersonaRoleNames {
  readonly dataScientist: string;
  readonly mlEngineer: string;
  readonly modelApprover: string;
}

/** A caller of a governed operation: who, acting as which persona, from where. */
export interface Caller {
  /** The IAM principal ARN, or `local:<os user>` for the local CLI. */
  readonly principal: string;
  readonly persona: Persona;
  /** The source IP, or `cli` for the local CLI. */
  readonly source: string;
}

export class GovernanceError extends Error {}

/** The caller is none of the personas: not an assumed persona role, or another account. */
export class UnknownCallerError extends GovernanceError {
  constructor(
    readonly principal: string,
    readonly detail: string,
  ) {
    super(`caller ${principal} is not a LuminaOps persona: ${detail}`);
    this.name = 'UnknownCallerError';
  }
}

/** The caller's persona may not perform the operation. */
export class PersonaRefusedError extends GovernanceError {
  constructor(
    readonly operation: RegistryOperation,
    readonly persona: Persona,
    readonly principal: string,
  ) {
    const allowedBy = PERSONAS.filter((p) => PERSONA_PERMISSIONS[p].includes(operation));
    super(`${persona} may not ${OPERATION_TEXT[operation]} (${operation}); allowed for: ${allowedBy.join(', ') || 'nobody'}`);
    this.name = 'PersonaRefusedError';
  }
}

const OPERATION_TEXT: Readonly<Record<RegistryOperation, string>> = {
  'audit.read': 'read the audit trail',
  'model.stage.staging': 'move a model version to staging',
  'model.stage.archived': 'archive a model version',
  'model.stage.production': 'promote a model version to production',
  'model.rollback': 'roll production back',
  'model-card.approve': 'approve a model card',
  'policy.exception': 'grant a promotion policy exception',
  'dataset.approve': 'approve a dataset version',
  'ab.change': 'start, change or stop an A/B test',
};

export function isAllowed(persona: Persona, operation: RegistryOperation): boolean {
  return PERSONA_PERMISSIONS[persona].includes(operation);
}

/** Throws PersonaRefusedError unless the caller's persona may perform the operation. */
export function authorise(caller: Caller, operation: RegistryOperation): void {
  if (!isAllowed(caller.persona, operation)) throw new PersonaRefusedError(operation, caller.persona, caller.principal);
}

export interface AssumedRoleArn {
  readonly partition: string;
  readonly account: string;
  readonly roleName: string;
  readonly session: string;
}

const ASSUMED_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;

/** `arn:aws:sts::ACCOUNT:assumed-role/<RoleName>/<session>`, or undefined for any other ARN. */
export function parseAssumedRoleArn(arn: string): AssumedRoleArn | undefined {
  const match = ASSUMED_ROLE_ARN.exec(arn);
  return match ? { partition: match[1], account: match[2], roleName: match[3], session: match[4] } : undefined;
}

/**
 * Maps a caller's ARN to its persona. Only sessions of the persona roles count (users and
 * other roles are refused); with `account`, only sessions in that account.
 */
export function personaFromArn(arn: string, roles: PersonaRoleNames, account?: string): Persona {
  const assumed = parseAssumedRoleArn(arn);
  if (!assumed) throw new UnknownCallerError(arn, 'only sessions of the persona roles (assumed-role ARNs) may use the registry API');
  if (account !== undefined && assumed.account !== account) throw new UnknownCallerError(arn, `the persona roles live in account ${account}, not ${assumed.account}`);
  const byRole: Record<string, Persona> = { [roles.dataScientist]: 'data-scientist', [roles.mlEngineer]: 'ml-engineer', [roles.modelApprover]: 'model-approver' };
  const persona = Object.hasOwn(byRole, assumed.roleName) ? byRole[assumed.roleName] : undefined;
  if (!persona) throw new UnknownCallerError(arn, `role ${assumed.roleName} is none of the persona roles`);
  return persona;
}

export function callerFromArn(arn: string, source: string, roles: PersonaRoleNames, account?: string): Caller {
  return { principal: arn, persona: personaFromArn(arn, roles, account), source };
}
