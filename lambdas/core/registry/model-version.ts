/**
 * Model versions: `registerModelVersion` allocates the next number of a project atomically
 * (an ADD counter, then a conditional put of the version item: concurrent registrations
 * never share a number, and numbers have no gaps unless a process dies between the two
 * writes), and records the artifacts, metrics, lineage and the model card's first revision.
 */
import { type ModelCard, type ModelCardNarrative, buildModelCard, cardItem, getModelCard, listModelCardRevisions } from './model-card';
import { ConditionFailedError, type RegistryStore, type StoredItem } from './store';
import { InvalidRegistryRequestError, UnknownProjectError, UnknownVersionError } from './errors';
import { checkId, checkProject, checkVersion, registryKeys, type Stage } from './keys';
import { type StageChange, type StagePointers, readStagePointers, stageOf } from './stage-pointers';
import type { StagingDecision } from './staging-decision';

export interface ModelArtifacts {
  /** XGBoost JSON model. */
  readonly modelKey: string;
  readonly onnxKey: string;
  /** Largest difference between the ONNX and the engine's scores on the check rows. */
  readonly onnxMaxAbsDiff?: number;
  /** The evaluation's metrics report, when it wrote one. */
  readonly metricsKey?: string;
  readonly baselineStatisticsKey: string;
  readonly baselineConstraintsKey: string;
  /** SHAP global feature importance. */
  readonly importanceKey: string;
}

