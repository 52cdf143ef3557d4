/**
 * Fuzzing tools: a seeded PRNG, an opcode-aware random pickle generator, mutators of real pickles,
 * the per-input oracle (returns or throws a PickleError that is not ours, with a sane offset and
 * opcode; the value is inert data) and a shrinker for failing inputs.
 */
import {
  loads,
  OPCODES,
  PickleError,
  PyComplex,
  PyFloat,
  PyGlobal,
  PyTuple,
  PyObject,
  PyDate,
  PyTime,
  PyDatetime,
  PyTimedelta,
  PyTimezone,
  PyDecimal,
  PyFraction,
  PyUUID,
  PyZoneInfo,
  PyRange,
  PySlice,
  PyPath,
  PyIPAddress,
  PyPattern,
  PyTzInfo,
  PyArray,
  PyException,
  PyNamespace,
  Unpickler,
  type LoadOptions,
  type OpcodeInfo,
} from '../../src/index.js';

/** Frozen value classes the default (python-stdlib) policy returns. */
const STDLIB_VALUES = [PyDate, PyTime, PyDatetime, PyTimedelta, PyTimezone, PyDecimal, PyFraction, PyUUID, PyZoneInfo, PyRange, PySlice, PyPath, PyIPAddress, PyPattern, PyTzInfo];

// ---- PRNG ----

/** xoshiro128** seeded through splitmix32: fast, 32-bit, reproducible. */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = Uint32Array.of(next(), next(), next(), next());
  }

  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** 0 <= x < n. */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }

  /** lo <= x <= hi. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.u32() & 0xff);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---- byte helpers ----

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const le = (n: bigint, size: number): number[] => Array.from({ length: size }, (_, i) => Number((BigInt.asUintN(64, n) >> BigInt(8 * i)) & 0xffn));
export const toHex = (b: Uint8Array | number[]): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export const OPCODE_BYTES: readonly number[] = OPCODES.map((o) => o.code);

/** Interesting 4- and 8-byte little-endian values for length and index fields. */
const HUGE4 = [0xffffffffn, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0x40000000n, 0x10000n, 0x1000n];
const HUGE8 = [...HUGE4, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 1n << 53n, (1n << 53n) + 1n, 1n << 32n, 0x100000000000n];
const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x30, 0x31, 0x5c, 0x27];

// ---- the opcode-aware generator ----

const INT_LINES = ['0', '1', '00', '01', '-1', '+7', ' 3', '3 ', '1_0', '123456789012345678901234567890', '-9007199254740993', '0x10', '', 'abc', '2147483648', '99999999999', '4294967296'];
const FLOAT_LINES = ['1.5', '-0.0', '0', 'nan', 'inf', '-inf', 'Infinity', '1e400', '1e-400', '1_0.5', '0x1p3', '.5', '5.', 'abc', '', ' 2.5 ', '1e', '--1'];
const STRING_LINES = ["'abc'", '"abc"', "'a\\x41'", "'\\n\\t\\\\'", "'\\377'", "'unterminated", "'\\xZZ'", "''", "'", '"\'', "'a'b'", "'\\'"];
const UNICODE_LINES = ['abc', '\\u0041', '\\U0001f600', '\\ud800', '\\uZZZZ', '\\U00110000', '\\', '\\x41', 'caf\xe9', '\\u00'];
const GLOBALS: readonly [string, string][] = [
  ['builtins', 'set'],
  ['builtins', 'frozenset'],
  ['builtins', 'bytes'],
  ['builtins', 'bytearray'],
  ['builtins', 'complex'],
  ['__builtin__', 'set'],
  ['__builtin__', 'bytearray'],
  ['copy_reg', '_reconstructor'],
  ['copyreg', '_reconstructor'],
  ['collections', 'OrderedDict'],
  ['_codecs', 'encode'],
  ['builtins', 'object'],
  ['os', 'system'],
  ['builtins', 'eval'],
  ['__proto__', 'constructor'],
  ['builtins', '__proto__'],
  ['UserDict', 'UserDict'],
  ['builtins', 'getattr'],
];

function counted(rng: Rng, lenSize: 1 | 4 | 8, payload: () => number[]): number[] {
  let body = payload();
  if (rng.chance(0.1)) body = body.slice(0, rng.int(body.length + 1));
  let n = BigInt(body.length);
  if (rng.chance(0.08)) n = rng.pick(lenSize === 8 ? HUGE8 : HUGE4);
  if (lenSize === 1) return [Number(n & 0xffn), ...body];
  return [...le(n, lenSize), ...body];
}

