/**
 * The benchmarks' training set: a seeded make_classification-like binary set (after
 * scikit-learn's generator), 30 features: 10 informative (two Gaussian clusters per class
 * around vertices of a hypercube of side 2, each cluster with its own random linear
 * mixing), 5 redundant (random linear combinations of the informative ones), 15 pure
 * noise; 1% of labels replaced by coin flips; columns in a seeded random order.
 * bench/train.ts trains on it side by side with XGBoost; the scoring and TreeSHAP
 * benchmarks measure the model trained on it.
 */
import { seededRandom } from './synthetic-gbdt-model';

export const FEATURES = 30;
const INFORMATIVE = 10;
const REDUNDANT = 5;
const CLUSTERS_PER_CLASS = 2;
const FLIP = 0.01;

export interface Dataset {
  readonly values: Float32Array;
  readonly labels: Float64Array;
}

export function makeClassification(nRows: number, seed: number): Dataset {
  const random = seededRandom(seed);
  const gaussian = (): number => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const nClusters = 2 * CLUSTERS_PER_CLASS;
  const vertices = new Set<number>();
  while (vertices.size < nClusters) vertices.add(Math.floor(random() * 2 ** INFORMATIVE));
  const centroids = [...vertices].map((v) => Array.from({ length: INFORMATIVE }, (_, i) => ((v >> i) & 1 ? 1 : -1)));
  const mixing = centroids.map(() => Array.from({ length: INFORMATIVE * INFORMATIVE }, () => 2 * random() - 1));
  const redundant = Array.from({ length: INFORMATIVE * REDUNDANT }, () => 2 * random() - 1);
  const columnOrder = Array.from({ length: FEATURES }, (_, i) => i);
  for (let i = FEATURES - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [columnOrder[i], columnOrder[j]] = [columnOrder[j], columnOrder[i]];
  }

  const values = new Float32Array(nRows * FEATURES);
  const labels = new Float64Array(nRows);
  const row = new Float64Array(FEATURES);
  const z = new Float64Array(INFORMATIVE);
  for (let r = 0; r < nRows; r++) {
    const cluster = Math.floor(random() * nClusters);
    for (let i = 0; i < INFORMATIVE; i++) z[i] = gaussian();
    for (let i = 0; i < INFORMATIVE; i++) {
      let x = centroids[cluster][i];
      for (let k = 0; k < INFORMATIVE; k++) x += z[k] * mixing[cluster][k * INFORMATIVE + i];
      row[i] = x;
    }
    for (let j = 0; j < REDUNDANT; j++) {
      let x = 0;
      for (let i = 0; i < INFORMATIVE; i++) x += row[i] * redundant[i * REDUNDANT + j];
      row[INFORMATIVE + j] = x;
    }
    for (let j = INFORMATIVE + REDUNDANT; j < FEATURES; j++) row[j] = gaussian();
    for (let j = 0; j < FEATURES; j++) values[r * FEATURES + columnOrder[j]] = row[j];
    labels[r] = random() < FLIP ? (random() < 0.5 ? 1 : 0) : cluster % 2;
  }
  return { values, labels };
}

