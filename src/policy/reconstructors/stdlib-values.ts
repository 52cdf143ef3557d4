/**
 * Reconstructors for stdlib values backends carry: exceptions (inert `PyException` records),
 * compiled patterns (`re._compile`), `array.array` and the two namespace types. Each checks its
 * arguments as the CPython callable does and fails where it raises.
 */
import { ARRAY_TYPES, arrayItems, PyArray, type PyArrayTypecode } from '../../model/array.js';
import { PyByteArray } from '../../model/bytearray.js';
import { PyException } from '../../model/exception.js';
import { PyFloat } from '../../model/float.js';
import { PyGlobal } from '../../model/global.js';
import { PyNamespace } from '../../model/namespace.js';
import { PyPattern, RE_FLAGS } from '../../model/pattern.js';
import { shown } from '../../model/pytext.js';
import type { ReconstructorDef } from '../types.js';
import { arity, describe, fail, int, unsupported, mustBe } from './check.js';

// ------------------------------------------------------------------------------------- exceptions

/** Linux errno values OSError(errno, strerror, …) turns into its subclasses (CPython's errnomap). */
const ERRNO_CLASSES = new Map<number, string>([
  [11, 'BlockingIOError'], [114, 'BlockingIOError'], [115, 'BlockingIOError'], [10, 'ChildProcessError'], [32, 'BrokenPipeError'],
  [108, 'BrokenPipeError'], [103, 'ConnectionAbortedError'], [111, 'ConnectionRefusedError'], [104, 'ConnectionResetError'],
  [17, 'FileExistsError'], [2, 'FileNotFoundError'], [21, 'IsADirectoryError'], [20, 'NotADirectoryError'], [4, 'InterruptedError'],
  [13, 'PermissionError'], [1, 'PermissionError'], [3, 'ProcessLookupError'], [110, 'TimeoutError'],
]);
const OSERROR_NAMES = new Set(['OSError', 'IOError', 'EnvironmentError']);
const OSERROR_CLASSES = new Set(['OSError', ...new Set(ERRNO_CLASSES.values()), 'ConnectionError']);

const isInt = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint' || typeof v === 'boolean';
const isStr = (v: unknown): boolean => typeof v === 'string';
const isBytesLike = (v: unknown): boolean => v instanceof Uint8Array;
/** A C Py_ssize_t. */
const isSsize = (v: unknown): boolean => isInt(v) && BigInt(typeof v === 'boolean' ? Number(v) : (v as number | bigint)) < 2n ** 63n && BigInt(typeof v === 'boolean' ? Number(v) : (v as number | bigint)) >= -(2n ** 63n);

