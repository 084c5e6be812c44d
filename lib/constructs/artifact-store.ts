import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Validations } from 'aws-cdk-lib';

export interface ArtifactStoreProps {
  readonly encryptionKey: kms.IKey;
}

/**
 * The platform's artifact bucket (datasets by version, baselines, models, reports, the
 * inference inbox and outbox, prediction logs) and the bucket that receives its server
 * access logs. Objects are KMS-encrypted, versioned, SSL-only and never public; the bucket
 * sends its object events to EventBridge, which is how data drops start pipelines.
 */
export class ArtifactStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can only deliver to SSE-S3 encrypted buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireOldAccessLogs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(this.accessLogs).acknowledge(
      { id: 'AwsSolutions-S1', reason: 'This is the access-log destination; logging it into itself would loop.' },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: 'This is the access-log destination; logging it into itself would loop.' },
      { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: 'S3 server access logging delivers only to SSE-S3 encrypted buckets.' },
      { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'Access logs are operational data kept in-region; cross-region replication is a deployment choice, not a default.' },
    );

    this.bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Native EventBridge notifications: no notification custom resource (and its Lambda) needed.
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'Health data must stay in the deployment region unless the operator configures a compliant replica; versioning and retention protect it here.',
    });
  }
}
