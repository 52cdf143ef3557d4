/**
 * Walks the opcodes of one pickle without running them: the opcode, its decoded argument, where
 * it starts and ends. It reads through a Machine and the argument decoders of args.ts, exactly as
 * the loader reads: the disassembler and the stream scanner see the bytes the loader sees.
 * `next()` returns false after the STOP has been read; it throws our errors for bad input.
 */
import { MalformedPickleError, TruncatedPickleError } from '../errors.js';
import { OPCODE_BY_BYTE, type OpcodeInfo } from '../opcodes.js';
import {
  binStringArg,
  floatLineArg,
  globalArg,
  intArg,
  longArg,
  longBytesArg,
  memoIndexArg,
  persidArg,
  stringLiteralArg,
  unicodeLineArg,
  utf8Arg,
} from './args.js';
import { Machine } from './machine.js';
import { resolveOptions } from './options.js';

/**
 * A decoded opcode argument, by kind:
 * - uint1, uint2, uint4, int4: number; uint8 (FRAME): number, or bigint above 2**53 - 1
 * - long1, long4, decimalnl_long: number when it is a safe integer, else bigint
 * - decimalnl_short: INT's value as the loader reads it (number | bigint, or boolean for `00` and
 *   `01`); PUT and GET's memo index (base 10)
 * - float8, floatnl: number
 * - string1, string4 (Python 2 str), stringnl (the decoded literal): Uint8Array of the raw bytes
 * - bytes1, bytes4, bytes8, bytearray8: Uint8Array, a view into the input
 * - unicodestring1/4/8, unicodestringnl, stringnl_noescape (PERSID): string
 * - stringnl_noescape_pair: "module name", the two lines joined by one blank, as pickletools shows
 *   it (`module` and `qualname` hold them apart)
 * - no argument: null
 */
export type OpArg = number | bigint | boolean | string | Uint8Array | null;

export interface OpReaderOptions {
  /** Most decimal digits accepted in an INT / LONG / GET / PUT line. Default 4300, like CPython. */
  maxIntDigits?: number;
  /**
   * 'strict' checks frames as the loader does (an argument crossing a frame's end, a FRAME inside a
   * frame); 'hint' (the default) reads FRAME as a length only, as pickletools and the C unpickler do.
   */
  frames?: 'strict' | 'hint';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class OpReader {
  /** The opcode just read, its decoded argument, its offset and the offset after its argument. */
  op: OpcodeInfo = OPCODE_BY_BYTE[0x2e]!;
  arg: OpArg = null;
  pos: number;
  end: number;
  /** For GLOBAL and INST: the module and the qualified name. */
  module = '';
  qualname = '';
  readonly #m: Machine;
  #done = false;

  constructor(bytes: Uint8Array, start = 0, options: OpReaderOptions = {}) {
    const m = new Machine(bytes, resolveOptions({ maxIntDigits: options.maxIntDigits, maxObjectBytes: Infinity, maxInputBytes: Infinity }));
    m.pos = m.opPos = start;
    m.ignoreFrames = options.frames !== 'strict';
    this.#m = m;
    this.pos = this.end = start;
  }

  /** Go on reading at `pos` (a new pickle, or the same one after unreadable bytes): no frame open. */
  seek(pos: number): void {
    const m = this.#m;
    m.closeFrame();
    m.pos = m.opPos = pos;
    this.pos = this.end = pos;
    this.#done = false;
  }

  /** Read the next opcode; false once the STOP was read. */
  next(): boolean {
    if (this.#done) return false;
    const m = this.#m;
    const pos = m.pos;
    if (pos === m.frameEnd) m.closeFrame();
    this.pos = m.opPos = pos;
    if (pos >= m.end) throw new TruncatedPickleError('pickle exhausted before seeing STOP', { offset: pos });
    const code = m.data[pos]!;
    const op = OPCODE_BY_BYTE[code];
    if (op === undefined) {
      throw new MalformedPickleError('unknown_opcode', `opcode b'\\x${code.toString(16).padStart(2, '0')}' unknown`, { offset: pos, opcode: code });
    }
    this.op = op;
    m.pos = pos + 1;
    this.arg = op.arg === null ? null : this.#read(op);
    this.end = m.pos;
    if (code === 0x2e) {
      if (m.frameEnd > m.pos) m.malformed('frame_unfinished', 'STOP inside a frame that has bytes left: readers disagree on where the next pickle starts');
      this.#done = true;
    }
    return true;
  }

  #read(op: OpcodeInfo): OpArg {
    const m = this.#m;
    const view = (n: number): Uint8Array => {
      const p = m.payload(n);
      return m.data.subarray(p, p + n);
    };
    switch (op.name) {
      case 'INT': return intArg(m);
      case 'LONG': return longArg(m);
      case 'LONG1': return longBytesArg(m, 1);
      case 'LONG4': return longBytesArg(m, 4);
      case 'BININT': return m.i32();
      case 'BININT1': return m.u8();
      case 'BININT2': return m.u16();
      case 'STRING': return stringLiteralArg(m);
      case 'BINSTRING': return binStringArg(m, 4);
      case 'SHORT_BINSTRING': return binStringArg(m, 1);
      case 'BINBYTES': return view(m.u32());
      case 'SHORT_BINBYTES': return view(m.u8());
      case 'BINBYTES8':
      case 'BYTEARRAY8': return view(m.u64());
      case 'UNICODE': return unicodeLineArg(m);
      case 'SHORT_BINUNICODE': return utf8Arg(m, m.u8());
      case 'BINUNICODE': return utf8Arg(m, m.u32());
      case 'BINUNICODE8': return utf8Arg(m, m.u64());
      case 'FLOAT': return floatLineArg(m);
      case 'BINFLOAT': return m.view.getFloat64(m.take(8), false);
      case 'GET':
      case 'PUT': return memoIndexArg(m, op.name);
      case 'BINGET':
      case 'BINPUT':
      case 'EXT1':
      case 'PROTO': return m.u8();
      case 'LONG_BINGET':
      case 'LONG_BINPUT': return m.u32();
      case 'EXT2': return m.u16();
      case 'EXT4': return m.i32();
      case 'GLOBAL':
      case 'INST': {
        [this.module, this.qualname] = globalArg(m);
        return `${this.module} ${this.qualname}`;
      }
      case 'PERSID': return persidArg(m);
      case 'FRAME': {
        const big = m.view.getBigUint64(m.take(8), true);
        m.openFrame(big > MAX_SAFE ? Infinity : Number(big));
        return big > MAX_SAFE ? big : Number(big);
      }
      default:
        throw new Error(`OpReader: no reader for the argument of ${op.name}`);
    }
  }
}

export interface GenOp {
  readonly op: OpcodeInfo;
  readonly arg: OpArg;
  /** Offset of the opcode byte. */
  readonly pos: number;
  /** Offset just after the opcode's argument. */
  readonly end: number;
}

/** Generate the opcodes of the one pickle that starts at `start`, stopping after its STOP. */
export function* genops(bytes: Uint8Array, start = 0, options: OpReaderOptions = {}): Generator<GenOp, void, undefined> {
  const r = new OpReader(bytes, start, options);
  while (r.next()) yield { op: r.op, arg: r.arg, pos: r.pos, end: r.end };
}
