import { PyByteArray } from './bytearray.js';
import { PyFrozenSet } from './frozenset.js';
import { PyTuple } from './tuple.js';

/**
 * Whether Python's hash() accepts the value, so it may be a dict key or set item: not a list,
 * dict, set or bytearray, nor a tuple holding one (at any depth; tuples cannot form cycles).
 */
export function isHashable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!(value instanceof PyTuple)) return !isMutableContainer(value);
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const t = pending.pop() as PyTuple;
    for (let i = 0; i < t.length; i++) {
      const item = t[i];
      if (typeof item !== 'object' || item === null) continue;
      if (item instanceof PyTuple) pending.push(item);
      else if (isMutableContainer(item)) return false;
    }
  }
  return true;
}

function isMutableContainer(value: object): boolean {
  return (
    Array.isArray(value) ||
    value instanceof Map ||
    (value instanceof Set && !(value instanceof PyFrozenSet)) ||
    value instanceof PyByteArray ||
    Object.getPrototypeOf(value) === null
  );
}
