/** `lumina project create`, `list` and `delete`: the ML-project Service Catalog product, provisioned and terminated locally. */
import * as os from 'node:os';
import { TRAINING_INSTANCE_TYPES } from '../../../lib/constructs/ml-project-parameters';
import type { ProjectDeletionPlan, ProjectDeletionResult, ProjectInfo, ProjectItemTable } from '../../cloud-api';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CliContext, type CommandSpec, EXIT_CODES } from '../command';
import { formatFields, formatTable, formatTimestamp, toJson } from '../output';
import { DRIFT_THRESHOLD_RANGE, checkProjectName, projectSettingsFromArgs } from '../project-settings';

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
    {
      name: 'performance-floor',
      type: 'string',
      value: 'AUC',
      description: 'AUC of labelled production predictions below which the performance alarm fires, alerts and starts retraining (0 never fires)',
      defaultText: '0.6',
    },
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

export const projectDeleteCommand: CommandSpec = {
  name: 'project delete',
  summary: 'Delete an ML project: its pipelines, endpoint, alarms, artifacts and registry entries (the audit trail stays)',
  synopsis: 'project delete NAME [--yes] [--dry-run] [flags]',
  description: [
    "Lists everything the deletion removes, grouped by kind: the project stack's resources (pipelines, functions, the endpoint URL, alarms, event rules, schedules, roles), the objects under projects/NAME/ in the artifact bucket, and the project's items in the registry, experiments, operations and feature store tables. The audit trail is kept and gains a project.deleted entry saying who deleted what.",
    'Asks you to type the project name to confirm; --yes skips the question (scripts). Without a terminal, --yes is required. Refuses while an execution of the project is RUNNING or an item of something else refers to its artifacts, naming each. After the deletion it checks again and fails if anything is left.',
    '--json prints the plan (with --dry-run) or { plan, deleted, auditEventId, leftovers }.',
  ],
  positionals: [{ name: 'NAME', description: 'the project to delete' }],
  flags: [
    { name: 'yes', type: 'boolean', description: 'delete without asking for confirmation' },
    { name: 'dry-run', type: 'boolean', description: 'only print what would be removed and what stops it' },
  ],
  extraExitCodes: ['1  refused: a blocker stands, the confirmation did not match, or something was left behind'],
  examples: ['lumina project delete adherence', 'lumina project delete adherence --dry-run', 'lumina project delete adherence --yes'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'project delete');
    const yes = args.boolean('yes');
    const dryRun = args.boolean('dry-run');
    const stdin = context.io.stdin;
    if (!yes && !dryRun && !stdin?.isTTY) {
      throw new UsageError(`project delete asks for the project name to confirm, and stdin is not a terminal: pass --yes to delete ${name} without asking (or --dry-run to see what would be removed)`, 'project delete');
    }
    return withLocalCloud(context, { command: 'project delete', interruptible: true }, async ({ cloud }) => {
      const { plan } = await cloud.deleteProject(name, { dryRun: true });
      if (context.json && dryRun) {
        context.print(toJson(plan));
        return plan.blockers.length > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
      }
      if (!context.json) context.print(formatDeletionPlan(plan));
      if (plan.blockers.length > 0) {
        context.io.stderr.write(`lumina: project ${name} cannot be deleted while:\n${plan.blockers.map((b) => `  - ${b}\n`).join('')}`);
        return EXIT_CODES.failure;
      }
      if (dryRun) return EXIT_CODES.ok;
      if (!yes) {
        context.print(`Delete project ${name}? Type its name to confirm: `);
        const answer = await stdin!.readLine();
        if (answer?.trim() !== name) {
          context.io.stderr.write(`lumina: not deleted: ${answer === undefined ? 'no answer' : `'${answer.trim()}' is not '${name}'`}\n`);
          return EXIT_CODES.failure;
        }
      }
      const result = await cloud.deleteProject(name, { actor: localActor(context), source: 'cli' });
      if (context.json) context.print(toJson(result));
      else context.print(formatDeletionResult(result));
      if (result.leftovers.length > 0) {
        context.io.stderr.write(`lumina: the check after deleting ${name} found what is left:\n${result.leftovers.map((l) => `  - ${l}\n`).join('')}`);
        return EXIT_CODES.failure;
      }
      return EXIT_CODES.ok;
    });
  },
};

