import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { InferencePipeline } from '../../../lib/constructs/inference-pipeline';
import { importPlatform } from '../../../lib/constructs/platform-contract';

/** The pipeline alone in a project-like stack that imports the platform, with cdk-nag on (synth throws on findings). */
function inferenceStack(): { template: Template; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'luminaops-inference-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false } as never);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  const stack = new Stack(app, 'Project');
  const platform = importPlatform(stack, 'LuminaOps');
  new InferencePipeline(stack, 'Inference', { config: { projectName: 'adherence' }, platform, nag: { artifactBucketArn: 'LuminaOps:ArtifactBucketArn' } });
  app.synth();
  return { template: Template.fromStack(stack), outdir };
}

function policyOf(template: Template, functionId: string): string {
  const policies = template.findResources('AWS::IAM::Policy');
  const entry = Object.entries(policies).find(([id]) => id.startsWith(`Inference${functionId}ServiceRoleDefaultPolicy`));
  if (!entry) throw new Error(`no policy for ${functionId}: ${Object.keys(policies).join(', ')}`);
  return JSON.stringify(entry[1].Properties.PolicyDocument);
}

function definitionOf(template: Template): { States: Record<string, Record<string, unknown>> } {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  // Tokens (ARNs, table names) become placeholders; the structure is what is asserted.
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

describe('InferencePipeline', () => {
  const { template, outdir } = inferenceStack();
  const definition = definitionOf(template);

  it('starts the pipeline when an object lands in the project inference inbox, with the exact object version', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ 'Fn::ImportValue': 'LuminaOps:ArtifactBucketName' }] }, object: { key: [{ prefix: 'projects/adherence/inference/inbox/' }] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('InferenceStateMachine') }, InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-object-version-id': '$.detail.object.version-id' }) }) })],
    });
  });

  it('plans, maps chunks with bounded concurrency and retry, merges, hands off to the monitor and records the run', () => {
    expect(Object.keys(definition.States)).toEqual(
      expect.arrayContaining(['PlanBatch', 'AlreadyScored', 'BatchAlreadyScored', 'ScoreChunks', 'MergeBatch', 'HandOffToMonitor', 'MarkBatchScored', 'RecordRunSucceeded', 'RecordRunFailure', 'HasBatchRun', 'MarkBatchFailed', 'NotifyFailure', 'PipelineFailed']),
    );
    const map = definition.States.ScoreChunks as { Type: string; MaxConcurrency: number; ItemsPath: string; ItemProcessor: { ProcessorConfig?: { Mode?: string }; States: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts: number }[] }> } };
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(4);
    expect(map.ItemsPath).toBe('$.batch.plan.chunks');
    expect(map.ItemProcessor.ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    const retries = map.ItemProcessor.States.ScoreChunk.Retry;
    expect(retries).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['BatchContractError']), MaxAttempts: 0 }), expect.objectContaining({ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], MaxAttempts: 3 })]));
    for (const state of ['PlanBatch', 'ScoreChunks', 'MergeBatch', 'MarkBatchScored', 'RecordRunSucceeded']) {
      expect(definition.States[state].Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordRunFailure', ResultPath: '$.failure' })]);
    }
    expect(JSON.stringify(definition)).not.toMatch(/ItemReader|JSONata|"Assign"|deleteObject/i);
  });

  it('grants each function only its inference prefix and the model artifacts', () => {
    const score = policyOf(template, 'ScoreChunk');
    expect(score).toContain('/projects/adherence/inference/inbox/*');
    expect(score).toContain('/projects/adherence/runs/*/artifacts/*');
    expect(score).toContain('/projects/adherence/inference/runs/*');
    expect(score).not.toContain('outbox');
    const merge = policyOf(template, 'MergeBatch');
    expect(merge).toContain('/projects/adherence/inference/outbox/*');
    expect(merge).not.toContain('inbox');
    expect(policyOf(template, 'PlanBatch')).not.toMatch(/s3:PutObject/);
    for (const fn of ['PlanBatch', 'ScoreChunk', 'MergeBatch']) expect(policyOf(template, fn)).not.toMatch(/s3:DeleteObject/);
  });

  it('runs an encrypted, traced, fully logged state machine', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      EncryptionConfiguration: Match.objectLike({ Type: 'CUSTOMER_MANAGED_KMS_KEY' }),
    });
  });

  it('bundles onnxruntime-node for linux-x64 only in the scoring function', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const score = Object.entries(fns).find(([id]) => id.startsWith('InferenceScoreChunk'))![1];
    const assetDir = path.join(outdir, `asset.${String(score.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(fs.readdirSync(path.join(assetDir, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual(['x64']);
    expect(fs.existsSync(path.join(assetDir, 'node_modules/onnxruntime-node/bin/napi-v6/darwin'))).toBe(false);
    expect(score.Properties.Architectures).toEqual(['x86_64']);
  });
});
