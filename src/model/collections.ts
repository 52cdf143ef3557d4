/** `collections` containers beyond OrderedDict: each is the JS container it behaves like, plus what Python adds. */
import { PyGlobal } from './global.js';
import { PyTuple } from './tuple.js';
import { REDUCE, type Reduction } from './reduce.js';

/** `collections.defaultdict`: a Map plus its `default_factory` (a global reference such as `builtins.list`, or null). */
export class PyDefaultDict<K = unknown, V = unknown> extends Map<K, V> {
  defaultFactory: PyGlobal | null = null;

  [REDUCE](): Reduction {
    const args = this.defaultFactory === null ? [] : [this.defaultFactory];
    return { callable: new PyGlobal('collections', 'defaultdict'), args, state: null, listitems: null, dictitems: this };
  }
}

/**
 * The unpickler calls `list[SETTLE](exact)` on a list subclass it appended to: `exact` false while
 * appends go on (trim if it is convenient), true before anything else can see the list. It returns
 * how many items it moved, which the unpickler counts against its work budget.
 */
export const SETTLE: unique symbol = Symbol.for('pickleguard.settle') as never;

/** `collections.deque`: an Array plus `maxlen` (null when unbounded). */
export class PyDeque<T = unknown> extends Array<T> {
  maxlen: number | null = null;

  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /**
   * Keep the last `maxlen` items, as deque.append does past maxlen. Trimming moves every kept item,
   * so while appends go on it waits until the deque is over by more than maxlen (and 64): each
   * trim then pays for itself with the items it drops.
   */
  [SETTLE](exact: boolean): number {
    const max = this.maxlen;
    if (max === null) return 0;
    const over = this.length - max;
    if (over <= 0 || (!exact && over <= Math.max(max, 64))) return 0;
    this.splice(0, over);
    return max;
  }

  [REDUCE](): Reduction {
    const args = this.maxlen === null ? [] : [PyTuple.fromArray([]), this.maxlen];
    return { callable: new PyGlobal('collections', 'deque'), args, state: null, listitems: [...this] };
  }
}

/** `collections.Counter`: a Map from element to count. */
export class PyCounter<K = unknown> extends Map<K, unknown> {
  [REDUCE](): Reduction {
    return { callable: new PyGlobal('collections', 'Counter'), args: [new Map(this)] };
  }
}
