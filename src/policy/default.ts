import { BUILTIN_RECONSTRUCTORS } from './reconstructors/builtins.js';
import type { Policy, Reconstructor } from './types.js';

/** A policy that allows exactly the given reconstructors, by `module.qualname`. */
export function policyOf(name: string, reconstructors: readonly Reconstructor[]): Policy {
  const byName = new Map(reconstructors.map((r) => [`${r.module}\n${r.qualname}`, r]));
  return Object.freeze({
    name,
    resolve: (module: string, qualname: string) => byName.get(`${module}\n${qualname}`),
  });
}

/**
 * The default policy: Python's builtin types as CPython pickles them at every protocol
 * (set, frozenset, bytes, bytearray, complex via their constructors, `_codecs.encode`,
 * `copyreg._reconstructor` of those types) and `collections.OrderedDict`. Nothing else.
 */
export const DEFAULT_POLICY: Policy = policyOf('default', BUILTIN_RECONSTRUCTORS);
