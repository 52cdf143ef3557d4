#!/usr/bin/env python3
"""Writes corpus/stdlib/: stdlib values pickled by CPython at protocols 0-5, with expectations.

Each value NAME gives NAME.pP.pkl (exactly pickle.dumps(value, P)), NAME.pP.dis (pickletools.dis)
and NAME.pP.json: {"protocol": P, "value": <typed JSON>}. The typed JSON is corpus/README.md's, plus
one form for objects that are not builtin containers: {"reduce": [callable, args, state, listitems,
dictitems]}, what value.__reduce_ex__(P) returns (callable as {"global": "module qualname"}, or as
its own reduce form for a bound method such as ZoneInfo._unpickle; absent parts null). Loading a
file and reducing the result at the same protocol must give that form back: it checks the loaded
value and its reduce hook together.

Deterministic: run twice, same bytes. Needs Python 3.11 with the IANA zone data that zoneinfo uses.
"""
import argparse
import array
import collections
import copyreg
import datetime
import decimal
import fractions
import io
import ipaddress
import json
import os
import pathlib
import pickle
import pickletools
import re
import shutil
import sys
import types
import uuid
import zoneinfo

from typed_json import NOT_SCALAR, scalar

if os.environ.get('PYTHONHASHSEED') != '0':
    os.environ['PYTHONHASHSEED'] = '0'
    os.execv(sys.executable, [sys.executable] + sys.argv)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'stdlib')

D = datetime
UTC = D.timezone.utc
EST = D.timezone(D.timedelta(hours=-5), 'EST')
ODD = D.timezone(D.timedelta(hours=5, minutes=30, seconds=7, microseconds=9))
PARIS = zoneinfo.ZoneInfo('Europe/Paris')
SHARED = D.datetime(2024, 2, 29, 23, 59, 59, 999999)


