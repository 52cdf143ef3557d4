/** The pickler's API, errors with paths, reduce hooks, cycles, and round trips through our own loads. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  dump,
  dumps,
  loads,
  Pickler,
  PicklingError,
  PyByteArray,
  PyComplex,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  PyOrderedDict,
  PyTuple,
  REDUCE,
  shippedPack,
  Unpickler,
  type Reduction,
} from '../src/index.js';
import { encodeUtf8Into, encodedHash, pyFloatRepr } from '../src/pickler/text.js';
import { ObjectMemo } from '../src/pickler/object-memo.js';
import { twosComplement } from '../src/pickler/pickler.js';
import { StringMemo as Memo, hashEnd, hashOf } from '../src/pickler/str-memo.js';

/** The str memo's lookup as the pickler makes it. */
class StringMemo extends Memo {
  get(text: string): number {
    return this.find(text, hashOf(text));
  }
}
import { pythonMissing, runPythonJson } from './helpers/py-run.js';
import { mulberry32 } from './helpers/mulberry32.js';
import { thrown } from './helpers/thrown.js';

const INSPECT = createPolicy({ packs: [shippedPack('python-stdlib')], inspect: true });

const picklingError = (f: () => unknown): PicklingError => thrown(f, PicklingError);

describe('values without a Python meaning', () => {
  it('throw PicklingError naming the path to the value', () => {
    const value = { items: [1, 2, 3, { callback: () => 0 }] };
    const e = picklingError(() => dumps(value));
    expect(e.message).toContain('root.items[3].callback');
    expect(e.code).toBe('unpicklable');
    expect(picklingError(() => dumps([Symbol('s')])).message).toContain('root[0]');
    expect(picklingError(() => dumps(new Map([['k', undefined]]))).message).toContain('root.k');
    expect(picklingError(() => dumps({ 'odd key': new WeakMap() })).message).toContain('root["odd key"]');
    expect(picklingError(() => dumps([Promise.resolve(1)])).message).toMatch(/Promise has no Python meaning/);
    expect(picklingError(() => dumps(new Float32Array(2))).message).toMatch(/Float32Array/);
    expect(picklingError(() => dumps(new (class Point {})())).message).toMatch(/Point has no Python meaning.*\[REDUCE\]/);
    expect(picklingError(() => dumps(1, { protocol: 6 })).code).toBe('bad_protocol');
  });

  it('deep nesting stops with PicklingError at maxDepth, never a stack overflow', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 1100; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    expect(picklingError(() => dumps(root)).code).toBe('too_deep'); // the default maxDepth is 1000, as CPython's recursion limit
    expect(loads(dumps(root, { maxDepth: 1200 }))).toBeInstanceOf(Array);
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    const e = picklingError(() => dumps(root, { maxDepth: 1e9 }));
    expect(e.code).toBe('too_deep');
    expect(e.message.length).toBeLessThan(1000);
  });
});

describe('identity', () => {
  it('keeps shared references and cycles, at every protocol', () => {
    const shared = [1, 2];
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const obj: Record<string, unknown> = { a: shared, b: shared };
    obj.self = obj;
    for (let p = 0; p <= 5; p++) {
      const [s, c, o] = loads(dumps([shared, cyclic, obj, shared], { protocol: p })) as [unknown[], unknown[], Map<string, unknown>];
      expect(c[0]).toBe(c);
      expect(o.get('a')).toBe(o.get('b'));
      expect(o.get('self')).toBe(o);
      expect(s).not.toBe(c);
    }
  });

  it('writes a tuple that contains itself through a list with POP / POP_MARK, as CPython does', () => {
    const list: unknown[] = [];
    const t = PyTuple.fromArray([list, 1, 2, 3]);
    list.push(t);
    for (let p = 0; p <= 5; p++) {
      const back = loads(dumps(t, { protocol: p })) as PyTuple;
      expect((back[0] as unknown[])[0]).toBe(back);
    }
  });
});

