/**
 * The value side of the tree: what each loaded value is (its Python type name, one-line text,
 * children, array statistics, table cells), as plain data that can be posted between threads. It
 * runs where the values live: in the worker for a plain pickle, on the page otherwise.
 */
import { reprBytes, reprFloat, reprInt, reprStr } from '../audit/pyrepr.js';
import { PyByteArray } from '../model/bytearray.js';
import { PyComplex } from '../model/complex.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { PyGlobal } from '../model/global.js';
import { NdArray } from '../model/ndarray.js';
import { PyObject } from '../model/object.js';
import { PdDataFrame, PdIndex, PdSeries } from '../model/pandas.js';
import { isReducible, REDUCE, type Reduction } from '../model/reduce.js';
import { PyStr } from '../model/str.js';
import { TorchTensor } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { PyOrderedDict } from '../policy/reconstructors/builtins.js';
import { asArray, statsOf, type Stats } from './arrays.js';
import { tableOf, tableShape, type TableModel } from './frames.js';

/** A line of description in the tree that is no Python value (a tensor's storage). */
class Note {
  constructor(
    readonly type: string,
    readonly text: string,
  ) {}
}
type Entry = readonly [label: string, value: unknown];

function reductionOf(v: object): Reduction | PyGlobal | null {
  try {
    return isReducible(v) ? (v as { [REDUCE](p: number): Reduction | PyGlobal })[REDUCE](4) : null;
  } catch {
    return null;
  }
}

/** The Python type of a loaded value, as Python names it. */
export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (v instanceof Note) return v.type;
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string' || v instanceof PyStr) return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyComplex) return 'complex';
  if (v instanceof PyByteArray) return 'bytearray';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyGlobal) return 'global';
  if (v instanceof PyObject) return v.callable instanceof PyGlobal ? `${v.callable}` : 'object';
  if (v instanceof NdArray) return 'numpy.ndarray';
  if (v instanceof TorchTensor) return v.isParameter ? 'torch.nn.Parameter' : 'torch.Tensor';
  if (v instanceof PyOrderedDict) return 'collections.OrderedDict';
  if (v instanceof PdDataFrame) return 'pandas.DataFrame';
  if (v instanceof PdSeries) return 'pandas.Series';
  if (v instanceof PdIndex) return v.kind === 'range' ? 'pandas.RangeIndex' : v.kind === 'multi' ? 'pandas.MultiIndex' : 'pandas.Index';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyFrozenSet) return 'frozenset';
  if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) return 'list';
  if (v instanceof Map && Object.getPrototypeOf(v) === Map.prototype) return 'dict';
  if (v instanceof Set && Object.getPrototypeOf(v) === Set.prototype) return 'set';
  if (typeof v === 'object' && Object.getPrototypeOf(v) === null) return 'dict';
  if (typeof v === 'object') {
    const r = reductionOf(v);
    if (r instanceof PyGlobal) return String(r);
    if (r) return r.callable instanceof PyGlobal && r.callable.qualname === '__newobj__' ? String(r.args[0]) : String(r.callable);
    if (v instanceof Map) return 'dict';
    if (Array.isArray(v)) return 'list';
  }
  return typeof v;
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Python's repr of a complex: `-1j`, `(1.5+2j)`. */
function reprComplex(c: PyComplex): string {
  const part = (x: number) => reprFloat(x).replace(/\.0$/, '');
  if (Object.is(c.real, 0)) return `${part(c.imag)}j`;
  return `(${part(c.real)}${c.imag < 0 || Object.is(c.imag, -0) || Number.isNaN(c.imag) ? (Number.isNaN(c.imag) ? '+' : '-') : '+'}${part(Number.isNaN(c.imag) ? c.imag : Math.abs(c.imag))}j)`;
}

/** The one-line text of a leaf (or a container's preview). */
function text(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Note) return v.text;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? reprInt(v) : reprFloat(v);
  if (typeof v === 'bigint') return reprInt(v);
  if (typeof v === 'string') return clip(reprStr(v.length > 400 ? v.slice(0, 400) : v));
  if (v instanceof PyStr) return clip(reprStr(v.text.slice(0, 400)));
  if (v instanceof PyFloat) return reprFloat(v.value);
  if (v instanceof Uint8Array) return `${v.length.toLocaleString('en')} bytes  ${clip(reprBytes(v.subarray(0, 48)), 80)}`;
  if (v instanceof PyGlobal) return String(v);
  if (v instanceof PyComplex) return reprComplex(v);
  return '';
}

