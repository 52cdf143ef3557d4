/**
 * `genops`: walk the opcodes of one pickle without executing anything, decoding each argument by
 * its kind in `ARG_KINDS` (the model is CPython's `pickletools.genops`). Every length is checked
 * against the bytes that are left before anything is read or allocated; counted bytes come back
 * as views into the input, not copies.
 *
 * Text arguments are decoded the way CPython's unpickler decodes them (the shared decoders of
 * `src/unpickler/text.ts`), so an auditor sees the names the unpickler would look up;
 * `disassemble()` re-reads the raw bytes where pickletools shows them differently.
 */
import { LimitExceededError, MalformedPickleError, TruncatedPickleError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { ARG_KINDS, OPCODE_BY_BYTE, type ArgKindName, type OpcodeInfo } from '../opcodes.js';
import {
  decodeLong,
  decodeRawUnicodeEscape,
  decodeStringLiteral,
  decodeUtf8,
  parseFloatLine,
  parseIntLine,
  parseLongLine,
} from '../unpickler/text.js';

/**
 * A decoded opcode argument, by kind:
 * - uint1, uint2, uint4, int4: number; uint8: number, or bigint above 2**53 - 1
 * - long1, long4, decimalnl_long: number when it is a safe integer, else bigint
 * - decimalnl_short: number | bigint, or boolean for the lines `00` and `01` (as pickletools does)
 * - float8, floatnl: number
 * - string1, string4 (Python 2 str), stringnl (the decoded literal): Uint8Array of the raw bytes
 * - bytes1, bytes4, bytes8, bytearray8: Uint8Array, a view into the input
 * - unicodestring1/4/8, unicodestringnl, stringnl_noescape: string
 * - stringnl_noescape_pair: "module name", the two lines joined by one blank, as pickletools shows it
 * - no argument: null
 */
export type OpArg = number | bigint | boolean | string | Uint8Array | null;

export interface GenOp {
  readonly op: OpcodeInfo;
  readonly arg: OpArg;
  /** Offset of the opcode byte. */
  readonly pos: number;
  /** Offset just after the opcode's argument. */
  readonly end: number;
}

export interface GenopsOptions {
  /** Most decimal digits accepted in an INT / LONG / GET / PUT line. Default 4300, like CPython. */
  maxIntDigits?: number;
}

const NL = 0x0a;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/**
 * Reads the opcodes of the one pickle that starts at `start`, one `next()` at a time, into its own
 * fields (`op`, `arg`, `pos`, `end`): no object per opcode, which the auditor's hot loop needs.
 * `next()` returns false after the STOP has been read; it throws our errors for bad input.
 */
export class OpReader {
  /** The opcode just read, its decoded argument, its offset and the offset after its argument. */
  op: OpcodeInfo = OPCODE_BY_BYTE[0x2e]!;
  arg: OpArg = null;
  pos: number;
  end: number;
  private p: number;
  private readonly n: number;
  private readonly view: DataView;
  private readonly maxIntDigits: number;
  private done = false;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    options: GenopsOptions = {},
  ) {
    this.maxIntDigits = options.maxIntDigits ?? DEFAULT_LIMITS.maxIntDigits;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.n = bytes.length;
    this.p = this.pos = this.end = start;
  }

  /** Read the next opcode; false once the STOP was read. */
  next(): boolean {
    if (this.done) return false;
    const bytes = this.bytes;
    const view = this.view;
    const pos = (this.pos = this.p);
    if (pos >= this.n) {
      throw new TruncatedPickleError('pickle exhausted before seeing STOP', { offset: pos });
    }
    const code = bytes[pos]!;
    const op = OPCODE_BY_BYTE[code];
    if (op === undefined) {
      throw new MalformedPickleError('unknown_opcode', `opcode b'\\x${hexByte(code)}' unknown`, { offset: pos, opcode: code });
    }
    this.op = op;
    this.p = pos + 1;
    let arg: OpArg = null;
    const kind: ArgKindName | null = op.arg;
    if (kind !== null) {
      switch (kind) {
        case 'uint1':
          this.need(ARG_KINDS.uint1.size, kind);
          arg = bytes[this.p];
          this.p += ARG_KINDS.uint1.size;
          break;
        case 'uint2':
          this.need(ARG_KINDS.uint2.size, kind);
          arg = view.getUint16(this.p, true);
          this.p += ARG_KINDS.uint2.size;
          break;
        case 'int4':
          this.need(ARG_KINDS.int4.size, kind);
          arg = view.getInt32(this.p, true);
          this.p += ARG_KINDS.int4.size;
          break;
        case 'uint4':
          this.need(ARG_KINDS.uint4.size, kind);
          arg = view.getUint32(this.p, true);
          this.p += ARG_KINDS.uint4.size;
          break;
        case 'uint8': {
          this.need(ARG_KINDS.uint8.size, kind);
          const big = view.getBigUint64(this.p, true);
          arg = big > MAX_SAFE ? big : Number(big);
          this.p += ARG_KINDS.uint8.size;
          break;
        }
        case 'float8':
          this.need(ARG_KINDS.float8.size, kind);
          arg = view.getFloat64(this.p, false);
          this.p += ARG_KINDS.float8.size;
          break;
        case 'long1': {
          this.need(1, kind);
          const len = bytes[this.p++];
          const s = this.payload(len, kind);
          arg = decodeLong(bytes, s, s + len);
          break;
        }
        case 'long4': {
          this.need(4, kind);
          const len = view.getInt32(this.p, true);
          this.p += 4;
          if (len < 0) this.malformed('negative_length', `long4 byte count < 0: ${len}`);
          const s = this.payload(len, kind);
          arg = decodeLong(bytes, s, s + len);
          break;
        }
        case 'string1':
        case 'bytes1': {
          this.need(1, kind);
          const len = bytes[this.p++];
          const s = this.payload(len, kind);
          arg = bytes.subarray(s, s + len);
          break;
        }
        case 'string4': {
          this.need(4, kind);
          const len = view.getInt32(this.p, true);
          this.p += 4;
          if (len < 0) this.malformed('negative_length', `string4 byte count < 0: ${len}`);
          const s = this.payload(len, kind);
          arg = bytes.subarray(s, s + len);
          break;
        }
        case 'bytes4': {
          this.need(4, kind);
          const len = view.getUint32(this.p, true);
          this.p += 4;
          const s = this.payload(len, kind);
          arg = bytes.subarray(s, s + len);
          break;
        }
        case 'bytes8':
        case 'bytearray8': {
          const len = this.len8(kind);
          const s = this.payload(len, kind);
          arg = bytes.subarray(s, s + len);
          break;
        }
        case 'unicodestring1':
        case 'unicodestring4':
        case 'unicodestring8': {
          let len: number;
          if (kind === 'unicodestring1') {
            this.need(1, kind);
            len = bytes[this.p++];
          } else if (kind === 'unicodestring4') {
            this.need(4, kind);
            len = view.getUint32(this.p, true);
            this.p += 4;
          } else {
            len = this.len8(kind);
          }
          const s = this.payload(len, kind);
          const text = decodeUtf8(bytes, s, s + len);
          if (text === null) this.malformed('bad_utf8', "'utf-8' codec can't decode the string's bytes");
          arg = text;
          break;
        }
        case 'decimalnl_short': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          if (e - s === 2 && bytes[s] === 0x30 && (bytes[s + 1] === 0x30 || bytes[s + 1] === 0x31)) {
            arg = bytes[s + 1] === 0x31;
          } else {
            arg = this.intLine(s, e, parseIntLine, `int() with base 10`);
          }
          break;
        }
        case 'decimalnl_long': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          arg = this.intLine(s, e, parseLongLine, 'a LONG');
          break;
        }
        case 'floatnl': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          const v = parseFloatLine(bytes, s, e);
          if (v === null) this.malformed('bad_float', 'could not convert string to float');
          arg = v;
          break;
        }
        case 'stringnl': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          const v = decodeStringLiteral(bytes, s, e);
          if (v === null) this.malformed('bad_string_literal', 'the STRING argument must be quoted, with valid escapes');
          arg = v;
          break;
        }
        case 'stringnl_noescape': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          const v = decodeUtf8(bytes, s, e);
          if (v === null) this.malformed('bad_utf8', 'the line is not valid UTF-8');
          arg = v;
          break;
        }
        case 'stringnl_noescape_pair': {
          const e1 = this.lineEnd(kind);
          const s1 = this.p;
          this.p = e1 + 1;
          const e2 = this.lineEnd(kind);
          const s2 = this.p;
          this.p = e2 + 1;
          const module = decodeUtf8(bytes, s1, e1);
          const name = decodeUtf8(bytes, s2, e2);
          if (module === null || name === null) this.malformed('bad_utf8', 'the global name is not valid UTF-8');
          arg = `${module} ${name}`;
          break;
        }
        case 'unicodestringnl': {
          const e = this.lineEnd(kind);
          const s = this.p;
          this.p = e + 1;
          const v = decodeRawUnicodeEscape(bytes, s, e);
          if (v === null) this.malformed('bad_raw_unicode_escape', "'rawunicodeescape' codec can't decode the line");
          arg = v;
          break;
        }
        default: {
          const unreachable: never = kind;
          throw new Error(`genops: no reader for argument kind ${String(unreachable)}`);
        }
      }
    }
    this.arg = arg;
    this.end = this.p;
    if (code === 0x2e) this.done = true;
    return true;
  }

  private truncated(what: string): never {
    throw new TruncatedPickleError(`not enough data to read the ${what} argument of ${this.op.name}`, { offset: this.pos, opcode: this.op.code });
  }

  private malformed(errCode: string, message: string): never {
    throw new MalformedPickleError(errCode, `${this.op.name}: ${message}`, { offset: this.pos, opcode: this.op.code });
  }

  private need(k: number, what: string): void {
    if (this.n - this.p < k) this.truncated(what);
  }

  /** Offset of the next newline at or after `p`; the argument is truncated without one. */
  private lineEnd(kind: string): number {
    const e = this.bytes.indexOf(NL, this.p);
    if (e < 0) this.truncated(`${kind} (no newline found)`);
    return e;
  }

  /** A counted payload of `len` bytes at `p`: checks it fits, returns its start. */
  private payload(len: number, kind: string): number {
    if (len > this.n - this.p) {
      throw new TruncatedPickleError(`${this.op.name}: expected ${len} bytes in a ${kind}, but only ${this.n - this.p} remain`, { offset: this.pos, opcode: this.op.code });
    }
    const s = this.p;
    this.p += len;
    return s;
  }

  private len8(kind: string): number {
    this.need(8, kind);
    const big = this.view.getBigUint64(this.p, true);
    this.p += 8;
    if (big > MAX_SAFE) this.malformed('length_too_large', `${kind} byte count ${big} is impossibly large`);
    return Number(big);
  }

  private intLine(s: number, e: number, parse: typeof parseIntLine, what: string): number | bigint {
    const v = parse(this.bytes, s, e, this.maxIntDigits);
    if (v === 'too_many_digits') {
      throw new LimitExceededError('maxIntDigits', this.maxIntDigits, `${this.op.name}: the ${what} line has too many decimal digits`, { offset: this.pos, opcode: this.op.code });
    }
    if (v === null) this.malformed('bad_int', `invalid literal for ${what}`);
    return v as number | bigint;
  }
}

/** Generate the opcodes of the one pickle that starts at `start`, stopping after its STOP. */
export function* genops(bytes: Uint8Array, start = 0, options: GenopsOptions = {}): Generator<GenOp, void, undefined> {
  const r = new OpReader(bytes, start, options);
  while (r.next()) yield { op: r.op, arg: r.arg, pos: r.pos, end: r.end };
}
