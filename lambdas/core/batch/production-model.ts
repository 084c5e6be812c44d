/**
 * Which model batch inference scores with: the registry's production stage pointer
 * (lambdas/core/registry, `STAGES` item) and that version's ONNX artifact. A run remembers
 * the model it started with, so a resumed run scores with the same version even if
 * production moved in between.
 */
import type { RegistryStore } from '../registry/store';
import { registryKeys } from '../registry/keys';
import { readStagePointers } from '../registry/stage-pointers';
import { BatchStateError } from './errors';

export interface ModelReference {
  readonly version: number;
  /** The ONNX model's key in the artifact bucket. */
  readonly onnxKey: string;
  /** The training baseline the monitor compares the batch with (registry artifacts). */
  readonly baseline?: { readonly statistics: string; readonly constraints: string };
}

export interface ProductionModelSource {
  /** The production version and its ONNX key; undefined when nothing is in production. */
  production(project: string): Promise<ModelReference | undefined>;
}

export function registryProductionModelSource(store: RegistryStore): ProductionModelSource {
  return {
    async production(project) {
      const pointers = await readStagePointers(store, project);
      if (pointers.production === null) return undefined;
      const item = await store.get('registry', registryKeys.version(project, pointers.production));
      const artifacts = (item?.artifacts ?? {}) as { onnxKey?: unknown; baselineStatisticsKey?: unknown; baselineConstraintsKey?: unknown };
      const onnxKey = artifacts.onnxKey;
      if (typeof onnxKey !== 'string' || onnxKey === '') {
        throw new BatchStateError(`project ${project}: production version ${pointers.production} has no artifacts.onnxKey in the registry`);
      }
      const { baselineStatisticsKey: statistics, baselineConstraintsKey: constraints } = artifacts;
      const baseline = typeof statistics === 'string' && typeof constraints === 'string' ? { statistics, constraints } : undefined;
      return { version: pointers.production, onnxKey, ...(baseline ? { baseline } : {}) };
    },
  };
}
