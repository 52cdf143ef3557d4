/**
 * The unpickler's memo: the one implementation, used by every load and by the auditor (which runs
 * the same Machine). Indices are whatever the pickle says (PUT 7, BINPUT 200, MEMOIZE = the number
 * of entries so far, as in CPython), so it is a dense array for the usual 0, 1, 2, … and a Map for
 * indices far past them. An entry lives in exactly one of the two: when the dense part grows over
 * sparse indices, those entries move into it, so that a later get finds them and a later put at
 * the same index is not counted as a new entry (MEMOIZE numbering depends on that count).
 */
export class Memo {
  /** Entries at indices below `dense.length`; `undefined` marks a hole. The fast path reads it directly. */
  readonly dense: unknown[] = [];
  /** Entries at indices at or past `dense.length`. */
  sparse: Map<number, unknown> | null = null;
  /** How many entries there are (MEMOIZE's next index). */
  count = 0;
  /** One past the highest dense index written: how much of `dense` `clear` wipes. */
  private high = 0;

  get(index: number): unknown {
    return index < this.dense.length ? this.dense[index] : this.sparse?.get(index);
  }

  /**
   * Store `value` at `index`; returns true when the index was new (the caller has already checked
   * the entry limit through `room`). `grow` gives the dense length to grow to when `index` is near
   * enough to the dense part to be stored densely, or -1 to store it sparsely.
   */
  put(index: number, value: unknown, room: () => void, grow: (index: number) => number): void {
    const dense = this.dense;
    if (index < dense.length) {
      if (dense[index] === undefined) {
        room();
        this.count++;
      }
      dense[index] = value;
      if (index >= this.high) this.high = index + 1;
      return;
    }
    const sparse = this.sparse;
    const isNew = sparse === null || !sparse.has(index);
    if (isNew) {
      room();
      this.count++;
    }
    const length = grow(index);
    if (length <= index) {
      (this.sparse ??= new Map()).set(index, value);
      return;
    }
    dense.length = length;
    if (sparse !== null && sparse.size > 0) {
      // Entries the dense part now covers move into it (each moves once: dense never shrinks).
      for (const [i, v] of sparse) {
        if (i < length) {
          dense[i] = v;
          sparse.delete(i);
          if (i >= this.high) this.high = i + 1;
        }
      }
    }
    dense[index] = value;
    if (index >= this.high) this.high = index + 1;
  }

  /**
   * `put` for the fast path's MEMOIZE and BINPUT, when `index` falls inside the dense part and a new
   * entry keeps the count below `limit`; false, having stored nothing, when `put` must do it.
   */
  putDense(index: number, value: unknown, limit: number): boolean {
    const dense = this.dense;
    if (index >= dense.length) return false;
    if (dense[index] === undefined) {
      if (this.count >= limit) return false;
      this.count++;
    }
    dense[index] = value;
    if (index >= this.high) this.high = index + 1;
    return true;
  }

  /**
   * Forget every entry but keep the dense part's storage, so that the next load can use it (see
   * `loads`): a large dense array is a fresh allocation of its own, whose pages are new each time.
   */
  clear(): void {
    this.dense.fill(undefined, 0, this.high);
    this.high = 0;
    this.sparse = null;
    this.count = 0;
  }
}
