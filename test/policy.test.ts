/** Packs and policies: schema errors with paths, digests and pins, registrations, the deny list, inspection mode. */
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  DENIED_MODULES,
  DENIED_NAMES,
  DEFAULT_POLICY,
  denialOf,
  isDenied,
  loads,
  packDigest,
  parsePack,
  PolicyError,
  PyGlobal,
  PyObject,
  PyTuple,
  RefusedGlobalError,
  SHIPPED_PACKS,
  shippedPack,
  type ReconstructorDef,
} from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { thrown } from './helpers/thrown.js';

const pack = (entries: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'acme',
  version: '1.0.0',
  description: 'test pack',
  entries,
  ...extra,
});

/** A generic reconstructor for the tests: calls and instantiations give PyObject records; BUILD keeps the state. */
const RECORD: ReconstructorDef = {
  id: 'test.record',
  description: 'records calls',
  bind: (module, qualname) => {
    const g = new PyGlobal(module, qualname);
    return {
      call: (args) => new PyObject(g, args, 'call'),
      newObject: (args, kwargs) => new PyObject(g, args, 'new', kwargs),
      setState(target, state) {
        (target as PyObject).state = state;
        return target;
      },
    };
  },
};

const policyError = (make: () => unknown): PolicyError => thrown(make, PolicyError);

const refusal = (data: Uint8Array, options: Parameters<typeof loads>[1]): RefusedGlobalError => thrown(() => loads(data, options), RefusedGlobalError);

