/** `lumina train NAME`: a training run on the project's latest accepted dataset, and its outcome. */
import { formatMetric } from '../../../lambdas/core/registry/model-card';
import { RegisterStepOutput } from '../../../lambdas/core/registry/steps';
import type { ExecutionInfo, ProjectInfo } from '../../cloud-api';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { describeFailure, formatDuration, toJson } from '../output';
import { checkProjectName } from '../project-settings';
import { FAILED_STATUSES, pipelineLabel, runDuration } from './runs';

const COMMAND = 'train';
/** Training on the embedded engine takes seconds to minutes locally; a tuning run longer. */
const DEFAULT_TIMEOUT_SECONDS = 1800;
/** How often a waiting `lumina train` says the run is still going (stderr). */
const PROGRESS_INTERVAL_MS = 15_000;

/** What the RegisterModel step decided, as the run's output carries it (`$.registration.result`). */
const TrainingRegistration = RegisterStepOutput.pick({ version: true, decision: true, reason: true, primaryMetric: true, challengerScore: true, championScore: true, championVersion: true });
export type TrainingRegistration = ReturnType<typeof TrainingRegistration.parse>;

export const trainCommand: CommandSpec = {
  name: COMMAND,
  summary: "Retrain a project's model on its latest accepted dataset and wait for the outcome",
  synopsis: 'train NAME [flags]',
  description: [
    "Starts the project's training pipeline as a person would (trigger manual, no data drop): the run retrains on the project's latest accepted training dataset, through the same steps as a drop (validate, profile, split, train, convert to ONNX, evaluate against the champion, register, stage). A project without an accepted dataset fails with NoDatasetVersion: upload one with 'lumina data put NAME FILE --training' first.",
    "Then waits for the run (a progress line on stderr every 15 s with the step it is in) and prints its outcome: the registered version and whether it was staged (it beat the champion on the project's primary metric, or it is the first model) or rejected, with both scores and the reason; for a failed run the error and its cause. With --no-wait it returns once the run has started; the local cloud lives only as long as this command, so the run is stopped (ABORTED) when it exits.",
    "--json prints { project, waited, run, registration }: run is the execution (ExecutionInfo), registration the RegisterModel step's result, or null when the run registered no version.",
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [
    { name: 'no-wait', type: 'boolean', description: 'return once the run has started, without waiting for its outcome' },
    { name: 'timeout', type: 'string', value: 'SECONDS', description: 'how long to wait for the run before giving up', defaultText: String(DEFAULT_TIMEOUT_SECONDS) },
  ],
  examples: ['lumina train adherence', 'lumina train adherence --json', 'lumina train adherence --timeout 3600'],
  extraExitCodes: ['3  the training run failed, timed out or was aborted'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const wait = !args.boolean('no-wait');
    const timeoutText = args.string('timeout');
    if (!wait && timeoutText !== undefined) throw new UsageError('--timeout is how long to wait: it cannot be used with --no-wait', COMMAND);
    const timeoutSeconds = timeoutFrom(timeoutText);
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const { executionArn } = await cloud.startTraining(name, 'manual');
      const started = findRun(cloud.listRuns(name), executionArn);
      if (!wait) {
        context.note('not waiting: the run is stopped with the local cloud when this command exits');
        if (context.json) context.print(toJson({ project: name, waited: false, run: started, registration: null }));
        else context.print(`Started ${pipelineLabel(started, project)} run ${started.name} on the latest accepted dataset of ${name}\n`);
        return EXIT_CODES.ok;
      }
      context.note(`started ${pipelineLabel(started, project)} run ${started.name}; waiting for it to finish`);
      const ticker = setInterval(() => {
        const step = cloud.currentState?.(executionArn);
        context.note(`run ${started.name}: running for ${formatDuration(Date.now() - Date.parse(started.startDate))}${step ? `, in ${step}` : ''}`);
      }, PROGRESS_INTERVAL_MS);
      ticker.unref();
      try {
        await cloud.waitForIdle(timeoutSeconds * 1000);
      } finally {
        clearInterval(ticker);
      }
      const run = findRun(cloud.listRuns(name), executionArn);
      const registration = registrationOf(run.output);
      if (context.json) context.print(toJson({ project: name, waited: true, run, registration }));
      else context.print(formatTrainingOutcome(name, run, project, registration));
      return FAILED_STATUSES.has(run.status) ? EXIT_CODES.runFailed : EXIT_CODES.ok;
    });
  },
};

function timeoutFrom(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds (got '${text}')`, COMMAND);
  return seconds;
}

function findRun(runs: readonly ExecutionInfo[], executionArn: string): ExecutionInfo {
  const run = runs.find((r) => r.executionArn === executionArn);
  if (!run) throw new Error(`the training run ${executionArn} is not among the project's executions`);
  return run;
}

/** The RegisterModel step's result in a training run's output, or null when the run has none (it failed earlier, or is still running). */
export function registrationOf(output: unknown): TrainingRegistration | null {
  const registration = isObject(output) && isObject(output.registration) ? output.registration.result : undefined;
  const parsed = TrainingRegistration.safeParse(registration);
  return parsed.success ? parsed.data : null;
}

export function formatTrainingOutcome(project: string, run: ExecutionInfo, info: ProjectInfo, registration: TrainingRegistration | null): string {
  const lines = [`${pipelineLabel(run, info)} run ${run.name}: ${run.status} in ${runDuration(run)}`];
  if (registration) {
    const { version, decision, primaryMetric, challengerScore, championScore, championVersion } = registration;
    const versus = championVersion === null || championScore === null ? ' (no champion to beat yet)' : ` vs ${formatMetric(championScore)} for champion version ${championVersion}`;
    lines.push(`  version ${version} ${decision === 'staging' ? 'staged' : 'rejected'}: ${primaryMetric} ${formatMetric(challengerScore)}${versus}`);
    lines.push(`  reason: ${registration.reason}`);
    if (decision === 'staging') lines.push(`  next: lumina model ${project} ${version}, then lumina promote ${project} ${version} --stage production`);
  } else if (run.status === 'SUCCEEDED') {
    lines.push('  the run registered no model version');
  }
  if (FAILED_STATUSES.has(run.status)) {
    if (run.error) lines.push(`  error: ${run.error}`);
    const cause = describeFailure(undefined, run.cause);
    if (cause) lines.push(`  cause: ${cause}`);
  }
  return `${lines.join('\n')}\n`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
