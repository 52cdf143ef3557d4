/**
 * The pickler against CPython, both ways: python3 makes seeded random values (the differential
 * test's generator) and pickles them; we load each with `exact: true`, dump it at protocols 0-5,
 * and python3 loads what we wrote and compares it with the original, type for type (identity of
 * shared and cyclic containers included). We also count how often our bytes equal CPython's.
 */
import { describe, expect, it } from 'vitest';
import { dumps, loads, PyPickleBuffer, PyTuple, signedDumps, verifiedLoads, UnpicklingError } from '../src/index.js';
import { hexToBytes } from './helpers/corpus.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';
import { PY_HAS_PAIR, PY_RANDOM_VALUES, PY_TYPED } from './helpers/py-values.js';

const SEED = Number.parseInt(process.env.PICKLEGUARD_SEED ?? '20240917', 10);
const COUNT = 300;
const missing = pythonMissing();
if (missing) console.log(`skipping the pickler's python3 tests: ${missing}`);

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const MAKE = `${PY_TYPED}
${PY_RANDOM_VALUES}
${PY_HAS_PAIR}
import json, pickle, sys
cfg = json.load(sys.stdin)
gen = RandomValues(cfg['seed'])

out = []
for i in range(cfg['count']):
    v = gen.make()
    out.append({'pickles': [pickle.dumps(v, protocol=p).hex() for p in range(6)], 'pair': has_pair(v, set())})
json.dump(out, sys.stdout)
`;

const CHECK = `${PY_TYPED}
${PY_RANDOM_VALUES}
import json, pickle, sys
cfg = json.load(sys.stdin)
gen = RandomValues(cfg['seed'])
def canon(t):
    # Set iteration order depends on insertion history, not on value: compare set items sorted.
    if isinstance(t, list):
        return [canon(x) for x in t]
    if isinstance(t, dict):
        out = {k: canon(x) for k, x in t.items()}
        for k in ('set', 'frozenset'):
            if k in out:
                out[k] = sorted(out[k], key=lambda x: json.dumps(x, sort_keys=True))
        return out
    return t

bad = []
for i in range(cfg['count']):
    v = gen.make()
    want = json.dumps(canon(typed(v)), sort_keys=True)
    for p, h in enumerate(cfg['ours'][i]):
        try:
            got = json.dumps(canon(typed(pickle.loads(bytes.fromhex(h)))), sort_keys=True)
        except Exception as e:
            bad.append({'index': i, 'protocol': p, 'error': '%s: %s' % (type(e).__name__, e)})
            continue
        if got != want:
            bad.append({'index': i, 'protocol': p, 'want': want[:300], 'got': got[:300]})
json.dump(bad, sys.stdout)
`;

