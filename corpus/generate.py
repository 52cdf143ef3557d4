#!/usr/bin/env python3
"""Write the pickleguard test corpus with CPython (see corpus/README.md).

Run from anywhere:  python3 corpus/generate.py
Standard library only. The output is deterministic: the script re-executes itself with
PYTHONHASHSEED=0 (set iteration order of str/bytes items depends on it), uses no randomness,
and writes every listing sorted. It deletes and rewrites corpus/valid/, corpus/malformed/ and
corpus/opcodes.json, and nothing else.

Nothing here ever unpickles a pickle that names a dangerous global: the "refused" hostile
pickles are written but never loaded ("python": "not_run"), and every other malformed pickle is
loaded in a child process with a 2 GiB address-space limit and a timeout.
"""
import os
import sys

if os.environ.get('PYTHONHASHSEED') != '0':
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], dict(os.environ, PYTHONHASHSEED='0'))

import collections
import io
import json
import pickle
import pickletools
import shutil
import struct
import subprocess
import warnings

from typed_json import NOT_SCALAR, scalar

sys.setrecursionlimit(100000)
warnings.simplefilter('ignore', DeprecationWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
VALID = os.path.join(HERE, 'valid')
MALFORMED = os.path.join(HERE, 'malformed')
OrderedDict = collections.OrderedDict

# ---------------------------------------------------------------------------------------------
# The typed-JSON form of a value (documented in corpus/README.md).


def _trackable(v):
    t = type(v)
    if t is tuple:
        return len(v) > 0
    return t is list or t is dict or t is set or t is frozenset or t is OrderedDict


def typed(root):
    # 1. Count references to every container, not descending into dict keys or set items.
    counts = {}
    todo = [root]
    while todo:
        v = todo.pop()
        if not _trackable(v):
            continue
        n = counts.get(id(v), 0)
        counts[id(v)] = n + 1
        if n == 0:
            t = type(v)
            if t is dict or t is OrderedDict:
                todo.extend(v.values())
            elif t is list or t is tuple:
                todo.extend(v)
    ids = {}

    # 2. Emit in DFS pre-order; shared containers get "id" first, {"ref"} afterwards.
    def emit(v, track):
        s = scalar(v)
        if s is not NOT_SCALAR:
            return s
        t = type(v)
        if t is memoryview:
            return {'bytes' if v.readonly else 'bytearray': v.tobytes().hex()}
        if t is complex:
            return {'complex': [repr(v.real), repr(v.imag)]}
        new_id = None
        if track and _trackable(v):
            if id(v) in ids:
                return {'ref': ids[id(v)]}
            if counts.get(id(v), 0) > 1:
                new_id = ids[id(v)] = len(ids)
        if t is list or t is tuple:
            out = {t.__name__: [emit(x, track) for x in v]}
        elif t is dict or t is OrderedDict:
            out = {'odict' if t is OrderedDict else 'dict': [[emit(k, False), emit(x, track)] for k, x in v.items()]}
        elif t is set or t is frozenset:
            items = [emit(x, False) for x in v]
            out = {t.__name__: sorted(items, key=lambda x: json.dumps(x, sort_keys=True))}
        else:
            raise TypeError('no typed form for %r' % (t,))
        if new_id is not None:
            out['id'] = new_id
        return out

    return emit(root, True)


def depth_of(root):
    """Nesting depth (scalar 0, [] 1, [[]] 2), iteratively, for the deep edge cases."""
    best = 0
    todo = [(root, 1)]
    seen = set()
    while todo:
        v, d = todo.pop()
        if not isinstance(v, (list, tuple, dict, set, frozenset)) or id(v) in seen:
            continue
        seen.add(id(v))
        best = max(best, d)
        todo.extend((x, d + 1) for x in (list(v.keys()) + list(v.values()) if isinstance(v, dict) else v))
    return best


# ---------------------------------------------------------------------------------------------
# Checking which globals a pickle names.

ALLOWED_GLOBALS = {
    ('builtins', 'set'), ('builtins', 'frozenset'), ('builtins', 'bytearray'), ('builtins', 'bytes'), ('builtins', 'complex'),
    ('__builtin__', 'set'), ('__builtin__', 'frozenset'), ('__builtin__', 'bytearray'), ('__builtin__', 'bytes'), ('__builtin__', 'complex'),
    ('_codecs', 'encode'), ('copyreg', '_reconstructor'), ('copy_reg', '_reconstructor'), ('collections', 'OrderedDict'),
}
FORBIDDEN_OPS = {'EXT1', 'EXT2', 'EXT4', 'PERSID', 'BINPERSID', 'INST', 'OBJ', 'NEWOBJ', 'NEWOBJ_EX', 'BUILD'}
USED_GLOBALS = collections.defaultdict(set)  # directory -> {(module, name)}
USED_OPCODES = collections.Counter()


class RecordingUnpickler(pickle.Unpickler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = []

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise AssertionError('global %s.%s is not allowed in the valid corpus' % (module, name))
        self.names.append((module, name))
        return super().find_class(module, name)


def py_kwargs(options):
    """JS option names (as in the JSON) -> pickle.loads keywords."""
    names = {'encoding': 'encoding', 'errors': 'errors', 'fixImports': 'fix_imports'}
    return {names[k]: v for k, v in (options or {}).items()}


def checked_load(data, where, options=None, buffers=None, use_c=True, file_check=True, strict_ops=True):
    """pickle.loads, plus: every global it names is allowed, no forbidden opcode appears."""
    for op, _arg, _pos in safe_genops(data):
        if strict_ops and op.name in FORBIDDEN_OPS:
            raise AssertionError('%s: opcode %s in the valid corpus' % (where, op.name))
        if op.name in ('GLOBAL', 'INST'):
            mod, name = _arg.split(' ', 1)
            if (mod, name) not in ALLOWED_GLOBALS:
                raise AssertionError('%s: global %s.%s' % (where, mod, name))
    kw = py_kwargs(options)
    if buffers is not None:
        kw['buffers'] = buffers
    if not use_c:
        return pickle._loads(data, **kw)
    value = pickle.loads(data, **kw)
    if not file_check:
        return value
    r = RecordingUnpickler(io.BytesIO(data), **kw)
    again = r.load()
    if json.dumps(typed(again)) != json.dumps(typed(value)):
        raise AssertionError('%s: two loads differ' % where)
    USED_GLOBALS[os.path.relpath(os.path.dirname(where), HERE)].update(r.names)
    return value


def safe_genops(data):
    """pickletools.genops, stopping quietly where pickletools itself cannot decode an argument
    (it decodes STRING arguments as ASCII and fails on Python 2 strs with non-ASCII bytes)."""
    it = pickletools.genops(data)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except UnicodeDecodeError:
            return
        yield item


def count_opcodes(data):
    for op, _arg, _pos in safe_genops(data):
        USED_OPCODES[op.name] += 1


# ---------------------------------------------------------------------------------------------
# Writing files.

FILES = []


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    FILES.append(path)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, ensure_ascii=True) + '\n').encode('ascii'))


