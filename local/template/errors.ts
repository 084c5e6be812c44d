/** A template value that cannot be resolved: `path` is where in the template, `reason` what was missing. */
export class TemplateResolutionError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path || '(template)'}: ${reason}`, options);
    this.name = 'TemplateResolutionError';
  }
}

/** Resources that depend on each other in a loop; `cycle` starts and ends with the same logical id. */
export class DependencyCycleError extends TemplateResolutionError {
  constructor(
    readonly cycle: readonly string[],
    edges: readonly string[],
  ) {
    super('Resources', `dependency cycle ${cycle.join(' -> ')} (${edges.join('; ')})`);
    this.name = 'DependencyCycleError';
  }
}

export interface ParameterProblem {
  readonly parameter: string;
  readonly reason: string;
}

/** Every parameter value that the template's constraints refuse, all reported at once. */
export class ParameterValidationError extends Error {
  constructor(readonly problems: readonly ParameterProblem[]) {
    super(`Invalid stack parameters: ${problems.map((p) => `${p.parameter}: ${p.reason}`).join('; ')}`);
    this.name = 'ParameterValidationError';
  }
}
