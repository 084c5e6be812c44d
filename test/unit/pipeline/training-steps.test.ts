/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * The training steps on real data, chained the way the workflow chains them: split → the
 * local SageMaker training job → convert/verify ONNX → evaluate (with and without a
 * champion). Storage is an in-memory bucket; the SageMaker adapter gets an S3 client over it.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readTarGz, writeTarGz } from '../../../lambdas/core/archive/tar';
import { ModelPackageError, convertTrainedModel } from '../../../lambdas/core/pipeline/convert-model';
import { evaluateTrainedModel, labelsOf } from '../../../lambdas/core/pipeline/evaluate-model';
import { DatasetHashMismatchError, TrainingConfigError, splitTrainingDataset } from '../../../lambdas/core/pipeline/split-dataset';
import { readChannelCsv } from '../../../lambdas/core/pipeline/channel-csv';
import { runLayout } from '../../../lambdas/core/pipeline/run-layout';
import { tableFromCsv } from '../../../lambdas/core/ml/tabular';
import { sageMakerTaskAdapters, trainerParameters } from '../../../local/runtime/sagemaker-training';
import { BUCKET, EXECUTION, type MemoryStore, PROJECT, SPEC, memoryStore, patientsCsv, sha256 } from './pipeline-fixtures';

const DATASET_ID = 'ds-1';
const datasetKey = `projects/${PROJECT}/datasets/${DATASET_ID}/data.csv`;
const run = runLayout(PROJECT, 'run-1');
const modelOutputUri = `s3://${BUCKET}/${run.modelOutputPrefix}`;