describe('pack validation', () => {
  it('a typo fails with its path', () => {
    const entries = [
      { module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'] },
      { module: 'a', qualname: 'C', reconstructor: 'object', uses: ['call'] },
      { module: 'a', qualname: 'D', reconstructor: 'object', uses: ['call'] },
      { modul: 'a', qualname: 'E', reconstructor: 'object', uses: ['call'] },
    ];
    const e = policyError(() => parsePack(pack(entries)));
    const paths = e.issues.map((i) => i.path);
    expect(paths).toContain('entries[3]'); // the unknown key "modul"
    expect(paths).toContain('entries[3].module'); // the missing "module"
    expect(e.message).toContain('entries[3].module');
  });

  it('rejects wildcards, module-wide allows, bad versions, unknown uses and duplicates', () => {
    const cases: [unknown, string][] = [
      [pack([{ module: 'numpy', qualname: '*', reconstructor: 'object', uses: ['call'] }]), 'entries[0].qualname'],
      [pack([{ module: 'numpy.*', qualname: 'x', reconstructor: 'object', uses: ['call'] }]), 'entries[0].module'],
      [pack([{ module: 'numpy', qualname: '', reconstructor: 'object', uses: ['call'] }]), 'entries[0].qualname'],
      [pack([{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['execute'] }]), 'entries[0].uses[0]'],
      [pack([{ module: 'a', qualname: 'B', reconstructor: 'object', uses: [] }]), 'entries[0].uses'],
      [pack([], { version: '1.0' }), 'version'],
      [pack([], { id: 'Has Spaces' }), 'id'],
      [pack([], { extends: [{ id: 'x', version: '1.0.0', digest: 'md5:00' }] }), 'extends[0].digest'],
      [pack([{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'], args: { type: 'tuple', maxLength: -1 } }]), 'entries[0].args.maxLength'],
      [pack([{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'], args: { typ: 'tuple' } }]), 'entries[0].args'],
      [
        pack([
          { module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'] },
          { module: 'a', qualname: 'B', reconstructor: 'object', uses: ['new'] },
        ]),
        'entries[1]',
      ],
      [{ id: 'acme', version: '1.0.0', description: 'x', entries: [], code: 'import os' }, ''],
    ];
    for (const [json, path] of cases) {
      const e = policyError(() => parsePack(json));
      expect(e.issues.map((i) => i.path), JSON.stringify(json)).toContain(path);
    }
  });

  it('reports JSON syntax errors as PolicyError', () => {
    expect(policyError(() => parsePack('{"id": ')).code).toBe('invalid_pack');
  });

  it('digests canonical JSON: key order and whitespace do not matter, content does', () => {
    const a = pack([{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'] }]);
    const b = JSON.parse(JSON.stringify({ entries: a.entries, description: a.description, version: a.version, id: a.id }));
    expect(packDigest(a)).toBe(packDigest(b));
    expect(packDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(packDigest({ ...a, version: '1.0.1' })).not.toBe(packDigest(a));
    expect(parsePack(JSON.stringify(a)).digest).toBe(packDigest(a));
  });
});

describe('building policies', () => {
  const user = { module: 'acme.models', qualname: 'User', reconstructor: 'test.record', uses: ['new', 'state'] };

  it('extends a pack pinned by digest, and fails loudly when the pin does not match', () => {
    const base = pack([user], { id: 'acme-base' });
    const digest = packDigest(base);
    const child = pack([], { id: 'acme-app', extends: [{ id: 'acme-base', version: '1.0.0', digest }] });
    const policy = createPolicy({ packs: [child, base], reconstructors: [RECORD] });
    expect(policy.packs.map((p) => p.id)).toEqual(['acme-base', 'acme-app']);
    expect(policy.resolve('acme.models', 'User')).toBeDefined();

    const changed = pack([{ ...user, uses: ['call', 'new', 'state'] }], { id: 'acme-base' });
    const e = policyError(() => createPolicy({ packs: [child, changed], reconstructors: [RECORD] }));
    expect(e.issues[0]).toMatchObject({ code: 'digest_mismatch', path: 'packs[0].extends[0]' });
    expect(e.message).toContain(digest);

    const missing = policyError(() => createPolicy({ packs: [child], reconstructors: [RECORD] }));
    expect(missing.issues[0]!.code).toBe('missing_pack');
  });

  it('extends shipped packs by id, version and digest', () => {
    const builtins = SHIPPED_PACKS.find((p) => p.pack.id === 'python-builtins')!;
    const child = pack([user], { extends: [{ id: 'python-builtins', version: builtins.pack.version, digest: builtins.digest }] });
    const policy = createPolicy({ packs: [child], reconstructors: [RECORD] });
    expect(policy.resolve('builtins', 'set')?.call).toBeTypeOf('function');
  });

  it('names unknown reconstructor ids and conflicting entries', () => {
    const e = policyError(() => createPolicy({ packs: [pack([{ ...user, reconstructor: 'nope' }])] }));
    expect(e.issues[0]).toMatchObject({ code: 'unknown_reconstructor', path: 'acme.entries[0].reconstructor' });
    const other = pack([{ ...user, uses: ['call'] }], { id: 'acme-other' });
    const c = policyError(() => createPolicy({ packs: [pack([user]), other], reconstructors: [RECORD] }));
    expect(c.issues[0]!.code).toBe('conflicting_entry');
    const dup = policyError(() => createPolicy({ reconstructors: [RECORD, RECORD] }));
    expect(dup.issues[0]!.code).toBe('duplicate_reconstructor');
  });

  it('allows only the uses an entry names', () => {
    const policy = createPolicy({ packs: [pack([user])], reconstructors: [RECORD] });
    const rec = policy.resolve('acme.models', 'User')!;
    expect(rec.call).toBeUndefined();
    expect(rec.newObject).toBeTypeOf('function');
    // NEWOBJ + BUILD load; REDUCE is refused with the entry that would allow it.
    const made = loads(bytes('\x80\x02cacme.models\nUser\n)\x81}X\x04\x00\x00\x00nameX\x03\x00\x00\x00annsb.'), { policy });
    expect(made).toBeInstanceOf(PyObject);
    expect((made as PyObject).state).toEqual(new Map([['name', 'ann']]));
    const e = refusal(bytes('cacme.models\nUser\n(tR.'), { policy });
    expect(e.message).toMatch(/allows acme\.models\.User but not for 'call'/);
    expect(JSON.parse(e.allowWith!)).toEqual({ ...user, uses: ['new', 'state', 'call'] });
  });

  it('checks declarative constraints before the reconstructor runs', () => {
    let calls = 0;
    const counting: ReconstructorDef = { id: 'count', description: '', bind: () => ({ call: () => ++calls }) };
    const entry = { module: 'acme', qualname: 'f', reconstructor: 'count', uses: ['call'] };
    const policy = createPolicy({
      packs: [pack([{ ...entry, args: { type: 'tuple', maxLength: 2, items: [{ type: 'str', maxLength: 3 }, { type: 'int', min: 0, max: 9 }] } }])],
      reconstructors: [counting],
    });
    expect(loads(bytes("cacme\nf\n(S'abc'\nI5\ntR."), { policy })).toBe(1);
    for (const bad of ["cacme\nf\n(S'abcd'\nI5\ntR.", "cacme\nf\n(S'abc'\nI10\ntR.", "cacme\nf\n(I1\ntR.", "cacme\nf\n(S'a'\nI1\nI2\ntR."]) {
      const e = (() => {
        try {
          loads(bytes(bad), { policy });
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(RefusedGlobalError);
      expect((e as Error).message).toMatch(/policy's constraint on acme\.f/);
    }
    expect(calls).toBe(1);
  });

  it('host registrations return the host classes; denied names cannot be registered', () => {
    class User {
      name = '';
    }
    const policy = createPolicy({
      packs: [shippedPack('python-builtins')],
      register: {
        'acme.models:User': {
          newObject: () => new User(),
          setState: (u, state) => Object.assign(u as User, { name: (state as Map<string, string>).get('name') }),
        },
      },
    });
    const u = loads(bytes('\x80\x02cacme.models\nUser\n)\x81}X\x04\x00\x00\x00nameX\x03\x00\x00\x00annsb.'), { policy });
    expect(u).toBeInstanceOf(User);
    expect((u as User).name).toBe('ann');
    expect(policy.entries.at(-1)).toMatchObject({ module: 'acme.models', qualname: 'User', uses: ['new', 'state'] });
    const e = policyError(() => createPolicy({ register: { 'os.system': { call: () => 0 } } }));
    expect(e.issues[0]).toMatchObject({ code: 'denied_name', path: "register['os.system']" });
  });

  it('policies are frozen values', () => {
    const policy = createPolicy({ packs: [shippedPack('python-builtins')] });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.entries)).toBe(true);
    expect(Object.isFrozen(policy.resolve('builtins', 'set'))).toBe(true);
  });

  it('the default policy is the python-builtins pack', () => {
    expect(DEFAULT_POLICY.resolve('builtins', 'set')).toBeDefined();
    expect(DEFAULT_POLICY.resolve('collections', 'OrderedDict')).toBeDefined();
    expect(DEFAULT_POLICY.resolve('builtins', 'eval')).toBeUndefined();
  });
});

describe('the hard deny list', () => {
  const samples = [
    ...DENIED_NAMES.map((n) => {
      const dot = n.lastIndexOf('.');
      return [n.slice(0, dot), n.slice(dot + 1)] as const;
    }),
    ...DENIED_MODULES.flatMap((m) => [[m, 'anything'] as const, [`${m}.sub`, 'thing'] as const]),
    ['collections', 'OrderedDict.__init__.__globals__'] as const,
    ['builtins', 'getattr.__call__'] as const,
    ['__main__', '__builtins__.eval'] as const,
    ['acme', 'User.__class__'] as const,
    ['acme', 'x.__proto__'] as const,
  ];

  it(`holds against every pack (${samples.length} names)`, () => {
    for (const [module, qualname] of samples) {
      expect(denialOf(module, qualname), `${module}.${qualname}`).toBeDefined();
      expect(isDenied(module, qualname), `${module}.${qualname}`).toBe(true);
      const e = policyError(() => createPolicy({ packs: [pack([{ module, qualname, reconstructor: 'builtins.set', uses: ['call'] }])] }));
      expect(e.issues[0]!.code, `${module}.${qualname}`).toBe('denied_name');
    }
  });

  it('isDenied is false for what a pack may allow', () => {
    for (const [module, qualname] of [['builtins', 'set'], ['collections', 'OrderedDict'], ['numpy', 'dtype'], ['acme', 'User']] as const) {
      expect(isDenied(module, qualname), `${module}.${qualname}`).toBe(false);
    }
  });

  it('refuses denied names even when a custom policy object returns them', () => {
    // The registry checks at resolution too; a hand-written Policy is the caller's own responsibility.
    const policy = createPolicy({ inspect: false, packs: [shippedPack('python-builtins')] });
    for (const [module, qualname] of samples.slice(0, 50)) expect(policy.resolve(module, qualname)).toBeUndefined();
  });

  it('getattr is reachable only as the exact pairs a pack names with via "getattr"', () => {
    const entry = { module: 'zoneinfo', qualname: 'ZoneInfo._unpickle', reconstructor: 'test.record', uses: ['call'], via: 'getattr' };
    const cls = { module: 'zoneinfo', qualname: 'ZoneInfo', reconstructor: 'test.record', uses: ['reference'] };
    const policy = createPolicy({ packs: [pack([entry, cls])], reconstructors: [RECORD] });
    const ok = bytes("\x80\x04cbuiltins\ngetattr\nczoneinfo\nZoneInfo\nX\x09\x00\x00\x00_unpickle\x86RX\x0c\x00\x00\x00Europe/ParisK\x01\x86R.");
    const z = loads(ok, { policy }) as PyObject;
    expect([z.module, z.name, [...z.args]]).toEqual(['zoneinfo', 'ZoneInfo._unpickle', ['Europe/Paris', 1]]);
    const other = bytes("\x80\x04cbuiltins\ngetattr\nczoneinfo\nZoneInfo\nX\x08\x00\x00\x00__init__\x86R.");
    expect(refusal(other, { policy }).qualname).toBe('ZoneInfo.__init__');
    const noPair = createPolicy({ packs: [pack([cls])], reconstructors: [RECORD] });
    expect(refusal(ok, { policy: noPair }).qualname).toBe('getattr');
  });
});

describe('inspection mode', () => {
  const policy = createPolicy({ packs: [shippedPack('python-builtins')], inspect: true });

  it('returns inert records for what the policy lacks, denied names included, and calls nothing', () => {
    const v = loads(bytes("cos\nsystem\n(S'echo hi'\ntR."), { policy }) as PyObject;
    expect(v).toBeInstanceOf(PyObject);
    expect([v.module, v.name, v.kind, [...v.args]]).toEqual(['os', 'system', 'call', ['echo hi']]);
    expect(typeof v).toBe('object');
    expect(v.callable).toBeInstanceOf(PyGlobal);
  });

  it('records NEWOBJ_EX, BUILD, APPENDS and SETITEMS on records, and calls of call results', () => {
    const p = bytes(
      '\x80\x04\x8c\x04acme\x8c\x03Bag\x93)}\x8c\x01k\x8c\x01v\x73\x92',
      '(K\x01K\x02e', // APPENDS
      '(\x8c\x01aK\x03u', // SETITEMS
      '}\x8c\x01sK\x04sb', // BUILD
      '.',
    );
    const bag = loads(p, { policy }) as PyObject;
    expect([bag.kind, bag.listitems, [...bag.dictitems], bag.state]).toEqual(['new', [1, 2], [['a', 3]], new Map([['s', 4]])]);
    expect(bag.kwargs).toEqual(new Map([['k', 'v']]));
    // getattr(os, 'system')('id'): the call result is itself called.
    const chained = loads(bytes("\x80\x02c__builtin__\ngetattr\ncos\nsystem\nX\x02\x00\x00\x00id\x86R)R."), { policy }) as PyObject;
    expect(chained.callable).toBeInstanceOf(PyObject);
    expect((chained.callable as PyObject).name).toBe('getattr');
  });

  it('allowed names still reconstruct normally', () => {
    expect(loads(bytes('c__builtin__\nset\n((lp0\nI1\naI2\natR.'), { policy })).toEqual(new Set([1, 2]));
  });

  it('records are data: they pickle back through their reduce hook', () => {
    const rec = new PyObject(new PyGlobal('acme', 'User'), PyTuple.fromArray([1]), 'new');
    rec.state = new Map([['a', 1]]);
    const reduce = rec[Symbol.for('pickleguard.reduce') as never] as () => { callable: PyGlobal; args: unknown[] };
    const r = reduce.call(rec);
    expect(r.callable.toString()).toBe('copyreg.__newobj__');
    expect(r.args[0]).toBe(rec.callable);
  });
});
