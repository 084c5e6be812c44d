/**
 * XGBoost's JSON model format (`Booster.save_model('model.json')`), read and written.
 *
 * Checked against files written by XGBoost 1.7.4 (Debian python3-xgboost; see
 * test/fixtures/xgboost). Newer writers differ in ways the reader accepts: 2.x adds
 * `iteration_indptr`, 3.1 writes base_score as a one-element list string ("[5E-1]").
 *
 * Facts of the format this code relies on:
 * - A leaf's value is in `split_conditions` (already scaled by the learning rate); its
 *   `left_children` and `right_children` are -1. `base_weights` is not used to predict.
 * - `learner_model_param.base_score` is a string in prediction space: a probability for
 *   binary:logistic (the margin is its log-odds), the value itself for regression.
 * - XGBoost writes NaN and Infinity as bare tokens, which JSON.parse refuses.
 * - `attributes.best_iteration` names the last round to use (xgb.train sets it even
 *   without early stopping).
 *
 * Not supported, with a precise error: categorical splits (split_type 1), multi-class and
 * multi-target models, gblinear and dart boosters, objectives other than binary:logistic
 * (alias reg:logistic) and reg:squarederror (alias reg:linear).
 *
 * The engine's own feature specs and encodings travel in two attributes
 * (`luminaops.features`, `luminaops.encodings`) so a model keeps its column mapping
 * through the format; other attributes are carried as they are.
 */
import type { ColumnEncoding, FeatureSpec, GbdtModel, Objective, Tree } from './model';

/** The input is not an XGBoost JSON model we can read; `path` points at the bad field. */
export class XgboostModelFormatError extends Error {
  override readonly name = 'XgboostModelFormatError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Attribute keys the engine reserves for its own metadata. */
export const FEATURES_ATTRIBUTE = 'luminaops.features';
export const ENCODINGS_ATTRIBUTE = 'luminaops.encodings';
const BEST_ITERATION_ATTRIBUTE = 'best_iteration';
/** XGBoost keeps this next to best_iteration; it is derived from it, so it is rewritten. */
const BEST_NTREE_LIMIT_ATTRIBUTE = 'best_ntree_limit';

/** The format version the writer claims: the 1.7 layout, which 1.7, 2.x and 3.x all load. */
const WRITTEN_VERSION = [1, 7, 4] as const;
/** XGBoost prints the root's parent (kInvalidNodeId without the left-child bit) as this. */
const ROOT_PARENT = 2147483647;

export interface ReadXgboostOptions {
  /**
   * Keep only the rounds up to `attributes.best_iteration` (what XGBoost's scikit-learn
   * wrapper predicts with). GbdtModel holds no trees beyond its best iteration.
   * @default true
   */
  readonly useBestIteration?: boolean;
}

// ---------------------------------------------------------------------------------------
// Reading

/** Parses the text of a model.json (NaN / Infinity tokens included) into a GbdtModel. */
export function readXgboostJson(text: string | Uint8Array, options: ReadXgboostOptions = {}): GbdtModel {
  const source = typeof text === 'string' ? text : new TextDecoder().decode(text);
  let document: unknown;
  try {
    // A reviver makes JSON.parse ~20x slower (24 ms vs 1.3 ms for a 100-tree model at an endpoint's
    // cold start): only pay for it when there are non-finite tokens to restore.
    const replaced = replaceNonFiniteTokens(source);
    document = replaced === source ? JSON.parse(source) : JSON.parse(replaced, reviveNonFinite);
  } catch (error) {
    throw new XgboostModelFormatError('(document)', `is not valid JSON: ${(error as Error).message}`);
  }
  return fromXgboostDocument(document, options);
}

const NON_FINITE_MARK = '\u0000luminaops-non-finite:';

/**
 * Replaces the bare NaN, Infinity and -Infinity tokens XGBoost writes with marked strings
 * (outside string literals only), so JSON.parse accepts the text and the reviver restores
 * the numbers.
 */
function replaceNonFiniteTokens(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    for (const token of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(token, i)) {
        // \u0000 as a JSON escape: JSON.parse turns it into the mark's NUL character.
        out += `${text.slice(start, i)}"\\u0000${NON_FINITE_MARK.slice(1)}${token}"`;
        i += token.length - 1;
        start = i + 1;
        break;
      }
    }
  }
  return out + text.slice(start);
}

function reviveNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith(NON_FINITE_MARK)) {
    return Number(value.slice(NON_FINITE_MARK.length));
  }
  return value;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new XgboostModelFormatError(path, `must be an object, got ${describe(value)}`);
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new XgboostModelFormatError(path, `must be an array, got ${describe(value)}`);
  return value;
}

function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new XgboostModelFormatError(path, `must be a string, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** An integer held as a string, the way dmlc parameters are written ("8"). */
function integerParam(value: unknown, path: string): number {
  const text = typeof value === 'number' ? String(value) : stringAt(value, path);
  if (!/^-?\d+$/.test(text.trim())) throw new XgboostModelFormatError(path, `must be an integer, got ${describe(value)}`);
  return Number(text);
}

function integerArray(value: unknown, path: string, length: number): Int32Array {
  const items = arrayAt(value, path);
  if (items.length !== length) {
    throw new XgboostModelFormatError(path, `has ${items.length} entries but the tree has ${length} nodes`);
  }
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = items[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new XgboostModelFormatError(`${path}[${i}]`, `must be an integer, got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function numberArray(value: unknown, path: string, length: number): Float64Array {
  const items = arrayAt(value, path);
  if (items.length !== length) {
    throw new XgboostModelFormatError(path, `has ${items.length} entries but the tree has ${length} nodes`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v = items[i];
    if (typeof v !== 'number') throw new XgboostModelFormatError(`${path}[${i}]`, `must be a number, got ${describe(v)}`);
    // XGBoost stores float32; the text is the shortest decimal of it, so fround recovers it.
    out[i] = Math.fround(v);
  }
  return out;
}

/** base_score: "5E-1" (1.7, 2.x) or "[5E-1]" (3.1+), in prediction space. */
function parseBaseScore(value: unknown, path: string): number {
  const text = stringAt(value, path).trim();
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1).trim() : text;
  if (inner.includes(',')) {
    throw new XgboostModelFormatError(path, `holds several base scores (${text}); only single-target models are supported`);
  }
  const score = Number(inner);
  if (inner === '' || !Number.isFinite(score)) {
    throw new XgboostModelFormatError(path, `must be a number or a one-element list, got ${describe(value)}`);
  }
  return Math.fround(score);
}

const OBJECTIVES: Readonly<Record<string, Objective>> = {
  'binary:logistic': 'binary:logistic',
  'reg:logistic': 'binary:logistic',
  'reg:squarederror': 'reg:squarederror',
  'reg:linear': 'reg:squarederror',
};

function parseObjective(learner: JsonObject): Objective {
  const objective = objectAt(learner.objective, 'learner.objective');
  const name = stringAt(objective.name, 'learner.objective.name');
  const mapped = OBJECTIVES[name];
  if (mapped === undefined) {
    throw new XgboostModelFormatError(
      'learner.objective.name',
      `objective ${JSON.stringify(name)} is not supported; expected one of ${Object.keys(OBJECTIVES).join(', ')}`,
    );
  }
  return mapped;
}

function baseMarginFromScore(objective: Objective, score: number, path: string): number {
  if (objective === 'binary:logistic') {
    if (!(score > 0 && score < 1)) {
      throw new XgboostModelFormatError(path, `must be a probability strictly between 0 and 1 for binary:logistic, got ${score}`);
    }
    return Math.log(score / (1 - score));
  }
  return score;
}

/** Turns an already-parsed model.json document into a GbdtModel. */
export function fromXgboostDocument(document: unknown, options: ReadXgboostOptions = {}): GbdtModel {
  const root = objectAt(document, '(document)');
  const learner = objectAt(root.learner, 'learner');
  if (root.version !== undefined) {
    const version = arrayAt(root.version, 'version');
    if (version.length < 2 || !version.every((v) => typeof v === 'number')) {
      throw new XgboostModelFormatError('version', 'must be a list of numbers like [1, 7, 4]');
    }
  }
  const objective = parseObjective(learner);

  const modelParam = objectAt(learner.learner_model_param, 'learner.learner_model_param');
  const numFeature = integerParam(modelParam.num_feature, 'learner.learner_model_param.num_feature');
  if (numFeature <= 0) throw new XgboostModelFormatError('learner.learner_model_param.num_feature', `must be positive, got ${numFeature}`);
  if (modelParam.num_class !== undefined) {
    const numClass = integerParam(modelParam.num_class, 'learner.learner_model_param.num_class');
    if (numClass > 1) {
      throw new XgboostModelFormatError('learner.learner_model_param.num_class', `is ${numClass}; multi-class models are not supported`);
    }
  }
  if (modelParam.num_target !== undefined) {
    const numTarget = integerParam(modelParam.num_target, 'learner.learner_model_param.num_target');
    if (numTarget > 1) {
      throw new XgboostModelFormatError('learner.learner_model_param.num_target', `is ${numTarget}; multi-target models are not supported`);
    }
  }
  const baseScore = parseBaseScore(modelParam.base_score, 'learner.learner_model_param.base_score');
  const baseMargin = baseMarginFromScore(objective, baseScore, 'learner.learner_model_param.base_score');

  const booster = objectAt(learner.gradient_booster, 'learner.gradient_booster');
  const boosterName = stringAt(booster.name, 'learner.gradient_booster.name');
  if (boosterName !== 'gbtree') {
    throw new XgboostModelFormatError('learner.gradient_booster.name', `booster ${JSON.stringify(boosterName)} is not supported; expected "gbtree"`);
  }
  const gbtree = objectAt(booster.model, 'learner.gradient_booster.model');
  const treesJson = arrayAt(gbtree.trees, 'learner.gradient_booster.model.trees');
  const gbtreeParam = gbtree.gbtree_model_param === undefined ? {} : objectAt(gbtree.gbtree_model_param, 'learner.gradient_booster.model.gbtree_model_param');
  if (gbtreeParam.num_trees !== undefined) {
    const numTrees = integerParam(gbtreeParam.num_trees, 'learner.gradient_booster.model.gbtree_model_param.num_trees');
    if (numTrees !== treesJson.length) {
      throw new XgboostModelFormatError('learner.gradient_booster.model.gbtree_model_param.num_trees', `is ${numTrees} but trees has ${treesJson.length} entries`);
    }
  }
  const parallelTrees = gbtreeParam.num_parallel_tree === undefined
    ? 1
    : integerParam(gbtreeParam.num_parallel_tree, 'learner.gradient_booster.model.gbtree_model_param.num_parallel_tree');
  if (parallelTrees < 1) {
    throw new XgboostModelFormatError('learner.gradient_booster.model.gbtree_model_param.num_parallel_tree', `must be at least 1, got ${parallelTrees}`);
  }

  const allTrees = treesJson.map((t, i) => readTree(t, `learner.gradient_booster.model.trees[${i}]`, numFeature));

  const rawAttributes = learner.attributes === undefined ? {} : objectAt(learner.attributes, 'learner.attributes');
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawAttributes)) {
    attributes[key] = stringAt(value, `learner.attributes[${JSON.stringify(key)}]`);
  }

  let trees = allTrees;
  let bestIteration: number | undefined;
  const bestText = attributes[BEST_ITERATION_ATTRIBUTE];
  if (bestText !== undefined) {
    const best = integerParam(bestText, `learner.attributes["${BEST_ITERATION_ATTRIBUTE}"]`);
    const rounds = allTrees.length / parallelTrees;
    if (best < 0 || best >= rounds) {
      throw new XgboostModelFormatError(`learner.attributes["${BEST_ITERATION_ATTRIBUTE}"]`, `is ${best} but the model has ${rounds} rounds`);
    }
    if (options.useBestIteration ?? true) {
      trees = allTrees.slice(0, (best + 1) * parallelTrees);
      bestIteration = best;
    }
  }
  delete attributes[BEST_ITERATION_ATTRIBUTE];
  delete attributes[BEST_NTREE_LIMIT_ATTRIBUTE];

  const features = readFeatures(learner, numFeature, attributes);
  const encodings = readEncodings(attributes, features);
  delete attributes[FEATURES_ATTRIBUTE];
  delete attributes[ENCODINGS_ATTRIBUTE];

  return {
    objective,
    baseMargin,
    features,
    trees,
    ...(encodings === undefined ? {} : { encodings }),
    ...(bestIteration === undefined ? {} : { bestIteration }),
    ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
  };
}

