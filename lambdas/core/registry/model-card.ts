/**
 * The model card: what a model is for, what it was trained on, how it scores (overall and
 * per subgroup), where it falls short and what to watch ethically. Created with the version
 * (revision 1) and versioned with it: an edit writes revision n+1 and keeps every earlier
 * revision. Facts from registration (training data, metrics, lineage) are not editable.
 */
import { ConditionFailedError, type RegistryStore, type StoredItem } from './store';
import { InvalidRegistryRequestError, UnknownVersionError } from './errors';
import { checkVersion, registryKeys } from './keys';

/** The sections people write. */
export interface ModelCardNarrative {
  readonly purpose: string;
  readonly intendedUse: string;
  readonly limitations: readonly string[];
  readonly ethicalConsiderations: readonly string[];
}

export const NARRATIVE_SECTIONS = ['purpose', 'intendedUse', 'limitations', 'ethicalConsiderations'] as const;
export type NarrativeSection = (typeof NARRATIVE_SECTIONS)[number];

/** The sections registration fills in from what the pipeline measured. */
export interface ModelCardFacts {
  readonly trainingData: {
    readonly datasetVersionId: string;
    readonly sha256: string;
    readonly key: string;
    readonly rows?: number;
  };
  readonly evaluation: {
    readonly primaryMetric: string;
    readonly metrics: Readonly<Record<string, number>>;
    /** Per-subgroup metrics as the evaluation step reported them (column → group → metrics). */
    readonly subgroupMetrics?: unknown;
  };
  readonly training: {
    readonly backend: string;
    readonly jobName: string;
    readonly seedCodeVersion: string;
    readonly parameters: Readonly<Record<string, string>>;
  };
}

export interface ModelCard extends ModelCardNarrative, ModelCardFacts {
  readonly project: string;
  readonly version: number;
  readonly revision: number;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Why this revision was written. */
  readonly changeNote: string;
  /** Narrative sections still empty; production needs none missing (governance). */
  readonly missingSections: readonly NarrativeSection[];
  /** Where the rendered Markdown of this revision was written, once it was. */
  readonly markdownKey?: string;
}

export function missingSections(narrative: ModelCardNarrative): NarrativeSection[] {
  return NARRATIVE_SECTIONS.filter((section) => {
    const value = narrative[section];
    return Array.isArray(value) ? value.filter((v) => v.trim() !== '').length === 0 : (value as string).trim() === '';
  });
}

export function buildModelCard(input: {
  project: string;
  version: number;
  revision: number;
  narrative: Partial<ModelCardNarrative>;
  facts: ModelCardFacts;
  createdAt: string;
  createdBy: string;
  changeNote: string;
}): ModelCard {
  const narrative: ModelCardNarrative = {
    purpose: input.narrative.purpose?.trim() ?? '',
    intendedUse: input.narrative.intendedUse?.trim() ?? '',
    limitations: (input.narrative.limitations ?? []).map((l) => l.trim()).filter((l) => l !== ''),
    ethicalConsiderations: (input.narrative.ethicalConsiderations ?? []).map((l) => l.trim()).filter((l) => l !== ''),
  };
  return {
    project: input.project,
    version: input.version,
    revision: input.revision,
    ...narrative,
    ...input.facts,
    createdAt: input.createdAt,
    createdBy: input.createdBy,
    changeNote: input.changeNote,
    missingSections: missingSections(narrative),
  };
}

export function cardItem(card: ModelCard): StoredItem {
  return { ...registryKeys.card(card.project, card.version, card.revision), type: 'model-card', card };
}

export function cardFromItem(item: StoredItem): ModelCard {
  return item.card as ModelCard;
}

/** Every revision of a version's card, oldest first. */
export async function listModelCardRevisions(store: RegistryStore, project: string, version: number): Promise<ModelCard[]> {
  const items = await store.query('registry', registryKeys.partition(project), { skPrefix: registryKeys.cardPrefix(version) });
  return items.map(cardFromItem);
}

