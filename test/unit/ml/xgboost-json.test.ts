import fc from 'fast-check';
import type { GbdtModel } from '../../../lambdas/core/ml/model';
import { predictMargin, predictRow } from '../../../lambdas/core/ml/predict';
import {
  float32ToString,
  readXgboostJson,
  toXgboostDocument,
  writeXgboostJson,
  XgboostModelFormatError,
} from '../../../lambdas/core/ml/xgboost-json';
import { fixtureExpectations, fixtureModelText } from '../../fixtures/xgboost/xgboost-fixtures';
import { handBuiltModel } from './hand-built-gbdt';

/** A fresh, mutable copy of the binary fixture document. */
function binaryDocument(): unknown {
  return JSON.parse(fixtureModelText('binary-logistic'));
}

/** The value at a dotted path ("learner.gradient_booster.model.trees.0") of a parsed document. */
function walk(document: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], document);
}
const obj = (document: unknown, path: string): Record<string, unknown> => walk(document, path) as Record<string, unknown>;
const arr = (document: unknown, path: string): unknown[] => walk(document, path) as unknown[];
const TREES = 'learner.gradient_booster.model.trees';

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}

describe('readXgboostJson on models written by XGBoost 1.7 (python3-xgboost)', () => {
  const expected = fixtureExpectations('binary-logistic');
  const model = readXgboostJson(fixtureModelText('binary-logistic'));

  it('reads objective, features, base score, best iteration and attributes', () => {
    // Assess
    expect(expected.xgboostVersion).toMatch(/^1\.7\./);
    expect(model.objective).toBe('binary:logistic');
    expect(model.trees).toHaveLength(20);
    expect(model.features.map((f) => f.name)).toEqual(expected.featureNames);
    expect(model.features.find((f) => f.name === 'smoker')?.type).toBe('boolean');
    // base_score "3.58E-1" is a probability; the margin is its log-odds
    expect(model.baseMargin).toBeCloseTo(Math.log(0.358 / 0.642), 6);
    expect(model.bestIteration).toBe(19);
    expect(model.attributes).toEqual({ trained_by: 'make_fixtures.py' });
  });

  it('takes leaf values from split_conditions and covers from sum_hessian', () => {
    // Prepare: tree 0's node 4 is a leaf in the fixture
    const document = binaryDocument();
    const conditions = arr(document, `${TREES}.0.split_conditions`) as number[];
    const hessians = arr(document, `${TREES}.0.sum_hessian`) as number[];

    // Assess
    expect(model.trees[0].left[4]).toBe(-1);
    expect(model.trees[0].leafValue[4]).toBe(Math.fround(conditions[4]));
    expect(model.trees[0].cover[4]).toBe(Math.fround(hessians[4]));
    expect(model.trees[0].threshold[0]).toBe(Math.fround(conditions[0]));
  });

  it('predicts what XGBoost predicted for the stored rows (probabilities within 1e-6)', () => {
    // Act
    const probabilities = expected.rows.map((row) => predictRow(model, row));
    const margins = expected.rows.map((row) => predictMargin(model, row));

    // Assess: XGBoost sums in float32, we in float64
    expect(maxAbsDiff(probabilities, expected.predictions)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(margins, expected.margins)).toBeLessThanOrEqual(2e-6);
  });

  it('predicts what XGBoost predicted for a regression model', () => {
    // Prepare
    const regression = fixtureExpectations('regression');

    // Act
    const reg = readXgboostJson(fixtureModelText('regression'));
    const values = regression.rows.map((row) => predictRow(reg, row));

    // Assess
    expect(reg.objective).toBe('reg:squarederror');
    values.forEach((v, i) => {
      expect(Math.abs(v - regression.predictions[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v)));
    });
  });

  it('accepts base_score written as a one-element list (XGBoost 3.1) and iteration_indptr (2.x)', () => {
    // Prepare
    const document = binaryDocument();
    obj(document, 'learner.learner_model_param').base_score = '[3.58E-1]';
    obj(document, 'learner.gradient_booster.model').iteration_indptr = Array.from({ length: 21 }, (_, i) => i);

    // Act
    const newer = readXgboostJson(JSON.stringify(document));

    // Assess
    expect(newer.baseMargin).toBe(model.baseMargin);
    expect(expected.rows.map((row) => predictMargin(newer, row))).toEqual(expected.rows.map((row) => predictMargin(model, row)));
  });

  it('keeps only the rounds up to best_iteration unless told to keep all', () => {
    // Prepare
    const document = binaryDocument();
    obj(document, 'learner.attributes').best_iteration = '9';

    // Act
    const best = readXgboostJson(JSON.stringify(document));
    const all = readXgboostJson(JSON.stringify(document), { useBestIteration: false });

    // Assess
    expect(best.trees).toHaveLength(10);
    expect(best.bestIteration).toBe(9);
    expect(all.trees).toHaveLength(20);
    expect(all.bestIteration).toBeUndefined();
  });

  it('drops nodes the root does not reach (pruned trees keep deleted nodes)', () => {
    // Prepare: append an orphan leaf to tree 0
    const document = binaryDocument();
    const tree = `${TREES}.0`;
    for (const key of ['left_children', 'right_children']) arr(document, `${tree}.${key}`).push(-1);
    for (const key of ['split_indices', 'default_left', 'split_type', 'parents']) arr(document, `${tree}.${key}`).push(0);
    for (const key of ['split_conditions', 'base_weights', 'sum_hessian', 'loss_changes']) arr(document, `${tree}.${key}`).push(9.5);
    obj(document, `${tree}.tree_param`).num_nodes = String(arr(document, `${tree}.left_children`).length);

    // Act
    const pruned = readXgboostJson(JSON.stringify(document));

    // Assess
    expect(pruned.trees[0].left).toHaveLength(model.trees[0].left.length);
    expect(expected.rows.map((row) => predictMargin(pruned, row))).toEqual(expected.rows.map((row) => predictMargin(model, row)));
  });
});