const UTF8_GOOD = [ascii('ab'), ascii('builtins'), ascii('__proto__'), [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf]];
const UTF8_BAD = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0x80], [0xc3], [0xf0, 0x9f]];

/** Mostly valid UTF-8 (lone surrogates included, as CPython's surrogatepass reads them), sometimes not. */
function utf8ish(rng: Rng): number[] {
  const parts: number[][] = [];
  for (let i = rng.int(6); i > 0; i--) parts.push(rng.pick(rng.chance(0.9) ? UTF8_GOOD : UTF8_BAD));
  return parts.flat();
}

/** Opcodes that fail unless options provide something (extensions, buffers, persistent ids). */
const RARELY = new Set(['EXT1', 'EXT2', 'EXT4', 'PERSID', 'BINPERSID', 'NEXT_BUFFER', 'READONLY_BUFFER'].map((n) => OPCODES.find((o) => o.name === n)!.code));

function argOf(rng: Rng, op: OpcodeInfo, memo: number[]): number[] {
  if ((op.name === 'BINGET' || op.name === 'LONG_BINGET' || op.name === 'GET') && memo.length && rng.chance(0.8)) {
    const i = rng.pick(memo);
    return op.name === 'BINGET' ? [i & 0xff] : op.name === 'GET' ? [...ascii(String(i)), 10] : le(BigInt(i), 4);
  }
  switch (op.arg) {
    case null:
      return [];
    case 'uint1':
      return [rng.chance(0.7) ? rng.int(6) : rng.int(256)];
    case 'uint2':
      return rng.chance(0.7) ? [rng.int(6), 0] : rng.bytes(2);
    case 'int4':
    case 'uint4':
      return rng.chance(0.5) ? [rng.int(6), 0, 0, 0] : rng.chance(0.5) ? le(rng.pick(HUGE4), 4) : rng.bytes(4);
    case 'uint8':
      return rng.chance(0.5) ? le(BigInt(rng.int(40)), 8) : le(rng.pick(HUGE8), 8);
    case 'float8':
      return rng.chance(0.5) ? rng.bytes(8) : rng.pick([[0x3f, 0xf8, 0, 0, 0, 0, 0, 0], [0x80, 0, 0, 0, 0, 0, 0, 0], [0x7f, 0xf8, 0, 0, 0, 0, 0, 1], [0x7f, 0xf0, 0, 0, 0, 0, 0, 0]]);
    case 'long1':
      return counted(rng, 1, () => rng.bytes(rng.pick([0, 1, 2, 7, 8, 9, 16])));
    case 'long4':
      return counted(rng, 4, () => rng.bytes(rng.pick([0, 1, 8, 9, 40])));
    case 'string1':
    case 'bytes1':
      return counted(rng, 1, () => rng.bytes(rng.int(12)));
    case 'string4':
    case 'bytes4':
      return counted(rng, 4, () => rng.bytes(rng.int(12)));
    case 'bytes8':
    case 'bytearray8':
      return counted(rng, 8, () => rng.bytes(rng.int(12)));
    case 'unicodestring1':
      return counted(rng, 1, () => utf8ish(rng));
    case 'unicodestring4':
      return counted(rng, 4, () => utf8ish(rng));
    case 'unicodestring8':
      return counted(rng, 8, () => utf8ish(rng));
    case 'decimalnl_short':
      return [...ascii(rng.pick(INT_LINES)), 10];
    case 'decimalnl_long':
      return [...ascii(rng.pick(INT_LINES) + (rng.chance(0.6) ? 'L' : '')), 10];
    case 'floatnl':
      return [...ascii(rng.pick(FLOAT_LINES)), 10];
    case 'stringnl':
      return [...ascii(rng.pick(STRING_LINES)), 10];
    case 'stringnl_noescape':
      return rng.chance(0.8) ? [...ascii(rng.pick(['abc', '1', '', 'x y'])), 10] : [...rng.bytes(rng.int(4)), 10];
    case 'stringnl_noescape_pair': {
      if (rng.chance(0.15)) return [...utf8ish(rng), 10, ...utf8ish(rng), 10];
      const [m, q] = rng.pick(GLOBALS);
      return [...ascii(m), 10, ...ascii(q), 10];
    }
    case 'unicodestringnl':
      return rng.chance(0.8) ? [...ascii(rng.pick(UNICODE_LINES)), 10] : [...rng.bytes(rng.int(6)), 10];
  }
}

