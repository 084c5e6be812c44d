/**
 * Test double for the CLI layer only: an in-memory LocalCloudApi. Projects and runs live in
 * a FakeCloudState that outlives each started cloud, as the state directory does for the
 * real one. An upload starts a RUNNING pipeline run that finishes on waitForIdle: training
 * data is rejected when its header lacks the target column, inference data fails while
 * the project has no successful training run; a training run started without data ends as
 * `trainingOutcome` says. Also a CliIo that records what it prints.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { DeleteProjectOptions, ExecutionInfo, LocalCloudApi, LocalCloudOptions, LocalEndpoints, ProjectDeletionPlan, ProjectDeletionResult, ProjectInfo, ProjectSettings } from '../../../local/cloud-api';
import type { LineInput } from '../../../local/cli/command';
import type { CliIo } from '../../../local/cli/main';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
export const FAKE_BUCKET = 'luminaops-artifacts-fake';
export const FAKE_ENDPOINTS: LocalEndpoints = { s3: 'http://127.0.0.1:45001', dynamodb: 'http://127.0.0.1:45002', cloudwatch: 'http://127.0.0.1:45003', region: REGION };

interface RunRecord {
  info: ExecutionInfo;
  /** Applied when the cloud goes idle. */
  outcome: Pick<ExecutionInfo, 'status' | 'error' | 'cause' | 'output'>;
}

export class FakeCloudState {
  readonly projects: ProjectInfo[] = [];
  readonly runs: RunRecord[] = [];
  readonly uploads: { project: string; kind: string; key: string; body: string }[] = [];
  readonly starts: LocalCloudOptions[] = [];
  stops = 0;
  /** Function URLs the fake serves (listFunctionUrls); tests point them at their own HTTP servers. */
  readonly functionUrls: { functionName: string; url: string; authType: 'AWS_IAM' | 'NONE' }[] = [];
  /** How a run started by startTraining ends when the cloud goes idle. */
  trainingOutcome: RunRecord['outcome'] = { status: 'SUCCEEDED' };
  /** When true, runs stay RUNNING and waitForIdle waits until the cloud stops. */
  holdRuns = false;
  /** deleteProject calls, with their options. */
  readonly deletions: { project: string; options: DeleteProjectOptions }[] = [];
  /** Blockers deleteProject reports besides the project's RUNNING runs (e.g. another item referring to it). */
  extraDeletionBlockers: string[] = [];
  /** What a deletion's re-check reports as left behind. */
  deletionLeftovers: string[] = [];
  private clock = Date.parse('2026-03-02T09:00:00.000Z');

  /** A deterministic clock: every reading is one second after the last. */
  tick(ms = 1000): string {
    this.clock += ms;
    return new Date(this.clock).toISOString();
  }

  /** Adds a finished run directly, as earlier activity on the state directory. */
  addRun(
    project: string,
    { pipeline = 'Training', ...run }: { name: string; status: ExecutionInfo['status']; startDate: string; stopDate?: string; error?: string; cause?: string; pipeline?: 'Training' | 'Inference'; input?: unknown; output?: unknown },
  ): void {
    const info: ExecutionInfo = { executionArn: `${machineArn(project, pipeline)}:${run.name}`.replace(':stateMachine:', ':execution:'), stateMachineArn: machineArn(project, pipeline), input: {}, ...run };
    this.runs.push({ info, outcome: info });
  }

  readonly startCloud = async (options: LocalCloudOptions): Promise<LocalCloudApi> => {
    this.starts.push(options);
    options.log?.('[fake] deployed LuminaOps: 12 resources');
    return new FakeLocalCloud(this, options);
  };
}

