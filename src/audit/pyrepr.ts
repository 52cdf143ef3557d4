/**
 * Python's `repr()` of the builtin values a pickle carries, character for character as CPython
 * 3.11 writes it: str (quote choice, escapes, lone surrogates), bytes, bytearray, int, bool and
 * float (shortest round-trip digits, exponent form below 1e-4 and from 1e16 on).
 */
import { isPrintable } from './unicode-printable.js';

const HEX = '0123456789abcdef';

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/**
 * The code points of a JavaScript string, the way Python would see the same text: a surrogate
 * pair is one astral character, an unpaired surrogate is a code point of its own.
 */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

/** Number of code points in a string (Python's `len()` of it when it holds no unpaired surrogates). */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * `repr(s)` of a Python str. Pass a JavaScript string (surrogate pairs count as one astral
 * character) or, when the Python string may hold a high surrogate directly followed by a low one
 * as two separate code points, the exact list of code points.
 */
export function reprStr(s: string | readonly number[]): string {
  const cps = typeof s === 'string' ? codePoints(s) : s;
  let hasSingle = false;
  let hasDouble = false;
  for (const cp of cps) {
    if (cp === 0x27) hasSingle = true;
    else if (cp === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = String.fromCharCode(quote);
  for (const cp of cps) {
    if (cp === quote || cp === 0x5c) out += '\\' + String.fromCharCode(cp);
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f) out += String.fromCharCode(cp);
    else if (isPrintable(cp)) out += String.fromCodePoint(cp);
    else if (cp <= 0xff) out += '\\x' + hex(cp, 2);
    else if (cp <= 0xffff) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + String.fromCharCode(quote);
}

/** `repr(b)` of a Python bytes object: `b'...'`. */
export function reprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x27) hasSingle = true;
    else if (b[i] === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  const parts: string[] = ['b', String.fromCharCode(quote)];
  let run = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === quote || c === 0x5c) run += '\\' + String.fromCharCode(c);
    else if (c === 0x09) run += '\\t';
    else if (c === 0x0a) run += '\\n';
    else if (c === 0x0d) run += '\\r';
    else if (c < 0x20 || c >= 0x7f) run += '\\x' + HEX[c >> 4] + HEX[c & 15];
    else run += String.fromCharCode(c);
    if (run.length > 4096) {
      parts.push(run);
      run = '';
    }
  }
  parts.push(run, String.fromCharCode(quote));
  return parts.join('');
}

/** `repr(bytearray(b))`. */
export function reprByteArray(b: Uint8Array): string {
  return `bytearray(${reprBytes(b)})`;
}

/** `repr(n)` of a Python int (a JavaScript number must hold an integer). */
export function reprInt(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isInteger(n)) throw new RangeError(`reprInt: ${n} is not an integer`);
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? '0' : String(n);
  return BigInt(n).toString();
}

/** `repr(b)` of a Python bool. */
export function reprBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/**
 * `repr(x)` of a Python float: the shortest digits that round-trip, in positional notation when
 * the decimal exponent is in [-4, 16), otherwise as `d.ddde+XX`; `inf`, `-inf`, `nan`.
 */
export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-tripping digits.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) throw new Error(`reprFloat: unexpected form of ${x}`);
  const digits = m[1] + (m[2] ?? '');
  const exp = Number(m[3]);
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
