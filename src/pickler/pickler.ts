/**
 * The pickler: JS values to pickle bytes, deciding memoization, batching and framing as CPython's
 * C pickler (`_pickle.c`) does, so that builtin values come out byte for byte as `pickle.dumps`
 * writes them. Opcode bytes come from the one opcode table.
 */
import { PicklingError } from '../errors.js';
import { PyByteArray } from '../model/bytearray.js';
import { PyComplex } from '../model/complex.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { PyGlobal } from '../model/global.js';
import { PyPickleBuffer } from '../model/picklebuffer.js';
import { PyStr } from '../model/str.js';
import { REDUCE, type Reduction } from '../model/reduce.js';
import { EMPTY_TUPLE, PyTuple } from '../model/tuple.js';
import { HIGHEST_PROTOCOL, OP } from '../opcodes.js';
import { REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING } from './compat-reverse.js';
import { freshModule, freshQualname } from './fresh-names.js';
import { encodeUtf8Into, encodedHash, pyFloatRepr, rawUnicodeEscape, utf8Length } from './text.js';
import { ObjectMemo } from './object-memo.js';
import { StringMemo, hashEnd, hashOf } from './str-memo.js';
import { FAST_ROOM, FRAME_SIZE_TARGET, Writer } from './writer.js';

/** Options of `dumps`, `dump` and `Pickler`. Names mirror Python's keywords in camelCase. */
export interface DumpOptions {
  /** Protocol 0-5. Default 4 (`DEFAULT_PROTOCOL`, as CPython 3.11); -1 means `HIGHEST_PROTOCOL` (5). */
  protocol?: number;
  /** Below protocol 3, write Python 2 module names (`builtins` → `__builtin__`, …) as CPython does. Default true. */
  fixImports?: boolean;
  /**
   * Protocol 5 out-of-band buffers: called with each `PyPickleBuffer`; return `false` (or nothing) to
   * send it out of band (NEXT_BUFFER), `true` to write it in the pickle. Default: every buffer in band.
   */
  bufferCallback?: ((buffer: PyPickleBuffer) => boolean | void) | null;
  /** Python's `persistent_id`: return a non-null id to write a persistent reference instead of the value. */
  persistentId?: ((value: unknown) => unknown) | null;
  /** Nesting depth at which pickling stops with `PicklingError` (CPython stops near 1000, its recursion limit). Default 1000. */
  maxDepth?: number;
  /**
   * CPython's `Pickler.fast`: no memo, so nothing is written as a reference (a value met twice is
   * written twice, a str too) and the pickle is shorter and quicker to write. For values without
   * cycles; a cycle is a `PicklingError` naming its path. Default false.
   */
  fast?: boolean;
}

const BATCHSIZE = 1000;
/** A list or dict this long makes room for the rest of its pickle after its first batch (`Writer.expect`). */
const LONG_LIST = 5 * BATCHSIZE;
const G_CODECS_ENCODE = new PyGlobal('_codecs', 'encode');
const G_BYTES = new PyGlobal('builtins', 'bytes');
const G_BYTEARRAY = new PyGlobal('builtins', 'bytearray');
const G_SET = new PyGlobal('builtins', 'set');
const G_FROZENSET = new PyGlobal('builtins', 'frozenset');
const G_COMPLEX = new PyGlobal('builtins', 'complex');
const G_GETATTR = new PyGlobal('builtins', 'getattr');
const LATIN1_ENCODING = 'latin1';
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * `writeKeyInline`'s cache: per key position in a dict, the last str key written there as
 * SHORT_BINUNICODE and its 16 bytes (2 + up to 14 ASCII characters; bytes past its end are
 * whatever followed). An entry is a pure function of its string, so it holds across encoders.
 */
const KEY_SLOTS = 16;
const KEY_TEXT: unknown[] = new Array<unknown>(KEY_SLOTS).fill(undefined);
const KEY_WORDS = new Int32Array(4 * KEY_SLOTS);

/**
 * The emptied memos of the last encoder released, for the next one (as the Writer's spare buffer):
 * their tables stay grown, so a dump does not grow them afresh and touch new pages each time.
 */
let spareMemos: [ObjectMemo, StringMemo] | null = null;

/** Where a value sits, for error messages: `root.items[3].callback`. Built only when an error needs it. */
type PathStep = string | number;

/**
 * Writes pickles into a `Writer`. The memo lives as long as the Pickler (Python's `Pickler` keeps
 * it between `dump` calls); `clearMemo()` forgets it.
 */
