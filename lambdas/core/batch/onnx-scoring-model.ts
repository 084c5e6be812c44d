/**
 * A ScoringModel over onnxruntime-node. One intra-op thread: a chunk's probabilities then do
 * not depend on how the runtime splits work across threads (byte-identical reruns), and
 * parallelism comes from scoring chunks side by side.
 */
import { InferenceSession } from 'onnxruntime-node';
import { readOnnxMetadata, scoreWithOnnx } from '../ml/onnx-metadata';
import type { ScoringModel } from './score-chunk';

export async function onnxScoringModel(onnxBytes: Uint8Array): Promise<ScoringModel & { release(): Promise<void> }> {
  const metadata = readOnnxMetadata(onnxBytes);
  const session = await InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  return {
    metadata,
    score: (rows, nRows) => scoreWithOnnx(session, metadata.objective, rows, nRows),
    release: () => session.release(),
  };
}