def values():
    yield 'date', D.date(2024, 2, 29)
    yield 'date_min_max', [D.date.min, D.date.max]
    yield 'time', D.time(12, 30, 15, 250000)
    yield 'time_tz_fold', D.time(1, 2, 3, 4, tzinfo=UTC, fold=1)
    yield 'datetime', D.datetime(2020, 1, 2, 3, 4, 5, 6)
    yield 'datetime_fold', D.datetime(2021, 11, 7, 1, 30, fold=1)
    yield 'datetime_utc', D.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)
    yield 'datetime_est', D.datetime(2000, 6, 1, 12, tzinfo=EST)
    yield 'datetime_odd_offset', D.datetime(2000, 6, 1, 12, tzinfo=ODD)
    yield 'datetime_zoneinfo', D.datetime(2023, 3, 26, 2, 30, tzinfo=PARIS)
    yield 'datetime_min_max', [D.datetime.min, D.datetime.max]
    yield 'timedelta', D.timedelta(days=-3, seconds=5, microseconds=7)
    yield 'timedelta_extremes', [D.timedelta.min, D.timedelta.max, D.timedelta(0), D.timedelta.resolution]
    yield 'timezones', [UTC, EST, ODD, D.timezone(-D.timedelta(hours=23, minutes=59))]
    yield 'zoneinfo', PARIS
    yield 'zoneinfo_many', [zoneinfo.ZoneInfo('UTC'), zoneinfo.ZoneInfo('America/New_York'), PARIS, PARIS]
    yield 'decimal', decimal.Decimal('-1.5E+3')
    yield 'decimal_specials', [decimal.Decimal(x) for x in ('0', '-0', 'NaN', 'sNaN', '-Infinity', '1E-999999', '123456789012345678901234567890.000001')]
    yield 'fraction', fractions.Fraction(3, -4)
    yield 'fraction_big', fractions.Fraction(10 ** 40 + 1, 3 ** 50)
    yield 'uuid', uuid.UUID('12345678-1234-5678-1234-567812345678')
    yield 'uuid_extremes', [uuid.UUID(int=0), uuid.UUID(int=2 ** 128 - 1), uuid.UUID(int=2 ** 53 + 1)]
    yield 'uuid_safe', uuid.UUID(int=5, is_safe=uuid.SafeUUID.safe)
    yield 'defaultdict', collections.defaultdict(list, {'a': [1, 2], 'b': []})
    yield 'defaultdict_none', collections.defaultdict(None, {1: 2})
    yield 'defaultdict_factories', [collections.defaultdict(f) for f in (int, set, dict, collections.OrderedDict)]
    yield 'deque', collections.deque([1, 'two', 3.0])
    yield 'deque_maxlen', collections.deque(range(10), maxlen=3)
    yield 'counter', collections.Counter('abracadabra')
    yield 'ordereddict_nested', collections.OrderedDict([('x', collections.Counter(a=1)), ('y', D.date(2000, 1, 1))])
    yield 'range', [range(10), range(1, 10, 2), range(10, -10, -3), range(2 ** 70)]
    yield 'slice', [slice(None), slice(1, None, 2), slice('a', 'b', None)]
    yield 'purepath', [pathlib.PurePosixPath('/usr/lib/python3'), pathlib.PurePosixPath('rel/a b'), pathlib.PureWindowsPath('C:/Windows/System32'), pathlib.PureWindowsPath('//server/share/x')]
    yield 'ipaddress', [ipaddress.IPv4Address('192.168.0.1'), ipaddress.IPv6Address('2001:db8::1'), ipaddress.IPv6Address('fe80::1%eth0')]
    yield 'ipnetwork', [ipaddress.IPv4Network('10.0.0.0/8'), ipaddress.IPv6Network('2001:db8::/32'), ipaddress.IPv4Interface('10.1.2.3/16'), ipaddress.IPv6Interface('::1/128')]
    yield 'shared_datetime', [SHARED, SHARED, {'when': SHARED}]
    yield 'record_mixed', {'id': uuid.UUID(int=42), 'at': D.datetime(2022, 5, 4, 3, 2, 1, 123, tzinfo=UTC), 'price': decimal.Decimal('19.99'),
                           'ratio': fractions.Fraction(1, 3), 'tags': collections.Counter(['a', 'b', 'a']), 'home': pathlib.PurePosixPath('/home/ann'),
                           'ip': ipaddress.IPv4Address('127.0.0.1'), 'span': D.timedelta(hours=36), 'zone': PARIS}


def exc(cls, *args, **attrs):
    e = cls(*args)
    for k, v in attrs.items():
        setattr(e, k, v)
    return e


def more_values():
    """Issue 13: what backends carry (exceptions, compiled patterns, arrays, namespaces)."""
    yield 'exception', ValueError('bad value', 3)
    yield 'exception_attrs', exc(KeyError, 'k', code=7, detail={'a': [1]})
    yield 'exception_notes', [exc(RuntimeError), exc(TypeError, 'x', __notes__=['a note'])]
    yield 'exceptions_builtin', [ZeroDivisionError('division by zero'), StopIteration(5), SystemExit(3), KeyboardInterrupt(), UserWarning('w'),
                                 FileNotFoundError(2, 'No such file', 'x.txt'), OSError(5, 'io'), PermissionError(13, 'denied', 'a', None, 'b'),
                                 UnicodeDecodeError('utf-8', b'\xff', 0, 1, 'invalid start byte'), SyntaxError('bad', ('f.py', 1, 2, 'x y', 1, 3)),
                                 ImportError('no module'), TimeoutError(110, 'timed out'), NotImplementedError()]
    yield 'exceptions_stdlib', [json.JSONDecodeError('Expecting value', 'x\n[', 2), re.error('bad', 'a(b', 1), decimal.InvalidOperation(),
                                decimal.DivisionByZero('x'), ipaddress.AddressValueError('bad address')]
    yield 'pattern', re.compile(r'(?P<word>[a-z]+)\s*=\s*(\d+)$', re.I | re.M)
    yield 'patterns', [re.compile('a.b', re.S), re.compile(b'\\x00+', re.I), re.compile('x', re.A), re.compile('')]
    yield 'array_int', array.array('i', [1, -2, 3])
    yield 'arrays', [array.array(t, v) for t, v in (('b', [-128, 127]), ('B', [255]), ('h', [-1]), ('H', [65535]), ('I', [2 ** 32 - 1]),
                                                  ('l', [-2 ** 63]), ('L', [2 ** 64 - 1]), ('q', [2 ** 53 + 1]), ('Q', []), ('f', [1.5, 0.1]),
                                                  ('d', [2.0, -0.0, float('inf')]), ('u', 'h\u00e9\U0001f600'))]
    yield 'simplenamespace', types.SimpleNamespace(a=1, b=[2], __proto__='p')
    yield 'simplenamespace_empty', types.SimpleNamespace()
    yield 'argparse_namespace', argparse.Namespace(verbose=True, files=['a', 'b'], constructor='x')
    yield 'argparse_namespace_empty', argparse.Namespace()