function check(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

/** What the class's constructor checks, and the class CPython really makes (OSError's errno subclasses). */
function makeException(module: string, qualname: string, args: readonly unknown[]): PyException {
  let name = qualname;
  if (module === 'builtins') {
    if (OSERROR_NAMES.has(qualname)) {
      name = 'OSError';
      if (args.length >= 2 && args.length <= 5 && isInt(args[0])) {
        const errno = Number(typeof args[0] === 'boolean' ? Number(args[0]) : args[0]);
        name = ERRNO_CLASSES.get(errno) ?? 'OSError';
      }
    }
    if (OSERROR_CLASSES.has(name) && args.length >= 3 && args.length <= 5 && args[2] !== null) {
      // OSError keeps (errno, strerror) in args and filename apart; __reduce__ gives them back as below.
      const filename2 = args.length === 5 && args[4] !== null ? [null, args[4]] : [];
      return new PyException(module, name, [args[0], args[1], args[2], ...filename2]);
    }
    switch (qualname) {
      case 'UnicodeDecodeError':
        arity(qualname, args, 5, 5);
        check(isStr(args[0]) && isBytesLike(args[1]) && isSsize(args[2]) && isSsize(args[3]) && isStr(args[4]), 'UnicodeDecodeError() takes (str, bytes-like, int, int, str)');
        break;
      case 'UnicodeEncodeError':
        arity(qualname, args, 5, 5);
        check(isStr(args[0]) && isStr(args[1]) && isSsize(args[2]) && isSsize(args[3]) && isStr(args[4]), 'UnicodeEncodeError() takes (str, str, int, int, str)');
        break;
      case 'UnicodeTranslateError':
        arity(qualname, args, 4, 4);
        check(isStr(args[0]) && isSsize(args[1]) && isSsize(args[2]) && isStr(args[3]), 'UnicodeTranslateError() takes (str, int, int, str)');
        break;
      case 'SyntaxError':
      case 'IndentationError':
      case 'TabError':
        if (args.length === 2) {
          const info = args[1];
          check(Array.isArray(info), `${qualname}() details must be a sequence, the pickle gave ${describe(info)}`);
          check((info as unknown[]).length >= 4 && (info as unknown[]).length <= 6, `${qualname}() details must have 4 to 6 items`);
        }
        break;
    }
  } else if (module === 'json.decoder' && qualname === 'JSONDecodeError') {
    // JSONDecodeError(msg, doc, pos) counts lines in doc up to pos.
    arity(qualname, args, 3, 3);
    check(isStr(args[1]), `JSONDecodeError() doc must be a str, the pickle gave ${describe(args[1])}`);
    check(isSsize(args[2]), `JSONDecodeError() pos must be an int, the pickle gave ${describe(args[2])}`);
  } else if (module === 're' && qualname === 'error') {
    // re.error(msg, pattern=None, pos=None) counts lines in pattern up to pos when both are given.
    arity(qualname, args, 1, 3);
    return reError(args);
  }
  return new PyException(module, name, args);
}

/** re.error(msg, pattern=None, pos=None): its __init__ sets msg, pattern, pos, lineno and colno, and the message it passes on. */
function reError(args: readonly unknown[]): PyException {
  let [msg, pattern = null, pos = null] = args;
  let lineno: unknown = null;
  let colno: unknown = null;
  if (pattern !== null && pos !== null) {
    check(isStr(pattern) || isBytesLike(pattern), 're.error() pattern must be a str or bytes');
    check(isInt(pos), 're.error() pos must be an int');
    const text = typeof pattern === 'string' ? pattern : String.fromCharCode(...(pattern as Uint8Array).subarray(0, 1 << 16));
    const p = Number(pos);
    if (!(Number.isSafeInteger(p) && p >= 0 && text.length <= 65535)) unsupported('re.error() with a negative or huge pos, or a pattern over 65535 characters, is not supported');
    msg = `${pyFormat(msg)} at position ${p}`;
    const upto = text.slice(0, p < 0 ? Math.max(0, text.length + p) : p);
    if (text.includes('\n')) {
      lineno = upto.split('\n').length;
      colno = upto.length - upto.lastIndexOf('\n');
      msg = `${msg} (line ${lineno}, column ${colno})`;
    } else lineno = colno = null;
    if (!text.includes('\n')) [lineno, colno] = [1, p + 1];
  }
  const e = new PyException('re', 'error', [msg]);
  e.state = new Map<string, unknown>([['msg', args[0]], ['pattern', pattern], ['pos', pos], ['lineno', lineno], ['colno', colno]]);
  return e;
}

/** '%s' of a str or int argument; anything else is refused (its str() is Python's to compute). */
function pyFormat(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isInt(v)) return String(typeof v === 'boolean' ? (v ? 'True' : 'False') : v);
  return unsupported(`re.error() with a ${describe(v)} message is not supported`);
}

/** Attributes CPython sets through descriptors with their own checks: not taken as data here. */
const SPECIAL_ATTRIBUTES = new Set(['args', '__traceback__', '__cause__', '__context__', '__suppress_context__', '__dict__', '__class__']);

