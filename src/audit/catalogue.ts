/**
 * Known-dangerous Python names, ranked: what a global would let a pickle do if a loader resolved it.
 * Used to give findings a severity and a category; the verdict itself comes from the policy (an
 * allowlist), so a name missing here is still flagged when the policy does not allow it.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface Danger {
  readonly severity: Severity;
  readonly category: string;
}

const CODE = { severity: 'critical', category: 'code execution' } as const;
const FILES = { severity: 'high', category: 'file system access' } as const;
const NET = { severity: 'high', category: 'network access' } as const;
const IMPORT = { severity: 'critical', category: 'import machinery' } as const;
const GADGET = { severity: 'high', category: 'getattr-style gadget' } as const;
const NESTED = { severity: 'high', category: 'deserialization inside deserialization' } as const;
const PROCESS = { severity: 'high', category: 'process and interpreter state' } as const;

/** Whole modules (and their submodules). */
const MODULES: ReadonlyMap<string, Danger> = new Map<string, Danger>([
  ['os', CODE], ['posix', CODE], ['nt', CODE], ['subprocess', CODE], ['_posixsubprocess', CODE], ['pty', CODE], ['commands', CODE],
  ['popen2', CODE], ['runpy', CODE], ['code', CODE], ['codeop', CODE], ['ctypes', CODE], ['_ctypes', CODE], ['cffi', CODE],
  ['multiprocessing', CODE], ['pdb', CODE], ['bdb', CODE], ['timeit', CODE], ['trace', CODE], ['profile', CODE], ['cProfile', CODE],
  ['importlib', IMPORT], ['imp', IMPORT], ['zipimport', IMPORT], ['pkgutil', IMPORT], ['pydoc', IMPORT], ['site', IMPORT],
  ['ensurepip', IMPORT], ['venv', IMPORT], ['distutils', IMPORT], ['setuptools', IMPORT], ['pip', IMPORT],
  ['pickle', NESTED], ['_pickle', NESTED], ['cPickle', NESTED], ['marshal', NESTED], ['shelve', NESTED], ['dill', NESTED],
  ['cloudpickle', NESTED],
  ['shutil', FILES], ['tempfile', FILES], ['glob', FILES], ['fileinput', FILES], ['io', FILES], ['_io', FILES], ['posixpath', FILES],
  ['ntpath', FILES], ['mmap', FILES], ['sqlite3', FILES], ['dbm', FILES], ['logging', FILES],
  ['socket', NET], ['_socket', NET], ['ssl', NET], ['urllib', NET], ['urllib2', NET], ['http', NET], ['httplib', NET], ['requests', NET],
  ['ftplib', NET], ['smtplib', NET], ['poplib', NET], ['imaplib', NET], ['telnetlib', NET], ['nntplib', NET], ['xmlrpc', NET],
  ['webbrowser', NET], ['asyncio', NET], ['select', NET], ['selectors', NET],
  ['sys', PROCESS], ['gc', PROCESS], ['signal', PROCESS], ['threading', PROCESS], ['_thread', PROCESS], ['atexit', PROCESS],
  ['resource', PROCESS], ['inspect', PROCESS], ['types', PROCESS],
]);

/** Single names (module.qualname), checked before modules. */
const NAMES: ReadonlyMap<string, Danger> = new Map<string, Danger>([
  ['builtins.eval', CODE], ['builtins.exec', CODE], ['builtins.compile', CODE], ['builtins.breakpoint', CODE], ['builtins.input', PROCESS],
  ['builtins.__import__', IMPORT], ['builtins.open', FILES], ['builtins.getattr', GADGET], ['builtins.setattr', GADGET],
  ['builtins.delattr', GADGET], ['builtins.hasattr', GADGET], ['builtins.globals', GADGET], ['builtins.locals', GADGET],
  ['builtins.vars', GADGET], ['builtins.type', GADGET], ['builtins.super', GADGET], ['builtins.__build_class__', CODE],
  ['builtins.memoryview', GADGET], ['builtins.exit', PROCESS], ['builtins.quit', PROCESS], ['builtins.help', IMPORT],
  ['functools.partial', GADGET], ['functools.reduce', GADGET], ['functools.partialmethod', GADGET], ['_functools.partial', GADGET],
  ['_functools.reduce', GADGET], ['operator.attrgetter', GADGET], ['operator.methodcaller', GADGET], ['operator.itemgetter', GADGET],
  ['operator.call', GADGET], ['operator.getitem', GADGET], ['operator.setitem', GADGET], ['_operator.attrgetter', GADGET],
  ['_operator.methodcaller', GADGET], ['_operator.itemgetter', GADGET], ['_operator.call', GADGET],
  ['copyreg.add_extension', GADGET], ['copy_reg.add_extension', GADGET], ['numpy.load', NESTED], ['numpy.loadtxt', FILES],
  ['numpy.fromfile', FILES], ['numpy.save', FILES], ['numpy.memmap', FILES], ['numpy.testing._private.utils.runstring', CODE],
  ['torch.load', NESTED], ['torch.save', FILES], ['torch.hub.load', CODE], ['torch.jit.load', NESTED],
  ['torch.serialization.load', NESTED], ['joblib.load', NESTED], ['pandas.read_pickle', NESTED], ['pandas.eval', CODE],
  // joblib's loaders, not its NumpyArrayWrapper, which every joblib file names.
  ['joblib.numpy_pickle.load', NESTED], ['joblib.numpy_pickle._unpickle', NESTED], ['joblib.numpy_pickle.NumpyUnpickler', NESTED],
  ['joblib.numpy_pickle.load_compatibility', NESTED], ['joblib.numpy_pickle_compat.load_compatibility', NESTED],
  ['joblib.dump', FILES], ['joblib.numpy_pickle.dump', FILES],
]);

/** The danger a name carries, or undefined when the catalogue does not know it. */
export function dangerOf(module: string, qualname: string): Danger | undefined {
  const parts = qualname.split('.');
  for (let i = parts.length; i >= 1; i--) {
    const hit = NAMES.get(`${module}.${parts.slice(0, i).join('.')}`);
    if (hit) return hit;
  }
  const mods = module.split('.');
  for (let i = mods.length; i >= 1; i--) {
    const hit = MODULES.get(mods.slice(0, i).join('.'));
    if (hit) return hit;
  }
  if (parts.some((p) => p.startsWith('__') && p.endsWith('__') && p !== '__newobj__' && p !== '__newobj_ex__')) return GADGET;
  return undefined;
}

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
