#!/usr/bin/env python3
# interpreters: /usr/bin/python3 python3 trixie
"""Writes corpus/realworld/numpy/<numpy version>/: values pickled by the installed numpy itself.

Run under each interpreter named above (corpus/realworld/generate.py does): Debian's python3 has
numpy 1.x, the python3 on PATH numpy 2.x. Skips (exit 0) when numpy is not installed.

Each value NAME gives, for protocols 2, 4 and 5 in band, NAME.pP.pkl (exactly pickle.dumps(value, P)),
and for protocol 5 out of band NAME.p5oob.pkl (pickle.dumps(value, 5, buffer_callback=...)) with its
buffers beside it as NAME.p5oob.K.buf (K = 0, 1, ..., raw bytes in the order the pickle asks for them).
NAME.pP.json / NAME.p5oob.json hold:

  {"numpy": version, "python": version, "protocol": P, "value": V,
   "buffers": ["NAME.p5oob.0.buf", ...], "buffers_writable": [bool, ...]}   (the last two out of band only)

(a writable buffer is what pickle.loads(buffers=) gets as a bytearray, a read-only one as bytes).

V is corpus/README.md's typed JSON ({"int": "1"}, {"str": "x"}, {"list": [...]}, {"dict": [[k, v], ...]},
{"complex": [re, im]}, ...) with these numpy forms:

  {"ndarray": {"dtype": D, "shape": [...], "layout": "C" | "F" | [axis order], "data": hex | "sha256:<hex>" | null,
               "objects": [V, ...] | null}}
      layout: how the pickle lays the data out: C or Fortran order, or (numpy 2, protocol 5) a C-ordered
      buffer transposed by the axis order; data: the items in C (row-major) order, a.tobytes('C'), as a
      sha256 digest when over 64 KiB; objects: the items of an object array in C order
  {"masked": {"array": <ndarray form of the data>, "mask": hex (C order, one byte per item or per leaf field),
              "fill_value": <ndarray form of the 0-d fill value> | null}}
  {"scalar": {"dtype": D, "data": hex}}      a numpy scalar's bytes
  {"dtype": D}                                 D = {"str": dt.str, "fields": [[name, D, offset], ...] | null,
                                                    "subarray": [D, shape] | null}

Deterministic: run twice, same bytes.
"""
import hashlib
import json
import os
import pickle
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

try:
    import numpy as np
except ImportError:
    print('gen_numpy.py: skipped under %s: numpy is not installed' % sys.executable)
    sys.exit(0)

from typed_json import NOT_SCALAR, scalar  # noqa: E402

OUT = os.path.join(HERE, 'numpy', np.__version__)
DIGEST_OVER = 64 * 1024
NUMERIC = ['?', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'g', 'c8', 'c16', 'G']
UNITS = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as']


def filled(dtype, n):
    """n items of dtype, special values first (long doubles start zeroed, so their padding bytes are too)."""
    dt = np.dtype(dtype)
    if dt.kind == 'b':
        return np.array([(i * 7) % 3 == 0 for i in range(n)], dtype=dt)
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        vals = [info.min, info.max, 0, 1, -1 if dt.kind == 'i' else 2] + [(i * 2654435761) % (info.max + 1) for i in range(n)]
        return np.array(vals[:n], dtype=dt)
    out = np.zeros(n, dtype=dt)
    if dt.kind == 'f':
        out[:] = ([0.5, -0.0, float('inf'), float('nan'), -1.25e-3, 3.0e4, 1.0 / 3.0] + [i * 1.5 - 7 for i in range(n)])[:n]
    elif dt.kind == 'c':
        out[:] = ([complex(1, -2), complex(0, float('inf')), complex(-0.0, 0.5), complex(float('nan'), 1)] + [complex(i, -i / 4) for i in range(n)])[:n]
    else:
        raise ValueError(dtype)
    return clean(out)


def clean(a):
    """Zeroes the padding numpy leaves uninitialised in x87 long doubles (10 bytes in 16), so the output repeats."""
    if a.dtype.kind in 'fc' and a.dtype.itemsize // (2 if a.dtype.kind == 'c' else 1) == 16 and np.finfo(np.longdouble).nmant == 63:
        u = a.view('u1').reshape(-1, 16)
        if a.dtype.byteorder == '>':
            u[:, :6] = 0
        else:
            u[:, 10:] = 0
    return a


def records(dtype, rows):
    """A structured array made zeroed and filled row by row, so padding between fields is zero, not leftover memory."""
    a = np.zeros(len(rows), dtype=dtype)
    for i, row in enumerate(rows):
        a[i] = row
    return a


