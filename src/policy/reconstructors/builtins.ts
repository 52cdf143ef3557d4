/** Reconstructors for Python's builtin types, as CPython's own pickles of them call them. */
import { PyByteArray } from '../../model/bytearray.js';
import { PyComplex } from '../../model/complex.js';
import { PyFloat } from '../../model/float.js';
import { PyFrozenSet } from '../../model/frozenset.js';
import { PyGlobal } from '../../model/global.js';
import { CHILDREN } from '../../model/children.js';
import { shown } from '../../model/pytext.js';
import { REDUCE, type Reduction } from '../../model/reduce.js';
import { isHashable } from '../../model/hashable.js';
import type { Reconstructor } from '../types.js';
import { arity, describe, fail, unsupported, mustBe } from './check.js';
import { reconstructorCall } from './stdlib.js';

/** Items for a set or frozenset: each must be hashable, as Python requires. */
function hashableItems(name: string, value: unknown): unknown[] {
  const items = iterate(name, value);
  for (const item of items) if (!isHashable(item)) fail(`${name}() items must be hashable; the pickle gave ${describe(item)}`);
  return items;
}

/** Items of a Python iterable as pickles pass them to set(), frozenset(), bytes(), … */
function iterate(name: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (typeof value === 'string') return [...value];
  if (value instanceof Uint8Array) return Array.from(value);
  return fail(`${name}() needs an iterable, the pickle gave ${describe(value)}`);
}

const LATIN1 = new Set(['latin1', 'latin-1', 'latin_1', 'iso-8859-1', 'iso8859-1', 'l1']);
const UTF8 = new Set(['utf-8', 'utf8', 'utf_8']);
const ASCII = new Set(['ascii', 'us-ascii']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `str.encode(encoding)` for the encodings CPython's pickles use (latin-1) and the common ones. */
function encode(text: unknown, encoding: unknown, errors: unknown): Uint8Array {
  if (typeof text !== 'string') fail(`encode() needs a str, the pickle gave ${describe(text)}`);
  if (typeof encoding !== 'string') fail('encode() needs the encoding as a str');
  if (errors !== undefined && errors !== 'strict') unsupported(`encode() with errors=${typeof errors === 'string' ? shown(errors) : describe(errors)} is not supported`);
  const enc = encoding.toLowerCase();
  if (LATIN1.has(enc) || ASCII.has(enc)) {
    const limit = LATIN1.has(enc) ? 0xff : 0x7f;
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > limit) fail(`${shown(encoding)} codec can't encode character at position ${i}`);
      out[i] = c;
    }
    return out;
  }
  if (UTF8.has(enc)) {
    if (LONE_SURROGATE.test(text)) fail("'utf-8' codec can't encode surrogates");
    return new TextEncoder().encode(text);
  }
  return unsupported(`encode() with encoding ${shown(encoding)} is not supported`);
}

function toBytes(name: string, args: readonly unknown[]): Uint8Array {
  arity(name, args, 0, 3);
  if (args.length === 0) return new Uint8Array(0);
  const [source, encoding, errors] = args;
  if (typeof source === 'string') return encode(source, encoding, errors);
  if (args.length > 1) fail(`${name}() takes an encoding only with a str`);
  if (source instanceof Uint8Array) return source.slice();
  if (typeof source === 'number' || typeof source === 'bigint') {
    return unsupported(`${name}(int) is not supported: it allocates what the pickle says`);
  }
  const items = iterate(name, source);
  const out = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const b = items[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) fail(`${name}() items must be ints in range(256)`);
    out[i] = b;
  }
  return out;
}

function toNumber(name: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isFinite(n)) fail(`${name}(): int too large to convert to float`);
    return n;
  }
  return fail(`${name}() needs numbers, the pickle gave ${describe(value)}`);
}

function reconstructor(module: string, qualname: string, parts: Omit<Reconstructor, 'module' | 'qualname'>): Reconstructor {
  return Object.freeze({ module, qualname, ...parts });
}

export const builtinSet = reconstructor('builtins', 'set', {
  call(args) {
    arity('set', args, 0, 1);
    return new Set(args.length ? hashableItems('set', args[0]) : []);
  },
  newObject: () => new Set(),
});

