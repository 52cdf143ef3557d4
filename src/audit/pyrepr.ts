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

/** How repr() writes the code point `cp` of a str quoted with `quote`. */
function escapeCodePoint(cp: number, quote: number): string {
  if (cp === quote || cp === 0x5c) return '\\' + String.fromCharCode(cp);
  if (cp === 0x09) return '\\t';
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x7f) return String.fromCharCode(cp);
  if (isPrintable(cp)) return String.fromCodePoint(cp);
  if (cp <= 0xff) return '\\x' + hex(cp, 2);
  if (cp <= 0xffff) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/**
 * `repr(s)` of a Python str. Pass a JavaScript string (surrogate pairs count as one astral
 * character) or, when the Python string may hold a high surrogate directly followed by a low one
 * as two separate code points, the exact list of code points. Linear, without a copy of the input:
 * runs of plain ASCII are sliced out whole.
 */
export function reprStr(s: string | readonly number[]): string {
  let hasSingle = false;
  let hasDouble = false;
  if (typeof s === 'string') {
    hasSingle = s.includes("'");
    hasDouble = s.includes('"');
  } else {
    for (const cp of s) {
      if (cp === 0x27) hasSingle = true;
      else if (cp === 0x22) hasDouble = true;
    }
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  // Pieces go to an array, joined in chunks: V8 builds `+=` of many short pieces slowly.
  const out = new Pieces(String.fromCharCode(quote));
  if (typeof s === 'string') {
    const n = s.length;
    let run = 0;
    for (let i = 0; i < n;) {
      let cp = s.charCodeAt(i);
      if (cp >= 0x20 && cp < 0x7f && cp !== quote && cp !== 0x5c) {
        i++;
        continue;
      }
      if (i > run) out.add(s.slice(run, i));
      let w = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (d - 0xdc00);
          w = 2;
        }
      }
      out.add(escapeCodePoint(cp, quote));
      i += w;
      run = i;
    }
    out.add(s.slice(run));
  } else {
    for (const cp of s) out.add(escapeCodePoint(cp, quote));
  }
  out.add(String.fromCharCode(quote));
  return out.join();
}

/** A string built from many short pieces in linear time. */
class Pieces {
  readonly #chunks: string[] = [];
  #pending: string[] = [];
  constructor(first: string) {
    this.#pending.push(first);
  }
  add(piece: string): void {
    this.#pending.push(piece);
    if (this.#pending.length >= 4096) {
      this.#chunks.push(this.#pending.join(''));
      this.#pending = [];
    }
  }
  join(): string {
    this.#chunks.push(this.#pending.join(''));
    return this.#chunks.join('');
  }
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
  const out = new Pieces('b' + String.fromCharCode(quote));
  let run = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f && c !== quote && c !== 0x5c) continue;
    if (i > run) out.add(asciiRun(b, run, i));
    if (c === quote || c === 0x5c) out.add('\\' + String.fromCharCode(c));
    else if (c === 0x09) out.add('\\t');
    else if (c === 0x0a) out.add('\\n');
    else if (c === 0x0d) out.add('\\r');
    else out.add('\\x' + HEX[c >> 4] + HEX[c & 15]);
    run = i + 1;
  }
  if (b.length > run) out.add(asciiRun(b, run, b.length));
  out.add(String.fromCharCode(quote));
  return out.join();
}

/** Printable ASCII bytes b[s..e) as a string, converted in slices of a bounded size. */
function asciiRun(b: Uint8Array, s: number, e: number): string {
  if (e - s <= 4096) return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
  const parts: string[] = [];
  for (let i = s; i < e; i += 4096) parts.push(String.fromCharCode.apply(null, b.subarray(i, Math.min(e, i + 4096)) as unknown as number[]));
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

/** `repr(x)` of a Python float (the pickler writes the same text). */
export { pyFloatRepr as reprFloat } from '../pickler/text.js';
