/**
 * joblib files audited as `joblib.load` reads them (`audit(bytes, { joblib: true })`): after each
 * NumpyArrayWrapper's BUILD the array's bytes are read (sized from the numpy values the policy
 * built) or, for object arrays, their own pickle; the verdict is what loading under the same
 * wrapped policy does. Files: corpus/containers (corpus/gen_containers.py), pickles written here
 * opcode by opcode, and (when python3 has numpy) joblib's layout written by python3 at test time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit, type Verdict } from '../src/audit/analyze.js';
import { joblibPolicy, isJoblibWrapper } from '../src/audit/joblib.js';
import { createPolicy, DEFAULT_POLICY, NdArray, NpDtype, PickleError, PyObject, RefusedGlobalError, shippedPack, Unpickler, type Policy } from '../src/index.js';
import { joblibFormat, loadJoblib } from '../src/containers/joblib-load.js';
import { dumps } from '../src/pickler/dumps.js';
import { LimitExceededError, MalformedPickleError } from '../src/errors.js';
import { pythonMissing, runPython } from './helpers/py-run.js';
import { mutate, Rng, toHex } from './helpers/fuzz-tools.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'containers');
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const JOBLIB = createPolicy({ packs: [shippedPack('joblib')] });

/** Load every pickle of `bytes` (memo carried over) as joblib.load reads them, under `policy`: the outcome's class and the values. */
function loadJoblibAll(bytes: Uint8Array, policy: Policy): { outcome: Verdict; values: unknown[]; error?: PickleError } {
  const values: unknown[] = [];
  if (bytes.length === 0) return { outcome: 'malformed', values };
  const u = new Unpickler(bytes, { policy: joblibPolicy(policy), zeroCopy: true });
  try {
    while (!u.done) values.push(u.load());
  } catch (error) {
    if (!(error instanceof PickleError)) throw error;
    return { outcome: error instanceof RefusedGlobalError ? 'unsafe' : 'malformed', values, error };
  }
  return { outcome: 'safe', values };
}

/** Audits as joblib.load reads, and checks the verdict against loading with the same wrapped policy. */
function auditJoblib(bytes: Uint8Array, policy: Policy = JOBLIB) {
  const r = audit(bytes, { joblib: true, policy });
  const loaded = loadJoblibAll(bytes, policy);
  expect(r.verdict, `${loaded.error?.message ?? 'loads'}: ${toHex(bytes.subarray(0, 400))}`).toBe(loaded.outcome);
  // A bug of ours (a TypeError in a reconstructor, say) comes out as one of these codes.
  expect(loaded.error?.code ?? 'none', loaded.error?.message).not.toMatch(/^(internal_error|reconstructor_failed)$/);
  return { ...r, messages: r.findings.map((f) => f.message).join('\n'), values: loaded.values };
}

// ---- pickles written opcode by opcode (protocol 2) ----