def times(kind, unit, n=6):
    """n datetime64/timedelta64 values of a unit, NaT among them (generic datetimes can only be NaT)."""
    dt = np.dtype('%s8[%s]' % (kind, unit)) if unit else np.dtype(kind + '8')
    if kind == 'M' and not unit:
        return np.array(['NaT'] * n, dtype=dt)
    vals = [0, 1, -1, -2 ** 63, 2 ** 62, 1234567890123]
    return np.array(vals[:n], dtype='<i8').view(dt)


def objects():
    a = np.empty(11, dtype=object)
    for i, x in enumerate([1, 'two', None, [3, 4.5], {'k': (1, 2)}, b'\x00b', True, -2 ** 70, 1.5, complex(1, -1), np.arange(3)]):
        a[i] = x
    return a


def readonly(a):
    a.setflags(write=False)
    return a


def masked_examples():
    s = np.ma.masked_array(['ab', 'c', 'def'], mask=[0, 1, 0])
    s.fill_value  # numpy makes the default fill value on first use: then it is pickled too
    return {
        'masked_float': np.ma.masked_array([1.5, 2.0, float('nan'), 4.0], mask=[0, 1, 0, 0]),
        'masked_int_fortran_fill': np.ma.masked_array(np.asfortranarray(np.arange(6, dtype='>i2').reshape(2, 3)), mask=[[0, 1, 0], [1, 0, 0]], fill_value=7),
        'masked_struct': np.ma.masked_array(np.array([(1, (2.0, [3, 4])), (5, (6.0, [7, 8]))], dtype=[('a', '<i4'), ('b', [('x', '<f4'), ('y', 'u1', (2,))])]),
                                            mask=[(0, (1, (0, 1))), (1, (0, (0, 0)))]),
        'masked_str': s,
        'masked_object': np.ma.masked_array(np.array([1, None, 'x'], dtype=object), mask=[0, 1, 0]),
        'masked_datetime': np.ma.masked_array(np.array(['2020-01-01T00:00:00', 'NaT', '1969-12-31T23:59:59'], dtype='M8[s]'), mask=[1, 0, 0]),
        'masked_nomask': np.ma.masked_array(np.arange(4, dtype='u4')),
        'masked_0d': np.ma.masked_array(5.0, mask=True),
        'masked_empty': np.ma.masked_array(np.zeros((2, 0), dtype='f4')),
    }


