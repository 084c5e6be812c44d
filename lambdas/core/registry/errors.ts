/** The registry's typed errors: each names what was asked for and what exists. */
import type { Stage } from './keys';

/** Base class, so handlers and the CLI can tell registry refusals from failures. */
export class RegistryError extends Error {}

export class UnknownProjectError extends RegistryError {
  constructor(readonly project: string) {
    super(`project ${project} has no registered model versions`);
    this.name = 'UnknownProjectError';
  }
}

export class UnknownVersionError extends RegistryError {
  constructor(
    readonly project: string,
    readonly version: number,
    readonly latest: number,
  ) {
    super(`project ${project} has no model version ${version} (${latest === 0 ? 'none is registered' : `versions are 1..${latest}`})`);
    this.name = 'UnknownVersionError';
  }
}

export class UnknownMetricError extends RegistryError {
  constructor(
    readonly metric: string,
    readonly where: string,
    readonly available: readonly string[],
  ) {
    super(`${where} has no metric "${metric}" (available: ${available.length > 0 ? available.join(', ') : 'none'})`);
    this.name = 'UnknownMetricError';
  }
}

/** The metric's direction is neither known nor given. */
export class UnknownMetricDirectionError extends RegistryError {
  constructor(readonly metric: string) {
    super(`cannot tell whether a higher "${metric}" is better: pass higherIsBetter`);
    this.name = 'UnknownMetricDirectionError';
  }
}

export class InvalidStageTransitionError extends RegistryError {
  constructor(
    readonly project: string,
    readonly version: number,
    readonly from: Stage,
    readonly to: Stage,
    readonly allowed: readonly Stage[],
  ) {
    super(
      `project ${project} version ${version} cannot move from ${from} to ${to} (from ${from} it can move to ${allowed.length > 0 ? allowed.join(' or ') : 'nothing: archived is final'})`,
    );
    this.name = 'InvalidStageTransitionError';
  }
}

/** The stage pointers changed under a caller that asked for them to be as it last saw them. */
export class StageConflictError extends RegistryError {
  constructor(
    readonly project: string,
    readonly detail: string,
  ) {
    super(`stage change for project ${project} conflicted: ${detail}`);
    this.name = 'StageConflictError';
  }
}

export class UnknownExperimentError extends RegistryError {
  constructor(readonly experimentId: string) {
    super(`experiment ${experimentId} has no runs`);
    this.name = 'UnknownExperimentError';
  }
}

export class UnknownRunError extends RegistryError {
  constructor(
    readonly experimentId: string,
    readonly runId: string,
    readonly known: readonly string[],
  ) {
    const shown = known.slice(0, 10).join(', ');
    super(`experiment ${experimentId} has no run "${runId}"${known.length > 0 ? ` (runs: ${shown}${known.length > 10 ? ', …' : ''})` : ''}`);
    this.name = 'UnknownRunError';
  }
}

/** A request field the registry cannot store (bad key segment, wrong number). */
export class InvalidRegistryRequestError extends RegistryError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
    this.name = 'InvalidRegistryRequestError';
  }
}
