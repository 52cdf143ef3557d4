/**
 * Python source shared by the tests that ask CPython for pickles: `typed(v)`, the corpus's
 * typed-JSON form of a loaded value (the Python side of test/helpers/typed.ts), and
 * `RandomValues(seed)`, a seeded generator of random picklable builtin values.
 *
 * The typed form: None → null; bool → true/false; int → {"int": decimal}; float → {"float": repr};
 * str → {"str"}; bytes / bytearray → {"bytes" | "bytearray": hex}; complex → {"complex": [repr, repr]};
 * list / tuple → {"list" | "tuple": [...]}; dict / OrderedDict → {"dict" | "odict": [[k, v], ...]};
 * set / frozenset → {"set" | "frozenset": [...]}. Containers (list, non-empty tuple, dict, odict,
 * set, frozenset) referenced more than once — counting references over the graph, not through dict
 * keys or set items — get "id": n at their first emission (DFS pre-order) and {"ref": n} after.
 * Dict keys and set items are emitted without ids. Same rules as `typed` in corpus/generate.py.
 */
import { join } from 'node:path';

/** corpus/, for its typed_json.py (the scalar cases of the typed form, shared with the corpus generators). */
const CORPUS_DIR = join(import.meta.dirname, '..', '..', 'corpus');

export const PY_TYPED = String.raw`
import collections, sys
sys.setrecursionlimit(100000)
sys.path.insert(0, ${JSON.stringify(CORPUS_DIR)})
from typed_json import NOT_SCALAR, scalar

# id(global) -> (global, 'module qualname'): globals a restricted find_class handed out, typed as {"global"}.
PG_GLOBAL_NAMES = {}

def _trackable(v):
    t = type(v)
    if t is tuple:
        return len(v) > 0
    return t in (list, dict, set, frozenset, collections.OrderedDict)

def _tracked_children(v):
    if isinstance(v, dict):
        return list(v.values())
    if isinstance(v, (set, frozenset)):
        return []
    return list(v)

def typed(root):
    counts = {}
    stack = [root]
    while stack:
        v = stack.pop()
        if not _trackable(v):
            continue
        c = counts.get(id(v), 0)
        counts[id(v)] = c + 1
        if c == 0:
            stack.extend(_tracked_children(v))
    ids = {}

    def emit(v, track):
        s = scalar(v)
        if s is not NOT_SCALAR:
            return s
        t = type(v)
        if t is memoryview:
            return {'bytes' if v.readonly else 'bytearray': v.tobytes().hex()}
        if t is complex:
            return {'complex': [repr(v.real), repr(v.imag)]}
        if id(v) in PG_GLOBAL_NAMES and PG_GLOBAL_NAMES[id(v)][0] is v:
            return {'global': PG_GLOBAL_NAMES[id(v)][1]}
        if track and _trackable(v):
            if id(v) in ids:
                return {'ref': ids[id(v)]}
            if counts.get(id(v), 0) > 1:
                ids[id(v)] = len(ids)

        def with_id(o):
            if track and id(v) in ids:
                o['id'] = ids[id(v)]
            return o

        if t is tuple:
            return with_id({'tuple': [emit(x, track) for x in v]})
        if t is list:
            return with_id({'list': [emit(x, track) for x in v]})
        if t is dict or t is collections.OrderedDict:
            items = [[emit(k, False), emit(x, track)] for k, x in v.items()]
            return with_id({'odict' if t is collections.OrderedDict else 'dict': items})
        if t is set or t is frozenset:
            return with_id({t.__name__: [emit(x, False) for x in v]})
        raise TypeError('no typed form for %r' % (t,))

    return emit(root, True)
`;

/** Python: has_pair(v, set()), whether a str anywhere in v holds a high then a low lone surrogate (one astral character once in a JS string). */
export const PY_HAS_PAIR = String.raw`
import re
PAIR = re.compile('[\ud800-\udbff][\udc00-\udfff]')

def has_pair(v, seen):
    if isinstance(v, str):
        return PAIR.search(v) is not None
    if id(v) in seen or not isinstance(v, (list, tuple, dict, set, frozenset)):
        return False
    seen.add(id(v))
    items = [x for kv in v.items() for x in kv] if isinstance(v, dict) else list(v)
    return any(has_pair(x, seen) for x in items)
`;

