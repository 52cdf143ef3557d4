#!/usr/bin/env python3
"""What CPython's two unpicklers would resolve, without importing or calling anything.

Input: file paths as arguments, or (no arguments) a JSON list of hex strings on stdin.
Output: one JSON list, per input {"py": RUN, "c": RUN} for pickle._Unpickler and pickle.Unpickler,
RUN = {"names": [[pickle, module, name, as_module, as_name, exact], ...], "pickles": n,
"end": "ok" | "error", "error": "Class: message", "offset": bytes consumed}.

Each reader loads pickle after pickle from one Unpickler (the memo carries over) until the input is
used up or an error. find_class records the raw (module, name) and returns a fresh inert class:
calling it, instantiating it, giving it state, appending or setting items on it does nothing, and
persistent_load returns one too. (as_module, as_name) is the name after the Python 2 renames that
CPython's own find_class applies below protocol 3; the pure-Python reader knows its protocol
(exact = true), the C reader does not expose it, so there exact is false when a rename exists.
"""
import io
import json
import pickle
import resource
import sys
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING


class Inert:
    """Accepts anything, does nothing, hashes by identity."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return fresh()()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass


def fresh():
    # A new class per name, so nothing one input does to it reaches another.
    return type('Inert', (Inert,), {})


def renamed(module, name):
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


def recorder(base, knows_proto):
    class Recorder(base):
        def find_class(self, module, name):
            if knows_proto:
                exact = True
                as_module, as_name = renamed(module, name) if self.proto < 3 and self.fix_imports else (module, name)
            else:
                as_module, as_name = renamed(module, name)
                exact = (as_module, as_name) == (module, name)
            self.names.append([self.index, module, name, as_module, as_name, exact])
            return fresh()

        def persistent_load(self, pid):
            return fresh()()

    return Recorder


PY = recorder(pickle._Unpickler, True)
C = recorder(pickle.Unpickler, False)


def run(cls, data):
    f = io.BytesIO(data)
    u = cls(f)
    u.names = []
    u.index = 0
    out = {'names': u.names, 'pickles': 0, 'end': 'ok'}
    try:
        while True:
            u.load()
            u.index += 1
            out['pickles'] = u.index
            if f.tell() >= len(data):
                break
    except Exception as e:  # every way a load can fail is an answer here
        out['end'] = 'error'
        out['error'] = f'{type(e).__name__}: {e}'[:200]
    out['offset'] = f.tell()
    return out


def main():
    # A hostile memo index must fail with MemoryError, not take the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    sys.setrecursionlimit(10_000)
    if len(sys.argv) > 1:
        inputs = []
        for path in sys.argv[1:]:
            with open(path, 'rb') as fh:
                inputs.append(fh.read())
    else:
        inputs = [bytes.fromhex(h) for h in json.load(sys.stdin)]
    results = [{'py': run(PY, data), 'c': run(C, data)} for data in inputs]
    json.dump(results, sys.stdout, ensure_ascii=True, separators=(',', ':'))


if __name__ == '__main__':
    main()
