/**
 * The medication non-adherence demo, end to end on the local cloud (`npm start`):
 *
 *  1. synthesize the app, boot the local cloud in a fresh state directory;
 *  2. provision the platform and the project "adherence" from the Service Catalog product;
 *  3. generate seeded synthetic diabetic patients (local/demo/synthetic-patients.ts);
 *  4. drop them into the training inbox (validate → profile → split → train → ONNX →
 *     evaluate → register → stage), approve the model card and promote to production through
 *     the registry API (function URL, IAM-authorised, as the model approver);
 *  5. ask the endpoint (function URL, as the data scientist) about one patient on several
 *     brands: probability, confidence and risk factors per brand;
 *  6. drop an inference batch like the training population (scored, monitored, no drift),
 *     then a drifted one (older patients, a different brand mix): the monitor publishes drift,
 *     the composite alarm fires, its rule starts retraining, the challenger is judged against
 *     the champion;
 *  7. write the HTML report and, next to it, the summary (JSON).
 *
 * Everything goes through the synthesized templates, state machines and Lambda bundles; the
 * demo only drops files, calls URLs and reads what the pipelines wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseFittedEncoding } from '../../lambdas/core/pipeline/model-package';
import { runIdOf, runLayout } from '../../lambdas/core/pipeline/run-layout';
import { encodeTable, tableFromCsv } from '../../lambdas/core/ml/tabular';
import { createTreeExplainer } from '../../lambdas/core/ml/treeshap';
import { readXgboostJson } from '../../lambdas/core/ml/xgboost-json';
import { getModelVersion, listModelVersions } from '../../lambdas/core/registry/model-version';
import { readStagePointers } from '../../lambdas/core/registry/stage-pointers';
import type { ExecutionInfo } from '../cloud-api';
import { type LocalCloud, startLocalCloud } from '../cloud';
import { localRegistryStore } from '../cli/registry-store';
import { writeProjectReport } from '../report/project-report';
import { BRANDS, type Brand, brandsByTrueEffect, generatePatients, TRUE_EFFECTS } from './synthetic-patients';

export const DEMO_PROJECT = 'adherence';
const TARGET = 'stopped_within_30d';

export interface DemoOptions {
  /** Patients in the training drop. @default 5000 */
  readonly patients?: number;
  /** Patients in each inference batch. @default 3000 */
  readonly batchPatients?: number;
  /** Where summary.json and the report go. */
  readonly outDir: string;
  /** One line per step. */
  readonly log: (line: string) => void;
  /** Live progress while a pipeline runs (a redrawn line on a terminal). @default none */
  readonly progress?: (line: string) => void;
  /** Keep the local cloud's state here instead of a temporary folder. */
  readonly stateDir?: string;
}

export interface DemoStep {
  readonly step: string;
  readonly seconds: number;
  readonly detail: string;
}

export interface BrandPrediction {
  readonly brand: Brand;
  readonly probability: number;
  readonly confidence: number;
  readonly riskFactors: readonly { readonly feature: string; readonly contribution: number }[];
}

export interface BatchOutcome {
  readonly input: string;
  readonly rowsScored: number;
  readonly rowsRejected: number;
  readonly driftScore: number | null;
  readonly driftedFeatures: readonly string[];
  readonly reportKey: string | null;
  readonly alarm: string;
}

export interface DemoSummary {
  readonly ok: boolean;
  readonly project: string;
  readonly totalSeconds: number;
  readonly steps: readonly DemoStep[];
  readonly data: { readonly trainingPatients: number; readonly trainingRows: number; readonly batchPatients: number };
  readonly champion: { readonly version: number; readonly metrics: Readonly<Record<string, number>> };
  readonly brandEffects: {
    readonly trueOrder: readonly Brand[];
    readonly recoveredOrder: readonly Brand[];
    readonly meanShapByBrand: Readonly<Record<string, number>>;
    readonly trueLogOdds: Readonly<Record<string, number>>;
    readonly recovered: boolean;
  };
  readonly predictions: { readonly patient: Readonly<Record<string, unknown>>; readonly byBrand: readonly BrandPrediction[] };
  readonly batches: { readonly baseline: BatchOutcome; readonly drifted: BatchOutcome };
  readonly retraining: {
    readonly trigger: string;
    readonly run: string;
    readonly status: string;
    readonly challengerVersion: number | null;
    readonly decision: string;
    /** What the challenger's lineage records of the alarm that started it. */
    readonly lineage: { readonly alarm: string | null; readonly driftedFeatures: readonly string[] };
    readonly detail: string;
  };
  readonly files: { readonly summary: string; readonly report: string | null; readonly stateDir: string };
}