export const PY_RANDOM_VALUES = String.raw`
import collections, random, struct

_INTS = [0, 1, -1, 2, 127, 128, 255, 256, -128, -129, -256, -257, 32767, 32768, 65535, 65536, -65536,
         2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**32 - 1, 2**32, 2**53 - 1, 2**53, 2**53 + 1, -2**53 - 1,
         2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64, -2**64, 2**64 + 1, 10**20, -10**20, 2**1000, -2**1000 + 1]
_FLOATS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 0.1, 1 / 3, 1e16, 1e22, 1e23, 1e300, -1e300, 1e-300, 5e-324,
           -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64,
           123456789.0, 1e15 + 0.3, float('inf'), float('-inf'), float('nan')]
_STRS = ['', 'a', 'L', '00', '01', 'None', '\\', '\\u0041', '\n', '\r\n', '\x00', '\x1a', "'", '"', '__proto__',
         'constructor', 'toString', 'hasOwnProperty', 'prototype', '0', '123', 'caf\u00e9', '\u20ac', '\U0001f600',
         '\ud800', '\udfff', '\ud83d', 'a\ud800b', '\udc80\udc80', 'x' * 300, '\u00e9' * 200]
_POOLS = [
    (0.35, [(0x20, 0x7e)]),
    (0.1, [(0x00, 0x1f), (0x5c, 0x5c), (0x7f, 0x7f)]),
    (0.15, [(0x80, 0xff)]),
    (0.15, [(0x100, 0xd7ff), (0xe000, 0xfffd)]),
    (0.15, [(0x10000, 0x10ffff)]),
    (0.1, [(0xd800, 0xdfff)]),
]


class RandomValues:
    def __init__(self, seed, max_depth=6):
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        self.pool = []
        self.hashables = []
        self.budget = 120

    def int(self):
        r = self.rng
        k = r.random()
        if k < 0.3:
            return r.choice(_INTS)
        if k < 0.5:
            return r.randint(-300, 300)
        if k < 0.7:
            return r.randint(-2**31 - 10, 2**31 + 10)
        if k < 0.88:
            return r.randint(-2**64 - 10, 2**64 + 10)
        v = r.getrandbits(r.choice([65, 100, 200, 1000, 3000, 12000]))
        return -v if r.random() < 0.5 else v

    def float(self, nan=True):
        r = self.rng
        k = r.random()
        if k < 0.3:
            x = r.choice(_FLOATS)
        elif k < 0.5:
            x = float(r.randint(-10**6, 10**6))
        elif k < 0.7:
            x = r.uniform(-1e6, 1e6)
        else:
            x = struct.unpack('<d', r.getrandbits(64).to_bytes(8, 'little'))[0]
        if not nan and x != x:
            x = 1.5
        return x

    def str(self):
        r = self.rng
        if r.random() < 0.2:
            return r.choice(_STRS)
        n = r.choice([0, 1, 2, 3, 5, 8, 13, 40, 100, 256, 300])
        out = []
        for _ in range(n):
            x = r.random()
            for weight, ranges in _POOLS:
                x -= weight
                if x < 0:
                    break
            lo, hi = r.choice(ranges)
            out.append(chr(r.randint(lo, hi)))
        return ''.join(out)

    def bytes(self):
        r = self.rng
        n = r.choice([0, 1, 2, 5, 10, 32, 100, 255, 256, 300])
        return bytes(r.getrandbits(8) for _ in range(n))

    def leaf(self, hashable=False):
        r = self.rng
        k = r.randrange(12 if hashable else 14)
        if k == 0:
            # hash(None) is its address before Python 3.12: keep it out of sets so their order repeats.
            return -0.0 if hashable else None
        if k == 1:
            return r.random() < 0.5
        if k in (2, 3):
            return self.int()
        if k in (4, 5):
            return self.float(nan=not hashable)
        if k in (6, 7, 8):
            return self.str()
        if k in (9, 10):
            return self.bytes()
        if k == 11:
            return complex(self.float(nan=not hashable), self.float(nan=not hashable))
        return bytearray(self.bytes())

    def hashable(self, depth):
        r = self.rng
        if self.hashables and r.random() < 0.08:
            return r.choice(self.hashables)
        if depth >= self.max_depth or r.random() < 0.75:
            return self.leaf(hashable=True)
        items = [self.hashable(depth + 1) for _ in range(r.randint(0, 4))]
        v = tuple(items) if r.random() < 0.6 else frozenset(items)
        self.hashables.append(v)
        return v

    def size(self, depth):
        return self.rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 6])

    def value(self, depth=0):
        r = self.rng
        self.budget -= 1
        if self.budget <= 0 or depth >= self.max_depth or (depth > 0 and r.random() < 0.3 + 0.1 * depth):
            return self.leaf()
        if self.pool and r.random() < 0.1:
            return r.choice(self.pool)
        if depth <= 1 and r.random() < 0.03:
            # Long runs of small items: APPENDS / SETITEMS / ADDITEMS batches of 1000.
            n = r.randint(995, 1100)
            kind = r.choice(['list', 'tuple', 'dict', 'set'])
            if kind == 'dict':
                v = {i: r.randint(-5, 300) for i in range(n)}
            elif kind == 'set':
                v = set(range(-n // 2, n // 2))
            else:
                v = [r.choice([None, True, r.randint(-5, 300), 0.5]) for _ in range(n)]
                v = tuple(v) if kind == 'tuple' else v
            self.pool.append(v)
            return v
        kind = r.choice(['list', 'list', 'tuple', 'tuple', 'dict', 'dict', 'odict', 'set', 'frozenset'])
        n = self.size(depth)
        if kind == 'list':
            v = [self.value(depth + 1) for _ in range(n)]
        elif kind == 'tuple':
            v = tuple(self.value(depth + 1) for _ in range(n))
        elif kind in ('dict', 'odict'):
            v = {} if kind == 'dict' else collections.OrderedDict()
            for _ in range(n):
                k = r.random()
                key = self.str() if k < 0.5 else self.int() if k < 0.7 else self.hashable(depth + 1)
                v[key] = self.value(depth + 1)
        else:
            items = {self.hashable(depth + 1) for _ in range(n)}
            v = set(items) if kind == 'set' else frozenset(items)
        self.pool.append(v)
        return v

    def containers(self, root):
        seen, out, stack = set(), [], [root]
        while stack:
            v = stack.pop()
            if isinstance(v, (list, tuple, dict, set, frozenset)) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
                stack.extend(v.values() if isinstance(v, dict) else v)
        return out

    def make(self):
        """One random value: shared references from the pool, and sometimes cycles added afterwards."""
        r = self.rng
        self.pool = []
        self.hashables = []
        self.budget = 120
        v = self.leaf() if r.random() < 0.15 else self.value()
        if r.random() < 0.3:
            nodes = self.containers(v)
            mutable = [c for c in nodes if isinstance(c, (list, dict))]
            for i in range(r.randint(1, 3)):
                if not mutable:
                    break
                holder, target = r.choice(mutable), r.choice(nodes)
                if isinstance(holder, list):
                    holder.insert(r.randint(0, len(holder)), target)
                else:
                    holder['cycle%d' % i] = target
        return v
`;

