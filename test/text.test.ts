/**
 * The text and number decoders of src/unpickler/text.ts: unit cases, robustness (never throws,
 * linear time), and a differential test against python3's C unpickler (one subprocess).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers/mulberry32.js';
import {
  decodeLatin1,
  decodeLong,
  decodePy2Str,
  decodeRawUnicodeEscape,
  decodeStringLiteral,
  decodeUtf8,
  intLineBool,
  parseDecimalLine,
  parseFloatLine,
  parseIntLine,
  parseLongLine,
  type ParsedInt,
} from '../src/unpickler/text.js';

// ---- helpers ----

/** Bytes from a string whose code units are all < 256 (one byte each). */
function B(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Whole-array wrappers. */
const U = (b: Uint8Array) => decodeUtf8(b, 0, b.length);
const RUE = (s: string) => decodeRawUnicodeEscape(B(s), 0, s.length);
const STR = (s: string) => {
  const r = decodeStringLiteral(B(s), 0, s.length);
  return r === null ? null : hex(r);
};
const INT = (s: string, max = 4300) => parseIntLine(B(s), 0, s.length, max);
const LONG = (s: string, max = 4300) => parseLongLine(B(s), 0, s.length, max);
const DEC = (s: string, max = 4300) => parseDecimalLine(B(s), 0, s.length, max);
const FLT = (s: string) => parseFloatLine(B(s), 0, s.length);
const L = (...bytes: number[]) => decodeLong(Uint8Array.from(bytes), 0, bytes.length);

function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

// ---- unit cases ----

describe('decodeUtf8', () => {
  it('decodes ASCII and multi-byte text of every length class', () => {
    for (const s of ['', 'a', 'user_123', 'exactly 12 b', 'thirteen byte', 'naïve-123-名前-🙂', 'x'.repeat(47), 'é'.repeat(30), '🙂'.repeat(500), 'a'.repeat(100_000)]) {
      expect(U(utf8(s))).toBe(s);
    }
  });

  it('decodes short input with one non-ASCII byte or pair at any position as strict UTF-8 does', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    for (let n = 1; n <= 14; n++) {
      for (let at = 0; at < n; at++) {
        for (const odd of [[0x80], [0xff], [0xc3, 0xa9], [0xc3]]) {
          const b = new Uint8Array([0x78, 0x78, ...Array.from({ length: n }, (_, i) => (i === at ? odd : [0x61 + i])).flat(), 0x79]);
          let want: string | null;
          try {
            want = strict.decode(b.subarray(2, b.length - 1));
          } catch {
            want = null;
          }
          expect(decodeUtf8(b, 2, b.length - 1), `${n} ${at} ${odd}`).toBe(want);
        }
      }
    }
  });

  it('reads only bytes[start..end)', () => {
    const b = utf8('xxhello€yy');
    expect(decodeUtf8(b, 2, 10)).toBe('hello€');
    expect(decodeUtf8(b, 5, 5)).toBe('');
  });

  it('keeps a leading BOM', () => {
    expect(U(B('\xef\xbb\xbfa'))).toBe('\ufeffa');
    expect(U(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('b'.repeat(100))]))).toBe('\ufeff' + 'b'.repeat(100));
  });

  it('accepts encoded surrogates (surrogatepass), short and long', () => {
    expect(U(B('\xed\xa0\x80'))).toBe('\ud800');
    expect(U(B('a\xed\xbf\xbfb'))).toBe('a\udfffb');
    const long = new Uint8Array([...utf8('z'.repeat(200)), 0xed, 0xb2, 0xa9]);
    expect(U(long)).toBe('z'.repeat(200) + '\udca9');
  });

  it('rejects overlongs, > U+10FFFF, truncation, stray continuation bytes, invalid lead bytes', () => {
    for (const s of ['\xc0\x80', '\xc1\xbf', '\xe0\x80\x80', '\xe0\x9f\xbf', '\xf0\x80\x80\x80', '\xf0\x8f\xbf\xbf', '\xf4\x90\x80\x80', '\xf5\x80\x80\x80', '\xff', '\xfe', '\x80', 'a\xbf', '\xc3', '\xe2\x82', '\xf0\x9f\x99', '\xe2\x28\xa1', '\xed\xa0']) {
      expect(U(B(s)), JSON.stringify(s)).toBeNull();
      expect(U(B('q'.repeat(60) + s)), `long ${JSON.stringify(s)}`).toBeNull();
    }
  });

  it('decodes the boundaries', () => {
    expect(U(B('\xc2\x80'))).toBe('\x80');
    expect(U(B('\xdf\xbf'))).toBe('\u07ff');
    expect(U(B('\xe0\xa0\x80'))).toBe('\u0800');
    expect(U(B('\xef\xbf\xbf'))).toBe('\uffff');
    expect(U(B('\xf0\x90\x80\x80'))).toBe('\u{10000}');
    expect(U(B('\xf4\x8f\xbf\xbf'))).toBe('\u{10ffff}');
  });
});

describe('decodeLatin1', () => {
  it('maps each byte to one code unit, for short and long input', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeLatin1(all, 0, 256)).toBe(String.fromCharCode(...all));
    const big = Uint8Array.from({ length: 30_000 }, (_, i) => (i * 7) & 255);
    const s = decodeLatin1(big, 5, 29_990);
    expect(s.length).toBe(29_985);
    expect(s.charCodeAt(0)).toBe(35);
    expect(s.charCodeAt(29_984)).toBe((29_989 * 7) & 255);
    expect(decodeLatin1(big, 3, 3)).toBe('');
  });
});