export const builtinFrozenset = reconstructor('builtins', 'frozenset', {
  call(args) {
    arity('frozenset', args, 0, 1);
    return new PyFrozenSet(args.length ? hashableItems('frozenset', args[0]) : []);
  },
  newObject: () => new PyFrozenSet(),
});

export const builtinBytes = reconstructor('builtins', 'bytes', {
  call: (args) => toBytes('bytes', args),
  newObject: () => new Uint8Array(0),
});

export const builtinBytearray = reconstructor('builtins', 'bytearray', {
  call: (args) => PyByteArray.copyOf(toBytes('bytearray', args)),
  newObject: () => new PyByteArray(0),
});

export const builtinComplex = reconstructor('builtins', 'complex', {
  call(args) {
    arity('complex', args, 0, 2);
    return new PyComplex(args.length > 0 ? toNumber('complex', args[0]) : 0, args.length > 1 ? toNumber('complex', args[1]) : 0);
  },
});

export const codecsEncode = reconstructor('_codecs', 'encode', {
  call(args) {
    arity('encode', args, 1, 3);
    return encode(args[0], args.length > 1 ? args[1] : 'utf-8', args[2]);
  },
});

/**
 * `collections.OrderedDict`: a Map subclass, so the pickler can write it back as an OrderedDict.
 * `attributes` is the instance `__dict__` a pickle gave it with BUILD (a PyTorch state dict's
 * `_metadata`), or null; it is written back as the BUILD state, as `OrderedDict.__reduce__` does.
 */
export class PyOrderedDict<K = unknown, V = unknown> extends Map<K, V> {
  attributes: Map<string, unknown> | null = null;

  /** Keys, values and attribute values, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    const out: unknown[] = [];
    for (const [k, v] of this) out.push(k, v);
    if (this.attributes !== null) out.push(this.attributes);
    return out;
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('collections', 'OrderedDict'), args: [], state: this.attributes, listitems: null, dictitems: this };
  }
}

export const collectionsOrderedDict = reconstructor('collections', 'OrderedDict', {
  call(args) {
    arity('OrderedDict', args, 0, 1);
    const d = new PyOrderedDict();
    if (args.length) {
      const source = args[0];
      const pairs = source instanceof Map ? [...source] : iterate('OrderedDict', source);
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2) fail('OrderedDict() items must be key/value pairs');
        if (!isHashable(pair[0])) fail('OrderedDict() keys must be hashable');
        d.set(pair[0], pair[1]);
      }
    }
    return d;
  },
  newObject: () => new PyOrderedDict(),
  /** BUILD: `od.__dict__.update(state)`, once, with str attribute names (a None state is a no-op). */
  setState(target, state) {
    if (!(target instanceof PyOrderedDict) || target.attributes !== null) return fail('OrderedDict attributes apply once, to a new OrderedDict');
    if (state === null) return target;
    if (!(state instanceof Map)) return mustBe('OrderedDict state', 'a dict of attributes', state);
    const attributes = new Map<string, unknown>();
    for (const [k, v] of state) {
      if (typeof k !== 'string') return fail('OrderedDict attribute names must be str');
      attributes.set(k, v);
    }
    target.attributes = attributes;
    return target;
  },
});

/** The builtin types `copyreg._reconstructor` may rebuild, by qualname. */
export const RECONSTRUCTIBLE: ReadonlyMap<string, Reconstructor> = new Map(
  [builtinSet, builtinFrozenset, builtinBytes, builtinBytearray, builtinComplex].map((r) => [r.qualname, r]),
);

/**
 * `copyreg._reconstructor(cls, base, state)`: `base(state)` for the builtin types, and
 * `object.__new__(cls)` for classes the policy allows with "new".
 */
export const copyregReconstructor = reconstructor('copyreg', '_reconstructor', {
  call: (args, context) => reconstructorCall(args, context),
});

export const BUILTIN_RECONSTRUCTORS: readonly Reconstructor[] = [
  builtinSet,
  builtinFrozenset,
  builtinBytes,
  builtinBytearray,
  builtinComplex,
  codecsEncode,
  collectionsOrderedDict,
  copyregReconstructor,
];