/** Runs the demo; the summary's `ok` says whether every check held (the caller sets the exit code). */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const patients = options.patients ?? 5000;
  const batchPatients = options.batchPatients ?? 3000;
  const t0 = Date.now();
  const steps: DemoStep[] = [];
  let stepStart = t0;
  const done = (step: string, detail: string): void => {
    const now = Date.now();
    steps.push({ step, seconds: round((now - stepStart) / 1000, 1), detail });
    stepStart = now;
    options.log(`[${((now - t0) / 1000).toFixed(1).padStart(5)}s] ${step}: ${detail}`);
  };
  fs.mkdirSync(options.outDir, { recursive: true });

  // CloudWatch evaluates alarms once a minute, on periods that end at the evaluation minute, so a
  // batch's drift is judged at the next minute. The demo does not wait for it: its CloudWatch clock
  // jumps to that minute (advanceToNextEvaluation), as the tests drive the clock.
  let skewMs = 0;
  const cloud = await startLocalCloud({
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    alarmEvaluationIntervalMs: 0,
    clock: () => new Date(Date.now() + skewMs),
  });
  const advanceToNextEvaluation = (): void => {
    const target = Math.ceil((Date.now() + skewMs) / 60_000) * 60_000 + 1_000;
    skewMs = target - Date.now();
  };
  try {
    done('boot', `app synthesized, local cloud up (S3 ${cloud.endpoints.s3}, DynamoDB ${cloud.endpoints.dynamodb}, CloudWatch ${cloud.endpoints.cloudwatch})`);

    // --- 2. the project, from the Service Catalog product ------------------------------------
    const project = await cloud.createProject({
      name: DEMO_PROJECT,
      targetColumn: TARGET,
      entityIdColumn: 'patient_id',
      positiveLabel: '1',
      driftThreshold: 0.2,
      monitoredFeatures: ['age', 'brand', 'hba1c', 'prior_gaps', 'copay'],
    });
    await putJson(cloud, `projects/${DEMO_PROJECT}/config/training.json`, TRAINING_CONFIG);
    await putJson(cloud, `projects/${DEMO_PROJECT}/config/project.config.json`, { promotionPolicy: PROMOTION_POLICY });
    done('provision', `product provisioned as ${project.stackName}; training config and promotion policy in projects/${DEMO_PROJECT}/config/`);

    // --- 3 + 4. data, training, promotion ----------------------------------------------------
    const training = generatePatients({ patients, seed: 42 });
    await cloud.putData(DEMO_PROJECT, 'training', 'patients-2026-11.csv', Buffer.from(training.csv));
    const trainingRun = await waitForRun(cloud, options, (run) => inputKey(run)?.endsWith('patients-2026-11.csv') === true, 'training pipeline');
    if (trainingRun.status !== 'SUCCEEDED') throw new DemoError(`the training pipeline ${trainingRun.status}: ${trainingRun.error ?? ''} ${trainingRun.cause ?? ''}`);
    const store = localRegistryStore(cloud);
    const [v1] = await listModelVersions(store, DEMO_PROJECT);
    if (!v1) throw new DemoError('the training pipeline succeeded but registered no model version');
    done(
      'train',
      `${training.patients.toLocaleString('en-US')} patients (${training.rows.toLocaleString('en-US')} prescriptions) → model v${v1.version} in ${v1.stage}; holdout ${formatMetrics(v1.metrics)}`,
    );

    const registryApi = registryApiUrl(cloud);
    const approver = sessionOf(cloud.personaRoleArn('modelApprover'));
    await callUrl(`${registryApi}/models/${DEMO_PROJECT}/${v1.version}/approve-card`, approver, { note: 'Reviewed: synthetic demo data, card complete.' });
    await callUrl(`${registryApi}/models/${DEMO_PROJECT}/${v1.version}/promote`, approver, { stage: 'production', reason: 'First model of the demo project' });
    const pointers = await readStagePointers(store, DEMO_PROJECT);
    if (pointers.production !== v1.version) throw new DemoError(`promotion did not move production to v${v1.version} (production is ${pointers.production})`);
    done('promote', `model card approved and v${v1.version} promoted to production by the model approver through the registry API (audited)`);

    const brandEffects = await recoverBrandEffects(cloud, trainingRun);
    done(
      'brand effects',
      `mean TreeSHAP of "brand" on the holdout, highest first: ${brandEffects.recoveredOrder.map((b) => `${b} ${signed(brandEffects.meanShapByBrand[b])}`).join(' > ')} (true order ${brandEffects.trueOrder.join(' > ')}: ${brandEffects.recovered ? 'recovered' : 'NOT recovered'})`,
    );

    // --- 5. the endpoint ---------------------------------------------------------------------
    const patient = DEMO_PATIENT;
    const response = await callUrl(endpointUrl(cloud), sessionOf(cloud.personaRoleArn('dataScientist')), { records: BRANDS.map((brand) => ({ ...patient, brand })) });
    const byBrand = parsePredictions(response);
    done(
      'predict',
      `patient ${patient.patient_id} (${patient.age} y, HbA1c ${patient.hba1c}, ${patient.prior_gaps} prior refill gaps) on each brand: ${byBrand
        .map((p) => `${p.brand} ${(p.probability * 100).toFixed(1)}% (confidence ${p.confidence.toFixed(2)}; ${p.riskFactors.slice(0, 2).map((f) => `${f.feature} ${signed(f.contribution)}`).join(', ')})`)
        .join('; ')}`,
    );

    // --- 6. batches, drift, alarm, retraining ------------------------------------------------
    const normal = generatePatients({ patients: batchPatients, seed: 7, firstPatient: 1_000_000, unlabelled: true });
    const baseline = await scoreBatch(cloud, options, 'prescriptions-2026-12-01.csv', normal.csv, advanceToNextEvaluation);
    done('batch', describeBatch(baseline));

    const drifted = generatePatients({
      patients: batchPatients,
      seed: 8,
      firstPatient: 2_000_000,
      unlabelled: true,
      drift: { ageShift: 14, brandMix: { Metforal: 0.3, Glucora: 0.6, Sitaglin: 1, Insulex: 3 } },
    });
    const runsBefore = new Set(cloud.listRuns(DEMO_PROJECT).map((r) => r.executionArn));
    const driftedOutcome = await scoreBatch(cloud, options, 'prescriptions-2026-12-02.csv', drifted.csv, advanceToNextEvaluation);
    done('drifted batch', describeBatch(driftedOutcome));

    const retrainRun = cloud.listRuns(DEMO_PROJECT).find((r) => !runsBefore.has(r.executionArn) && (r.input as { trigger?: unknown }).trigger === 'alarm');
    const retraining = await describeRetraining(cloud, options, retrainRun, v1.version);
    done('retrain', `${retraining.detail}`);

    // --- 7. report and summary ---------------------------------------------------------------
    const report = await writeProjectReport(cloud, DEMO_PROJECT, options.outDir);
    done('report', `HTML report (registry, runs, drift per batch with the monitor's reports) at ${report.htmlPath}`);
    const summaryPath = path.join(options.outDir, 'summary.json');
    const ok =
      brandEffects.recovered &&
      baseline.driftedFeatures.length === 0 &&
      driftedOutcome.driftedFeatures.length > 0 &&
      driftedOutcome.alarm === 'ALARM' &&
      retraining.status === 'SUCCEEDED';
    const summary: DemoSummary = {
      ok,
      project: DEMO_PROJECT,
      totalSeconds: round((Date.now() - t0) / 1000, 1),
      steps,
      data: { trainingPatients: training.patients, trainingRows: training.rows, batchPatients },
      champion: { version: v1.version, metrics: numericMetrics(v1.metrics) },
      brandEffects,
      predictions: { patient, byBrand },
      batches: { baseline, drifted: driftedOutcome },
      retraining,
      files: { summary: summaryPath, report: report.htmlPath, stateDir: cloud.stateDir },
    };
    fs.writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await cloud.stop();
  }
}