const enc = new TextEncoder();
const cat = (...parts: (Uint8Array | string | number[])[]): Uint8Array => {
  const arrays = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) (out.set(a, at), (at += a.length));
  return out;
};
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
type Py = null | boolean | number | string | Py[] | { global: string } | { raw: Uint8Array };
/** One value as protocol 2 opcodes (lists stand for tuples). */
function op(v: Py): Uint8Array {
  if (v === null) return cat('N');
  if (v === true || v === false) return cat([v ? 0x88 : 0x89]);
  if (typeof v === 'number') {
    if (v === (v | 0)) return cat('J', le32(v));
    const b = BigInt.asUintN(64, BigInt(v));
    return cat([0x8a, 8], Array.from({ length: 8 }, (_, i) => Number((b >> BigInt(8 * i)) & 255n)));
  }
  if (typeof v === 'string') return cat('X', le32(enc.encode(v).length), v);
  if (Array.isArray(v)) return cat('(', ...v.map(op), 't');
  if ('global' in v) return cat('c', v.global.replace(/\.(?=[^.]*$)/, '\n'), '\n');
  return v.raw;
}
/** `numpy.dtype(typestr, False, True)` with its BUILD state (numpy's 8-tuple) when given. */
const dtype = (typestr: string, state?: Py[]): Py => ({
  raw: cat(op({ global: 'numpy.dtype' }), op([typestr, false, true]), 'R', state ? cat(op(state), 'b') : ''),
});
const v3 = (order: string, elsize: number, flags: number): Py[] => [3, order, null, null, null, elsize, -1, flags];
interface WrapperSpec {
  shape: Py;
  dtype: Py;
  order?: Py;
  alignment?: Py;
  subclass?: Py;
}
/** A NumpyArrayWrapper: NEWOBJ, then BUILD with its dict state (keys left out when undefined). */
function wrapper(spec: WrapperSpec, name = 'joblib.numpy_pickle.NumpyArrayWrapper'): Uint8Array {
  const state: [string, Py | undefined][] = [
    ['subclass', 'subclass' in spec ? spec.subclass : { global: 'numpy.ndarray' }],
    ['shape', spec.shape],
    ['order', 'order' in spec ? spec.order : 'C'],
    ['dtype', spec.dtype],
    ['allow_mmap', true],
    ['numpy_array_alignment_bytes', spec.alignment],
  ];
  const items = state.filter(([, v]) => v !== undefined).map(([k, v]) => cat(op(k), op(v!)));
  return cat(op({ global: name }), ')', [0x81], '}(', ...items, 'u', 'b');
}
/** A whole protocol 2 joblib pickle: one wrapper, the bytes joblib reads after it, then STOP. */
const joblibPickle = (spec: WrapperSpec, after: Uint8Array | string | number[] = []) => cat([0x80, 2], wrapper(spec), after, '.');
/** The NdArray a load of `bytes` gives. */
const arrayOf = (bytes: Uint8Array): NdArray => {
  const [value] = auditJoblib(bytes).values;
  expect(value).toBeInstanceOf(NdArray);
  return value as NdArray;
};