/** The children of a value, lazily; null for a leaf. */
function childrenOf(v: unknown): { count: number; entries: () => Iterator<Entry> } | null {
  if (v === null || typeof v !== 'object' || v instanceof Note || v instanceof Uint8Array || v instanceof PyGlobal || v instanceof PyFloat || v instanceof PyStr || v instanceof PyComplex) return null;
  if (Array.isArray(v)) return { count: v.length, entries: () => indexed(v) };
  if (v instanceof Map) return { count: v.size, entries: () => map(v.entries(), ([k, x]): Entry => [text(k) || typeName(k), x]) };
  if (v instanceof Set) return { count: v.size, entries: () => map(v.values(), (x): Entry => ['·', x]) };
  if (v instanceof PyObject) {
    const e: Entry[] = [];
    v.args.forEach((a, i) => e.push([`args[${i}]`, a]));
    if (v.kwargs) e.push(['kwargs', v.kwargs]);
    if (v.state !== undefined) e.push(['state', v.state]);
    v.listitems.forEach((x, i) => e.push([`item ${i}`, x]));
    for (const [k, x] of v.dictitems) e.push([`[${text(k) || typeName(k)}]`, x]);
    return { count: e.length, entries: () => e[Symbol.iterator]() };
  }
  if (v instanceof PdDataFrame || v instanceof PdSeries) return { count: v.state.size, entries: () => map(v.state.entries(), ([k, x]): Entry => [text(k) || typeName(k), x]) };
  if (v instanceof PdIndex) return null;
  if (v instanceof NdArray) return v.objects ? { count: v.objects.length, entries: () => indexed(v.objects!) } : { count: 0, entries: () => [][Symbol.iterator]() };
  if (v instanceof TorchTensor) {
    const e: Entry[] = [['storage', new Note('storage', `key ${v.storage.key} on ${v.storage.location}, ${v.storage.numel.toLocaleString('en')} elements of ${v.storage.dtype}`)], ['offset', v.storageOffset], ['stride', PyTuple.fromArray(v.stride)], ['requires_grad', v.requiresGrad]];
    return { count: e.length, entries: () => e[Symbol.iterator]() };
  }
  if (Object.getPrototypeOf(v) === null) {
    const e = Object.entries(v);
    return { count: e.length, entries: () => e[Symbol.iterator]() };
  }
  const r = reductionOf(v);
  if (r && !(r instanceof PyGlobal)) {
    const newobj = r.callable instanceof PyGlobal && r.callable.qualname === '__newobj__';
    const e: Entry[] = (newobj ? [...r.args].slice(1) : [...r.args]).map((a, i): Entry => [`args[${i}]`, a]);
    if (r.state != null) e.push(['state', r.state]);
    if (r.listitems) [...r.listitems].forEach((x, i) => e.push([`item ${i}`, x]));
    if (r.dictitems) for (const [k, x] of r.dictitems) e.push([`[${text(k) || typeName(k)}]`, x]);
    return { count: e.length, entries: () => e[Symbol.iterator]() };
  }
  return null;
}

function* indexed(v: readonly unknown[]): Generator<Entry> {
  for (let i = 0; i < v.length; i++) yield [String(i), v[i]];
}

function* map<T, U>(it: Iterator<T>, f: (x: T) => U): Generator<U> {
  for (let r = it.next(); !r.done; r = it.next()) yield f(r.value);
}

function preview(v: unknown, kids: { count: number } | null): string {
  const t = text(v);
  if (t) return t;
  if (v !== null && typeof v === 'object' && typeof (v as { toString?: unknown }).toString === 'function' && (v as object).toString !== Object.prototype.toString && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && !(v instanceof PyObject)) {
    return clip(String(v));
  }
  if (kids === null) return '';
  const n = kids.count.toLocaleString('en');
  return Array.isArray(v) ? `[${n} items]` : v instanceof Map || (typeof v === 'object' && Object.getPrototypeOf(v) === null) ? `{${n} items}` : `${n} items`;
}

/** A node of the tree as posted to the page. */
export interface NodeDesc {
  readonly label: string;
  readonly type: string;
  /** The one-line text (a leaf's value, a container's size, an array's dtype and shape). */
  readonly text: string;
  /** Set when the node opens: ask the source for its children and details with it. */
  readonly handle?: number;
  readonly count?: number;
  /** The object's identity (a container met again is a link to where it was first shown). */
  readonly oid?: number;
  /** The global a record or a global value names (its opcode can be shown). */
  readonly global?: string;
  /** The offset of the opcode that built it, when known. */
  readonly builtAt?: number;
}

export interface ArrayDetail {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly stats: Stats | null;
  readonly error?: string;
}

export interface TableDetail {
  readonly kind: string;
  readonly rows: number;
  readonly columns: readonly { readonly label: string; readonly dtype: string; readonly index: boolean }[];
  readonly fields: readonly { readonly label: string; readonly detail: ArrayDetail }[];
}

