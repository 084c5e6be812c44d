/**
 * Which model the endpoint serves, and noticing when that changes without a redeploy.
 *
 * The production pointer (the registry's `STAGES` item) is re-read at most once every
 * `checkIntervalMs` (default 5 s), on the first request after the interval; that request
 * waits for the read (a single-item get) and, when the version moved, for the new model to
 * load, so the first request after the interval is served by the new version. Loaded models
 * are cached by version (the A/B challenger too) and a concurrent load of one version is
 * shared. A failed re-check or a failed load of a new version keeps the current model
 * serving (reported through `onError`) and is retried at the next interval; only an endpoint
 * that has never loaded a model answers "unavailable".
 */
import type { ServingModel } from './scoring';

/** Milliseconds since the epoch; injected so tests drive time. */
export type Clock = () => number;

/** The registry's production version for the project (null when there is none yet). */
export interface ProductionPointerSource {
  readProduction(): Promise<number | null>;
}

/** Fetches a version's artifacts and makes a ServingModel (ONNX bytes → session, trees → explainer). */
export interface ModelLoader {
  load(version: number): Promise<ServingModel>;
}

/** No model can be served: the project has no production version, or none could be loaded. */
export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
}

export type ServingErrorReporter = (message: string, error: unknown) => void;

export const DEFAULT_MODEL_CHECK_INTERVAL_MS = 5_000;

/**
 * A value read through `read` and re-read at most every `intervalMs`: the first get after
 * the interval waits for the fresh value. A failed re-read keeps the previous value; with
 * no previous value the error propagates.
 */
export class PolledValue<T> {
  private value: { readonly current: T } | undefined;
  private checkedAt = -Infinity;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onError: ServingErrorReporter = () => undefined,
  ) {}

  async get(): Promise<T> {
    if (this.value === undefined || this.clock() - this.checkedAt >= this.intervalMs) {
      this.inflight ??= this.refresh().finally(() => {
        this.inflight = undefined;
      });
      await this.inflight;
    }
    if (this.value === undefined) throw new Error('unreachable: refresh leaves a value or throws');
    return this.value.current;
  }

  private async refresh(): Promise<void> {
    // Stamped before the read, so a failing source is asked once per interval, not once per request.
    this.checkedAt = this.clock();
    try {
      this.value = { current: await this.read() };
    } catch (error) {
      if (this.value === undefined) throw error;
      this.onError('re-reading a polled value failed; keeping the previous one', error);
    }
  }
}

export interface ModelCacheOptions {
  /** @default 5000 */
  readonly checkIntervalMs?: number;
  readonly onError?: ServingErrorReporter;
}

export class ModelCache {
  private readonly pointer: PolledValue<number | null>;
  private readonly loaded = new Map<number, Promise<ServingModel>>();
  private current: ServingModel | undefined;
  private readonly onError: ServingErrorReporter;

  constructor(
    source: ProductionPointerSource,
    private readonly loader: ModelLoader,
    clock: Clock,
    options: ModelCacheOptions = {},
  ) {
    this.onError = options.onError ?? (() => undefined);
    this.pointer = new PolledValue(() => source.readProduction(), clock, options.checkIntervalMs ?? DEFAULT_MODEL_CHECK_INTERVAL_MS, this.onError);
  }

  /** The production model, re-checking the pointer when the interval has passed. */
  async production(): Promise<ServingModel> {
    let version: number | null;
    try {
      version = await this.pointer.get();
    } catch (error) {
      if (this.current) return this.current;
      throw new ModelUnavailableError(`the production model pointer could not be read: ${(error as Error).message}`);
    }
    if (version === null) {
      if (this.current) return this.current; // the pointer was cleared: keep serving what we have
      throw new ModelUnavailableError('the project has no production model yet (promote a version to production)');
    }
    if (this.current?.version === version) return this.current;
    try {
      const model = await this.version(version);
      const previous = this.current;
      this.current = model;
      if (previous) this.evict(previous.version);
      return model;
    } catch (error) {
      if (this.current) {
        this.onError(`loading production version ${version} failed; still serving version ${this.current.version}`, error);
        return this.current;
      }
      throw new ModelUnavailableError(`production version ${version} could not be loaded: ${(error as Error).message}`);
    }
  }

  /** Any version (the A/B challenger), loaded once and cached; a failed load is forgotten so it is retried. */
  version(version: number): Promise<ServingModel> {
    let model = this.loaded.get(version);
    if (model === undefined) {
      model = this.loader.load(version);
      this.loaded.set(version, model);
      model.catch(() => {
        if (this.loaded.get(version) === model) this.loaded.delete(version);
      });
    }
    return model;
  }

  /** Frees versions that are neither production nor in `keep` (an A/B challenger that was replaced). */
  retainOnly(keep: ReadonlySet<number>): void {
    for (const version of [...this.loaded.keys()]) {
      if (version !== this.current?.version && !keep.has(version)) this.evict(version);
    }
  }

  /** Versions currently loaded (for the status answer). */
  loadedVersions(): number[] {
    return [...this.loaded.keys()].sort((a, b) => a - b);
  }

  /**
   * Forgets a version. The native session is not released here: a request that began on it
   * may still be running (the local server is concurrent); it is freed when collected.
   */
  private evict(version: number): void {
    this.loaded.delete(version);
  }
}
