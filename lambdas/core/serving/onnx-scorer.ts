/**
 * The ProbabilityScorer over an onnxruntime-node session (not an AWS dependency; kept out of
 * scoring.ts so tests can score with a stub and the core stays free of native modules).
 */
import { InferenceSession } from 'onnxruntime-node';
import { scoreWithOnnx } from '../ml/onnx-metadata';
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

/**
 * The smallest valid model: one Identity node on a float[1] (IR 8, opset 13; written with
 * onnx-proto, checked by test/unit/serving/onnx-scorer.test.ts).
 */
export const IDENTITY_MODEL = Uint8Array.from(Buffer.from('CAg6NwoQCgF4EgF5IghJZGVudGl0eRIBZ1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=', 'base64'));

let prepared: Promise<void> | undefined;

/**
 * onnxruntime's process-wide start (its environment and operator registries, ~20 ms of CPU),
 * which otherwise happens inside the first session create. Creating and releasing a session
 * of IDENTITY_MODEL pays it, so a cold start can pay it while the model's artifacts are still
 * downloading. Runs once per process; the session is created on a later turn of the event loop
 * (onnxruntime-node defers it with setImmediate), after requests already started are sent.
 */
export function prepareOnnxRuntime(): Promise<void> {
  prepared ??= InferenceSession.create(IDENTITY_MODEL, SESSION_OPTIONS).then((session) => session.release());
  return prepared;
}