class FakeLocalCloud implements LocalCloudApi {
  readonly stateDir: string;
  readonly endpoints = FAKE_ENDPOINTS;
  readonly artifactBucket = FAKE_BUCKET;
  readonly tableName = (table: string): string => `luminaops-${table}-fake`;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly cloudwatch: CloudWatchClient;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly state: FakeCloudState,
    private readonly options: LocalCloudOptions,
  ) {
    this.stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cloud-'));
    const config = { region: REGION, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
    this.s3 = new S3Client({ ...config, endpoint: FAKE_ENDPOINTS.s3, forcePathStyle: true });
    this.dynamodb = new DynamoDBClient({ ...config, endpoint: FAKE_ENDPOINTS.dynamodb });
    this.cloudwatch = new CloudWatchClient({ ...config, endpoint: FAKE_ENDPOINTS.cloudwatch });
  }

  async createProject(settings: ProjectSettings): Promise<ProjectInfo> {
    this.assertRunning();
    if (this.state.projects.some((p) => p.name === settings.name)) throw new Error(`project ${settings.name} already exists`);
    const stackName = `SC-${ACCOUNT}-pp-${settings.name}`;
    const project: ProjectInfo = {
      name: settings.name,
      stackName,
      parameters: {
        ProjectName: settings.name,
        TargetColumn: settings.targetColumn,
        EntityIdColumn: settings.entityIdColumn ?? '',
        PositiveLabel: settings.positiveLabel ?? '',
        DriftThreshold: String(settings.driftThreshold ?? 0.2),
        RetrainingSchedule: settings.retrainingSchedule ?? 'none',
        TrainingInstanceType: settings.trainingInstanceType ?? 'ml.g5.xlarge',
        SpotTraining: String(settings.spotTraining ?? true),
      },
      outputs: {
        TrainingPipelineArn: machineArn(settings.name),
        TrainingInbox: `s3://${FAKE_BUCKET}/projects/${settings.name}/training/inbox/`,
      },
      createdAt: this.state.tick(),
    };
    this.state.projects.push(project);
    return project;
  }

  listProjects(): ProjectInfo[] {
    return [...this.state.projects];
  }

  project(name: string): ProjectInfo {
    const found = this.state.projects.find((p) => p.name === name);
    if (!found) throw new Error(`no project named ${name} (have: ${this.state.projects.map((p) => p.name).join(', ') || 'none'})`);
    return found;
  }

  async deleteProject(name: string, options: DeleteProjectOptions = {}): Promise<ProjectDeletionResult> {
    this.assertRunning();
    const project = this.project(name);
    this.state.deletions.push({ project: name, options });
    const uploads = this.state.uploads.filter((u) => u.project === name);
    const machine = (pipeline: 'Training' | 'Inference') => ({ type: 'AWS::StepFunctions::StateMachine', logicalId: `${pipeline}Pipeline`, physicalId: machineArn(name, pipeline) });
    const plan: ProjectDeletionPlan = {
      project: name,
      stackName: project.stackName,
      resources: [
        machine('Training'),
        machine('Inference'),
        { type: 'AWS::Lambda::Function', logicalId: 'EndpointFunction', physicalId: `${project.stackName}-Endpoint` },
        { type: 'AWS::Lambda::Url', logicalId: 'EndpointUrl', physicalId: 'http://127.0.0.1:45100/' },
        { type: 'AWS::CloudWatch::Alarm', logicalId: 'DriftAlarm', physicalId: `${project.stackName}-Drift` },
        { type: 'AWS::CloudWatch::Alarm', logicalId: 'ErrorAlarm', physicalId: `${project.stackName}-Errors` },
        { type: 'AWS::IAM::Role', logicalId: 'EndpointRole', physicalId: `${project.stackName}-EndpointRole` },
      ],
      artifacts: { bucket: FAKE_BUCKET, prefix: `projects/${name}/`, objects: uploads.length, bytes: uploads.reduce((n, u) => n + Buffer.byteLength(u.body), 0) },
      items: { registry: 4, experiments: 1, operations: 2, featureStore: 0 },
      retained: { auditEntries: 3 },
      blockers: [
        ...this.state.runs.filter((r) => r.info.status === 'RUNNING' && r.info.stateMachineArn.startsWith(`${STATE_MACHINE_PREFIX}${name}-`)).map((r) => `execution ${r.info.name} of ${name} is RUNNING`),
        ...this.state.extraDeletionBlockers,
      ],
    };
    if (options.dryRun) return { plan, deleted: false, leftovers: [] };
    if (plan.blockers.length > 0) throw new Error(`project ${name} cannot be deleted: ${plan.blockers.join('; ')}`);
    this.state.projects.splice(this.state.projects.indexOf(project), 1);
    for (const upload of uploads) this.state.uploads.splice(this.state.uploads.indexOf(upload), 1);
    return { plan, deleted: true, auditEventId: 'audit-1', leftovers: [...this.state.deletionLeftovers] };
  }

  async putData(project: string, kind: 'training' | 'inference', fileName: string, body: Uint8Array): Promise<{ key: string }> {
    this.assertRunning();
    const info = this.project(project);
    const key = `projects/${project}/${kind}/inbox/${fileName}`;
    const text = Buffer.from(body).toString('utf8');
    this.state.uploads.push({ project, kind, key, body: text });
    const name = `run-${this.state.runs.length + 1}`;
    const stateMachineArn = machineArn(project, kind === 'training' ? 'Training' : 'Inference');
    this.state.runs.push({
      info: { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn, name, status: 'RUNNING', startDate: this.state.tick(), input: { bucket: FAKE_BUCKET, key } },
      outcome: this.outcome(info, kind, text),
    });
    this.options.log?.(`[ValidateDataset] validating s3://${FAKE_BUCKET}/${key}`);
    return { key };
  }

  async startTraining(project: string, trigger: 'manual' | 'schedule' = 'manual'): Promise<{ executionArn: string }> {
    this.assertRunning();
    this.project(project);
    const name = `run-${this.state.runs.length + 1}`;
    const stateMachineArn = machineArn(project);
    const info: ExecutionInfo = { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn, name, status: 'RUNNING', startDate: this.state.tick(), input: { trigger } };
    this.state.runs.push({ info, outcome: this.state.trainingOutcome });
    return { executionArn: info.executionArn };
  }

  personaRoleArn(persona: 'dataScientist' | 'mlEngineer' | 'modelApprover'): string {
    return `arn:aws:iam::${ACCOUNT}:role/LuminaOps-Personas-${persona}`;
  }

  listFunctionUrls(): readonly { functionName: string; url: string; authType: 'AWS_IAM' | 'NONE' }[] {
    return [...this.state.functionUrls];
  }

  listRuns(project: string): ExecutionInfo[] {
    this.project(project);
    return this.state.runs
      .filter((r) => r.info.stateMachineArn.startsWith(`${STATE_MACHINE_PREFIX}${project}-`))
      .map((r) => r.info)
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  async waitForIdle(): Promise<void> {
    this.assertRunning();
    if (this.state.holdRuns) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      throw new Error('the local cloud was stopped while waiting for runs');
    }
    for (const run of this.state.runs.filter((r) => r.info.status === 'RUNNING')) {
      run.info = { ...run.info, ...run.outcome, stopDate: this.state.tick(1500) };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state.stops += 1;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.s3.destroy();
    this.dynamodb.destroy();
    this.cloudwatch.destroy();
  }

  private outcome(project: ProjectInfo, kind: 'training' | 'inference', csv: string): RunRecord['outcome'] {
    const header = csv.split('\n')[0].split(',');
    const target = project.parameters.TargetColumn;
    if (kind === 'training') {
      return header.includes(target)
        ? { status: 'SUCCEEDED' }
        : { status: 'FAILED', error: 'DatasetRejected', cause: `1 error (missing_target ×1): the header has no target column "${target}"` };
    }
    const trained = this.state.runs.some((r) => r.info.stateMachineArn === machineArn(project.name) && r.info.status === 'SUCCEEDED');
    return trained
      ? { status: 'SUCCEEDED' }
      : { status: 'FAILED', error: 'ModelNotFound', cause: JSON.stringify({ errorType: 'ModelNotFound', errorMessage: `project ${project.name} has no production model yet`, trace: ['at score (index.js:1:1)'] }) };
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error('the local cloud is not started');
  }
}

const STATE_MACHINE_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:SC-${ACCOUNT}-pp-`;

function machineArn(project: string, pipeline: 'Training' | 'Inference' = 'Training'): string {
  return `${STATE_MACHINE_PREFIX}${project}-${pipeline}`;
}

export interface RecordingIo {
  readonly io: CliIo;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Asks the running command to stop, as Ctrl-C does. */
  readonly requestStop: (signal?: string) => void;
}

/** A CliIo over a FakeCloudState that keeps what the CLI prints. `onWrite` sees every write as it happens. */
export function recordingIo(options: { cwd: string; state: FakeCloudState; env?: Record<string, string>; onWrite?: (stream: 'stdout' | 'stderr', text: string) => void; stdin?: LineInput }): RecordingIo {
  let out = '';
  let err = '';
  const listeners = new Set<(signal: string) => void>();
  return {
    io: {
      stdout: {
        write: (text: string) => {
          out += text;
          options.onWrite?.('stdout', text);
        },
      },
      stderr: {
        write: (text: string) => {
          err += text;
          options.onWrite?.('stderr', text);
        },
      },
      env: options.env ?? {},
      cwd: options.cwd,
      startCloud: options.state.startCloud,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      stopRequests: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    stdout: () => out,
    stderr: () => err,
    requestStop: (signal = 'SIGINT') => {
      for (const listener of [...listeners]) listener(signal);
    },
  };
}

/** A LineInput that answers with the given lines, then ends; `asked` counts the reads. */
export function scriptedInput(lines: readonly string[], isTTY = true): LineInput & { readonly asked: () => number } {
  const queue = [...lines];
  let asked = 0;
  return {
    isTTY,
    readLine: async () => {
      asked += 1;
      return queue.shift();
    },
    asked: () => asked,
  };
}

const temporaryDirs: string[] = [];

/** A fresh temporary directory for one test; removeTemporaryDirs() deletes them all. */
export function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-cli-test-'));
  temporaryDirs.push(dir);
  return dir;
}

export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
