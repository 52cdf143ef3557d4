/**
 * Reading `SHIPPED_INDEX` (src/policy/shipped.ts): every shipped pack entry on one line,
 * `module qualname pack reconstructor uses`, where pack indexes `SHIPPED_IDS` and uses are joined by
 * ','. Names, ids and uses hold no spaces (the pack schema's patterns). Constraints and notes stay
 * with each pack, so the index is small enough for every bundle that may name a pack in a refusal.
 */
import type { PackEntry, Use } from './schema.js';

export interface IndexedEntry {
  readonly pack: number;
  readonly entry: PackEntry;
}

/** The index's entries, in order: all of them, or those of one name. */
export function indexedEntries(index: string, module?: string, qualname?: string): IndexedEntry[] {
  const prefix = module === undefined ? '' : `${module} ${qualname} `;
  const out: IndexedEntry[] = [];
  for (const line of index.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const [m, q, pack, reconstructor, uses] = line.split(' ') as [string, string, string, string, string];
    out.push({ pack: Number(pack), entry: { module: m, qualname: q, reconstructor, uses: uses.split(',') as Use[] } });
  }
  return out;
}
