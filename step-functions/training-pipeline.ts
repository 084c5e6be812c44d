/**
 * The training pipeline (JSONPath ASL, built with CDK's Step Functions tasks).
 *
 * Started by a CSV landing in the project's training inbox (S3 → EventBridge → here) with
 * `{ bucket, key, versionId, etag, trigger }`:
 *
 *   ValidateDataset → IsDatasetValid?
 *     valid   → ProfileDataset (baseline statistics/constraints + dataset copy) → RecordDatasetVersion
 *               → RecordRunSucceeded
 *     invalid → RecordRejection → NotifyRejection → DatasetRejected (Fail, with the reason)
 *   any error → RecordRunFailure → NotifyFailure → PipelineFailed (Fail)
 *
 * The uploaded object is never deleted; a rejection report is written next to the inbox.
 */
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface TrainingPipelineSteps {
  readonly projectName: string;
  readonly validateDataset: lambda.IFunction;
  readonly profileDataset: lambda.IFunction;
  readonly registry: dynamodb.ITable;
  readonly operations: dynamodb.ITable;
  readonly alerts: sns.ITopic;
}

const str = (path: string): tasks.DynamoAttributeValue => tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(path));
const fmt = (template: string, ...paths: string[]): tasks.DynamoAttributeValue =>
  tasks.DynamoAttributeValue.fromString(sfn.JsonPath.format(template, ...paths.map((p) => sfn.JsonPath.stringAt(p))));

export function trainingPipelineDefinition(scope: Construct, steps: TrainingPipelineSteps): sfn.IChainable {
  const projectKey = tasks.DynamoAttributeValue.fromString(`PROJECT#${steps.projectName}`);
  const runKey = fmt('RUN#{}', '$$.Execution.Name');

  const recordRunFailure = new tasks.DynamoPutItem(scope, 'RecordRunFailure', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: runKey,
      pipeline: tasks.DynamoAttributeValue.fromString('training'),
      status: tasks.DynamoAttributeValue.fromString('FAILED'),
      error: str('$.failure.Error'),
      cause: str('$.failure.Cause'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const notifyFailure = new tasks.SnsPublish(scope, 'NotifyFailure', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: training pipeline failed', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      error: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  const failed = new sfn.Fail(scope, 'PipelineFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const onFailure = recordRunFailure.next(notifyFailure).next(failed);
  const catchAll = { resultPath: '$.failure', errors: [sfn.Errors.ALL] };

  const validate = new tasks.LambdaInvoke(scope, 'ValidateDataset', {
    lambdaFunction: steps.validateDataset,
    payload: sfn.TaskInput.fromObject({
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      versionId: sfn.JsonPath.stringAt('$.versionId'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
    }),
    resultSelector: { 'report.$': '$.Payload' },
    resultPath: '$.validation',
    taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
  });
  validate.addCatch(onFailure, catchAll);

  const profile = new tasks.LambdaInvoke(scope, 'ProfileDataset', {
    lambdaFunction: steps.profileDataset,
    payload: sfn.TaskInput.fromObject({
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      versionId: sfn.JsonPath.stringAt('$.versionId'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      validation: sfn.JsonPath.objectAt('$.validation.report'),
    }),
    resultSelector: { 'dataset.$': '$.Payload' },
    resultPath: '$.profile',
    taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
  });
  profile.addCatch(onFailure, catchAll);

  const recordDataset = new tasks.DynamoPutItem(scope, 'RecordDatasetVersion', {
    table: steps.registry,
    item: {
      pk: projectKey,
      sk: fmt('DATASET#{}', '$.profile.dataset.datasetVersionId'),
      status: tasks.DynamoAttributeValue.fromString('validated'),
      record: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.profile.dataset'))),
      sourceKey: str('$.key'),
      sourceVersionId: str('$.versionId'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordDataset.addCatch(onFailure, catchAll);

  const recordSucceeded = new tasks.DynamoPutItem(scope, 'RecordRunSucceeded', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: runKey,
      pipeline: tasks.DynamoAttributeValue.fromString('training'),
      status: tasks.DynamoAttributeValue.fromString('SUCCEEDED'),
      datasetVersionId: str('$.profile.dataset.datasetVersionId'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordSucceeded.addCatch(onFailure, catchAll);

  const recordRejection = new tasks.DynamoPutItem(scope, 'RecordRejection', {
    table: steps.registry,
    item: {
      pk: projectKey,
      sk: fmt('DATASET#{}', '$.validation.report.datasetVersionId'),
      status: tasks.DynamoAttributeValue.fromString('rejected'),
      reason: str('$.validation.report.reason'),
      reportKey: str('$.validation.report.reportKey'),
      sourceKey: str('$.key'),
      sourceVersionId: str('$.versionId'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordRejection.addCatch(onFailure, catchAll);
  const notifyRejection = new tasks.SnsPublish(scope, 'NotifyRejection', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: training data rejected', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      object: sfn.JsonPath.stringAt('$.key'),
      reason: sfn.JsonPath.stringAt('$.validation.report.reason'),
      report: sfn.JsonPath.stringAt('$.validation.report.reportKey'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyRejection.addCatch(onFailure, catchAll);
  const rejected = new sfn.Fail(scope, 'DatasetRejected', { error: 'DatasetRejected', causePath: '$.validation.report.reason' });

  return validate.next(
    new sfn.Choice(scope, 'IsDatasetValid')
      .when(sfn.Condition.booleanEquals('$.validation.report.ok', true), profile.next(recordDataset).next(recordSucceeded))
      .otherwise(recordRejection.next(notifyRejection).next(rejected)),
  );
}
