/**
 * Hyperparameter search for the embedded engine: random search or TPE (Tree-structured
 * Parzen Estimator) over a declared space, with successive-halving / Hyperband early
 * stopping. Independent of any trainer: the objective is a function of the parameters and
 * a resource level (e.g. boosting rounds). Seeded and sequential, so one seed gives the
 * same trials in the same order on every run.
 *
 * Early stopping runs in brackets: a bracket starts n new configurations at its lowest
 * resource, keeps the best 1/eta of them (at least one) for the next resource level, and
 * so on up to the maximum; the rest are pruned. Hyperband cycles brackets that start at
 * every level, trading breadth for depth.
 */

export type ParamValue = number | string | boolean;

export type ParamSpec =
  /** Uniform in [low, high]; with `step`, rounded to low + k * step. */
  | { readonly type: 'uniform'; readonly low: number; readonly high: number; readonly step?: number }
  /** Log-uniform in [low, high], low > 0 (learning rates, regularisation strengths). */
  | { readonly type: 'loguniform'; readonly low: number; readonly high: number }
  /** Integer in [low, high]; with `log`, drawn log-uniformly (low >= 1). */
  | { readonly type: 'int'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly type: 'choice'; readonly values: readonly ParamValue[] };

export type SearchSpace = Readonly<Record<string, ParamSpec>>;
export type Params = Readonly<Record<string, ParamValue>>;

export interface ObjectiveContext {
  /** The resource level to spend (e.g. boosting rounds); undefined when no fidelity is set. */
  readonly resource: number | undefined;
  readonly trialId: number;
  /** Aborted when the caller cancels the search. */
  readonly signal: AbortSignal;
}

export type Objective = (params: Params, context: ObjectiveContext) => Promise<number> | number;

export interface Fidelity {
  readonly min: number;
  readonly max: number;
  /** eta: each level keeps the best 1/eta and multiplies the resource by eta. @default 3 */
  readonly reductionFactor?: number;
  /** Cycle brackets that start at every level instead of always at the lowest. @default false */
  readonly hyperband?: boolean;
  /** Round resource levels to integers. @default true when min and max are integers */
  readonly integer?: boolean;
}

export interface TpeOptions {
  /** Random trials before the model is used. @default 10 */
  readonly startupTrials?: number;
  /** Fraction of observed trials that count as good. @default 0.25 */
  readonly gamma?: number;
  /** Candidates drawn from l(x) per proposal. @default 24 */
  readonly candidates?: number;
}

export type TrialStatus = 'completed' | 'pruned' | 'failed';

export interface TrialEvaluation {
  readonly resource: number | undefined;
  readonly score: number;
}

export interface TrialRecord {
  /** 0-based, in the order trials were started. */
  readonly id: number;
  readonly params: Params;
  readonly status: TrialStatus;
  /** The last resource level the trial was evaluated (or failed) at. */
  readonly resource: number | undefined;
  /** The score at that level; undefined when the trial failed there. */
  readonly score: number | undefined;
  /** Every successful evaluation, lowest resource first. */
  readonly history: readonly TrialEvaluation[];
  /** Failed trials: the objective's error message. */
  readonly error?: string;
  /** Why a trial stopped short of the top level without being pruned (budget, abort). */
  readonly note?: string;
}

export type StopReason = 'maxTrials' | 'maxResource' | 'spaceExhausted' | 'aborted';

export interface TuneOptions {
  readonly space: SearchSpace;
  readonly objective: Objective;
  /** @default 'minimize' */
  readonly direction?: 'minimize' | 'maximize';
  /** @default 'tpe' */
  readonly sampler?: 'tpe' | 'random';
  /** @default 0 */
  readonly seed?: number;
  /** Most configurations to try. At least one of maxTrials and maxResource is required. */
  readonly maxTrials?: number;
  /** Most resource to spend, summed over evaluations (each costs its level, or 1 without fidelity). */
  readonly maxResource?: number;
  /** Early stopping by resource level; without it every trial is evaluated once. */
  readonly fidelity?: Fidelity;
  readonly tpe?: TpeOptions;
  /** Called once per trial when it reaches its final status. */
  readonly onTrial?: (trial: TrialRecord) => void;
  readonly signal?: AbortSignal;
}

export interface TuneResult {
  /** The best trial at the highest resource level any trial reached; null when every trial failed. */
  readonly best: TrialRecord | null;
  readonly trials: readonly TrialRecord[];
  readonly evaluations: number;
  readonly resourceSpent: number;
  readonly stopReason: StopReason;
}

