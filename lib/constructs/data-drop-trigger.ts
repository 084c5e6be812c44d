import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface DataDropTriggerProps {
  readonly bucket: s3.IBucket;
  /** Key prefix that counts as a drop, e.g. `projects/NAME/training/inbox/`. */
  readonly prefix: string;
  readonly pipeline: sfn.IStateMachine;
  readonly description: string;
}

/**
 * Starts a pipeline when an object is created under a prefix (S3 → EventBridge → Step
 * Functions). The execution input names the exact object version, so a pipeline always
 * reads what was dropped even if the key is overwritten later.
 */
export class DataDropTrigger extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: DataDropTriggerProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: props.description,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: [{ prefix: props.prefix }] },
        },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.pipeline, {
        input: events.RuleTargetInput.fromObject({
          bucket: events.EventField.fromPath('$.detail.bucket.name'),
          key: events.EventField.fromPath('$.detail.object.key'),
          versionId: events.EventField.fromPath('$.detail.object.version-id'),
          etag: events.EventField.fromPath('$.detail.object.etag'),
          trigger: 's3',
          eventId: events.EventField.eventId,
        }),
        retryAttempts: 3,
      }),
    );
  }
}
