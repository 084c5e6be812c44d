/**
 * The convert step: unpacks the training job's `model.tar.gz` (`xgboost-model.json`,
 * `metrics.json`, `encoding.json`), attaches the run's encoding to the model, converts it to
 * ONNX and checks on sample holdout rows that onnxruntime scores exactly like the engine
 * (within 1e-6), then writes the ONNX model, the model JSON (now carrying its encoding, so
 * any later run can score it on raw rows) and the training metrics under the run prefix.
 * A mismatch fails the run with the row and the difference.
 */
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { TarFormatError, readTarGz } from '../archive/tar';
import type { GbdtModel } from '../ml/model';
import { convertToOnnx, verifyOnnxConversion } from '../ml/onnx';
import { readXgboostJson, writeXgboostJson } from '../ml/xgboost-json';
import { readChannelCsv } from './channel-csv';
import { EMBEDDED_ENGINE, MODEL_PACKAGE_FILES, ModelPackageError, parseFittedEncoding, parseJson } from './model-package';

export { EMBEDDED_ENGINE, ModelPackageError } from './model-package';
import { parseS3Uri, runIdOf, runLayout } from './run-layout';

const DEFAULT_SAMPLE_ROWS = 256;
const TOLERANCE = 1e-6;

export const ConvertStepInput = z.object({
  executionId: z.string().min(1),
  /** The training job's ModelArtifacts.S3ModelArtifacts. */
  modelArtifacts: z.string().min(1),
  /** @default 256 */
  sampleRows: z.number().int().min(1).max(10_000).optional(),
});
export type ConvertStepInput = z.output<typeof ConvertStepInput>;

export interface ConvertStepResult {
  readonly modelKey: string;
  readonly onnxKey: string;
  readonly trainingMetricsKey: string;
  readonly backend: 'sagemaker' | 'embedded';
  readonly trees: number;
  readonly bestIteration: number | null;
  readonly verifiedRows: number;
  readonly maxAbsDiff: number;
  readonly tolerance: number;
}

const TrainingMetrics = z.looseObject({
  best_iteration: z.number().int().nonnegative().nullish(),
  train: z.record(z.string(), z.unknown()).optional(),
  validation: z.record(z.string(), z.unknown()).optional(),
  engine: z.string().optional(),
});

export async function convertTrainedModel(input: ConvertStepInput, projectName: string, deps: { readonly objects: ObjectStore }, bucket: string): Promise<ConvertStepResult> {
  const run = runLayout(projectName, runIdOf(input.executionId));
  const artifact = parseS3Uri(input.modelArtifacts, 'modelArtifacts');
  if (artifact.bucket !== bucket || !artifact.key.startsWith(run.modelOutputPrefix)) {
    throw new ModelPackageError(`modelArtifacts ${input.modelArtifacts} is not under this run's model prefix s3://${bucket}/${run.modelOutputPrefix}`);
  }
  const files = unpack(await deps.objects.get(bucket, artifact.key), input.modelArtifacts);
  const encoding = parseFittedEncoding(files.get('encoding.json')!);
  const metrics = parseJson(files.get('metrics.json')!, 'metrics.json');
  const trainingMetrics = TrainingMetrics.safeParse(metrics);
  if (!trainingMetrics.success) throw new ModelPackageError(`metrics.json: ${trainingMetrics.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  const trained = readXgboostJson(files.get('xgboost-model.json')!);
  if (trained.features.length !== encoding.features.length) {
    throw new ModelPackageError(`xgboost-model.json has ${trained.features.length} features but encoding.json has ${encoding.features.length}`);
  }
  const model: GbdtModel = { ...trained, features: encoding.features, encodings: encoding.encodings };
  const onnx = convertToOnnx(model, { graphName: `${projectName}-${run.runId}` });

  const sample = readChannelCsv(new TextDecoder().decode(await deps.objects.get(bucket, run.channelData('test'))), encoding.features.map((f) => f.name));
  const nRows = Math.min(sample.features.nRows, input.sampleRows ?? DEFAULT_SAMPLE_ROWS);
  const rows = sample.features.values.subarray(0, nRows * sample.features.nCols);
  const verification = await verifyOnnxConversion(model, onnx, rows, { tolerance: TOLERANCE });

  await deps.objects.put(bucket, run.modelJson, writeXgboostJson(model), 'application/json');
  await deps.objects.put(bucket, run.onnx, onnx, 'application/octet-stream');
  await deps.objects.put(bucket, run.trainingMetrics, JSON.stringify(metrics, null, 2), 'application/json');
  return {
    modelKey: run.modelJson,
    onnxKey: run.onnx,
    trainingMetricsKey: run.trainingMetrics,
    backend: trainingMetrics.data.engine === EMBEDDED_ENGINE ? 'embedded' : 'sagemaker',
    trees: model.trees.length,
    bestIteration: model.bestIteration ?? trainingMetrics.data.best_iteration ?? null,
    verifiedRows: verification.rows,
    maxAbsDiff: verification.maxAbsDiff,
    tolerance: verification.tolerance,
  };
}

function unpack(archive: Uint8Array, uri: string): Map<string, Uint8Array> {
  let entries;
  try {
    entries = readTarGz(archive);
  } catch (error) {
    if (error instanceof TarFormatError) throw new ModelPackageError(`${uri} is not a readable model.tar.gz: ${error.message}`);
    throw error;
  }
  const files = new Map(entries.map((e) => [e.name.slice(e.name.lastIndexOf('/') + 1), e.data]));
  const missing = MODEL_PACKAGE_FILES.filter((name) => !files.has(name));
  if (missing.length > 0) {
    throw new ModelPackageError(`${uri} lacks ${missing.join(', ')} (it holds ${entries.map((e) => e.name).join(', ') || 'nothing'})`);
  }
  return files;
}

