/**
 * Known-dangerous Python names, ranked: what a global would let a pickle do if a loader resolved it.
 * Used to give findings a severity and a category; the verdict itself comes from the policy (an
 * allowlist), so a name missing here is still flagged when the policy does not allow it.
 */

import { DENIED_MODULES, DENIED_NAMES } from '../policy/deny.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface Danger {
  readonly severity: Severity;
  readonly category: string;
}

const CODE = { severity: 'critical', category: 'code execution' } as const;
const FILES = { severity: 'high', category: 'file system access' } as const;
const NET = { severity: 'high', category: 'network access' } as const;
const IMPORT = { severity: 'critical', category: 'import machinery' } as const;
const GADGET = { severity: 'high', category: 'getattr-style gadget' } as const;
const NESTED = { severity: 'high', category: 'deserialization inside deserialization' } as const;
const PROCESS = { severity: 'high', category: 'process and interpreter state' } as const;

const BY_LETTER: Readonly<Record<string, Danger>> = { c: CODE, f: FILES, n: NET, i: IMPORT, g: GADGET, p: NESTED, s: PROCESS };

/**
 * The danger of each denied module (with its submodules) and of each denied name, a letter per entry
 * of DENIED_MODULES and DENIED_NAMES in their order (c code, f files, n network, i import, g gadget,
 * p nested deserialization, s process; '.' for none), then the names the deny list leaves to policies.
 */
const MODULE_LETTERS = 'cccffccsciiiippp.pppccc.nnnnnnffffffnpcccc.ss.sccccccis..iiiiiinnnnnnnnnnnncc....ss..fffs......f.................';
const NAME_LETTERS = 'cccgggifcsgggissgcg....gggggggggggg.gggg........g..gpffff.pfcppppcc.';
const MORE_MODULES: readonly (readonly [string, Danger])[] = [['types', PROCESS]];
const MORE_NAMES: readonly (readonly [string, Danger])[] = [
  ['builtins.type', GADGET],
  // joblib's loaders, not its NumpyArrayWrapper, which every joblib file names.
  ['joblib.numpy_pickle.load', NESTED], ['joblib.numpy_pickle._unpickle', NESTED], ['joblib.numpy_pickle.NumpyUnpickler', NESTED],
  ['joblib.numpy_pickle.load_compatibility', NESTED], ['joblib.numpy_pickle_compat.load_compatibility', NESTED],
  ['joblib.dump', FILES], ['joblib.numpy_pickle.dump', FILES],
];

function table(names: readonly string[], letters: string, more: readonly (readonly [string, Danger])[]): ReadonlyMap<string, Danger> {
  if (letters.length !== names.length) throw new Error('catalogue: a letter per deny list entry');
  const out = new Map(more);
  names.forEach((n, i) => BY_LETTER[letters[i]!] && out.set(n, BY_LETTER[letters[i]!]!));
  return out;
}

let MODULES: ReadonlyMap<string, Danger> | undefined;
let NAMES: ReadonlyMap<string, Danger> | undefined;

/** The danger a name carries, or undefined when the catalogue does not know it. */
export function dangerOf(module: string, qualname: string): Danger | undefined {
  NAMES ??= table(DENIED_NAMES, NAME_LETTERS, MORE_NAMES);
  MODULES ??= table(DENIED_MODULES, MODULE_LETTERS, MORE_MODULES);
  const parts = qualname.split('.');
  for (let i = parts.length; i >= 1; i--) {
    const hit = NAMES.get(`${module}.${parts.slice(0, i).join('.')}`);
    if (hit) return hit;
  }
  const mods = module.split('.');
  for (let i = mods.length; i >= 1; i--) {
    const hit = MODULES.get(mods.slice(0, i).join('.'));
    if (hit) return hit;
  }
  if (parts.some((p) => p.startsWith('__') && p.endsWith('__') && p !== '__newobj__' && p !== '__newobj_ex__')) return GADGET;
  return undefined;
}

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
