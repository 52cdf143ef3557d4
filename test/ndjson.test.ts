/**
 * The JSON people read (`toJson`, `pickleguard convert`): numpy arrays, masked arrays, scalars and
 * PyTorch tensors as `{"$ndarray": {"dtype", "shape", "data": nested lists}}`, checked against
 * numpy's own `tolist()` and `datetime_as_string`, with the max-items cut.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toJson } from '../src/cli/convert.js';
import { datetimeString } from '../src/cli/ndjson.js';
import { createPolicy, loads, NAT, NdArray, NpDtype, shippedPack, TorchStorage, TorchTensor } from '../src/index.js';

const NUMPY = createPolicy({ packs: [shippedPack('numpy')] });
const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

function python<T>(script: string): T {
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

describe.skipIf(!numpy)('arrays in the JSON form', () => {
  it("numeric, text and object arrays are numpy's tolist(), in nested lists of their shape, whatever the layout", () => {
    const cases = python<{ pickle: string; dtype: string; shape: number[]; list: unknown }[]>(`
import json, pickle, sys
import numpy as np
a = np.arange(24).reshape(2, 3, 4)
values = [np.arange(6, dtype='<i2').reshape(2, 3), np.asfortranarray((np.arange(6, dtype='>f8') + 0.5).reshape(3, 2)), a.transpose(1, 0, 2).astype('<u4'),
          np.array([True, False]), np.array(['ab', 'héllo']), np.array(2.5), np.zeros((2, 0, 3)), np.array([1, 'x', None, [2]], dtype=object),
          np.arange(-3, 3, dtype='i1'), np.array([0.5, 1.25], dtype='f2')]
json.dump([{'pickle': pickle.dumps(v, 5).hex(), 'dtype': v.dtype.str, 'shape': list(v.shape), 'list': v.tolist()} for v in values], sys.stdout)
`);
    for (const c of cases) {
      const out = toJson(loads(Buffer.from(c.pickle, 'hex'), { policy: NUMPY })) as { $ndarray: Record<string, unknown> };
      expect(out.$ndarray).toEqual({ dtype: c.dtype, shape: c.shape, data: c.list });
    }
  });

  it('structured items are objects by field name; bytes, complex, big ints and NaN keep their tags', () => {
    const p = python<string>(`
import json, pickle, sys
import numpy as np
a = np.array([(1, (2.5, 3.5), b'ab', 1+2j, 2**63 - 1, float('nan'))], dtype=[('a', '<i4'), ('b', '<f8', (2,)), ('c', 'S2'), ('d', '<c16'), ('e', '<i8'), ('f', '<f4')])
json.dump(pickle.dumps(a, 4).hex(), sys.stdout)
`);
    const out = toJson(loads(Buffer.from(p, 'hex'), { policy: NUMPY })) as { $ndarray: { data: unknown[] } };
    expect(out.$ndarray.data).toEqual([{ a: 1, b: [2.5, 3.5], c: { $bytes: 'YWI=' }, d: { $complex: [1, 2] }, e: { $int: '9223372036854775807' }, f: { $float: 'nan' } }]);
  });

  it("datetime64 items are numpy's datetime_as_string in every unit and multiple; timedelta64 items are counts; NaT is NaT", () => {
    const units = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as', '10ms', '3W', '7D', '25h'];
    const cases = python<{ unit: string; values: string[]; strings: string[]; pickle: string; td: string }[]>(`
import json, pickle, random, re, sys
import numpy as np
random.seed(7)
out = []
for unit in ${JSON.stringify(units)}:
    # numpy's own arithmetic overflows past int64 for multiples and weeks: values stay inside it.
    count = int(re.match(r'\\d*', unit).group() or 1)
    lim = 2**63 // count // (7 if unit.endswith('W') else 1)
    vals = [0, 1, -1, 59, -61, 86399, -86401, lim // 2, -lim // 2, 10**15, -10**15] + [random.randrange(-lim // 2, lim // 2) for _ in range(30)] + [random.randrange(-10**6, 10**6) for _ in range(30)]
    a = np.array(vals, dtype='<i8').view('M8[%s]' % unit)
    out.append({'unit': unit, 'values': [str(v) for v in vals], 'strings': [str(s) for s in np.datetime_as_string(a)],
                'pickle': pickle.dumps(np.array([vals[1], -2**63, vals[3]], dtype='<i8').view('M8[%s]' % unit), 4).hex(),
                'td': pickle.dumps(np.array([5, -2**63], dtype='<i8').view('m8[%s]' % unit), 4).hex()})
json.dump(out, sys.stdout)
`);
    for (const c of cases) {
      const m = /^(\d*)(\w+)$/.exec(c.unit)!;
      const meta = { unit: m[2] as 'ms', count: m[1] === '' ? 1 : Number(m[1]) };
      expect(c.values.map((v) => datetimeString(BigInt(v), meta)), c.unit).toEqual(c.strings);
      const a = toJson(loads(Buffer.from(c.pickle, 'hex'), { policy: NUMPY })) as { $ndarray: { dtype: string; data: unknown[] } };
      expect(a.$ndarray.dtype).toBe(`<M8[${c.unit}]`);
      expect(a.$ndarray.data).toEqual([c.strings[1], 'NaT', c.strings[3]]);
      const td = toJson(loads(Buffer.from(c.td, 'hex'), { policy: NUMPY })) as { $ndarray: { data: unknown[] } };
      expect(td.$ndarray.data).toEqual([5, 'NaT']);
    }
    expect(datetimeString(NAT, { unit: 'generic', count: 1 })).toBe('NaT');
  });

  it('masked arrays carry their mask and fill value; scalars are $scalar', () => {
    const p = python<string[]>(`
import json, pickle, sys
import numpy as np
m = np.ma.masked_array(np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)), mask=[[0, 1, 0], [1, 0, 0]], fill_value=7)
json.dump([pickle.dumps(m, 2).hex(), pickle.dumps([np.float32(0.5), np.datetime64('2020-02-29T12:00', 'm')], 4).hex()], sys.stdout)
`);
    const m = toJson(loads(Buffer.from(p[0]!, 'hex'), { policy: NUMPY })) as { $ndarray: Record<string, unknown> };
    expect(m.$ndarray).toEqual({
      dtype: '<i2', shape: [2, 3], data: [[0, 1, 2], [3, 4, 5]], mask: [[false, true, false], [true, false, false]],
      fill_value: { $ndarray: { dtype: '<i2', shape: [], data: 7 } },
    });
    expect(toJson(loads(Buffer.from(p[1]!, 'hex'), { policy: NUMPY }))).toEqual([
      { $scalar: { dtype: '<f4', value: 0.5 } },
      { $scalar: { dtype: '<M8[m]', value: '2020-02-29T12:00' } },
    ]);
  });
});

describe('the max-items cut and tensors', () => {
  const f8 = (n: number, shape: number[]) => new NdArray({ dtype: NpDtype.fromStr('<f8')!, shape, data: new Uint8Array(Float64Array.from({ length: n }, (_, i) => i).buffer) });

  it('shows at most maxItems items, in row-major order, and says how many there were', () => {
    expect(toJson(f8(10, [10]), 4)).toEqual({ $ndarray: { dtype: '<f8', shape: [10], data: [0, 1, 2, 3], cut: { shown: 4, of: 10 } } });
    expect(toJson(f8(12, [3, 4]), 6)).toEqual({ $ndarray: { dtype: '<f8', shape: [3, 4], data: [[0, 1, 2, 3], [4, 5]], cut: { shown: 6, of: 12 } } });
    expect((toJson(f8(5000, [5000])) as { $ndarray: { cut: unknown } }).$ndarray.cut).toEqual({ shown: 1000, of: 5000 });
    expect(toJson(f8(3, [3]), 3)).toEqual({ $ndarray: { dtype: '<f8', shape: [3], data: [0, 1, 2] } });
  });

  it('a shared array is written once and referred to after; an object array holding itself ends in a $ref', () => {
    const a = f8(2, [2]);
    expect(toJson([a, a])).toEqual([{ $id: 0, $ndarray: { dtype: '<f8', shape: [2], data: [0, 1] } }, { $ref: 0 }]);
    const o = new NdArray({ dtype: NpDtype.fromStr('|O')!, shape: [1], objects: [] });
    o.objects!.push(o);
    expect(toJson(o)).toEqual({ $id: 0, $ndarray: { dtype: '|O', shape: [1], data: [{ $ref: 0 }] } });
  });

  it('PyTorch tensors take the same form, through their strides', () => {
    const storage = new TorchStorage('int64', '0', 'cpu', 6, new Uint8Array(BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 2n ** 60n]).buffer));
    // The transpose of a 2 × 3 tensor.
    expect(toJson(new TorchTensor(storage, 0, [3, 2], [1, 3]))).toEqual({ $ndarray: { dtype: 'int64', shape: [3, 2], data: [[0, 3], [1, 4], [2, { $int: String(2n ** 60n) }]] } });
    const c = new TorchStorage('complex64', '1', 'cpu', 1, new Uint8Array(new Float32Array([1, -2]).buffer));
    expect(toJson(new TorchTensor(c, 0, [], []))).toEqual({ $ndarray: { dtype: 'complex64', shape: [], data: { $complex: [1, -2] } } });
  });
});