/** What an opened node shows besides its children. */
export interface OpenDetail {
  readonly array?: ArrayDetail;
  readonly table?: TableDetail;
}

/** Where the tree's nodes come from: the values on this thread, or in the worker. */
export interface TreeSource {
  children(handle: number, from: number, count: number): Promise<NodeDesc[]>;
  open(handle: number): Promise<OpenDetail>;
  cells(handle: number, from: number, to: number, columns: readonly number[]): Promise<string[][]>;
}

/** Most numeric fields of a structured array given statistics. */
const FIELDS = 16;

function arrayDetail(dtype: string, shape: readonly number[], values: () => ArrayLike<number | bigint> | null): ArrayDetail {
  try {
    const v = values();
    return { dtype, shape, stats: v === null || v.length === 0 ? null : statsOf(v) };
  } catch (e) {
    return { dtype, shape, stats: null, error: (e as Error).message };
  }
}

/** Describes loaded values; holds the ones the page may ask about again (by handle). */
export class Describer implements TreeSource {
  private readonly handles: { value: unknown; entries?: Entry[]; rest?: Iterator<Entry>; table?: TableModel | null }[] = [];
  private readonly oids = new Map<object, number>();

  constructor(private readonly builtAt: (v: object) => number | undefined = () => undefined) {}

  roots(values: readonly unknown[], labels: readonly string[]): NodeDesc[] {
    return values.map((v, i) => this.describe(labels[i] ?? `pickle ${i + 1}`, v));
  }

  describe(label: string, v: unknown): NodeDesc {
    const type = typeName(v);
    const global = v instanceof PyObject && v.callable instanceof PyGlobal ? String(v.callable) : v instanceof PyGlobal ? String(v) : undefined;
    const base = { label, type, ...(global ? { global } : {}) };
    if (v === null || typeof v !== 'object') return { ...base, text: preview(v, null) };
    let oid = this.oids.get(v);
    const known = oid !== undefined;
    if (!known) this.oids.set(v, (oid = this.oids.size + 1));
    const kids = childrenOf(v);
    const table = tableOf(v, cellText);
    const array = table ? null : asArray(v);
    if (kids === null && array === null && table === null) return { ...base, oid, text: preview(v, null) };
    const text = array ? `${array.dtype} (${array.shape.join(', ')})` : table ? tableShape(table) : preview(v, kids);
    const at = this.builtAt(v);
    const handle = known ? undefined : this.handles.push({ value: v, table }) - 1;
    return { ...base, oid, text, count: kids?.count ?? 0, ...(handle !== undefined ? { handle } : {}), ...(at !== undefined ? { builtAt: at } : {}) };
  }

  async children(handle: number, from: number, count: number): Promise<NodeDesc[]> {
    const h = this.handles[handle];
    if (!h) return [];
    // The entries are read as far as asked (pages come in order), never all at once.
    h.entries ??= [];
    h.rest ??= childrenOf(h.value)?.entries() ?? [][Symbol.iterator]();
    for (let r = h.entries.length < from + count ? h.rest.next() : null; r && !r.done; r = h.entries.length < from + count ? h.rest.next() : null) h.entries.push(r.value);
    return h.entries.slice(from, from + count).map(([label, x]) => this.describe(label, x));
  }

  async open(handle: number): Promise<OpenDetail> {
    const h = this.handles[handle];
    if (!h) return {};
    if (h.table) {
      const t = h.table;
      const fields = (t.numeric ?? []).slice(0, FIELDS).map((f) => {
        const values = new Proxy({ length: f.length } as ArrayLike<number>, { get: (o, k) => (typeof k === 'string' && /^\d+$/.test(k) ? f.at(Number(k)) : Reflect.get(o, k)) });
        return { label: f.label, detail: arrayDetail(f.dtype, [f.length], () => values) };
      });
      return { table: { kind: t.kind, rows: t.rows, columns: t.columns.map((c) => ({ label: c.label, dtype: c.dtype, index: c.index === true })), fields } };
    }
    const a = asArray(h.value);
    return a ? { array: arrayDetail(a.dtype, a.shape, () => a.values()) } : {};
  }

  async cells(handle: number, from: number, to: number, columns: readonly number[]): Promise<string[][]> {
    const t = this.handles[handle]?.table;
    if (!t) return [];
    return columns.map((c) => {
      try {
        return t.columns[c]!.cells(from, to);
      } catch (e) {
        return Array.from({ length: to - from }, () => `? ${(e as Error).message}`);
      }
    });
  }
}

/** A table cell holding a value no column kind knows: its one-line text, else its type. */
const cellText = (v: unknown): string => text(v) || `<${typeName(v)}>`;