def same(a, b):
    """Equality, and for exceptions (which do not compare equal) class, args and attributes."""
    if isinstance(a, BaseException):
        # __reduce__ gives class, args and attributes without making a __dict__ (reading __dict__ would, changing the pickle).
        return type(a) is type(b) and same(list(a.__reduce__()[1:]), list(b.__reduce__()[1:]))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def name_of(obj):
    return '%s %s' % (obj.__module__, obj.__qualname__)


def typed(root, protocol):
    """corpus/README.md's typed JSON, with the reduce form for non-builtin objects. No identity tracking below a reduce."""
    def emit(v):
        s = scalar(v)
        if s is not NOT_SCALAR:
            return s
        t = type(v)
        if t is list or t is tuple:
            return {t.__name__: [emit(x) for x in v]}
        if t is dict or t is collections.OrderedDict:
            return {'odict' if t is collections.OrderedDict else 'dict': [[emit(k), emit(x)] for k, x in v.items()]}
        if t is set or t is frozenset:
            items = [emit(x) for x in v]
            return {t.__name__: sorted(items, key=lambda x: json.dumps(x, sort_keys=True))}
        if isinstance(v, type) or callable(v) and hasattr(v, '__qualname__') and not hasattr(v, '__self__'):
            return {'global': name_of(v)}
        if isinstance(v, types.BuiltinFunctionType) and isinstance(v.__self__, types.ModuleType):  # array._array_reconstructor
            return {'global': name_of(v)}
        if hasattr(v, '__self__') and isinstance(v.__self__, type):  # a classmethod bound to its class
            return {'reduce': [{'global': 'builtins getattr'}, {'tuple': [emit(v.__self__), {'str': v.__name__}]}, None, None, None]}
        r = copyreg.dispatch_table[t](v) if t in copyreg.dispatch_table else v.__reduce_ex__(protocol)
        r = tuple(r) + (None,) * (5 - len(r))
        callable_, args, state, listitems, dictitems = r[:5]
        return {'reduce': [
            emit(callable_),
            {'tuple': [emit(a) for a in args]},
            emit(state),
            None if listitems is None else {'list': [emit(x) for x in listitems]},
            None if dictitems is None else {'list': [{'tuple': [emit(k), emit(x)]} for k, x in dictitems]},
        ]}
    return emit(root)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    count = 0
    for name, value in [*values(), *more_values()]:
        for p in range(6):
            data = pickle.dumps(value, p)
            assert same(pickle.loads(data), value) or name.startswith('decimal_specials'), name
            base = os.path.join(OUT, '%s.p%d' % (name, p))
            with open(base + '.pkl', 'wb') as f:
                f.write(data)
            with open(base + '.json', 'w', encoding='utf-8') as f:
                json.dump({'protocol': p, 'value': typed(value, p)}, f, ensure_ascii=False, sort_keys=True)
                f.write('\n')
            out = io.StringIO()
            pickletools.dis(data, out=out)
            with open(base + '.dis', 'w', encoding='utf-8') as f:
                f.write(out.getvalue())
            count += 1
    print('corpus/stdlib: %d pickles' % count)


if __name__ == '__main__':
    main()