/** Stack shape of each opcode for the generator: items popped, whether a MARK is consumed, items pushed. */
const SHAPES = new Map(
  OPCODES.map((o) => {
    const markAt = o.before.indexOf('mark');
    const below = markAt < 0 ? o.before.length : markAt;
    const aboveMin = markAt < 0 ? 0 : o.before.filter((k, i) => i > markAt && k !== 'stackslice').length;
    return [o.code, { below, aboveMin, usesMark: markAt >= 0, pushes: o.name === 'MARK' ? 0 : o.after.length }];
  }),
);

/**
 * A random byte string of up to `maxLength` bytes that is mostly opcodes with plausible arguments,
 * chosen (most of the time) so the stack would not underflow, often with a PROTO first and a STOP
 * last; some bytes are plain random.
 */
export function randomPickle(rng: Rng, maxLength = 200): Uint8Array {
  const target = rng.int(maxLength + 1);
  const out: number[] = [];
  if (rng.chance(0.5)) out.push(0x80, rng.chance(0.9) ? rng.int(6) : rng.int(256));
  let depth = 0;
  const marks: number[] = [];
  const memo: number[] = [];
  while (out.length < target) {
    const r = rng.u32() / 0x100000000;
    if (r < 0.03) {
      out.push(rng.int(256));
      continue;
    }
    if (r < 0.08) {
      // A global by STACK_GLOBAL, often one the default policy allows.
      const [m, q] = rng.pick(GLOBALS);
      out.push(0x8c, m.length, ...ascii(m), 0x8c, q.length, ...ascii(q), 0x93);
      depth++;
      continue;
    }
    let op = rng.pick(OPCODES);
    if (rng.chance(0.85)) {
      for (let tries = 0; tries < 8; tries++) {
        const shape = SHAPES.get(op.code)!;
        const base = shape.usesMark ? (marks.length ? marks[marks.length - 1]! : -1) : 0;
        const ok = shape.usesMark ? base >= shape.below && depth - base >= shape.aboveMin : depth - (marks.length ? marks[marks.length - 1]! : 0) >= shape.below;
        if (ok && op.name !== 'STOP' && !(RARELY.has(op.code) && rng.chance(0.8))) break;
        op = rng.pick(OPCODES);
      }
    }
    const shape = SHAPES.get(op.code)!;
    if (op.name === 'MARK') marks.push(depth);
    else if (shape.usesMark) depth = Math.max(0, (marks.pop() ?? depth) - shape.below) + shape.pushes;
    else depth = Math.max(0, depth - shape.below) + shape.pushes;
    const arg = argOf(rng, op, memo);
    out.push(op.code, ...arg);
    if (op.name === 'MEMOIZE') memo.push(memo.length);
    else if (op.name === 'BINPUT') memo.push(arg[0]!);
    else if (op.name === 'LONG_BINPUT') memo.push(arg[0]! | (arg[1]! << 8));
    if (op.name === 'STOP') break;
  }
  if (out[out.length - 1] !== 0x2e && rng.chance(0.7)) out.push(0x2e);
  return Uint8Array.from(out);
}

// ---- mutators ----

/** Offsets just after opcodes that carry a 4- or 8-byte length or index. */
function lengthFieldOffsets(data: Uint8Array): { at: number; size: 4 | 8 }[] {
  const out: { at: number; size: 4 | 8 }[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x58 || b === 0x42 || b === 0x54 || b === 0x8b || b === 0x6a || b === 0x72 || b === 0x4a) out.push({ at: i + 1, size: 4 });
    else if (b === 0x8d || b === 0x8e || b === 0x96 || b === 0x95) out.push({ at: i + 1, size: 8 });
  }
  return out;
}

type Mutator = (rng: Rng, d: number[], other: Uint8Array) => number[];

