/**
 * `lumina report`: one project's state gathered from the local cloud and written as a
 * static report — the registry (versions, stages, metrics, stage history), the pipeline
 * runs, the data drift of every monitored inference batch and, once ground truth arrived,
 * the performance over time. The HTML is self-contained (report-html.ts); each batch's own
 * drift report (written by the monitor under the batch's outbox prefix, `monitor/`) is
 * copied next to it and linked by a relative path, so the folder can be zipped or served.
 *
 * Where each part comes from:
 * - registry: the registry tables, through the same core functions as `lumina models`;
 * - runs: the local cloud's executions (`lumina runs`);
 * - drift: `projects/<p>/inference/outbox/<input>/<run>/` — metadata.json (model version,
 *   rows, merge time) and monitor/{statistics.json, constraint_violations.json, report.html};
 *   the drift score and drifted features come from the inference run's output (the monitor
 *   step's result), else the drifted features from the baseline_drift_check violations;
 * - performance: `projects/<p>/performance/performance.json` (`lumina labels put`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { PerformanceResultSchema, type PerformanceResult } from '../../lambdas/core/performance/performance-summary';
import { labelsKeys } from '../../lambdas/core/performance/ingest-labels';
import { MonitorBatchStepOutput } from '../../lambdas/core/monitoring/monitor-batch-step';
import { UnknownProjectError } from '../../lambdas/core/registry/errors';
import { listModelVersions } from '../../lambdas/core/registry/model-version';
import { currentStages, stageHistory } from '../../lambdas/core/registry/stages';
import type { ExecutionInfo, LocalCloudApi } from '../cloud-api';
import { pipelineLabel } from '../cli/commands/runs';
import { describeFailure, elapsedMs } from '../cli/output';
import { localRegistryStore } from '../cli/registry-store';
import { type BatchDrift, type DriftViolation, type ProjectReportData, type ReportRun, renderProjectReport } from './report-html';
import { type ReportBucket, s3Bucket } from '../../lambdas/shared/s3-bucket';

export interface ProjectReportOptions {
  /** @default the system clock */
  readonly now?: () => Date;
  /** Copy each batch's drift report next to the project report and link it relatively. @default true */
  readonly copyBatchReports?: boolean;
  /** Also write the data as report.json next to index.html. @default true */
  readonly writeJson?: boolean;
}

export interface ProjectReportResult {
  /** Absolute path of the report (index.html in outDir). */
  readonly htmlPath: string;
  /** Absolute path of report.json, when written. */
  readonly jsonPath?: string;
  /** Copied batch drift reports, absolute paths. */
  readonly batchReportPaths: readonly string[];
  /** Everything the report shows, JSON-serialisable. */
  readonly data: ProjectReportData;
  readonly summary: ProjectReportSummary;
}

/** The headline figures, for a CLI line or a JSON summary. */
export interface ProjectReportSummary {
  readonly project: string;
  readonly versions: number;
  readonly staging: number | null;
  readonly production: number | null;
  readonly runs: number;
  readonly failedRuns: number;
  readonly monitoredBatches: number;
  readonly driftedBatches: number;
  readonly latestDriftScore: number | null;
  readonly labelledOutcomes: number;
  readonly latestAuc: number | null;
}

const DRIFT_REPORTS_DIR = 'drift';

