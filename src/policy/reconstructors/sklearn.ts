/**
 * The `scikit-learn` pack's one checked reconstructor: `sklearn.tree._tree.Tree`, the fitted tree
 * inside every decision tree, forest and gradient-boosting model. It stays an inert `PyObject`
 * record (args and state as pickled); what it checks is that the state describes one tree: the
 * structured `nodes` array has `node_count` rows of the fields sklearn reads, every child index
 * points at a node of this tree (or is -1, a leaf), and `values` has a row per node.
 */
import { PyGlobal } from '../../model/global.js';
import { NdArray } from '../../model/ndarray.js';
import { PyObject } from '../../model/object.js';
import { PyTuple } from '../../model/tuple.js';
import type { ReconstructorDef } from '../types.js';
import { arity, fail, mustBe } from './check.js';

/** Fields every scikit-learn (0.20 to 1.x) node has; 1.3 and later add missing_go_to_left. */
const NODE_FIELDS: readonly (readonly [string, string])[] = [
  ['left_child', 'i8'],
  ['right_child', 'i8'],
  ['feature', 'i8'],
  ['threshold', 'f8'],
  ['impurity', 'f8'],
  ['n_node_samples', 'i8'],
  ['weighted_n_node_samples', 'f8'],
];

const count = (what: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return mustBe(`Tree ${what}`, 'a non-negative int', v);
  return v;
};

/** Checks a Tree's state against its arguments: the node table's shape and fields, child indices, values' rows. */
function checkTree(args: readonly unknown[], state: Map<unknown, unknown>): void {
  const nOutputs = count('n_outputs', args[2]);
  const classes = args[1];
  if (!(classes instanceof NdArray) || classes.ndim !== 1 || classes.shape[0] !== nOutputs) fail(`Tree n_classes must be an array of n_outputs (${nOutputs}) ints`);
  const nodeCount = count('node_count', state.get('node_count'));
  const nodes = state.get('nodes');
  if (!(nodes instanceof NdArray) || nodes.data === null || nodes.ndim !== 1 || nodes.shape[0] !== nodeCount) {
    return fail(`Tree nodes must be a structured array of node_count (${nodeCount}) rows`);
  }
  const fields = new Map((nodes.dtype.fields ?? []).map((f) => [f.name, f]));
  for (const [name, type] of NODE_FIELDS) {
    const f = fields.get(name);
    if (f === undefined || f.dtype.str !== `<${type}`) fail(`Tree nodes lack the field ${name} (<${type})`);
  }
  const values = state.get('values');
  if (!(values instanceof NdArray) || values.ndim !== 3 || values.shape[0] !== nodeCount || values.shape[1] !== nOutputs) {
    fail(`Tree values must be an array of shape (node_count, n_outputs, classes) = (${nodeCount}, ${nOutputs}, …)`);
  }
  const data = nodes.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = nodes.dtype.itemsize;
  const [left, right] = [fields.get('left_child')!.offset, fields.get('right_child')!.offset];
  for (let i = 0; i < nodeCount; i++) {
    for (const at of [left, right]) {
      const child = view.getBigInt64(i * size + at, true);
      if (child !== -1n && (child <= BigInt(i) || child >= BigInt(nodeCount))) fail(`Tree node ${i} has a child ${child} outside the tree`);
    }
  }
}

/**
 * A call of `call.arity` arguments that makes an inert PyObject record, then one state, checked by
 * `check` (which throws) before it is kept: the shape of both sklearn reconstructors here.
 */
function checkedRecord(
  id: string,
  call: { readonly name: string; readonly arity: number; readonly record: string },
  check: (args: readonly unknown[], state: unknown) => void,
): ReconstructorDef {
  return Object.freeze<ReconstructorDef>({
    id,
    bind(module, qualname) {
      const g = new PyGlobal(module, qualname);
      return {
        call(args) {
          arity(call.name, args, call.arity, call.arity);
          return new PyObject(g, args, 'call');
        },
        setState(target, state) {
          if (!(target instanceof PyObject) || target.state !== undefined) return fail(`a ${call.record} state applies once, to a new ${call.record} record`);
          check(target.args, state);
          target.state = state;
          return target;
        },
      };
    },
  });
}

/** sklearn.tree._tree.Tree(n_features, n_classes, n_outputs) and its state → an inert PyObject record, the node table's rows, fields and child indices checked */
const tree = checkedRecord(
  'sklearn.tree.Tree',
  { name: 'Tree', arity: 3, record: 'Tree' },
  (args, state) => {
    if (!(state instanceof Map)) return mustBe('a Tree state', 'a dict', state);
    checkTree(args, state);
  },
);

/** The int64 field `name` of row `i` of a structured array (fields checked by the caller). */
const int64At = (a: NdArray, offset: number, i: number): bigint => new DataView(a.data!.buffer, a.data!.byteOffset, a.data!.byteLength).getBigInt64(i * a.dtype.itemsize + offset, true);

/**
 * A KDTree / BallTree state: (data, idx_array, node_data, node_bounds, leaf_size, n_levels, n_nodes, …).
 * sklearn's queries index `data` through `idx_array` and `idx_array` through each node's
 * [idx_start, idx_end) without bounds checks: every index must point inside.
 */
function checkBinaryTree(state: unknown): void {
  if (!(state instanceof PyTuple) || state.length < 12) return fail('a KDTree / BallTree state must be its tuple of arrays and counts');
  const [data, idx, nodes, bounds] = state;
  if (!(data instanceof NdArray) || data.ndim !== 2 || data.data === null) return fail('the tree data must be a 2-d numeric array');
  const n = data.shape[0]!;
  if (!(idx instanceof NdArray) || idx.ndim !== 1 || idx.shape[0] !== n || idx.dtype.str !== '<i8') return fail(`the tree idx_array must hold ${n} int64 indices`);
  for (let i = 0; i < n; i++) {
    const v = int64At(idx, 0, i);
    if (v < 0n || v >= BigInt(n)) fail(`the tree idx_array points at row ${v}, outside the ${n} rows of data`);
  }
  const nNodes = count('n_nodes', state[6]);
  if (!(nodes instanceof NdArray) || nodes.ndim !== 1 || nodes.shape[0] !== nNodes || nodes.data === null) return fail(`the tree node_data must hold n_nodes (${nNodes}) rows`);
  const fields = new Map((nodes.dtype.fields ?? []).map((f) => [f.name, f]));
  const start = fields.get('idx_start');
  const end = fields.get('idx_end');
  if (start?.dtype.str !== '<i8' || end?.dtype.str !== '<i8') return fail('the tree node_data lacks idx_start / idx_end (<i8)');
  for (let i = 0; i < nNodes; i++) {
    const [a, b] = [int64At(nodes, start.offset, i), int64At(nodes, end.offset, i)];
    if (a < 0n || a > b || b > BigInt(n)) fail(`tree node ${i} spans [${a}, ${b}), outside the ${n} indices`);
  }
  if (!(bounds instanceof NdArray) || bounds.ndim !== 3 || bounds.shape[1] !== nNodes || bounds.shape[2] !== data.shape[1]) fail('the tree node_bounds must be (…, n_nodes, n_features)');
}

/** sklearn's newObj(KDTree | BallTree) and the tree's state → an inert PyObject record, every index into the data checked */
const binaryTree = checkedRecord(
  'sklearn.neighbors.newObj',
  { name: 'newObj', arity: 1, record: 'tree' },
  (_args, state) => checkBinaryTree(state),
);

export const SKLEARN_DEFS: readonly ReconstructorDef[] = [tree, binaryTree];
