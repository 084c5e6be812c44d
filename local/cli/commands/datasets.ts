/**
 * `lumina datasets`, `lumina dataset`, `lumina dataset approve` and `lumina dataset compare`:
 * a project's dataset versions as the training pipeline recorded them in the registry
 * (lambdas/core/datasets/dataset-registry.ts), their profiling report, approval and
 * comparison. Approvals go through the same persona table as the registry API; locally the
 * reviewer is `local:<os user>` and the source in the audit trail is `cli`.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PERSONAS } from '../../../lambdas/core/governance/personas';
import { type DatasetComparison, type SchemaChange, compareDatasetVersions } from '../../../lambdas/core/datasets/compare-versions';
import {
  type DatasetApprovalDeps,
  type DatasetVersionEntry,
  approveDatasetVersion,
  getDatasetVersion,
  listDatasetVersions,
} from '../../../lambdas/core/datasets/dataset-registry';
import { DatasetVersionIdSchema, projectLayout } from '../../../lambdas/core/datasets/layout';
import type { ProfileSummary } from '../../../lambdas/core/datasets/profile-dataset';
import { type ProfileReport, buildProfileReport } from '../../../lambdas/core/datasets/profile-report';
import { tableFromCsv } from '../../../lambdas/core/ml/tabular';
import type { LocalCloudApi } from '../../cloud-api';
import { UsageError } from '../args';
import { localAuditStore } from '../audit-store';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatFields, formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';
import { localRegistryStore } from '../registry-store';
import { localCaller } from './promote';

function datasetId(text: string, what: string, command: string): string {
  const parsed = DatasetVersionIdSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`${what} '${text}' is not a dataset version id (see lumina datasets NAME): ${parsed.error.issues[0].message}`, command);
  return parsed.data;
}

/** An object of the artifact bucket, or undefined when there is none. */
async function readArtifact(cloud: LocalCloudApi, key: string): Promise<Uint8Array | undefined> {
  try {
    const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
    return object.Body ? await object.Body.transformToByteArray() : new Uint8Array(0);
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** `+name (type)`, `-name`, `~name a -> b`; `unchanged`. */
export function schemaChangeText(change: SchemaChange | undefined): string {
  if (change === undefined) return '-';
  if (!change.changed) return 'unchanged';
  return [
    ...change.added.map((c) => `+${c.name} (${c.type})`),
    ...change.removed.map((c) => `-${c.name}`),
    ...change.typeChanged.map((c) => `~${c.name} ${c.from} -> ${c.to}`),
  ].join(', ');
}

function approvalText(entry: DatasetVersionEntry): string {
  switch (entry.approvalState) {
    case 'approved':
      return `approved by ${entry.approval?.approvedBy}`;
    case 'stale':
      return `stale (approved ${entry.approval?.sha256.slice(0, 12)}…, content changed)`;
    case 'pending':
      return 'pending';
    default:
      return '-';
  }
}

function sourceText(entry: DatasetVersionEntry): string {
  return entry.record?.source?.url ?? entry.sourceKey.slice(entry.sourceKey.lastIndexOf('/') + 1);
}

export function formatDatasetsTable(versions: readonly DatasetVersionEntry[]): string {
  const table = formatTable(
    ['ID', 'STATUS', 'ROWS', 'SHA256', 'SOURCE', 'UPLOADER', 'UPLOADED', 'APPROVAL', 'SCHEMA CHANGE'],
    versions.map((v) => [
      `${v.datasetVersionId}${v.latest ? ' *' : ''}`,
      v.status,
      v.record ? String(v.record.rows) : '-',
      v.record ? `${v.record.sha256.slice(0, 12)}…` : '-',
      truncate(sourceText(v), 48),
      v.record?.uploadedBy ?? '-',
      v.uploadedAt ? formatTimestamp(v.uploadedAt) : '-',
      approvalText(v),
      v.status === 'rejected' ? truncate(`rejected: ${v.reason ?? 'see the report'}`, 60) : v.schemaChange ? truncate(schemaChangeText(v.schemaChange), 60) : 'first version',
    ]),
  );
  return versions.some((v) => v.latest) ? `${table}* the latest accepted version (retraining uses it)\n` : table;
}

export const datasetsCommand: CommandSpec = {
  name: 'datasets',
  summary: "List a project's dataset versions: rows, hash, source, uploader, approval and schema changes",
  synopsis: 'datasets NAME [flags]',
  description: [
    "Lists every dataset version the project's training pipeline recorded, oldest upload first: the id, accepted (validated) or rejected, rows, the SHA-256 of the copy the pipeline keeps (after the PII policy), the source (the uploaded file, or the URL of a lumina data import), who uploaded it and when, its approval (approved, pending, or stale when the kept bytes changed after approval) and the schema change against the accepted version before it. The latest accepted version, which retraining uses, is marked with *.",
    '--json prints { project, versions: [...] } with each version record in full (PII decisions included).',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [],
  examples: ['lumina datasets adherence', 'lumina datasets adherence --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'datasets');
    return withLocalCloud(context, { command: 'datasets', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const versions = await listDatasetVersions(localRegistryStore(cloud), name);
      if (context.json) context.print(toJson({ project: name, versions }));
      else if (versions.length === 0) context.print(`No dataset versions for ${name} yet. Upload one with 'lumina data put ${name} FILE --training' or 'lumina data import ${name} URL --training'.\n`);
      else context.print(formatDatasetsTable(versions));
      return EXIT_CODES.ok;
    });
  },
};

export function formatDatasetVersion(project: string, entry: DatasetVersionEntry, bucket: string): string {
  const out: string[] = [`${project} dataset ${entry.datasetVersionId}${entry.latest ? ' (latest accepted)' : ''}: ${entry.status}\n`];
  const { record } = entry;
  const fields: [string, string][] = [['upload', `s3://${bucket}/${entry.sourceKey}`]];
  if (entry.uploadedAt) fields.push(['uploaded', `${formatTimestamp(entry.uploadedAt)}${record?.uploadedBy ? ` by ${record.uploadedBy}` : ''}`]);
  if (record?.source) {
    fields.push(['source', record.source.url]);
    if (record.source.sha256) fields.push(['source sha256', record.source.sha256]);
    if (record.source.attribution) fields.push(['attribution', record.source.attribution]);
  }
  if (entry.status === 'rejected') {
    fields.push(['reason', entry.reason ?? 'not recorded']);
    if (entry.reportKey) fields.push(['report', `s3://${bucket}/${entry.reportKey}`]);
    out.push(formatFields(fields));
    return out.join('');
  }
  if (record) {
    fields.push(['rows', String(record.rows)]);
    fields.push(['sha256', `${record.sha256}${record.sourceSha256 ? ' (the kept copy)' : ''}`]);
    if (record.sourceSha256) fields.push(['upload sha256', record.sourceSha256]);
    fields.push(['columns', `${record.columns.length}: ${record.columns.map((c) => `${c.name} (${c.type})`).join(', ')}`]);
    if (record.profiledAt) fields.push(['profiled', formatTimestamp(record.profiledAt)]);
    fields.push(['schema change', entry.schemaChange ? schemaChangeText(entry.schemaChange) : 'first version']);
    if (record.baselineKeys) fields.push(['baseline', `s3://${bucket}/${record.baselineKeys.statistics}`]);
  }
  const approval = entry.approval;
  fields.push([
    'approval',
    approval === undefined
      ? `pending (lumina dataset approve ${project} ${entry.datasetVersionId})`
      : `${entry.approvalState === 'stale' ? 'STALE: ' : ''}approved by ${approval.approvedBy} as ${approval.persona} at ${formatTimestamp(approval.approvedAt)}${approval.note ? `: ${approval.note}` : ''}`,
  ]);
  out.push(formatFields(fields));
  const pii = record?.pii;
  if (pii === undefined) out.push('\nPII decisions: not recorded (profiled before PII policies were applied)\n');
  else if (pii.decisions.length === 0) out.push(`\nPII decisions (policy: ${pii.policySource}): no column looked like personal data\n`);
  else {
    out.push(`\nPII decisions (policy: ${pii.policySource})\n`);
    out.push(
      formatTable(
        ['COLUMN', 'KIND', 'CONFIDENCE', 'ACTION', 'REASON'],
        pii.decisions.map((d) => [d.column, d.kind, d.confidence.toFixed(2), d.action, d.reason ?? '']),
      ).replace(/^/gm, '  '),
    );
  }
  return out.join('');
}

function reportFileFrom(text: string | undefined, cwd: string): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new UsageError('--report needs a file name, e.g. profile.html', 'dataset');
  const file = path.resolve(cwd, text);
  const dir = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) throw new UsageError(`--report ${text}: the folder ${path.dirname(file)} does not exist`, 'dataset');
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--report ${text} is a directory; give a file name`, 'dataset');
  return file;
}

/** The profiling report (profile-report.ts) of a version's kept copy. */
async function profileReportOf(cloud: LocalCloudApi, project: string, entry: DatasetVersionEntry): Promise<ProfileReport> {
  if (entry.status !== 'validated') throw new UsageError(`dataset ${entry.datasetVersionId} was rejected: there is no kept copy to profile (see its report)`, 'dataset');
  const key = projectLayout(project).datasetVersion(entry.datasetVersionId).data;
  const bytes = await readArtifact(cloud, key);
  if (bytes === undefined) throw new Error(`s3://${cloud.artifactBucket}/${key} is missing: the dataset version's copy was removed`);
  const target = cloud.project(project).parameters.TargetColumn;
  return buildProfileReport(tableFromCsv(new TextDecoder().decode(bytes)), { title: `${project} dataset ${entry.datasetVersionId}`, ...(target ? { target } : {}) });
}

export const datasetCommand: CommandSpec = {
  name: 'dataset',
  summary: 'Show one dataset version (PII decisions, approval) and write its HTML profiling report',
  synopsis: 'dataset NAME ID [--report FILE.html] [flags]',
  description: [
    'Shows a dataset version: where it was uploaded from and by whom, rows, the SHA-256 of the kept copy (and of the upload when the PII policy changed it), its columns, the schema change against the accepted version before it, its approval, and the PII decision for each column that looked like personal data (column, kind, confidence, action, reason).',
    'With --report FILE.html, writes the profiling report of the kept copy: distributions, missing values, correlations, outliers, duplicates, and the flagged anomalies a reviewer reads before lumina dataset approve.',
    '--json prints { version, report: { file, anomalies } }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'ID', description: 'the dataset version id (see lumina datasets NAME)' },
  ],
  flags: [{ name: 'report', type: 'string', value: 'FILE', description: 'write the HTML profiling report to FILE' }],
  examples: ['lumina dataset adherence ds-3f2a9c0d1e4b5a6978c0d1e2', 'lumina dataset adherence ds-3f2a9c0d1e4b5a6978c0d1e2 --report profile.html'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'dataset');
    const id = datasetId(args.positionals.ID, 'ID', 'dataset');
    const reportFile = reportFileFrom(args.string('report'), context.io.cwd);
    return withLocalCloud(context, { command: 'dataset', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const entry = await getDatasetVersion(localRegistryStore(cloud), name, id);
      let report: { file: string; anomalies: ProfileReport['anomalies'] } | undefined;
      if (reportFile !== undefined) {
        const built = await profileReportOf(cloud, name, entry);
        fs.writeFileSync(reportFile, built.html);
        report = { file: reportFile, anomalies: built.anomalies };
      }
      if (context.json) {
        context.print(toJson({ version: entry, ...(report ? { report } : {}) }));
        return EXIT_CODES.ok;
      }
      let text = formatDatasetVersion(name, entry, cloud.artifactBucket);
      if (report) {
        text += `\nReport: ${report.file} (${report.anomalies.length} flagged ${report.anomalies.length === 1 ? 'anomaly' : 'anomalies'})\n`;
        text += report.anomalies.map((a) => `  - ${a.message}\n`).join('');
      }
      context.print(text);
      return EXIT_CODES.ok;
    });
  },
};

