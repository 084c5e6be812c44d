/**
 * A local cloud with a trained model behind the project's online endpoint, for the endpoint
 * benchmarks (bench/endpoint-load.ts, bench/endpoint-cold-start.ts) and the endpoint
 * integration test (test/integration/local/endpoint.test.ts). It follows the demo's flow
 * (local/demo/run-demo.ts): synthesize the app, boot the local cloud, provision a project from
 * the Service Catalog product, write its training configuration and promotion policy, drop
 * seeded synthetic patients into the training inbox, wait for the training pipeline, then
 * approve the model card and promote through the registry API's function URL as the model
 * approver. Everything goes through the synthesized templates and Lambda bundles.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { LOCAL_ACCOUNT, LOCAL_REGION, PLATFORM_STACK_NAME, buildApp } from '../lib/app';
import { PredictEnvironment } from '../lambdas/predict/environment';
import { listModelVersions, type ModelVersionSummary } from '../lambdas/core/registry/model-version';
import { readStagePointers } from '../lambdas/core/registry/stage-pointers';
import type { RegistryStore } from '../lambdas/core/registry/store';
import { localRegistryStore } from '../local/cli/registry-store';
import type { ExecutionInfo } from '../local/cloud-api';
import { type LocalCloud, startLocalCloud } from '../local/cloud';
import { generatePatients } from '../local/demo/synthetic-patients';
import { CloudAssembly } from '../local/provisioner/cloud-assembly';
import { EMULATOR_CREDENTIALS, lambdaEnvironmentForEmulators } from '../local/runtime/emulators';
import { type CloudFormationTemplate, type JsonObject, type JsonValue, createResolveContext, pseudoParameters, resolve } from '../local/template/resolver';

export const TARGET_COLUMN = 'stopped_within_30d';
export const ENTITY_ID_COLUMN = 'patient_id';
const NUMBER_COLUMNS = new Set(['age', 'bmi', 'hba1c', 'egfr', 'prior_gaps', 'prior_pdc', 'copay']);
const BOOLEAN_COLUMNS = new Set(['hypertension', 'ckd', 'depression']);

/** XGBoost-style hyperparameters of the project's training configuration. */
export interface Hyperparameters {
  readonly num_round: number;
  readonly max_depth: number;
  readonly eta: number;
  readonly seed: number;
}

export interface EndpointCloudOptions {
  /** @default 'endpoint' */
  readonly project?: string;
  /** Patients in the first training drop. @default 1500 */
  readonly patients?: number;
  /** Generator seed of the first training drop. @default 1 */
  readonly seed?: number;
  /** @default { num_round: 30, max_depth: 3, eta: 0.3, seed: 7 } */
  readonly hyperparameters?: Hyperparameters;
  /** Progress lines. @default silent */
  readonly log?: (line: string) => void;
}

/** The running cloud, the project's URLs and the identities that call them. */
export interface EndpointCloud {
  readonly cloud: LocalCloud;
  readonly cdkOut: string;
  readonly project: string;
  readonly store: RegistryStore;
  /** The project's `EndpointUrl` output (an AWS_IAM function URL on 127.0.0.1). */
  readonly endpointUrl: string;
  /** The platform's `RegistryApiUrl` output, without a trailing slash. */
  readonly registryApiUrl: string;
  /** Assumed-role session ARNs of the personas (the `x-lumina-principal` header). */
  readonly principals: { readonly dataScientist: string; readonly mlEngineer: string; readonly modelApprover: string };
  /** Stops the cloud and removes the synthesized assembly. */
  stop(): Promise<void>;
}

export class EndpointSetupError extends Error {
  override readonly name = 'EndpointSetupError';
}

/** What the project's model card says: every narrative section, so a model approver can approve it. */
const CARD = {
  purpose: 'Estimate, per prescription, the probability that a patient stops the prescribed brand within 30 days (endpoint tests and benchmarks).',
  intendedUse: 'Exercising the online endpoint on synthetic data; not for any decision about a person.',
  limitations: ['Trained on synthetic data from a known logistic generator.'],
  ethicalConsiderations: ['Synthetic data only; real health data would need its own review.'],
} as const;

/** Production requires an approved card and a better-than-chance holdout AUC. */
const PROMOTION_POLICY = { rules: [{ kind: 'metric', metric: 'auc', min: 0.5 }], requireApprovedCard: true } as const;

/**
 * Synthesizes the app, boots the local cloud, provisions the project and trains version 1 from
 * one drop of synthetic patients. The version is trained but not promoted (see promoteToProduction).
 */
