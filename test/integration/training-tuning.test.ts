/**
 * Hyperparameter tuning end to end in the local cloud: a project whose training.json enables
 * tuning runs split → TuneModel (the local SageMaker's createHyperParameterTuningJob.sync: the
 * embedded tuner, four trials) → the best trial's model through convert, evaluate and
 * register, and the registered version's lineage names the best trial and its hyperparameters.
 * A tuning job whose every trial fails ends in a recorded, notified failure.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getModelVersion } from '../../lambdas/core/registry/model-version';
import { dynamoDbRegistryStore } from '../../lambdas/shared/dynamodb-registry-store';
import { PLATFORM_STACK_NAME } from '../../lib/app';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { ExecutionInfo } from '../../local/cloud-api';
import { releaseTestAssembly, testAssembly } from './test-assembly';

const PROJECT = 'tuned';

/** 300 patients: readmission depends on HbA1c and age, with a little noise. */
function patients(): string {
  let state = 7;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const rows = ['patient_id,age,sex,hba1c,readmitted'];
  for (let i = 0; i < 300; i++) {
    const age = 30 + Math.floor(random() * 50);
    const hba1c = 5 + random() * 5;
    const risk = (hba1c - 7.5) * 1.2 + (age - 55) * 0.06 + (random() - 0.5) * 1.5;
    rows.push(`p${i},${age},${random() < 0.5 ? 'F' : 'M'},${hba1c.toFixed(2)},${risk > 0 ? 'yes' : 'no'}`);
  }
  return `${rows.join('\n')}\n`;
}

const tuning = {
  enabled: true,
  strategy: 'Bayesian',
  maxTrainingJobs: 4,
  maxParallelTrainingJobs: 2,
  earlyStopping: 'Auto',
  objective: { metric: 'validation:auc', type: 'Maximize' },
  ranges: {
    eta: { type: 'continuous', min: 0.05, max: 0.4, scaling: 'Logarithmic' },
    max_depth: { type: 'integer', min: 2, max: 4 },
  },
};

interface TunedRunOutput {
  tuning: { jobName: string; status: string; trainingJobCounts: Record<string, number>; bestTrainingJob: { TrainingJobName: string; TunedHyperParameters: Record<string, string> } };
  training: { jobName: string; modelArtifacts: string; tuningJobName: string };
  registration: { result: { version: number; decision: string } };
}

describe('local cloud: a training run with hyperparameter tuning', () => {
  let cloud: LocalCloud;
  let cdkOut: string;
  const data = patients();

  const putConfig = (config: object) =>
    cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: `projects/${PROJECT}/config/training.json`, Body: JSON.stringify(config) }));
  const drop = async (name: string): Promise<ExecutionInfo> => {
    const key = `projects/${PROJECT}/training/inbox/${name}`;
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.artifactBucket, Key: key, Body: data }));
    await cloud.waitForIdle(120_000);
    const run = cloud.listRuns(PROJECT).find((r) => (r.input as { key?: string }).key === key);
    if (!run) throw new Error(`no run for ${key}`);
    return run;
  };

  beforeAll(async () => {
    cdkOut = testAssembly('lumina-it-tune-');
    cloud = await startLocalCloud({ cdkOut, alarmEvaluationIntervalMs: 0 });
    await cloud.createProject({ name: PROJECT, targetColumn: 'readmitted', entityIdColumn: 'patient_id', positiveLabel: 'yes' });
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
    releaseTestAssembly(cdkOut);
  });

  it("registers the best trial's model, with the best trial's name and hyperparameters in its lineage", async () => {
    await putConfig({ hyperparameters: { num_round: 27, eval_metric: 'auc', early_stopping_rounds: 10 }, seedCodeVersion: 'tune123', tuning });
    const run = await drop('tuned.csv');

    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const output = run.output as TunedRunOutput;
    const best = output.tuning.bestTrainingJob;
    expect(output.tuning).toMatchObject({ status: 'Completed', jobName: expect.stringMatching(/^tuned-[0-9a-f]{16}$/) });
    expect(Object.values(output.tuning.trainingJobCounts).reduce((a, b) => a + b, 0)).toBe(4);
    expect(best.TrainingJobName).toMatch(new RegExp(`^${output.tuning.jobName}-00[1-4]-[0-9a-f]{8}$`));
    const modelPrefix = `projects/${PROJECT}/runs/${run.name}/model/`;
    expect(output.training).toMatchObject({
      jobName: best.TrainingJobName,
      tuningJobName: output.tuning.jobName,
      modelArtifacts: `s3://${cloud.artifactBucket}/${modelPrefix}${best.TrainingJobName}/output/model.tar.gz`,
    });
    expect(output.registration.result).toMatchObject({ version: 1, decision: 'staging' });

    const store = dynamoDbRegistryStore(cloud.dynamodb, { registry: cloud.tableName('registry'), experiments: cloud.tableName('experiments') });
    const { record } = await getModelVersion(store, PROJECT, 1);
    expect(record.lineage).toMatchObject({ seedCodeVersion: 'tune123', training: { backend: 'embedded', jobName: best.TrainingJobName } });
    // The tuned values over the static ones: what the best trial trained with.
    expect(Object.keys(best.TunedHyperParameters).sort()).toEqual(['eta', 'max_depth']);
    expect(record.lineage.parameters).toEqual(expect.objectContaining({ ...best.TunedHyperParameters, num_round: '27', eval_metric: 'auc', early_stopping_rounds: '10' }));
    expect(record.lineage.parameters.eta).not.toBe('0.1');

    // Every trial wrote its model like a training job.
    const listed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: modelPrefix }));
    const trials = (listed.Contents ?? []).map((o) => o.Key!.slice(modelPrefix.length)).filter((k) => k.endsWith('/output/model.tar.gz'));
    expect(trials).toHaveLength(4);
    expect(trials).toContain(`${best.TrainingJobName}/output/model.tar.gz`);
  }, 120_000);

  it('records and notifies a tuning job whose trials all fail', async () => {
    await putConfig({ hyperparameters: { num_round: 9, eval_metric: 'auc', max_bin: 'many' }, tuning: { ...tuning, maxTrainingJobs: 2, maxParallelTrainingJobs: 1 } });
    const run = await drop('failing.csv');

    expect(run).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    const cause = JSON.parse(run.cause!) as { HyperParameterTuningJobStatus: string; FailureReason: string };
    expect(cause.HyperParameterTuningJobStatus).toBe('Failed');
    expect(cause.FailureReason).toMatch(/^No training job succeeded: .*max_bin: 'many' is not an integer/);
    const recorded = await cloud.dynamodb.send(
      new GetItemCommand({ TableName: cloud.tableName('operations'), Key: { pk: { S: `PROJECT#${PROJECT}` }, sk: { S: `RUN#${run.name}` } } }),
    );
    expect(recorded.Item).toMatchObject({ status: { S: 'FAILED' }, error: { S: 'States.TaskFailed' } });
    const topicArn = Object.values(cloud.stackOutputs(PLATFORM_STACK_NAME)).find((value) => value.includes(':sns:'))!;
    expect(cloud.topicMessages(topicArn).some((m) => m.Subject === `LuminaOps ${PROJECT}: training pipeline failed` && m.Message.includes('max_bin'))).toBe(true);
  }, 120_000);
});
