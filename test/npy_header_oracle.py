#!/usr/bin/env python3
"""numpy's own verdict on many .npy headers, for test/npy-header.test.ts (never unpickles anything).

Writes JSON lines {"hex": header bytes, "ok": bool, "objects": bool, "offset": int, "written": bool}:
numpy.lib.format's read_magic, version check and header reader (as numpy.load(allow_pickle=True)
calls them: no header size limit), then the element count read_array computes. `written` marks
headers numpy itself wrote (np.save of many dtypes): those must be read, not just refused.
Deterministic: a fixed seed. Usage: python3 test/npy_header_oracle.py [count]
"""
import io, json, random, struct, sys, warnings
import numpy as np

try:
    from numpy.lib import _format_impl as fmt
except ImportError:  # numpy < 2
    from numpy.lib import format as fmt

warnings.simplefilter('ignore')
rng = random.Random(20261124)
count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


def verdict(b):
    f = io.BytesIO(b)
    try:
        version = fmt.read_magic(f)
        fmt._check_version(version)
        shape, _, dtype = fmt._read_array_header(f, version, max_header_size=2**64)
        if len(shape):
            np.multiply.reduce(shape, dtype=np.int64)
        return {'ok': True, 'objects': bool(dtype.hasobject), 'offset': f.tell()}
    except Exception:  # anything numpy raises: the load fails
        return {'ok': False, 'objects': False, 'offset': 0}


def npy(text, version=(1, 0), encode=None, length_delta=0):
    body = text.encode(encode or ('utf8' if version == (3, 0) else 'latin1'), 'surrogatepass')
    size = len(body) + length_delta
    head = b'\x93NUMPY' + bytes(version)
    head += struct.pack('<H', size & 0xffff) if version[0] == 1 else struct.pack('<I', size & 0xffffffff)
    return head + body


out = []
def emit(b, written=False):
    out.append({'hex': b.hex(), 'written': written, **verdict(b)})

# Headers numpy writes itself.
written_dtypes = ['<f8', '>i4', '|u1', '?', '<c16', '<U5', '|S3', '|V4', '<M8[ns]', '<m8[s]', 'O', '<f2', '>f16',
                  [('a', '<i4'), ('b', 'O')], [('x', '<f8', (2, 3))], [('n', [('o', 'O'), ('p', '<i2')])],
                  ('O', (2,)), [(('title', 'name'), '<i4')], {'names': ['a'], 'formats': ['<i4'], 'offsets': [4], 'itemsize': 12}]
for dt in written_dtypes:
    for shape in [(), (3,), (2, 0), (1, 2, 3)]:
        for version in [(1, 0), (2, 0), (3, 0)]:
            dtype = np.dtype(dt)
            buf = io.BytesIO()
            fmt._write_array_header(buf, {'descr': fmt.dtype_to_descr(dtype), 'fortran_order': False, 'shape': shape}, version)
            emit(buf.getvalue(), written=True)

# Generated headers: dtype strings, subarrays, fields, literal syntax, versions, lengths.
STRINGS = ['O', '|O', '<O', '>O', '=O', 'O8', '|O8', 'O4', 'O2', 'O16', 'object', 'T', '<T', '>T', '|T', '=T', 'T8',
           'b1', '?', '|b1', '<b1', 'i1', '|i1', '<i2', '>i4', '=i8', '|i8', 'i16', 'i0', 'u1', '<u8', 'f2', '<f4', '>f8', 'f16', 'f12',
           'f1', 'c8', 'c16', '<c32', 'c4', 'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'e', 'f', 'd', 'g', 'F', 'D', 'G',
           'p', 'P', 'S', 'S0', 'S5', '|S5', '<S5', 'S05', 'S2147483647', 'S2147483648', 'a5', 'U', 'U0', '<U3', '>U3', 'U536870911',
           'U536870912', 'V', 'V0', 'V8', '|V8', '<V8', 'M8', 'M8[ns]', '<M8[D]', 'm8[10s]', 'M8[0s]', 'M8[generic]', 'M8[xs]', 'M',
           '', ' O', 'O ', 'i 4', 'f8,O', '(2,)O', '2O', 'float64', 'int', 'K', 'Z', '<<f8', 'f8 ']
SHAPES = ['()', '(3,)', '(2, 3)', '(0,)', '(True,)', '(-1,)', '(2**63,)', '(9223372036854775807,)', '(9223372036854775808,)',
          '(-9223372036854775808,)', '[3]', '(3.0,)', '3', '(3L,)', '(0x10,)', '(1_0,)', '("3",)', '(None,)', '((3,),)']
