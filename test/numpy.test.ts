/**
 * The numpy pack against numpy: every corpus/numpy pickle (numpy 2.4 at protocols 0-5, and numpy
 * 1.x's module names) loads under the pack to the arrays, dtypes and scalars numpy pickled; dumping
 * them gives numpy's bytes back; python3 loads what we write to equal values; hostile variants fail
 * with our errors; and the pack refuses everything else.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  dumps,
  loads,
  LimitExceededError,
  MalformedPickleError,
  NAT,
  NdArray,
  NpDtype,
  NpScalar,
  NpMaskedArray,
  PickleError,
  PyByteArray,
  PyComplex,
  PyGlobal,
  PyPickleBuffer,
  PyTuple,
  REDUCE,
  RefusedGlobalError,
  shippedPack,
  type Reduction,
} from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { pythonMissing, runPython, runPythonJson } from './helpers/py-run.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'numpy');
const files = readdirSync(dir).filter((f) => f.endsWith('.pkl')).sort();
const NUMPY = createPolicy({ packs: [shippedPack('numpy')] });
const load = (data: Uint8Array, options = {}) => loads(data, { policy: NUMPY, ...options });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const missing = pythonMissing();
const numpyMissing = missing ?? (() => {
  try {
    runPython('import numpy');
    return null;
  } catch {
    return 'numpy is not installed';
  }
})();

/** The interpreters here with numpy: python3 on PATH (numpy 2) and Debian's /usr/bin/python3 (numpy 1.x). */
const NUMPYS = ['python3', '/usr/bin/python3'].filter((exe) => spawnSync(exe, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);

/** Runs a script under one of NUMPYS; its stdout is one JSON document. */
function runNumpyJson<T>(exe: string, script: string): T {
  const r = spawnSync(exe, ['-c', script], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PYTHONHASHSEED: '0' } });
  if (r.status !== 0) throw new Error(`${exe} exited with ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The generator's description of a value (corpus/gen_numpy.py). */
function describeDtype(dt: NpDtype): unknown {
  return {
    str: dt.str,
    fields: dt.fields === null ? null : dt.fields.map((f) => [f.name, describeDtype(f.dtype), f.offset]),
    subarray: dt.subarray === null ? null : [describeDtype(dt.subarray.base), [...dt.subarray.shape]],
  };
}

function typed(v: unknown): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { int: String(v) } : { float: v };
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'string') return { str: v };
  if (v instanceof Uint8Array) return { bytes: hex(v) };
  if (v instanceof PyTuple) return { tuple: v.map(typed) };
  if (Array.isArray(v)) return { list: v.map(typed) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [typed(k), typed(x)]) };
  return describeValue(v);
}

function describeValue(v: unknown): unknown {
  if (v instanceof NdArray) {
    const raw = v.data;
    const data = raw === null ? null : raw.length <= 4096 ? hex(raw) : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    return {
      ndarray: {
        dtype: describeDtype(v.dtype),
        shape: [...v.shape],
        fortran: v.fortranOrder,
        data,
        objects: v.objects === null ? null : v.objects.map(typed),
      },
    };
  }
  if (v instanceof NpDtype) return { dtype: describeDtype(v) };
  if (v instanceof NpScalar) return { scalar: { dtype: describeDtype(v.dtype), data: hex(v.data!) } };
  if (Array.isArray(v)) return { list: v.map(describeValue) };
  throw new Error(`no description for ${String(v)}`);
}

/** Python float reprs in the expectation → numbers, as `typed` gives them. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.float === 'string') return { float: o.float === 'nan' ? NaN : o.float === 'inf' ? Infinity : o.float === '-inf' ? -Infinity : Number(o.float) };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalize(x)]));
}

describe(`corpus/numpy (${files.length} pickles)`, () => {
  it.each(files)('%s loads under the numpy pack and dumps back to the same bytes', (f) => {
    const expected = JSON.parse(readFileSync(join(dir, f.replace(/\.pkl$/, '.json')), 'utf8'));
    const data = readFileSync(join(dir, f));
    const value = load(data);
    expect(describeValue(value)).toEqual(normalize(expected.value));
    // numpy's bytes at every protocol (0-5), memo and frames included.
    expect(hex(dumps(value, { protocol: expected.protocol }))).toBe(hex(data));
  });
});

describe('numpy values', () => {
  const corpus = (name: string, p = 4) => load(readFileSync(join(dir, `${name}.p${p}.pkl`)));

  it('typed-array views respect byte order and kind', () => {
    const [, , le] = corpus('arrays_i4') as NdArray[];
    expect(le!.toTypedArray()).toBeInstanceOf(Int32Array);
    expect([...le!.toTypedArray()].slice(0, 5)).toEqual([-(2 ** 31), 2 ** 31 - 1, 0, 1, -1]);
    const [, , be] = corpus('arrays_be_i4') as NdArray[];
    expect([...be!.toTypedArray()]).toEqual([...le!.toTypedArray()]);
    const f8 = (corpus('arrays_be_f8') as NdArray[])[2]!.toTypedArray();
    expect(f8).toBeInstanceOf(Float64Array);
    expect([...f8].slice(0, 4)).toEqual([0.5, -0, Infinity, NaN]);
    const f2 = (corpus('arrays_be_f2') as NdArray[])[2]!.toTypedArray();
    expect([...f2].slice(0, 4)).toEqual([0.5, -0, Infinity, NaN]);
    const c16 = (corpus('arrays_c16') as NdArray[])[2]!.toTypedArray();
    expect([...c16].slice(0, 4)).toEqual([1, -2, 0, Infinity]);
    const u8 = (corpus('arrays_be_u8') as NdArray[])[2]!.toTypedArray();
    expect(u8).toBeInstanceOf(BigUint64Array);
    expect(u8[1]).toBe(2n ** 64n - 1n);
    const bool = (corpus('arrays_bool') as NdArray[])[2]!.toTypedArray();
    expect([...bool]).toEqual([1, 0, 0, 1, 0, 0, 1]);
    const fortran = (corpus('arrays_i2') as NdArray[])[4]!;
    expect([fortran.shape, fortran.fortranOrder, fortran.size, fortran.ndim]).toEqual([[3, 2], true, 6, 2]);
    expect(() => (corpus('arrays_U5') as NdArray[])[2]!.toTypedArray()).toThrow(/no typed-array view/);
  });

  it('NpDtype.fromStr reads dtype.str forms, native order made explicit as numpy pickles it', () => {
    expect(['f8', '=i4', '>u2', '|b1', 'U3', '|O', 'S5', 'V7', 'c16'].map((x) => NpDtype.fromStr(x)!.str)).toEqual(['<f8', '<i4', '>u2', '|b1', '<U3', '|O', '|S5', '|V7', '<c16']);
    expect(NpDtype.fromStr('<U3')!.itemsize).toBe(12);
    for (const x of ['i3', 'f32', 'c64', 'M4', 'x', '<', 'U', 'i04', 'i8[s]', 'M8[B]', 'M8[0s]', 'M8[generic]', 'm8[05s]']) expect(NpDtype.fromStr(x), x).toBeUndefined();
    expect(['M8', '>M8[ns]', 'm8[10ms]', '<m8[Y]', 'M', 'M8[1D]'].map((x) => NpDtype.fromStr(x)!.str)).toEqual(['<M8', '>M8[ns]', '<m8[10ms]', '<m8[Y]', '<M8', '<M8[D]']);
    expect(NpDtype.fromStr('m8[10ms]')!.datetime).toEqual({ unit: 'ms', count: 10 });
  });

  it('protocol 5 arrays are views of the pickle buffer; read-only ones stay read-only', () => {
    const a = corpus('readonly', 5) as NdArray;
    expect(a.writeable).toBe(false);
    expect([...a.toTypedArray()]).toEqual([0, 1, 2, 3]);
    expect((corpus('readonly', 4) as NdArray).writeable).toBe(true);
  });

  it('object arrays, structured dtypes, scalars and numpy 1.x names', () => {
    const o = corpus('object_1d') as NdArray;
    expect(o.dtype.str).toBe('|O');
    expect(o.objects!.slice(0, 3)).toEqual([1, 'two', null]);
    const s = corpus('structured') as NdArray;
    expect(s.dtype.fields!.map((f) => [f.name, f.dtype.str, f.offset])).toEqual([['a', '<i4', 0], ['b', '|V16', 4], ['c', '|S3', 20], ['d', '|b1', 23]]);
    expect(s.dtype.fields![1]!.dtype.subarray!.shape).toEqual([2]);
    const values = (corpus('scalars') as NpScalar[]).map((x) => x.value);
    expect(values.slice(0, 9)).toEqual([1.5, -2.25, expect.closeTo(0.1, 3), -3, 2n ** 64n - 1n, -(2n ** 63n), true, new PyComplex(1, -2), new PyComplex(3, 4)]);
    expect(values.slice(9, 11)).toEqual(['héllo', bytes('x\0y')]);
    const legacy = corpus('legacy_arrays_f8', 2) as NdArray[];
    expect(legacy[0]!.core).toBe('numpy.core');
    const shared = corpus('shared_dtype') as NdArray[];
    expect(shared[0]!.dtype).toBe(shared[1]!.dtype);
  });

  it("Python 2 pickles (numpy 1.x names, str as py2 strings) load with encoding 'latin1', as numpy advises", () => {
    // As numpy 1.x under Python 2 wrote np.arange(3, dtype='<i2') and np.float64(1.5) (numpy 2.4 loads these bytes the same way).
    const array = bytes(
      '\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b\x87Rq\x03(K\x01K\x03\x85cnumpy\ndtype\nq\x04U\x02i2K\x00K\x01\x87Rq\x05',
      '(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x06\x00\x00\x01\x00\x02\x00tb.',
    );
    const a = load(array, { encoding: 'latin1' }) as NdArray;
    expect([a.dtype.str, a.shape, [...a.toTypedArray()], a.core]).toEqual(['<i2', [3], [0, 1, 2], 'numpy.core']);
    const scalar = bytes(
      '\x80\x02cnumpy.core.multiarray\nscalar\nq\x01cnumpy\ndtype\nq\x02U\x02f8K\x00K\x01\x87Rq\x03',
      '(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbU\x08\x00\x00\x00\x00\x00\x00\xf8?\x86R.',
    );
    expect((load(scalar, { encoding: 'latin1' }) as NpScalar).value).toBe(1.5);
    // Without latin1 the default ASCII decoding refuses raw bytes past 0x7f (\xf8 here), as CPython does.
    expect(() => load(scalar)).toThrow(PickleError);
  });

  it.skipIf(numpyMissing !== null)('python3 loads what we dump, at every protocol, to equal arrays of the same dtype', () => {
    const cases: { file: string; ours: string[] }[] = files.map((f) => {
      const value = load(readFileSync(join(dir, f)));
      return { file: f, ours: [0, 1, 2, 3, 4, 5].map((p) => hex(dumps(value, { protocol: p }))) };
    });
    const script = `
import json, pickle, sys, warnings
import numpy as np
warnings.simplefilter('ignore')
def same_dtype(x, y):
    # numpy loads a non-native array pickled at protocols 0-4 in native order: byte order aside.
    return x == y or x.newbyteorder('=') == y.newbyteorder('=')
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if not same_dtype(a.dtype, b.dtype) or a.shape != b.shape or a.flags.f_contiguous != b.flags.f_contiguous or a.flags.c_contiguous != b.flags.c_contiguous:
            return False
        if a.dtype.hasobject:
            return all(same(x, y) for x, y in zip(a.flat, b.flat))
        if a.dtype.names is not None:
            return a.dtype.names == b.dtype.names and all(same(a[n], b[n]) for n in a.dtype.names)  # field by field: padding is not data
        return np.array_equal(a, b, equal_nan=a.dtype.kind in 'fc')
    if isinstance(a, np.void):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return same_dtype(a.dtype, b.dtype) and (a == b or a != a and b != b)
    if isinstance(a, np.dtype):
        return a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b
bad = []
for c in json.load(sys.stdin):
    original = pickle.loads(open(${JSON.stringify(dir)} + '/' + c['file'], 'rb').read())
    for p, h in enumerate(c['ours']):
        try:
            ok = same(original, pickle.loads(bytes.fromhex(h)))
        except Exception as e:
            ok = False
            bad.append('%s at protocol %d: %r' % (c['file'], p, e))
        if not ok:
            bad.append('%s at protocol %d' % (c['file'], p))
json.dump(bad, sys.stdout)
`;
    expect(runPythonJson<string[]>(script, cases)).toEqual([]);
  });

  it.skipIf(numpyMissing !== null)("arrays made in JavaScript pickle to numpy's own bytes", () => {
    const want = runPythonJson<string[][]>(`
import json, pickle, sys
import numpy as np
values = [np.array([1.5, -2.0, 3.25]), np.arange(6, dtype='>i2').reshape(2, 3), np.array(['ab', 'c'], dtype='<U2'), np.array([1, None], dtype=object), np.float32(0.5)]
json.dump([[pickle.dumps(v, p).hex() for p in range(6)] for v in values], sys.stdout)
`);
    const f8 = new Float64Array([1.5, -2.0, 3.25]);
    const i2 = new Uint8Array([0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5]);
    const u2 = new Uint8Array(new Uint32Array([0x61, 0x62, 0x63, 0]).buffer);
    const ours = [
      new NdArray({ dtype: NpDtype.fromStr('<f8')!, shape: [3], data: new Uint8Array(f8.buffer) }),
      new NdArray({ dtype: NpDtype.fromStr('>i2')!, shape: [2, 3], data: i2 }),
      new NdArray({ dtype: NpDtype.fromStr('<U2')!, shape: [2], data: u2 }),
      new NdArray({ dtype: NpDtype.fromStr('|O')!, shape: [2], objects: [1, null] }),
      new NpScalar(NpDtype.fromStr('<f4')!, new Uint8Array(new Float32Array([0.5]).buffer)),
    ];
    ours.forEach((v, i) => {
      for (let p = 0; p < 6; p++) expect(hex(dumps(v, { protocol: p })), `value ${i} at protocol ${p}`).toBe(want[i]![p]);
    });
  });

  it.each(NUMPYS)('datetime64 and timedelta64 of every unit (numpy under %s) load as int64 counts with their unit, NaT kept, and dump back to the same bytes', (exe) => {
    const cases = runNumpyJson<{ str: string; unit: string; count: number; values: string[]; pickles: string[]; scalar: string[] }[]>(exe, `
import json, pickle, sys
import numpy as np
out = []
for kind in 'Mm':
    for unit in ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as', '']:
        for count in ([1, 10] if unit else [1]):
            for order in '<>':
                dt = np.dtype('%s%s8%s' % (order, kind, '[%d%s]' % (count, unit) if unit else ''))
                a = np.array([0, -1, 2**62, -2**63, 1234567], dtype=order + 'i8').view(dt)
                s = a[4]
                out.append({'str': dt.str, 'unit': np.datetime_data(dt)[0], 'count': np.datetime_data(dt)[1],
                            'values': [str(int(x)) for x in a.view(order + 'i8')],
                            'pickles': [pickle.dumps(a, p).hex() for p in (2, 5)], 'scalar': [pickle.dumps(s, p).hex() for p in (2, 5)]})
json.dump(out, sys.stdout)
`);
    expect(cases.length).toBe(2 * (13 * 2 + 1) * 2);
    for (const c of cases) {
      c.pickles.forEach((h, i) => {
        const a = load(Buffer.from(h, 'hex')) as NdArray;
        expect([a.dtype.str, a.dtype.datetime], c.str).toEqual([c.str, { unit: c.unit, count: c.count }]);
        const t = a.toTypedArray();
        expect(t).toBeInstanceOf(BigInt64Array);
        expect([...t].map(String)).toEqual(c.values);
        expect(t[3]).toBe(NAT);
        expect(hex(dumps(a, { protocol: [2, 5][i]! }))).toBe(h);
      });
      c.scalar.forEach((h, i) => {
        const s = load(Buffer.from(h, 'hex')) as NpScalar;
        expect([s.dtype.str, s.value]).toEqual([`<${c.str.slice(1)}`, 1234567n]); // numpy's scalars are native
        expect(hex(dumps(s, { protocol: [2, 5][i]! }))).toBe(h);
      });
    }
  });

  it.each(NUMPYS)('masked arrays (numpy under %s) load with their mask and fill value and dump back to the same bytes', (exe) => {
    const cases = runNumpyJson<{ mask: string; fill: boolean; pickles: string[] }[]>(exe, `
import json, pickle, sys
import numpy as np
values = [np.ma.masked_array([1.5, 2, 3], mask=[0, 1, 0]), np.ma.masked_array(np.asfortranarray(np.arange(6, dtype='>i2').reshape(2, 3)), mask=[[0, 1, 0], [1, 0, 0]], fill_value=7),
          np.ma.masked_array(np.array([(1, 2.0), (3, 4.0)], dtype=[('a', '<i4'), ('b', [('x', '<f4'), ('y', '<u1', (2,))])]), mask=[(0, (1, (0, 1))), (1, (0, (0, 0)))]),
          np.ma.masked_array(['ab', 'c'], mask=[0, 1]), np.ma.masked_array(np.array([1, None, 'x'], dtype=object), mask=[0, 1, 0]),
          np.ma.masked_array(np.array(['2020-01-01', 'NaT'], dtype='M8[s]'), mask=[1, 0]), np.ma.masked_array(np.zeros((2, 0))), np.ma.masked_array(5.0, mask=True)]
values[3].fill_value  # a str fill value of its own width
out = []
for v in values:
    out.append({'mask': np.ma.getmaskarray(v).tobytes('CF'[v.flags.fnc]).hex(), 'fill': v._fill_value is not None, 'pickles': [pickle.dumps(v, p).hex() for p in range(6)]})
json.dump(out, sys.stdout)
`);
    expect(cases.length).toBe(8);
    for (const c of cases) {
      c.pickles.forEach((h, p) => {
        const a = load(Buffer.from(h, 'hex')) as NpMaskedArray;
        expect(a).toBeInstanceOf(NpMaskedArray);
        expect(a.mask.length).toBe(c.mask.length / 2);
        expect(a.fillValue !== null).toBe(c.fill);
        expect(hex(dumps(a, { protocol: p }))).toBe(h);
      });
    }
  });

  it.each(NUMPYS)('strided, transposed and Fortran arrays (numpy under %s) load with their layout at every protocol and dump back to the same bytes', (exe) => {
    const cases = runNumpyJson<{ shape: number[]; strides: number[]; c: string; pickles: [number, string, string[], string, string[]?][] }[]>(exe, `
import json, pickle, sys
import numpy as np
a = np.arange(120, dtype='<i2').reshape(2, 3, 4, 5)
values = [a.transpose(1, 0, 2, 3), a.transpose(3, 1, 0, 2), a.T, np.asfortranarray(a), a[:, ::2], a.reshape(2, 1, 3, 20).transpose(1, 2, 0, 3),
          np.arange(12.0).reshape(3, 4)[:, None, :].transpose(2, 1, 0), np.zeros((2, 0, 3), dtype='u1').transpose(1, 0, 2)]
out = []
for v in values:
    pickles = []
    for p in (2, 4, 5):
        d = pickle.dumps(v, p)
        # numpy's own dump of what it loads (a strided array loads C ordered), which ours must equal.
        pickles.append([p, d.hex(), [], pickle.dumps(pickle.loads(d), p).hex()])
        if p == 5:
            bufs = []
            d = pickle.dumps(v, 5, buffer_callback=bufs.append)
            raw = [bytearray(b.raw()) for b in bufs]
            again = []
            pickles.append([p, d.hex(), [b.hex() for b in raw], pickle.dumps(pickle.loads(d, buffers=raw), 5, buffer_callback=again.append).hex(), [bytes(b.raw()).hex() for b in again]])
    w = pickle.loads(pickle.dumps(v, 5))
    out.append({'shape': list(v.shape), 'strides': list(w.strides), 'c': v.tobytes('C').hex(), 'pickles': pickles})
json.dump(out, sys.stdout)
`);
    let axisOrdered = 0;
    for (const c of cases) {
      for (const [p, h, bufs, want, wantBufs] of c.pickles) {
        const buffers = bufs.map((b) => new PyByteArray(Buffer.from(b, 'hex')));
        const a = load(Buffer.from(h, 'hex'), { buffers }) as NdArray;
        expect(a.shape).toEqual(c.shape);
        expect(hex(a.toCOrder()!)).toBe(c.c);
        if (p === 5 && a.size > 0) expect(a.strides).toEqual(c.strides);
        if (a.axisOrder !== null) axisOrdered++;
        const sent: PyPickleBuffer[] = [];
        expect(hex(dumps(a, { protocol: p, bufferCallback: wantBufs !== undefined ? (b) => void sent.push(b) : undefined }))).toBe(want);
        expect(sent.map((b) => hex(b.data))).toEqual(wantBufs ?? []);
        // Below protocol 5 numpy writes such an array in C order: so do we.
        if (a.axisOrder !== null) expect(hex((load(dumps(a, { protocol: 4 })) as NdArray).data!)).toBe(c.c);
      }
    }
    // numpy 2 writes an axis order; numpy 1.x copies such arrays into C order.
    expect(axisOrdered > 0).toBe(exe === 'python3');
  });

  it.skipIf(numpyMissing !== null)('protocol 5 out-of-band buffers load, and dump back out of band to the same bytes', () => {
    const out = runPythonJson<{ pickle: string; buffers: string[] }>(`
import json, pickle, sys
import numpy as np
bufs = []
a = [np.arange(6, dtype='>f4').reshape(2, 3), np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3))]
data = pickle.dumps(a, 5, buffer_callback=bufs.append)
json.dump({'pickle': data.hex(), 'buffers': [bytes(b.raw()).hex() for b in bufs]}, sys.stdout)
`);
    // Writable buffers are given as bytearrays, as Python's pickle.loads(buffers=) gets them.
    const buffers = out.buffers.map((h) => new PyByteArray(Buffer.from(h, 'hex')));
    const value = load(Buffer.from(out.pickle, 'hex'), { buffers }) as NdArray[];
    expect([...value[0]!.toTypedArray()]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(value[1]!.fortranOrder).toBe(true);
    const sent: PyPickleBuffer[] = [];
    const again = dumps(value, { protocol: 5, bufferCallback: (b) => void sent.push(b) });
    expect(hex(again)).toBe(out.pickle);
    expect(sent.map((b) => hex(b.data))).toEqual(out.buffers);
    expect(() => load(Buffer.from(out.pickle, 'hex'), { buffers: [buffers[0]!] })).toThrow(PickleError);
  });
});

/** A value that pickles as whatever reduction it is given: how the hostile pickles below are made. */
const reducing = (r: Reduction) => ({ [REDUCE]: () => r });
const G = (m: string, q: string) => new PyGlobal(m, q);
const dtypeOf = (typestr: string, state: unknown[] = [3, '<', null, null, null, -1, -1, 0]) =>
  reducing({ callable: G('numpy', 'dtype'), args: [typestr, false, true], state: PyTuple.fromArray(state) });
const array = (state: unknown[], args: unknown[] = [G('numpy', 'ndarray'), PyTuple.fromArray([0]), bytes('b')]) =>
  reducing({ callable: G('numpy._core.multiarray', '_reconstruct'), args, state: PyTuple.fromArray(state) });
const T = (...xs: unknown[]) => PyTuple.fromArray(xs);
const masked = (state: unknown[], args: unknown[] = [G('numpy.ma', 'MaskedArray'), G('numpy', 'ndarray'), T(0), 'b']) =>
  reducing({ callable: G('numpy.ma.core', '_mareconstruct'), args, state: PyTuple.fromArray(state) });
/** numpy 2's datetime dtype state for a unit and multiple. */
const dtState = (unit: string, count = 1) => [4, '<', null, null, null, -1, -1, 0, T(null, T(new TextEncoder().encode(unit), count, 1, 1))];

function errorOf(value: unknown, protocol = 4): unknown {
  try {
    load(dumps(value, { protocol }));
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('hostile numpy pickles fail with our errors', () => {
  it('the pickle builder itself makes loadable arrays', () => {
    const a = load(dumps(array([1, T(2), dtypeOf('i4'), false, new Uint8Array(8)]))) as NdArray;
    expect([...a.toTypedArray()]).toEqual([0, 0]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a shape lying about the data size', array([1, T(3), dtypeOf('i4'), false, new Uint8Array(8)]), /need 12 bytes, the pickle gave 8/],
    ['a huge shape', array([1, T(2 ** 40, 2 ** 40), dtypeOf('i4'), false, new Uint8Array(8)]), /more items than numpy can index/],
    ['a shape whose bytes overflow', array([1, T(2 ** 51), dtypeOf('i8'), false, new Uint8Array(8)]), /more than 2\*\*53/],
    ['a bigint dimension', array([1, T(2n ** 70n), dtypeOf('i4'), false, new Uint8Array(8)]), /non-negative integers|constraint/],
    ['a negative dimension', array([1, T(-2), dtypeOf('i4'), false, new Uint8Array(8)]), /non-negative integers/],
    ['a negative dimension in _reconstruct', array([1, T(2), dtypeOf('i4'), false, new Uint8Array(8)], [G('numpy', 'ndarray'), T(-1), bytes('b')]), /constraint/],
    ['65 dimensions', array([1, PyTuple.fromArray(new Array(65).fill(1)), dtypeOf('i4'), false, new Uint8Array(4)]), /65 dimensions/],
    ['an unknown dtype', array([1, T(2), dtypeOf('i3'), false, new Uint8Array(6)]), /is not one the numpy pack reads/],
    ['a datetime type string with its unit', dtypeOf('M8[ns]', [4, '<', null, null, null, -1, -1, 0, T(null, T(bytes('ns'), 1, 1, 1))]), /constraint|is not one the numpy pack reads/],
    ['a datetime state without its unit', dtypeOf('M8'), /carries its unit/],
    ['a datetime unit numpy does not have', dtypeOf('M8', dtState('B')), /not a numpy datetime unit/],
    ['a datetime unit spelt as numpy never writes it', dtypeOf('m8', dtState('μs')), /not a numpy datetime unit/],
    ['a zero datetime multiple', dtypeOf('M8', dtState('s', 0)), /constraint/],
    ['a datetime multiple past int32', dtypeOf('M8', dtState('s', 2 ** 31)), /constraint/],
    ['a generic datetime with a multiple', dtypeOf('M8', dtState('generic', 5)), /not a numpy datetime unit/],
    ['a datetime unit with a denominator', dtypeOf('M8', [4, '<', null, null, null, -1, -1, 0, T(null, T(bytes('s'), 1, 2, 1))]), /constraint/],
    ['a datetime unit as a 2-tuple', dtypeOf('M8', [4, '<', null, null, null, -1, -1, 0, T(null, T(bytes('s'), 1))]), /constraint/],
    ['datetime metadata that is not a dict', dtypeOf('M8', [4, '<', null, null, null, -1, -1, 0, T(5, T(bytes('s'), 1, 1, 1))]), /constraint/],
    ['a version-4 state without its ninth item', dtypeOf('M8', [4, '<', null, null, null, -1, -1, 0]), /must be version 3/],
    ['a version-3 state with a ninth item', dtypeOf('M8', [3, '<', null, null, null, -1, -1, 0, T(null, T(bytes('s'), 1, 1, 1))]), /must be version 4/],
    ['a datetime unit on an int dtype', dtypeOf('i8', dtState('s')), /constraint|metadata/],
    ['version-4 metadata of None on an int dtype', dtypeOf('i8', [4, '<', null, null, null, -1, -1, 0, null]), /constraint|metadata dict/],
    ['a dtype string that is not a type', dtypeOf('evil'), /is not one the numpy pack reads/],
    ['a dtype state for another size', dtypeOf('U3', [3, '<', null, null, null, 8, 4, 8]), /12-byte items, its state says 8/],
    ['a byte order that is no byte order', dtypeOf('i4', [3, 'x', null, null, null, -1, -1, 0]), /byte order/],
    ['a field past the item', dtypeOf('V4', [3, '|', null, T('a'), new Map([['a', T(dtypeOf('i4'), 2)]]), 4, 1, 0]), /outside the 4-byte item/],
    ['a field named but not described', dtypeOf('V4', [3, '|', null, T('a', 'b'), new Map([['a', T(dtypeOf('i4'), 0)]]), 4, 1, 0]), /named but not described/],
    ['a subarray that does not fill the item', dtypeOf('V16', [3, '|', T(dtypeOf('f8'), T(3)), null, null, 16, 8, 0]), /does not fill/],
    ['an object array whose list is too short', array([1, T(3), dtypeOf('O8', [3, '|', null, null, null, -1, -1, 63]), false, [1, 2]]), /holds 3 items, its list has 2/],
    ['an object array given bytes', array([1, T(1), dtypeOf('O8', [3, '|', null, null, null, -1, -1, 63]), false, new Uint8Array(8)]), /as a list/],
    ['a numeric array given a list', array([1, T(1), dtypeOf('i1', [3, '|', null, null, null, -1, -1, 0]), false, [1]]), /must be bytes/],
    ['a state that is not a tuple', array([]), /constraint/],
    ['an array of something other than ndarray', array([1, T(1), dtypeOf('i1'), false, bytes('x')], [G('numpy', 'dtype'), T(0), bytes('b')]), /constraint/],
    ['a scalar with too few bytes', reducing({ callable: G('numpy._core.multiarray', 'scalar'), args: [dtypeOf('f8'), new Uint8Array(4)] }), /need 8 bytes, the pickle gave 4/],
    ['a scalar with a non-dtype', reducing({ callable: G('numpy._core.multiarray', 'scalar'), args: ['f8', new Uint8Array(8)] }), /must be a numpy.dtype/],
    ['_frombuffer with a short buffer', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(4)), dtypeOf('i4'), T(2), 'C'] }), /need 8 bytes/],
    ['_frombuffer of objects', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('O8', [3, '|', null, null, null, -1, -1, 63]), T(1), 'C'] }), /objects/],
    ['_frombuffer with an unknown order', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(2), 'A'] }), /order must be/],
    ['_frombuffer with order K and no axis order', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(2), 'K'] }), /axis order with order 'K'/],
    ['_frombuffer with an axis order after order C', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'C', T(1, 0)] }), /axis order with order 'K'/],
    ['_frombuffer with a repeated axis', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'K', T(1, 1)] }), /each axis/],
    ['_frombuffer with an axis past the shape', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'K', T(0, 2)] }), /each axis/],
    ['_frombuffer with too few axes', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'K', T(0)] }), /tuple of 2 axes/],
    ['_frombuffer with a negative axis', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'K', T(0, -1)] }), /constraint/],
    ['a masked array whose mask is short', masked([1, T(2), dtypeOf('i4'), false, new Uint8Array(8), new Uint8Array(1), null]), /need 2 bytes, the pickle gave 1/],
    ['a masked structured array with one flag per item', masked([1, T(1), dtypeOf('V8', [3, '|', null, T('a', 'b'), new Map([['a', T(dtypeOf('i4'), 0)], ['b', T(dtypeOf('i4'), 4)]]), 8, 1, 16]), false, new Uint8Array(8), new Uint8Array(1), null]), /need 2 bytes/],
    ['a masked array whose fill value is a list', masked([1, T(1), dtypeOf('i4'), false, new Uint8Array(4), new Uint8Array(1), [7]]), /fill value must be a 0-d array/],
    ['a masked array whose fill value is a 1-d array', masked([1, T(1), dtypeOf('i4'), false, new Uint8Array(4), new Uint8Array(1), array([1, T(1), dtypeOf('i4'), false, new Uint8Array(4)])]), /fill value must be a 0-d array/],
    ['a masked array state of an ndarray', masked([1, T(1), dtypeOf('i4'), false, new Uint8Array(4)]), /constraint/],
    ['a masked array of another class', masked([1, T(1), dtypeOf('i4'), false, new Uint8Array(4), new Uint8Array(1), null], [G('numpy.ma.mrecords', 'MaskedRecords'), G('numpy', 'ndarray'), T(0), 'b']), /is not in the policy/],
    ['an ndarray state on a masked array', reducing({ callable: G('numpy.ma.core', '_mareconstruct'), args: [G('numpy.ma', 'MaskedArray'), G('numpy', 'ndarray'), T(0), 'b'], state: T(1, T(1), dtypeOf('i4'), false, new Uint8Array(4), new Uint8Array(1), null, null) }), /constraint/],
    ['a StringDType with coerce 2', reducing({ callable: G('numpy._core._internal', '_convert_to_stringdtype_kwargs'), args: [2] }), /constraint/],
    ['a StringDType with three arguments', reducing({ callable: G('numpy._core._internal', '_convert_to_stringdtype_kwargs'), args: [1, null, 3] }), /constraint/],
    ['a StringDType na_object the policy refuses', reducing({ callable: G('numpy._core._internal', '_convert_to_stringdtype_kwargs'), args: [1, G('os', 'system')] }), /os\.system/],
    ['a StringDType array from a buffer', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(16)), reducing({ callable: G('numpy._core._internal', '_convert_to_stringdtype_kwargs'), args: [1] }), T(1), 'C'] }), /objects/],
    ['_frombuffer with an axis order as a list', reducing({ callable: G('numpy._core.numeric', '_frombuffer'), args: [new PyPickleBuffer(new Uint8Array(8)), dtypeOf('i4'), T(1, 2), 'K', [1, 0]] }), /constraint/],
  ];
  it.each(bad)('%s', (_name, value, message) => {
    const e = errorOf(value, 5);
    expect(e).toBeInstanceOf(PickleError);
    expect(e).not.toHaveProperty('code', 'internal_error');
    expect(String((e as Error).message)).toMatch(message);
    expect((e as PickleError).offset).toBeTypeOf('number');
  });

  it("an object array's items go through the policy: a refused name among them refuses the pickle", () => {
    const objects = (items: unknown[]) => array([1, T(items.length), dtypeOf('O8', [3, '|', null, null, null, -1, -1, 63]), false, items]);
    const evil = reducing({ callable: G('os', 'system'), args: ['id'] });
    for (const p of [2, 4, 5]) {
      expect(errorOf(objects([1, evil]), p)).toBeInstanceOf(RefusedGlobalError);
      expect(errorOf(objects([G('builtins', 'eval')]), p)).toBeInstanceOf(RefusedGlobalError);
      expect(errorOf(objects([[G('subprocess', 'Popen')]]), p)).toBeInstanceOf(RefusedGlobalError);
    }
    // What python-builtins allows loads as an item.
    expect((load(dumps(objects([new Set([1]), PyTuple.fromArray([2])]), { protocol: 4 })) as NdArray).objects).toEqual([new Set([1]), PyTuple.fromArray([2])]);
  });

  it('_reconstruct without a state is the empty int8 array numpy makes', () => {
    const a = load(dumps(reducing({ callable: G('numpy._core.multiarray', '_reconstruct'), args: [G('numpy', 'ndarray'), T(0), bytes('b')] }))) as NdArray;
    expect([a.dtype.str, a.shape, a.size, a.toTypedArray()]).toEqual(['|i1', [0], 0, new Int8Array(0)]);
  });

  it("maxDepth sees through an object array's items", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const o = array([1, T(1), dtypeOf('O8', [3, '|', null, null, null, -1, -1, 63]), false, [deep]]);
    const p = dumps(o, { protocol: 4 });
    expect(load(p)).toBeInstanceOf(NdArray);
    expect(() => load(p, { maxDepth: 30 })).toThrow(LimitExceededError);
  });

  it('a dtype state applied twice, or after the dtype was used, is refused', () => {
    // BUILD the dtype once more after an array used it: made by hand (dump an array, then append a BUILD on the memoized dtype).
    const arr = array([1, T(1), dtypeOf('i4'), false, new Uint8Array(4)]);
    const p = dumps(T(arr, arr), { protocol: 2 });
    expect(load(p)).toBeInstanceOf(PyTuple);
    // protocol 2 output memoizes the dtype (numpy.dtype REDUCE) at a BINPUT: find it and rebuild it at the end.
    const text = Buffer.from(p).toString('latin1');
    const at = text.indexOf('R', text.indexOf('dtype'));
    const memo = p[at + 2]!;
    const evil = bytes(p.subarray(0, p.length - 1), [0x30, 0x68, memo], '(K\x03X\x01\x00\x00\x00>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb.');
    expect(() => load(evil)).toThrow(/a dtype state applies once/);
    expect(() => load(evil)).toThrow(MalformedPickleError);
  });

  it('the pack refuses what it does not name, and the deny list holds', () => {
    const refused = [
      "cnumpy\nload\n(S'x.npy'\ntR.",
      "cnumpy.testing._private.utils\nrunstring\n(S'import os'\ndtR.",
      "cnumpy.f2py\ncompile\n(S'x'\ntR.",
      "cnumpy.f2py.f2py2e\nrun_main\n(]tR.",
      "cnumpy\nfromfile\n(S'/etc/passwd'\ntR.",
      "cnumpy.lib.npyio\nload\n(S'x'\ntR.",
      "cnumpy.ctypeslib\nload_library\n(S'x'\nS'y'\ntR.",
      "cnumpy\nfrombuffer\n(C\x01xtR.",
      "cnumpy.ma.core\n_mareconstruct\n(tR.",
      "cos\nsystem\n(S'id'\ntR.",
    ];
    for (const p of refused) {
      const e = (() => {
        try {
          load(bytes(p));
        } catch (err) {
          return err;
        }
      })();
      expect(e, p).toBeInstanceOf(RefusedGlobalError);
    }
    // numpy.ndarray is reference-only: calling or instantiating it is refused.
    expect(() => load(bytes('cnumpy\nndarray\n(K\x02tR.'))).toThrow(RefusedGlobalError);
    expect(() => load(bytes('\x80\x02cnumpy\nndarray\nK\x02\x85\x81.'))).toThrow(RefusedGlobalError);
    // Default policy (python-stdlib) does not read numpy at all, and says which shipped pack does.
    expect(() => loads(readFileSync(join(dir, 'array_f8.p4.pkl')))).toThrow(RefusedGlobalError);
    expect(() => loads(readFileSync(join(dir, 'array_f8.p4.pkl')))).toThrow(/the shipped pack 'numpy' allows it: add shippedPack\('numpy'\)/);
  });

  it('fuzzed corpus pickles fail only with our errors', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const sample = files.filter((_, i) => i % 7 === 0);
    let failures = 0;
    for (const f of sample) {
      const data = readFileSync(join(dir, f));
      for (let k = 0; k < 20; k++) {
        const m = new Uint8Array(data);
        for (let j = 0; j < 3; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        try {
          load(m);
        } catch (e) {
          failures++;
          expect(e).toBeInstanceOf(PickleError);
          expect((e as PickleError).code, String(e)).not.toBe('internal_error');
        }
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});