export class DemoError extends Error {
  override readonly name = 'DemoError';
}

/** How the demo project trains and what its model card says (projects/<p>/config/training.json). */
const TRAINING_CONFIG = {
  hyperparameters: { num_round: 150, max_depth: 4, eta: 0.1, early_stopping_rounds: 20, seed: 7 },
  subgroupColumns: ['sex', 'brand'],
  primaryMetric: 'auc',
  seedCodeVersion: 'demo',
  card: {
    purpose: 'Estimate, per prescription, the probability that a patient with type 2 diabetes stops taking the prescribed brand within 30 days.',
    intendedUse: 'Prioritising pharmacist outreach and adherence support; a decision aid next to clinical judgement, never a reason to withhold treatment.',
    limitations: [
      'Trained on synthetic data from a known logistic generator; real populations need their own training and validation.',
      'Brand effects are associations in the training population, not causal effects of the medicines.',
    ],
    ethicalConsiderations: [
      'Outreach based on the score must be offered to patients, not imposed; subgroup metrics by sex and brand are reported with every version.',
      'Inputs are health data: the platform encrypts them with KMS and audits every model change.',
    ],
  },
} as const;

/** What production requires of a model in the demo project. */
const PROMOTION_POLICY = {
  rules: [
    { kind: 'metric', metric: 'auc', min: 0.6 },
    { kind: 'subgroup-gap', column: 'sex', metric: 'auc', max: 0.1 },
  ],
  requireApprovedCard: true,
} as const;

