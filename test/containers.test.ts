/**
 * Containers: PyTorch zip checkpoints (ZIP64 too) and the legacy format, numpy .npy/.npz, joblib
 * files, gzip and zlib, and the zip tricks that make readers disagree. Fixtures are written by
 * python3 (zipfile, numpy, gzip); the torch and joblib layouts are written by hand, since neither
 * is installed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../src/audit/analyze.js';
import { auditFile, decompress } from '../src/containers/open.js';
import { createPolicy, shippedPack } from '../src/index.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';
import { pythonMissing, runPython } from './helpers/py-run.js';

const missing = pythonMissing();
if (missing) console.log(`skipping container tests: ${missing}`);
const dir = mkdtempSync(join(tmpdir(), 'pickleguard-containers-'));
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

const MAKE = String.raw`
import gzip, io, os, pickle, struct, sys, zipfile, zlib
import numpy as np
d = sys.argv[1]
def w(name, data):
    open(os.path.join(d, name), 'wb').write(data)

# A PyTorch-style checkpoint: archive/data.pkl with BINPERSID storages, raw storage bytes, version.
def tensor_pickle(evil=False):
    p = (b'\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00weightq\x02'
         b'ctorch._utils\n_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x04tq\x08QK\x00K\x04\x85K\x01\x85\x89h\x00)Rq\ttq\nRq\x0bs')
    if evil:
        p += b"X\x04\x00\x00\x00evilcos\nsystem\n(X\x02\x00\x00\x00idtRs"
    return p + b'.'
def checkpoint(name, evil=False, zip64=False, compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', compression=compress) as z:
        z.writestr('archive/data.pkl', tensor_pickle(evil))
        z.writestr('archive/byteorder', 'little')
        with z.open('archive/data/0', 'w', force_zip64=zip64) as f:
            f.write(struct.pack('<4f', 1, 2, 3, 4))
        z.writestr('archive/version', '3\n')
    w(name, buf.getvalue())
checkpoint('model.pt')
checkpoint('evil.pt', evil=True)
checkpoint('deflated.pt', evil=True, compress=zipfile.ZIP_DEFLATED)
checkpoint('zip64.pt', zip64=True)

# Zip tricks: two members named data.pkl; a local name that differs from the central one.
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    z.writestr('archive/data.pkl', pickle.dumps([1, 2]))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        z.writestr('archive/data.pkl', b"cos\nsystem\n(S'id'\ntR.")
w('duplicate.pt', buf.getvalue())
data = bytearray(open(os.path.join(d, 'model.pt'), 'rb').read())
i = data.index(b'archive/data.pkl')           # the first occurrence is in the local header
data[i:i + 16] = b'archive/data.pkX'
w('renamed.pt', bytes(data))

# A member only a streaming reader sees: a local header between the last member and the central directory.
data = bytearray(open(os.path.join(d, 'model.pt'), 'rb').read())
eocd = data.rindex(b'PK\x05\x06')
cd = struct.unpack('<I', data[eocd + 16:eocd + 20])[0]
evil = b"cos\nsystem\n(S'id'\ntR."
name = b'archive/extra.pkl'
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 0, 0, 0, zlib.crc32(evil), len(evil), len(evil), len(name), 0) + name + evil
data[cd:cd] = local
data[eocd + len(local) + 16:eocd + len(local) + 20] = struct.pack('<I', cd + len(local))
w('hidden.pt', bytes(data))

# Legacy torch.save: magic, protocol version, sys info, the object, storage keys, raw storage data.
legacy = b''.join(pickle.dumps(x, 2) for x in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True}))
legacy += tensor_pickle() + pickle.dumps(['0'], 2) + struct.pack('<q', 4) + struct.pack('<4f', 1, 2, 3, 4)
w('legacy.pt', legacy)

# numpy: an object array (.npy with a pickle), a plain array, an .npz of both, compressed.
np.save(os.path.join(d, 'objects.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save(os.path.join(d, 'floats.npy'), np.arange(4.0))
np.savez_compressed(os.path.join(d, 'bundle.npz'), objects=np.array([1, 'x'], dtype=object), floats=np.arange(3.0))

# joblib (not installed here): its layout written as joblib.dump writes it. A NumpyArrayWrapper is
# pickled in each array's place by the pure-Python pickler; the frame is ended; then the array:
# a padding-length byte and padding (when aligned), then raw bytes; or a protocol 2 pickle of an
# object array. read_joblib reads it back as joblib.load does, to check the layout.
import types
jl = types.ModuleType('joblib'); npp = types.ModuleType('joblib.numpy_pickle')
class NumpyArrayWrapper:
    pass
NumpyArrayWrapper.__module__ = 'joblib.numpy_pickle'
npp.NumpyArrayWrapper = NumpyArrayWrapper; jl.numpy_pickle = npp
sys.modules['joblib'] = jl; sys.modules['joblib.numpy_pickle'] = npp
def joblib_dump(obj, alignment=16, raw=None, protocol=4):
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
            buf.write(raw if raw is not None else o.tobytes(order='A' if order == 'F' else 'C'))
    P(buf, protocol=protocol).dump(obj)
    return buf.getvalue()
def read_joblib(data):
    f = io.BytesIO(data)
    class U(pickle._Unpickler):
        def load_build(self):
            super().load_build()
            wr = self.stack[-1]
            if not isinstance(wr, NumpyArrayWrapper):
                return
            if wr.dtype.hasobject:
                self.stack[-1] = pickle.load(f)
                return
            if getattr(wr, 'numpy_array_alignment_bytes', None) is not None:
                f.read(f.read(1)[0])
            n = int(np.prod(wr.shape)) if len(wr.shape) else 1
            a = np.frombuffer(f.read(n * wr.dtype.itemsize), dtype=wr.dtype, count=n)
            self.stack[-1] = a.reshape(wr.shape[::-1]).T if wr.order == 'F' else a.reshape(wr.shape)
        dispatch = dict(pickle._Unpickler.dispatch)
        dispatch[pickle.BUILD[0]] = load_build
    return U(f).load()
arrays = {'ints': np.arange(10), 'floats': np.ones((3, 4), dtype='>f4'), 'text': np.array(['x', 'yz']),
          'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)), 'empty': np.zeros((0, 5)),
          'record': np.zeros(3, dtype=[('a', '<i4'), ('b', 'f8')]), 'dates': np.array(['2020-01-01'], dtype='M8[D]'),
          'bools': np.array([True, False]), 'scalar': np.array(7.5), 'bytes': np.array([b'ab', b'c'])}
def joblib_file(name, obj, **kw):
    data = joblib_dump(obj, **kw)
    if kw.get('raw') is None:
        back = read_joblib(data)
        for k, v in (obj.items() if isinstance(obj, dict) else []):
            assert np.array_equal(back[k], v) and back[k].dtype == v.dtype, (name, k)
    w(name, data)
joblib_file('arrays.joblib', arrays)
joblib_file('unaligned.joblib', arrays, alignment=None)
joblib_file('protocol2.joblib', arrays, protocol=2)
joblib_file('objects.joblib', {'o': np.array([1, 'x', None], dtype=object), 'f': np.ones(3, dtype='<f4')})
w('arrays.joblib.z', zlib.compress(joblib_dump(arrays), 3))
# Payloads. A pickle.load of the file would run os.system hidden in the "array data"; joblib would not.
call = b"cos\nsystem\n(S'id'\ntR0"
w('raw_hides_call.joblib', joblib_dump({'a': np.zeros(len(call), dtype='u1')}, alignment=None, raw=call))
# joblib.load would run a call that comes after array data made of STOPs, which pickle.load never reaches.
class Evil:
    def __reduce__(self):
        return (os.system, ('id',))
w('call_after_array.joblib', joblib_dump([np.zeros(4, dtype='u1'), Evil()], raw=b'....'))
# A shape that claims more data than the file holds; a frame that runs on past the wrapper's BUILD.
data = joblib_dump({'a': np.zeros(3)})
w('short.joblib', data[:-8])
assert data[2] == 0x95
w('framed.joblib', data[:3] + struct.pack('<Q', struct.unpack('<Q', data[3:11])[0] + 8) + data[11:])

w('state.pkl.gz', gzip.compress(pickle.dumps({'a': 1}, 4), mtime=0))
w('evil.pkl.zlib', zlib.compress(b"cos\nsystem\n(S'id'\ntR."))
w('bomb.gz', gzip.compress(b'\0' * (20 << 20), mtime=0))
`;

beforeAll(() => {
  if (!missing) runPython(`import sys; sys.argv = ['x', ${JSON.stringify(dir)}]\n${MAKE}`);
});

const verdicts = async (name: string, options = {}) => (await auditFile(file(name), name, options)).map((r) => `${r.uri} ${r.report.verdict}`);
const TORCH = createPolicy({
  packs: [
    {
      id: 'torch-test',
      version: '1.0.0',
      description: 'test',
      extends: [],
      entries: [
        { module: 'torch._utils', qualname: '_rebuild_tensor_v2', reconstructor: 'object', uses: ['call'] },
        { module: 'torch', qualname: 'FloatStorage', reconstructor: 'reference', uses: ['reference'] },
        { module: 'collections', qualname: 'OrderedDict', reconstructor: 'collections.OrderedDict', uses: ['call'] },
      ],
    },
  ],
});

describe.skipIf(missing !== null)('containers', () => {
  it('audits the pickles inside a PyTorch zip checkpoint, named by member', async () => {
    expect(await verdicts('model.pt', { policy: TORCH })).toEqual(['model.pt safe', 'model.pt!archive/data.pkl safe']);
    expect(await verdicts('model.pt')).toEqual(['model.pt safe', 'model.pt!archive/data.pkl unsafe']);
    const evil = await auditFile(file('evil.pt'), 'evil.pt', { policy: TORCH });
    expect(evil.map((r) => r.report.verdict)).toEqual(['safe', 'unsafe']);
    expect(evil[1]!.report.findings.map((f) => f.name)).toContain('os.system');
    expect(await verdicts('deflated.pt', { policy: TORCH })).toEqual(['deflated.pt safe', 'deflated.pt!archive/data.pkl unsafe']);
    expect(await verdicts('zip64.pt', { policy: TORCH })).toEqual(['zip64.pt safe', 'zip64.pt!archive/data.pkl safe']);
  });

  it('reports zip tricks: duplicate names, a local header that names another member', async () => {
    const dup = await auditFile(file('duplicate.pt'), 'duplicate.pt');
    expect(dup[0]!.report.verdict).toBe('unsafe');
    expect(dup[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/two members are named "archive\/data.pkl"/);
    expect(dup.slice(1).map((r) => r.report.verdict)).toEqual(['safe', 'unsafe']);
    const renamed = await auditFile(file('renamed.pt'), 'renamed.pt');
    expect(renamed[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/is named "archive\/data.pkX" in its local header/);
    expect(renamed[0]!.report.verdict).toBe('unsafe');
  });

  it('reports and audits a member no central directory entry points at', async () => {
    const hidden = await auditFile(file('hidden.pt'), 'hidden.pt', { policy: TORCH });
    expect(hidden[0]!.report.verdict).toBe('unsafe');
    expect(hidden[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/"archive\/extra.pkl"\) belongs to no central directory entry/);
    expect(hidden.map((r) => `${r.uri} ${r.report.verdict}`)).toContain('hidden.pt!archive/extra.pkl (hidden) unsafe');
  });

  it('reads mutated archives without throwing', async () => {
    const rng = new Rng(2026_11_24);
    const seeds = ['model.pt', 'hidden.pt', 'zip64.pt', 'deflated.pt', 'duplicate.pt', 'bundle.npz'].map(file);
    const count = 300 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    for (let i = 0; i < count; i++) {
      const input = mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      for (const r of await auditFile(input, 'fuzz.pt', { policy: TORCH, maxMemberBytes: 1 << 20 })) {
        expect(['safe', 'unsafe', 'malformed']).toContain(r.report.verdict);
      }
    }
  });

  it('reads the legacy torch format: five pickles, then raw storage bytes', async () => {
    expect(await verdicts('legacy.pt', { policy: TORCH })).toEqual(['legacy.pt safe']);
    const r = (await auditFile(file('legacy.pt'), 'legacy.pt'))[0]!.report;
    expect(r.pickles).toHaveLength(5);
    expect(r.verdict).toBe('unsafe');
  });

  it('finds the pickle in numpy object arrays, alone and inside a compressed .npz', async () => {
    expect(await verdicts('objects.npy')).toEqual(['objects.npy unsafe']); // numpy's reconstructor is no default name
    const npy = (await auditFile(file('objects.npy'), 'objects.npy'))[0]!.report;
    expect(npy.globals.map((g) => g.qualname)).toContain('_reconstruct'); // numpy.core or numpy._core, by numpy version
    expect(npy.pickles[0]!.start).toBeGreaterThan(64); // offsets are in the .npy file, after its header
    expect(await verdicts('floats.npy')).toEqual(['floats.npy safe']);
    const npz = await verdicts('bundle.npz');
    expect(npz).toContain('bundle.npz!objects.npy unsafe');
  });

  const JOBLIB = createPolicy({
    packs: [shippedPack('python-stdlib')],
    register: {
      'joblib.numpy_pickle:NumpyArrayWrapper': { newObject: () => ({}), setState: () => undefined },
      'numpy:dtype': { call: () => ({}), setState: () => undefined },
      'numpy:ndarray': { call: () => ({}) },
    },
  });

  it('reads joblib files as joblib.load does: raw array data skipped, object arrays scanned', async () => {
    for (const name of ['arrays.joblib', 'unaligned.joblib', 'protocol2.joblib']) {
      const [r] = await auditFile(file(name), name, { policy: JOBLIB });
      expect(r!.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(r!.report.verdict).toBe('safe');
      expect(r!.report.findings[0]!.message).toMatch(/a joblib file/);
      const builds = r!.report.calls.filter((c) => c.opcode === 'BUILD' && c.callable === 'joblib.numpy_pickle.NumpyArrayWrapper');
      expect(builds).toHaveLength(10); // one array each: the scan went on after each array's data
    }
    expect(await verdicts('arrays.joblib.z', { policy: JOBLIB })).toEqual(['arrays.joblib.z!zlib safe']);
    // Under the default policy: unsafe (numpy and joblib names are not allowed), not malformed.
    expect(await verdicts('arrays.joblib')).toEqual(['arrays.joblib unsafe']);
    // The object array's own pickle is scanned: numpy's reconstructor is named in it.
    const [objects] = await auditFile(file('objects.joblib'), 'objects.joblib', { policy: JOBLIB });
    expect(objects!.report.pickles.length).toBe(2);
    expect(objects!.report.verdict).toBe('unsafe');
    const reconstruct = objects!.report.globals.find((g) => g.qualname === '_reconstruct')!;
    expect(objects!.report.findings.map((f) => f.name)).toContain(`${reconstruct.module}._reconstruct`);
  });

  it('finds payloads in joblib files read either way, and fails closed on ones it cannot size', async () => {
    // pickle.load of this file would run os.system from the "array data"; the finding says so.
    const [hidden] = await auditFile(file('raw_hides_call.joblib'), 'x', { policy: JOBLIB });
    expect(hidden!.report.verdict).toBe('unsafe');
    const system = hidden!.report.findings.find((f) => f.name === 'os.system');
    expect(system?.message).toMatch(/read as pickle\.load reads it/);
    // joblib.load would run os.system after array data made of STOP bytes.
    const [after] = await auditFile(file('call_after_array.joblib'), 'x', { policy: JOBLIB });
    expect(after!.report.verdict).toBe('unsafe');
    expect(after!.report.findings.find((f) => f.rule === 'PG001')?.message).not.toMatch(/pickle\.load/);
    const [short] = await auditFile(file('short.joblib'), 'x', { policy: JOBLIB });
    expect(short!.report.verdict).toBe('malformed');
    expect(short!.report.findings.map((f) => f.message).join('\n')).toMatch(/run past the end of the file/);
    const [framed] = await auditFile(file('framed.joblib'), 'x', { policy: JOBLIB });
    expect(framed!.report.verdict).toBe('malformed');
    expect(framed!.report.findings.map((f) => f.message).join('\n')).toMatch(/not at the end of a frame/);
  });

  it('audits mutated joblib files without throwing, and never calls a cut-short one safe', async () => {
    const rng = new Rng(2026_11_23);
    const seeds = ['arrays.joblib', 'unaligned.joblib', 'protocol2.joblib', 'objects.joblib', 'call_after_array.joblib'].map(file);
    const count = 1500 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    for (let i = 0; i < count; i++) {
      const input = mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      const r = audit(input, { policy: JOBLIB, joblib: true });
      expect(['safe', 'unsafe', 'malformed']).toContain(r.verdict);
    }
    for (const seed of seeds) {
      for (let cut = 1; cut < seed.length; cut += 7) {
        expect(audit(seed.subarray(0, cut), { policy: JOBLIB, joblib: true }).verdict).toBe('malformed');
      }
    }
  });

  it('opens gzip and zlib streams, and stops a decompression bomb', async () => {
    expect(await verdicts('state.pkl.gz')).toEqual(['state.pkl.gz!gzip safe']);
    expect(await verdicts('evil.pkl.zlib')).toEqual(['evil.pkl.zlib!zlib unsafe']);
    const bomb = await auditFile(file('bomb.gz'), 'bomb.gz', { maxMemberBytes: 1 << 20 });
    expect(bomb[0]!.report.verdict).toBe('malformed');
    expect(bomb[0]!.report.findings[0]!.message).toMatch(/more than 1048576 bytes/);
    await expect(decompress(Uint8Array.of(1, 2, 3), 'gzip', 100)).rejects.toThrow();
  });
});
