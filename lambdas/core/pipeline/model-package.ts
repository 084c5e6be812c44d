/**
 * The model package of the training contract: what a training job leaves in
 * `<S3OutputPath>/<job>/output/model.tar.gz` (the seed-code script on SageMaker, the embedded
 * trainer in the local cloud) and how its parts are read.
 */
import * as z from 'zod';
import type { FittedEncoding } from '../ml/tabular';
import { parseEncoding } from '../ml/xgboost-json';

export const MODEL_PACKAGE_FILES = ['xgboost-model.json', 'metrics.json', 'encoding.json'] as const;
/** What the embedded trainer (the local SageMaker adapter) writes as metrics.json `engine`. */
export const EMBEDDED_ENGINE = 'luminaops-embedded';

/** The training output is not the package the contract describes. */
export class ModelPackageError extends Error {
  override readonly name = 'ModelPackageError';
}

export function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelPackageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

const FeatureSpecs = z.array(z.object({ name: z.string().min(1), column: z.string().min(1), type: z.enum(['float', 'categorical', 'boolean']) })).min(1);

/** encoding.json: the tabular encoding (lambdas/core/ml/tabular.ts FittedEncoding), validated. */
export function parseFittedEncoding(bytes: Uint8Array): FittedEncoding {
  const json = parseJson(bytes, 'encoding.json');
  const shape = z.object({ encodings: z.array(z.unknown()), features: FeatureSpecs }).safeParse(json);
  if (!shape.success) throw new ModelPackageError(`encoding.json: ${shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { features } = shape.data;
  if (shape.data.encodings.length !== features.length) {
    throw new ModelPackageError(`encoding.json has ${shape.data.encodings.length} encodings but ${features.length} features`);
  }
  const encodings = shape.data.encodings.map((e, i) => parseEncoding(e, `encodings[${i}]`, (path, reason) => new ModelPackageError(`encoding.json ${path}: ${reason}`)));
  encodings.forEach((e, i) => {
    if (e.column !== features[i].column) throw new ModelPackageError(`encoding.json encodings[${i}] is column ${e.column} but features[${i}] is ${features[i].column}`);
  });
  return { encodings, features };
}
