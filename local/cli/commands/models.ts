/** `lumina models NAME` and `lumina model NAME VERSION`: the model registry of a project. */
import { UnknownProjectError } from '../../../lambdas/core/registry/errors';
import { formatMetric, renderModelCardMarkdown } from '../../../lambdas/core/registry/model-card';
import { type ModelVersionDetail, type ModelVersionSummary, getModelVersion, listModelVersions } from '../../../lambdas/core/registry/model-version';
import { currentStages } from '../../../lambdas/core/registry/stages';
import { type ParsedCommand, UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatFields, formatTable, formatTimestamp, toJson, truncate } from '../output';
import { checkProjectName } from '../project-settings';
import { localRegistryStore } from '../registry-store';

export const modelsCommand: CommandSpec = {
  name: 'models',
  summary: "List a project's registered model versions with their stage and primary score",
  synopsis: 'models NAME [flags]',
  description: [
    "Lists every registered version of the project's model, oldest first: version, stage (none, staging, production, archived), status (accepted or rejected against the champion), the primary metric's score, when it was registered, the dataset version and what started the training. Then which version is in staging and in production.",
    '--json prints { project, stages: { staging, production }, versions: [...] }.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [],
  examples: ['lumina models adherence', 'lumina models adherence --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'models');
    return withLocalCloud(context, { command: 'models', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const store = localRegistryStore(cloud);
      const versions = await listModelVersions(store, name).catch((error: unknown) => {
        if (error instanceof UnknownProjectError) return [];
        throw error;
      });
      const stages = await currentStages(store, name);
      if (context.json) context.print(toJson({ project: name, stages: { staging: stages.staging, production: stages.production }, versions }));
      else if (versions.length === 0) context.print(`No model versions for ${name} yet. Train one with 'lumina data put ${name} FILE --training'.\n`);
      else context.print(`${formatVersionsTable(versions)}\nstaging: ${stages.staging ?? 'none'}, production: ${stages.production ?? 'none'}\n`);
      return EXIT_CODES.ok;
    });
  },
};

export function formatVersionsTable(versions: readonly ModelVersionSummary[]): string {
  return formatTable(
    ['VERSION', 'STAGE', 'STATUS', 'SCORE', 'REGISTERED', 'DATASET', 'TRIGGER'],
    versions.map((v) => [String(v.version), v.stage, v.status, `${v.primaryMetric} ${formatMetric(v.primaryScore)}`, formatTimestamp(v.registeredAt), truncate(v.datasetVersionId, 40), v.trigger]),
  );
}

export const modelCommand: CommandSpec = {
  name: 'model',
  summary: 'Show one model version: model card, metrics, lineage, artifacts and stage history',
  synopsis: 'model NAME VERSION [flags]',
  description: [
    'Shows a registered model version: its stage and status with the decision against the champion, its metrics, its lineage (dataset version and hash, feature group versions, seed-code version, parameters, training backend and job, pipeline execution, trigger), its artifacts, its stage history and its model card (the latest revision unless --card-revision is given).',
    '--json prints { record, card, cardRevisions, stageHistory }.',
  ],
  positionals: [
    { name: 'NAME', description: 'the project' },
    { name: 'VERSION', description: 'the version number (see lumina models NAME)' },
  ],
  flags: [{ name: 'card-revision', type: 'string', value: 'N', description: "show this revision of the model card instead of the latest" }],
  examples: ['lumina model adherence 3', 'lumina model adherence 3 --card-revision 1', 'lumina model adherence 3 --json'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'model');
    const version = positiveInteger(args.positionals.VERSION, 'VERSION', 'model');
    const cardRevision = optionalPositiveInteger(args, 'card-revision', 'model');
    return withLocalCloud(context, { command: 'model', interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      const detail = await getModelVersion(localRegistryStore(cloud), name, version, { cardRevision });
      context.print(context.json ? toJson(detail) : formatModelVersion(detail, cloud.artifactBucket));
      return EXIT_CODES.ok;
    });
  },
};

