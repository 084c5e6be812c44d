import { type Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface PipelineStateMachineProps {
  readonly comment: string;
  readonly definition: sfn.IChainable;
  /** Encrypts the state machine's data and its execution log group. */
  readonly encryptionKey: kms.IKey;
  readonly timeout: Duration;
}

/**
 * The one way LuminaOps defines a pipeline's state machine (training, batch inference,
 * labels): X-Ray tracing, every event with its data logged to an encrypted log group that is
 * kept three months and retained, customer-managed KMS encryption, a timeout, and the
 * `luminaops:component = pipeline` tag. Ids `ExecutionLogs` and `StateMachine` in `scope`.
 */
export function pipelineStateMachine(scope: Construct, props: PipelineStateMachineProps): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'ExecutionLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    encryptionKey: props.encryptionKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const machine = new sfn.StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey),
    timeout: props.timeout,
  });
  Tags.of(machine).add('luminaops:component', 'pipeline');
  return machine;
}
