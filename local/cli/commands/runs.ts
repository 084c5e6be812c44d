/** `lumina runs NAME`: a project's pipeline executions, newest first. */
import type { ExecutionInfo, ProjectInfo } from '../../cloud-api';
import { withLocalCloud } from '../cloud-session';
import type { CommandSpec } from '../command';
import { describeFailure, elapsedMs, formatDuration, formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';

export const runsCommand: CommandSpec = {
  name: 'runs',
  summary: "List a project's pipeline runs, newest first",
  synopsis: 'runs NAME [flags]',
  description: ["Lists the executions of the project's pipelines (training, and inference when the project has it), newest first: name, pipeline, status, start, duration and, for failed runs, the error and its cause. --json prints the executions as an array of ExecutionInfo, input and output included."],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [],
  examples: ['lumina runs adherence', 'lumina runs adherence --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'runs');
    return withLocalCloud(context, { command: 'runs', interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const runs = cloud.listRuns(name);
      if (context.json) context.print(toJson(runs));
      else if (runs.length === 0) context.print(`No runs for ${name} yet. Start one with 'lumina data put ${name} FILE --training'.\n`);
      else context.print(formatRunsTable(runs, project));
      return 0;
    });
  },
};

export function formatRunsTable(runs: readonly ExecutionInfo[], project: ProjectInfo): string {
  return formatTable(
    ['NAME', 'PIPELINE', 'STATUS', 'STARTED', 'DURATION', 'ERROR'],
    runs.map((run) => [run.name, pipelineLabel(run, project), run.status, formatTimestamp(run.startDate), runDuration(run), truncate(describeFailure(run.error, run.cause), 100)]),
  );
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