const MUTATORS: readonly [string, Mutator][] = [
  ['bitflip', (rng, d) => {
    if (d.length === 0) return d;
    for (let k = rng.range(1, 4); k > 0; k--) {
      const i = rng.int(d.length);
      d[i] = d[i]! ^ (1 << rng.int(8));
    }
    return d;
  }],
  ['interesting-byte', (rng, d) => {
    if (d.length === 0) return d;
    d[rng.int(d.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.pick(OPCODE_BYTES);
    return d;
  }],
  ['insert', (rng, d) => {
    const bytes = rng.chance(0.6) ? [rng.pick(OPCODE_BYTES)] : rng.chance(0.5) ? [rng.pick(INTERESTING_BYTES)] : rng.bytes(rng.range(1, 8));
    d.splice(rng.int(d.length + 1), 0, ...bytes);
    return d;
  }],
  ['delete', (rng, d) => {
    if (d.length === 0) return d;
    const i = rng.int(d.length);
    d.splice(i, rng.chance(0.6) ? 1 : rng.range(1, 16));
    return d;
  }],
  ['splice', (rng, d, other) => {
    const a = d.slice(0, rng.int(d.length + 1));
    const b = Array.from(other.subarray(rng.int(other.length + 1)));
    return [...a, ...b];
  }],
  ['huge-length', (rng, d) => {
    const fields = lengthFieldOffsets(Uint8Array.from(d)).filter((f) => f.at + f.size <= d.length);
    const size = fields.length && rng.chance(0.8) ? undefined : rng.pick([4, 8] as const);
    const f = size === undefined ? rng.pick(fields) : { at: rng.int(Math.max(1, d.length - size + 1)), size };
    const bytes = le(rng.pick(f.size === 8 ? HUGE8 : HUGE4), f.size);
    for (let k = 0; k < f.size; k++) d[f.at + k] = bytes[k]!;
    return d;
  }],
  ['duplicate', (rng, d) => {
    if (d.length === 0) return d;
    const a = rng.int(d.length);
    const b = Math.min(d.length, a + rng.range(1, 32));
    const copies = rng.chance(0.2) ? rng.range(2, 20) : 1;
    const chunk = d.slice(a, b);
    const at = rng.int(d.length + 1);
    for (let k = 0; k < copies; k++) d.splice(at, 0, ...chunk);
    return d;
  }],
  ['truncate', (rng, d) => d.slice(0, rng.int(d.length + 1))],
];

/** One to four stacked mutations of `seed` (using `other` for splicing), capped at `maxLength` bytes. */
export function mutate(rng: Rng, seed: Uint8Array, other: Uint8Array, maxLength = 8192): { data: Uint8Array; how: string[] } {
  let d = Array.from(seed);
  const how: string[] = [];
  for (let k = rng.chance(0.6) ? 1 : rng.range(2, 4); k > 0; k--) {
    const [name, f] = rng.pick(MUTATORS);
    how.push(name);
    d = f(rng, d, other);
    if (d.length > maxLength) d.length = maxLength;
  }
  return { data: Uint8Array.from(d), how };
}

// ---- the oracle ----

/** Problems with the value a successful load returned: anything that is not inert data. */
export function valueProblem(root: unknown, options: LoadOptions | undefined): string | null {
  const seen = new Set<object>();
  // [value, reached only through values (not through a dict key or set item)]
  const stack: [unknown, boolean][] = [[root, true]];
  let budget = 1_000_000;
  while (stack.length > 0 && budget-- > 0) {
    const [v, viaValues] = stack.pop()!;
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') continue;
    if (typeof v !== 'object') return `a ${typeof v} in the result`;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Uint8Array || v instanceof PyGlobal || v instanceof PyFloat || v instanceof PyComplex) continue;
    if (Array.isArray(v)) {
      if (v instanceof PyTuple && !Object.isFrozen(v)) return 'a tuple that is not frozen';
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return 'an array with a hole';
        stack.push([v[i], viaValues]);
      }
      continue;
    }
    if (v instanceof Map) {
      if (viaValues && options?.dicts === 'object' && Object.getPrototypeOf(v) === Map.prototype && [...v.keys()].every((k) => typeof k === 'string')) {
        return 'a str-keyed dict left as a Map with dicts: object';
      }
      for (const [k, x] of v) stack.push([k, false], [x, viaValues]);
      continue;
    }
    if (v instanceof Set) {
      for (const x of v) stack.push([x, false]);
      continue;
    }
    if (Object.getPrototypeOf(v) === null) {
      for (const k of Reflect.ownKeys(v)) {
        if (typeof k !== 'string') return 'a symbol key in a dict object';
        const d = Object.getOwnPropertyDescriptor(v, k)!;
        if (!('value' in d)) return `an accessor property ${k} in a dict object`;
        stack.push([d.value, viaValues]);
      }
      continue;
    }
    if (STDLIB_VALUES.some((cls) => v instanceof cls)) {
      // Value classes of the stdlib pack: frozen, own data properties only.
      if (!Object.isFrozen(v)) return `a ${(v as object).constructor.name} that is not frozen`;
      for (const k of Reflect.ownKeys(v)) {
        const d = Object.getOwnPropertyDescriptor(v, k)!;
        if (!('value' in d)) return `an accessor property on a ${(v as object).constructor.name}`;
        if (d.value !== undefined) stack.push([d.value, viaValues]); // PyUUID.isSafe may be absent
      }
      continue;
    }
    if (v instanceof PyArray) {
      // Frozen, with a typed array of numbers (or code points) as its items.
      if (!Object.isFrozen(v) || !ArrayBuffer.isView(v.items)) return 'a PyArray that is not frozen typed data';
      continue;
    }
    if (v instanceof PyException || v instanceof PyNamespace) {
      // Records whose attributes are our own Map of str names (not a pickled dict), as PyObject's state is the pickle's.
      const attrs = v instanceof PyException ? v.state ?? new Map() : v.attributes;
      if ([...attrs.keys()].some((k) => typeof k !== 'string')) return 'an attribute name that is not a str';
      // dicts: 'object' rewrites the containers it walks (lists, tuples, dicts), not records' attributes.
      if (v instanceof PyException) stack.push([v.args, false]);
      for (const x of attrs.values()) stack.push([x, false]);
      continue;
    }
    if (v instanceof PyObject) {
      stack.push([v.callable, viaValues], [v.args, viaValues], [v.kwargs, viaValues], [v.state ?? null, viaValues], [v.listitems, viaValues], [v.dictitems, viaValues]);
      continue;
    }
    return `a ${(v as object).constructor?.name ?? 'prototype-less?'} in the result`;
  }
  return null;
}

