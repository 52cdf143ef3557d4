/** Text forms the pickler writes: Python's float repr, protocol 0's raw-unicode-escape, UTF-8 with surrogatepass. */
import { hashStart, hashStep } from './str-memo.js';

/**
 * `repr(float)` as Python 3 writes it: the shortest digits that round-trip (JavaScript finds the
 * same ones), in exponent form when the exponent is below -4 or at least 16, with at least two
 * exponent digits, and `.0` added to integral values.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // Shortest round-trip digits and the decimal exponent, from JS's own exponent form.
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ee = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${m}e${e < 0 ? '-' : '+'}${ee}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/**
 * The UNICODE argument: characters under 256 as latin-1 bytes, except `\`, NUL, `\n`, `\r` and
 * `\x1a`, which are escaped like everything from 256 up (`\uXXXX`, `\UXXXXXXXX`). Lone surrogates
 * are escaped as themselves.
 */
export function rawUnicodeEscape(text: string): Uint8Array {
  const out: number[] = [];
  const hex = (v: number, width: number) => {
    const h = v.toString(16).padStart(width, '0');
    for (let i = 0; i < h.length; i++) out.push(h.charCodeAt(i));
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0x10000) {
      out.push(0x5c, 0x55);
      hex(c, 8);
    } else if (c >= 0x100 || c === 0x5c || c === 0 || c === 0x0a || c === 0x0d || c === 0x1a) {
      out.push(0x5c, 0x75);
      hex(c, 4);
    } else out.push(c);
  }
  return Uint8Array.from(out);
}

/** The UTF-8 length of a JS string with surrogatepass (a lone surrogate takes 3 bytes, as CPython writes it). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // 4 bytes for 2 code units
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * The str memo's hash of the code units the last `encodeUtf8Into` encoded, before `hashEnd`: the
 * pickler looks a str up after encoding it in place, and so reads it once.
 */
export let encodedHash = 0;

/** Writes `text` as UTF-8 with surrogatepass at `buf[at]`; returns the end. `buf` must have room for 3 bytes per code unit. */
export function encodeUtf8Into(text: string, buf: Uint8Array, at: number): number {
  let p = at;
  const n = text.length;
  let hash = hashStart(n);
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    hash = hashStep(hash, c);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if ((d & 0xfc00) === 0xdc00) {
          hash = hashStep(hash, d);
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    }
  }
  encodedHash = hash;
  return p;
}
