/**
 * The training pipeline's registry steps, behind the register-model and stage-model
 * functions. Step input and output schemas are the contract with the workflow
 * (step-functions/training-pipeline.ts).
 *
 * register: decide against the champion → register the version (status accepted or
 * rejected, with the card) → record the experiment run → move the staging pointer when the
 * challenger won → write the card's Markdown. A retried step returns what the first attempt
 * registered instead of registering again.
 */
import * as z from 'zod';
import type { ObjectStore } from '../../shared/object-store';
import { StageConflictError } from './errors';
import { recordExperimentRun } from './experiments';
import { checkId, modelCardMarkdownKey } from './keys';
import { recordModelCardMarkdown, renderModelCardMarkdown } from './model-card';
import { type ModelVersionRecord, TRIGGER_TYPES, type TriggerRecord, findVersionByExecution, getModelVersion, recordDecision, registerModelVersion } from './model-version';
import { type StagingDecision, decideStaging } from './staging-decision';
import { findChampion, setStage } from './stages';
import type { RegistryStore } from './store';

const Metrics = z.record(z.string().min(1), z.number().finite().nullable());
const Key = z.string().min(1);

export const RegisterStepInput = z.object({
  /** `$$.Execution.Id` (an ARN) or name: the run id is its last `:` segment. */
  executionId: z.string().min(1),
  trigger: z.object({
    type: z.enum(TRIGGER_TYPES),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  dataset: z.object({ datasetVersionId: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'), key: Key, rows: z.number().int().nonnegative().optional() }),
  training: z.object({
    backend: z.enum(['sagemaker', 'embedded']),
    jobName: z.string().min(1),
    parameters: z.record(z.string(), z.string()),
    modelKey: Key,
    seedCodeVersion: z.string().min(1),
  }),
  onnx: z.object({ key: Key, maxAbsDiff: z.number().finite().nonnegative() }),
  evaluation: z.object({
    primaryMetric: z.string().min(1),
    metrics: Metrics,
    subgroupMetrics: z.unknown().optional(),
    importanceKey: Key,
    metricsKey: Key.optional(),
    /** @default - known for the engine's metrics */
    higherIsBetter: z.boolean().optional(),
    champion: z.object({ version: z.number().int().positive(), metrics: Metrics }).nullish(),
  }),
  baselineKeys: z.object({ statistics: Key, constraints: Key }),
  featureGroups: z.array(z.object({ name: z.string().min(1), version: z.number().int().positive() })).optional(),
  /** @default - the project name */
  experimentId: z.string().min(1).optional(),
  /** The card's narrative; sections left out are listed as missing on the card. */
  card: z
    .object({
      purpose: z.string().optional(),
      intendedUse: z.string().optional(),
      limitations: z.array(z.string()).optional(),
      ethicalConsiderations: z.array(z.string()).optional(),
    })
    .optional(),
});
export type RegisterStepInput = z.output<typeof RegisterStepInput>;

export const RegisterStepOutput = z.object({
  version: z.number().int().positive(),
  decision: z.enum(['staging', 'rejected']),
  championVersion: z.number().int().positive().nullable(),
  challengerScore: z.number(),
  championScore: z.number().nullable(),
  cardKey: z.string().optional(),
  primaryMetric: z.string(),
  reason: z.string(),
  experimentId: z.string(),
  runId: z.string(),
  /** True when a retried step found the version the first attempt registered. */
  replayed: z.boolean(),
});
export type RegisterStepOutput = z.output<typeof RegisterStepOutput>;

export const StageStepInput = z.object({
  version: z.number().int().positive(),
  stage: z.enum(['staging', 'production', 'archived']),
  actor: z.string().trim().min(1, 'actor must name who makes the change'),
  reason: z.string().trim().min(1, 'reason must say why'),
  /** Refuse unless the pointers are still these (what the caller looked at). */
  expect: z.object({ staging: z.number().int().positive().nullable(), production: z.number().int().positive().nullable() }).optional(),
});
export type StageStepInput = z.output<typeof StageStepInput>;

export const StageStepOutput = z.object({
  project: z.string(),
  version: z.number().int().positive(),
  from: z.enum(['none', 'staging', 'production', 'archived']),
  to: z.enum(['staging', 'production', 'archived']),
  revision: z.number().int().positive(),
  actor: z.string(),
  reason: z.string(),
  at: z.string(),
  displaced: z.array(z.object({ version: z.number().int().positive(), from: z.enum(['none', 'staging', 'production', 'archived']), to: z.literal('archived') })),
});
export type StageStepOutput = z.output<typeof StageStepOutput>;

export interface RegistryStepConfig {
  readonly projectName: string;
  readonly artifactBucket: string;
}

export interface RegistryStepDependencies {
  readonly store: RegistryStore;
  readonly objects: ObjectStore;
  readonly now: () => Date;
}

/** `arn:aws:states:…:execution:Machine:name` → `name`; a plain name stays as it is. */
export function runIdOf(executionId: string): string {
  return checkId('executionId', executionId.slice(executionId.lastIndexOf(':') + 1));
}

const MAX_REDECISIONS = 5;

export async function registerTrainingRun(input: RegisterStepInput, config: RegistryStepConfig, deps: RegistryStepDependencies): Promise<RegisterStepOutput> {
  const project = config.projectName;
  const runId = runIdOf(input.executionId);
  const experimentId = input.experimentId ?? project;
  const actor = `training-pipeline/${runId}`;

  const earlier = await findVersionByExecution(deps.store, project, input.executionId);
  if (earlier !== undefined) return replay(earlier, input, config, deps, { experimentId, runId, actor });

  // The evaluation scored the champion on the same holdout; if the champion moved since, compare with the new one's recorded metrics.
  const champion = await findChampion(deps.store, project);
  const given = input.evaluation.champion ?? undefined;
  const versus = champion && given?.version === champion.version ? given : champion ? { version: champion.version, metrics: champion.record.metrics } : undefined;
  let pointers = champion?.pointers ?? { staging: null, production: null };
  let decision = decideStaging({ challenger: input.evaluation.metrics, champion: versus, primaryMetric: input.evaluation.primaryMetric, higherIsBetter: input.evaluation.higherIsBetter });

  const registered = await registerModelVersion(
    deps.store,
    {
      project,
      artifacts: {
        modelKey: input.training.modelKey,
        onnxKey: input.onnx.key,
        onnxMaxAbsDiff: input.onnx.maxAbsDiff,
        ...(input.evaluation.metricsKey ? { metricsKey: input.evaluation.metricsKey } : {}),
        baselineStatisticsKey: input.baselineKeys.statistics,
        baselineConstraintsKey: input.baselineKeys.constraints,
        importanceKey: input.evaluation.importanceKey,
      },
      primaryMetric: input.evaluation.primaryMetric,
      metrics: input.evaluation.metrics,
      ...(input.evaluation.subgroupMetrics === undefined ? {} : { subgroupMetrics: input.evaluation.subgroupMetrics }),
      lineage: {
        dataset: { datasetVersionId: input.dataset.datasetVersionId, sha256: input.dataset.sha256, key: input.dataset.key },
        featureGroups: input.featureGroups ?? [],
        seedCodeVersion: input.training.seedCodeVersion,
        parameters: input.training.parameters,
        training: { backend: input.training.backend, jobName: input.training.jobName },
        executionId: input.executionId,
        trigger: triggerRecord(input.trigger),
      },
      status: decision.decision === 'staging' ? 'accepted' : 'rejected',
      decision,
      experiment: { experimentId, runId },
      card: { ...input.card, ...(input.dataset.rows === undefined ? {} : { rows: input.dataset.rows }) },
      registeredBy: actor,
    },
    deps,
  );
  const { version } = registered.record;
  await recordRun(input, registered.record, decision, { experimentId, runId, actor }, deps);

  for (let attempt = 0; decision.decision === 'staging'; attempt++) {
    try {
      await setStage(deps.store, project, version, 'staging', actor, decision.reason, { expect: pointers, now: deps.now });
      break;
    } catch (error) {
      // Another run moved the pointers after we decided: decide again against the new champion's recorded metrics.
      if (!(error instanceof StageConflictError) || attempt >= MAX_REDECISIONS) throw error;
      const now = await findChampion(deps.store, project);
      pointers = now?.pointers ?? { staging: null, production: null };
      decision = decideStaging({
        challenger: input.evaluation.metrics,
        champion: now ? { version: now.version, metrics: now.record.metrics } : undefined,
        primaryMetric: input.evaluation.primaryMetric,
        higherIsBetter: input.evaluation.higherIsBetter,
      });
      if (decision.decision === 'rejected') {
        await recordDecision(deps.store, project, version, 'rejected', decision);
        await recordRun(input, registered.record, decision, { experimentId, runId, actor }, deps);
      }
    }
  }

  const cardKey = await writeCardMarkdown(project, version, config, deps);
  return output(version, decision, cardKey, { experimentId, runId }, false);
}

async function replay(version: number, input: RegisterStepInput, config: RegistryStepConfig, deps: RegistryStepDependencies, run: { experimentId: string; runId: string; actor: string }): Promise<RegisterStepOutput> {
  const { record } = await getModelVersion(deps.store, config.projectName, version);
  const decision = record.decision!;
  await recordRun(input, record, decision, run, deps);
  // The first attempt may have stopped before moving the pointer.
  if (decision.decision === 'staging' && record.stage === 'none') {
    await setStage(deps.store, config.projectName, version, 'staging', run.actor, decision.reason, { now: deps.now });
  }
  const cardKey = await writeCardMarkdown(config.projectName, version, config, deps);
  return output(version, decision, cardKey, run, true);
}

function output(version: number, decision: StagingDecision, cardKey: string, run: { experimentId: string; runId: string }, replayed: boolean): RegisterStepOutput {
  return {
    version,
    decision: decision.decision,
    championVersion: decision.championVersion,
    challengerScore: decision.challengerScore,
    championScore: decision.championScore,
    cardKey,
    primaryMetric: decision.primaryMetric,
    reason: decision.reason,
    experimentId: run.experimentId,
    runId: run.runId,
    replayed,
  };
}

async function recordRun(input: RegisterStepInput, record: ModelVersionRecord, decision: StagingDecision, run: { experimentId: string; runId: string; actor: string }, deps: RegistryStepDependencies): Promise<void> {
  await recordExperimentRun(
    deps.store,
    {
      experimentId: run.experimentId,
      runId: run.runId,
      project: record.project,
      parameters: input.training.parameters,
      metrics: input.evaluation.metrics,
      artifacts: {
        model: record.artifacts.modelKey,
        onnx: record.artifacts.onnxKey,
        baselineStatistics: record.artifacts.baselineStatisticsKey,
        baselineConstraints: record.artifacts.baselineConstraintsKey,
        importance: record.artifacts.importanceKey,
        ...(record.artifacts.metricsKey ? { metrics: record.artifacts.metricsKey } : {}),
      },
      tags: {
        datasetVersionId: input.dataset.datasetVersionId,
        trainingBackend: input.training.backend,
        trainingJob: input.training.jobName,
        seedCodeVersion: input.training.seedCodeVersion,
        trigger: input.trigger.type,
        primaryMetric: input.evaluation.primaryMetric,
      },
      modelVersion: record.version,
      decision: decision.decision,
      executionId: input.executionId,
      recordedBy: run.actor,
    },
    deps,
  );
}

async function writeCardMarkdown(project: string, version: number, config: RegistryStepConfig, deps: RegistryStepDependencies): Promise<string> {
  const { card } = await getModelVersion(deps.store, project, version);
  if (!card) throw new Error(`project ${project} version ${version} has no model card`);
  const key = modelCardMarkdownKey(project, version, card.revision);
  await deps.objects.put(config.artifactBucket, key, renderModelCardMarkdown(card), 'text/markdown; charset=utf-8');
  if (card.markdownKey !== key) await recordModelCardMarkdown(deps.store, card, key);
  return key;
}

/**
 * The drifted features a composite drift alarm names: its reason data lists the triggering
 * alarms, and feature alarms are named `<project>-feature-drift-<feature>` (lib/constructs/drift-alarms.ts).
 * Anything unreadable gives no features rather than failing a registration.
 */
export function featuresFromReasonData(reasonData: unknown): string[] {
  if (typeof reasonData !== 'string' || reasonData === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(reasonData);
  } catch {
    return [];
  }
  const alarms = (parsed as { triggeringAlarms?: unknown }).triggeringAlarms;
  if (!Array.isArray(alarms)) return [];
  const features = alarms
    .map((a) => (typeof a === 'object' && a !== null ? (a as { arn?: unknown }).arn : undefined))
    .map((arn) => (typeof arn === 'string' ? /-feature-drift-(.+)$/.exec(arn)?.[1] : undefined))
    .filter((f): f is string => f !== undefined);
  return [...new Set(features)].sort();
}

/** The trigger as recorded: a drift alarm's name and drifted features are lifted out of its detail. */
export function triggerRecord(trigger: RegisterStepInput['trigger']): TriggerRecord {
  if (trigger.type !== 'alarm') return trigger.detail && Object.keys(trigger.detail).length > 0 ? { type: trigger.type, detail: trigger.detail } : { type: trigger.type };
  const detail = trigger.detail ?? {};
  const nested = typeof detail.alarm === 'object' && detail.alarm !== null ? (detail.alarm as Record<string, unknown>) : {};
  const name = [detail.alarmName, nested.name, nested.alarmName].find((v): v is string => typeof v === 'string');
  const features = [detail.driftedFeatures, nested.driftedFeatures, detail.features].find((v): v is unknown[] => Array.isArray(v)) ?? featuresFromReasonData(nested.reasonData);
  return { type: 'alarm', detail, alarm: { ...(name ? { name } : {}), driftedFeatures: features.map(String) } };
}

export async function stageModelVersion(input: StageStepInput, config: Pick<RegistryStepConfig, 'projectName'>, deps: Pick<RegistryStepDependencies, 'store' | 'now'>): Promise<StageStepOutput> {
  const change = await setStage(deps.store, config.projectName, input.version, input.stage, input.actor, input.reason, { expect: input.expect, now: deps.now });
  return { ...change, displaced: [...change.displaced] };
}
