/** `lumina data put`: a CSV into a project's inbox, then the pipeline runs it started. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutionInfo, LocalCloudApi, ProjectInfo } from '../../cloud-api';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CliContext, type CommandSpec, EXIT_CODES } from '../command';
import { describeFailure, toJson } from '../output';
import { checkProjectName } from '../project-settings';
import { FAILED_STATUSES, pipelineLabel, runDuration } from './runs';

const COMMAND = 'data put';
const DEFAULT_TIMEOUT_SECONDS = 600;

export const dataPutCommand: CommandSpec = {
  name: COMMAND,
  summary: "Upload a CSV into a project's training or inference inbox and wait for its pipeline runs",
  synopsis: 'data put NAME FILE (--training | --inference) [flags]',
  description: [
    "Uploads FILE into the project's training inbox (--training) or inference inbox (--inference) in the artifact bucket. The upload is an S3 object event that EventBridge routes to the project's pipeline, exactly as in AWS.",
    'Then waits until the pipeline runs it started finish and prints each run\'s status, with the error and its cause when one failed (a rejected dataset says why). With --no-wait it returns after the upload; the local cloud lives only as long as this command, so runs the upload started are stopped (ABORTED, Local.Shutdown) when it exits.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'FILE', description: 'the CSV file to upload (its base name becomes the object name)' },
  ],
  flags: [
    { name: 'training', type: 'boolean', description: 'upload into the training inbox (starts the training pipeline)' },
    { name: 'inference', type: 'boolean', description: 'upload into the inference inbox (starts batch inference)' },
    { name: 'no-wait', type: 'boolean', description: 'return after the upload without waiting for the pipeline runs' },
    { name: 'timeout', type: 'string', value: 'SECONDS', description: 'how long to wait for the runs before giving up', defaultText: String(DEFAULT_TIMEOUT_SECONDS) },
  ],
  examples: ['lumina data put adherence patients.csv --training', 'lumina data put adherence new-patients.csv --inference --json'],
  extraExitCodes: ['3  a pipeline run the upload started failed, timed out or was aborted'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const kind = inboxKind(args.boolean('training'), args.boolean('inference'));
    const timeoutSeconds = timeoutFrom(args.string('timeout'));
    const file = path.resolve(context.io.cwd, args.positionals.FILE);
    const body = readDataFile(file, args.positionals.FILE);
    const wait = !args.boolean('no-wait');
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const before = new Set(cloud.listRuns(name).map((r) => r.executionArn));
      const { key } = await cloud.putData(name, kind, path.basename(file), body);
      const upload = { project: name, kind, bucket: cloud.artifactBucket, key, uri: `s3://${cloud.artifactBucket}/${key}`, bytes: body.byteLength };
      if (!wait) {
        context.note('not waiting: pipeline runs the upload started are stopped with the local cloud when this command exits');
        if (context.json) context.print(toJson({ ...upload, waited: false, runs: [] }));
        else context.print(`Uploaded ${path.basename(file)} (${body.byteLength} bytes) to ${upload.uri}\n`);
        return EXIT_CODES.ok;
      }
      context.note(`uploaded ${upload.uri}; waiting for the pipeline runs it started`);
      const runs = await runsStartedBy(cloud, name, before, timeoutSeconds);
      if (context.json) context.print(toJson({ ...upload, waited: true, runs }));
      else printRuns(context, `Uploaded ${path.basename(file)} (${body.byteLength} bytes) to ${upload.uri}`, runs, project);
      return runs.some((r) => FAILED_STATUSES.has(r.status)) ? EXIT_CODES.runFailed : EXIT_CODES.ok;
    });
  },
};

function inboxKind(training: boolean, inference: boolean): 'training' | 'inference' {
  if (training && inference) throw new UsageError('--training and --inference cannot be used together: choose the one inbox to upload into', COMMAND);
  if (!training && !inference) throw new UsageError('choose the inbox: --training or --inference', COMMAND);
  return training ? 'training' : 'inference';
}

function timeoutFrom(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds (got '${text}')`, COMMAND);
  return seconds;
}

/** Checks FILE before the local cloud starts, so a typo costs nothing; errors name the path as given and in full. */
function readDataFile(file: string, given: string): Uint8Array {
  const where = given === file ? `'${file}'` : `'${given}' (${file})`;
  const fail = (reason: string): never => {
    throw new UsageError(`FILE ${where} ${reason}`, COMMAND);
  };
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return fail('does not exist');
  if (!stat.isFile()) fail(stat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    fail('is not readable (check its permissions)');
  }
  if (stat.size === 0) fail('is empty');
  return fs.readFileSync(file);
}

/** Waits for the cloud to go idle, then returns the project's runs that were not there before, oldest first. */
async function runsStartedBy(cloud: LocalCloudApi, project: string, before: ReadonlySet<string>, timeoutSeconds: number): Promise<ExecutionInfo[]> {
  await cloud.waitForIdle(timeoutSeconds * 1000);
  return cloud
    .listRuns(project)
    .filter((r) => !before.has(r.executionArn))
    .reverse();
}

function printRuns(context: CliContext, uploaded: string, runs: readonly ExecutionInfo[], project: ProjectInfo): void {
  const lines = [uploaded];
  if (runs.length === 0) lines.push('No pipeline run started for this upload.');
  for (const run of runs) {
    lines.push(`${pipelineLabel(run, project)} run ${run.name}: ${run.status} in ${runDuration(run)}`);
    if (FAILED_STATUSES.has(run.status)) {
      if (run.error) lines.push(`  error: ${run.error}`);
      const cause = describeFailure(undefined, run.cause);
      if (cause) lines.push(`  cause: ${cause}`);
    }
  }
  context.print(`${lines.join('\n')}\n`);
}