export async function startEndpointCloud(options: EndpointCloudOptions = {}): Promise<{ endpoint: EndpointCloud; version: ModelVersionSummary }> {
  const project = options.project ?? 'endpoint';
  const log = options.log ?? (() => undefined);
  const cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-endpoint-cdk-'));
  let cloud: LocalCloud | undefined;
  try {
    let started = Date.now();
    buildApp({ outdir: cdkOut, nag: false }).app.synth();
    log(`synthesized the app in ${seconds(started)}`);
    started = Date.now();
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    const running = cloud;
    await running.createProject({ name: project, targetColumn: TARGET_COLUMN, entityIdColumn: ENTITY_ID_COLUMN, positiveLabel: '1' });
    const hyperparameters = options.hyperparameters ?? { num_round: 30, max_depth: 3, eta: 0.3, seed: 7 };
    await putJson(running, `projects/${project}/config/training.json`, { hyperparameters, primaryMetric: 'auc', seedCodeVersion: 'endpoint-setup', card: CARD });
    await putJson(running, `projects/${project}/config/project.config.json`, { promotionPolicy: PROMOTION_POLICY });
    log(`local cloud up and project ${project} provisioned in ${seconds(started)}`);

    const endpoint: EndpointCloud = {
      cloud: running,
      cdkOut,
      project,
      store: localRegistryStore(running),
      endpointUrl: requiredOutput(running.project(project).outputs, 'EndpointUrl', `project ${project}`),
      registryApiUrl: requiredOutput(running.stackOutputs(PLATFORM_STACK_NAME), 'RegistryApiUrl', 'the platform stack').replace(/\/+$/, ''),
      principals: {
        dataScientist: sessionOf(running.personaRoleArn('dataScientist')),
        mlEngineer: sessionOf(running.personaRoleArn('mlEngineer')),
        modelApprover: sessionOf(running.personaRoleArn('modelApprover')),
      },
      async stop() {
        await running.stop();
        fs.rmSync(cdkOut, { recursive: true, force: true });
      },
    };
    started = Date.now();
    const version = await trainFromDrop(endpoint, 'patients-1.csv', { patients: options.patients ?? 1500, seed: options.seed ?? 1 });
    log(`trained version ${version.version} (${version.stage}, auc ${version.metrics.auc?.toFixed(3) ?? 'n/a'}) in ${seconds(started)}`);
    return { endpoint, version };
  } catch (error) {
    await cloud?.stop();
    fs.rmSync(cdkOut, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Drops a file of synthetic patients into the project's training inbox, waits for the training
 * pipeline it starts and returns the version that run registered (staged or rejected).
 */
export async function trainFromDrop(endpoint: EndpointCloud, fileName: string, data: { readonly patients: number; readonly seed: number }): Promise<ModelVersionSummary> {
  const { cloud, project } = endpoint;
  const { key } = await cloud.putData(project, 'training', fileName, Buffer.from(generatePatients({ patients: data.patients, seed: data.seed, firstPatient: data.seed * 1_000_000 }).csv));
  await cloud.waitForIdle(300_000);
  const run = cloud.listRuns(project).find((r) => inputKey(r) === key);
  if (!run) throw new EndpointSetupError(`dropping ${key} started no training run`);
  if (run.status !== 'SUCCEEDED') throw new EndpointSetupError(`the training run for ${key} ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}`);
  const version = (await listModelVersions(endpoint.store, project)).find((v) => v.executionId === run.executionArn);
  if (!version) throw new EndpointSetupError(`the training run for ${key} succeeded but registered no model version`);
  return version;
}

/**
 * Puts a version in production through the registry API, as people would: the ML engineer
 * stages it if the training gate did not, the model approver approves its card and promotes it.
 */
export async function promoteToProduction(endpoint: EndpointCloud, version: number, reason: string): Promise<void> {
  const { project, registryApiUrl, principals } = endpoint;
  const current = (await listModelVersions(endpoint.store, project)).find((v) => v.version === version);
  if (!current) throw new EndpointSetupError(`project ${project} has no version ${version}`);
  if (current.stage !== 'staging') {
    await callOk(`${registryApiUrl}/models/${project}/${version}/promote`, principals.mlEngineer, { stage: 'staging', reason: `${reason} (staged by hand)` });
  }
  await callOk(`${registryApiUrl}/models/${project}/${version}/approve-card`, principals.modelApprover, { note: 'Synthetic data; card complete.' });
  await callOk(`${registryApiUrl}/models/${project}/${version}/promote`, principals.modelApprover, { stage: 'production', reason });
  const pointers = await readStagePointers(endpoint.store, project);
  if (pointers.production !== version) throw new EndpointSetupError(`promotion did not move production to version ${version} (production is ${pointers.production})`);
}

export interface UrlResponse {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  readonly json: unknown;
}

/** POSTs to a function URL as `principal` (no identity header when undefined). A raw string body is sent as is. */
export async function callUrl(url: string, principal: string | undefined, body: unknown, options: { readonly raw?: boolean } = {}): Promise<UrlResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (principal !== undefined) headers['x-lumina-principal'] = principal;
  const response = await fetch(url, { method: 'POST', headers, body: options.raw ? (body as string) : JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** callUrl that requires a 2xx answer. */
export async function callOk(url: string, principal: string, body: unknown): Promise<unknown> {
  const response = await callUrl(url, principal, body);
  if (response.status < 200 || response.status > 299) throw new EndpointSetupError(`${url} answered ${response.status}: ${response.text}`);
  return response.json;
}

/** A session of a role, as IAM reports the caller of a signed request (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION). */
export function sessionOf(roleArn: string): string {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) throw new EndpointSetupError(`not a role ARN: ${roleArn}`);
  return `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/lumina-endpoint`;
}

export type PatientRecord = Readonly<Record<string, string | number | boolean>>;

/** Synthetic patients as the records a caller of the endpoint sends (typed JSON values, no label column). */
export function patientRecords(options: { readonly patients: number; readonly seed: number; readonly firstPatient?: number }): PatientRecord[] {
  const csv = generatePatients({ ...options, unlabelled: true }).csv;
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const record: Record<string, string | number | boolean> = {};
    columns.forEach((column, i) => {
      record[column] = NUMBER_COLUMNS.has(column) ? Number(cells[i]) : BOOLEAN_COLUMNS.has(column) ? cells[i] === 'true' : cells[i];
    });
    return record;
  });
}

/** The predict function as the local cloud runs it: its bundle folder and its resolved environment. */
export interface PredictFunction {
  readonly assetDir: string;
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
}

const FunctionResource = z.object({
  Type: z.literal('AWS::Lambda::Function'),
  Properties: z.object({ Handler: z.string(), Code: z.object({ S3Key: z.string() }), Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
  // Path and asset metadata are written only when the CDK CLI synthesizes; CloudAssembly falls back to Code.S3Key.
  Metadata: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Reads the predict function from the synthesized product template and resolves its
 * environment with the project's parameters and the platform's exports (what the local cloud's
 * provisioner does), then points its SDK clients at the running emulators. The cold-start
 * benchmark loads this bundle in fresh processes.
 */
export function predictFunctionOf(endpoint: EndpointCloud): PredictFunction {
  const { cloud, cdkOut, project } = endpoint;
  const productFile = fs.readdirSync(cdkOut).find((f) => f.endsWith('.product.template.json'));
  if (!productFile) throw new EndpointSetupError(`${cdkOut} holds no product template`);
  const template = JSON.parse(fs.readFileSync(path.join(cdkOut, productFile), 'utf8')) as CloudFormationTemplate;
  const found = Object.entries(template.Resources ?? {})
    .map(([logicalId, resource]) => ({ logicalId, parsed: FunctionResource.safeParse(resource) }))
    // The predict function is the one whose environment has every variable of its schema (shared by construct and handler).
    .find(({ parsed }) => parsed.success && Object.keys(PredictEnvironment.shape).every((name) => name in parsed.data.Properties.Environment.Variables));
  if (!found?.parsed.success) throw new EndpointSetupError(`${productFile} has no function with the predict function's environment (${Object.keys(PredictEnvironment.shape).join(', ')})`);
  const fn = found.parsed.data;

  const info = cloud.project(project);
  const ctx = createResolveContext(template, {
    parameters: info.parameters,
    pseudo: pseudoParameters({ region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, stackName: info.stackName }),
    ref: () => undefined,
    getAtt: () => undefined,
    importValue: platformExports(endpoint),
  });
  const resolved = resolve(fn.Properties.Environment.Variables as JsonObject, ctx, `Resources.${found.logicalId}.Properties.Environment.Variables`);
  const variables = z.record(z.string(), z.string()).parse(resolved);
  const { s3, dynamodb, region } = cloud.endpoints;
  return {
    assetDir: new CloudAssembly(cdkOut).lambdaAssetDir(fn.Properties.Code, fn.Metadata),
    handler: fn.Properties.Handler,
    environment: {
      ...variables,
      ...lambdaEnvironmentForEmulators({ s3Endpoint: s3, dynamodbEndpoint: dynamodb, region, credentials: EMULATOR_CREDENTIALS }),
      AWS_LAMBDA_FUNCTION_NAME: `${project}-predict`,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    },
  };
}

/** Fn::ImportValue against the platform stack: export name (from its template's Outputs) → output value. */
function platformExports(endpoint: EndpointCloud): (name: string) => JsonValue | undefined {
  const platformFile = path.join(endpoint.cdkOut, `${PLATFORM_STACK_NAME}.template.json`);
  const template = JSON.parse(fs.readFileSync(platformFile, 'utf8')) as { Outputs?: Record<string, { Export?: { Name?: unknown } }> };
  const outputs = endpoint.cloud.stackOutputs(PLATFORM_STACK_NAME);
  const byExport = new Map<string, string>();
  for (const [outputId, output] of Object.entries(template.Outputs ?? {})) {
    const name = output.Export?.Name;
    const value = outputs[outputId];
    if (typeof name === 'string' && value !== undefined) byExport.set(name, value);
  }
  return (name) => byExport.get(name);
}

async function putJson(cloud: LocalCloud, key: string, value: unknown): Promise<void> {
  await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
}

function requiredOutput(outputs: Readonly<Record<string, string>>, name: string, where: string): string {
  const value = outputs[name];
  if (!value) throw new EndpointSetupError(`${where} has no ${name} output`);
  return value;
}

function inputKey(run: ExecutionInfo): string | undefined {
  const key = (run.input as { key?: unknown }).key;
  return typeof key === 'string' ? key : undefined;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