function localDatasetApprovals(cloud: LocalCloudApi): DatasetApprovalDeps {
  return { registry: localRegistryStore(cloud), audit: localAuditStore(cloud), now: () => new Date(), newId: randomUUID };
}

export const datasetApproveCommand: CommandSpec = {
  name: 'dataset approve',
  summary: 'Approve a dataset version for training (model approvers); recorded with reviewer and time',
  synopsis: 'dataset approve NAME ID [--note TEXT] [flags]',
  description: [
    "Approves an accepted dataset version: the reviewer, persona, time and note are recorded with the SHA-256 of the copy they approved (if a later run keeps different bytes under the same id, the approval shows as stale), and the approval is written to the audit trail (dataset.approved). Read the profiling report first: lumina dataset NAME ID --report FILE.html. Rejected uploads cannot be approved.",
    'Locally you act as local:<your user name> with the persona given by --as; only model approvers approve datasets. Approving an approved, unchanged version records nothing.',
    '--json prints { approval, alreadyApproved, audit }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'ID', description: 'the dataset version id (see lumina datasets NAME)' },
  ],
  flags: [
    { name: 'note', type: 'string', value: 'TEXT', description: 'a note kept with the approval (e.g. the data review board and date)' },
    { name: 'as', type: 'string', value: 'PERSONA', description: `the persona you act as: ${PERSONAS.join(', ')}`, defaultText: 'model-approver' },
  ],
  examples: ['lumina dataset approve adherence ds-3f2a9c0d1e4b5a6978c0d1e2 --note "Data review board, 2026-05-02"'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'dataset approve');
    const id = datasetId(args.positionals.ID, 'ID', 'dataset approve');
    const caller = localCaller(args, context, 'model-approver', 'dataset approve');
    return withLocalCloud(context, { command: 'dataset approve', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const outcome = await approveDatasetVersion(name, id, caller, args.string('note'), localDatasetApprovals(cloud));
      const { approval } = outcome;
      if (context.json) context.print(toJson({ approval, alreadyApproved: outcome.alreadyApproved, audit: outcome.audit ? [outcome.audit] : [] }));
      else if (outcome.alreadyApproved) context.print(`${name} dataset ${id} is already approved by ${approval.approvedBy} at ${formatTimestamp(approval.approvedAt)}; nothing recorded\n`);
      else
        context.print(
          `${name} dataset ${id} approved by ${approval.approvedBy} as ${approval.persona} at ${formatTimestamp(approval.approvedAt)} (sha256 ${approval.sha256.slice(0, 12)}…)\nAudit: ${outcome.audit?.action} (${outcome.audit?.id})\n`,
        );
      return EXIT_CODES.ok;
    });
  },
};

