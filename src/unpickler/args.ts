/**
 * Opcode arguments, decoded in one place. The loader's handlers and the `OpReader` (which the
 * disassembler and the stream scanner walk with) both call these on a Machine, whose reads check
 * every length against the input and the open frame: a pickle's bytes mean one thing everywhere.
 * Protocol 0's text arguments follow CPython's C unpickler, opcode by opcode: INT is C's
 * `strtol(s, 0)` (so `010` is 8), PUT/GET indices are base 10 (`010` is 10), LONG takes an `L`.
 */
import type { Machine } from './machine.js';
import {
  decodeLatin1,
  decodeLong,
  decodeRawUnicodeEscape,
  decodeStringLiteral,
  decodeUtf8,
  intLineBool,
  parseDecimalLine,
  parseFloatLine,
  parseIntLine,
  parseLongLine,
  type ParsedInt,
} from './text.js';

function intParsed(m: Machine, what: string, v: ParsedInt): number | bigint {
  if (v === 'too_many_digits') m.limit('maxIntDigits', m.o.maxIntDigits, `${what} has too many decimal digits`);
  if (v === null) m.malformed('bad_int', `invalid literal for ${what}`);
  return v;
}

/** INT: a decimal line; `00` and `01` are False and True. */
export function intArg(m: Machine): number | bigint | boolean {
  const s = m.line();
  const flag = intLineBool(m.data, s, m.lineEnd);
  if (flag !== null) return flag;
  return intParsed(m, 'INT', parseIntLine(m.data, s, m.lineEnd, m.o.maxIntDigits));
}

/** LONG: a decimal line, optionally ending in L. */
export function longArg(m: Machine): number | bigint {
  const s = m.line();
  return intParsed(m, 'LONG', parseLongLine(m.data, s, m.lineEnd, m.o.maxIntDigits));
}

/** LONG1 / LONG4: a byte count (one byte, or a signed four), then that many bytes of two's complement. */
export function longBytesArg(m: Machine, width: 1 | 4): number | bigint {
  const n = width === 1 ? m.u8() : m.i32();
  if (n < 0) m.malformed('negative_length', 'LONG4 has a negative byte count');
  const p = m.payload(n);
  return decodeLong(m.data, p, p + n);
}

/** PUT / GET: a memo index in base 10. */
export function memoIndexArg(m: Machine, what: string): number {
  const s = m.line();
  const v = intParsed(m, what, parseDecimalLine(m.data, s, m.lineEnd, m.o.maxIntDigits));
  if (typeof v === 'bigint' || v < 0) m.malformed('bad_memo_index', `${what} has a negative or huge memo index`);
  return v;
}

/** STRING: a quoted Python 2 literal; returns its raw bytes. */
export function stringLiteralArg(m: Machine): Uint8Array {
  const s = m.line();
  const raw = decodeStringLiteral(m.data, s, m.lineEnd);
  if (raw === null) m.malformed('bad_string_literal', 'the STRING opcode argument must be quoted, with valid escapes');
  return raw;
}

/** BINSTRING / SHORT_BINSTRING: a byte count, then the raw bytes of a Python 2 str (a view). */
export function binStringArg(m: Machine, width: 1 | 4): Uint8Array {
  const n = width === 1 ? m.u8() : m.i32();
  if (n < 0) m.malformed('negative_length', 'BINSTRING has a negative byte count');
  const p = m.payload(n);
  return m.data.subarray(p, p + n);
}

/** SHORT_BINUNICODE / BINUNICODE / BINUNICODE8's text, `n` bytes of UTF-8. */
export function utf8Arg(m: Machine, n: number): string {
  const p = m.payload(n);
  const s = decodeUtf8(m.data, p, p + n);
  if (s === null) m.malformed('bad_utf8', "'utf-8' codec can't decode the string's bytes");
  return s;
}

/** UNICODE: a raw-unicode-escape line. */
export function unicodeLineArg(m: Machine): string {
  const s = m.line();
  const v = decodeRawUnicodeEscape(m.data, s, m.lineEnd);
  if (v === null) m.malformed('bad_raw_unicode_escape', "'rawunicodeescape' codec can't decode the UNICODE argument");
  return v;
}

/** FLOAT: a float repr line. */
export function floatLineArg(m: Machine): number {
  const s = m.line();
  const v = parseFloatLine(m.data, s, m.lineEnd);
  if (v === null) m.malformed('bad_float', 'could not convert the FLOAT argument to a float');
  return v;
}

/** GLOBAL / INST: the module and the qualified name, a UTF-8 line each. */
export function globalArg(m: Machine): [string, string] {
  const a = m.line();
  const module = decodeUtf8(m.data, a, m.lineEnd);
  const b = m.line();
  const name = decodeUtf8(m.data, b, m.lineEnd);
  if (module === null || name === null) m.malformed('bad_utf8', 'the global name is not valid UTF-8');
  return [module, name];
}

/** PERSID: an ASCII line. */
export function persidArg(m: Machine): string {
  const s = m.line();
  for (let i = s; i < m.lineEnd; i++) {
    if (m.data[i]! > 0x7f) m.malformed('bad_persistent_id', 'persistent IDs in protocol 0 must be ASCII strings');
  }
  return decodeLatin1(m.data, s, m.lineEnd);
}

/** PROTO: the protocol number, 0 to 5. */
export function protoArg(m: Machine): number {
  const v = m.u8();
  if (v > 5) m.malformed('unsupported_protocol', `unsupported pickle protocol: ${v} (this library reads 0 to 5)`);
  return v;
}