/** exception classes (BaseException subclasses) → PyException: class, args and attributes as inert data, never raised */
const exception = Object.freeze<ReconstructorDef>({
  id: 'exception',
  bind: (module, qualname) => ({
    call: (args) => makeException(module, qualname, args),
    setState(target, state) {
      if (!(target instanceof PyException)) return fail('exception state applies to an exception');
      // BaseException.__setstate__: None, or a dict whose items become attributes (added to those __init__ set).
      if (state === null) return target;
      if (!(state instanceof Map)) return mustBe('exception state', 'a dict', state);
      const attrs = new Map<string, unknown>(target.state ?? []);
      for (const [k, v] of state) {
        if (typeof k !== 'string') mustBe('attribute name', 'string', k);
        if (SPECIAL_ATTRIBUTES.has(k as string)) unsupported(`exception attribute ${shown(k as string)} is not taken as data`);
        attrs.set(k as string, v);
      }
      target.state = attrs;
      return target;
    },
  }),
});

// ---------------------------------------------------------------------------------------- patterns

const KNOWN_FLAGS = Object.values(RE_FLAGS).reduce((a, b) => a | b, 0);

/** re._compile(pattern, flags) → PyPattern (pattern text and flags; not compiled) */
const reCompile = Object.freeze<ReconstructorDef>({
  id: 're._compile',
  bind: () => ({
    call(args) {
      arity('_compile', args, 2, 2);
      const [pattern, flagArg] = args;
      if (!(typeof pattern === 'string' || pattern instanceof Uint8Array)) return mustBe('first argument', 'string or compiled pattern', pattern);
      const flags = Number(int('re flags', flagArg));
      if (!Number.isSafeInteger(flags) || flags < 0 || (flags & ~KNOWN_FLAGS) !== 0 || flags > KNOWN_FLAGS) unsupported('re flags outside the known bits are not supported');
      // sre_parse.fix_flags: the checks re.compile makes before compiling.
      if (typeof pattern === 'string') {
        if (flags & RE_FLAGS.LOCALE) fail('cannot use LOCALE flag with a str pattern');
        if (flags & RE_FLAGS.ASCII && flags & RE_FLAGS.UNICODE) fail('ASCII and UNICODE flags are incompatible');
      } else {
        if (flags & RE_FLAGS.UNICODE) fail('cannot use UNICODE flag with a bytes pattern');
        if (flags & RE_FLAGS.LOCALE && flags & RE_FLAGS.ASCII) fail('ASCII and LOCALE flags are incompatible');
      }
      const text = pattern instanceof Uint8Array ? pattern.slice() : pattern;
      return new PyPattern(text, typeof pattern === 'string' && !(flags & RE_FLAGS.ASCII) ? flags | RE_FLAGS.UNICODE : flags);
    },
  }),
});

// ------------------------------------------------------------------------------------------ arrays

const TYPECODES = Object.keys(ARRAY_TYPES) as PyArrayTypecode[];

function typecodeOf(v: unknown, position: string): PyArrayTypecode {
  if (typeof v !== 'string' || [...v].length !== 1) return mustBe(`array ${position} argument`, 'a unicode character', v);
  if (!TYPECODES.includes(v as PyArrayTypecode)) fail(`bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d), the pickle gave ${shown(v)}`);
  return v as PyArrayTypecode;
}

/** array.array(typecode, list): each item converted as the C type takes it. */
function arrayFromList(typecode: PyArrayTypecode, list: readonly unknown[]): PyArray {
  const t = ARRAY_TYPES[typecode];
  const items = arrayItems(typecode, list.length);
  list.forEach((v, i) => {
    if (t.kind === 'unicode') {
      if (typeof v !== 'string' || [...v].length !== 1) fail('array item must be unicode character');
      (items as Uint32Array)[i] = (v as string).codePointAt(0)!;
    } else if (t.kind === 'float') {
      if (typeof v === 'boolean') (items as Float64Array)[i] = Number(v);
      else if (typeof v === 'number' || v instanceof PyFloat) (items as Float64Array)[i] = Number(v);
      else if (typeof v === 'bigint') {
        if (!Number.isFinite(Number(v))) fail('int too large to convert to float');
        (items as Float64Array)[i] = Number(v);
      } else fail(`must be real number, not ${describe(v)}`);
    } else {
      if (!isInt(v)) mustBe('array item', 'an integer', v);
      const n = BigInt(typeof v === 'boolean' ? Number(v) : (v as number | bigint));
      const bits = BigInt(t.size * 8);
      const [lo, hi] = t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
      if (n < lo || n > hi) fail(`array item ${n < lo ? 'is less than minimum' : 'is greater than maximum'} for typecode ${typecode} (CPython raises OverflowError)`);
      if (t.size === 8) (items as BigInt64Array)[i] = n;
      else (items as Int32Array)[i] = Number(n);
    }
  });
  return new PyArray(typecode, items);
}