/** The profile summary of an accepted version (its profile.json). */
async function profileSummaryOf(cloud: LocalCloudApi, project: string, entry: DatasetVersionEntry): Promise<ProfileSummary> {
  if (entry.status !== 'validated') throw new UsageError(`dataset ${entry.datasetVersionId} was rejected: it has no profile to compare`, 'dataset compare');
  const key = entry.record?.baselineKeys?.profile ?? projectLayout(project).datasetVersion(entry.datasetVersionId).profile;
  const bytes = await readArtifact(cloud, key);
  if (bytes === undefined) throw new Error(`s3://${cloud.artifactBucket}/${key} is missing: the dataset version's profile was removed`);
  const profile = JSON.parse(new TextDecoder().decode(bytes)) as { summary?: ProfileSummary };
  if (!profile.summary || !Array.isArray(profile.summary.columns)) throw new Error(`s3://${cloud.artifactBucket}/${key} has no profile summary`);
  return profile.summary;
}

export function formatComparison(project: string, a: string, b: string, comparison: DatasetComparison): string {
  const out = [`${project} dataset ${a} -> ${b}\n`];
  out.push(
    formatFields([
      ['rows', `${comparison.rows.from} -> ${comparison.rows.to}`],
      ['schema', schemaChangeText(comparison.schema)],
    ]),
  );
  out.push(comparison.flags.length === 0 ? '\nNo flagged differences.\n' : `\nFlagged (${comparison.flags.length})\n${comparison.flags.map((f) => `  - ${f}\n`).join('')}`);
  if (comparison.columns.length > 0) {
    out.push('\nColumns in both (statistics of the feature columns; target and entity id are not profiled)\n');
    out.push(
      formatTable(
        ['COLUMN', 'KIND', 'MISSING %', 'MEAN', 'STD', 'DISTINCT', 'FLAGS'],
        comparison.columns.map((c) => [
          c.name,
          c.kind,
          `${c.missingPercent.from} -> ${c.missingPercent.to}`,
          c.mean ? `${c.mean.from ?? '-'} -> ${c.mean.to ?? '-'}` : '',
          c.stdDev ? `${c.stdDev.from ?? '-'} -> ${c.stdDev.to ?? '-'}` : '',
          c.distinct ? `${c.distinct.from} -> ${c.distinct.to}` : '',
          String(c.flags.length),
        ]),
      ).replace(/^/gm, '  '),
    );
  }
  return out.join('');
}

