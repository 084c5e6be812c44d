import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './app-fixture';

describe('ML project (Service Catalog product and direct stack)', () => {
  const app = synthesizeApp();

  it.each(['product', 'project'] as const)('%s declares the project parameters with validation and GPU default', (which) => {
    const template = app[which];
    template.hasParameter('ProjectName', { Type: 'String', AllowedPattern: '^[a-z][a-z0-9-]{2,31}$' });
    template.hasParameter('TargetColumn', { Type: 'String', MinLength: 1 });
    template.hasParameter('EntityIdColumn', { Default: '' });
    template.hasParameter('PositiveLabel', { Default: '' });
    template.hasParameter('DriftThreshold', { Type: 'Number', Default: '0.2' });
    template.hasParameter('RetrainingSchedule', { Default: 'none' });
    template.hasParameter('TrainingInstanceType', { Default: 'ml.g5.xlarge', AllowedValues: Match.arrayWith(['ml.g5.xlarge']) });
    template.hasParameter('SpotTraining', { AllowedValues: ['true', 'false'] });
  });

  it('product and direct stack are the same construct (same resource types and counts)', () => {
    const count = (t: typeof app.product): Record<string, number> => {
      const json = t.toJSON() as { Resources: Record<string, { Type: string }> };
      const counts: Record<string, number> = {};
      for (const r of Object.values(json.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
      return counts;
    };
    expect(count(app.product)).toEqual(count(app.project));
  });

  it('starts the training pipeline when an object lands in the project training inbox', () => {
    app.product.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ 'Fn::ImportValue': 'LuminaOps:ArtifactBucketName' }] },
          object: { key: [{ prefix: { 'Fn::Join': ['', ['projects/', { Ref: 'ProjectName' }, '/training/inbox/']] } }] },
        },
      },
      Targets: [Match.objectLike({ Arn: Match.objectLike({ Ref: Match.stringLikeRegexp('StateMachine') }), InputTransformer: Match.anyValue() })],
    });
  });

  it('runs an encrypted, traced, fully logged state machine', () => {
    app.product.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      EncryptionConfiguration: Match.objectLike({ Type: 'CUSTOMER_MANAGED_KMS_KEY' }),
    });
  });

  it('scopes each pipeline function to its own project prefix', () => {
    const policies = app.product.findResources('AWS::IAM::Policy');
    const resources = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument));
    expect(resources).toContain('"/training/inbox/*"');
    expect(resources).toContain('"/datasets/*"');
    expect(resources).not.toMatch(/"Resource":"\*"[^}]*"s3:/);
  });

  it('runs every function on Node 22 with tracing, JSON logs and an encrypted retained log group', () => {
    const functions = app.product.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(2);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' }, LoggingConfig: { LogFormat: 'JSON' } });
      expect(fn.Properties.KmsKeyArn).toBeDefined();
    }
    app.product.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 90 });
  });

  it('writes each function bundle where the product template points (asset bucket + hash key)', () => {
    const functions = app.product.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      const key: string = fn.Properties.Code.S3Key;
      expect(fs.existsSync(path.join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'))).toBe(true);
    }
  });
});