export class TuningError extends Error {
  override readonly name = 'TuningError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

// ---------------------------------------------------------------- random numbers

/** mulberry32: small, fast, and the same sequence on every platform. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

// ---------------------------------------------------------------- the space

interface Dimension {
  readonly name: string;
  readonly spec: ParamSpec;
  /** Numeric dimensions: bounds of the internal (possibly log) space the Parzen estimators work in. */
  readonly lower: number;
  readonly upper: number;
  readonly log: boolean;
}

function validateSpace(space: SearchSpace): Dimension[] {
  const names = Object.keys(space).sort();
  if (names.length === 0) throw new TuningError('space', 'declares no parameters');
  return names.map((name) => {
    const spec = space[name];
    const field = `space.${name}`;
    if (spec.type === 'choice') {
      if (spec.values.length === 0) throw new TuningError(field, 'choice has no values');
      const keys = spec.values.map((value) => JSON.stringify(value));
      if (new Set(keys).size !== keys.length) throw new TuningError(field, 'choice values repeat');
      return { name, spec, lower: 0, upper: 0, log: false };
    }
    if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high) || !(spec.low < spec.high)) {
      throw new TuningError(field, `needs finite low < high, got [${spec.low}, ${spec.high}]`);
    }
    if (spec.type === 'uniform') {
      if (spec.step !== undefined && !(spec.step > 0 && spec.step <= spec.high - spec.low)) {
        throw new TuningError(field, `step must be in (0, high - low], got ${spec.step}`);
      }
      const half = (spec.step ?? 0) / 2;
      return { name, spec, lower: spec.low - half, upper: spec.high + half, log: false };
    }
    if (spec.type === 'loguniform') {
      if (spec.low <= 0) throw new TuningError(field, `loguniform needs low > 0, got ${spec.low}`);
      return { name, spec, lower: Math.log(spec.low), upper: Math.log(spec.high), log: true };
    }
    if (!Number.isInteger(spec.low) || !Number.isInteger(spec.high)) throw new TuningError(field, 'int bounds must be integers');
    if (spec.log) {
      if (spec.low < 1) throw new TuningError(field, `log int needs low >= 1, got ${spec.low}`);
      return { name, spec, lower: Math.log(spec.low - 0.5), upper: Math.log(spec.high + 0.5), log: true };
    }
    return { name, spec, lower: spec.low - 0.5, upper: spec.high + 0.5, log: false };
  });
}

const cleanFloat = (value: number): number => Number(value.toPrecision(12));

/** Maps an internal-space value to the parameter's canonical value (rounded, clamped). */
function toParam(dimension: Dimension, internal: number): number {
  const spec = dimension.spec;
  const raw = dimension.log ? Math.exp(internal) : internal;
  if (spec.type === 'int') return Math.min(spec.high, Math.max(spec.low, Math.round(raw)));
  if (spec.type === 'uniform' && spec.step !== undefined) {
    const steps = Math.min(Math.floor((spec.high - spec.low) / spec.step + 1e-9), Math.max(0, Math.round((raw - spec.low) / spec.step)));
    return cleanFloat(spec.low + steps * spec.step);
  }
  if (spec.type === 'uniform' || spec.type === 'loguniform') return Math.min(spec.high, Math.max(spec.low, raw));
  throw new TuningError(`space.${dimension.name}`, 'choice has no numeric form');
}

const toInternal = (dimension: Dimension, value: number): number => (dimension.log ? Math.log(value) : value);

/** Values of a discrete dimension, or undefined for a continuous one. */
function discreteValues(dimension: Dimension): readonly ParamValue[] | undefined {
  const spec = dimension.spec;
  if (spec.type === 'choice') return spec.values;
  if (spec.type === 'int') return Array.from({ length: spec.high - spec.low + 1 }, (_, i) => spec.low + i);
  if (spec.type === 'uniform' && spec.step !== undefined) {
    const step = spec.step;
    return Array.from({ length: Math.floor((spec.high - spec.low) / step + 1e-9) + 1 }, (_, i) => cleanFloat(spec.low + i * step));
  }
  return undefined;
}

function spaceSize(dimensions: readonly Dimension[]): number {
  return dimensions.reduce((size, dimension) => size * (discreteValues(dimension)?.length ?? Infinity), 1);
}

const configKey = (dimensions: readonly Dimension[], params: Params): string => JSON.stringify(dimensions.map((d) => params[d.name]));

function sampleUniformly(dimensions: readonly Dimension[], random: () => number): Params {
  const params: Record<string, ParamValue> = {};
  for (const dimension of dimensions) {
    const spec = dimension.spec;
    params[dimension.name] =
      spec.type === 'choice'
        ? spec.values[Math.floor(random() * spec.values.length)]
        : toParam(dimension, dimension.lower + random() * (dimension.upper - dimension.lower));
  }
  return params;
}

