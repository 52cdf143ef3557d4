/** Limits: deep nesting, huge counts and lengths fail cleanly and early; large legitimate inputs work. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPolicy, LimitExceededError, loads, shippedPack, TruncatedPickleError, Unpickler } from '../src/index.js';
import { nestingDepth } from '../src/unpickler/graph.js';
import { bytes, concat, u32, u64 } from './helpers/bytes.js';
import { thrown } from './helpers/thrown.js';

const P2 = '\x80\x02';

const limitOf = (f: () => unknown): string => thrown(f, LimitExceededError).limit;

describe('nesting depth', () => {
  it('loads 10,000-deep nested lists built on the stack', () => {
    const n = 10_000;
    const v = loads(bytes(P2, ']'.repeat(n), 'a'.repeat(n - 1), '.'));
    expect(nestingDepth(v, Infinity)).toBe(n);
  });

  it('loads 10,000-deep nested lists built with MARKs (protocol 0)', () => {
    const n = 10_000;
    const v = loads(bytes('('.repeat(n), 'l'.repeat(n), '.'));
    expect(nestingDepth(v, Infinity)).toBe(n);
  });

  it('refuses 1,000,000-deep nesting on the stack, with MARKs, and through the memo', () => {
    const n = 1_000_000;
    expect(limitOf(() => loads(bytes(P2, ']'.repeat(n), 'a'.repeat(n - 1), '.')))).toBe('maxDepth');
    expect(limitOf(() => loads(bytes('('.repeat(n), 'l'.repeat(n), '.')))).toBe('maxDepth');
    // Bottom-up through the memo: each new list gets the previous one appended.
    const up: (string | number[])[] = [P2, ']', 'r', u32(0)];
    for (let i = 1; i < n; i++) up.push(']', 'j', u32(i - 1), 'a', 'r', u32(i), '0');
    up.push('j', u32(n - 1), '.');
    expect(limitOf(() => loads(concat(up)))).toBe('maxDepth');
  });

  it('refuses deep nesting built top-down through the memo, where no single step looks deep', () => {
    const n = 100_000;
    const parts: (string | number[])[] = [P2];
    for (let i = 0; i < n; i++) parts.push(']', 'r', u32(i), '0');
    // list[i].append(list[i+1]) from the top down.
    for (let i = 0; i < n - 1; i++) parts.push('j', u32(i), 'j', u32(i + 1), 'a', '0');
    parts.push('j', u32(0), '.');
    expect(limitOf(() => loads(concat(parts)))).toBe('maxDepth');
    expect(nestingDepth(loads(concat(parts), { maxDepth: n }), Infinity)).toBe(n);
  });

  it('handles cycles without counting them as depth', () => {
    // l = []; l.append(l)
    const v = loads(bytes(P2, ']q\x00h\x00a.')) as unknown[];
    expect(v[0]).toBe(v);
  });
});

describe('large but legitimate inputs', () => {
  it('loads one APPENDS of 1,000,000 items', () => {
    const n = 1_000_000;
    const v = loads(bytes('\x80\x04](', 'K\x07'.repeat(n), 'e.')) as number[];
    expect(v.length).toBe(n);
    expect(v[n - 1]).toBe(7);
  });

  it('runs 200,000 MARK / POP_MARK pairs', () => {
    const v = loads(bytes(P2, '(K\x01K\x021'.repeat(200_000), 'N.'));
    expect(v).toBe(null);
  });

  it('uses a sparse memo for index 0xFFFFFFFF', () => {
    expect(loads(bytes(P2, 'K\x05r', u32(0xffffffff), '0j', u32(0xffffffff), '.'))).toBe(5);
  });
});

describe('untrusted numbers', () => {
  it('refuses a 1,000,000-digit INT or LONG before converting it', () => {
    const digits = '7'.repeat(1_000_000);
    expect(limitOf(() => loads(bytes('I', digits, '\n.')))).toBe('maxIntDigits');
    expect(limitOf(() => loads(bytes('L', digits, 'L\n.')))).toBe('maxIntDigits');
  });

  it('checks declared lengths against the bytes left before allocating', () => {
    for (const p of [
      bytes('\x80\x04\x8e', u64(1n << 60n), 'abc'),
      bytes('\x80\x04\x8d', u64(0xffffffffffffffffn), 'abc'),
      bytes('\x80\x05\x96', u64(1n << 40n), 'abc'),
      bytes('\x80\x03B', u32(0xffffffff), 'abc'),
      bytes('\x80\x02\x8b', u32(0x7fffffff), 'abc'),
      bytes('\x80\x04\x95', u64(1n << 62n), 'N.'),
    ]) {
      expect(() => loads(p)).toThrow(TruncatedPickleError);
    }
  });

  it('enforces maxObjectBytes, maxMemoEntries, maxStackItems, maxOps and maxInputBytes', () => {
    expect(limitOf(() => loads(bytes('\x80\x03C\x0a', 'x'.repeat(10), '.'), { maxObjectBytes: 5 }))).toBe('maxObjectBytes');
    expect(limitOf(() => loads(bytes(P2, 'N', '\x94'.repeat(10), '.'), { maxMemoEntries: 5 }))).toBe('maxMemoEntries');
    expect(limitOf(() => loads(bytes(P2, 'N'.repeat(10), '.'), { maxStackItems: 5 }))).toBe('maxStackItems');
    expect(limitOf(() => loads(bytes(P2, 'N0'.repeat(10), 'N.'), { maxOps: 5 }))).toBe('maxOps');
    expect(limitOf(() => loads(bytes(P2, 'N.'), { maxInputBytes: 3 }))).toBe('maxInputBytes');
  });

  it('keeps limits per pickle in an Unpickler', () => {
    const u = new Unpickler(bytes('\x80\x02N.', '\x80\x02N.'), { maxOps: 3 });
    expect(u.load()).toBe(null);
    expect(u.load()).toBe(null);
  });
});

describe('maxReconstructedBytes: the same copy asked for again and again', () => {
  // PROTO 4; the argument made once (memo 0); the callable (memo 1); a list of R calls on memo 0.
  const ints = [0x5d, 0x28, ...Array.from({ length: 4096 }, (_, i) => [0x4d, i & 0xff, i >> 8]).flat(), 0x65];
  const str = (s: string) => [0x8c, s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const global = (m: string, q: string) => [...str(m), ...str(q), 0x93];
  const CALLS: [string, number[], number[], number[]][] = [
    // name, the argument, its callable, what follows the argument in the args tuple (then TUPLE1 or TUPLE2)
    ['bytearray(b)', [0x8e, ...u64(65536n), ...new Array(65536).fill(0)], global('builtins', 'bytearray'), []],
    ['set(list)', ints, global('builtins', 'set'), []],
    ['frozenset(list)', ints, global('builtins', 'frozenset'), []],
    ['collections.deque(list)', ints, global('collections', 'deque'), []],
    ['_codecs.encode(str, "latin1")', [0x58, ...u32(65536), ...new Array(65536).fill(0x61)], global('_codecs', 'encode'), str('latin1')],
  ];
  const pickle = (arg: number[], callable: number[], more: number[], r: number): Uint8Array => {
    const call = [0x68, 1, 0x68, 0, ...more, more.length ? 0x86 : 0x85, 0x52];
    return bytes([0x80, 4, ...arg, 0x94, ...callable, 0x94, 0x5d, 0x28, ...Array.from({ length: r }, () => call).flat(), 0x65, 0x2e]);
  };
  it.each(CALLS)('%s: one call loads, 64 on one memoized argument meet the limit (1 MiB here) before they exhaust memory', (_, arg, callable, more) => {
    const options = { maxReconstructedBytes: 1024 * 1024 };
    expect((loads(pickle(arg, callable, more, 1), options) as unknown[]).length).toBe(1);
    expect(limitOf(() => loads(pickle(arg, callable, more, 64), options))).toBe('maxReconstructedBytes');
  });

  it('counts copies, not views: every real numpy, pandas and scikit-learn pickle loads within twice its own size (+4 KiB)', () => {
    const root = join(import.meta.dirname, '..', 'corpus', 'realworld');
    let files = 0;
    for (const [producer, pack] of [['numpy', 'numpy'], ['pandas', 'pandas'], ['sklearn', 'scikit-learn']] as const) {
      const policy = createPolicy({ packs: [shippedPack(pack)] });
      for (const version of readdirSync(join(root, producer))) {
        for (const f of readdirSync(join(root, producer, version)).filter((x) => x.endsWith('.pkl') && !x.includes('oob'))) {
          const b = readFileSync(join(root, producer, version, f));
          try {
            loads(b, { policy });
          } catch {
            continue; // the must-refuse fixtures
          }
          expect(() => loads(b, { policy, maxReconstructedBytes: 2 * b.length + 4096 }), `${producer}/${version}/${f}`).not.toThrow();
          files++;
        }
      }
    }
    expect(files).toBeGreaterThan(1000);
  });
});