/** The latest card revision, or the one asked for; undefined when the version has no card. */
export async function getModelCard(store: RegistryStore, project: string, version: number, revision?: number): Promise<ModelCard | undefined> {
  if (revision !== undefined) {
    const item = await store.get('registry', registryKeys.card(project, version, revision));
    return item ? cardFromItem(item) : undefined;
  }
  const [latest] = await store.query('registry', registryKeys.partition(project), { skPrefix: registryKeys.cardPrefix(version), descending: true, limit: 1 });
  return latest ? cardFromItem(latest) : undefined;
}

export interface ModelCardEdit {
  readonly changes: Partial<ModelCardNarrative>;
  readonly actor: string;
  readonly changeNote: string;
}

const MAX_REVISION_ATTEMPTS = 20;

/**
 * Writes a new card revision with the narrative changes applied to the latest one; the
 * earlier revisions stay. Concurrent edits each get their own revision (conditional put).
 */
export async function reviseModelCard(store: RegistryStore, project: string, version: number, edit: ModelCardEdit, deps: { now: () => Date }): Promise<ModelCard> {
  checkVersion(version);
  if (edit.actor.trim() === '') throw new InvalidRegistryRequestError('actor', 'a card edit needs the name of who made it');
  const changed = Object.keys(edit.changes).filter((k) => (NARRATIVE_SECTIONS as readonly string[]).includes(k));
  const unknown = Object.keys(edit.changes).filter((k) => !(NARRATIVE_SECTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new InvalidRegistryRequestError('changes', `${unknown.join(', ')} cannot be edited (editable: ${NARRATIVE_SECTIONS.join(', ')})`);
  if (changed.length === 0) throw new InvalidRegistryRequestError('changes', `nothing to change (editable: ${NARRATIVE_SECTIONS.join(', ')})`);
  for (let attempt = 0; attempt < MAX_REVISION_ATTEMPTS; attempt++) {
    const latest = await getModelCard(store, project, version);
    if (!latest) {
      const counter = await store.get('registry', registryKeys.versionCounter(project));
      throw new UnknownVersionError(project, version, Number(counter?.last ?? 0));
    }
    const card = buildModelCard({
      project,
      version,
      revision: latest.revision + 1,
      narrative: { ...pickNarrative(latest), ...edit.changes },
      facts: { trainingData: latest.trainingData, evaluation: latest.evaluation, training: latest.training },
      createdAt: deps.now().toISOString(),
      createdBy: edit.actor,
      changeNote: edit.changeNote,
    });
    try {
      await store.put('registry', cardItem(card), { kind: 'absent' });
      return card;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new Error(`model card of ${project} version ${version}: ${MAX_REVISION_ATTEMPTS} concurrent edits in a row, giving up`);
}

/** Records where a revision's Markdown was written. */
export async function recordModelCardMarkdown(store: RegistryStore, card: ModelCard, markdownKey: string): Promise<ModelCard> {
  const updated = { ...card, markdownKey };
  await store.update('registry', registryKeys.card(card.project, card.version, card.revision), { card: updated });
  return updated;
}

function pickNarrative(card: ModelCardNarrative): ModelCardNarrative {
  return { purpose: card.purpose, intendedUse: card.intendedUse, limitations: card.limitations, ethicalConsiderations: card.ethicalConsiderations };
}

const NOT_WRITTEN = '_Not written yet._';

/** The card as Markdown, for people and for the artifact bucket. */
export function renderModelCardMarkdown(card: ModelCard): string {
  const lines: string[] = [];
  const list = (items: readonly string[]): string[] => (items.length === 0 ? [NOT_WRITTEN] : items.map((i) => `- ${i}`));
  lines.push(`# Model card: ${card.project} version ${card.version}`, '');
  lines.push(`Revision ${card.revision}, ${card.createdAt} by ${card.createdBy}${card.changeNote ? `: ${card.changeNote}` : ''}`, '');
  if (card.missingSections.length > 0) lines.push(`> Incomplete: ${card.missingSections.map(sectionTitle).join(', ')} still to be written.`, '');
  lines.push('## Purpose', '', card.purpose || NOT_WRITTEN, '');
  lines.push('## Intended use', '', card.intendedUse || NOT_WRITTEN, '');
  const data = card.trainingData;
  lines.push('## Training data', '');
  lines.push(`- Dataset version: \`${data.datasetVersionId}\``, `- SHA-256: \`${data.sha256}\``, `- Object: \`${data.key}\``);
  if (data.rows !== undefined) lines.push(`- Rows: ${data.rows}`);
  lines.push('');
  lines.push('## Training', '');
  lines.push(`- Backend: ${card.training.backend} (job \`${card.training.jobName}\`)`, `- Seed code: ${card.training.seedCodeVersion}`);
  const params = Object.entries(card.training.parameters).sort(([a], [b]) => a.localeCompare(b));
  if (params.length > 0) lines.push(`- Parameters: ${params.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('');
  lines.push('## Metrics', '', `Primary metric: **${card.evaluation.primaryMetric}**`, '', '| Metric | Value |', '| --- | --- |');
  for (const [name, value] of Object.entries(card.evaluation.metrics).sort(([a], [b]) => a.localeCompare(b))) lines.push(`| ${name} | ${formatMetric(value)} |`);
  lines.push('');
  lines.push('## Subgroup metrics', '', ...subgroupTable(card.evaluation.subgroupMetrics), '');
  lines.push('## Limitations', '', ...list(card.limitations), '');
  lines.push('## Ethical considerations', '', ...list(card.ethicalConsiderations), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function sectionTitle(section: NarrativeSection): string {
  return { purpose: 'purpose', intendedUse: 'intended use', limitations: 'limitations', ethicalConsiderations: 'ethical considerations' }[section];
}

export function formatMetric(value: unknown): string {
  if (typeof value !== 'number') return value === null || value === undefined ? '-' : String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/**
 * Subgroup metrics as one table. Understands, per column, the engine's SubgroupReport
 * (`{ column: { groups: [{ group, count, metrics }], gaps } }`), a plain map
 * (`{ column: { group: { metric: number } } }`) and a list (`[{ column, groups }]`);
 * anything else is shown as JSON.
 */
function subgroupTable(subgroups: unknown): string[] {
  if (subgroups === undefined || subgroups === null) return ['_None reported._'];
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const rows: { column: string; group: string; count?: number; metrics: Record<string, unknown> }[] = [];
  const addGroups = (column: string, groups: unknown[]): boolean => {
    for (const group of groups) {
      if (!isRecord(group) || !isRecord(group.metrics)) return false;
      const name = group.group === null ? '(missing)' : String(group.group ?? group.value ?? '');
      rows.push({ column, group: name, count: typeof group.count === 'number' ? group.count : undefined, metrics: group.metrics });
    }
    return true;
  };
  let understood = true;
  if (Array.isArray(subgroups)) {
    understood = subgroups.every((report) => isRecord(report) && Array.isArray(report.groups) && addGroups(String(report.column ?? ''), report.groups));
  } else if (isRecord(subgroups)) {
    for (const [column, value] of Object.entries(subgroups)) {
      if (isRecord(value) && Array.isArray(value.groups)) understood &&= addGroups(column, value.groups);
      else if (isRecord(value) && Object.values(value).every(isRecord)) {
        for (const [group, metrics] of Object.entries(value)) rows.push({ column, group, metrics: metrics as Record<string, unknown> });
      } else understood = false;
    }
  } else understood = false;
  if (!understood) return jsonBlock(subgroups);
  if (rows.length === 0) return ['_None reported._'];
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics).filter((k) => typeof r.metrics[k] === 'number' || r.metrics[k] === null)))].sort();
  const withCount = rows.some((r) => r.count !== undefined);
  const header = ['Column', 'Group', ...(withCount ? ['Rows'] : []), ...metricNames];
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${[r.column, r.group, ...(withCount ? [r.count === undefined ? '-' : String(r.count)] : []), ...metricNames.map((m) => formatMetric(r.metrics[m]))].join(' | ')} |`),
  ];
}

function jsonBlock(value: unknown): string[] {
  return ['```json', JSON.stringify(value, null, 2), '```'];
}
