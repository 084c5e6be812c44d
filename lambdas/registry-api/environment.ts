import * as z from 'zod';

const RoleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name');

/** Environment of the registry-api function (shared by its construct and its handler). */
export const RegistryApiEnvironment = z.object({
  MODEL_REGISTRY_TABLE: z.string().min(3),
  AUDIT_TABLE: z.string().min(3),
  /** Holds the projects' configuration objects (the promotion policy) and the rendered model cards. */
  ARTIFACT_BUCKET: z.string().min(3),
  /** The persona roles' physical names: a caller's assumed role decides its persona. */
  DATA_SCIENTIST_ROLE_NAME: RoleName,
  ML_ENGINEER_ROLE_NAME: RoleName,
  MODEL_APPROVER_ROLE_NAME: RoleName,
  /** The account the persona roles live in; sessions from any other account are refused. */
  PERSONA_ACCOUNT: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
});
export type RegistryApiEnvironment = z.output<typeof RegistryApiEnvironment>;