export class PickleEncoder {
  readonly protocol: number;
  private readonly fixImports: boolean;
  private readonly bufferCallback: ((buffer: PyPickleBuffer) => boolean | void) | null;
  private readonly persistentId: ((value: unknown) => unknown) | null;
  private readonly maxDepth: number;
  readonly out = new Writer();
  /** Memo of objects by identity (see ObjectMemo). */
  private memo: ObjectMemo;
  /** Memo of strings by value: JS strings have no identity (see README: memoization). */
  private strings: StringMemo;
  /** Memo of globals by name: the same name is the same object in Python. */
  private globals = new Map<string, number>();
  /** Memo of bytes of length 0 and 1 by value: CPython's are singletons. */
  private smallBytes = new Map<number, number>();
  private memoSize = 0;
  private depth = 0;
  /** CPython's `Pickler.fast`: nothing is memoized (the memo of earlier pickles is still referred to, as CPython does). */
  fast: boolean;
  /** In fast mode, the containers being written, outermost first (`ancestors[depth - 1]` is the innermost): a cycle check. */
  private ancestors: object[] = [];
  private savingPid = false;
  /**
   * Whether containers may write numbers straight into the buffer (`writeNumberInline`): binary
   * protocols, and no persistentId (CPython asks it about every value, ints included).
   */
  private readonly inlineNumbers: boolean;
  /**
   * Whether containers may write short ASCII strs straight into the buffer (`writeStrInline`): fast
   * mode with nothing in the memo (so no str is written as a reference), protocol 4+, no
   * persistentId. Set per pickle by `dump`.
   */
  private inlineStrs = false;
  /** Whether a dict's str keys may be written as a GET from `keyText`: memoizing, binary, no persistentId. Set per pickle by `dump`. */
  private memoKeys = false;
  /** Per key position in a dict: the str key last met there, found in the str memo's exact table (whose entries stay), and its memo index. */
  private keyText: unknown[] = new Array<unknown>(KEY_SLOTS).fill(undefined);
  private keyIndex: number[] = new Array<number>(KEY_SLOTS).fill(0);

  constructor(options: DumpOptions = {}) {
    let protocol = options.protocol ?? 4;
    if (protocol < 0) protocol = HIGHEST_PROTOCOL;
    if (!Number.isInteger(protocol) || protocol > HIGHEST_PROTOCOL) {
      throw new PicklingError('bad_protocol', `pickle protocol must be <= ${HIGHEST_PROTOCOL}, got ${String(options.protocol)}`);
    }
    this.protocol = protocol;
    this.fixImports = options.fixImports ?? true;
    this.bufferCallback = options.bufferCallback ?? null;
    this.persistentId = options.persistentId ?? null;
    this.maxDepth = options.maxDepth ?? 1000;
    this.inlineNumbers = protocol >= 1 && this.persistentId === null;
    this.fast = options.fast ?? false;
    if (spareMemos !== null) {
      [this.memo, this.strings] = spareMemos;
      spareMemos = null;
    } else {
      this.memo = new ObjectMemo();
      this.strings = new StringMemo();
    }
  }

  /** After the last `dump` (`dumps` is done with this encoder): lend its buffer and emptied memos to the next encoder. */
  release(): void {
    this.out.release();
    this.memo.reset();
    this.strings.forgetFrom(0);
    spareMemos = [this.memo, this.strings];
  }

  clearMemo(): void {
    this.keyText.fill(undefined);
    this.memo = new ObjectMemo();
    this.strings = new StringMemo();
    this.globals.clear();
    this.smallBytes.clear();
    this.memoSize = 0;
  }

  /** One whole pickle: PROTO, the value, STOP; returns its bytes. */
  dump(value: unknown): Uint8Array {
    const w = this.out;
    if (this.protocol >= 2) w.byte2(OP.PROTO, this.protocol);
    if (this.protocol >= 4) w.setFraming(true);
    this.depth = 0;
    this.inlineStrs = this.fast && this.memoSize === 0 && this.protocol >= 4 && this.persistentId === null;
    this.memoKeys = !this.fast && this.protocol >= 1 && this.persistentId === null;
    const mark = this.memoSize;
    try {
      this.save(value);
    } catch (e) {
      w.take();
      this.forgetFrom(mark);
      if (e instanceof Located) throw new PicklingError(e.code, `${e.message} (at ${where(e.steps)})`);
      throw e;
    } finally {
      this.ancestors.length = 0;
    }
    w.byte(OP.STOP);
    w.commitFrame();
    return w.take();
  }

  // ---- errors and paths ----

  private fail(code: string, message: string): never {
    throw new Located(code, message);
  }

  // ---- the memo ----

  /**
   * Forget the memo entries from `mark` on: those of a pickle that failed, whose bytes are thrown
   * away. A `Pickler`'s next pickle must not refer to them, nor count them (MEMOIZE numbers
   * entries by the reader's count).
   */
  private forgetFrom(mark: number): void {
    this.memo.forgetFrom(mark);
    this.strings.forgetFrom(mark);
    for (const table of [this.globals, this.smallBytes] as Map<unknown, number>[]) {
      for (const [key, index] of table) if (index >= mark) table.delete(key);
    }
    this.memoSize = mark;
    this.keyText.fill(undefined);
  }

  /** MEMOIZE / PUT for the value just written; its memo index, or -1 in fast mode (nothing written). */
  private put(): number {
    if (this.fast) return -1;
    const index = this.memoSize++;
    const w = this.out;
    if (this.protocol >= 4) w.byte(OP.MEMOIZE);
    else if (this.protocol >= 1) {
      if (index < 256) w.byte2(OP.BINPUT, index);
      else w.opU32(OP.LONG_BINPUT, index);
    } else {
      w.byte(OP.PUT);
      w.ascii(`${index}\n`);
    }
    return index;
  }

  private get(index: number): void {
    const w = this.out;
    if (this.protocol >= 1) {
      if (index < 256) w.byte2(OP.BINGET, index);
      else w.opU32(OP.LONG_BINGET, index);
    } else {
      w.byte(OP.GET);
      w.ascii(`${index}\n`);
    }
  }

  private memoize(obj: object): void {
    if (!this.fast) this.memo.set(obj, this.put());
  }

