/**
 * The serving commands against the real local cloud, booted once: a project trained from a
 * data drop, its version 1 promoted with `lumina promote`, then `lumina train` (version 2, no
 * data drop), `lumina ab` (set, traffic per variant through `lumina predict`, ground truth
 * from `lumina labels put`, the significance test, stop), `lumina predict` of a good record
 * (scored) and a bad one (refused with every field), and `lumina runs` with a batch
 * inference run's progress. The CLI runs in-process over the running cloud.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listModelVersions } from '../../../lambdas/core/registry/model-version';
import { readStagePointers } from '../../../lambdas/core/registry/stage-pointers';
import { readAbConfig } from '../../../lambdas/core/serving/ab-testing';
import { localRegistryStore } from '../../../local/cli/registry-store';
import { type CliIo, runCli } from '../../../local/cli/main';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { generatePatients } from '../../../local/demo/synthetic-patients';
import { releaseTestAssembly, testAssembly } from '../test-assembly';

const PROJECT = 'adherence';
const TARGET = 'stopped_within_30d';
const NUMBERS = new Set(['age', 'bmi', 'hba1c', 'egfr', 'prior_gaps', 'prior_pdc', 'copay']);
const BOOLEANS = new Set(['hypertension', 'ckd', 'depression']);

type Row = Record<string, string | number | boolean>;

/** The generator's CSV as typed records (what a caller of the endpoint sends), with the label kept apart. */
function records(csv: string): { record: Row; outcome: 0 | 1 }[] {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const record: Row = {};
    let outcome: 0 | 1 = 0;
    columns.forEach((column, i) => {
      if (column === TARGET) outcome = cells[i] === '1' ? 1 : 0;
      else record[column] = NUMBERS.has(column) ? Number(cells[i]) : BOOLEANS.has(column) ? cells[i] === 'true' : cells[i];
    });
    return { record, outcome };
  });
}