export async function writeProjectReport(cloud: LocalCloudApi, project: string, outDir: string, options: ProjectReportOptions = {}): Promise<ProjectReportResult> {
  const bucket = s3Bucket(cloud.s3, cloud.artifactBucket);
  const collected = await collectProjectReportData(cloud, project, bucket, options.now ?? (() => new Date()));
  const dir = path.resolve(outDir);
  fs.mkdirSync(dir, { recursive: true });

  const batchReportPaths: string[] = [];
  let data = collected;
  if (options.copyBatchReports !== false) {
    fs.mkdirSync(path.join(dir, DRIFT_REPORTS_DIR), { recursive: true });
    const batches: BatchDrift[] = [];
    for (const batch of collected.drift.batches) {
      const body = batch.reportKey ? await bucket.get(batch.reportKey) : undefined;
      if (!body) {
        batches.push(batch);
        continue;
      }
      const href = `${DRIFT_REPORTS_DIR}/${batch.input.replace(/[^A-Za-z0-9._-]/g, '_')}-${batch.runId}.html`;
      const file = path.join(dir, href);
      fs.writeFileSync(file, body);
      batchReportPaths.push(file);
      batches.push({ ...batch, reportHref: href });
    }
    data = { ...collected, drift: { ...collected.drift, batches } };
  }

  const htmlPath = path.join(dir, 'index.html');
  fs.writeFileSync(htmlPath, renderProjectReport(data));
  const summary = summariseReport(data);
  let jsonPath: string | undefined;
  if (options.writeJson !== false) {
    jsonPath = path.join(dir, 'report.json');
    fs.writeFileSync(jsonPath, `${JSON.stringify({ summary, data }, null, 2)}\n`);
  }
  return { htmlPath, ...(jsonPath ? { jsonPath } : {}), batchReportPaths, data, summary };
}

export function summariseReport(data: ProjectReportData): ProjectReportSummary {
  const monitored = data.drift.batches.filter((b) => b.monitored);
  const scored = monitored.filter((b) => b.driftScore !== null);
  const lastWindow = data.performance?.windows.at(-1)?.start;
  const latest = data.performance?.windows.filter((w) => w.start === lastWindow).sort((a, b) => b.count - a.count)[0];
  return {
    project: data.project.name,
    versions: data.registry.versions.length,
    staging: data.registry.staging,
    production: data.registry.production,
    runs: data.runs.length,
    failedRuns: data.runs.filter((r) => ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(r.status)).length,
    monitoredBatches: monitored.length,
    driftedBatches: monitored.filter((b) => b.driftedFeatures.length > 0).length,
    latestDriftScore: scored.at(-1)?.driftScore ?? null,
    labelledOutcomes: data.performance?.joined.total ?? 0,
    latestAuc: latest?.auc ?? null,
  };
}

/** Reads everything the report shows; a part that cannot be read becomes a note, not a failure. */
export async function collectProjectReportData(cloud: LocalCloudApi, project: string, bucket: ReportBucket, now: () => Date): Promise<ProjectReportData> {
  const info = cloud.project(project);
  const notes: string[] = [];
  const store = localRegistryStore(cloud);
  const versions = await listModelVersions(store, project).catch((error: unknown) => {
    if (error instanceof UnknownProjectError) return [];
    throw error;
  });
  const [stages, history] = await Promise.all([currentStages(store, project), stageHistory(store, project)]);
  const executions = cloud.listRuns(project);
  const runs: ReportRun[] = executions.map((run) => {
    const ms = elapsedMs(run.startDate, run.stopDate);
    const failure = describeFailure(run.error, run.cause);
    return {
      name: run.name,
      pipeline: pipelineLabel(run, info),
      status: run.status,
      startDate: run.startDate,
      ...(run.stopDate ? { stopDate: run.stopDate } : {}),
      ...(ms === undefined ? {} : { durationMs: ms }),
      ...(failure ? { failure } : {}),
    };
  });
  const threshold = Number(info.parameters.DriftThreshold);
  return {
    // The deployed stack's resolved parameters may hold numbers or lists despite the declared type.
    project: { name: info.name, stackName: info.stackName, createdAt: info.createdAt, parameters: Object.fromEntries(Object.entries(info.parameters).map(([k, v]: [string, unknown]) => [k, Array.isArray(v) ? v.join(',') : String(v)])) },
    generatedAt: now().toISOString(),
    bucket: bucket.name,
    registry: { staging: stages.staging, production: stages.production, versions, stageHistory: history },
    runs,
    drift: { threshold: Number.isFinite(threshold) && threshold > 0 ? threshold : 0.2, batches: await collectBatches(bucket, project, executions, notes) },
    performance: await readPerformance(bucket, project, notes),
    notes,
  };
}

