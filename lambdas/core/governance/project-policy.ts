/**
 * The promotion policy a project declares in its configuration object,
 * `projects/<project>/config/project.config.json`, field `promotionPolicy` (parsed with
 * PromotionPolicy). A project without the object or the field gets the default policy: a
 * complete model card approved by a model approver, no metric rules. A configuration that
 * is present but wrong is refused with the field named, never silently replaced by the
 * default.
 */
import type { z } from 'zod';
import { checkProject } from '../registry/keys';
import { GovernanceError } from './personas';
import { PromotionPolicy } from './promotion-policy';

export const PROMOTION_POLICY_FIELD = 'promotionPolicy';

export function projectConfigKey(project: string): string {
  return `projects/${checkProject(project)}/config/project.config.json`;
}

/** Reads an object's text; undefined when there is no such object. */
export type ReadConfigObject = (key: string) => Promise<string | undefined>;

export class InvalidProjectConfigError extends GovernanceError {
  constructor(
    readonly project: string,
    readonly key: string,
    readonly problems: readonly { readonly field: string; readonly reason: string }[],
  ) {
    super(`project ${project}: configuration ${key} is invalid: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`);
    this.name = 'InvalidProjectConfigError';
  }
}

export interface LoadedPolicy {
  readonly policy: PromotionPolicy;
  /** Where it came from: the configuration object's key, or `default`. */
  readonly source: string;
}

/**
 * One field of the project's configuration object, parsed with `schema`: the schema's
 * default (parsing `{}`) when there is no object or no field; a present but invalid field
 * (or an object that is not JSON) is refused with the field named.
 */
export async function loadProjectConfigField<S extends z.ZodType>(
  read: ReadConfigObject,
  project: string,
  field: string,
  schema: S,
): Promise<{ readonly value: z.output<S>; readonly source: string }> {
  const key = projectConfigKey(project);
  const text = await read(key);
  if (text === undefined) return { value: schema.parse({}), source: 'default' };
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new InvalidProjectConfigError(project, key, [{ field: '(root)', reason: `not JSON: ${(error as Error).message}` }]);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidProjectConfigError(project, key, [{ field: '(root)', reason: 'must be a JSON object' }]);
  }
  const declared = (config as Record<string, unknown>)[field];
  if (declared === undefined) return { value: schema.parse({}), source: 'default' };
  const parsed = schema.safeParse(declared);
  if (!parsed.success) {
    throw new InvalidProjectConfigError(
      project,
      key,
      parsed.error.issues.map((issue) => ({ field: [field, ...issue.path.map(String)].join('.'), reason: issue.message })),
    );
  }
  return { value: parsed.data, source: key };
}

export async function loadPromotionPolicy(read: ReadConfigObject, project: string): Promise<LoadedPolicy> {
  const { value, source } = await loadProjectConfigField(read, project, PROMOTION_POLICY_FIELD, PromotionPolicy);
  return { policy: value, source };
}
