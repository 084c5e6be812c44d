import * as path from 'node:path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { Validations } from 'aws-cdk-lib';
import { acknowledgeGrantActionWildcards, acknowledgeGrantPolicies } from './nag-acknowledgements';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Native modules the house function knows how to package for one platform only. */
export type NativeModule = 'onnxruntime-node';

export interface LuminaFunctionProps<S extends z.ZodObject> {
  /** Handler file, relative to the repository root (e.g. `lambdas/validate-dataset/index.ts`). */
  readonly entry: string;
  /** The function's environment schema; `environment` is typed from it. */
  readonly environmentSchema: S;
  /** Environment values; tokens are allowed and checked by the handler at cold start. */
  readonly environment: { readonly [K in keyof z.input<S>]: string };
  /** KMS key that encrypts the environment and the log group. */
  readonly encryptionKey: kms.IKey;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default lambda.Architecture.X86_64 (the local cloud runs the same bundle on the host) */
  readonly architecture?: lambda.Architecture;
  /**
   * Native modules copied into the bundle for the function's architecture only, instead of
   * the package's every-platform layout (onnxruntime-node ships ~288 MB for all platforms).
   * @default - none
   */
  readonly nativeModules?: readonly NativeModule[];
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The one way LuminaOps defines a Lambda function: Node 22, X-Ray tracing, JSON logs into an
 * explicit, encrypted, retained log group, source maps, esbuild bundling tuned for cold start
 * (AWS SDK included, native modules for the target platform only), and an environment typed
 * by the function's own schema.
 */
export class LuminaFunction<S extends z.ZodObject = z.ZodObject> extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: LuminaFunctionProps<S>) {
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const environment: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps', ...props.environment };
    checkLiteralEnvironment(id, props.environmentSchema, environment);

    super(scope, id, {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment,
      environmentEncryption: props.encryptionKey,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      bundling: bundlingOptions(props.nativeModules ?? [], architecture),
    });
    acknowledgeGrantPolicies(this);
    acknowledgeGrantActionWildcards(this);
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-managed minimum for writing to CloudWatch Logs (the explicit, encrypted log group).',
      },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.' },
      {
        id: 'AwsSolutions-L1',
        reason: 'Node 22 is pinned on purpose: the repository runs its own scripts and the local cloud on Node 22 (node@22), so what runs locally is what deploys.',
      },
      {
        id: 'HIPAA.Security-LambdaConcurrency',
        reason: 'Invoked by Step Functions with bounded Map concurrency; a reserved limit would only add throttling.',
      },
      {
        id: 'HIPAA.Security-LambdaDLQ',
        reason: 'Invoked synchronously by Step Functions, which retries and records every failure on the run; a DLQ would never receive anything.',
      },
      {
        id: 'HIPAA.Security-LambdaInsideVPC',
        reason: 'Reaches only S3, DynamoDB and SNS over IAM-authorised TLS AWS endpoints; there are no VPC resources to reach.',
      },
    );
  }
}

/**
 * esbuild settings of every LuminaOps function, tuned for cold start: a cold start reads,
 * compiles and runs the whole bundle, and with `--enable-source-maps` reads its map and scans
 * it line by line (bench/endpoint-cold-start.ts measures the predict function).
 * - `mainFields: module, main`: packages' ES module builds first. The AWS SDK's `dist-es`
 *   tree-shakes to what a function uses, where `dist-cjs` brings every command of a client.
 * - `--supported:dynamic-import=false`: `import()` of an external module becomes `require`.
 *   The SDK's ES build loads `node:http` with `import()`; from a CommonJS bundle that goes
 *   through Node's ES module loader, whose facade for `node:http` also loads undici: ~35 ms of
 *   CPU at the first request to an `http://` endpoint (the local cloud; AWS is `https://`).
 * - whitespace and syntax minified, identifiers kept: a smaller bundle and map, while the SDK's
 *   checks of class names (`logger.constructor.name === 'NoOpLogger'` decides where its
 *   warnings go) keep working; stack traces map back to TypeScript through the source map.
 * The SDK is bundled, not taken from the runtime, so the version that runs locally is the
 * version that deploys (and bundled, tree-shaken, it loads faster than the runtime's copy).
 */
function bundlingOptions(nativeModules: readonly NativeModule[], architecture: lambda.Architecture): nodejs.BundlingOptions {
  return {
    target: 'node22',
    format: nodejs.OutputFormat.CJS,
    mainFields: ['module', 'main'],
    minify: false,
    esbuildArgs: { '--supported:dynamic-import': 'false', '--minify-whitespace': true, '--minify-syntax': true },
    sourceMap: true,
    sourcesContent: false,
    // Bundle sizes are asserted by tests (the 250 MB limit); esbuild's size notes would only be noise.
    logLevel: nodejs.LogLevel.ERROR,
    bundleAwsSDK: true,
    externalModules: [...nativeModules],
    commandHooks: nativeModuleHooks(nativeModules, architecture),
  };
}

function checkLiteralEnvironment(id: string, schema: z.ZodObject, environment: Record<string, string>): void {
  const literal = Object.fromEntries(Object.entries(environment).filter(([, value]) => !Token.isUnresolved(value)));
  const unresolvedKeys = Object.keys(environment).filter((key) => Token.isUnresolved(environment[key]));
  // Tokens are checked by the handler at cold start; literal values are checked now.
  const partial = schema.partial();
  const parsed = partial.safeParse(literal);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`${id}: environment does not match its schema (${problems}); unresolved: ${unresolvedKeys.join(', ') || 'none'}`);
  }
}

function nativeModuleHooks(modules: readonly NativeModule[], architecture: lambda.Architecture): nodejs.ICommandHooks {
  const arch = architecture === lambda.Architecture.ARM_64 ? 'arm64' : 'x64';
  const copies = (inputDir: string, outputDir: string): string[] =>
    modules.flatMap((name) => {
      if (name !== 'onnxruntime-node') throw new Error(`No packaging rule for native module ${String(name)}`);
      const from = `${inputDir}/node_modules`;
      const to = `${outputDir}/node_modules`;
      return [
        `mkdir -p ${to}/onnxruntime-node/bin/napi-v6/linux ${to}/onnxruntime-common`,
        `cp ${from}/onnxruntime-node/package.json ${to}/onnxruntime-node/`,
        `cp -R ${from}/onnxruntime-node/dist ${to}/onnxruntime-node/`,
        `cp -R ${from}/onnxruntime-node/bin/napi-v6/linux/${arch} ${to}/onnxruntime-node/bin/napi-v6/linux/`,
        `cp -R ${from}/onnxruntime-common/package.json ${from}/onnxruntime-common/dist ${to}/onnxruntime-common/`,
      ];
    });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => copies(inputDir, outputDir),
  };
}
