/**
 * Hints for unsafe files: the `--policy` arguments, with shipped packs added, under which the file
 * would be safe. A hint is tried only when every name the file names is one those packs allow, and
 * given only when the file, audited again under them, is safe in every part: it is never a guess.
 */
import { auditFile, type NamedReport } from '../containers/open.js';
import { denialOf } from '../policy/deny.js';
import { createPolicy, type BuiltPolicy } from '../policy/registry.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';
import { readPack } from './packs.js';

/** The `--policy` values that make the file safe, or undefined; `parts` are its reports under the policy of `packs`. */
export type Hinter = (data: Uint8Array, name: string, parts: readonly NamedReport[]) => Promise<string[] | undefined>;

/** How a hint reads on the command line. */
export const hintText = (safeWith: readonly string[]): string => `safe with ${safeWith.map((p) => `--policy ${p}`).join(' ')}`;

/** Every non-empty subset of `ids`, smallest first (the ids are the few shipped packs). */
function subsets(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let mask = 1; mask < 1 << ids.length; mask++) out.push(ids.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}

/** Verifications (audits again) tried per file at most. */
const MAX_TRIES = 2;
/** Packs that could help one file, at most: their combinations are tried (2^n). */
const MAX_USEFUL = 5;

/** A hinter for runs under the packs `packs` (as given to --policy; none: the default policy). */
export function hinter(packs: readonly string[], readFile: (path: string) => Uint8Array): Hinter {
  const shipped = [...new Set(SHIPPED_PACKS.map((p) => p.pack.id))].filter((id) => !packs.includes(id));
  // Under the default policy, python-stdlib is what a file may lose by naming packs: it is tried too.
  const base = packs.length ? [packs] : [[], ['python-stdlib']];
  const policies = new Map<string, BuiltPolicy | null>();
  const policyOf = (args: readonly string[]): BuiltPolicy | null => {
    const key = args.join('\n');
    if (!policies.has(key)) {
      try {
        policies.set(key, createPolicy({ packs: args.map((a) => readPack(a, readFile)) }));
      } catch {
        policies.set(key, null);
      }
    }
    return policies.get(key)!;
  };
  // Fewest --policy arguments first, then the policy that allows least (numpy before joblib, which extends it).
  const size = (args: readonly string[]) => policyOf(args)?.entries.length ?? Infinity;
  const each = new Map(shipped.map((id) => [id, policyOf([id])]));
  const allows = (id: string, m: string, q: string) => each.get(id)?.resolve(m, q) !== undefined;
  const coverable = (m: string, q: string) => denialOf(m, q) === undefined && shipped.some((id) => allows(id, m, q));
  return async (data, name, parts) => {
    if (!parts.some((p) => p.report.verdict === 'unsafe') || parts.some((p) => p.report.verdict === 'malformed')) return undefined;
    const names = new Map<string, [string, string]>();
    for (const p of parts) for (const g of p.report.globals) names.set(`${g.module}\n${g.qualname}`, [g.module, g.qualname]);
    const refused = parts.flatMap((p) => p.report.globals.filter((g) => !g.allowed));
    if (!refused.every((g) => coverable(g.module, g.qualname))) return undefined;
    // Only packs that allow one of the refused names can help: their combinations are the candidates
    // (built per file, so the policies made stay few whatever the number of shipped packs).
    const useful = shipped.filter((id) => refused.some((g) => allows(id, g.module, g.qualname)));
    if (useful.length > MAX_USEFUL) return undefined;
    const candidates = subsets(useful)
      .flatMap((added) => base.filter((b) => !added.some((a) => b.includes(a))).map((b) => [...b, ...added]))
      .sort((a, b) => a.length - b.length || size(a) - size(b));
    let tries = 0;
    for (const args of candidates) {
      const policy = policyOf(args);
      if (policy === null || [...names.values()].some(([m, q]) => policy.resolve(m, q) === undefined)) continue;
      if (tries++ >= MAX_TRIES) return undefined;
      const again = await auditFile(data, { name, policy });
      if (again.every((p) => p.report.verdict === 'safe')) return args;
    }
    return undefined;
  };
}