/** What is wrong with how `run` ended on `input` (null: fine). */
export function outcomeProblem(input: Uint8Array, run: () => unknown, options: LoadOptions | undefined): string | null {
  let value: unknown;
  try {
    value = run();
  } catch (e) {
    if (!(e instanceof PickleError)) return `threw a non-PickleError ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e)}`;
    if (e.code === 'internal_error') return `internal_error: ${e.message}; cause ${String((e as { cause?: unknown }).cause)}`;
    if (typeof e.offset !== 'number' || !Number.isInteger(e.offset) || e.offset < 0 || e.offset > input.length) {
      return `bad offset ${String(e.offset)} for a ${input.length}-byte input (${e.code}: ${e.message})`;
    }
    if (e.offset < input.length && e.opcode === undefined) return `no opcode for offset ${e.offset} < ${input.length} (${e.code}: ${e.message})`;
    if (e.opcode !== undefined && e.offset < input.length && e.opcode.byte !== input[e.offset]) {
      return `opcode ${e.opcode.name} is not the byte at offset ${e.offset} (${e.code}: ${e.message})`;
    }
    if (typeof e.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(e.code)) return `bad code ${String(e.code)}`;
    return null;
  }
  return valueProblem(value, options);
}

/** The failure kind of a problem message, to keep shrinking on the same bug. */
export const problemKind = (p: string): string => p.replace(/\d+/g, '#').slice(0, 60);

/** Check `loads(input, options)`; returns the problem or null. */
export function checkLoads(input: Uint8Array, options?: LoadOptions): string | null {
  return outcomeProblem(input, () => loads(input, options), options);
}

/** Check one `Unpickler` reused across inputs: `reset(input)` then `load()`. */
export function checkUnpickler(u: Unpickler, input: Uint8Array, options?: LoadOptions): string | null {
  return outcomeProblem(
    input,
    () => {
      u.reset(input);
      return u.load();
    },
    options,
  );
}

/**
 * Shrink `input` while `fails` stays true: drop chunks of halving sizes, then single bytes, then
 * try replacing bytes with 0x00. Bounded by `maxTries` calls.
 */
