/**
 * The pickler's memo for strs. JS strings have no identity, so equal strings share one memo entry
 * (the second occurrence is written as a GET), which is what CPython does for the same str object
 * (interned dict keys, a str referenced twice). A JS `Map` is slow for hundreds of thousands of
 * distinct strings, so this is an open-addressing table of our own with a bounded size: the first
 * `EXACT_LIMIT` distinct strings are kept for good; later ones go to a direct-mapped cache that keeps
 * the most recent string per slot, so such a string last seen long ago may be written again instead
 * of referenced (still a valid pickle of an equal value, only a few bytes longer).
 */
const EXACT_LIMIT = 1 << 15;
const RECENT_SLOTS = 1 << 16;
const NOT_FOUND = -1;

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
  return (hash ^ (hash >>> 16)) | 0;
}

export class StringMemo {
  private keys: (string | undefined)[] = new Array<string | undefined>(64).fill(undefined);
  private values = new Int32Array(64);
  /** Each slot's hash, compared before the (slower) string comparison. */
  private hashes = new Int32Array(64);
  private mask = 63;
  private size = 0;
  /** Strings past the exact table's limit: one per slot, the latest wins. Allocated when first needed. */
  private recentKeys: (string | undefined)[] | null = null;
  private recentValues = new Int32Array(0);
  private recentHashes = new Int32Array(0);
  private recentSlot = 0;
  /** Slot of the last failed `get` in the exact table, where `set` puts the string. */
  private pending = 0;
  private pendingHash = 0;

  /** The memo index of `text`, or -1. */
  get(text: string): number {
    const keys = this.keys;
    const hashes = this.hashes;
    const mask = this.mask;
    const hash = hashOf(text);
    let slot = hash & mask;
    for (;;) {
      const key = keys[slot];
      if (key === undefined) break;
      if (hashes[slot] === hash && key === text) return this.values[slot] as number;
      slot = (slot + 1) & mask;
    }
    this.pending = slot;
    this.pendingHash = hash;
    const recent = this.recentKeys;
    if (recent === null) return NOT_FOUND;
    this.recentSlot = hash & (RECENT_SLOTS - 1);
    const recentSlot = this.recentSlot;
    return this.recentHashes[recentSlot] === hash && recent[recentSlot] === text ? (this.recentValues[recentSlot] as number) : NOT_FOUND;
  }

  /** Records `text` (just missed by `get`) under memo index `index`. */
  set(text: string, index: number): void {
    if (this.size < EXACT_LIMIT) {
      this.keys[this.pending] = text;
      this.values[this.pending] = index;
      this.hashes[this.pending] = this.pendingHash;
      if (++this.size * 2 > this.keys.length) this.grow();
      if (this.size === EXACT_LIMIT) {
        this.recentKeys = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);
        this.recentValues = new Int32Array(RECENT_SLOTS);
        this.recentHashes = new Int32Array(RECENT_SLOTS);
      }
      return;
    }
    (this.recentKeys as (string | undefined)[])[this.recentSlot] = text;
    this.recentValues[this.recentSlot] = index;
    this.recentHashes[this.recentSlot] = this.pendingHash;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldHashes = this.hashes;
    const length = oldKeys.length * 2;
    this.keys = new Array<string | undefined>(length).fill(undefined);
    this.values = new Int32Array(length);
    this.hashes = new Int32Array(length);
    this.mask = length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i];
      if (key === undefined) continue;
      const hash = oldHashes[i] as number;
      let slot = hash & this.mask;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = oldValues[i] as number;
      this.hashes[slot] = hash;
    }
  }
}
