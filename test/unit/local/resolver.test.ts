import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationTemplate,
  createResolveContext,
  DependencyCycleError,
  dependencyOrder,
  evaluateConditions,
  GivenParameters,
  JsonValue,
  ParameterValidationError,
  pseudoParameters,
  resolve,
  ResolveContext,
  resolveParameters,
  resolveString,
  TemplateResolutionError,
} from '../../../local/template/resolver';

const FIXTURE = join(__dirname, '../../fixtures/templates/tiny-pipeline.template.json');
const SCORER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:TinyPipeline-Scorer';

function loadFixture(): CloudFormationTemplate {
  return JSON.parse(readFileSync(FIXTURE, 'utf8'));
}

/** Physical ids as a provisioner would report them. */
const physicalIds: Record<string, string> = {
  Artifacts82DD59A1: 'tinypipeline-artifacts-1a2b',
  Registry4DB9CCA5: 'TinyPipeline-Registry-3C4D',
  ScorerServiceRoleBA820863: 'TinyPipeline-ScorerRole',
  InferencePipelineRoleD5089F73: 'TinyPipeline-PipelineRole',
  Scorer2C234F2E: 'TinyPipeline-Scorer',
  InferencePipelineEEF178C3: 'arn:aws:states:eu-west-1:123456789012:stateMachine:InferencePipeline',
};
const attributes: Record<string, string> = {
  'Scorer2C234F2E.Arn': SCORER_ARN,
  'ScorerServiceRoleBA820863.Arn': 'arn:aws:iam::123456789012:role/TinyPipeline-ScorerRole',
  'Database.Endpoint.Address': 'db.local',
};

function context(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    parameters: { Stage: 'dev', Subnets: ['subnet-1', 'subnet-2'], Threshold: '0.2' },
    pseudo: pseudoParameters({ stackName: 'TinyPipeline', region: 'eu-west-1', accountId: '123456789012' }),
    conditions: { IsProd: false, IsDev: true },
    mappings: { RegionSettings: { 'eu-west-1': { InstanceType: 'ml.g5.xlarge', Zones: ['a', 'b'] } } },
    ref: (id) => physicalIds[id],
    getAtt: (id, attribute) => attributes[`${id}.${attribute}`],
    ...overrides,
  };
}

function resolutionError(action: () => unknown): TemplateResolutionError {
  try {
    action();
  } catch (error) {
    if (error instanceof TemplateResolutionError) return error;
    throw error;
  }
  throw new Error('expected a TemplateResolutionError');
}

function parameterError(action: () => unknown): ParameterValidationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ParameterValidationError) return error;
    throw error;
  }
  throw new Error('expected a ParameterValidationError');
}

describe('resolve: Ref', () => {
  it('returns the physical id for a resource and the value for a parameter', () => {
    // Prepare
    const value = { Bucket: { Ref: 'Artifacts82DD59A1' }, Stage: { Ref: 'Stage' }, Subnets: { Ref: 'Subnets' } };

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toEqual({ Bucket: 'tinypipeline-artifacts-1a2b', Stage: 'dev', Subnets: ['subnet-1', 'subnet-2'] });
  });

  it.each([
    ['AWS::Region', 'eu-west-1'],
    ['AWS::AccountId', '123456789012'],
    ['AWS::Partition', 'aws'],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::StackName', 'TinyPipeline'],
    ['AWS::NotificationARNs', []],
  ])('resolves the pseudo parameter %s', (name, expected) => {
    // Act
    const resolved = resolve({ Ref: name }, context());

    // Assess
    expect(resolved).toEqual(expected);
  });

  it('resolves AWS::StackId to a CloudFormation stack ARN that is stable per stack', () => {
    // Act
    const first = resolve({ Ref: 'AWS::StackId' }, context());
    const second = resolve({ Ref: 'AWS::StackId' }, context());

    // Assess
    expect(first).toMatch(/^arn:aws:cloudformation:eu-west-1:123456789012:stack\/TinyPipeline\/[0-9a-f-]{36}$/);
    expect(second).toBe(first);
  });

  it('names the path and the missing name when a Ref cannot be resolved', () => {
    // Prepare
    const properties = { Environment: { Variables: { TABLE: { Ref: 'MissingTable' } } } };

    // Act
    const error = resolutionError(() => resolve(properties, context(), 'Resources.Scorer.Properties'));

    // Assess
    expect(error.path).toBe('Resources.Scorer.Properties.Environment.Variables.TABLE.Ref');
    expect(error.message).toContain('MissingTable');
    expect(error.name).toBe('TemplateResolutionError');
  });

  it('refuses an unknown pseudo parameter', () => {
    // Act
    const error = resolutionError(() => resolve({ Ref: 'AWS::Planet' }, context()));

    // Assess
    expect(error.reason).toBe('Ref AWS::Planet: unknown pseudo parameter');
  });

  it('wraps a failing provisioner callback with the path and keeps the cause', () => {
    // Prepare
    const failure = new Error('resource Queue is not provisioned yet');
    const ctx = context({ ref: () => { throw failure; } });

    // Act
    const error = resolutionError(() => resolve({ QueueUrl: { Ref: 'Queue' } }, ctx, 'Resources.Fn.Properties'));

    // Assess
    expect(error.path).toBe('Resources.Fn.Properties.QueueUrl.Ref');
    expect(error.reason).toBe('Ref Queue: resource Queue is not provisioned yet');
    expect(error.cause).toBe(failure);
  });
});

