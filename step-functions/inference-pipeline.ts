/**
 * The batch inference pipeline (JSONPath ASL, inline Map only, built with CDK's tasks).
 *
 * Started by a CSV landing in the project's inference inbox (S3 → EventBridge → here) with
 * `{ bucket, key, versionId, etag, trigger, eventId }`, or by a person with `resume: true`
 * to take over a run a killed execution left behind:
 *
 *   PlanBatch (claim the run marker, pin the production model, check the header, chunk by byte range)
 *     → AlreadyScored?
 *         yes → BatchAlreadyScored (the same object version was, or is being, scored: no-op success)
 *         no  → ScoreChunks (inline Map, MaxConcurrency 4: ScoreChunk with Retry; a chunk with a
 *               checkpoint is skipped, each finished chunk advances the run's progress)
 *             → MergeAndMonitor (Parallel), side by side:
 *                 MergeBatch (outbox predictions.csv, rejects.csv, metadata.json, in chunk order)
 *                 HasBaseline? → HandOffToMonitor (the data-quality monitor reads the header and chunk
 *                   files MergeBatch concatenates, so it need not wait for predictions.csv) or NoBaselineToMonitor
 *             → MarkBatchScored (run marker SUCCEEDED) → RecordRunSucceeded
 *               (without a monitor function: MergeBatch → HandOffToMonitor, a Pass that shapes the hand-off)
 *   any error → RecordRunFailure → HasBatchRun? → MarkBatchFailed → NotifyFailure → PipelineFailed
 *
 * The input object is never deleted or changed.
 */
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface InferencePipelineSteps {
  readonly projectName: string;
  readonly planBatch: lambda.IFunction;
  readonly scoreChunk: lambda.IFunction;
  readonly mergeBatch: lambda.IFunction;
  /**
   * The data-quality monitor, invoked with the merged batch.
   * @default - a Pass state named HandOffToMonitor that only shapes the hand-off
   */
  readonly monitorBatch?: lambda.IFunction;
  readonly operations: dynamodb.ITable;
  readonly alerts: sns.ITopic;
  /** @default 4 */
  readonly maxConcurrency?: number;
}

/** Errors that no retry can fix: the input, the contract or the run's state is wrong. */
export const NON_RETRYABLE_ERRORS = ['BatchRequestError', 'BatchContractError', 'BatchFileError', 'BatchStateError', 'InvalidInputError', 'NoProductionModelError'];

const str = (path: string): tasks.DynamoAttributeValue => tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(path));
const fmt = (template: string, ...paths: string[]): tasks.DynamoAttributeValue =>
  tasks.DynamoAttributeValue.fromString(sfn.JsonPath.format(template, ...paths.map((p) => sfn.JsonPath.stringAt(p))));

