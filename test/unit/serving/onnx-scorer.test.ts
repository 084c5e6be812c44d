/**
 * @jest-environment ./test/unit/ml/onnxruntime-jest-environment.ts
 */
/**
 * The onnxruntime side of serving: the one-node model that starts the runtime early is a
 * valid ONNX model, and the start happens once per process.
 */
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { IDENTITY_MODEL, prepareOnnxRuntime } from '../../../lambdas/core/serving/onnx-scorer';

describe('IDENTITY_MODEL', () => {
  it('is what onnx-proto writes for one Identity node on a float[1] (IR 8, opset 13)', () => {
    const valueInfo = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
    const written = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 13 }],
        graph: { name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [valueInfo('x')], output: [valueInfo('y')] },
      }),
    ).finish();

    expect(Buffer.from(IDENTITY_MODEL).equals(Buffer.from(written))).toBe(true);
  });

  it('runs in onnxruntime and returns its input', async () => {
    const session = await InferenceSession.create(IDENTITY_MODEL);

    const result = await session.run({ x: new Tensor('float32', Float32Array.from([0.25]), [1]) });

    expect(Array.from(result.y.data as Float32Array)).toEqual([0.25]);
    await session.release();
  });
});

describe('prepareOnnxRuntime', () => {
  it('starts the runtime once per process: later calls share the first one', async () => {
    const first = prepareOnnxRuntime();

    await expect(first).resolves.toBeUndefined();
    expect(prepareOnnxRuntime()).toBe(first);
  });
});
