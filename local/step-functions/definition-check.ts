/**
 * Checks a resolved ASL definition before aws-local-stepfunctions runs it. That engine
 * silently ignores JSONata, has no variables (Assign) and no Distributed Map, and calls real
 * AWS for any Task without a local handler; so the local cloud refuses all of these up front,
 * naming each state by its full path (`ScoreChunks > ItemProcessor > ScoreChunk`). The
 * engine's context object holds only what it was started with (Execution, StateMachine) and
 * Map items: `$$.State.*` (EnteredTime, Name, RetryCount) and `$$.Task.*` do not exist there, so a
 * path to them would fail mid-run with States.Runtime; they are refused up front too.
 */

/** Covers bare Lambda function ARNs in Task Resource, which the engine invokes directly. */
export const LAMBDA_FUNCTION_ARN_PATTERN = 'arn:*:lambda:*:*:function:*';

export type AslDefinition = string | object;

export type DefinitionProblemKind =
  | 'malformed'
  | 'jsonata'
  | 'variables'
  | 'distributed-map'
  | 'unsupported-resource'
  | 'duplicate-task-name'
  | 'context-object';

export interface DefinitionProblem {
  readonly kind: DefinitionProblemKind;
  /** The state's full path, e.g. `Fanout > Branches[1] > Notify`; `(definition)` for the top level. */
  readonly path: string;
  readonly reason: string;
  /** The Task's Resource, for unsupported-resource problems. */
  readonly resource?: string;
}

export interface TaskStateInfo {
  /** Full path, e.g. `ScoreChunks > Iterator > ScoreChunk`. */
  readonly path: string;
  /** The state name: the key of aws-local-stepfunctions' taskResourceLocalHandlers. */
  readonly name: string;
  /** undefined when Resource is missing or not a string (an unresolved intrinsic). */
  readonly resource: string | undefined;
  readonly insideMap: boolean;
  readonly insideParallel: boolean;
}

/** A definition that cannot run locally; `problems` holds every reason found. */
export class UnsupportedDefinitionError extends Error {
  constructor(
    readonly problems: readonly DefinitionProblem[],
    stateMachine?: string,
  ) {
    const subject = stateMachine ? `State machine ${stateMachine}` : 'State machine definition';
    super(`${subject} cannot run locally:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join('\n')}`);
    this.name = 'UnsupportedDefinitionError';
  }
}

const TOP_LEVEL = '(definition)';
const PATH_SEPARATOR = ' > ';
const DISTRIBUTED_ONLY_FIELDS = ['ItemReader', 'ResultWriter', 'ItemBatcher'] as const;
const JSONATA_ONLY_FIELDS = ['Arguments', 'Output'] as const;
/** Fields holding nested states (checked as states of their own). */
const NESTED_STATE_FIELDS = new Set(['Iterator', 'ItemProcessor', 'Branches']);
const UNSUPPORTED_CONTEXT = /\$\$\.(State|Task)\.[A-Za-z]+/g;

/** `$$.State.*` / `$$.Task.*` paths in a state's own fields (not in its nested states). */
function unsupportedContextPaths(state: Record<string, unknown>): string[] {
  const own = Object.fromEntries(Object.entries(state).filter(([field]) => !NESTED_STATE_FIELDS.has(field)));
  return [...new Set(JSON.stringify(own).match(UNSUPPORTED_CONTEXT) ?? [])];
}

/**
 * Every reason the definition cannot run locally, in document order. `supported` lists the
 * Task Resources that have local adapters: exact ARNs, or patterns where `*` matches anything
 * (see findAdapterKey). An empty list means the definition can run.
 */
