import { STDLIB_KNOWN_DEFS } from './known-stdlib.js';
import { PairMap } from './pairs.js';
import { policyFromPacks } from './registry.js';
import { PACK_PYTHON_BUILTINS, PACK_PYTHON_STDLIB, SHIPPED_PACKS } from './shipped.js';
import type { Policy, Reconstructor } from './types.js';

/** A policy that allows exactly the given reconstructors, with every capability they have, by `module.qualname`. */
export function policyOf(name: string, reconstructors: readonly Reconstructor[]): Policy {
  const byName = new PairMap<Reconstructor>();
  for (const r of reconstructors) byName.set(r.module, r.qualname, r);
  return Object.freeze({
    name,
    resolve: (module: string, qualname: string) => byName.get(module, qualname),
  });
}

/** A shipped pack by id (its newest version). */
export function shippedPack(id: string): unknown {
  const found = SHIPPED_PACKS.filter((p) => p.pack.id === id);
  if (found.length === 0) throw new Error(`no shipped pack '${id}'`);
  return found[found.length - 1];
}

/**
 * The default policy: the shipped `python-stdlib` pack, which extends `python-builtins` (Python's
 * builtin types as CPython pickles them at every protocol, plus stdlib data types such as datetime,
 * Decimal, UUID and the collections). Nothing that touches the OS, imports or calls arbitrary code.
 */
export const DEFAULT_POLICY: Policy = /*#__PURE__*/ policyFromPacks(
  // Only its own packs and their reconstructors, so `loads` bundles no other pack's code.
  { defs: STDLIB_KNOWN_DEFS, packs: [PACK_PYTHON_BUILTINS] },
  [PACK_PYTHON_STDLIB],
  { name: 'default' },
);