describe('reduce hooks', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    [REDUCE](): Reduction {
      return { callable: new PyGlobal('copyreg', '__newobj__'), args: [new PyGlobal('geometry', 'Point')], state: new Map([['x', this.x], ['y', this.y]]) };
    }
  }

  it('writes NEWOBJ + BUILD at protocol 2+, and the records load back in inspection mode', () => {
    const data = dumps([new Point(1, 2)], { protocol: 2 });
    const [rec] = loads(data, { policy: INSPECT }) as [PyObject];
    expect([rec.module, rec.name, rec.kind, rec.state]).toEqual(['geometry', 'Point', 'new', new Map([['x', 1], ['y', 2]])]);
    // Records write back to the same bytes.
    expect(dumps(loads(data, { policy: INSPECT, exact: true }), { protocol: 2 })).toEqual(data);
  });

  it('records of objects made by NEWOBJ write copyreg._reconstructor below protocol 2, as CPython does', () => {
    const rec = new PyObject(new PyGlobal('geometry', 'Point'), [], 'new');
    rec.state = new Map([['x', 1]]);
    const policy = createPolicy({
      packs: [shippedPack('python-stdlib'), { id: 'g', version: '1.0.0', description: 'g', entries: [{ module: 'geometry', qualname: 'Point', reconstructor: 'object', uses: ['new', 'state'] }] }],
    });
    for (let p = 0; p <= 5; p++) {
      const data = dumps(rec, { protocol: p });
      expect(Buffer.from(data).includes(Buffer.from('_reconstructor'))).toBe(p < 2);
      const back = loads(data, { policy }) as PyObject;
      expect([back.name, back.kind, back.state]).toEqual(['Point', 'new', new Map([['x', 1]])]);
    }
  });

  it('NEWOBJ_EX needs protocol 4; listitems, dictitems and a state setter are written', () => {
    const withKw = { [REDUCE]: () => ({ callable: new PyGlobal('copyreg', '__newobj_ex__'), args: [new PyGlobal('m', 'C'), [1], new Map([['k', 2]])] }) };
    expect(picklingError(() => dumps(withKw, { protocol: 3 })).code).toBe('bad_protocol');
    const rec = loads(dumps(withKw, { protocol: 4 }), { policy: INSPECT }) as PyObject;
    expect([rec.kind, [...rec.args], rec.kwargs]).toEqual(['new', [1], new Map([['k', 2]])]);
    const bag = {
      [REDUCE]: (): Reduction => ({ callable: new PyGlobal('m', 'Bag'), args: [], listitems: [1, 2, 3], dictitems: new Map([['a', 1]]), state: 's' }),
    };
    const b = loads(dumps(bag), { policy: INSPECT }) as PyObject;
    expect([b.listitems, [...b.dictitems], b.state]).toEqual([[1, 2, 3], [['a', 1]], 's']);
  });

  it('successive and nested dumps calls (sharing the writer’s spare buffer) give the same bytes as fresh ones', () => {
    const big = Array.from({ length: 300 }, (_, i) => `s${i}`); // ~2.5 KB: copied out, its buffer kept as the spare
    const small = [1, 'a', 2.5];
    const smallBytes = dumps(small);
    const bigBytes = dumps(big);
    expect(dumps(small)).toEqual(smallBytes);
    expect(dumps(big)).toEqual(bigBytes);
    expect(bigBytes.buffer).not.toBe(dumps(big).buffer);
    // A reduce hook that calls dumps while the outer dumps holds the spare buffer.
    let inner: Uint8Array | undefined;
    const nesting = {
      [REDUCE]: (): Reduction => {
        inner = dumps(big);
        return { callable: new PyGlobal('m', 'C'), args: [small] };
      },
    };
    const outer = dumps([nesting, big]);
    expect(inner).toEqual(bigBytes);
    const rec = loads(outer, { policy: INSPECT }) as [PyObject, string[]];
    expect([[...rec[0].args], rec[1]]).toEqual([[small], big]);
    expect(dumps(small)).toEqual(smallBytes);
  });

  it('successive dumps calls (lending their emptied memos to the next) give the same bytes in any order, failures between them included', () => {
    const shared = ['x', 'y'];
    const values: unknown[] = [
      Array.from({ length: 40_000 }, (_, i) => `s${i % 35_000}`), // past the str memo's exact table: its recent cache in use
      [shared, shared, 's1', 's1', new Map([['k', shared]])],
      Array.from({ length: 2000 }, (_, i) => new Map<unknown, unknown>([['id', i], ['name', `s${i}`], ['tags', ['a', 'b']]])),
      ['s0', 's2', 's34999', 'k'],
    ];
    const first = values.map((v) => dumps(v));
    const failing = [shared, 's3', 'k', Symbol('no')];
    for (const order of [[3, 2, 1, 0], [0, 3, 0, 1, 2, 1]]) {
      for (const i of order) {
        expect(picklingError(() => dumps(failing)).code).toBe('unpicklable');
        expect(dumps(values[i])).toEqual(first[i]);
      }
    }
    for (const data of first) expect(dumps(loads(data))).toEqual(data);
  });

  it('subclasses of Array and Map go by their hook, not as plain lists and dicts; a plain one with odd own properties is still a list or dict', () => {
    class Row extends Array {
      [REDUCE](): Reduction {
        return { callable: new PyGlobal('m', 'Row'), args: [[...this]] };
      }
    }
    class Table extends Map {
      [REDUCE](): Reduction {
        return { callable: new PyGlobal('m', 'Table'), args: [] };
      }
    }
    const row = Row.from([1, 2]) as Row;
    const [r, t] = loads(dumps([row, new Table().set('k', 1)]), { policy: INSPECT }) as [PyObject, PyObject];
    expect([(r.callable as PyGlobal).qualname, (t.callable as PyGlobal).qualname]).toEqual(['Row', 'Table']);
    const odd = Object.assign([1, 2], { constructor: Object });
    const oddMap = Object.assign(new Map([['k', 1]]), { constructor: Object });
    const shared = [odd, odd, oddMap, oddMap];
    const back = loads(dumps(shared)) as unknown[];
    expect(back).toEqual([[1, 2], [1, 2], new Map([['k', 1]]), new Map([['k', 1]])]);
    expect(back[0]).toBe(back[1]);
    expect(back[2]).toBe(back[3]);
  });

  it('dict keys written through the per-position caches (fast mode: bytes; memo: GETs) give the general path’s bytes', async () => {
    const keys = ['', 'a', 'id', 'name', 'score', 'active', 'abcdefg', 'abcdefghijklmn', 'abcdefghijklmno', 'naïve', '名前', 7, null];
    const rnd = mulberry32(3);
    const dicts = Array.from({ length: 400 }, () => {
      const d = new Map<unknown, unknown>();
      const n = Math.floor(rnd() * 20);
      for (let i = 0; i < n; i++) d.set(rnd() < 0.7 ? keys[i % keys.length] : keys[Math.floor(rnd() * keys.length)], i);
      return d;
    });
    // Keys memoized past index 255 too (LONG_BINGET).
    const late = [...Array.from({ length: 300 }, (_, i) => `p${i}`), ...dicts];
    for (const protocol of [1, 2, 4, 5]) {
      // A persistentId that returns null turns off every inline write: the general path's bytes.
      const general = { protocol, persistentId: () => null };
      expect(dumps(dicts, { fast: true, protocol })).toEqual(dumps(dicts, { fast: true, ...general }));
      expect(dumps(late, { protocol })).toEqual(dumps(late, general));
    }
    // A Pickler keeps its memo (and the keys found in it) across dumps; a failed dump and clearMemo forget.
    const written = async (options: object) => {
      const chunks: Uint8Array[] = [];
      const p = new Pickler((c: Uint8Array) => void chunks.push(c), options);
      await p.dump(dicts.slice(0, 50));
      const zz = () => new Map([['zz', 1], ['yy', 2]]);
      await expect(p.dump([...dicts.slice(50, 60), zz(), zz(), zz(), Symbol('no')])).rejects.toThrow(PicklingError);
      await p.dump([zz(), zz(), ...dicts.slice(60, 200)]);
      p.clearMemo();
      await p.dump(late);
      return chunks;
    };
    expect(await written({})).toEqual(await written({ persistentId: () => null }));
  });

  it('a hook that returns a PyGlobal writes a global; a failing hook is a PicklingError', () => {
    const g = loads(dumps({ [REDUCE]: () => new PyGlobal('builtins', 'set') }));
    expect(g).toEqual(new PyGlobal('builtins', 'set'));
    expect(picklingError(() => dumps({ [REDUCE]: () => 42 })).code).toBe('bad_reduce');
    expect(
      picklingError(() =>
        dumps({
          [REDUCE]: () => {
            throw new Error('boom');
          },
        }),
      ).message,
    ).toMatch(/boom/);
  });

  it('dotted names below protocol 4 are written as getattr(parent, name)', () => {
    const policy = createPolicy({
      packs: [{ id: 't', version: '1.0.0', description: 't', entries: [{ module: 'm', qualname: 'A', reconstructor: 'reference', uses: ['reference'] }, { module: 'm', qualname: 'A.b', reconstructor: 'object', uses: ['call'], via: 'getattr' }] }],
    });
    for (let p = 0; p <= 5; p++) expect(loads(dumps(new PyGlobal('m', 'A.b'), { protocol: p }), { policy })).toEqual(new PyGlobal('m', 'A.b'));
  });
});