def values():
    """(name, value, protocols): the fixtures; protocols None means 2, 4, 5 and 5 out of band."""
    for d in NUMERIC:
        name = {'?': 'bool', 'g': 'longdouble', 'G': 'clongdouble'}.get(d, d)
        yield 'num_' + name, filled(d, 6), None
        if np.dtype(d).itemsize > 1:
            yield 'num_be_' + name, clean(filled(d, 6).astype(np.dtype(d).newbyteorder('>'))), None
    for kind in 'Mm':
        for unit in UNITS + ['']:
            yield 'time_%s_%s' % (kind, unit or 'generic'), times(kind, unit), None
        yield 'time_%s_10ms' % kind, times(kind, '10ms'), None
        yield 'time_%s_3W' % kind, times(kind, '3W'), None
        yield 'time_%s_be_ns' % kind, times(kind, 'ns').astype('>%s8[ns]' % kind), None
        yield 'time_%s_2d_fortran' % kind, np.asfortranarray(times(kind, 'us').reshape(2, 3)), None
    yield 'time_scalars', [np.datetime64('2020-02-29T12:34:56.789', 'ms'), np.datetime64('NaT', 'ns'), np.datetime64('1677-09-22', 'D'),
                           np.datetime64('2262-04-11T23:47:16.854775807', 'ns'), np.datetime64(-5, 'Y'), np.datetime64('NaT'),
                           np.timedelta64(90, 'm'), np.timedelta64('NaT', 's'), np.timedelta64(7), np.timedelta64(3, '10ms'),
                           np.timedelta64(-2 ** 63 + 1, 'as')], None
    for d in ['U1', 'U5', '>U3', 'S1', 'S6', 'V4']:
        name = d.replace('>', 'be_')
        if 'U' in d:
            words = ['', 'a', 'héllo', '日本', '\U0001f600x', 'tab\tnl\n']
        elif 'S' in d:
            words = [b'', b'a', b'\x00\xffz', b'abcdef', b'\x80', b'zz']
        else:
            words = [bytes([i, 255 - i, 0, i * 3 % 256]) for i in range(6)]
        yield 'text_' + name, np.array(words, dtype=d), None
    if hasattr(np, 'dtypes') and hasattr(np.dtypes, 'StringDType'):  # numpy 2's variable-width strings
        words = ['', 'a', 'héllo', '\U0001f600' * 20]
        yield 'text_T', np.array(words, dtype=np.dtypes.StringDType()), None
        yield 'text_T_nocoerce', np.array(words, dtype=np.dtypes.StringDType(coerce=False)), None
        yield 'text_T_na_none', np.array(words + [None], dtype=np.dtypes.StringDType(na_object=None)), None
        yield 'text_T_na_nan', np.array(words + [float('nan')], dtype=np.dtypes.StringDType(na_object=float('nan'))).reshape(1, 5), None
    nested = np.dtype([('a', '<i4'), ('b', '>f8', (2,)), ('c', 'S3'), ('d', '?'), ('e', [('x', '<f4'), ('y', '<u2', (2, 2))])])
    yield 'struct_nested', np.array([(1, (2.5, -1), b'xy', True, (0.5, [[1, 2], [3, 4]])), (-7, (0, 1e300), b'', False, (-1, [[5, 6], [7, 8]]))], dtype=nested), None
    yield 'struct_aligned', records(np.dtype([('x', 'u1'), ('y', '<f8')], align=True), [(1, 2.0), (3, 4.0)]), None
    yield 'struct_titles', np.array([(1, 2), (3, 4)], dtype=np.dtype({'names': ['a', 'b'], 'formats': ['<i4', '<u2'], 'titles': ['Alpha', 'Beta']})), None
    yield 'struct_offsets', np.array([(1, 2), (3, 4)], dtype=np.dtype({'names': ['a', 'b'], 'formats': ['<i4', '<i4'], 'offsets': [4, 0]})), None
    yield 'struct_padded', records(np.dtype({'names': ['a', 'b'], 'formats': ['<i4', '<i2'], 'offsets': [0, 8], 'itemsize': 16}), [(1, 2)]), None
    yield 'struct_datetime', np.array([('2020-01-01', 1), ('NaT', 2)], dtype=[('t', 'M8[ns]'), ('n', '<i2')]), None
    yield 'struct_object', np.array([(1, 'x'), (2, None)], dtype=[('n', '<i8'), ('o', 'O')]), None
    yield 'struct_subarray_2d', np.zeros((2, 2), dtype=[('m', '<f4', (3,))]), None
    yield 'struct_scalar', np.array([(1, (2.5, -1), b'xy', True, (0.5, [[1, 2], [3, 4]]))], dtype=nested)[0], None
    yield 'object_mixed', objects(), None
    yield 'object_2d_fortran', np.asfortranarray(objects()[:6].reshape(2, 3)), None
    yield 'object_0d', objects()[:1].reshape(()), None
    yield 'object_empty', objects()[:0].reshape(0, 4), None
    yield 'shape_0d', np.array(2.5), None
    yield 'shape_empty', np.zeros(0, dtype='<i4'), None
    yield 'shape_empty_3d', np.zeros((2, 0, 3), dtype='<f8'), None
    yield 'shape_4d', np.arange(24, dtype='<i2').reshape(1, 2, 3, 4), None
    base = np.arange(60, dtype='<i4').reshape(3, 4, 5)
    yield 'layout_fortran', np.asfortranarray(base), None
    yield 'layout_fortran_be', np.asfortranarray(base.astype('>f8')), None
    yield 'layout_transposed', base.transpose(1, 0, 2), None
    yield 'layout_transposed_f2', base.astype('<f2').transpose(2, 0, 1), None
    yield 'layout_T', base.T, None
    yield 'layout_strided', base[:, ::2], None
    yield 'layout_reversed', base[::-1], None
    yield 'layout_readonly', readonly(np.arange(5.0)), None
    yield 'scalars', [filled(d, 6)[i % 6] for i, d in enumerate(NUMERIC)] + [filled(d, 6)[(i + 3) % 6] for i, d in enumerate(NUMERIC)] + [
        np.str_('héllo'), np.bytes_(b'x\x00y'), np.void(b'\x01\x02\x03'), np.bool_(False)], None
    yield 'dtypes', [np.dtype(d) for d in NUMERIC] + [np.dtype(x) for x in ['>i4', 'U7', 'S3', 'O', 'V5', 'M8', 'M8[ns]', '>m8[10ms]', 'm8[W]']] + [nested], None
    yield 'shared_dtype', [np.arange(3), np.arange(4), np.zeros((2, 2))], None
    yield 'data_file', {'x': np.linspace(0, 1, 5), 'y': np.arange(5, dtype='<i8') ** 2, 'when': times('M', 's', 5),
                        'labels': np.array(['a', 'b', 'c', 'd', 'e']), 'meta': {'n': 5, 'source': 'gen_numpy.py'}}, None
    for name, value in masked_examples().items():
        yield name, value, None
    yield 'big', np.arange(10000, dtype='<f8'), [4, '5oob']  # 80,000 bytes: described by its digest


