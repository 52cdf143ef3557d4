/**
 * Fast mode (`dumps(v, { fast: true })`, `Pickler.fast`) against CPython's `Pickler.fast`: python3
 * makes seeded random values (the differential test's generator: shared values, and cycles in some)
 * and pickles each normally and in fast mode at protocols 0-5; we load the normal pickle with
 * `exact: true`, dump it in fast mode, and our bytes must equal CPython's, or, for a value with a
 * cycle, ours must be a PicklingError naming the path (CPython's fast mode overflows the C stack on
 * some cycles, so cyclic values are found in Python and not given to it).
 */
import { describe, expect, it } from 'vitest';
import { dumps, loads, Pickler, PicklingError, PyTuple } from '../src/index.js';
import { hexToBytes } from './helpers/corpus.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';
import { PY_HAS_PAIR, PY_RANDOM_VALUES, PY_TYPED } from './helpers/py-values.js';

const SEED = Number.parseInt(process.env.PICKLEGUARD_SEED ?? '20241206', 10);
const COUNT = 300;
const missing = pythonMissing();
if (missing) console.log(`skipping the fast-mode python3 tests: ${missing}`);

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const MAKE = `${PY_TYPED}
${PY_RANDOM_VALUES}
${PY_HAS_PAIR}
import io, json, pickle, sys
cfg = json.load(sys.stdin)
gen = RandomValues(cfg['seed'])

def cyclic(v, open_, done):
    # CPython's fast mode catches only some cycles (past 50 levels, and not through an OrderedDict's
    # items, where it overflows the C stack): cyclic values are not given to it.
    if not isinstance(v, (list, tuple, dict, set, frozenset)) or id(v) in done:
        return False
    if id(v) in open_:
        return True
    open_.add(id(v))
    items = [x for kv in v.items() for x in kv] if isinstance(v, dict) else list(v)
    found = any(cyclic(x, open_, done) for x in items)
    open_.discard(id(v))
    done.add(id(v))
    return found


def fast(v, protocol):
    f = io.BytesIO()
    p = pickle.Pickler(f, protocol)
    p.fast = True
    p.dump(v)
    return f.getvalue().hex()

out = []
for i in range(cfg['count']):
    v = gen.make()
    has_cycle = cyclic(v, set(), set())
    # A high then a low lone surrogate: one astral character once in a JS string.
    out.append({'pickle': pickle.dumps(v, protocol=5).hex(), 'fast': [None if has_cycle else fast(v, p) for p in range(6)], 'pair': has_pair(v, set())})
json.dump(out, sys.stdout)
`;

/** Where two hex strings part, with some bytes of each from there. */
function firstDifference(got: string, want: string): string {
  let k = 0;
  while (k < got.length && got[k] === want[k]) k++;
  const at = k - (k % 2);
  return `byte ${at / 2} of ${want.length / 2}: got ${got.slice(at - 40, at + 60)}, want ${want.slice(at - 40, at + 60)}`;
}

function fastDump(value: unknown, protocol: number): string | PicklingError {
  try {
    return toHex(dumps(value, { protocol, fast: true }));
  } catch (e) {
    if (e instanceof PicklingError) return e;
    throw e;
  }
}

