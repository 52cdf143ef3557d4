const FROZEN = Symbol('pickleguard.frozen');

/** Python's frozenset: a Set that refuses changes once built. */
export class PyFrozenSet<T = unknown> extends Set<T> {
  declare private [FROZEN]?: true;

  constructor(items?: Iterable<T> | null) {
    super(items);
    Object.defineProperty(this, FROZEN, { value: true });
  }

  override add(value: T): this {
    if (this[FROZEN]) throw new TypeError('a frozenset cannot be changed');
    return super.add(value);
  }

  override delete(_value: T): boolean {
    throw new TypeError('a frozenset cannot be changed');
  }

  override clear(): void {
    throw new TypeError('a frozenset cannot be changed');
  }
}