describe('decodeRawUnicodeEscape', () => {
  it('decodes \\u and \\U escapes', () => {
    expect(RUE('\\u0041')).toBe('A');
    expect(RUE('x\\u00e9y')).toBe('xéy');
    expect(RUE('\\U0001F600')).toBe('😀');
    expect(RUE('\\U0010ffff')).toBe('\u{10ffff}');
    expect(RUE('\\ud800\\udc00')).toBe('\ud800\udc00');
    expect(RUE('\\ud800')).toBe('\ud800');
  });

  it('keeps other backslashes, pairing them like CPython', () => {
    expect(RUE('\\x41')).toBe('\\x41');
    expect(RUE('\\n')).toBe('\\n');
    expect(RUE('\\')).toBe('\\');
    expect(RUE('a\\')).toBe('a\\');
    expect(RUE('\\\\u0041')).toBe('\\\\u0041');
    expect(RUE('\\\\\\u0041')).toBe('\\\\A');
    expect(RUE('\\u0041\\')).toBe('A\\');
  });

  it('treats other bytes as latin-1', () => {
    expect(RUE('\xe9\xff')).toBe('éÿ');
  });

  it('rejects truncated or out-of-range escapes', () => {
    for (const s of ['\\u', '\\u004', '\\u00g1', '\\U', '\\U0000004', '\\Ud800', '\\U00110000', '\\UFFFFFFFF']) {
      expect(RUE(s), s).toBeNull();
    }
  });
});

describe('decodeStringLiteral', () => {
  it('requires matching outer quotes', () => {
    expect(STR("'a'")).toBe('61');
    expect(STR('"a"')).toBe('61');
    expect(STR("''")).toBe('');
    expect(STR("'a'b'")).toBe(hex(B("a'b")));
    for (const s of ['', "'", '"', 'a', "'a\"", '"a\'', 'abc']) expect(STR(s), s).toBeNull();
  });

  it('decodes the escapes of codecs.escape_decode', () => {
    expect(STR("'\\\\\\'\\\"'")).toBe(hex(B('\\\'"')));
    expect(STR("'\\a\\b\\f\\n\\r\\t\\v'")).toBe('07080c0a0d090b');
    expect(STR("'a\\\nb'")).toBe(hex(B('ab')));
    expect(STR("'\\0\\00\\000\\0000'")).toBe('00000000' + '30');
    expect(STR("'\\101\\777\\400\\8'")).toBe(hex(B('A\xff\x00\\8')));
    expect(STR("'\\x41\\xfF'")).toBe('41ff');
    expect(STR("'\\q\\N{DASH}\\u0041'")).toBe(hex(B('\\q\\N{DASH}\\u0041')));
  });

  it('rejects bad \\x escapes and a trailing backslash', () => {
    for (const s of ["'\\x'", "'\\x4'", "'\\xg1'", "'\\x4G'", "'\\'", "'abc\\'"]) expect(STR(s), s).toBeNull();
  });
});

describe('decodePy2Str', () => {
  it("returns a copy of the bytes for encoding 'bytes' (exactly)", () => {
    const raw = B('ab\xff');
    const r = decodePy2Str(raw, 'bytes', 'strict');
    expect(r).toBeInstanceOf(Uint8Array);
    expect(r).not.toBe(raw);
    expect(hex(r as Uint8Array)).toBe('6162ff');
    expect(decodePy2Str(raw, 'BYTES', 'strict')).toBeNull(); // not a text encoding name
  });

  it('decodes ASCII (the default) strictly, and with handlers', () => {
    expect(decodePy2Str(B('abc'), 'ASCII', 'strict')).toBe('abc');
    expect(decodePy2Str(B('a\xffb'), 'ASCII', 'strict')).toBeNull();
    expect(decodePy2Str(B('a\xff\xfeb'), 'ascii', 'replace')).toBe('a\ufffd\ufffdb');
    expect(decodePy2Str(B('a\xffb'), 'ascii', 'ignore')).toBe('ab');
    expect(decodePy2Str(B('a\xffb'), 'ascii', 'surrogateescape')).toBe('a\udcffb');
    expect(decodePy2Str(B('a\xffb'), 'ascii', 'backslashreplace')).toBe('a\\xffb');
    expect(decodePy2Str(B('a\xffb'), 'ascii', 'surrogatepass')).toBeNull();
  });

  it('decodes latin-1 under its many names', () => {
    for (const name of ['latin1', 'latin-1', 'Latin_1', 'iso-8859-1', 'ISO8859-1', 'iso_8859_1', 'l1', 'L1', 'latin', 'cp819', '8859']) {
      expect(decodePy2Str(B('\xe9t\xe9'), name, 'strict'), name).toBe('été');
    }
  });

  it('decodes UTF-8 strictly (no surrogatepass unless asked)', () => {
    for (const name of ['utf-8', 'UTF8', 'utf_8', 'u8', 'utf', ' UTF--8 ', 'é utf-8']) {
      expect(decodePy2Str(utf8('名前'), name, 'strict'), name).toBe('名前');
    }
    expect(decodePy2Str(B('\xed\xa0\x80'), 'utf-8', 'strict')).toBeNull();
    expect(decodePy2Str(B('\xed\xa0\x80'), 'utf-8', 'surrogatepass')).toBe('\ud800');
    expect(decodePy2Str(B('\xed\xa0\x80'), 'utf-8', 'replace')).toBe('\ufffd\ufffd\ufffd');
    expect(decodePy2Str(B('a\xe2\x82'), 'utf-8', 'replace')).toBe('a\ufffd');
    expect(decodePy2Str(B('\xe2\x82a'), 'utf-8', 'surrogateescape')).toBe('\udce2\udc82a');
    expect(decodePy2Str(B('\xe2\x82a'), 'utf-8', 'backslashreplace')).toBe('\\xe2\\x82a');
    expect(decodePy2Str(B('\xef\xbb\xbfa'), 'utf-8', 'strict')).toBe('\ufeffa');
    expect(decodePy2Str(B('\xef\xbb\xbfa'), 'utf-8-sig', 'strict')).toBe('a');
  });

  it('fails on unknown encodings, and on unknown handlers only when a byte fails', () => {
    expect(decodePy2Str(B('abc'), 'cp1252', 'strict')).toBeNull();
    expect(decodePy2Str(B('abc'), 'utf.8', 'strict')).toBeNull();
    expect(decodePy2Str(B('abc'), 'utf8\0', 'strict')).toBeNull();
    expect(decodePy2Str(B(''), 'no-such-codec', 'strict')).toBe('');
    expect(decodePy2Str(B('abc'), 'ascii', 'bogus')).toBe('abc');
    expect(decodePy2Str(B('ab\xff'), 'ascii', 'bogus')).toBeNull();
    expect(decodePy2Str(B('ab\xff'), 'ascii', 'namereplace')).toBeNull();
    expect(decodePy2Str(B('ab\xff'), 'ascii', 'Replace')).toBeNull();
  });
});

