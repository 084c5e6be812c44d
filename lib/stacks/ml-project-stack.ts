import { Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MlProject } from '../constructs/ml-project';
import { MlProjectParameters } from '../constructs/ml-project-parameters';
import { importPlatform } from '../constructs/platform-contract';

export interface MlProjectStackProps extends StackProps {
  /** Name of the deployed PlatformStack whose exports the project uses. */
  readonly platformStackName: string;
}

/**
 * One ML project as a plain stack, for engineers who deploy with `cdk deploy` instead of
 * Service Catalog: `cdk deploy -c project=NAME --parameters ProjectName=NAME ...`.
 */
export class MlProjectStack extends Stack {
  readonly project: MlProject;

  constructor(scope: Construct, id: string, props: MlProjectStackProps) {
    super(scope, id, props);
    const { config } = new MlProjectParameters(this, 'Parameters');
    this.project = new MlProject(this, 'Project', {
      config,
      platform: importPlatform(this, props.platformStackName),
      platformStackName: props.platformStackName,
    });
  }
}