export function shrink(input: Uint8Array, fails: (d: Uint8Array) => boolean, maxTries = 20_000): Uint8Array {
  let best = input;
  let tries = 0;
  let progress = true;
  while (progress && tries < maxTries) {
    progress = false;
    for (let size = Math.max(1, best.length >> 1); size >= 1 && tries < maxTries; size = size === 1 ? 0 : size >> 1) {
      for (let at = 0; at + size <= best.length && tries < maxTries; ) {
        const cand = new Uint8Array(best.length - size);
        cand.set(best.subarray(0, at));
        cand.set(best.subarray(at + size), at);
        tries++;
        if (fails(cand)) {
          best = cand;
          progress = true;
        } else {
          at += size;
        }
      }
    }
  }
  return best;
}

// ---- opcode-aware mutations (reader ambiguities: memo indices, frames, names, several pickles) ----

export interface OpSpan {
  readonly at: number;
  readonly end: number;
  readonly code: number;
}

const OP_OF = new Map(OPCODES.map((o) => [o.code, o]));
const ARG_SIZE: Readonly<Record<string, number | string>> = {
  uint1: 1, uint2: 2, int4: 4, uint4: 4, uint8: 8, float8: 8,
  long1: 'len1', string1: 'len1', bytes1: 'len1', unicodestring1: 'len1',
  long4: 'len4', string4: 'len4', bytes4: 'len4', unicodestring4: 'len4',
  bytes8: 'len8', bytearray8: 'len8', unicodestring8: 'len8',
  stringnl_noescape_pair: 'line2',
};

/** The opcodes of `data` from the start, with their arguments, up to the first that cannot be read (FRAME headers included). */
export function opcodeSpans(data: Uint8Array): OpSpan[] {
  const spans: OpSpan[] = [];
  let p = 0;
  while (p < data.length) {
    const op = OP_OF.get(data[p]!);
    if (op === undefined) break;
    let q = p + 1;
    const size = op.arg === null ? 0 : (ARG_SIZE[op.arg] ?? 'line');
    if (typeof size === 'number') q += size;
    else if (size === 'len1') q += 1 + (data[q] ?? 0);
    else if (size === 'len4' || size === 'len8') {
      const n = q + 4 <= data.length ? (data[q]! | (data[q + 1]! << 8) | (data[q + 2]! << 16)) + data[q + 3]! * 0x1000000 : Infinity;
      const high = size === 'len8' && q + 8 <= data.length && data.subarray(q + 4, q + 8).some((b) => b !== 0);
      q += (size === 'len4' ? 4 : 8) + (high ? Infinity : n);
    } else {
      for (let lines = size === 'line2' ? 2 : 1; lines > 0 && q <= data.length; lines--) {
        const nl = data.indexOf(0x0a, q);
        q = nl < 0 ? Infinity : nl + 1;
      }
    }
    if (!(q <= data.length)) break;
    spans.push({ at: p, end: q, code: op.code });
    if (op.name === 'STOP') break;
    p = q;
  }
  return spans;
}

const FAR_INDICES = [0, 1, 2, 3, 255, 256, 1023, 1024, 1025, 5000, 65535, 65536, 65537, 70000, 0x7fffffff];
const NAME_SPLITS: readonly [string, string][] = [
  ['numpy.core.multiarray', '_reconstruct'],
  ['numpy', 'core.multiarray._reconstruct'],
  ['zoneinfo', 'ZoneInfo._unpickle'],
  ['zoneinfo.ZoneInfo', '_unpickle'],
  ['builtins set', 'x'],
  ['builtins', 'set x'],
  ['os', 'system'],
  ['builtins', 'set'],
  ['collections', 'OrderedDict'],
  ['__builtin__', 'set'],
  ['copy_reg', '_reconstructor'],
];
const su = (s: string): number[] => [0x8c, s.length, ...ascii(s)];

/** A memo opcode at `index`: the text form (with leading zeros sometimes), BINPUT/BINGET or the LONG_ form. */
function memoOp(rng: Rng, put: boolean, index: number): number[] {
  const form = rng.int(3);
  if (form === 0) return [put ? 0x70 : 0x67, ...ascii(`${rng.chance(0.4) ? '0'.repeat(rng.range(1, 3)) : ''}${index}`), 10];
  if (form === 1 && index < 256) return [put ? 0x71 : 0x68, index];
  return [put ? 0x72 : 0x6a, ...le(BigInt(index), 4)];
}

type OpMutator = (rng: Rng, d: Uint8Array, spans: OpSpan[], other: Uint8Array) => number[];