export const TRIGGER_TYPES = ['s3', 'schedule', 'alarm', 'manual'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export interface TriggerRecord {
  readonly type: TriggerType;
  readonly detail?: Readonly<Record<string, unknown>>;
  /** For a drift alarm: which alarm and which features drifted. */
  readonly alarm?: { readonly name?: string; readonly driftedFeatures: readonly string[] };
}

export interface FeatureGroupVersion {
  readonly name: string;
  readonly version: number;
}

export interface ModelLineage {
  readonly dataset: { readonly datasetVersionId: string; readonly sha256: string; readonly key: string };
  readonly featureGroups: readonly FeatureGroupVersion[];
  readonly seedCodeVersion: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly training: { readonly backend: 'sagemaker' | 'embedded'; readonly jobName: string };
  /** The pipeline execution that produced the version. */
  readonly executionId: string;
  readonly trigger: TriggerRecord;
}

/** registered: no comparison was made; accepted: it beat the champion (or was the first); rejected: it did not. */
export type VersionStatus = 'registered' | 'accepted' | 'rejected';

export interface ModelVersionRequest {
  readonly project: string;
  readonly artifacts: ModelArtifacts;
  readonly primaryMetric: string;
  /** Metric values; null for a metric the evaluation could not compute (AUC with one class). */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly subgroupMetrics?: unknown;
  readonly lineage: ModelLineage;
  readonly status: VersionStatus;
  readonly decision?: StagingDecision;
  /** The experiment run the version came from. */
  readonly experiment?: { readonly experimentId: string; readonly runId: string };
  readonly card: Partial<ModelCardNarrative> & { readonly rows?: number };
  readonly registeredBy: string;
}

export interface ModelVersionRecord {
  readonly project: string;
  readonly version: number;
  readonly status: VersionStatus;
  readonly registeredAt: string;
  readonly registeredBy: string;
  readonly primaryMetric: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** Metrics the evaluation reported as undefined (null). */
  readonly undefinedMetrics: readonly string[];
  readonly subgroupMetrics?: unknown;
  readonly artifacts: ModelArtifacts;
  readonly lineage: ModelLineage;
  readonly decision?: StagingDecision;
  readonly experiment?: { readonly experimentId: string; readonly runId: string };
  /** The stage: derived from the stage pointers when read (see stageOf). */
  readonly stage: Stage;
}

export interface RegisteredModelVersion {
  readonly record: ModelVersionRecord;
  readonly card: ModelCard;
  /** True when the execution had already registered this version (a retried step): nothing was written. */
  readonly replayed: boolean;
}

const MAX_ALLOCATION_ATTEMPTS = 10;

export async function registerModelVersion(store: RegistryStore, request: ModelVersionRequest, deps: { now: () => Date }): Promise<RegisteredModelVersion> {
  const project = checkProject(request.project);
  checkId('lineage.executionId', request.lineage.executionId);
  const { metrics, undefinedMetrics } = splitMetrics(request.metrics);
  if (!(request.primaryMetric in request.metrics)) {
    throw new InvalidRegistryRequestError('primaryMetric', `"${request.primaryMetric}" is not among the metrics (${Object.keys(request.metrics).join(', ') || 'none'})`);
  }

  // A retried step (same execution) gets the version it already registered.
  const executionKey = registryKeys.execution(project, request.lineage.executionId);
  const earlier = await store.get('registry', executionKey);
  if (earlier) {
    const existing = await getModelVersion(store, project, Number(earlier.version));
    if (existing.card) return { record: existing.record, card: existing.card, replayed: true };
  }

  const registeredAt = deps.now().toISOString();
  for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
    const version = await store.increment('registry', registryKeys.versionCounter(project), 'last', 1);
    const record: ModelVersionRecord = {
      project,
      version,
      status: request.status,
      registeredAt,
      registeredBy: request.registeredBy,
      primaryMetric: request.primaryMetric,
      metrics,
      undefinedMetrics,
      ...(request.subgroupMetrics === undefined ? {} : { subgroupMetrics: request.subgroupMetrics }),
      artifacts: request.artifacts,
      lineage: request.lineage,
      ...(request.decision ? { decision: request.decision } : {}),
      ...(request.experiment ? { experiment: request.experiment } : {}),
      stage: 'none',
    };
    try {
      await store.put('registry', { ...registryKeys.version(project, version), type: 'model-version', ...record }, { kind: 'absent' });
    } catch (error) {
      // Only when the counter is behind the items (e.g. restored from an older backup): take the next number.
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    const card = buildModelCard({
      project,
      version,
      revision: 1,
      narrative: request.card,
      facts: {
        trainingData: { ...request.lineage.dataset, ...(request.card.rows === undefined ? {} : { rows: request.card.rows }) },
        evaluation: { primaryMetric: request.primaryMetric, metrics, ...(request.subgroupMetrics === undefined ? {} : { subgroupMetrics: request.subgroupMetrics }) },
        training: { ...request.lineage.training, seedCodeVersion: request.lineage.seedCodeVersion, parameters: request.lineage.parameters },
      },
      createdAt: registeredAt,
      createdBy: request.registeredBy,
      changeNote: 'created at registration',
    });
    await store.put('registry', cardItem(card), { kind: 'absent' });
    await store.put('registry', { ...executionKey, type: 'execution', version }).catch(ignoreConditionFailed);
    return { record, card, replayed: false };
  }
  throw new Error(`project ${project}: no free version number after ${MAX_ALLOCATION_ATTEMPTS} attempts (is the version counter far behind?)`);
}

function splitMetrics(values: Readonly<Record<string, number | null>>): { metrics: Record<string, number>; undefinedMetrics: string[] } {
  const metrics: Record<string, number> = {};
  const undefinedMetrics: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === null) undefinedMetrics.push(name);
    else if (!Number.isFinite(value)) throw new InvalidRegistryRequestError(`metrics.${name}`, `${value} is not a finite number`);
    else metrics[name] = value;
  }
  return { metrics, undefinedMetrics };
}

function ignoreConditionFailed(error: unknown): void {
  if (!(error instanceof ConditionFailedError)) throw error;
}

/** Updates the status and decision of a version (when a re-decision changed them). */
export async function recordDecision(store: RegistryStore, project: string, version: number, status: VersionStatus, decision: StagingDecision): Promise<void> {
  await store.update('registry', registryKeys.version(project, version), { status, decision });
}

