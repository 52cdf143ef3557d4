/**
 * The JSON form of a loaded value, as `pickleguard convert` prints it: values JSON cannot hold are
 * tagged objects ({"$tuple": […]}, {"$bytes": "<base64>"}, {"$int": "<digits>"}, {"$ref": n}, …).
 */
import { PyByteArray } from './bytearray.js';
import { PyComplex } from './complex.js';
import { PyFloat } from './float.js';
import { PyFrozenSet } from './frozenset.js';
import { PyGlobal } from './global.js';
import { PyObject } from './object.js';
import { isReducible, REDUCE, type Reduction } from './reduce.js';
import { PyStr } from './str.js';
import { PyTuple } from './tuple.js';
import { NdArray, NpScalar } from './ndarray.js';
import { TorchTensor } from './tensor.js';
import { ndarrayJson, scalarJson, tensorJson } from './ndjson.js';
import { PdArray, PdDataFrame, PdIndex, PdSeries } from './pandas.js';

/** A pandas column or index: its dtype (or kind) and its first `maxItems` values (datetimes as pandas' isoformat), with `cut` when there were more. */
function pandasJson(a: PdArray | PdIndex, maxItems: number, item: (x: unknown) => unknown): Record<string, unknown> {
  const n = a.length;
  const shown = Math.min(n, maxItems);
  const data: unknown[] = [];
  const times = a instanceof PdArray ? a : a.values;
  const at = times?.kind === 'datetime' ? (i: number) => times.isoformat(i) : (i: number) => item(a.get(i));
  for (let i = 0; i < shown; i++) data.push(at(i));
  const head = a instanceof PdIndex ? { kind: a.kind, name: item(a.name) } : { dtype: a.dtype };
  return { ...head, data, ...(shown < n ? { cut: n } : {}) };
}

/** Stands for a persistent id in the output: {"$object": "<persistent>.id", "args": [pid]}. */
export const PERSISTENT = new PyGlobal('<persistent>', 'id');

const b64 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
};

/**
 * The JSON form of a loaded value; iterative over containers would be nicer, but nesting is bounded by maxDepth.
 * Arrays and tensors show at most `maxItems` items each (./ndjson.ts).
 */