/** The patient the endpoint is asked about, brand by brand. */
const DEMO_PATIENT = {
  patient_id: 'P9000001',
  age: 54,
  sex: 'F',
  bmi: 33.4,
  hba1c: 8.9,
  egfr: 82,
  hypertension: true,
  ckd: false,
  depression: true,
  prior_gaps: 2,
  prior_pdc: 0.71,
  copay: 32.5,
} as const;

async function putJson(cloud: LocalCloud, key: string, value: unknown): Promise<void> {
  await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
}

async function getText(cloud: LocalCloud, key: string): Promise<string> {
  const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
  return object.Body ? object.Body.transformToString('utf-8') : '';
}

function inputKey(run: ExecutionInfo): string | undefined {
  const key = (run.input as { key?: unknown }).key;
  return typeof key === 'string' ? key : undefined;
}

/** Waits for the run `match` picks (started by an S3 drop or a rule), drawing progress meanwhile. */
async function waitForRun(cloud: LocalCloud, options: DemoOptions, match: (run: ExecutionInfo) => boolean, label: string): Promise<ExecutionInfo> {
  const started = Date.now();
  const ticker = options.progress
    ? setInterval(() => {
        const run = cloud.listRuns(DEMO_PROJECT).find(match);
        const state = run ? cloud.currentState(run.executionArn) : 'starting';
        options.progress?.(`${label}: ${progressBar((Date.now() - started) / 1000)} ${state ?? ''}`);
      }, 250)
    : undefined;
  try {
    await cloud.waitForIdle();
  } finally {
    if (ticker) clearInterval(ticker);
    options.progress?.('');
  }
  const run = cloud.listRuns(DEMO_PROJECT).find(match);
  if (!run) throw new DemoError(`no ${label} run started`);
  return run;
}

/** An elapsed-time bar (pipelines do not announce their length): one block per second, wrapping at 30. */
function progressBar(seconds: number): string {
  const filled = Math.floor(seconds) % 30;
  return `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${seconds.toFixed(0)}s`;
}

/** A session of a role, as IAM reports the caller of a signed request (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION). */
function sessionOf(roleArn: string): string {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) throw new DemoError(`not a role ARN: ${roleArn}`);
  return `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/lumina-demo`;
}