describe('parseIntLine (INT)', () => {
  it('reads decimal, hex and C octal, with whitespace and signs', () => {
    expect(INT('0')).toBe(0);
    expect(INT('-0')).toBe(0);
    expect(Object.is(INT('-0'), -0)).toBe(false);
    expect(INT('12345')).toBe(12345);
    expect(INT(' \t+7 \r')).toBe(7);
    expect(INT('0x10')).toBe(16);
    expect(INT('-0X1f')).toBe(-31);
    expect(INT('010')).toBe(8);
    expect(INT('-007')).toBe(-7);
    expect(INT('0777777777777777777777')).toBe(9223372036854775807n);
    expect(INT('0'.repeat(5000))).toBe(0);
    expect(INT('0o17')).toBe(15);
    expect(INT('0b101')).toBe(5);
    expect(INT('1_000')).toBe(1000);
    expect(INT('0x_1')).toBe(1);
  });

  it('gives bigints beyond the safe range', () => {
    expect(INT('9007199254740991')).toBe(9007199254740991);
    expect(INT('9007199254740992')).toBe(9007199254740992n);
    expect(INT('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(INT('99999999999999999999')).toBe(99999999999999999999n);
    expect(INT('-0x8000000000000001')).toBe(-0x8000000000000001n);
  });

  it('ends the line at a NUL byte like a C string', () => {
    expect(INT('12\0abc')).toBe(12);
    expect(INT('\0')).toBe(0);
    expect(INT('\0junk')).toBe(0);
    expect(INT(' \0')).toBeNull();
  });

  it('rejects what CPython rejects', () => {
    for (const s of ['', ' ', '+', '-', '08', '0x', '0b', '0o', '0b2', '0o8', '_1', '1_', '1__0', '0_7', '1L', '1.0', '1e3', '1 2', '- 1', '+-1', '\x1c1', '1\x1c', '\xa01', '0777777777777777777777777']) {
      expect(INT(s), JSON.stringify(s)).toBeNull();
    }
  });

  it('limits decimal digits only', () => {
    expect(INT('1'.repeat(4300))).toBe(BigInt('1'.repeat(4300)));
    expect(INT('1'.repeat(4301))).toBe('too_many_digits');
    expect(INT('1'.repeat(4301) + 'x')).toBe('too_many_digits');
    expect(INT('0x' + 'f'.repeat(5000))).toBe(BigInt('0x' + 'f'.repeat(5000)));
    expect(INT('123456', 5)).toBe('too_many_digits');
    expect(INT('123456', Infinity)).toBe(123456);
  });
});

describe('intLineBool', () => {
  it('finds the 2-byte lines CPython turns into bools', () => {
    expect(intLineBool(B('00'), 0, 2)).toBe(false);
    expect(intLineBool(B('01'), 0, 2)).toBe(true);
    for (const s of [' 1', '+1', '\t1', '1\0', '\x0b1']) expect(intLineBool(B(s), 0, 2), JSON.stringify(s)).toBe(true);
    for (const s of [' 0', '+0', '-0', '0\0', '\0\0', '\0x']) expect(intLineBool(B(s), 0, 2), JSON.stringify(s)).toBe(false);
    for (const s of ['0', '1', '10', '-1', '02', '000', '001', 'ab', ' \0']) expect(intLineBool(B(s), 0, s.length), JSON.stringify(s)).toBeNull();
  });
});

describe('parseDecimalLine (GET / PUT)', () => {
  it('reads base 10 only, leading zeros allowed', () => {
    expect(DEC('010')).toBe(10);
    expect(DEC(' +5 ')).toBe(5);
    expect(DEC('1_0')).toBe(10);
    expect(DEC('-1')).toBe(-1);
    expect(DEC('0x1')).toBeNull();
    expect(DEC('0b1')).toBeNull();
    expect(DEC('')).toBeNull();
    expect(DEC('\x000')).toBeNull();
    expect(DEC('7\x00zz')).toBe(7);
    expect(DEC('1'.repeat(4301))).toBe('too_many_digits');
  });
});

describe('parseLongLine (LONG)', () => {
  it('reads int(s, 0) after dropping one trailing L', () => {
    expect(LONG('0L')).toBe(0);
    expect(LONG('123L')).toBe(123);
    expect(LONG('123')).toBe(123);
    expect(LONG('-123456789012345678901234567890L')).toBe(-123456789012345678901234567890n);
    expect(LONG(' 0x_ff ')).toBe(255);
    expect(LONG('0o17')).toBe(15);
    expect(LONG('0B1_0')).toBe(2);
    expect(LONG('000')).toBe(0);
    expect(LONG('0_0L')).toBe(0);
    expect(LONG('1_000_000')).toBe(1000000);
    expect(LONG('12\0zzL')).toBe(12);
  });

  it('rejects what int(s, 0) rejects', () => {
    for (const s of ['', 'L', 'LL', '1LL', '1l', '010', '01', '007', '-010', '08', '0x', '0x_', '0x__1', '_1', '1_', '1__0', ' ', '\0', '1 2', '0_x1', '1.5']) {
      expect(LONG(s), JSON.stringify(s)).toBeNull();
    }
  });

  it('checks the digit limit before the rest of the syntax', () => {
    expect(LONG('0'.repeat(4301))).toBe('too_many_digits');
    expect(LONG('1'.repeat(4301) + 'junk')).toBe('too_many_digits');
    expect(LONG('1'.repeat(4300) + 'L')).toBe(BigInt('1'.repeat(4300)));
  });
});

describe('parseFloatLine (FLOAT)', () => {
  it('reads decimal floats and the special words', () => {
    expect(FLT('1')).toBe(1);
    expect(FLT('1.5')).toBe(1.5);
    expect(FLT('+1.5')).toBe(1.5);
    expect(FLT('-1.5')).toBe(-1.5);
    expect(FLT('.5')).toBe(0.5);
    expect(FLT('5.')).toBe(5);
    expect(FLT('1E5')).toBe(1e5);
    expect(FLT('1e-500')).toBe(0);
    expect(Object.is(FLT('-0'), -0)).toBe(true);
    expect(FLT('00001.5')).toBe(1.5);
    expect(FLT('1.7976931348623157e308')).toBe(1.7976931348623157e308);
    expect(FLT('2.4703282292062328e-324')).toBe(5e-324);
    expect(FLT('inf')).toBe(Infinity);
    expect(FLT('-Infinity')).toBe(-Infinity);
    expect(FLT('+INF')).toBe(Infinity);
    expect(FLT('nan')).toBeNaN();
    expect(FLT('-NaN')).toBeNaN();
    expect(FLT('1.5\0zz')).toBe(1.5);
  });

  it('rejects whitespace, underscores, hex, junk and overflow', () => {
    for (const s of ['', ' 1.5', '1.5 ', '\t1', '1\x0b', '1_0', '0x1p3', '0x10', '.', 'e5', '1e', '1e+', '1.5L', '1d5', 'infin', 'infx', 'nanx', 'nan(1)', 'i', 'in', '--1', '+-1', '1..2', '\0', '\x001', '1e500', '-1e500', '1.7976931348623159e308', '1'.repeat(400)]) {
      expect(FLT(s), JSON.stringify(s)).toBeNull();
    }
  });
});

describe('decodeLong (LONG1 / LONG4)', () => {
  it('decodes little-endian two’s complement', () => {
    expect(L()).toBe(0);
    expect(L(0)).toBe(0);
    expect(L(0xff)).toBe(-1);
    expect(L(0x7f)).toBe(127);
    expect(L(0x80)).toBe(-128);
    expect(L(0xff, 0x00)).toBe(255);
    expect(L(0x00, 0x80)).toBe(-32768);
    expect(L(0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).toBe(2 ** 47 - 1);
    expect(L(0, 0, 0, 0, 0, 0x80)).toBe(-(2 ** 47));
    expect(L(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f)).toBe(2 ** 53 - 1);
    expect(L(0, 0, 0, 0, 0, 0, 0x20)).toBe(2n ** 53n);
    expect(L(1, 0, 0, 0, 0, 0, 0xe0)).toBe(-(2 ** 53) + 1);
    expect(L(0, 0, 0, 0, 0, 0, 0xe0)).toBe(-(2n ** 53n));
    expect(L(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).toBe(2n ** 63n - 1n);
    expect(L(0, 0, 0, 0, 0, 0, 0, 0x80)).toBe(-(2n ** 63n));
    expect(L(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).toBe(-1);
    expect(L(0, 0, 0, 0, 0, 0, 0, 0, 1)).toBe(2n ** 64n);
    expect(L(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).toBe(-1);
    expect(L(5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toBe(5);
  });

  it('reads only bytes[start..end)', () => {
    expect(decodeLong(Uint8Array.from([0xff, 0x01, 0x00, 0xff]), 1, 3)).toBe(1);
  });
});

// ---- robustness: no throws, linear time ----

describe('robustness', () => {
  it('never throws, whatever the bytes and the range', () => {
    const rnd = mulberry32(7);
    const fns: ((b: Uint8Array, s: number, e: number) => unknown)[] = [
      decodeUtf8, decodeLatin1, decodeRawUnicodeEscape, decodeStringLiteral, decodeLong, parseFloatLine, intLineBool,
      (b, s, e) => parseIntLine(b, s, e, 4300),
      (b, s, e) => parseLongLine(b, s, e, 4300),
      (b, s, e) => parseDecimalLine(b, s, e, Infinity),
      (b, s, e) => decodePy2Str(b.subarray(Math.max(0, Math.min(s, b.length)), Math.max(0, Math.min(e, b.length))), ['ascii', 'utf-8', 'latin1', 'bogus'][s & 3], ['strict', 'replace', 'surrogateescape', 'x'][e & 3]),
    ];
    const thrown: string[] = [];
    const alphabet = [0, 0x0a, 0x20, 0x27, 0x22, 0x5c, 0x30, 0x31, 0x37, 0x39, 0x41, 0x4c, 0x55, 0x5f, 0x61, 0x65, 0x66, 0x69, 0x6e, 0x75, 0x78, 0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff, 0x2d, 0x2b, 0x2e];
    for (let t = 0; t < 3000; t++) {
      const n = Math.floor(rnd() * 24);
      const b = Uint8Array.from({ length: n }, () => (rnd() < 0.7 ? alphabet[Math.floor(rnd() * alphabet.length)] : Math.floor(rnd() * 256)));
      const s = Math.floor(rnd() * (n + 4)) - 2;
      const e = Math.floor(rnd() * (n + 4)) - 2;
      for (const f of fns) {
        try {
          f(b, s, e);
          f(b, 0, n);
        } catch (err) {
          thrown.push(`${f.name || 'wrapper'} ${hex(b)} ${s} ${e}: ${String(err)}`);
        }
      }
    }
    expect(thrown.slice(0, 5)).toEqual([]);
  });

  it('converts 1,000,000 decimal digits quickly when unlimited, and refuses them cheaply when limited', () => {
    const digits = B('7'.repeat(1_000_000));
    let r: ParsedInt = null;
    const limited = time(() => {
      r = parseLongLine(digits, 0, digits.length, 4300);
    });
    expect(r).toBe('too_many_digits');
    expect(limited).toBeLessThan(100);
    const unlimited = time(() => {
      r = parseLongLine(digits, 0, digits.length, Infinity);
    });
    expect(typeof r).toBe('bigint');
    expect((r as unknown as bigint) % 1000n).toBe(777n);
    expect(unlimited).toBeLessThan(1500);
    expect(time(() => expect(parseIntLine(digits, 0, digits.length, 4300)).toBe('too_many_digits'))).toBeLessThan(100);
    expect(time(() => expect(parseDecimalLine(digits, 0, digits.length, 4300)).toBe('too_many_digits'))).toBeLessThan(100);
    const octal = B('0' + '7'.repeat(1_000_000));
    // strtol overflows; int(s, 0) then counts the digits as decimal (an "old" octal literal)
    expect(time(() => expect(parseIntLine(octal, 0, octal.length, 4300)).toBe('too_many_digits'))).toBeLessThan(100);
    expect(time(() => expect(parseIntLine(octal, 0, octal.length, Infinity)).toBeNull())).toBeLessThan(100);
  });

  it('looks only at its own range: many short lines in a large buffer stay cheap', () => {
    const buf = new Uint8Array(1_000_000).fill(0x31); // '1' everywhere, no NUL, no newline
    let sum = 0;
    const ms = time(() => {
      for (let i = 0; i + 3 <= buf.length; i += 10) {
        sum += parseIntLine(buf, i, i + 3, 4300) as number;
        sum += parseLongLine(buf, i, i + 3, 4300) as number;
        sum += parseDecimalLine(buf, i, i + 3, 4300) as number;
        sum += parseFloatLine(buf, i, i + 3) as number;
      }
    });
    expect(sum).toBe(4 * 111 * 100_000);
    expect(ms).toBeLessThan(1500);
  });

  it('stays linear on large inputs', () => {
    const n = 2_000_000;
    const bytes = new Uint8Array(n).fill(0x5c); // backslashes
    expect(time(() => expect(decodeRawUnicodeEscape(bytes, 0, n)?.length).toBe(n))).toBeLessThan(1500);
    const esc = B('\\u00e9'.repeat(200_000));
    expect(time(() => expect(decodeRawUnicodeEscape(esc, 0, esc.length)).toBe('é'.repeat(200_000)))).toBeLessThan(1500);
    const surr = new Uint8Array(3 * 300_000);
    for (let i = 0; i < surr.length; i += 3) surr.set([0xed, 0xa0, 0x80], i);
    expect(time(() => expect(decodeUtf8(surr, 0, surr.length)?.length).toBe(300_000))).toBeLessThan(1500);
    const long = new Uint8Array(1_000_000).fill(0xff);
    expect(time(() => expect(typeof decodeLong(long, 0, long.length)).toBe('number'))).toBeLessThan(1500);
    long[long.length - 1] = 0x7f;
    expect(time(() => expect(typeof decodeLong(long, 0, long.length)).toBe('bigint'))).toBeLessThan(1500);
    const quoted = B("'" + '\\x41\\101\\n'.repeat(100_000) + "'");
    expect(time(() => expect(decodeStringLiteral(quoted, 0, quoted.length)?.length).toBe(300_000))).toBeLessThan(1500);
    const bad = new Uint8Array(1_000_000).fill(0x80);
    expect(time(() => expect(decodePy2Str(bad, 'utf-8', 'replace')).toBe('\ufffd'.repeat(1_000_000)))).toBeLessThan(1500);
    const flt = B('1'.repeat(300_000) + 'e-299990');
    expect(time(() => expect(parseFloatLine(flt, 0, flt.length)).toBe(1111111111.1111112))).toBeLessThan(1500);
  });
});

// ---- differential against python3 ----

const PY = String.raw`
import sys, json, pickle, struct, re, warnings
warnings.simplefilter('ignore')
cases = json.load(sys.stdin)
H = bytes.fromhex

def intres(v):
    if isinstance(v, bool):
        return ['b', v]
    return ['i', hex(v)]

def classify(e):
    return 'limit' if 'Exceeds the limit' in str(e) else None

out = {}
r = []
for h in cases['utf8']:
    d = H(h)
    try: r.append(pickle.loads(b'X' + struct.pack('<I', len(d)) + d + b'.'))
    except Exception: r.append(None)
out['utf8'] = r
r = []
for h in cases['latin1']:
    r.append(H(h).decode('latin-1'))
out['latin1'] = r
r = []
for h in cases['rue']:
    d = H(h)
    try:
        r.append(pickle.loads(b'V' + d + b'\n.') if b'\n' not in d else d.decode('raw-unicode-escape'))
    except Exception: r.append(None)
out['rue'] = r
r = []
for h in cases['string']:
    try: r.append(pickle.loads(b'S' + H(h) + b'\n.', encoding='bytes').hex())
    except Exception: r.append(None)
out['string'] = r
r = []
for h, enc, err in cases['py2']:
    d = H(h)
    try:
        v = pickle.loads(b'T' + struct.pack('<I', len(d)) + d + b'.', encoding=enc, errors=err)
        r.append(['bytes', v.hex()] if isinstance(v, bytes) else v)
    except Exception: r.append(None)
out['py2'] = r
r = []
for h in cases['int']:
    try: r.append(intres(pickle.loads(b'I' + H(h) + b'\n.')))
    except Exception as e:
        # load_int replaces the message; ask PyLong_FromString (base 0) about the digit limit
        s = H(h).split(b'\0')[0]
        try: int(s, 0); r.append(None)
        except Exception as e2: r.append(classify(e2))
out['int'] = r
r = []
for h in cases['long']:
    try: r.append(intres(pickle.loads(b'L' + H(h) + b'\n.')))
    except Exception as e: r.append(classify(e))
out['long'] = r
r = []
for h in cases['get']:
    # GET after PUT 0: success means index 0, else the error names the index (no memo growth,
    # unlike PUT with a huge index)
    try:
        pickle.loads(b'Np0\ng' + H(h) + b'\n.')
        r.append(['i', '0x0'])
    except OverflowError: r.append('overflow')
    except Exception as e:
        m = re.search(r'Memo value not found at index (-?[0-9]+)', str(e))
        r.append(['i', hex(int(m.group(1)))] if m else classify(e))
out['get'] = r
r = []
for h in cases['float']:
    try:
        v = pickle.loads(b'F' + H(h) + b'\n.')
        r.append('nan' if v != v else struct.pack('<d', v).hex())
    except Exception: r.append(None)
out['float'] = r
r = []
for h in cases['long4']:
    d = H(h)
    r.append(intres(pickle.loads(b'\x8b' + struct.pack('<i', len(d)) + d + b'.')))
out['long4'] = r
json.dump(out, sys.stdout)
`;

type PyInt = ['i', string] | ['b', boolean] | 'limit' | 'overflow' | null;

function pyBig(h: string): bigint {
  return h.startsWith('-') ? -BigInt(h.slice(1)) : BigInt(h);
}

/** Our ParsedInt against the python result; also checks number ⇔ safe integer. */
function sameInt(ours: ParsedInt, py: PyInt): boolean {
  if (py === null) return ours === null;
  if (py === 'limit') return ours === 'too_many_digits';
  if (ours === null || ours === 'too_many_digits') return false;
  if (typeof ours === 'number' && !Number.isSafeInteger(ours)) return false;
  if (typeof ours === 'bigint' && ours <= BigInt(Number.MAX_SAFE_INTEGER) && ours >= -BigInt(Number.MAX_SAFE_INTEGER)) return false;
  if (Object.is(ours, -0)) return false;
  const v = BigInt(ours);
  if (py === 'overflow') return v > 2n ** 63n - 1n || v < -(2n ** 63n);
  return v === (py[0] === 'b' ? (py[1] ? 1n : 0n) : pyBig(py[1]));
}

function floatBits(v: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v, true);
  return hex(new Uint8Array(dv.buffer));
}

/** Random bytes biased towards UTF-8 structure. */
function utf8Case(rnd: () => number, maxLen: number, clean = false): Uint8Array {
  const out: number[] = [];
  const n = Math.floor(rnd() * maxLen);
  const leads = [0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xff];
  const conts = [0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0x41];
  while (out.length < n) {
    const k = clean ? rnd() * 0.65 : rnd();
    if (k < 0.35) out.push(Math.floor(rnd() * 128));
    else if (k < 0.65) {
      // a well-formed code point, surrogates included
      const cp = [Math.floor(rnd() * 0x800), Math.floor(rnd() * 0x10000), 0xd800 + Math.floor(rnd() * 0x800), 0x10000 + Math.floor(rnd() * 0x100000)][Math.floor(rnd() * 4)];
      if (cp < 0x80) out.push(cp);
      else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
      else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
      else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    } else if (k < 0.85) {
      out.push(leads[Math.floor(rnd() * leads.length)]);
      const m = Math.floor(rnd() * 4);
      for (let j = 0; j < m; j++) out.push(conts[Math.floor(rnd() * conts.length)]);
    } else out.push(Math.floor(rnd() * 256));
  }
  return Uint8Array.from(out);
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function fromAlphabet(rnd: () => number, alphabet: readonly string[], maxLen: number): string {
  let s = '';
  const n = Math.floor(rnd() * maxLen);
  for (let i = 0; i < n; i++) s += pick(rnd, alphabet);
  return s;
}

/** An INT/LONG/GET/PUT-ish line. */
function intCase(rnd: () => number): string {
  const ws = ['', '', '', ' ', '\t', '  ', '\x0b', '\x0c', '\r', '\x1c', '\xa0'];
  let s = pick(rnd, ws) + pick(rnd, ['', '', '', '-', '+', '--', '+-']);
  const prefix = pick(rnd, ['', '', '', '', '0', '00', '0x', '0X', '0o', '0O', '0b', '0B', '0_', '0x_', '_']);
  s += prefix;
  const alpha = prefix.startsWith('0x') || prefix.startsWith('0X') ? '0123456789abcdefABCDEF' : prefix.startsWith('0b') || prefix.startsWith('0B') ? '01' : prefix === '0' || prefix === '00' || prefix.startsWith('0o') || prefix.startsWith('0O') ? '01234567' : '0123456789';
  const len = pick(rnd, [0, 1, 1, 2, 3, 5, 10, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 30, 40]);
  for (let i = 0; i < len; i++) {
    const k = rnd();
    if (k < 0.04) s += '_';
    else if (k < 0.06) s += pick(rnd, ['8', '9', 'g', 'x', '.', 'L', 'e', ' ', '\0', '\x80']);
    else s += alpha[Math.floor(rnd() * alpha.length)];
  }
  if (rnd() < 0.1) s += 'L';
  if (rnd() < 0.05) s += 'L';
  s += pick(rnd, ws);
  if (rnd() < 0.05) s += '\0' + pick(rnd, ['', 'junk', '12', ' ']);
  return s;
}

/** A FLOAT-ish line. */
function floatCase(rnd: () => number): string {
  let s = pick(rnd, ['', '', '', '', ' ', '\t']) + pick(rnd, ['', '', '', '-', '+', '+-']);
  if (rnd() < 0.15) {
    const w = pick(rnd, ['inf', 'infinity', 'nan', 'in', 'infinit', 'infinityy', 'nana', 'na']);
    s += Array.from(w, (c) => (rnd() < 0.5 ? c.toUpperCase() : c)).join('');
  } else {
    s += fromAlphabet(rnd, ['0', '1', '5', '9', '0', '7'], pick(rnd, [0, 1, 3, 8, 17, 25, 400]));
    if (rnd() < 0.6) s += '.' + fromAlphabet(rnd, ['0', '1', '2', '5', '9'], pick(rnd, [0, 1, 3, 10, 20, 40]));
    if (rnd() < 0.4) s += pick(rnd, ['e', 'E']) + pick(rnd, ['', '+', '-']) + fromAlphabet(rnd, ['0', '1', '3', '9'], pick(rnd, [0, 1, 2, 3, 4, 22]));
  }
  if (rnd() < 0.08) s += pick(rnd, ['_', '_0', 'x', 'L', ' ', '\t', '\0', '\0zz', '.', 'j', 'p3']);
  if (rnd() < 0.05) s = pick(rnd, ['0x1p3', '1_0', '1e500', '-1e308', '1.7976931348623158e308', '4.9e-324', '2.4703282292062327e-324', '2.4703282292062328e-324', '.', 'e', '']);
  return s;
}

describe('differential against python3 (C _pickle)', () => {
  const probe = spawnSync('python3', ['-c', 'import sys, _pickle; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' });
  const missing = probe.error ? `python3 cannot be run: ${probe.error.message}` : probe.status !== 0 ? `python3 failed: ${probe.stderr.trim()}` : probe.stdout.trim() !== 'True' ? 'python3 is older than 3.11' : null;
  if (missing !== null) {
    console.warn(`text.test.ts: differential test skipped: ${missing}`);
    it.skip('python3 is not available', () => undefined);
    return;
  }

  const rnd = mulberry32(20240601);
  const utf8Cases: Uint8Array[] = [];
  for (let i = 0; i < 4000; i++) utf8Cases.push(utf8Case(rnd, i < 3000 ? 40 : 400, i % 2 === 0));
  for (let i = 0; i < 20; i++) utf8Cases.push(utf8Case(rnd, 20_000, i % 2 === 0));
  // valid long text, with and without encoded surrogates (TextDecoder, then its fallback)
  for (let i = 0; i < 20; i++) utf8Cases.push(utf8(fromAlphabet(rnd, ['a', 'é', '名', '🙂', ' '], 3000)));
  utf8Cases.push(Uint8Array.from([...utf8('x'.repeat(100)), 0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9, ...utf8('y'.repeat(100))]));
  const latin1Cases = [Uint8Array.from({ length: 256 }, (_, i) => i), Uint8Array.from({ length: 20_000 }, () => Math.floor(rnd() * 256)), new Uint8Array(0)];
  const rueAlpha = ['\\', '\\', '\\', 'u', 'U', '0', '0', '0', '1', 'd', 'D', '8', 'f', 'F', 'g', 'a', '\xe9', '\xff', '\n', '\0', 'x'];
  const rueCases = Array.from({ length: 3000 }, () => fromAlphabet(rnd, rueAlpha, 24));
  rueCases.push('\\U0010ffff', '\\U00110000', '\\U0001f600', '\\UdeadBEEF', '\\U0000d800');
  const strAlpha = ['\\', '\\', '\\', "'", '"', 'x', 'a', 'b', 'f', 'n', 'r', 't', 'v', 'q', 'N', 'u', '0', '1', '3', '4', '7', '8', 'F', 'g', '\r', '\0', '\xff'];
  const stringCases = Array.from({ length: 3000 }, () => {
    const q = pick(rnd, ["'", '"', "'", '"', '', 'x']);
    return q + fromAlphabet(rnd, strAlpha, 16) + pick(rnd, [q, q, q, "'", '"', '']);
  });
  const encodings = ['ASCII', 'ascii', 'latin1', 'Latin-1', 'iso8859_1', 'L1', 'utf-8', 'UTF8', 'u8', 'utf_8_sig', 'UTF-8-SIG', 'bytes', 'BYTES', 'cp1252x', ' us-ascii ', 'utf.8', 'ANSI_X3.4-1968', 'ansi_x3.4.1968', 'ansi_x3_4_1986', 'iso-646.irv:1991', 'latin_1', 'latin.1', 'é utf-8', 'ut\u00e9f8', 'us\u00b2ascii', 'utf8\u0000', ''];
  const errorsNames = ['strict', 'replace', 'ignore', 'surrogateescape', 'backslashreplace', 'surrogatepass', 'namereplace', 'bogus', 'Strict', 'strict\u0000'];
  const py2Cases: [Uint8Array, string, string][] = [];
  for (let i = 0; i < 3000; i++) {
    const raw = rnd() < 0.3 ? Uint8Array.from(fromAlphabet(rnd, ['a', 'b', ' '], 6), (c) => c.charCodeAt(0)) : utf8Case(rnd, 16, rnd() < 0.3);
    py2Cases.push([rnd() < 0.1 ? Uint8Array.from([0xef, 0xbb, 0xbf, ...raw]) : raw, pick(rnd, encodings), pick(rnd, errorsNames)]);
  }
  const intCases = Array.from({ length: 4000 }, () => intCase(rnd)).filter((s) => !s.includes('\n'));
  intCases.push('0'.repeat(5000), '1'.repeat(4301), '1'.repeat(4300), '0x' + 'f'.repeat(6000), '0o' + '7'.repeat(6000), '-' + '0'.repeat(30) + '7', '1'.repeat(5000) + 'x', '0'.repeat(4301) + '1');
  for (const a of [' ', '+', '-', '0', '1', '\t', '\0', 'x', '8']) for (const b of [' ', '+', '-', '0', '1', '\t', '\0', 'x', '8']) intCases.push(a + b);
  const floatCases = Array.from({ length: 3000 }, () => floatCase(rnd)).filter((s) => !s.includes('\n'));
  const long4Cases: Uint8Array[] = [];
  for (let i = 0; i < 1500; i++) {
    const n = pick(rnd, [0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 10, 16, 33]);
    const fill = pick(rnd, [-1, -1, 0, 0xff, 0x80, 0x7f]);
    long4Cases.push(Uint8Array.from({ length: n }, (_, j) => (fill >= 0 && j < n - 1 && rnd() < 0.8 ? fill : Math.floor(rnd() * 256))));
  }
  long4Cases.push(Uint8Array.from({ length: 5000 }, () => Math.floor(rnd() * 256)));

  const input = {
    utf8: utf8Cases.map(hex),
    latin1: latin1Cases.map(hex),
    rue: rueCases.map((s) => hex(B(s))),
    string: stringCases.map((s) => hex(B(s))),
    py2: py2Cases.map(([b, e, r]) => [hex(b), e, r]),
    int: intCases.map((s) => hex(B(s))),
    long: intCases.map((s) => hex(B(s))),
    get: intCases.map((s) => hex(B(s))),
    float: floatCases.map((s) => hex(B(s))),
    long4: long4Cases.map(hex),
  };
  const run = spawnSync('python3', ['-c', PY], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status ?? run.signal}): ${run.stderr}`);
  const py = JSON.parse(run.stdout) as {
    utf8: (string | null)[];
    latin1: string[];
    rue: (string | null)[];
    string: (string | null)[];
    py2: (string | ['bytes', string] | null)[];
    int: PyInt[];
    long: PyInt[];
    get: PyInt[];
    float: (string | null)[];
    long4: PyInt[];
  };

  /** Collects mismatches and reports the first few. */
  function check<C>(cases: C[], expected: unknown[], ours: (c: C) => unknown, same: (o: unknown, p: unknown) => boolean, show: (c: C) => string): void {
    expect(expected.length).toBe(cases.length);
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const o = ours(c);
      if (!same(o, expected[i])) bad.push(`${show(c)}: ours ${typeof o === 'bigint' ? `${o}n` : JSON.stringify(o)}, python ${JSON.stringify(expected[i])}`);
    });
    expect(bad.slice(0, 10)).toEqual([]);
  }
  const eq = (o: unknown, p: unknown) => o === p;
  const showBytes = (b: Uint8Array) => hex(b.subarray(0, 64)) + (b.length > 64 ? `…(${b.length})` : '');
  const showStr = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 80) + `…(${s.length})` : s);

  it(`decodeUtf8 agrees on ${utf8Cases.length} byte strings`, () => {
    check(utf8Cases, py.utf8, (b) => U(b), eq, showBytes);
  });

  it('decodeLatin1 agrees', () => {
    check(latin1Cases, py.latin1, (b) => decodeLatin1(b, 0, b.length), eq, showBytes);
  });

  it(`decodeRawUnicodeEscape agrees on ${rueCases.length} strings`, () => {
    check(rueCases, py.rue, RUE, eq, showStr);
  });

  it(`decodeStringLiteral agrees on ${stringCases.length} STRING lines`, () => {
    check(stringCases.filter((s) => !s.includes('\n')), py.string.filter((_, i) => !stringCases[i].includes('\n')), STR, eq, showStr);
  });

  it(`decodePy2Str agrees on ${py2Cases.length} (bytes, encoding, errors) triples`, () => {
    check(
      py2Cases,
      py.py2,
      ([b, e, r]) => {
        const v = decodePy2Str(b, e, r);
        return v instanceof Uint8Array ? ['bytes', hex(v)] : v;
      },
      (o, p) => JSON.stringify(o) === JSON.stringify(p),
      ([b, e, r]) => `${showBytes(b)} ${e} ${r}`,
    );
  });

  it(`parseIntLine and intLineBool agree on ${intCases.length} INT lines`, () => {
    check(
      intCases,
      py.int,
      (s) => {
        const bool = intLineBool(B(s), 0, s.length);
        return bool !== null ? ['b', bool] : INT(s);
      },
      (o, p) => {
        if (Array.isArray(o)) return Array.isArray(p) && p[0] === 'b' && p[1] === o[1];
        if (Array.isArray(p) && p[0] === 'b') return false;
        return sameInt(o as ParsedInt, p as PyInt);
      },
      showStr,
    );
  });

  it(`parseLongLine agrees on ${intCases.length} LONG lines`, () => {
    check(intCases, py.long, (s) => LONG(s), (o, p) => sameInt(o as ParsedInt, p as PyInt), showStr);
  });

  it(`parseDecimalLine agrees with GET on ${intCases.length} lines`, () => {
    check(intCases, py.get, (s) => DEC(s), (o, p) => sameInt(o as ParsedInt, p as PyInt), showStr);
  });

  it(`parseFloatLine agrees on ${floatCases.length} FLOAT lines`, () => {
    check(
      floatCases,
      py.float,
      (s) => {
        const v = FLT(s);
        return v === null ? null : v !== v ? 'nan' : floatBits(v);
      },
      eq,
      showStr,
    );
  });

  it(`decodeLong agrees on ${long4Cases.length} LONG4 payloads`, () => {
    check(long4Cases, py.long4, (b) => decodeLong(b, 0, b.length), (o, p) => sameInt(o as ParsedInt, p as PyInt), showBytes);
  });
});
