/**
 * The stdlib values backends carry (issue 13 §3) against CPython: exceptions, compiled patterns,
 * arrays, namespaces and pytz zones. Each call a pickle can make is tried in python3 and here:
 * where CPython raises, loading fails; where it returns, the value dumps back to CPython's bytes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  DEFAULT_POLICY,
  dumps,
  loads,
  PickleError,
  PyArray,
  PyDatetime,
  PyException,
  PyNamespace,
  PyPattern,
  PyTzInfo,
  RefusedGlobalError,
  shippedPack,
} from '../src/index.js';
import { normalizeExpected, toTyped } from './helpers/typed.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();
if (missing !== null) console.log(`stdlib-backends: skipped, ${missing}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const PYTZ_POLICY = createPolicy({ packs: [shippedPack('python-stdlib'), shippedPack('pytz')] });

const pytzDir = join(import.meta.dirname, '..', 'corpus', 'pytz');
const pytzFiles = readdirSync(pytzDir).filter((f) => f.endsWith('.pkl')).sort();

describe(`corpus/pytz (${pytzFiles.length} pickles, written by Debian's python3-tz)`, () => {
  it.each(pytzFiles)('%s loads to what pytz pickled, dumps back byte for byte', (f) => {
    const bytes = readFileSync(join(pytzDir, f));
    const expected = JSON.parse(readFileSync(join(pytzDir, f.replace(/\.pkl$/, '.json')), 'utf8'));
    const value = loads(bytes, { policy: PYTZ_POLICY });
    expect(toTyped(value, expected.protocol)).toEqual(normalizeExpected(expected.value));
    expect(hex(dumps(value, { protocol: expected.protocol }))).toBe(hex(bytes));
    if (expected.isoformat !== undefined) {
      const dt = value as PyDatetime;
      expect(String(dt)).toBe(expected.isoformat);
      expect(dt.toDate().getTime()).toBe(expected.ms);
    }
    // Under the default policy pytz is refused, naming the shipped pack that allows it.
    const e = (() => { try { loads(bytes); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(RefusedGlobalError);
    expect((e as RefusedGlobalError).shippedPack).toBe('pytz');
  });

  it('a zone without its offset prints its name; pytz.utc by name is UTC', () => {
    const zones = loads(readFileSync(join(pytzDir, 'zones.p4.pkl')), { policy: PYTZ_POLICY }) as PyTzInfo[];
    expect(zones.map((z) => [z.zone, z.utcoffsetSeconds])).toEqual([['Europe/Paris', 540], ['America/New_York', -17760], ['EST', null], ['Asia/Kolkata', 21180], ['Etc/GMT+5', null]]);
    const dt = new PyDatetime(2024, 1, 1, 0, 0, 0, 0, PyTzInfo.zoneOf('EST'));
    expect(String(dt)).toBe('2024-01-01T00:00:00[EST]');
    expect(dt.toDate().toISOString()).toBe('2024-01-01T05:00:00.000Z');
    const byName = loads(Buffer.from('\x80\x02cdatetime\ndatetime\nC\n\x07\xe8\x05\x01\x0c\x1e\x00\x00\x00\x00cpytz\nutc\n\x86R.', 'latin1'), { policy: PYTZ_POLICY }) as PyDatetime;
    expect(String(byName)).toBe('2024-05-01T12:30:00+00:00');
  });
});

/** Calls: [module, name, args as a Python expression]. CPython's verdict and pickle.dumps(result, 2) come back. */
const CALLS: [string, string, string][] = [
  ...['()', "('x',)", "('x', 1, None)", '(1, 2, 3, 4, 5, 6)'].map((a): [string, string, string] => ['builtins', 'ValueError', a]),
  ...["(2, 'x')", "(2, 'x', 'f')", "(2, 'x', 'f', 5)", "(2, 'x', 'f', 5, 'g')", "(2, 'x', None, None, 'g')", "(13, 'x')", "(True, 'x')", "(999, 'x')", "('a', 'b')", "(110, 't', 'f', None, None)"]
    .map((a): [string, string, string] => ['builtins', 'OSError', a]),
  ['builtins', 'IOError', "(2, 'x')"], ['builtins', 'EnvironmentError', "(17, 'x', 'y')"], ['builtins', 'ConnectionError', "(104, 'x', 'p')"],
  ...["('utf-8', b'\\xff', 0, 1, 'bad')", "('utf-8', bytearray(b'x'), 0, 1, 'bad')", "('utf-8', 'x', 0, 1, 'bad')", "('utf-8', b'x', 0, 1)", "(1, b'x', 0, 1, 'r')", "('u', b'x', 2**63, 1, 'r')"]
    .map((a): [string, string, string] => ['builtins', 'UnicodeDecodeError', a]),
  ...["('ascii', 'é', 0, 1, 'r')", "('ascii', b'x', 0, 1, 'r')"].map((a): [string, string, string] => ['builtins', 'UnicodeEncodeError', a]),
  ...["('x', 0, 1, 'r')", "('x', 0, 1)"].map((a): [string, string, string] => ['builtins', 'UnicodeTranslateError', a]),
  ...["('m', ('f', 1, 2, 't'))", "('m', ('f', 1, 2))", "('m', 5)", "('m', ('f', 1, 2, 't', 1, 2, 3))", "('m',)", "('m', ['f', 1, 2, 't', 1, 2])"]
    .map((a): [string, string, string] => ['builtins', 'SyntaxError', a]),
  ['builtins', 'IndentationError', "('m', 5)"], ['builtins', 'SystemExit', '(3,)'], ['builtins', 'KeyboardInterrupt', '()'], ['builtins', 'StopIteration', '(1, 2)'],
  ...["('m', 'doc', 1)", "('m', b'doc', 1)", "('m', 'doc', 'x')", "('m', 'doc')", "(1, 'a\\nb\\nc', 4)"].map((a): [string, string, string] => ['json.decoder', 'JSONDecodeError', a]),
  ...["('m',)", "('m', 'a\\nb', 2)", "('m', 'ab', None)", "('m', 5, 1)", "('m', b'a\\nb', 2)", "('m', 'a', 'x')"].map((a): [string, string, string] => ['re', 'error', a]),
  ['decimal', 'InvalidOperation', '()'], ['decimal', 'DivisionByZero', "('x', 1)"], ['_queue', 'Empty', '()'], ['struct', 'error', "('x',)"], ['zlib', 'error', "('x',)"],
  ['binascii', 'Error', "('x',)"], ['_csv', 'Error', "('x',)"], ['statistics', 'StatisticsError', "('x',)"], ['ipaddress', 'NetmaskValueError', "('x',)"],
  // re._compile: pattern and flags.
  ...["('a+b', 0)", "('a+b', 34)", "(b'x', 0)", "(b'x', 2)", "('x', 4)", "(b'x', 32)", "('x', 256)", "('x', 288)", "(b'x', 260)", "(5, 0)", "('x', 'i')", "('x', True)"]
    .map((a): [string, string, string] => ['re', '_compile', a]),
  // array.array(typecode, list) and _array_reconstructor(array.array, typecode, mformat, bytes).
  ...["('b', [1, -128, 127])", "('b', [128])", "('B', [-1])", "('B', [255, True])", "('h', [-32768])", "('H', [65536])", "('i', [2**31 - 1])", "('I', [2**32])",
    "('l', [-2**63])", "('L', [2**64 - 1])", "('q', [2**63])", "('Q', [0])", "('f', [1, 2.5, True])", "('d', [1e308, -0.0])", "('d', ['x'])", "('b', [1.5])",
    "('u', ['a', 'é'])", "('u', ['ab'])", "('u', [1])", "('u', 'hey')", "('x', [])", "('bb', [])", "('i',)", "('i', [])"]
    .map((a): [string, string, string] => ['array', 'array', a]),
  ...["'i', 8, b'\\x01\\x00\\x00\\x00'", "'i', 8, b'\\x01\\x00'", "'q', 11, bytes(16)", "'i', 13, bytes(16)", "'i', 13, bytes(17)", "'d', 15, b'?\\xf8\\x00\\x00\\x00\\x00\\x00\\x00'",
    "'f', 17, b'\\x7f\\xef\\xff\\xff\\xff\\xff\\xff\\xff'", "'u', 19, 'hi'.encode('utf-16-be')", "'u', 21, 'hi'.encode('utf-32-be')", "'u', 20, b'\\x00\\x00\\x11\\x00'", "'b', 22, b''", "'b', -1, b''",
    "'x', 0, b''", "'B', 0, bytearray(1)", "'d', 1, b'ab'", "'b', 9, bytes(4)", "'H', 5, bytes(4)", "'b', 14, bytes(4)", "'f', 0, b'\\x01'", "'u', 20, b'a\\x00\\x00\\x00'", "'L', 6, bytes(4)", "'b', True, b'\\x05'",
    "'u', 18, 'a\\U0001f600'.encode('utf-16-le')", "'d', 17, bytes(7)"]
    .map((a): [string, string, string] => ['array', '_array_reconstructor', `(array.array, ${a})`]),
];

