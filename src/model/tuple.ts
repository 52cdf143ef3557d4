/** Python's tuple: a frozen Array. `map`, `filter` and friends return plain arrays. */
export class PyTuple<T = unknown> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A frozen tuple of the given items (the array is copied). */
  static override of<T>(...items: T[]): PyTuple<T> {
    return tupleOfRange(items, 0, items.length);
  }

  static override from<T>(items: Iterable<T> | ArrayLike<T>): PyTuple<T> {
    const array = Array.from(items);
    return tupleOfRange(array, 0, array.length);
  }

  /** A frozen tuple holding the items of `items` (copied). */
  static fromArray<T>(items: readonly T[]): PyTuple<T> {
    return tupleOfRange(items, 0, items.length);
  }

  /** A frozen tuple of `items.slice(start, end)`, without an intermediate array. */
  static fromRange<T>(items: readonly T[], start: number, end: number): PyTuple<T> {
    return tupleOfRange(items, start, end);
  }
}

// Kept outside the class body: a class that names itself inside its body is renamed by bundlers
// (`_PyTuple`), and `PyTuple.name` should read PyTuple.
function tupleOfRange<T>(items: readonly T[], start: number, end: number): PyTuple<T> {
  const t = new PyTuple<T>();
  for (let i = start; i < end; i++) t.push(items[i] as T);
  return Object.freeze(t) as PyTuple<T>;
}

export function isPyTuple(value: unknown): value is PyTuple {
  return value instanceof PyTuple;
}

/** The empty tuple, shared as Python shares it. */
export const EMPTY_TUPLE: PyTuple<never> = tupleOfRange([], 0, 0);
