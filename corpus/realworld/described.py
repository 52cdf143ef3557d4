"""The expected-value form of corpus/realworld fixtures: corpus/typed_json.py's scalars and containers,
plus numpy values and objects, shared by the gen_*.py generators here (not a generator itself).

  ndarray  {"ndarray": {"dtype": a.dtype.str, "names": [field names] | null, "shape": [...],
            "data": hex of the items in C order | "sha256:<hex>" past 4096 bytes | null,
            "objects": [described items in C order] | null}}
  scalar   {"npscalar": {"dtype": str, "data": hex}}
  dtype    {"npdtype": str}
  class    {"global": "module qualname"}
  object   {"reduce": [callable, args, state, listitems, dictitems]}: what obj.__reduce_ex__(protocol)
           gives, each part described (listitems/dictitems as lists, None when absent)
"""
import hashlib
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from typed_json import NOT_SCALAR, scalar  # noqa: E402

BIG = 4096


def digest_or_hex(raw):
    return raw.hex() if len(raw) <= BIG else 'sha256:' + hashlib.sha256(raw).hexdigest()


def describe(v, protocol=4, depth=0):
    import numpy as np
    if depth > 200:
        raise ValueError('too deep')
    d = lambda x: describe(x, protocol, depth + 1)  # noqa: E731
    s = scalar(v)
    if s is not NOT_SCALAR:
        return s
    t = type(v)
    if t is list:
        return {'list': [d(x) for x in v]}
    if t is tuple:
        return {'tuple': [d(x) for x in v]}
    if t is dict:
        return {'dict': [[d(k), d(x)] for k, x in v.items()]}
    if t is complex:
        return {'complex': [repr(v.real), repr(v.imag)]}
    if t is np.ndarray:
        obj = v.dtype.hasobject
        return {'ndarray': {
            'dtype': v.dtype.str,
            'names': list(v.dtype.names) if v.dtype.names else None,
            'shape': list(v.shape),
            'data': None if obj else digest_or_hex(np.ascontiguousarray(v).tobytes()),
            'objects': [d(x) for x in v.ravel(order='C')] if obj else None,
        }}
    if isinstance(v, np.generic):
        return {'npscalar': {'dtype': v.dtype.str, 'data': v.tobytes().hex()}}
    if isinstance(v, np.dtype):
        return {'npdtype': v.str}
    if isinstance(v, (type, types.FunctionType, types.BuiltinFunctionType)) or type(v).__name__ == 'cython_function_or_method':
        return {'global': f'{v.__module__} {v.__qualname__}'}
    r = v.__reduce_ex__(protocol)
    if isinstance(r, str):
        return {'global': f'{v.__module__} {r}'}
    r = tuple(r) + (None,) * (5 - len(r))
    callable_, args, state, listitems, dictitems = r[:5]
    return {'reduce': [
        d(callable_),
        d(tuple(args)),
        None if state is None else d(state),
        None if listitems is None else {'list': [d(x) for x in listitems]},
        None if dictitems is None else {'list': [{'tuple': [d(k), d(x)]} for k, x in dictitems]},
    ]}
