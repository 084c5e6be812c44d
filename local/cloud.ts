/**
 * The local cloud: runs the synthesized LuminaOps app on one machine. It reads `cdk.out`,
 * deploys the platform stack and provisioned ML-project products against in-process
 * emulators (s3rver, dynalite, aws-local-stepfunctions, the local event bus), and wires
 * S3 object events to EventBridge rules to Step Functions, as the templates ask.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT, LOCAL_REGION, PLATFORM_STACK_NAME, buildApp } from '../lib/app';
import type { TableName } from '../lib/constructs/platform-tables';
import { PERSONA_EXPORTS } from '../lib/constructs/platform-contract';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAuditTrail, recordAuditEvent } from '../lambdas/core/governance/audit-trail';
import { dynamoDbAuditStore } from '../lambdas/shared/dynamodb-audit-store';
import type { DeleteProjectOptions, ExecutionInfo, LocalCloudApi, LocalCloudOptions, ProjectDeletionPlan, ProjectDeletionResult, ProjectInfo, ProjectItemTable, ProjectSettings } from './cloud-api';
import { PROJECT_ITEM_TABLES, classifyItems, deleteArtifacts, deleteItems, listArtifacts, projectPrefix, scanTable } from './project-deletion';
import type { AlarmTransition } from './cloudwatch/alarm-registry';
import { type RunningCloudWatchServer, cloudWatchLambdaEnvironment, startCloudWatchServer } from './cloudwatch/cloudwatch-server';
import { cloudWatchTaskAdapters } from './cloudwatch/cloudwatch-task-adapter';
import { LocalCloudWatch } from './cloudwatch/local-cloudwatch';
import type { EventEnvelopeInput } from './events/event-envelope';
import { LocalEventBus } from './events/event-bus';
import { compileFilterPolicy } from './events/sns-filter-policy';
import { CloudAssembly } from './provisioner/cloud-assembly';
import { type DeployedStack, deployTemplate } from './provisioner/provisioner';
import { createProviders, type ProviderServices } from './provisioner/providers';
import { type S3NotificationRecord, toEventBridgeEvent } from './provisioner/s3-events';
import { awsClientConfig, lambdaEnvironmentForEmulators, type RunningEmulators, startEmulators } from './runtime/emulators';
import { ExecutionService } from './runtime/execution-service';
import { LocalFunctionUrls, type RegisteredFunctionUrl } from './runtime/function-urls';
import { LambdaRuntime } from './runtime/lambda-runtime';
import { sageMakerTaskAdapters } from './runtime/sagemaker-training';
import {
  LocalTopics,
  type TaskAdapters,
  dynamoDbTaskAdapters,
  lambdaTaskAdapters,
  type DeliveredEmail,
  type PublishedMessage,
  snsTaskAdapters,
  stepFunctionsTaskAdapters,
} from './runtime/task-adapters';
import type { CloudFormationTemplate, JsonObject } from './template/resolver';

/** Raised for a request the local cloud cannot serve (unknown project, name taken, ...). */
export class LocalCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}

interface SavedState {
  readonly projects: ProjectInfo[];
}

const PRODUCT_NAME = 'LuminaOps ML project';
/** CloudWatch evaluates alarms once a minute. */
const DEFAULT_ALARM_EVALUATION_INTERVAL_MS = 60_000;

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const cloud = new LocalCloud(options);
  try {
    await cloud.start();
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return cloud;
}

export class LocalCloud implements LocalCloudApi {
  readonly stateDir: string;
  private readonly temporary: boolean;
  private readonly log: (line: string) => void;
  private emulators?: RunningEmulators;
  private lambdas?: LambdaRuntime;
  private executions?: ExecutionService;
  private bus?: LocalEventBus;
  private adapters?: TaskAdapters;
  private readonly topics = new LocalTopics();
  private lastScheduleCheck = new Date(0);
  private scheduleTicker?: NodeJS.Timeout;
  /** Function URLs served on 127.0.0.1, invoking through the Lambda runtime. */
  private readonly functionUrls = new LocalFunctionUrls((name, event) => this.requireStarted().lambdas.invoke(name, event), (line) => this.log(line));
  private readonly eventBuckets = new Set<string>();
  private readonly productTemplates = new Map<string, string>();
  private readonly stacks = new Map<string, DeployedStack>();
  private readonly pendingDeliveries = new Set<Promise<unknown>>();
  private assembly?: CloudAssembly;
  private clients?: { s3: S3Client; dynamodb: DynamoDBClient; cloudwatch: CloudWatchClient };
  private cloudwatchService?: LocalCloudWatch;
  private cloudwatchServer?: RunningCloudWatchServer;