describe('resolve: AWS::NoValue', () => {
  it('removes the key and the array item that resolve to AWS::NoValue', () => {
    // Prepare
    const value: JsonValue = {
      Keep: 'yes',
      Drop: { Ref: 'AWS::NoValue' },
      List: ['a', { Ref: 'AWS::NoValue' }, 'b', { 'Fn::If': ['IsProd', 'prod-only', { Ref: 'AWS::NoValue' }] }],
      Conditional: { 'Fn::If': ['IsProd', { Size: 10 }, { Ref: 'AWS::NoValue' }] },
    };

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toEqual({ Keep: 'yes', List: ['a', 'b'] });
  });

  it('returns undefined when the whole value is AWS::NoValue', () => {
    // Act
    const resolved = resolve({ Ref: 'AWS::NoValue' }, context());

    // Assess
    expect(resolved).toBeUndefined();
  });
});

describe('resolve: Fn::GetAtt', () => {
  it('accepts the list form, the dotted form and a dotted attribute name', () => {
    // Prepare
    const value = [
      { 'Fn::GetAtt': ['Scorer2C234F2E', 'Arn'] },
      { 'Fn::GetAtt': 'Scorer2C234F2E.Arn' },
      { 'Fn::GetAtt': 'Database.Endpoint.Address' },
      { 'Fn::GetAtt': ['Database', 'Endpoint.Address'] },
    ];

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toEqual([SCORER_ARN, SCORER_ARN, 'db.local', 'db.local']);
  });

  it('resolves an attribute name given as an intrinsic', () => {
    // Prepare
    const ctx = context({ parameters: { Attribute: 'Arn' } });

    // Act
    const resolved = resolve({ 'Fn::GetAtt': ['Scorer2C234F2E', { Ref: 'Attribute' }] }, ctx);

    // Assess
    expect(resolved).toBe(SCORER_ARN);
  });

  it('names the path, resource and attribute when the attribute is unknown', () => {
    // Act
    const error = resolutionError(() => resolve({ Role: { 'Fn::GetAtt': ['Scorer2C234F2E', 'RoleName'] } }, context(), 'Resources.X.Properties'));

    // Assess
    expect(error.path).toBe('Resources.X.Properties.Role.Fn::GetAtt');
    expect(error.reason).toContain('Scorer2C234F2E.RoleName');
  });

  it('refuses a dotted form without an attribute', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::GetAtt': 'Scorer2C234F2E' }, context()));

    // Assess
    expect(error.reason).toContain('"LogicalId.Attribute"');
  });
});

describe('resolve: Fn::Join', () => {
  it('joins literal, Ref and GetAtt pieces as CDK writes ARNs', () => {
    // Prepare
    const tableArn = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', { Ref: 'Registry4DB9CCA5' }]],
    };
    const versions = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Scorer2C234F2E', 'Arn'] }, ':*']] };

    // Act
    const resolved = resolve([tableArn, versions], context());

    // Assess
    expect(resolved).toEqual([
      'arn:aws:dynamodb:eu-west-1:123456789012:table/TinyPipeline-Registry-3C4D',
      `${SCORER_ARN}:*`,
    ]);
  });

  it('joins a list produced by another intrinsic and drops AWS::NoValue items', () => {
    // Prepare
    const value = { 'Fn::Join': [',', { 'Fn::Split': ['|', 'a|b|c'] }] };
    const withNoValue = { 'Fn::Join': ['-', ['a', { Ref: 'AWS::NoValue' }, 'b']] };

    // Act
    const resolved = resolve([value, withNoValue], context());

    // Assess
    expect(resolved).toEqual(['a,b,c', 'a-b']);
  });

  it('refuses an object among the values, naming its position', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Join': ['', ['a', { Nested: 'object' }]] }, context(), 'Outputs.Name.Value'));

    // Assess
    expect(error.path).toBe('Outputs.Name.Value.Fn::Join[1][1]');
    expect(error.reason).toContain('must be a string');
  });

  it('refuses a malformed argument', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Join': ['', 'not-a-list'] }, context()));

    // Assess
    expect(error.reason).toContain('Fn::Join values must be a list');
  });
});

