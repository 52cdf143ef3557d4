/**
 * `types.SimpleNamespace` and `argparse.Namespace`: attribute bags. The attributes are a Map (keys
 * as the pickle gave them) with a null-prototype view, so a `__proto__` key is only a key.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

const G_SIMPLE = new PyGlobal('types', 'SimpleNamespace');
const G_ARGPARSE = new PyGlobal('argparse', 'Namespace');

export class PyNamespace {
  readonly attributes = new Map<string, unknown>();

  constructor(
    /** `'types.SimpleNamespace'` or `'argparse.Namespace'`. */
    readonly kind: 'types.SimpleNamespace' | 'argparse.Namespace',
  ) {
    Object.freeze(this);
  }

  /** The attributes as a null-prototype object. */
  toObject(): Record<string, unknown> {
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of this.attributes) out[k] = v;
    return out;
  }

  get(name: string): unknown {
    return this.attributes.get(name);
  }

  [REDUCE](protocol: number): Reduction {
    const state = this.attributes.size > 0 ? this.attributes : undefined;
    // SimpleNamespace.__reduce__ is (type(self), (), __dict__); argparse.Namespace is a plain object.
    if (this.kind === 'types.SimpleNamespace') return { callable: G_SIMPLE, args: [], state: new Map(this.attributes) };
    if (protocol < 2) return { callable: new PyGlobal('copyreg', '_reconstructor'), args: [G_ARGPARSE, new PyGlobal('builtins', 'object'), null], state };
    return { callable: new PyGlobal('copyreg', '__newobj__'), args: [G_ARGPARSE], state };
  }

  toString(): string {
    return `${this.kind.endsWith('Namespace') && this.kind.startsWith('types') ? 'namespace' : 'Namespace'}(${[...this.attributes.keys()].join(', ')})`;
  }
}
