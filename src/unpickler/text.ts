/**
 * Decoders for opcode arguments that are text or variable-length numbers. Each returns `null` for
 * input it cannot decode (the VM turns that into a MalformedPickleError with offset and opcode);
 * none throws for any input, and each runs in time linear in `end - start` (the decimal-to-bigint
 * conversion excepted, which is bounded by `maxDigits` and is V8's sub-quadratic `BigInt(string)`).
 *
 * All of them read `bytes[start..end)` only. The rules follow CPython 3.11's C unpickler
 * (Modules/_pickle.c) and the codecs it calls; the quirks are noted where they are handled and are
 * checked against python3 by test/text.test.ts.
 */

const fcc = String.fromCharCode;

/** Clamps a range to the array, so that nothing outside `bytes` is ever read. */
function clampEnd(bytes: Uint8Array, end: number): number {
  return end > bytes.length ? bytes.length : end;
}

/** Code units gathered by the long-string builders before they are turned into a string piece. */
const CHUNK = 8192;

function flush(units: number[], parts: string[]): void {
  parts.push(fcc.apply(null, units) as string);
  units.length = 0;
}

function finish(units: number[], parts: string[]): string {
  if (parts.length === 0) return fcc.apply(null, units) as string;
  if (units.length > 0) flush(units, parts);
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// UTF-8
// ---------------------------------------------------------------------------------------------

/** Strict UTF-8; created once. `ignoreBOM` keeps a leading U+FEFF (CPython keeps it too). */
const FATAL_UTF8: TextDecoder | null = (() => {
  try {
    return typeof TextDecoder === 'function' ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : null;
  } catch {
    return null;
  }
})();

/**
 * Up to this many bytes, text that is not pure ASCII is decoded by hand: faster than TextDecoder
 * on V8 (≈150 ns against ≈230 ns for 25 bytes, ≈300 against ≈450 for 76). Pure ASCII up to 12
 * bytes is one String.fromCharCode call (≈35 ns, against ≈90 via an array); longer ASCII goes to
 * TextDecoder, which is then as fast as the alternatives.
 */
const SHORT_UTF8 = 80;

/** Scratch code units for short strings; reused, so a short decode allocates only its result. */
const scratch: number[] = [];

/** 1 to 12 ASCII (or latin-1) bytes as one flat string, without an intermediate array. */
function asciiTiny(x: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 1: return fcc(x[s]);
    case 2: return fcc(x[s], x[s + 1]);
    case 3: return fcc(x[s], x[s + 1], x[s + 2]);
    case 4: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3]);
    case 5: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4]);
    case 6: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5]);
    case 7: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6]);
    case 8: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7]);
    case 9: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7], x[s + 8]);
    case 10: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7], x[s + 8], x[s + 9]);
    case 11: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7], x[s + 8], x[s + 9], x[s + 10]);
    default: return fcc(x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7], x[s + 8], x[s + 9], x[s + 10], x[s + 11]);
  }
}

/**
 * 1 to 12 bytes as one flat string when all are ASCII, else null: each byte read once, into the
 * String.fromCharCode call (about half the time of a scan followed by asciiTiny).
 */
export function asciiShort(x: Uint8Array, s: number, n: number): string | null {
  switch (n) {
    case 1: {
      const a = x[s]!;
      return (a) < 0x80 ? fcc(a) : null;
    }
    case 2: {
      const a = x[s]!, b = x[s + 1]!;
      return (a | b) < 0x80 ? fcc(a, b) : null;
    }
    case 3: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!;
      return (a | b | c) < 0x80 ? fcc(a, b, c) : null;
    }
    case 4: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!;
      return (a | b | c | d) < 0x80 ? fcc(a, b, c, d) : null;
    }
    case 5: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!;
      return (a | b | c | d | e) < 0x80 ? fcc(a, b, c, d, e) : null;
    }
    case 6: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!;
      return (a | b | c | d | e | f) < 0x80 ? fcc(a, b, c, d, e, f) : null;
    }
    case 7: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!;
      return (a | b | c | d | e | f | g) < 0x80 ? fcc(a, b, c, d, e, f, g) : null;
    }
    case 8: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!, h = x[s + 7]!;
      return (a | b | c | d | e | f | g | h) < 0x80 ? fcc(a, b, c, d, e, f, g, h) : null;
    }
    case 9: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!, h = x[s + 7]!, i = x[s + 8]!;
      return (a | b | c | d | e | f | g | h | i) < 0x80 ? fcc(a, b, c, d, e, f, g, h, i) : null;
    }
    case 10: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!, h = x[s + 7]!, i = x[s + 8]!, j = x[s + 9]!;
      return (a | b | c | d | e | f | g | h | i | j) < 0x80 ? fcc(a, b, c, d, e, f, g, h, i, j) : null;
    }
    case 11: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!, h = x[s + 7]!, i = x[s + 8]!, j = x[s + 9]!, k = x[s + 10]!;
      return (a | b | c | d | e | f | g | h | i | j | k) < 0x80 ? fcc(a, b, c, d, e, f, g, h, i, j, k) : null;
    }
    case 12: {
      const a = x[s]!, b = x[s + 1]!, c = x[s + 2]!, d = x[s + 3]!, e = x[s + 4]!, f = x[s + 5]!, g = x[s + 6]!, h = x[s + 7]!, i = x[s + 8]!, j = x[s + 9]!, k = x[s + 10]!, l = x[s + 11]!;
      return (a | b | c | d | e | f | g | h | i | j | k | l) < 0x80 ? fcc(a, b, c, d, e, f, g, h, i, j, k, l) : null;
    }
    default:
      return null;
  }
}

