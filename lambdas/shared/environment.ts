import * as z from 'zod';

/** Raised at cold start when a function's environment does not match its schema. */
export class EnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Lambda environment: ${problems.join('; ')}`);
    this.name = 'EnvironmentError';
  }
}

/**
 * Parses `process.env` with a function's environment schema. Each function declares one
 * schema in `lambdas/<function>/environment.ts`; the CDK construct types its `environment`
 * from the same schema, so a variable cannot be renamed on one side only.
 */
export function readEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new EnvironmentError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return parsed.data;
}