/** array.array(typecode, list) (protocols 0-2) → PyArray */
const arrayCall = Object.freeze<ReconstructorDef>({
  id: 'array.array',
  bind: () => ({
    call(args) {
      arity('array', args, 1, 2);
      const typecode = typecodeOf(args[0], 'first');
      const init = args[1] ?? [];
      if (typecode === 'u' && typeof init === 'string') return arrayFromList('u', [...init]);
      if (!Array.isArray(init)) return unsupported(`array() from ${describe(init)} is not supported`);
      return arrayFromList(typecode, init);
    },
  }),
});

/** Machine format codes: [size, signed, kind, little-endian]. */
function machineFormat(code: number): { size: number; signed: boolean; kind: 'int' | 'float' | 'utf16' | 'utf32'; little: boolean } {
  if (code <= 13) {
    const size = code <= 1 ? 1 : code <= 5 ? 2 : code <= 9 ? 4 : 8;
    const signed = code <= 1 ? code === 1 : ((code - 2) % 4) >= 2;
    return { size, signed, kind: 'int', little: code <= 1 || code % 2 === 0 };
  }
  if (code <= 17) return { size: code <= 15 ? 4 : 8, signed: true, kind: 'float', little: code % 2 === 0 };
  return { size: code <= 19 ? 2 : 4, signed: false, kind: code <= 19 ? 'utf16' : 'utf32', little: code % 2 === 0 };
}

const INT_TYPECODE: Record<string, PyArrayTypecode> = { '1s': 'b', '1u': 'B', '2s': 'h', '2u': 'H', '4s': 'i', '4u': 'I', '8s': 'q', '8u': 'Q' };

