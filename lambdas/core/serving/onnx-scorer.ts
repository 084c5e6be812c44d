/**
 * The ProbabilityScorer over an onnxruntime-node session (not an AWS dependency; kept out of
 * scoring.ts so tests can score with a stub and the core stays free of native modules).
 */
import { InferenceSession } from 'onnxruntime-node';
import { scoreWithOnnx } from '../ml/onnx';
import type { ProbabilityScorer } from './scoring';

/**
 * One intra-op thread: the endpoint scores a handful of rows per request, where a thread
 * pool's hand-offs cost more than they save, and Lambda's small memory sizes get one vCPU.
 */
const SESSION_OPTIONS: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };

export async function createOnnxScorer(onnxBytes: Uint8Array): Promise<ProbabilityScorer> {
  const session = await InferenceSession.create(onnxBytes, SESSION_OPTIONS);
  return { score: (rows, nRows) => scoreWithOnnx(session, 'binary:logistic', rows, nRows) };
}
