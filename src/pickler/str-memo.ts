/**
 * The pickler's memo for strs. JS strings have no identity, so equal strings share one memo entry
 * (the second occurrence is written as a GET), which is what CPython does for the same str object
 * (interned dict keys, a str referenced twice). A JS `Map` is slow for hundreds of thousands of
 * distinct strings, so this is an open-addressing table of our own with a bounded size: the first
 * `EXACT_LIMIT` distinct strings are kept for good; later ones go to a small direct-mapped cache that
 * keeps the most recent string per slot, so such a string last seen long ago may be written again
 * instead of referenced (still a valid pickle of an equal value, only a few bytes longer).
 *
 * Layout, for few cache misses: a lookup of a new string (the common case in a long list of
 * distinct strs) reads one line of `meta`, which holds per slot the hash (0: empty) and the memo
 * index side by side; the keys are read only when a hash matches. The recent cache is small
 * (RECENT_SIZE slots, 64 KB), so it stays in the CPU's caches while a dump writes 100,000s of new
 * strings past the exact table. (perf: the earlier recent cache, as large as the exact table, cost
 * two cache misses per new string.)
 *
 * Callers that read the string anyway (to write it) compute its hash on the way (`hashStep`,
 * `hashEnd`) and look it up with `find`.
 */
const EXACT_LIMIT = 1 << 15;
/** Slots of the recent cache. */
const RECENT_SIZE = 1 << 12;
const NOT_FOUND = -1;
/** The hash of a string of `n` code units, before any: then `h = hashStep(h, c)` per code unit, and `hashEnd(h)`. */
export const hashStart = (n: number): number => 0x811c9dc5 ^ n;
export const hashStep = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);
/** The finished hash, never 0 (0 marks an empty slot). */
export const hashEnd = (h: number): number => (h ^ (h >>> 16)) | 0 || 1;

/** A 32-bit hash of `text`, never 0: every code unit (the pickler mostly gets it from `encodeUtf8Into`, which reads them anyway). */
export function hashOf(text: string): number {
  let hash = hashStart(text.length);
  for (let i = 0; i < text.length; i++) hash = hashStep(hash, text.charCodeAt(i));
  return hashEnd(hash);
}

export class StringMemo {
  // Starts at 8 slots: V8 keeps typed arrays of at most 64 bytes on the JS heap, with no ArrayBuffer
  // to allocate and sweep, which a small dumps (one StringMemo each) notices.
  private keys: (string | undefined)[] = new Array<string | undefined>(8).fill(undefined);
  /** Per slot: [2 × slot] the hash (0: empty), [2 × slot + 1] the memo index. */
  private meta = new Int32Array(16);
  private mask = 7;
  private size = 0;
  /** The exact table's occupied slots, in insertion order (`used[0..size)`): `reset` clears only these. */
  private used = new Int32Array(5);
  /** Strings past the exact table's limit: one per slot of the hash, the latest wins. Allocated when first needed. */
  private recentKeys: (string | undefined)[] | null = null;
  /** Per recent slot: [2 × slot] the hash (0: none), [2 × slot + 1] the memo index. */
  private recentMeta = new Int32Array(0);
  /** Slot of the last failed `find` in the exact table, where `set` puts the string, and its hash. */
  private pending = 0;
  private pendingHash = 0;
  /**
   * The last string `find` found in the exact table, and its index: entries there stay (until
   * `forgetFrom`), so a caller may keep the pair (the pickler's cache of a dict's keys).
   */
  found: string | undefined = undefined;
  foundIndex = 0;

  /** The memo index of `text`, whose `hashOf` is `hash`, or -1. */
  find(text: string, hash: number): number {
    const meta = this.meta;
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const h = meta[2 * slot];
      if (h === 0) break;
      if (h === hash && this.keys[slot] === text) {
        this.found = text;
        return (this.foundIndex = meta[2 * slot + 1]!);
      }
      slot = (slot + 1) & mask;
    }
    this.pending = slot;
    this.pendingHash = hash;
    const keys = this.recentKeys;
    if (keys === null) return NOT_FOUND;
    const home = hash & (RECENT_SIZE - 1);
    const recent = this.recentMeta;
    return recent[2 * home] === hash && keys[home] === text ? recent[2 * home + 1]! : NOT_FOUND;
  }

  /** Records `text` (just missed by `find`) under memo index `index`. */
  set(text: string, index: number): void {
    const hash = this.pendingHash;
    if (this.size < EXACT_LIMIT) {
      const slot = this.pending;
      this.keys[slot] = text;
      this.meta[2 * slot] = hash;
      this.meta[2 * slot + 1] = index;
      this.used[this.size] = slot;
      if (++this.size * 2 > this.keys.length) this.grow();
      return;
    }
    if (this.recentKeys === null) {
      this.recentKeys = new Array<string | undefined>(RECENT_SIZE).fill(undefined);
      this.recentMeta = new Int32Array(2 * RECENT_SIZE);
    }
    const home = hash & (RECENT_SIZE - 1);
    this.recentKeys![home] = text;
    this.recentMeta[2 * home] = hash;
    this.recentMeta[2 * home + 1] = index;
  }

  /**
   * Forget every string whose memo index is `mark` or more (and the recent cache: it only saves
   * bytes). `forgetFrom(0)` empties the memo and keeps its tables for the next pickle (`dumps` lends
   * one StringMemo from call to call: growing the tables again, and the fresh pages of their memory,
   * were a fifth of a dump of 200,000 distinct strs); it costs a step per string held, or one pass
   * over the tables when the recent cache was in use.
   */
  forgetFrom(mark: number): void {
    const { used, keys, meta } = this;
    const kept: [string, number, number][] = [];
    for (let k = 0; k < this.size; k++) {
      const slot = used[k]!;
      if (meta[2 * slot + 1]! < mark) kept.push([keys[slot]!, meta[2 * slot + 1]!, meta[2 * slot]!]);
      keys[slot] = undefined;
      meta[2 * slot] = 0;
    }
    this.found = undefined;
    this.recentKeys = null;
    this.size = 0;
    for (const [text, index, hash] of kept) this.insert(text, index, hash);
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldMeta = this.meta;
    const length = oldKeys.length * 2;
    this.keys = new Array<string | undefined>(length).fill(undefined);
    this.meta = new Int32Array(2 * length);
    this.used = new Int32Array((length >> 1) + 1);
    this.mask = length - 1;
    const size = this.size;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const hash = oldMeta[2 * i]!;
      if (hash !== 0) this.insert(oldKeys[i]!, oldMeta[2 * i + 1]!, hash);
    }
    this.size = size;
  }

  /** Put a string known to be absent into the exact table, at the first free slot from its hash's. */
  private insert(text: string, index: number, hash: number): void {
    const meta = this.meta;
    let slot = hash & this.mask;
    while (meta[2 * slot] !== 0) slot = (slot + 1) & this.mask;
    this.keys[slot] = text;
    meta[2 * slot] = hash;
    meta[2 * slot + 1] = index;
    this.used[this.size++] = slot;
  }
}
