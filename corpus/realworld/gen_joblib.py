#!/usr/bin/env python3
# interpreters: /usr/bin/python3 trixie sid
"""Writes corpus/realworld/joblib/<joblib version>/: files written by the real joblib.dump.

Each NAME.joblib (or NAME.joblib.<ext>) has NAME.json: {"joblib": version, "numpy": version,
"protocol": P, "compress": repr of the compress argument, "value": <described.py form>} for files
loadJoblib reads, or {"error": "MalformedPickleError", "names": "<format>"} for compressions it
names and does not read. Arrays of many dtypes, object arrays, dicts of arrays and a fitted
estimator; protocols 0, 2, 4 and 5; every compressor joblib has here (lz4 only when installed);
a stream without tell() (no alignment padding). Deterministic: gzip's timestamp is fixed.
"""
import gzip
import io
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from described import describe  # noqa: E402

try:
    import joblib
    import numpy as np
except ImportError as e:
    print(f'gen_joblib.py: skipped: {e}')
    sys.exit(0)


class FixedTime:
    """gzip writes time.time() into its header: a fixed one keeps the output the same run to run."""
    @staticmethod
    def time():
        return 1700000000.0


gzip.time = FixedTime


def arrays():
    """Arrays of the dtypes people save, in C, Fortran, 0-d and empty shapes, big-endian too."""
    return {
        'f8': np.linspace(-1.5, 2.5, 9),
        'f4_fortran': np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 7),
        'f2': np.array([0.5, -2.0, np.inf], dtype=np.float16),
        'i1': np.array([-128, 0, 127], dtype=np.int8),
        'i4_2d': np.arange(-6, 6, dtype=np.int32).reshape(3, 4),
        'i8': np.array([-2 ** 63, 0, 2 ** 63 - 1], dtype=np.int64),
        'u1': np.arange(250, 256, dtype=np.uint8),
        'u8': np.array([0, 2 ** 64 - 1], dtype=np.uint64),
        'bool': np.array([True, False, True]),
        'c16': np.array([1 + 2j, -0.5j]),
        'be_i4': np.array([1, -2, 3], dtype='>i4'),
        'be_f8': np.array([1.5, -0.0], dtype='>f8'),
        'str': np.array(['a', 'héllo', '日本']),
        'bytes': np.array([b'ab', b'\x00\xff']),
        'structured': np.array([(1, 2.5, b'x'), (-3, 0.0, b'yz')], dtype=[('a', '<i4'), ('b', '<f8'), ('c', 'S2')]),
        'zero_d': np.array(3.25),
        'empty': np.zeros((0, 3)),
        'datetime': np.array(['2024-01-02T03:04:05', 'NaT'], dtype='M8[s]'),
        'timedelta': np.array([1, -2, 'NaT'], dtype='m8[ms]'),
        'big': np.arange(5000, dtype=np.float64) * 0.25,
    }


def objects():
    a = np.empty(4, dtype=object)
    a[:] = [1, 'two', None, [3, 4.5]]
    return {'objects': a, 'nested': [np.arange(3), {'k': np.ones(2, dtype=np.int16)}], 'text': 'plain', 'n': 7}


def estimator():
    try:
        from sklearn.linear_model import LinearRegression
    except ImportError:
        return None
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.0], [3.0, 1.0]])
    return LinearRegression().fit(X, X @ np.array([1.5, -2.0]) + 0.25)


class NoTell:
    """A stream joblib cannot ask its position: it then writes no alignment padding."""
    def __init__(self):
        self.buf = io.BytesIO()

    def write(self, b):
        return self.buf.write(b)

    def tell(self):
        raise io.UnsupportedOperation('tell')


def main():
    out = os.path.join(HERE, 'joblib', joblib.__version__)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    written = []

    def write(name, value, protocol=4, compress=0, ext='', error=None):
        path = os.path.join(out, name + '.joblib' + ext)
        joblib.dump(value, path, compress=compress, protocol=protocol)
        meta = {'joblib': joblib.__version__, 'numpy': np.__version__, 'protocol': protocol, 'compress': repr(compress)}
        if error is None:
            # The value joblib.load gives back, described (the file is ours: loading it is safe).
            meta['value'] = describe(joblib.load(path), protocol)
        else:
            meta['error'] = 'MalformedPickleError'
            meta['names'] = error
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1, sort_keys=True, ensure_ascii=True)
            f.write('\n')
        written.append(name)

    for p in (0, 2, 4, 5):
        write(f'arrays.p{p}', arrays(), protocol=p)
    write('objects.p4', objects())
    write('objects.p2', objects(), protocol=2)
    est = estimator()
    if est is not None:
        write('estimator.p4', est)
        write('estimator.zlib', est, compress=3)
    small = {k: v for k, v in arrays().items() if k != 'big'}
    write('zlib3', small, compress=3)
    write('zlib9', small, compress=9)
    write('compress_true', small, compress=True)
    write('zlib_tuple', small, compress=('zlib', 1))
    write('gzip', small, compress=('gzip', 3))
    write('by_extension', small, compress=0, ext='.gz')  # joblib infers gzip from the name
    write('by_extension_z', small, compress=0, ext='.z')
    for method in ('bz2', 'lzma', 'xz'):
        write(method, small, compress=(method, 3), error=method)
    try:
        import lz4  # noqa: F401
        write('lz4', small, compress=('lz4', 3), error='lz4')
    except ImportError:
        print('gen_joblib.py: lz4 not installed: no lz4 file')
    s = NoTell()
    joblib.dump(small, s, protocol=4)
    with open(os.path.join(out, 'no_tell.joblib'), 'wb') as f:
        f.write(s.buf.getvalue())
    with open(os.path.join(out, 'no_tell.json'), 'w') as f:
        value = joblib.load(io.BytesIO(s.buf.getvalue()))
        json.dump({'joblib': joblib.__version__, 'numpy': np.__version__, 'protocol': 4, 'compress': '0', 'value': describe(value, 4)}, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'gen_joblib.py: wrote {len(written) + 1} files under {os.path.relpath(out, HERE)}')


if __name__ == '__main__':
    main()
