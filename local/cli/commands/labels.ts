/**
 * `lumina labels put NAME FILE`: ground truth for a project. The file is kept as uploaded
 * in the project's labels inbox, checked (every bad row with its line and column), joined
 * to the logged predictions (the endpoint's prediction log and the batch outbox), and the
 * performance over time is stored and published as CloudWatch metrics — the same core
 * (lambdas/core/performance/ingest-labels.ts) a labels-prefix drop would run in AWS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeLabelsProblem } from '../../../lambdas/core/performance/labels-file';
import { type IngestLabelsOutcome, ingestLabels } from '../../../lambdas/core/performance/ingest-labels';
import type { PerformanceResult } from '../../../lambdas/core/performance/performance-summary';
import { cloudWatchMetricSink } from '../../../lambdas/monitor-batch/cloudwatch-metric-sink';
import type { ProjectInfo } from '../../cloud-api';
import { s3Bucket } from '../../../lambdas/shared/s3-bucket';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatTable, toJson } from '../output';
import { checkProjectName } from '../project-settings';

const COMMAND = 'labels put';
/** A labels file is a list of ids and outcomes; anything larger belongs in the S3 labels prefix. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export const labelsPutCommand: CommandSpec = {
  name: COMMAND,
  summary: 'Upload ground truth (outcomes) and compute model performance over time',
  synopsis: 'labels put NAME FILE [--window DURATION] [--threshold P] [flags]',
  description: [
    "Reads FILE, a CSV of outcomes: a request_id column (the id the endpoint answered with) and/or an entity id column (entity_id or the project's entity id column), an outcome column (outcome, label or the project's target column: 1/0, true/false, yes/no or the project's positive label) and optionally the time the outcome was observed (observed_at, event_time or timestamp, ISO 8601).",
    "The file is first stored as it is under projects/NAME/labels/inbox/ in the artifact bucket. A file with problems is refused with every problem (line, column, value) and a report under labels/rejected/; nothing else changes. Otherwise the outcomes are joined to the logged predictions: by request id, else to the latest prediction for the entity made before the outcome was observed (endpoint predictions and batch-inference rows alike).",
    'From every accepted labels file so far it computes AUC, accuracy and calibration error per time window, model version and A/B variant (batch rows are the variant "batch"), stores the result in projects/NAME/performance/performance.json (lumina report shows it) and publishes the latest window to CloudWatch (namespace LuminaOps/ModelPerformance, dimensions Project, ModelVersion and Variant).',
    '--json prints the outcome: { accepted, upload, sourceKey, ... } with the problems, or with the join, the performance result and the metrics published.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'FILE', description: 'the labels CSV' },
  ],
  flags: [
    { name: 'window', type: 'string', value: 'DURATION', description: 'length of a performance window: minutes, hours or days, e.g. 30m, 6h, 7d', defaultText: '1d' },
    { name: 'threshold', type: 'string', value: 'P', description: 'decision threshold for predictions logged without one (batch rows)', defaultText: '0.5' },
  ],
  examples: ['lumina labels put adherence outcomes.csv', 'lumina labels put adherence outcomes.csv --window 7d --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const windowMs = windowFrom(args.string('window'));
    const threshold = thresholdFrom(args.string('threshold'));
    const file = path.resolve(context.io.cwd, args.positionals.FILE);
    const body = readLabelsFile(file, args.positionals.FILE);
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const outcome = await ingestLabels(
        { project: labelsProjectOf(project), fileName: path.basename(file), body, windowMs, defaultThreshold: threshold },
        { bucket: s3Bucket(cloud.s3, cloud.artifactBucket), metrics: cloudWatchMetricSink(cloud.cloudwatch), now: () => new Date() },
      );
      if (context.json) context.print(toJson(outcome));
      else context.print(formatLabelsOutcome(outcome, cloud.artifactBucket));
      if (!outcome.accepted) {
        context.note(`lumina: ${path.basename(file)} was refused: ${outcome.problemCount} problem${outcome.problemCount === 1 ? '' : 's'} (see above)`);
        return EXIT_CODES.failure;
      }
      return EXIT_CODES.ok;
    });
  },
};

/** The project's columns and positive label as its provisioned parameters hold them ('' = not set). */
export function labelsProjectOf(project: ProjectInfo): { name: string; entityIdColumn?: string; targetColumn?: string; positiveLabel?: string } {
  const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value);
  return {
    name: project.name,
    entityIdColumn: given(project.parameters.EntityIdColumn),
    targetColumn: given(project.parameters.TargetColumn),
    positiveLabel: given(project.parameters.PositiveLabel),
  };
}

