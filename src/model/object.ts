/**
 * An inert record of a Python object the policy did not reconstruct: what inspection mode returns
 * for REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ, and what a user builds to pickle any Python object.
 * It holds the callable's name and the data the pickle gave it; it is never callable itself.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

/** How the object was made: `callable(*args)` (REDUCE, INST, OBJ) or `cls.__new__(cls, *args, **kwargs)` (NEWOBJ, NEWOBJ_EX). */
export type PyObjectKind = 'call' | 'new';

export class PyObject {
  /** BUILD's argument, `undefined` when there was none. */
  state: unknown = undefined;
  /** What APPEND/APPENDS added. */
  readonly listitems: unknown[] = [];
  /** What SETITEM/SETITEMS set, in order. */
  readonly dictitems: Map<unknown, unknown> = new Map();

  constructor(
    /** The class or function: normally a `PyGlobal`, or another inert record (e.g. `getattr(…)`'s result). */
    readonly callable: unknown,
    readonly args: readonly unknown[] = [],
    readonly kind: PyObjectKind = 'call',
    /** Keyword arguments of NEWOBJ_EX, else null. */
    readonly kwargs: ReadonlyMap<unknown, unknown> | null = null,
  ) {
    Object.seal(this);
  }

  /** The callable's module, or '' when the callable is not a global. */
  get module(): string {
    return this.callable instanceof PyGlobal ? this.callable.module : '';
  }

  /** The callable's qualified name, or '' when the callable is not a global. */
  get name(): string {
    return this.callable instanceof PyGlobal ? this.callable.qualname : '';
  }

  /** What CPython's `object.__reduce_ex__(protocol)` gives for such an object. */
  [REDUCE](protocol = 4): Reduction {
    const rest = {
      state: this.state,
      listitems: this.listitems.length ? this.listitems : null,
      dictitems: this.dictitems.size ? this.dictitems : null,
    };
    if (this.kind === 'call') return { callable: this.callable, args: this.args, ...rest };
    if (protocol < 2 && this.args.length === 0 && (this.kwargs === null || this.kwargs.size === 0)) {
      // Below protocol 2 there is no NEWOBJ: copyreg._reconstructor(cls, object, None), then the state.
      return { callable: new PyGlobal('copyreg', '_reconstructor'), args: [this.callable, new PyGlobal('builtins', 'object'), null], ...rest };
    }
    if (this.kwargs !== null && this.kwargs.size > 0) {
      return { callable: new PyGlobal('copyreg', '__newobj_ex__'), args: [this.callable, this.args, this.kwargs], ...rest };
    }
    return { callable: new PyGlobal('copyreg', '__newobj__'), args: [this.callable, ...this.args], ...rest };
  }

  toString(): string {
    return `<${this.callable instanceof PyGlobal ? this.callable.toString() : 'object'} object>`;
  }
}