function readTree(value: unknown, path: string, numFeature: number): Tree {
  const tree = objectAt(value, path);
  const treeParam = objectAt(tree.tree_param, `${path}.tree_param`);
  const n = integerParam(treeParam.num_nodes, `${path}.tree_param.num_nodes`);
  if (n < 1) throw new XgboostModelFormatError(`${path}.tree_param.num_nodes`, `must be at least 1, got ${n}`);
  if (treeParam.size_leaf_vector !== undefined) {
    const leafVector = integerParam(treeParam.size_leaf_vector, `${path}.tree_param.size_leaf_vector`);
    if (leafVector > 1) {
      throw new XgboostModelFormatError(`${path}.tree_param.size_leaf_vector`, `is ${leafVector}; vector-leaf (multi-target) trees are not supported`);
    }
  }
  if (tree.split_type !== undefined) {
    const splitType = integerArray(tree.split_type, `${path}.split_type`, n);
    const categorical = splitType.findIndex((s) => s !== 0);
    if (categorical !== -1) {
      throw new XgboostModelFormatError(
        `${path}.split_type[${categorical}]`,
        `is ${splitType[categorical]} (a categorical split); categorical splits are not supported, encode categories as ordinal numbers`,
      );
    }
  }
  const left = integerArray(tree.left_children, `${path}.left_children`, n);
  const right = integerArray(tree.right_children, `${path}.right_children`, n);
  const splitIndex = integerArray(tree.split_indices, `${path}.split_indices`, n);
  const conditions = numberArray(tree.split_conditions, `${path}.split_conditions`, n);
  const defaultLeftRaw = integerArray(tree.default_left, `${path}.default_left`, n);
  const sumHessian = numberArray(tree.sum_hessian, `${path}.sum_hessian`, n);
  const lossChanges = numberArray(tree.loss_changes, `${path}.loss_changes`, n);

  // Walk from the root: checks the structure and finds the reachable nodes (pruned trees
  // may keep deleted nodes in the arrays).
  const order: number[] = [];
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const node = stack.pop() as number;
    if (seen[node] === 1) throw new XgboostModelFormatError(`${path}.left_children`, `node ${node} is the child of two nodes`);
    seen[node] = 1;
    order.push(node);
    const l = left[node];
    const r = right[node];
    if (l === -1 || r === -1) {
      if (l !== r) {
        throw new XgboostModelFormatError(`${path}.${l === -1 ? 'right' : 'left'}_children[${node}]`, `is ${l === -1 ? r : l} but the other child is -1`);
      }
      if (!Number.isFinite(conditions[node])) {
        throw new XgboostModelFormatError(`${path}.split_conditions[${node}]`, `leaf value must be finite, got ${conditions[node]}`);
      }
      continue;
    }
    for (const [key, child] of [['left_children', l], ['right_children', r]] as const) {
      if (child <= 0 || child >= n) {
        throw new XgboostModelFormatError(`${path}.${key}[${node}]`, `child ${child} is outside 1..${n - 1}`);
      }
    }
    if (splitIndex[node] < 0 || splitIndex[node] >= numFeature) {
      throw new XgboostModelFormatError(`${path}.split_indices[${node}]`, `feature ${splitIndex[node]} is outside 0..${numFeature - 1}`);
    }
    if (Number.isNaN(conditions[node])) {
      throw new XgboostModelFormatError(`${path}.split_conditions[${node}]`, 'split condition is NaN');
    }
    const d = defaultLeftRaw[node];
    if (d !== 0 && d !== 1) throw new XgboostModelFormatError(`${path}.default_left[${node}]`, `must be 0 or 1, got ${d}`);
    stack.push(r, l);
  }
  order.sort((a, b) => a - b);

  // Renumber when some nodes are unreachable; the root stays node 0.
  const newIndex = new Int32Array(n).fill(-1);
  order.forEach((node, i) => { newIndex[node] = i; });
  const m = order.length;
  const out = {
    left: new Int32Array(m), right: new Int32Array(m), feature: new Int32Array(m),
    threshold: new Float32Array(m), defaultLeft: new Uint8Array(m), leafValue: new Float64Array(m),
    cover: new Float64Array(m), gain: new Float64Array(m),
  };
  order.forEach((node, i) => {
    const isLeaf = left[node] === -1;
    out.left[i] = isLeaf ? -1 : newIndex[left[node]];
    out.right[i] = isLeaf ? -1 : newIndex[right[node]];
    out.feature[i] = isLeaf ? 0 : splitIndex[node];
    out.threshold[i] = isLeaf ? 0 : conditions[node];
    out.defaultLeft[i] = isLeaf ? 0 : defaultLeftRaw[node];
    out.leafValue[i] = isLeaf ? conditions[node] : 0;
    out.cover[i] = sumHessian[node];
    out.gain[i] = isLeaf ? 0 : lossChanges[node];
  });
  return out;
}

