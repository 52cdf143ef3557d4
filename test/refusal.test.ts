/**
 * Every known technique for making a pickle run code is refused, under every policy we ship and
 * under a policy with host registrations: nothing is called, no host object or prototype changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicy, loads, PickleError, RefusedGlobalError, SHIPPED_PACKS, type Policy } from '../src/index.js';
import { bytes } from './helpers/bytes.js';

/** Length-prefixed SHORT_BINUNICODE. */
const su = (s: string) => `\x8c${String.fromCharCode(s.length)}${s}`;

interface Technique {
  readonly name: string;
  readonly data: Uint8Array;
  /** Extra load options (an extension registry, a fixImports setting). */
  readonly options?: Record<string, unknown>;
  /** Where the refusal is expected to name (module.qualname after Python 2 renames). */
  readonly refuses: string;
}

const TECHNIQUES: readonly Technique[] = [
  { name: 'GLOBAL + REDUCE', data: bytes("cos\nsystem\n(S'id'\ntR."), refuses: 'os.system' },
  { name: 'GLOBAL posix', data: bytes("cposix\nsystem\n(S'id'\ntR."), refuses: 'posix.system' },
  { name: 'GLOBAL nt', data: bytes("cnt\nsystem\n(S'id'\ntR."), refuses: 'nt.system' },
  { name: 'subprocess.check_output', data: bytes("csubprocess\ncheck_output\n((S'id'\nltR."), refuses: 'subprocess.check_output' },
  { name: 'builtins.eval', data: bytes("cbuiltins\neval\n(S'1'\ntR."), refuses: 'builtins.eval' },
  { name: 'builtins.exec', data: bytes("cbuiltins\nexec\n(S'1'\ntR."), refuses: 'builtins.exec' },
  { name: 'builtins.compile', data: bytes("cbuiltins\ncompile\n(S'1'\nS''\nS'eval'\ntR."), refuses: 'builtins.compile' },
  { name: 'builtins.__import__', data: bytes("cbuiltins\n__import__\n(S'os'\ntR."), refuses: 'builtins.__import__' },
  { name: 'builtins.open', data: bytes("cbuiltins\nopen\n(S'/etc/passwd'\ntR."), refuses: 'builtins.open' },
  { name: 'builtins.breakpoint', data: bytes('cbuiltins\nbreakpoint\n)R.'), refuses: 'builtins.breakpoint' },
  { name: 'builtins.input', data: bytes('cbuiltins\ninput\n)R.'), refuses: 'builtins.input' },
  { name: 'builtins.setattr', data: bytes("cbuiltins\nsetattr\n(cbuiltins\nset\nS'x'\nI1\ntR."), refuses: 'builtins.setattr' },
  {
    name: 'STACK_GLOBAL from memo strings',
    data: bytes('\x80\x04', su('os'), '\x94', su('system'), '\x94h\x00h\x01\x93', su('id'), '\x85R.'),
    refuses: 'os.system',
  },
  {
    name: 'STACK_GLOBAL from LONG_BINGET after MEMOIZE overwrite',
    data: bytes('\x80\x04', su('builtins'), '\x94', su('set'), '\x94', su('eval'), 'q\x01h\x00h\x01\x93.'),
    refuses: 'builtins.eval',
  },
  { name: 'INST', data: bytes("(S'id'\nios\nsystem\n."), refuses: 'os.system' },
  { name: 'OBJ', data: bytes("(csubprocess\nPopen\nS'id'\no."), refuses: 'subprocess.Popen' },
  { name: 'NEWOBJ of a denied class', data: bytes('\x80\x02csubprocess\nPopen\n)\x81.'), refuses: 'subprocess.Popen' },
  { name: 'NEWOBJ_EX of a denied class', data: bytes('\x80\x04', su('subprocess'), su('Popen'), '\x93)}\x92.'), refuses: 'subprocess.Popen' },
  { name: 'NEWOBJ of an unknown class', data: bytes('\x80\x02cacme.evil\nGadget\n)\x81.'), refuses: 'acme.evil.Gadget' },
  { name: 'EXT1 to a denied name', data: bytes("\x80\x02\x82\x01(S'id'\ntR."), options: { extensions: new Map([[1, ['os', 'system']]]) }, refuses: 'os.system' },
  { name: 'EXT2 to a denied name', data: bytes('\x80\x02\x83\x00\x01)R.'), options: { extensions: new Map([[256, ['builtins', 'eval']]]) }, refuses: 'builtins.eval' },
  { name: 'EXT4 to an unknown name', data: bytes('\x80\x02\x84\x00\x00\x01\x00)R.'), options: { extensions: new Map([[65536, ['acme', 'f']]]) }, refuses: 'acme.f' },
  { name: 'os.path traversal', data: bytes("cos.path\njoin\n(S'a'\ntR."), refuses: 'os.path.join' },
  { name: 'posixpath.os.system', data: bytes('\x80\x04', su('posixpath'), su('os.system'), '\x93.'), refuses: 'posixpath.os.system' },
  { name: 'dotted builtins.getattr.__call__', data: bytes('\x80\x04', su('builtins'), su('getattr.__call__'), '\x93.'), refuses: 'builtins.getattr.__call__' },
  { name: 'getattr gadget', data: bytes("cbuiltins\ngetattr\n(cbuiltins\nset\nS'__init__'\ntR."), refuses: 'builtins.set.__init__' },
  {
    name: '__globals__ walk from an allowed class',
    data: bytes('\x80\x04', su('collections'), su('OrderedDict.__init__.__globals__'), '\x93.'),
    refuses: 'collections.OrderedDict.__init__.__globals__',
  },
  { name: '__builtins__ walk', data: bytes('\x80\x04', su('__main__'), su('__builtins__.eval'), '\x93.'), refuses: '__main__.__builtins__.eval' },
  { name: '__subclasses__ walk', data: bytes('\x80\x04', su('builtins'), su('object.__subclasses__'), '\x93)R.'), refuses: 'builtins.object.__subclasses__' },
  { name: 'Python 2 __builtin__.eval', data: bytes("c__builtin__\neval\n(S'1'\ntR."), refuses: 'builtins.eval' },
  { name: 'Python 2 __builtin__.getattr', data: bytes("c__builtin__\ngetattr\n(c__builtin__\nset\nS'add'\ntR."), refuses: 'builtins.set.add' },
  {
    name: 'Python 2 copy_reg._reconstructor of a denied class',
    data: bytes("ccopy_reg\n_reconstructor\n(csubprocess\nPopen\nc__builtin__\nobject\nNtR."),
    refuses: 'subprocess.Popen',
  },
  { name: 'Python 2 commands.getoutput', data: bytes("ccommands\ngetoutput\n(S'id'\ntR."), refuses: 'subprocess.getoutput' },
  { name: 'commands without fixImports', data: bytes("ccommands\ngetoutput\n(S'id'\ntR."), options: { fixImports: false }, refuses: 'commands.getoutput' },
  { name: 'functools.partial', data: bytes("cfunctools\npartial\n(cos\nsystem\nS'id'\ntR)R."), refuses: 'functools.partial' },
  { name: 'operator.attrgetter', data: bytes("coperator\nattrgetter\n(S'system'\ntR."), refuses: 'operator.attrgetter' },
  { name: 'operator.methodcaller', data: bytes("coperator\nmethodcaller\n(S'system'\nS'id'\ntR."), refuses: 'operator.methodcaller' },
  { name: 'pkgutil.resolve_name', data: bytes("cpkgutil\nresolve_name\n(S'os:system'\ntR."), refuses: 'pkgutil.resolve_name' },
  { name: 'pydoc.locate', data: bytes("cpydoc\nlocate\n(S'os.system'\ntR."), refuses: 'pydoc.locate' },
  { name: 'runpy._run_code', data: bytes("crunpy\n_run_code\n(S'1'\n(dtR."), refuses: 'runpy._run_code' },
  { name: 'importlib.import_module', data: bytes("cimportlib\nimport_module\n(S'os'\ntR."), refuses: 'importlib.import_module' },
  { name: 'pickle.loads in a pickle', data: bytes("c_pickle\nloads\n(C\x01.tR."), refuses: '_pickle.loads' },
  { name: 'code.InteractiveConsole', data: bytes('ccode\nInteractiveConsole\n)R.'), refuses: 'code.InteractiveConsole' },
  { name: 'pty.spawn', data: bytes("cpty\nspawn\n(S'sh'\ntR."), refuses: 'pty.spawn' },
  { name: 'socket.create_connection', data: bytes("csocket\ncreate_connection\n((S'h'\nI1\nttR."), refuses: 'socket.create_connection' },
  { name: 'shutil.rmtree', data: bytes("cshutil\nrmtree\n(S'/'\ntR."), refuses: 'shutil.rmtree' },
  { name: 'webbrowser.open', data: bytes("cwebbrowser\nopen\n(S'x'\ntR."), refuses: 'webbrowser.open' },
  { name: 'marshal.loads', data: bytes("cmarshal\nloads\n(C\x01NtR."), refuses: 'marshal.loads' },
  { name: 'ctypes.CDLL', data: bytes("cctypes\nCDLL\n(S'libc.so.6'\ntR."), refuses: 'ctypes.CDLL' },
  { name: 'types.FunctionType', data: bytes('ctypes\nFunctionType\n)R.'), refuses: 'types.FunctionType' },
  { name: 'sys.modules', data: bytes('csys\nmodules\n.'), refuses: 'sys.modules' },
  { name: 'numpy.load', data: bytes("cnumpy\nload\n(S'x.npy'\ntR."), refuses: 'numpy.load' },
  { name: 'torch.load', data: bytes("ctorch\nload\n(S'x.pt'\ntR."), refuses: 'torch.load' },
  { name: 'BUILD on a class planting __setstate__', data: bytes("cbuiltins\nset\n}S'__setstate__'\ncos\nsystem\nsb."), refuses: 'os.system' },
  { name: 'BUILD state on a global', data: bytes("cbuiltins\nset\n}S'__class__'\nI1\nsb."), refuses: 'builtins.set' },
  { name: 'BUILD on an instance of a denied class', data: bytes("\x80\x02csubprocess\nPopen\n)\x81}b."), refuses: 'subprocess.Popen' },
];

