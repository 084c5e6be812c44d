/**
 * Champion/challenger testing on the endpoint: the configuration (one registry item per
 * project), sticky assignment of requests to a variant, and per-variant counters.
 *
 * - The item `pk = PROJECT#<project>, sk = AB_TEST` in the model registry table holds
 *   `{ champion, challenger, split, revision, updatedAt, updatedBy }`. The endpoint reads it
 *   through a short cache (1 s by default), so a new split applies to the next requests.
 * - The champion is always the registry's production version. The config records the
 *   production version it was set against; if production has moved since (a promotion or a
 *   rollback), the test is stale and every request goes to production until it is set again.
 * - Assignment hashes the entity id (the request id when there is none) with SHA-256, salted
 *   with the challenger version: u = first 32 bits / 2^32, challenger when u < split. The
 *   same entity always gets the same variant for one challenger; raising the split only moves
 *   entities from champion to challenger (u < 0.1 implies u < 0.2), never back; a new
 *   challenger draws a fresh, independent sample.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { checkVersion, registryKeys } from '../registry/keys';
import { readStagePointers } from '../registry/stage-pointers';
import { ConditionFailedError, type RegistryStore } from '../registry/store';

export const AB_TEST_SORT_KEY = 'AB_TEST';

export const AbConfig = z.object({
  /** The production version the test was set against. */
  champion: z.number().int().positive(),
  /** null: no test (all traffic to the champion). */
  challenger: z.number().int().positive().nullable(),
  /** Share of traffic for the challenger, 0..1. */
  split: z.number().min(0).max(1),
  revision: z.number().int().nonnegative().default(0),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});
export type AbConfig = z.output<typeof AbConfig>;

export type Variant = 'champion' | 'challenger';

/** The A/B item is malformed (somebody wrote it by hand): a server fault, named precisely. */
export class AbConfigError extends Error {
  override readonly name = 'AbConfigError';
}

export function abTestKey(project: string): { pk: string; sk: string } {
  return { pk: registryKeys.partition(project), sk: AB_TEST_SORT_KEY };
}

/** Reads the project's A/B configuration; undefined when none was ever set. */
export async function readAbConfig(store: RegistryStore, project: string): Promise<AbConfig | undefined> {
  const item = await store.get('registry', abTestKey(project));
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...rest } = item;
  const parsed = AbConfig.safeParse(rest);
  if (!parsed.success) {
    throw new AbConfigError(`A/B item of ${project} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export interface SetAbTestRequest {
  /** The challenger version, or null to end the test. */
  readonly challenger: number | null;
  readonly split: number;
  readonly actor: string;
  readonly now: () => Date;
}

/**
 * Starts, changes or ends the project's test (what `lumina ab NAME --challenger V --split S`
 * calls). The champion is taken from the production pointer now. The write is conditioned on
 * the revision read, so two concurrent changes cannot silently overwrite each other.
 */
export async function setAbTest(store: RegistryStore, project: string, request: SetAbTestRequest): Promise<AbConfig> {
  if (!(request.split >= 0 && request.split <= 1)) throw new AbConfigError(`split must be between 0 and 1, got ${request.split}`);
  const pointers = await readStagePointers(store, project);
  if (pointers.production === null) throw new AbConfigError(`project ${project} has no production version to test a challenger against`);
  if (request.challenger !== null) {
    checkVersion(request.challenger);
    if (request.challenger === pointers.production) throw new AbConfigError(`version ${request.challenger} is the production version; the challenger must be another version`);
    const item = await store.get('registry', registryKeys.version(project, request.challenger));
    if (!item) throw new AbConfigError(`project ${project} has no version ${request.challenger}`);
  }
  const previous = await readAbConfig(store, project);
  const config: AbConfig = {
    champion: pointers.production,
    challenger: request.challenger,
    split: request.challenger === null ? 0 : request.split,
    revision: (previous?.revision ?? 0) + 1,
    updatedAt: request.now().toISOString(),
    updatedBy: request.actor,
  };
  try {
    await store.put('registry', { ...abTestKey(project), ...config }, previous ? { kind: 'equals', attribute: 'revision', value: previous.revision } : { kind: 'absent' });
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new AbConfigError(`the A/B test of ${project} changed while this change was being made; read it again and retry`);
    throw error;
  }
  return config;
}

/** The test as it applies to the next request, given the production version. */
export interface EffectiveAbTest {
  readonly champion: number;
  /** Undefined when no challenger is served. */
  readonly challenger?: number;
  readonly split: number;
  /** Why no challenger is served, when there is a config but it does not apply. */
  readonly inactiveReason?: string;
}

export function effectiveAbTest(production: number, config: AbConfig | undefined): EffectiveAbTest {
  if (!config || config.challenger === null || config.split === 0) return { champion: production, split: 0 };
  if (config.champion !== production) {
    return { champion: production, split: 0, inactiveReason: `stale: the test was set against version ${config.champion} but production is now version ${production}` };
  }
  if (config.challenger === production) return { champion: production, split: 0, inactiveReason: 'the challenger is the production version' };
  return { champion: production, challenger: config.challenger, split: config.split };
}

/** Uniform in [0, 1), a pure function of the salt and the key. */
export function abBucket(key: string, salt: string): number {
  const digest = createHash('sha256').update(salt).update('\u0000').update(key).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** Sticky variant of an assignment key (entity id, or request id when there is none). */
export function assignVariant(key: string, test: EffectiveAbTest): Variant {
  if (test.challenger === undefined || test.split <= 0) return 'champion';
  return abBucket(key, `challenger:${test.challenger}`) < test.split ? 'challenger' : 'champion';
}

export interface VariantCounts {
  readonly requests: number;
  readonly predictions: number;
  /** Predictions labelled positive. */
  readonly positives: number;
  readonly probabilitySum: number;
  /** Versions that served this variant, with their prediction counts. */
  readonly byVersion: Readonly<Record<string, number>>;
}

/** In-process counters per variant (each Lambda instance has its own; the prediction log has them all). */
export class VariantCounters {
  private readonly counts = new Map<Variant, { requests: number; predictions: number; positives: number; probabilitySum: number; byVersion: Record<string, number> }>();

  record(variant: Variant, version: number, labels: readonly (0 | 1)[], probabilities: readonly number[]): void {
    let c = this.counts.get(variant);
    if (c === undefined) {
      c = { requests: 0, predictions: 0, positives: 0, probabilitySum: 0, byVersion: {} };
      this.counts.set(variant, c);
    }
    c.requests += 1;
    c.predictions += labels.length;
    for (const label of labels) c.positives += label;
    for (const p of probabilities) c.probabilitySum += p;
    c.byVersion[String(version)] = (c.byVersion[String(version)] ?? 0) + labels.length;
  }

  snapshot(): Partial<Record<Variant, VariantCounts>> {
    const out: Partial<Record<Variant, VariantCounts>> = {};
    for (const [variant, c] of this.counts) out[variant] = { ...c, byVersion: { ...c.byVersion } };
    return out;
  }
}
