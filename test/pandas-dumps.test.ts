/**
 * A loaded PdDataFrame / PdSeries / PdIndex / PdArray dumps back to what pandas pickled: for every
 * pandas fixture in corpus/realworld, load → dumps (protocols 2, 4, 5) → the pandas that wrote it
 * (when installed here: Debian 12's, or a Debian root's) loads our bytes to a value equal to its own
 * load of the fixture: values, dtypes, index and names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPolicy, dumps, loadPandas, loads, PdArray, PdDataFrame, PdIndex, PdSeries, PicklingError, shippedPack } from '../src/index.js';
import { realworldFixtures } from './helpers/described.js';
import { installedVersions, runPython } from './helpers/producers.js';

const PANDAS = createPolicy({ packs: [shippedPack('pandas')] });
const files = realworldFixtures('pandas', (n) => n.endsWith('.pkl'));
const compressed = realworldFixtures('pandas', (n) => /\.pkl\.[a-z0-9]+$/.test(n));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** For each case: the fixture's path and our dump's hex; pandas compares its load of both. */
const SAME_SCRIPT = `
import json, pickle, sys, warnings
import numpy as np
import pandas as pd
warnings.simplefilter('ignore')
def same_index(a, b):
    return type(a) is type(b) and a.equals(b) and a.dtype == b.dtype and list(a.names) == list(b.names)
def same(a, b):
    if type(a) is not type(b):
        return 'type %s, ours %s' % (type(a).__name__, type(b).__name__)
    if isinstance(a, pd.DataFrame):
        ok = a.equals(b) and a.dtypes.equals(b.dtypes) and same_index(a.index, b.index) and same_index(a.columns, b.columns) and a.attrs == b.attrs and a.flags == b.flags
    elif isinstance(a, pd.Series):
        ok = a.equals(b) and a.dtype == b.dtype and same_index(a.index, b.index) and a.name == b.name
    elif isinstance(a, pd.Index):
        ok = same_index(a, b)
    else:
        ok = isinstance(a, pd.api.extensions.ExtensionArray) and a.dtype == b.dtype and a.equals(b)
    return None if ok else 'differs'
def part(v, p):
    if p is None: return v
    if p[0] == 'column': return v.iloc[:, p[1]].array if isinstance(v, pd.DataFrame) else v.array
    return getattr(v, p[0])
def same_part(a, b):
    if type(a) is getattr(pd.arrays, 'NumpyExtensionArray', None) or type(a) is getattr(pd.arrays, 'PandasArray', None):  # a numpy column: ours is its ndarray (StringArray is a subclass, kept)
        return None if isinstance(b, np.ndarray) and a.dtype.numpy_dtype == b.dtype and a.to_numpy().shape == b.shape and pd.Series(a).equals(pd.Series(b)) else 'differs'
    return same(a, b)
bad = []
identical = 0
cases = json.loads(sys.stdin.read())
for c in cases:
    original = part(pd.read_pickle(c['path']), c['part'])
    data = bytes.fromhex(c['ours'])
    identical += data == pickle.dumps(original, c['protocol'])
    why = same_part(original, pickle.loads(data))
    if why: bad.append([c["name"], c["part"], c["protocol"], why, repr(original)[:80], repr(pickle.loads(data))[:80]])
print(json.dumps({'checked': len(cases), 'bad': bad, 'identical': identical}))
`;

/** The value, and for a frame or series its index, columns and each column's array: what pandas would pickle of each. */
function partsOf(v: unknown): [(string | number)[] | null, unknown][] {
  const out: [(string | number)[] | null, unknown][] = [[null, v]];
  if (v instanceof PdDataFrame) {
    out.push([['index'], v.index], [['columns'], v.columns]);
    v.data.forEach((a, i) => out.push([['column', i], a]));
  }
  if (v instanceof PdSeries) out.push([['index'], v.index], [['column', 0], v.values as PdArray]);
  return out;
}

const versions = [...new Set(files.map(([name]) => name.split('/')[0]!))];
const pandases = installedVersions('pandas', versions, 'its load of our dumps');

describe(`dumps of loaded pandas values (${files.length} pickles and the to_pickle files × protocols 2, 4, 5)`, () => {
  it.each(pandases)('pandas %s loads what we dump to values equal to its own load of the fixture', async (version, exe) => {
    const mine = ([name]: readonly [string, ...unknown[]]) => name.startsWith(`${version}/`);
    const loaded: [string, string, unknown][] = files.filter(mine).map(([name, path]) => [name, path, loads(readFileSync(path), { policy: PANDAS })]);
    for (const [name, path, spec] of compressed.filter(mine)) if (spec.error === undefined) loaded.push([name, path, await loadPandas(new Uint8Array(readFileSync(path)))]);
    const cases = loaded.flatMap(([name, path, value]) =>
      [2, 4, 5].flatMap((protocol) => partsOf(value).map(([part, v]) => ({ name, path, protocol, part, ours: hex(dumps(v, { protocol })) }))),
    );
    // A control the comparison must catch: one fixture's dump paired with another fixture.
    const control = { ...cases.find((c) => c.name.includes('series_int'))!, path: files.find(([n]) => mine([n]) && n.includes('series_float'))![1], name: 'control' };
    cases.push(control);
    const r = runPython(exe, ['-c', SAME_SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.checked).toBe(cases.length);
    expect(out.bad.map((b: unknown[]) => b[0])).toEqual(['control']);
    expect(cases.length).toBeGreaterThan(loaded.length * 3 * 3);
    // Frames, series and indexes re-emit what pandas wrote: the bytes are pandas' own, but for memo numbering of shared parts.
    console.log(`pandas ${version} dumps: ${cases.length} values checked, ${out.identical} byte-identical to pickle.dumps`);
  });

  it('a value made in JavaScript does not dump (it has nothing pandas pickled); a loaded one is frozen', () => {
    expect(() => dumps(new PdDataFrame())).toThrow(PicklingError);
    expect(() => dumps(new PdSeries())).toThrow(PicklingError);
    const frame = loads(readFileSync(files.find(([n]) => n.includes('mixed.p4'))![1]), { policy: PANDAS }) as PdDataFrame;
    expect(Object.isFrozen(frame)).toBe(true);
    expect(() => dumps(new PdIndex('object', null, frame.data[2]!))).toThrow(/made in JavaScript/);
    const cat = frame.column('cat')!;
    expect(() => dumps(new PdArray(cat.dtype, cat.kind, cat.values, null, cat.categories))).toThrow(PicklingError);
    const numbers = frame.column('i8')!;
    expect(dumps(new PdArray('int64', 'numpy', numbers.values))).toEqual(dumps(numbers.values)); // a numpy column is its ndarray
  });
});