function registryApiUrl(cloud: LocalCloud): string {
  const url = cloud.stackOutputs('LuminaOps').RegistryApiUrl;
  if (!url) throw new DemoError('the platform stack has no RegistryApiUrl output');
  return url.replace(/\/+$/, '');
}

function endpointUrl(cloud: LocalCloud): string {
  const url = cloud.project(DEMO_PROJECT).outputs.EndpointUrl;
  if (!url) throw new DemoError(`project ${DEMO_PROJECT} has no EndpointUrl output`);
  return url;
}

/** POSTs JSON to an IAM-authorised function URL as the given role; non-2xx answers are errors with their body. */
async function callUrl(url: string, principalArn: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lumina-principal': principalArn }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new DemoError(`${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

function parsePredictions(response: unknown): BrandPrediction[] {
  const predictions = (response as { predictions?: unknown }).predictions;
  if (!Array.isArray(predictions)) throw new DemoError(`the endpoint answered without predictions: ${JSON.stringify(response).slice(0, 300)}`);
  return predictions.map((p: Record<string, unknown>, i) => ({
    brand: BRANDS[i],
    probability: Number(p.probability),
    confidence: Number(p.confidence),
    riskFactors: ((p.riskFactors ?? []) as { feature?: string; column?: string; contribution?: number; shap?: number }[]).map((f) => ({
      feature: String(f.feature ?? f.column),
      contribution: Number(f.contribution ?? f.shap),
    })),
  }));
}

async function scoreBatch(cloud: LocalCloud, options: DemoOptions, fileName: string, csv: string, advanceToNextEvaluation: () => void): Promise<BatchOutcome> {
  const { key } = await cloud.putData(DEMO_PROJECT, 'inference', fileName, Buffer.from(csv));
  const run = await waitForRun(cloud, options, (r) => inputKey(r) === key, 'inference pipeline');
  if (run.status !== 'SUCCEEDED') throw new DemoError(`batch ${fileName}: inference pipeline ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}`);
  const output = run.output as { outbox?: { merged?: { rowsScored?: number; rowsRejected?: number } }; monitor?: { report?: { driftScore?: number; driftedFeatures?: string[]; keys?: { report?: string } } } };
  const report = output.monitor?.report;
  // The monitor published its metrics; CloudWatch judges them at its next once-a-minute evaluation.
  advanceToNextEvaluation();
  cloud.evaluateAlarms();
  await cloud.waitForIdle();
  return {
    input: key,
    rowsScored: output.outbox?.merged?.rowsScored ?? 0,
    rowsRejected: output.outbox?.merged?.rowsRejected ?? 0,
    driftScore: report?.driftScore ?? null,
    driftedFeatures: report?.driftedFeatures ?? [],
    reportKey: report?.keys?.report ?? null,
    alarm: cloud.alarmState(cloud.project(DEMO_PROJECT).outputs.DriftAlarmName ?? '') ?? 'unknown',
  };
}

function describeBatch(batch: BatchOutcome): string {
  const drift = batch.driftScore === null ? 'not monitored' : `drift score ${batch.driftScore.toFixed(3)}${batch.driftedFeatures.length ? `, drifted: ${batch.driftedFeatures.join(', ')}` : ', no feature drifted'}`;
  return `${batch.rowsScored.toLocaleString('en-US')} rows scored, ${batch.rowsRejected} rejected; ${drift}; drift alarm ${batch.alarm}`;
}

async function describeRetraining(cloud: LocalCloud, options: DemoOptions, run: ExecutionInfo | undefined, championVersion: number): Promise<DemoSummary['retraining']> {
  if (!run) {
    return { trigger: 'alarm', run: '', status: 'NOT STARTED', challengerVersion: null, decision: 'none', lineage: { alarm: null, driftedFeatures: [] }, detail: 'the drift alarm did not start a retraining' };
  }
  const finished = await waitForRun(cloud, options, (r) => r.executionArn === run.executionArn, 'retraining');
  const versions = await listModelVersions(localRegistryStore(cloud), DEMO_PROJECT);
  const challenger = versions.find((v) => v.version !== championVersion && v.executionId === finished.executionArn) ?? versions.find((v) => v.version > championVersion);
  const champion = versions.find((v) => v.version === championVersion);
  const lineage = challenger ? (await getModelVersion(localRegistryStore(cloud), DEMO_PROJECT, challenger.version)).record.lineage.trigger : undefined;
  const alarm = lineage?.type === 'alarm' ? lineage.alarm : undefined;
  const decision = challenger ? (challenger.stage === 'staging' ? 'staged' : challenger.status) : 'none';
  const score = (v: typeof challenger): string => (v?.primaryScore === null || v?.primaryScore === undefined ? 'n/a' : v.primaryScore.toFixed(4));
  const detail = challenger
    ? `drift alarm${alarm?.driftedFeatures?.length ? ` (features ${alarm.driftedFeatures.join(', ')}, recorded in the lineage)` : ''} → training run ${finished.name} ${finished.status}: challenger v${challenger.version} ${decision} (${challenger.primaryMetric} ${score(challenger)} vs champion v${championVersion} ${score(champion)}); production stays v${championVersion} until an approver promotes`
    : `drift alarm → training run ${finished.name} ${finished.status}${finished.error ? ` (${finished.error})` : ''}`;
  return {
    trigger: 'alarm',
    run: finished.name,
    status: finished.status,
    challengerVersion: challenger?.version ?? null,
    decision,
    lineage: { alarm: alarm?.name ?? null, driftedFeatures: [...(alarm?.driftedFeatures ?? [])] },
    detail,
  };
}

/**
 * The trained model's view of the brands: the mean TreeSHAP contribution of the `brand`
 * column per brand over the run's holdout rows, against the generator's true log-odds.
 */
async function recoverBrandEffects(cloud: LocalCloud, run: ExecutionInfo): Promise<DemoSummary['brandEffects']> {
  const layout = runLayout(DEMO_PROJECT, runIdOf(run.executionArn));
  const [modelText, encodingText, holdoutText] = await Promise.all([getText(cloud, layout.modelJson), getText(cloud, layout.encoding), getText(cloud, layout.holdout)]);
  const model = readXgboostJson(modelText);
  const fitted = parseFittedEncoding(Buffer.from(encodingText));
  const table = tableFromCsv(holdoutText);
  const matrix = encodeTable(fitted.encodings, table);
  const brandFeature = fitted.features.findIndex((f) => f.column === 'brand');
  const brandCells = table.columns.find((c) => c.name === 'brand')?.text;
  if (brandFeature < 0 || !brandCells) throw new DemoError('the model has no brand feature');
  const explainer = createTreeExplainer(model);
  const sum = new Map<string, number>();
  const count = new Map<string, number>();
  for (let r = 0; r < matrix.nRows; r++) {
    const phi = explainer.shap(matrix.values.subarray(r * matrix.nCols, (r + 1) * matrix.nCols));
    const brand = brandCells[r] ?? '';
    sum.set(brand, (sum.get(brand) ?? 0) + phi[brandFeature]);
    count.set(brand, (count.get(brand) ?? 0) + 1);
  }
  const meanShapByBrand = Object.fromEntries(BRANDS.map((b) => [b, round((sum.get(b) ?? 0) / Math.max(1, count.get(b) ?? 0), 4)]));
  const recoveredOrder = [...BRANDS].sort((a, b) => meanShapByBrand[b] - meanShapByBrand[a]);
  const trueOrder = brandsByTrueEffect();
  return {
    trueOrder,
    recoveredOrder,
    meanShapByBrand,
    trueLogOdds: { ...TRUE_EFFECTS.brand },
    recovered: recoveredOrder.every((b, i) => b === trueOrder[i]),
  };
}

function numericMetrics(metrics: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries((metrics ?? {}) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number').map(([k, v]) => [k, round(v, 4)]));
}

function formatMetrics(metrics: unknown): string {
  const m = numericMetrics(metrics);
  return ['auc', 'logLoss', 'accuracy', 'ece'].filter((k) => k in m).map((k) => `${k} ${m[k].toFixed(3)}`).join(', ');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
