import type { z } from 'zod';

/** Raised when an event, a request body or a file's metadata does not match its schema. */
export class InvalidInputError extends Error {
  constructor(
    readonly what: string,
    readonly problems: readonly { readonly field: string; readonly reason: string }[],
  ) {
    super(`Invalid ${what}: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`);
    this.name = 'InvalidInputError';
  }
}

/** Parses input at the edge; the error names every bad field and why. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(
    what,
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(root)', reason: issue.message })),
  );
}