describe.skipIf(missing !== null)(`python3 loads what dumps writes (seed ${SEED}, ${COUNT} values × protocols 0-5)`, () => {
  it('every pickle loads in CPython to a value equal to the original, type for type', { timeout: 120_000 }, () => {
    const theirs = runPythonJson<{ pickles: string[]; pair: boolean }[]>(MAKE, { seed: SEED, count: COUNT });
    let identical = 0;
    let comparable = 0;
    let identicalComparable = 0;
    const ours = theirs.map(({ pickles, pair }) => {
      const value = loads(hexToBytes(pickles[5]!), { exact: true });
      return pickles.map((h, p) => {
        const mine = toHex(dumps(value, { protocol: p }));
        if (mine === h) identical++;
        if (!pair) {
          comparable++;
          if (mine === h) identicalComparable++;
        }
        return mine;
      });
    });
    const bad = runPythonJson<unknown[]>(CHECK, { seed: SEED, count: COUNT, ours });
    console.log(
      `pickler vs CPython: ${COUNT * 6 - bad.length}/${COUNT * 6} loaded equal; ${identical}/${COUNT * 6} byte-identical to pickle.dumps ` +
        `(${identicalComparable}/${comparable} of those without adjacent lone surrogates, which JS strings cannot keep apart)`,
    );
    if (bad.length) console.log(JSON.stringify(bad.slice(0, 6), null, 1));
    expect(bad).toEqual([]);
  });

  it('python3 loads large values across frame boundaries, and their bytes equal pickle.dumps', { timeout: 60_000 }, () => {
    const script = `
import json, pickle, sys
vals = [
  ['%d-%d' % (i, i * 7) for i in range(40000)],
  {i: [i, str(i)] for i in range(5000)},
  [b'x' * 70000, 'y' * 70000, 'é' * 30000, bytearray(b'z' * 66000), list(range(3000))],
  [set(range(2500)), frozenset(range(1200)), {i: None for i in range(2000)}],
]
json.dump([[pickle.dumps(v, p).hex() for p in range(6)] for v in vals], sys.stdout)
`;
    const theirs = runPythonJson<string[][]>(script);
    for (const [i, pickles] of theirs.entries()) {
      const value = loads(hexToBytes(pickles[5]!), { exact: true });
      for (const [p, h] of pickles.entries()) expect(toHex(dumps(value, { protocol: p })), `value ${i} protocol ${p}`).toBe(h);
    }
  });

  it('numbers in long lists and dicts (written inline) equal pickle.dumps across frame boundaries', { timeout: 60_000 }, () => {
    // Edge values of each int opcode, -0.0, NaN, infinities and ints past 32 bits, repeated until
    // the lists span several frames, so the inline number writes meet every frame boundary.
    const script = `
import json, pickle, sys
edges = [0, 1, 255, 256, 65535, 65536, -1, -255, -256, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**53, -2**53,
         0.0, -0.0, 0.5, -1.5, float('nan'), float('inf'), float('-inf'), 1e300, 5e-324, 2.0]
vals = [
  edges * 3000,
  [i * 1.25 for i in range(30000)],
  list(range(-40000, 40000, 3)),
  {i: i * 0.5 for i in range(9000)},
  {2**40 + i: -i for i in range(7000)},
  [{'a': i, 'b': -i * 1.5, 'c': [i, 2**33, -0.0]} for i in range(3000)],
]
json.dump([[pickle.dumps(v, p).hex() for p in range(6)] for v in vals], sys.stdout)
`;
    const theirs = runPythonJson<string[][]>(script);
    for (const [i, pickles] of theirs.entries()) {
      const value = loads(hexToBytes(pickles[5]!), { exact: true });
      for (const [p, h] of pickles.entries()) expect(toHex(dumps(value, { protocol: p })), `value ${i} protocol ${p}`).toBe(h);
    }
  });

  it('out-of-band buffers: NEXT_BUFFER / READONLY_BUFFER through bufferCallback, loadable by CPython', () => {
    const kept: PyPickleBuffer[] = [];
    const value = [new PyPickleBuffer(Uint8Array.of(1, 2, 3)), new PyPickleBuffer(Uint8Array.of(4, 5), false)];
    const data = dumps(value, { protocol: 5, bufferCallback: (b) => void kept.push(b) });
    expect(kept).toHaveLength(2);
    const script = `
import json, pickle, sys
d = json.load(sys.stdin)
v = pickle.loads(bytes.fromhex(d['data']), buffers=[bytes.fromhex(d['b0']), bytearray.fromhex(d['b1'])])
json.dump([bytes(x).hex() for x in v] + [type(x).__name__ for x in v], sys.stdout)
`;
    const r = runPythonJson<string[]>(script, { data: toHex(data), b0: '010203', b1: '0405' });
    expect(r.slice(0, 2)).toEqual(['010203', '0405']);
    const inBand = dumps(value, { protocol: 5 });
    expect(loads(inBand)).toEqual([Uint8Array.of(1, 2, 3), expect.any(Uint8Array)]);
  });

  it('signed pickles interoperate with hmac.new(key, data, "sha256") both ways', () => {
    const key = 'a shared secret';
    const envelope = signedDumps({ a: [1, 2, 3], b: PyTuple.fromArray(['x']) }, key);
    const script = `
import hmac, json, pickle, sys
d = json.load(sys.stdin)
env = bytes.fromhex(d['env']); key = d['key'].encode()
tag, data = env[:32], env[32:]
ok = hmac.compare_digest(tag, hmac.new(key, data, 'sha256').digest())
mine = pickle.dumps({'from': 'python'}, 4)
json.dump({'ok': ok, 'value': repr(pickle.loads(data)), 'env': (hmac.new(key, mine, 'sha256').digest() + mine).hex()}, sys.stdout)
`;
    const r = runPythonJson<{ ok: boolean; value: string; env: string }>(script, { env: toHex(envelope), key });
    expect(r.ok).toBe(true);
    expect(r.value).toBe("{'a': [1, 2, 3], 'b': ('x',)}");
    expect(verifiedLoads(hexToBytes(r.env), key)).toEqual(new Map([['from', 'python']]));
    const tampered = hexToBytes(r.env);
    tampered[tampered.length - 2] ^= 1;
    expect(() => verifiedLoads(tampered, key)).toThrow(UnpicklingError);
    expect(() => verifiedLoads(hexToBytes(r.env), 'another key')).toThrow(/does not match/);
  });
});