  constructor(private readonly options: LocalCloudOptions) {
    this.temporary = options.stateDir === undefined;
    this.stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-'));
    fs.mkdirSync(this.stateDir, { recursive: true });
    this.log = options.log ?? (() => undefined);
  }

  get endpoints() {
    const e = this.requireStarted().emulators;
    return { s3: e.s3Endpoint, dynamodb: e.dynamodbEndpoint, cloudwatch: this.cloudwatchServer!.endpoint, region: e.region };
  }
  /** The function URLs the deployed templates created, with their local addresses. */
  listFunctionUrls(): RegisteredFunctionUrl[] {
    return this.functionUrls.list();
  }
  /** A CloudWatch client for the local endpoint. */
  get cloudwatch(): CloudWatchClient {
    return this.requireStarted().clients.cloudwatch;
  }
  get s3(): S3Client {
    return this.requireStarted().clients.s3;
  }
  get dynamodb(): DynamoDBClient {
    return this.requireStarted().clients.dynamodb;
  }
  get artifactBucket(): string {
    const bucket = this.platform().exports[`${PLATFORM_STACK_NAME}:ArtifactBucketName`];
    if (!bucket) throw new LocalCloudError(`the platform stack exports no ${PLATFORM_STACK_NAME}:ArtifactBucketName`);
    return bucket;
  }
  /** A persona role's ARN (from the platform stack's `<persona>RoleArn` export): the identity a local caller presents. */
  personaRoleArn(persona: keyof typeof PERSONA_EXPORTS): string {
    const name = `${PLATFORM_STACK_NAME}:${PERSONA_EXPORTS[persona]}`;
    const arn = this.platform().exports[name];
    if (!arn) throw new LocalCloudError(`the platform stack exports no ${name}`);
    return arn;
  }

  tableName(table: TableName): string {
    // The export is the table's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME).
    const arn = this.platform().exports[`${PLATFORM_STACK_NAME}:Table-${table}`];
    if (!arn?.includes(':table/')) throw new LocalCloudError(`the platform stack exports no table ARN as ${PLATFORM_STACK_NAME}:Table-${table}`);
    return arn.slice(arn.indexOf(':table/') + ':table/'.length);
  }