const SCRIPT = `
import array, binascii, builtins, decimal, importlib, json, pickle, re, statistics, struct, sys, zlib, ipaddress, _csv, _queue, copyreg
import json.decoder
calls = json.load(sys.stdin)
class Call:
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)
out = []
for module, name, args in calls:
    f = getattr(sys.modules[module], name)
    a = eval(args)
    data = pickle.dumps(Call(f, a), 2)
    try:
        v = f(*a)
        out.append([data.hex(), pickle.dumps(v, 2).hex()])
    except Exception as e:
        out.append([data.hex(), None])
print(json.dumps(out))
`;

describe.skipIf(missing !== null)('calls against CPython', () => {
  it(`${CALLS.length} calls: CPython raises ⇔ loading fails; otherwise the same value, byte for byte`, () => {
    const results = runPythonJson<[string, string | null][]>(SCRIPT, CALLS);
    let raised = 0;
    CALLS.forEach(([m, n, a], i) => {
      const [pkl, expected] = results[i]!;
      const label = `${m}.${n}${a}`;
      if (expected === null) {
        raised++;
        expect(() => loads(unhex(pkl)), label).toThrow(PickleError);
      } else {
        let value: unknown;
        try {
          value = loads(unhex(pkl));
        } catch (e) {
          throw new Error(`${label}: ${(e as Error).message}`);
        }
        expect(hex(dumps(value, { protocol: 2 })), label).toBe(expected);
      }
    });
    expect(raised).toBeGreaterThan(30);
  });
});