export const datasetCompareCommand: CommandSpec = {
  name: 'dataset compare',
  summary: 'Compare two dataset versions: schema, statistics and quality differences',
  synopsis: 'dataset compare NAME ID_A ID_B [flags]',
  description: [
    "Compares two accepted dataset versions from their profiles: columns added, removed or with a new type; per column the missing share, mean, spread, range, distinct values and frequent categories. Differences a reviewer should look at are flagged (a mean moving more than 0.25 standard deviations, a spread changing more than 1.5x, missing values moving more than 5 points, new or vanished frequent values). ID_A is the older version.",
    '--json prints the comparison: { rows, schema, columns, flags }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'ID_A', description: 'the first (older) dataset version id' },
    { name: 'ID_B', description: 'the second (newer) dataset version id' },
  ],
  flags: [],
  examples: ['lumina dataset compare adherence ds-3f2a9c0d1e4b5a6978c0d1e2 ds-77b01c2d3e4f5a6b7c8d9e0f'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'dataset compare');
    const a = datasetId(args.positionals.ID_A, 'ID_A', 'dataset compare');
    const b = datasetId(args.positionals.ID_B, 'ID_B', 'dataset compare');
    if (a === b) throw new UsageError('ID_A and ID_B are the same version: give two different ids', 'dataset compare');
    return withLocalCloud(context, { command: 'dataset compare', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const store = localRegistryStore(cloud);
      const [older, newer] = [await getDatasetVersion(store, name, a), await getDatasetVersion(store, name, b)];
      const comparison = compareDatasetVersions(await profileSummaryOf(cloud, name, older), await profileSummaryOf(cloud, name, newer));
      context.print(context.json ? toJson({ project: name, from: a, to: b, ...comparison }) : formatComparison(name, a, b, comparison));
      return EXIT_CODES.ok;
    });
  },
};

export const DATASET_COMMANDS: readonly CommandSpec[] = [datasetsCommand, datasetCommand, datasetApproveCommand, datasetCompareCommand];
