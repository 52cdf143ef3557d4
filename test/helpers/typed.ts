/**
 * The corpus's typed-JSON form of a value (see corpus/README.md), computed from a loaded JS value,
 * and the normalisation of an expected form, so the two compare with `toEqual`: floats become
 * numbers (NaN, ±Infinity, -0 kept), set items are sorted the same way on both sides.
 */
import { isReducible, PyByteArray, PyComplex, PyFloat, PyFrozenSet, PyGlobal, PyOrderedDict, PyStr, PyTuple, REDUCE } from '../../src/index.js';

export type Typed = null | boolean | { [k: string]: unknown };

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The typed form of a scalar (None, bool, int, float, complex, str, bytes, bytearray, a global), or undefined for anything else. */
export function scalarForm(v: unknown): Typed | undefined {
  if (v === null || typeof v === 'boolean') return v as null | boolean;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { int: String(v) } : { float: v };
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'string') return { str: v };
  if (v instanceof PyStr) return { str: v.text };
  if (v instanceof PyFloat) return { float: v.value };
  if (v instanceof PyComplex) return { complex: [v.real, v.imag] };
  if (v instanceof PyByteArray) return { bytearray: hex(v) };
  if (v instanceof Uint8Array) return { bytes: hex(v) };
  if (v instanceof PyGlobal) return { global: `${v.module} ${v.qualname}` };
  return undefined;
}

/** Objects written in the reduce form (corpus/gen_stdlib.py): reducible values other than OrderedDict. */
const reducedForm = (v: unknown): boolean => isReducible(v) && !(v instanceof PyOrderedDict);

function isTrackable(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || reducedForm(v)) return false;
  if (v instanceof PyTuple) return v.length > 0;
  if (Array.isArray(v) || v instanceof Map || v instanceof Set) return true;
  return Object.getPrototypeOf(v) === null;
}

/** Children that take part in identity tracking (not dict keys, not set items). */
function trackedChildren(v: object): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Map) return [...v.values()];
  if (v instanceof Set) return [];
  return Object.values(v);
}

/** The typed form of a value; `protocol` is the one its reduce hooks are asked for (the reduce form). */
export function toTyped(root: unknown, protocol = 4): Typed {
  const counts = new Map<object, number>();
  const walk = (v: unknown): void => {
    if (!isTrackable(v)) return;
    const c = counts.get(v) ?? 0;
    counts.set(v, c + 1);
    if (c === 0) for (const k of trackedChildren(v)) walk(k);
  };
  walk(root);
  const ids = new Map<object, number>();
  const emit = (v: unknown, track: boolean): Typed => {
    const scalar = scalarForm(v);
    if (scalar !== undefined) return scalar;
    if (typeof v !== 'object' || v === null) throw new Error(`no typed form for ${typeof v}`);
    if (reducedForm(v)) {
      const r = (v as { [REDUCE](p: number): unknown })[REDUCE](protocol);
      if (r instanceof PyGlobal) return { global: `${r.module} ${r.qualname}` };
      const { callable, args, state, listitems, dictitems } = r as import('../../src/index.js').Reduction;
      return {
        reduce: [
          emit(callable, false),
          { tuple: [...args].map((x) => emit(x, false)) },
          state === undefined ? null : emit(state, false),
          listitems == null ? null : { list: [...listitems].map((x) => emit(x, false)) },
          dictitems == null ? null : { list: [...dictitems].map(([k, x]) => ({ tuple: [emit(k, false), emit(x, false)] })) },
        ],
      };
    }
    if (track && isTrackable(v)) {
      const id = ids.get(v);
      if (id !== undefined) return { ref: id };
      if ((counts.get(v) ?? 0) > 1) ids.set(v, ids.size);
    }
    const withId = (o: { [k: string]: unknown }): Typed => {
      const id = track ? ids.get(v as object) : undefined;
      return id === undefined ? o : { ...o, id };
    };
    if (v instanceof PyTuple) return withId({ tuple: v.map((x) => emit(x, track)) });
    if (Array.isArray(v)) return withId({ list: v.map((x) => emit(x, track)) });
    if (v instanceof Map) {
      const items = [...v].map(([k, x]) => [emit(k, false), emit(x, track)]);
      return withId(v instanceof PyOrderedDict ? { odict: items } : { dict: items });
    }
    if (v instanceof Set) {
      const items = sortItems([...v].map((x) => emit(x, false)));
      return withId(v instanceof PyFrozenSet ? { frozenset: items } : { set: items });
    }
    if (Object.getPrototypeOf(v) === null) {
      return withId({ dict: Object.entries(v).map(([k, x]) => [{ str: k }, emit(x, track)]) });
    }
    throw new Error(`no typed form for ${(v as object).constructor?.name}`);
  };
  return emit(root, true);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'number') return Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : x;
    if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    return x;
  });
}

function sortItems(items: unknown[]): unknown[] {
  return items.map((x) => [canonical(x), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
}

function pyFloat(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Expected typed JSON (floats as Python reprs) → the form `toTyped` produces. */
export function normalizeExpected(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeExpected);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.float === 'string') return { float: pyFloat(o.float) };
  if (Array.isArray(o.complex)) return { complex: (o.complex as string[]).map(pyFloat) };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = normalizeExpected(x);
  if (Array.isArray(out.set)) out.set = sortItems(out.set as unknown[]);
  if (Array.isArray(out.frozenset)) out.frozenset = sortItems(out.frozenset as unknown[]);
  return out;
}