describe('writeXgboostJson', () => {
  it('round-trips an XGBoost file: write(read(x)) scores identically and keeps the trees', () => {
    // Prepare
    const expected = fixtureExpectations('binary-logistic');
    const original = binaryDocument();
    const model = readXgboostJson(fixtureModelText('binary-logistic'));

    // Act
    const written = writeXgboostJson(model);
    const reread = readXgboostJson(written);

    // Assess
    expect(expected.rows.map((row) => predictMargin(reread, row))).toEqual(expected.rows.map((row) => predictMargin(model, row)));
    const writtenDocument: unknown = JSON.parse(written);
    arr(original, TREES).forEach((_tree, t) => {
      for (const key of ['left_children', 'right_children', 'split_indices', 'default_left', 'split_conditions', 'sum_hessian']) {
        expect(walk(writtenDocument, `${TREES}.${t}.${key}`)).toEqual(walk(original, `${TREES}.${t}.${key}`));
      }
    });
    expect(obj(writtenDocument, 'learner.learner_model_param').base_score).toBe('3.58E-1');
  });

  it('round-trips a GbdtModel with columns, encodings, attributes and best iteration', () => {
    // Prepare
    const model: GbdtModel = { ...handBuiltModel, bestIteration: 1, attributes: { dataset_version: 'v7' } };

    // Act
    const back = readXgboostJson(writeXgboostJson(model));

    // Assess
    expect(back.features).toEqual(model.features);
    expect(back.encodings).toEqual(model.encodings);
    expect(back.attributes).toEqual(model.attributes);
    expect(back.bestIteration).toBe(1);
    expect(back.baseMargin).toBeCloseTo(model.baseMargin, 6);
    back.trees.forEach((tree, t) => {
      expect(tree.left).toEqual(model.trees[t].left);
      expect(tree.threshold).toEqual(model.trees[t].threshold);
      expect(tree.leafValue).toEqual(model.trees[t].leafValue.map(Math.fround));
      expect(tree.defaultLeft).toEqual(model.trees[t].defaultLeft);
    });
  });

  it('writes the XGBoost 1.7 layout: float fields in exponent form, root parent 2147483647, scalar leaves', () => {
    // Act
    const document = toXgboostDocument(handBuiltModel);
    const text = writeXgboostJson(handBuiltModel);

    // Assess
    const tree = document.learner.gradient_booster.model.trees[0];
    expect(tree.split_conditions).toEqual([0.5, 1, 2, -1, 0.5]);
    expect(tree.parents).toEqual([2147483647, 0, 0, 2, 2]);
    expect(tree.tree_param).toEqual({ num_deleted: '0', num_feature: '2', num_nodes: '5', size_leaf_vector: '0' });
    expect(document.learner.feature_types).toEqual(['float', 'int']);
    expect(text).toContain('"split_conditions":[5E-1,1E0,2E0,-1E0,5E-1]');
    expect(text).toContain('"left_children":[1,-1,3,-1,-1]');
  });

  it('prints every float32 as text that reads back as the same float32', () => {
    expect(float32ToString(-0)).toBe('-0E0');
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
        expect(Math.fround(Number(float32ToString(f)))).toBe(Math.fround(f));
        expect(float32ToString(f)).toMatch(/^-?\d(\.\d+)?E-?\d+$/);
      }),
    );
  });
});

