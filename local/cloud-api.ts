/**
 * What the `lumina` CLI (and tests) can ask of a running local cloud. `LocalCloud` in
 * local/cloud.ts implements it in-process.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableName } from '../lib/constructs/platform-tables';

export interface LocalCloudOptions {
  /** Where all state lives (S3 objects, DynamoDB tables, executions, deployed stacks). @default - a fresh temporary folder, removed on stop */
  readonly stateDir?: string;
  /** A synthesized cloud assembly to run. @default - `$LUMINA_CDK_OUT` when set, else synthesize the app into `<stateDir>/cdk.out` */
  readonly cdkOut?: string;
  /** Progress and Lambda log lines. @default - silent */
  readonly log?: (line: string) => void;
  /** The local CloudWatch's clock (metric timestamps, alarm evaluation). @default - the system clock */
  readonly clock?: () => Date;
  /** How often alarms are evaluated besides on every PutMetricData; 0 turns the timer off. @default 60000 (CloudWatch's once a minute) */
  readonly alarmEvaluationIntervalMs?: number;
}

export interface ProjectSettings {
  readonly name: string;
  readonly targetColumn: string;
  readonly entityIdColumn?: string;
  readonly positiveLabel?: string;
  readonly driftThreshold?: number;
  /** AUC floor of the performance alarm. @default 0.6 (the template's default) */
  readonly performanceFloorAuc?: number;
  readonly retrainingSchedule?: string;
  readonly trainingInstanceType?: string;
  readonly spotTraining?: boolean;
  /** Features with their own drift alarm (at most 20). @default none (the overall drift score is always alarmed) */
  readonly monitoredFeatures?: readonly string[];
  /** Email subscribed to the project's alerts. @default none */
  readonly alertEmail?: string;
}

export interface ProjectInfo {
  readonly name: string;
  /** The local CloudFormation stack the product was provisioned as (SC-...). */
  readonly stackName: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionInfo {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** The platform tables that hold items of a project (the audit trail is never among them). */
export type ProjectItemTable = 'registry' | 'experiments' | 'operations' | 'featureStore';

/** What `deleteProject` removes, and what stops it (the plan is the same for a dry run and for the deletion). */
export interface ProjectDeletionPlan {
  readonly project: string;
  readonly stackName: string;
  /** Every resource of the project's stack: pipelines, functions, endpoint, alarms, rules, schedules, roles, … */
  readonly resources: readonly { readonly type: string; readonly logicalId: string; readonly physicalId: string }[];
  /** Objects under `projects/<name>/` in the platform's artifact bucket. */
  readonly artifacts: { readonly bucket: string; readonly prefix: string; readonly objects: number; readonly bytes: number };
  /** Items of the project per table. */
  readonly items: Readonly<Record<ProjectItemTable, number>>;
  /** Kept on purpose: the audit trail entries of the project (deletion adds one more). */
  readonly retained: { readonly auditEntries: number };
  /** Why the project cannot be deleted now (a RUNNING execution, an item of another project or shared resource that refers to its artifacts); empty when it can. */
  readonly blockers: readonly string[];
}

export interface ProjectDeletionResult {
  readonly plan: ProjectDeletionPlan;
  /** False for a dry run. */
  readonly deleted: boolean;
  /** The id of the `project.deleted` audit entry. */
  readonly auditEventId?: string;
  /** What the check after the deletion still found (re-listed prefix, re-scanned tables, emulator registries); empty when nothing is left. */
  readonly leftovers: readonly string[];
}

export interface DeleteProjectOptions {
  /** Only plan: nothing is removed, blockers are reported instead of thrown. @default false */
  readonly dryRun?: boolean;
  /** Who deletes, for the audit trail. @default - local:<os user> */
  readonly actor?: string;
  /** From where, for the audit trail. @default 'local-cloud' */
  readonly source?: string;
}

export interface LocalEndpoints {
  readonly s3: string;
  readonly dynamodb: string;
  /** The local CloudWatch (awsJson1_0, what @aws-sdk/client-cloudwatch speaks). */
  readonly cloudwatch: string;
  readonly region: string;
}

export interface LocalCloudApi {
  readonly stateDir: string;
  readonly endpoints: LocalEndpoints;
  /** SDK clients configured for the emulators. */
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  /** A client for the local CloudWatch endpoint (metrics published from the CLI, e.g. model performance). */
  readonly cloudwatch: CloudWatchClient;
  /** The platform's artifact bucket name. */
  readonly artifactBucket: string;
  /** A platform table's physical name (from the platform stack's `Table-<name>` export). */
  tableName(table: TableName): string;
  /** Provisions the ML-project Service Catalog product (fails if the name is taken). */
  createProject(settings: ProjectSettings): Promise<ProjectInfo>;
  listProjects(): ProjectInfo[];
  project(name: string): ProjectInfo;
  /**
   * Deletes a project: its stack's resources stop serving, evaluating and routing, its
   * artifacts and table items go, the audit trail stays and gains a `project.deleted` entry.
   * Throws when a blocker stands (unless dryRun); returns what a re-check still finds.
   */
  deleteProject(name: string, options?: DeleteProjectOptions): Promise<ProjectDeletionResult>;
  /** Uploads a file into a project's training or inference inbox; returns the S3 key. */
  putData(project: string, kind: 'training' | 'inference', fileName: string, body: Uint8Array): Promise<{ key: string }>;
  /** Starts the project's training pipeline on its latest accepted dataset (no data drop). */
  startTraining(project: string, trigger?: 'manual' | 'schedule'): Promise<{ executionArn: string }>;
  /** A persona role's ARN: the identity local callers present to IAM-authorised function URLs. */
  personaRoleArn(persona: 'dataScientist' | 'mlEngineer' | 'modelApprover'): string;
  /** Executions of the project's pipelines, newest first. */
  listRuns(project: string): ExecutionInfo[];
  /** The state a running execution entered last (progress lines of `lumina train`). @default - not offered: progress shows the elapsed time only */
  currentState?(executionArn: string): string | undefined;
  /** Function URLs the deployed templates created (endpoints), served on 127.0.0.1. */
  listFunctionUrls(): readonly { readonly functionName: string; readonly url: string; readonly authType: 'AWS_IAM' | 'NONE' }[];
  /** Resolves when no execution is running (what a one-shot CLI command waits for before exiting). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}
