import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LuminaFunction } from '../../../lib/constructs/lumina-function';
import { OnnxProbeEnvironment } from '../../fixtures/lambdas/onnx-probe';

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

function directorySize(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((total, entry) => {
    const full = path.join(dir, entry.name);
    return total + (entry.isDirectory() ? directorySize(full) : fs.statSync(full).size);
  }, 0);
}

function synthesizeProbe(architecture: lambda.Architecture): { template: Template; assetDir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'luminaops-fn-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Probe');
  new LuminaFunction(stack, 'OnnxProbe', {
    entry: 'test/fixtures/lambdas/onnx-probe.ts',
    description: 'probe',
    environmentSchema: OnnxProbeEnvironment,
    environment: { PROBE: 'yes' },
    encryptionKey: new kms.Key(stack, 'Key'),
    architecture,
    nativeModules: ['onnxruntime-node'],
  });
  const template = Template.fromStack(stack);
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
  return { template, assetDir: path.join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`) };
}

describe('LuminaFunction', () => {
  it('packages onnxruntime-node for the x86_64 target only, well within the 250 MB Lambda limit', () => {
    const { assetDir } = synthesizeProbe(lambda.Architecture.X86_64);
    const linux = path.join(assetDir, 'node_modules/onnxruntime-node/bin/napi-v6/linux');

    expect(fs.readdirSync(linux)).toEqual(['x64']);
    expect(fs.existsSync(path.join(assetDir, 'node_modules/onnxruntime-node/bin/napi-v6/darwin'))).toBe(false);
    expect(fs.existsSync(path.join(assetDir, 'node_modules/onnxruntime-common/package.json'))).toBe(true);
    expect(directorySize(assetDir)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT / 2);
  });

  it('packages the arm64 binary for an arm64 function', () => {
    const { template, assetDir } = synthesizeProbe(lambda.Architecture.ARM_64);

    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'] });
    expect(fs.readdirSync(path.join(assetDir, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual(['arm64']);
  });

  it('fixes runtime, tracing, JSON logs, source maps and an encrypted log group', () => {
    const { template } = synthesizeProbe(lambda.Architecture.X86_64);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', PROBE: 'yes' } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('refuses a literal environment value its schema rejects, naming the variable', () => {
    const stack = new Stack(new App(), 'Bad');
    expect(
      () =>
        new LuminaFunction(stack, 'Bad', {
          entry: 'test/fixtures/lambdas/onnx-probe.ts',
          description: 'bad',
          environmentSchema: OnnxProbeEnvironment,
          environment: { PROBE: 42 as unknown as string },
          encryptionKey: new kms.Key(stack, 'Key'),
        }),
    ).toThrow(/Bad: environment does not match its schema \(PROBE:/);
  });
});
