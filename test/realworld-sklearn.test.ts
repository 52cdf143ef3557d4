/**
 * Fitted estimators pickled by the real scikit-learn (corpus/realworld/gen_sklearn.py) load under the
 * scikit-learn pack as inert records whose reduce is what the estimator's own __reduce_ex__ gave:
 * every attribute, array and nested estimator equal. Without the pack they are refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audit, createPolicy, DEFAULT_POLICY, loads, MalformedPickleError, NdArray, PyObject, RefusedGlobalError, shippedPack } from '../src/index.js';
import { described, expectedForm, hostileCases, loadOutcome, realworldFixtures , VERDICT_OF } from './helpers/described.js';

const files = realworldFixtures('sklearn', (n) => n.endsWith('.pkl'));
const SKLEARN = createPolicy({ packs: [shippedPack('scikit-learn')] });

describe(`corpus/realworld/sklearn (${files.length} pickles)`, () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(30));
  it.each(files)('%s', (_name, path, spec) => {
    const bytes = readFileSync(path);
    const value = loads(bytes, { policy: SKLEARN, exact: true });
    expect(value).toBeInstanceOf(PyObject);
    expect(described(value, spec.protocol as number)).toEqual(expectedForm(spec.value));
    expect(() => loads(bytes, { policy: DEFAULT_POLICY })).toThrow(RefusedGlobalError);
  });
});

describe('sklearn.tree._tree.Tree state checks', () => {
  const [, path] = files.find(([n]) => n.endsWith('decision_tree_classifier.p4.pkl'))!;
  const bytes = new Uint8Array(readFileSync(path));
  const treeOf = (v: unknown) => ((v as PyObject).state as Map<string, unknown>).get('tree_') as PyObject;

  it('keeps the node table as a structured array', () => {
    const tree = treeOf(loads(bytes, { policy: SKLEARN }));
    const nodes = (tree.state as Map<string, unknown>).get('nodes') as NdArray;
    expect(nodes.dtype.names).toEqual(['left_child', 'right_child', 'feature', 'threshold', 'impurity', 'n_node_samples', 'weighted_n_node_samples']);
    expect(nodes.shape).toEqual([(tree.state as Map<string, unknown>).get('node_count')]);
  });

  it.each([
    ['a child index past the last node', 1000n],
    ['a child index pointing back at the root', 0n],
    ['a negative child index other than -1', -7n],
  ])('refuses %s', (_what, child) => {
    const tree = treeOf(loads(bytes, { policy: SKLEARN, zeroCopy: true }));
    const nodes = (tree.state as Map<string, unknown>).get('nodes') as NdArray;
    const bad = new Uint8Array(bytes);
    new DataView(bad.buffer).setBigInt64(nodes.data!.byteOffset - bytes.byteOffset, child, true);
    expect(() => loads(bad, { policy: SKLEARN })).toThrow(MalformedPickleError);
    expect(() => loads(bad, { policy: SKLEARN })).toThrow(/Tree node 0 has a child/);
  });
});

describe('corpus/realworld/hostile: scikit-learn variants', () => {
  const cases = hostileCases('scikit-learn');
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(2));
  it.each(cases)('%s', async (_name, bytes, c) => {
    expect(await loadOutcome(() => loads(bytes, { policy: SKLEARN })), c.why).toBe(c.expect);
    expect(audit(bytes, { policy: SKLEARN }).verdict, c.why).toBe(VERDICT_OF[c.expect]);
  });
});

describe('KDTree / BallTree state checks', () => {
  it.each(['kd_tree.p4.pkl', 'ball_tree.p4.pkl'])('%s: an idx_array or node span pointing outside the data is refused', (file) => {
    const [, path] = files.find(([n]) => n.endsWith(`/${file}`))!;
    const bytes = new Uint8Array(readFileSync(path));
    const tree = loads(bytes, { policy: SKLEARN, zeroCopy: true }) as PyObject;
    const [, idx, nodes] = tree.state as NdArray[];
    const at = (a: NdArray) => a.data!.byteOffset - bytes.byteOffset;
    const broken = (offset: number, v: bigint): Uint8Array => {
      const bad = new Uint8Array(bytes);
      new DataView(bad.buffer).setBigInt64(offset, v, true);
      return bad;
    };
    expect(() => loads(broken(at(idx!) + 8, 40n), { policy: SKLEARN })).toThrow(/idx_array points at row 40/);
    expect(() => loads(broken(at(idx!), -1n), { policy: SKLEARN })).toThrow(MalformedPickleError);
    // node 0's idx_end (the second int64 of its row) past the 40 indices.
    expect(() => loads(broken(at(nodes!) + 8, 41n), { policy: SKLEARN })).toThrow(/tree node 0 spans/);
  });
});
