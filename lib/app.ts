import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { MlProjectStack } from './stacks/ml-project-stack';
import { PlatformStack } from './stacks/platform-stack';

export const PLATFORM_STACK_NAME = 'LuminaOps';
/** Account and region the local cloud pretends to be (and offline synth falls back to). */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface LuminaAppOptions {
  /** Cloud assembly directory. @default - CDK_OUTDIR or the CDK CLI's choice */
  readonly outdir?: string;
  /** Also synthesize a directly deployable stack for this project. @default - the `project` context value, if any */
  readonly project?: string;
  /** Run cdk-nag (AwsSolutions and HIPAA Security). @default true */
  readonly nag?: boolean;
}

/**
 * Builds the LuminaOps CDK app. Used by `bin/luminaops.ts` (the CDK CLI), by the local
 * cloud (which synthesizes and then runs the assembly) and by tests, so all three see the
 * same app with the same feature flags.
 */
export function buildApp(options: LuminaAppOptions = {}): { app: App; platform: PlatformStack; project?: MlProjectStack } {
  const recommendedFlags = require(path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'recommended-feature-flags.json')) as Record<string, unknown>;
  const app = new App({
    outdir: options.outdir,
    context: recommendedFlags,
    // The built-in CloudFormation validation makes synth several times slower (FIELD-NOTES);
    // cdk-nag and our tests cover what we rely on.
    builtinCloudFormationValidation: false,
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  }
  // The product's asset bucket is named after account and region, so stacks need a concrete
  // environment: the CLI's credentials when deploying, the local account when offline.
  const account = (app.node.tryGetContext('account') as string | undefined) ?? process.env.CDK_DEFAULT_ACCOUNT ?? LOCAL_ACCOUNT;
  const region = (app.node.tryGetContext('region') as string | undefined) ?? process.env.CDK_DEFAULT_REGION ?? LOCAL_REGION;
  const env = { account, region };
  const platform = new PlatformStack(app, PLATFORM_STACK_NAME, {
    env,
    description: 'LuminaOps platform: artifacts, registry, alerts, personas and the ML-project catalog',
  });
  const projectName = options.project ?? (app.node.tryGetContext('project') as unknown);
  if (projectName !== undefined && (typeof projectName !== 'string' || !/^[a-z][a-z0-9-]{2,31}$/.test(projectName))) {
    throw new Error(`project=${String(projectName)}: a project name is 3-32 lowercase letters, digits or hyphens, starting with a letter`);
  }
  const project = projectName
    ? new MlProjectStack(app, `${PLATFORM_STACK_NAME}-${projectName}`, {
        env,
        platformStackName: platform.stackName,
        description: `LuminaOps ML project ${projectName}`,
      })
    : undefined;
  return { app, platform, project };
}
