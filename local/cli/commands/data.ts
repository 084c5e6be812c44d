/**
 * `lumina data put`: a CSV into a project's inbox, then the pipeline runs it started.
 * `lumina data import`: a public dataset into the project's import cache, and with
 * --training into its training inbox with source attribution.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { projectLayout } from '../../../lambdas/core/datasets/layout';
import { type ImportCache, PublicImportRequest, importCacheKeys, importPublicDataset } from '../../../lambdas/core/datasets/public-import';
import { MAX_ATTRIBUTION_CHARS, uploadMetadataFor } from '../../../lambdas/core/datasets/upload-attribution';
import type { ExecutionInfo, LocalCloudApi, ProjectInfo } from '../../cloud-api';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CliContext, type CommandSpec, EXIT_CODES } from '../command';
import { describeFailure, toJson } from '../output';
import { checkProjectName } from '../project-settings';
import { localCaller } from './promote';
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

const IMPORT_COMMAND = 'data import';

/**
 * The inbox file name of an import: the URL's last path segment made a safe key segment,
 * with the content's hash before the extension (`patients-<sha12>.csv`). The same content
 * lands on the same key (the same dataset version); different content never replaces an
 * earlier upload that a dataset version and retraining point to.
 */
export function importFileName(source: string, sha256: string): string {
  const lastSegment = source.replace(/[?#].*$/, '').split('/').pop() ?? '';
  let decoded = lastSegment;
  try {
    decoded = decodeURIComponent(lastSegment);
  } catch {
    // Not percent-encoded: keep the segment as it is.
  }
  const safe = decoded.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '').slice(0, 100);
  const dot = safe.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, '.csv'];
  return `${stem === '' ? 'import' : stem}-${sha256.slice(0, 12)}${extension}`;
}

/** The public-import cache in the artifact bucket, under the project's `imports/` folder. */
function s3ImportCache(cloud: LocalCloudApi, project: string): ImportCache {
  const prefix = projectLayout(project).projectPrefix;
  return {
    read: async (key) => {
      try {
        const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: `${prefix}${key}` }));
        return object.Body ? await object.Body.transformToByteArray() : new Uint8Array(0);
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    write: async (key, body, contentType) => {
      await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `${prefix}${key}`, Body: typeof body === 'string' ? body : Buffer.from(body), ContentType: contentType }));
    },
  };
}