  async start(): Promise<void> {
    // LUMINA_CDK_OUT names an assembly synthesized earlier from this same checkout (the test suite
    // synthesizes once in its global setup instead of once per test file).
    const cdkOut = this.options.cdkOut ?? (process.env.LUMINA_CDK_OUT || undefined) ?? this.synthesize();
    this.assembly = new CloudAssembly(cdkOut);
    this.emulators = await startEmulators({ stateDir: this.temporary ? undefined : this.stateDir, region: LOCAL_REGION });
    const config = awsClientConfig(this.emulators);
    const stateDir = this.temporary ? undefined : this.stateDir;
    this.cloudwatchService = new LocalCloudWatch({
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      clock: this.options.clock ?? (() => new Date()),
      newId: randomUUID,
      stateDir,
      publishToTopic: (topicArn, subject, message) => this.topics.publish({ TopicArn: topicArn, Subject: subject, Message: message }).MessageId,
      onTransition: (transition) => this.onAlarmTransition(transition),
    });
    this.cloudwatchServer = await startCloudWatchServer(this.cloudwatchService, { onError: (error) => this.log(`local CloudWatch failed a request: ${String(error)}`) });
    this.clients = {
      s3: new S3Client(config.s3),
      dynamodb: new DynamoDBClient(config.dynamodb),
      cloudwatch: new CloudWatchClient({ region: this.emulators.region, credentials: { ...this.emulators.credentials }, endpoint: this.cloudwatchServer.endpoint }),
    };
    this.lambdas = new LambdaRuntime({
      baseEnvironment: { ...lambdaEnvironmentForEmulators(this.emulators), ...cloudWatchLambdaEnvironment(this.cloudwatchServer.endpoint) },
      logger: (entry) => this.log(`[${entry.functionName}] ${entry.line}`),
    });
    const executions = new ExecutionService({ stateDir });
    this.executions = executions;
    this.adapters = {
      ...lambdaTaskAdapters(this.lambdas),
      ...dynamoDbTaskAdapters(this.clients.dynamodb),
      ...snsTaskAdapters(this.topics),
      ...stepFunctionsTaskAdapters(executions),
      ...cloudWatchTaskAdapters(this.cloudwatchService),
      ...sageMakerTaskAdapters({ s3: this.clients.s3, region: LOCAL_REGION, account: LOCAL_ACCOUNT }),
    };
    this.bus = new LocalEventBus({
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      clock: () => this.now(),
      newId: randomUUID,
      targetHandlers: {
        'arn:aws:states:': async (invocation) => {
          const input = invocation.payload.kind === 'json' ? invocation.payload.value : invocation.payload.text;
          await this.executions!.startExecution(invocation.targetArn, input);
        },
        // EventBridge invokes a Lambda target asynchronously; locally the delivery waits for the invocation, and a
        // function error fails the delivery (the bus records it) as Lambda's async retries would end.
        'arn:aws:lambda:': async (invocation) => {
          const event = invocation.payload.kind === 'json' ? invocation.payload.value : invocation.payload.text;
          const result = await this.lambdas!.invoke(invocation.targetArn, event);
          if (result.functionError) throw new Error(`${invocation.targetArn} failed: ${JSON.stringify(result.payload).slice(0, 2000)}`);
        },
        'arn:aws:sns:': (invocation) => {
          const message = invocation.payload.kind === 'json' ? JSON.stringify(invocation.payload.value) : invocation.payload.text;
          this.topics.publish({ TopicArn: invocation.targetArn, Message: message });
        },
      },
    });
    this.emulators.s3Server.on('event', (notification: { Records: S3NotificationRecord[] }) => this.onS3Event(notification));

    this.stacks.set(PLATFORM_STACK_NAME, await this.deploy(PLATFORM_STACK_NAME, this.assembly.stack(PLATFORM_STACK_NAME).template, {}));
    for (const project of this.saved().projects) {
      this.stacks.set(project.stackName, await this.deploy(project.stackName, this.productTemplate(), project.parameters));
    }
    // A first evaluation as the alarms come up, then CloudWatch's once-a-minute cadence.
    this.cloudwatchService.evaluateAlarms();
    const interval = this.options.alarmEvaluationIntervalMs ?? DEFAULT_ALARM_EVALUATION_INTERVAL_MS;
    if (interval > 0) this.cloudwatchService.startTicking(interval, (error) => this.log(`alarm evaluation failed: ${String(error)}`));
    this.lastScheduleCheck = this.now();
    if (interval > 0) {
      this.scheduleTicker = setInterval(() => {
        this.runDueSchedules().catch((error: unknown) => this.log(`scheduled rules failed: ${String(error)}`));
      }, interval);
      this.scheduleTicker.unref();
    }
  }

  /**
   * Fires every enabled scheduled rule (EventBridge rules and Scheduler schedules) due since
   * the last check, by the cloud's clock; each rule fires at most once per check, as a
   * stopped scheduler does not catch up on missed fires. Runs on the alarm tick's cadence.
   */
  async runDueSchedules(): Promise<{ ruleName: string; at: Date }[]> {
    const { bus } = this.requireStarted();
    const now = this.now();
    const due = bus.nextScheduledFires(this.lastScheduleCheck).filter((fire) => fire.at.getTime() <= now.getTime());
    this.lastScheduleCheck = now;
    const fired: { ruleName: string; at: Date }[] = [];
    for (const fire of due) {
      const delivery = bus.fireSchedule(fire.ruleName, fire.at);
      this.pendingDeliveries.add(delivery);
      try {
        await delivery;
      } finally {
        this.pendingDeliveries.delete(delivery);
      }
      this.log(`schedule ${fire.ruleName} fired for ${fire.at.toISOString()}`);
      fired.push({ ruleName: fire.ruleName, at: fire.at });
    }
    return fired;
  }

  private now(): Date {
    return (this.options.clock ?? (() => new Date()))();
  }

