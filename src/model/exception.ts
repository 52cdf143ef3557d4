/**
 * An exception as data: its class (`builtins.ValueError`, `json.decoder.JSONDecodeError`, …), the
 * arguments it was pickled with and the attributes BUILD gave it. Never thrown, never called:
 * `SystemExit` or `KeyboardInterrupt` here are records like any other.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

export class PyException {
  /** Attributes from BUILD (`BaseException.__setstate__`), in order; null when there were none. */
  state: Map<string, unknown> | null = null;

  constructor(
    readonly module: string,
    /** The class's qualified name, `ValueError`. */
    readonly name: string,
    /** The constructor arguments, as `__reduce__` gives them back. */
    readonly args: readonly unknown[],
  ) {
    Object.seal(this);
  }

  /** The attributes as a null-prototype object (`__proto__` is an ordinary key here). */
  get attributes(): Record<string, unknown> {
    const out = Object.create(null) as Record<string, unknown>;
    if (this.state !== null) for (const [k, v] of this.state) out[k] = v;
    return out;
  }

  /** `BaseException.__reduce__`: `(cls, args)`, or `(cls, args, __dict__)` when it has attributes. */
  [REDUCE](): Reduction {
    const state = this.state !== null && this.state.size > 0 ? this.state : undefined;
    return { callable: new PyGlobal(this.module, this.name), args: this.args, state };
  }

  /** `ValueError: message` for one str argument, else the class name and how many arguments. */
  toString(): string {
    const [first] = this.args;
    if (this.args.length === 0) return this.name;
    if (this.args.length === 1 && typeof first === 'string') return `${this.name}: ${first}`;
    return `${this.name} (${this.args.length} argument${this.args.length === 1 ? '' : 's'})`;
  }
}