/** The S3 calls the SageMaker adapter makes, served from the memory store. */
function s3Over(store: MemoryStore): S3Client {
  return {
    send: async (command: unknown) => {
      const input = (command as { input: Record<string, string> }).input;
      if (command instanceof GetObjectCommand) {
        const body = await store.get(input.Bucket, input.Key);
        return { Body: { transformToByteArray: async () => body } };
      }
      if (command instanceof ListObjectsV2Command) {
        const prefix = `${input.Bucket}/${input.Prefix}`;
        return { Contents: [...store.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => ({ Key: k.slice(input.Bucket.length + 1) })) };
      }
      if (command instanceof PutObjectCommand) {
        await store.put(input.Bucket, input.Key, input.Body as unknown as Uint8Array, 'application/gzip');
        return {};
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as S3Client;
}

async function split(store: MemoryStore, data: string) {
  return splitTrainingDataset({ executionId: EXECUTION, dataset: { datasetVersionId: DATASET_ID, sha256: sha256(data) }, modelOutputUri }, SPEC, { objects: store }, BUCKET);
}

function trainingRequest(result: Awaited<ReturnType<typeof split>>, hyperParameters: Record<string, string> = result.hyperParameters) {
  return {
    TrainingJobName: result.trainingJobName,
    RoleArn: 'arn:aws:iam::000000000000:role/training',
    AlgorithmSpecification: { TrainingImage: 'xgboost', TrainingInputMode: 'File' },
    HyperParameters: { sagemaker_program: 'train.py', sagemaker_submit_directory: 's3://x/sourcedir.tar.gz', ...hyperParameters },
    InputDataConfig: (['train', 'validation', 'test', 'encoding'] as const).map((c) => ({ ChannelName: c, DataSource: { S3DataSource: { S3Uri: result.channels[c], S3DataType: 'S3Prefix' } } })),
    OutputDataConfig: { S3OutputPath: modelOutputUri },
    ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.g5.xlarge', VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  };
}

const ctx = { stateName: 'TrainModel', executionArn: EXECUTION, resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync' };

describe('split step', () => {
  it('writes the channels, the encoding and the raw holdout, keeping each patient on one side', async () => {
    const data = patientsCsv();
    const store = memoryStore({ [datasetKey]: data, [`projects/${PROJECT}/config/training.json`]: JSON.stringify({ subgroupColumns: ['sex'], hyperparameters: { max_depth: 4 } }) });

    const result = await split(store, data);

    expect(result.rows.train + result.rows.validation + result.rows.test).toBe(480);
    expect(result).toMatchObject({ features: 4, positiveLabel: 'yes', subgroupColumns: ['sex'], primaryMetric: 'auc', runPrefix: run.prefix });
    expect(result.hyperParameters).toMatchObject({ max_depth: '4', objective: 'binary:logistic', num_round: '200' });
    expect(result.trainingJobName).toMatch(/^readmit-[0-9a-f]{16}$/);
    const train = readChannelCsv(store.text(run.channelData('train')), ['age', 'sex', 'hba1c', 'brand']);
    expect(train.labels.length).toBe(result.rows.train);
    expect(new Set(train.labels)).toEqual(new Set([0, 1]));
    const idsOf = (key: string): Set<string> => new Set(tableFromCsv(store.text(key)).columns[0].text as string[]);
    const holdoutIds = idsOf(run.holdout);
    expect(holdoutIds.size).toBe(result.entities.test);
    const encoding = JSON.parse(store.text(run.encoding));
    expect(encoding.encodings.find((e: { column: string }) => e.column === 'sex')).toMatchObject({ kind: 'categorical', categories: ['F', 'M'] });
    // The same data and seed split the same way on every run.
    const again = await split(memoryStore({ [datasetKey]: data }), data);
    expect(again.rows).toEqual(result.rows);
  });

  it('refuses a changed dataset copy, a bad configuration and an unknown subgroup column by name', async () => {
    const data = patientsCsv(20);
    await expect(split(memoryStore({ [datasetKey]: `${data}p999,50,F,7.0,Glucora,no\n` }), data)).rejects.toThrow(DatasetHashMismatchError);
    const configured = (config: object) => memoryStore({ [datasetKey]: data, [`projects/${PROJECT}/config/training.json`]: JSON.stringify(config) });
    await expect(split(configured({ primaryMetric: 'speed' }), data)).rejects.toThrow(/primaryMetric/);
    await expect(split(configured({ hyperparmeters: {} }), data)).rejects.toThrow(TrainingConfigError);
    await expect(split(configured({ subgroupColumns: ['site'] }), data)).rejects.toThrow(/column 'site'.*subgroup column/);
    await expect(
      splitTrainingDataset({ executionId: EXECUTION, dataset: { datasetVersionId: DATASET_ID, sha256: sha256(data) }, modelOutputUri: 's3://artifacts/elsewhere/' }, SPEC, { objects: configured({}) }, BUCKET),
    ).rejects.toThrow(/not this run's model prefix/);
  });
});

describe('local SageMaker training job', () => {
  it('maps every contract hyperparameter and refuses unknown ones as SageMaker refuses a request', () => {
    const mapped = trainerParameters({ num_round: '50', max_depth: '4', eta: '0.2', lambda: '2', alpha: '0.5', min_child_weight: '3', subsample: '0.8', colsample_bytree: '0.9', max_bin: '64', early_stopping_rounds: '5', seed: '7', scale_pos_weight: '2', objective: 'binary:logistic', eval_metric: 'logloss', sagemaker_program: 'train.py' });
    expect(mapped.params).toEqual({ nThreads: 1, nEstimators: 50, maxDepth: 4, learningRate: 0.2, lambda: 2, alpha: 0.5, minChildWeight: 3, subsample: 0.8, colsampleByTree: 0.9, maxBin: 64, earlyStoppingRounds: 5, seed: 7, scalePosWeight: 2 });
    expect(() => trainerParameters({ max_leaves: '8' })).toThrow(expect.objectContaining({ name: 'SageMaker.AmazonSageMakerException', message: expect.stringMatching(/max_leaves.*ValidationException/) }));
    expect(() => trainerParameters({ eta: 'fast' })).toThrow(/hyperparameter eta: 'fast' is not a finite number/);
  });

  it('trains from the channels and writes model.tar.gz with the three contract files', async () => {
    const data = patientsCsv();
    const store = memoryStore({ [datasetKey]: data });
    const result = await split(store, data);
    const adapter = sageMakerTaskAdapters({ s3: s3Over(store) })['arn:aws:states:::sagemaker:createTrainingJob.sync'];

    const job = (await adapter(trainingRequest(result, { ...result.hyperParameters, num_round: '30' }), ctx)) as Record<string, any>;

    const artifact = `${run.modelOutputPrefix}${result.trainingJobName}/output/model.tar.gz`;
    expect(job).toMatchObject({ TrainingJobName: result.trainingJobName, TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: `s3://${BUCKET}/${artifact}` } });
    expect(job.FinalMetricDataList.map((m: { MetricName: string }) => m.MetricName)).toEqual(['train:logloss', 'validation:logloss']);
    const files = readTarGz(store.objects.get(`${BUCKET}/${artifact}`)!);
    expect(files.map((f) => f.name)).toEqual(['xgboost-model.json', 'metrics.json', 'encoding.json']);
    expect(JSON.parse(new TextDecoder().decode(files[1].data))).toMatchObject({ engine: 'luminaops-embedded', validation: { logloss: expect.any(Number) } });
    // A second job with the same name is refused, like SageMaker's ResourceInUse.
    await expect(adapter(trainingRequest(result), ctx)).rejects.toMatchObject({ name: 'SageMaker.ResourceInUseException' });
  });

  it('writes metrics.json in the seed-code shape and reports auc when eval_metric asks, ignoring the tuning job\'s own hyperparameter', async () => {
    const data = patientsCsv();
    const store = memoryStore({ [datasetKey]: data });
    const result = await split(store, data);
    const adapter = sageMakerTaskAdapters({ s3: s3Over(store) })['arn:aws:states:::sagemaker:createTrainingJob.sync'];
    const hyperParameters = { ...result.hyperParameters, num_round: '20', eval_metric: 'auc', _tuning_objective_metric: 'validation:auc' };
    const job = (await adapter({ ...trainingRequest(result, hyperParameters), TrainingJobName: `${result.trainingJobName}-auc` }, ctx)) as Record<string, any>;
    const metrics = job.FinalMetricDataList as { MetricName: string; Value: number }[];
    expect(metrics.map((m) => m.MetricName)).toEqual(['train:auc', 'validation:auc']);
    for (const m of metrics) expect(m.Value).toBeGreaterThan(0.5);
    const artifact = `${run.modelOutputPrefix}${result.trainingJobName}-auc/output/model.tar.gz`;
    const document = JSON.parse(new TextDecoder().decode(readTarGz(store.objects.get(`${BUCKET}/${artifact}`)!)[1].data));
    expect(document).toMatchObject({ objective: 'binary:logistic', eval_metric: 'auc', higher_is_better: true, early_stopping_metric: 'logloss', device: 'cpu' });
    expect(document.validation.auc).toBe(metrics[1].Value);
    expect(document.best_score).toBe(metrics[1].Value);
    expect(document.history.train.logloss).toHaveLength(document.rounds);
    expect(() => trainerParameters({ eval_metric: 'error' })).toThrow(/eval_metric: 'error' is not supported by the embedded trainer.*logloss, auc/);
  });

  it('fails the job (States.TaskFailed with the DescribeTrainingJob cause) when the trainer rejects a value', async () => {
    const data = patientsCsv(40);
    const store = memoryStore({ [datasetKey]: data });
    const result = await split(store, data);
    const adapter = sageMakerTaskAdapters({ s3: s3Over(store) })['arn:aws:states:::sagemaker:createTrainingJob.sync'];

    const failure = await adapter(trainingRequest(result, { ...result.hyperParameters, subsample: '1.5' }), ctx).catch((e: Error) => e);

    expect(failure).toMatchObject({ name: 'States.TaskFailed' });
    const cause = JSON.parse((failure as Error).message);
    expect(cause).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: expect.stringMatching(/TrainingInputError: params.subsample/) });
  });
});

describe('convert and evaluate steps', () => {
  async function trainedRun(hyperParameters: Record<string, string> = {}) {
    const data = patientsCsv();
    const store = memoryStore({ [datasetKey]: data, [`projects/${PROJECT}/config/training.json`]: JSON.stringify({ subgroupColumns: ['sex'] }) });
    const result = await split(store, data);
    const adapter = sageMakerTaskAdapters({ s3: s3Over(store) })['arn:aws:states:::sagemaker:createTrainingJob.sync'];
    const job = (await adapter(trainingRequest(result, { ...result.hyperParameters, num_round: '40', ...hyperParameters }), ctx)) as { ModelArtifacts: { S3ModelArtifacts: string } };
    return { store, result, modelArtifacts: job.ModelArtifacts.S3ModelArtifacts };
  }

  it('converts to ONNX, verifies it on holdout rows within 1e-6, and evaluates with subgroups and importance', async () => {
    const { store, result, modelArtifacts } = await trainedRun();

    const converted = await convertTrainedModel({ executionId: EXECUTION, modelArtifacts }, PROJECT, { objects: store }, BUCKET);
    expect(converted).toMatchObject({ modelKey: run.modelJson, onnxKey: run.onnx, backend: 'embedded', verifiedRows: result.rows.test });
    expect(converted.maxAbsDiff).toBeLessThanOrEqual(1e-6);
    expect(store.objects.get(`${BUCKET}/${run.onnx}`)!.length).toBeGreaterThan(1000);

    const evaluation = await evaluateTrainedModel(
      { executionId: EXECUTION, modelKey: converted.modelKey, positiveLabel: 'yes', primaryMetric: 'auc', subgroupColumns: ['sex'] },
      SPEC,
      { objects: store, findChampion: async () => undefined },
      BUCKET,
    );
    expect(evaluation.metrics.auc).toBeGreaterThan(0.75);
    expect(evaluation.champion).toBeNull();
    expect(evaluation.holdoutRows).toBe(result.rows.test);
    expect(evaluation.subgroupMetrics.sex.groups.map((g) => g.group).sort()).toEqual(['F', 'M']);
    const importance = JSON.parse(store.text(run.importance));
    expect(importance.columns[0].column).toBe('hba1c');
    expect(importance.columns.map((c: { column: string }) => c.column).sort()).toEqual(['age', 'brand', 'hba1c', 'sex']);

    // The model itself as champion scores exactly what the challenger scores on the same rows.
    const versus = await evaluateTrainedModel(
      { executionId: EXECUTION, modelKey: converted.modelKey, positiveLabel: 'yes', primaryMetric: 'auc', subgroupColumns: [] },
      SPEC,
      { objects: store, findChampion: async () => ({ version: 1, modelKey: converted.modelKey }) },
      BUCKET,
    );
    expect(versus.champion).toEqual({ version: 1, metrics: versus.metrics });
  });

  it('fails the conversion for a package without its encoding, naming the missing file', async () => {
    const { store, modelArtifacts } = await trainedRun();
    const key = modelArtifacts.slice(`s3://${BUCKET}/`.length);
    const files = readTarGz(store.objects.get(`${BUCKET}/${key}`)!).filter((f) => f.name !== 'encoding.json');
    await store.put(BUCKET, key, writeTarGz(files), 'application/gzip');

    await expect(convertTrainedModel({ executionId: EXECUTION, modelArtifacts }, PROJECT, { objects: store }, BUCKET)).rejects.toThrow(ModelPackageError);
    await expect(convertTrainedModel({ executionId: EXECUTION, modelArtifacts }, PROJECT, { objects: store }, BUCKET)).rejects.toThrow(/lacks encoding\.json/);
  });

  it('reads labels of a one-class holdout by the positive label (yes/1/true spellings)', () => {
    const table = tableFromCsv('id,y\na,Yes\nb,1\nc,no\nd,TRUE\n');
    expect(Array.from(labelsOf(table, 'y', 'yes'))).toEqual([1, 1, 0, 1]);
    expect(Array.from(labelsOf(tableFromCsv('id,y\na,1.0\nb,0\n'), 'y', '1'))).toEqual([1, 0]);
  });
});
