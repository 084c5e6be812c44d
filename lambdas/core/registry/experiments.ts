/**
 * Experiment tracking: every training run records its parameters, metrics and artifacts
 * under an experiment id (a project's runs go to the experiment named after the project
 * unless told otherwise). Runs can be listed sorted by any metric and compared side by side.
 */
import type { RegistryStore, StoredItem } from './store';
import { InvalidRegistryRequestError, UnknownExperimentError, UnknownMetricError, UnknownRunError } from './errors';
import { checkId, experimentKeys } from './keys';

export interface ExperimentRunRequest {
  readonly experimentId: string;
  readonly runId: string;
  readonly project: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** null for a metric that could not be computed. */
  readonly metrics: Readonly<Record<string, number | null>>;
  /** Artifact name → object key. */
  readonly artifacts: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /** The registry version the run produced, and whether it went to staging. */
  readonly modelVersion?: number;
  readonly decision?: 'staging' | 'rejected';
  readonly executionId?: string;
  readonly recordedBy: string;
}

export interface ExperimentRun extends ExperimentRunRequest {
  readonly recordedAt: string;
}

/** Records a run; recording the same run id again replaces it (a retried pipeline step). */
export async function recordExperimentRun(store: RegistryStore, request: ExperimentRunRequest, deps: { now: () => Date }): Promise<ExperimentRun> {
  checkId('experimentId', request.experimentId);
  checkId('runId', request.runId);
  for (const [name, value] of Object.entries(request.metrics)) {
    if (value !== null && !Number.isFinite(value)) throw new InvalidRegistryRequestError(`metrics.${name}`, `${value} is not a finite number`);
  }
  const run: ExperimentRun = { ...request, recordedAt: deps.now().toISOString() };
  await store.put('experiments', { ...experimentKeys.run(request.experimentId, request.runId), type: 'experiment-run', ...run });
  return run;
}

function runFromItem(item: StoredItem): ExperimentRun {
  const { pk: _pk, sk: _sk, type: _type, ...run } = item;
  return run as unknown as ExperimentRun;
}

export async function getExperimentRun(store: RegistryStore, experimentId: string, runId: string): Promise<ExperimentRun | undefined> {
  const item = await store.get('experiments', experimentKeys.run(experimentId, runId));
  return item ? runFromItem(item) : undefined;
}

export interface ListRunsOptions {
  /** Sort by this metric; runs without it come last. @default - newest first */
  readonly sortBy?: string;
  /** @default 'desc' */
  readonly order?: 'asc' | 'desc';
}

export async function listExperimentRuns(store: RegistryStore, experimentId: string, options: ListRunsOptions = {}): Promise<ExperimentRun[]> {
  const items = await store.query('experiments', experimentKeys.partition(experimentId), { skPrefix: experimentKeys.runPrefix });
  if (items.length === 0) throw new UnknownExperimentError(experimentId);
  return sortRuns(items.map(runFromItem), options, experimentId);
}

/** Sorts runs by a metric (runs missing it last, newest first among themselves), or newest first. */
export function sortRuns(runs: readonly ExperimentRun[], options: ListRunsOptions, experimentId: string): ExperimentRun[] {
  const newestFirst = (a: ExperimentRun, b: ExperimentRun): number => b.recordedAt.localeCompare(a.recordedAt) || a.runId.localeCompare(b.runId);
  const metric = options.sortBy;
  if (metric === undefined) return [...runs].sort(newestFirst);
  const valueOf = (run: ExperimentRun): number | undefined => {
    const value = run.metrics[metric];
    return typeof value === 'number' ? value : undefined;
  };
  if (!runs.some((run) => valueOf(run) !== undefined)) {
    const available = [...new Set(runs.flatMap((run) => Object.keys(run.metrics).filter((k) => typeof run.metrics[k] === 'number')))].sort();
    throw new UnknownMetricError(metric, `experiment ${experimentId}`, available);
  }
  const sign = options.order === 'asc' ? 1 : -1;
  return [...runs].sort((a, b) => {
    const va = valueOf(a);
    const vb = valueOf(b);
    if (va === undefined || vb === undefined) return va === vb ? newestFirst(a, b) : va === undefined ? 1 : -1;
    return va === vb ? newestFirst(a, b) : sign * (va - vb);
  });
}

export interface ParameterDifference {
  readonly name: string;
  readonly a: string | null;
  readonly b: string | null;
  readonly differs: boolean;
}

export interface MetricDifference {
  readonly name: string;
  readonly a: number | null;
  readonly b: number | null;
  /** b - a, when both have a value. */
  readonly delta: number | null;
}

export interface RunComparison {
  readonly experimentId: string;
  readonly a: ExperimentRun;
  readonly b: ExperimentRun;
  /** Every parameter of either run, by name. */
  readonly parameters: readonly ParameterDifference[];
  readonly metrics: readonly MetricDifference[];
}

export async function compareExperimentRuns(store: RegistryStore, experimentId: string, runIdA: string, runIdB: string): Promise<RunComparison> {
  const [a, b] = await Promise.all([getExperimentRun(store, experimentId, runIdA), getExperimentRun(store, experimentId, runIdB)]);
  if (!a || !b) {
    const items = await store.query('experiments', experimentKeys.partition(experimentId), { skPrefix: experimentKeys.runPrefix });
    if (items.length === 0) throw new UnknownExperimentError(experimentId);
    const known = items.map((item) => runFromItem(item).runId);
    throw new UnknownRunError(experimentId, a ? runIdB : runIdA, known);
  }
  return compareRuns(experimentId, a, b);
}

export function compareRuns(experimentId: string, a: ExperimentRun, b: ExperimentRun): RunComparison {
  const names = (x: object, y: object): string[] => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const parameters = names(a.parameters, b.parameters).map((name) => {
    const va = a.parameters[name] ?? null;
    const vb = b.parameters[name] ?? null;
    return { name, a: va, b: vb, differs: va !== vb };
  });
  const metrics = names(a.metrics, b.metrics).map((name) => {
    const va = typeof a.metrics[name] === 'number' ? (a.metrics[name] as number) : null;
    const vb = typeof b.metrics[name] === 'number' ? (b.metrics[name] as number) : null;
    return { name, a: va, b: vb, delta: va !== null && vb !== null ? vb - va : null };
  });
  return { experimentId, a, b, parameters, metrics };
}
