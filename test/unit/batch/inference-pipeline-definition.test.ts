/**
 * The inference workflow's shape when a monitor function is composed: the merge and the
 * data-quality monitor run side by side in one Parallel state whose failure is caught, and
 * the state after it sees the merge's `outbox` and the monitor's `monitor` as before.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { inferencePipelineDefinition } from '../../../step-functions/inference-pipeline';

type State = Record<string, unknown> & { Type: string };

function definition(): { States: Record<string, State> } {
  const app = new App({ builtinCloudFormationValidation: false } as never);
  const stack = new Stack(app, 'Pipeline');
  const fn = (name: string): lambda.IFunction => lambda.Function.fromFunctionArn(stack, name, `arn:aws:lambda:us-east-1:123456789012:function:${name}`);
  const chain = inferencePipelineDefinition(stack, {
    projectName: 'adherence',
    planBatch: fn('plan'),
    scoreChunk: fn('score'),
    mergeBatch: fn('merge'),
    monitorBatch: fn('monitor'),
    operations: dynamodb.Table.fromTableName(stack, 'Operations', 'operations'),
    alerts: sns.Topic.fromTopicArn(stack, 'Alerts', 'arn:aws:sns:us-east-1:123456789012:alerts'),
  });
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(chain) });
  const template = app.synth().getStackByName('Pipeline').template as { Resources: Record<string, { Type: string; Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } } }> };
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  return JSON.parse(machine.Properties.DefinitionString['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

describe('inference pipeline with a monitor function', () => {
  const { States } = definition();
  const parallel = States.MergeAndMonitor as State & { Branches: { StartAt: string; States: Record<string, State> }[] };

  it('runs MergeBatch and the monitor hand-off side by side after the chunks are scored', () => {
    expect(States.ScoreChunks.Next).toBe('MergeAndMonitor');
    expect(parallel.Type).toBe('Parallel');
    expect(parallel.Next).toBe('MarkBatchScored');
    expect(parallel.Branches.map((b) => b.StartAt)).toEqual(['MergeBatch', 'HasBaseline']);
    const [merge, monitor] = parallel.Branches;
    expect(merge.States.MergeBatch).toMatchObject({ ResultPath: '$.outbox', ResultSelector: { 'merged.$': '$.Payload' }, End: true });
    expect(monitor.States.HasBaseline).toMatchObject({ Choices: [{ Variable: '$.batch.plan.monitor', IsPresent: true, Next: 'HandOffToMonitor' }], Default: 'NoBaselineToMonitor' });
    expect(monitor.States.HandOffToMonitor).toMatchObject({ Parameters: { 'Payload.$': '$.batch.plan.monitor' }, ResultSelector: { monitor: { 'report.$': '$.Payload' } }, End: true });
    expect(monitor.States.NoBaselineToMonitor).toMatchObject({ Result: { monitor: { skipped: 'the production model has no baseline' } }, End: true });
  });

  it('puts the two results back into the state and routes any failure to the run record', () => {
    // No ResultPath (the result replaces the input): the merge branch carries the whole state, the monitor branch adds `monitor`.
    expect(parallel).not.toHaveProperty('ResultPath');
    expect(parallel.ResultSelector).toEqual({ 'state.$': 'States.JsonMerge($[0], $[1], false)' });
    expect(parallel.OutputPath).toBe('$.state');
    expect(parallel.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordRunFailure', ResultPath: '$.failure' })]);
    for (const branch of parallel.Branches) for (const state of Object.values(branch.States)) expect(state).not.toHaveProperty('Catch');
  });
});
