/**
 * Which globals CPython writes with a fresh `__qualname__` str at protocol 4+. Types and functions
 * written in C (builtins, `datetime`, `decimal`, …) build their `__qualname__` anew on each access,
 * so the pickler never finds it in the memo; Python-defined classes and functions have one interned
 * str, shared with equal strings. Measured on CPython 3.11 (`obj.__qualname__ is obj.__qualname__`).
 */

/** Modules whose globals are all implemented in C. */
const C_MODULES = new Set([
  'builtins', '_codecs', 'datetime', '_datetime', 'decimal', '_decimal', 'zoneinfo', '_zoneinfo', 'operator', '_operator',
  'functools', '_functools', 'itertools', 'array', 'math', 'cmath', '_struct', 'struct', '_collections', '_pickle', 'time',
  'numpy', 'numpy.core.multiarray', 'numpy._core.multiarray', 'torch._C',
]);

/** C types living in otherwise Python modules. */
const C_NAMES = new Set(['collections.OrderedDict', 'collections.defaultdict', 'collections.deque', 'numpy.dtype', 'numpy.ndarray']);

export function freshQualname(module: string, qualname: string): boolean {
  return C_MODULES.has(module) || C_NAMES.has(`${module}.${qualname}`);
}

/**
 * Heap types made in C from a spec or by PyErr_NewException keep a `__module__` str of their own (not
 * interned), so CPython writes their module name afresh too: array.array and the C modules' exceptions.
 */
const C_HEAP_MODULES = new Set(['decimal', '_queue', 'struct', '_struct', 'zlib', 'binascii', '_csv']);

export function freshModule(module: string, qualname: string): boolean {
  return (module === 'array' && qualname === 'array') || (C_HEAP_MODULES.has(module) && /(?:Error|Exception|Empty|Incomplete|^[A-Z][A-Za-z]+)$/.test(qualname) && qualname !== 'Decimal' && qualname !== 'Context');
}