export const dataImportCommand: CommandSpec = {
  name: IMPORT_COMMAND,
  summary: 'Import a dataset from a public https URL or S3 object, checked and cached, optionally into the training inbox',
  synopsis: 'data import NAME URL [--sha256 HEX] [--training] [flags]',
  description: [
    "Downloads URL (https://, a public s3://bucket/key such as an AWS Open Data object, or http:// on this machine) into the project's import cache in the artifact bucket (projects/NAME/imports/), with a manifest that keeps the source, its checksum, size, ETag and your attribution. The download is refused when its size differs from the Content-Length or its SHA-256 from --sha256. A second import of the same URL does not download again: with --sha256 it is answered from the cache, otherwise the server is only asked whether the object changed.",
    "With --training the data is also uploaded into the training inbox (named after the URL's last path segment and the content's hash, so a different download never replaces an earlier one) with its source attribution and uploader (local:<your user name>) as object metadata, which the training pipeline records on the dataset version; then, like lumina data put, waits for the pipeline runs the upload started.",
    '--json prints { project, source, from, manifest, cache, upload, waited, runs }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'URL', description: 'https://host/path, s3://bucket/key of a public object, or http://127.0.0.1:PORT/path' },
  ],
  flags: [
    { name: 'sha256', type: 'string', value: 'HEX', description: 'the expected SHA-256 of the content (64 hex digits); a mismatch refuses the import' },
    { name: 'training', type: 'boolean', description: 'also upload into the training inbox (starts the training pipeline)' },
    { name: 'attribution', type: 'string', value: 'TEXT', description: 'license, citation or provider to keep with the data (at most 500 characters)' },
    { name: 'no-wait', type: 'boolean', description: 'with --training: return after the upload without waiting for the pipeline runs' },
    { name: 'timeout', type: 'string', value: 'SECONDS', description: 'with --training: how long to wait for the runs', defaultText: String(DEFAULT_TIMEOUT_SECONDS) },
  ],
  examples: [
    'lumina data import adherence https://data.example.org/diabetes/patients.csv --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --training',
    'lumina data import adherence s3://some-open-data-bucket/path/readmissions.csv --attribution "Provider X, CC-BY-4.0"',
  ],
  extraExitCodes: ['3  with --training: a pipeline run the upload started failed, timed out or was aborted'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, IMPORT_COMMAND);
    const attribution = args.string('attribution');
    if (attribution !== undefined && (attribution.trim() === '' || attribution.length > MAX_ATTRIBUTION_CHARS)) {
      throw new UsageError(`--attribution must be 1 to ${MAX_ATTRIBUTION_CHARS} characters (got ${attribution.length})`, IMPORT_COMMAND);
    }
    const parsed = PublicImportRequest.safeParse({ source: args.positionals.URL, sha256: args.string('sha256'), ...(attribution === undefined ? {} : { attribution }) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${issue.path[0] === 'sha256' ? '--sha256' : 'URL'}: ${issue.message} (got '${issue.path[0] === 'sha256' ? args.string('sha256') : args.positionals.URL}')`, IMPORT_COMMAND);
    }
    const training = args.boolean('training');
    if (!training && (args.boolean('no-wait') || args.string('timeout') !== undefined)) throw new UsageError('--no-wait and --timeout go with --training', IMPORT_COMMAND);
    const timeoutSeconds = timeoutFrom(args.string('timeout'));
    const wait = !args.boolean('no-wait');
    const uploader = localCaller(args, context, 'data-scientist', IMPORT_COMMAND).principal;
    return withLocalCloud(context, { command: IMPORT_COMMAND, interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const source = parsed.data.source;
      const imported = await importPublicDataset({ source, ...(parsed.data.sha256 ? { sha256: parsed.data.sha256 } : {}), ...(attribution === undefined ? {} : { attribution }) }, {
        fetch: globalThis.fetch,
        cache: s3ImportCache(cloud, name),
        now: () => new Date(),
      });
      const { manifest } = imported;
      const prefix = projectLayout(name).projectPrefix;
      const cacheKeys = importCacheKeys(source);
      const cache = { data: `s3://${cloud.artifactBucket}/${prefix}${cacheKeys.data}`, manifest: `s3://${cloud.artifactBucket}/${prefix}${cacheKeys.manifest}` };
      const summary = `Imported ${source} (${manifest.bytes} bytes, sha256 ${manifest.sha256.slice(0, 12)}…) ${IMPORT_ORIGIN[imported.from]}: ${cache.data}`;
      const result = { project: name, source, from: imported.from, manifest, cache };
      if (!training) {
        if (context.json) context.print(toJson({ ...result, waited: false, runs: [] }));
        else context.print(`${summary}\n${manifest.attribution ? `Attribution: ${manifest.attribution}\n` : ''}Not uploaded for training (add --training).\n`);
        return EXIT_CODES.ok;
      }
      const key = `${projectLayout(name).trainingInboxPrefix}${importFileName(source, manifest.sha256)}`;
      const metadata = uploadMetadataFor({ uploadedBy: uploader, source: { url: source, sha256: manifest.sha256, ...(manifest.attribution ? { attribution: manifest.attribution } : {}) } });
      const before = new Set(cloud.listRuns(name).map((r) => r.executionArn));
      await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: Buffer.from(imported.data), ContentType: 'text/csv', Metadata: metadata }));
      const upload = { bucket: cloud.artifactBucket, key, uri: `s3://${cloud.artifactBucket}/${key}`, bytes: manifest.bytes, uploadedBy: uploader };
      if (!wait) {
        context.note('not waiting: pipeline runs the upload started are stopped with the local cloud when this command exits');
        if (context.json) context.print(toJson({ ...result, upload, waited: false, runs: [] }));
        else context.print(`${summary}\nUploaded to ${upload.uri}\n`);
        return EXIT_CODES.ok;
      }
      context.note(`uploaded ${upload.uri}; waiting for the pipeline runs it started`);
      const runs = await runsStartedBy(cloud, name, before, timeoutSeconds);
      if (context.json) context.print(toJson({ ...result, upload, waited: true, runs }));
      else printRuns(context, `${summary}\nUploaded to ${upload.uri}`, runs, project);
      return runs.some((r) => FAILED_STATUSES.has(r.status)) ? EXIT_CODES.runFailed : EXIT_CODES.ok;
    });
  },
};

const IMPORT_ORIGIN: Readonly<Record<'download' | 'cache' | 'not-modified', string>> = {
  download: 'downloaded',
  cache: 'from the cache (checksum known, no request made)',
  'not-modified': 'from the cache (the server says it has not changed)',
};