describe('readXgboostJson errors', () => {
  const trees = TREES;

  it.each<[string, (d: unknown) => void, string]>([
    ['a document without learner', (d) => { delete (d as Record<string, unknown>).learner; }, 'learner: must be an object, got undefined'],
    ['an unsupported objective', (d) => { obj(d, 'learner.objective').name = 'multi:softprob'; }, 'learner.objective.name: objective "multi:softprob" is not supported'],
    ['a multi-class model', (d) => { obj(d, 'learner.learner_model_param').num_class = '3'; }, 'learner.learner_model_param.num_class: is 3; multi-class models are not supported'],
    ['a base_score that is not a number', (d) => { obj(d, 'learner.learner_model_param').base_score = 'half'; }, 'learner.learner_model_param.base_score: must be a number or a one-element list, got the string "half"'],
    ['a probability base_score of 1', (d) => { obj(d, 'learner.learner_model_param').base_score = '1E0'; }, 'learner.learner_model_param.base_score: must be a probability strictly between 0 and 1'],
    ['a dart booster', (d) => { obj(d, 'learner.gradient_booster').name = 'dart'; }, 'learner.gradient_booster.name: booster "dart" is not supported'],
    ['an array of the wrong length', (d) => { arr(d, `${trees}.0.right_children`).pop(); }, `${trees}[0].right_children: has 22 entries but the tree has 23 nodes`],
    ['a child index outside the tree', (d) => { arr(d, `${trees}.1.left_children`)[0] = 99; }, `${trees}[1].left_children[0]: child 99 is outside 1..`],
    ['a split on a missing feature', (d) => { arr(d, `${trees}.0.split_indices`)[0] = 8; }, `${trees}[0].split_indices[0]: feature 8 is outside 0..7`],
    ['a non-numeric split condition', (d) => { arr(d, `${trees}.0.split_conditions`)[3] = 'x'; }, `${trees}[0].split_conditions[3]: must be a number, got the string "x"`],
    ['a leaf with only one child', (d) => { arr(d, `${trees}.0.right_children`)[4] = 5; }, `${trees}[0].right_children[4]: is 5 but the other child is -1`],
    ['feature names that do not match num_feature', (d) => { arr(d, 'learner.feature_names').pop(); }, 'learner.feature_names: has 7 names but num_feature is 8'],
    ['num_trees that disagrees with trees', (d) => { obj(d, 'learner.gradient_booster.model.gbtree_model_param').num_trees = '21'; }, 'gbtree_model_param.num_trees: is 21 but trees has 20 entries'],
  ])('rejects %s with the path to the bad field', (_why, mutate, message) => {
    // Prepare
    const document = binaryDocument();
    mutate(document);

    // Act
    const act = (): unknown => readXgboostJson(JSON.stringify(document));

    // Assess
    expect(act).toThrow(XgboostModelFormatError);
    expect(act).toThrow(message);
  });

  it('rejects categorical splits, after reading the NaN tokens XGBoost writes for them', () => {
    // Prepare: a real XGBoost 1.7 model trained with enable_categorical
    const text = fixtureModelText('categorical');
    expect(text).toContain('NaN');

    // Act
    const act = (): unknown => readXgboostJson(text);

    // Assess
    expect(act).toThrow(XgboostModelFormatError);
    expect(act).toThrow(`${trees}[0].split_type[0]: is 1 (a categorical split); categorical splits are not supported`);
  });

  it('reads NaN and Infinity tokens as numbers but leaves them alone inside strings', () => {
    // Prepare: a feature name holding the tokens, and a bare NaN where a leaf value belongs
    const named = fixtureModelText('binary-logistic').replace('"age"', '"NaN or -Infinity \\" NaN"');
    const nanLeaf = JSON.stringify(binaryDocument()).replace(/("split_conditions":\[(?:[^,]+,){4})[^,]+/, '$1NaN');

    // Act
    const model = readXgboostJson(named);
    const act = (): unknown => readXgboostJson(nanLeaf);

    // Assess
    expect(model.features[0].name).toBe('NaN or -Infinity " NaN');
    expect(act).toThrow(`${trees}[0].split_conditions[4]: leaf value must be finite, got NaN`);
  });

  it('rejects text that is not JSON', () => {
    expect(() => readXgboostJson('{"learner": ')).toThrow(/^\(document\): is not valid JSON/);
  });

  it('rejects a malformed luminaops.encodings attribute with its path', () => {
    // Prepare
    const document: unknown = JSON.parse(writeXgboostJson(handBuiltModel));
    obj(document, 'learner.attributes')['luminaops.encodings'] = JSON.stringify([{ kind: 'numeric', column: 'age' }, { kind: 'categorical', column: 'colour', categories: 'red' }]);

    // Act
    const act = (): unknown => readXgboostJson(JSON.stringify(document));

    // Assess
    expect(act).toThrow('learner.attributes["luminaops.encodings"][1].categories: must be a list of strings');
  });
});