/** array._array_reconstructor(array.array, typecode, machine format, bytes) (protocol 3+) → PyArray */
const arrayReconstructor = Object.freeze<ReconstructorDef>({
  id: 'array._array_reconstructor',
  bind: () => ({
    call(args) {
      arity('_array_reconstructor', args, 4, 4);
      const [cls, tc, mf, data] = args;
      if (!(cls instanceof PyGlobal)) return fail(`first argument must be a type object, not ${describe(cls)}`);
      if (cls.module !== 'array' || cls.qualname !== 'array') return unsupported(`${shown(cls.toString())} is not array.array`);
      const typecode = typecodeOf(tc, 'second');
      if (!isInt(mf)) return mustBe('third argument', 'an int', mf);
      const code = Number(typeof mf === 'boolean' ? Number(mf) : mf);
      if (!(code >= 0 && code <= 21)) fail('third argument must be a valid machine format code.');
      if (!(data instanceof Uint8Array) || data instanceof PyByteArray) return fail(`fourth argument should be bytes, not ${describe(data)}`);
      const t = ARRAY_TYPES[typecode];
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (code === t.mformat) {
        if (data.length % t.size !== 0) fail('bytes length not a multiple of item size');
        const items = arrayItems(typecode, data.length / t.size);
        new Uint8Array(items.buffer).set(data);
        if (typecode === 'u') for (const c of items as Uint32Array) if (c > 0x10ffff) fail(`character U+${c.toString(16)} is not in range [U+0000; U+10ffff]`);
        return new PyArray(typecode, items);
      }
      const m = machineFormat(code);
      if (data.length % m.size !== 0) fail('string length not a multiple of item size');
      const n = data.length / m.size;
      if (m.kind === 'utf16' || m.kind === 'utf32') {
        // CPython 3.11 measures the bytes against its 4-byte wchar_t here, UTF-16 included (observed).
        if (typecode !== 'u' || data.length % 4 !== 0) fail('string length not a multiple of item size');
        const points: number[] = [];
        for (let i = 0; i < n; i++) {
          const u = m.kind === 'utf32' ? view.getUint32(i * 4, m.little) : view.getUint16(i * 2, m.little);
          if (m.kind === 'utf32') {
            if (u > 0x10ffff) fail(`character U+${u.toString(16)} is not in range [U+0000; U+10ffff]`);
            points.push(u);
          } else if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
            const lo = view.getUint16((i + 1) * 2, m.little);
            if (lo < 0xdc00 || lo > 0xdfff) fail('array: illegal UTF-16 surrogate (CPython raises UnicodeDecodeError)');
            points.push(0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
            i++;
          } else if (u >= 0xd800 && u <= 0xdfff) fail('array: illegal UTF-16 surrogate (CPython raises UnicodeDecodeError)');
          else points.push(u);
        }
        return new PyArray('u', Uint32Array.from(points));
      }
      if (m.kind === 'float') {
        if (t.kind !== 'float') fail(`array of typecode ${typecode} cannot take floats (CPython raises TypeError)`);
        const items = arrayItems(typecode, n) as Float32Array | Float64Array;
        for (let i = 0; i < n; i++) items[i] = m.size === 4 ? view.getFloat32(i * 4, m.little) : view.getFloat64(i * 8, m.little);
        return new PyArray(typecode, items);
      }
      const out = INT_TYPECODE[`${m.size}${m.signed ? 's' : 'u'}`]!;
      const items = arrayItems(out, n);
      for (let i = 0; i < n; i++) {
        const o = i * m.size;
        if (m.size === 8) (items as BigInt64Array)[i] = m.signed ? view.getBigInt64(o, m.little) : view.getBigUint64(o, m.little);
        else if (m.size === 4) (items as Int32Array)[i] = m.signed ? view.getInt32(o, m.little) : view.getUint32(o, m.little);
        else if (m.size === 2) (items as Int16Array)[i] = m.signed ? view.getInt16(o, m.little) : view.getUint16(o, m.little);
        else (items as Int8Array)[i] = m.signed ? view.getInt8(o) : view.getUint8(o);
      }
      return new PyArray(out, items);
    },
  }),
});

// -------------------------------------------------------------------------------------- namespaces

function setAttributes(target: unknown, state: unknown, kind: PyNamespace['kind']): PyNamespace {
  if (!(target instanceof PyNamespace) || target.kind !== kind || target.attributes.size > 0) return fail('namespace state applies once, to a new namespace');
  if (state === null) return target;
  if (!(state instanceof Map)) return mustBe('namespace state', 'a dict', state);
  for (const [k, v] of state) {
    if (typeof k !== 'string') mustBe('attribute name', 'string', k);
    target.attributes.set(k as string, v);
  }
  return target;
}

/** types.SimpleNamespace → PyNamespace (attributes from its state dict) */
const simpleNamespace = Object.freeze<ReconstructorDef>({
  id: 'types.SimpleNamespace',
  bind: () => ({
    call(args) {
      // SimpleNamespace() takes no positional arguments in 3.11; its attributes come by BUILD.
      arity('SimpleNamespace', args, 0, 0);
      return new PyNamespace('types.SimpleNamespace');
    },
    setState: (target, state) => setAttributes(target, state, 'types.SimpleNamespace'),
  }),
});

/** argparse.Namespace → PyNamespace (made empty, attributes from its state dict) */
const argparseNamespace = Object.freeze<ReconstructorDef>({
  id: 'argparse.Namespace',
  bind: () => ({
    newObject(args, kwargs) {
      if (args.length > 0 || (kwargs !== null && kwargs.size > 0)) fail('Namespace.__new__ takes no arguments in a pickle');
      return new PyNamespace('argparse.Namespace');
    },
    setState: (target, state) => setAttributes(target, state, 'argparse.Namespace'),
  }),
});

export const STDLIB_VALUE_DEFS: readonly ReconstructorDef[] = [exception, reCompile, arrayCall, arrayReconstructor, simpleNamespace, argparseNamespace];
