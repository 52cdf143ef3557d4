/**
 * Python 3 -> 2 renames the pickler applies when `fixImports` is on and the protocol is below 3, as
 * CPython does: its `_compat_pickle` builds REVERSE_IMPORT_MAPPING and REVERSE_NAME_MAPPING by
 * inverting the forward tables (compat-data.ts) before adding the one-way renames below to each side.
 */
import { IMPORT_MAPPING, NAME_MAPPING } from '../policy/compat-data.js';

/** Forward renames CPython does not invert: Python 2 modules merged into one, fixes for broken pickles. */
const READ_ONLY = new Set([
  'cPickle', '_elementtree', 'FileDialog', 'SimpleDialog', 'DocXMLRPCServer', 'SimpleHTTPServer', 'CGIHTTPServer',
  'UserDict', 'UserList', 'UserString', 'whichdb', 'StringIO', 'cStringIO',
  '__builtin__ basestring', 'exceptions StandardError', 'UserDict UserDict', 'socket _socketobject',
]);

/** Renames only the pickler makes: [Python 3 module, Python 2 module, names kept as they are…]. */
const WRITE_ONLY_NAMES: readonly (readonly string[])[] = [
  ['tkinter.filedialog', 'FileDialog', 'FileDialog', 'LoadFileDialog', 'SaveFileDialog'],
  ['tkinter.simpledialog', 'SimpleDialog', 'SimpleDialog'],
  ['xmlrpc.server', 'DocXMLRPCServer', 'ServerHTMLDoc', 'XMLRPCDocGenerator', 'DocXMLRPCRequestHandler', 'DocXMLRPCServer', 'DocCGIXMLRPCRequestHandler'],
  ['http.server', 'SimpleHTTPServer', 'SimpleHTTPRequestHandler'],
  ['http.server', 'CGIHTTPServer', 'CGIHTTPRequestHandler'],
  ['_functools', '__builtin__', 'reduce'],
];

/** Python 3's OSError subclasses, which Python 2 knows only as OSError. */
const OS_ERRORS = [
  'BrokenPipeError', 'ChildProcessError', 'ConnectionAbortedError', 'ConnectionError', 'ConnectionRefusedError', 'ConnectionResetError', 'FileExistsError',
  'FileNotFoundError', 'InterruptedError', 'IsADirectoryError', 'NotADirectoryError', 'PermissionError', 'ProcessLookupError', 'TimeoutError',
];

const invert = <T>(table: Readonly<Record<string, T>>, key: (v: T) => string): [string, string][] =>
  Object.keys(table)
    .filter((k) => !READ_ONLY.has(k))
    .map((k) => [key(table[k]!), k]);

export const REVERSE_IMPORT_MAPPING: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(invert(IMPORT_MAPPING, (m) => m)),
  _bz2: 'bz2', _dbm: 'dbm', _functools: 'functools', _gdbm: 'gdbm', _pickle: 'pickle',
});

/** `module\nname` → [module, name]. */
export const REVERSE_NAME_MAPPING: Readonly<Record<string, readonly [string, string]>> = Object.freeze(
  Object.fromEntries([
    ...invert(NAME_MAPPING, ([m, n]) => `${m}\n${n}`).map(([k, v]): [string, readonly [string, string]] => [k, v.split(' ') as [string, string]]),
    ...WRITE_ONLY_NAMES.flatMap(([py3, py2, ...names]) => names.map((n): [string, readonly [string, string]] => [`${py3}\n${n}`, [py2!, n]])),
    ['_socket\nsocket', ['socket', '_socketobject']],
    ['builtins\nModuleNotFoundError', ['exceptions', 'ImportError']],
    ...OS_ERRORS.map((n): [string, readonly [string, string]] => [`builtins\n${n}`, ['exceptions', 'OSError']]),
  ]),
);