// ---------------------------------------------------------------- samplers

interface Observation {
  readonly params: Params;
  /** Index of the highest resource level reached: higher is better evidence. */
  readonly level: number;
  /** Score oriented so that lower is better. */
  readonly loss: number;
}

interface Sampler {
  /** A configuration not in `seen`, or null when none is left. */
  propose(observations: readonly Observation[], seen: ReadonlySet<string>): Params | null;
}

const MAX_DRAWS = 1000;
const ENUMERATION_LIMIT = 100_000;

function randomSampler(dimensions: readonly Dimension[], random: () => number): Sampler {
  const size = spaceSize(dimensions);
  return {
    propose(_observations, seen) {
      if (seen.size >= size) return null;
      for (let draw = 0; draw < MAX_DRAWS; draw++) {
        const params = sampleUniformly(dimensions, random);
        if (!seen.has(configKey(dimensions, params))) return params;
      }
      // A nearly exhausted finite space: pick uniformly among what is left.
      if (size > ENUMERATION_LIMIT) return null;
      const left = enumerate(dimensions).filter((params) => !seen.has(configKey(dimensions, params)));
      return left.length === 0 ? null : left[Math.floor(random() * left.length)];
    },
  };
}

function enumerate(dimensions: readonly Dimension[]): Params[] {
  let configs: Record<string, ParamValue>[] = [{}];
  for (const dimension of dimensions) {
    const values = discreteValues(dimension) ?? [];
    configs = configs.flatMap((config) => values.map((value) => ({ ...config, [dimension.name]: value })));
  }
  return configs;
}

/** Normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: ample for mixture weights). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const value of values) sum += Math.exp(value - max);
  return max + Math.log(sum);
}

interface Density {
  logPdf(value: ParamValue): number;
  sample(random: () => number): ParamValue;
}

/** A mixture of truncated Gaussians, one per observation plus a broad prior (Bergstra et al. 2011). */
function numericParzen(dimension: Dimension, values: readonly number[]): Density {
  const { lower, upper } = dimension;
  const range = upper - lower;
  const sorted = values.map((value) => toInternal(dimension, value)).sort((a, b) => a - b);
  const withBounds = [lower, ...sorted, upper];
  // Bandwidth: the wider gap to a neighbour, clipped so no kernel is needle-thin or wider than the range.
  const minSigma = range / Math.min(100, sorted.length + 2);
  const mus = [...sorted, (lower + upper) / 2];
  const sigmas = [
    ...sorted.map((_, i) => Math.min(range, Math.max(minSigma, withBounds[i + 1] - withBounds[i], withBounds[i + 2] - withBounds[i + 1]))),
    range,
  ];
  const logWeight = -Math.log(mus.length);
  const logMass = mus.map((mu, i) => Math.log(normalCdf((upper - mu) / sigmas[i]) - normalCdf((lower - mu) / sigmas[i])));
  return {
    logPdf(value) {
      const x = toInternal(dimension, value as number);
      return logSumExp(mus.map((mu, i) => {
        const z = (x - mu) / sigmas[i];
        return logWeight - 0.5 * z * z - Math.log(sigmas[i]) - LOG_SQRT_2PI - logMass[i];
      }));
    },
    sample(random) {
      const i = Math.floor(random() * mus.length);
      for (let attempt = 0; attempt < 100; attempt++) {
        const x = mus[i] + sigmas[i] * standardNormal(random);
        if (x >= lower && x <= upper) return toParam(dimension, x);
      }
      return toParam(dimension, lower + random() * range);
    },
  };
}

/** Category frequencies with one pseudo-observation spread evenly over the categories. */
function categoricalParzen(values: readonly ParamValue[], observed: readonly ParamValue[]): Density {
  const keys = values.map((value) => JSON.stringify(value));
  const weights = values.map(() => 1 / values.length);
  for (const value of observed) weights[keys.indexOf(JSON.stringify(value))] += 1;
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    logPdf(value) {
      return Math.log(weights[keys.indexOf(JSON.stringify(value))] / total);
    },
    sample(random) {
      let u = random() * total;
      for (let i = 0; i < values.length; i++) {
        u -= weights[i];
        if (u < 0) return values[i];
      }
      return values[values.length - 1];
    },
  };
}

function densities(dimensions: readonly Dimension[], observations: readonly Observation[]): Density[] {
  return dimensions.map((dimension) => {
    const observed = observations.map((observation) => observation.params[dimension.name]);
    const spec = dimension.spec;
    return spec.type === 'choice' ? categoricalParzen(spec.values, observed) : numericParzen(dimension, observed as number[]);
  });
}

