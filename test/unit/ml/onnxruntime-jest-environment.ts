/**
 * Jest's node environment gives each test file its own realm, with its own Float32Array.
 * onnxruntime-node's native binding builds output tensors from the main realm's typed
 * arrays, and onnxruntime-common then rejects them with `instanceof` ("A float32 tensor's
 * data must be type of function Float32Array()"). Test files that run ONNX models select
 * this environment with a `@jest-environment` docblock; it hands the sandbox the main
 * realm's typed-array constructors. Outside Jest there is one realm and no problem.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';

const SHARED_TYPED_ARRAYS = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

export default class OnnxRuntimeEnvironment extends NodeEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    Object.assign(this.global, SHARED_TYPED_ARRAYS);
  }
}
