/**
 * One handler per opcode, keyed by the opcode's name in `src/opcodes.ts`. The type makes the set
 * complete: a missing or misspelt opcode does not compile. STOP is handled by the loop itself.
 */
import { PyByteArray } from '../model/bytearray.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { isHashable } from '../model/hashable.js';
import { PyObject } from '../model/object.js';
import { EMPTY_TUPLE, PyTuple } from '../model/tuple.js';
import type { OpcodeName } from '../opcodes.js';
import { describe, type Machine } from './machine.js';
import {
  decodeLatin1,
  decodeLong,
  decodePy2Str,
  decodeRawUnicodeEscape,
  decodeStringLiteral,
  decodeUtf8,
  parseFloatLine,
  intLineBool,
  parseDecimalLine,
  parseIntLine,
  parseLongLine,
  type ParsedInt,
} from './text.js';

export type Handler = (m: Machine) => void;

// ---- shared pieces ----

function str(m: Machine, n: number): void {
  const p = m.payload(n);
  const s = decodeUtf8(m.data, p, p + n);
  if (s === null) m.malformed('bad_utf8', "'utf-8' codec can't decode the string's bytes");
  m.push(s);
}

function bytes(m: Machine, n: number): void {
  const p = m.payload(n);
  m.push(m.o.zeroCopy ? m.data.subarray(p, p + n) : m.data.slice(p, p + n));
}

function py2str(m: Machine, raw: Uint8Array): void {
  const v = decodePy2Str(raw, m.o.encoding, m.o.errors);
  if (v === null) {
    m.malformed('bad_py2_str', `cannot decode a Python 2 str with encoding '${m.o.encoding}' and errors '${m.o.errors}'; pass encoding: 'bytes' or 'latin1' to read it`);
  }
  m.push(v);
}

function float(m: Machine, v: number): void {
  m.push(m.o.exact && Number.isInteger(v) ? new PyFloat(v) : m.o.exact && Object.is(v, -0) ? new PyFloat(v) : v);
}

function intLine(m: Machine, what: string, parse: typeof parseIntLine): number | bigint {
  const s = m.line();
  return intParsed(m, what, parse(m.data, s, m.lineEnd, m.o.maxIntDigits));
}

function intParsed(m: Machine, what: string, v: ParsedInt): number | bigint {
  if (v === 'too_many_digits') m.limit('maxIntDigits', m.o.maxIntDigits, `${what} has too many decimal digits`);
  if (v === null) m.malformed('bad_int', `invalid literal for ${what}`);
  return v;
}

function memoIndexLine(m: Machine, what: string): number {
  const v = intLine(m, what, parseDecimalLine);
  if (typeof v === 'bigint' || v < 0) m.malformed('bad_memo_index', `${what} has a negative or huge memo index`);
  return v;
}

/** Python's hash() refuses these; a dict key or set item of this kind is malformed. */
function checkHashable(m: Machine, key: unknown): void {
  if (typeof key === 'object' && key !== null && !isHashable(key)) {
    m.malformed('unhashable', `unhashable type: ${describe(key)} (or a tuple holding one) cannot be a dict key or set item`);
  }
}

function listAt(m: Machine, i: number): unknown[] {
  const list = m.stack[i];
  if (!Array.isArray(list) || list instanceof PyTuple) {
    // An inert record (inspection mode, the generic object reconstructor) records what Python would append.
    if (list instanceof PyObject) return list.listitems;
    m.malformed('not_a_list', `cannot append to ${describe(list)}`);
  }
  return list;
}

function dictAt(m: Machine, i: number): Map<unknown, unknown> {
  const dict = m.stack[i];
  if (!(dict instanceof Map)) {
    if (dict instanceof PyObject) return dict.dictitems;
    m.malformed('not_a_dict', `cannot set items on ${describe(dict)}`);
  }
  return dict;
}

/** The index of the container below a MARK that was just closed at `k`. */
function belowMark(m: Machine, k: number): number {
  if (k - 1 < m.fence) m.underflow();
  return k - 1;
}

/**
 * The stack index of what APPENDS, SETITEMS or ADDITEMS adds to (below the MARK at `k`), or -1
 * when the batch is empty: then, as in CPython's C unpickler, it is a no-op whatever lies there.
 */