/**
 * Short input (≤ SHORT_UTF8 bytes) whose bytes [start, ascii) are ASCII: strict UTF-8 with
 * surrogatepass. The string, or null at the first error.
 */
function utf8Short(b: Uint8Array, start: number, ascii: number, end: number): string | null {
  const u = scratch;
  let k = 0;
  for (let j = start; j < ascii; j++) u[k++] = b[j];
  let i = ascii;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      u[k++] = c;
      i++;
      continue;
    }
    if (c < 0xe0) {
      if (c < 0xc2 || i + 1 >= end) return null;
      const c2 = b[i + 1];
      if ((c2 & 0xc0) !== 0x80) return null;
      u[k++] = ((c & 0x1f) << 6) | (c2 & 0x3f);
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) return null;
      const c2 = b[i + 1];
      const c3 = b[i + 2];
      // E0 needs A0..BF (no overlongs); ED A0..BF (surrogates) is let through: surrogatepass.
      if ((c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80 || (c === 0xe0 && c2 < 0xa0)) return null;
      u[k++] = ((c & 0x0f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) return null;
      const c2 = b[i + 1];
      const c3 = b[i + 2];
      const c4 = b[i + 3];
      if ((c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80 || (c4 & 0xc0) !== 0x80) return null;
      if ((c === 0xf0 && c2 < 0x90) || (c === 0xf4 && c2 > 0x8f)) return null;
      const cp = ((c & 0x07) << 18) | ((c2 & 0x3f) << 12) | ((c3 & 0x3f) << 6) | (c4 & 0x3f);
      u[k++] = 0xd7c0 + (cp >> 10);
      u[k++] = 0xdc00 | (cp & 0x3ff);
      i += 4;
      continue;
    }
    return null;
  }
  u.length = k;
  return fcc.apply(null, u) as string;
}

/** How a decoder reacts to undecodable bytes (Python's `errors`). */
const ERR_STRICT = 0; // null (also: unknown handler names, and encode-only ones like 'namereplace')
const ERR_REPLACE = 1;
const ERR_IGNORE = 2;
const ERR_SURROGATEESCAPE = 3;
const ERR_BACKSLASHREPLACE = 4;

const HEX_DIGITS = '0123456789abcdef';

/** Applies a non-strict handler to the undecodable bytes b[from..to) (all ≥ 0x80). */
function onError(units: number[], b: Uint8Array, from: number, to: number, handler: number): void {
  if (handler === ERR_REPLACE) {
    units.push(0xfffd);
  } else if (handler === ERR_SURROGATEESCAPE) {
    for (let j = from; j < to; j++) units.push(0xdc00 + b[j]);
  } else if (handler === ERR_BACKSLASHREPLACE) {
    for (let j = from; j < to; j++) {
      const x = b[j];
      units.push(0x5c, 0x78, HEX_DIGITS.charCodeAt(x >> 4), HEX_DIGITS.charCodeAt(x & 15));
    }
  }
  // ERR_IGNORE: nothing
}

/**
 * UTF-8 as CPython's decoder does it, for any length: `surrogates` accepts ED A0..BF xx
 * (surrogatepass); an undecodable stretch is what CPython reports (the maximal valid prefix of a
 * sequence, or 1 byte; a valid but truncated prefix at the end runs to the end) and goes to the
 * handler. Returns null on the first error when the handler is strict.
 */
