/** Hostile inputs: refused globals run nothing, prototype keys stay data, errors are ours. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  loads,
  MalformedPickleError,
  PickleError,
  RefusedGlobalError,
  type Policy,
} from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { thrown } from './helpers/thrown.js';

/** A policy that records every name it is asked about and allows nothing new. */
function spyPolicy(): Policy & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: 'spy',
    asked,
    resolve(module, qualname) {
      asked.push(`${module}.${qualname}`);
      return DEFAULT_POLICY.resolve(module, qualname);
    },
  };
}

const refusal = (data: Uint8Array, policy: Policy = DEFAULT_POLICY): RefusedGlobalError => thrown(() => loads(data, { policy }), RefusedGlobalError);

describe('globals outside the policy', () => {
  it('refuses GLOBAL at resolution, naming the global, the offset and how to allow it', () => {
    const e = refusal(bytes("cos\nsystem\n(S'echo hi'\ntR."));
    expect([e.module, e.qualname, e.offset, e.opcode?.name, e.code]).toEqual(['os', 'system', 0, 'GLOBAL', 'refused_global']);
    expect(e.message).toContain("'os.system'");
    expect(e.message).toMatch(/hard deny list.*No policy can allow it/);
    expect(e.allowWith).toBeUndefined();
    const other = refusal(bytes('cacme.models\nUser\n.'));
    expect(other.message).toContain('add this entry to a pack in your policy');
    expect(JSON.parse(other.allowWith!)).toEqual({ module: 'acme.models', qualname: 'User', reconstructor: 'object', uses: ['new', 'state'] });
  });

  it('refuses STACK_GLOBAL with names built from memo strings', () => {
    const p = bytes('\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R.');
    const e = refusal(p);
    expect([e.module, e.qualname, e.opcode?.name]).toEqual(['os', 'system', 'STACK_GLOBAL']);
  });

  it('refuses INST, OBJ, NEWOBJ, NEWOBJ_EX and dotted or Python 2 names', () => {
    expect(refusal(bytes("(S'id'\nios\nsystem\n.")).qualname).toBe('system');
    expect(refusal(bytes("(csubprocess\nPopen\nS'id'\no.")).module).toBe('subprocess');
    expect(refusal(bytes('\x80\x02csubprocess\nPopen\n)\x81.')).module).toBe('subprocess');
    expect(refusal(bytes('\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93)}\x92.')).module).toBe('subprocess');
    expect(refusal(bytes('\x80\x04\x8c\x08builtins\x8c\x10getattr.__call__\x93.')).qualname).toBe('getattr.__call__');
    expect(refusal(bytes('c__builtin__\neval\n.')).module).toBe('builtins');
    expect(refusal(bytes('ccopy_reg\n_reconstructor.__globals__\n.')).module).toBe('copyreg');
  });

  it('asks the policy only for names, and never calls anything for a refused one', () => {
    const policy = spyPolicy();
    refusal(bytes("cos\nsystem\n(S'x'\ntR."), policy);
    expect(policy.asked).toEqual(['os.system']);
  });

  it('refuses BUILD and REDUCE on values no reconstructor made', () => {
    expect(() => loads(bytes('\x80\x02]}b.'))).toThrow(MalformedPickleError);
    expect(() => loads(bytes('\x80\x02])R.'))).toThrow(MalformedPickleError);
    // `builtins.set` may be called, but is not given state.
    expect(() => loads(bytes('\x80\x02c__builtin__\nset\n)R}b.'))).toThrow(PickleError);
  });
});

describe('prototype keys', () => {
  const payload = bytes(
    '\x80\x02}(X\x09\x00\x00\x00__proto__}X\x08\x00\x00\x00polluted\x88sX\x0b\x00\x00\x00constructor}X\x09\x00\x00\x00prototype}X\x08\x00\x00\x00polluted\x88ssX\x08\x00\x00\x00toString\x88u.',
  );

  it('loads __proto__ and constructor keys as data in Maps', () => {
    const d = loads(payload) as Map<string, unknown>;
    expect([...d.keys()]).toEqual(['__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('loads them as own data of null-prototype objects with dicts: "object"', () => {
    const d = loads(payload, { dicts: 'object' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(d)).toBe(null);
    expect(Object.keys(d)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(d.__proto__)).toBe(null);
    expect((d.__proto__ as Record<string, unknown>).polluted).toBe(true);
    expect(d.toString).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('dicts: "object"', () => {
  it('keeps shared references and cycles, including through tuples', () => {
    // d = {'a': 1}; v = [d, (d,), d]; d['self'] = (v,)
    const p = bytes(
      '\x80\x02]q\x00(}q\x01(X\x01\x00\x00\x00aK\x01X\x04\x00\x00\x00selfh\x00\x85uh\x01\x85h\x01e.',
    );
    const v = loads(p, { dicts: 'object' }) as unknown[];
    const d = v[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(d)).toBe(null);
    expect(v[2]).toBe(d);
    expect((v[1] as unknown[])[0]).toBe(d);
    expect(Object.isFrozen(v[1])).toBe(true);
    expect((d.self as unknown[])[0]).toBe(v);
  });

  it('keeps dicts with non-string keys as Maps', () => {
    const v = loads(bytes('\x80\x02}K\x01K\x02s.'), { dicts: 'object' });
    expect(v).toEqual(new Map([[1, 2]]));
  });
});

describe('errors', () => {
  it('reports unknown opcodes, underflow and missing memo entries as MalformedPickleError with offsets', () => {
    const cases: [Uint8Array, string, number][] = [
      [bytes('\x80\x02\xff'), 'unknown_opcode', 2],
      [bytes('\x80\x02a'), 'stack_underflow', 2],
      [bytes('\x80\x02(K\x01a.'), 'stack_underflow', 5],
      [bytes('\x80\x02h\x05.'), 'memo_missing', 2],
      [bytes('\x80\x06N.'), 'unsupported_protocol', 0],
      [bytes('\x80\x02K\x01e.'), 'no_mark', 4],
    ];
    for (const [p, code, offset] of cases) {
      try {
        loads(p);
        throw new Error('loaded');
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedPickleError);
        expect([(e as PickleError).code, (e as PickleError).offset]).toEqual([code, offset]);
      }
    }
  });
});
