/**
 * Containers: PyTorch zip checkpoints (ZIP64 too) and the legacy format, numpy .npy/.npz, gzip and
 * zlib, and the zip tricks that make readers disagree. Fixtures are written by python3 (zipfile,
 * numpy, gzip); the torch layout is written by hand, since torch is not installed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditFile, decompress } from '../src/containers/open.js';
import { createPolicy } from '../src/index.js';
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

# Legacy torch.save: magic, protocol version, sys info, the object, storage keys, raw storage data.
legacy = b''.join(pickle.dumps(x, 2) for x in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True}))
legacy += tensor_pickle() + pickle.dumps(['0'], 2) + struct.pack('<q', 4) + struct.pack('<4f', 1, 2, 3, 4)
w('legacy.pt', legacy)

# numpy: an object array (.npy with a pickle), a plain array, an .npz of both, compressed.
np.save(os.path.join(d, 'objects.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save(os.path.join(d, 'floats.npy'), np.arange(4.0))
np.savez_compressed(os.path.join(d, 'bundle.npz'), objects=np.array([1, 'x'], dtype=object), floats=np.arange(3.0))

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

  it('opens gzip and zlib streams, and stops a decompression bomb', async () => {
    expect(await verdicts('state.pkl.gz')).toEqual(['state.pkl.gz!gzip safe']);
    expect(await verdicts('evil.pkl.zlib')).toEqual(['evil.pkl.zlib!zlib unsafe']);
    const bomb = await auditFile(file('bomb.gz'), 'bomb.gz', { maxMemberBytes: 1 << 20 });
    expect(bomb[0]!.report.verdict).toBe('malformed');
    expect(bomb[0]!.report.findings[0]!.message).toMatch(/more than 1048576 bytes/);
    await expect(decompress(Uint8Array.of(1, 2, 3), 'gzip', 100)).rejects.toThrow();
  });
});