function utf8General(b: Uint8Array, start: number, end: number, surrogates: boolean, handler: number): string | null {
  const units: number[] = [];
  const parts: string[] = [];
  let i = start;
  while (i < end) {
    if (units.length >= CHUNK) flush(units, parts);
    const c = b[i];
    if (c < 0x80) {
      units.push(c);
      i++;
      continue;
    }
    let need: number; // continuation bytes needed
    let lo = 0x80;
    let hi = 0xbf; // the range of the first continuation byte
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed && !surrogates) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else {
      if (handler === ERR_STRICT) return null;
      onError(units, b, i, i + 1, handler);
      i++;
      continue;
    }
    // Validate the continuation bytes present; `got` counts the valid ones.
    let got = 0;
    let cp = c & (0x3f >> need);
    let bad = false;
    while (got < need) {
      const p = i + 1 + got;
      if (p >= end) break;
      const x = b[p];
      if (got === 0 ? x < lo || x > hi : (x & 0xc0) !== 0x80) {
        bad = true;
        break;
      }
      cp = (cp << 6) | (x & 0x3f);
      got++;
    }
    if (got < need) {
      // invalid continuation: the valid prefix is the error; truncated at the end: all of it
      const to = bad ? i + 1 + got : end;
      if (handler === ERR_STRICT) return null;
      onError(units, b, i, to, handler);
      i = to;
      continue;
    }
    if (cp >= 0x10000) units.push(0xd7c0 + (cp >> 10), 0xdc00 | (cp & 0x3ff));
    else units.push(cp);
    i += need + 1;
  }
  return finish(units, parts);
}

/** UTF-8 as CPython decodes BINUNICODE: strict, except that encoded surrogates pass (surrogatepass). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | null {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  const n = end - start;
  if (!(n > 0)) return '';
  if (n <= 12) {
    const ascii = asciiShort(bytes, start, n);
    if (ascii !== null) return ascii;
  }
  if (n <= SHORT_UTF8) {
    let i = start;
    const e4 = end - 3;
    while (i < e4 && (bytes[i] | bytes[i + 1] | bytes[i + 2] | bytes[i + 3]) < 0x80) i += 4;
    while (i < end && bytes[i] < 0x80) i++;
    if (i < end) return utf8Short(bytes, start, i, end);
    // longer ASCII: TextDecoder's ASCII path is as fast as anything here
  }
  return utf8Long(bytes, start, end);
}

function utf8Long(bytes: Uint8Array, start: number, end: number): string | null {
  if (FATAL_UTF8 !== null) {
    try {
      return FATAL_UTF8.decode(bytes.subarray(start, end));
    } catch {
      // invalid, or valid only with surrogatepass: the manual decoder decides
    }
  }
  return utf8General(bytes, start, end, true, ERR_STRICT);
}

// ---------------------------------------------------------------------------------------------
// latin-1, ASCII
// ---------------------------------------------------------------------------------------------

/** Each byte one code point (latin-1). */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  const n = end - start;
  if (!(n > 0)) return '';
  if (n <= 12) return asciiTiny(bytes, start, n); // any byte values: fcc of a byte is its latin-1 char
  if (n <= CHUNK) return fcc.apply(null, bytes.subarray(start, end) as unknown as number[]) as string;
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(fcc.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]) as string);
  }
  return parts.join('');
}

/** ASCII with an error handler: every byte ≥ 0x80 is its own undecodable stretch. */
function asciiDecode(b: Uint8Array, start: number, end: number, handler: number): string | null {
  let i = start;
  while (i < end && b[i] < 0x80) i++;
  if (i === end) return decodeLatin1(b, start, end);
  if (handler === ERR_STRICT) return null;
  const units: number[] = [];
  const parts: string[] = [];
  for (i = start; i < end; i++) {
    if (units.length >= CHUNK) flush(units, parts);
    const c = b[i];
    if (c < 0x80) units.push(c);
    else onError(units, b, i, i + 1, handler);
  }
  return finish(units, parts);
}

// ---------------------------------------------------------------------------------------------
// raw-unicode-escape (UNICODE) and bytes escapes (STRING)
// ---------------------------------------------------------------------------------------------

/** Hex digit value, or -1. */
export function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * raw-unicode-escape, as the UNICODE opcode's line is decoded. A backslash followed by `u` takes
 * exactly 4 hex digits, by `U` exactly 8 (at most 0x10FFFF); fewer is an error (null). A backslash
 * followed by anything else is kept together with that byte, which is consumed: so `\\u0041` stays
 * as written while `\\\u0041` gives `\\A` (CPython pairs backslashes the same way). Other bytes are
 * latin-1. Escaped surrogates stay lone code units; astral code points become surrogate pairs.
 */