describe('the value model', () => {
  it('a PyFrozenSet refuses add, delete and clear once built, and keeps its items', () => {
    const f = new PyFrozenSet([1, 2]);
    expect(() => f.add(3)).toThrow(/a frozenset cannot be changed/);
    expect(() => f.delete(1)).toThrow(/a frozenset cannot be changed/);
    expect(() => f.clear()).toThrow(/a frozenset cannot be changed/);
    expect([...f]).toEqual([1, 2]);
  });
});

describe('round trips through loads', () => {
  const values: unknown[] = [
    null, true, false, 0, 1, -1, 255, 256, 65535, 65536, -2147483648, 2147483647, 2147483648, Number.MAX_SAFE_INTEGER,
    2n ** 64n, -(2n ** 100n), 0.5, -0.0, NaN, Infinity, -Infinity, 1e300, new PyFloat(2), '', 'ascii', 'é', '\u{1f600}', '\ud800', 'x'.repeat(300),
    new Uint8Array([1, 2, 3]), new Uint8Array(0), PyByteArray.copyOf(Uint8Array.of(9)), PyTuple.fromArray([1, 'a']), [1, [2, [3]]],
    new Map<unknown, unknown>([[1, 'a'], ['b', 2], [PyTuple.fromArray([1]), null]]), new Set([1, 'x']), new PyFrozenSet([1, 2]),
    new PyComplex(1, -2), new PyOrderedDict([['z', 1], ['a', 2]]),
  ];
  it.each([0, 1, 2, 3, 4, 5])('protocol %i', (p) => {
    for (const v of values) {
      const back = loads(dumps(v, { protocol: p }), { exact: true });
      if (typeof v === 'number' && Number.isNaN(v)) expect(Number.isNaN(back)).toBe(true);
      else if (typeof v === 'number' && (Object.is(v, -0) || (Number.isInteger(v) && !Number.isSafeInteger(v)))) {
        expect(back).toEqual(new PyFloat(v)); // a float that exact loading keeps a float (-0.0, 1e300)
      }
      else if (v instanceof PyFloat) expect(back).toEqual(v);
      else expect(back, String(v)).toEqual(v);
    }
  });

  it('plain objects are dicts with their own string keys', () => {
    expect(loads(dumps({ a: 1, b: [true] }))).toEqual(new Map<string, unknown>([['a', 1], ['b', [true]]]));
    expect(loads(dumps(Object.assign(Object.create(null), { __proto__x: 1 })), { dicts: 'object' })).toEqual(Object.assign(Object.create(null), { __proto__x: 1 }));
  });
});

