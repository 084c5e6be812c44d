/**
 * A project that requires approved datasets (project.config.json `datasetApproval.required`):
 * a drop is validated and profiled but training stops, recorded and notified, until a model
 * approver approves that exact version; then `lumina train` (a manual start) trains on it.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { approveDatasetVersion } from '../../lambdas/core/datasets/dataset-registry';
import { listModelVersions } from '../../lambdas/core/registry/model-version';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { localAuditStore } from '../../local/cli/audit-store';
import { localRegistryStore } from '../../local/cli/registry-store';
import { generatePatients } from '../../local/demo/synthetic-patients';
import { releaseTestAssembly, testAssembly } from './test-assembly';

jest.setTimeout(240_000);

const PROJECT = 'approvals';

describe('training on an approved dataset version only', () => {
  let cloud: LocalCloud;
  let cdkOut: string | undefined;

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-approval-');
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    await cloud.createProject({ name: PROJECT, targetColumn: 'stopped_within_30d', entityIdColumn: 'patient_id', positiveLabel: '1' });
    const put = (key: string, value: unknown) => cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/${key}`, Body: JSON.stringify(value) }));
    await put('project.config.json', { datasetApproval: { required: true } });
    await put('training.json', { hyperparameters: { num_round: 20, max_depth: 3 } });
  });

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
  });

  it('stops before training with the reason until the version is approved, then trains on it', async () => {
    // Act: a drop into a project that requires approval
    await cloud.putData(PROJECT, 'training', 'patients.csv', Buffer.from(generatePatients({ patients: 800, seed: 3 }).csv));
    await cloud.waitForIdle();

    // Assess: profiled, recorded as a failure naming the version and how to approve it; nothing trained
    const [first] = cloud.listRuns(PROJECT);
    expect(first).toMatchObject({ status: 'FAILED', error: 'DatasetNotApproved' });
    const id = /dataset version (\S+) is not approved/.exec(first.cause ?? '')?.[1];
    expect(id).toBeDefined();
    expect(first.cause).toContain(`lumina dataset approve ${PROJECT} ${id}`);
    await expect(listModelVersions(localRegistryStore(cloud), PROJECT)).rejects.toThrow();

    // Act: a model approver approves that version; a manual start retrains on the latest dataset
    await approveDatasetVersion(PROJECT, id!, { principal: 'local:approver', persona: 'model-approver', source: 'cli' }, 'profile reviewed', {
      registry: localRegistryStore(cloud),
      audit: localAuditStore(cloud),
      now: () => new Date(),
      newId: randomUUID,
    });
    await cloud.startTraining(PROJECT);
    await cloud.waitForIdle();

    // Assess
    const [second] = cloud.listRuns(PROJECT);
    expect(second.status).toBe('SUCCEEDED');
    const versions = await listModelVersions(localRegistryStore(cloud), PROJECT);
    expect(versions.map((v) => [v.version, v.stage, v.datasetVersionId])).toEqual([[1, 'staging', id]]);
  });
});