def describe_dtype(dt):
    fields = None
    if dt.names is not None:
        fields = [[n, describe_dtype(dt.fields[n][0]), dt.fields[n][1]] for n in dt.names]
    sub = None
    if dt.subdtype is not None:
        sub = [describe_dtype(dt.subdtype[0]), list(dt.subdtype[1])]
    # numpy before 2.3 spells every StringDType's .str '|T16'; its repr is what 2.3+ gives as .str
    return {'str': repr(dt) if dt.kind == 'T' else dt.str, 'fields': fields, 'subarray': sub}


def layout_of(a, protocol):
    """How numpy's pickle of `a` at this protocol lays out its data."""
    r = a.__reduce_ex__(protocol)
    if r[0].__name__ == '_frombuffer':
        return list(r[1][4]) if r[1][3] == 'K' else r[1][3]
    return 'F' if r[2][3] else 'C'


def data_of(raw):
    return raw.hex() if len(raw) <= DIGEST_OVER else 'sha256:' + hashlib.sha256(raw).hexdigest()


def describe_array(a, protocol, layout=None):
    if layout is None:
        layout = layout_of(a, protocol)
    out = {'dtype': describe_dtype(a.dtype), 'shape': list(a.shape), 'layout': layout, 'data': None, 'objects': None}
    if a.dtype.hasobject:
        out['objects'] = [typed(x.item() if isinstance(x, np.void) else x, protocol) for x in a.flat]
    else:
        out['data'] = data_of(a.tobytes('C'))
    return {'ndarray': out}


def typed(v, protocol):
    s = scalar(v)
    if s is not NOT_SCALAR:
        return s
    t = type(v)
    if t is complex:
        return {'complex': [repr(v.real), repr(v.imag)]}
    if t is list or t is tuple:
        return {t.__name__: [typed(x, protocol) for x in v]}
    if t is dict:
        return {'dict': [[typed(k, protocol), typed(x, protocol)] for k, x in v.items()]}
    if isinstance(v, np.ma.MaskedArray):
        state = v.__reduce__()[2]
        fill = v._fill_value
        return {'masked': {'array': describe_array(v.data, protocol, 'F' if state[3] else 'C'),
                           'mask': np.ma.getmaskarray(v).tobytes('C').hex(),
                           'fill_value': None if fill is None else describe_array(fill, protocol)}}
    if isinstance(v, np.ndarray):
        return describe_array(v, protocol)
    if isinstance(v, np.dtype):
        return {'dtype': describe_dtype(v)}
    if isinstance(v, np.generic):
        return {'scalar': {'dtype': describe_dtype(v.dtype), 'data': v.tobytes().hex()}}
    raise TypeError(t)


def write(base, data, meta, buffers=()):
    with open(base + '.pkl', 'wb') as f:
        f.write(data)
    names = []
    for k, b in enumerate(buffers):
        names.append('%s.%d.buf' % (os.path.basename(base), k))
        with open('%s.%d.buf' % (base, k), 'wb') as f:
            f.write(b)
    if buffers:
        meta = dict(meta, buffers=names)
    with open(base + '.json', 'w', encoding='utf-8') as f:
        json.dump(meta, f, ensure_ascii=False, sort_keys=True)
        f.write('\n')


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    head = {'numpy': np.__version__, 'python': sys.version.split()[0]}
    count = 0
    for name, value, protocols in values():
        for p in protocols or [2, 4, 5, '5oob']:
            base = os.path.join(OUT, '%s.p%s' % (name, p))
            if p == '5oob':
                buffers = []
                data = pickle.dumps(value, 5, buffer_callback=buffers.append)
                raw = [bytes(b.raw()) for b in buffers]
                writable = [not b.raw().readonly for b in buffers]
                write(base, data, dict(head, protocol=5, value=typed(value, 5), buffers_writable=writable), raw)
            else:
                write(base, pickle.dumps(value, p), dict(head, protocol=p, value=typed(value, p)))
            count += 1
    print('corpus/realworld/numpy/%s: %d pickles' % (np.__version__, count))


if __name__ == '__main__':
    sys.exit(main())