describe('resolve: Fn::Sub', () => {
  it('substitutes parameters, resources, attributes and pseudo parameters', () => {
    // Prepare
    const value = { 'Fn::Sub': '${Stage}/${Artifacts82DD59A1}/${Scorer2C234F2E.Arn}/${AWS::Region}/${AWS::AccountId}' };

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toBe(`dev/tinypipeline-artifacts-1a2b/${SCORER_ARN}/eu-west-1/123456789012`);
  });

  it('keeps ${!Literal} escapes as literal ${Literal}', () => {
    // Act
    const resolved = resolve({ 'Fn::Sub': 'echo ${!HOME} in ${AWS::Region} costs $5 {x}' }, context());

    // Assess
    expect(resolved).toBe('echo ${HOME} in eu-west-1 costs $5 {x}');
  });

  it('uses the variables map, whose values may be intrinsics and which take precedence', () => {
    // Prepare
    const value = {
      'Fn::Sub': [
        'arn:${AWS::Partition}:s3:::${BucketName}/${Stage}/*',
        { BucketName: { Ref: 'Artifacts82DD59A1' }, Stage: { 'Fn::Select': [1, ['x', 'override']] } },
      ],
    };

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toBe('arn:aws:s3:::tinypipeline-artifacts-1a2b/override/*');
  });

  it('names the path and the placeholder when a name is unknown', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Sub': 'prefix-${Nowhere}' }, context(), 'Resources.R.Properties.Name'));

    // Assess
    expect(error.path).toBe('Resources.R.Properties.Name.Fn::Sub');
    expect(error.reason).toContain('Nowhere');
  });

  it('refuses to substitute a list parameter', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Sub': 'subnets ${Subnets}' }, context()));

    // Assess
    expect(error.reason).toBe('Fn::Sub ${Subnets} must be a string, got ["subnet-1","subnet-2"]');
  });
});

describe('resolve: Fn::Select, Fn::Split, Fn::GetAZs, Fn::Length', () => {
  it('selects by number or numeric string from a literal or computed list', () => {
    // Prepare
    const value = [
      { 'Fn::Select': [0, ['first', 'second']] },
      { 'Fn::Select': ['1', { Ref: 'Subnets' }] },
      { 'Fn::Select': [2, { 'Fn::Split': ['/', 'a/b/c/d'] }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [0, { 'Fn::GetAZs': { Ref: 'AWS::Region' } }] },
    ];

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toEqual(['first', 'subnet-2', 'c', 'eu-west-1b', 'eu-west-1a']);
  });

  it('refuses an index outside the list', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Select': [3, ['a', 'b']] }, context(), 'Outputs.Third.Value'));

    // Assess
    expect(error.path).toBe('Outputs.Third.Value.Fn::Select');
    expect(error.reason).toBe('Fn::Select index 3 is out of range for a list of 2');
  });

  it('refuses a negative or fractional index', () => {
    // Act
    const negative = resolutionError(() => resolve({ 'Fn::Select': [-1, ['a']] }, context()));
    const fractional = resolutionError(() => resolve({ 'Fn::Select': ['0.5', ['a']] }, context()));

    // Assess
    expect(negative.reason).toContain('whole number');
    expect(fractional.reason).toContain('whole number');
  });

  it('refuses an empty Fn::Split delimiter', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Split': ['', 'abc'] }, context()));

    // Assess
    expect(error.reason).toBe('Fn::Split delimiter must not be empty');
  });

  it('uses the availability zones the caller supplies', () => {
    // Prepare
    const ctx = context({ availabilityZones: (region) => [`${region}-az1`, `${region}-az2`] });

    // Act
    const resolved = resolve({ 'Fn::GetAZs': 'us-west-2' }, ctx);

    // Assess
    expect(resolved).toEqual(['us-west-2-az1', 'us-west-2-az2']);
  });

  it('counts list items with Fn::Length', () => {
    // Act
    const resolved = resolve([{ 'Fn::Length': ['a', 'b', 'c'] }, { 'Fn::Length': { Ref: 'Subnets' } }], context());

    // Assess
    expect(resolved).toEqual([3, 2]);
  });
});

describe('resolve: Fn::ImportValue', () => {
  it('returns the export from the caller', () => {
    // Prepare
    const ctx = context({ importValue: (name) => (name === 'Platform-KeyArn' ? 'arn:aws:kms:eu-west-1:123456789012:key/k1' : undefined) });

    // Act
    const resolved = resolve({ 'Fn::ImportValue': { 'Fn::Sub': 'Platform-KeyArn' } }, ctx);

    // Assess
    expect(resolved).toBe('arn:aws:kms:eu-west-1:123456789012:key/k1');
  });

  it('names the missing export, with or without an import lookup', () => {
    // Prepare
    const ctx = context({ importValue: () => undefined });

    // Act
    const missing = resolutionError(() => resolve({ 'Fn::ImportValue': 'Other-Export' }, ctx, 'Resources.A.Properties.Key'));
    const noLookup = resolutionError(() => resolve({ 'Fn::ImportValue': 'Other-Export' }, context()));

    // Assess
    expect(missing.path).toBe('Resources.A.Properties.Key.Fn::ImportValue');
    expect(missing.reason).toBe('Fn::ImportValue Other-Export: no stack exports Other-Export');
    expect(noLookup.reason).toBe('Fn::ImportValue Other-Export: no stack exports Other-Export');
  });
});

