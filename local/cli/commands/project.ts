/** `lumina project create`, `list` and `delete`: the ML-project Service Catalog product, provisioned and terminated locally. */
import * as os from 'node:os';
import { TRAINING_INSTANCE_TYPES } from '../../../lib/constructs/ml-project-parameters';
import type { ProjectDeletionPlan, ProjectDeletionResult, ProjectInfo, ProjectItemTable } from '../../cloud-api';
import { type ParsedCommand, UsageError } from '../args';
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

/** Flags that only mean something in AWS. */
const AWS_ONLY_FLAGS = ['platform-stack', 'region', 'wait-timeout'] as const;
/** PLATFORM_STACK_NAME of lib/app.ts, not imported from there because that loads the whole CDK app; a test holds the two equal. */
export const DEFAULT_PLATFORM_STACK = 'LuminaOps';
const DEFAULT_WAIT_TIMEOUT_MINUTES = 30;
/** A day: a longer wait is a typo, not a CloudFormation deletion. */
const MAX_WAIT_TIMEOUT_MINUTES = 1440;
/** CloudFormation's rule for stack names. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
const AWS_REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

export interface AwsProjectDeleteOptions {
  readonly platformStack: string;
  /** @default - the SDK's own resolution (AWS_REGION, the profile's region) */
  readonly region?: string;
  readonly waitTimeoutMinutes: number;
}

