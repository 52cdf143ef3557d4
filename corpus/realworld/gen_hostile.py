#!/usr/bin/env python3
# interpreters: python3
"""Writes corpus/realworld/hostile/: hostile variants of scikit-learn, pandas and joblib files,
assembled opcode by opcode (nothing here is ever unpickled), with manifest.json:
{NAME: {"loader": "loads" | "loadJoblib" | "loadPandas", "policy": pack id, "expect": "refused" |
"malformed", "why": "..."}}: what loading NAME under that shipped pack must do (audit: unsafe or malformed).
Standard library only; deterministic.
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'hostile')


# ---- a small protocol-3 assembler: each helper returns the bytes that push one value ----
def glob(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def i(n):
    if -2 ** 31 <= n < 2 ** 31:
        return b'J' + struct.pack('<i', n)
    return b'\x8a\x08' + struct.pack('<q', n)


def s(text):
    b = text.encode()
    return b'X' + struct.pack('<I', len(b)) + b


def by(data):
    return b'B' + struct.pack('<I', len(data)) + data


def tup(*items):
    return b'(' + b''.join(items) + b't'


def lst(*items):
    return b']' + (b'(' + b''.join(items) + b'e' if items else b'')


def dct(*pairs):
    return b'}' + (b'(' + b''.join(k + v for k, v in pairs) + b'u' if pairs else b'')


NONE, TRUE, FALSE = b'N', b'\x88', b'\x89'


def call(f, *args):
    return f + tup(*args) + b'R'


def new(cls, state):
    return cls + b')\x81' + state + b'b'


def pickle(body):
    return b'\x80\x03' + body + b'.'


def dtype(code, order='<'):
    return call(glob('numpy', 'dtype'), s(code), FALSE, TRUE) + tup(i(3), s(order), NONE, NONE, NONE, i(-1), i(-1), i(0)) + b'b'


def ndarray(code, shape, data):
    empty = call(glob('numpy.core.multiarray', '_reconstruct'), glob('numpy', 'ndarray'), tup(i(0)), by(b'b'))
    return empty + tup(i(1), tup(*(i(d) for d in shape)), dtype(code), FALSE, by(data)) + b'b'


def f8(*xs):
    return struct.pack(f'<{len(xs)}d', *xs)


# ---- scikit-learn ----
def estimator(extra):
    state = dct((s('fit_intercept'), TRUE), (s('coef_'), ndarray('f8', (2,), f8(1.5, -2.0))), (s('n_features_in_'), i(2)), *extra)
    return pickle(new(glob('sklearn.linear_model._base', 'LinearRegression'), state))


def sklearn_cases():
    nested = dct((s('note'), s('fine')), (s('hook'), call(glob('os', 'system'), s('echo pwned'))))
    yield 'estimator_os_system', 'loads', 'scikit-learn', 'refused', estimator([(s('extra_'), nested)]), 'os.system called inside a nested attribute of a fitted LinearRegression'
    steps = lst(tup(s('scale'), new(glob('sklearn.preprocessing._data', 'StandardScaler'), dct((s('with_mean'), call(glob('builtins', 'eval'), s('1+1')))))))
    yield 'pipeline_eval', 'loads', 'scikit-learn', 'refused', pickle(new(glob('sklearn.pipeline', 'Pipeline'), dct((s('steps'), steps)))), 'builtins.eval in the state of a Pipeline step'
    yield 'estimator_subprocess', 'loads', 'scikit-learn', 'refused', estimator([(s('_rng'), call(glob('subprocess', 'Popen'), lst(s('id'))))]), 'subprocess.Popen in place of an estimator\'s random state'


# ---- pandas ----
def frame(blocks, columns, rows):
    axes = lst(call(glob('pandas.core.indexes.base', '_new_Index'), glob('pandas.core.indexes.base', 'Index'),
                    dct((s('data'), ndarray_obj(columns)), (s('name'), NONE))),
               call(glob('pandas.core.indexes.base', '_new_Index'), glob('pandas.core.indexes.range', 'RangeIndex'),
                    dct((s('name'), NONE), (s('start'), i(0)), (s('stop'), i(rows)), (s('step'), i(1)))))
    mgr = call(glob('pandas.core.internals.managers', 'BlockManager'), tup(*blocks), axes)
    return pickle(new(glob('pandas.core.frame', 'DataFrame'), dct((s('_mgr'), mgr), (s('_typ'), s('dataframe')))))


def ndarray_obj(names):
    empty = call(glob('numpy.core.multiarray', '_reconstruct'), glob('numpy', 'ndarray'), tup(i(0)), by(b'b'))
    obj_dtype = call(glob('numpy', 'dtype'), s('O8'), FALSE, TRUE) + tup(i(3), s('|'), NONE, NONE, NONE, i(-1), i(-1), i(63)) + b'b'
    return empty + tup(i(1), tup(i(len(names))), obj_dtype, FALSE, lst(*(s(n) for n in names))) + b'b'


def block(values, start, stop):
    return call(glob('pandas._libs.internals', '_unpickle_block'), values, call(glob('builtins', 'slice'), i(start), i(stop), i(1)), i(2))


def block_at(values, columns):
    placement = ndarray('i8', (len(columns),), struct.pack(f'<{len(columns)}q', *columns))
    return call(glob('pandas._libs.internals', '_unpickle_block'), values, placement, i(2))


def pandas_cases():
    two_rows = ndarray('f8', (1, 2), f8(1.0, 2.0))
    yield 'frame_ok', 'loads', 'pandas', 'ok', frame([block(two_rows, 0, 1)], ['a'], 2), 'the well-formed frame the variants below break (one float column, two rows)'
    yield 'frame_placement_outside', 'loads', 'pandas', 'malformed', frame([block(two_rows, 5, 6)], ['a'], 2), 'a block placed at column 5 of a one-column frame'
    yield 'frame_placement_twice', 'loads', 'pandas', 'malformed', frame([block(two_rows, 0, 1), block(two_rows, 0, 1)], ['a', 'b'], 2), 'two blocks placed at column 0, none at column 1'
    yield 'frame_placement_short', 'loads', 'pandas', 'malformed', frame([block(ndarray('f8', (2, 2), f8(1, 2, 3, 4)), 0, 1)], ['a', 'b'], 2), 'a placement naming one column for a block of two'
    yield 'frame_rows_mismatch', 'loads', 'pandas', 'malformed', frame([block(two_rows, 0, 1)], ['a'], 1000), 'a column of 2 values under an index of 1000 labels'
    yield 'frame_placement_array_outside', 'loads', 'pandas', 'malformed', frame([block_at(ndarray('f8', (2, 2), f8(1, 2, 3, 4)), [0, 9])], ['a', 'b'], 2), 'an int-array placement naming column 9 of a two-column frame'
    yield 'frame_placement_array_negative', 'loads', 'pandas', 'malformed', frame([block_at(ndarray('f8', (2, 2), f8(1, 2, 3, 4)), [1, -1])], ['a', 'b'], 2), 'an int-array placement naming column -1'
    yield 'frame_os_system', 'loads', 'pandas', 'refused', frame([block(call(glob('os', 'system'), s('echo pwned')), 0, 1)], ['a'], 2), 'os.system in place of a block\'s values'


# ---- joblib ----
def joblib_file(shape, data, alignment=True):
    state = dct((s('subclass'), glob('numpy', 'ndarray')), (s('shape'), tup(*(i(d) for d in shape))), (s('order'), s('C')),
                (s('dtype'), dtype('f8')), (s('allow_mmap'), TRUE), (s('numpy_array_alignment_bytes'), i(16) if alignment else NONE))
    head = b'\x80\x03' + new(glob('joblib.numpy_pickle', 'NumpyArrayWrapper'), state)
    pad = (16 - (len(head) + 1) % 16) % 16
    return head + bytes([pad]) + b'\xff' * pad + data + b'.'


def joblib_cases():
    yield 'joblib_ok', 'loadJoblib', 'joblib', 'ok', joblib_file((2,), f8(1.0, 2.0)), 'the well-formed file the variants below break'
    yield 'joblib_claims_more', 'loadJoblib', 'joblib', 'malformed', joblib_file((1000,), f8(1.0, 2.0)), 'an array header claiming 8000 bytes where 16 follow'
    yield 'joblib_claims_huge', 'loadJoblib', 'joblib', 'malformed', joblib_file((2 ** 40, 2 ** 20), f8(1.0)), 'an array header claiming 2**63 bytes (8-byte items, 2**60 of them)'


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    manifest = {}
    for gen, ext in ((sklearn_cases, 'pkl'), (pandas_cases, 'pkl'), (joblib_cases, 'joblib')):
        for name, loader, policy, expect, data, why in gen():
            with open(os.path.join(OUT, f'{name}.{ext}'), 'wb') as f:
                f.write(data)
            manifest[f'{name}.{ext}'] = {'loader': loader, 'policy': policy, 'expect': expect, 'why': why}
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'gen_hostile.py: wrote {len(manifest)} files under hostile/')


if __name__ == '__main__':
    main()