/** `30m`, `6h`, `7d` (a bare number is days) → milliseconds. */
export function windowFrom(text: string | undefined): number {
  if (text === undefined) return UNITS.d;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*$/i.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNITS[(match[2] || 'd').toLowerCase()]) : NaN;
  if (!(ms >= UNITS.m) || ms > 366 * UNITS.d) throw new UsageError(`--window must be a duration from 1m to 366d, like 30m, 6h or 7d (got '${text}')`, COMMAND);
  return ms;
}

function thresholdFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !(value > 0 && value < 1)) throw new UsageError(`--threshold must be a probability between 0 and 1, exclusive (got '${text}')`, COMMAND);
  return value;
}

/** Checks FILE before the local cloud starts, so a typo costs nothing. */
function readLabelsFile(file: string, given: string): Uint8Array {
  const where = given === file ? `'${file}'` : `'${given}' (${file})`;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`FILE ${where} does not exist`, COMMAND);
  if (!stat.isFile()) throw new UsageError(`FILE ${where} ${stat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file'}`, COMMAND);
  if (stat.size === 0) throw new UsageError(`FILE ${where} is empty`, COMMAND);
  if (stat.size > MAX_FILE_BYTES) throw new UsageError(`FILE ${where} is ${stat.size} bytes; labels files are limited to ${MAX_FILE_BYTES} bytes`, COMMAND);
  return fs.readFileSync(file);
}

const fmt = (value: number | null): string => (value === null ? '-' : value.toFixed(3));
const day = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

export function formatLabelsOutcome(outcome: IngestLabelsOutcome, bucket: string): string {
  const lines: string[] = [];
  if (!outcome.accepted) {
    lines.push(`Refused ${outcome.upload}: ${outcome.problemCount} problem${outcome.problemCount === 1 ? '' : 's'} in the file (kept at s3://${bucket}/${outcome.sourceKey}; report s3://${bucket}/${outcome.rejectedKey})`);
    for (const problem of outcome.problems) lines.push(`  ${describeLabelsProblem(problem)}`);
    if (outcome.problemCount > outcome.problems.length) lines.push(`  … and ${outcome.problemCount - outcome.problems.length} more`);
    return `${lines.join('\n')}\n`;
  }
  const columns = Object.entries(outcome.columns).map(([role, column]) => `${role}=${column}`).join(', ');
  lines.push(`Accepted ${outcome.rows} outcomes (${outcome.positives} positive) from s3://${bucket}/${outcome.sourceKey} (${columns})`);
  const p = outcome.predictions;
  lines.push(`Logged predictions read: ${p.read} (${p.endpoint} endpoint, ${p.batch} batch)${p.skipped > 0 ? `; ${p.skipped} unreadable lines skipped, e.g. ${p.skippedExamples.map((s) => `${s.key}:${s.line} ${s.reason}`).join('; ')}` : ''}`);
  lines.push(`Joined ${outcome.joined.total} of ${outcome.rows} (${outcome.joined.byRequest} by request id, ${outcome.joined.byEntity} by entity id); ${outcome.unmatched.length} unmatched`);
  for (const u of outcome.unmatched.slice(0, 10)) lines.push(`  line ${u.line}: ${u.reason}`);
  if (outcome.unmatched.length > 10) lines.push(`  … and ${outcome.unmatched.length - 10} more`);
  lines.push('', performanceTable(outcome.performance).trimEnd());
  lines.push('', `Stored s3://${bucket}/${outcome.performanceKey}; published ${outcome.metrics.datums} metric values to ${outcome.metrics.namespace} in ${outcome.metrics.requests} request${outcome.metrics.requests === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

export function performanceTable(result: PerformanceResult): string {
  if (result.versions.length === 0) return `Performance: no outcome could be joined to a prediction yet (${result.uploads.length} labels upload${result.uploads.length === 1 ? '' : 's'})\n`;
  const header = `Performance from ${result.uploads.length} labels upload${result.uploads.length === 1 ? '' : 's'} (${result.joined.total} joined outcomes), per model version and variant:\n`;
  return (
    header +
    formatTable(
      ['VERSION', 'VARIANT', 'N', 'POSITIVE', 'AUC', 'ACCURACY', 'ECE', 'PREDICTIONS'],
      result.versions.map((v) => [String(v.modelVersion), v.variant ?? 'all', String(v.count), String(v.positives), fmt(v.auc), fmt(v.accuracy), fmt(v.ece), `${day(v.firstPrediction)} .. ${day(v.lastPrediction)}`]),
    )
  );
}