describe('resolve: Fn::If', () => {
  it('resolves only the branch its condition selects', () => {
    // Prepare
    const value = {
      Dev: { 'Fn::If': ['IsDev', { Ref: 'Stage' }, { Ref: 'DoesNotExist' }] },
      Prod: { 'Fn::If': ['IsProd', { Ref: 'DoesNotExist' }, 'not-prod'] },
    };

    // Act
    const resolved = resolve(value, context());

    // Assess
    expect(resolved).toEqual({ Dev: 'dev', Prod: 'not-prod' });
  });

  it('refuses a condition that is not declared', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::If': ['IsStaging', 'a', 'b'] }, context(), 'Outputs.O.Value'));

    // Assess
    expect(error.path).toBe('Outputs.O.Value.Fn::If[0]');
    expect(error.reason).toBe('Fn::If: condition IsStaging is not defined in Conditions');
  });
});

describe('resolve: Fn::FindInMap', () => {
  it('looks up a mapping with computed keys', () => {
    // Act
    const resolved = resolve(
      [
        { 'Fn::FindInMap': ['RegionSettings', { Ref: 'AWS::Region' }, 'InstanceType'] },
        { 'Fn::FindInMap': ['RegionSettings', 'eu-west-1', 'Zones'] },
      ],
      context(),
    );

    // Assess
    expect(resolved).toEqual(['ml.g5.xlarge', ['a', 'b']]);
  });

  it('falls back to DefaultValue and otherwise names the missing key', () => {
    // Prepare
    const missing = { 'Fn::FindInMap': ['RegionSettings', 'ap-south-1', 'InstanceType'] };
    const withDefault = { 'Fn::FindInMap': ['RegionSettings', 'ap-south-1', 'InstanceType', { DefaultValue: 'ml.m5.large' }] };

    // Act
    const error = resolutionError(() => resolve(missing, context()));
    const resolved = resolve(withDefault, context());

    // Assess
    expect(error.reason).toBe('Fn::FindInMap: map RegionSettings has no key ap-south-1');
    expect(resolved).toBe('ml.m5.large');
  });

  it('names a missing map and a missing second-level key', () => {
    // Act
    const noMap = resolutionError(() => resolve({ 'Fn::FindInMap': ['Nope', 'a', 'b'] }, context()));
    const noKey = resolutionError(() => resolve({ 'Fn::FindInMap': ['RegionSettings', 'eu-west-1', 'Gpu'] }, context()));

    // Assess
    expect(noMap.reason).toBe('Fn::FindInMap: Mappings has no map Nope');
    expect(noKey.reason).toBe('Fn::FindInMap: map RegionSettings.eu-west-1 has no key Gpu');
  });
});

describe('resolve: Fn::Base64 and Fn::ToJsonString', () => {
  it('encodes a resolved string as base64', () => {
    // Act
    const resolved = resolve({ 'Fn::Base64': { 'Fn::Sub': '#!/bin/sh\necho ${Stage}' } }, context());

    // Assess
    expect(Buffer.from(String(resolved), 'base64').toString('utf8')).toBe('#!/bin/sh\necho dev');
  });

  it('serialises a resolved object as JSON', () => {
    // Act
    const resolved = resolve({ 'Fn::ToJsonString': { bucket: { Ref: 'Artifacts82DD59A1' }, zones: { 'Fn::GetAZs': '' } } }, context());

    // Assess
    expect(JSON.parse(String(resolved))).toEqual({ bucket: 'tinypipeline-artifacts-1a2b', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] });
  });

  it('refuses to serialise a plain string', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::ToJsonString': 'text' }, context()));

    // Assess
    expect(error.reason).toBe('Fn::ToJsonString expects an object or a list, got "text"');
  });
});

describe('resolve: functions that do not belong in properties', () => {
  it('refuses an unsupported intrinsic by name', () => {
    // Act
    const error = resolutionError(() => resolve({ Cidr: { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] } }, context(), 'Resources.Vpc.Properties'));

    // Assess
    expect(error.path).toBe('Resources.Vpc.Properties.Cidr.Fn::Cidr');
    expect(error.reason).toBe('unsupported intrinsic function Fn::Cidr');
  });

  it('refuses a condition function outside Conditions', () => {
    // Act
    const error = resolutionError(() => resolve({ 'Fn::Equals': ['a', 'a'] }, context()));

    // Assess
    expect(error.reason).toContain('condition function');
  });

  it('resolveString refuses a value that is not a string', () => {
    // Act
    const error = resolutionError(() => resolveString({ 'Fn::Split': [',', 'a,b'] }, context(), 'Resources.SM.Properties.DefinitionString'));

    // Assess
    expect(error.path).toBe('Resources.SM.Properties.DefinitionString');
    expect(error.reason).toBe('value must be a string, got ["a","b"]');
  });
});