export function decodeRawUnicodeEscape(bytes: Uint8Array, start: number, end: number): string | null {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end > start)) return '';
  // No backslash: plain latin-1.
  let i = start;
  while (i < end && bytes[i] !== 0x5c) i++;
  if (i === end) return decodeLatin1(bytes, start, end);
  const units: number[] = [];
  const parts: string[] = [];
  i = start;
  while (i < end) {
    if (units.length >= CHUNK) flush(units, parts);
    const c = bytes[i++];
    if (c !== 0x5c) {
      units.push(c);
      continue;
    }
    if (i >= end) {
      units.push(0x5c);
      break;
    }
    const c2 = bytes[i++];
    const count = c2 === 0x75 ? 4 : c2 === 0x55 ? 8 : 0;
    if (count === 0) {
      units.push(0x5c, c2);
      continue;
    }
    if (end - i < count) return null; // truncated \uXXXX / \UXXXXXXXX escape
    let v = 0;
    for (let j = 0; j < count; j++) {
      const h = hexVal(bytes[i + j]);
      if (h < 0) return null;
      v = v * 16 + h;
    }
    i += count;
    if (v > 0x10ffff) return null; // \Uxxxxxxxx out of range
    if (v >= 0x10000) units.push(0xd7c0 + (v >> 10), 0xdc00 | (v & 0x3ff));
    else units.push(v);
  }
  return finish(units, parts);
}

/**
 * A STRING opcode's line (without the newline): quoted, with Python 2 escapes. Returns the bytes.
 *
 * As C `load_string`: at least 2 bytes, the first equal to the last and `'` or `"` (the inside may
 * hold further quotes). The inside is decoded like `codecs.escape_decode`: `\\ \' \" \a \b \f \n
 * \r \t \v`; backslash-newline is dropped; `\ooo` takes 1 to 3 octal digits and keeps the low 8 bits
 * of larger values (`\777` is 0xFF, `\400` is 0; CPython only warns); `\x` needs exactly 2 hex digits
 * (else null); any other escape keeps the backslash and the byte; a trailing lone backslash is an
 * error (null).
 */
export function decodeStringLiteral(bytes: Uint8Array, start: number, end: number): Uint8Array | null {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end - start >= 2)) return null;
  const q = bytes[start];
  if ((q !== 0x27 && q !== 0x22) || bytes[end - 1] !== q) return null;
  const s = start + 1;
  const e = end - 1;
  const out = new Uint8Array(e - s);
  let k = 0;
  let i = s;
  while (i < e) {
    const c = bytes[i++];
    if (c !== 0x5c) {
      out[k++] = c;
      continue;
    }
    if (i >= e) return null; // Trailing \ in string
    const x = bytes[i++];
    switch (x) {
      case 0x0a: // \<newline>: line continuation
        break;
      case 0x5c:
      case 0x27:
      case 0x22:
        out[k++] = x;
        break;
      case 0x61: out[k++] = 0x07; break; // \a
      case 0x62: out[k++] = 0x08; break; // \b
      case 0x66: out[k++] = 0x0c; break; // \f
      case 0x6e: out[k++] = 0x0a; break; // \n
      case 0x72: out[k++] = 0x0d; break; // \r
      case 0x74: out[k++] = 0x09; break; // \t
      case 0x76: out[k++] = 0x0b; break; // \v
      case 0x78: { // \xhh
        if (e - i < 2) return null;
        const h1 = hexVal(bytes[i]);
        const h2 = hexVal(bytes[i + 1]);
        if (h1 < 0 || h2 < 0) return null;
        out[k++] = (h1 << 4) | h2;
        i += 2;
        break;
      }
      default:
        if (x >= 0x30 && x <= 0x37) {
          let v = x - 0x30;
          if (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x37) {
            v = v * 8 + bytes[i++] - 0x30;
            if (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x37) v = v * 8 + bytes[i++] - 0x30;
          }
          out[k++] = v & 0xff;
        } else {
          out[k++] = 0x5c; // unknown escape: kept, and the byte is read again as an ordinary one
          i--;
        }
    }
  }
  return k === out.length ? out : out.slice(0, k);
}

// ---------------------------------------------------------------------------------------------
// Python 2 str → value (Unpickler(encoding=…, errors=…))
// ---------------------------------------------------------------------------------------------

const CODEC_ASCII = 1;
const CODEC_LATIN1 = 2;
const CODEC_UTF8 = 3;
const CODEC_UTF8_SIG = 4;

/** encodings.aliases (3.11) entries for the codecs supported here. */
const ALIASES: ReadonlyMap<string, number> = new Map<string, number>([
  ['646', CODEC_ASCII], ['ansi_x3.4_1968', CODEC_ASCII], ['ansi_x3.4_1986', CODEC_ASCII], ['ansi_x3_4_1968', CODEC_ASCII],
  ['cp367', CODEC_ASCII], ['csascii', CODEC_ASCII], ['ibm367', CODEC_ASCII], ['iso646_us', CODEC_ASCII],
  ['iso_646.irv_1991', CODEC_ASCII], ['iso_ir_6', CODEC_ASCII], ['us', CODEC_ASCII], ['us_ascii', CODEC_ASCII],
  ['8859', CODEC_LATIN1], ['cp819', CODEC_LATIN1], ['csisolatin1', CODEC_LATIN1], ['ibm819', CODEC_LATIN1],
  ['iso8859', CODEC_LATIN1], ['iso8859_1', CODEC_LATIN1], ['iso_8859_1', CODEC_LATIN1], ['iso_8859_1_1987', CODEC_LATIN1],
  ['iso_ir_100', CODEC_LATIN1], ['l1', CODEC_LATIN1], ['latin', CODEC_LATIN1], ['latin1', CODEC_LATIN1],
  ['cp65001', CODEC_UTF8], ['u8', CODEC_UTF8], ['utf', CODEC_UTF8], ['utf8', CODEC_UTF8], ['utf8_ucs2', CODEC_UTF8],
  ['utf8_ucs4', CODEC_UTF8],
]);

