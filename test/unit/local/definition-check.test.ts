import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertRunnableLocally,
  checkDefinition,
  findAdapterKey,
  LAMBDA_FUNCTION_ARN_PATTERN,
  listTaskStates,
  UnsupportedDefinitionError,
} from '../../../local/step-functions/definition-check';
import { CloudFormationTemplate, createResolveContext, pseudoParameters, resolveString } from '../../../local/template/resolver';

const SUPPORTED = [
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::dynamodb:putItem',
  'arn:aws:states:::sagemaker:createTrainingJob.sync',
  LAMBDA_FUNCTION_ARN_PATTERN,
];
const INVOKE = 'arn:aws:states:::lambda:invoke';

/** The fixture's state machine, resolved the way the local cloud resolves it. */
function synthesizedDefinition(): string {
  const template: CloudFormationTemplate = JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/templates/tiny-pipeline.template.json'), 'utf8'),
  );
  const ctx = createResolveContext(template, {
    pseudo: pseudoParameters({ stackName: 'TinyPipeline' }),
    ref: (id) => `TinyPipeline-${id}`,
    getAtt: (id, attribute) => (attribute === 'Arn' ? `arn:aws:lambda:us-east-1:000000000000:function:TinyPipeline-${id}` : undefined),
  });
  return resolveString(template.Resources?.InferencePipelineEEF178C3.Properties?.DefinitionString ?? null, ctx);
}

function task(resource: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Type: 'Task', Resource: resource, End: true, ...extra };
}

function machine(states: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { StartAt: Object.keys(states)[0], States: states, ...extra };
}

function unsupportedError(action: () => unknown): UnsupportedDefinitionError {
  try {
    action();
  } catch (error) {
    if (error instanceof UnsupportedDefinitionError) return error;
    throw error;
  }
  throw new Error('expected an UnsupportedDefinitionError');
}

