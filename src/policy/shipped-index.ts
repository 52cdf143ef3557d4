/**
 * Reading `SHIPPED_INDEX` (src/policy/shipped.ts): every shipped pack entry, grouped. A line of digits
 * starts a pack's entries (its index in `SHIPPED_IDS`); a line without a leading space names the module
 * of the entries after it; an entry is ` qualname reconstructor uses` (uses joined by ','), or
 * ` qualname` alone when its reconstructor and uses are the previous entry's. Names, ids and uses hold
 * no spaces (the pack schema's patterns). Constraints and notes stay with each pack, so the index is
 * small enough for every bundle that may name a pack in a refusal.
 */
import type { PackEntry, Use } from './schema.js';

export interface IndexedEntry {
  readonly pack: number;
  readonly entry: PackEntry;
}

/** The index's entries, in order: all of them, or those of one name. */
export function indexedEntries(index: string, module?: string, qualname?: string): IndexedEntry[] {
  const out: IndexedEntry[] = [];
  let pack = 0;
  let m = '';
  let reconstructor = '';
  let uses: Use[] = [];
  for (const line of index.split('\n')) {
    if (line[0] !== ' ') {
      if (/^\d+$/.test(line)) pack = Number(line);
      else m = line;
      continue;
    }
    const [, q, r, u] = line.split(' ') as [string, string, string?, string?];
    if (r !== undefined) [reconstructor, uses] = [r, u!.split(',') as Use[]];
    if (module === undefined || (m === module && q === qualname)) out.push({ pack, entry: { module: m, qualname: q, reconstructor, uses: [...uses] } });
  }
  return out;
}