describe('a synthesized CDK template', () => {
  const createContext = (given: GivenParameters = {}) =>
    createResolveContext(loadFixture(), {
      parameters: given,
      pseudo: pseudoParameters({ stackName: 'TinyPipeline', region: 'eu-west-1', accountId: '123456789012' }),
      ref: (id) => physicalIds[id],
      getAtt: (id, attribute) => attributes[`${id}.${attribute}`],
    });

  it('resolves the state machine DefinitionString into ASL that names the function ARN', () => {
    // Prepare
    const template = loadFixture();
    const definitionString = template.Resources?.InferencePipelineEEF178C3.Properties?.DefinitionString ?? null;

    // Act
    const asl = JSON.parse(resolveString(definitionString, createContext(), 'Resources.InferencePipelineEEF178C3.Properties.DefinitionString'));

    // Assess
    const scoreChunk = asl.States.ScoreChunks.ItemProcessor.States.ScoreChunk;
    expect(scoreChunk.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(scoreChunk.Parameters).toEqual({ FunctionName: SCORER_ARN, 'Payload.$': '$' });
    expect(asl.States.RecordRun.Resource).toBe('arn:aws:states:::dynamodb:putItem');
    expect(asl.States.RecordRun.Parameters.TableName).toBe('TinyPipeline-Registry-3C4D');
    expect(asl.TimeoutSeconds).toBe(300);
  });

  it('resolves the function environment, role and IAM policy ARNs', () => {
    // Prepare
    const template = loadFixture();
    const ctx = createContext({ DriftThreshold: '0.35' });

    // Act
    const scorer = resolve(template.Resources?.Scorer2C234F2E.Properties ?? null, ctx, 'Resources.Scorer2C234F2E.Properties');
    const policy = resolve(template.Resources?.InferencePipelineRoleDefaultPolicy26B682D5.Properties ?? null, ctx);

    // Assess
    expect(scorer).toMatchObject({
      Environment: { Variables: { BUCKET: 'tinypipeline-artifacts-1a2b', TABLE: 'TinyPipeline-Registry-3C4D', THRESHOLD: '0.35' } },
      Role: 'arn:aws:iam::123456789012:role/TinyPipeline-ScorerRole',
    });
    expect(policy).toMatchObject({
      Roles: ['TinyPipeline-PipelineRole'],
      PolicyDocument: {
        Statement: [
          { Action: 'dynamodb:PutItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/TinyPipeline-Registry-3C4D' },
          { Action: 'lambda:InvokeFunction', Resource: [SCORER_ARN, `${SCORER_ARN}:*`] },
        ],
      },
    });
  });

  it('takes parameter defaults, leaves out the SSM BootstrapVersion and evaluates the condition', () => {
    // Act
    const defaults = createContext();
    const prod = createContext({ Stage: 'prod' });

    // Assess
    expect(defaults.parameters).toEqual({ Stage: 'dev', DriftThreshold: '0.2' });
    expect(defaults.conditions).toEqual({ IsProd: false });
    expect(prod.conditions).toEqual({ IsProd: true });
  });

  it('resolves the output export name written with Fn::Sub', () => {
    // Prepare
    const template = loadFixture();

    // Act
    const outputs = resolve(template.Outputs ?? null, createContext(), 'Outputs');

    // Assess
    expect(outputs).toEqual({
      PipelineArn: {
        Value: 'arn:aws:states:eu-west-1:123456789012:stateMachine:InferencePipeline',
        Export: { Name: 'TinyPipeline-PipelineArn' },
        Condition: 'IsProd',
      },
    });
  });

  it('orders resources so that each comes after what it refers to', () => {
    // Act
    const order = dependencyOrder(loadFixture());
    const position = (id: string) => order.indexOf(id);

    // Assess
    expect(order).toHaveLength(7);
    expect(position('ScorerServiceRoleBA820863')).toBeLessThan(position('Scorer2C234F2E'));
    expect(position('Scorer2C234F2E')).toBeLessThan(position('InferencePipelineRoleDefaultPolicy26B682D5'));
    expect(position('InferencePipelineRoleD5089F73')).toBeLessThan(position('InferencePipelineRoleDefaultPolicy26B682D5'));
    expect(position('InferencePipelineRoleDefaultPolicy26B682D5')).toBeLessThan(position('InferencePipelineEEF178C3'));
    expect(position('Registry4DB9CCA5')).toBeLessThan(position('InferencePipelineEEF178C3'));
  });

  it('refuses a given value outside the template AllowedValues', () => {
    // Act
    const error = parameterError(() => createContext({ Stage: 'qa' }));

    // Assess
    expect(error.problems).toEqual([{ parameter: 'Stage', reason: 'value "qa" is not one of AllowedValues ["dev","prod"]' }]);
  });
});

describe('resolveParameters', () => {
  it('applies defaults and returns values as Ref returns them', () => {
    // Prepare
    const declared = {
      Name: { Type: 'String', Default: 'churn' },
      Threshold: { Type: 'Number', Default: 0.2 },
      Columns: { Type: 'CommaDelimitedList', Default: 'age, income,plan' },
      Weights: { Type: 'List<Number>' },
      Subnets: { Type: 'List<AWS::EC2::Subnet::Id>', Default: 'subnet-1,subnet-2' },
      KeyName: { Type: 'AWS::EC2::KeyPair::KeyName', Default: 'dev-key' },
    };

    // Act
    const resolved = resolveParameters(declared, { Threshold: 0.5, Weights: ['1', '2.5'] });

    // Assess
    expect(resolved).toEqual({
      Name: 'churn',
      Threshold: '0.5',
      Columns: ['age', 'income', 'plan'],
      Weights: ['1', '2.5'],
      Subnets: ['subnet-1', 'subnet-2'],
      KeyName: 'dev-key',
    });
  });

  it.each([
    [{ Type: 'String', AllowedValues: ['a', 'b'] }, 'c', 'value "c" is not one of AllowedValues ["a","b"]'],
    [{ Type: 'String', AllowedPattern: '[a-z][a-z0-9-]*' }, 'Churn', 'value "Churn" does not match AllowedPattern [a-z][a-z0-9-]*'],
    [{ Type: 'String', AllowedPattern: '[a-z]+' }, 'abc1', 'value "abc1" does not match AllowedPattern [a-z]+'],
    [{ Type: 'String', MinLength: 3 }, 'ab', 'value "ab" is shorter than MinLength 3'],
    [{ Type: 'String', MaxLength: '4' }, 'abcde', 'value "abcde" is longer than MaxLength 4'],
    [{ Type: 'Number' }, 'ten', 'value "ten" is not a number'],
    [{ Type: 'Number' }, '', 'value "" is not a number'],
    [{ Type: 'Number', MinValue: 0 }, '-0.1', 'value "-0.1" is below MinValue 0'],
    [{ Type: 'Number', MaxValue: 1 }, '1.5', 'value "1.5" is above MaxValue 1'],
    [{ Type: 'Number', AllowedValues: [1, 2] }, '3', 'value "3" is not one of AllowedValues [1,2]'],
    [{ Type: 'CommaDelimitedList', AllowedValues: ['x', 'y'] }, 'x,z', 'item "z" is not one of AllowedValues ["x","y"]'],
    [{ Type: 'List<Number>' }, '1,two', 'item "two" is not a number'],
    [{ Type: 'Strng' }, 'a', 'has unknown Type "Strng"'],
  ])('refuses %j given %j', (declaration, value, reason) => {
    // Act
    const error = parameterError(() => resolveParameters({ Param: declaration }, { Param: value }));

    // Assess
    expect(error.problems).toEqual([{ parameter: 'Param', reason }]);
    expect(error.message).toContain(`Param: ${reason}`);
  });

  it('accepts values on the boundaries of every constraint', () => {
    // Prepare
    const declared = {
      Ratio: { Type: 'Number', MinValue: 0, MaxValue: 1 },
      Name: { Type: 'String', MinLength: 2, MaxLength: 3, AllowedPattern: '[a-z]+' },
      Mode: { Type: 'Number', AllowedValues: ['1', '2'] },
    };

    // Act
    const resolved = resolveParameters(declared, { Ratio: '1', Name: 'ab', Mode: 2 });

    // Assess
    expect(resolved).toEqual({ Ratio: '1', Name: 'ab', Mode: '2' });
  });

  it('reports every problem at once: missing, undeclared and invalid, with the ConstraintDescription', () => {
    // Prepare
    const declared = {
      ProjectName: { Type: 'String' },
      Instance: { Type: 'String', AllowedValues: ['ml.g5.xlarge'], ConstraintDescription: 'a GPU training instance' },
    };

    // Act
    const error = parameterError(() => resolveParameters(declared, { Instance: 'ml.t3.medium', Extra: 'x' }));

    // Assess
    expect(error.name).toBe('ParameterValidationError');
    expect(error.problems).toEqual([
      { parameter: 'Extra', reason: 'is not declared in the template' },
      { parameter: 'ProjectName', reason: 'has no value and no Default' },
      { parameter: 'Instance', reason: 'value "ml.t3.medium" is not one of AllowedValues ["ml.g5.xlarge"] (a GPU training instance)' },
    ]);
  });

  it('refuses a list for a single-valued parameter and an invalid AllowedPattern', () => {
    // Act
    const error = parameterError(() =>
      resolveParameters({ Single: { Type: 'String' }, Bad: { Type: 'String', AllowedPattern: '([a-z' } }, { Single: ['a', 'b'], Bad: 'a' }),
    );

    // Assess
    expect(error.problems).toEqual([
      { parameter: 'Single', reason: 'must be a single value, got ["a","b"]' },
      { parameter: 'Bad', reason: 'value "a" cannot be checked: AllowedPattern ([a-z is not a valid regular expression' },
    ]);
  });

  it('looks SSM-typed parameters up when a lookup is given, and leaves them out otherwise', () => {
    // Prepare
    const declared = {
      BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
      Zones: { Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: '/net/zones' },
    };
    const store: Record<string, string> = { '/cdk-bootstrap/hnb659fds/version': '21', '/net/zones': 'a,b' };

    // Act
    const withoutLookup = resolveParameters(declared);
    const withLookup = resolveParameters(declared, {}, { ssmParameter: (name) => store[name] });
    const missing = parameterError(() => resolveParameters(declared, { Zones: '/net/other' }, { ssmParameter: (name) => store[name] }));

    // Assess
    expect(withoutLookup).toEqual({});
    expect(withLookup).toEqual({ BootstrapVersion: '21', Zones: ['a', 'b'] });
    expect(missing.problems).toEqual([{ parameter: 'Zones', reason: 'SSM parameter /net/other does not exist' }]);
  });
});

describe('pseudoParameters', () => {
  it('derives partition and URL suffix from the region', () => {
    // Act
    const china = pseudoParameters({ stackName: 'S', region: 'cn-north-1' });
    const govCloud = pseudoParameters({ stackName: 'S', region: 'us-gov-west-1' });
    const defaults = pseudoParameters({ stackName: 'S' });

    // Assess
    expect([china.partition, china.urlSuffix]).toEqual(['aws-cn', 'amazonaws.com.cn']);
    expect([govCloud.partition, govCloud.urlSuffix]).toEqual(['aws-us-gov', 'amazonaws.com']);
    expect([defaults.region, defaults.accountId, defaults.partition]).toEqual(['us-east-1', '000000000000', 'aws']);
    expect(china.stackId).toMatch(/^arn:aws-cn:cloudformation:cn-north-1:000000000000:stack\/S\//);
  });
});

describe('evaluateConditions', () => {
  const pseudo = pseudoParameters({ stackName: 'Project', region: 'eu-west-1' });

  it('evaluates Equals, Not, And, Or and Condition references with parameters, pseudo parameters and mappings', () => {
    // Prepare
    const template: CloudFormationTemplate = {
      Mappings: { Gpu: { 'eu-west-1': { Available: 'true' } } },
      Conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
        NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
        InIreland: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        HasGpu: { 'Fn::Equals': [{ 'Fn::FindInMap': ['Gpu', { Ref: 'AWS::Region' }, 'Available'] }, true] },
        ProdWithGpu: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'HasGpu' }] },
        DevOrIreland: { 'Fn::Or': [{ Condition: 'NotProd' }, { Condition: 'InIreland' }, { 'Fn::Equals': ['a', 'b'] }] },
        OneIsOne: { 'Fn::Equals': [1, '1'] },
      },
    };

    // Act
    const dev = evaluateConditions(template, { Stage: 'dev' }, pseudo);
    const prod = evaluateConditions(template, { Stage: 'prod' }, pseudo);

    // Assess
    expect(dev).toEqual({ IsProd: false, NotProd: true, InIreland: true, HasGpu: true, ProdWithGpu: false, DevOrIreland: true, OneIsOne: true });
    expect(prod.ProdWithGpu).toBe(true);
  });

  it('refuses conditions that refer to each other in a cycle', () => {
    // Prepare
    const template: CloudFormationTemplate = {
      Conditions: { A: { 'Fn::Not': [{ Condition: 'B' }] }, B: { Condition: 'A' } },
    };

    // Act
    const error = resolutionError(() => evaluateConditions(template, {}, pseudo));

    // Assess
    expect(error.reason).toBe('conditions refer to each other in a cycle: A -> B -> A');
    expect(error.path).toBe('Conditions.B.Condition');
  });

  it('refuses an undefined condition, a resource reference and a malformed operator', () => {
    // Act
    const undefinedCondition = resolutionError(() => evaluateConditions({ Conditions: { A: { Condition: 'Missing' } } }, {}, pseudo));
    const resource = resolutionError(() => evaluateConditions({ Conditions: { A: { 'Fn::Equals': [{ Ref: 'Bucket' }, 'x'] } } }, {}, pseudo));
    const tooFew = resolutionError(() => evaluateConditions({ Conditions: { A: { 'Fn::And': [{ 'Fn::Equals': ['a', 'a'] }] } } }, {}, pseudo));
    const notACondition = resolutionError(() => evaluateConditions({ Conditions: { A: 'true' } }, {}, pseudo));

    // Assess
    expect(undefinedCondition.reason).toBe('condition Missing is not defined in Conditions');
    expect(resource.path).toBe('Conditions.A.Fn::Equals[0].Ref');
    expect(resource.reason).toBe('Ref Bucket: conditions cannot refer to resources');
    expect(tooFew.reason).toContain('Fn::And expects a list of 2 to 10 operands');
    expect(notACondition.path).toBe('Conditions.A');
  });
});