ORDERS = ['False', 'True', '0', '1', "'False'", 'None']


def rand_descr(depth=0):
    r = rng.random()
    if depth > 2 or r < 0.45:
        return repr(rng.choice(STRINGS))
    if r < 0.6:
        return f"({rand_descr(depth + 1)}, {rng.choice(['2', '(2,)', '(2, 3)', '0', '(0,)', '1', '()', '-1', 'True', '(2.0,)', '[2]', '(2147483648,)'])})"
    fields = []
    for i in range(rng.randint(0, 3)):
        name = rng.choice([repr(f'f{i}'), repr(f'f{i}'), "''", repr('f0'), "('t', 'x%d')" % i, "('f0', 'y')", "(1, 'z')", '1', "'O'"])
        extra = rng.choice(['', '', ', (2,)', ', 2', ", 'x'"])
        fields.append(f"({name}, {rand_descr(depth + 1)}{extra})")
    if rng.random() < 0.1:
        fields.append(rng.choice(["'xO'", "['a', 'O']", "('a',)", "('a', 'O', (1,), 4)"]))
    return '[' + ', '.join(fields) + ']'


def rand_text():
    q = rng.choice(["'", '"'])
    def s(x):
        return f'{q}{x}{q}'
    entries = [f"{s('descr')}: {rand_descr()}", f"{s('fortran_order')}: {rng.choice(ORDERS) if rng.random() < 0.3 else 'False'}",
               f"{s('shape')}: {rng.choice(SHAPES) if rng.random() < 0.5 else '(3,)'}"]
    r = rng.random()
    if r < 0.05:
        entries.pop(rng.randrange(3))
    elif r < 0.1:
        entries.append(rng.choice(["'extra': 1", "1: 2", "'descr': '<f8'", "'descr': 'O'", "b'descr': 1"]))
    rng.shuffle(entries)
    sep = rng.choice([', ', ',', ',\n ', ' , ', ',\t', ',\r\n'])
    text = '{' + sep.join(entries) + rng.choice(['', ',', ' ,']) + '}'
    return rng.choice(['', ' ', '\t', '\n', '\f']) + text + rng.choice(['', ' ', '\n', ' ' * 20 + '\n', '\r\n', '\n#c', '\\\n', ' x'])


SYNTAX = ["'", '"', '\\', ',', ':', '(', ')', '[', ']', '{', '}', ' ', '\n', 'L', 'u', 'r', 'b', '#', '0', '_', '\x00', '\xa0', 'é']
ESCAPED = ["'\\x4f'", "'\\117'", "'\\u004f'", "'\\U0000004f'", "u'O'", "r'O'", "R'O'", "U'O'", "'O' ''", "'' 'O'", "'|' 'O'",
           "'\\N{LATIN CAPITAL LETTER O}'", "b'O'", "'''O'''", "f'O'", "'\\O'", "'\\777'", "'\\x4'", "ur'O'", "'O'\\\n", "r'\\''"]
for i in range(count):
    text = rand_text()
    r = rng.random()
    if r < 0.15:
        text = "{'descr': %s, 'fortran_order': False, 'shape': (3,), }" % rng.choice(ESCAPED)
    elif r < 0.35 and text:
        k = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.4:
            text = text[:k] + rng.choice(SYNTAX) + text[k:]
        elif op < 0.7:
            text = text[:k] + text[k + 1:]
        else:
            text = text[:k] + rng.choice(SYNTAX) + text[k + 1:]
    version = rng.choice([(1, 0), (1, 0), (2, 0), (3, 0), (3, 0), (1, 1), (0, 0), (4, 0), (2, 1)])
    delta = rng.choice([0] * 12 + [-1, 1, -3, 100])
    try:
        b = npy(text, version)
    except UnicodeEncodeError:
        b = npy(text, (3, 0))
    if delta:
        v = b[6:8]
        size_len = 2 if v[0] == 1 else 4
        n = struct.unpack('<H' if size_len == 2 else '<I', b[8:8 + size_len])[0] + delta
        b = b[:8] + (struct.pack('<H', n & 0xffff) if size_len == 2 else struct.pack('<I', n & 0xffffffff)) + b[8 + size_len:]
    if rng.random() < 0.02:
        b = b[:rng.randrange(len(b))]
    if rng.random() < 0.02:
        b = b[:12] + b'\xff\xfe' + b[14:]  # not UTF-8
    emit(b)

for line in out:
    print(json.dumps(line))
