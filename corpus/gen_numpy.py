#!/usr/bin/env python3
"""Writes corpus/numpy/: numpy arrays, dtypes and scalars pickled by numpy at protocols 0-5.

Each value NAME gives NAME.pP.pkl (exactly pickle.dumps(value, P)) and NAME.pP.json:
{"protocol": P, "numpy": numpy.__version__, "value": <described value>}, where a value is described as

  {"ndarray": {"dtype": D, "shape": [...], "fortran": bool, "data": hex | null, "objects": [T] | null}}
      data: a.tobytes(order='A') (memory order); objects: the items of an object array in C order
  {"dtype": D}  with D = {"str": dt.str, "fields": [[name, D, offset], ...] | null, "subarray": [D, shape] | null}
  {"scalar": {"dtype": D, "data": hex}}
  {"list": [...]}
  T: corpus/README.md's typed JSON ({"int": "1"}, {"str": "x"}, null, {"list": [...]}, ...)

legacy_NAME.p0-2 files are the same pickles with numpy 1.x's module names (numpy.core.*): the
GLOBAL text is rewritten, which is what numpy 1.x writes for these values at those protocols.

Needs numpy 2.x (written with 2.4). Deterministic: run twice, same bytes.
"""
import hashlib
import json
import os
import pickle
import shutil
import sys

import numpy as np

from typed_json import NOT_SCALAR, scalar

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'numpy')

NUMERIC = ['?', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16',
           '>i2', '>i4', '>i8', '>u2', '>u4', '>u8', '>f2', '>f4', '>f8', '>c8', '>c16']


def filled(dtype, n):
    """n items of dtype from a fixed byte pattern, with a few special values for floats."""
    dt = np.dtype(dtype)
    if dt.kind == 'b':
        return np.array([(i * 7) % 3 == 0 for i in range(n)], dtype=dt)
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        vals = [info.min, info.max, 0, 1, -1 if dt.kind == 'i' else 2] + [(i * 2654435761) % (info.max + 1) for i in range(n)]
        return np.array(vals[:n], dtype=dt)
    if dt.kind == 'f':
        vals = [0.5, -0.0, float('inf'), float('nan'), -1.25e-3, 3.0e4, 1.0 / 3.0] + [i * 1.5 - 7 for i in range(n)]
        return np.array(vals[:n], dtype=dt)
    if dt.kind == 'c':
        vals = [complex(1, -2), complex(0, float('inf')), complex(-0.0, 0.5)] + [complex(i, -i / 4) for i in range(n)]
        return np.array(vals[:n], dtype=dt)
    if dt.kind == 'U':
        words = ['', 'a', 'héllo', '日本', '\U0001f600x', 'tab\tnl\n', 'zzzzzzzz']
        return np.array([words[i % len(words)] for i in range(n)], dtype=dt)
    if dt.kind == 'S':
        words = [b'', b'a', b'\x00\xffz', b'abcdef', b'\x80']
        return np.array([words[i % len(words)] for i in range(n)], dtype=dt)
    raise ValueError(dtype)


def shapes_of(dtype):
    """0-d, empty, 1-d, 2-d C order, 2-d Fortran order, 3-d with a zero dimension, 4-d."""
    a1 = filled(dtype, 7)
    a6 = filled(dtype, 6)
    return [
        filled(dtype, 1).reshape(()),
        filled(dtype, 0),
        a1,
        a6.reshape(2, 3),
        np.asfortranarray(a6.reshape(3, 2)),
        filled(dtype, 0).reshape(2, 0, 3),
        np.asfortranarray(filled(dtype, 24).reshape(1, 2, 3, 4)),
    ]


def objects(n):
    items = [1, 'two', None, [3, 4.5], {'k': (1, 2)}, b'\x00b', True, -2 ** 70, 1.5]
    a = np.empty(n, dtype=object)
    for i in range(n):
        a[i] = items[i % len(items)]
    return a