const cut = (d: Uint8Array, at: number, end: number, insert: number[]): number[] => [...d.subarray(0, at), ...insert, ...d.subarray(end)];

const OP_MUTATORS: readonly [string, OpMutator][] = [
  ['drop-op', (rng, d, s) => {
    const x = rng.pick(s);
    return cut(d, x.at, x.end, []);
  }],
  ['dup-op', (rng, d, s) => {
    const x = rng.pick(s);
    return cut(d, x.end, x.end, Array.from(d.subarray(x.at, x.end)));
  }],
  ['swap-ops', (rng, d, s) => {
    if (s.length < 2) return Array.from(d);
    const i = rng.int(s.length - 1);
    const a = s[i]!;
    const b = s[i + 1]!;
    return cut(d, a.at, b.end, [...d.subarray(b.at, b.end), ...d.subarray(a.at, a.end)]);
  }],
  ['memo-index', (rng, d, s) => {
    const memo = s.filter((x) => [0x70, 0x71, 0x72, 0x67, 0x68, 0x6a].includes(x.code));
    if (memo.length === 0) return cut(d, s[s.length - 1]!.at, s[s.length - 1]!.at, [...memoOp(rng, true, rng.pick(FAR_INDICES)), 0x30]);
    const x = rng.pick(memo);
    const put = x.code === 0x70 || x.code === 0x71 || x.code === 0x72;
    return cut(d, x.at, x.end, memoOp(rng, put, rng.chance(0.5) ? rng.pick(FAR_INDICES) : rng.int(8)));
  }],
  ['memoize', (rng, d, s) => {
    const x = rng.pick(s);
    return cut(d, x.end, x.end, rng.chance(0.5) ? [0x94] : [0x94, 0x30]);
  }],
  ['frame', (rng, d, s) => {
    const i = rng.int(s.length);
    const at = s[i]!.at;
    const to = s[Math.min(s.length - 1, i + rng.int(6))]!.end;
    const n = rng.pick([to - at, to - at - 1, to - at + 1, to - at + rng.range(2, 9), Math.max(0, to - at - rng.range(2, 9)), 0, 1 << 20]);
    return cut(d, at, at, [0x95, ...le(BigInt(Math.max(0, n)), 8)]);
  }],
  ['name', (rng, d, s) => {
    const [m, q] = rng.pick(NAME_SPLITS);
    const named = s.filter((x) => x.code === 0x63 || x.code === 0x93 || x.code === 0x69);
    const bytes = rng.chance(0.5) ? [0x63, ...ascii(m), 10, ...ascii(q), 10] : [...su(m), ...su(q), 0x93];
    if (named.length === 0 || rng.chance(0.3)) {
      const x = rng.pick(s);
      return cut(d, x.at, x.at, [...bytes, ...(rng.chance(0.5) ? [0x30] : [])]);
    }
    const x = rng.pick(named);
    return x.code === 0x93 ? cut(d, x.at, x.end, [0x30, 0x30, ...bytes]) : cut(d, x.at, x.end, bytes);
  }],
  ['splice-ops', (rng, d, s, other) => {
    const t = opcodeSpans(other);
    if (t.length === 0) return Array.from(d);
    const a = rng.int(t.length);
    const b = Math.min(t.length - 1, a + rng.int(8));
    const x = rng.pick(s);
    return cut(d, x.at, x.at, Array.from(other.subarray(t[a]!.at, t[b]!.end)));
  }],
  ['concat', (rng, d, _s, other) => (rng.chance(0.5) ? [...d, ...other] : [...other, ...d])],
];

/** One to three opcode-aware mutations of `seed` (falls back to `mutate` where no opcode can be read). */
export function mutateOps(rng: Rng, seed: Uint8Array, other: Uint8Array, maxLength = 8192): { data: Uint8Array; how: string[] } {
  let d = seed;
  const how: string[] = [];
  for (let k = rng.chance(0.6) ? 1 : rng.range(2, 3); k > 0; k--) {
    const spans = opcodeSpans(d);
    if (spans.length === 0) return mutate(rng, d, other, maxLength);
    const [name, f] = rng.pick(OP_MUTATORS);
    how.push(name);
    const out = f(rng, d, spans, other);
    d = Uint8Array.from(out.length > maxLength ? out.slice(0, maxLength) : out);
  }
  return { data: d, how };
}
