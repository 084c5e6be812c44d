/**
 * The labels pipeline (JSONPath ASL, built with CDK's tasks): ground truth dropped in S3.
 *
 * Started by a CSV landing under `projects/<p>/labels/incoming/` (S3 → EventBridge → here)
 * with `{ bucket, key, versionId, etag, trigger, eventId }`:
 *
 *   IngestLabels (keep the file, check it, join it to the logged predictions, performance
 *   result, CloudWatch metrics; retried on transient failures)
 *     → LabelsAccepted? yes → LabelsIngested (the metrics now drive the performance floor alarm)
 *                       no  → NotifyLabelsRefused → LabelsRefused (fails: the file needs fixing)
 *   any error → NotifyFailure → PipelineFailed
 *
 * The dropped object is never changed or deleted.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export interface LabelsPipelineSteps {
  readonly projectName: string;
  readonly ingestLabels: lambda.IFunction;
  readonly alerts: sns.ITopic;
}

/** Errors no retry can fix: the drop or its event is wrong. */
export const LABELS_NON_RETRYABLE_ERRORS = ['LabelsDropError', 'InvalidInputError'];

export function labelsPipelineDefinition(scope: Construct, steps: LabelsPipelineSteps): sfn.IChainable {
  const notifyFailure = new tasks.SnsPublish(scope, 'NotifyFailure', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: labels ingestion failed', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      event: 'labels-failed',
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      object: sfn.JsonPath.stringAt('$.key'),
      error: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyFailure.next(new sfn.Fail(scope, 'PipelineFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));

  const ingest = new tasks.LambdaInvoke(scope, 'IngestLabels', {
    lambdaFunction: steps.ingestLabels,
    payload: sfn.TaskInput.fromObject({
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      versionId: sfn.JsonPath.stringAt('$.versionId'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      trigger: sfn.JsonPath.stringAt('$.trigger'),
      eventId: sfn.JsonPath.stringAt('$.eventId'),
    }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    resultPath: '$.labels',
  });
  ingest.addRetry({ errors: LABELS_NON_RETRYABLE_ERRORS, maxAttempts: 0 });
  ingest.addRetry({ errors: ['States.TaskFailed', 'States.Timeout'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });
  ingest.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });

  const notifyRefused = new tasks.SnsPublish(scope, 'NotifyLabelsRefused', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: a labels file was refused', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      event: 'labels-refused',
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      object: sfn.JsonPath.stringAt('$.key'),
      problemCount: sfn.JsonPath.numberAt('$.labels.problemCount'),
      problems: sfn.JsonPath.objectAt('$.labels.problems'),
      report: sfn.JsonPath.stringAt('$.labels.rejectedKey'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyRefused.next(
    new sfn.Fail(scope, 'LabelsRefused', {
      error: 'LabelsRefused',
      cause: 'The labels file has problems (line, column and value in the notification and the rejected report); nothing was joined. Fix the file and drop it again.',
    }),
  );

  return ingest.next(
    new sfn.Choice(scope, 'LabelsAccepted')
      .when(sfn.Condition.booleanEquals('$.labels.accepted', true), new sfn.Succeed(scope, 'LabelsIngested'))
      .otherwise(notifyRefused),
  );
}