def dis_text(data):
    out = io.StringIO()
    pickletools.dis(data, out=out)
    return out.getvalue()


def write_dis(path, data, max_size=None, keep_large=True):
    """The exact text pickletools.dis prints (UTF-8: reprs keep printable non-ASCII as is)."""
    try:
        text = dis_text(data)
    except Exception as e:  # noqa: BLE001 - reported, the .dis file is then absent
        NOTES.append('pickletools.dis fails on %s: %s: %s' % (os.path.relpath(path, HERE), type(e).__name__, e))
        return
    if max_size is not None and len(text) > max_size and not keep_large:
        return
    write_bytes(path, text.encode('utf-8'))


NOTES = []

# ---------------------------------------------------------------------------------------------
# 1. opcodes.json


def write_opcodes():
    table = [
        {
            'name': op.name,
            'code': ord(op.code.encode('latin-1')),
            'arg': op.arg.name if op.arg is not None else None,
            'proto': op.proto,
            'before': [s.name for s in op.stack_before],
            'after': [s.name for s in op.stack_after],
        }
        for op in pickletools.opcodes
    ]
    text = '[\n' + ',\n'.join('  ' + json.dumps(o, ensure_ascii=True) for o in table) + '\n]\n'
    write_bytes(os.path.join(HERE, 'opcodes.json'), text.encode('ascii'))


# ---------------------------------------------------------------------------------------------
# 2. The value catalogue: name -> (value, protocols, out-of-band buffers?)


