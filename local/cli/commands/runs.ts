/** `lumina runs NAME`: a project's pipeline executions, newest first, with batch inference progress. */
import { inboxPrefix, runIdOf, runKeyOf } from '../../../lambdas/core/batch/layout';
import { type BatchProgress, readBatchProgress } from '../../../lambdas/core/batch/merge-batch';
import { dynamoDbOperationsStore } from '../../../lambdas/shared/dynamodb-batch-operations-store';
import type { ExecutionInfo, LocalCloudApi, ProjectInfo } from '../../cloud-api';
import { withLocalCloud } from '../cloud-session';
import type { CliContext, CommandSpec } from '../command';
import { describeFailure, elapsedMs, formatDuration, formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';

/**
 * A batch inference run's progress, from its run marker in the operations table
 * (`BATCH#<run id>`, advanced by every finished chunk): chunks done of the planned total and
 * rows scored and rejected so far. `duplicateOf` names the execution that scored (or is
 * scoring) the same object version when this one ended as a no-op; `continuedBy` the
 * execution that took the run over after this one stopped.
 */
export interface RunProgress extends BatchProgress {
  readonly duplicateOf?: string;
  readonly continuedBy?: string;
}

export type RunWithProgress = ExecutionInfo & { readonly progress?: RunProgress };

export const runsCommand: CommandSpec = {
  name: 'runs',
  summary: "List a project's pipeline runs, newest first",
  synopsis: 'runs NAME [flags]',
  description: [
    "Lists the executions of the project's pipelines (training, and inference when the project has it), newest first: name, pipeline, status, start, duration and, for failed runs, the error and its cause. Batch inference runs also show their progress while they run and after: chunks scored of the planned total, and rows scored and rejected (the PROGRESS column appears once the project has a batch run).",
    '--json prints the executions as an array of ExecutionInfo, input and output included; batch inference runs carry a progress object { runId, status, chunksDone, chunksTotal, rowsScored, rowsRejected, attempt, ... }.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [],
  examples: ['lumina runs adherence', 'lumina runs adherence --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'runs');
    return withLocalCloud(context, { command: 'runs', interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const runs = await withBatchProgress(cloud, name, cloud.listRuns(name), context);
      if (context.json) context.print(toJson(runs));
      else if (runs.length === 0) context.print(`No runs for ${name} yet. Start one with 'lumina data put ${name} FILE --training'.\n`);
      else context.print(formatRunsTable(runs, project));
      return 0;
    });
  },
};

/**
 * Adds the batch progress to each inference run. The run id is derived from the execution
 * input (the S3 object version, as PlanBatch derives it), so a run shows progress while it
 * runs, before its output exists. A read failure is noted and the runs are listed without it.
 */
export async function withBatchProgress(cloud: LocalCloudApi, project: string, runs: readonly ExecutionInfo[], context: Pick<CliContext, 'note'>): Promise<RunWithProgress[]> {
  const wanted = runs.map((run) => ({ run, runId: batchRunIdOf(project, run.input) }));
  if (wanted.every((w) => w.runId === undefined)) return [...runs];
  try {
    const operations = dynamoDbOperationsStore(cloud.dynamodb, cloud.tableName('operations'));
    return await Promise.all(
      wanted.map(async ({ run, runId }) => {
        if (runId === undefined) return run;
        const marker = await readBatchProgress(operations, project, runId);
        return marker ? { ...run, progress: runProgress(run, marker) } : run;
      }),
    );
  } catch (error) {
    context.note(`could not read batch progress from the operations table: ${(error as Error).message}`);
    return [...runs];
  }
}

/** The batch run id of an execution started by an object in the project's inference inbox; undefined for any other run. */
export function batchRunIdOf(project: string, input: unknown): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const { bucket, key, versionId, etag } = input as Record<string, unknown>;
  if (typeof bucket !== 'string' || typeof key !== 'string' || !key.startsWith(inboxPrefix(project))) return undefined;
  try {
    return runIdOf(runKeyOf({ bucket, key, versionId: typeof versionId === 'string' ? versionId : undefined, etag: typeof etag === 'string' ? etag : undefined }));
  } catch {
    return undefined; // neither version id nor etag: PlanBatch refuses such an input too
  }
}

function runProgress(run: ExecutionInfo, marker: BatchProgress): RunProgress {
  const plan = (run.output as { batch?: { plan?: { alreadyScored?: unknown; scoredBy?: unknown } } } | undefined)?.batch?.plan;
  if (plan?.alreadyScored === true) return { ...marker, duplicateOf: typeof plan.scoredBy === 'string' ? plan.scoredBy : marker.ownerExecution };
  return marker.ownerExecution === run.executionArn ? marker : { ...marker, continuedBy: marker.ownerExecution };
}

export function formatRunsTable(runs: readonly RunWithProgress[], project: ProjectInfo): string {
  const showProgress = runs.some((run) => run.progress !== undefined);
  const headers = ['NAME', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION', ...(showProgress ? ['PROGRESS'] : []), 'ERROR'];
  return formatTable(
    headers,
    runs.map((run) => [
      run.name,
      pipelineLabel(run, project),
      run.status,
      formatTimestamp(run.startDate),
      runDuration(run),
      ...(showProgress ? [progressText(run.progress)] : []),
      truncate(describeFailure(run.error, run.cause), 100),
    ]),
  );
}

/** `3/10 chunks, 150,000 rows, 12 rejected`; who scored it for a duplicate; `-` for runs that are not batch runs. */
export function progressText(progress: RunProgress | undefined): string {
  if (progress === undefined) return '-';
  if (progress.duplicateOf !== undefined) return `already scored by ${executionName(progress.duplicateOf)}`;
  const chunks = progress.chunksTotal === undefined ? `${progress.chunksDone} chunks (planning)` : `${progress.chunksDone}/${progress.chunksTotal} chunks`;
  const rejected = progress.rowsRejected > 0 ? `, ${count(progress.rowsRejected)} rejected` : '';
  const continued = progress.continuedBy === undefined ? '' : ` (continued by ${executionName(progress.continuedBy)})`;
  return `${chunks}, ${count(progress.rowsScored)} rows${rejected}${continued}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function executionName(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

/** The pipeline's name as the project's outputs call it (TrainingPipelineArn -> TrainingPipeline), else the state machine's name. */
export function pipelineLabel(run: ExecutionInfo, project: ProjectInfo): string {
  const output = Object.entries(project.outputs).find(([, value]) => value === run.stateMachineArn);
  if (output) return output[0].replace(/Arn$/, '');
  return run.stateMachineArn.split(':stateMachine:')[1] ?? run.stateMachineArn;
}

export function runDuration(run: ExecutionInfo): string {
  const ms = elapsedMs(run.startDate, run.stopDate);
  return ms === undefined ? '-' : formatDuration(ms);
}

export const FAILED_STATUSES: ReadonlySet<ExecutionInfo['status']> = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
