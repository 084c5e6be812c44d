/**
 * Item keys of the registry and experiments tables (the layout is described in README.md),
 * and the S3 key of a rendered model card. Every key is built here.
 */
import { PROJECT_NAME_PATTERN } from '../datasets/layout';
import { InvalidRegistryRequestError } from './errors';

/** A model version's place in its lifecycle: none → staging → production → archived. */
export const STAGES = ['none', 'staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages a version can be moved to (`none` is only where versions start). */
export type TargetStage = Exclude<Stage, 'none'>;

/** Six digits keep sort keys in version order up to 999,999 versions (then they still sort, one digit longer). */
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function checkProject(project: string): string {
  if (!PROJECT_NAME_PATTERN.test(project)) {
    throw new InvalidRegistryRequestError('project', `"${project}" is not a project name (3-32 lowercase letters, digits or hyphens, starting with a letter)`);
  }
  return project;
}

export function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw new InvalidRegistryRequestError('version', `${version} is not a positive whole number`);
  return version;
}

/** Experiment and run ids are one key segment: no `#`, printable, at most 200 characters. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$/;

export function checkId(field: string, id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new InvalidRegistryRequestError(field, `"${id}" must be 1-200 letters, digits or . _ : / @ + = -, starting with a letter or digit`);
  }
  return id;
}

export const registryKeys = {
  partition: (project: string): string => `PROJECT#${checkProject(project)}`,
  versionCounter: (project: string) => ({ pk: registryKeys.partition(project), sk: 'COUNTER#VERSION' }),
  versionPrefix: 'VERSION#',
  version: (project: string, version: number) => ({ pk: registryKeys.partition(project), sk: `VERSION#${pad(checkVersion(version), 6)}` }),
  cardPrefix: (version: number): string => `CARD#${pad(checkVersion(version), 6)}#REV#`,
  card: (project: string, version: number, revision: number) => ({
    pk: registryKeys.partition(project),
    sk: `${registryKeys.cardPrefix(version)}${pad(revision, 4)}`,
  }),
  stages: (project: string) => ({ pk: registryKeys.partition(project), sk: 'STAGES' }),
  stageChangePrefix: 'STAGE_CHANGE#',
  stageChange: (project: string, revision: number) => ({ pk: registryKeys.partition(project), sk: `STAGE_CHANGE#${pad(revision, 6)}` }),
  execution: (project: string, executionId: string) => ({ pk: registryKeys.partition(project), sk: `EXECUTION#${executionId}` }),
};

export const experimentKeys = {
  partition: (experimentId: string): string => `EXPERIMENT#${checkId('experimentId', experimentId)}`,
  runPrefix: 'RUN#',
  run: (experimentId: string, runId: string) => ({ pk: experimentKeys.partition(experimentId), sk: `RUN#${checkId('runId', runId)}` }),
};

/** `projects/<project>/registry/<version>/model-card.r<revision>.md`: the rendered card, next to the project's other artifacts. */
export function modelCardMarkdownKey(project: string, version: number, revision: number): string {
  return `projects/${checkProject(project)}/registry/${pad(checkVersion(version), 6)}/model-card.r${revision}.md`;
}
