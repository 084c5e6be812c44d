import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlertsTopicProps {
  readonly encryptionKey: kms.IKey;
}

/** The SNS topic every pipeline failure, rejection and drift alarm is announced on. */
export class AlertsTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'LuminaOps alerts',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
  }
}
