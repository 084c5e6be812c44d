/** `lumina project create` and `lumina project list`: the ML-project Service Catalog product, provisioned locally. */
import { TRAINING_INSTANCE_TYPES } from '../../../lib/constructs/ml-project-parameters';
import type { ProjectInfo } from '../../cloud-api';
import { withLocalCloud } from '../cloud-session';
import type { CommandSpec } from '../command';
import { formatFields, formatTable, formatTimestamp, toJson } from '../output';
import { DRIFT_THRESHOLD_RANGE, projectSettingsFromArgs } from '../project-settings';

export const projectCreateCommand: CommandSpec = {
  name: 'project create',
  summary: 'Create an ML project (provisions the ML-project Service Catalog product)',
  synopsis: 'project create NAME --target COL [flags]',
  description: [
    'Provisions the "LuminaOps ML project" product from the platform\'s Service Catalog portfolio, as a data scientist would in the console: the project\'s training pipeline, its data-drop trigger and its place in the registry. Every value is checked here first, against the product\'s parameter rules.',
    'Prints the project, its stack and its outputs (the S3 inbox to drop training CSVs in, the pipeline ARNs); --json prints the ProjectInfo.',
  ],
  positionals: [{ name: 'NAME', description: 'project name: 3-32 lowercase letters, digits or hyphens, starting with a letter' }],
  flags: [
    { name: 'target', type: 'string', value: 'COL', description: 'the column the model predicts (required)' },
    { name: 'entity-id', type: 'string', value: 'COL', description: 'the column identifying the entity (e.g. patient id); splits keep an entity on one side', defaultText: 'none' },
    { name: 'positive-label', type: 'string', value: 'V', description: 'the target value counted as the positive class', defaultText: 'inferred from the data' },
    {
      name: 'drift-threshold',
      type: 'string',
      value: 'X',
      description: `per-feature drift distance above which the drift alarm fires, from ${DRIFT_THRESHOLD_RANGE.min} to ${DRIFT_THRESHOLD_RANGE.max}`,
      defaultText: '0.2',
    },
    { name: 'schedule', type: 'string', value: 'EXPR', description: "scheduled retraining: 'none', 'rate(7 days)' or 'cron(0 3 ? * MON *)' (EventBridge, UTC)", defaultText: 'none' },
    { name: 'instance-type', type: 'string', value: 'T', description: `SageMaker training instance type: ${TRAINING_INSTANCE_TYPES.join(', ')}`, defaultText: TRAINING_INSTANCE_TYPES[0] },
    { name: 'spot', type: 'string', value: 'true|false', description: 'managed spot training with checkpoints', defaultText: 'true' },
    { name: 'monitored-features', type: 'string', value: 'A,B,...', description: 'features that get their own drift alarm (at most 20); the overall drift score is always alarmed', defaultText: 'none' },
    { name: 'alert-email', type: 'string', value: 'ADDRESS', description: "email subscribed to the project's alerts", defaultText: 'none' },
  ],
  examples: ["lumina project create adherence --target stopped_within_30d --entity-id patient_id --positive-label 1 --schedule 'rate(7 days)'"],
  run: async (args, context) => {
    const settings = projectSettingsFromArgs(args, 'project create');
    return withLocalCloud(context, { command: 'project create', interruptible: true }, async ({ cloud }) => {
      const project = await cloud.createProject(settings);
      if (context.json) {
        context.print(toJson(project));
        return 0;
      }
      context.print(
        [
          `Created project ${project.name} (stack ${project.stackName})`,
          formatFields([
            ...Object.entries(project.parameters).map(([key, value]): [string, string] => [key, value === '' ? '(none)' : value]),
            ...Object.entries(project.outputs),
          ]).trimEnd(),
          `Next: lumina data put ${project.name} FILE.csv --training`,
          '',
        ].join('\n'),
      );
      return 0;
    });
  },
};

export const projectListCommand: CommandSpec = {
  name: 'project list',
  summary: 'List the ML projects',
  synopsis: 'project list [flags]',
  description: ['Lists the ML projects created on the state directory: name, target column, entity id column and when it was created. --json prints an array of ProjectInfo (parameters, outputs, stack name).'],
  positionals: [],
  flags: [],
  examples: ['lumina project list', 'lumina project list --json'],
  run: (_args, context) =>
    withLocalCloud(context, { command: 'project list', interruptible: true }, async ({ cloud }) => {
      const projects = cloud.listProjects();
      if (context.json) context.print(toJson(projects));
      else if (projects.length === 0) context.print("No projects yet. Create one with 'lumina project create NAME --target COL'.\n");
      else context.print(formatProjectsTable(projects));
      return 0;
    }),
};

export function formatProjectsTable(projects: readonly ProjectInfo[]): string {
  return formatTable(
    ['NAME', 'TARGET', 'ENTITY ID', 'CREATED'],
    projects.map((p) => [p.name, p.parameters.TargetColumn ?? '', p.parameters.EntityIdColumn || '-', formatTimestamp(p.createdAt)]),
  );
}