export const projectDeleteCommand: CommandSpec = {
  name: 'project delete',
  summary: 'Delete an ML project: its pipelines, endpoint, alarms, artifacts and registry entries (the audit trail stays)',
  synopsis: 'project delete NAME [--yes] [--dry-run] [--aws [--region R] [--platform-stack S] [--wait-timeout MIN]] [flags]',
  description: [
    "Lists everything the deletion removes, grouped by kind: the project stack's resources (pipelines, functions, the endpoint URL, alarms, event rules, schedules, roles), the objects under projects/NAME/ in the artifact bucket, and the project's items in the registry, experiments, operations and feature store tables. The audit trail is kept and gains a project.deleted entry saying who deleted what.",
    'Asks you to type the project name to confirm; --yes skips the question (scripts). Without a terminal, --yes is required. Refuses while an execution of the project is RUNNING or an item of something else refers to its artifacts, naming each. After the deletion it checks again and fails if anything is left.',
    "--aws deletes from the AWS account of your credentials instead of the local cloud. The project is the Service Catalog provisioned product named NAME, else the stack <platform stack>-NAME deployed with cdk deploy. The plan also shows every object version and delete marker under projects/NAME/ (the bucket is versioned) and what the stack's template retains (the project's log groups). It also refuses while the product is UNDER_CHANGE or PLAN_IN_PROGRESS or the stack is in the middle of an operation. It terminates the product (or deletes the stack) and waits for it, with a progress line every 15 s; if that fails or times out, it stops there, prints why, and deletes nothing else. Then it deletes every artifact version, the table items and records the audit entry (actor: your STS caller ARN, source cli:aws). Exit 1 when S3 refuses keys, a step fails or the check finds leftovers, each listed. Run the same command again to finish: with the product and stack already gone it says so and deletes only the data left; with no data left either it records the audit entry if an earlier run could not, and otherwise fails, saying there is nothing to delete. IAM permissions needed: docs/operations.md.",
    '--json prints the plan (with --dry-run) or { plan, deleted, auditEventId, leftovers } (with --aws also removal, artifactsDeleted, artifactErrors, itemsDeleted, failures).',
  ],
  positionals: [{ name: 'NAME', description: 'the project to delete' }],
  flags: [
    { name: 'yes', type: 'boolean', description: 'delete without asking for confirmation' },
    { name: 'dry-run', type: 'boolean', description: 'only print what would be removed and what stops it' },
    { name: 'aws', type: 'boolean', description: 'delete the project from AWS (Service Catalog termination plus artifact and item cleanup), not from the local cloud' },
    { name: 'region', type: 'string', value: 'REGION', description: 'with --aws: the AWS region', defaultText: "the SDK's: AWS_REGION or your profile's region" },
    { name: 'platform-stack', type: 'string', value: 'NAME', description: 'with --aws: the platform stack whose exports name the bucket and tables', defaultText: DEFAULT_PLATFORM_STACK },
    { name: 'wait-timeout', type: 'string', value: 'MINUTES', description: 'with --aws: how long to wait for the termination or stack deletion', defaultText: String(DEFAULT_WAIT_TIMEOUT_MINUTES) },
  ],
  extraExitCodes: ['1  refused: a blocker stands, the confirmation did not match, a step failed, or something was left behind'],
  examples: [
    'lumina project delete adherence',
    'lumina project delete adherence --dry-run',
    'lumina project delete adherence --yes',
    'lumina project delete adherence --aws --region eu-west-1 --dry-run',
  ],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, 'project delete');
    const yes = args.boolean('yes');
    const dryRun = args.boolean('dry-run');
    const aws = awsOptionsFromArgs(args);
    const stdin = context.io.stdin;
    if (!yes && !dryRun && !stdin?.isTTY) {
      throw new UsageError(`project delete asks for the project name to confirm, and stdin is not a terminal: pass --yes to delete ${name} without asking (or --dry-run to see what would be removed)`, 'project delete');
    }
    if (aws) {
      // Required here, not imported: the AWS SDK clients load only for --aws.
      const { runAwsProjectDelete } = require('./project-delete-aws') as typeof import('./project-delete-aws');
      return runAwsProjectDelete(name, { yes, dryRun, ...aws }, context);
    }
    return withLocalCloud(context, { command: 'project delete', interruptible: true }, async ({ cloud }) => {
      const { plan } = await cloud.deleteProject(name, { dryRun: true });
      if (context.json && dryRun) {
        context.print(toJson(plan));
        return plan.blockers.length > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
      }
      if (!context.json) context.print(formatDeletionPlan(plan));
      if (plan.blockers.length > 0) return refuseForBlockers(context, name, plan.blockers);
      if (dryRun) return EXIT_CODES.ok;
      if (!yes && !(await confirmByName(context, name))) return EXIT_CODES.failure;
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

/** The --aws options, checked; undefined without --aws, where the AWS-only flags (and nothing else) are refused. */
function awsOptionsFromArgs(args: ParsedCommand): AwsProjectDeleteOptions | undefined {
  const fail = (message: string): never => {
    throw new UsageError(message, 'project delete');
  };
  if (!args.boolean('aws')) {
    const given = AWS_ONLY_FLAGS.find((flag) => args.string(flag) !== undefined);
    if (given) fail(`--${given} goes with --aws (it only means something when deleting from AWS)`);
    return undefined;
  }
  if (args.string('state-dir') !== undefined) fail('--state-dir is where the local cloud keeps its state; --aws deletes from AWS and reads no state directory');
  const platformStack = args.string('platform-stack') ?? DEFAULT_PLATFORM_STACK;
  if (!STACK_NAME_PATTERN.test(platformStack)) fail(`--platform-stack must be a CloudFormation stack name: a letter, then up to 127 letters, digits or hyphens (got '${platformStack}')`);
  const region = args.string('region');
  if (region !== undefined && !AWS_REGION_PATTERN.test(region)) fail(`--region must be an AWS region such as us-east-1 or eu-central-2 (got '${region}')`);
  const timeoutText = args.string('wait-timeout');
  const waitTimeoutMinutes = timeoutText === undefined ? DEFAULT_WAIT_TIMEOUT_MINUTES : Number(timeoutText);
  if (timeoutText !== undefined && (timeoutText.trim() === '' || !Number.isFinite(waitTimeoutMinutes) || waitTimeoutMinutes <= 0 || waitTimeoutMinutes > MAX_WAIT_TIMEOUT_MINUTES)) {
    fail(`--wait-timeout must be a number of minutes above 0 and at most ${MAX_WAIT_TIMEOUT_MINUTES} (got '${timeoutText}')`);
  }
  return { platformStack, ...(region !== undefined ? { region } : {}), waitTimeoutMinutes };
}

/** Prints the blockers on stderr, each named; the exit code of a refusal. */
export function refuseForBlockers(context: CliContext, name: string, blockers: readonly string[]): number {
  context.io.stderr.write(`lumina: project ${name} cannot be deleted while:\n${blockers.map((b) => `  - ${b}\n`).join('')}`);
  return EXIT_CODES.failure;
}

/** Asks for the project's name; true when it was typed, else says why not (stderr). */
export async function confirmByName(context: CliContext, name: string): Promise<boolean> {
  context.print(`Delete project ${name}? Type its name to confirm: `);
  const answer = await context.io.stdin!.readLine();
  if (answer?.trim() === name) return true;
  context.io.stderr.write(`lumina: not deleted: ${answer === undefined ? 'no answer' : `'${answer.trim()}' is not '${name}'`}\n`);
  return false;
}

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

/** `kind  count[: names]` lines of a plan's resources (names for the kinds a person recognises). */
export function resourceKindLines(resources: ProjectDeletionPlan['resources']): [string, string][] {
  return groupResourcesByKind(resources).map(({ kind, resources: ofKind }): [string, string] => [
    kind,
    `${ofKind.length}${NAMED_KINDS.has(kind) ? `: ${ofKind.map((r) => (r.type === 'AWS::StepFunctions::StateMachine' ? r.physicalId.split(':').pop() : r.physicalId)).join(', ')}` : ''}`,
  ]);
}

/** `<table> items  count` lines, one per table that holds project items. */
export function itemCountLines(items: ProjectDeletionPlan['items']): [string, string][] {
  return (Object.keys(TABLE_LABELS) as ProjectItemTable[]).map((table): [string, string] => [TABLE_LABELS[table], String(items[table])]);
}

export function formatDeletionPlan(plan: ProjectDeletionPlan): string {
  const dataLines: [string, string][] = [['artifacts', `${plan.artifacts.objects} objects, ${formatBytes(plan.artifacts.bytes)} under s3://${plan.artifacts.bucket}/${plan.artifacts.prefix}`], ...itemCountLines(plan.items)];
  return [
    `Deleting project ${plan.project} removes (stack ${plan.stackName}, ${plan.resources.length} resources):`,
    formatFields([...resourceKindLines(plan.resources), ...dataLines]).trimEnd(),
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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
