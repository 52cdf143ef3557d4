/**
 * The pickler's memo for strs. JS strings have no identity, so equal strings share one memo entry
 * (the second occurrence is written as a GET), which is what CPython does for the same str object
 * (interned dict keys, a str referenced twice). A JS `Map` is slow for hundreds of thousands of
 * distinct strings, so this is an open-addressing table of our own with a bounded size: the first
 * `EXACT_LIMIT` distinct strings are kept for good; later ones go to a direct-mapped cache that keeps
 * the most recent string per slot, so such a string last seen long ago may be written again instead
 * of referenced (still a valid pickle of an equal value, only a few bytes longer).
 *
 * Layout, for few cache misses: a lookup of a new string (the common case in a long list of
 * distinct strs) reads only `meta`, which holds per slot the exact table's hash (0: empty) next to
 * the recent cache's hash for the same slot, so both tables are searched in one cache line; the
 * keys are read only when a hash matches. (perf: with separate key and hash arrays per table, the
 * loads of keys[slot] and of the recent hashes were most of the lookup's time.)
 */
const EXACT_LIMIT = 1 << 15;
/** The exact table's capacity once it holds EXACT_LIMIT strings (it stays at most half full), and so the recent cache's size. */
const FULL_CAPACITY = EXACT_LIMIT * 2;
const NOT_FOUND = -1;
/** Slots of the hot cache: strings found again (dict keys, recurring values), checked before hashing. */
const HOT_SIZE = 64;

