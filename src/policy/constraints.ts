/** Checks a value against a pack's declarative constraint (TypeSpec), before any reconstructor sees it. */
import { PyByteArray } from '../model/bytearray.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { PyGlobal } from '../model/global.js';
import { PyTuple } from '../model/tuple.js';
import type { SpecType, TypeSpec } from './schema.js';

/** The Python kind of a loaded value, as a constraint names it. */
export function kindOf(value: unknown): SpecType | 'other' {
  if (value === null) return 'none';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    case 'object':
      if (value instanceof PyTuple) return 'tuple';
      if (Array.isArray(value)) return 'list';
      if (value instanceof PyByteArray) return 'bytearray';
      if (value instanceof Uint8Array) return 'bytes';
      if (value instanceof PyFrozenSet) return 'frozenset';
      if (value instanceof Set) return 'set';
      if (value instanceof Map) return 'dict';
      if (value instanceof PyFloat) return 'float';
      if (value instanceof PyGlobal) return 'global';
      return 'other';
    default:
      return 'other';
  }
}

function matchesType(want: SpecType, have: SpecType | 'other'): boolean {
  if (want === 'any' || want === have) return true;
  // Without `exact`, an integral float loads as a number: a float constraint accepts ints too.
  return want === 'float' && have === 'int';
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string') {
    let n = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff || i + 1 >= value.length) n++;
      else {
        const d = value.charCodeAt(i + 1);
        n++;
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
    return n;
  }
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  return undefined;
}

function numeric(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PyFloat) return value.value;
  return undefined;
}

/** A pickle's text in a message, at most 60 characters of it. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** The names a constraint allows, for a message: the first few and how many (a pack may list dozens). */
function nameList(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} or ${names.length - 3} more the policy names`;
}

/**
 * Why `value` violates `spec`, or undefined when it satisfies it. `path` names the place for the
 * message (`args[1]`). Bounded by the spec's own size: items are only walked where the spec asks.
 */
export function violation(spec: TypeSpec, value: unknown, path: string): string | undefined {
  if (spec.oneOf !== undefined) {
    const reasons: string[] = [];
    for (const alternative of spec.oneOf) {
      const why = violation(alternative, value, path);
      if (why === undefined) {
        reasons.length = 0;
        break;
      }
      reasons.push(why);
    }
    if (reasons.length > 0) return reasons.join('; or ');
  }
  const kind = kindOf(value);
  if (spec.type !== undefined && !matchesType(spec.type, kind)) return `${path} must be ${spec.type}, the pickle gave ${kind}`;
  if (spec.minLength !== undefined || spec.maxLength !== undefined) {
    const n = lengthOf(value);
    if (n === undefined) return `${path} has no length`;
    if (spec.minLength !== undefined && n < spec.minLength) return `${path} has length ${n}, below ${spec.minLength}`;
    if (spec.maxLength !== undefined && n > spec.maxLength) return `${path} has length ${n}, above ${spec.maxLength}`;
  }
  if (spec.min !== undefined || spec.max !== undefined) {
    const x = numeric(value);
    if (x === undefined) return `${path} is not a number`;
    if (spec.min !== undefined && x < spec.min) return `${path} is below ${spec.min}`;
    if (spec.max !== undefined && x > spec.max) return `${path} is above ${spec.max}`;
  }
  if (spec.names !== undefined) {
    if (!(value instanceof PyGlobal)) return `${path} must be one of ${nameList(spec.names)}`;
    if (!spec.names.includes(`${value.module}.${value.qualname}`)) return `${path} is ${clip(value.toString())}, not one of ${nameList(spec.names)}`;
  }
  if (spec.items !== undefined) {
    const items = Array.isArray(value) ? value : value instanceof Set ? [...value] : undefined;
    if (items === undefined) return `${path} has no items`;
    if (Array.isArray(spec.items)) {
      if (items.length > spec.items.length) return `${path} has ${items.length} items, the policy describes ${spec.items.length}`;
      for (let i = 0; i < items.length; i++) {
        const why = violation(spec.items[i]!, items[i], `${path}[${i}]`);
        if (why !== undefined) return why;
      }
    } else {
      for (let i = 0; i < items.length; i++) {
        const why = violation(spec.items, items[i], `${path}[${i}]`);
        if (why !== undefined) return why;
      }
    }
  }
  if (spec.keys !== undefined || spec.values !== undefined) {
    if (!(value instanceof Map)) return `${path} is not a dict`;
    for (const [k, v] of value) {
      const why =
        (spec.keys && violation(spec.keys, k, `${path} key`)) || (spec.values && violation(spec.values, v, `${path}[${typeof k === 'string' ? JSON.stringify(clip(k)) : kindOf(k)}]`));
      if (why) return why;
    }
  }
  return undefined;
}