  /** Fast mode, entering container `value` at `this.depth`: a cycle if it is one of its own ancestors. */
  private enterFast(value: object): void {
    const ancestors = this.ancestors;
    const d = this.depth - 1;
    for (let i = 0; i < d; i++) {
      if (ancestors[i] === value) {
        this.fail('cyclic', `fast mode: can't pickle cyclic objects: ${pyKind(value)} here contains itself (without the memo, a pickle cannot refer back to it)`);
      }
    }
    ancestors[d] = value;
  }

  // ---- dispatch ----

  save(value: unknown): void {
    const w = this.out;
    w.boundary();
    if (this.persistentId !== null && !this.savingPid && this.savePersistent(value)) return;
    // An if-chain on typeof, not a switch: TurboFan turns `typeof x === 'string'` into a type
    // check, while the switch called the Typeof builtin (perf: about 1% of a records dump).
    if (typeof value !== 'object') {
      if (typeof value === 'string') this.saveStr(value);
      else if (typeof value === 'number') {
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) this.saveInt(value);
        else this.saveFloat(value);
      } else if (typeof value === 'boolean') this.saveBool(value);
      else if (typeof value === 'bigint') this.saveBigInt(value);
      else if (value === undefined) this.fail('unpicklable', 'undefined has no Python meaning (use null for None)');
      else this.fail('unpicklable', `a ${typeof value} has no Python meaning`);
      return;
    }
    if (value === null) {
      w.byte(OP.NONE);
      return;
    }
    // Plain lists and dicts, told apart without Object.getPrototypeOf (a builtin call TurboFan does not
    // inline for values of many shapes: perf, a third of `save` in a dump of 200,000 small dicts).
    const ctor = (value as { constructor?: unknown }).constructor;
    const plainList = ctor === Array && Array.isArray(value);
    if (plainList || (ctor === Map && value instanceof Map)) {
      // Plain lists and dicts are memoized as they open, so one memo operation finds or records them.
      const index = !this.fast ? this.memo.claim(value, this.memoSize) : this.memoSize > 0 ? this.memo.get(value) : -1;
      if (index >= 0) {
        this.get(index);
        return;
      }
      if (++this.depth > this.maxDepth) this.tooDeep();
      if (this.fast) this.enterFast(value);
      try {
        if (plainList) this.saveList(value as unknown[], true);
        else this.saveDict(value as Map<unknown, unknown>, value, true);
      } finally {
        this.depth--;
      }
      return;
    }
    if (value instanceof PyFloat) {
      this.saveFloat(value.value);
      return;
    }
    const proto = Object.getPrototypeOf(value);
    const index = this.memoSize > 0 ? this.memo.get(value) : -1;
    if (index >= 0) {
      this.get(index);
      return;
    }
    if (value instanceof Uint8Array) {
      if (value instanceof PyByteArray) this.nested(value, () => this.saveByteArray(value));
      else this.saveBytes(value);
      return;
    }
    if (++this.depth > this.maxDepth) this.tooDeep();
    if (this.fast) this.enterFast(value);
    try {
      this.saveObject(value, proto);
    } finally {
      this.depth--;
    }
  }

  private tooDeep(): never {
    this.fail('too_deep', `the value is nested more than ${this.maxDepth} deep (the maxDepth option)`);
  }

  private nested(value: object, run: () => void): void {
    if (++this.depth > this.maxDepth) this.tooDeep();
    if (this.fast) this.enterFast(value);
    try {
      run();
    } finally {
      this.depth--;
    }
  }

  /** Any object but a plain list or dict (`save` takes those) and bytes, by its prototype `proto`. */
  private saveObject(value: object, proto: unknown): void {
    if (proto === Object.prototype || proto === null) {
      const own = (value as { [REDUCE]?: unknown })[REDUCE];
      if (typeof own === 'function') return this.saveReduceHook(value, own);
      return this.saveObjectDict(value as Record<string, unknown>);
    }
    if (value instanceof PyTuple) return this.saveTuple(value);
    if (value instanceof PyStr) return this.saveFreshStr(value);
    if (value instanceof PyGlobal) return this.saveGlobal(value);
    const hook = (value as { [REDUCE]?: unknown })[REDUCE];
    if (typeof hook === 'function') return this.saveReduceHook(value, hook);
    if (Array.isArray(value)) return this.saveList(value);
    if (value instanceof Map) return this.saveDict(value);
    if (value instanceof PyFrozenSet) return this.saveFrozenSet(value);
    if (value instanceof Set) return this.saveSet(value);
    if (value instanceof PyComplex) {
      return this.saveReduction({ callable: G_COMPLEX, args: [new PyFloat(value.real), new PyFloat(value.imag)] }, value);
    }
    if (value instanceof PyPickleBuffer) return this.savePickleBuffer(value);
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    if (ArrayBuffer.isView(value)) {
      return this.fail('unpicklable', `a ${name} has no Python meaning (wrap bytes in a Uint8Array, or describe a numpy array with a reduce hook)`);
    }
    return this.fail('unpicklable', `a ${name} has no Python meaning: give its class a [REDUCE] method (pickleguard's reduce hook) or convert it`);
  }

  // ---- atoms ----

  private saveBool(v: boolean): void {
    if (this.protocol >= 2) this.out.byte(v ? OP.NEWTRUE : OP.NEWFALSE);
    else this.out.ascii(v ? 'I01\n' : 'I00\n');
  }

  private saveInt(v: number): void {
    const w = this.out;
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      if (this.protocol === 0) {
        w.ascii(`I${v}\n`);
      } else if (v >= 0 && v <= 0xff) {
        w.byte2(OP.BININT1, v);
      } else if (v >= 0 && v <= 0xffff) {
        w.opU16(OP.BININT2, v);
      } else {
        w.opU32(OP.BININT, v);
      }
      return;
    }
    this.saveLong(BigInt(v));
  }

  private saveBigInt(v: bigint): void {
    if (v >= -0x80000000n && v <= 0x7fffffffn) this.saveInt(Number(v));
    else this.saveLong(v);
  }

  /** Ints beyond 32 bits: LONG1/LONG4 (two's complement, little-endian, shortest) at protocol 2+, else `L…L`. */
  private saveLong(v: bigint): void {
    const w = this.out;
    if (this.protocol < 2) {
      w.ascii(`L${v.toString()}L\n`);
      return;
    }
    const bytes = twosComplement(v);
    if (bytes.length < 256) w.byte2(OP.LONG1, bytes.length);
    else w.opU32(OP.LONG4, bytes.length);
    w.bytes(bytes);
  }

  private saveFloat(v: number): void {
    if (this.protocol >= 1) this.out.binfloat(v);
    else this.out.ascii(`F${pyFloatRepr(v)}\n`);
  }

  /**
   * BININT1 / BININT2 / BININT / BINFLOAT of a number in a list or dict, stored straight into the
   * buffer when the writer has room (and, when framing, no frame is due to be committed: see
   * `Writer.fastEnd`): lists of a million ints spend most of their time here. False when the
   * general path must write `v` (ints beyond 32 bits, -0, a full buffer).
   */
  private writeNumberInline(v: number): boolean {
    const w = this.out;
    const p = w.pos;
    if (p >= w.fastEnd) return false;
    const buf = w.buf;
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= 0 && v <= 0xff) {
        buf[p] = OP.BININT1;
        buf[p + 1] = v;
        w.pos = p + 2;
      } else if (v >= 0 && v <= 0xffff) {
        buf[p] = OP.BININT2;
        buf[p + 1] = v;
        buf[p + 2] = v >>> 8;
        w.pos = p + 3;
      } else {
        buf[p] = OP.BININT;
        buf[p + 1] = v;
        buf[p + 2] = v >> 8;
        buf[p + 3] = v >> 16;
        buf[p + 4] = v >> 24;
        w.pos = p + 5;
      }
      return true;
    }
    // A safe integer here is beyond 32 bits (LONG1) or -0 (a float).
    if (Number.isSafeInteger(v) && v !== 0) return false;
    w.floatAt(p, v);
    return true;
  }

  /** `save(v)` for an item of a list or dict: numbers and (in fast mode) short ASCII strs without the dispatch. */
  private saveItem(v: unknown): void {
    if (typeof v === 'number') {
      if (!this.inlineNumbers || !this.writeNumberInline(v)) this.save(v);
    } else if (typeof v !== 'string' || !this.inlineStrs || !this.writeStrInline(v)) this.save(v);
  }

  /**
   * SHORT_BINUNICODE of a str of at most FAST_ROOM - 2 ASCII characters, stored straight into the
   * buffer below `fastEnd` (as `writeNumberInline`); false, having written nothing, when the general
   * path must write it (longer, not ASCII, or no room).
   */
  private writeStrInline(v: string): boolean {
    const n = v.length;
    const w = this.out;
    const p = w.pos;
    if (n > FAST_ROOM - 2 || p >= w.fastEnd) return false;
    const buf = w.buf;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[p + 2 + i] = c;
    }
    buf[p] = OP.SHORT_BINUNICODE;
    buf[p + 1] = n;
    w.pos = p + 2 + n;
    return true;
  }

  /**
   * `writeStrInline` for the key at position `at` of a dict, through KEY_TEXT: dicts of one shape
   * (records) have the same key at the same position, so its bytes are stored as words, not
   * copied a character at a time (perf: a fifth of a fast records dump). False as writeStrInline.
   */
  private writeKeyInline(k: unknown, at: number): boolean {
    const w = this.out;
    const p = w.pos;
    if (p >= w.fastEnd) return false;
    const view = w.view;
    const b = 4 * at;
    if (KEY_TEXT[at] === k) {
      const n = (k as string).length;
      view.setInt32(p, KEY_WORDS[b]!, true);
      view.setInt32(p + 4, KEY_WORDS[b + 1]!, true);
      if (n > 6) {
        view.setInt32(p + 8, KEY_WORDS[b + 2]!, true);
        view.setInt32(p + 12, KEY_WORDS[b + 3]!, true);
      }
      w.pos = p + 2 + n;
      return true;
    }
    if (typeof k !== 'string' || !this.writeStrInline(k)) return false;
    // Below fastEnd, FAST_ROOM (16) bytes from p are in the buffer: the opcode, length and up to 14 characters.
    KEY_TEXT[at] = k;
    for (let j = 0; j < 4; j++) KEY_WORDS[b + j] = view.getInt32(p + 4 * j, true);
    return true;
  }

  /** A `PyStr`: written afresh and memoized by identity. */
  private saveFreshStr(s: PyStr): void {
    this.saveStr(s.text, false);
    if (!this.fast) this.memo.set(s, this.memoSize - 1);
  }

  /** A str; `shared` false for a str CPython makes afresh (the latin-1 text of bytes below protocol 3), which is never shared. */
  private saveStr(v: string, shared = true): void {
    // (In fast mode the memo holds only strings of earlier pickles; StringMemo.set needs the find before it.)
    const memo = shared && (!this.fast || this.memoSize > 0);
    const strings = this.strings;
    let index = -1;
    const w = this.out;
    if (this.protocol >= 1 && v.length * 3 < FRAME_SIZE_TARGET) {
      // Short enough that the payload stays in the frame: encode in place, hashing on the way (a str
      // the memo has is then written as a GET over it), then write the header.
      const short = this.protocol >= 4 && v.length <= 85; // 3 × 85 ≤ 255: the length fits one byte
      const head = short ? 2 : 5;
      const p = w.reserve(head + v.length * 3);
      let end = encodeUtf8Into(v, w.buf, p + head);
      if (memo) index = strings.find(v, hashEnd(encodedHash));
      if (index < 0) {
        const buf = w.buf;
        const n = end - p - head;
        if (short || (this.protocol >= 4 && n < 256)) {
          if (!short) buf.copyWithin(p + 2, p + 5, end);
          buf[p] = OP.SHORT_BINUNICODE;
          buf[p + 1] = n;
          end -= head - 2;
        } else {
          buf[p] = OP.BINUNICODE;
          w.view.setUint32(p + 1, n, true);
        }
        w.pos = end;
      }
    } else {
      if (memo) index = strings.find(v, hashOf(v));
      if (index < 0) {
        if (this.protocol === 0) {
          w.byte(OP.UNICODE);
          w.bytes(rawUnicodeEscape(v));
          w.byte(0x0a);
        } else {
          const data = new Uint8Array(utf8Length(v));
          encodeUtf8Into(v, data, 0);
          w.payload(() => this.lengthHeader(data.length, OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8), data);
        }
      }
    }
    if (index >= 0) {
      this.get(index);
      return;
    }
    const at = this.put();
    if (memo && at >= 0) strings.set(v, at);
  }

  /** The opcode and length for a payload: short (1-byte length, protocol 4+ for str), 4-byte, or 8-byte. */
  private lengthHeader(n: number, short: number, long: number, huge: number): void {
    const w = this.out;
    const shortOk = short !== OP.SHORT_BINUNICODE || this.protocol >= 4;
    if (n < 256 && shortOk) w.byte2(short, n);
    else if (n <= 0xffffffff) w.opU32(long, n);
    else w.opU64(huge, n);
  }

  private saveBytes(v: Uint8Array): void {
    const key = v.length === 0 ? -1 : v[0]!;
    if (v.length <= 1) {
      const index = this.smallBytes.get(key);
      if (index !== undefined) {
        this.get(index);
        return;
      }
    }
    if (this.protocol < 3) {
      if (v.length === 0) this.saveReduction({ callable: G_BYTES, args: EMPTY_TUPLE }, v);
      else this.saveReduction({ callable: G_CODECS_ENCODE, args: [new PyStr(latin1String(v)), LATIN1_ENCODING] }, v);
    } else {
      this.out.payload(() => this.lengthHeader(v.length, OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8), v);
      this.memoize(v);
    }
    if (v.length <= 1 && !this.fast) this.smallBytes.set(key, this.memo.get(v));
  }

  private saveByteArray(v: PyByteArray): void {
    if (this.protocol < 5) {
      const copy = new Uint8Array(v);
      this.saveReduction({ callable: G_BYTEARRAY, args: v.length === 0 ? EMPTY_TUPLE : [copy] }, v);
      return;
    }
    this.out.payload(() => this.out.opU64(OP.BYTEARRAY8, v.length), v);
    this.memoize(v);
  }

  private savePickleBuffer(v: PyPickleBuffer): void {
    if (this.protocol < 5) this.fail('bad_protocol', 'a PyPickleBuffer can be pickled only with protocol 5 or higher');
    const inBand = this.bufferCallback === null ? true : Boolean(this.bufferCallback(v));
    const w = this.out;
    if (inBand) {
      const n = v.data.length;
      w.payload(() => (v.readonly ? this.lengthHeader(n, OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8) : w.opU64(OP.BYTEARRAY8, n)), v.data);
      this.memoize(v);
      return;
    }
    w.byte(OP.NEXT_BUFFER);
    if (v.readonly) w.byte(OP.READONLY_BUFFER);
  }

  private savePersistent(value: unknown): boolean {
    const pid = this.persistentId!(value);
    if (pid === null || pid === undefined) return false;
    const w = this.out;
    if (this.protocol === 0) {
      if (typeof pid !== 'string' || /[\n\r]/.test(pid) || /[^\x00-\x7f]/.test(pid)) {
        this.fail('bad_persistent_id', 'persistent IDs in protocol 0 must be ASCII strings without newlines');
      }
      w.byte(OP.PERSID);
      w.ascii(`${pid}\n`);
    } else {
      // The id itself is saved without asking persistentId again, as CPython does.
      this.savingPid = true;
      try {
        this.save(pid);
      } finally {
        this.savingPid = false;
      }
      w.byte(OP.BINPERSID);
    }
    return true;
  }

  // ---- containers ----

  private saveTuple(t: PyTuple): void {
    const w = this.out;
    const n = t.length;
    if (n === 0) {
      if (this.protocol >= 1) w.byte(OP.EMPTY_TUPLE);
      else w.byte2(OP.MARK, OP.TUPLE);
      return;
    }
    const small = n <= 3 && this.protocol >= 2;
    if (!small) w.byte(OP.MARK);
    this.items(t);
    const index = this.memo.get(t);
    if (index >= 0) {
      // Recursive: the tuple was memoized while its items were written. Drop them (and the MARK) and fetch it.
      if (!small && this.protocol >= 1) w.byte(OP.POP_MARK);
      else for (let i = small ? 1 : 0; i <= n; i++) w.byte(OP.POP);
      this.get(index);
      return;
    }
    w.byte(!small ? OP.TUPLE : n === 1 ? OP.TUPLE1 : n === 2 ? OP.TUPLE2 : OP.TUPLE3);
    this.memoize(t);
  }

  /** Saves `items[start..end)`; an error inside gets its index added to its path. */
  private items(items: readonly unknown[], start = 0, end = items.length): void {
    let i = start;
    try {
      for (; i < end; i++) this.save(items[i]);
    } catch (e) {
      throw located(e, i);
    }
  }

  /** A list; `claimed` when `save` has already recorded it in the memo under the next index. */
  private saveList(list: readonly unknown[], claimed = false): void {
    const w = this.out;
    if (this.protocol >= 1) w.byte(OP.EMPTY_LIST);
    else w.byte2(OP.MARK, OP.LIST);
    if (claimed) this.put();
    else this.memoize(list);
    const n = list.length;
    if (n === 0) return;
    // One APPEND per item: protocol 0 has no APPENDS, and CPython writes a single item so.
    if (this.protocol === 0 || n === 1) {
      for (let i = 0; i < n; i++) {
        this.items(list, i, i + 1);
        w.byte(OP.APPEND);
      }
      return;
    }
    for (let start = 0; start < n; start += BATCHSIZE) {
      const before = w.pos;
      w.byte(OP.MARK);
      this.listItems(list, start, Math.min(n, start + BATCHSIZE));
      w.byte(OP.APPENDS);
      if (start === 0 && n >= LONG_LIST) w.expect(((w.pos - before) / BATCHSIZE) * (n - BATCHSIZE));
    }
  }

  /** `items` for a list batch, with numbers and short strs written inline (`saveItem`). */
  private listItems(list: readonly unknown[], start: number, end: number): void {
    let i = start;
    try {
      for (; i < end; i++) this.saveItem(list[i]);
    } catch (e) {
      throw located(e, i);
    }
  }

  /** A dict, memoized as `memoKey`; `claimed` as for saveList. */
  private saveDict(d: ReadonlyMap<unknown, unknown>, memoKey: object = d, claimed = false): void {
    const w = this.out;
    if (this.protocol >= 1) w.byte(OP.EMPTY_DICT);
    else w.byte2(OP.MARK, OP.DICT);
    if (claimed) this.put();
    else this.memoize(memoKey);
    this.dictItems(d);
  }

  /** A plain or null-prototype object: a dict of its own enumerable string keys, memoized as itself. */
  private saveObjectDict(obj: Record<string, unknown>): void {
    for (const k of Object.getOwnPropertySymbols(obj)) {
      if (Object.prototype.propertyIsEnumerable.call(obj, k)) this.fail('unpicklable', `a symbol key (${String(k)}) has no Python meaning`);
    }
    const map = new Map<unknown, unknown>();
    for (const k of Object.keys(obj)) map.set(k, obj[k]);
    this.saveDict(map, obj);
  }

  /** CPython's batch_dict_exact: one SETITEM for a single item; batches of 1000, with an empty batch after a full last one. */
  private dictItems(d: ReadonlyMap<unknown, unknown>): void {
    const w = this.out;
    const n = d.size;
    if (n === 0) return;
    let key: unknown;
    try {
      // One SETITEM per item: protocol 0 has no SETITEMS, and CPython writes a single item so.
      if (this.protocol === 0 || n === 1) {
        const values = d.values();
        for (const k of d.keys()) {
          key = k;
          this.saveItem(k);
          this.saveItem(values.next().value);
          w.byte(OP.SETITEM);
        }
        return;
      }
      let i = 0;
      let firstBatch = n >= LONG_LIST ? w.pos : -1;
      w.byte(OP.MARK);
      // Keys and values side by side, not for-of over entries nor Map#forEach: no [k, v] pair per
      // entry (forEach ran fewer instructions under callgrind but took twice the CPU time in node).
      const values = d.values();
      const inlineStrs = this.inlineStrs;
      const memoKeys = this.memoKeys;
      let at = 0;
      for (const k of d.keys()) {
        const v = values.next().value;
        key = k;
        if (at >= KEY_SLOTS) this.saveItem(k);
        else if (inlineStrs) {
          if (!this.writeKeyInline(k, at)) this.saveItem(k);
        } else if (memoKeys && this.keyText[at] === k) {
          w.boundary();
          this.get(this.keyIndex[at]!);
        } else {
          this.saveItem(k);
          if (memoKeys && this.strings.found === k) {
            this.keyText[at] = k;
            this.keyIndex[at] = this.strings.foundIndex;
          }
        }
        at++;
        this.saveItem(v);
        if (++i === BATCHSIZE) {
          w.byte(OP.SETITEMS);
          if (firstBatch >= 0) {
            w.expect(((w.pos - firstBatch) / BATCHSIZE) * (n - BATCHSIZE));
            firstBatch = -1;
          }
          w.byte(OP.MARK);
          i = 0;
        }
      }
      w.byte(OP.SETITEMS);
    } catch (e) {
      throw located(e, pathKey(key));
    }
  }

  private saveSet(s: ReadonlySet<unknown>): void {
    if (this.protocol < 4) {
      this.saveReduction({ callable: G_SET, args: [[...s]] }, s);
      return;
    }
    const w = this.out;
    w.byte(OP.EMPTY_SET);
    this.memoize(s);
    if (s.size === 0) return;
    // As CPython's save_set: batches of 1000, and an empty batch after a full last one.
    let i = 0;
    w.byte(OP.MARK);
    for (const item of s) {
      this.save(item);
      if (++i === BATCHSIZE) {
        w.byte(OP.ADDITEMS);
        w.byte(OP.MARK);
        i = 0;
      }
    }
    w.byte(OP.ADDITEMS);
  }

  private saveFrozenSet(s: PyFrozenSet<unknown>): void {
    if (this.protocol < 4) {
      this.saveReduction({ callable: G_FROZENSET, args: [[...s]] }, s);
      return;
    }
    const w = this.out;
    w.byte(OP.MARK);
    for (const item of s) this.save(item);
    const index = this.memo.get(s);
    if (index >= 0) {
      w.byte(OP.POP_MARK);
      this.get(index);
      return;
    }
    w.byte(OP.FROZENSET);
    this.memoize(s);
  }

  // ---- globals and reductions ----

  private saveGlobal(g: PyGlobal): void {
    const key = `${g.module}\n${g.qualname}`;
    const index = this.globals.get(key);
    if (index !== undefined) {
      this.get(index);
      return;
    }
    const w = this.out;
    let { module, qualname } = g;
    const dot = qualname.lastIndexOf('.');
    if (this.protocol >= 4) {
      this.saveStr(module, !freshModule(module, qualname));
      this.saveStr(qualname, !freshQualname(module, qualname));
      w.byte(OP.STACK_GLOBAL);
    } else if (dot >= 0) {
      // A nested name below protocol 4: getattr(parent, last), as CPython writes it.
      const parent = new PyGlobal(module, qualname.slice(0, dot));
      this.saveReduction({ callable: G_GETATTR, args: [parent, new PyStr(qualname.slice(dot + 1))] }, null);
    } else {
      if (this.protocol < 3 && this.fixImports) [module, qualname] = reverseImport(module, qualname);
      if (this.protocol >= 3 || (isAscii(module) && isAscii(qualname))) {
        if (/\n/.test(module) || /\n/.test(qualname)) this.fail('bad_global', `a global name cannot hold a newline: ${g.toString()}`);
        w.byte(OP.GLOBAL);
        const data = new Uint8Array(utf8Length(module) + utf8Length(qualname) + 2);
        let at = encodeUtf8Into(module, data, 0);
        data[at++] = 0x0a;
        at = encodeUtf8Into(qualname, data, at);
        data[at] = 0x0a;
        w.bytes(data);
      } else {
        this.fail('bad_global', `can't pickle global identifier '${g.toString()}' using pickle protocol ${this.protocol}: it is not ASCII`);
      }
    }
    const at = this.put();
    if (at >= 0) this.globals.set(key, at);
  }

  private saveReduceHook(value: object, hook: unknown): void {
    let result: unknown;
    try {
      result = (hook as (protocol: number) => unknown).call(value, this.protocol);
    } catch (e) {
      if (e instanceof PicklingError) throw e;
      return this.fail('reduce_failed', `the reduce hook of ${describeObject(value)} failed: ${String(e)}`);
    }
    if (result instanceof PyGlobal) {
      this.saveGlobal(result);
      return;
    }
    if (typeof result !== 'object' || result === null || !Array.isArray((result as Reduction).args)) {
      return this.fail('bad_reduce', `the reduce hook of ${describeObject(value)} must return a PyGlobal or { callable, args, … }`);
    }
    this.saveReduction(result as Reduction, value);
  }

  /** CPython's save_reduce: NEWOBJ / NEWOBJ_EX forms, REDUCE, then memo, listitems, dictitems, state. */
  private saveReduction(r: Reduction, obj: unknown): void {
    const w = this.out;
    const { callable, args } = r;
    const name = callable instanceof PyGlobal ? callable.qualname : '';
    if (this.protocol >= 2 && name === '__newobj_ex__') {
      if (args.length !== 3) this.fail('bad_reduce', '__newobj_ex__ takes (cls, args, kwargs)');
      const [cls, clsArgs, kwargs] = args;
      if (this.protocol < 4) this.fail('bad_protocol', 'keyword arguments to __new__ (NEWOBJ_EX) need protocol 4 or higher');
      this.save(cls);
      this.save(Array.isArray(clsArgs) && !(clsArgs instanceof PyTuple) ? PyTuple.fromArray(clsArgs) : clsArgs);
      this.save(kwargs);
      w.byte(OP.NEWOBJ_EX);
    } else if (this.protocol >= 2 && name === '__newobj__') {
      if (args.length === 0) this.fail('bad_reduce', '__newobj__ needs the class as its first argument');
      this.save(args[0]);
      this.save(tupleOf(args.slice(1)));
      w.byte(OP.NEWOBJ);
    } else {
      try {
        this.save(callable);
      } catch (e) {
        throw located(e, '<callable>');
      }
      this.save(args instanceof PyTuple ? args : tupleOf(args));
      w.byte(OP.REDUCE);
    }
    if (obj !== null && obj !== undefined) {
      const index = this.memo.get(obj);
      if (index >= 0) {
        // Recursive: the object was memoized while its arguments were written.
        w.byte(OP.POP);
        this.get(index);
        return;
      }
      this.memoize(obj);
    }
    if (r.listitems != null) this.batchListItems(r.listitems);
    if (r.dictitems != null) this.batchDictItems(r.dictitems);
    if (r.state !== undefined && r.state !== null) {
      if (r.stateSetter != null) {
        this.save(r.stateSetter);
        this.save(obj);
        this.save(r.state);
        w.byte(OP.TUPLE2);
        w.byte(OP.REDUCE);
        w.byte(OP.POP);
      } else {
        try {
          this.save(r.state);
        } catch (e) {
          throw located(e, '<state>');
        }
        w.byte(OP.BUILD);
      }
    }
  }

  /** CPython's batch_list over an iterator: one at a time at protocol 0; a lone last item as APPEND. */
  private batchListItems(items: Iterable<unknown>): void {
    this.batchItems(items, (v) => this.save(v), OP.APPEND, OP.APPENDS);
  }

  /** CPython's batch_dict over an iterator of [key, value] pairs. */
  private batchDictItems(items: Iterable<readonly [unknown, unknown]>): void {
    const pair = (p: unknown): void => {
      if (!Array.isArray(p) || p.length !== 2) this.fail('bad_reduce', 'dictitems must yield [key, value] pairs');
      this.save(p[0]);
      this.save(p[1]);
    };
    this.batchItems(items, pair, OP.SETITEM, OP.SETITEMS);
  }

  /**
   * The batching both share: at protocol 0 each item with `single`; otherwise MARK … `many` in
   * batches of 1000, except that a batch of one item is written with `single`.
   */
  private batchItems<T>(items: Iterable<T>, saveOne: (item: T) => void, single: number, many: number): void {
    const w = this.out;
    const it = items[Symbol.iterator]();
    if (this.protocol === 0) {
      for (let r = it.next(); !r.done; r = it.next()) {
        saveOne(r.value);
        w.byte(single);
      }
      return;
    }
    let n: number;
    do {
      const first = it.next();
      if (first.done) return;
      let next = it.next();
      if (next.done) {
        saveOne(first.value);
        w.byte(single);
        return;
      }
      w.byte(OP.MARK);
      saveOne(first.value);
      n = 1;
      while (!next.done) {
        saveOne(next.value);
        n++;
        if (n === BATCHSIZE) break;
        next = it.next();
      }
      w.byte(many);
    } while (n === BATCHSIZE);
  }
}