  /**
   * Evaluates every alarm now (by the cloud's clock), as CloudWatch's periodic evaluation does;
   * their state-change events are on the bus when this returns (waitForIdle waits for delivery).
   */
  evaluateAlarms(): AlarmTransition[] {
    return this.requireCloudWatch().evaluateAlarms();
  }

  /** StartExecution on a deployed state machine (a re-delivered event, a resume after a kill). */
  async startExecution(stateMachineArn: string, input: unknown, name?: string): Promise<{ executionArn: string }> {
    const { executionArn } = await this.requireStarted().executions.startExecution(stateMachineArn, input, name);
    return { executionArn };
  }

  /** StopExecution: aborts a running execution (its in-flight Lambda calls are abandoned, as a killed run's would be). */
  async stopExecution(executionArn: string, details: { error?: string; cause?: string } = {}): Promise<ExecutionInfo> {
    return toExecutionInfo(await this.requireStarted().executions.stopExecution(executionArn, details));
  }

  /** An alarm's state value (OK, ALARM, INSUFFICIENT_DATA) by name or ARN; undefined when no such alarm. */
  alarmState(nameOrArn: string): string | undefined {
    return this.requireCloudWatch().alarms.state(nameOrArn)?.value;
  }

  /** The state a running execution entered last (for progress lines); undefined before its first state. */
  currentState(executionArn: string): string | undefined {
    const history = this.requireStarted().executions.getExecutionHistory(executionArn);
    for (let i = history.length - 1; i >= 0; i--) {
      const event = history[i];
      if (event.type === 'StateEntered' && event.stateName && event.mapIndex === undefined) return event.stateName;
    }
    return undefined;
  }

