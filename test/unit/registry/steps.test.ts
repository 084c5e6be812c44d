import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { listExperimentRuns } from '../../../lambdas/core/registry/experiments';
import { memoryRegistryStore } from '../../../lambdas/core/registry/memory-store';
import { getModelVersion } from '../../../lambdas/core/registry/model-version';
import { currentStages, setStage } from '../../../lambdas/core/registry/stages';
import { featuresFromReasonData, RegisterStepInput, registerTrainingRun, runIdOf, stageModelVersion, triggerRecord } from '../../../lambdas/core/registry/steps';
import { registerInput, steppingClock } from './registry-fixtures';

const BUCKET = 'artifacts';
const CONFIG = { projectName: 'adherence', artifactBucket: BUCKET };

function memoryObjects(): ObjectStore & { texts: Map<string, string> } {
  const texts = new Map<string, string>();
  return {
    texts,
    async get(bucket, key) {
      const text = texts.get(`${bucket}/${key}`);
      if (text === undefined) throw new Error(`NoSuchKey ${key}`);
      return new TextEncoder().encode(text);
    },
    async put(bucket, key, body) {
      texts.set(`${bucket}/${key}`, typeof body === 'string' ? body : new TextDecoder().decode(body));
      return {};
    },
  };
}

function setup() {
  const store = memoryRegistryStore();
  const objects = memoryObjects();
  const deps = { store, objects, now: steppingClock() };
  return { store, objects, deps, register: (input: RegisterStepInput) => registerTrainingRun(RegisterStepInput.parse(input), CONFIG, deps) };
}

describe('registerTrainingRun', () => {
  it('stages the first model, records the run and writes the card', async () => {
    const { store, objects, register } = setup();

    const output = await register(registerInput('run-1', { auc: 0.8, logLoss: 0.45 }));

    expect(output).toEqual({
      version: 1,
      decision: 'staging',
      championVersion: null,
      challengerScore: 0.8,
      championScore: null,
      cardKey: 'projects/adherence/registry/000001/model-card.r1.md',
      primaryMetric: 'auc',
      reason: 'first model of the project (auc 0.8000)',
      experimentId: 'adherence',
      runId: 'run-1',
      replayed: false,
    });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 1, production: null });
    const detail = await getModelVersion(store, 'adherence', 1);
    expect(detail.record).toMatchObject({ status: 'accepted', stage: 'staging', artifacts: { onnxKey: 'projects/adherence/models/run-1/model.onnx', onnxMaxAbsDiff: 2e-7 } });
    expect(detail.card?.markdownKey).toBe(output.cardKey);
    expect(objects.texts.get(`${BUCKET}/${output.cardKey}`)).toContain('# Model card: adherence version 1');
    const [run] = await listExperimentRuns(store, 'adherence');
    expect(run).toMatchObject({ runId: 'run-1', modelVersion: 1, decision: 'staging', parameters: { max_depth: '6' }, artifacts: { onnx: 'projects/adherence/models/run-1/model.onnx' } });
  });

  it('records a worse second run as rejected with both scores and leaves staging unchanged', async () => {
    const { store, register } = setup();
    await register(registerInput('run-1', { auc: 0.8 }));

    const output = await register(registerInput('run-2', { auc: 0.75 }, {}));

    expect(output).toMatchObject({ version: 2, decision: 'rejected', championVersion: 1, challengerScore: 0.75, championScore: 0.8 });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 1, revision: 1 });
    const detail = await getModelVersion(store, 'adherence', 2);
    expect(detail.record).toMatchObject({ status: 'rejected', stage: 'none', decision: { decision: 'rejected', championScore: 0.8 } });
  });

  it('compares with the champion scores the evaluation measured on the same holdout', async () => {
    const { store, register } = setup();
    await register(registerInput('run-1', { auc: 0.8 }));
    const input = registerInput('run-2', { auc: 0.78 });

    // Rescored on the new holdout the champion does worse than its recorded 0.8.
    const output = await register({ ...input, evaluation: { ...input.evaluation, champion: { version: 1, metrics: { auc: 0.76 } } } });

    expect(output).toMatchObject({ version: 2, decision: 'staging', championVersion: 1, championScore: 0.76 });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 2 });
    expect((await getModelVersion(store, 'adherence', 1)).record.stage).toBe('archived');
  });

  it('a retried step returns what the first attempt registered', async () => {
    const { store, register } = setup();
    const first = await register(registerInput('run-1', { auc: 0.8 }));

    const retried = await register(registerInput('run-1', { auc: 0.8 }));

    expect(retried).toEqual({ ...first, replayed: true });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 1, revision: 1 });
  });

  it('compares with the current champion\'s recorded scores when the evaluated champion is no longer the champion', async () => {
    const { store, deps } = setup();
    await registerTrainingRun(registerInput('run-1', { auc: 0.8 }), CONFIG, deps);
    // run-2 and run-3 both evaluated against version 1; run-3 (better) lands first.
    const stale = registerInput('run-2', { auc: 0.85 });
    await registerTrainingRun(registerInput('run-3', { auc: 0.9 }, { evaluation: { ...stale.evaluation, metrics: { auc: 0.9 }, champion: { version: 1, metrics: { auc: 0.8 } } } }), CONFIG, deps);

    const output = await registerTrainingRun({ ...stale, evaluation: { ...stale.evaluation, champion: { version: 1, metrics: { auc: 0.8 } } } }, CONFIG, deps);

    expect(output).toMatchObject({ version: 3, decision: 'rejected', championVersion: 2, championScore: 0.9 });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: 2 });
  });

  it('10 concurrent runs: staging ends on the best one, each staging beat the one before it', async () => {
    const { store, deps } = setup();
    const aucs = [0.71, 0.74, 0.9, 0.73, 0.8, 0.72, 0.85, 0.7, 0.75, 0.79];

    const outputs = await Promise.all(aucs.map((auc, i) => registerTrainingRun(registerInput(`run-${i}`, { auc }), CONFIG, deps)));

    const best = outputs[aucs.indexOf(0.9)];
    expect(best.decision).toBe('staging');
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: best.version });
    const history = (await getModelVersion(store, 'adherence', best.version)).stageHistory;
    expect(history[history.length - 1]).toMatchObject({ version: best.version, to: 'staging' });
    const stagedScores = (await Promise.all(outputs.filter((o) => o.decision === 'staging').map((o) => getModelVersion(store, 'adherence', o.version))))
      .map((d) => ({ revision: d.stageHistory.find((c) => c.version === d.record.version && c.to === 'staging')!.revision, auc: d.record.metrics.auc }))
      .sort((a, b) => a.revision - b.revision)
      .map((s) => s.auc);
    expect(stagedScores).toEqual([...stagedScores].sort((a, b) => a - b));
    expect(new Set(outputs.map((o) => o.version)).size).toBe(10);
  });

  it('records a drift alarm trigger with its drifted features', async () => {
    const { store, register } = setup();

    await register(registerInput('run-1', { auc: 0.8 }, { trigger: { type: 'alarm', detail: { alarmName: 'adherence-drift', driftedFeatures: ['age', 'hba1c'] } } }));

    expect((await getModelVersion(store, 'adherence', 1)).record.lineage.trigger).toEqual({
      type: 'alarm',
      detail: { alarmName: 'adherence-drift', driftedFeatures: ['age', 'hba1c'] },
      alarm: { name: 'adherence-drift', driftedFeatures: ['age', 'hba1c'] },
    });
  });
});

