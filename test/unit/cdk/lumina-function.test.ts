import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SourceMap } from 'node:module';
import { LuminaFunction, PROJECT_ROOT } from '../../../lib/constructs/lumina-function';
import { PredictEnvironment } from '../../../lambdas/predict/environment';
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

/** The predict function's bundle as the house construct makes it (the endpoint's cold start loads it). */
function synthesizePredict(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'luminaops-fn-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Predict');
  new LuminaFunction(stack, 'Predict', {
    entry: 'lambdas/predict/index.ts',
    description: 'predict',
    environmentSchema: PredictEnvironment,
    environment: { PROJECT_NAME: 'adherence', MODEL_REGISTRY_TABLE: 'registry', ARTIFACT_BUCKET: 'artifacts', PREDICTION_LOG_BUCKET: 'artifacts' },
    encryptionKey: new kms.Key(stack, 'Key'),
    nativeModules: ['onnxruntime-node'],
  });
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
  return path.join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
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

  describe('bundling for cold start (the predict function)', () => {
    let assetDir: string;
    beforeAll(() => {
      assetDir = synthesizePredict();
    });

    it('bundles the packages\' ES module builds (the AWS SDK tree-shaken), whitespace-minified, under 2 MB', () => {
      const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      const sources: string[] = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')).sources;

      expect(sources.some((s) => s.includes('node_modules/@aws-sdk/client-s3/dist-es/'))).toBe(true);
      expect(sources.filter((s) => s.includes('/dist-cjs/'))).toEqual([]);
      expect(bundle.length).toBeLessThan(2 * 1024 * 1024);
      expect(bundle.split('\n').length).toBeLessThan(1000);
      // Identifiers are not minified: the SDK routes its warnings by class name.
      expect(bundle).toMatch(/\bNoOpLogger\s*=\s*class\b/);
    });

    it('leaves the ONNX converter and its protobuf schema out: scoring reads the metadata from the wire format', () => {
      const sources: string[] = JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')).sources;

      expect(sources.filter((s) => s.includes('node_modules/onnx-proto/') || s.includes('node_modules/protobufjs/'))).toEqual([]);
      expect(sources.some((s) => s.endsWith('lambdas/core/ml/onnx-metadata.ts'))).toBe(true);
      expect(sources.some((s) => s.endsWith('lambdas/core/ml/onnx.ts'))).toBe(false);
    });

    it('loads external modules with require, never import() (which would go through Node\'s ES module loader)', () => {
      const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');

      expect(bundle).not.toMatch(/\bimport\(/);
      expect(bundle).toContain('require("node:http")');
    });

    it('keeps a source map that takes minified code back to its TypeScript line', () => {
      const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      const map = new SourceMap(JSON.parse(fs.readFileSync(path.join(assetDir, 'index.js.map'), 'utf8')));
      const message = 'loading the production model at init failed';
      const sourceLine = fs.readFileSync(path.join(PROJECT_ROOT, 'lambdas/predict/index.ts'), 'utf8').split('\n').findIndex((l) => l.includes(message));
      const offset = bundle.indexOf(message);
      const before = bundle.slice(0, offset).split('\n');

      const entry = map.findEntry(before.length - 1, before[before.length - 1].length);

      expect(bundle.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      expect(entry).toMatchObject({ originalLine: sourceLine });
      expect((entry as { originalSource: string }).originalSource).toMatch(/lambdas\/predict\/index\.ts$/);
    });
  });
});
