/**
 * `npm start` for now: the walking skeleton, end to end on the local cloud. Synthesizes the
 * app, boots the emulators in a fresh state directory, provisions the ML-project product
 * as "adherence", drops a seeded synthetic CSV of diabetic patients into its training
 * inbox (the pipeline validates and profiles it into a baseline), then a malformed CSV
 * (the pipeline records the rejection and keeps the file). The full demo (training,
 * serving, drift and retraining) replaces this as those issues land.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalCloud } from './cloud';

function syntheticPatients(rows: number, seed: number): string {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const brands = ['Glucora', 'Metforal', 'Insulex', 'Sitaglin'];
  const lines = ['patient_id,age,sex,hba1c,prior_gaps,brand,stopped_within_30d'];
  for (let i = 0; i < rows; i++) {
    const age = Math.round(35 + random() * 50);
    const hba1c = (5.5 + random() * 5).toFixed(1);
    const gaps = Math.floor(random() * 4);
    const brand = brands[Math.floor(random() * brands.length)];
    const risk = -2 + 0.5 * gaps + (brand === 'Insulex' ? 0.8 : 0) - (age - 60) * 0.01;
    const stopped = random() < 1 / (1 + Math.exp(-risk)) ? 1 : 0;
    lines.push(`P${String(i).padStart(6, '0')},${age},${random() < 0.5 ? 'F' : 'M'},${hba1c},${gaps},${brand},${stopped}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const step = (text: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${text}`);
  step('synthesizing the CDK app and booting the local cloud');
  const cloud = await startLocalCloud({});
  try {
    step(`local cloud up: S3 ${cloud.endpoints.s3}, DynamoDB ${cloud.endpoints.dynamodb}, state ${cloud.stateDir}`);
    const project = await cloud.createProject({ name: 'adherence', targetColumn: 'stopped_within_30d', entityIdColumn: 'patient_id', positiveLabel: '1' });
    step(`provisioned the ML-project product as ${project.stackName}`);

    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: 'projects/adherence/training/inbox/patients.csv', Body: syntheticPatients(5000, 42) }));
    await cloud.waitForIdle();
    const [good] = cloud.listRuns('adherence');
    step(`training drop (5,000 patients): pipeline ${good.status}`);
    const listed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: 'projects/adherence/datasets/' }));
    for (const object of listed.Contents ?? []) step(`  s3://${cloud.artifactBucket}/${object.Key} (${object.Size} bytes)`);

    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: 'projects/adherence/training/inbox/broken.csv', Body: 'patient_id,age,stopped_within_30d\nP1,50,0\nP2,61\n' }));
    await cloud.waitForIdle();
    const bad = cloud.listRuns('adherence').find((r) => (r.input as { key?: string }).key?.endsWith('broken.csv'));
    step(`malformed drop: pipeline ${bad?.status} (${bad?.error}): ${bad?.cause}`);
    if (good.status !== 'SUCCEEDED' || bad?.status !== 'FAILED') process.exitCode = 1;
  } finally {
    await cloud.stop();
  }
  step(process.exitCode ? 'walking skeleton FAILED' : 'walking skeleton done');
}

main().catch((error: Error) => {
  console.error(`lumina: ${error.message}`);
  process.exitCode = 1;
});