/** Modules of the `encodings` package for those codecs. */
const MODULES: ReadonlyMap<string, number> = new Map<string, number>([
  ['ascii', CODEC_ASCII], ['latin_1', CODEC_LATIN1], ['utf_8', CODEC_UTF8], ['utf_8_sig', CODEC_UTF8_SIG],
]);

/**
 * CPython's `_Py_normalize_encoding` (used by PyUnicode_Decode and codecs.lookup): ASCII letters and
 * digits and '.' are kept (lower-cased); every run of other characters (non-ASCII included) becomes
 * one '_', except at the start and end.
 */
function normalizeEncoding(name: string): string {
  let out = '';
  let punct = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const keep = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2e;
    if (keep) {
      if (punct && out.length > 0) out += '_';
      punct = false;
      out += fcc(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
    } else {
      punct = true;
    }
  }
  return out;
}

/** A codec name → one of the CODEC_ constants, or 0 when it is not one this module decodes. */
function lookupCodec(name: string): number {
  const norm = normalizeEncoding(name);
  // encodings.search_function: the alias table (also tried with '.' → '_'), else the module of
  // that name, which may not contain a '.'
  const alias = ALIASES.get(norm) ?? ALIASES.get(norm.replace(/\./g, '_'));
  if (alias !== undefined) return alias;
  return norm.indexOf('.') >= 0 ? 0 : MODULES.get(norm) ?? 0;
}

function lookupHandler(errors: string): number {
  switch (errors) {
    case 'strict': return ERR_STRICT;
    case 'replace': return ERR_REPLACE;
    case 'ignore': return ERR_IGNORE;
    case 'surrogateescape': return ERR_SURROGATEESCAPE;
    case 'backslashreplace': return ERR_BACKSLASHREPLACE;
    default: return ERR_STRICT; // 'surrogatepass' outside UTF-8, encode-only handlers, unknown names
  }
}

let cachedEncoding = '';
let cachedCodec = -1;
let cachedErrors = '';
let cachedHandler = ERR_STRICT;

/**
 * Python 2 str bytes → the value `encoding` / `errors` ask for (like Unpickler(encoding=…, errors=…)).
 *
 * `encoding` exactly 'bytes' (case-sensitive, as CPython's strcmp) gives a copy of the bytes as a
 * plain Uint8Array. Otherwise `raw.decode(encoding, errors)` for the codecs ascii, latin-1, utf-8 and
 * utf-8-sig under any of Python's names for them (case-insensitive, punctuation-insensitive, e.g.
 * 'ASCII', 'us-ascii', 'Latin-1', 'iso8859_1', 'L1', 'UTF8', 'u8'), with the errors handlers
 * 'strict', 'replace', 'ignore', 'surrogateescape', 'backslashreplace' and (UTF-8 only)
 * 'surrogatepass'.
 *
 * Returns null when CPython would raise: an undecodable byte under 'strict'; an unknown or
 * unsupported encoding; an error handler that is unknown or cannot decode — CPython looks the
 * handler up only when a byte fails, so input that decodes cleanly succeeds whatever `errors` says
 * (the VM's message names both the encoding and errors, which covers all cases). Empty input gives
 * '' for every encoding name, known or not, as in CPython; a name containing NUL is always null (the
 * Unpickler constructor raises for it).
 */
export function decodePy2Str(raw: Uint8Array, encoding: string, errors: string): string | Uint8Array | null {
  // CPython's Unpickler refuses names with a NUL at construction ("embedded null character")
  if (encoding.indexOf('\0') >= 0 || errors.indexOf('\0') >= 0) return null;
  if (encoding === 'bytes') return new Uint8Array(raw);
  const n = raw.length;
  if (n === 0) return '';
  if (encoding !== cachedEncoding || cachedCodec < 0) {
    cachedCodec = lookupCodec(encoding);
    cachedEncoding = encoding;
  }
  if (errors !== cachedErrors) {
    cachedHandler = lookupHandler(errors);
    cachedErrors = errors;
  }
  const handler = cachedHandler;
  switch (cachedCodec) {
    case CODEC_ASCII:
      return asciiDecode(raw, 0, n, handler);
    case CODEC_LATIN1:
      return decodeLatin1(raw, 0, n);
    case CODEC_UTF8_SIG:
    case CODEC_UTF8: {
      const from = cachedCodec === CODEC_UTF8_SIG && n >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
      if (handler === ERR_STRICT) {
        if (errors === 'surrogatepass') return decodeUtf8(raw, from, n);
        const s = decodeUtf8(raw, from, n);
        // decodeUtf8 lets encoded surrogates through; plain strict UTF-8 does not
        return s === null || !hasEncodedSurrogate(raw, from, n) ? s : null;
      }
      return utf8General(raw, from, n, false, handler);
    }
    default:
      return null;
  }
}