/** The highest version number allocated so far, 0 when none. */
export async function latestVersionNumber(store: RegistryStore, project: string): Promise<number> {
  const counter = await store.get('registry', registryKeys.versionCounter(project));
  return counter ? Number(counter.last) : 0;
}

function recordFromItem(item: StoredItem, pointers: StagePointers): ModelVersionRecord {
  const { pk: _pk, sk: _sk, type: _type, stageRevision: _revision, stageChangedAt: _at, ...rest } = item;
  const record = rest as unknown as ModelVersionRecord;
  return { ...record, stage: stageOf(record.version, pointers, record.stage) };
}

export interface ModelVersionSummary {
  readonly version: number;
  readonly status: VersionStatus;
  readonly stage: Stage;
  readonly registeredAt: string;
  readonly primaryMetric: string;
  readonly primaryScore: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly datasetVersionId: string;
  readonly trigger: TriggerType;
  readonly executionId: string;
}

/** Every version of a project, oldest first; throws UnknownProjectError when none was registered. */
export async function listModelVersions(store: RegistryStore, project: string): Promise<ModelVersionSummary[]> {
  const [items, pointers, latest] = await Promise.all([
    store.query('registry', registryKeys.partition(project), { skPrefix: registryKeys.versionPrefix }),
    readStagePointers(store, project),
    latestVersionNumber(store, project),
  ]);
  if (latest === 0 && items.length === 0) throw new UnknownProjectError(project);
  return items.map((item) => {
    const record = recordFromItem(item, pointers);
    return {
      version: record.version,
      status: record.status,
      stage: record.stage,
      registeredAt: record.registeredAt,
      primaryMetric: record.primaryMetric,
      primaryScore: record.metrics[record.primaryMetric] ?? null,
      metrics: record.metrics,
      datasetVersionId: record.lineage.dataset.datasetVersionId,
      trigger: record.lineage.trigger.type,
      executionId: record.lineage.executionId,
    };
  });
}

export interface ModelVersionDetail {
  readonly record: ModelVersionRecord;
  /** The latest card revision (or the one asked for). */
  readonly card?: ModelCard;
  readonly cardRevisions: readonly number[];
  /** Stage changes that moved this version, oldest first. */
  readonly stageHistory: readonly StageChange[];
}

/** One version with its card, metrics and lineage. */
export async function getModelVersion(store: RegistryStore, project: string, version: number, options: { cardRevision?: number } = {}): Promise<ModelVersionDetail> {
  checkVersion(version);
  const [item, pointers] = await Promise.all([store.get('registry', registryKeys.version(project, version)), readStagePointers(store, project)]);
  if (!item) {
    const latest = await latestVersionNumber(store, project);
    if (latest === 0) throw new UnknownProjectError(project);
    throw new UnknownVersionError(project, version, latest);
  }
  const [card, revisions, history] = await Promise.all([
    getModelCard(store, project, version, options.cardRevision),
    listModelCardRevisions(store, project, version),
    store.query('registry', registryKeys.partition(project), { skPrefix: registryKeys.stageChangePrefix }),
  ]);
  if (options.cardRevision !== undefined && !card) {
    throw new InvalidRegistryRequestError('cardRevision', `version ${version} has no card revision ${options.cardRevision} (revisions: ${revisions.map((r) => r.revision).join(', ') || 'none'})`);
  }
  const changes = history.map((h) => h.change as StageChange).filter((c) => c.version === version || c.displaced.some((d) => d.version === version));
  return { record: recordFromItem(item, pointers), card, cardRevisions: revisions.map((r) => r.revision), stageHistory: changes };
}

/** The version an execution registered, if it did (a retried step finds its own work). */
export async function findVersionByExecution(store: RegistryStore, project: string, executionId: string): Promise<number | undefined> {
  const item = await store.get('registry', registryKeys.execution(project, checkId('executionId', executionId)));
  return item ? Number(item.version) : undefined;
}