/** A pickling failure on its way up, collecting the path to the value (innermost step first). */
class Located {
  readonly steps: PathStep[] = [];
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/** Adds `step` to a failure's path; a stack overflow becomes a failure with a path too. */
function located(e: unknown, step: PathStep): unknown {
  // (No regular expression here: near the stack limit, compiling one throws too.)
  if ((e instanceof RangeError || e instanceof SyntaxError) && e.message.includes('call stack')) {
    e = new Located('too_deep', 'the value is nested too deeply to pickle');
  }
  if (e instanceof Located) e.steps.push(step);
  return e;
}

/** `root.items[3].callback` from the steps a failure collected (long paths keep their two ends). */
function where(inner: readonly PathStep[]): string {
  const outer = [...inner].reverse();
  const steps = outer.length > 40 ? [...outer.slice(0, 10), '…', ...outer.slice(-10)] : outer;
  let out = 'root';
  for (const step of steps) {
    out += typeof step === 'number' ? `[${step}]` : step === '…' ? '…' : /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return out;
}

function tupleOf(items: readonly unknown[]): PyTuple {
  return items.length === 0 ? EMPTY_TUPLE : PyTuple.fromArray(items);
}

/** Two's complement, little-endian, in the fewest bytes (0 is no bytes), as LONG1/LONG4 carry it. */
export function twosComplement(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const out: number[] = [];
  let x = v;
  // Emit bytes until the remaining value is all sign and the last byte's top bit agrees with the sign.
  for (;;) {
    const b = Number(x & 0xffn);
    out.push(b);
    x >>= 8n;
    if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}

function latin1String(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

function reverseImport(module: string, name: string): [string, string] {
  const key = `${module}\n${name}`;
  if (hasOwn(REVERSE_NAME_MAPPING, key)) {
    const [m, n] = REVERSE_NAME_MAPPING[key]!;
    return [m, n];
  }
  if (hasOwn(REVERSE_IMPORT_MAPPING, module)) return [REVERSE_IMPORT_MAPPING[module]!, name];
  return [module, name];
}

function pathKey(k: unknown): PathStep {
  return typeof k === 'string' ? k : typeof k === 'number' ? k : String(k);
}

/** `a list`, `a dict`, `a tuple`, … for messages. */
function pyKind(value: object): string {
  if (value instanceof PyTuple) return 'a tuple';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Map || Object.getPrototypeOf(value) === Object.prototype) return 'a dict';
  if (value instanceof PyFrozenSet) return 'a frozenset';
  if (value instanceof Set) return 'a set';
  return `a ${describeObject(value)}`;
}

function describeObject(value: object): string {
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}
