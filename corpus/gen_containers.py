#!/usr/bin/env python3
"""Writes corpus/containers/: what holds pickles, for the auditor's container readers (src/containers/).

PyTorch zip checkpoints (stored, deflated, ZIP64) and the legacy format, numpy .npy/.npz, joblib
files, gzip and zlib streams, and the tricks that make readers disagree (duplicate names, a local
header naming another member, a member only a streaming reader sees, a decompression bomb). torch
and joblib are not needed: their layouts are written by hand, byte for byte as they write them;
the joblib files are read back by a reader that does what joblib.load does, to check the layout.
Deterministic: zip timestamps and gzip mtimes are fixed. Run: python3 corpus/gen_containers.py
"""
import gzip, io, os, pickle, shutil, struct, sys, time, zipfile, zlib
import numpy as np

# Fixed zip timestamps (zipfile and numpy's savez take the current time).
time.time = lambda: 315532800.0
os.environ['TZ'] = 'UTC'
time.tzset()

d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'containers')
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d)
def w(name, data):
    open(os.path.join(d, name), 'wb').write(data)

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


# ---- Hostile containers (issue 11): readers that disagree, and wrappers that hide a pickle. ----
# The payload is assembled opcode by opcode (nothing callable is ever pickled): os.system('id').
import bz2, hashlib, lzma, tarfile
EVIL = b'\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.'
BENIGN = b'\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s.'

def local_header(name, data, method=0):
    return struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0x21, zlib.crc32(data), len(data), len(data), len(name), 0) + name
def central_entry(name, data, offset, method=0):
    return struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0x21, zlib.crc32(data), len(data), len(data),
                       len(name), 0, 0, 0, 0, 0, offset) + name
def two_directories(members_a, members_b):
    """Members of reading A (the plain end record's directory) and B (the ZIP64 end record's): zipfile reads B."""
    out = b''
    entries = {'a': b'', 'b': b''}
    counts = {'a': 0, 'b': 0}
    placed = {}
    for which, members in (('a', members_a), ('b', members_b)):
        for name, data in members:
            if (name, data) not in placed:
                placed[(name, data)] = len(out)
                out += local_header(name, data) + data
            entries[which] += central_entry(name, data, placed[(name, data)])
            counts[which] += 1
    cd_a = len(out); out += entries['a']
    cd_b = len(out); out += entries['b']
    record = len(out)
    out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, counts['b'], counts['b'], len(entries['b']), cd_b)
    out += struct.pack('<IIQI', 0x07064b50, 0, record, 1)
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, counts['a'], counts['a'], len(entries['a']), cd_a, 0)
    return out
ckpt = lambda pkl: [(b'archive/data.pkl', pkl), (b'archive/byteorder', b'little'), (b'archive/version', b'3\n')]
data = two_directories(ckpt(BENIGN), ckpt(EVIL))
assert zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl') == EVIL  # zipfile follows the ZIP64 end record
w('two_directories.pt', data)
def npy_bytes(header, body):
    header = header.encode('latin1')
    header += b' ' * ((-(len(header) + 11)) % 64) + b'\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header + body
obj_npy = lambda pkl: npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pkl)
data = two_directories([(b'arr.npy', obj_npy(BENIGN))], [(b'arr.npy', obj_npy(EVIL))])
assert zipfile.ZipFile(io.BytesIO(data)).read('arr.npy').endswith(EVIL)
w('two_directories.npz', data)

# A second archive tail (directory and end record) in the bytes before the real directory; and a ZIP64
# locator that points at another ZIP64 end record than the one right before it (zipfile reads that one).
data = bytearray(open(os.path.join(d, 'model.pt'), 'rb').read())
eocd = data.rindex(b'PK\x05\x06')
cd = struct.unpack('<I', data[eocd + 16:eocd + 20])[0]
name = b'archive/data.pkl'
tail = local_header(name, EVIL) + EVIL
cd2 = cd + len(tail)
tail += central_entry(name, EVIL, cd)
tail += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(tail) - (cd2 - cd), cd2, 0)
data[cd:cd] = tail
data[eocd + len(tail) + 16:eocd + len(tail) + 20] = struct.pack('<I', cd + len(tail))
assert zipfile.ZipFile(io.BytesIO(bytes(data))).read('archive/data.pkl') == tensor_pickle()
w('stray_directory.pt', bytes(data))
def locator_elsewhere(members_a, members_b):
    out, dirs = b'', {}
    for which, members in (('a', members_a), ('b', members_b)):
        entries = b''
        for name, body in members:
            entries += central_entry(name, body, len(out))
            out += local_header(name, body) + body
        dirs[which] = (entries, len(members))
    records = {}
    for which in ('a', 'b'):
        entries, count = dirs[which]
        start = len(out)
        out += entries
        records[which] = len(out)
        out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, count, count, len(entries), start)
    out += struct.pack('<IIQI', 0x07064b50, 0, records['a'], 1)
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    return out
data = locator_elsewhere([(b'archive/data.pkl', EVIL)], ckpt(BENIGN))
assert zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl') == BENIGN
w('locator_elsewhere.pt', data)

