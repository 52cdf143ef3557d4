/**
 * The loop's fast path (src/unpickler/fast.ts) runs the common simple opcodes without their
 * handlers. Each case here puts the failing opcode inside a run of such opcodes, so the fast path
 * is the one that meets it: it must leave it to the handler, which reports the same error class,
 * code, offset and opcode as for that opcode alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/opcodes.js';
import { LimitExceededError, loads, PickleError, PyFloat, PyTuple, TruncatedPickleError } from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';
import { thrown } from './helpers/thrown.js';

/** A seeded linear congruential generator: `rnd(n)` is in [0, n). */
const lcg =
  (seed: number) =>
  (n: number): number =>
    (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;

/** CPython's `repr(pickle.loads(b))` for each case, or "error". */
const pythonReprs = (cases: number[][]): string[] =>
  runPythonJson<string[]>(
    'import json, pickle, sys\nout = []\nfor b in json.load(sys.stdin):\n    try:\n        out.append(repr(pickle.loads(bytes(b))))\n    except Exception:\n        out.append("error")\njson.dump(out, sys.stdout)',
    cases,
  );

/** Python's repr, enough for dicts, lists and tuples of ints and strs that may contain themselves. */
function pyRepr(v: unknown, path = new Set<unknown>()): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Map) {
    if (path.has(v)) return '{...}';
    path.add(v);
    const items = [...v].map(([k, x]) => `${pyRepr(k, path)}: ${pyRepr(x, path)}`);
    path.delete(v);
    return `{${items.join(', ')}}`;
  }
  if (!Array.isArray(v)) return '?';
  const tuple = v instanceof PyTuple;
  if (path.has(v)) return tuple ? '(...)' : '[...]';
  path.add(v);
  const items = v.map((x) => pyRepr(x, path));
  path.delete(v);
  return tuple ? (items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`) : `[${items.join(', ')}]`;
}

const P4 = '\x80\x04';

const errorOf = (f: () => unknown): PickleError => thrown(f, PickleError);
/** Each case loaded and shown by `show`, or 'error' where loading fails with one of our errors (CPython's side says the same). */
const outcomes = (cases: number[][], show: (v: unknown) => string): string[] =>
  cases.map((b) => {
    try {
      return show(loads(new Uint8Array(b)));
    } catch (e) {
      if (!(e instanceof PickleError)) throw e;
      return 'error';
    }
  });

describe('fast path of the opcode loop', () => {
  it('names each case by its byte in the opcode table', () => {
    const source = readFileSync(join(import.meta.dirname, '..', 'src', 'unpickler', 'fast.ts'), 'utf8');
    const cases = [...source.matchAll(/case (0x[0-9a-f]{2}):(?: \{)? \/\/ ([A-Z_0-9]+)/g)];
    expect(cases.length).toBe((source.match(/case 0x/g) ?? []).length);
    for (const [, byte, name] of cases) expect(OP[name as keyof typeof OP], name).toBe(Number(byte));
  });

  it('loads runs of simple opcodes as the handlers do', () => {
    // [1, 300, -2, 1.5, 'ab', True, False, None, [], {}, 'ab' (BINGET)]
    const v = loads(
      bytes(P4, ']', '\x94', '(', 'K\x01', 'M\x2c\x01', 'J\xfe\xff\xff\xff', 'G?\xf8\x00\x00\x00\x00\x00\x00', '\x8c\x02ab', '\x94', '\x88\x89N]}', 'h\x01', 'e.'),
    );
    expect(v).toEqual([1, 300, -2, 1.5, 'ab', true, false, null, [], new Map(), 'ab']);
  });

  it('leaves integral floats to the handler when exact is set', () => {
    const v = loads(bytes(P4, ']', '(', 'K\x01', 'G@\x00\x00\x00\x00\x00\x00\x00', 'e.'), { exact: true }) as unknown[];
    expect(v[1]).toBeInstanceOf(PyFloat);
  });

  it('reports a memo miss at the BINGET that misses', () => {
    const e = errorOf(() => loads(bytes(P4, ']', '\x94', '(', 'h\x00', 'h\x00', 'h\x07', 'e.')));
    expect([e.code, e.offset, e.opcode?.name]).toEqual(['memo_missing', 9, 'BINGET']);
  });

  it('reports arguments cut short at their opcode', () => {
    for (const [tail, name] of [['K', 'BININT1'], ['M\x01', 'BININT2'], ['J\x01\x02\x03', 'BININT'], ['G\x00', 'BINFLOAT'], ['\x8c\x05ab', 'SHORT_BINUNICODE'], ['h', 'BINGET']]) {
      const e = errorOf(() => loads(bytes(P4, '(', 'K\x01', 'K\x02', tail!)));
      expect(e, name).toBeInstanceOf(TruncatedPickleError);
      expect([e.offset, e.opcode?.name]).toEqual([7, name]);
    }
  });

  it('refuses bad UTF-8 and strs over maxObjectBytes at their opcode', () => {
    const bad = errorOf(() => loads(bytes(P4, '(', 'K\x01', '\x8c\x02\xc3\x28', 'l.')));
    expect([bad.code, bad.offset, bad.opcode?.name]).toEqual(['bad_utf8', 5, 'SHORT_BINUNICODE']);
    const big = errorOf(() => loads(bytes(P4, '(', 'K\x01', '\x8c\x05abcde', 'l.'), { maxObjectBytes: 4 }));
    expect(big).toBeInstanceOf(LimitExceededError);
    expect([(big as LimitExceededError).limit, big.offset]).toEqual(['maxObjectBytes', 5]);
  });

  it('keeps maxOps, maxStackItems, maxMemoEntries and maxDepth inside runs', () => {
    const limitAt = (data: Uint8Array, options: object): [string, number | undefined] => {
      const e = errorOf(() => loads(data, options));
      expect(e).toBeInstanceOf(LimitExceededError);
      return [(e as LimitExceededError).limit, e.offset];
    };
    const ints = bytes(P4, '(', 'K\x01'.repeat(20), 'l.');
    expect(limitAt(ints, { maxOps: 10 })).toEqual(['maxOps', 19]);
    expect(limitAt(ints, { maxStackItems: 10 })).toEqual(['maxStackItems', 23]);
    expect(limitAt(bytes(P4, '(', 'K\x01\x94'.repeat(20), 'l.'), { maxMemoEntries: 3 })).toEqual(['maxMemoEntries', 14]);
    expect(limitAt(bytes(P4, '('.repeat(20), 'K\x01', '.'), { maxDepth: 5 })).toEqual(['maxDepth', 7]);
  });

  describe('MARK, BINGETs, APPENDS straight onto a list', () => {
    // [t, t, …] for a memoized tuple t: the shape of a list of shared references.
    const shared = (count: number, head = ''): Uint8Array =>
      bytes(P4, head, ']', '\x94', 'K\x01', '\x85', '\x94', 'a', '(', 'h\x01'.repeat(count), 'e.');

    it('appends the same objects, for short lists and for ones that grow past their first sizing', () => {
      for (const count of [1, 7, 8191, 8192, 8193, 70_000]) {
        const v = loads(shared(count)) as unknown[];
        expect(v).toHaveLength(count + 1);
        expect(v[count]).toBe(v[0]);
        expect(v[0]).toEqual([1]);
      }
      // Batches of 1000 into one long list, as CPython writes it.
      const batch = '(' + 'h\x01'.repeat(1000) + 'e';
      const v = loads(bytes(P4, ']', '\x94', 'K\x01', '\x85', '\x94', 'a', batch.repeat(30), '.')) as unknown[];
      expect(v).toHaveLength(30_001);
      expect(v.every((x) => x === v[0])).toBe(true);
    });

    it('leaves other shapes to the handlers, with their errors', () => {
      // A dict, a tuple, or nothing below the MARK.
      const notList = errorOf(() => loads(bytes(P4, '}', '\x94', '(', 'h\x00', 'e.')));
      expect([notList.code, notList.offset, notList.opcode?.name]).toEqual(['not_a_list', 7, 'APPENDS']);
      const tuple = errorOf(() => loads(bytes(P4, ')', '\x94', '(', 'h\x00', 'e.')));
      expect([tuple.code, tuple.offset]).toEqual(['not_a_list', 7]);
      const nothing = errorOf(() => loads(bytes(P4, '(', 'h\x00', 'e.')));
      expect(nothing.code).toBe('memo_missing');
      // A memo miss inside the run, and a run that ends in another opcode.
      const miss = errorOf(() => loads(bytes(P4, ']', '\x94', '(', 'h\x00', 'h\x05', 'h\x00', 'e.')));
      expect([miss.code, miss.offset, miss.opcode?.name]).toEqual(['memo_missing', 7, 'BINGET']);
      expect(loads(bytes(P4, ']', '\x94', '(', 'h\x00', 'h\x00', 'l', 'a.'))).toEqual([[expect.anything(), expect.anything()]]);
      const cut = errorOf(() => loads(bytes(P4, ']', '\x94', '(', 'h\x00', 'h')));
      expect([cut.offset, cut.opcode?.name]).toEqual([7, 'BINGET']);
    });

    it('treats an empty APPENDS, SETITEMS or ADDITEMS as a no-op on any target, as the C unpickler of CPython does', () => {
      // (2,) is on top when the empty batch closes: CPython returns it; a non-empty batch is an error.
      for (const op of ['e', 'u', '\x90']) {
        expect(loads(bytes(P4, ']', 'K\x02', '\x85', '(', op, '.'))).toEqual([2]);
        expect(errorOf(() => loads(bytes(P4, 'K\x02', '\x85', '(', 'K\x01', 'K\x01', op, '.'))).code).toMatch(/^not_a_/);
      }
      // With nothing below the MARK, it is still an underflow.
      expect(errorOf(() => loads(bytes(P4, '(', 'e', '.'))).code).toBe('stack_underflow');
    });

    it.skipIf(pythonMissing() !== null)('agrees with CPython on random runs of MARK, BINGETs and a closing opcode', () => {
      // A list and a few memoized tuples, then batches of BINGETs (some missing from the memo)
      // closed by APPENDS, LIST, TUPLE, POP_MARK, APPEND or nothing; some cut short.
      const rnd = lcg(11);
      const cases: number[][] = [];
      for (let c = 0; c < 3000; c++) {
        const b = [0x80, 4, 0x5d, 0x94]; // PROTO 4, EMPTY_LIST, MEMOIZE
        let memo = 1;
        for (let j = rnd(4); j > 0; j--, memo++) {
          b.push(0x4b, j, 0x85, 0x94); // (j,) memoized
          if (rnd(3) === 0) b.push(0x61); // APPEND it
        }
        for (let r = 1 + rnd(4); r > 0; r--) {
          b.push(0x28);
          for (let k = rnd(31); k > 0; k--) b.push(0x68, rnd(40) === 0 ? memo + rnd(2) : rnd(memo));
          b.push(...[[0x65], [0x65], [0x65], [0x6c, 0x61], [0x74], [0x31], [0x61], []][rnd(8)]!);
        }
        b.push(0x2e);
        cases.push(rnd(10) === 0 ? b.slice(0, 1 + rnd(b.length)) : b);
      }
      const want = pythonReprs(cases);
      const got = outcomes(cases, (v) => pyRepr(v));
      expect(got.filter((g, i) => g !== want[i])).toEqual([]);
      expect(want.filter((w) => w !== 'error').length, 'cases that load').toBeGreaterThan(500);
      console.log(`random runs: ${cases.length}, ${want.filter((w) => w !== 'error').length} load in CPython, all agree`);
    });

    it('keeps maxOps, maxStackItems and maxDepth where the handlers would', () => {
      const limitAt = (data: Uint8Array, options: object): [string, number | undefined] => {
        const e = errorOf(() => loads(data, options));
        expect(e).toBeInstanceOf(LimitExceededError);
        return [(e as LimitExceededError).limit, e.offset];
      };
      const run = bytes(P4, ']', '\x94', '(', 'h\x00'.repeat(20), 'e.');
      // PROTO, EMPTY_LIST, MEMOIZE, MARK and 6 BINGETs are 10 opcodes: the 7th BINGET (at 5 + 12) is the 11th.
      expect(limitAt(run, { maxOps: 10 })).toEqual(['maxOps', 17]);
      // The list and 9 items fill 10 stack slots: the 10th BINGET (at 5 + 18) is one too many.
      expect(limitAt(run, { maxStackItems: 10 })).toEqual(['maxStackItems', 23]);
      expect(limitAt(bytes(P4, '(', ']', '\x94', '(', 'h\x00', 'e', 'l.'), { maxDepth: 1 })).toEqual(['maxDepth', 5]);
      expect(loads(run, { maxOps: 26, maxStackItems: 21 })).toHaveLength(20); // 26 opcodes with STOP
    });
  });

  it('counts BINPUT and MEMOIZE entries as the handlers do, overwrites and the limit included', () => {
    const limitAt = (data: Uint8Array, options: object): [string, number | undefined] => {
      const e = errorOf(() => loads(data, options));
      expect(e).toBeInstanceOf(LimitExceededError);
      return [(e as LimitExceededError).limit, e.offset];
    };
    // Three new entries, an overwrite of entry 1 (not new), then a fourth new one at offset 21.
    const puts = bytes(P4, '(', 'K\x01q\x00', 'K\x02q\x01', 'K\x03q\x02', 'K\x04q\x01', 'K\x05q\x03', 'l.');
    expect(limitAt(puts, { maxMemoEntries: 3 })).toEqual(['maxMemoEntries', 21]);
    expect(loads(puts, { maxMemoEntries: 4 })).toEqual([1, 2, 3, 4, 5]);
    // MEMOIZE numbers by the count: after an overwrite it is 3, not 4.
    expect(loads(bytes(P4, '(', 'K\x01q\x00', 'K\x02q\x01', 'K\x03q\x01', 'K\x04\x94', 'h\x02', 'l.'))).toEqual([1, 2, 3, 4, 4]);
    const under = errorOf(() => loads(bytes(P4, ']', '(', 'K\x01', '(', 'q\x00', '.')));
    expect([under.code, under.offset, under.opcode?.name]).toEqual(['stack_underflow', 7, 'BINPUT']);
    const cut = errorOf(() => loads(bytes(P4, '(', 'K\x01', 'q')));
    expect(cut).toBeInstanceOf(TruncatedPickleError);
    expect([cut.offset, cut.opcode?.name]).toEqual([5, 'BINPUT']);
  });

  it.skipIf(pythonMissing() !== null)('agrees with CPython on random runs of BINPUT, LONG_BINPUT, MEMOIZE and BINGET', () => {
    const rnd = lcg(5);
    const cases: number[][] = [];
    for (let c = 0; c < 2000; c++) {
      const b = [0x80, 4, 0x5d, 0x94]; // PROTO 4, EMPTY_LIST, MEMOIZE
      for (let r = 1 + rnd(4); r > 0; r--) {
        b.push(0x28);
        for (let k = rnd(20); k > 0; k--) {
          const pick = rnd(10);
          if (pick < 3) b.push(0x68, rnd(8) === 0 ? rnd(12) : rnd(3)); // BINGET, some missing
          else {
            b.push(0x4b, rnd(256)); // BININT1, then perhaps memoized
            if (pick < 6) b.push(0x71, rnd(12)); // BINPUT, new or an overwrite
            else if (pick < 8) b.push(0x94);
            else if (pick === 8) b.push(0x72, rnd(3) === 0 ? 0x88 : rnd(12), rnd(2) === 0 ? 0x13 : 0, 0, 0); // LONG_BINPUT, near or far
          }
        }
        b.push(0x65);
      }
      b.push(0x2e);
      cases.push(rnd(10) === 0 ? b.slice(0, 1 + rnd(b.length)) : b);
    }
    const want = pythonReprs(cases);
    // Python's repr of the list: ints, and the list itself as [...].
    const repr = (v: unknown): string =>
      Array.isArray(v) ? `[${v.map((x) => (x === v ? '[...]' : typeof x === 'number' ? String(x) : '?')).join(', ')}]` : '?';
    const got = outcomes(cases, repr);
    expect(got.filter((g, i) => g !== want[i])).toEqual([]);
    expect(want.filter((w) => w !== 'error').length, 'cases that load').toBeGreaterThan(300);
  });

  describe('short lists made at their size', () => {
    // Lists as identity-aware text: L3[…] the fourth distinct list met, @3 a reference back to it.
    const CANON_PY = [
      'def canon(v, seen):',
      '    if isinstance(v, list):',
      '        if id(v) in seen: return "@%d" % seen[id(v)]',
      '        seen[id(v)] = k = len(seen)',
      '        return "L%d[%s]" % (k, ",".join(canon(x, seen) for x in v))',
      '    if isinstance(v, tuple): return "T(%s)" % ",".join(canon(x, seen) for x in v)',
      '    return repr(v)',
    ].join('\n');
    const canon = (v: unknown, seen: Map<unknown, number>): string => {
      if (v instanceof PyTuple) return `T(${v.map((x) => canon(x, seen)).join(',')})`;
      if (Array.isArray(v)) {
        if (seen.has(v)) return `@${seen.get(v)}`;
        const k = seen.size;
        seen.set(v, k);
        return `L${k}[${v.map((x) => canon(x, seen)).join(',')}]`;
      }
      return typeof v === 'string' ? `'${v}'` : String(v);
    };

    it.skipIf(pythonMissing() !== null)('keep identity, sharing and cycles as CPython loads them', () => {
      // Random lists of ints, strs and lists, some shared, some holding themselves or an ancestor,
      // pickled by CPython at protocols 2 (BINPUT) and 4 (MEMOIZE); then hand-made runs around the
      // list's EMPTY_LIST, memo store, MARK and APPENDS (a second store, DUP, an overwritten slot, a
      // BINGET of the list itself, POP_MARK and a new MARK).
      const made = runPythonJson<number[][]>(
        [
          'import json, pickle, random, sys',
          'rnd = random.Random(7)',
          'out = []',
          'for case in range(300):',
          '    pool = []',
          '    def make(depth):',
          '        n = rnd.randrange(0, 5)',
          '        l = []',
          '        pool.append(l)',
          '        for _ in range(n):',
          '            r = rnd.random()',
          '            if r < 0.3: l.append(rnd.randrange(300))',
          '            elif r < 0.45: l.append("ab"[rnd.randrange(2)])',
          '            elif r < 0.65 and pool: l.append(rnd.choice(pool))',
          '            elif depth < 4: l.append(make(depth + 1))',
          '        return l',
          '    v = make(0)',
          '    for proto in (2, 4):',
          '        out.append(list(pickle.dumps(v, proto)))',
          'json.dump(out, sys.stdout)',
        ].join('\n'),
      );
      const P = [0x80, 4];
      const hand = [
        [...P, 0x5d, 0x94, 0x94, 0x28, 0x4b, 1, 0x4b, 2, 0x65, 0x68, 0, 0x68, 1, 0x86, 0x2e], // two memo slots
        [...P, 0x5d, 0x94, 0x32, 0x28, 0x4b, 1, 0x65, 0x86, 0x2e], // DUP
        [...P, 0x5d, 0x94, 0x28, 0x4b, 1, 0x4b, 7, 0x71, 0, 0x65, 0x68, 0, 0x86, 0x2e], // slot 0 overwritten inside
        [...P, 0x5d, 0x94, 0x28, 0x4b, 1, 0x68, 0, 0x65, 0x2e], // BINGET of itself among items
        [...P, 0x5d, 0x94, 0x28, 0x68, 0, 0x68, 0, 0x65, 0x2e], // only BINGETs of itself
        [...P, 0x5d, 0x94, 0x28, 0x4b, 1, 0x31, 0x94, 0x28, 0x4b, 2, 0x65, 0x68, 0, 0x68, 1, 0x86, 0x2e], // POP_MARK, MEMOIZE, MARK
        [...P, 0x5d, 0x71, 3, 0x28, 0x4b, 1, 0x5d, 0x94, 0x28, 0x68, 3, 0x65, 0x65, 0x2e], // inner list holds the outer
        [...P, 0x5d, 0x28, 0x5d, 0x94, 0x65, 0x68, 0, 0x86, 0x2e], // no memo store; APPENDS of an empty list
        [0x80, 2, 0x5d, 0x71, 0, 0x28, 0x4b, 1, 0x4b, 2, 0x65, 0x68, 0, 0x86, 0x2e],
        // A list of memo references made at once: with MEMOIZE, BINPUT (one over a used slot) or no store.
        [...P, 0x4b, 1, 0x94, 0x4b, 2, 0x94, 0x5d, 0x94, 0x28, 0x68, 1, 0x68, 0, 0x68, 1, 0x65, 0x68, 2, 0x87, 0x2e],
        [...P, 0x4b, 1, 0x94, 0x5d, 0x71, 0, 0x28, 0x68, 0, 0x65, 0x68, 0, 0x86, 0x2e],
        [...P, 0x4b, 1, 0x94, 0x5d, 0x71, 5, 0x28, 0x68, 0, 0x65, 0x68, 5, 0x86, 0x2e],
        [...P, 0x4b, 1, 0x94, 0x5d, 0x28, 0x68, 0, 0x68, 0, 0x65, 0x2e],
        [...P, 0x4b, 1, 0x94, 0x5d, 0x94, 0x28, 0x68, 1, 0x65, 0x2e], // BINGET of the list being made
      ];
      const cases = [...made, ...hand];
      const want = runPythonJson<string[]>(
        `import json, pickle, sys\n${CANON_PY}\nout = []\nfor b in json.load(sys.stdin):\n    try:\n        out.append(canon(pickle.loads(bytes(b)), {}))\n    except Exception:\n        out.append("error")\njson.dump(out, sys.stdout)`,
        cases,
      );
      const got = outcomes(cases, (v) => canon(v, new Map()));
      expect(got.map((g, i) => (g === want[i] ? '' : `${i}: ${g} != ${want[i]}`)).filter(Boolean)).toEqual([]);
      expect(want.slice(made.length).filter((w) => w !== 'error').length).toBe(hand.length);
    });

    it('made from memo references keep maxOps, maxMemoEntries, maxDepth and frames where the handlers have them', () => {
      const limitAt = (data: Uint8Array, options: object): [string, number | undefined] => {
        const e = errorOf(() => loads(data, options));
        expect(e).toBeInstanceOf(LimitExceededError);
        return [(e as LimitExceededError).limit, e.offset];
      };
      // PROTO, BININT1, MEMOIZE, EMPTY_LIST (at 5), MEMOIZE (6), MARK (7), BINGETs (8, 10), APPENDS (12).
      const run = bytes(P4, 'K\x01', '\x94', ']', '\x94', '(', 'h\x00', 'h\x00', 'e', '.');
      expect(loads(run)).toEqual([1, 1]);
      expect(limitAt(run, { maxOps: 7 })).toEqual(['maxOps', 10]);
      // Every opcode of the run counts: 10 with STOP.
      expect(loads(run, { maxOps: 10 })).toEqual([1, 1]);
      expect(limitAt(run, { maxOps: 9 })).toEqual(['maxOps', 13]);
      const noStore = bytes(P4, 'K\x01', '\x94', ']', '(', 'h\x00', 'e', '.');
      expect(loads(noStore, { maxOps: 8 })).toEqual([1]);
      expect(limitAt(noStore, { maxOps: 7 })).toEqual(['maxOps', 10]);
      const binput = bytes(P4, 'K\x01', '\x94', ']', 'q\x01', '(', 'h\x00', 'e', '.');
      expect(loads(binput, { maxOps: 9 })).toEqual([1]);
      expect(limitAt(binput, { maxOps: 8 })).toEqual(['maxOps', 12]);
      expect(limitAt(run, { maxMemoEntries: 1 })).toEqual(['maxMemoEntries', 6]);
      expect(limitAt(run, { maxDepth: 0 })).toEqual(['maxDepth', 7]);
      expect(limitAt(run, { maxStackItems: 2 })).toEqual(['maxStackItems', 8]);
      // A frame that ends inside the run (after a BINGET's opcode byte, or after its argument): read on past it.
      for (const n of ['\x07', '\x08']) {
        expect(loads(bytes(P4, '\x95', `${n}\x00\x00\x00\x00\x00\x00\x00`, 'K\x01', '\x94', ']', '\x94', '(', 'h\x00', 'h\x00', 'e', '.'))).toEqual([1, 1]);
      }
    });

    it('are plain lists that grow as any other', () => {
      const v = loads(bytes(P4, ']', '\x94', '(', ']', '\x94', '(', 'K\x01', 'K\x02', 'e', 'h\x01', 'e.')) as unknown[][];
      expect(v).toEqual([[1, 2], [1, 2]]);
      expect(v[0]).toBe(v[1]);
      v[0]!.push(3);
      expect(Object.getPrototypeOf(v[0])).toBe(Array.prototype);
      expect(v[1]).toEqual([1, 2, 3]);
    });
  });

  it.skipIf(pythonMissing() !== null)('agrees with CPython on random SETITEMS batches, unhashable keys, odd batches and other targets included', () => {
    const rnd = lcg(23);
    // Items: small ints (keys that collide), a str, one tuple (memo 1: tuples are keys by identity), an
    // empty list (unhashable), the dict itself (memo 0).
    const items = [[0x4b, 1], [0x4b, 2], [0x4b, 3], [0x8c, 1, 0x61], [0x68, 1], [0x5d], [0x68, 0], [0x4b, 9, 0x94]];
    const cases: number[][] = [];
    for (let c = 0; c < 2000; c++) {
      const b = [0x80, 4, ...[[0x7d], [0x7d], [0x7d], [0x5d], [0x4b, 1, 0x85]][rnd(5)]!, 0x94, 0x4b, 1, 0x85, 0x94, 0x30];
      for (let r = 1 + rnd(3); r > 0; r--) {
        b.push(0x28);
        const n = rnd(8) === 0 ? 1 + 2 * rnd(3) : 2 * rnd(5);
        for (let k = 0; k < n; k++) b.push(...items[rnd(10) === 0 ? 5 + rnd(2) : rnd(items.length)]!);
        b.push(rnd(12) === 0 ? 0x65 : 0x75);
      }
      b.push(0x2e);
      cases.push(rnd(10) === 0 ? b.slice(0, 1 + rnd(b.length)) : b);
    }
    const want = pythonReprs(cases);
    const got = outcomes(cases, (v) => pyRepr(v));
    expect(got.map((g, i) => (g === want[i] ? '' : `${g} != ${want[i]}`)).filter(Boolean)).toEqual([]);
    expect(want.filter((w) => w !== 'error').length, 'cases that load').toBeGreaterThan(200);
    expect(want.filter((w) => w === 'error').length, 'cases that fail').toBeGreaterThan(400);
  });

  it('leaves a SETITEMS it does not take to the handler, with its error', () => {
    const unhashable = errorOf(() => loads(bytes(P4, '}', '\x94', '(', 'K\x01', 'K\x02', ']', 'K\x03', 'u.')));
    expect([unhashable.code, unhashable.offset, unhashable.opcode?.name]).toEqual(['unhashable', 12, 'SETITEMS']);
    const odd = errorOf(() => loads(bytes(P4, '}', '\x94', '(', 'K\x01', 'u.')));
    expect([odd.code, odd.offset]).toEqual(['odd_items', 7]);
    const notDict = errorOf(() => loads(bytes(P4, ']', '(', 'K\x01', 'K\x02', 'u.')));
    expect([notDict.code, notDict.offset]).toEqual(['not_a_dict', 8]);
    const under = errorOf(() => loads(bytes(P4, '(', 'K\x01', 'K\x02', 'u.')));
    expect([under.code, under.offset]).toEqual(['stack_underflow', 7]);
    expect(loads(bytes(P4, '}', '(', 'K\x01', 'K\x02', 'K\x01', 'K\x03', 'u.'))).toEqual(new Map([[1, 3]]));
  });

  it('refuses MEMOIZE with nothing above the mark', () => {
    const e = errorOf(() => loads(bytes(P4, ']', '(', 'K\x01', '(', '\x94', '.')));
    expect([e.code, e.offset, e.opcode?.name]).toEqual(['stack_underflow', 7, 'MEMOIZE']);
  });
});
