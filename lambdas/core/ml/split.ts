/**
 * Deterministic train/validation/test split by hashing the entity id, and class-imbalance
 * helpers. Every row of one entity (a patient, a customer) lands on the same side, and the
 * same ids with the same seed give the same split on every run and machine: the hash is
 * MurmurHash3 (x86, 32-bit) of the id's UTF-8 bytes, which depends on nothing but the bytes.
 */
import { DataError, getColumn, type Table } from './tabular';

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

export interface SplitOptions {
  /** MurmurHash3 seed (an unsigned 32-bit integer): change it to draw a different split. @default 0 */
  readonly seed?: number;
  /** Must be non-negative and add up to 1; train must be positive. @default 0.7 / 0.15 / 0.15 */
  readonly fractions?: SplitFractions;
}

/** Bad split options or inputs: the field (with the element index when there is one) and the reason. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly index?: number,
  ) {
    super(`${field}${index !== undefined ? `[${index}]` : ''}: ${reason}`);
  }
}

const utf8 = new TextEncoder();
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const mixBlock = (k: number): number => Math.imul(rotl(Math.imul(k, C1), 15), C2);

/** MurmurHash3 x86 32-bit of the string's UTF-8 bytes, as an unsigned integer. */
export function murmur3(text: string, seed = 0): number {
  const bytes = utf8.encode(text);
  const length = bytes.length;
  const tail = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < tail; i += 4) {
    h ^= mixBlock(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[tail + 2] << 16;
    if (rest >= 2) k ^= bytes[tail + 1] << 8;
    k ^= bytes[tail];
    h ^= mixBlock(k);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function validatedOptions(options: SplitOptions): { seed: number; trainEnd: number; validationEnd: number } {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new SplitError('seed', `must be an integer in [0, 2^32), got ${seed}`);
  const fractions = options.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  for (const side of ['train', 'validation', 'test'] as const) {
    const value = fractions[side];
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new SplitError(`fractions.${side}`, `must be in [0, 1], got ${value}`);
  }
  if (fractions.train === 0) throw new SplitError('fractions.train', 'must be positive');
  const sum = fractions.train + fractions.validation + fractions.test;
  if (Math.abs(sum - 1) > 1e-9) throw new SplitError('fractions', `must add up to 1, got ${sum}`);
  return { seed, trainEnd: fractions.train, validationEnd: fractions.train + fractions.validation };
}

const TWO_TO_32 = 2 ** 32;

function sideOf(id: string, seed: number, trainEnd: number, validationEnd: number): SplitName {
  const u = murmur3(id, seed) / TWO_TO_32;
  if (u < trainEnd) return 'train';
  return u < validationEnd ? 'validation' : 'test';
}

/** The side one entity belongs to. */
export function assignSplit(entityId: string, options: SplitOptions = {}): SplitName {
  const { seed, trainEnd, validationEnd } = validatedOptions(options);
  return sideOf(entityId, seed, trainEnd, validationEnd);
}

export interface EntitySplit {
  /** The side of each row, in row order. */
  readonly assignment: readonly SplitName[];
  /** Row indices (0-based) of each side, ascending. */
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
  readonly test: Uint32Array;
  /** Distinct entities on each side. */
  readonly entityCounts: Readonly<Record<SplitName, number>>;
}

/** Splits rows by the hash of their entity id; ids are compared as strings (42 and '42' are one entity). */
export function splitByEntity(entityIds: readonly (string | number | null | undefined)[], options: SplitOptions = {}): EntitySplit {
  const { seed, trainEnd, validationEnd } = validatedOptions(options);
  const sideByEntity = new Map<string, SplitName>();
  const assignment = entityIds.map((raw, i) => {
    if (raw === null || raw === undefined || (typeof raw === 'number' && !Number.isFinite(raw))) throw new SplitError('entityIds', 'entity id is missing', i);
    const id = typeof raw === 'number' ? String(raw) : raw.trim();
    if (id === '') throw new SplitError('entityIds', 'entity id is empty', i);
    let side = sideByEntity.get(id);
    if (side === undefined) {
      side = sideOf(id, seed, trainEnd, validationEnd);
      sideByEntity.set(id, side);
    }
    return side;
  });
  const indicesOf = (side: SplitName): Uint32Array => {
    const indices: number[] = [];
    assignment.forEach((assigned, i) => {
      if (assigned === side) indices.push(i);
    });
    return Uint32Array.from(indices);
  };
  const entityCounts = { train: 0, validation: 0, test: 0 };
  for (const side of sideByEntity.values()) entityCounts[side]++;
  return { assignment, train: indicesOf('train'), validation: indicesOf('validation'), test: indicesOf('test'), entityCounts };
}

/** Splits a table's rows by its entity id column; a missing id is a DataError naming the row. */
export function splitTableByEntity(table: Table, entityIdColumn: string, options: SplitOptions = {}): EntitySplit {
  const column = getColumn(table, entityIdColumn);
  column.text.forEach((id, i) => {
    if (id === null) throw new DataError('entity id is missing', { column: entityIdColumn, row: i + 2 });
  });
  return splitByEntity(column.text, options);
}

function classCounts(labels: ArrayLike<number>): { positives: number; negatives: number } {
  if (labels.length === 0) throw new SplitError('labels', 'is empty');
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) throw new SplitError('labels', `must be 0 or 1, got ${label}`, i);
    positives += label;
  }
  return { positives, negatives: labels.length - positives };
}

/** Fraction of labels that are 1. */
export function positiveRate(labels: ArrayLike<number>): number {
  const { positives } = classCounts(labels);
  return positives / labels.length;
}

/** XGBoost's suggested `scale_pos_weight`: negatives / positives. */
export function scalePosWeight(labels: ArrayLike<number>): number {
  const { positives, negatives } = classCounts(labels);
  if (positives === 0) throw new SplitError('labels', 'has no positive (1) label');
  if (negatives === 0) throw new SplitError('labels', 'has no negative (0) label');
  return negatives / positives;
}

/** Per-row weights n / (2 * n_class), so both classes carry equal total weight (sklearn's 'balanced'). */
export function balancedSampleWeights(labels: ArrayLike<number>): Float64Array {
  const { positives, negatives } = classCounts(labels);
  if (positives === 0 || negatives === 0) throw new SplitError('labels', 'has only one class; balanced weights need both');
  const n = labels.length;
  const positiveWeight = n / (2 * positives);
  const negativeWeight = n / (2 * negatives);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = labels[i] === 1 ? positiveWeight : negativeWeight;
  return weights;
}
