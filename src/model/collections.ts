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

/** `collections.deque`: an Array plus `maxlen` (null when unbounded). */
export class PyDeque<T = unknown> extends Array<T> {
  maxlen: number | null = null;

  static override get [Symbol.species](): ArrayConstructor {
    return Array;
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