describe('checkDefinition', () => {
  it('passes the definition CDK synthesizes for a Lambda Map and a DynamoDB task', () => {
    // Prepare
    const definition = synthesizedDefinition();

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toEqual([]);
    expect(() => assertRunnableLocally(definition, SUPPORTED)).not.toThrow();
  });

  it('refuses QueryLanguage JSONata at the top level and on a state inside a Map', () => {
    // Prepare
    const definition = machine(
      {
        ScoreChunks: {
          Type: 'Map',
          End: true,
          ItemProcessor: machine({ ScoreChunk: task(INVOKE, { QueryLanguage: 'JSONata', Arguments: { FunctionName: 'f' } }) }),
        },
      },
      { QueryLanguage: 'JSONata' },
    );

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems.map((p) => [p.kind, p.path])).toEqual([
      ['jsonata', '(definition)'],
      ['jsonata', 'ScoreChunks > ItemProcessor > ScoreChunk'],
    ]);
    expect(problems[1].reason).toBe('uses QueryLanguage JSONata and the JSONata field Arguments, which is not supported locally; use JSONPath');
  });

  it('refuses JSONata-only fields on a JSONPath state', () => {
    // Prepare
    const definition = machine({ Shape: { Type: 'Pass', Output: '{% $states.input.x %}', End: true } });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toEqual([
      { kind: 'jsonata', path: 'Shape', reason: 'uses the JSONata field Output, which is not supported locally; use JSONPath' },
    ]);
  });

  it('refuses variables set by Assign on a state, a Catch and a Choice rule', () => {
    // Prepare
    const definition = machine({
      Remember: { Type: 'Pass', Assign: { runId: '$.id' }, Next: 'Route' },
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.ok', BooleanEquals: true, Next: 'Work' },
          { Variable: '$.ok', BooleanEquals: false, Next: 'Work', Assign: { retry: true } },
        ],
      },
      Work: task(INVOKE, { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Remember', Assign: { failed: true } }] }),
    });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toEqual([
      { kind: 'variables', path: 'Remember', reason: 'sets variables (Assign), which are not supported locally' },
      { kind: 'variables', path: 'Route', reason: 'sets variables (Choices[1].Assign), which are not supported locally' },
      { kind: 'variables', path: 'Work', reason: 'sets variables (Catch[0].Assign), which are not supported locally' },
    ]);
  });

  it('refuses a Distributed Map, naming each distributed feature, and still checks its tasks', () => {
    // Prepare
    const definition = machine({
      ScoreFile: {
        Type: 'Map',
        End: true,
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'CSV' } },
        ItemBatcher: { MaxItemsPerBatch: 100 },
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Score',
          States: { Score: task('arn:aws:states:::sqs:sendMessage') },
        },
      },
    });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toEqual([
      {
        kind: 'distributed-map',
        path: 'ScoreFile',
        reason: 'is a Distributed Map (ProcessorConfig Mode DISTRIBUTED, ItemReader, ResultWriter, ItemBatcher); only inline Maps run locally',
      },
      {
        kind: 'unsupported-resource',
        path: 'ScoreFile > ItemProcessor > Score',
        resource: 'arn:aws:states:::sqs:sendMessage',
        reason: 'Task Resource arn:aws:states:::sqs:sendMessage has no local adapter',
      },
    ]);
  });

  it('refuses a Map that only has an ItemReader', () => {
    // Prepare
    const definition = machine({
      ReadAll: { Type: 'Map', End: true, ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2' }, ItemProcessor: machine({ Noop: { Type: 'Succeed' } }) },
    });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems.map((p) => [p.kind, p.path, p.reason])).toEqual([
      ['distributed-map', 'ReadAll', 'is a Distributed Map (ItemReader); only inline Maps run locally'],
    ]);
  });

  it('refuses Task resources without an adapter at the top level, inside an Iterator and inside Parallel branches', () => {
    // Prepare
    const definition = machine({
      Publish: task('arn:aws:states:::sns:publish', { End: undefined, Next: 'ScoreChunks' }),
      ScoreChunks: {
        Type: 'Map',
        Next: 'Fanout',
        Iterator: machine({ ScoreChunk: task('arn:aws:states:::lambda:invoke.waitForTaskToken') }),
      },
      Fanout: {
        Type: 'Parallel',
        End: true,
        Branches: [
          machine({ Record: task('arn:aws:states:::dynamodb:putItem') }),
          machine({ Train: task('arn:aws:states:::sagemaker:createTrainingJob') }),
        ],
      },
    });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems.map((p) => [p.path, p.resource])).toEqual([
      ['Publish', 'arn:aws:states:::sns:publish'],
      ['ScoreChunks > Iterator > ScoreChunk', 'arn:aws:states:::lambda:invoke.waitForTaskToken'],
      ['Fanout > Branches[1] > Train', 'arn:aws:states:::sagemaker:createTrainingJob'],
    ]);
    expect(problems.every((p) => p.kind === 'unsupported-resource')).toBe(true);
  });

  it('accepts a bare Lambda function ARN only when the Lambda ARN pattern is supported', () => {
    // Prepare
    const definition = JSON.stringify(machine({ Direct: task('arn:aws:lambda:eu-west-1:123456789012:function:score:live') }));

    // Act
    const withPattern = checkDefinition(definition, SUPPORTED);
    const withoutPattern = checkDefinition(definition, [INVOKE]);

    // Assess
    expect(withPattern).toEqual([]);
    expect(withoutPattern.map((p) => [p.path, p.resource])).toEqual([['Direct', 'arn:aws:lambda:eu-west-1:123456789012:function:score:live']]);
  });

  it('reports a Resource that is still an unresolved intrinsic', () => {
    // Prepare
    const definition = machine({ Score: task({ 'Fn::GetAtt': ['Scorer', 'Arn'] }) });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toEqual([
      { kind: 'unsupported-resource', path: 'Score', reason: 'Task Resource must be a resolved ARN string, got {"Fn::GetAtt":["Scorer","Arn"]}' },
    ]);
  });

  it('reports Task names used in more than one scope, since local handlers are keyed by name', () => {
    // Prepare
    const definition = machine({
      Score: task(INVOKE, { End: undefined, Next: 'Again' }),
      Again: { Type: 'Map', End: true, ItemProcessor: machine({ Score: task(INVOKE) }) },
    });

    // Act
    const problems = checkDefinition(definition, SUPPORTED);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'duplicate-task-name', path: 'Again > ItemProcessor > Score' });
    expect(problems[0].reason).toContain('also used at Score');
  });

  it('refuses $$.State and $$.Task context paths, which the local engine does not provide, once per state and not for nested states', () => {
    const definition = {
      StartAt: 'Mark',
      States: {
        Mark: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { Item: { at: { 'S.$': '$$.State.EnteredTime' }, again: { 'S.$': '$$.State.EnteredTime' }, id: { 'S.$': '$$.Execution.Id' } } },
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'value.$': '$$.Map.Item.Value' },
          ItemProcessor: {
            StartAt: 'Inner',
            States: { Inner: { Type: 'Task', Resource: INVOKE, Parameters: { 'token.$': '$$.Task.Token', 'name.$': '$$.State.Name' }, End: true } },
          },
          End: true,
        },
      },
    };
    const problems = checkDefinition(definition, SUPPORTED).filter((p) => p.kind === 'context-object');
    expect(problems.map((p) => [p.path, p.reason.split(' from ')[0]])).toEqual([
      ['Mark', 'reads $$.State.EnteredTime'],
      ['Each > ItemProcessor > Inner', 'reads $$.Task.Token, $$.State.Name'],
    ]);
  });

  it('reports malformed definitions instead of crashing', () => {
    // Act
    const notJson = checkDefinition('{"StartAt": ', SUPPORTED);
    const noStates = checkDefinition({ StartAt: 'A' }, SUPPORTED);
    const badMap = checkDefinition(machine({ M: { Type: 'Map', End: true }, P: { Type: 'Parallel', End: true }, X: 'state' }), SUPPORTED);

    // Assess
    expect(notJson.map((p) => [p.kind, p.path])).toEqual([['malformed', '(definition)']]);
    expect(notJson[0].reason).toMatch(/^is not valid JSON: /);
    expect(noStates).toEqual([{ kind: 'malformed', path: '(definition)', reason: 'has no States object' }]);
    expect(badMap.map((p) => [p.path, p.reason])).toEqual([
      ['M', 'Map has neither ItemProcessor nor Iterator'],
      ['P', 'Parallel has no Branches list'],
      ['X', 'is not a state object with a Type'],
    ]);
  });
});

