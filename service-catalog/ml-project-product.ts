import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { MlProject } from '../lib/constructs/ml-project';
import { MlProjectParameters } from '../lib/constructs/ml-project-parameters';
import { importPlatform } from '../lib/constructs/platform-contract';

export interface MlProjectProductProps {
  readonly platformStackName: string;
  /** Bucket the product's Lambda bundles are published to (must have a physical name). */
  readonly assetBucket: s3.IBucket;
}

/** The ML-project Service Catalog product: the same MlProject construct as MlProjectStack. */
export class MlProjectProduct extends servicecatalog.ProductStack {
  constructor(scope: Construct, id: string, props: MlProjectProductProps) {
    super(scope, id, { assetBucket: props.assetBucket });
    const { config } = new MlProjectParameters(this, 'Parameters');
    new MlProject(this, 'Project', {
      config,
      platform: importPlatform(this, props.platformStackName),
      platformStackName: props.platformStackName,
    });
  }
}
