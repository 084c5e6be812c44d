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
import { generatePatients } from './demo/synthetic-patients';

async function main(): Promise<void> {
  const t0 = Date.now();
  const step = (text: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${text}`);
  step('synthesizing the CDK app and booting the local cloud');
  const cloud = await startLocalCloud({});
  try {
    step(`local cloud up: S3 ${cloud.endpoints.s3}, DynamoDB ${cloud.endpoints.dynamodb}, state ${cloud.stateDir}`);
    const project = await cloud.createProject({ name: 'adherence', targetColumn: 'stopped_within_30d', entityIdColumn: 'patient_id', positiveLabel: '1' });
    step(`provisioned the ML-project product as ${project.stackName}`);

    const patients = generatePatients({ patients: 5000, seed: 42 });
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: 'projects/adherence/training/inbox/patients.csv', Body: patients.csv }));
    await cloud.waitForIdle();
    const [good] = cloud.listRuns('adherence');
    step(`training drop (${patients.patients.toLocaleString('en-US')} patients, ${patients.rows.toLocaleString('en-US')} prescriptions): pipeline ${good.status}`);
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