describe('step schemas', () => {
  it('name the bad field', () => {
    const input = registerInput('run-1', { auc: 0.8 });
    const parsed = RegisterStepInput.safeParse({ ...input, dataset: { ...input.dataset, sha256: 'xyz' }, trigger: { type: 'email' } });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['dataset.sha256', 'trigger.type']);
  });

  it('runIdOf takes the execution name from an ARN', () => {
    expect(runIdOf('arn:aws:states:us-east-1:000000000000:execution:Training:abc-123')).toBe('abc-123');
    expect(runIdOf('manual-7')).toBe('manual-7');
  });
});

describe('stageModelVersion', () => {
  it('promotes staging to production for a named person with a reason', async () => {
    const { store, deps, register } = setup();
    await register(registerInput('run-1', { auc: 0.8 }));

    const change = await stageModelVersion({ version: 1, stage: 'production', actor: 'dr.lee', reason: 'card approved' }, CONFIG, deps);

    expect(change).toMatchObject({ project: 'adherence', version: 1, from: 'staging', to: 'production', actor: 'dr.lee', reason: 'card approved', revision: 2, displaced: [] });
    expect(await currentStages(store, 'adherence')).toMatchObject({ staging: null, production: 1 });
    await expect(setStage(store, 'adherence', 1, 'production', 'x', 'again', { now: deps.now })).rejects.toThrow('cannot move from production to production');
  });
});

describe('triggerRecord', () => {
  const arn = (name: string): string => `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`;
  const reasonData = JSON.stringify({
    triggeringAlarms: [
      { arn: arn('adherence-feature-drift-hba1c'), state: { value: 'ALARM' } },
      { arn: arn('SC-1-pp-adherence-DriftScore-ABC'), state: { value: 'ALARM' } },
      { arn: arn('adherence-feature-drift-age'), state: { value: 'ALARM' } },
    ],
  });

  it('records a drift alarm with its name and the features its triggering feature alarms name', () => {
    expect(triggerRecord({ type: 'alarm', detail: { alarm: { name: 'adherence-any-drift', reason: 'x', reasonData } } })).toEqual({
      type: 'alarm',
      detail: { alarm: { name: 'adherence-any-drift', reason: 'x', reasonData } },
      alarm: { name: 'adherence-any-drift', driftedFeatures: ['age', 'hba1c'] },
    });
  });

  it('reads no features from missing, non-JSON or oddly shaped reason data, and drops an empty detail of other triggers', () => {
    expect(featuresFromReasonData(undefined)).toEqual([]);
    expect(featuresFromReasonData('not json')).toEqual([]);
    expect(featuresFromReasonData(JSON.stringify({ triggeringAlarms: 'no' }))).toEqual([]);
    expect(featuresFromReasonData(JSON.stringify({ triggeringAlarms: [{ arn: 7 }, null] }))).toEqual([]);
    expect(triggerRecord({ type: 's3', detail: {} })).toEqual({ type: 's3' });
  });
});
