/** Reading packs: validation with paths, the deny list, digests. */
import { PolicyError, type PolicyIssue } from '../errors.js';
import { PairMap } from './pairs.js';
import { denialOf } from './deny.js';
import { packDigest } from './digest.js';
import { checkPack } from './pack-check.js';
import type { Pack } from './schema.js';

/** A validated pack and its content digest. */
export interface LoadedPack {
  readonly pack: Pack;
  readonly digest: string;
}

/**
 * Validate pack JSON (a parsed object or a JSON string). Throws `PolicyError` listing every problem
 * with its path: schema errors, duplicate names, names on the hard deny list.
 */
export function parsePack(input: unknown, where = ''): LoadedPack {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new PolicyError('invalid_pack', `${where || 'pack'} is not JSON: ${(e as Error).message}`);
    }
  }
  const prefix = (p: string) => (where ? (p ? `${where}.${p}` : where) : p);
  const checked = checkPack(json);
  if (checked.issues) {
    const issues: PolicyIssue[] = checked.issues.map((i) => ({ ...i, path: prefix(i.path) }));
    throw new PolicyError('invalid_pack', `${where || 'the pack'} is not a valid policy pack`, issues);
  }
  const pack = checked.pack;
  const issues: PolicyIssue[] = [];
  const seen = new PairMap<number>();
  pack.entries.forEach((entry, i) => {
    const name = `${entry.module}.${entry.qualname}`;
    const denied = denialOf(entry.module, entry.qualname);
    if (denied !== undefined) issues.push({ path: prefix(`entries[${i}]`), code: 'denied_name', message: `${name}: ${denied}; no pack can allow it` });
    const first = seen.get(entry.module, entry.qualname);
    if (first !== undefined) issues.push({ path: prefix(`entries[${i}]`), code: 'duplicate_entry', message: `${name} is already named by entries[${first}]` });
    else seen.set(entry.module, entry.qualname, i);
    if (entry.via === 'getattr' && !entry.qualname.includes('.')) {
      issues.push({ path: prefix(`entries[${i}].via`), code: 'invalid_via', message: 'via "getattr" needs a qualname of the form Class.attribute' });
    }
  });
  if (issues.length) throw new PolicyError('invalid_pack', `${where || `pack '${pack.id}'`} cannot be used`, issues);
  return Object.freeze({ pack: deepFreeze(pack), digest: packDigest(pack) });
}

/** Freezes a value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return value;
}
