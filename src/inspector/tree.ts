/**
 * The value tree: lazy (a node's children are built when it is opened), paged (a hundred at a time),
 * Python's type names, and a container met again shown as a link to where it was first shown.
 */
import { reprBytes, reprFloat, reprInt, reprStr } from '../audit/pyrepr.js';
import { PyByteArray } from '../model/bytearray.js';
import { PyComplex } from '../model/complex.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { PyGlobal } from '../model/global.js';
import { NdArray } from '../model/ndarray.js';
import { PyObject } from '../model/object.js';
import { isReducible, REDUCE, type Reduction } from '../model/reduce.js';
import { PyStr } from '../model/str.js';
import { TorchTensor } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { PyOrderedDict } from '../policy/reconstructors/builtins.js';
import { PdDataFrame, PdIndex, PdSeries } from '../model/pandas.js';
import { asArray, summary } from './arrays.js';
import { h } from './dom.js';
import { tableOf, tableShape, type TableModel } from './frames.js';
import { renderTable } from './table.js';

const PAGE = 100;

/** A line of description in the tree that is no Python value (a tensor's storage). */
class Note {
  constructor(
    readonly type: string,
    readonly text: string,
  ) {}
}
type Entry = readonly [label: string, value: unknown];

export interface TreeContext {
  /** Called when a node naming a global (a record or a global used as data) asks to show its opcode. */
  readonly showGlobal?: (name: string) => void;
  /** Where an object was built (the offset of its opcode), when known. */
  readonly builtAt?: (v: object) => number | undefined;
  /** Shows the opcode at an offset. */
  readonly showOffset?: (offset: number) => void;
}

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
  if (Array.isArray(v)) return { count: v.length, entries: () => v.map((x, i): Entry => [String(i), x])[Symbol.iterator]() };
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
  if (v instanceof NdArray) return v.objects ? { count: v.objects.length, entries: () => v.objects!.map((x, i): Entry => [String(i), x])[Symbol.iterator]() } : { count: 0, entries: () => [][Symbol.iterator]() };
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

/** Builds the tree of `values` (one root per pickle) inside an element carrying `data-tree`. */
export function renderTree(values: readonly unknown[], labels: readonly string[], ctx: TreeContext = {}): HTMLElement {
  const first = new Map<object, HTMLDetailsElement>();
  let ids = 0;
  const root = h('div', { class: 'tree', role: 'tree', 'data-tree': '' });

  const node = (label: string, v: unknown): HTMLElement => {
    const type = typeName(v);
    const typeEl = v instanceof PyObject && v.callable instanceof PyGlobal ? h('button', { class: 't link', title: 'show where this name is read', onclick: () => ctx.showGlobal?.(String(v.callable)) }, type) : v instanceof PyGlobal ? h('button', { class: 't link', onclick: () => ctx.showGlobal?.(String(v)) }, type) : h('span', { class: 't' }, type);
    const head = (tag: 'div' | 'summary') => h(tag, tag === 'div' ? { class: 'leaf', role: 'treeitem' } : {}, h('span', { class: 'k' }, label), ' ', typeEl, ' ', h('span', { class: 'p' }, ''));
    if (v !== null && typeof v === 'object') {
      const seen = first.get(v);
      if (seen) {
        const leaf = head('div');
        leaf.querySelector('.p')!.append(h('a', { href: `#${seen.id}`, class: 'ref', onclick: (e: Event) => (e.preventDefault(), reveal(seen)) }, `↪ the same object as ${seen.dataset.path}`));
        return leaf;
      }
    }
    const kids = childrenOf(v);
    const table = tableOf(v, cellText);
    const array = table ? null : asArray(v);
    if (kids === null && array === null && table === null) {
      const leaf = head('div');
      leaf.querySelector('.p')!.textContent = preview(v, null);
      return leaf;
    }
    const summaryEl = head('summary');
    const at = v !== null && typeof v === 'object' ? ctx.builtAt?.(v) : undefined;
    if (at !== undefined) summaryEl.append(' ', h('button', { class: 'link at', 'data-built-at': at, title: 'show the opcode that built it', onclick: (e: Event) => (e.preventDefault(), ctx.showOffset?.(at)) }, `@${at}`));
    summaryEl.querySelector('.p')!.textContent = array ? `${array.dtype} (${array.shape.join(', ')})` : table ? tableShape(table) : preview(v, kids);
    const details = h('details', { class: 'node', role: 'treeitem', id: `node-${++ids}` }, summaryEl);
    details.dataset.path = label;
    if (v !== null && typeof v === 'object') first.set(v, details);
    let filled = false;
    details.addEventListener('toggle', () => {
      if (!details.open || filled) return;
      filled = true;
      const group = h('div', { class: 'kids', role: 'group' });
      if (array) group.append(summary(array));
      if (table) group.append(...tableView(table));
      if (kids) page(group, kids.entries(), kids.count, 0, details.dataset.path ?? '');
      details.append(group);
    });
    return details;
  };

  const page = (group: HTMLElement, it: Iterator<Entry>, count: number, shown: number, path: string): void => {
    let n = 0;
    for (let r = n < PAGE ? it.next() : null; r && !r.done; r = ++n < PAGE ? it.next() : null) {
      const el = node(r.value[0], r.value[1]);
      if (el instanceof HTMLDetailsElement) el.dataset.path = `${path}[${r.value[0]}]`;
      group.append(el);
    }
    shown += n;
    if (shown < count) {
      const more: HTMLButtonElement = h('button', { class: 'more', onclick: () => (more.remove(), page(group, it, count, shown, path)) }, `show ${Math.min(PAGE, count - shown)} more (${(count - shown).toLocaleString('en')} not shown)`);
      group.append(more);
    }
  };

  values.forEach((v, i) => root.append(node(labels[i] ?? `pickle ${i + 1}`, v)));
  const top = root.querySelector(':scope > details');
  if (top instanceof HTMLDetailsElement && values.length === 1) top.open = true;
  return root;
}

/** A table cell holding a value no column kind knows: its one-line text, else its type. */
const cellText = (v: unknown): string => text(v) || `<${typeName(v)}>`;

/** Most numeric fields of a structured array plotted. */
const PLOTS = 16;

/** A table, then a summary and plot per numeric field (structured arrays). */
function tableView(t: TableModel): HTMLElement[] {
  const out = [renderTable(t)];
  for (const f of (t.numeric ?? []).slice(0, PLOTS)) {
    const values = new Proxy({ length: f.length } as ArrayLike<number>, { get: (o, k) => (typeof k === 'string' && /^\d+$/.test(k) ? f.at(Number(k)) : Reflect.get(o, k)) });
    out.push(h('div', { class: 'field', 'data-field': f.label }, h('div', { class: 'array-head' }, `field ${f.label}`), summary({ dtype: f.dtype, shape: [f.length], values: () => values })));
  }
  return out;
}

/** Opens every closed ancestor of `el`, scrolls to it and focuses it. */
export function reveal(el: HTMLElement): void {
  for (let p: HTMLElement | null = el; p; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
  el.scrollIntoView({ block: 'center' });
  (el.querySelector('summary') ?? el).focus();
}