describe('joblib array sizing (as numpy sizes a dtype, checked against numpy 2.4)', () => {
  it('reads shape × itemsize bytes: a flexible size from the dtype, 0-d as one item, Fortran order kept', () => {
    const s3 = arrayOf(joblibPickle({ shape: [2], dtype: dtype('S3', v3('|', 3, 0)) }, 'abcdef'));
    expect([s3.dtype.str, s3.shape, s3.data!.length]).toEqual(['|S3', [2], 6]);
    const u5 = arrayOf(joblibPickle({ shape: [2], dtype: dtype('U5', v3('<', 20, 8)) }, new Uint8Array(40)));
    expect([u5.dtype.str, u5.data!.length]).toEqual(['<U5', 40]);
    const f8 = arrayOf(joblibPickle({ shape: [3, 2], dtype: dtype('f8', v3('>', -1, 0)), order: 'F' }, new Uint8Array(48).fill(7)));
    expect([f8.dtype.str, f8.shape, f8.fortranOrder, f8.data!.length, f8.data![47]]).toEqual(['>f8', [3, 2], true, 48, 7]);
    const scalar = arrayOf(joblibPickle({ shape: [], dtype: dtype('i4') }, [1, 0, 0, 0]));
    expect([scalar.shape, scalar.toTypedArray()[0]]).toEqual([[], 1]);
    expect(arrayOf(joblibPickle({ shape: [0, 5], dtype: dtype('f8') })).data!.length).toBe(0);
  });

  it('skips the padding the alignment byte announces (any alignment but None), none without one', () => {
    const padded = arrayOf(joblibPickle({ shape: [4], dtype: dtype('u1'), alignment: 16 }, [5, 9, 9, 9, 9, 9, 1, 2, 3, 4]));
    expect([...padded.data!]).toEqual([1, 2, 3, 4]);
    expect([...arrayOf(joblibPickle({ shape: [1], dtype: dtype('u1'), alignment: 'x' }, [0, 3])).data!]).toEqual([3]);
    expect([...arrayOf(joblibPickle({ shape: [2], dtype: dtype('u1'), alignment: null }, [1, 2])).data!]).toEqual([1, 2]);
  });

  it('reads an object array as its own pickle, as the dtype state flags say (numpy keeps them as given)', () => {
    const objects = dumps(new NdArray({ dtype: NpDtype.fromStr('|O')!, shape: [2], objects: [1, 'x'] }), { protocol: 2 });
    for (const d of [dtype('O8'), dtype('O8', v3('|', -1, 63)), dtype('f8', v3('<', -1, 1))]) {
      const value = arrayOf(joblibPickle({ shape: [2], dtype: d, alignment: 16 }, objects));
      expect(value.objects).toEqual([1, 'x']);
    }
    // A nested pickle is read with a fresh memo, and its globals are audited.
    const r = auditJoblib(joblibPickle({ shape: [2], dtype: dtype('O8') }, objects));
    expect(r.globals.map((g) => g.qualname)).toContain('_reconstruct');
    // What a plain pickle.load gives in the object array's place must be an array (joblib reads its dtype).
    expect(auditJoblib(joblibPickle({ shape: [1], dtype: dtype('O8') }, cat([0x80, 2], 'K', [1], '.'))).messages).toMatch(/does not give a numpy array/);
  });

  it('refuses what it cannot size exactly, or what joblib would read differently', () => {
    const malformed = (bytes: Uint8Array, message: RegExp) => {
      const r = auditJoblib(bytes);
      expect(r.verdict).toBe('malformed');
      expect(r.messages).toMatch(message);
    };
    malformed(joblibPickle({ shape: [1], dtype: dtype('f3') }, new Uint8Array(3)), /dtype "f3" is not one/);
    // A dtype state outside the numpy pack's constraint is refused by the policy (unsafe), not malformed.
    const shortState = auditJoblib(joblibPickle({ shape: [1], dtype: dtype('f8', [3]) }, new Uint8Array(8)));
    expect(shortState.verdict).toBe('unsafe');
    expect(shortState.messages).toMatch(/state has length 1, below 8/);
    malformed(joblibPickle({ shape: [20], dtype: dtype('f8') }, new Uint8Array(100)), /truncated/);
    malformed(joblibPickle({ shape: [1], dtype: dtype('S0') }, []), /items of 0 bytes/);
    malformed(joblibPickle({ shape: [1], dtype: 'f8' }, new Uint8Array(8)), /not a numpy.dtype/);
    malformed(joblibPickle({ shape: [2], dtype: dtype('O8', v3('|', -1, 0)) }, new Uint8Array(16)), /holds objects but its flags say it does not/);
    malformed(joblibPickle({ shape: [-1], dtype: dtype('u1') }, []), /not a non-negative int/);
    malformed(joblibPickle({ shape: 'ab', dtype: dtype('u1') }, 'ab'), /no shape tuple/);
    malformed(joblibPickle({ shape: [1], dtype: dtype('u1'), subclass: { global: 'numpy.dtype' } }, [1]), /subclass is not numpy.ndarray/);
    malformed(joblibPickle({ shape: [1], dtype: dtype('u1'), order: undefined }, [1]), /no order/);
    malformed(joblibPickle({ shape: [1], dtype: dtype('u1'), alignment: 16 }, []), /truncated/);
    malformed(joblibPickle({ shape: [2 ** 40, 2 ** 40], dtype: dtype('u1') }, []), /more items than can be indexed/);
  });

  it('reads wrappers of either module name (pairs, never a joined string), and only after a BUILD', () => {
    expect(isJoblibWrapper('joblib.numpy_pickle', 'NumpyArrayWrapper')).toBe(true);
    expect(isJoblibWrapper('sklearn.externals.joblib.numpy_pickle', 'NumpyArrayWrapper')).toBe(true);
    expect(isJoblibWrapper('joblib', 'numpy_pickle.NumpyArrayWrapper')).toBe(false);
    const sklearn = createPolicy({
      packs: [
        shippedPack('numpy'),
        { id: 'sk', version: '1.0.0', description: 'test', extends: [], entries: [{ module: 'sklearn.externals.joblib.numpy_pickle', qualname: 'NumpyArrayWrapper', reconstructor: 'object', uses: ['new', 'state'] }] },
      ],
    });
    const spec = { shape: [2], dtype: dtype('u1') };
    const bytes = cat([0x80, 2], wrapper(spec, 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper'), [1, 2], '.');
    expect(auditJoblib(bytes, sklearn).verdict).toBe('safe');
    // Read as pickle.load reads it, the array bytes are opcodes (here: an unknown one).
    expect(audit(bytes, { policy: sklearn }).verdict).toBe('malformed');
    // A wrapper that is never built reads nothing.
    const unbuilt = auditJoblib(cat([0x80, 2], op({ global: 'joblib.numpy_pickle.NumpyArrayWrapper' }), ')', [0x81], '.'));
    expect([unbuilt.verdict, unbuilt.values[0]]).toEqual(['safe', expect.any(PyObject)]);
  });

  it("leaves a wrapper inside an object array's pickle a record, as the plain pickle.load joblib uses there does", () => {
    const inner = cat([0x80, 2], wrapper({ shape: [1], dtype: dtype('u1') }), 'cos\nsystem\n(X', le32(2), 'idtR0', ')', '.');
    // joblib's inner pickle.load would run os.system (the "array data" after the inner BUILD): unsafe.
    const r = auditJoblib(joblibPickle({ shape: [1], dtype: dtype('O8') }, inner));
    expect(r.verdict).toBe('unsafe');
    expect(r.findings.map((f) => f.name)).toContain('os.system');
  });

  it('refuses a wrapper BUILD whose frame has bytes left (joblib would read the array from after the frame)', () => {
    const r = auditJoblib(file('framed.joblib'));
    expect(r.verdict).toBe('malformed');
    expect(r.messages).toMatch(/inside a frame/);
  });
});

describe('joblib files (corpus/containers, written by corpus/gen_containers.py)', () => {
  it('reads object arrays as their own pickle, and what follows an array', () => {
    const objects = auditJoblib(file('objects.joblib'));
    expect(objects.verdict).toBe('safe');
    expect(objects.globals.some((g) => /^numpy\.(_?core)\.multiarray$/.test(g.module) && g.qualname === '_reconstruct')).toBe(true);
    const value = objects.values[0] as Map<string, NdArray>;
    expect(value.get('o')!.objects).toEqual([1, 'x', null]);
    expect([...value.get('f')!.toTypedArray()]).toEqual([1, 1, 1]);
    // Under the default policy: unsafe (numpy and joblib names are not allowed).
    expect(auditJoblib(file('objects.joblib'), DEFAULT_POLICY).verdict).toBe('unsafe');
  });

  it('reads datetime arrays as the numpy pack does', () => {
    for (const name of ['arrays.joblib', 'unaligned.joblib', 'protocol2.joblib']) {
      const r = auditJoblib(file(name));
      expect(r.verdict).toBe('safe');
      const dates = (r.values[0] as Map<string, NdArray>).get('dates')!;
      expect([dates.dtype.str, [...dates.toTypedArray()]]).toEqual(['<M8[D]', [18262n]]);
    }
  });

  it('finds payloads joblib.load would run, and names those only pickle.load would (read twice)', () => {
    // joblib.load would run os.system after array data made of STOP bytes.
    const after = auditJoblib(file('call_after_array.joblib'));
    expect(after.verdict).toBe('unsafe');
    expect(after.findings.find((f) => f.rule === 'PG001')?.name).toMatch(/^(os|posix)\.system$/);
    // Under the default policy (numpy's and joblib's names refused) too: the listing reads the arrays as numpy sizes them.
    const refused = audit(file('call_after_array.joblib'), { joblib: true });
    expect(refused.verdict).toBe('unsafe');
    expect(refused.findings.find((f) => f.rule === 'PG001')?.name).toMatch(/^(os|posix)\.system$/);
    // pickle.load of this file would run os.system from the "array data"; joblib.load reads it as bytes.
    expect(auditJoblib(file('raw_hides_call.joblib')).verdict).toBe('safe');
    const plain = audit(file('raw_hides_call.joblib'), { policy: JOBLIB });
    expect(plain.verdict).toBe('unsafe');
    expect(plain.findings.map((f) => f.name)).toContain('os.system');
  });

  it('never calls a cut-short file safe', () => {
    const short = auditJoblib(file('short.joblib'));
    expect(short.verdict).toBe('malformed');
    expect(short.messages).toMatch(/truncated/);
    for (const seed of ['objects.joblib', 'call_after_array.joblib', 'arrays.joblib'].map(file)) {
      for (let cut = 1; cut < seed.length; cut += 3) expect(auditJoblib(seed.subarray(0, cut)).verdict).toBe('malformed');
    }
  });
});

// ---- joblib's layout written by python3 (numpy), as gen_containers.py writes it ----

const numpyMissing =
  pythonMissing() ??
  (() => {
    try {
      runPython('import numpy');
      return null;
    } catch {
      return 'numpy is not installed';
    }
  })();

/** arrays of every dtype kind the numpy pack reads; `files` as joblib.dump writes them, `arrays` as numpy sees them. */
const LAYOUT_SCRIPT = String.raw`
import base64, io, json, pickle, sys, types
import numpy as np
jl = types.ModuleType('joblib'); npp = types.ModuleType('joblib.numpy_pickle')
class NumpyArrayWrapper:
    pass
NumpyArrayWrapper.__module__ = 'joblib.numpy_pickle'
npp.NumpyArrayWrapper = NumpyArrayWrapper; jl.numpy_pickle = npp
sys.modules['joblib'] = jl; sys.modules['joblib.numpy_pickle'] = npp
def joblib_dump(obj, alignment=16, protocol=4):
    buf = io.BytesIO()
    class P(pickle._Pickler):
        def save(self, o, save_persistent_id=True):
            if type(o) is not np.ndarray:
                return super().save(o, save_persistent_id)
            wr = NumpyArrayWrapper()
            order = 'F' if o.flags.f_contiguous and not o.flags.c_contiguous else 'C'
            wr.__dict__.update(subclass=np.ndarray, shape=o.shape, order=order, dtype=o.dtype,
                               allow_mmap=not o.dtype.hasobject, numpy_array_alignment_bytes=alignment)
            super().save(wr)
            if self.proto >= 4:
                self.framer.commit_frame(force=True)
            if o.dtype.hasobject:
                pickle.dump(o, buf, protocol=2)
                return
            if alignment is not None:
                pad = alignment - (buf.tell() + 1) % alignment
                buf.write(bytes([pad]) + b'\xff' * pad)
            buf.write(o.tobytes(order='A' if order == 'F' else 'C'))
    P(buf, protocol=protocol).dump(obj)
    return buf.getvalue()
arrays = {'ints': np.arange(10), 'floats': np.ones((3, 4), dtype='>f4'), 'text': np.array(['x', 'yz']),
          'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)), 'empty': np.zeros((0, 5)),
          'record': np.zeros(3, dtype=[('a', '<i4'), ('b', 'f8')]), 'bools': np.array([True, False]),
          'scalar': np.array(7.5), 'bytes': np.array([b'ab', b'c']), 'complex': np.array([1 + 2j], dtype='c8'),
          'half': np.ones(3, dtype='f2'), 'nested': [np.arange(3, dtype='u2'), {'deep': np.array([[1, 2]], dtype='i1')}],
          'objects': np.array([1, 'x', None], dtype=object), 'after': 'the end'}
files = {f'{name}': base64.b64encode(joblib_dump(arrays, **kw)).decode() for name, kw in
         [('aligned', {}), ('unaligned', {'alignment': None}), ('protocol2', {'protocol': 2}), ('protocol3', {'protocol': 3}), ('protocol5', {'protocol': 5})]}
def desc(a):
    if a.dtype.hasobject:
        return {'objects': [x if x is None or isinstance(x, (int, str)) else repr(x) for x in a.tolist()], 'shape': list(a.shape)}
    return {'str': a.dtype.str, 'shape': list(a.shape), 'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous and a.ndim > 1),
            'hex': a.tobytes(order='A').hex()}
expected = {k: desc(v) for k, v in arrays.items() if isinstance(v, np.ndarray)}
expected['nested.0'] = desc(arrays['nested'][0]); expected['nested.1.deep'] = desc(arrays['nested'][1]['deep'])
print(json.dumps({'files': files, 'expected': expected}))
`;

const toHexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** An array as the layout script describes it. */
function describeArray(a: NdArray): unknown {
  if (a.objects !== null) return { objects: a.objects, shape: a.shape };
  return { str: a.dtype.str, shape: a.shape, fortran: a.fortranOrder && a.shape.length > 1, hex: toHexBytes(a.data!) };
}

describe.skipIf(numpyMissing !== null)(`joblib's layout written by python3 (numpy)${numpyMissing ? `: ${numpyMissing}` : ''}`, () => {
  const layout = numpyMissing === null ? (JSON.parse(runPython(LAYOUT_SCRIPT)) as { files: Record<string, string>; expected: Record<string, unknown> }) : null;
  const files = Object.entries(layout?.files ?? {}).map(([name, b64]) => [name, new Uint8Array(Buffer.from(b64, 'base64'))] as const);

  it.each(files.map(([name]) => name))('%s: every array read as numpy wrote it, the verdict safe', (name) => {
    const bytes = files.find(([n]) => n === name)![1];
    const r = auditJoblib(bytes);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.verdict).toBe('safe');
    expect(r.calls.filter((c) => c.opcode === 'BUILD' && c.callable === 'joblib.numpy_pickle.NumpyArrayWrapper').length).toBe(14);
    const value = r.values[0] as Map<string, unknown>;
    const got: Record<string, unknown> = {};
    for (const [k, v] of value) if (v instanceof NdArray) got[k] = describeArray(v);
    const nested = value.get('nested') as [NdArray, Map<string, NdArray>];
    got['nested.0'] = describeArray(nested[0]);
    got['nested.1.deep'] = describeArray(nested[1].get('deep')!);
    expect(got).toEqual(layout!.expected);
    expect(value.get('after')).toBe('the end');
    // Read as pickle.load reads it, the same bytes are not a pickle that loads.
    expect(audit(bytes, { policy: JOBLIB }).verdict).not.toBe('safe');
    // Under a policy that refuses numpy's and joblib's names, the listing still reads every array to the end.
    const refused = audit(bytes, { joblib: true });
    expect(refused.verdict).toBe('unsafe');
    expect(refused.findings.filter((f) => f.severity !== 'info' && f.rule !== 'PG002')).toEqual([]);
    expect(refused.calls.filter((c) => c.opcode === 'BUILD' && c.callable === 'joblib.numpy_pickle.NumpyArrayWrapper').length).toBe(14);
  });

  it('audits 1,500 mutated joblib files (500 more under the default policy) without a non-PickleError escaping, each verdict what loading does', () => {
    const rng = new Rng(2026_12_06);
    const seeds = [...files.map(([, b]) => b), ...['objects.joblib', 'call_after_array.joblib', 'arrays.joblib'].map(file)];
    const count = 1500 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const counts: Record<Verdict, number> = { safe: 0, unsafe: 0, malformed: 0 };
    for (let i = 0; i < count; i++) {
      const input = mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      counts[auditJoblib(input).verdict]++;
      // Under the default policy, the listing reads arrays from inert records of numpy's names.
      if (i % 3 === 0) auditJoblib(input, DEFAULT_POLICY);
    }
    console.log(`joblib mutations: ${count} inputs, verdicts ${JSON.stringify(counts)}, 0 disagreements with loading`);
    expect(counts.safe + counts.unsafe + counts.malformed).toBe(count);
  });

  it('never calls a cut-short file safe', () => {
    for (const [, seed] of files.slice(0, 2)) {
      for (let cut = 1; cut < seed.length; cut += 5) expect(auditJoblib(seed.subarray(0, cut)).verdict).toBe('malformed');
    }
  });
});

// ---- loadJoblib: files real joblib wrote (Debian's /usr/bin/python3 with python3-joblib), plain and compressed ----

const REAL_SCRIPT = String.raw`
import base64, io, json
import numpy as np, joblib
arrays = {'ints': np.arange(10), 'floats': np.ones((3, 4), dtype='>f4'), 'text': np.array(['x', 'yz']),
          'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)), 'empty': np.zeros((0, 5)),
          'record': np.zeros(3, dtype=[('a', '<i4'), ('b', 'f8')]), 'bools': np.array([True, False]),
          'scalar': np.array(7.5), 'bytes': np.array([b'ab', b'c']), 'complex': np.array([1 + 2j], dtype='c8'),
          'objects': np.array([1, 'x', None], dtype=object), 'after': 'the end'}
files = {}
for compress in [0, ('zlib', 3), ('gzip', 3), ('bz2', 3), ('xz', 3), ('lzma', 3)]:
    for protocol in [2, 3, 4, 5]:
        f = io.BytesIO()
        joblib.dump(arrays, f, compress=compress, protocol=protocol)
        files[f'{compress[0] if compress else "none"}-p{protocol}'] = base64.b64encode(f.getvalue()).decode()
def desc(a):
    if a.dtype.hasobject:
        return {'objects': a.tolist(), 'shape': list(a.shape)}
    return {'str': a.dtype.str, 'shape': list(a.shape), 'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous and a.ndim > 1), 'hex': a.tobytes(order='A').hex()}
# Files this script just wrote, so loading them runs nothing unexpected.
loaded = {name: {k: desc(x) for k, x in joblib.load(io.BytesIO(base64.b64decode(b64))).items() if isinstance(x, np.ndarray)} for name, b64 in files.items()}
print(json.dumps({'files': files, 'loaded': loaded}))
`;

const realJoblib = (() => {
  const r = spawnSync('/usr/bin/python3', ['-c', REAL_SCRIPT], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) return null;
  return JSON.parse(r.stdout) as { files: Record<string, string>; loaded: Record<string, Record<string, unknown>> };
})();

/** An array as joblib.load gives it: big-endian numeric data swapped to the platform's (little-endian) order. */
function asLoaded(a: NdArray): unknown {
  const d = describeArray(a) as { str?: string; hex?: string };
  if (d.str === undefined || !d.str.startsWith('>')) return d;
  const size = a.dtype.itemsize;
  const data = Uint8Array.from(a.data!);
  for (let i = 0; i < data.length; i += size) data.subarray(i, i + size).reverse();
  return { ...d, str: `<${d.str.slice(1)}`, hex: toHexBytes(data) };
}

describe('loadJoblib', () => {
  it.skipIf(realJoblib === null)('loads what joblib 1.2 wrote, uncompressed, zlib and gzip, at protocols 2-5, to what joblib.load gives', async () => {
    let read = 0;
    for (const [name, b64] of Object.entries(realJoblib!.files)) {
      const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
      const format = name.split('-')[0]!;
      expect(joblibFormat(bytes)).toBe(format === 'none' ? 'not-compressed' : format);
      if (!['none', 'zlib', 'gzip'].includes(format)) {
        await expect(loadJoblib(bytes)).rejects.toThrow(new RegExp(`compressed with ${format}: not read`));
        await expect(loadJoblib(bytes)).rejects.toBeInstanceOf(MalformedPickleError);
        continue;
      }
      const value = (await loadJoblib(bytes)) as Map<string, unknown>;
      const got: Record<string, unknown> = {};
      for (const [k, v] of value) if (v instanceof NdArray) got[k] = asLoaded(v);
      expect(got, name).toEqual(realJoblib!.loaded[name]);
      expect(value.get('after')).toBe('the end');
      // The uncompressed files audit safe as joblib.load reads them.
      if (format === 'none') expect(auditJoblib(bytes).verdict).toBe('safe');
      read++;
    }
    expect(read).toBe(12);
  });

  it('refuses the pre-0.9.3 format and the compressors it does not read, by name', async () => {
    await expect(loadJoblib(cat('ZF0x1a\n', new Uint8Array(20)))).rejects.toThrow(/before 0\.9\.3 \(it starts with ZF\)/);
    await expect(loadJoblib(Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0, 0))).rejects.toThrow(/compressed with lz4/);
    await expect(loadJoblib(cat('BZh91AY&SY'))).rejects.toThrow(/compressed with bz2/);
    await expect(loadJoblib(Uint8Array.of(0x5d, 0, 0, 0x40, 0))).rejects.toThrow(/compressed with lzma/);
  });

  it('reads zlib and gzip to the end of their one stream, within maxMemberBytes', async () => {
    const compress = async (data: Uint8Array, format: 'gzip' | 'deflate') => new Uint8Array(await new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer());
    const plain = joblibPickle({ shape: [4], dtype: dtype('u1'), alignment: 16 }, [0, 1, 2, 3, 4]);
    for (const format of ['gzip', 'deflate'] as const) {
      const z = await compress(plain, format);
      expect([...((await loadJoblib(z)) as NdArray).data!]).toEqual([1, 2, 3, 4]);
      await expect(loadJoblib(cat(z, 'x'))).rejects.toBeInstanceOf(MalformedPickleError);
      if (format === 'deflate') await expect(loadJoblib(cat(z, 'xyzw'))).rejects.toThrow(/does not end with its zlib stream/);
      await expect(loadJoblib(z.subarray(0, z.length - 1))).rejects.toBeInstanceOf(MalformedPickleError);
      await expect(loadJoblib(z, { maxMemberBytes: 10 })).rejects.toBeInstanceOf(LimitExceededError);
    }
    // A second gzip member: joblib's reader stops after the first.
    const g = await compress(plain, 'gzip');
    await expect(loadJoblib(cat(g, g))).rejects.toThrow(/second gzip member/);
    // The corpus's compressed joblib file, its datetime array included.
    expect(((await loadJoblib(file('arrays.joblib.z'))) as Map<string, NdArray>).get('dates')!.dtype.str).toBe('<M8[D]');
  });

  it('loads one pickle, under the joblib pack unless told otherwise, and refuses what the policy refuses', async () => {
    const value = (await loadJoblib(cat(joblibPickle({ shape: [1], dtype: dtype('u1') }, [7]), 'garbage after STOP'))) as NdArray;
    expect([...value.data!]).toEqual([7]);
    await expect(loadJoblib(file('call_after_array.joblib'))).rejects.toBeInstanceOf(RefusedGlobalError);
    await expect(loadJoblib(file('objects.joblib'), { policy: DEFAULT_POLICY })).rejects.toBeInstanceOf(RefusedGlobalError);
    await expect(loadJoblib(file('short.joblib'))).rejects.toBeInstanceOf(PickleError);
  });
});