def catalogue():
    cat = []

    def add(name, value, protos=range(6), oob=False):
        assert '.' not in name
        cat.append((name, value, tuple(protos), oob))

    add('none', None)
    add('true', True)
    add('false', False)

    for name, v in [
        ('int_0', 0), ('int_1', 1), ('int_m1', -1), ('int_255', 255), ('int_256', 256), ('int_65535', 65535),
        ('int_65536', 65536), ('int_2p31m1', 2**31 - 1), ('int_m2p31', -2**31), ('int_2p31', 2**31),
        ('int_m2p31m1', -2**31 - 1), ('int_2p53m1', 2**53 - 1), ('int_2p53p1', 2**53 + 1), ('int_m2p53m1', -2**53 - 1),
        ('int_2p63', 2**63), ('int_2p64', 2**64), ('int_m2p64', -2**64), ('int_1e100', 10**100), ('int_m1e100', -(10**100)),
        ('int_2p2100p1', 2**2100 + 1), ('int_m2p2100', -2**2100),
    ]:
        add(name, v)
    add('ints_misc', [127, 128, -128, -129, -256, -257, 32767, 32768, -32768, -32769, 2**32 - 1, 2**32, 2**53, -2**63,
                      2**63 - 1, 2**64 - 1, 2**64 + 1, 2**1000, -2**1000 + 1, 10**20, -(10**20), 2**2039 - 1, -2**2040])

    for name, v in [
        ('float_0', 0.0), ('float_m0', -0.0), ('float_nan', float('nan')), ('float_inf', float('inf')),
        ('float_minf', float('-inf')), ('float_1e300', 1e300), ('float_5em324', 5e-324), ('float_2', 2.0),
        ('float_0p1', 0.1), ('float_1e16', 1e16), ('float_1em7', 1e-7), ('float_1p5', 1.5),
    ]:
        add(name, v)
    add('floats_misc', [1 / 3, -1.5, 0.5, 100.0, 1e22, 1e23, -1e300, 1e-300, -5e-324, 2.2250738585072014e-308,
                        1.7976931348623157e308, 2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64, 123456789.0, 1e15 + 0.3, 1e21, 1e-5])

    add('str_empty', '')
    add('str_ascii', 'hello world')
    add('str_bmp', 'caf\u00e9 \u00f1 \u20ac \u4e2d\u6587 \u03a9 \ufffd \ufeff')
    add('str_astral', '\U0001f600 \U0001d11e \U00010000 \U0010ffff')
    add('str_lone_high', '\ud800')
    add('str_lone_low', '\udfff')
    add('str_surrogates_in_text', 'a\ud800b\udfffc\udc80\ud83d end \udfff\ud800 \U0001f600')
    add('str_surrogate_pair_codepoints', '\ud83d\ude00')
    add('str_len255', 'a' * 255)
    add('str_len256', 'b' * 256)
    add('str_len300', ''.join(chr(0x41 + i % 26) for i in range(300)))
    add('str_utf8_256_bytes', '\u00e9' * 128)
    add('str_escapes', "line1\nline2\\back\rcr\x00nul'single\"double\x1asub\ttab \\u0041 \\U00000041 \\x41")
    add('str_latin1_range', ''.join(chr(i) for i in range(0x80, 0x100)))
    add('str_controls', ''.join(chr(i) for i in range(0x20)) + '\x7f\x85\u2028\u2029')
    add('str_opcode_lookalikes', ['L', 'I01', '00', 'None', '.', '(', "'", '"', 'S\'x\'', 'V', 'p0', 'L5L'])

    add('bytes_empty', b'')
    add('bytes_short', b'\x00abc\xff\n\\\'"')
    add('bytes_255', bytes(range(255)))
    add('bytes_256', b'\xab' * 256)
    add('bytes_all', bytes(range(256)))
    add('bytearray_empty', bytearray())
    add('bytearray_short', bytearray(b'\x00xyz\xfe\n'))
    add('bytearray_all', bytearray(range(256)))

    add('complex_basic', complex(1.5, -2.0))
    add('complex_special', complex(float('-inf'), -0.0))
    add('complex_nan', complex(float('nan'), 1e300))

    add('list_empty', [])
    add('list_small', [1, 'two', 3.0, None, True])
    add('list_nested', [[1, [2, [3, []]]], [], [[]]])
    add('list_scalars', [None, True, False, 0, -1, 2**70, 0.25, float('inf'), '', 'x', b'', b'y', bytearray(b'z'), complex(0, 1)])
    add('list_1001', list(range(1001)))

    add('tuple_0', ())
    add('tuple_1', (1,))
    add('tuple_2', (1, 'a'))
    add('tuple_3', (1, 'a', None))
    add('tuple_4', (1, 2, 3, 4))
    add('tuple_5', (1, 2, 3, 4, 5))
    add('tuple_nested', ((1,), ((2,),), (((),),), ((), ())))
    lst = []
    tup = (lst,)
    lst.append(tup)
    add('tuple_recursive', tup)
    add('list_recursive_tuple', lst)
    d = {}
    tup2 = (d, 1)
    d['t'] = tup2
    add('tuple_recursive_dict', tup2)

    add('dict_empty', {})
    add('dict_str_keys', {'a': 1, 'b': [2], 'c': {'d': None}, '': 0})
    add('dict_int_keys', {0: 'zero', 1: 'one', -1: 'minus one', 2**64: 'big', 255: 'b'})
    add('dict_tuple_keys', {(1, 2): 'a', ('x', (None,)): 'b', (): 'empty', (1, (2, (3,))): 'nested'})
    add('dict_mixed_keys', {None: 1, True: 2, 2: 3, 2.5: 4, 'str': 5, b'bytes': 6, (1, 't'): 7, frozenset({1, 2}): 8,
                            complex(1, 1): 9, -0.5: 10, 2**80: 11})
    add('dict_1001', {i: i % 7 for i in range(1001)})

    add('set_empty', set())
    add('set_small', {1, 2, 3})
    add('set_mixed', {'a', b'b', 1.5, (1, 2), frozenset({3}), 7, complex(0, 1), ('t', (True, 2.5))})  # no None: hash(None) is address-based in 3.11
    add('set_1001', set(range(1001)))
    add('frozenset_empty', frozenset())
    add('frozenset_small', frozenset({'x', 'y'}))
    add('frozenset_nested', frozenset({frozenset({1}), frozenset(), (1, frozenset({2}))}))

    add('odict_empty', OrderedDict())
    add('odict_small', OrderedDict([('b', 1), ('a', 2)]))
    add('odict_nested', OrderedDict([('x', OrderedDict([('y', [1])])), (1, 'int key'), ((1, 2), {'plain': 'dict'})]))
    od = OrderedDict()
    od['self'] = od
    add('odict_self', od)

    shared = [1, 2]
    add('shared_list', [shared, shared, [shared]])
    shared_d = {'k': 'v'}
    add('shared_dict', {'a': shared_d, 'b': [shared_d], 'c': (shared_d,)})
    s = ''.join(['shared', ' string'])
    add('shared_str', [s, s, {s: s}, (s,)])
    t = (1, [2])
    add('shared_tuple', [t, t, {'t': t}])
    b = bytes(b'shared bytes')
    add('shared_bytes', [b, b])
    ss = {1, 2}
    fs = frozenset({3})
    add('shared_sets', [ss, ss, fs, fs, (fs,)])
    sod = OrderedDict(a=1)
    add('shared_odict', [sod, {'o': sod}])
    leaf = ['leaf']
    mid = {'l1': leaf, 'l2': leaf}
    add('shared_dag', [mid, (mid, leaf), [leaf, [leaf]]])

    cyc = []
    cyc.append(cyc)
    add('cycle_list', cyc)
    cyc2 = [1]
    cyc2.append([cyc2, (cyc2,)])
    add('cycle_list_nested', cyc2)
    cd = {}
    cd['self'] = cd
    add('cycle_dict', cd)
    cd2 = {'l': []}
    cd2['l'].append(cd2)
    cd2['l'].append(cd2['l'])
    add('cycle_dict_list', cd2)

    def nest(n, wrap, inner):
        v = inner
        for i in range(n):
            v = wrap(v, i)
        return v

    add('nested_list_100', nest(100, lambda v, i: [v], 'bottom'))
    add('nested_dict_100', nest(100, lambda v, i: {'a': v}, None))
    add('nested_tuple_100', nest(100, lambda v, i: (v,), 0))
    add('nested_mixed_100', nest(100, lambda v, i: [[v], (v, i), {'k': v}, OrderedDict(k=v)][i % 4], ()))

    add('record_user', {
        'id': 123456789012, 'name': 'Zo\u00eb \u00c5str\u00f6m', 'email': 'zoe@example.com', 'active': True,
        'score': 98.5, 'balance': -0.01, 'tags': ['admin', 'beta', '\U0001f680'], 'created': '2024-01-01T00:00:00Z',
        'avatar': b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'roles': {'read', 'write'}, 'friends': (1, 2, 3),
        'prefs': OrderedDict([('theme', 'dark'), ('lang', 'en')]), 'manager': None,
    })
    add('record_rows', [{'id': i, 'name': 'row%d' % i, 'value': i * 0.5, 'ok': i % 3 == 0, 'parent': i // 2 or None}
                        for i in range(25)])
    add('record_matrix', [[(r * 10 + c) / 8 for c in range(10)] for r in range(10)])
    add('record_config', {
        'version': (3, 11, 7), 'debug': False, 'paths': ['/usr/lib', '/opt/app'],
        'limits': {'memory': 2**32, 'cpus': 8, 'ratio': 0.75},
        'servers': [{'host': 'a.example', 'port': 443}, {'host': 'b.example', 'port': 8443, 'weight': 1.5}],
        'features': frozenset({'x', 'y', 'z'}), 'blob': bytearray(b'\x01\x02'), 'z': complex(0, -1),
    })

    add('oob_buffers', [pickle.PickleBuffer(b'readonly bytes'), pickle.PickleBuffer(bytearray(b'writable')),
                        'tail', pickle.PickleBuffer(b'')], protos=[5], oob=True)
    add('inband_buffers', [pickle.PickleBuffer(b'readonly bytes'), pickle.PickleBuffer(bytearray(b'writable'))], protos=[5])
    return cat


def buffer_objects(pbs):
    objs, writable = [], []
    for pb in pbs:
        raw = pb.raw()
        writable.append(not raw.readonly)
        objs.append(bytes(raw) if raw.readonly else bytearray(raw))
    return objs, writable


def write_valid():
    for name, value, protos, oob in catalogue():
        for p in protos:
            seen = []
            variants = []
            if oob:
                bc, bp = [], []
                c = pickle.dumps(value, p, buffer_callback=bc.append)
                py = pickle._dumps(value, p, buffer_callback=bp.append)
                variants = [('c', c, bc), ('py', py, bp), ('opt', pickletools.optimize(c), bc)]
            else:
                c = pickle.dumps(value, p)
                variants = [('c', c, None), ('py', pickle._dumps(value, p), None), ('opt', pickletools.optimize(c), None)]
            for writer, data, pbs in variants:
                if data in seen:
                    continue
                seen.append(data)
                base = os.path.join(VALID, '%s.p%d.%s' % (name, p, writer))
                spec = {'protocol': p, 'writer': writer}
                buffers = None
                if pbs is not None:
                    buffers, writable = buffer_objects(pbs)
                    spec['buffers'] = [bytes(x).hex() for x in buffers]
                    spec['buffers_writable'] = writable
                loaded = checked_load(data, base + '.pkl', buffers=buffers)
                spec['value'] = typed(loaded)
                if not oob and 'buffers' not in name and json.dumps(spec['value']) != json.dumps(typed(value)):
                    NOTES.append('%s: the loaded value differs from the pickled one' % os.path.relpath(base, HERE))
                count_opcodes(data)
                write_bytes(base + '.pkl', data)
                write_json(base + '.json', spec)
                # Large disassemblies (the 1001-item values, deep nesting) only for the c writer.
                write_dis(base + '.dis', data, max_size=16384, keep_large=(writer == 'c'))


# ---------------------------------------------------------------------------------------------
# 3. valid/py2: pickles as Python 2 wrote them, with expectations per unpickler option set.

V_DEFAULT = [('', {})]
V_STR = [('', {}), ('latin1', {'encoding': 'latin1'}), ('bytes', {'encoding': 'bytes'})]
V_STR_UTF8 = V_STR + [('utf8', {'encoding': 'utf-8'})]
V_STR_FULL = V_STR_UTF8 + [
    ('replace', {'errors': 'replace'}), ('ignore', {'errors': 'ignore'}),
    ('surrogateescape', {'errors': 'surrogateescape'}), ('backslashreplace', {'errors': 'backslashreplace'}),
]
V_FIX = [('', {}), ('nofix', {'fixImports': False})]
V_STR_FIX = V_STR + [('nofix', {'fixImports': False})]


def i4(n):
    return struct.pack('<i', n)


def f8(x):
    return struct.pack('>d', x)


def py2_cases():
    c = []

    def add(name, proto, data, variants=V_DEFAULT):
        assert '.' not in name
        c.append((name, proto, data, variants))

    # STRING (protocol 0): repr() of a Python 2 str, quotes and escapes.
    add('string_single_quotes', 0, b"S'hello world'\np0\n.", V_STR)
    add('string_double_quotes', 0, b'S"it\'s"\np0\n.', V_STR)
    add('string_escapes', 0, b"S'\\x41\\n\\101\\'\\xe9\\t\\\\'\np0\n.", V_STR_FULL)
    add('string_escapes_ascii', 0, b"S'\\x41\\n\\101\\'\\t\\\\\\r\\x00\\x7f'\np0\n.", V_STR)
    add('string_double_quotes_escapes', 0, b'S"say \\"hi\\" \\\' \\x00\\r"\np0\n.', V_STR)
    add('string_empty', 0, b"S''\np0\n.", V_STR)
    add('string_octal', 0, b"S'\\0\\7\\101\\1010\\377'\np0\n.", V_STR)
    # SHORT_BINSTRING / BINSTRING (protocols 1, 2).
    add('short_binstring', 1, b'U\x05helloq\x00.', V_STR)
    add('short_binstring_latin1', 1, b'U\x04caf\xe9q\x00.', V_STR_FULL)
    add('short_binstring_utf8', 1, b'U\x05caf\xc3\xa9q\x00.', V_STR_UTF8)
    add('binstring', 1, b'T' + i4(300) + bytes(0x61 + i % 26 for i in range(300)) + b'q\x00.', V_STR)
    add('binstring_all_bytes', 2, b'\x80\x02T' + i4(256) + bytes(range(256)) + b'q\x00.', V_STR)
    # UNICODE (protocol 0): raw-unicode-escape, latin-1 bytes taken literally.
    add('unicode_raw_escape', 0, b'V\\u20ac \\U0001f600 caf\xe9 \\u005c \\u000a end\np0\n.', V_STR)
    add('unicode_surrogates', 0, b'V\\ud800 \\udfff \\ud83d\\ude00\np0\n.')
    add('unicode_empty', 0, b'V\np0\n.')
    add('binunicode_lone_surrogate', 2, b'\x80\x02X\x03\x00\x00\x00\xed\xa0\x80q\x00.')
    # INT / LONG / FLOAT text forms.
    add('int_bools', 0, b'(lp0\nI00\naI01\naI1\naI0\naI-1\na.')
    add('int_large', 0, b'(lp0\nI12345678901\naI-9223372036854775808\naI9223372036854775807\naI2147483648\na.')
    add('long_text', 0, b'(lp0\nL12345678901234567890L\naL-5L\naL0L\naL18446744073709551616L\naL-1L\na.')
    add('float_text', 0, b'(lp0\nF1.5\naF-0.0\naF1e+300\naF0.1\naF5e-324\naF100.0\naF-2.5e-07\na.')
    add('float_special', 0, b'(lp0\nFnan\naFinf\naF-inf\na.')
    add('binfloat', 1, b']q\x00(G' + f8(1.5) + b'G' + f8(-0.0) + b'G' + f8(float('inf')) + b'e.')
    # Memo: PUT/GET text (protocol 0), BINPUT/BINGET (protocol 1).
    add('memo_text', 0, b"(lp0\nS'a'\np1\nag1\na(dp2\nS'k'\np3\ng0\nsag2\na.", V_STR)
    add('memo_binary', 1, b']q\x00(U\x01aq\x01h\x01]q\x02h\x02h\x00e.', V_STR)
    add('dict_text', 0, b"(dp0\nVkey\np1\nS'value'\np2\nsS'k2'\np3\nI2\ns.", V_STR)
    add('tuple_text', 0, b"(I1\nS'x'\np0\nNI01\ntp1\n.", V_STR)
    add('tuple_proto1', 1, b'(K\x01U\x01xq\x00NI01\ntq\x01.', V_STR)
    add('dict_proto2', 2, b'\x80\x02}q\x00(U\x01aq\x01K\x01U\x01bq\x02]q\x03(K\x02K\x03eu.', V_STR)
    add('tuples_proto2', 2, b'\x80\x02K\x01\x85q\x00K\x01K\x02\x86q\x01K\x01K\x02K\x03\x87q\x02\x87q\x03.')
    # Globals: __builtin__ and copy_reg (renamed by fix_imports).
    add('set_builtin', 0, b'c__builtin__\nset\np0\n((lp1\nI1\naI2\naI3\natp2\nRp3\n.', V_FIX)
    add('set_builtin_proto2', 2, b'\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.', V_FIX)
    add('frozenset_builtin_proto2', 2, b'\x80\x02c__builtin__\nfrozenset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.', V_FIX)
    add('copy_reg_reconstructor', 0, b'ccopy_reg\n_reconstructor\np0\n(c__builtin__\nset\np1\ng1\n(lp2\nI1\naI2\natp3\nRp4\n.', V_FIX)
    add('copy_reg_reconstructor_frozenset', 1,
        b'ccopy_reg\n_reconstructor\nq\x00(c__builtin__\nfrozenset\nq\x01h\x01]q\x02K\x07atq\x03Rq\x04.', V_FIX)
    add('copy_reg_reconstructor_complex', 1,
        b'ccopy_reg\n_reconstructor\nq\x00(c__builtin__\ncomplex\nq\x01h\x01G' + f8(1.5) + b'tq\x02Rq\x03.', V_FIX)
    add('bytearray_py2', 0, b"c__builtin__\nbytearray\np0\n(V\xe9abc\np1\nS'latin-1'\np2\ntp3\nRp4\n.", V_STR_FIX)
    add('bytearray_py2_proto2', 2,
        b'\x80\x02c__builtin__\nbytearray\nq\x00X\x05\x00\x00\x00\xc3\xa9abcq\x01U\x07latin-1q\x02\x86q\x03Rq\x04.', V_STR_FIX)
    add('complex_py2', 2, b'\x80\x02c__builtin__\ncomplex\nq\x00G' + f8(1.5) + b'G' + f8(-2.0) + b'\x86q\x01Rq\x02.', V_FIX)
    # Protocol 2 integers.
    add('proto2_long1', 2, b'\x80\x02]q\x00(\x8a\x09' + (2**64).to_bytes(9, 'little', signed=True) +
        b'\x8a\x01\xff\x8a\x00\x8a\x02\x00\x80\x8a\x08' + (-2**63).to_bytes(8, 'little', signed=True) + b'e.')
    big = 2**2100 + 12345
    nb = (big.bit_length() + 8) // 8
    add('proto2_long4', 2, b'\x80\x02\x8b' + i4(nb) + big.to_bytes(nb, 'little', signed=True) + b'.')
    add('proto2_bools', 2, b'\x80\x02\x88\x89\x86q\x00.')
    return c


def write_py2():
    d = os.path.join(VALID, 'py2')
    for name, proto, data, variants in py2_cases():
        base = os.path.join(d, name)
        count_opcodes(data)
        write_bytes(base + '.pkl', data)
        write_dis(base + '.dis', data)
        for suffix, options in variants:
            spec = {'protocol': proto, 'writer': 'py2'}
            if options:
                spec['options'] = options
            try:
                spec['value'] = typed(checked_load(data, base + '.pkl', options=options))
            except AssertionError:
                raise
            except Exception as e:  # noqa: BLE001
                spec['error'] = type(e).__name__
            write_json(base + ('.%s.json' % suffix if suffix else '.json'), spec)


# ---------------------------------------------------------------------------------------------
# valid/edge: unusual pickles CPython loads.


def edge_cases():
    c = []

    def add(name, proto, data, note, use_c=True, depth=False, file_check=True):
        c.append((name, proto, data, note, use_c, depth, file_check))

    add('long_binput_max', 2, b'\x80\x02K\x07r\xff\xff\xff\xff0j\xff\xff\xff\xff.',
        "LONG_BINPUT 0xFFFFFFFF then LONG_BINGET of it: the pure-Python unpickler loads 7; the C one allocates a "
        "memo array of 2*index entries (MemoryError here)", use_c=False)
    n = 10000
    add('deep_list_10000', 2, b'\x80\x02' + b']' * n + b'a' * (n - 1) + b'.', '10,000 nested lists; loads with the default limits',
        depth=True)
    add('int_4300_digits', 0, b'I' + b'9' * 4300 + b'\n.', 'INT with 4300 digits: the most CPython 3.11 accepts')
    add('long_4300_digits', 0, b'L-' + b'9' * 4300 + b'L\n.', 'LONG with a sign and 4300 digits')
    add('frame_empty', 4, b'\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00N.', 'a FRAME of length 0')
    add('pop_mark_via_pop', 1, b'K\x01(0.', 'POP with an empty MARK on top discards the MARK')
    add('memo_overwrite', 2, b'\x80\x02K\x01q\x00K\x02q\x000h\x00\x86.', 'BINPUT to the same index twice: the later value wins')
    add('stop_leaves_stack', 1, b'K\x01K\x02.', 'STOP returns the top item; the rest of the stack is discarded')
    add('empty_batches', 4, b'\x80\x04](e}(u\x8f(\x90\x87.', 'APPENDS / SETITEMS / ADDITEMS with no items after the MARK')
    add('dict_duplicate_keys', 2, b'\x80\x02}(K\x01K\x02K\x01K\x03u.', 'SETITEMS with a repeated key: the later value wins')
    add('frozenset_duplicates', 4, b'\x80\x04(K\x01K\x01K\x02\x91.', 'FROZENSET with repeated items')
    add('binunicode_surrogate_pair_bytes', 2, b'\x80\x02X\x06\x00\x00\x00\xed\xa0\xbd\xed\xb8\x80.',
        "UTF-8-encoded surrogates (surrogatepass) for a pair: two code points '\\ud83d\\ude00', not one")
    add('proto_repeated', 2, b'\x80\x02\x80\x04N.', 'a second PROTO opcode')
    add('long1_empty', 2, b'\x80\x02\x8a\x00.', 'LONG1 with 0 bytes is 0')
    add('dup_list', 2, b'\x80\x02]2\x86.', 'DUP: a tuple holding the same list twice')
    add('binbytes8_small', 4, b'\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.',
        'BINBYTES8 with a short payload (CPython writes it only beyond 4 GiB)')
    add('binunicode8_small', 4, b'\x80\x04\x8d\x05\x00\x00\x00\x00\x00\x00\x00caf\xc3\xa9.',
        'BINUNICODE8 with a short payload (CPython writes it only beyond 4 GiB)')
    add('newobj_set', 2, b'\x80\x02c__builtin__\nset\n)\x81.', 'NEWOBJ of builtins.set with no arguments')
    add('inst_set', 0, b'((lI1\naI2\naI2\nai__builtin__\nset\n.', 'INST __builtin__.set with one list argument')
    add('obj_frozenset', 1, b'(c__builtin__\nfrozenset\n]K\x01ao.', 'OBJ builtins.frozenset with one list argument')
    add('build_none_on_set', 0, b'c__builtin__\nset\n)RNb.', 'BUILD with state None: CPython skips a None state')
    return c


def write_edge():
    d = os.path.join(VALID, 'edge')
    for name, proto, data, note, use_c, depth, file_check in edge_cases():
        base = os.path.join(d, name)
        spec = {'protocol': proto, 'writer': 'edge'}
        value = checked_load(data, base + '.pkl', use_c=use_c, file_check=file_check, strict_ops=False)
        if depth:
            spec['expect_depth'] = depth_of(value)
        else:
            spec['value'] = typed(value)
        spec['note'] = note
        count_opcodes(data)
        write_bytes(base + '.pkl', data)
        write_json(base + '.json', spec)
        write_dis(base + '.dis', data, max_size=65536, keep_large=False)


# ---------------------------------------------------------------------------------------------
# 4. malformed/: hostile or broken pickles.

CHILD = r'''
import pickle, resource, sys, warnings
warnings.simplefilter('ignore')
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
data = sys.stdin.buffer.read()
try:
    pickle.loads(data)
    r = 'ok'
except BaseException as e:
    r = type(e).__name__
sys.stdout.write(r)
sys.stdout.flush()
'''


def python_result(data, timeout):
    try:
        p = subprocess.run([sys.executable, '-c', CHILD], input=data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 'not_run'
    if p.returncode != 0 or not p.stdout:
        return 'crash(%d)' % p.returncode
    return p.stdout.decode()


def malformed_cases():
    c = []

    def add(name, expect, data, why, run=True, timeout=20):
        assert expect in ('truncated', 'malformed', 'refused', 'limit'), expect
        assert '.' not in name
        if expect == 'refused':
            run = False  # never load a pickle that names a dangerous global
        c.append((name, expect, data, why, run, timeout))

    # Input that ends too early.
    add('empty', 'malformed', b'', 'empty input: no pickle at all (Python: EOFError; pickleguard: end_of_input)')
    add('proto_without_stop', 'truncated', b'\x80\x02', 'PROTO 2 and nothing after it')
    add('no_stop', 'truncated', b'\x80\x02]q\x00(K\x01K\x02e', 'a complete list but no STOP')

    # Every opcode with its argument cut short.
    texts = {'INT': b'12', 'LONG': b'12L', 'STRING': b"'ab'", 'UNICODE': b'ab', 'FLOAT': b'1.5', 'PUT': b'1', 'GET': b'1',
             'PERSID': b'x'}
    for op in pickletools.opcodes:
        if op.arg is None:
            continue
        code = op.code.encode('latin-1')
        pre = b'N' if op.name in ('PUT', 'BINPUT', 'LONG_BINPUT') else b''
        n = op.arg.n
        name = 'cut_' + op.name
        why = '%s with its argument cut short' % op.name
        if n > 0:
            add(name + '_0', 'truncated', pre + code, why + ': no argument bytes')
            if n > 1:
                add(name + '_%d' % (n - 1), 'truncated', pre + code + b'\x01' * (n - 1), why + ': %d of %d bytes' % (n - 1, n))
        elif n == pickletools.UP_TO_NEWLINE:
            if op.name in ('GLOBAL', 'INST'):
                add(name + '_line1', 'truncated', b'(' * (op.name == 'INST') + code + b'builtins',
                    why + ': the module line has no newline')
                add(name + '_line2', 'truncated', b'(' * (op.name == 'INST') + code + b'builtins\nse',
                    why + ': the name line has no newline')
            else:
                add(name + '_noline', 'truncated', pre + code + texts[op.name], why + ': no newline')
        else:
            width = {pickletools.TAKEN_FROM_ARGUMENT1: 1, pickletools.TAKEN_FROM_ARGUMENT4: 4,
                     pickletools.TAKEN_FROM_ARGUMENT4U: 4, pickletools.TAKEN_FROM_ARGUMENT8U: 8}[n]
            if width > 1:
                add(name + '_len', 'truncated', code + b'\x05' * (width // 2), why + ': the length is cut short')
            else:
                add(name + '_len', 'truncated', code, why + ': no length byte')
            add(name + '_data', 'truncated', code + (5).to_bytes(width, 'little') + b'ab', why + ': 2 of 5 payload bytes')

    # Unknown opcodes.
    known = {ord(op.code.encode('latin-1')) for op in pickletools.opcodes}
    for byte in (0x00, 0x01, 0x0a, 0x20, 0x5a, 0x7a, 0x7f, 0x9a, 0xa0, 0xff):
        assert byte not in known
        add('unknown_opcode_%02x' % byte, 'malformed', bytes([byte]) + b'.', 'byte 0x%02x is not an opcode' % byte)
    add('unknown_opcode_after_proto', 'malformed', b'\x80\x05\x95\x02\x00\x00\x00\x00\x00\x00\x00\xff.',
        'byte 0xff inside a protocol 5 frame')
    add('proto_6', 'malformed', b'\x80\x06N.', 'PROTO 6 is not a known protocol')
    add('proto_255', 'malformed', b'\x80\xffN.', 'PROTO 255 is not a known protocol')

    # Stack misuse.
    add('stop_empty_stack', 'malformed', b'.', 'STOP with nothing on the stack')
    add('stop_only_mark', 'malformed', b'K\x01(.', 'STOP right after a MARK: nothing above the mark')
    add('append_empty_stack', 'malformed', b'a.', 'APPEND on an empty stack')
    add('append_only_list', 'malformed', b']a.', 'APPEND with a list but no item')
    add('setitem_empty_stack', 'malformed', b's.', 'SETITEM on an empty stack')
    add('setitem_too_short', 'malformed', b'}K\x01s.', 'SETITEM with a dict and a key but no value')
    add('tuple2_empty_stack', 'malformed', b'\x80\x02\x86.', 'TUPLE2 on an empty stack')
    add('tuple2_one_item', 'malformed', b'\x80\x02K\x01\x86.', 'TUPLE2 with one item')
    add('tuple3_across_mark', 'malformed', b'\x80\x02K\x01(K\x02K\x03\x87.', 'TUPLE3 whose items would cross a MARK')
    add('tuple1_empty', 'malformed', b'\x80\x02\x85.', 'TUPLE1 on an empty stack')
    add('pop_empty', 'malformed', b'0N.', 'POP on an empty stack')
    add('dup_empty', 'malformed', b'2.', 'DUP on an empty stack')
    add('memoize_empty', 'malformed', b'\x80\x04\x94.', 'MEMOIZE on an empty stack')
    add('binput_empty', 'malformed', b'q\x00N.', 'BINPUT on an empty stack')
    add('put_empty', 'malformed', b'p0\nN.', 'PUT on an empty stack')
    add('build_empty', 'malformed', b'Nb.', 'BUILD with a state but no object')
    add('reduce_empty', 'malformed', b')R.', 'REDUCE with arguments but no callable')
    add('stack_global_empty', 'malformed', b'\x80\x04\x8c\x01a\x93.', 'STACK_GLOBAL with one item')
    for opname, data in [('APPENDS', b']K\x01e.'), ('SETITEMS', b'}K\x01K\x02u.'), ('TUPLE', b'K\x01t.'), ('LIST', b'K\x01l.'),
                         ('DICT', b'K\x01K\x02d.'), ('FROZENSET', b'\x80\x04K\x01\x91.'), ('ADDITEMS', b'\x80\x04\x8fK\x01\x90.'),
                         ('POP_MARK', b'K\x011.'), ('INST', b'ibuiltins\nset\n.'), ('OBJ', b'N)o.')]:
        add('no_mark_' + opname, 'malformed', data, '%s without a MARK' % opname)
    add('appends_mark_at_bottom', 'malformed', b'(K\x01e.', 'APPENDS with no list below the MARK')
    add('setitems_mark_at_bottom', 'malformed', b'(K\x01K\x02u.', 'SETITEMS with no dict below the MARK')
    add('additems_mark_at_bottom', 'malformed', b'\x80\x04(K\x01\x90.', 'ADDITEMS with no set below the MARK')
    add('obj_empty_mark', 'malformed', b'(o.', 'OBJ with nothing after the MARK')

    # Wrong types.
    add('append_to_int', 'malformed', b'K\x01K\x02a.', 'APPEND onto an int')
    add('append_to_dict', 'malformed', b'}K\x02a.', 'APPEND onto a dict')
    add('appends_to_tuple', 'malformed', b')(K\x01e.', 'APPENDS onto a tuple')
    add('append_to_bytearray', 'malformed', b'\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00KAa.',
        'APPEND onto a bytearray (CPython calls bytearray.append and accepts it)')
    add('setitem_on_int', 'malformed', b'K\x01K\x02K\x03s.', 'SETITEM onto an int')
    add('setitem_on_list', 'malformed', b']K\x01aK\x00K\x05s.', 'SETITEM onto a list (CPython does list[0] = 5 and accepts it)')
    add('setitems_on_tuple', 'malformed', b')(K\x01K\x02u.', 'SETITEMS onto a tuple')
    add('setitems_odd', 'malformed', b'}(K\x01u.', 'SETITEMS with an odd number of items')
    add('dict_odd', 'malformed', b'(K\x01K\x02K\x03d.', 'DICT with an odd number of items')
    add('additems_to_list', 'malformed', b'\x80\x04](K\x01\x90.', 'ADDITEMS onto a list')
    add('additems_to_frozenset', 'malformed', b'\x80\x04(\x91(K\x01\x90.', 'ADDITEMS onto a frozenset')
    add('dict_key_list', 'malformed', b'}]K\x01s.', 'a list as a dict key (unhashable)')
    add('dict_key_dict', 'malformed', b'(}K\x01d.', 'a dict as a DICT key (unhashable)')
    add('set_item_list', 'malformed', b'\x80\x04\x8f(]\x90.', 'a list as a set item (unhashable)')
    add('frozenset_item_set', 'malformed', b'\x80\x04(\x8f\x91.', 'a set in a frozenset (unhashable)')
    add('stack_global_not_str', 'malformed', b'\x80\x04K\x01K\x02\x93.', 'STACK_GLOBAL with ints instead of strs')
    add('stack_global_bytes', 'malformed', b'\x80\x04C\x08builtinsC\x03set\x93.', 'STACK_GLOBAL with bytes instead of strs')
    add('reduce_not_callable', 'malformed', b'K\x01)R.', 'REDUCE of an int')
    add('reduce_args_not_tuple', 'malformed', b'c__builtin__\nset\nK\x01R.', 'REDUCE of builtins.set with an int, not a tuple')
    add('build_on_set', 'malformed', b'c__builtin__\nset\n)R}b.', 'BUILD with a dict state on a set, which has no __dict__')
    add('readonly_buffer_on_int', 'malformed', b'\x80\x05K\x01\x98.', 'READONLY_BUFFER on an int')

    # Memo.
    add('binget_missing', 'malformed', b'h\x05.', 'BINGET of a memo key never stored')
    add('get_missing', 'malformed', b'g5\n.', 'GET of a memo key never stored')
    add('long_binget_missing', 'malformed', b'j\x05\x00\x00\x00.', 'LONG_BINGET of a memo key never stored')
    add('get_negative', 'malformed', b'g-1\n.', 'GET -1')
    add('put_negative', 'malformed', b'Np-1\n.', 'PUT -1')
    add('put_huge', 'malformed', b'Np99999999999999999999999\n.', 'PUT with an index beyond 2**64')
    add('get_not_int', 'malformed', b'Np0\ngx\n.', 'GET with a non-numeric index')
    add('memo_cleared_by_nothing', 'malformed', b'\x80\x04N\x94h\x01.', 'MEMOIZE stores index 0; BINGET 1 is missing')

    # Framing and lengths.
    # Framing is strict, as pickle._Unpickler enforces it (the C unpickler does not check frame ends):
    # readers disagree on such pickles, and CPython's pickler never writes them.
    add('frame_straddle', 'malformed', b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello.',
        "an opcode's argument runs past the end of its FRAME: pickle.loads accepts it; pickle._loads raises")
    add('frame_in_frame', 'malformed', b'\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.',
        'a FRAME begins before the current frame has ended: pickle._loads raises')
    add('frame_stop_early', 'malformed', b'\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00N.N.',
        'STOP with bytes of its frame left: the next pickle starts there for the C unpickler, after the frame for pickle._Unpickler')
    add('frame_too_long', 'truncated', b'\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00N.', 'FRAME of 16 bytes with 2 left')
    add('frame_2p63', 'truncated', b'\x80\x04\x95' + (2**63).to_bytes(8, 'little') + b'N.', 'FRAME length 2**63')
    add('frame_2p64m1', 'truncated', b'\x80\x04\x95' + b'\xff' * 8 + b'N.', 'FRAME length 2**64-1')
    for opname, code in [('BINUNICODE', b'X'), ('BINBYTES', b'B')]:
        add(opname.lower() + '_len_ffffffff', 'truncated', code + b'\xff\xff\xff\xffab.', '%s of length 0xFFFFFFFF, 3 bytes left' % opname)
    add('binstring_len_7fffffff', 'truncated', b'T\xff\xff\xff\x7fab.', 'BINSTRING of length 2**31-1 with 3 bytes left')
    add('binstring_negative', 'malformed', b'T\xff\xff\xff\xffab.', 'BINSTRING length is signed: 0xFFFFFFFF is -1')
    add('binstring_negative_min', 'malformed', b'T\x00\x00\x00\x80ab.', 'BINSTRING of length -2**31')
    for opname, code in [('BINUNICODE8', b'\x8d'), ('BINBYTES8', b'\x8e'), ('BYTEARRAY8', b'\x96')]:
        add(opname.lower() + '_len_2p63', 'truncated', b'\x80\x05' + code + (2**63).to_bytes(8, 'little') + b'ab.',
            '%s of length 2**63' % opname)
        add(opname.lower() + '_len_2p64m1', 'truncated', b'\x80\x05' + code + b'\xff' * 8 + b'ab.', '%s of length 2**64-1' % opname)
    add('long4_negative', 'malformed', b'\x80\x02\x8b\xff\xff\xff\xff.', 'LONG4 with a negative byte count')
    add('long4_huge', 'truncated', b'\x80\x02\x8b\xff\xff\xff\x7f\x00.', 'LONG4 of 2**31-1 bytes with 2 left')

    # Text arguments.
    add('binunicode_bad_utf8_ff', 'malformed', b'X\x02\x00\x00\x00\xff\xfe.', 'BINUNICODE with bytes that are never UTF-8')
    add('binunicode_overlong', 'malformed', b'X\x02\x00\x00\x00\xc0\x80.', 'BINUNICODE with an overlong encoding of NUL')
    add('binunicode_cut_sequence', 'malformed', b'X\x02\x00\x00\x00\xe2\x82.', 'BINUNICODE ending inside a 3-byte sequence')
    add('binunicode_above_10ffff', 'malformed', b'X\x04\x00\x00\x00\xf4\x90\x80\x80.', 'BINUNICODE with a code point above U+10FFFF')
    add('binunicode_lone_continuation', 'malformed', b'X\x03\x00\x00\x00a\x80b.', 'BINUNICODE with a lone continuation byte')
    add('short_binunicode_bad_utf8', 'malformed', b'\x80\x04\x8c\x01\xff.', 'SHORT_BINUNICODE with invalid UTF-8')
    add('binunicode8_bad_utf8', 'malformed', b'\x80\x04\x8d\x01\x00\x00\x00\x00\x00\x00\x00\xff.', 'BINUNICODE8 with invalid UTF-8')
    add('string_not_quoted', 'malformed', b'Sabc\n.', 'STRING without quotes')
    add('string_mismatched_quotes', 'malformed', b'S\'abc"\n.', 'STRING opening with \' and closing with "')
    add('string_one_quote', 'malformed', b"S'\n.", "STRING that is a single ' character")
    add('string_empty_line', 'malformed', b'S\n.', 'STRING with an empty line')
    add('string_bad_hex_escape', 'malformed', b"S'\\x4'\n.", 'STRING with an incomplete \\x escape')
    add('string_trailing_backslash', 'malformed', b"S'abc\\'\n.", 'STRING whose closing quote is escaped')
    add('string_non_ascii_default', 'malformed', b"S'caf\\xe9'\n.", 'STRING with a non-ASCII byte, default (ASCII) decoding')
    add('short_binstring_non_ascii', 'malformed', b'U\x01\xe9.', 'SHORT_BINSTRING with a non-ASCII byte, default decoding')
    add('unicode_bad_escape', 'malformed', b'V\\u12\n.', 'UNICODE with a truncated \\u escape')
    add('unicode_escape_out_of_range', 'malformed', b'V\\U00110000\n.', 'UNICODE with \\U00110000')
    add('int_abc', 'malformed', b'Iabc\n.', "INT 'abc'")
    add('int_empty', 'malformed', b'I\n.', 'INT with an empty line')
    add('int_float', 'malformed', b'I1.5\n.', "INT '1.5'")
    add('long_abc', 'malformed', b'Labc\n.', "LONG 'abc'")
    add('long_only_l', 'malformed', b'LL\n.', "LONG 'L'")
    add('float_abc', 'malformed', b'Fabc\n.', "FLOAT 'abc'")
    add('float_empty', 'malformed', b'F\n.', 'FLOAT with an empty line')
    add('float_overflow', 'malformed', b'F1e500\n.', 'FLOAT 1e500: the C unpickler raises OverflowError')
    add('float_leading_space', 'malformed', b'F 1.5\n.', 'FLOAT with a leading space (the C unpickler refuses it)')
    add('float_underscore', 'malformed', b'F1_0\n.', 'FLOAT with an underscore (the C unpickler refuses it)')
    add('int_5000_digits', 'limit', b'I' + b'1' * 5000 + b'\n.', 'INT with 5000 digits (CPython 3.11 refuses more than 4300)')
    add('int_4301_digits', 'limit', b'I' + b'1' * 4301 + b'\n.', 'INT with 4301 digits')
    add('long_5000_digits', 'limit', b'L' + b'1' * 5000 + b'L\n.', 'LONG with 5000 digits')
    add('long_4301_digits_negative', 'limit', b'L-' + b'1' * 4301 + b'L\n.', 'LONG with a sign and 4301 digits')

    # Globals and calls the default policy refuses: never loaded here.
    add('global_os_system', 'refused', b'cos\nsystem\n.', 'GLOBAL os.system')
    add('global_posix_system', 'refused', b'cposix\nsystem\n.', 'GLOBAL posix.system')
    add('global_missing_second_line', 'truncated', b'cbuiltins\n', 'GLOBAL with only the module line')
    add('reduce_builtins_eval', 'refused', b"cbuiltins\neval\n(S'1+1'\ntR.", 'REDUCE of builtins.eval')
    add('reduce_builtin_eval_py2', 'refused', b'c__builtin__\neval\n(V1+1\ntR.', 'REDUCE of __builtin__.eval (renamed to builtins)')
    add('inst_os_system', 'refused', b"(S'echo hi'\nios\nsystem\n.", 'INST os.system')
    add('obj_subprocess_popen', 'refused', b"(csubprocess\nPopen\nS'ls'\no.", 'OBJ with subprocess.Popen')
    add('stack_global_os_system_memo', 'refused', b'\x80\x04\x8c\x02os\x940\x8c\x06system\x940h\x00h\x01\x93.',
        'STACK_GLOBAL os.system, built from memoized strings')
    add('stack_global_getattr', 'refused', b'\x80\x04\x8c\x08builtins\x8c\x07getattr\x93.', 'STACK_GLOBAL builtins.getattr')
    add('stack_global_dotted', 'refused', b'\x80\x04\x8c\x08builtins\x8c\x0eset.__reduce__\x93.',
        'STACK_GLOBAL of a dotted name under an allowed class')
    add('newobj_object', 'refused', b'\x80\x02c__builtin__\nobject\n)\x81.', 'NEWOBJ of builtins.object')
    add('reconstructor_object', 'refused', b'ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nc__builtin__\nobject\nNtR.',
        'copyreg._reconstructor of builtins.object')
    add('global_codecs_decode', 'refused', b'c_codecs\ndecode\n.', '_codecs.decode (only _codecs.encode is allowed)')
    add('global_collections_counter', 'refused', b'ccollections\nCounter\n.', 'collections.Counter')
    add('global_builtins_nofix', 'refused', b'\x80\x03c__builtin__\nset\n.', 'GLOBAL __builtin__.set at protocol 3: no renaming')

    # Registries the loader does not have.
    add('ext1_unregistered', 'malformed', b'\x80\x02\x82\x01.', 'EXT1 code 1 with an empty extension registry')
    add('ext2_unregistered', 'malformed', b'\x80\x02\x83\x01\x01.', 'EXT2 code 257 with an empty extension registry')
    add('ext4_zero', 'malformed', b'\x80\x02\x84\x00\x00\x00\x00.', 'EXT4 code 0')
    add('persid_without_loader', 'malformed', b'Pfoo\n.', 'PERSID without persistent_load')
    add('binpersid_without_loader', 'malformed', b'K\x01Q.', 'BINPERSID without persistent_load')
    add('next_buffer_without_buffers', 'malformed', b'\x80\x05\x97.', 'NEXT_BUFFER without out-of-band buffers')

    # Resource limits.
    n = 10**6
    add('mark_nesting_1e6', 'limit', b'\x80\x02' + b'(' * n + b'N.', '1,000,000 nested MARKs', timeout=5)
    add('nested_list_1e6', 'limit', b'\x80\x02' + b']' * n + b'a' * (n - 1) + b'.', '1,000,000 nested lists', timeout=5)
    add('nested_list_25000', 'limit', b'\x80\x02' + b']' * 25000 + b'a' * 24999 + b'.',
        '25,000 nested lists: beyond the default maxDepth of 20,000')
    return c


def write_malformed():
    names = set()
    blobs = {}
    for name, expect, data, why, run, timeout in malformed_cases():
        assert name not in names, name
        names.add(name)
        assert data not in blobs, (name, blobs.get(data))
        blobs[data] = name
        result = python_result(data, timeout) if run else 'not_run'
        base = os.path.join(MALFORMED, name)
        write_bytes(base + '.pkl', data)
        write_json(base + '.json', {'expect': expect, 'python': result, 'why': why})
        if result == 'ok':
            NOTES.append('malformed/%s: CPython loads it (%s)' % (name, why))


# ---------------------------------------------------------------------------------------------


def main():
    for d in (VALID, MALFORMED):
        if os.path.isdir(d):
            shutil.rmtree(d)
    write_opcodes()
    write_valid()
    write_py2()
    write_edge()
    write_malformed()
    counts = collections.Counter()
    size = 0
    for path in FILES:
        counts[os.path.relpath(os.path.dirname(path), HERE)] += 1
        size += os.path.getsize(path)
    for d in sorted(counts):
        print('%-14s %5d files' % (d, counts[d]))
    print('total          %5d files, %d bytes' % (len(FILES), size))
    for d in sorted(USED_GLOBALS):
        print('globals in %s: %s' % (d, ', '.join('%s.%s' % g for g in sorted(USED_GLOBALS[d]))))
    unused = [op.name for op in pickletools.opcodes if op.name not in USED_OPCODES]
    print('opcodes not in valid/: %s' % ', '.join(unused))
    for note in NOTES:
        print('note: ' + note)


if __name__ == '__main__':
    main()