describe.skipIf(missing !== null)('PyPattern#toRegExp against re.search', () => {
  const PATTERNS: [string, number][] = [
    ['a.c', 0], ['a.c', 16], ['^ab$', 0], ['^ab$', 8], ['(?P<w>[a-z]+)=(?P=w)', 0], ['\\d+', 0], ['\\d+', 256], ['\\s+', 0], ['[\\s,]+x', 0],
    ['colou?r', 2], ['x{2,3}', 0], ['x{,2}y', 0], ['a{b', 0], ['\\Aab\\Z', 0], ['(?:ab)+', 0], ['(?<=a)b', 0], ['(?<!a)b', 0], ['[]a]+', 0], ['[^]a]', 0],
    ['\\w+', 256], ['\\bx\\b', 256], ['a#b', 0], ['\\#\\ \\.', 0], ['\\x41\\u00e9', 0], ['(?#note)ab', 0], ['a|b|', 0], ['[a-c-]+', 0], ['é+', 2],
  ];
  const SUBJECTS = ['abc', 'ab\n', 'ab', 'x\nab\nab\n', 'foo=foo bar=baz', '١٢3', ' \u2003,x', 'Colour COLOR', 'xxxxy', 'a{b', 'aab ab', ']]a', 'ÉÉé', 'x_y x', 'a#b', '# .', 'Aé', 'a\nc', 'a-b-c'];
  it(`${PATTERNS.length} patterns × ${SUBJECTS.length} strings: the same first match`, () => {
    const py = runPythonJson<(number[] | null)[][]>(
      `import json, re, sys
inp = json.load(sys.stdin)
print(json.dumps([[(lambda m: [m.start(), m.end()] if m else None)(re.compile(p, f).search(s)) for s in inp['s']] for p, f in inp['p']]))`,
      { p: PATTERNS, s: SUBJECTS },
    );
    const utf16 = (s: string, cp: number) => [...s].slice(0, cp).join('').length;
    PATTERNS.forEach(([p, f], i) => {
      const re = new PyPattern(p, f & 256 ? f : f | 32).toRegExp();
      SUBJECTS.forEach((s, j) => {
        const m = re.exec(s);
        const expected = py[i]![j];
        expect(m === null ? null : [m.index, m.index + m[0].length], `${p} /${f} on ${JSON.stringify(s)}`).toEqual(expected === null ? null : [utf16(s, expected![0]!), utf16(s, expected![1]!)]);
      });
    });
  });

  it('refuses what JS cannot express', () => {
    for (const [p, f] of [['\\w+', 32], ['\\b', 32], ['(?i)x', 32], ['a++', 32], ['(?>a)', 32], ['x', 64 | 32], ['(?(1)a|b)', 32], ['\\N{DASH}', 32], ['\\01', 32]] as [string, number][]) {
      expect(() => new PyPattern(p, f).toRegExp(), p).toThrow(TypeError);
    }
    expect(() => new PyPattern(new Uint8Array([97]), 0).toRegExp()).toThrow(/bytes/);
  });
});

