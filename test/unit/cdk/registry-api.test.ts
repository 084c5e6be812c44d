import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { AlertsTopic } from '../../../lib/constructs/alerts-topic';
import { ArtifactStore } from '../../../lib/constructs/artifact-store';
import { PersonaRoles } from '../../../lib/constructs/persona-roles';
import { PlatformKey } from '../../../lib/constructs/platform-key';
import { PlatformTables } from '../../../lib/constructs/platform-tables';
import { RegistryApi } from '../../../lib/constructs/registry-api';

/**
 * The platform stack's registry-API wiring (the same construct ids and calls as
 * lib/stacks/platform-stack.ts) in a stack of its own, with cdk-nag (AwsSolutions and
 * HIPAA) on: synth throws on any unacknowledged finding. Standalone, so the assertions do
 * not wait for, or depend on, the ML-project product's bundling.
 */
function synthesizeRegistryApiStack(): Template {
  // The same feature flags as lib/app.ts.
  const context = require(path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'recommended-feature-flags.json')) as Record<string, unknown>;
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'registry-api-cdk-')), context, builtinCloudFormationValidation: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  const stack = new Stack(app, 'LuminaOps', { env: { account: '000000000000', region: 'us-east-1' } });
  const { key } = new PlatformKey(stack, 'Encryption');
  const store = new ArtifactStore(stack, 'ArtifactStore', { encryptionKey: key });
  const tables = new PlatformTables(stack, 'Tables', { encryptionKey: key });
  const alerts = new AlertsTopic(stack, 'Alerts', { encryptionKey: key });
  const resources = { key, artifacts: store.bucket, tables: tables.all, alerts: alerts.topic };
  const personas = new PersonaRoles(stack, 'Personas', resources);
  const registryApi = new RegistryApi(stack, 'RegistryApi', { platform: resources, personas });
  personas.allowRegistryApi(registryApi.function);
  new CfnOutput(stack, 'RegistryApiUrl', { value: registryApi.url.url });
  app.synth();
  return Template.fromStack(stack);
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

describe('RegistryApi with the persona roles', () => {
  const platform = synthesizeRegistryApiStack();

  const policiesOf = (rolePrefix: string): Statement[] =>
    Object.values(platform.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }]) } })).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
  const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => [s.Action].flat());
  const functionLogicalId = (): string => {
    const functions = platform.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^LuminaOps registry API') } });
    expect(Object.keys(functions)).toHaveLength(1);
    return Object.keys(functions)[0];
  };

  it('is a Node 22 function whose environment names the tables, the bucket, the persona roles and the account', () => {
    platform.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^LuminaOps registry API'),
      Runtime: 'nodejs22.x',
      Environment: {
        Variables: Match.objectLike({
          MODEL_REGISTRY_TABLE: { Ref: Match.stringLikeRegexp('^TablesModelRegistry') },
          AUDIT_TABLE: { Ref: Match.stringLikeRegexp('^TablesAuditTrail') },
          ARTIFACT_BUCKET: { Ref: Match.stringLikeRegexp('^ArtifactStore') },
          DATA_SCIENTIST_ROLE_NAME: { Ref: Match.stringLikeRegexp('^PersonasDataScientist') },
          ML_ENGINEER_ROLE_NAME: { Ref: Match.stringLikeRegexp('^PersonasMlEngineer') },
          MODEL_APPROVER_ROLE_NAME: { Ref: Match.stringLikeRegexp('^PersonasModelApprover') },
          PERSONA_ACCOUNT: '000000000000',
        }),
      },
    });
  });

  it('is reached through a function URL with IAM auth only, published as an output', () => {
    platform.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [functionLogicalId(), 'Arn'] } });
    platform.resourcePropertiesCountIs('AWS::Lambda::Url', { AuthType: 'NONE' }, 0);
    expect(Object.keys(platform.findOutputs('RegistryApiUrl'))).toEqual(['RegistryApiUrl']);
  });

  it('writes the registry, only appends to the audit trail, reads project configs and writes card Markdown', () => {
    const statements = policiesOf('RegistryApiHandlerServiceRole');
    const on = (resourcePattern: RegExp) => statements.filter((s) => resourcePattern.test(JSON.stringify(s.Resource)));
    expect(actionsOf(on(/TablesModelRegistry/))).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query']));
    const audit = actionsOf(on(/TablesAuditTrail/));
    expect(audit).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
    expect(audit.filter((a) => /Update|Delete|BatchWrite/.test(a))).toEqual([]);
    expect(on(/projects\/\*\/config\/project\.config\.json/).flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['s3:GetObject*']));
    expect(actionsOf(on(/projects\/\*\/registry\/\*/))).toEqual(expect.arrayContaining(['s3:PutObject']));
    expect(actionsOf(statements).filter((a) => /^(s3:Delete|iam:|cloudformation:|sts:)/.test(a))).toEqual([]);
  });

  it.each([['PersonasModelApprover'], ['PersonasMlEngineer']])('%s may invoke the registry API URL with IAM auth', (role) => {
    const invoke = policiesOf(role).filter((s) => [s.Action].flat().includes('lambda:InvokeFunctionUrl'));
    expect(invoke).toEqual([
      expect.objectContaining({ Effect: 'Allow', Resource: { 'Fn::GetAtt': [functionLogicalId(), 'Arn'] }, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } }),
    ]);
  });

  it('the data scientist cannot call the registry API (and has no Lambda permission at all)', () => {
    expect(actionsOf(policiesOf('PersonasDataScientist')).filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });

  it('no persona writes the registry or audit tables directly: changes go through the audited API', () => {
    for (const role of ['PersonasModelApprover', 'PersonasMlEngineer', 'PersonasDataScientist']) {
      const dynamoActions = actionsOf(policiesOf(role)).filter((a) => a.startsWith('dynamodb:'));
      expect(dynamoActions.filter((a) => /PutItem|UpdateItem|DeleteItem|BatchWriteItem/.test(a))).toEqual([]);
    }
    expect(actionsOf(policiesOf('PersonasModelApprover'))).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
  });

  it('gives the model approver no infrastructure permissions (CloudFormation, IAM, STS, CDK roles, Lambda management)', () => {
    const statements = policiesOf('PersonasModelApprover');
    const actions = actionsOf(statements);
    expect(actions.filter((a) => /^(cloudformation|iam|sts|ssm|ec2|servicecatalog|states):/.test(a) || a === '*')).toEqual([]);
    expect(actions.filter((a) => a.startsWith('lambda:') && a !== 'lambda:InvokeFunctionUrl' && a !== 'lambda:InvokeFunction')).toEqual([]);
    expect(statements.filter((s) => /cdk-/.test(JSON.stringify(s.Resource)))).toEqual([]);
    // lambda:InvokeFunction only as the second half of a function URL call (dual auth).
    expect(statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))).toEqual([
      expect.objectContaining({ Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } } }),
    ]);
    const managed = platform.findResources('AWS::IAM::Role', { Properties: { RoleName: Match.absent(), Description: Match.stringLikeRegexp('^LuminaOps model approver') } });
    expect(Object.values(managed).flatMap((r) => r.Properties.ManagedPolicyArns ?? [])).toEqual([]);
  });
});