function tpeSampler(dimensions: readonly Dimension[], random: () => number, options: TpeOptions): Sampler {
  const startupTrials = options.startupTrials ?? 10;
  const gamma = options.gamma ?? 0.25;
  const candidates = options.candidates ?? 24;
  const fallback = randomSampler(dimensions, random);
  return {
    propose(observations, seen) {
      if (observations.length < Math.max(2, startupTrials)) return fallback.propose(observations, seen);
      // Good = the best gamma fraction: deeper resource levels first, then lower loss.
      const ranked = [...observations].sort((a, b) => b.level - a.level || a.loss - b.loss);
      const goodCount = Math.min(ranked.length - 1, Math.max(1, Math.ceil(gamma * ranked.length)));
      const good = densities(dimensions, ranked.slice(0, goodCount));
      const bad = densities(dimensions, ranked.slice(goodCount));
      let best: { params: Params; score: number } | undefined;
      for (let c = 0; c < candidates; c++) {
        const params: Record<string, ParamValue> = {};
        let score = 0;
        dimensions.forEach((dimension, d) => {
          const value = good[d].sample(random);
          params[dimension.name] = value;
          score += good[d].logPdf(value) - bad[d].logPdf(value);
        });
        if (seen.has(configKey(dimensions, params))) continue;
        if (best === undefined || score > best.score) best = { params, score };
      }
      return best?.params ?? fallback.propose(observations, seen);
    },
  };
}

// ---------------------------------------------------------------- the search