export function inferencePipelineDefinition(scope: Construct, steps: InferencePipelineSteps): sfn.IChainable {
  const projectKey = tasks.DynamoAttributeValue.fromString(`PROJECT#${steps.projectName}`);
  const batchRunKey = { pk: projectKey, sk: fmt('BATCH#{}', '$.batch.plan.runId') };
  const plan = (field: string): string => `$.batch.plan.${field}`;

  // --- failure path ------------------------------------------------------------------------
  const recordRunFailure = new tasks.DynamoPutItem(scope, 'RecordRunFailure', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: fmt('RUN#{}', '$$.Execution.Name'),
      pipeline: tasks.DynamoAttributeValue.fromString('inference'),
      status: tasks.DynamoAttributeValue.fromString('FAILED'),
      error: str('$.failure.Error'),
      cause: str('$.failure.Cause'),
      inputKey: str('$.key'),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const markBatchFailed = new tasks.DynamoUpdateItem(scope, 'MarkBatchFailed', {
    table: steps.operations,
    key: batchRunKey,
    // When it failed is the execution's stop time (its history); Step Functions has no "now" outside $$.State.
    updateExpression: 'SET #status = :failed, #error = :error, #cause = :cause',
    conditionExpression: 'ownerExecution = :me',
    expressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
    expressionAttributeValues: {
      ':failed': tasks.DynamoAttributeValue.fromString('FAILED'),
      ':error': str('$.failure.Error'),
      ':cause': str('$.failure.Cause'),
      ':me': str('$$.Execution.Id'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const notifyFailure = new tasks.SnsPublish(scope, 'NotifyFailure', {
    topic: steps.alerts,
    subject: sfn.JsonPath.format('LuminaOps {}: batch inference failed', steps.projectName),
    message: sfn.TaskInput.fromObject({
      project: steps.projectName,
      execution: sfn.JsonPath.stringAt('$$.Execution.Id'),
      object: sfn.JsonPath.stringAt('$.key'),
      error: sfn.JsonPath.stringAt('$.failure.Error'),
      cause: sfn.JsonPath.stringAt('$.failure.Cause'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  const failed = new sfn.Fail(scope, 'PipelineFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  notifyFailure.next(failed);
  // Another execution took the run over: its marker is not ours to mark.
  markBatchFailed.addCatch(notifyFailure, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
  const onFailure = recordRunFailure.next(
    new sfn.Choice(scope, 'HasBatchRun')
      .when(sfn.Condition.isPresent('$.batch.plan.runId'), markBatchFailed.next(notifyFailure))
      .otherwise(notifyFailure),
  );
  const catchAll = { resultPath: '$.failure', errors: [sfn.Errors.ALL] };

  // --- plan --------------------------------------------------------------------------------
  const planBatch = new tasks.LambdaInvoke(scope, 'PlanBatch', {
    lambdaFunction: steps.planBatch,
    payload: sfn.TaskInput.fromObject({ event: sfn.JsonPath.objectAt('$'), executionId: sfn.JsonPath.stringAt('$$.Execution.Id') }),
    resultSelector: { 'plan.$': '$.Payload' },
    resultPath: '$.batch',
    taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
  });
  planBatch.addCatch(onFailure, catchAll);

  const alreadyScored = new sfn.Pass(scope, 'BatchAlreadyScored', {
    parameters: {
      outcome: 'already scored',
      'message.$': plan('message'),
      'runId.$': plan('runId'),
      'scoredBy.$': plan('scoredBy'),
    },
  });

  // --- score -------------------------------------------------------------------------------
  const scoreChunk = new tasks.LambdaInvoke(scope, 'ScoreChunk', {
    lambdaFunction: steps.scoreChunk,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    resultSelector: { 'chunk.$': '$.Payload.chunk', 'rowsScored.$': '$.Payload.rowsScored', 'rowsRejected.$': '$.Payload.rowsRejected', 'skipped.$': '$.Payload.skipped' },
    taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
  });
  scoreChunk.addRetry({ errors: NON_RETRYABLE_ERRORS, maxAttempts: 0 });
  scoreChunk.addRetry({ errors: ['States.TaskFailed', 'States.Timeout'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });
  const scoreChunks = new sfn.Map(scope, 'ScoreChunks', {
    itemsPath: plan('chunks'),
    maxConcurrency: steps.maxConcurrency ?? 4,
    itemSelector: {
      'runId.$': plan('runId'),
      'input.$': plan('input'),
      'model.$': plan('model'),
      'header.$': plan('header'),
      'chunk.$': '$$.Map.Item.Value',
      'executionId.$': '$$.Execution.Id',
    },
    // Chunk results live in their checkpoints; the state only needs to know they all finished.
    resultPath: sfn.JsonPath.DISCARD,
  });
  scoreChunks.itemProcessor(scoreChunk);
  scoreChunks.addCatch(onFailure, catchAll);

  // --- merge and hand off ------------------------------------------------------------------
  const mergeBatch = new tasks.LambdaInvoke(scope, 'MergeBatch', {
    lambdaFunction: steps.mergeBatch,
    payload: sfn.TaskInput.fromObject({
      runId: sfn.JsonPath.stringAt(plan('runId')),
      runKey: sfn.JsonPath.stringAt(plan('runKey')),
      input: sfn.JsonPath.objectAt(plan('input')),
      model: sfn.JsonPath.objectAt(plan('model')),
      header: sfn.JsonPath.stringAt(plan('header')),
      chunks: sfn.JsonPath.listAt(plan('chunks')),
      records: sfn.JsonPath.numberAt(plan('records')),
      bytes: sfn.JsonPath.numberAt(plan('bytes')),
      executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
    }),
    resultSelector: { 'merged.$': '$.Payload' },
    resultPath: '$.outbox',
    taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
  });

  const markBatchScored = new tasks.DynamoUpdateItem(scope, 'MarkBatchScored', {
    table: steps.operations,
    key: batchRunKey,
    updateExpression: 'SET #status = :succeeded, completedAt = :at',
    conditionExpression: 'ownerExecution = :me',
    expressionAttributeNames: { '#status': 'status' },
    expressionAttributeValues: {
      ':succeeded': tasks.DynamoAttributeValue.fromString('SUCCEEDED'),
      ':at': str('$.outbox.merged.mergedAt'),
      ':me': str('$$.Execution.Id'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  markBatchScored.addCatch(onFailure, catchAll);

  const recordSucceeded = new tasks.DynamoPutItem(scope, 'RecordRunSucceeded', {
    table: steps.operations,
    item: {
      pk: projectKey,
      sk: fmt('RUN#{}', '$$.Execution.Name'),
      pipeline: tasks.DynamoAttributeValue.fromString('inference'),
      status: tasks.DynamoAttributeValue.fromString('SUCCEEDED'),
      batchRunId: str('$.outbox.merged.runId'),
      inputKey: str('$.key'),
      predictionsKey: str('$.outbox.merged.predictionsKey'),
      rowsScored: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.outbox.merged.rowsScored'))),
      rowsRejected: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.outbox.merged.rowsRejected'))),
      executionArn: str('$$.Execution.Id'),
      executionStartedAt: str('$$.Execution.StartTime'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  recordSucceeded.addCatch(onFailure, catchAll);
  markBatchScored.next(recordSucceeded);

  let afterScoring: sfn.IChainable;
  if (steps.monitorBatch) {
    // PlanBatch shapes the monitor's step input (`monitor`) when the production model has a training baseline;
    // a model without one is scored but not monitored. The merge branch returns the state with `outbox` added,
    // the monitor branch only `{ monitor }`; JsonMerge puts the two together.
    const monitor = new tasks.LambdaInvoke(scope, 'HandOffToMonitor', {
      lambdaFunction: steps.monitorBatch,
      payload: sfn.TaskInput.fromJsonPathAt(plan('monitor')),
      resultSelector: { monitor: { 'report.$': '$.Payload' } },
      taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
    });
    const noBaseline = new sfn.Pass(scope, 'NoBaselineToMonitor', {
      comment: 'The production model has no training baseline: the batch is scored but not monitored.',
      result: sfn.Result.fromObject({ monitor: { skipped: 'the production model has no baseline' } }),
    });
    const mergeAndMonitor = new sfn.Parallel(scope, 'MergeAndMonitor', {
      comment: 'MergeBatch writes the outbox while the data-quality monitor reads the same chunk files.',
      resultSelector: { state: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$[0]'), sfn.JsonPath.objectAt('$[1]')) },
      // No ResultPath: the result replaces the input (aws-local-stepfunctions 3.0.0 reads an explicit "$" as a key named "$").
      outputPath: '$.state',
    });
    mergeAndMonitor.branch(mergeBatch, new sfn.Choice(scope, 'HasBaseline').when(sfn.Condition.isPresent(plan('monitor')), monitor).otherwise(noBaseline));
    mergeAndMonitor.addCatch(onFailure, catchAll);
    afterScoring = mergeAndMonitor.next(markBatchScored);
  } else {
    mergeBatch.addCatch(onFailure, catchAll);
    afterScoring = mergeBatch
      .next(
        new sfn.Pass(scope, 'HandOffToMonitor', {
          comment: 'The batch the data-quality monitor receives; a Lambda invocation when the monitor is composed.',
          inputPath: '$.outbox.merged',
          resultPath: '$.monitor',
        }),
      )
      .next(markBatchScored);
  }

  return planBatch.next(
    new sfn.Choice(scope, 'AlreadyScored')
      .when(sfn.Condition.booleanEquals(plan('alreadyScored'), true), alreadyScored)
      .otherwise(scoreChunks.next(afterScoring)),
  );
}