/** Whether the bytes contain ED A0..BF, the start of an encoded surrogate. */
function hasEncodedSurrogate(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i + 1 < end; i++) {
    if (b[i] === 0xed && b[i + 1] >= 0xa0 && b[i + 1] <= 0xbf) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Integers and floats written as text
// ---------------------------------------------------------------------------------------------

/** Result of parsing a decimal (or base-prefixed) integer line. */
export type ParsedInt = number | bigint | null | 'too_many_digits';

/** C isspace / Py_ISSPACE: space, \t \n \v \f \r (not 0x1C..0x1F, not 0x85, not 0xA0). */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * CPython reads these lines as NUL-terminated C strings: the first NUL byte ends the text
 * (`I12\x00junk` is 12). Returns the index of the first NUL in [start, end), or end.
 */
function cEnd(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && b[i] !== 0) i++; // not indexOf: that would search past `end`, to the buffer's end
  return i;
}

/** Value of a digit in any base up to 36 (`_PyLong_DigitValue`), or 99. */
function digitVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x7a) return l - 0x61 + 10;
  return 99;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

function fromBig(v: bigint): number | bigint {
  return v <= MAX_SAFE_BIG && v >= -MAX_SAFE_BIG ? Number(v) : v;
}

/**
 * The value of the digits b[s..e) (underscores skipped) in a base of 2, 8, 10 or 16; `count` is
 * the number of digits. Linear for power-of-two bases; for base 10 it is V8's BigInt(string).
 */
function digitsValue(b: Uint8Array, s: number, e: number, base: number, count: number, negative: boolean): number | bigint {
  if ((base === 10 && count <= 15) || (base === 16 && count <= 13) || (base === 8 && count <= 17) || (base === 2 && count <= 53)) {
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = b[i];
      if (c !== 0x5f) v = v * base + digitVal(c);
    }
    return negative && v !== 0 ? -v : v;
  }
  const units: number[] = [];
  const parts: string[] = [base === 10 ? '' : base === 16 ? '0x' : base === 8 ? '0o' : '0b'];
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 0x5f) continue;
    units.push(c);
    if (units.length >= CHUNK) flush(units, parts);
  }
  let v = BigInt(finish(units, parts));
  if (negative) v = -v;
  return fromBig(v);
}

/**
 * PyLong_FromString(s, NULL, base) on the C string b[start..e) (e: the first NUL or the end of the
 * line), with base 0 (LONG, INT's fallback) or 10 (GET/PUT, and the disassembler's int(s)).
 * Rules, all checked against python3:
 * leading and trailing whitespace; one sign; with base 0 the prefixes 0x/0o/0b (either case),
 * optionally followed by one '_'; single underscores between digits; with base 0 a nonzero
 * decimal may not start with '0' ('010' fails, '000' and '0_0' are 0). The decimal digit count is
 * checked against `maxDigits` after the digits are scanned and before anything else, so '1'×5000
 * followed by junk is 'too_many_digits', as CPython's ValueError says.
 */
export function pyLongFromString(b: Uint8Array, start: number, e: number, base: number, maxDigits: number): ParsedInt {
  let i = start;
  while (i < e && isSpace(b[i])) i++;
  let negative = false;
  if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) {
    negative = b[i] === 0x2d;
    i++;
  }
  let errorIfNonzero = false;
  if (base === 0) {
    if (i >= e || b[i] !== 0x30) {
      base = 10;
    } else {
      const p = i + 1 < e ? b[i + 1] | 0x20 : 0;
      if (p === 0x78) base = 16;
      else if (p === 0x6f) base = 8;
      else if (p === 0x62) base = 2;
      else {
        base = 10;
        errorIfNonzero = true; // "old" C-style octal: only zero is allowed
      }
      if (base !== 10) {
        i += 2;
        if (i < e && b[i] === 0x5f) i++; // one underscore allowed after the prefix
      }
    }
  }
  if (i < e && b[i] === 0x5f) return null; // may not start with an underscore
  const ds = i;
  let count = 0;
  let prevUnderscore = false;
  let nonzero = false;
  while (i < e) {
    const c = b[i];
    if (c === 0x5f) {
      if (prevUnderscore) return null; // only one underscore in a row
      prevUnderscore = true;
    } else if (digitVal(c) < base) {
      if (c !== 0x30) nonzero = true;
      prevUnderscore = false;
      count++;
    } else {
      break;
    }
    i++;
  }
  if (prevUnderscore) return null; // trailing underscore
  if (base === 10 && count > maxDigits) return 'too_many_digits';
  if (count === 0) return null;
  if (errorIfNonzero && nonzero) return null;
  const de = i;
  while (i < e && isSpace(b[i])) i++;
  if (i !== e) return null;
  return digitsValue(b, ds, de, base, count, negative);
}

