/** The feature store's typed errors: each names what was asked for, what is wrong and what exists. */

/** Base class, so handlers and the CLI can tell feature-store refusals from failures. */
export class FeatureStoreError extends Error {}

/** One problem with an input: where (a field path, or a row and a column) and why. */
export interface InputProblem {
  /** `features.2.type`, `entityIdColumn`, or a column name for a data row. */
  readonly field: string;
  readonly reason: string;
  /** 1-based data row (records) or physical line (CSV), for ingested data. */
  readonly row?: number;
}

/** Shown in a message; the rest are counted so a message stays readable for a bad million-row file. */
const SHOWN_PROBLEMS = 20;

export function describeProblems(problems: readonly InputProblem[]): string {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => (p.row === undefined ? `${p.field}: ${p.reason}` : `row ${p.row}, column ${p.field}: ${p.reason}`));
  const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
  return `${shown.join('; ')}${more}`;
}

export class InvalidFeatureGroupDefinitionError extends FeatureStoreError {
  constructor(readonly problems: readonly InputProblem[]) {
    super(`invalid feature group definition: ${describeProblems(problems)}`);
    this.name = 'InvalidFeatureGroupDefinitionError';
  }
}

/** Ingested data that does not match the definition: nothing was written. */
export class FeatureDataRejectedError extends FeatureStoreError {
  constructor(
    readonly group: string,
    readonly version: number,
    readonly problems: readonly InputProblem[],
  ) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the data for feature group ${group} v${version}, nothing was written: ${describeProblems(problems)}`);
    this.name = 'FeatureDataRejectedError';
  }
}

/** A label set (for a training set) that cannot be joined. */
export class InvalidLabelSetError extends FeatureStoreError {
  constructor(readonly problems: readonly InputProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the label set: ${describeProblems(problems)}`);
    this.name = 'InvalidLabelSetError';
  }
}

export class UnknownFeatureGroupError extends FeatureStoreError {
  constructor(
    readonly group: string,
    readonly known: readonly string[],
  ) {
    const shown = known.slice(0, 20).join(', ');
    super(`no feature group named ${group} (${known.length === 0 ? 'none is registered' : `groups: ${shown}${known.length > 20 ? ', …' : ''}`})`);
    this.name = 'UnknownFeatureGroupError';
  }
}

export class UnknownFeatureGroupVersionError extends FeatureStoreError {
  constructor(
    readonly group: string,
    readonly version: number,
    readonly latest: number,
  ) {
    super(`feature group ${group} has no version ${version} (versions are 1..${latest})`);
    this.name = 'UnknownFeatureGroupVersionError';
  }
}

/** A request value that cannot be part of a key or a query (group name, version, entity id, option). */
export class InvalidFeatureRequestError extends FeatureStoreError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
    this.name = 'InvalidFeatureRequestError';
  }
}