const BatchMetadata = z.object({
  model: z.object({ version: z.number().int().positive() }).optional(),
  rows: z.object({ scored: z.number().int().min(0), rejected: z.number().int().min(0) }).optional(),
  timings: z.object({ mergedAt: z.string() }).optional(),
});

const Violations = z.object({
  violations: z.array(z.object({ feature_name: z.string(), constraint_check_type: z.string(), description: z.string() })),
});

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** The monitor step's result of each inference run, by the key of the violations file it wrote. */
function monitorResults(executions: readonly ExecutionInfo[]): Map<string, MonitorBatchStepOutput> {
  const results = new Map<string, MonitorBatchStepOutput>();
  // Oldest first, so a rerun's result replaces an earlier one.
  for (const run of [...executions].reverse()) {
    const output = run.output as { monitor?: { report?: unknown } } | undefined;
    const parsed = MonitorBatchStepOutput.safeParse(output?.monitor?.report);
    if (parsed.success) results.set(parsed.data.keys.violations, parsed.data);
  }
  return results;
}

async function collectBatches(bucket: ReportBucket, project: string, executions: readonly ExecutionInfo[], notes: string[]): Promise<BatchDrift[]> {
  const outbox = labelsKeys.outbox(project);
  const objects = await bucket.listObjects(outbox);
  const folders = new Map<string, { input: string; runId: string; files: Map<string, Date | undefined> }>();
  for (const o of objects) {
    const match = /^(.+)\/([0-9a-f]{16})\/(.+)$/.exec(o.key.slice(outbox.length));
    if (!match) continue;
    const prefix = `${outbox}${match[1]}/${match[2]}/`;
    const folder = folders.get(prefix) ?? { input: match[1], runId: match[2], files: new Map<string, Date | undefined>() };
    folder.files.set(match[3], o.lastModified);
    folders.set(prefix, folder);
  }
  const results = monitorResults(executions);
  const batches: BatchDrift[] = [];
  for (const [prefix, folder] of folders) {
    const metadata = BatchMetadata.safeParse(parseJson(folder.files.has('metadata.json') ? await bucket.get(`${prefix}metadata.json`) : undefined));
    const meta = metadata.success ? metadata.data : undefined;
    const violationsKey = `${prefix}monitor/constraint_violations.json`;
    const monitored = folder.files.has('monitor/constraint_violations.json');
    let violations: DriftViolation[] = [];
    if (monitored) {
      const parsed = Violations.safeParse(parseJson(await bucket.get(violationsKey)));
      if (parsed.success) violations = parsed.data.violations.map((v) => ({ feature: v.feature_name, check: v.constraint_check_type, description: v.description }));
      else notes.push(`${violationsKey} could not be read as Model Monitor constraint violations`);
    }
    const result = results.get(violationsKey);
    const fileTimes = [...folder.files.values()].filter((d): d is Date => d !== undefined).map((d) => d.toISOString()).sort();
    batches.push({
      input: folder.input,
      runId: folder.runId,
      prefix,
      at: meta?.timings?.mergedAt ?? fileTimes.at(-1) ?? '',
      ...(meta?.model ? { modelVersion: meta.model.version } : {}),
      ...(meta?.rows ? { rowsScored: meta.rows.scored, rowsRejected: meta.rows.rejected } : {}),
      monitored,
      driftScore: result?.driftScore ?? null,
      driftedFeatures: result ? [...result.driftedFeatures] : [...new Set(violations.filter((v) => v.check === 'baseline_drift_check').map((v) => v.feature))],
      violations,
      ...(folder.files.has('monitor/report.html') ? { reportKey: `${prefix}monitor/report.html` } : {}),
    });
  }
  return batches.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.prefix.localeCompare(b.prefix)));
}

async function readPerformance(bucket: ReportBucket, project: string, notes: string[]): Promise<PerformanceResult | null> {
  const key = labelsKeys.performance(project);
  const body = await bucket.get(key);
  if (!body) return null;
  const parsed = PerformanceResultSchema.safeParse(parseJson(body));
  if (parsed.success) return parsed.data;
  notes.push(`${key} is not a performance result this report can read (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); run lumina labels put again`);
  return null;
}
