/**
 * A feature group's definition: the entity id column, the event time column and the typed
 * features (those two columns are features too, as in SageMaker Feature Store), with a
 * description and an author. Parsed with zod; every problem is reported with its field path.
 *
 * The fingerprint is what "the same definition" means: a SHA-256 of the canonical JSON of
 * everything but the author (the same definition registered by someone else is not a
 * change). Feature order counts, because it is the column order of training sets.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InvalidFeatureGroupDefinitionError, type InputProblem } from './errors';
import { GROUP_NAME_PATTERN, GROUP_NAME_RULE } from './keys';

export const FEATURE_TYPES = ['numeric', 'categorical', 'boolean', 'string'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

/** Column names: identifiers, so they survive CSV headers, SQL engines and ONNX input names. */
const FEATURE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const FeatureSpecSchema = z.strictObject({
  name: z.string().regex(FEATURE_NAME_PATTERN, 'a feature name is 1-128 letters, digits or "_", not starting with a digit'),
  type: z.enum(FEATURE_TYPES, { error: (issue) => `type must be one of ${FEATURE_TYPES.join(', ')} (got ${JSON.stringify(issue.input)})` }),
  description: z.string().max(2000).default(''),
  /** A missing value in this column rejects the row. The entity id and event time are always required. @default false */
  required: z.boolean().optional(),
  /** The allowed values of a categorical feature. @default - any non-empty text */
  categories: z.array(z.string().min(1, 'a category is non-empty text')).min(1).max(10_000).optional(),
});

export const FeatureGroupDefinitionSchema = z
  .strictObject({
    name: z.string().regex(GROUP_NAME_PATTERN, `a feature group name is ${GROUP_NAME_RULE}`),
    description: z.string().trim().min(1, 'describe what the group holds').max(4000),
    entityIdColumn: z.string().min(1, 'name the column that identifies the entity'),
    eventTimeColumn: z.string().min(1, 'name the column that says when the values were true'),
    features: z.array(FeatureSpecSchema).min(1, 'declare at least the entity id, the event time and one feature').max(2000),
    author: z.string().trim().min(1, 'say who registers the definition').max(200),
  })
  .superRefine((definition, context) => {
    const issue = (path: (string | number)[], message: string): void => context.addIssue({ code: 'custom', path, message });
    const firstIndex = new Map<string, number>();
    definition.features.forEach((feature, i) => {
      const folded = feature.name.toLowerCase();
      const earlier = firstIndex.get(folded);
      if (earlier === undefined) firstIndex.set(folded, i);
      else {
        const same = definition.features[earlier].name === feature.name;
        issue(['features', i, 'name'], `duplicate feature name "${feature.name}" (features.${earlier} is "${definition.features[earlier].name}"${same ? '' : '; names must differ ignoring case'})`);
      }
      if (feature.categories && feature.type !== 'categorical') issue(['features', i, 'categories'], `only a categorical feature has categories ("${feature.name}" is ${feature.type})`);
      const seen = new Set<string>();
      feature.categories?.forEach((category, j) => {
        if (seen.has(category)) issue(['features', i, 'categories', j], `duplicate category "${category}"`);
        seen.add(category);
      });
    });
    const find = (name: string) => definition.features.find((f) => f.name === name);
    const entity = find(definition.entityIdColumn);
    const time = find(definition.eventTimeColumn);
    if (!entity) issue(['entityIdColumn'], `"${definition.entityIdColumn}" is not among the features: declare it there with type string or categorical`);
    else if (entity.type !== 'string' && entity.type !== 'categorical') issue(['entityIdColumn'], `"${entity.name}" must be a string or categorical feature (it is ${entity.type}): ids are compared as text`);
    if (!time) issue(['eventTimeColumn'], `"${definition.eventTimeColumn}" is not among the features: declare it there with type string (ISO 8601) or numeric (Unix epoch seconds)`);
    else if (time.type !== 'string' && time.type !== 'numeric') issue(['eventTimeColumn'], `"${time.name}" must be a string (ISO 8601) or numeric (Unix epoch seconds) feature (it is ${time.type})`);
    if (definition.entityIdColumn === definition.eventTimeColumn) issue(['eventTimeColumn'], 'the event time column must differ from the entity id column');
    if (definition.features.every((f) => f.name === definition.entityIdColumn || f.name === definition.eventTimeColumn)) {
      issue(['features'], 'declare at least one feature besides the entity id and the event time');
    }
  });

export type FeatureSpec = z.output<typeof FeatureSpecSchema>;
/** A definition as registered (author included). */
export type FeatureGroupDefinition = z.output<typeof FeatureGroupDefinitionSchema>;
export type FeatureGroupDefinitionInput = z.input<typeof FeatureGroupDefinitionSchema>;

/** A registered version, returned exactly as it was stored. */
export interface FeatureGroupRecord extends FeatureGroupDefinition {
  readonly version: number;
  readonly createdAt: string;
  /** SHA-256 of the canonical definition without the author (see definitionFingerprint). */
  readonly fingerprint: string;
}

/** Parses a definition; throws InvalidFeatureGroupDefinitionError naming every bad field. */
export function parseFeatureGroupDefinition(input: unknown): FeatureGroupDefinition {
  const parsed = FeatureGroupDefinitionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems: InputProblem[] = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(definition)', reason: issue.message }));
  throw new InvalidFeatureGroupDefinitionError(problems);
}

export function definitionFingerprint(definition: FeatureGroupDefinition): string {
  const { author: _author, ...content } = definition;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** JSON with object keys sorted at every level (array order kept). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The features that carry values (everything but the entity id and the event time), in definition order. */
export function valueFeatures(definition: FeatureGroupDefinition): FeatureSpec[] {
  return definition.features.filter((f) => f.name !== definition.entityIdColumn && f.name !== definition.eventTimeColumn);
}