function validateOptions(options: TuneOptions): void {
  const positiveInteger = (value: number | undefined, field: string): void => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new TuningError(field, `must be a positive integer, got ${value}`);
  };
  if (options.maxTrials === undefined && options.maxResource === undefined) throw new TuningError('maxTrials', 'give maxTrials, maxResource or both');
  positiveInteger(options.maxTrials, 'maxTrials');
  if (options.maxResource !== undefined && !(options.maxResource > 0)) throw new TuningError('maxResource', `must be positive, got ${options.maxResource}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new TuningError('seed', `must be an integer, got ${options.seed}`);
  const tpe = options.tpe ?? {};
  if (tpe.startupTrials !== undefined && !(Number.isInteger(tpe.startupTrials) && tpe.startupTrials >= 0)) throw new TuningError('tpe.startupTrials', 'must be an integer >= 0');
  if (tpe.gamma !== undefined && !(tpe.gamma > 0 && tpe.gamma < 1)) throw new TuningError('tpe.gamma', `must be in (0, 1), got ${tpe.gamma}`);
  positiveInteger(tpe.candidates, 'tpe.candidates');
}

/** Resource levels max * eta^(k - K), k = 0..K, the lowest at least `min`. */
export function resourceLevels(fidelity: Fidelity): number[] {
  const eta = fidelity.reductionFactor ?? 3;
  const { min, max } = fidelity;
  if (!(Number.isFinite(min) && min > 0 && Number.isFinite(max) && max >= min)) throw new TuningError('fidelity', `needs 0 < min <= max, got min ${min}, max ${max}`);
  if (!(eta > 1)) throw new TuningError('fidelity.reductionFactor', `must be > 1, got ${eta}`);
  const integer = fidelity.integer ?? (Number.isInteger(min) && Number.isInteger(max));
  const top = Math.floor(Math.log(max / min) / Math.log(eta) + 1e-9);
  const levels = Array.from({ length: top + 1 }, (_, k) => max * eta ** (k - top));
  const rounded = integer ? levels.map((level) => Math.max(Math.ceil(min), Math.round(level))) : levels;
  return rounded.filter((level, k) => k === 0 || level > rounded[k - 1]);
}

interface LiveTrial {
  readonly id: number;
  readonly params: Params;
  readonly history: TrialEvaluation[];
  level: number;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Searches the space for the configuration with the best objective. */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  validateOptions(options);
  const dimensions = validateSpace(options.space);
  const levels: (number | undefined)[] = options.fidelity ? resourceLevels(options.fidelity) : [undefined];
  const eta = options.fidelity?.reductionFactor ?? 3;
  const top = levels.length - 1;
  const sign = options.direction === 'maximize' ? -1 : 1;
  const random = createRandom(options.seed ?? 0);
  const sampler = options.sampler === 'random' ? randomSampler(dimensions, random) : tpeSampler(dimensions, random, options.tpe ?? {});
  const signal = options.signal ?? new AbortController().signal;
  const maxTrials = options.maxTrials ?? Infinity;
  const maxResource = options.maxResource ?? Infinity;

  const trials: TrialRecord[] = [];
  // Latest observation per trial id, in the order trials started.
  const observations = new Map<number, Observation>();
  const seen = new Set<string>();
  let started = 0;
  let evaluations = 0;
  let resourceSpent = 0;
  /** Why no new trial may start (promotions in the current bracket still run). */
  let noNewTrials: StopReason | undefined;
  /** Why no evaluation at all may start. */
  let halted: StopReason | undefined;

  const finish = (trial: LiveTrial, status: TrialStatus, extra: { error?: string; note?: string } = {}): void => {
    const last = trial.history[trial.history.length - 1];
    const record: TrialRecord = {
      id: trial.id,
      params: trial.params,
      status,
      resource: status === 'failed' ? levels[trial.level] : last?.resource,
      score: status === 'failed' ? undefined : last?.score,
      history: [...trial.history],
      ...extra,
    };
    trials.push(record);
    options.onTrial?.(record);
  };

  /** Whether an evaluation at this level may start; records why not. */
  const mayEvaluate = (level: number): boolean => {
    if (halted === undefined && signal.aborted) halted = 'aborted';
    if (halted === undefined && resourceSpent + (levels[level] ?? 1) > maxResource) halted = 'maxResource';
    return halted === undefined;
  };

  /** Runs the objective; false (and the trial finished as failed) when it throws or returns a non-number. */
  const evaluate = async (trial: LiveTrial, level: number): Promise<boolean> => {
    const resource = levels[level];
    trial.level = level;
    evaluations++;
    resourceSpent += resource ?? 1;
    let score: number;
    try {
      score = await options.objective(trial.params, { resource, trialId: trial.id, signal });
      if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error(`objective returned ${String(score)}, not a finite number`);
    } catch (error) {
      finish(trial, 'failed', { error: errorMessage(error) });
      return false;
    }
    trial.history.push({ resource, score });
    observations.set(trial.id, { params: trial.params, level, loss: sign * score });
    return true;
  };

  const stoppedNote = (trial: LiveTrial): { note?: string } =>
    trial.level < top ? { note: `stopped before resource ${levels[trial.level + 1]}: ${halted}` } : {};

  for (let bracket = 0; noNewTrials === undefined && halted === undefined; bracket++) {
    const halvings = options.fidelity?.hyperband ? top - (bracket % (top + 1)) : top;
    const startLevel = top - halvings;
    const bracketSize = Math.ceil(options.fidelity?.hyperband ? ((top + 1) / (halvings + 1)) * eta ** halvings : eta ** top);

    let active: LiveTrial[] = [];
    for (let i = 0; i < bracketSize; i++) {
      if (started >= maxTrials) noNewTrials = 'maxTrials';
      if (noNewTrials !== undefined || !mayEvaluate(startLevel)) break;
      const params = sampler.propose([...observations.values()], seen);
      if (params === null) {
        noNewTrials = 'spaceExhausted';
        break;
      }
      seen.add(configKey(dimensions, params));
      const trial: LiveTrial = { id: started++, params, history: [], level: startLevel };
      if (await evaluate(trial, startLevel)) active.push(trial);
    }

    for (let level = startLevel; level < top && active.length > 0; level++) {
      active.sort((a, b) => sign * (a.history[a.history.length - 1].score - b.history[b.history.length - 1].score) || a.id - b.id);
      const keep = Math.max(1, Math.floor(active.length / eta));
      for (const trial of active.slice(keep)) finish(trial, 'pruned');
      const promoted: LiveTrial[] = [];
      for (const trial of active.slice(0, keep)) {
        if (!mayEvaluate(level + 1)) finish(trial, 'completed', stoppedNote(trial));
        else if (await evaluate(trial, level + 1)) promoted.push(trial);
      }
      active = promoted;
    }
    for (const trial of active) finish(trial, 'completed', stoppedNote(trial));
  }

  trials.sort((a, b) => a.id - b.id);
  const levelOf = (trial: TrialRecord): number => levels.indexOf(trial.resource);
  const best = trials
    .filter((trial) => trial.status !== 'failed')
    .reduce<TrialRecord | null>((leader, trial) => {
      if (leader === null) return trial;
      const deeper = levelOf(trial) - levelOf(leader);
      if (deeper !== 0) return deeper > 0 ? trial : leader;
      return sign * ((trial.score as number) - (leader.score as number)) < 0 ? trial : leader;
    }, null);
  return { best, trials, evaluations, resourceSpent, stopReason: halted ?? noNewTrials ?? 'maxTrials' };
}