describe('assertRunnableLocally', () => {
  it('throws one error that names every offending state by path, with the reason and ARN', () => {
    // Prepare
    const definition = machine({
      ScoreChunks: { Type: 'Map', Next: 'Notify', Iterator: machine({ ScoreChunk: task('arn:aws:states:::ecs:runTask.sync') }) },
      Notify: { Type: 'Pass', Assign: { done: true }, End: true },
    });

    // Act
    const error = unsupportedError(() => assertRunnableLocally(definition, SUPPORTED, 'InferencePipeline'));

    // Assess
    expect(error.name).toBe('UnsupportedDefinitionError');
    expect(error.problems).toHaveLength(2);
    expect(error.message).toBe(
      'State machine InferencePipeline cannot run locally:\n'
        + '  ScoreChunks > Iterator > ScoreChunk: Task Resource arn:aws:states:::ecs:runTask.sync has no local adapter\n'
        + '  Notify: sets variables (Assign), which are not supported locally',
    );
  });
});

describe('listTaskStates', () => {
  it('lists every Task with its path, name, Resource and enclosing Map or Parallel', () => {
    // Prepare
    const definition = machine({
      Validate: task(INVOKE, { End: undefined, Next: 'Fanout' }),
      Fanout: {
        Type: 'Parallel',
        End: true,
        Branches: [
          machine({
            ScoreChunks: { Type: 'Map', End: true, ItemProcessor: machine({ ScoreChunk: task('arn:aws:lambda:us-east-1:000000000000:function:score') }) },
          }),
          machine({ Wait: { Type: 'Wait', Seconds: 1, Next: 'Train' }, Train: task('arn:aws:states:::sagemaker:createTrainingJob.sync') }),
        ],
      },
    });

    // Act
    const tasks = listTaskStates(JSON.stringify(definition));

    // Assess
    expect(tasks).toEqual([
      { path: 'Validate', name: 'Validate', resource: INVOKE, insideMap: false, insideParallel: false },
      {
        path: 'Fanout > Branches[0] > ScoreChunks > ItemProcessor > ScoreChunk',
        name: 'ScoreChunk',
        resource: 'arn:aws:lambda:us-east-1:000000000000:function:score',
        insideMap: true,
        insideParallel: true,
      },
      {
        path: 'Fanout > Branches[1] > Train',
        name: 'Train',
        resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
        insideMap: false,
        insideParallel: true,
      },
    ]);
  });

  it('lists the tasks of the synthesized definition', () => {
    // Act
    const tasks = listTaskStates(synthesizedDefinition());

    // Assess
    expect(tasks.map((t) => [t.path, t.resource, t.insideMap])).toEqual([
      ['ScoreChunks > ItemProcessor > ScoreChunk', INVOKE, true],
      ['RecordRun', 'arn:aws:states:::dynamodb:putItem', false],
    ]);
  });

  it('throws for a malformed definition', () => {
    // Act
    const error = unsupportedError(() => listTaskStates('not json'));

    // Assess
    expect(error.problems.map((p) => p.kind)).toEqual(['malformed']);
  });
});

describe('findAdapterKey', () => {
  it('prefers an exact key, then the most specific pattern', () => {
    // Prepare
    const supported = ['arn:aws:states:::dynamodb:*', 'arn:aws:states:::dynamodb:putItem', 'arn:aws:states:::*', LAMBDA_FUNCTION_ARN_PATTERN];

    // Act
    const exact = findAdapterKey('arn:aws:states:::dynamodb:putItem', supported);
    const specific = findAdapterKey('arn:aws:states:::dynamodb:getItem', supported);
    const broad = findAdapterKey('arn:aws:states:::sns:publish', supported);
    const lambdaArn = findAdapterKey('arn:aws:lambda:us-east-1:000000000000:function:f', supported);
    const none = findAdapterKey('arn:aws:sqs:us-east-1:000000000000:queue', supported);

    // Assess
    expect([exact, specific, broad, lambdaArn, none]).toEqual([
      'arn:aws:states:::dynamodb:putItem',
      'arn:aws:states:::dynamodb:*',
      'arn:aws:states:::*',
      LAMBDA_FUNCTION_ARN_PATTERN,
      undefined,
    ]);
  });

  it('treats regular-expression characters in keys literally', () => {
    // Act
    const match = findAdapterKey('arn:aws:states:::sagemaker:createTrainingJob.sync', ['arn:aws:states:::sagemaker:*.sync']);
    const noMatch = findAdapterKey('arn:aws:states:::sagemaker:createTrainingJobXsync', ['arn:aws:states:::sagemaker:*.sync']);

    // Assess
    expect(match).toBe('arn:aws:states:::sagemaker:*.sync');
    expect(noMatch).toBeUndefined();
  });
});