def values():
    for d in NUMERIC:
        name = d.replace('>', 'be_').replace('?', 'bool')
        yield 'arrays_' + name, shapes_of(d)
        yield 'array_' + name, filled(d, 5)
    for d in ['U1', 'U5', '>U3', 'S1', 'S6']:
        name = d.replace('>', 'be_')
        yield 'arrays_' + name, shapes_of(d)
    yield 'object_1d', objects(9)
    yield 'object_2d_fortran', np.asfortranarray(objects(6).reshape(2, 3))
    yield 'object_0d', objects(1).reshape(())
    yield 'object_empty', objects(0).reshape(0, 4)
    yield 'object_nested_array', np.array([np.arange(3), None], dtype=object)
    yield 'void', np.frombuffer(bytes(range(24)), dtype='V8')
    s = np.dtype([('a', '<i4'), ('b', '>f8', (2,)), ('c', 'S3'), ('d', '?')])
    yield 'structured', np.array([(1, (2.5, -1), b'xy', True), (-7, (0, 1e300), b'', False)], dtype=s)
    yield 'structured_aligned', np.zeros(3, dtype=np.dtype([('x', 'u1'), ('y', '<f8')], align=True))
    yield 'structured_nested', np.ones(2, dtype=[('p', [('x', '<f4'), ('y', '<f4')]), ('n', '<i2')])
    yield 'structured_titles', np.zeros(2, dtype=np.dtype({'names': ['a', 'b'], 'formats': ['<i4', '<u2'], 'titles': ['Alpha', 'Beta']}))
    yield 'structured_object', np.array([(1, 'x'), (2, None)], dtype=[('n', '<i8'), ('o', 'O')])
    yield 'readonly', (lambda a: (a.setflags(write=False), a)[1])(np.arange(4.0))
    yield 'dtypes', [np.dtype(d) for d in NUMERIC + ['U7', 'S3', 'O', 'V5']] + [s]
    yield 'scalars', [np.float64(1.5), np.float32(-2.25), np.float16(0.1), np.int8(-3), np.uint64(2 ** 64 - 1),
                      np.int64(-2 ** 63), np.bool_(True), np.complex64(1 - 2j), np.complex128(complex(3, 4)),
                      np.str_('héllo'), np.bytes_(b'x\x00y'), np.void(b'\x01\x02\x03')]
    yield 'shared_dtype', [np.arange(3), np.arange(4), np.zeros((2, 2))]
    yield 'big', np.arange(20000, dtype='<i4')  # 80,000 bytes: a payload outside protocol 4's 64 KiB frames


def describe_dtype(dt):
    fields = None
    if dt.names is not None:
        fields = [[n, describe_dtype(dt.fields[n][0]), dt.fields[n][1]] for n in dt.names]
    sub = None
    if dt.subdtype is not None:
        sub = [describe_dtype(dt.subdtype[0]), list(dt.subdtype[1])]
    return {'str': dt.str, 'fields': fields, 'subarray': sub}


def typed(v):
    s = scalar(v)
    if s is not NOT_SCALAR:
        return s
    t = type(v)
    if t is list or t is tuple:
        return {t.__name__: [typed(x) for x in v]}
    if t is dict:
        return {'dict': [[typed(k), typed(x)] for k, x in v.items()]}
    return describe(v)


def describe(v):
    if isinstance(v, np.ndarray):
        fortran = bool(v.flags.f_contiguous and not v.flags.c_contiguous)
        if v.dtype.hasobject:
            return {'ndarray': {'dtype': describe_dtype(v.dtype), 'shape': list(v.shape), 'fortran': fortran, 'data': None,
                                'objects': [typed(x.item()) if isinstance(x, np.void) else typed(x) for x in v.flat]}}
        raw = v.tobytes(order='A')
        # Large data is described by its digest, to keep the corpus small.
        data = raw.hex() if len(raw) <= 4096 else 'sha256:' + hashlib.sha256(raw).hexdigest()
        return {'ndarray': {'dtype': describe_dtype(v.dtype), 'shape': list(v.shape), 'fortran': fortran, 'data': data, 'objects': None}}
    if isinstance(v, np.dtype):
        return {'dtype': describe_dtype(v)}
    if isinstance(v, np.generic):
        return {'scalar': {'dtype': describe_dtype(v.dtype), 'data': v.tobytes().hex()}}
    if isinstance(v, list):
        return {'list': [describe(x) for x in v]}
    raise TypeError(type(v))


def write(name, p, data, value):
    base = os.path.join(OUT, '%s.p%d' % (name, p))
    with open(base + '.pkl', 'wb') as f:
        f.write(data)
    with open(base + '.json', 'w', encoding='utf-8') as f:
        json.dump({'protocol': p, 'numpy': np.__version__, 'value': describe(value)}, f, ensure_ascii=False, sort_keys=True)
        f.write('\n')


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    count = 0
    for name, value in values():
        for p in range(6):
            data = pickle.dumps(value, p)
            write(name, p, data, value)
            count += 1
            if p <= 2 and name in ('arrays_f8', 'arrays_be_i4', 'object_1d', 'structured', 'scalars', 'dtypes'):
                legacy = data.replace(b'numpy._core.', b'numpy.core.')
                assert legacy != data or name == 'dtypes'
                write('legacy_' + name, p, legacy, value)
                count += 1
    print('corpus/numpy: %d pickles (numpy %s)' % (count, np.__version__))


if __name__ == '__main__':
    sys.exit(main())