export function formatModelVersion(detail: ModelVersionDetail, bucket: string): string {
  const { record, card } = detail;
  const { lineage } = record;
  const out: string[] = [];
  out.push(`${record.project} version ${record.version}: stage ${record.stage}, status ${record.status}\n`);
  out.push(
    formatFields([
      ['registered', `${formatTimestamp(record.registeredAt)} by ${record.registeredBy}`],
      ...(record.decision ? ([['decision', `${record.decision.decision}: ${record.decision.reason}`]] as [string, string][]) : []),
    ]),
  );
  out.push(`\nMetrics (primary: ${record.primaryMetric})\n`);
  const metrics = Object.entries(record.metrics).sort(([a], [b]) => a.localeCompare(b));
  out.push(formatFields([...metrics.map(([k, v]): [string, string] => [k, formatMetric(v)]), ...record.undefinedMetrics.map((k): [string, string] => [k, 'undefined'])]));
  out.push('\nLineage\n');
  const parameters = Object.entries(lineage.parameters).sort(([a], [b]) => a.localeCompare(b));
  out.push(
    formatFields([
      ['dataset', `${lineage.dataset.datasetVersionId} (sha256 ${lineage.dataset.sha256})`],
      ['dataset object', lineage.dataset.key],
      ['feature groups', lineage.featureGroups.length === 0 ? 'none' : lineage.featureGroups.map((g) => `${g.name} v${g.version}`).join(', ')],
      ['seed code', lineage.seedCodeVersion],
      ['training', `${lineage.training.backend}, job ${lineage.training.jobName}`],
      ['parameters', parameters.length === 0 ? 'none' : parameters.map(([k, v]) => `${k}=${v}`).join(', ')],
      ['execution', lineage.executionId],
      ['trigger', triggerText(lineage.trigger)],
    ]),
  );
  out.push('\nArtifacts\n');
  const a = record.artifacts;
  out.push(
    formatFields([
      ['model', `s3://${bucket}/${a.modelKey}`],
      ['onnx', `s3://${bucket}/${a.onnxKey}${a.onnxMaxAbsDiff === undefined ? '' : ` (max |diff| ${a.onnxMaxAbsDiff})`}`],
      ...(a.metricsKey ? ([['metrics', `s3://${bucket}/${a.metricsKey}`]] as [string, string][]) : []),
      ['baseline', `s3://${bucket}/${a.baselineStatisticsKey}`],
      ['constraints', `s3://${bucket}/${a.baselineConstraintsKey}`],
      ['importance', `s3://${bucket}/${a.importanceKey}`],
    ]),
  );
  out.push('\nStage history\n');
  out.push(
    detail.stageHistory.length === 0
      ? '  none\n'
      : formatTable(
          ['REV', 'AT', 'VERSION', 'CHANGE', 'BY', 'REASON'],
          detail.stageHistory.map((c) => {
            const own = c.version === record.version;
            const displaced = c.displaced.find((d) => d.version === record.version);
            return [String(c.revision), formatTimestamp(c.at), String(c.version), own ? `${c.from} -> ${c.to}` : `${displaced?.from} -> archived (replaced)`, c.actor, truncate(c.reason, 80)];
          }),
        ).replace(/^/gm, '  '),
  );
  if (!card) {
    out.push('\nModel card: none\n');
  } else {
    const latest = Math.max(...detail.cardRevisions);
    out.push(`\nModel card (revision ${card.revision} of ${latest}${card.markdownKey ? `, s3://${bucket}/${card.markdownKey}` : ''})\n\n`);
    out.push(renderModelCardMarkdown(card));
  }
  return out.join('');
}

function triggerText(trigger: ModelVersionDetail['record']['lineage']['trigger']): string {
  if (!trigger.alarm) return trigger.type;
  const name = trigger.alarm.name ? ` ${trigger.alarm.name}` : '';
  return `alarm${name} (drifted: ${trigger.alarm.driftedFeatures.join(', ') || 'not named'})`;
}

export function positiveInteger(text: string, what: string, command: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new UsageError(`${what} must be a positive whole number (got '${text}')`, command);
  return Number(text);
}

function optionalPositiveInteger(args: ParsedCommand, flag: string, command: string): number | undefined {
  const value = args.string(flag);
  return value === undefined ? undefined : positiveInteger(value, `--${flag}`, command);
}
