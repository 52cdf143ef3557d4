#!/usr/bin/env python3
"""Which pickles Python's own readers hand to pickle.load, for test/containers-proof.test.ts.

For each file given, prints JSON lines {"file", "part", "sha256"}: the bytes of every pickle that
zipfile (the members torch.load and numpy.load unpickle), tarfile (torch's legacy tar members),
numpy.lib.format (the pickle after an object dtype's header), gzip/zlib/bz2/lzma, torch's legacy
stream (five pickles) and a plain pickle.load would read. Nothing is unpickled: a pickle's end is
found with pickletools.genops, and the few values the walk needs (counts, storage types) are read
by an Unpickler whose find_class returns an inert stand-in and which refuses every call.
A line {"file", "skip": reason} says a file could not be followed; "broken": true marks a pickle
pickle.load would fail on part way (pickletools.dis refuses its marks, stack or memo, or its protocol
is past pickle.HIGHEST_PROTOCOL, or an Unpickler that runs nothing fails on it before its first
call), and "head" gives its first 32 bytes in hex. Usage: containers_oracle.py FILE...
"""
import bz2, gzip, hashlib, io, json, lzma, pickle, pickletools, re, struct, sys, tarfile, zipfile, zlib

try:
    from numpy.lib import _format_impl as npformat
except ImportError:  # numpy < 2
    from numpy.lib import format as npformat

ITEMSIZE = {'Double': 8, 'Float': 4, 'Half': 2, 'BFloat16': 2, 'Long': 8, 'Int': 4, 'Short': 2, 'Char': 1, 'Byte': 1, 'Bool': 1,
            'ComplexDouble': 16, 'ComplexFloat': 8, 'Untyped': 1}
out = []


def emit(file, part, data):
    line = {'file': file, 'part': part, 'sha256': hashlib.sha256(data).hexdigest()}
    try:  # pickletools.dis checks marks, the stack and the memo: a pickle it refuses, pickle.load refuses too
        pickletools.dis(data, out=io.StringIO())
        if any(op.name == 'PROTO' and arg > pickle.HIGHEST_PROTOCOL for op, arg, _ in pickletools.genops(data)):
            raise ValueError('unsupported pickle protocol')
        try:  # what dis does not check (an odd SETITEMS, say), up to the first call, with nothing run
            _pure(data)
        except pickle.UnpicklingError as e:
            if str(e) != 'a call':
                raise
    except Exception:
        line['broken'] = True
        line['head'] = data[:32].hex()  # what the auditor must have read, up to where it breaks
    out.append(line)
    return 'broken' in line


class Broken(Exception):
    """pickle.load fails on this pickle: the reader stops, nothing after it is loaded."""


def first_pickle(data):
    """The bytes pickle.load reads: up to the first STOP, found without running anything."""
    f = io.BytesIO(data)
    for op, _, pos in pickletools.genops(f):
        pass
    return data[:f.tell()]


class Name:
    def __init__(self, module, name):
        self.module, self.name = module, name


def _pure(data):
    """The value of a data-only pickle: globals come back as Name stand-ins, calls are refused."""
    class P(pickle._Unpickler):
        def find_class(self, module, name):
            return Name(module, name)

        def persistent_load(self, pid):
            return pid

        def load_reduce(self):
            raise pickle.UnpicklingError('a call')
        dispatch = dict(pickle._Unpickler.dispatch)
        for op in (pickle.REDUCE, pickle.BUILD, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ):
            dispatch[op[0]] = load_reduce
    return P(io.BytesIO(data)).load()


def walk(file, part, f, what):
    """Read the next pickle from stream f as pickle.load would; emit it; return its bytes."""
    start = f.tell()
    rest = f.read()
    p = first_pickle(rest)
    f.seek(start + len(p))
    if emit(file, f'{part}#{what}', p):
        raise Broken()
    return p