const LONG_MAX = 9223372036854775807n;

/** Set by {@link strtol0}: the number of digits it read when they were decimal, else 0. */
let strtolDecimalDigits = 0;

/**
 * glibc `strtol(s, &endptr, 0)` on the C string b[start..e), accepted as C `load_int` accepts it:
 * endptr at the end of the string (its NUL or the newline) and no ERANGE. Returns the value, or
 * null when CPython would fall back to PyLong_FromString. Base 0: '0x' followed by a hex digit is
 * hex, another leading '0' octal, else decimal; leading whitespace and one sign are skipped.
 */
function strtol0(b: Uint8Array, start: number, e: number): number | bigint | null {
  strtolDecimalDigits = 0;
  let i = start;
  while (i < e && isSpace(b[i])) i++;
  let negative = false;
  if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) {
    negative = b[i] === 0x2d;
    i++;
  }
  let base = 10;
  if (i < e && b[i] === 0x30) {
    if (i + 2 < e && (b[i + 1] | 0x20) === 0x78 && digitVal(b[i + 2]) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8; // the '0' itself is the first octal digit
    }
  }
  const ds = i;
  while (i < e && digitVal(b[i]) < base) i++;
  // No digits: endptr = s, which is the end only for an empty string (the line began with NUL).
  if (i === ds) return start === e ? 0 : null;
  if (i !== e) return null;
  // Overflow is decided by the significant digits, before converting anything (so that a million
  // digits cost a scan, not a conversion); octal and hex may carry any number of leading zeros.
  let sig = ds;
  while (sig < i && b[sig] === 0x30) sig++;
  const count = i - sig;
  if (count > (base === 10 ? 19 : base === 16 ? 16 : 22)) return null; // ERANGE
  const v = digitsValue(b, sig, i, base, count, negative);
  if (typeof v === 'bigint' && (v > LONG_MAX || v < -LONG_MAX - 1n)) return null; // ERANGE
  if (base === 10) strtolDecimalDigits = count;
  return v;
}

/**
 * An INT / GET / PUT line (without the newline), as CPython's C unpickler parses INT.
 *
 * C `load_int` first tries `strtol(s, &end, 0)` and keeps it if the whole line was read without
 * overflow, else falls back to `PyLong_FromString(s, NULL, 0)`. So, besides the int() rules of
 * {@link parseLongLine}: a leading '0' means octal ('010' is 8, '-007' is -7, '0'×5000 is 0, while
 * '08' and octal values beyond 2⁶³ fail), and the line ends at its first NUL byte (a line starting
 * with NUL is 0). An empty line is null (CPython: truncated). `maxDigits` applies to decimal digits
 * only (CPython does not limit power-of-two bases). Safe integers come back as numbers, others as
 * bigints. The lines `00`/`01` — and every other 2-byte line strtol reads as 0 or 1, see
 * {@link intLineBool} — are bools in CPython; that is for the caller.
 *
 * CPython parses GET and PUT differently (`PyLong_FromString(s, NULL, 10)`): use
 * {@link parseDecimalLine} for those.
 */
export function parseIntLine(bytes: Uint8Array, start: number, end: number, maxDigits: number): ParsedInt {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end > start)) return null;
  const e = cEnd(bytes, start, end);
  const v = strtol0(bytes, start, e);
  if (v !== null) return strtolDecimalDigits > maxDigits ? 'too_many_digits' : v;
  return pyLongFromString(bytes, start, e, 0, maxDigits);
}

/**
 * CPython's `load_int` pushes a bool, not an int, when the line is exactly 2 bytes and strtol reads
 * it in full as 0 or 1: `00`, `01`, but also ` 1`, `+1`, `-0`, `\t0`, `1\x00`, `\x00x`. Returns that
 * bool, or null for any other line (then {@link parseIntLine} gives the int).
 */
export function intLineBool(bytes: Uint8Array, start: number, end: number): boolean | null {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (end - start !== 2) return null;
  const v = strtol0(bytes, start, cEnd(bytes, start, end));
  return v === 0 ? false : v === 1 ? true : null;
}

