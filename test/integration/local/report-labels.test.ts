/**
 * Ground truth and the project report on the real local cloud, through the CLI commands:
 * train a model and put it in production, score a drifted batch (monitored: drift report
 * under the batch's outbox prefix) and some endpoint requests (prediction log), then
 * `lumina labels put` joins outcomes to both by request id and entity id, stores the
 * performance and publishes it to the local CloudWatch, a bad labels file is refused with
 * its original kept, and `lumina report` (and `lumina up`'s report server) shows it all.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { PerformanceResultSchema } from '../../../lambdas/core/performance/performance-summary';
import { setStage } from '../../../lambdas/core/registry/stages';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import { type CliIo, runCli } from '../../../local/cli/main';
import { generatePatients } from '../../../local/demo/synthetic-patients';
import { startReportServer } from '../../../local/report/report-server';
import { releaseTestAssembly, testAssembly } from '../test-assembly';

const PROJECT = 'outcomes';
const TARGET = 'stopped_within_30d';

/** Rows of a generated CSV as records of strings. */
function rowsOf(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])));
}

describe('local cloud: lumina labels put and lumina report', () => {
  let cloud: LocalCloud;
  let work: string;
  let cdkOut: string | undefined;

  /** The CLI on the one booted cloud: each command "starts" it and its stop leaves it running. */
  const cli = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const shared = new Proxy(cloud, { get: (target, property) => (property === 'stop' ? async () => undefined : Reflect.get(target, property, target)) }) as LocalCloudApi;
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: work,
      startCloud: async () => shared,
      stopRequests: () => () => undefined,
    };
    const code = await runCli([...argv, '--state-dir', path.join(work, 'cli-state')], io);
    return { code, stdout, stderr };
  };
  const text = async (key: string): Promise<string> => (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body!.transformToString();
  const keys = async (prefix: string): Promise<string[]> => ((await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  /** The labelled batch the test scores (same seed with and without labels gives the same rows). */
  const batchOptions = { patients: 150, seed: 22, firstPatient: 50_000, drift: { ageShift: 18, brandMix: { Insulex: 5, Metforal: 0.2 } } };
  /** Patients sent to the endpoint. */
  const endpointPatients = rowsOf(generatePatients({ patients: 20, seed: 33, firstPatient: 90_000 }).csv);
  let endpointPredictions: { requestId: string; entityId?: string; modelVersion: number }[] = [];

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-report-'));
    cdkOut = testAssembly('lumina-it-report-cdk-');
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    await cloud.createProject({ name: PROJECT, targetColumn: TARGET, entityIdColumn: 'patient_id', positiveLabel: '1' });
    await cloud.s3.send(
      new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/training.json`, Body: JSON.stringify({ hyperparameters: { num_round: 25, max_depth: 3, eta: 0.3 } }) }),
    );

    // Train v1 and put it in production.
    await cloud.putData(PROJECT, 'training', 'patients.csv', new TextEncoder().encode(generatePatients({ patients: 700, seed: 11 }).csv));
    await cloud.waitForIdle(120_000);
    const registry = dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
    await setStage(registry, PROJECT, 1, 'production', 'test:report-labels', 'production for the ground-truth test', { now: () => new Date() });

    // A drifted batch through batch inference (and its monitor), and endpoint requests.
    await cloud.putData(PROJECT, 'inference', 'drifted.csv', new TextEncoder().encode(generatePatients({ ...batchOptions, unlabelled: true }).csv));
    await cloud.waitForIdle(120_000);
    const typed = (cell: string): string | number | boolean => (/^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell === 'true' || cell === 'false' ? cell === 'true' : cell);
    const records = endpointPatients.map(({ [TARGET]: _label, patient_id, ...features }) => ({ patient_id, ...Object.fromEntries(Object.entries(features).map(([k, v]) => [k, typed(v)])) }));
    const response = await fetch(cloud.project(PROJECT).outputs.EndpointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lumina-principal': cloud.personaRoleArn('dataScientist') },
      body: JSON.stringify({ records }),
    });
    const answer = (await response.json()) as { predictions?: { requestId: string; entityId?: string; modelVersion: number }[] };
    if (!response.ok || !answer.predictions) throw new Error(`the endpoint answered ${response.status}: ${JSON.stringify(answer).slice(0, 2000)}`);
    endpointPredictions = answer.predictions;
  }, 180_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('joins outcomes to endpoint and batch predictions, stores the performance and publishes it', async () => {
    // Prepare: endpoint outcomes by request id; batch outcomes by patient (the label of the patient's last row,
    // which is the prediction an entity join credits), observed a day later; and one id nobody predicted.
    const lines = ['request_id,patient_id,outcome,observed_at'];
    endpointPredictions.forEach((p, i) => lines.push(`${p.requestId},,${endpointPatients[i][TARGET]},`));
    const lastLabel = new Map(rowsOf(generatePatients(batchOptions).csv).map((row) => [row.patient_id, row[TARGET]]));
    const observed = new Date(Date.now() + 86_400_000).toISOString();
    for (const [patient, label] of lastLabel) lines.push(`,${patient},${label === '1' ? 'yes' : 'no'},${observed}`);
    lines.push('never-served,,1,');
    fs.writeFileSync(path.join(work, 'outcomes.csv'), `${lines.join('\n')}\n`);

    // Act
    const run = await cli(['labels', 'put', PROJECT, 'outcomes.csv', '--window', '30m', '--json']);

    // Assess
    expect(run.stderr).not.toContain('lumina:');
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { accepted: boolean; sourceKey: string; joined: { total: number; byRequest: number; byEntity: number }; unmatched: { line: number; reason: string }[]; predictions: { endpoint: number; batch: number } };
    expect(outcome).toMatchObject({ accepted: true, joined: { total: endpointPredictions.length + lastLabel.size, byRequest: endpointPredictions.length, byEntity: lastLabel.size } });
    expect(outcome.unmatched).toEqual([{ line: lines.length, reason: 'no prediction with request id never-served' }]);
    expect(outcome.predictions.endpoint).toBe(endpointPredictions.length);
    expect(outcome.predictions.batch).toBeGreaterThan(lastLabel.size);
    expect(await text(outcome.sourceKey)).toBe(`${lines.join('\n')}\n`);

    const performance = PerformanceResultSchema.parse(JSON.parse(await text(`projects/${PROJECT}/performance/performance.json`)));
    expect(performance.versions.map((v) => [v.modelVersion, v.variant, v.count])).toEqual([
      [1, null, endpointPredictions.length + lastLabel.size],
      [1, 'batch', lastLabel.size],
      [1, endpointPredictions[0].modelVersion === 1 ? 'champion' : 'challenger', endpointPredictions.length],
    ]);
    expect(performance.versions[0].auc).toBeGreaterThan(0.55);
    expect(performance.windowMs).toBe(1_800_000);

    const listed = await cloud.cloudwatch.send(new ListMetricsCommand({ Namespace: 'LuminaOps/ModelPerformance' }));
    const metrics = (listed.Metrics ?? []).map((m) => `${m.MetricName} ${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).sort().join(',')}`);
    expect(metrics).toEqual(expect.arrayContaining([`auc ModelVersion=1,Project=${PROJECT}`, `accuracy Project=${PROJECT}`, `calibration_error ModelVersion=1,Project=${PROJECT},Variant=batch`, `labelled_predictions ModelVersion=1,Project=${PROJECT}`]));
  });

  it('refuses a bad labels file with every problem, keeping the original and a report', async () => {
    fs.writeFileSync(path.join(work, 'bad.csv'), 'request_id,outcome\nr1,maybe\n,1\n');
    const before = await keys(`projects/${PROJECT}/labels/inbox/`);

    const run = await cli(['labels', 'put', PROJECT, 'bad.csv']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('line 2, column outcome ("maybe"): not an outcome: use 1/0, true/false or yes/no');
    expect(run.stdout).toContain('line 3, column request_id: no id to join on: set request_id');
    expect(run.stderr).toContain('bad.csv was refused: 2 problems');
    const after = await keys(`projects/${PROJECT}/labels/inbox/`);
    expect(after.filter((k) => !before.includes(k)).map((k) => k.replace(/^.*\/\d{8}T\d{6}Z-[0-9a-f]{8}-/, ''))).toEqual(['bad.csv']);
    expect(await keys(`projects/${PROJECT}/labels/rejected/`)).toHaveLength(1);
  });

  it('writes the report: registry, runs, drift per batch with its linked drift report, performance', async () => {
    const out = path.join(work, 'report');

    const run = await cli(['report', PROJECT, '--out', out, '--json']);

    expect(run.stderr).not.toContain('lumina:');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { htmlPath: string; batchReportPaths: string[]; summary: Record<string, unknown> };
    expect(result.htmlPath).toBe(path.join(out, 'index.html'));
    expect(result.summary).toMatchObject({ project: PROJECT, versions: 1, production: 1, monitoredBatches: 1, driftedBatches: 1, labelledOutcomes: expect.any(Number) });
    expect(result.summary.latestDriftScore).toBeGreaterThan(0.2);
    const html = fs.readFileSync(result.htmlPath, 'utf8');
    expect(html).toContain(`<h1>LuminaOps project ${PROJECT}</h1>`);
    expect(html).toMatch(/<td>v1<\/td><td><b class="ok">production<\/b><\/td>/);
    expect(html).toContain('TrainingPipeline');
    expect(html).toContain('InferencePipeline');
    expect(html).toContain('Drift score per batch (threshold 0.2)');
    expect(html).toMatch(/<span class="bad">age<\/span>/);
    expect(html).toContain('AUC per window');
    expect(result.batchReportPaths).toHaveLength(1);
    const href = /<a href="(drift\/drifted-[0-9a-f]{16}\.html)">/.exec(html)?.[1];
    expect(href && path.join(out, href)).toBe(result.batchReportPaths[0]);
    expect(fs.readFileSync(result.batchReportPaths[0], 'utf8')).toContain('<svg');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).summary).toEqual(result.summary);
  });

  it('serves the report as lumina up does, generated when opened', async () => {
    const server = await startReportServer(cloud, { dir: path.join(work, 'served') });
    try {
      const page = await fetch(`${server.url}${PROJECT}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Data drift per batch');
      const href = /<a href="(drift\/[^"]+\.html)">/.exec(html)?.[1];
      expect(href).toBeDefined();
      const drift = await fetch(`${server.url}${PROJECT}/${href}`);
      expect(drift.status).toBe(200);
      expect(drift.headers.get('content-type')).toBe('text/html; charset=utf-8');
    } finally {
      await server.close();
    }
  });
});