const FEATURE_TYPES: Readonly<Record<string, FeatureSpec['type']>> = {
  float: 'float', int: 'float', q: 'float', i: 'boolean', c: 'categorical',
};

function readFeatures(learner: JsonObject, numFeature: number, attributes: Record<string, string>): FeatureSpec[] {
  const names = learner.feature_names === undefined ? [] : arrayAt(learner.feature_names, 'learner.feature_names')
    .map((v, i) => stringAt(v, `learner.feature_names[${i}]`));
  const types = learner.feature_types === undefined ? [] : arrayAt(learner.feature_types, 'learner.feature_types')
    .map((v, i) => stringAt(v, `learner.feature_types[${i}]`));
  if (names.length !== 0 && names.length !== numFeature) {
    throw new XgboostModelFormatError('learner.feature_names', `has ${names.length} names but num_feature is ${numFeature}`);
  }
  if (types.length !== 0 && types.length !== numFeature) {
    throw new XgboostModelFormatError('learner.feature_types', `has ${types.length} types but num_feature is ${numFeature}`);
  }
  const fromLearner: FeatureSpec[] = [];
  for (let i = 0; i < numFeature; i++) {
    const name = names[i] ?? `f${i}`;
    const xgbType = types[i] ?? 'float';
    const type = FEATURE_TYPES[xgbType];
    if (type === undefined) {
      throw new XgboostModelFormatError(`learner.feature_types[${i}]`, `unknown feature type ${JSON.stringify(xgbType)}; expected one of ${Object.keys(FEATURE_TYPES).join(', ')}`);
    }
    fromLearner.push({ name, column: name, type });
  }
  const stored = attributes[FEATURES_ATTRIBUTE];
  if (stored === undefined) return fromLearner;
  const path = `learner.attributes["${FEATURES_ATTRIBUTE}"]`;
  const specs = arrayAt(parseAttributeJson(stored, path), path);
  if (specs.length !== numFeature) throw new XgboostModelFormatError(path, `has ${specs.length} features but num_feature is ${numFeature}`);
  return specs.map((value, i) => {
    const spec = objectAt(value, `${path}[${i}]`);
    const name = stringAt(spec.name, `${path}[${i}].name`);
    const column = stringAt(spec.column, `${path}[${i}].column`);
    const type = stringAt(spec.type, `${path}[${i}].type`);
    if (type !== 'float' && type !== 'categorical' && type !== 'boolean') {
      throw new XgboostModelFormatError(`${path}[${i}].type`, `must be float, categorical or boolean, got ${JSON.stringify(type)}`);
    }
    if (names.length !== 0 && names[i] !== name) {
      throw new XgboostModelFormatError(`${path}[${i}].name`, `is ${JSON.stringify(name)} but learner.feature_names[${i}] is ${JSON.stringify(names[i])}`);
    }
    return { name, column, type };
  });
}