export function checkDefinition(definition: AslDefinition, supported: readonly string[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const tasksByName = new Map<string, string>();

  walkDefinition(definition, {
    problem: (problem) => problems.push(problem),
    machine: (machine, path) => {
      if (machine.QueryLanguage === 'JSONata') {
        problems.push({ kind: 'jsonata', path, reason: 'QueryLanguage JSONata is not supported locally (the engine ignores JSONata); use JSONPath' });
      }
    },
    state: (state, visit) => {
      const { path } = visit;
      const jsonataFields = JSONATA_ONLY_FIELDS.filter((field) => field in state);
      if (state.QueryLanguage === 'JSONata' || jsonataFields.length > 0) {
        const uses = [state.QueryLanguage === 'JSONata' ? 'QueryLanguage JSONata' : '', ...jsonataFields.map((f) => `the JSONata field ${f}`)];
        problems.push({ kind: 'jsonata', path, reason: `uses ${uses.filter(Boolean).join(' and ')}, which is not supported locally; use JSONPath` });
      }

      const assigns = assignLocations(state);
      if (assigns.length > 0) {
        problems.push({ kind: 'variables', path, reason: `sets variables (${assigns.join(', ')}), which are not supported locally` });
      }

      const contextPaths = unsupportedContextPaths(state);
      if (contextPaths.length > 0) {
        problems.push({
          kind: 'context-object',
          path,
          reason: `reads ${contextPaths.join(', ')} from the context object, which the local engine does not provide (only $$.Execution, $$.StateMachine and $$.Map)`,
        });
      }

      if (state.Type === 'Map') {
        const features = distributedFeatures(state);
        if (features.length > 0) {
          problems.push({ kind: 'distributed-map', path, reason: `is a Distributed Map (${features.join(', ')}); only inline Maps run locally` });
        }
      }

      if (state.Type !== 'Task') return;
      const firstPath = tasksByName.get(visit.name);
      if (firstPath === undefined) {
        tasksByName.set(visit.name, path);
      } else {
        problems.push({
          kind: 'duplicate-task-name',
          path,
          reason: `Task name ${visit.name} is also used at ${firstPath}; local Task handlers are keyed by state name, so Task names must be unique across Map and Parallel scopes`,
        });
      }
      const resource = state.Resource;
      if (typeof resource !== 'string') {
        problems.push({ kind: 'unsupported-resource', path, reason: `Task Resource must be a resolved ARN string, got ${JSON.stringify(resource) ?? 'nothing'}` });
      } else if (findAdapterKey(resource, supported) === undefined) {
        problems.push({ kind: 'unsupported-resource', path, resource, reason: `Task Resource ${resource} has no local adapter` });
      }
    },
  });
  return problems;
}

/** Throws UnsupportedDefinitionError listing every problem checkDefinition finds. */
export function assertRunnableLocally(definition: AslDefinition, supported: readonly string[], stateMachine?: string): void {
  const problems = checkDefinition(definition, supported);
  if (problems.length > 0) throw new UnsupportedDefinitionError(problems, stateMachine);
}

/**
 * Every Task state, top level and inside Map and Parallel, in document order.
 * Throws UnsupportedDefinitionError when the definition is malformed.
 */
export function listTaskStates(definition: AslDefinition): TaskStateInfo[] {
  const tasks: TaskStateInfo[] = [];
  const malformed: DefinitionProblem[] = [];
  walkDefinition(definition, {
    problem: (problem) => malformed.push(problem),
    machine: () => undefined,
    state: (state, visit) => {
      if (state.Type !== 'Task') return;
      const resource = typeof state.Resource === 'string' ? state.Resource : undefined;
      tasks.push({ ...visit, resource });
    },
  });
  if (malformed.length > 0) throw new UnsupportedDefinitionError(malformed);
  return tasks;
}

/**
 * The entry of `supported` that handles `resource`: an exact match first, otherwise the
 * most specific pattern (most characters outside `*`). Undefined when none matches.
 */
export function findAdapterKey(resource: string, supported: readonly string[]): string | undefined {
  if (supported.includes(resource)) return resource;
  let best: string | undefined;
  for (const pattern of supported) {
    if (!pattern.includes('*') || !globToRegExp(pattern).test(resource)) continue;
    if (best === undefined || literalLength(pattern) > literalLength(best)) best = pattern;
  }
  return best;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

function literalLength(pattern: string): number {
  return pattern.replaceAll('*', '').length;
}

type Json = Readonly<Record<string, unknown>>;

interface StateVisit {
  readonly path: string;
  readonly name: string;
  readonly insideMap: boolean;
  readonly insideParallel: boolean;
}

interface DefinitionVisitor {
  readonly problem: (problem: DefinitionProblem) => void;
  /** Called for the top level and for every Map processor and Parallel branch. */
  readonly machine: (machine: Json, path: string) => void;
  readonly state: (state: Json, visit: StateVisit) => void;
}

interface Scope {
  readonly prefix: readonly string[];
  readonly insideMap: boolean;
  readonly insideParallel: boolean;
}

function walkDefinition(definition: AslDefinition, visitor: DefinitionVisitor): void {
  let machine: unknown = definition;
  if (typeof definition === 'string') {
    try {
      machine = JSON.parse(definition);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      visitor.problem({ kind: 'malformed', path: TOP_LEVEL, reason: `is not valid JSON: ${reason}` });
      return;
    }
  }
  walkMachine(machine, TOP_LEVEL, { prefix: [], insideMap: false, insideParallel: false }, visitor);
}

function walkMachine(machine: unknown, path: string, scope: Scope, visitor: DefinitionVisitor): void {
  if (!isRecord(machine) || !isRecord(machine.States)) {
    visitor.problem({ kind: 'malformed', path, reason: 'has no States object' });
    return;
  }
  visitor.machine(machine, path);
  for (const [name, state] of Object.entries(machine.States)) {
    const segments = [...scope.prefix, name];
    const statePath = segments.join(PATH_SEPARATOR);
    if (!isRecord(state) || typeof state.Type !== 'string') {
      visitor.problem({ kind: 'malformed', path: statePath, reason: 'is not a state object with a Type' });
      continue;
    }
    visitor.state(state, { path: statePath, name, insideMap: scope.insideMap, insideParallel: scope.insideParallel });

    if (state.Type === 'Map') {
      const key = 'ItemProcessor' in state ? 'ItemProcessor' : 'Iterator';
      if (!(key in state)) {
        visitor.problem({ kind: 'malformed', path: statePath, reason: 'Map has neither ItemProcessor nor Iterator' });
        continue;
      }
      const inner = { prefix: [...segments, key], insideMap: true, insideParallel: scope.insideParallel };
      walkMachine(state[key], [...segments, key].join(PATH_SEPARATOR), inner, visitor);
    } else if (state.Type === 'Parallel') {
      if (!Array.isArray(state.Branches)) {
        visitor.problem({ kind: 'malformed', path: statePath, reason: 'Parallel has no Branches list' });
        continue;
      }
      state.Branches.forEach((branch: unknown, index: number) => {
        const segment = `Branches[${index}]`;
        const inner = { prefix: [...segments, segment], insideMap: scope.insideMap, insideParallel: true };
        walkMachine(branch, [...segments, segment].join(PATH_SEPARATOR), inner, visitor);
      });
    }
  }
}

/** Where a state sets variables: on the state itself, on a Catch, or on a Choice rule. */
function assignLocations(state: Json): string[] {
  const locations = 'Assign' in state ? ['Assign'] : [];
  for (const field of ['Catch', 'Choices'] as const) {
    const entries = state[field];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index: number) => {
      if (isRecord(entry) && 'Assign' in entry) locations.push(`${field}[${index}].Assign`);
    });
  }
  return locations;
}

function distributedFeatures(state: Json): string[] {
  const processor = state.ItemProcessor;
  const config = isRecord(processor) ? processor.ProcessorConfig : undefined;
  const distributed = isRecord(config) && config.Mode === 'DISTRIBUTED' ? ['ProcessorConfig Mode DISTRIBUTED'] : [];
  return [...distributed, ...DISTRIBUTED_ONLY_FIELDS.filter((field) => field in state)];
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
