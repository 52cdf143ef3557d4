/**
 * The python-stdlib pack against CPython: every corpus/stdlib pickle (protocols 0-5) loads under the
 * default policy to values whose reduce hooks give back what CPython's __reduce_ex__ gave.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  DEFAULT_POLICY,
  LimitExceededError,
  loads,
  MalformedPickleError,
  PyDatetime,
  PyDecimal,
  PyDefaultDict,
  PyDeque,
  PyGlobal,
  PyObject,
  PyTimezone,
  PyUUID,
  PyZoneInfo,
  RefusedGlobalError,
  shippedPack,
} from '../src/index.js';
import { bytes, repeat } from './helpers/bytes.js';
import { normalizeExpected, toTyped } from './helpers/typed.js';
import { thrown } from './helpers/thrown.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'stdlib');
const files = readdirSync(dir).filter((f) => f.endsWith('.pkl')).sort();

describe(`corpus/stdlib (${files.length} pickles)`, () => {
  it.each(files)('%s', (f) => {
    const expected = JSON.parse(readFileSync(join(dir, f.replace(/\.pkl$/, '.json')), 'utf8'));
    const value = loads(readFileSync(join(dir, f)), { policy: DEFAULT_POLICY, exact: true });
    expect(toTyped(value, expected.protocol)).toEqual(normalizeExpected(expected.value));
  });
});

describe('stdlib values', () => {
  const load = (name: string, p = 4) => loads(readFileSync(join(dir, `${name}.p${p}.pkl`)));

  it('datetime keeps microseconds, fold and tzinfo', () => {
    const d = load('datetime_fold') as PyDatetime;
    expect([d.year, d.month, d.day, d.hour, d.minute, d.fold]).toEqual([2021, 11, 7, 1, 30, 1]);
    expect((load('datetime_fold', 3) as PyDatetime).fold).toBe(0); // CPython writes fold only at protocol 4+
    const est = load('datetime_est') as PyDatetime;
    expect(est.tzinfo).toBeInstanceOf(PyTimezone);
    expect((est.tzinfo as PyTimezone).name).toBe('EST');
    expect((est.tzinfo as PyTimezone).offset.totalMicroseconds).toBe(-5n * 3600n * 1000000n);
    const z = load('datetime_zoneinfo') as PyDatetime;
    expect((z.tzinfo as PyZoneInfo).key).toBe('Europe/Paris');
    expect(String(load('datetime'))).toBe('2020-01-02T03:04:05.000006');
  });

  it('Decimal is exact, UUID is the full 128 bits, defaultdict keeps its factory as a reference', () => {
    expect(String(load('decimal'))).toBe('-1.5E+3');
    expect((load('decimal_specials') as PyDecimal[]).map(String)).toContain('123456789012345678901234567890.000001');
    expect(String(load('uuid'))).toBe('12345678-1234-5678-1234-567812345678');
    expect((load('uuid_extremes', 1) as PyUUID[])[1]!.int).toBe((1n << 128n) - 1n);
    const dd = load('defaultdict') as PyDefaultDict;
    expect(dd.defaultFactory).toBeInstanceOf(PyGlobal);
    expect(String(dd.defaultFactory)).toBe('builtins.list');
    expect([...dd]).toEqual([['a', [1, 2]], ['b', []]]);
    const q = load('deque_maxlen', 2) as PyDeque;
    expect([[...q], q.maxlen]).toEqual([[7, 8, 9], 3]);
  });

  it('a bounded deque keeps its last maxlen items however many a pickle appends', () => {
    // collections.deque((), 3), then APPENDs or APPENDS of 0, 1, 2, …: CPython keeps the last three.
    const head = "\x80\x02ccollections\ndeque\nq\x00)K\x03\x86R";
    const ints = (n: number) => Array.from({ length: n }, (_, i) => `J${String.fromCharCode(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0)}`).join('');
    const single = loads(bytes(head, Array.from({ length: 20_000 }, (_, i) => `${ints(i + 1).slice(-5)}a`).join(''), '.')) as PyDeque;
    expect([[...single], single.maxlen]).toEqual([[19_997, 19_998, 19_999], 3]);
    const batch = loads(bytes(head, '(', ints(20_000), 'e.')) as PyDeque;
    expect([...batch]).toEqual([19_997, 19_998, 19_999]);
    // Seen by a call in the middle (here as set()'s argument), it is already trimmed.
    const seen = loads(bytes('\x80\x02cbuiltins\nset\n', head, '(', ints(10), 'e\x85R.')) as Set<number>;
    expect([...seen]).toEqual([7, 8, 9]);
  });

  it('trimming a full deque again and again is work counted against maxOps, so it cannot hang', () => {
    // A deque of maxlen 50,000, filled; then APPEND one more and make a call that sees it, 200 times.
    const fill = `(${repeat('K\x01', 50_000)}e`;
    const round = 'K\x01ah\x01h\x02\x85R0';
    const data = bytes("\x80\x02cbuiltins\nset\nq\x01ccollections\ndeque\n)J\x50\xc3\x00\x00\x86Rq\x02", fill, repeat(round, 200), '.');
    const e = thrown(() => loads(data, { maxOps: 1_000_000 }), LimitExceededError);
    expect(e.message).toMatch(/trimming bounded deques/);
    expect((loads(data) as PyDeque).length).toBe(50_000); // within the default budget it loads
  });

  it('bad arguments fail as MalformedPickleError, never another error', () => {
    const bad = [
      "cdatetime\ndate\n(C\x04\x07\xe4\x02\x1etR.", // 30 February (SHORT_BINBYTES at protocol 0 opcodes is fine for the VM)
      "cdatetime\ndatetime\n(C\x0a\x07\xe4\x0d\x01\x00\x00\x00\x00\x00\x00tR.", // month 13
      "cdatetime\ntime\n(C\x06\x18\x00\x00\x00\x00\x00tR.", // hour 24
      "cdatetime\ntimedelta\n(I1000000000\nI0\nI0\ntR.",
      "cdatetime\ntimezone\n(cdatetime\ntimedelta\n(I1\nI0\nI0\ntRtR.",
      "cdecimal\nDecimal\n(S'1e5; import os'\ntR.",
      "cfractions\nFraction\n(I1\nI0\ntR.",
      "cbuiltins\nrange\n(I1\nI2\nI0\ntR.",
      "\x80\x02cuuid\nUUID\n)\x81}X\x03\x00\x00\x00intL-1L\nsb.",
      "\x80\x02cuuid\nUUID\n)\x81}X\x03\x00\x00\x00keyI1\nsb.",
      "\x80\x04cbuiltins\ngetattr\nczoneinfo\nZoneInfo\nX\x09\x00\x00\x00_unpickle\x86RX\x0a\x00\x00\x00../../etcK\x01\x86R.",
    ];
    for (const p of bad) {
      let error: unknown;
      try {
        loads(bytes(p));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(p)).toBeInstanceOf(MalformedPickleError);
    }
    // Outside the pack's argument constraint (a factory must be a global the pack names): a refusal.
    expect(() => loads(bytes("ccollections\ndefaultdict\n(S'list'\ntR."))).toThrow(RefusedGlobalError);
    expect(() => loads(bytes("ccollections\ndefaultdict\n(S'list'\ntR."))).toThrow(/the policy's constraint on collections\.defaultdict/);
  });

  it('defaultdict factories are limited to the builtin ones the pack names', () => {
    const e = (() => {
      try {
        loads(bytes('ccollections\ndefaultdict\n(cos\nsystem\ntR.'));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(RefusedGlobalError);
    expect(() => loads(bytes('ccollections\ndefaultdict\n(cdecimal\nDecimal\ntR.'))).toThrow(/constraint/);
  });

  it('copyreg._reconstructor gives object.__new__ semantics to classes allowed with "new"', () => {
    const p = bytes("ccopy_reg\n_reconstructor\n(cacme\nUser\nc__builtin__\nobject\nNtR(dS'name'\nS'ann'\nsb.");
    const policy = createPolicy({
      packs: [shippedPack('python-stdlib'), { id: 'acme', version: '1.0.0', description: 'x', entries: [{ module: 'acme', qualname: 'User', reconstructor: 'object', uses: ['new', 'state'] }] }],
    });
    const u = loads(p, { policy }) as PyObject;
    expect([u.module, u.name, u.kind, u.state]).toEqual(['acme', 'User', 'new', new Map([['name', 'ann']])]);
    const onlyCall = createPolicy({
      packs: [shippedPack('python-stdlib'), { id: 'acme', version: '1.0.0', description: 'x', entries: [{ module: 'acme', qualname: 'User', reconstructor: 'object', uses: ['call'] }] }],
    });
    expect(() => loads(p, { policy: onlyCall })).toThrow(RefusedGlobalError);
  });
});
