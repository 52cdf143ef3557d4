/**
 * corpus/realworld/numpy: pickles written by the real numpy (1.x under Debian's python3, 2.x under
 * the python3 on PATH; corpus/realworld/gen_numpy.py). Every committed fixture loads under the numpy
 * pack to its recorded value; what we dump of it is numpy's own bytes; and the numpy that wrote it
 * loads what we dump to a value equal to its own load of the original.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedVersions, runPython } from './helpers/producers.js';
import {
  createPolicy,
  dumps,
  loads,
  NdArray,
  NpDtype,
  NpMaskedArray,
  NpScalar,
  PyByteArray,
  PyComplex,
  PyPickleBuffer,
  PyTuple,
  shippedPack,
} from '../src/index.js';

const root = join(import.meta.dirname, '..', 'corpus', 'realworld', 'numpy');
const versions = existsSync(root) ? readdirSync(root).sort() : [];
const NUMPY = createPolicy({ packs: [shippedPack('numpy')] });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const DIGEST_OVER = 64 * 1024;

interface Fixture {
  version: string;
  python: string;
  name: string;
  pickle: Uint8Array;
  protocol: number;
  buffers: Uint8Array[] | null;
  value: unknown;
}

function fixtures(version: string): Fixture[] {
  const dir = join(root, version);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const name = f.slice(0, -'.json'.length);
      // Writable buffers come as bytearrays, as pickle.loads(buffers=) gets them.
      const buffers = meta.buffers === undefined ? null : (meta.buffers as string[]).map((b, i) => {
        const raw = readFileSync(join(dir, b));
        return meta.buffers_writable[i] ? new PyByteArray(raw) : new Uint8Array(raw);
      });
      return { version, python: meta.python, name, pickle: readFileSync(join(dir, `${name}.pkl`)), protocol: meta.protocol, buffers, value: meta.value };
    });
}

const all = versions.flatMap(fixtures);
const load = (f: Fixture) => loads(f.pickle, { policy: NUMPY, ...(f.buffers === null ? {} : { buffers: f.buffers }) });

/** The generator's forms (corpus/realworld/gen_numpy.py), from what we loaded. */
function describeDtype(dt: NpDtype): unknown {
  return {
    str: dt.str,
    fields: dt.fields === null ? null : dt.fields.map((f) => [f.name, describeDtype(f.dtype), f.offset]),
    subarray: dt.subarray === null ? null : [describeDtype(dt.subarray.base), [...dt.subarray.shape]],
  };
}

const data = (raw: Uint8Array) => (raw.length <= DIGEST_OVER ? hex(raw) : `sha256:${createHash('sha256').update(raw).digest('hex')}`);

function describeArray(a: NdArray): unknown {
  return {
    ndarray: {
      dtype: describeDtype(a.dtype),
      shape: [...a.shape],
      layout: a.axisOrder !== null ? [...a.axisOrder] : a.fortranOrder ? 'F' : 'C',
      data: a.data === null ? null : data(a.toCOrder()!),
      objects: a.objects === null ? null : a.objects.map(typed),
    },
  };
}

/** A masked array's mask in C order: its flags per item, laid out as the data is. */
function maskInCOrder(m: NpMaskedArray): string {
  const per = m.size === 0 ? 1 : m.mask.length / m.size;
  const flags = new NdArray({ dtype: new NpDtype(`V${per}`, 'V', per, '|'), shape: m.shape, fortranOrder: m.fortranOrder, data: m.mask });
  return hex(flags.toCOrder()!);
}

function typed(v: unknown): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { int: String(v) } : { float: v };
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'string') return { str: v };
  if (v instanceof PyComplex) return { complex: [v.real, v.imag] };
  if (v instanceof NpMaskedArray) {
    const array = new NdArray({ dtype: v.dtype, shape: v.shape, fortranOrder: v.fortranOrder, data: v.data, objects: v.objects });
    return { masked: { array: describeArray(array), mask: maskInCOrder(v), fill_value: v.fillValue === null ? null : describeArray(v.fillValue) } };
  }
  if (v instanceof NdArray) return describeArray(v);
  if (v instanceof NpDtype) return { dtype: describeDtype(v) };
  if (v instanceof NpScalar) return { scalar: { dtype: describeDtype(v.dtype), data: hex(v.data!) } };
  if (v instanceof Uint8Array) return { bytes: hex(v) };
  if (v instanceof PyTuple) return { tuple: v.map(typed) };
  if (Array.isArray(v)) return { list: v.map(typed) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [typed(k), typed(x)]) };
  throw new Error(`no typed form for ${String(v)}`);
}

/** Python float reprs in the expectation → numbers, as `typed` gives them. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const num = (x: string) => (x === 'nan' ? NaN : x === 'inf' ? Infinity : x === '-inf' ? -Infinity : Number(x));
  if (typeof o.float === 'string') return { float: num(o.float) };
  if (Array.isArray(o.complex)) return { complex: (o.complex as string[]).map(num) };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalize(x)]));
}

/** Our dump of a loaded fixture, at its protocol, out of band when it was. */
function redump(f: Fixture, value: unknown): { pickle: Uint8Array; buffers: PyPickleBuffer[] } {
  const buffers: PyPickleBuffer[] = [];
  const pickle = dumps(value, { protocol: f.protocol, ...(f.buffers === null ? {} : { bufferCallback: (b: PyPickleBuffer) => void buffers.push(b) }) });
  return { pickle, buffers };
}

