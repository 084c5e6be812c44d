/**
 * Errors the trainer raises. Bad input says what and where: the field (`labels`,
 * `features`, `params.maxDepth`, …), and the row and column when one value is at fault.
 */
export class TrainingInputError extends Error {
  override readonly name = 'TrainingInputError';

  constructor(
    /** The input at fault, e.g. `labels`, `validation.features`, `params.subsample`. */
    readonly field: string,
    reason: string,
    readonly row?: number,
    readonly column?: string,
  ) {
    const where = [row === undefined ? '' : `row ${row}`, column === undefined ? '' : `column "${column}"`].filter(Boolean).join(', ');
    super(`${field}${where ? ` (${where})` : ''}: ${reason}`);
  }
}

/** Training stopped because its AbortSignal fired. */
export class TrainingAbortedError extends Error {
  override readonly name = 'TrainingAbortedError';

  constructor(readonly round: number) {
    super(`training aborted before round ${round}`);
  }
}
