import { Match } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './app-fixture';

describe('PlatformStack', () => {
  const { platform } = synthesizeApp();

  it('creates a rotating, retained KMS key usable by CloudWatch Logs', () => {
    platform.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: Match.objectLike({
          Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogsForThisAccount' })]),
        }),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('keeps artifacts versioned, KMS-encrypted, private, logged, retained and announcing object events to EventBridge', () => {
    platform.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }), BucketKeyEnabled: true }),
          ],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'artifacts/' }),
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('denies non-TLS access to every bucket', () => {
    const policies = platform.findResources('AWS::S3::BucketPolicy');
    const buckets = platform.findResources('AWS::S3::Bucket');
    expect(Object.keys(policies)).toHaveLength(Object.keys(buckets).length);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  it('creates five on-demand, KMS-encrypted, point-in-time-recoverable, retained tables', () => {
    const tables = platform.findResources('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      },
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(tables).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['TablesAuditTrail', 'TablesExperiments', 'TablesFeatureStore', 'TablesModelRegistry', 'TablesOperations'],
    );
  });

  it('encrypts the alerts topic with the platform key', () => {
    platform.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('gives the data scientist data access but no infrastructure or deployment rights', () => {
    const policies = platform.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PersonasDataScientist') }] },
    });
    const actions = Object.values(policies).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 'states:StartExecution']));
    expect(actions.filter((a: string) => /^(cloudformation|iam|sts|lambda):/.test(a))).toEqual([]);
  });

  it('lets only the ML engineer assume the CDK deployment roles', () => {
    platform.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^PersonasMlEngineer') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sts:AssumeRole', Resource: Match.stringLikeRegexp(':role/cdk-\\*$') })]),
      },
    });
    const assumers = platform.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sts:AssumeRole' })]) } },
    });
    expect(Object.keys(assumers)).toHaveLength(1);
  });

  it('offers the ML-project product in a portfolio with a launch role and the personas associated', () => {
    platform.resourceCountIs('AWS::ServiceCatalog::Portfolio', 1);
    platform.hasResourceProperties('AWS::ServiceCatalog::CloudFormationProduct', {
      Name: 'LuminaOps ML project',
      ProvisioningArtifactParameters: [Match.objectLike({ Name: 'v1' })],
    });
    platform.resourceCountIs('AWS::ServiceCatalog::LaunchRoleConstraint', 1);
    platform.resourceCountIs('AWS::ServiceCatalog::PortfolioPrincipalAssociation', 2);
  });

  it('exports the shared resources the ML projects import', () => {
    const outputs = platform.findOutputs('*');
    const exported = Object.values(outputs).map((o) => o.Export?.Name);
    expect(exported).toEqual(
      expect.arrayContaining(['LuminaOps:KeyArn', 'LuminaOps:ArtifactBucketName', 'LuminaOps:AlertsTopicArn', 'LuminaOps:Table-registry']),
    );
  });
});
