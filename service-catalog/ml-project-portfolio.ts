import { ArnFormat, type CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { acknowledgeGrantActionWildcards, acknowledgeGrantPolicies, acknowledgePrefixWildcards } from '../lib/constructs/nag-acknowledgements';
import type { PlatformResources } from '../lib/constructs/platform-contract';
import { MlProjectProduct } from './ml-project-product';

export interface MlProjectPortfolioProps {
  readonly platformStackName: string;
  readonly platform: PlatformResources;
  readonly accessLogs: s3.IBucket;
  /** Roles that may launch ML projects. */
  readonly launchers: readonly iam.IRole[];
}

/**
 * The Service Catalog portfolio through which data scientists create ML projects
 * self-service. Products launch with a dedicated launch role, so a data scientist needs no
 * infrastructure permissions of their own.
 */
export class MlProjectPortfolio extends Construct {
  readonly portfolio: servicecatalog.Portfolio;
  readonly product: servicecatalog.CloudFormationProduct;
  readonly launchRole: iam.Role;
  readonly assetBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: MlProjectPortfolioProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.assetBucket = new s3.Bucket(this, 'ProductAssets', {
      // Service Catalog product assets need a bucket with a physical name.
      bucketName: `luminaops-product-assets-${stack.account}-${stack.region}`,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.platform.key,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'product-assets/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.assetBucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'Holds only Lambda bundles rebuilt from source on every deploy; no health data.',
    });

    this.portfolio = new servicecatalog.Portfolio(this, 'Portfolio', {
      displayName: 'LuminaOps ML projects',
      providerName: 'LuminaOps platform team',
      description: 'Self-service ML projects: training and inference pipelines, registry, monitoring',
    });
    this.product = new servicecatalog.CloudFormationProduct(this, 'MlProject', {
      productName: 'LuminaOps ML project',
      owner: 'LuminaOps platform team',
      description: 'An ML project: training pipeline on SageMaker GPU training, ONNX endpoint, batch inference, drift monitoring',
      productVersions: [
        {
          productVersionName: 'v1',
          cloudFormationTemplate: servicecatalog.CloudFormationTemplate.fromProductStack(
            new MlProjectProduct(this, 'MlProjectProduct', { platformStackName: props.platformStackName, assetBucket: this.assetBucket }),
          ),
        },
      ],
    });
    this.portfolio.addProduct(this.product);

    this.launchRole = new iam.Role(this, 'LaunchRole', {
      assumedBy: new iam.ServicePrincipal('servicecatalog.amazonaws.com'),
      description: 'Creates the resources of a LuminaOps ML project on behalf of whoever launches it',
    });
    const arn = (service: string, resource: string, resourceName: string, arnFormat = ArnFormat.SLASH_RESOURCE_NAME): string =>
      stack.formatArn({ service, resource, resourceName, arnFormat, region: service === 'iam' ? '' : undefined });
    this.launchRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProvisionProjectStacks',
        actions: [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:DeleteStack',
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:DescribeStackResource',
          'cloudformation:DescribeStackResources',
          'cloudformation:GetTemplateSummary',
          'cloudformation:ValidateTemplate',
          'cloudformation:SetStackPolicy',
        ],
        resources: [arn('cloudformation', 'stack', 'SC-*')],
      }),
    );
    this.launchRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProjectRoles',
        actions: ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:PassRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:TagRole'],
        resources: [arn('iam', 'role', 'SC-*')],
      }),
    );
    // What an ML project's template creates, action by action, on resources named after the
    // Service Catalog stack (SC-...) wherever CloudFormation-generated names allow it.
    const lifecycle: [service: string, actions: string[], resources: string[]][] = [
      ['lambda', ['CreateFunction', 'DeleteFunction', 'GetFunction', 'GetFunctionConfiguration', 'UpdateFunctionCode', 'UpdateFunctionConfiguration', 'TagResource', 'UntagResource', 'ListTags', 'AddPermission', 'RemovePermission'], [arn('lambda', 'function', 'SC-*', ArnFormat.COLON_RESOURCE_NAME)]],
      // CloudFormation names state machines <LogicalId>-<suffix>, without the stack name.
      ['states', ['CreateStateMachine', 'DeleteStateMachine', 'DescribeStateMachine', 'UpdateStateMachine', 'TagResource', 'UntagResource', 'ListTagsForResource'], [arn('states', 'stateMachine', '*', ArnFormat.COLON_RESOURCE_NAME)]],
      ['events', ['PutRule', 'DeleteRule', 'DescribeRule', 'PutTargets', 'RemoveTargets', 'TagResource', 'UntagResource'], [arn('events', 'rule', 'SC-*')]],
      ['logs', ['CreateLogGroup', 'DeleteLogGroup', 'PutRetentionPolicy', 'DeleteRetentionPolicy', 'AssociateKmsKey', 'DescribeLogGroups', 'TagResource', 'ListTagsForResource'], [arn('logs', 'log-group', 'SC-*', ArnFormat.COLON_RESOURCE_NAME)]],
      ['cloudwatch', ['PutMetricAlarm', 'PutCompositeAlarm', 'DeleteAlarms', 'DescribeAlarms', 'TagResource', 'PutDashboard', 'DeleteDashboards'], [arn('cloudwatch', 'alarm', 'SC-*', ArnFormat.COLON_RESOURCE_NAME)]],
    ];
    for (const [service, actions, resources] of lifecycle) {
      this.launchRole.addToPolicy(new iam.PolicyStatement({ actions: actions.map((a) => `${service}:${a}`), resources }));
    }
    this.assetBucket.grantRead(this.launchRole);
    props.platform.key.grant(this.launchRole, 'kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*');
    this.portfolio.setLaunchRole(this.product, this.launchRole);
    for (const role of props.launchers) this.portfolio.giveAccessToRole(role);

    acknowledgeGrantPolicies(this.launchRole);
    acknowledgeGrantActionWildcards(this.launchRole);
    const assetsArn = `<${stack.getLogicalId(this.assetBucket.node.defaultChild as CfnElement)}.Arn>/*`;
    acknowledgePrefixWildcards(
      this.launchRole,
      [
        arn('cloudformation', 'stack', 'SC-*'),
        arn('iam', 'role', 'SC-*'),
        arn('lambda', 'function', 'SC-*', ArnFormat.COLON_RESOURCE_NAME),
        arn('states', 'stateMachine', '*', ArnFormat.COLON_RESOURCE_NAME),
        arn('events', 'rule', 'SC-*'),
        arn('logs', 'log-group', 'SC-*', ArnFormat.COLON_RESOURCE_NAME),
        arn('cloudwatch', 'alarm', 'SC-*', ArnFormat.COLON_RESOURCE_NAME),
        assetsArn,
      ],
      'The launch role creates a provisioned product\'s resources, whose names Service Catalog derives from the SC-... stack name (state machines: from the logical id) at launch time.',
    );
    this.acknowledgeProductAssetDeployment(stack);
  }

  /**
   * CDK adds a singleton BucketDeployment (a Python custom resource Lambda) that copies the
   * product's bundles from the CDK asset bucket into the product asset bucket at deploy time.
   */
  private acknowledgeProductAssetDeployment(stack: Stack): void {
    const deployment = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!deployment) return;
    const reason = 'CDK-managed BucketDeployment that publishes the Service Catalog product bundles at deploy time; its runtime, role and logs are defined by aws-cdk-lib.';
    acknowledgeGrantPolicies(deployment);
    acknowledgeGrantActionWildcards(deployment);
    Validations.of(deployment).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason },
      { id: 'AwsSolutions-L1', reason },
      { id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*]`, reason },
      { id: 'HIPAA.Security-CloudWatchLogGroupEncrypted', reason: `${reason} Its logs hold only file names.` },
      { id: 'HIPAA.Security-LambdaConcurrency', reason },
      { id: 'HIPAA.Security-LambdaDLQ', reason: `${reason} CloudFormation reports its failures.` },
      { id: 'HIPAA.Security-LambdaInsideVPC', reason },
    );
    const assetsArn = `<${stack.getLogicalId(this.assetBucket.node.defaultChild as CfnElement)}.Arn>`;
    acknowledgePrefixWildcards(deployment, [`${assetsArn}/*`], reason);
  }
}
