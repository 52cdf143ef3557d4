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
import { setItems } from './fast.js';
import { describe, type Machine } from './machine.js';
import {
  binStringArg,
  floatLineArg,
  globalArg,
  intArg,
  longArg,
  longBytesArg,
  memoIndexArg,
  persidArg,
  protoArg,
  stringLiteralArg,
  unicodeLineArg,
  utf8Arg,
} from './args.js';
import { decodePy2Str } from './text.js';

export type Handler = (m: Machine) => void;

// ---- shared pieces ----

function str(m: Machine, n: number): void {
  m.push(utf8Arg(m, n));
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

// ---- the handlers ----

export const HANDLERS: Readonly<Record<Exclude<OpcodeName, 'STOP'>, Handler>> = {
  INT: (m: Machine) => m.push(intArg(m)),
  BININT: (m: Machine) => m.push(m.i32()),
  BININT1: (m: Machine) => m.push(m.u8()),
  BININT2: (m: Machine) => m.push(m.u16()),
  LONG: (m: Machine) => m.push(longArg(m)),
  LONG1: (m: Machine) => m.push(longBytesArg(m, 1)),
  LONG4: (m: Machine) => m.push(longBytesArg(m, 4)),
  STRING: (m: Machine) => py2str(m, stringLiteralArg(m)),
  BINSTRING: (m: Machine) => py2str(m, binStringArg(m, 4)),
  SHORT_BINSTRING: (m: Machine) => py2str(m, binStringArg(m, 1)),
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
  UNICODE: (m: Machine) => m.push(unicodeLineArg(m)),
  SHORT_BINUNICODE: (m: Machine) => str(m, m.u8()),
  BINUNICODE: (m: Machine) => str(m, m.u32()),
  BINUNICODE8: (m: Machine) => str(m, m.u64()),
  FLOAT: (m: Machine) => float(m, floatLineArg(m)),
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
    const bad = setItems(d, s, k, n);
    if (bad >= 0) checkHashable(m, s[bad]);
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
  GET: (m: Machine) => m.push(m.memoGet(memoIndexArg(m, 'GET'))),
  BINGET: (m: Machine) => m.push(m.memoGet(m.u8())),
  LONG_BINGET: (m: Machine) => m.push(m.memoGet(m.u32())),
  PUT(m: Machine) {
    const i = memoIndexArg(m, 'PUT');
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
    const [module, name] = globalArg(m);
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
    const [module, name] = globalArg(m);
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
    m.proto = protoArg(m);
  },
  FRAME: (m: Machine) => m.openFrame(m.u64()),
  PERSID: (m: Machine) => m.push(m.persistent(persidArg(m))),
  BINPERSID(m: Machine) {
    const i = m.topIndex();
    m.stack[i] = m.persistent(m.stack[i]);
  },
};
