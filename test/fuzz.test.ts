/**
 * Seeded fuzzing of the unpickler: (a) opcode-aware random byte strings, (b) mutations of real
 * pickles (the corpus, else pickles CPython makes here, else a few written by hand). Every input
 * must load to inert data or throw a PickleError that is not 'internal_error', whose offset lies in
 * the input and whose opcode is set below the end; one Unpickler reused across all inputs must
 * still decode a known pickle after each; no builtin prototype may change.
 *
 * Bounded for CI; PICKLEGUARD_FUZZ=100 multiplies the iteration counts, PICKLEGUARD_SEED changes
 * the seed (printed in the test names). A failure is shrunk and printed as hex: add it below as a
 * regression test.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loads, PickleError, PyByteArray, PyTuple, Unpickler, type LoadOptions } from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { hexToBytes, pickleFiles } from './helpers/corpus.js';
import {
  checkLoads,
  checkUnpickler,
  mutate,
  outcomeProblem,
  problemKind,
  randomPickle,
  Rng,
  shrink,
  toHex,
  valueProblem,
} from './helpers/fuzz-tools.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';
import { PY_RANDOM_VALUES } from './helpers/py-values.js';
import { toTyped } from './helpers/typed.js';

const FACTOR = Math.max(0, Number(process.env.PICKLEGUARD_FUZZ ?? '1') || 1);
const SEED = Number.parseInt(process.env.PICKLEGUARD_SEED ?? '7340033', 10);
const RANDOM_INPUTS = Math.round(20_000 * FACTOR);
const MUTATED_INPUTS = Math.round(30_000 * FACTOR);
/** A single call on an input of at most 8 KiB taking longer than this counts as a hang. */
const SLOW_MS = 1000;

const OPTION_SETS: readonly (LoadOptions | undefined)[] = [
  undefined,
  { dicts: 'object' },
  { exact: true },
  { encoding: 'bytes' },
  { encoding: 'latin1' },
  { maxDepth: 6, maxOps: 200, maxStackItems: 24, maxMemoEntries: 12, maxObjectBytes: 16, maxIntDigits: 12 },
  {
    // What makes NEXT_BUFFER, READONLY_BUFFER, EXT1/2/4 and PERSID/BINPERSID succeed.
    buffers: [Uint8Array.of(1, 2, 3), PyByteArray.copyOf([4, 5]), new Uint8Array(0)],
    extensions: new Map<number, readonly [string, string]>([
      [1, ['builtins', 'set']],
      [2, ['collections', 'OrderedDict']],
      [3, ['os', 'system']],
      [0x101, ['copyreg', '_reconstructor']],
    ]),
    persistentLoad: (pid: unknown) => (typeof pid === 'string' && pid.length > 3 ? pid : [pid]),
    zeroCopy: true,
    fixImports: false,
  },
];

/** A known pickle (no strs) and its typed form: [1, -1, None, True, 1.5, {7: <the list>}], protocol 2. */
const VALID = bytes(
  [0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4e, 0x88],
  [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x7d, 0x4b, 0x07, 0x68, 0x00, 0x73, 0x65, 0x2e],
);
const VALID_TYPED = {
  list: [{ int: '1' }, { int: '-1' }, null, true, { float: 1.5 }, { dict: [[{ int: '7' }, { ref: 0 }]] }],
  id: 0,
};

