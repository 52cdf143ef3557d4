/**
 * The hard deny list: Python names that no pack and no host registration can allow, because
 * calling, instantiating or even referencing them hands a pickle code execution, the file system,
 * the network, the import machinery or a getattr-style gadget. Policies check it when they are
 * built (an entry naming one of these is an error) and again at every resolution.
 */

/** Modules denied with all their submodules and everything in them. src/audit/catalogue.ts ranks each, in this order (as DENIED_NAMES). */
export const DENIED_MODULES: readonly string[] = Object.freeze([
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', '_posixsubprocess', 'sys', 'runpy', 'importlib', 'imp',
  'zipimport', 'pkgutil', 'pickle', '_pickle', 'cPickle', 'pickletools', 'shelve', 'dill', 'cloudpickle', 'code', 'codeop',
  'pty', 'tty', 'socket', '_socket', 'ssl', 'select', 'selectors', 'asyncio', 'shutil', 'tempfile', 'glob', 'fileinput',
  'io', '_io', 'webbrowser', 'marshal', 'ctypes', '_ctypes', 'cffi', 'multiprocessing', '_multiprocessing', 'threading',
  '_thread', 'concurrent', 'signal', 'pdb', 'bdb', 'trace', 'timeit', 'profile', 'cProfile', 'pydoc', 'inspect',
  'platform', 'sysconfig', 'site', 'ensurepip', 'venv', 'distutils', 'setuptools', 'pip', 'urllib', 'http', 'ftplib',
  'smtplib', 'poplib', 'imaplib', 'telnetlib', 'nntplib', 'xmlrpc', 'requests', 'httplib', 'urllib2', 'commands',
  'popen2', 'msvcrt', '_winapi', 'winreg', '_winreg', 'gc', 'atexit', 'readline', 'rlcompleter',
  'sqlite3', 'dbm', 'mmap', 'resource', 'syslog', 'fcntl', 'grp', 'pwd', 'spwd', 'crypt', 'logging',
  // numpy's compilers, build system, shared-library loader and test helpers (runstring is exec).
  'numpy.f2py', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.testing',
  // PyTorch's loaders, compilers, native-code and process machinery (a state dict needs none of them).
  'torch.hub', 'torch.jit', 'torch.package', 'torch.serialization', 'torch.utils.cpp_extension', 'torch.multiprocessing',
  'torch.distributed', 'torch._dynamo', 'torch._inductor', 'torch.compiler', 'torch._C', 'torch.ops', 'torch.library',
]);

/** Single names denied wherever they appear as module.qualname. */
export const DENIED_NAMES: readonly string[] = Object.freeze([
  'builtins.eval', 'builtins.exec', 'builtins.compile', 'builtins.getattr', 'builtins.setattr', 'builtins.delattr',
  'builtins.__import__', 'builtins.open', 'builtins.breakpoint', 'builtins.input', 'builtins.globals',
  'builtins.locals', 'builtins.vars', 'builtins.help', 'builtins.exit', 'builtins.quit', 'builtins.memoryview',
  'builtins.__build_class__', 'builtins.super', 'builtins.classmethod',
  'builtins.staticmethod', 'builtins.property', 'builtins.dir', 'builtins.hasattr',
  'functools.partial', 'functools.reduce', 'functools.partialmethod', '_functools.partial', '_functools.reduce',
  'operator.attrgetter', 'operator.methodcaller', 'operator.itemgetter', 'operator.call', 'operator.getitem',
  'operator.setitem', 'operator.delitem', '_operator.attrgetter', '_operator.methodcaller', '_operator.itemgetter',
  '_operator.call', '_operator.getitem', '_operator.setitem', 'types.FunctionType', 'types.CodeType',
  'types.LambdaType', 'types.MethodType', 'types.ModuleType', 'types.new_class',
  'copyreg.add_extension', 'copyreg.constructor', 'copyreg.pickle', 'copy_reg.add_extension', 'numpy.load',
  'numpy.loadtxt', 'numpy.fromfile', 'numpy.save', 'numpy.memmap', 'numpy.lib.npyio.load', 'torch.load',
  'torch.save', 'torch.hub.load', 'torch.jit.load', 'torch.serialization.load', 'joblib.load', 'pandas.read_pickle',
  'pandas.eval', 'numpy.testing._private.utils.runstring', 'apport_python_hook.apport_excepthook',
]);

/** Attribute names whose presence anywhere in a dotted qualname is a traversal (`x.__globals__`, `y.__subclasses__`). */
export const DENIED_ATTRIBUTES: readonly string[] = Object.freeze([
  '__globals__', '__builtins__', '__subclasses__', '__getattribute__', '__getattr__', '__setattr__', '__delattr__',
  '__class__', '__bases__', '__base__', '__mro__', '__dict__', '__code__', '__closure__', '__func__', '__self__',
  '__module__', '__loader__', '__spec__', '__import__', '__init__', '__call__', '__reduce__', '__reduce_ex__',
  '__setstate__', '__getstate__', '__init_subclass__', '__new__', '__del__', 'func_globals', 'gi_frame', 'f_globals',
  'f_locals', 'f_back', 'tb_frame', '__proto__', 'constructor', 'prototype',
]);

const moduleSet = new Set(DENIED_MODULES);
const nameSet = new Set(DENIED_NAMES);
const attributeSet = new Set(DENIED_ATTRIBUTES);

/** Why `module.qualname` is denied, or `undefined` when the deny list allows a pack to name it. */
export function denialOf(module: string, qualname: string): string | undefined {
  const parts = module.split('.');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('.');
    if (moduleSet.has(prefix)) return `module '${prefix}' is on the hard deny list`;
  }
  const attrs = qualname.split('.');
  for (const a of attrs) if (attributeSet.has(a)) return `'${a}' is an attribute traversal on the hard deny list`;
  if (module === '' || qualname === '' || attrs.some((a) => a === '')) return 'empty name parts are never allowed';
  // `builtins.getattr` and `builtins.getattr.__call__` alike; `collections.abc.x` checks `collections.abc.x`.
  const whole = `${module}.${qualname}`;
  for (let i = 0; i < attrs.length; i++) {
    const name = `${module}.${attrs.slice(0, i + 1).join('.')}`;
    if (nameSet.has(name)) return `'${name}' is on the hard deny list`;
  }
  // A dotted module spelling of a denied name (`GLOBAL 'builtins.eval' ''` is refused above as empty).
  if (nameSet.has(whole)) return `'${whole}' is on the hard deny list`;
  return undefined;
}

/** True when no pack and no registration can allow `module.qualname`. */
export function isDenied(module: string, qualname: string): boolean {
  return denialOf(module, qualname) !== undefined;
}