  /** Executions of one state machine (or all), newest first. */
  listExecutions(stateMachineArn?: string): ExecutionInfo[] {
    const { executions } = this.requireStarted();
    return executions
      .listExecutions(stateMachineArn)
      .map((summary) => toExecutionInfo(executions.describeExecution(summary.executionArn)))
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  /**
   * What reached an email address subscribed to a topic (the template's email subscriptions,
   * through their filter policies), oldest first: the local stand-in for the inbox.
   */
  mailbox(email: string): readonly DeliveredEmail[] {
    return this.topics.mailbox(email);
  }

  /** Messages published to a local SNS topic, oldest first. */
  topicMessages(topicArn: string): readonly PublishedMessage[] {
    return this.topics.messages(topicArn);
  }

  /** A deployed stack's outputs. */
  stackOutputs(stackName: string): Readonly<Record<string, string>> {
    const stack = this.stacks.get(stackName);
    if (!stack) throw new LocalCloudError(`no deployed stack named ${stackName} (have: ${[...this.stacks.keys()].join(', ')})`);
    return stack.outputs;
  }

  async createProject(settings: ProjectSettings): Promise<ProjectInfo> {
    if (this.saved().projects.some((p) => p.name === settings.name)) throw new LocalCloudError(`project ${settings.name} already exists`);
    const parameters: Record<string, string> = {
      ProjectName: settings.name,
      TargetColumn: settings.targetColumn,
      EntityIdColumn: settings.entityIdColumn ?? '',
      PositiveLabel: settings.positiveLabel ?? '',
      ...(settings.driftThreshold === undefined ? {} : { DriftThreshold: String(settings.driftThreshold) }),
      ...(settings.performanceFloorAuc === undefined ? {} : { PerformanceFloorAuc: String(settings.performanceFloorAuc) }),
      ...(settings.retrainingSchedule === undefined ? {} : { RetrainingSchedule: settings.retrainingSchedule }),
      ...(settings.trainingInstanceType === undefined ? {} : { TrainingInstanceType: settings.trainingInstanceType }),
      ...(settings.spotTraining === undefined ? {} : { SpotTraining: String(settings.spotTraining) }),
      ...(settings.monitoredFeatures === undefined ? {} : { MonitoredFeatures: settings.monitoredFeatures.join(',') }),
      ...(settings.alertEmail === undefined ? {} : { AlertEmail: settings.alertEmail }),
    };
    // Service Catalog names provisioned stacks SC-<account>-pp-<id>.
    const stackName = `SC-${LOCAL_ACCOUNT}-pp-${settings.name}`;
    this.log(`provisioning product "${PRODUCT_NAME}" as ${stackName}`);
    const stack = await this.deploy(stackName, this.productTemplate(), parameters);
    this.stacks.set(stackName, stack);
    const project: ProjectInfo = { name: settings.name, stackName, parameters: stack.parameters as Record<string, string>, outputs: stack.outputs, createdAt: new Date().toISOString() };
    this.save({ projects: [...this.saved().projects, project] });
    return project;
  }

  listProjects(): ProjectInfo[] {
    return this.saved().projects;
  }

  project(name: string): ProjectInfo {
    const found = this.saved().projects.find((p) => p.name === name);
    if (!found) throw new LocalCloudError(`no project named ${name} (have: ${this.saved().projects.map((p) => p.name).join(', ') || 'none'})`);
    // Outputs as deployed now: function URLs get a new port each time the local cloud starts.
    const stack = this.stacks.get(found.stackName);
    return stack ? { ...found, outputs: stack.outputs } : found;
  }

  /**
   * Deletes a project (`lumina project delete`): plans, refuses while a blocker stands, stops
   * what routes, evaluates and serves for it, removes its artifacts, table items, stack and
   * saved state, records one `project.deleted` audit entry (the trail itself stays), then
   * re-checks that nothing is left and returns what it still finds.
   */
  async deleteProject(name: string, options: DeleteProjectOptions = {}): Promise<ProjectDeletionResult> {
    const project = this.project(name);
    const plan = await this.planProjectDeletion(project);
    if (options.dryRun) return { plan, deleted: false, leftovers: [] };
    if (plan.blockers.length > 0) throw new LocalCloudError(`project ${name} cannot be deleted: ${plan.blockers.join('; ')}`);
    const { clients } = this.requireStarted();
    this.log(`deleting project ${name} (stack ${project.stackName})`);
    const deployed = this.stacks.get(project.stackName);
    if (deployed) await this.removeStackResources(deployed);
    const listing = await listArtifacts(clients.s3, this.artifactBucket, plan.artifacts.prefix);
    await deleteArtifacts(clients.s3, this.artifactBucket, listing.keys);
    const items: Partial<Record<ProjectItemTable, number>> = {};
    for (const table of PROJECT_ITEM_TABLES) {
      const { owned } = classifyItems(await scanTable(clients.dynamodb, this.tableName(table)), name);
      await deleteItems(clients.dynamodb, this.tableName(table), owned);
      items[table] = owned.length;
    }
    this.stacks.delete(project.stackName);
    this.save({ projects: this.saved().projects.filter((p) => p.name !== name) });
    const resources: Record<string, number> = {};
    for (const r of plan.resources) resources[r.type] = (resources[r.type] ?? 0) + 1;
    const event = await recordAuditEvent(
      {
        project: name,
        action: 'project.deleted',
        actor: options.actor ?? `local:${os.userInfo().username}`,
        source: options.source ?? 'local-cloud',
        target: `project:${name}`,
        details: { stackName: project.stackName, resources, artifacts: { prefix: plan.artifacts.prefix, objects: listing.keys.length, bytes: listing.bytes }, items },
      },
      { store: this.auditStore(), now: () => this.now(), newId: randomUUID },
    );
    return { plan, deleted: true, auditEventId: event.id, leftovers: await this.projectLeftovers(project, plan) };
  }

  async putData(project: string, kind: 'training' | 'inference', fileName: string, body: Uint8Array): Promise<{ key: string }> {
    this.project(project);
    const key = `projects/${project}/${kind}/inbox/${path.basename(fileName)}`;
    await this.s3.send(new PutObjectCommand({ Bucket: this.artifactBucket, Key: key, Body: body, ContentType: 'text/csv' }));
    return { key };
  }

  /**
   * Starts the project's training pipeline without a data drop (`lumina train`): the run
   * retrains on the project's latest accepted dataset, and records `trigger` in its lineage.
   */
  async startTraining(project: string, trigger: 'manual' | 'schedule' = 'manual'): Promise<{ executionArn: string }> {
    const arn = this.stackOutputs(this.project(project).stackName).TrainingPipelineArn;
    if (!arn) throw new LocalCloudError(`project ${project} has no TrainingPipelineArn output`);
    const { executionArn } = await this.requireStarted().executions.startExecution(arn, { trigger });
    return { executionArn };
  }

  listRuns(project: string): ExecutionInfo[] {
    const stack = this.stacks.get(this.project(project).stackName);
    const machines = Object.values(stack?.resources ?? {}).filter((r) => r.type === 'AWS::StepFunctions::StateMachine');
    return machines
      .flatMap((m) => {
        const { executions } = this.requireStarted();
        return executions.listExecutions(m.physicalId).map((summary) => toExecutionInfo(executions.describeExecution(summary.executionArn)));
      })
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  async waitForIdle(timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Deliveries start executions, and executions may emit events: settle until both are quiet.
    for (;;) {
      await Promise.all([...this.pendingDeliveries]);
      const { executions } = this.requireStarted();
      const running = executions.listExecutions(undefined, { status: 'RUNNING' });
      await Promise.all(running.map((e) => executions.waitForExecution(e.executionArn, { timeoutMs: Math.max(1, deadline - Date.now()) })));
      if (this.pendingDeliveries.size === 0 && executions.listExecutions(undefined, { status: 'RUNNING' }).length === 0) return;
      if (Date.now() > deadline) throw new LocalCloudError(`still busy after ${timeoutMs} ms`);
    }
  }

  async stop(): Promise<void> {
    this.cloudwatchService?.stopTicking();
    if (this.scheduleTicker) clearInterval(this.scheduleTicker);
    await this.functionUrls.close();
    await this.cloudwatchServer?.close();
    await this.executions?.close();
    await this.lambdas?.close();
    await this.emulators?.stop();
    this.clients?.s3.destroy();
    this.clients?.dynamodb.destroy();
    this.clients?.cloudwatch.destroy();
    if (this.temporary) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }

  private synthesize(): string {
    const outdir = path.join(this.stateDir, 'cdk.out');
    this.log(`synthesizing the CDK app into ${outdir}`);
    const { app } = buildApp({ outdir, nag: false });
    app.synth();
    return outdir;
  }

  private async deploy(stackName: string, template: CloudFormationTemplate, parameters: Record<string, string>): Promise<DeployedStack> {
    const started = Date.now();
    const stack = await deployTemplate({
      stackName,
      template,
      parameters,
      providers: createProviders(this.providerServices()),
      importValue: (name) => [...this.stacks.values()].find((s) => name in s.exports)?.exports[name],
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
    });
    this.log(`deployed ${stackName}: ${Object.keys(stack.resources).length} resources in ${Date.now() - started} ms`);
    return stack;
  }

  private providerServices(): ProviderServices {
    const { clients, lambdas, executions, bus } = this.requireStarted();
    const assembly = this.assembly!;
    return {
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      enableBucketEvents: (bucket) => this.eventBuckets.add(bucket),
      registerFunction: (fn) => {
        if (!fn.runtime.startsWith('nodejs')) {
          this.log(`function ${fn.name} (${fn.runtime}) is not run locally: only Node.js bundles are`);
          return;
        }
        lambdas.register({ name: fn.name, arn: fn.arn, assetDir: fn.assetDir, handler: fn.handler, environment: fn.environment, timeoutSeconds: fn.timeoutSeconds, memoryMb: fn.memoryMb });
      },
      registerStateMachine: (machine) => executions.createStateMachine({ ...machine, adapters: this.adapters! }),
      registerRule: (rule) => bus.addRule({ logicalId: rule.name, name: rule.name, properties: rule.properties }),
      registerTopic: (arn) => this.topics.createTopic(arn),
      registerSubscription: (subscription) => {
        if (subscription.protocol !== 'email' && subscription.protocol !== 'email-json') {
          this.log(`subscription ${subscription.arn} (${subscription.protocol}) is recorded, not delivered: only email subscriptions have a local mailbox`);
          return;
        }
        const filter = subscription.filterPolicy === undefined ? undefined : compileFilterPolicy(subscription.filterPolicy, subscription.filterPolicyScope);
        this.topics.subscribeEmail({ subscriptionArn: subscription.arn, topicArn: subscription.topicArn, endpoint: subscription.endpoint, ...(filter ? { filter } : {}) });
      },
      registerAlarm: (alarm) => this.requireCloudWatch().registerAlarm(alarm),
      registerFunctionUrl: async ({ functionName, authType }) => (await this.functionUrls.register({ functionName, authType, accountId: LOCAL_ACCOUNT, region: LOCAL_REGION })).url,
      lambdaAssetDir: (code: JsonObject, metadata) => assembly.lambdaAssetDir(code, metadata),
      productTemplate: (url) => this.productTemplates.set(PRODUCT_NAME, url),
    };
  }

  /** What deleting a project would remove, and what stops it now. */
  private async planProjectDeletion(project: ProjectInfo): Promise<ProjectDeletionPlan> {
    const { clients, executions } = this.requireStarted();
    const resources = Object.values(this.stacks.get(project.stackName)?.resources ?? {}).map((r) => ({ type: r.type, logicalId: r.logicalId, physicalId: r.physicalId }));
    const prefix = projectPrefix(project.name);
    const listing = await listArtifacts(clients.s3, this.artifactBucket, prefix);
    const machines = new Set(resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine').map((r) => r.physicalId));
    const blockers = executions
      .listExecutions(undefined, { status: 'RUNNING' })
      .filter((e) => machines.has(e.stateMachineArn))
      .map((e) => `execution ${e.name} of ${e.stateMachineArn.split(':').pop()} is RUNNING (wait for it, or stop it)`);
    const items = { registry: 0, experiments: 0, operations: 0, featureStore: 0 };
    for (const table of PROJECT_ITEM_TABLES) {
      const { owned, dependents } = classifyItems(await scanTable(clients.dynamodb, this.tableName(table)), project.name);
      items[table] = owned.length;
      blockers.push(...dependents.map((d) => `${table} item ${d} (not the project's) refers to ${prefix}`));
    }
    const auditEntries = (await queryAuditTrail({ project: project.name }, this.auditStore())).length;
    return { project: project.name, stackName: project.stackName, resources, artifacts: { bucket: this.artifactBucket, prefix, objects: listing.keys.length, bytes: listing.bytes }, items, retained: { auditEntries }, blockers };
  }

  /** Stops routing (rules, schedules), evaluating (alarms, composites first), serving (URLs), then removes pipelines and functions. Roles, log groups and the like are only recorded locally. */
  private async removeStackResources(stack: DeployedStack): Promise<void> {
    const { bus, executions, lambdas } = this.requireStarted();
    const ofType = (...types: string[]) => Object.values(stack.resources).filter((r) => types.includes(r.type));
    // A rule's ARN names its bus: rule/NAME on the default bus, rule/BUS/NAME otherwise.
    for (const rule of ofType('AWS::Events::Rule')) bus.removeRule(rule.physicalId, /:rule\/([^/]+)\/[^/]+$/.exec(String(rule.attributes.Arn ?? ''))?.[1] ?? 'default');
    for (const schedule of ofType('AWS::Scheduler::Schedule')) bus.removeRule(`schedule/${schedule.physicalId}`);
    for (const alarm of [...ofType('AWS::CloudWatch::CompositeAlarm'), ...ofType('AWS::CloudWatch::Alarm')]) this.requireCloudWatch().deleteAlarm(alarm.physicalId);
    for (const url of ofType('AWS::Lambda::Url')) await this.functionUrls.unregister(url.physicalId);
    for (const subscription of ofType('AWS::SNS::Subscription')) this.topics.unsubscribeEmail(subscription.physicalId);
    for (const machine of ofType('AWS::StepFunctions::StateMachine')) await executions.deleteStateMachine(machine.physicalId);
    for (const fn of ofType('AWS::Lambda::Function')) await lambdas.unregister(fn.physicalId);
  }

  /** What a deleted project left behind: resources still registered, objects, items, its stack or saved entry. */
  private async projectLeftovers(project: ProjectInfo, plan: ProjectDeletionPlan): Promise<string[]> {
    const { clients, bus, executions, lambdas } = this.requireStarted();
    const machines = new Set(executions.listStateMachines().map((m) => m.arn));
    const rules = new Set(bus.rules().map((r) => r.name));
    const urls = new Set(this.functionUrls.list().map((u) => u.url));
    const subscriptions = new Set(this.topics.emailSubscriptionArns());
    const stillThere: Record<string, (physicalId: string) => boolean> = {
      'AWS::StepFunctions::StateMachine': (id) => machines.has(id),
      'AWS::Lambda::Function': (id) => lambdas.has(id),
      'AWS::Lambda::Url': (id) => urls.has(id),
      'AWS::Events::Rule': (id) => rules.has(id),
      'AWS::Scheduler::Schedule': (id) => rules.has(`schedule/${id}`),
      'AWS::CloudWatch::Alarm': (id) => this.requireCloudWatch().alarms.definition(id) !== undefined,
      'AWS::CloudWatch::CompositeAlarm': (id) => this.requireCloudWatch().alarms.definition(id) !== undefined,
      'AWS::SNS::Subscription': (id) => subscriptions.has(id),
    };
    const leftovers = plan.resources.filter((r) => stillThere[r.type]?.(r.physicalId)).map((r) => `${r.type} ${r.logicalId} (${r.physicalId}) is still registered`);
    const listing = await listArtifacts(clients.s3, this.artifactBucket, plan.artifacts.prefix);
    if (listing.keys.length > 0) leftovers.push(`${listing.keys.length} objects remain under s3://${this.artifactBucket}/${plan.artifacts.prefix}`);
    for (const table of PROJECT_ITEM_TABLES) {
      const { owned } = classifyItems(await scanTable(clients.dynamodb, this.tableName(table)), project.name);
      if (owned.length > 0) leftovers.push(`${owned.length} items of the project remain in the ${table} table`);
    }
    if (this.stacks.has(project.stackName)) leftovers.push(`stack ${project.stackName} is still deployed`);
    if (this.saved().projects.some((p) => p.name === project.name)) leftovers.push(`project ${project.name} is still in the saved state`);
    return leftovers;
  }

  private auditStore() {
    return dynamoDbAuditStore(DynamoDBDocumentClient.from(this.requireStarted().clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }), this.tableName('audit'));
  }

  private productTemplate(): CloudFormationTemplate {
    const url = this.productTemplates.get(PRODUCT_NAME);
    if (!url) throw new LocalCloudError(`the platform offers no product named "${PRODUCT_NAME}"`);
    return this.assembly!.productTemplate(url);
  }

  private onS3Event(notification: { Records: S3NotificationRecord[] }): void {
    for (const record of notification.Records) {
      if (!this.eventBuckets.has(record.s3.bucket.name)) continue;
      const event = toEventBridgeEvent(record, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
      if (event) this.deliver(event);
    }
  }

  private onAlarmTransition(transition: AlarmTransition): void {
    this.log(`alarm ${transition.alarm.name}: ${transition.previous.value} -> ${transition.next.value} (${transition.next.reason})`);
    this.deliver(transition.event);
  }

  /** Publishes on the local bus; waitForIdle waits for the delivery. */
  private deliver(event: EventEnvelopeInput): void {
    const delivery = this.requireStarted()
      .bus.publish(event)
      .then((records) => {
        for (const r of records.filter((d) => d.status !== 'delivered')) this.log(`event ${r.eventId} to ${r.targetArn} ${r.status}: ${r.error ?? ''}`);
      })
      .catch((error: Error) => this.log(`event delivery failed: ${error.message}`))
      .finally(() => this.pendingDeliveries.delete(delivery));
    this.pendingDeliveries.add(delivery);
  }

  private requireCloudWatch(): LocalCloudWatch {
    if (!this.cloudwatchService) throw new LocalCloudError('the local cloud is not started');
    return this.cloudwatchService;
  }

  private platform(): DeployedStack {
    const platform = this.stacks.get(PLATFORM_STACK_NAME);
    if (!platform) throw new LocalCloudError('the platform stack is not deployed');
    return platform;
  }

  private saved(): SavedState {
    const file = path.join(this.stateDir, 'projects.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SavedState) : { projects: [] };
  }

  private save(state: SavedState): void {
    fs.writeFileSync(path.join(this.stateDir, 'projects.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  private requireStarted() {
    if (!this.emulators || !this.clients || !this.lambdas || !this.executions || !this.bus) throw new LocalCloudError('the local cloud is not started');
    return { emulators: this.emulators, clients: this.clients, lambdas: this.lambdas, executions: this.executions, bus: this.bus };
  }
}

function toExecutionInfo(e: { executionArn: string; stateMachineArn: string; name: string; status: ExecutionInfo['status']; startDate: Date; stopDate?: Date; input: unknown; output?: unknown; error?: string; cause?: string }): ExecutionInfo {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate.toISOString(),
    stopDate: e.stopDate?.toISOString(),
    input: e.input,
    output: e.output,
    error: e.error,
    cause: e.cause,
  };
}
