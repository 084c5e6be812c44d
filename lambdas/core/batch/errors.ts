/** Typed errors of batch inference; each names the field, row or column and the reason. */

/** A step's input (event, request field) that cannot be used. */
export class BatchRequestError extends Error {
  override readonly name = 'BatchRequestError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The input file's header does not meet the model's input contract. */
export class BatchContractError extends Error {
  override readonly name = 'BatchContractError';
  constructor(
    reason: string,
    readonly missingColumns: readonly string[] = [],
    readonly conflictingColumns: readonly string[] = [],
  ) {
    super(reason);
  }
}

/** The file cannot be split into records (an unclosed quote, no header, no rows, too many chunks). */
export class BatchFileError extends Error {
  override readonly name = 'BatchFileError';
  constructor(
    reason: string,
    readonly row?: number,
  ) {
    super(row === undefined ? reason : `row ${row}: ${reason}`);
  }
}

/** No production model to score with. */
export class NoProductionModelError extends Error {
  override readonly name = 'NoProductionModelError';
  constructor(readonly project: string) {
    super(`project ${project} has no model in production; promote a version before dropping files for batch inference`);
  }
}

/** A step found the run in a state it cannot continue from (e.g. merge before every chunk finished). */
export class BatchStateError extends Error {
  override readonly name = 'BatchStateError';
}