/** A 32-bit hash of `text`, never 0 (0 marks an empty slot). */
function hashOf(text: string): number {
  let hash = 0x811c9dc5 ^ text.length;
  const n = text.length;
  // Long strings: hash a sample (head, tail and a stride), so lookups stay cheap; equality is checked on hit.
  if (n <= 64) {
    for (let i = 0; i < n; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  } else {
    const stride = n >> 5;
    for (let i = 0; i < 16; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    for (let i = 16; i < n - 16; i += stride) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    for (let i = n - 16; i < n; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return (hash ^ (hash >>> 16)) | 0 || 1;
}

export class StringMemo {
  // Starts at 8 slots: V8 keeps typed arrays of at most 64 bytes on the JS heap, with no ArrayBuffer
  // to allocate and sweep, which a small dumps (one StringMemo each) notices.
  private keys: (string | undefined)[] = new Array<string | undefined>(8).fill(undefined);
  private values = new Int32Array(8);
  /** Per slot: [2 × slot] the exact table's hash (0: empty), [2 × slot + 1] the recent cache's hash (0: none). */
  private meta = new Int32Array(16);
  private mask = 7;
  private size = 0;
  /** The exact table's occupied slots, in insertion order (`used[0..size)`): `reset` clears only these. */
  private used = new Int32Array(5);
  /** Strings past the exact table's limit: one per slot (the slot of the hash), the latest wins. Allocated when first needed. */
  private recentKeys: (string | undefined)[] | null = null;
  private recentValues = new Int32Array(0);
  /** Whether the recent cache may hold strings (it stays allocated across `reset`). */
  private recentOn = false;
  /**
   * Strings the exact table found again, one per slot of a cheap mix of length and end characters:
   * a record's keys are looked up once per record, and here cost one comparison instead of a hash
   * and a probe. Entries of the exact table are never evicted, so a hit answers as the table would.
   */
  private hotKeys: (string | undefined)[] = new Array<string | undefined>(HOT_SIZE).fill(undefined);
  private hotValues: number[] = new Array<number>(HOT_SIZE).fill(0);
  /** Slot of the last failed `get` in the exact table, where `set` puts the string. */
  private pending = 0;
  private pendingHash = 0;

  /** The memo index of `text`, or -1. */
  get(text: string): number {
    const n = text.length;
    const hot = n === 0 ? 0 : (n * 31 + text.charCodeAt(0) * 7 + text.charCodeAt(n - 1)) & (HOT_SIZE - 1);
    if (this.hotKeys[hot] === text) return this.hotValues[hot]!;
    const meta = this.meta;
    const mask = this.mask;
    const hash = hashOf(text);
    let slot = hash & mask;
    for (;;) {
      const h = meta[2 * slot];
      if (h === 0) break;
      if (h === hash && this.keys[slot] === text) {
        const index = this.values[slot] as number;
        this.hotKeys[hot] = text;
        this.hotValues[hot] = index;
        return index;
      }
      slot = (slot + 1) & mask;
    }
    this.pending = slot;
    this.pendingHash = hash;
    if (!this.recentOn) return NOT_FOUND;
    const home = hash & mask;
    return meta[2 * home + 1] === hash && this.recentKeys![home] === text ? (this.recentValues[home] as number) : NOT_FOUND;
  }

  /** Records `text` (just missed by `get`) under memo index `index`. */
  set(text: string, index: number): void {
    const hash = this.pendingHash;
    if (this.size < EXACT_LIMIT) {
      const slot = this.pending;
      this.keys[slot] = text;
      this.values[slot] = index;
      this.meta[2 * slot] = hash;
      this.used[this.size] = slot;
      if (++this.size * 2 > this.keys.length) this.grow();
      if (this.size === EXACT_LIMIT && !this.recentOn) {
        if (this.recentKeys === null) {
          this.recentKeys = new Array<string | undefined>(FULL_CAPACITY).fill(undefined);
          this.recentValues = new Int32Array(FULL_CAPACITY);
        }
        this.recentOn = true;
      }
      return;
    }
    const home = hash & this.mask;
    (this.recentKeys as (string | undefined)[])[home] = text;
    this.recentValues[home] = index;
    this.meta[2 * home + 1] = hash;
  }

  /** Forget every string whose memo index is `mark` or more. */
  forgetFrom(mark: number): void {
    this.hotKeys.fill(undefined);
    const keys = this.keys;
    const values = this.values;
    const meta = this.meta;
    const kept: [string, number, number][] = [];
    for (let slot = 0; slot < keys.length; slot++) {
      if (meta[2 * slot] !== 0 && values[slot]! < mark) kept.push([keys[slot]!, values[slot]!, meta[2 * slot]!]);
      keys[slot] = undefined;
      meta[2 * slot] = 0;
      // The recent cache stays in its slots (its slot is its home): only the forgotten ones go.
      if (this.recentKeys !== null && meta[2 * slot + 1] !== 0 && this.recentValues[slot]! >= mark) {
        this.recentKeys[slot] = undefined;
        meta[2 * slot + 1] = 0;
      }
    }
    this.size = 0;
    for (const [text, index, hash] of kept) this.insert(text, index, hash);
  }

  /**
   * Empty the memo, keeping its tables for the next pickle (`dumps` lends one StringMemo from call to
   * call: growing the tables again, and the fresh pages of their memory, were a fifth of a dump of
   * 200,000 distinct strs). Costs a step per string held, or one pass over the tables when the recent
   * cache was in use.
   */
  reset(): void {
    this.hotKeys.fill(undefined);
    if (this.recentOn) {
      this.keys.fill(undefined);
      this.meta.fill(0);
      this.recentKeys!.fill(undefined);
      this.recentOn = false;
    } else {
      const used = this.used;
      const keys = this.keys;
      const meta = this.meta;
      for (let k = 0; k < this.size; k++) {
        const slot = used[k]!;
        keys[slot] = undefined;
        meta[2 * slot] = 0;
      }
    }
    this.size = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldMeta = this.meta;
    const length = oldKeys.length * 2;
    this.keys = new Array<string | undefined>(length).fill(undefined);
    this.values = new Int32Array(length);
    this.meta = new Int32Array(2 * length);
    this.used = new Int32Array((length >> 1) + 1);
    this.mask = length - 1;
    const size = this.size;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const hash = oldMeta[2 * i] as number;
      if (hash !== 0) this.insert(oldKeys[i]!, oldValues[i] as number, hash);
    }
    this.size = size;
  }

  /** Put a string known to be absent into the exact table, at the first free slot from its hash's. */
  private insert(text: string, index: number, hash: number): void {
    const meta = this.meta;
    let slot = hash & this.mask;
    while (meta[2 * slot] !== 0) slot = (slot + 1) & this.mask;
    this.keys[slot] = text;
    this.values[slot] = index;
    meta[2 * slot] = hash;
    this.used[this.size++] = slot;
  }
}
