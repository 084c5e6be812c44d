/**
 * The promotion policy a project declares in its configuration object,
 * `projects/<project>/config/project.config.json`, field `promotionPolicy` (parsed with
 * PromotionPolicy). A project without the object or the field gets the default policy: a
 * complete model card approved by a model approver, no metric rules. A configuration that
 * is present but wrong is refused with the field named, never silently replaced by the
 * default.
 */
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

export async function loadPromotionPolicy(read: ReadConfigObject, project: string): Promise<LoadedPolicy> {
  const key = projectConfigKey(project);
  const text = await read(key);
  if (text === undefined) return { policy: PromotionPolicy.parse({}), source: 'default' };
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new InvalidProjectConfigError(project, key, [{ field: '(root)', reason: `not JSON: ${(error as Error).message}` }]);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidProjectConfigError(project, key, [{ field: '(root)', reason: 'must be a JSON object' }]);
  }
  const declared = (config as Record<string, unknown>)[PROMOTION_POLICY_FIELD];
  if (declared === undefined) return { policy: PromotionPolicy.parse({}), source: 'default' };
  const parsed = PromotionPolicy.safeParse(declared);
  if (!parsed.success) {
    throw new InvalidProjectConfigError(
      project,
      key,
      parsed.error.issues.map((issue) => ({ field: [PROMOTION_POLICY_FIELD, ...issue.path.map(String)].join('.'), reason: issue.message })),
    );
  }
  return { policy: parsed.data, source: key };
}
