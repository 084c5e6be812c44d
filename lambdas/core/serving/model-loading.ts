/**
 * Loading a registered model version for serving: the registry's version item names its
 * artifacts (`artifacts.onnxKey`, the ONNX file; `artifacts.modelKey`, the XGBoost JSON the
 * ONNX was converted from), both are fetched from the artifact bucket in parallel, the ONNX
 * metadata gives the input contract, the ONNX bytes become an onnxruntime session and the
 * trees become the TreeSHAP explainer. The scorer's model-independent start (onnxruntime's
 * process-wide initialisation) runs while the artifacts download.
 */
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { readOnnxMetadata } from '../ml/onnx-metadata';
import { readXgboostJson } from '../ml/xgboost-json';
import { registryKeys } from '../registry/keys';
import { readStagePointers } from '../registry/stage-pointers';
import type { RegistryStore } from '../registry/store';
import type { ModelLoader, ProductionPointerSource } from './model-source';
import { buildServingModel, ModelLoadError, type ProbabilityScorer, type ServingModel } from './scoring';

/** ONNX bytes → a scorer (onnx-scorer.ts makes an onnxruntime-node session). */
export type ScorerFactory = (onnxBytes: Uint8Array) => Promise<ProbabilityScorer>;

/** Builds a ServingModel from a version's two artifacts. */
export async function loadServingModel(version: number, onnxBytes: Uint8Array, modelJson: Uint8Array | string, createScorer: ScorerFactory): Promise<ServingModel> {
  let metadata;
  let trees;
  try {
    metadata = readOnnxMetadata(onnxBytes);
    trees = readXgboostJson(modelJson);
  } catch (error) {
    throw new ModelLoadError(version, (error as Error).message);
  }
  const scorer = await createScorer(onnxBytes);
  return buildServingModel(version, metadata, trees, scorer);
}

const VersionArtifacts = z.object({
  artifacts: z.object({ onnxKey: z.string().min(1), modelKey: z.string().min(1) }),
  lineage: z.object({ featureGroups: z.array(z.object({ name: z.string().min(1), version: z.number().int().positive() })).optional() }).optional(),
});

/** The production pointer from the registry's STAGES item. */
export function registryProductionPointer(store: RegistryStore, project: string): ProductionPointerSource {
  return { readProduction: async () => (await readStagePointers(store, project)).production };
}

export interface RegistryModelLoaderOptions {
  readonly store: RegistryStore;
  readonly objects: ObjectStore;
  /** The bucket the registry's artifact keys point into. */
  readonly artifactBucket: string;
  readonly project: string;
  readonly createScorer: ScorerFactory;
  /**
   * The scorer's one-time start that needs no model (onnx-scorer.ts: prepareOnnxRuntime), run
   * while the artifacts download instead of inside the first createScorer. Its failure is not
   * the load's: createScorer meets the same problem and reports it.
   * @default - none
   */
  readonly prepareScorer?: () => Promise<void>;
}

export function registryModelLoader(options: RegistryModelLoaderOptions): ModelLoader {
  return {
    async load(version) {
      const item = await options.store.get('registry', registryKeys.version(options.project, version));
      if (!item) throw new ModelLoadError(version, `project ${options.project} has no such version in the registry`);
      const parsed = VersionArtifacts.safeParse(item);
      if (!parsed.success) throw new ModelLoadError(version, `the registry item has no artifacts.onnxKey / artifacts.modelKey (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
      const { onnxKey, modelKey } = parsed.data.artifacts;
      const downloads = Promise.all([options.objects.get(options.artifactBucket, onnxKey), options.objects.get(options.artifactBucket, modelKey)]);
      const prepared = options.prepareScorer?.().catch(() => undefined);
      const [onnxBytes, modelJson] = await downloads;
      await prepared;
      const model = await loadServingModel(version, onnxBytes, modelJson, options.createScorer);
      const featureGroups = parsed.data.lineage?.featureGroups ?? [];
      return featureGroups.length > 0 ? { ...model, featureGroups } : model;
    },
  };
}