export function toJson(root: unknown, maxItems = 1000): unknown {
  const ids = new Map<object, number>();
  const seen = new Set<object>();
  const conv = (v: unknown, depth: number): unknown => {
    if (depth > 2000) return { $truncated: 'nested deeper than 2000' };
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $float: 'nan' };
      if (!Number.isFinite(v)) return { $float: v > 0 ? 'inf' : '-inf' };
      if (Object.is(v, -0)) return { $float: '-0.0' };
      return v;
    }
    if (typeof v === 'bigint') return { $int: v.toString() };
    if (typeof v !== 'object') return { $unknown: typeof v };
    if (v instanceof PyFloat) return conv(v.value, depth);
    if (v instanceof PyStr) return v.text;
    if (v instanceof PyComplex) return { $complex: [conv(v.real, depth), conv(v.imag, depth)] };
    if (v instanceof PyByteArray) return { $bytearray: b64(v) };
    if (v instanceof Uint8Array) return { $bytes: b64(v) };
    if (v instanceof PyGlobal) return { $global: v.toString() };
    if (seen.has(v)) {
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size));
      return { $ref: id };
    }
    seen.add(v);
    const tag = (o: Record<string, unknown>) => {
      const id = ids.get(v);
      return id === undefined ? o : { $id: id, ...o };
    };
    let out: Record<string, unknown> | unknown[];
    // Arrays as nested lists of their items (at most maxItems), not as the reduce arguments that make them.
    const item = (x: unknown) => conv(x, depth + 1);
    if (v instanceof NdArray) out = ndarrayJson(v, maxItems, item) as Record<string, unknown>;
    else if (v instanceof NpScalar) out = scalarJson(v, item) as Record<string, unknown>;
    else if (v instanceof TorchTensor) out = tensorJson(v, maxItems, item) as Record<string, unknown>;
    // pandas values as named columns of their first maxItems values, not as the blocks that pickle them.
    else if (v instanceof PdDataFrame) {
      const names = v.columnNames;
      out = {
        $dataframe: {
          shape: v.shape,
          index: pandasJson(v.index, maxItems, item),
          columns: v.data.map((c, i) => ({ name: item(names[i]), ...pandasJson(c, maxItems, item) })),
        },
      };
    } else if (v instanceof PdSeries) {
      out = { $series: { name: item(v.name), index: pandasJson(v.index, maxItems, item), ...(v.values ? pandasJson(v.values, maxItems, item) : { dtype: 'object', data: [] }) } };
    } else if (v instanceof PdIndex) out = { $index: pandasJson(v, maxItems, item) };
    else if (v instanceof PdArray) out = { $array: pandasJson(v, maxItems, item) };
    else if (v instanceof PyObject) {
      out = {
        $object: v.callable instanceof PyGlobal ? v.callable.toString() : conv(v.callable, depth + 1),
        kind: v.kind,
        args: v.args.map((x) => conv(x, depth + 1)),
        ...(v.kwargs ? { kwargs: conv(v.kwargs, depth + 1) } : {}),
        ...(v.state !== undefined ? { state: conv(v.state, depth + 1) } : {}),
        ...(v.listitems.length ? { listitems: v.listitems.map((x) => conv(x, depth + 1)) } : {}),
        ...(v.dictitems.size ? { dictitems: conv(v.dictitems, depth + 1) } : {}),
      };
    } else if (v instanceof PyTuple) out = { $tuple: v.map((x) => conv(x, depth + 1)) };
    else if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) out = v.map((x) => conv(x, depth + 1));
    else if (v instanceof Map && Object.getPrototypeOf(v) === Map.prototype) {
      const keys = [...v.keys()];
      out = keys.every((k) => typeof k === 'string' && !k.startsWith('$'))
        ? Object.fromEntries([...v].map(([k, x]) => [k, conv(x, depth + 1)]))
        : { $dict: [...v].map(([k, x]) => [conv(k, depth + 1), conv(x, depth + 1)]) };
    } else if (v instanceof PyFrozenSet) out = { $frozenset: [...v].map((x) => conv(x, depth + 1)) };
    else if (v instanceof Set && Object.getPrototypeOf(v) === Set.prototype) out = { $set: [...v].map((x) => conv(x, depth + 1)) };
    else if (isReducible(v)) {
      const r = (v as { [REDUCE](p: number): Reduction | PyGlobal })[REDUCE](4);
      if (r instanceof PyGlobal) return { $global: r.toString() };
      // cls.__new__(cls, …) is shown as the class.
      const newobj = r.callable instanceof PyGlobal && r.callable.qualname === '__newobj__' && r.args[0] instanceof PyGlobal;
      const args = newobj ? [...r.args].slice(1) : [...r.args];
      out = {
        $object: newobj ? String(r.args[0]) : r.callable instanceof PyGlobal ? r.callable.toString() : conv(r.callable, depth + 1),
        ...(typeof (v as { toString?: unknown }).toString === 'function' && (v as object).toString !== Object.prototype.toString ? { text: String(v) } : {}),
        args: args.map((x) => conv(x, depth + 1)),
        ...(r.state != null ? { state: conv(r.state, depth + 1) } : {}),
        ...(r.listitems ? { listitems: [...r.listitems].map((x) => conv(x, depth + 1)) } : {}),
        ...(r.dictitems ? { dictitems: [...r.dictitems].map(([k, x]) => [conv(k, depth + 1), conv(x, depth + 1)]) } : {}),
      };
    } else if (Object.getPrototypeOf(v) === null) out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x, depth + 1)]));
    else return { $unknown: (v as object).constructor?.name ?? 'object' };
    return Array.isArray(out) ? (ids.has(v) ? { $id: ids.get(v), $list: out } : out) : tag(out);
  };
  // Two passes: the first finds the containers met twice (so their first occurrence can carry $id).
  conv(root, 0);
  seen.clear();
  return conv(root, 0);
}