describe('dump, Pickler and sinks', () => {
  it('writes to a callback, a Node Writable and a web WritableStream', async () => {
    const chunks: Uint8Array[] = [];
    await dump([1], (c) => void chunks.push(c));
    const node: Buffer[] = [];
    await dump([2], new Writable({ write: (c: Buffer, _e, cb) => (node.push(c), cb()) }));
    const web: Uint8Array[] = [];
    await dump([3], new WritableStream<Uint8Array>({ write: (c) => void web.push(c) }));
    expect([loads(chunks[0]!), loads(node[0]!), loads(web[0]!)]).toEqual([[1], [2], [3]]);
  });

  it('Pickler shares the memo between pickles, as Python does, until clearMemo', async () => {
    const out: Uint8Array[] = [];
    const p = new Pickler((c) => void out.push(c), { protocol: 2 });
    const shared = ['shared'];
    await p.dump(shared);
    await p.dump(shared);
    p.clearMemo();
    await p.dump(shared);
    expect(out[1]!.length).toBeLessThan(out[0]!.length); // a memo GET
    const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of out) all.set(c, (at += c.length) - c.length);
    const u = new Unpickler(all);
    const [a, b, c] = [u.load(), u.load(), u.load()];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(c).toEqual(a);
  });

  it('a Pickler forgets what a failed dump memoized: its bytes never reach the reader', async () => {
    for (const protocol of [1, 2, 4, 5]) {
      const out: Uint8Array[] = [];
      const p = new Pickler((c) => void out.push(c), { protocol });
      const shared = new Map([['k', 'shared text']]);
      const lost = ['lost', 'text of the failed pickle'];
      await p.dump([shared, 'kept']);
      await expect(p.dump([lost, new Map([['x', lost]]), shared, () => 0])).rejects.toBeInstanceOf(PicklingError);
      // The failed pickle memoized `lost` and its strs; the next one must write them afresh.
      await p.dump([lost, 'text of the failed pickle', shared, lost, 'kept']);
      expect(out).toHaveLength(2);
      const all = new Uint8Array([...out[0]!, ...out[1]!]);
      const u = new Unpickler(all);
      const first = u.load() as unknown[];
      const second = u.load() as unknown[];
      expect(second[0]).toEqual(lost);
      expect(second[1]).toBe('text of the failed pickle');
      expect(second[2], `protocol ${protocol}`).toBe(first[0]);
      expect(second[3]).toBe(second[0]);
      expect(second[4]).toBe('kept');
    }
  });
});