describe.skipIf(all.length === 0)(`corpus/realworld/numpy (${versions.join(', ')}: ${all.length} pickles)`, () => {
  it.each(all.map((f) => [`${f.version}/${f.name}`, f] as const))('%s loads under the numpy pack to its recorded value', (_name, f) => {
    expect(typed(load(f))).toEqual(normalize(f.value));
  });

  it('covers both numpy major versions, every protocol asked for, and every dtype kind', () => {
    const majors = new Set(versions.map((v) => v.split('.')[0]));
    expect(majors).toEqual(new Set(['1', '2']));
    for (const v of versions) {
      const names = new Set(all.filter((f) => f.version === v).map((f) => f.name.replace(/\.p[^.]+$/, '')));
      expect(names.size).toBeGreaterThan(100);
      for (const p of ['p2', 'p4', 'p5', 'p5oob']) expect(all.some((f) => f.version === v && f.name.endsWith(`.${p}`))).toBe(true);
    }
    const kinds = new Set(JSON.stringify(all.map((f) => f.value)).match(/"str":"[<>|][a-zA-Z]/g)!.map((s) => s.at(-1)));
    expect([...kinds].sort()).toEqual(['M', 'O', 'S', 'U', 'V', 'b', 'c', 'f', 'i', 'm', 'u']);
  });

  it('what we dump of every fixture is the bytes numpy wrote (out-of-band buffers too)', () => {
    // numpy pickles a strided view (and numpy before 2.3 a transposed one) by copying it into C order; the
    // array that loads is C ordered, and numpy pickles that one at protocol 5 with _frombuffer, as we do.
    const before23 = (v: string) => /^(1\.|2\.[0-2]\.)/.test(v);
    const views = (f: Fixture) => f.protocol === 5 && /^layout_(reversed|strided)\.|^layout_transposed/.test(f.name) && (before23(f.version) || !f.name.startsWith('layout_transposed'));
    // Under Python 3.13 a field name a structured dtype's state holds twice is one str object, so
    // CPython's protocol-2 pickle memoizes it; under 3.11 they are two. A JS string has no identity to
    // tell: we write the 3.11 form (the files still load equal, checked above and by numpy below).
    const sharedNames = (f: Fixture) => Number(f.python.split('.')[1]) >= 12 && f.protocol === 2 && /^(struct_|masked_)/.test(f.name);
    const differ: string[] = [];
    for (const f of all.filter((x) => !views(x) && !sharedNames(x))) {
      const ours = redump(f, load(f));
      const same = hex(ours.pickle) === hex(f.pickle) && (f.buffers ?? []).every((b, i) => ours.buffers[i] !== undefined && hex(ours.buffers[i]!.data) === hex(b));
      if (!same || ours.buffers.length !== (f.buffers ?? []).length) differ.push(`${f.version}/${f.name}`);
    }
    expect(differ).toEqual([]);
  });

  it.each(installedVersions('numpy', versions, 'its load of our dumps'))('numpy %s loads what we dump of its fixtures to values equal to its own load of them', (version, exe) => {
    const cases = all
      .filter((f) => f.version === version)
      .map((f) => {
        const ours = redump(f, load(f));
        return { name: f.name, buffers: f.buffers === null ? null : f.buffers.map((b) => [hex(b), b instanceof PyByteArray]), ours: hex(ours.pickle), oursBuffers: ours.buffers.map((b) => [hex(b.data), !b.readonly]) };
      });
    const r = runPython(exe, ['-c', SAME_SCRIPT, join(root, version)], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ checked: cases.length, bad: [] });
  });
});

/** Loads the original and our dump of each fixture in numpy and compares them: dtype, shape, bytes, masks, objects. */
const SAME_SCRIPT = `
import json, pickle, sys, warnings
import numpy as np
warnings.simplefilter('ignore')
def bufs(pairs):
    return None if pairs is None else [bytearray.fromhex(h) if w else bytes.fromhex(h) for h, w in pairs]
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ma.MaskedArray):
        return same(a.data, b.data) and same(np.ma.getmaskarray(a), np.ma.getmaskarray(b)) and same(a._fill_value, b._fill_value)
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape or a.strides != b.strides:
            return False
        if a.dtype.hasobject:
            return all(same(x, y) for x, y in zip(a.flat, b.flat))
        return a.tobytes('C') == b.tobytes('C')
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, np.dtype):
        return a == b and a.metadata == b.metadata
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    return a == b
bad = []
cases = json.load(sys.stdin)
for c in cases:
    original = pickle.loads(open(sys.argv[1] + '/' + c['name'] + '.pkl', 'rb').read(), buffers=bufs(c['buffers']))
    try:
        ok = same(original, pickle.loads(bytes.fromhex(c['ours']), buffers=bufs(c['oursBuffers'])))
    except Exception as e:
        ok = False
        bad.append('%s: %r' % (c['name'], e))
    if not ok:
        bad.append(c['name'])
json.dump({'checked': len(cases), 'bad': bad}, sys.stdout)
`;