const HOST_CALLS: string[] = [];
const spy = (name: string) => () => {
  HOST_CALLS.push(name);
  return {};
};

const POLICIES: readonly [string, Policy][] = [
  ['every shipped pack', createPolicy({ packs: SHIPPED_PACKS })],
  [
    'shipped packs + host registrations',
    createPolicy({
      packs: SHIPPED_PACKS,
      register: { 'acme.models:User': { call: spy('call'), newObject: spy('new'), setState: spy('state') } },
    }),
  ],
];

const protoKeys = () => [Object.getOwnPropertyNames(Object.prototype), Object.getOwnPropertyNames(Array.prototype), Object.getOwnPropertyNames(Map.prototype)];
const before = protoKeys();

afterEach(() => {
  expect(HOST_CALLS).toEqual([]);
  expect(protoKeys()).toEqual(before);
});

describe(`refusal of ${TECHNIQUES.length} techniques × ${POLICIES.length} policies`, () => {
  for (const [label, policy] of POLICIES) {
    it.each(TECHNIQUES.map((t) => [t.name, t] as const))(`${label}: %s`, (_name, t) => {
      let error: unknown;
      try {
        loads(t.data, { policy, ...t.options });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RefusedGlobalError);
      const r = error as RefusedGlobalError;
      expect(`${r.module}.${r.qualname}`).toBe(t.refuses);
      expect(r.offset).toBeTypeOf('number');
      expect(r.opcode).toBeDefined();
      expect(r.message).toContain(t.refuses);
    });
  }

  it('BUILD planting __proto__ / __class__ / constructor in a record changes no prototype', () => {
    const policy = createPolicy({ packs: SHIPPED_PACKS, inspect: true });
    for (const dicts of ['map', 'object'] as const) {
      const p = bytes(
        '\x80\x02cacme\nUser\n)\x81}(',
        "X\x09\x00\x00\x00__proto__}X\x07\x00\x00\x00isAdminI01\nsX\x09\x00\x00\x00__class__cos\nsystem\n",
        'X\x0b\x00\x00\x00constructor}ub.',
      );
      const v = loads(p, { policy, dicts }) as { state: unknown };
      const state = v.state as Map<string, unknown> | Record<string, unknown>;
      const keys = state instanceof Map ? [...state.keys()] : Object.keys(state);
      expect(keys).toEqual(['__proto__', '__class__', 'constructor']);
      if (!(state instanceof Map)) expect(Object.getPrototypeOf(state)).toBeNull();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    }
  });

  it('every refusal is a PickleError under inspection too, or an inert record', () => {
    const policy = createPolicy({ packs: SHIPPED_PACKS, inspect: true });
    for (const t of TECHNIQUES) {
      try {
        const v = loads(t.data, { policy, ...t.options });
        expect(typeof v === 'function').toBe(false);
      } catch (e) {
        expect(e).toBeInstanceOf(PickleError);
      }
    }
  });
});