# Storage bytes that happen to start like a zlib stream are raw data, not a container.
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    z.writestr('archive/data.pkl', tensor_pickle())
    z.writestr('archive/byteorder', 'little')
    z.writestr('archive/data/0', b'\x78\x9c' + bytes(14))
    z.writestr('archive/version', '3\n')
w('storage_like_zlib.pt', buf.getvalue())

# .npy headers whose object dtype a text match misses; numpy itself says each holds objects.
from numpy.lib import format as npformat
for name, header in [('structured_object.npy', "{'descr': [('a', '<i4'), ('b', [('c', '|O')])], 'fortran_order': False, 'shape': (1,), }"),
                     ('double_quoted.npy', '{"descr": "|O", "fortran_order": False, "shape": (1,), }'),
                     ('descr_O.npy', "{'descr': 'O', 'fortran_order': False, 'shape': (1,), }"),
                     ('subarray_object.npy', "{'descr': ('O', (2,)), 'fortran_order': False, 'shape': (1,), }")]:
    data = npy_bytes(header, EVIL)
    f = io.BytesIO(data)
    assert npformat.read_magic(f) == (1, 0) and npformat.read_array_header_1_0(f)[2].hasobject, name
    w(name, data)
w('bad_header.npy', npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), 'x': 1}", EVIL))

# Legacy torch tar whose first bytes are also a harmless pickle: its first member is named "(dp0\n.".
def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
legacy_members = [('sys_info', pickle.dumps({'protocol_version': 1001, 'little_endian': True}, 2)),
                  ('storages', pickle.dumps(0, 2) + pickle.dumps([], 2)), ('tensors', pickle.dumps(0, 2)), ('pickle', EVIL)]
w('legacy_tar.pt', tar_bytes(legacy_members))
data = tar_bytes([('(dp0\n.', b'')] + legacy_members)
assert pickle.loads(data[:6]) == {} and tarfile.open(fileobj=io.BytesIO(data)).getnames()[0] == '(dp0\n.'
w('tar_and_pickle.pt', data)

# A pax header renames the member "decoy" to "pickle": tarfile (and so torch) reads the payload under that name.
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
    for name, body in legacy_members[:3] + [('decoy', EVIL)]:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(body), 0, 0o644
        if name == 'decoy':
            info.pax_headers = {'path': 'pickle'}
        t.addfile(info, io.BytesIO(body))
data = buf.getvalue()
assert tarfile.open(fileobj=io.BytesIO(data)).extractfile('pickle').read() == EVIL
w('pax_renamed.pt', data)

# The legacy stream format with torch's own six-item persistent ids.
legacy = b''.join(pickle.dumps(x, 2) for x in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True}))
legacy += tensor_pickle().replace(b'((X\x07\x00\x00\x00storageq\x04', b'((X\x07\x00\x00\x00storageq\x04').replace(b'K\x04tq\x08Q', b'K\x04Ntq\x08Q')
legacy += pickle.dumps(['0'], 2) + struct.pack('<q', 4) + struct.pack('<4f', 1, 2, 3, 4)
w('legacy.pt', legacy)
w('legacy_evil.pt', legacy[:legacy.index(b'ctorch._utils')] + b'cos\nsystem\nX\x02\x00\x00\x00id\x85R0' + legacy[legacy.index(b'ctorch._utils'):])

# Wrappers: the payload compressed by what the platform cannot open, and streams with bytes after them.
w('evil.pkl.bz2', bz2.compress(EVIL))
w('evil.pkl.xz', lzma.compress(EVIL))
w('evil.pkl.lzma', lzma.compress(EVIL, format=lzma.FORMAT_ALONE))
w('evil.pkl.7z', b'7z\xbc\xaf\x27\x1c\x00\x04' + hashlib.sha256(EVIL).digest()[:24] + EVIL)  # a 7z signature header, then data
w('trailing.pkl.gz', gzip.compress(BENIGN, mtime=0) + b'PK junk after the stream')
w('members.pkl.gz', gzip.compress(BENIGN, mtime=0) + gzip.compress(EVIL, mtime=0))
w('trailing.pkl.zlib', zlib.compress(BENIGN) + EVIL)

print(f'corpus/containers: {len(os.listdir(d))} files (with the hostile set)')