/**
 * `restricted_loads(data, **kw)`: pickle.loads that resolves only the globals of pickleguard's
 * default policy (after the Python 2 renames); bytes and bytearray come as wrappers that refuse
 * bytes(n) and bytearray(n), which would allocate what the pickle says (so NEWOBJ on them fails
 * here: "class argument must be a type"). Loaded globals type as {"global": "module qualname"}.
 */
export const PY_RESTRICTED = String.raw`
import _compat_pickle, codecs, collections, io, pickle

def _no_int(fn):
    def call(*args):
        if args and isinstance(args[0], int):
            raise TypeError('refusing ' + fn.__name__ + '(int)')
        return fn(*args)
    return call

_RECONSTRUCTIBLE = (set, frozenset, bytes, bytearray, complex)

def _reconstructor(cls, base, state):
    if cls is not base or cls not in _RECONSTRUCTIBLE:
        raise TypeError('unsupported _reconstructor')
    if isinstance(state, int) and cls in (bytes, bytearray):
        raise TypeError('refusing bytes(int)')
    return cls() if state is None else cls(state)

# The types themselves where calling them cannot allocate what the pickle says.
_ALLOWED = {
    ('builtins', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
    ('builtins', 'bytes'): _no_int(bytes),
    ('builtins', 'bytearray'): _no_int(bytearray),
    ('builtins', 'complex'): complex,
    ('_codecs', 'encode'): codecs.encode,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('copyreg', '_reconstructor'): _reconstructor,
}
for (_m, _n), _g in _ALLOWED.items():
    PG_GLOBAL_NAMES[id(_g)] = (_g, _m + ' ' + _n)

class _Restricted(pickle.Unpickler):
    # The C Unpickler does not expose its protocol: take it from a leading PROTO.
    pg_proto = 0
    pg_fix_imports = True

    def find_class(self, module, name):
        if self.pg_proto < 3 and self.pg_fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        g = _ALLOWED.get((module, name))
        if g is None:
            raise pickle.UnpicklingError('global %s.%s is forbidden' % (module, name))
        return g

class _RestrictedPure(pickle._Unpickler):
    find_class = _Restricted.find_class

    @property
    def pg_proto(self):
        return self.proto

    @property
    def pg_fix_imports(self):
        return self.fix_imports

def frame_misuse(data):
    """True when an opcode runs past the end of its FRAME or a FRAME starts inside another: CPython's
    C Unpickler then reads a file differently from bytes (pickle.loads), so the file-based
    restricted_loads says nothing about what pickle.loads does."""
    try:
        _RestrictedPure(io.BytesIO(data)).load()
    except pickle.UnpicklingError as e:
        return 'before end of frame' in str(e) or 'before end of current frame' in str(e)
    except BaseException:
        return False
    return False

def far_memo(data, limit=1 << 20):
    """True when the pickle stores a memo entry at a far index: CPython's memo is a dense array
    that it would grow (and zero) to that size, gigabytes for an index near 2**31."""
    import pickletools
    try:
        for op, arg, _pos in pickletools.genops(data):
            if op.name in ('PUT', 'BINPUT', 'LONG_BINPUT') and isinstance(arg, int) and arg > limit:
                return True
    except Exception:
        pass
    return False

def restricted_loads(data, **kw):
    u = _Restricted(io.BytesIO(data), **kw)
    u.pg_proto = data[1] if len(data) > 1 and data[0] == 0x80 else 0
    u.pg_fix_imports = kw.get('fix_imports', True)
    return u.load()
`;