/** Pickles written by hand: Python 2 strs, refused and allowed globals, objects, framing, buffers. */
const HAND_SEEDS: readonly Uint8Array[] = [
  bytes("(lp0\nI1\naS'abc'\np1\naF1.5\naL12345678901234567890L\naV\\u20ac\np2\na(dp3\nS'k'\np4\ng1\nsa."),
  bytes("c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n."),
  bytes("ccollections\nOrderedDict\np0\n(tRp1\nS'a'\np2\nI1\nsS'b'\np3\n(I2\nI3\ntp4\ns."),
  bytes("cos\nsystem\n(S'echo hi'\ntR."),
  bytes("c_codecs\nencode\nq\x00(X\x02\x00\x00\x00\xc3\xa9q\x01X\x06\x00\x00\x00latin1q\x02tq\x03Rq\x04."),
  bytes('\x80\x02ccopy_reg\n_reconstructor\nq\x00c__builtin__\nset\nq\x01h\x01]q\x02K\x01a\x87q\x03Rq\x04.'),
  bytes('\x80\x02c__builtin__\nbytearray\nq\x00X\x03\x00\x00\x00abcq\x01X\x07\x00\x00\x00latin-1q\x02\x86q\x03Rq\x04.'),
  bytes('\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00aq\x03K\x01sb.'),
  bytes('\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x05bytes\x94\x93\x94)R\x94.'),
  bytes('\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8f\x94(K\x01K\x02\x90(\x91\x94\x86\x94.'),
  bytes('\x80\x05\x95\x0c\x00\x00\x00\x00\x00\x00\x00\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\x94\x98.'),
  bytes('\x80\x05\x97\x98\x94.'),
  bytes('\x80\x03U\x03abcq\x00T\x02\x00\x00\x00xyq\x01\x86q\x02.'),
  bytes('\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x8b\x02\x00\x00\x00\x00\x80\x86.'),
  bytes('\x80\x02(K\x01K\x02]q\x00(K\x03h\x00e1K\x04\x82\x01P1\nQ2.'),
  bytes("(i__main__\nC\n(dp0\nS'x'\nI1\nsb."),
  bytes('\x80\x04\x8c\x08builtins\x8c\x03set\x93(\x8c\x01a\x85R0\x8c\x01b\x8c\x02\xed\xa0\x80\x86j\x00\x00\x00\x00r\xff\xff\xff\xff.'),
  VALID,
];

const SEEDS_SCRIPT = `${PY_RANDOM_VALUES}
import collections, datetime, json, pickle, sys
cfg = json.load(sys.stdin)
class C:
    def __init__(self):
        self.a = 1
        self.b = [2, 'x']
class D(tuple):
    pass
gen = RandomValues(cfg['seed'], max_depth=4)
values = [gen.make() for _ in range(cfg['count'])]
values += [C(), D((1, 2)), datetime.date(2020, 1, 2), collections.OrderedDict(a=1), {1, 2}, frozenset({'a'}),
           bytearray(b'xyz'), b'', b'\\x00\\xff', 2**70, -1.5, complex(1, -2), 'caf\\u00e9\\ud800', (None, True, False)]
out = []
for v in values:
    for p in range(6):
        b = pickle.dumps(v, protocol=p)
        if len(b) <= cfg['max_len']:
            out.append(b.hex())
json.dump(out, sys.stdout)
`;

/** The inputs to mutate, and where they came from. */
function loadSeeds(): { seeds: Uint8Array[]; source: string } {
  const files = [...pickleFiles('valid'), ...pickleFiles('stdlib')].filter((f) => statSync(f).size <= 4096);
  if (files.length >= 50) return { seeds: [...files.map((f) => new Uint8Array(readFileSync(f))), ...HAND_SEEDS], source: `${files.length} corpus files + ${HAND_SEEDS.length} hand-written` };
  const missing = pythonMissing();
  if (missing !== null) return { seeds: [...HAND_SEEDS], source: `${HAND_SEEDS.length} hand-written pickles (${missing})` };
  const hex = runPythonJson<string[]>(SEEDS_SCRIPT, { seed: SEED, count: 80, max_len: 2048 });
  return { seeds: [...hex.map(hexToBytes), ...HAND_SEEDS], source: `${hex.length} CPython pickles + ${HAND_SEEDS.length} hand-written` };
}

interface Failure {
  input: Uint8Array;
  options: LoadOptions | undefined;
  problem: string;
  via: string;
}

