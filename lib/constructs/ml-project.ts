import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataDropTrigger } from './data-drop-trigger';
import type { MlProjectConfig } from './ml-project-parameters';
import type { PlatformResources } from './platform-contract';
import { TrainingPipeline } from './training-pipeline';

export interface MlProjectProps {
  readonly config: MlProjectConfig;
  readonly platform: PlatformResources;
  /** Name of the platform stack whose exports the project imports (findings render its ARNs by export name). */
  readonly platformStackName: string;
}

/**
 * Everything one ML project owns. The Service Catalog product and the directly deployable
 * stack both consist of exactly this construct, so there is one code path.
 */
export class MlProject extends Construct {
  readonly training: TrainingPipeline;

  constructor(scope: Construct, id: string, props: MlProjectProps) {
    super(scope, id);
    const { config, platform } = props;
    this.training = new TrainingPipeline(this, 'Training', {
      config,
      platform,
      nag: { artifactBucketArn: `${props.platformStackName}:ArtifactBucketArn` },
    });
    new DataDropTrigger(this, 'TrainingDataDrop', {
      bucket: platform.artifacts,
      prefix: `projects/${config.projectName}/training/inbox/`,
      pipeline: this.training.stateMachine,
      description: `Starts the ${config.projectName} training pipeline when a CSV lands in its training inbox`,
    });
    new CfnOutput(scope, 'TrainingPipelineArn', { value: this.training.stateMachine.stateMachineArn, description: 'Training pipeline state machine' });
    new CfnOutput(scope, 'TrainingInbox', {
      value: `s3://${platform.artifacts.bucketName}/projects/${config.projectName}/training/inbox/`,
      description: 'Drop training CSVs here',
    });
  }
}
