/** Python's tuple: a frozen Array. `map`, `filter` and friends return plain arrays. */
export class PyTuple<T = unknown> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A frozen tuple of the given items (the array is copied). */
  static override of<T>(...items: T[]): PyTuple<T> {
    return PyTuple.fromArray(items);
  }

  static override from<T>(items: Iterable<T> | ArrayLike<T>): PyTuple<T> {
    return PyTuple.fromArray(Array.from(items));
  }

  /** A frozen tuple holding the items of `items` (copied). */
  static fromArray<T>(items: readonly T[]): PyTuple<T> {
    const t = new PyTuple<T>();
    for (let i = 0; i < items.length; i++) t.push(items[i] as T);
    return Object.freeze(t) as PyTuple<T>;
  }

  /** A frozen tuple of `items.slice(start, end)`, without an intermediate array. */
  static fromRange<T>(items: readonly T[], start: number, end: number): PyTuple<T> {
    const t = new PyTuple<T>();
    for (let i = start; i < end; i++) t.push(items[i] as T);
    return Object.freeze(t) as PyTuple<T>;
  }
}

export function isPyTuple(value: unknown): value is PyTuple {
  return value instanceof PyTuple;
}