function localActor(context: CliContext): string {
  return `local:${context.io.env.USER || context.io.env.USERNAME || os.userInfo().username}`;
}

/** Resource types grouped under the words a person deleting a project thinks in. */
const RESOURCE_KINDS: readonly (readonly [kind: string, types: readonly string[]])[] = [
  ['pipelines', ['AWS::StepFunctions::StateMachine']],
  ['functions', ['AWS::Lambda::Function']],
  ['endpoint URLs', ['AWS::Lambda::Url']],
  ['alarms', ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']],
  ['event rules', ['AWS::Events::Rule']],
  ['schedules', ['AWS::Scheduler::Schedule']],
  ['subscriptions', ['AWS::SNS::Subscription']],
  ['dashboards', ['AWS::CloudWatch::Dashboard']],
  ['IAM roles and policies', ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']],
  ['log groups', ['AWS::Logs::LogGroup']],
  ['invoke permissions', ['AWS::Lambda::Permission']],
];
/** Kinds whose names are printed, not only counted (what a person recognises). */
const NAMED_KINDS = new Set(['pipelines', 'endpoint URLs', 'schedules']);

/** Resources grouped by kind, in RESOURCE_KINDS order; types not named there are listed as themselves, last. */
export function groupResourcesByKind<T extends { readonly type: string }>(resources: readonly T[]): { kind: string; resources: T[] }[] {
  const kindOf = (type: string): string => RESOURCE_KINDS.find(([, types]) => types.includes(type))?.[0] ?? type;
  const order = (kind: string): number => {
    const index = RESOURCE_KINDS.findIndex(([k]) => k === kind);
    return index === -1 ? RESOURCE_KINDS.length : index;
  };
  const groups = new Map<string, T[]>();
  for (const resource of resources) groups.set(kindOf(resource.type), [...(groups.get(kindOf(resource.type)) ?? []), resource]);
  return [...groups.entries()].map(([kind, list]) => ({ kind, resources: list })).sort((a, b) => order(a.kind) - order(b.kind) || a.kind.localeCompare(b.kind));
}

const TABLE_LABELS: Readonly<Record<ProjectItemTable, string>> = { registry: 'registry items', experiments: 'experiment runs', operations: 'operations items', featureStore: 'feature store items' };

export function formatDeletionPlan(plan: ProjectDeletionPlan): string {
  const resourceLines = groupResourcesByKind(plan.resources).map(({ kind, resources }): [string, string] => [
    kind,
    `${resources.length}${NAMED_KINDS.has(kind) ? `: ${resources.map((r) => (r.type === 'AWS::StepFunctions::StateMachine' ? r.physicalId.split(':').pop() : r.physicalId)).join(', ')}` : ''}`,
  ]);
  const dataLines: [string, string][] = [
    ['artifacts', `${plan.artifacts.objects} objects, ${formatBytes(plan.artifacts.bytes)} under s3://${plan.artifacts.bucket}/${plan.artifacts.prefix}`],
    ...(Object.keys(TABLE_LABELS) as ProjectItemTable[]).map((table): [string, string] => [TABLE_LABELS[table], String(plan.items[table])]),
  ];
  return [
    `Deleting project ${plan.project} removes (stack ${plan.stackName}, ${plan.resources.length} resources):`,
    formatFields([...resourceLines, ...dataLines]).trimEnd(),
    `Kept: the audit trail (${plan.retained.auditEntries} entries; the deletion adds one).`,
    '',
  ].join('\n');
}

export function formatDeletionResult(result: ProjectDeletionResult): string {
  const { plan } = result;
  const items = Object.values(plan.items).reduce((sum, n) => sum + n, 0);
  return [
    `Deleted project ${plan.project}: ${plan.resources.length} resources, ${plan.artifacts.objects} objects (${formatBytes(plan.artifacts.bytes)}), ${items} table items.`,
    `Audit entry ${result.auditEventId ?? '-'} (project.deleted) recorded; the audit trail is kept: lumina audit ${plan.project}`,
    result.leftovers.length === 0 ? `Verified: no resource, object or item of ${plan.project} is left.` : `Verification found ${result.leftovers.length} leftovers.`,
    '',
  ].join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
