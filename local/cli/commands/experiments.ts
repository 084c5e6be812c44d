/** `lumina experiments NAME` and `lumina compare NAME RUN RUN`: a project's experiment runs. */
import { type ExperimentRun, type RunComparison, compareExperimentRuns, listExperimentRuns } from '../../../lambdas/core/registry/experiments';
import { formatMetric } from '../../../lambdas/core/registry/model-card';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import type { FlagSpec } from '../args';
import { formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';
import { localRegistryStore } from '../registry-store';

const EXPERIMENT_FLAG: FlagSpec = { name: 'experiment', type: 'string', value: 'ID', description: 'the experiment to read', defaultText: 'the project name (where training runs are recorded)' };
/** Metric columns shown in the runs table; --json has them all. */
const MAX_METRIC_COLUMNS = 6;

export const experimentsCommand: CommandSpec = {
  name: 'experiments',
  summary: "List a project's experiment runs, sorted by any metric",
  synopsis: 'experiments NAME [--sort METRIC] [--asc] [flags]',
  description: [
    'Lists the runs recorded under the project\'s experiment (every training run records its parameters, metrics and artifacts there), newest first, or sorted by a metric: highest first, or lowest first with --asc. Runs without the metric come last.',
    '--json prints the runs as an array, with every parameter, metric and artifact.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [
    { name: 'sort', type: 'string', value: 'METRIC', description: 'sort by this metric (e.g. auc, logLoss)' },
    { name: 'asc', type: 'boolean', description: 'with --sort: lowest first' },
    EXPERIMENT_FLAG,
  ],
  examples: ['lumina experiments adherence', 'lumina experiments adherence --sort auc', 'lumina experiments adherence --sort logLoss --asc --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'experiments');
    const sortBy = args.string('sort');
    const experimentId = args.string('experiment') ?? name;
    return withLocalCloud(context, { command: 'experiments', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const runs = await listExperimentRuns(localRegistryStore(cloud), experimentId, { sortBy, order: args.boolean('asc') ? 'asc' : 'desc' });
      context.print(context.json ? toJson(runs) : formatRunsTable(runs, sortBy));
      return EXIT_CODES.ok;
    });
  },
};

export function formatRunsTable(runs: readonly ExperimentRun[], sortBy: string | undefined): string {
  const all = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics = [...(sortBy ? [sortBy] : []), ...all.filter((m) => m !== sortBy)].slice(0, MAX_METRIC_COLUMNS);
  return formatTable(
    ['RUN', 'RECORDED', 'VERSION', 'DECISION', ...metrics.map((m) => m.toUpperCase())],
    runs.map((r) => [truncate(r.runId, 40), formatTimestamp(r.recordedAt), r.modelVersion === undefined ? '-' : String(r.modelVersion), r.decision ?? '-', ...metrics.map((m) => formatMetric(r.metrics[m]))]),
  );
}

export const compareCommand: CommandSpec = {
  name: 'compare',
  summary: 'Compare two experiment runs side by side: parameters and metrics',
  synopsis: 'compare NAME RUN RUN [flags]',
  description: [
    "Shows two runs of the project's experiment side by side: every parameter of either run (differences marked with *) and every metric with the difference (second run minus first).",
    '--json prints { experimentId, a, b, parameters, metrics }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'RUN_A', description: 'the first run id (see lumina experiments NAME)' },
    { name: 'RUN_B', description: 'the second run id' },
  ],
  flags: [EXPERIMENT_FLAG],
  examples: ['lumina compare adherence 3f2c1d0e-run 9a8b7c6d-run', 'lumina compare adherence RUN_A RUN_B --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'compare');
    const experimentId = args.string('experiment') ?? name;
    return withLocalCloud(context, { command: 'compare', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const comparison = await compareExperimentRuns(localRegistryStore(cloud), experimentId, args.positionals.RUN_A, args.positionals.RUN_B);
      context.print(context.json ? toJson(comparison) : formatComparison(comparison));
      return EXIT_CODES.ok;
    });
  },
};

export function formatComparison(comparison: RunComparison): string {
  const { a, b } = comparison;
  const signed = (delta: number | null): string => (delta === null ? '-' : `${delta > 0 ? '+' : ''}${formatMetric(delta)}`);
  return [
    `Experiment ${comparison.experimentId}: ${a.runId} (A) vs ${b.runId} (B)`,
    '',
    'Parameters',
    formatTable(
      ['NAME', 'A', 'B', ''],
      comparison.parameters.map((p) => [p.name, p.a ?? '-', p.b ?? '-', p.differs ? '*' : '']),
    ).trimEnd(),
    '',
    'Metrics',
    formatTable(
      ['NAME', 'A', 'B', 'B - A'],
      comparison.metrics.map((m) => [m.name, formatMetric(m.a), formatMetric(m.b), signed(m.delta)]),
    ).trimEnd(),
    '',
  ].join('\n');
}
