/**
 * Reading `SHIPPED_INDEX` (src/policy/shipped.ts): every shipped pack entry on one line,
 * `module qualname pack reconstructor uses[ {more}]`, where pack indexes `SHIPPED_IDS`, uses are
 * joined by ',' and `{more}` is the JSON of the entry's other fields (via, constraints, note).
 * Names, ids and uses hold no spaces (the pack schema's patterns), so the first five fields split on them.
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
    const [m, q, pack, reconstructor, uses] = line.split(' ', 5) as [string, string, string, string, string];
    const head = m.length + q.length + pack.length + reconstructor.length + uses.length + 5;
    const more = line.length > head ? (JSON.parse(line.slice(head)) as Partial<PackEntry>) : {};
    out.push({ pack: Number(pack), entry: { module: m, qualname: q, reconstructor, uses: uses.split(',') as Use[], ...more } });
  }
  return out;
}