describe('local cloud: lumina predict, train, ab and runs', () => {
  let cloud: LocalCloud;
  let cdkOut: string;
  let work: string;
  let io: CliIo;
  let out = '';
  let err = '';

  /** Runs one `lumina` command over the running cloud; returns its exit code, stdout and stderr. */
  const lumina = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const [outBefore, errBefore] = [out.length, err.length];
    const code = await runCli([...argv, '--state-dir', path.join(work, 'state')], io);
    return { code, stdout: out.slice(outBefore), stderr: err.slice(errBefore) };
  };

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-serving-cdk-');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-serving-'));
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    // The commands share this cloud: starting it returns it, and their stop leaves it running.
    const shared = new Proxy(cloud, {
      get(target, property) {
        if (property === 'stop') return async () => undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as LocalCloudApi;
    io = {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      env: { USER: 'tester' },
      cwd: work,
      startCloud: async () => shared,
      stopRequests: () => () => undefined,
    };

    await cloud.createProject({ name: PROJECT, targetColumn: TARGET, entityIdColumn: 'patient_id', positiveLabel: '1' });
    const config = { hyperparameters: { num_round: 40, max_depth: 3, eta: 0.3, seed: 7 }, seedCodeVersion: 'it' };
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/training.json`, Body: JSON.stringify(config) }));
    await cloud.putData(PROJECT, 'training', 'patients.csv', Buffer.from(generatePatients({ patients: 400, seed: 42 }).csv));
    await cloud.waitForIdle(120_000);
    const promoted = await lumina('promote', PROJECT, '1', '--stage', 'production', '--justification', 'integration test: no card review for synthetic data');
    expect(promoted.stderr).not.toContain('lumina:');
    expect(promoted.code).toBe(0);
    expect(await readStagePointers(localRegistryStore(cloud), PROJECT)).toMatchObject({ production: 1 });
  }, 180_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const newPatients = (seed: number, patients: number, first: number) => records(generatePatients({ patients, seed, firstPatient: first }).csv);

  it('train retrains on the latest accepted dataset and reports the registered version', async () => {
    const trained = await lumina('train', PROJECT);

    expect(trained.stderr).not.toContain('lumina:');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/^TrainingPipeline run \S+: SUCCEEDED in /);
    expect(trained.stdout).toMatch(/^ {2}version 2 (staged|rejected): auc 0\.\d{4} vs 0\.\d{4} for champion version 1$/m);
    const versions = await listModelVersions(localRegistryStore(cloud), PROJECT);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[1].trigger).toBe('manual');
  });

  // Runs before any other endpoint request, so no cached A/B configuration stands between the change and the traffic.
  it('ab sets a challenger that the endpoint serves, counts traffic per variant and tests significance on ground truth', async () => {
    const set = await lumina('ab', PROJECT, '--challenger', '2', '--split', '0.5');
    expect(set.stderr).not.toContain('lumina:');
    expect(set.code).toBe(0);
    expect(await readAbConfig(localRegistryStore(cloud), PROJECT)).toMatchObject({ champion: 1, challenger: 2, split: 0.5, updatedBy: 'local:tester' });
    const audit = await lumina('audit', PROJECT, '--action', 'ab.changed', '--json');
    expect(JSON.parse(audit.stdout).entries).toEqual([expect.objectContaining({ action: 'ab.changed', target: 'model:2', actor: 'local:tester', source: 'cli' })]);

    // 300 new patients' prescriptions in requests of 100 records (the endpoint's limit).
    const labelled = newPatients(11, 300, 600_000).slice(0, 300);
    const outcomes: string[] = ['request_id,outcome'];
    const served: Record<string, number> = { champion: 0, challenger: 0 };
    for (let start = 0; start < labelled.length; start += 100) {
      const batch = labelled.slice(start, start + 100);
      const file = path.join(work, `records-${start}.json`);
      fs.writeFileSync(file, JSON.stringify({ records: batch.map((b) => b.record) }));
      const answer = await lumina('predict', PROJECT, '--file', file, '--raw');
      expect(answer.code).toBe(0);
      const predictions = (JSON.parse(answer.stdout) as { predictions: { requestId: string; variant: string; modelVersion: number }[] }).predictions;
      predictions.forEach((p, i) => {
        served[p.variant] += 1;
        expect(p.modelVersion).toBe(p.variant === 'challenger' ? 2 : 1);
        outcomes.push(`${p.requestId},${batch[i].outcome}`);
      });
    }
    // Sticky hashing of 300 entity-keyed records at 0.5: well inside 0.35..0.65.
    expect(served.challenger / 300).toBeGreaterThan(0.35);
    expect(served.challenger / 300).toBeLessThan(0.65);

    const before = await lumina('ab', PROJECT, '--status', '--json');
    expect(before.code).toBe(0);
    const counted = JSON.parse(before.stdout);
    expect(counted).toMatchObject({ active: true, traffic: { champion: { predictions: served.champion }, challenger: { predictions: served.challenger }, other: 0 }, significance: null });
    expect((await lumina('ab', PROJECT, '--status')).stdout).toContain('No ground truth yet, so there is no significance test.');

    const labels = path.join(work, 'outcomes.csv');
    fs.writeFileSync(labels, `${outcomes.join('\n')}\n`);
    const put = await lumina('labels', 'put', PROJECT, labels);
    expect(put.stderr).not.toContain('lumina:');
    expect(put.code).toBe(0);

    const after = await lumina('ab', PROJECT, '--status', '--json');
    const status = JSON.parse(after.stdout);
    expect(status.groundTruth).toMatchObject({ uploads: 1, outcomes: 300, joined: 300 });
    expect(status.significance).toMatchObject({ champion: { n: served.champion }, challenger: { n: served.challenger } });
    expect(status.significance.test.pValue).toBeGreaterThanOrEqual(0);
    expect(['promote', 'keep-champion']).toContain(status.significance.recommendation);
    const text = (await lumina('ab', PROJECT, '--status')).stdout;
    expect(text).toContain('Two-proportion z-test on accuracy:');
    expect(text).toMatch(/^Recommendation: (PROMOTE version 2|DO NOT PROMOTE, keep the champion): /m);

    const stopped = await lumina('ab', PROJECT, '--stop');
    expect(stopped.code).toBe(0);
    expect(await readAbConfig(localRegistryStore(cloud), PROJECT)).toMatchObject({ champion: 1, challenger: null, split: 0, revision: 2 });
  });

  it('predict scores a good record through the function URL and refuses a bad one with every field', async () => {
    const [{ record }] = newPatients(3, 1, 500_000);

    const good = await lumina('predict', PROJECT, '--json', JSON.stringify(record));

    expect(good.stderr).not.toContain('lumina:');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ {2}probability {3}0\.\d{4}$/m);
    // Served by production, or by the challenger while the endpoint's 1 s A/B cache still holds the stopped test.
    expect(good.stdout).toMatch(/^ {2}model {9}version (1 \(champion\)|2 \(challenger\))$/m);
    expect(good.stdout).toContain(`Record 1 (entity ${String(record.patient_id)})`);
    expect(good.stdout).toMatch(/top risk factors \(contribution to the log-odds\)\n {4}COLUMN +VALUE +CONTRIBUTION +EFFECT\n {4}\w+/);

    const raw = await lumina('predict', PROJECT, '--json', JSON.stringify(record), '--raw');
    const answer = JSON.parse(raw.stdout) as { predictions: { probability: number; modelVersion: number; riskFactors: unknown[] }[] };
    expect(answer.predictions[0].probability).toBeGreaterThan(0);
    expect(answer.predictions[0].probability).toBeLessThan(1);
    expect(answer.predictions[0].riskFactors).toHaveLength(5);

    const { bmi: _dropped, ...withoutBmi } = record;
    const bad = await lumina('predict', PROJECT, '--json', JSON.stringify({ ...withoutBmi, age: 'old', smoker: true }));

    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/lumina: the endpoint refused the request \(HTTP 400, request [^)]+\): 3 problems/);
    expect(bad.stderr).toMatch(/^ {2}age: .+$/m);
    expect(bad.stderr).toMatch(/^ {2}bmi: .+$/m);
    expect(bad.stderr).toMatch(/^ {2}smoker: .+$/m);

    const typo = await lumina('predict', PROJECT, '--json', '{"age": 61,}');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--json is not valid JSON: Expected double-quoted property name at line 1, column 12');
  });

  it('runs shows a batch inference run with its chunks and rows', async () => {
    const batch = generatePatients({ patients: 150, seed: 21, firstPatient: 900_000, unlabelled: true });
    await cloud.putData(PROJECT, 'inference', 'december.csv', Buffer.from(batch.csv));
    await cloud.waitForIdle(120_000);

    const listed = await lumina('runs', PROJECT, '--json');

    const runs = JSON.parse(listed.stdout) as { status: string; input: { key?: string }; progress?: { chunksDone: number; chunksTotal: number; rowsScored: number; rowsRejected: number } }[];
    const inference = runs.find((r) => r.input.key?.endsWith('/inference/inbox/december.csv'));
    expect(inference).toMatchObject({ status: 'SUCCEEDED', progress: { rowsScored: batch.rows, rowsRejected: 0 } });
    expect(inference?.progress?.chunksDone).toBe(inference?.progress?.chunksTotal);
    const table = await lumina('runs', PROJECT);
    expect(table.stdout.split('\n')[0]).toMatch(/ PROGRESS +ERROR$/);
    expect(table.stdout).toContain(`${inference!.progress!.chunksTotal}/${inference!.progress!.chunksTotal} chunks, ${batch.rows.toLocaleString('en-US')} rows`);
  });
});