function batchTarget(m: Machine, k: number): number {
  const at = belowMark(m, k);
  return k === m.sp ? -1 : at;
}

function tupleOf(m: Machine, n: number): void {
  const end = m.sp;
  const start = end - n;
  if (start < m.fence) m.underflow();
  const t = PyTuple.fromRange(m.stack, start, end);
  m.truncate(start);
  m.containers++;
  m.place(t);
}

function popTuple(m: Machine, what: string): PyTuple {
  const args = m.pop();
  if (!(args instanceof PyTuple)) m.malformed('bad_arguments', `${what} expects an argument tuple, the pickle gave ${describe(args)}`);
  return args;
}

function globalLines(m: Machine): [string, string] {
  const a = m.line();
  const module = decodeUtf8(m.data, a, m.lineEnd);
  const b = m.line();
  const name = decodeUtf8(m.data, b, m.lineEnd);
  if (module === null || name === null) m.malformed('bad_utf8', 'the global name is not valid UTF-8');
  return [module, name];
}

// ---- the handlers ----

export const HANDLERS: Readonly<Record<Exclude<OpcodeName, 'STOP'>, Handler>> = {
  INT(m: Machine) {
    const s = m.line();
    const flag = intLineBool(m.data, s, m.lineEnd);
    if (flag !== null) {
      m.push(flag);
      return;
    }
    m.push(intParsed(m, 'INT', parseIntLine(m.data, s, m.lineEnd, m.o.maxIntDigits)));
  },
  BININT: (m: Machine) => m.push(m.i32()),
  BININT1: (m: Machine) => m.push(m.u8()),
  BININT2: (m: Machine) => m.push(m.u16()),
  LONG: (m: Machine) => m.push(intLine(m, 'LONG', parseLongLine)),
  LONG1(m: Machine) {
    const n = m.u8();
    const p = m.payload(n);
    m.push(decodeLong(m.data, p, p + n));
  },
  LONG4(m: Machine) {
    const n = m.i32();
    if (n < 0) m.malformed('negative_length', 'LONG4 has a negative byte count');
    const p = m.payload(n);
    m.push(decodeLong(m.data, p, p + n));
  },
  STRING(m: Machine) {
    const s = m.line();
    const raw = decodeStringLiteral(m.data, s, m.lineEnd);
    if (raw === null) m.malformed('bad_string_literal', 'the STRING opcode argument must be quoted, with valid escapes');
    py2str(m, raw);
  },
  BINSTRING(m: Machine) {
    const n = m.i32();
    if (n < 0) m.malformed('negative_length', 'BINSTRING has a negative byte count');
    const p = m.payload(n);
    py2str(m, m.data.subarray(p, p + n));
  },
  SHORT_BINSTRING(m: Machine) {
    const n = m.u8();
    const p = m.payload(n);
    py2str(m, m.data.subarray(p, p + n));
  },
  BINBYTES: (m: Machine) => bytes(m, m.u32()),
  SHORT_BINBYTES: (m: Machine) => bytes(m, m.u8()),
  BINBYTES8: (m: Machine) => bytes(m, m.u64()),
  BYTEARRAY8(m: Machine) {
    const n = m.u64();
    const p = m.payload(n);
    m.push(PyByteArray.copyOf(m.data.subarray(p, p + n)));
  },
  NEXT_BUFFER: (m: Machine) => m.push(m.nextBuffer()),
  READONLY_BUFFER(m: Machine) {
    const i = m.topIndex();
    const buf = m.stack[i];
    if (!(buf instanceof Uint8Array)) m.malformed('not_a_buffer', `READONLY_BUFFER applies to ${describe(buf)}, which is not a buffer`);
    // A read-only view is bytes-like: a plain Uint8Array over the same memory.
    if (buf instanceof PyByteArray) m.stack[i] = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
  NONE: (m: Machine) => m.push(null),
  NEWTRUE: (m: Machine) => m.push(true),
  NEWFALSE: (m: Machine) => m.push(false),
  UNICODE(m: Machine) {
    const s = m.line();
    const v = decodeRawUnicodeEscape(m.data, s, m.lineEnd);
    if (v === null) m.malformed('bad_raw_unicode_escape', "'rawunicodeescape' codec can't decode the UNICODE argument");
    m.push(v);
  },
  SHORT_BINUNICODE: (m: Machine) => str(m, m.u8()),
  BINUNICODE: (m: Machine) => str(m, m.u32()),
  BINUNICODE8: (m: Machine) => str(m, m.u64()),
  FLOAT(m: Machine) {
    const s = m.line();
    const v = parseFloatLine(m.data, s, m.lineEnd);
    if (v === null) m.malformed('bad_float', 'could not convert the FLOAT argument to a float');
    float(m, v);
  },
  BINFLOAT(m: Machine) {
    const p = m.take(8);
    float(m, m.view.getFloat64(p, false));
  },
  EMPTY_LIST(m: Machine) {
    m.containers++;
    m.push([]);
  },
  APPEND(m: Machine) {
    const v = m.pop();
    const list = listAt(m, m.topIndex());
    // The fast path is for plain lists; a list subclass (a bounded deque) goes through append.
    if (m.growing === null && Object.getPrototypeOf(list) === Array.prototype) list.push(v);
    else m.append(list, v);
  },
  APPENDS(m: Machine) {
    const markAt = m.markOffsets[m.markOffsets.length - 1] ?? 0;
    const k = m.popMark();
    const at = batchTarget(m, k);
    if (at < 0) return;
    m.extend(listAt(m, at), m.stack, k, m.sp, markAt);
    m.truncate(k);
  },
  LIST(m: Machine) {
    const k = m.popMark();
    const list = m.stack.slice(k, m.sp);
    m.truncate(k);
    m.containers++;
    m.place(list);
  },
  EMPTY_TUPLE: (m: Machine) => m.push(EMPTY_TUPLE),
  TUPLE(m: Machine) {
    const k = m.popMark();
    const t = PyTuple.fromRange(m.stack, k, m.sp);
    m.truncate(k);
    m.containers++;
    m.place(t);
  },
  TUPLE1: (m: Machine) => tupleOf(m, 1),
  TUPLE2: (m: Machine) => tupleOf(m, 2),
  TUPLE3: (m: Machine) => tupleOf(m, 3),
  EMPTY_DICT(m: Machine) {
    m.containers++;
    m.push(new Map());
  },
  DICT(m: Machine) {
    const k = m.popMark();
    const s = m.stack;
    const n = m.sp;
    if ((n - k) % 2 !== 0) m.malformed('odd_items', 'odd number of items for DICT');
    const d = new Map();
    for (let i = k; i < n; i += 2) {
      checkHashable(m, s[i]);
      d.set(s[i], s[i + 1]);
    }
    m.truncate(k);
    m.containers++;
    m.place(d);
  },
  SETITEM(m: Machine) {
    const v = m.pop();
    const key = m.pop();
    checkHashable(m, key);
    dictAt(m, m.topIndex()).set(key, v);
  },
  SETITEMS(m: Machine) {
    const k = m.popMark();
    const at = batchTarget(m, k);
    if (at < 0) return;
    const d = dictAt(m, at);
    const s = m.stack;
    const n = m.sp;
    if ((n - k) % 2 !== 0) m.malformed('odd_items', 'odd number of items for SETITEMS');
    for (let i = k; i < n; i += 2) {
      const key = s[i];
      if (typeof key === 'object' && key !== null) checkHashable(m, key);
      d.set(key, s[i + 1]);
    }
    m.truncate(k);
  },
  EMPTY_SET(m: Machine) {
    m.containers++;
    m.push(new Set());
  },
  ADDITEMS(m: Machine) {
    const k = m.popMark();
    const at = batchTarget(m, k);
    if (at < 0) return;
    const target = m.stack[at];
    if (!(target instanceof Set) || target instanceof PyFrozenSet) m.malformed('not_a_set', `cannot add items to ${describe(target)}`);
    const s = m.stack;
    const n = m.sp;
    for (let i = k; i < n; i++) {
      checkHashable(m, s[i]);
      target.add(s[i]);
    }
    m.truncate(k);
  },
  FROZENSET(m: Machine) {
    const k = m.popMark();
    const s = m.stack;
    const n = m.sp;
    for (let i = k; i < n; i++) checkHashable(m, s[i]);
    const f = new PyFrozenSet(s.slice(k, n));
    m.truncate(k);
    m.containers++;
    m.place(f);
  },
  POP(m: Machine) {
    if (m.sp > m.fence) m.sp--;
    else if (m.marks.length > 0) m.popMark();
    else m.underflow();
  },
  DUP: (m: Machine) => m.push(m.stack[m.topIndex()]),
  MARK: (m: Machine) => m.mark(),
  POP_MARK(m: Machine) {
    m.truncate(m.popMark());
  },
  GET: (m: Machine) => m.push(m.memoGet(memoIndexLine(m, 'GET'))),
  BINGET: (m: Machine) => m.push(m.memoGet(m.u8())),
  LONG_BINGET: (m: Machine) => m.push(m.memoGet(m.u32())),
  PUT(m: Machine) {
    const i = memoIndexLine(m, 'PUT');
    m.memoPut(i, m.stack[m.topIndex()]);
  },
  BINPUT(m: Machine) {
    const i = m.u8();
    m.memoPut(i, m.stack[m.topIndex()]);
  },
  LONG_BINPUT(m: Machine) {
    const i = m.u32();
    m.memoPut(i, m.stack[m.topIndex()]);
  },
  MEMOIZE: (m: Machine) => m.memoPut(m.memoCount, m.stack[m.topIndex()]),
  EXT1: (m: Machine) => m.push(m.extension(m.u8())),
  EXT2: (m: Machine) => m.push(m.extension(m.u16())),
  EXT4: (m: Machine) => m.push(m.extension(m.i32())),
  GLOBAL(m: Machine) {
    const [module, name] = globalLines(m);
    m.push(m.global(module, name));
  },
  STACK_GLOBAL(m: Machine) {
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== 'string' || typeof name !== 'string') m.malformed('bad_stack_global', 'STACK_GLOBAL requires two strs');
    m.push(m.global(module, name));
  },
  REDUCE(m: Machine) {
    const args = popTuple(m, 'REDUCE');
    const i = m.topIndex();
    m.stack[i] = m.call(m.stack[i], args, 'REDUCE');
  },
  BUILD(m: Machine) {
    const state = m.pop();
    const i = m.topIndex();
    m.stack[i] = m.build(m.stack[i], state);
  },
  INST(m: Machine) {
    const [module, name] = globalLines(m);
    const cls = m.global(module, name);
    const k = m.popMark();
    const args = PyTuple.fromRange(m.stack, k, m.sp);
    m.truncate(k);
    m.push(m.call(cls, args, 'INST'));
  },
  OBJ(m: Machine) {
    const k = m.popMark();
    const s = m.stack;
    if (m.sp === k) m.malformed('stack_underflow', 'OBJ needs a class after the MARK');
    const cls = s[k];
    const args = PyTuple.fromRange(s, k + 1, m.sp);
    m.truncate(k);
    m.push(m.call(cls, args, 'OBJ'));
  },
  NEWOBJ(m: Machine) {
    const args = popTuple(m, 'NEWOBJ');
    const cls = m.pop();
    m.push(m.newObject(cls, args, null, 'NEWOBJ'));
  },
  NEWOBJ_EX(m: Machine) {
    const kwargs = m.pop();
    if (!(kwargs instanceof Map)) m.malformed('bad_arguments', `NEWOBJ_EX expects a kwargs dict, the pickle gave ${describe(kwargs)}`);
    const args = popTuple(m, 'NEWOBJ_EX');
    const cls = m.pop();
    m.push(m.newObject(cls, args, kwargs, 'NEWOBJ_EX'));
  },
  PROTO(m: Machine) {
    const v = m.u8();
    if (v > 5) m.malformed('unsupported_protocol', `unsupported pickle protocol: ${v} (this library reads 0 to 5)`);
    m.proto = v;
  },
  FRAME: (m: Machine) => m.openFrame(m.u64()),
  PERSID(m: Machine) {
    const s = m.line();
    for (let i = s; i < m.lineEnd; i++) {
      if (m.data[i]! > 0x7f) m.malformed('bad_persistent_id', 'persistent IDs in protocol 0 must be ASCII strings');
    }
    m.push(m.persistent(decodeLatin1(m.data, s, m.lineEnd)));
  },
  BINPERSID(m: Machine) {
    const i = m.topIndex();
    m.stack[i] = m.persistent(m.stack[i]);
  },
};
