/**
 * The pickler's memo of objects by identity: object → memo index.
 *
 * JavaScript gives no identity hash to build a table of our own on, so this rests on V8's hashed
 * collections, where each operation on a large table costs a cache miss (identity hashes are
 * random; CPython's are addresses, so objects made one after another land side by side). A dump
 * of plain data memoizes every list and dict, nearly all of them once: the usual `get` (a miss)
 * followed by `set` pays two such operations per object. `claim` pays one: `Set#add`, with the
 * set's size telling whether the object was new.
 *
 * A set cannot say where an object it holds was memoized. The indices are kept in a parallel
 * array in the set's insertion order, and the first object found a second time turns the set into
 * a `Map` (one pass over both, in order); from then on the memo is that Map, with `get` and `set`.
 * So a pickle without shared objects pays one operation per object, and one with them pays what a
 * Map always did, plus one pass.
 *
 * The memo holds its objects strongly, as CPython's does: a `Pickler` that keeps its memo between
 * dumps keeps the objects it refers to alive until `clearMemo()`.
 */
export class ObjectMemo {
  /** Every memoized object, in memo order, until the first repeat (then null). */
  private seen: Set<object> | null = new Set<object>();
  /** `indices[k]`: the memo index of the k-th object added to `seen`. */
  private indices = new Uint32Array(16);
  /** After the first repeat: every memoized object and its index. */
  private map: Map<object, number> | null = null;

  /** The memo index of `obj`, or -1. */
  get(obj: object): number {
    const seen = this.seen;
    if (seen !== null) return seen.has(obj) ? this.toMap().get(obj)! : -1;
    const index = this.map!.get(obj);
    return index === undefined ? -1 : index;
  }

  /** Records `obj` (not in the memo) under `index`. */
  set(obj: object, index: number): void {
    const seen = this.seen;
    if (seen === null) {
      this.map!.set(obj, index);
      return;
    }
    const k = seen.size;
    seen.add(obj);
    this.note(k, index);
  }

  /**
   * Records `obj` under `index` if it is not in the memo yet and returns -1; otherwise returns the
   * index it already has (and records nothing).
   */
  claim(obj: object, index: number): number {
    const seen = this.seen;
    if (seen !== null) {
      const k = seen.size;
      seen.add(obj);
      if (seen.size !== k) {
        this.note(k, index);
        return -1;
      }
      return this.toMap().get(obj)!;
    }
    const map = this.map!;
    const old = map.get(obj);
    if (old !== undefined) return old;
    map.set(obj, index);
    return -1;
  }

  /** Forget every entry whose index is `mark` or more. */
  forgetFrom(mark: number): void {
    const seen = this.seen;
    if (seen === null) {
      const map = this.map!;
      for (const [obj, index] of map) if (index >= mark) map.delete(obj);
      return;
    }
    // Indices grow with insertion order: the entries to forget are the last ones added.
    const indices = this.indices;
    let keep = seen.size;
    while (keep > 0 && indices[keep - 1]! >= mark) keep--;
    let k = 0;
    for (const obj of seen) if (k++ >= keep) seen.delete(obj);
  }

  private note(k: number, index: number): void {
    let indices = this.indices;
    if (k === indices.length) {
      const grown = new Uint32Array(2 * k);
      grown.set(indices);
      this.indices = indices = grown;
    }
    indices[k] = index;
  }

  /** Switch to the Map (at the first object memoized twice). */
  private toMap(): Map<object, number> {
    const map = new Map<object, number>();
    const indices = this.indices;
    let k = 0;
    for (const obj of this.seen!) map.set(obj, indices[k++]!);
    this.seen = null;
    this.map = map;
    return map;
  }

  /** Empty the memo for the next pickle, keeping the index array (as `StringMemo.forgetFrom(0)` keeps its tables); a Set cannot be emptied and kept large. */
  reset(): void {
    // Kept up to 4 MB (a dump of a million objects), so one huge dump does not hold its memory for good.
    if (this.indices.length > 1 << 20) this.indices = new Uint32Array(16);
    this.seen = new Set<object>();
    this.map = null;
  }
}