describe('records', () => {
  const dir = join(import.meta.dirname, '..', 'corpus', 'stdlib');
  const load = (name: string, p = 4) => loads(readFileSync(join(dir, `${name}.p${p}.pkl`)), { policy: DEFAULT_POLICY });

  it('namespaces keep __proto__ as a plain key', () => {
    for (let p = 0; p < 6; p++) {
      const ns = load('simplenamespace', p) as PyNamespace;
      const o = ns.toObject();
      expect(Object.getPrototypeOf(o)).toBeNull();
      expect(Object.keys(o)).toEqual(['a', 'b', '__proto__']);
      expect(o['__proto__']).toBe('p');
      expect(({} as Record<string, unknown>).a).toBeUndefined();
      expect((load('argparse_namespace', p) as PyNamespace).get('files')).toEqual(['a', 'b']);
    }
  });

  it('exceptions are inert records with class, args and attributes', () => {
    const e = load('exception_attrs') as PyException;
    expect([e.module, e.name, e.args, e.attributes.code]).toEqual(['builtins', 'KeyError', ['k'], 7]);
    expect(String(load('exception'))).toBe('ValueError (2 arguments)');
    const all = load('exceptions_builtin', 1) as PyException[];
    expect(all.map((x) => x.name)).toContain('SystemExit');
    expect(all.find((x) => x.name === 'TimeoutError')!.args).toEqual([110, 'timed out']);
    expect(() => loads(Buffer.from("cbuiltins\nValueError\n(tR(dS'__traceback__'\nNsb.", 'latin1'))).toThrow(RefusedGlobalError);
    expect(() => loads(Buffer.from("cbuiltins\nValueError\n(tRI1\nb.", 'latin1'))).toThrow(/state must be/);
    expect(() => loads(Buffer.from('cbuiltins\nExceptionGroup\n(tR.', 'latin1'))).toThrow(RefusedGlobalError);
  });

  it('arrays give typed items; patterns keep text and flags', () => {
    const arrays = load('arrays', 3) as PyArray[];
    expect(arrays.map((a) => a.typecode).join('')).toBe('bBhHIlLqQfdu');
    expect(arrays[5]!.items).toBeInstanceOf(BigInt64Array);
    expect(String(arrays[11])).toBe('hé😀');
    const p = load('pattern') as PyPattern;
    expect([p.pattern, p.flags]).toEqual(['(?P<word>[a-z]+)\\s*=\\s*(\\d+)$', 42]);
    expect(p.toRegExp().exec('X = 42')?.groups?.word).toBe('X');
  });
});

const pytzMissing = (() => {
  try {
    if (spawnSync('/usr/bin/python3', ['-c', 'import pytz']).status !== 0) throw new Error('no pytz');
    return null;
  } catch {
    return 'no pytz';
  }
})();

describe.skipIf(missing !== null)('pytz calls against pytz (Debian python3-tz under /usr/bin/python3)', () => {
  const CASES: [string, string][] = [
    ['FixedOffset', '(90,)'], ['FixedOffset', '(1439,)'], ['FixedOffset', '(1440,)'], ['FixedOffset', '(-1440,)'], ['FixedOffset', '(0,)'], ['FixedOffset', "('x',)"],
    ['_p', "('UTC',)"], ['_p', "('utc',)"], ['_p', "('EST',)"], ['_p', "('Europe/Paris', 7200, 3600, 'CEST')"], ['_p', "('Europe/Paris', 7200)"],
    // Not here: _p('Europe/Paris') alone (pytz gives the zone's first, LMT, tzinfo, from its database), an unknown
    // zone name (pytz raises UnknownTimeZoneError), a tzname pytz replaces with the database's: the README's gaps.
    ['_p', "('../etc/passwd',)"], ['_p', '(5,)'], ['_UTC', '()'], ['_UTC', '(1,)'],
  ];
  it.skipIf(pytzMissing !== null)(`${CASES.length} calls: pytz raises ⇔ loading fails; otherwise the same bytes`, () => {
    const script = `import json, pickle, sys, pytz
class Call:
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)
out = []
for name, args in json.load(sys.stdin):
    f, a = getattr(pytz, name), eval(args)
    data = pickle.dumps(Call(f, a), 2)
    try: out.append([data.hex(), pickle.dumps(f(*a), 2).hex()])
    except Exception: out.append([data.hex(), None])
print(json.dumps(out))`;
    const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(CASES), encoding: 'utf8', env: { ...process.env, PYTHONHASHSEED: '0' } });
    if (r.status !== 0) throw new Error(r.stderr);
    const results = JSON.parse(r.stdout) as [string, string | null][];
    CASES.forEach(([n, a], i) => {
      const [pkl, expected] = results[i]!;
      if (expected === null) expect(() => loads(unhex(pkl), { policy: PYTZ_POLICY }), `${n}${a}`).toThrow(PickleError);
      else expect(hex(dumps(loads(unhex(pkl), { policy: PYTZ_POLICY }), { protocol: 2 })), `${n}${a}`).toBe(expected);
    });
  });
});