/** Run `count` inputs through loads and a reused Unpickler; returns the failures (one per kind) and stats. */
function fuzz(count: number, rng: Rng, next: () => Uint8Array): { failures: Failure[]; stats: string } {
  const unpicklers = new Map<LoadOptions | undefined, Unpickler>();
  const failures = new Map<string, Failure>();
  const codes = new Map<string, number>();
  let ok = 0;
  let slowest = 0;
  const note = (f: Failure): void => {
    const kind = problemKind(f.problem);
    if (!failures.has(kind)) failures.set(kind, f);
  };
  for (let i = 0; i < count; i++) {
    const input = next();
    const options = rng.chance(0.5) ? undefined : rng.pick(OPTION_SETS);
    const t0 = performance.now();
    const problem = checkLoads(input, options);
    const dt = performance.now() - t0;
    if (dt > slowest) slowest = dt;
    if (dt > SLOW_MS) note({ input, options, problem: `slow: ${Math.round(dt)} ms`, via: 'loads' });
    if (problem !== null) note({ input, options, problem, via: 'loads' });
    const r = (() => {
      try {
        loads(input, options);
        return 'ok';
      } catch (e) {
        return e instanceof PickleError ? e.code : 'other';
      }
    })();
    if (r === 'ok') ok++;
    codes.set(r, (codes.get(r) ?? 0) + 1);

    let u = unpicklers.get(options);
    if (u === undefined) unpicklers.set(options, (u = new Unpickler(VALID, options)));
    const p2 = checkUnpickler(u, input, options);
    if (p2 !== null) note({ input, options, problem: p2, via: 'Unpickler' });
    try {
      u.reset(VALID);
      const typed = toTyped(u.load());
      expect(typed).toEqual(VALID_TYPED);
    } catch (e) {
      note({ input, options, problem: `the reused Unpickler then failed on a valid pickle: ${String(e)}`, via: 'Unpickler' });
    }
  }
  const top = [...codes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${n}`).join(', ');
  return { failures: [...failures.values()], stats: `${count} inputs: ${top}; slowest call ${slowest.toFixed(1)} ms (${ok} loaded)` };
}

/** Shrink each failure (still failing the same way) and describe it with its minimal hex. */
function report(failures: Failure[]): string {
  return failures
    .slice(0, 6)
    .map((f) => {
      const kind = problemKind(f.problem);
      const check = (d: Uint8Array): string | null => {
        if (f.problem.startsWith('slow')) {
          const t0 = performance.now();
          checkLoads(d, f.options);
          return performance.now() - t0 > SLOW_MS ? 'slow' : null;
        }
        if (f.via === 'loads') return checkLoads(d, f.options);
        const u = new Unpickler(VALID, f.options);
        return checkUnpickler(u, d, f.options);
      };
      const min = f.problem.startsWith('slow') ? f.input : shrink(f.input, (d) => {
        const p = check(d);
        return p !== null && problemKind(p) === kind;
      });
      return `${f.via} with options ${JSON.stringify(f.options)}: ${f.problem}\n  input (${f.input.length} bytes) ${toHex(f.input).slice(0, 600)}\n  minimal (${min.length} bytes) ${toHex(min)}\n  minimal gives: ${check(min)}`;
    })
    .join('\n\n');
}

/** Own property names and symbols of the builtin prototypes, to see that nothing was added. */
function prototypeShapes(): Record<string, string[]> {
  const keys = (o: object): string[] => Reflect.ownKeys(o).map(String).sort();
  return {
    Object: keys(Object.prototype),
    Array: keys(Array.prototype),
    Map: keys(Map.prototype),
    Set: keys(Set.prototype),
    Function: keys(Function.prototype),
    Uint8Array: keys(Uint8Array.prototype),
    String: keys(String.prototype),
  };
}

describe(`fuzzing loads and Unpickler (seed ${SEED}, ×${FACTOR})`, () => {
  let before: Record<string, string[]>;
  const descriptors = new Map<string, PropertyDescriptor | undefined>();
  beforeAll(() => {
    before = prototypeShapes();
    for (const k of ['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__']) {
      descriptors.set(k, Object.getOwnPropertyDescriptor(Object.prototype, k));
    }
  });

  it('the known pickle used after each failure decodes', () => {
    expect(toTyped(loads(VALID))).toEqual(VALID_TYPED);
  });

  const timeout = Math.max(120_000, 30_000 * FACTOR);

  it(`random opcode-biased byte strings (${RANDOM_INPUTS} inputs of 0-200 bytes)`, { timeout }, () => {
    const rng = new Rng(SEED);
    const { failures, stats } = fuzz(RANDOM_INPUTS, rng, () => randomPickle(rng, 200));
    console.log(`fuzz random: ${stats}`);
    expect(failures, report(failures)).toEqual([]);
  });

  it(`mutations of valid pickles (${MUTATED_INPUTS} inputs)`, { timeout }, () => {
    const { seeds, source } = loadSeeds();
    const rng = new Rng(SEED ^ 0x5bd1e995);
    const { failures, stats } = fuzz(MUTATED_INPUTS, rng, () => mutate(rng, rng.pick(seeds), rng.pick(seeds)).data);
    console.log(`fuzz mutations of ${source}: ${stats}`);
    expect(failures, report(failures)).toEqual([]);
  });

  afterAll(() => {
    // Checked again here so that a prototype change is reported even when a fuzz test failed.
    expect(prototypeShapes()).toEqual(before);
  });

  it('left Object.prototype, Array.prototype, Map.prototype and friends unchanged', () => {
    expect(prototypeShapes()).toEqual(before);
    for (const [k, d] of descriptors) expect(Object.getOwnPropertyDescriptor(Object.prototype, k), k).toEqual(d);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the fuzz oracle and shrinker', () => {
  const input = bytes('\x80\x02K\x01.');
  const flags = (run: () => unknown, options?: LoadOptions): string | null => outcomeProblem(input, run, options);

  it('accepts a value or a well-formed PickleError', () => {
    for (const data of [input, bytes('\x80\x02\xff.'), bytes('\x80\x02K'), new Uint8Array(0)]) {
      expect(outcomeProblem(data, () => loads(data), undefined), toHex(data)).toBeNull();
    }
  });

  it('flags other errors, internal errors, bad offsets and opcodes, and values that are not inert data', () => {
    const err = (code: string, offset?: number, opcode?: number): PickleError => new PickleError(code, 'x', { offset, opcode });
    expect(flags(() => { throw new TypeError('boom'); })).toMatch(/non-PickleError/);
    expect(flags(() => { throw err('internal_error', 0, 0x80); })).toMatch(/internal_error/);
    expect(flags(() => { throw err('truncated'); })).toMatch(/bad offset/);
    expect(flags(() => { throw err('truncated', 6); })).toMatch(/bad offset/);
    expect(flags(() => { throw err('truncated', 5); })).toBeNull();
    expect(flags(() => { throw err('truncated', 1); })).toMatch(/no opcode/);
    expect(flags(() => { throw err('truncated', 2, 0x4a); })).toMatch(/not the byte/);
    expect(flags(() => { throw err('Bad Code', 2, 0x4b); })).toMatch(/bad code/);
    expect(flags(() => [() => 1])).toMatch(/function/);
    expect(flags(() => [undefined])).toMatch(/undefined/);
    expect(flags(() => new Map([[1, new Date()]]))).toMatch(/Date/);
    expect(flags(() => PyTuple.from([1]).slice())).toBeNull();
    expect(flags(() => Object.assign(new PyTuple(), [1]))).toMatch(/not frozen/);
    expect(flags(() => new Map([['a', 1]]), { dicts: 'object' })).toMatch(/left as a Map/);
    expect(valueProblem(Object.defineProperty(Object.create(null), 'k', { get: () => 1, enumerable: true }), undefined)).toMatch(/accessor/);
  });

  it('shrinks a failing input to a minimal one that fails the same way', () => {
    const big = bytes('junk\x00\x01\x02', '\xde\xad', 'more junk');
    const fails = (d: Uint8Array): boolean => toHex(d).includes('dead');
    expect(toHex(shrink(big, fails))).toBe('dead');
  });
});

/** Minimal inputs the fuzzer found, kept as regression tests: [what, hex, options]. */
const REGRESSIONS: [string, string, LoadOptions | undefined][] = [];

describe.runIf(REGRESSIONS.length > 0)('fuzz regressions', () => {
  it.each(REGRESSIONS)('%s', (_name, hex, options) => {
    const input = hexToBytes(hex);
    expect(checkLoads(input, options)).toBeNull();
    expect(checkUnpickler(new Unpickler(VALID, options), input, options)).toBeNull();
  });
});