describe('the memo tables', () => {
  // Seeded random runs (mulberry32) of the operations the pickler makes, checked against a plain Map.

  it('ObjectMemo answers as a Map does, before and after its first repeat, and forgets from a mark', () => {
    for (let run = 0; run < 40; run++) {
      const rnd = mulberry32(run + 1);
      const memo = new ObjectMemo();
      const want = new Map<object, number>();
      const objects = Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => ({}));
      let next = 0;
      for (let step = 0; step < 600; step++) {
        const obj = objects[Math.floor(rnd() * objects.length)]!;
        const r = rnd();
        if (r < 0.5) {
          const had = want.get(obj) ?? -1;
          expect(memo.claim(obj, next)).toBe(had);
          if (had < 0) want.set(obj, next);
          next += 1 + Math.floor(rnd() * 3); // strs take indices in between
        } else if (r < 0.8) {
          expect(memo.get(obj)).toBe(want.get(obj) ?? -1);
        } else if (r < 0.95) {
          if (!want.has(obj)) {
            memo.set(obj, next);
            want.set(obj, next++);
          }
        } else {
          const mark = Math.floor(rnd() * (next + 1));
          memo.forgetFrom(mark);
          for (const [o, i] of want) if (i >= mark) want.delete(o);
          next = mark;
        }
      }
      for (const obj of objects) expect(memo.get(obj)).toBe(want.get(obj) ?? -1);
    }
  });

  it('StringMemo answers as a Map does within its exact table, and forgets from a mark', () => {
    for (let run = 0; run < 40; run++) {
      const rnd = mulberry32(run + 100);
      const memo = new StringMemo();
      const want = new Map<string, number>();
      // Some equal strings are distinct JS strings.
      const texts = Array.from({ length: 1 + Math.floor(rnd() * 200) }, (_, i) => `${'ab'[i % 2]}${i}${'xy'[i % 2]}`.slice(0, 1 + (i % 4)));
      texts.push('', 'a', 'b');
      let next = 0;
      for (let step = 0; step < 800; step++) {
        const pick = texts[Math.floor(rnd() * texts.length)]!;
        const text = rnd() < 0.3 ? [...pick].join('') : pick;
        if (rnd() < 0.9) {
          const got = memo.get(text);
          expect(got).toBe(want.get(text) ?? -1);
          if (got < 0) {
            memo.set(text, next);
            want.set(text, next);
          }
          next += 1 + Math.floor(rnd() * 3);
        } else {
          const mark = Math.floor(rnd() * (next + 1));
          memo.forgetFrom(mark);
          for (const [t, i] of want) if (i >= mark) want.delete(t);
          next = mark;
        }
      }
    }
  });

  it('encodeUtf8Into leaves the str memo’s hash of what it encoded (the pickler looks strs up by it)', () => {
    const rnd = mulberry32(7);
    const units = [0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x540d, 0xd83d, 0xde42, 0xdbff, 0xdc00, 0xffff];
    const buf = new Uint8Array(3 * 70);
    for (let run = 0; run < 2000; run++) {
      const n = Math.floor(rnd() * 65);
      const text = String.fromCharCode(...Array.from({ length: n }, () => units[Math.floor(rnd() * units.length)]!));
      encodeUtf8Into(text, buf, 0);
      expect(hashEnd(encodedHash)).toBe(hashOf(text));
    }
  });

  it('StringMemo after reset answers as a new one, whether its recent cache was in use or not', () => {
    const memo = new StringMemo();
    for (const [n, offset] of [[70_000, 0], [100, 5], [40_000, 7], [3, 1]] as const) {
      const want = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const text = `r${(i * 7 + offset) % (n - (n >> 3))}`;
        const got = memo.get(text);
        // Within the exact table, answers as a Map; past it, a string may be missed, never given a wrong index.
        if (want.size < 32_768 || want.has(text)) expect(got === (want.get(text) ?? -1) || (got === -1 && want.size >= 32_768)).toBe(true);
        else expect(got).toBe(-1);
        if (got < 0) {
          memo.set(text, i);
          want.set(text, i);
        }
      }
      memo.forgetFrom(0);
      for (const text of want.keys()) expect(memo.get(text)).toBe(-1);
      memo.forgetFrom(0);
    }
  });

  it('StringMemo forgets from a mark, in its exact table and its recent cache', () => {
    const memo = new StringMemo();
    const n = 70_000; // past the exact table's 32,768 strings
    for (let i = 0; i < n; i++) {
      const text = `s${i}`;
      expect(memo.get(text)).toBe(-1);
      memo.set(text, i);
    }
    const mark = 50_000;
    memo.forgetFrom(mark);
    for (let i = 0; i < n; i++) {
      const got = memo.get(`s${i}`);
      // Below the mark: found (or, past the exact table, possibly evicted from the recent cache); never a forgotten index.
      if (i < 32_768) expect(got).toBe(i);
      else expect(got === -1 || (got === i && i < mark)).toBe(true);
    }
    expect(memo.get('s60000')).toBe(-1);
    memo.set('s60000', 50_000);
    expect(memo.get('s60000')).toBe(50_000);

    const small = new StringMemo();
    for (let i = 0; i < 1000; i++) {
      small.get(`t${i}`);
      small.set(`t${i}`, i);
    }
    small.forgetFrom(400);
    for (let i = 0; i < 1000; i++) expect(small.get(`t${i}`)).toBe(i < 400 ? i : -1);
  });
});

describe('number encodings', () => {
  it('LONG1 bytes are the shortest two’s complement', () => {
    const hex = (v: bigint) => Buffer.from(twosComplement(v)).toString('hex');
    expect([hex(0n), hex(127n), hex(128n), hex(-128n), hex(-129n), hex(255n), hex(-256n)]).toEqual(['', '7f', '8000', '80', '7fff', 'ff00', '00ff']);
  });

  it.skipIf(pythonMissing() !== null)('float repr matches Python for edge and random floats', () => {
    const xs = [0.1, 1 / 3, 1e16, 1e15, 123456789012345680, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308, 2 ** 53, -2.5e-7, 100, 0.000123, 1e22, 9.999999999999999e15];
    for (let i = 0; i < 300; i++) xs.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20));
    // Sent as JS's round-trip strings: JSON would turn 1e16 into a Python int.
    const want = runPythonJson<string[]>('import json,sys\njson.dump([repr(float(x)) for x in json.load(sys.stdin)], sys.stdout)', xs.map(String));
    expect(xs.map(pyFloatRepr)).toEqual(want);
  });
});