/**
 * A GET / PUT line as CPython's C unpickler parses it: `PyLong_FromString(s, NULL, 10)` — int(s)
 * with base 10: leading zeros allowed ('010' is 10), no base prefixes, underscores between digits,
 * surrounding whitespace, a sign; the line ends at its first NUL byte. Empty line → null.
 */
export function parseDecimalLine(bytes: Uint8Array, start: number, end: number, maxDigits: number): ParsedInt {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end > start)) return null;
  return pyLongFromString(bytes, start, cEnd(bytes, start, end), 10, maxDigits);
}

/**
 * A LONG line (without the newline, possibly ending in L), as CPython parses it: one trailing 'L'
 * (upper case only) is dropped, then `PyLong_FromString(s, NULL, 0)` — int(s, 0): surrounding
 * whitespace (space, \t \n \v \f \r), one sign, prefixes 0x/0o/0b, single underscores between
 * digits, no leading zeros on a nonzero decimal; the text ends at its first NUL byte. More than
 * `maxDigits` decimal digits → 'too_many_digits' (counted before any conversion).
 */
export function parseLongLine(bytes: Uint8Array, start: number, end: number, maxDigits: number): ParsedInt {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end > start)) return null;
  if (bytes[end - 1] === 0x4c) end--;
  return pyLongFromString(bytes, start, cEnd(bytes, start, end), 0, maxDigits);
}

/**
 * A FLOAT line (without the newline), as CPython parses it (`PyOS_string_to_double` with overflow
 * as an error): `[+-]` then `inf`, `infinity` or `nan` (any case), or decimal digits with an
 * optional point and exponent (`5.`, `.5`, `1e5`, `1E-5`); no whitespace, underscores, hex, or
 * trailing junk; the text ends at its first NUL byte. A finite literal too large for a double
 * (`1e500`) is null (CPython: OverflowError); underflow gives 0. Empty → null.
 */
export function parseFloatLine(bytes: Uint8Array, start: number, end: number): number | null {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  if (!(end > start)) return null;
  const e = cEnd(bytes, start, end);
  let i = start;
  let negative = false;
  if (i < e && (bytes[i] === 0x2b || bytes[i] === 0x2d)) {
    negative = bytes[i] === 0x2d;
    i++;
  }
  if (i >= e) return null;
  const first = bytes[i] | 0x20;
  if (first === 0x69 || first === 0x6e) {
    const word = decodeLatin1(bytes, i, e).toLowerCase();
    if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
    if (word === 'nan') return NaN;
    return null;
  }
  let digits = 0;
  while (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
    i++;
    digits++;
  }
  if (i < e && bytes[i] === 0x2e) {
    i++;
    while (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return null;
  if (i < e && (bytes[i] | 0x20) === 0x65) {
    i++;
    if (i < e && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const es = i;
    while (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
    if (i === es) return null;
  }
  if (i !== e) return null;
  const v = Number(decodeLatin1(bytes, start, e));
  if (v !== v || v === Infinity || v === -Infinity) return null; // overflow (NaN cannot happen)
  return v;
}

// ---------------------------------------------------------------------------------------------
// LONG1 / LONG4
// ---------------------------------------------------------------------------------------------

/** Two lower-case hex digits for each byte value. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/**
 * LONG1 / LONG4 payload: little-endian two's complement of any length; a safe integer as a number.
 * Zero length is 0. Lengths up to 6 bytes are computed without BigInt; longer ones go through one
 * hex string (linear) and BigInt.asIntN.
 */
export function decodeLong(bytes: Uint8Array, start: number, end: number): number | bigint {
  if (start < 0) start = 0;
  end = clampEnd(bytes, end);
  const n = end - start;
  if (!(n > 0)) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = end - 1; i >= start; i--) v = v * 256 + bytes[i];
    if (bytes[end - 1] >= 0x80) v -= 2 ** (8 * n);
    return v;
  }
  if (n <= 8) {
    // 64-bit values (common): a signed high part and an unsigned low 32 bits
    let hi = 0;
    for (let i = end - 1; i >= start + 4; i--) hi = hi * 256 + bytes[i];
    if (bytes[end - 1] >= 0x80) hi -= 2 ** (8 * (n - 4));
    const lo = (bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24)) >>> 0;
    if (hi < 0x200000 && hi >= -0x200000) {
      const v = hi * 4294967296 + lo; // exact: |v| ≤ 2^53
      if (v >= -MAX_SAFE) return v;
    }
    return (BigInt(hi) << 32n) + BigInt(lo);
  }
  const parts: string[] = ['0x'];
  let chunk = '';
  for (let i = end - 1; i >= start; i--) {
    chunk += HEX2[bytes[i]];
    if (chunk.length >= 2 * CHUNK) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  const u = BigInt(parts.join(''));
  return fromBig(bytes[end - 1] >= 0x80 ? BigInt.asIntN(8 * n, u) : u);
}
