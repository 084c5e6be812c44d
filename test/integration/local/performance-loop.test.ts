/**
 * The ground-truth half of the closed loop on the real local cloud: a model in production
 * answers endpoint requests, a CSV of outcomes dropped under the project's labels drop prefix
 * starts the labels pipeline (S3 → EventBridge → Step Functions → the IngestLabels bundle),
 * whose performance metrics take the performance floor alarm to ALARM; its rule retrains
 * (the alarm in the new version's lineage) and tells the alerts topic; the project's alert
 * email receives CloudWatch's own alarm notification and the rule's message through the
 * subscription's filter policy (test/unit/local/sns-filter-policy.test.ts shows what it keeps
 * out). A refused labels file fails
 * the pipeline with the problems in the notification and the original kept.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { PerformanceResultSchema } from '../../../lambdas/core/performance/performance-summary';
import { getModelVersion, listModelVersions } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import { generatePatients } from '../../../local/demo/synthetic-patients';
import { releaseTestAssembly, testAssembly } from '../test-assembly';

const PROJECT = 'floor';
const TARGET = 'stopped_within_30d';
const EMAIL = 'ml-team@example.org';
const FLOOR_ALARM = `${PROJECT}-performance-floor`;

function rowsOf(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])));
}

describe('local cloud: labels drop → performance floor alarm → retraining and alert email', () => {
  let cloud: LocalCloud;
  let cdkOut: string | undefined;
  let work: string;
  // CloudWatch judges a period once it has ended; the test moves the local CloudWatch clock to the next minute.
  let skewMs = 0;
  const advanceToNextEvaluation = (): void => {
    skewMs = Math.ceil((Date.now() + skewMs) / 60_000) * 60_000 + 1_000 - Date.now();
  };
  let served: { requestId: string; probability: number }[] = [];

  const put = async (key: string, body: string): Promise<void> => {
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: body }));
  };
  const text = async (key: string): Promise<string> => (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }))).Body!.transformToString();
  const keys = async (prefix: string): Promise<string[]> => ((await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const labelsRuns = () => cloud.listRuns(PROJECT).filter((r) => r.stateMachineArn === cloud.project(PROJECT).outputs.LabelsPipelineArn);
  const registry = () => dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-floor-'));
    cdkOut = testAssembly('lumina-it-floor-cdk-');
    cloud = await startLocalCloud({ cdkOut, stateDir: path.join(work, 'state'), alarmEvaluationIntervalMs: 0, clock: () => new Date(Date.now() + skewMs) });
    await cloud.createProject({ name: PROJECT, targetColumn: TARGET, entityIdColumn: 'patient_id', positiveLabel: '1', alertEmail: EMAIL, performanceFloorAuc: 0.7 });
    await put(`projects/${PROJECT}/config/training.json`, JSON.stringify({ hyperparameters: { num_round: 20, max_depth: 3, eta: 0.3 }, retraining: { coolDownMinutes: 0 } }));
    await cloud.putData(PROJECT, 'training', 'patients.csv', new TextEncoder().encode(generatePatients({ patients: 600, seed: 11 }).csv));
    await cloud.waitForIdle(120_000);
    await setStage(registry(), PROJECT, 1, 'production', 'test:performance-loop', 'production for the performance floor test', { now: () => new Date() });

    const patients = rowsOf(generatePatients({ patients: 30, seed: 44, firstPatient: 70_000 }).csv);
    const typed = (cell: string): string | number | boolean => (/^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell === 'true' || cell === 'false' ? cell === 'true' : cell);
    const records = patients.map(({ [TARGET]: _label, patient_id, ...features }) => ({ patient_id, ...Object.fromEntries(Object.entries(features).map(([k, v]) => [k, typed(v)])) }));
    const response = await fetch(cloud.project(PROJECT).outputs.EndpointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lumina-principal': cloud.personaRoleArn('dataScientist') },
      body: JSON.stringify({ records }),
    });
    const answer = (await response.json()) as { predictions?: { requestId: string; probability: number }[] };
    if (!response.ok || !answer.predictions) throw new Error(`the endpoint answered ${response.status}: ${JSON.stringify(answer).slice(0, 2000)}`);
    served = answer.predictions;
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('ingests a labels drop, alarms below the floor, retrains with the alarm in the lineage and emails the team', async () => {
    // Prepare: outcomes that contradict the model (the least likely half did stop), so the AUC is far below 0.7.
    const ranked = [...served].sort((a, b) => a.probability - b.probability);
    const outcomes = ranked.map((p, i) => `${p.requestId},${i < ranked.length / 2 ? 1 : 0}`);
    const before = new Set(cloud.listRuns(PROJECT).map((r) => r.executionArn));

    // Act: drop the file; then CloudWatch's next evaluation.
    await put(`projects/${PROJECT}/labels/incoming/week-49.csv`, `request_id,outcome\n${outcomes.join('\n')}\n`);
    await cloud.waitForIdle(60_000);
    advanceToNextEvaluation();
    const transitions = cloud.evaluateAlarms();
    await cloud.waitForIdle(180_000);

    // Assess: the labels pipeline ran the bundle and published the performance.
    const [labelsRun] = labelsRuns();
    expect(labelsRun).toMatchObject({ status: 'SUCCEEDED', input: expect.objectContaining({ key: `projects/${PROJECT}/labels/incoming/week-49.csv`, trigger: 's3' }) });
    const stepResult = (labelsRun.output as { labels: { accepted: boolean; joined: number; latest: { auc: number } } }).labels;
    expect(stepResult).toMatchObject({ accepted: true, joined: served.length });
    expect(stepResult.latest.auc).toBeLessThan(0.2);
    const performance = PerformanceResultSchema.parse(JSON.parse(await text(`projects/${PROJECT}/performance/performance.json`)));
    expect(performance.joined.total).toBe(served.length);
    const listed = await cloud.cloudwatch.send(new ListMetricsCommand({ Namespace: 'LuminaOps/ModelPerformance', MetricName: 'auc' }));
    expect((listed.Metrics ?? []).some((m) => m.Dimensions?.length === 1 && m.Dimensions[0].Value === PROJECT)).toBe(true);

    // The floor alarm went to ALARM, and its rule started a retraining that records it.
    expect(transitions.map((t) => [t.alarm.name, t.next.value])).toContainEqual([FLOOR_ALARM, 'ALARM']);
    expect(cloud.alarmState(FLOOR_ALARM)).toBe('ALARM');
    const retraining = cloud.listRuns(PROJECT).filter((r) => !before.has(r.executionArn) && (r.input as { trigger?: string }).trigger === 'alarm');
    expect(retraining).toHaveLength(1);
    expect(retraining[0]).toMatchObject({ status: 'SUCCEEDED', input: { alarm: expect.objectContaining({ name: FLOOR_ALARM }) } });
    const challenger = (await listModelVersions(registry(), PROJECT)).find((v) => v.executionId === retraining[0].executionArn);
    expect(challenger).toBeDefined();
    const { record } = await getModelVersion(registry(), PROJECT, challenger!.version);
    expect(record.lineage.trigger).toMatchObject({ type: 'alarm', alarm: { name: FLOOR_ALARM, driftedFeatures: [] } });

    // The alert email (through the subscription's filter policy): CloudWatch's notification of the floor alarm and the rule's message.
    const mail = cloud.mailbox(EMAIL).map((m) => JSON.parse(m.message) as Record<string, unknown>);
    expect(mail).toContainEqual(expect.objectContaining({ AlarmName: FLOOR_ALARM, NewStateValue: 'ALARM' }));
    expect(mail).toContainEqual(expect.objectContaining({ project: PROJECT, event: 'performance-alarm', alarm: FLOOR_ALARM, action: 'retraining started' }));
    expect(mail.filter((m) => m.project !== undefined && m.project !== PROJECT)).toEqual([]);
    expect(mail.filter((m) => m.AlarmName !== undefined && m.AlarmName !== FLOOR_ALARM && m.AlarmName !== `${PROJECT}-drift`)).toEqual([]);
  }, 300_000);

  it('fails the labels pipeline on a refused file, emailing the problems and keeping the original', async () => {
    const runsBefore = labelsRuns().length;
    const body = 'request_id,outcome\nr-1,maybe\n';
    await put(`projects/${PROJECT}/labels/incoming/typo.csv`, body);
    await cloud.waitForIdle(60_000);

    const runs = labelsRuns();
    expect(runs).toHaveLength(runsBefore + 1);
    expect(runs[0]).toMatchObject({ status: 'FAILED', error: 'LabelsRefused' });
    const refused = cloud.mailbox(EMAIL).map((m) => JSON.parse(m.message) as Record<string, unknown>).find((m) => m.event === 'labels-refused');
    expect(refused).toMatchObject({ project: PROJECT, object: `projects/${PROJECT}/labels/incoming/typo.csv`, problemCount: 1, problems: [expect.objectContaining({ line: 2, column: 'outcome' })] });
    const kept = (await keys(`projects/${PROJECT}/labels/inbox/`)).filter((k) => k.endsWith('-typo.csv'));
    expect(kept).toHaveLength(1);
    expect(await text(kept[0])).toBe(body);
    expect(await text(`projects/${PROJECT}/labels/incoming/typo.csv`)).toBe(body);
  }, 120_000);

  it("checks the endpoint's last day of predictions against the production baseline on its daily schedule", async () => {
    // Act: a day (and a bit) passes on the local clock; the project's schedule rule invokes the monitor bundle.
    skewMs += 86_400_000 + 120_000;
    const fired = await cloud.runDueSchedules();
    await cloud.waitForIdle(60_000);

    // Assess: one daily check, with reports of the endpoint's production traffic under monitoring/endpoint/.
    expect(fired.map((f) => f.ruleName)).toEqual([expect.stringContaining('DataQualityEndpoint')]);
    const written = await keys(`projects/${PROJECT}/monitoring/endpoint/`);
    expect(written.map((k) => k.split('/').pop()).sort()).toEqual(['constraint_violations.json', 'metrics.json', 'report.html', 'statistics.json']);
    // The window ends at the scheduled event's time (the rule's input transformer passes it), so a retry would check the same window.
    const windowEnd = new Date(Math.floor(fired[0].at.getTime() / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    expect(written.every((k) => k.startsWith(`projects/${PROJECT}/monitoring/endpoint/${windowEnd}/`))).toBe(true);
    expect(JSON.parse(await text(written.find((k) => k.endsWith('metrics.json'))!))).toMatchObject({ requests: 1 });
    const statistics = JSON.parse(await text(written.find((k) => k.endsWith('statistics.json'))!)) as { dataset: { item_count: number }; features: { name: string }[] };
    expect(statistics.dataset.item_count).toBe(served.length);
    expect(statistics.features.map((f) => f.name)).toContain('age');
  }, 120_000);
});