def npy(file, part, data):
    f = io.BytesIO(data)
    version = npformat.read_magic(f)
    npformat._check_version(version)
    shape, _, dtype = npformat._read_array_header(f, version, max_header_size=2**64)
    if dtype.hasobject:
        emit(file, part, first_pickle(data[f.tell():]))


def legacy_stream(file, part, data):
    f = io.BytesIO(data)
    # torch stops unless the first two hold its magic number and protocol version.
    if _pure(walk(file, part, f, 'magic number')) != 0x1950a86a20f9469cfc6c:
        return
    if _pure(walk(file, part, f, 'protocol version')) != 1001:
        return
    for what in ('sys_info', 'object', 'storage keys'):
        walk(file, part, f, what)


def legacy_tar(file, part, data):
    t = tarfile.open(fileobj=io.BytesIO(data), mode='r:')
    f = io.BytesIO(t.extractfile('storages').read())
    count = _pure(walk(file, part, f, 'storage count'))
    for i in range(count):
        key, location, storage_type = _pure(walk(file, part, f, f'storage {i}'))
        n, = struct.unpack('<q', f.read(8))
        f.read(n * ITEMSIZE[storage_type.name[:-len('Storage')]])
    walk(file, part, f, 'storage views')
    f = io.BytesIO(t.extractfile('tensors').read())
    count = _pure(walk(file, part, f, 'tensor count'))
    for i in range(count):
        walk(file, part, f, f'tensor {i}')
        ndim, = struct.unpack('<i', f.read(4))
        f.read(4 + 16 * ndim + 8)
    emit(file, f'{part}#pickle', first_pickle(t.extractfile('pickle').read()))


def anything(file, part, data, depth=0):
    if depth > 4:
        return
    if data[:2] == b'\x1f\x8b':
        return anything(file, f'{part}!gzip', gzip.decompress(data), depth + 1)
    if data[:1] == b'\x78':
        return anything(file, f'{part}!zlib', zlib.decompressobj().decompress(data), depth + 1)
    if data[:3] == b'BZh':
        return anything(file, f'{part}!bz2', bz2.decompress(data), depth + 1)
    if data[:6] == b'\xfd7zXZ\x00' or data[:3] == b'\x5d\x00\x00':
        return anything(file, f'{part}!lzma', lzma.decompress(data), depth + 1)
    if data[:6] == b'7z\xbc\xaf\x27\x1c':
        raise NotImplementedError('7z: Python has no reader for it')
    if data[:4] == b'PK\x03\x04':
        z = zipfile.ZipFile(io.BytesIO(data))
        for name in z.namelist():
            body = z.read(name)
            if re.fullmatch(r'(?:[^/]+/)?data\.pkl', name) or name.endswith('.pkl'):
                emit(file, f'{part}!{name}', first_pickle(body))
            elif body[:6] == b'\x93NUMPY':
                npy(file, f'{part}!{name}', body)
        return
    if data[:6] == b'\x93NUMPY':
        return npy(file, part, data)
    try:
        is_tar = tarfile.open(fileobj=io.BytesIO(data), mode='r:') is not None
    except tarfile.TarError:
        is_tar = False
    if is_tar:
        names = tarfile.open(fileobj=io.BytesIO(data), mode='r:').getnames()
        if 'pickle' in names:
            legacy_tar(file, part, data)
        try:
            emit(file, f'{part} (read as a pickle)', first_pickle(data))  # torch reads a stream that is no file as a pickle
        except Exception:
            pass
        return
    if data[:14] == b'\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19':
        return legacy_stream(file, part, data)
    emit(file, part, first_pickle(data))


for path in sys.argv[1:]:
    name = path.rsplit('/', 1)[-1]
    try:
        anything(name, name, open(path, 'rb').read())
    except Broken:
        pass
    except Exception as e:  # a file Python's readers refuse: nothing of it reaches pickle.load
        out.append({'file': name, 'skip': f'{type(e).__name__}: {str(e)[:80]}'})
for line in out:
    print(json.dumps(line))