function readEncodings(attributes: Record<string, string>, features: readonly FeatureSpec[]): ColumnEncoding[] | undefined {
  const stored = attributes[ENCODINGS_ATTRIBUTE];
  if (stored === undefined) return undefined;
  const path = `learner.attributes["${ENCODINGS_ATTRIBUTE}"]`;
  const list = arrayAt(parseAttributeJson(stored, path), path);
  if (list.length !== features.length) {
    throw new XgboostModelFormatError(path, `has ${list.length} encodings but the model has ${features.length} features`);
  }
  return list.map((value, i) => parseEncoding(value, `${path}[${i}]`, (p, reason) => new XgboostModelFormatError(p, reason)));
}

function parseAttributeJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new XgboostModelFormatError(path, `is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Validates one ColumnEncoding read from metadata (XGBoost attributes or ONNX metadata);
 * `fail` builds the caller's own error type.
 */
export function parseEncoding(value: unknown, path: string, fail: (path: string, reason: string) => Error): ColumnEncoding {
  if (!isObject(value)) throw fail(path, `must be an object, got ${describe(value)}`);
  const { kind, column } = value;
  if (typeof column !== 'string') throw fail(`${path}.column`, `must be a string, got ${describe(column)}`);
  if (kind === 'numeric' || kind === 'boolean') return { kind, column };
  if (kind !== 'categorical') throw fail(`${path}.kind`, `must be numeric, boolean or categorical, got ${describe(kind)}`);
  const { categories, unknownCode } = value;
  if (!Array.isArray(categories) || !categories.every((c) => typeof c === 'string')) {
    throw fail(`${path}.categories`, 'must be a list of strings');
  }
  if (typeof unknownCode !== 'number' || !Number.isInteger(unknownCode)) {
    throw fail(`${path}.unknownCode`, `must be an integer, got ${describe(unknownCode)}`);
  }
  return { kind, column, categories: categories as string[], unknownCode };
}

// ---------------------------------------------------------------------------------------
// Writing

/** Structure of what the writer produces (the XGBoost 1.7 layout). */
export interface XgboostTreeJson {
  base_weights: number[];
  categories: number[];
  categories_nodes: number[];
  categories_segments: number[];
  categories_sizes: number[];
  default_left: number[];
  id: number;
  left_children: number[];
  loss_changes: number[];
  parents: number[];
  right_children: number[];
  split_conditions: number[];
  split_indices: number[];
  split_type: number[];
  sum_hessian: number[];
  tree_param: { num_deleted: string; num_feature: string; num_nodes: string; size_leaf_vector: string };
}

export interface XgboostModelDocument {
  learner: {
    attributes: Record<string, string>;
    feature_names: string[];
    feature_types: string[];
    gradient_booster: {
      model: {
        gbtree_model_param: { num_parallel_tree: string; num_trees: string; size_leaf_vector: string };
        tree_info: number[];
        trees: XgboostTreeJson[];
      };
      name: 'gbtree';
    };
    learner_model_param: { base_score: string; boost_from_average: string; num_class: string; num_feature: string; num_target: string };
    objective: { name: Objective; reg_loss_param: { scale_pos_weight: string } };
  };
  version: number[];
}

/**
 * A float32 value as XGBoost prints it: the shortest digits that read back as the same
 * float32, in exponent form ("2.7399978E-1", "1E0"). The exponent matters: XGBoost's JSON
 * reader types a number without '.', 'e' or 'E' as an integer and refuses it where a
 * float is expected.
 */
export function float32ToString(value: number): string {
  const f = Math.fround(value);
  if (Object.is(f, -0)) return '-0E0'; // toExponential drops the sign of -0
  let digits = 1;
  while (digits < 9 && Math.fround(Number(f.toExponential(digits - 1))) !== f) digits++;
  return f.toExponential(digits - 1).replace('e+', 'E').replace('e-', 'E-');
}

function toFloat32Array(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Math.fround(v));
}

/** Cover-weighted mean of the leaves below each node: written as base_weights of inner nodes. */
function nodeMeans(tree: Tree): Float64Array {
  const means = new Float64Array(tree.left.length);
  const visit = (node: number): number => {
    const l = tree.left[node];
    if (l === -1) {
      means[node] = tree.leafValue[node];
    } else {
      const r = tree.right[node];
      const ml = visit(l);
      const mr = visit(r);
      const total = tree.cover[l] + tree.cover[r];
      means[node] = total > 0 ? (ml * tree.cover[l] + mr * tree.cover[r]) / total : (ml + mr) / 2;
    }
    return means[node];
  };
  visit(0);
  return means;
}

function xgboostFeatureType(spec: FeatureSpec): string {
  // Ordinal category codes are numbers to XGBoost ("c" would ask for categorical splits).
  if (spec.type === 'boolean') return 'i';
  if (spec.type === 'categorical') return 'int';
  return 'float';
}

/** The model as an XGBoost JSON document (plain data, float values rounded to float32). */
export function toXgboostDocument(model: GbdtModel): XgboostModelDocument {
  const numFeature = model.features.length;
  const trees = model.trees.map((tree, id): XgboostTreeJson => {
    const n = tree.left.length;
    const isLeaf = (i: number): boolean => tree.left[i] === -1;
    const parents = new Array<number>(n).fill(ROOT_PARENT);
    for (let i = 0; i < n; i++) {
      if (!isLeaf(i)) {
        parents[tree.left[i]] = i;
        parents[tree.right[i]] = i;
      }
    }
    const means = nodeMeans(tree);
    return {
      base_weights: toFloat32Array(means),
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
      default_left: Array.from(tree.defaultLeft, (d, i) => (isLeaf(i) ? 0 : d)),
      id,
      left_children: Array.from(tree.left),
      loss_changes: Array.from(tree.gain, (g, i) => (isLeaf(i) ? 0 : Math.fround(g))),
      parents,
      right_children: Array.from(tree.right),
      split_conditions: Array.from(tree.threshold, (c, i) => Math.fround(isLeaf(i) ? tree.leafValue[i] : c)),
      split_indices: Array.from(tree.feature, (f, i) => (isLeaf(i) ? 0 : f)),
      split_type: new Array<number>(n).fill(0),
      sum_hessian: toFloat32Array(tree.cover),
      tree_param: { num_deleted: '0', num_feature: String(numFeature), num_nodes: String(n), size_leaf_vector: '0' },
    };
  });

  const attributes: Record<string, string> = { ...(model.attributes ?? {}) };
  attributes[FEATURES_ATTRIBUTE] = JSON.stringify(model.features.map(({ name, column, type }) => ({ name, column, type })));
  if (model.encodings !== undefined) attributes[ENCODINGS_ATTRIBUTE] = JSON.stringify(model.encodings);
  if (model.bestIteration !== undefined) {
    attributes[BEST_ITERATION_ATTRIBUTE] = String(model.bestIteration);
    attributes[BEST_NTREE_LIMIT_ATTRIBUTE] = String(model.bestIteration + 1);
  }
  const baseScore = model.objective === 'binary:logistic' ? 1 / (1 + Math.exp(-model.baseMargin)) : model.baseMargin;

  return {
    learner: {
      attributes,
      feature_names: model.features.map((f) => f.name),
      feature_types: model.features.map(xgboostFeatureType),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length), size_leaf_vector: '0' },
          tree_info: new Array<number>(trees.length).fill(0),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: float32ToString(baseScore),
        // 0: the base score is final (XGBoost writes 0 when base_score was given).
        boost_from_average: '0',
        num_class: '0',
        num_feature: String(numFeature),
        num_target: '1',
      },
      objective: { name: model.objective, reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [...WRITTEN_VERSION],
  };
}

/**
 * The model as model.json text that XGBoost (1.7, 2.x, 3.x) loads with
 * `Booster(model_file=...)`. Numbers are written like XGBoost writes them: integers as
 * integers, float values as their shortest float32 decimal.
 */
export function writeXgboostJson(model: GbdtModel): string {
  return stringifyCompact(toXgboostDocument(model));
}

/** Fields whose numbers are float32 values; every other number in the document is an integer. */
const FLOAT_FIELDS = new Set(['base_weights', 'loss_changes', 'split_conditions', 'sum_hessian']);

function stringifyCompact(value: unknown, isFloat = false): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new XgboostModelFormatError('(model)', `cannot write the non-finite number ${value}`);
    return isFloat ? float32ToString(value) : String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => stringifyCompact(v, isFloat)).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${stringifyCompact(v, FLOAT_FIELDS.has(k))}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
