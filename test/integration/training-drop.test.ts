import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalCloudApi } from '../../local/cloud-api';
import { startLocalCloud } from '../../local/cloud';
import { releaseTestAssembly, testAssembly } from './test-assembly';

const GOOD = [
  'patient_id,age,brand,hba1c,prior_gaps,stopped_within_30d',
  ...Array.from({ length: 40 }, (_, i) => `p${i},${40 + (i % 40)},${['Glucora', 'Metforal', 'Insulex'][i % 3]},${(6 + (i % 7) * 0.4).toFixed(1)},${i % 4},${i % 3 === 0 ? 1 : 0}`),
].join('\n');

describe('local cloud: a CSV dropped in a provisioned project runs the training pipeline', () => {
  let cloud: LocalCloudApi;
  let cdkOut: string;

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-cdk-');
    cloud = await startLocalCloud({ cdkOut });
    await cloud.createProject({ name: 'adherence', targetColumn: 'stopped_within_30d', entityIdColumn: 'patient_id', positiveLabel: '1' });
  });

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
  });

  it('validates, profiles and writes the baseline for a good file', async () => {
    const key = 'projects/adherence/training/inbox/patients.csv';
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: GOOD }));
    await cloud.waitForIdle(120_000);

    const [run] = cloud.listRuns('adherence');
    expect(run).toMatchObject({ status: 'SUCCEEDED', input: expect.objectContaining({ key }) });
    const listed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: 'projects/adherence/datasets/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!.replace(/ds-[0-9a-f]{24}/, 'ID')).sort();
    expect(keys).toEqual([
      'projects/adherence/datasets/ID/baseline/constraints.json',
      'projects/adherence/datasets/ID/baseline/statistics.json',
      'projects/adherence/datasets/ID/data.csv',
      'projects/adherence/datasets/ID/profile.json',
    ]);
    const statsKey = listed.Contents!.find((o) => o.Key!.endsWith('statistics.json'))!.Key!;
    const stats = JSON.parse(await (await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: statsKey }))).Body!.transformToString());
    expect(stats.dataset.item_count).toBe(40);
  });

  it('records a rejection with its reason for a ragged file and keeps the upload', async () => {
    const key = 'projects/adherence/training/inbox/ragged.csv';
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: 'patient_id,age,stopped_within_30d\np1,50,0\np2,61\n' }));
    await cloud.waitForIdle(120_000);

    const run = cloud.listRuns('adherence').find((r) => (r.input as { key: string }).key === key);
    expect(run).toMatchObject({ status: 'FAILED', error: 'DatasetRejected' });
    expect(run?.cause).toMatch(/line 3/);
    const kept = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
    expect(await kept.Body!.transformToString()).toContain('p2,61');
  });
});
