/**
 * The reduce hook: how a JS value says which Python object it stands for, the counterpart of
 * Python's `__reduce_ex__`. The pickler writes whatever a hook returns; reconstructors and model
 * classes implement it so that loads ∘ dumps gives back the same Python object.
 */
import type { PyGlobal } from './global.js';

/** The well-known symbol a class implements as a method: `[REDUCE](protocol) → Reduction | PyGlobal`. */
export const REDUCE: unique symbol = Symbol.for('pickleguard.reduce') as never;

/**
 * What `__reduce_ex__` returns, as named fields. A `null` or `undefined` field is absent, as CPython
 * treats `None`. As in CPython's `save_reduce`, a `callable` of `copyreg.__newobj__` with
 * `args = [cls, ...args]` is written as NEWOBJ at protocol ≥ 2, and `copyreg.__newobj_ex__` with
 * `args = [cls, args, kwargs]` as NEWOBJ_EX at protocol ≥ 4.
 */
export interface Reduction {
  /** The callable: a `PyGlobal`, or any value that itself pickles to a callable (e.g. `getattr(ZoneInfo, '_unpickle')`). */
  readonly callable: unknown;
  /** Positional arguments, written as a tuple. */
  readonly args: readonly unknown[];
  /** State for BUILD (`__setstate__` or `__dict__` update). */
  readonly state?: unknown;
  /** Items appended with APPEND/APPENDS after the object is made. */
  readonly listitems?: Iterable<unknown> | null;
  /** Key/value pairs set with SETITEM/SETITEMS after the object is made. */
  readonly dictitems?: Iterable<readonly [unknown, unknown]> | null;
  /** A callable `(obj, state)` used instead of BUILD (Python 3.8's sixth element). */
  readonly stateSetter?: unknown;
}

/** A value whose class implements the reduce hook. */
export interface Reducible {
  [REDUCE](protocol: number): Reduction | PyGlobal;
}

export function isReducible(value: unknown): value is Reducible {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Reducible>)[REDUCE] === 'function';
}