describe('dependencyOrder', () => {
  const template = (resources: Record<string, JsonValue>, extra: Partial<CloudFormationTemplate> = {}): CloudFormationTemplate =>
    JSON.parse(JSON.stringify({ Parameters: { Stage: { Type: 'String' } }, Resources: resources, ...extra }));

  it('puts referenced resources first and keeps template order otherwise', () => {
    // Prepare
    const resources = {
      Pipeline: { Type: 'AWS::StepFunctions::StateMachine', Properties: { Definition: { 'Fn::Sub': '${Fn.Arn} ${!Literal} ${Stage} ${AWS::Region}' } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': 'Role.Arn' }, Name: { Ref: 'Stage' } } },
      Unrelated: { Type: 'AWS::SNS::Topic' },
      Role: { Type: 'AWS::IAM::Role', DependsOn: 'Unrelated' },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { Tags: [{ 'Fn::Sub': ['${T}', { T: { Ref: 'Fn' } }] }] } },
    };

    // Act
    const order = dependencyOrder(template(resources));

    // Assess
    expect(order).toEqual(['Unrelated', 'Role', 'Fn', 'Pipeline', 'Table']);
  });

  it('reports a cycle with each link and where it is made', () => {
    // Prepare
    const resources = {
      A: { Type: 'T', Properties: { X: { Ref: 'B' } } },
      B: { Type: 'T', Properties: { Y: { 'Fn::GetAtt': ['C', 'Arn'] } } },
      C: { Type: 'T', DependsOn: ['A'] },
    };

    // Act
    let error: unknown;
    try {
      dependencyOrder(template(resources));
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect(error).toBeInstanceOf(TemplateResolutionError);
    const cycle = error as DependencyCycleError;
    expect(cycle.cycle).toEqual(['A', 'B', 'C', 'A']);
    expect(cycle.message).toContain('A -> B at Resources.A.Properties.X.Ref');
    expect(cycle.message).toContain('B -> C at Resources.B.Properties.Y.Fn::GetAtt');
    expect(cycle.message).toContain('C -> A at Resources.C.DependsOn');
  });

  it('reports a resource that refers to itself', () => {
    // Act
    const error = resolutionError(() => dependencyOrder(template({ Self: { Type: 'T', Properties: { Name: { 'Fn::Sub': '${Self}' } } } })));

    // Assess
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect(error.message).toContain('Self -> Self');
  });

  it('refuses references to names that are neither parameters nor resources', () => {
    // Act
    const ref = resolutionError(() => dependencyOrder(template({ A: { Type: 'T', Properties: { X: { Ref: 'Typo' } } } })));
    const dependsOn = resolutionError(() => dependencyOrder(template({ A: { Type: 'T', DependsOn: ['Ghost'] } })));

    // Assess
    expect(ref.path).toBe('Resources.A.Properties.X.Ref');
    expect(ref.reason).toBe('Ref Typo: no parameter or resource named Typo');
    expect(dependsOn.path).toBe('Resources.A.DependsOn');
    expect(dependsOn.reason).toBe('DependsOn Ghost: no parameter or resource named Ghost');
  });

  it('leaves out resources whose condition is false and follows only the Fn::If branch taken', () => {
    // Prepare
    const resources = {
      Alarm: { Type: 'T', Condition: 'IsProd' },
      Topic: { Type: 'T', Properties: { Target: { 'Fn::If': ['IsProd', { Ref: 'Alarm' }, { Ref: 'AWS::NoValue' }] } } },
      Queue: { Type: 'T' },
    };
    const withConditions = template(resources, { Conditions: { IsProd: { 'Fn::Equals': ['a', 'b'] } } });

    // Act
    const unconditional = dependencyOrder(withConditions);
    const dev = dependencyOrder(withConditions, { conditions: { IsProd: false } });
    const prod = dependencyOrder(withConditions, { conditions: { IsProd: true } });
    const broken = resolutionError(() =>
      dependencyOrder(template({ ...resources, Queue: { Type: 'T', Properties: { A: { Ref: 'Alarm' } } } }), { conditions: { IsProd: false } }),
    );

    // Assess
    expect(unconditional).toEqual(['Alarm', 'Topic', 'Queue']);
    expect(dev).toEqual(['Topic', 'Queue']);
    expect(prod).toEqual(['Alarm', 'Topic', 'Queue']);
    expect(broken.reason).toBe('Ref Alarm: resource Alarm is not created because condition IsProd is false');
  });
});