describe.skipIf(missing !== null)(`fast mode equals CPython's Pickler.fast (seed ${SEED}, ${COUNT} values × protocols 0-5)`, () => {
  it('byte for byte, and a cycle is a PicklingError where CPython refuses it', { timeout: 120_000 }, () => {
    const theirs = runPythonJson<{ pickle: string; fast: (string | null)[]; pair: boolean }[]>(MAKE, { seed: SEED, count: COUNT });
    let compared = 0;
    let cyclic = 0;
    const bad: string[] = [];
    theirs.forEach(({ pickle, fast, pair }, i) => {
      if (pair) return;
      const value = loads(hexToBytes(pickle), { exact: true });
      fast.forEach((want, p) => {
        const got = fastDump(value, p);
        if (want === null) {
          cyclic++;
          if (!(got instanceof PicklingError) || !/cyclic objects.*\(at root/.test(got.message)) bad.push(`value ${i} p${p}: a cycle, we gave ${String(got).slice(0, 120)}`);
          return;
        }
        compared++;
        if (got !== want) bad.push(`value ${i} p${p}: ${got instanceof PicklingError ? got.message : firstDifference(got, want)}`);
      });
    });
    console.log(`fast mode vs CPython: ${compared - bad.length}/${compared} byte-identical, ${cyclic} cyclic refused`);
    expect(bad.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(COUNT * 4);
    expect(cyclic).toBeGreaterThan(0);
  });

  it('records, repeated strs and shared tuples: every occurrence written out, as CPython does', () => {
    const script = `
import io, json, pickle, sys
t = (1, 'x')
vals = [
  [{'id': i, 'name': 'user%d' % i, 'score': i * 0.5, 'active': i % 2 == 0, 'tags': ['a', 'b']} for i in range(3000)],
  ['same'] * 5 + [t, t, [t]],
  [b'', b'', b'a', b'a', bytearray(b'z')],
]
def fast(v, protocol):
    f = io.BytesIO(); p = pickle.Pickler(f, protocol); p.fast = True; p.dump(v); return f.getvalue().hex()
json.dump([{'pickle': pickle.dumps(v, 5).hex(), 'fast': [fast(v, p) for p in range(6)]} for v in vals], sys.stdout)
`;
    const theirs = runPythonJson<{ pickle: string; fast: string[] }[]>(script);
    for (const [i, { pickle, fast }] of theirs.entries()) {
      const value = loads(hexToBytes(pickle), { exact: true });
      for (const [p, want] of fast.entries()) expect(toHex(dumps(value, { protocol: p, fast: true })), `value ${i} protocol ${p}`).toBe(want);
    }
  });

  it('Pickler.fast set after a memoizing dump still refers to what the memo holds, as CPython does', async () => {
    const script = `
import io, json, pickle, sys
f = io.BytesIO(); p = pickle.Pickler(f, 4); x = [1]; p.dump(x); p.fast = True; p.dump([x, x, 'k', 'k']); p.fast = False; p.dump(['k', 'k'])
json.dump(f.getvalue().hex(), sys.stdout)
`;
    const want = runPythonJson<string>(script);
    const chunks: Uint8Array[] = [];
    const p = new Pickler((c: Uint8Array) => void chunks.push(c), { protocol: 4 });
    const x = [1];
    await p.dump(x);
    p.fast = true;
    expect(p.fast).toBe(true);
    await p.dump([x, x, 'k', 'k']);
    p.fast = false;
    await p.dump(['k', 'k']);
    expect(toHex(Buffer.concat(chunks))).toBe(want);
  });
});

describe('fast mode without python3', () => {
  it('a cycle is a PicklingError naming its path, through lists, dicts, objects and tuples', () => {
    const list: unknown[] = [1];
    list.push([2, list]);
    expect(() => dumps({ a: [0, list] }, { fast: true })).toThrow(/fast mode: can't pickle cyclic objects: a list here contains itself.*\(at root\.a\[1\]\[1\]\[1\]\)/);
    const map = new Map<unknown, unknown>();
    map.set('self', PyTuple.fromArray([map]));
    expect(() => dumps(map, { fast: true, protocol: 2 })).toThrow(/a dict here contains itself.*\(at root\.self\[0\]\)/);
    const obj: Record<string, unknown> = {};
    obj.me = obj;
    expect(() => dumps([obj], { fast: true })).toThrow(PicklingError);
    // Without fast, the memo refers back: the same values pickle.
    expect(() => dumps({ a: [0, list] })).not.toThrow();
  });

  it('deep values stop at maxDepth with a PicklingError, never a stack overflow', () => {
    let deep: unknown = [];
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(() => dumps(deep, { fast: true })).toThrow(/nested more than 1000 deep/);
    expect(() => dumps(deep, { fast: true, maxDepth: 100_000 })).toThrow(PicklingError);
    let ok: unknown = [];
    for (let i = 0; i < 900; i++) ok = [ok];
    expect(loads(dumps(ok, { fast: true }), { maxDepth: 2000 })).toEqual(ok);
  });

  it('a shared value is written twice and loads as two equal values; the memo is never used', () => {
    const shared = [1, 2];
    const data = dumps([shared, shared, 'k', 'k'], { fast: true });
    expect(data).not.toContain(0x94); // MEMOIZE
    const back = loads(data) as unknown[][];
    expect(back[0]).toEqual(back[1]);
    expect(back[0]).not.toBe(back[1]);
  });
});
