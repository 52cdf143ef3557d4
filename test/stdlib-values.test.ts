/**
 * The python-stdlib reconstructors' parsers and printers against CPython, input by input: Decimal
 * and Fraction literals, IPv4/IPv6 addresses, networks and interfaces (and IPv6 compression of many
 * random values), pathlib parsing and str(), timedelta normalisation. Each valid input must give
 * the value CPython makes, in the form CPython's __reduce__ pickles it; each input CPython rejects
 * must fail as ReconstructorArgumentError (which the unpickler reports as MalformedPickleError).
 */
import { describe, expect, it } from 'vitest';
import { PyDecimal, PyFraction, PyIPAddress, PyPath, PyTimedelta, ReconstructorArgumentError, ReconstructorUnsupported, type ReconstructContext } from '../src/index.js';
import { REDUCE } from '../src/model/reduce.js';
import { DATETIME_DEFS } from '../src/policy/reconstructors/datetime.js';
import { STDLIB_DEFS } from '../src/policy/reconstructors/stdlib.js';
import { pythonMissing, runPythonJson } from './helpers/py-run.js';

const missing = pythonMissing();
if (missing !== null) console.log(`stdlib-values: skipped, ${missing}`);

const DECIMALS = [
  '0', '-0', '+0', '00', '0.0', '-0.000', '0E-10', '0e+5', '1', '-1', '10', '100', '1.5', '-1.50', '.5', '5.', '-.5',
  '1e3', '1E+3', '1e-3', '1.23e-7', '1.23E+10', '123456789012345678901234567890', '0.000001', '0.0000001', '1E-7',
  '12.345e-2', '-12.345e+2', '1_000', '1__0', '_1', '1_', '1._5', '1e_5', ' 7 ', '\t-3.0\n', 'NaN', 'nan', '-NaN', 'sNaN',
  '-sNaN', 'NaN0', 'NaN123', 'NaN0123', 'sNaN007', 'Inf', '-inf', 'Infinity', '-INFINITY', 'in_f', '1e999999999999999999',
  '1e9999999999999999999', '', ' ', '.', 'e5', '1e', '1e+', '--1', '1.2.3', 'abc', 'Infinit', 'NaNx', '0x10', '1,000',
  // The 64-bit context's exponent limits (Emax 10**18 - 1, Etiny -(2 * 10**18 - 3)), for zeros too.
  '1e1000000000000000000', '12e999999999999999998', '12e999999999999999999', '0e999999999999999999', '0e1000000000000000000',
  '0012e999999999999999998', '0e-1999999999999999997', '0e-1999999999999999998', '1e-1999999999999999997', '1e-1999999999999999998',
  '10e-1999999999999999998', '1.0e-1999999999999999997', '1e-9223372036854775808', `1e${'9'.repeat(40)}`, `1e-${'0'.repeat(50)}5`,
  // Unicode digits and whitespace, as _decimal reads them; underscores dropped anywhere.
  '١٢', '١.٥e٣', '\u00a07\u2003', '\u001c1\u001f', '1\ufeff', '\u00851\u0085', '1 0', '_ 1', ' _1_ ', 'N_aN', '1.e5', '1e+0_1',
  '\u0000', '1\u0000', '+-1', '1e5.0', 'sNaN-1', '-0E+5', '-0.0000001', '123.456E-20', '9'.repeat(200),
];

const FRACTIONS = [
  '0', '1', '-1', '3/4', '-6/9', '+6/-9', ' 10/4 ', '1.5', '-0.125', '.5', '5.', '1e3', '1.5e-3', '-2E+2', '1_000/3',
  '1/0', '0/5', '1/2/3', '1.5/2', 'abc', '', '.', '1e', '3 / 4', '1__0', '07', '1e0_1',
  '١/٢', '\u20071/2\u001c', '1/2\ufeff', ' 1_000.5e1_0 ', '1.d', '1.5E-0_3', '+.5', '-5.e2', '1_/2', '1/_2', '5/1_0',
  '1'.repeat(4300), '1'.repeat(4301), `1/${'3'.repeat(4301)}`, '1e10000', '1e10001', '1e-10001',
];

const V4 = ['0.0.0.0', '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..3.4', ' 1.2.3.4', '1.2.3.-4', '1.2.3.0x4', '١.2.3.4',
  '1.2.3.256', '0.0.0.00', '1.2.3.4/32', '1.2.3.4%x', '1.2.3.1000', ''];
const V6 = [
  '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:0:0:2:0:0:0:3', '1:0:0:0:2:0:0:3', '0:0:1:0:0:0:0:0', '2001:db8::8a2e:370:7334',
  '2001:DB8:0:0:8:800:200C:417A', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%a%b', '::ffff:1.2.3.4', '::1.2.3.4', '1::2::3',
  ':1::2', '1::2:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '12345::', 'g::',
  '::ffff:1.2.3', '', ':', ':::', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::01.2.3.4', '00000::', '0000::', '::/64',
  'fe80::1%eth0%', '%eth0', 'fe80::1%eth 0', 'fe80::1%é\u0000x', 'fe80::1%a/b', '1:0:0:1:0:0:0:0', '0:0:0:1:0:0:0:0', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
];
const NETS: [string, string | number][] = [
  ['IPv4Network', '10.0.0.0/8'], ['IPv4Network', '10.0.0.1/8'], ['IPv4Network', '10.0.0.0/255.0.0.0'],
  ['IPv4Network', '10.0.0.0/0.255.255.255'], ['IPv4Network', '10.0.0.0/255.0.255.0'], ['IPv4Network', '1.2.3.4'],
  ['IPv4Network', '0.0.0.0/0'], ['IPv4Network', '10.0.0.0/33'], ['IPv4Network', '10.0.0.0/008'], ['IPv4Network', '10.0.0.0/'],
  ['IPv4Network', '10.0.0.0/8/8'], ['IPv6Network', '2001:db8::/32'], ['IPv6Network', '2001:db8::1/32'], ['IPv6Network', '::/0'],
  ['IPv6Network', 'fe80::%eth0/64'], ['IPv6Network', '::/129'], ['IPv6Network', '::/ffff::'], ['IPv4Interface', '10.1.2.3/255.255.0.0'],
  ['IPv4Interface', '10.1.2.3'], ['IPv4Interface', '10.1.2.3/24'], ['IPv6Interface', 'fe80::1%eth0/64'], ['IPv6Interface', '::1'],
  ['IPv6Interface', '::1/200'], ['IPv6Interface', '::1/ffff::'], ['IPv4Network', '10.0.0.0/+8'], ['IPv4Network', '10.0.0.0/ 8'],
  ['IPv4Network', '10.0.0.0/255.255.255.255'], ['IPv4Network', '0.0.0.0/0.0.0.0'], ['IPv4Interface', '1.2.3.4/0.0.0.255'],
  ['IPv4Network', 16909060], ['IPv4Interface', 16909060], ['IPv6Network', 1], ['IPv6Address', 1], ['IPv4Address', 16909060],
  ['IPv6Interface', '2001:db8::1/64'], ['IPv6Interface', 'fe80::1%eth 0/64'], ['IPv6Network', 'fe80::%a/b/64'], ['IPv6Network', 'fe80::%ü/64'], ['IPv6Network', '2001:DB8:0::/48'], ['IPv4Network', '01.0.0.0/8'], ['IPv6Network', '::/1_0'],
];
const PATHS: [string, string[]][] = [
  ['PurePosixPath', []], ['PurePosixPath', ['']], ['PurePosixPath', ['.']], ['PurePosixPath', ['/']], ['PurePosixPath', ['//']],
  ['PurePosixPath', ['///']], ['PurePosixPath', ['//a/b']], ['PurePosixPath', ['a/./b//c/']], ['PurePosixPath', ['a', '/b', 'c']],
  ['PurePosixPath', ['/a', '', 'b']], ['PurePosixPath', ['..', 'x']], ['PurePosixPath', ['c:\\x']], ['PurePosixPath', ['a', '//b']],
  ['PureWindowsPath', []], ['PureWindowsPath', ['c:/x/y']], ['PureWindowsPath', ['C:', 'y']], ['PureWindowsPath', ['c:', '/', 'a']],
  ['PureWindowsPath', ['//server/share/x']], ['PureWindowsPath', ['//server/share']], ['PureWindowsPath', ['//server']],
  ['PureWindowsPath', ['\\\\?\\c:\\x']], ['PureWindowsPath', ['\\\\?\\UNC\\srv\\sh\\x']], ['PureWindowsPath', ['a', 'd:b']],
  ['PureWindowsPath', ['/x', 'c:y']], ['PureWindowsPath', ['c:/a', '/b']], ['PureWindowsPath', ['x:', 'y:']],
  ['PureWindowsPath', ['\\\\a\\\\b']], ['PureWindowsPath', ['c:']], ['PureWindowsPath', ['c:\\']], ['PureWindowsPath', ['1:x']],
  ['PureWindowsPath', ['a/b\\c']], ['PureWindowsPath', ['//?/c:/x']], ['PureWindowsPath', ['./x:/y']], ['PureWindowsPath', ['./x:']],
  ['PureWindowsPath', ['c:', 'd:/e', 'f']], ['PureWindowsPath', ['//srv/sh/', 'x']],
];
const DELTAS = [[0], [1, 2, 3], [0, 0, -1], [0, 86400], [0, -1], [-1, 0, 0], [0, 0, 0, 1500], [0, 0, 0, 0, 90], [0, 0, 0, 0, 0, 25],
  [0, 0, 0, 0, 0, 0, 3], [999999999, 86399, 999999], [-999999999], [1000000000], [-999999999, -1], [0, 10 ** 14],
  [0, 0, 0, 0, 0, 0, 142857143], [0, 0, 0, 0, 0, 0, 142857142], [-5, 3, -7, 11, -13, 17, -19], [0, 0, 86400000000]];

/** Constructor arguments for date, time and datetime: ints, None, or {hex} for a packed bytes state. */
type DtArg = number | null | { hex: string };
const DATETIMES: [string, DtArg[]][] = [
  ['date', [2020, 2, 29]], ['date', [2019, 2, 29]], ['date', [1, 1, 1]], ['date', [9999, 12, 31]], ['date', [0, 1, 1]],
  ['date', [10000, 1, 1]], ['date', [2020, 13, 1]], ['date', [2020, 4, 31]], ['date', [2020, 1]], ['date', [2020, 1, 1, 1]],
  ['date', [{ hex: '07e40101' }]], ['date', [{ hex: '07e40d01' }]], ['date', [{ hex: '07e401' }]], ['date', [1900, 2, 29]], ['date', [2000, 2, 29]],
  ['time', []], ['time', [23, 59, 59, 999999]], ['time', [24]], ['time', [0, 60]], ['time', [0, 0, 60]], ['time', [0, 0, 0, 1000000]],
  ['time', [1, 2, 3, 4, null]], ['time', [1, 2, 3, 4, null, 1]], ['time', [-1]], ['time', [{ hex: '010203000004' }]],
  ['time', [{ hex: '810203000004' }]], ['time', [{ hex: '180000000000' }]], ['time', [{ hex: '010203000004' }, null]],
  ['datetime', [2020, 1, 2]], ['datetime', [2020, 1, 2, 3, 4, 5, 6]], ['datetime', [2020, 1, 2, 3, 4, 5, 6, null]],
  ['datetime', [2020, 1, 2, 3, 4, 5, 6, null, 1]], ['datetime', [2020, 1]], ['datetime', [2020, 1, 2, 24]], ['datetime', [2020, 1, 2, 0, 0, 0, 1000000]],
  ['datetime', [{ hex: '07e4010203040500000600' }]], ['datetime', [{ hex: '07e40102030405000006' }]], ['datetime', [{ hex: '07e48102030405000006' }]],
  ['datetime', [{ hex: '07e40d02030405000006' }]], ['datetime', [{ hex: '07e40102030405000006' }, null]],
];

/** Deterministic pseudo-random 128-bit values with many zero hextets. */
function sparseV6(count: number): bigint[] {
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () => {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 16n) | (next() % 3 === 0 ? BigInt(next() % 0x10000) : 0n);
    return v;
  });
}

/** Python helpers both scripts use: an attempt that gives 'ERR' for any exception, and an ipaddress value with its pickled argument. */
const PY_HELPERS = `def attempt(f):
    try: return f()
    except Exception: return 'ERR'
def ip(c, s):
    v = getattr(ipaddress, c)(s)
    arg = v.__reduce__()[1][0]
    return [str(v), str(arg) if isinstance(arg, int) else arg]
`;

const SCRIPT = `
import decimal, fractions, ipaddress, json, pathlib, sys, datetime
inp = json.load(sys.stdin)
${PY_HELPERS}def fields(v):
    return [getattr(v, f, None) for f in ('year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'fold')]
out = {
  'decimal': [attempt(lambda: str(decimal.Decimal(s))) for s in inp['decimal']],
  'fraction': [attempt(lambda: '%x/%x' % fractions.Fraction(s).as_integer_ratio()) for s in inp['fraction']],
  'v4': [attempt(lambda: ip('IPv4Address', s)) for s in inp['v4']],
  'v6': [attempt(lambda: ip('IPv6Address', s)) for s in inp['v6']],
  'net': [attempt(lambda: ip(c, s)) for c, s in inp['net']],
  'path': [(list(getattr(pathlib, c)(*a).__reduce__()[1]), str(getattr(pathlib, c)(*a))) for c, a in inp['path']],
  'delta': [attempt(lambda: [(d := datetime.timedelta(*a)).days, d.seconds, d.microseconds]) for a in inp['delta']],
  'sparse': [str(ipaddress.IPv6Address(int(h, 16))) for h in inp['sparse']],
  'datetime': [attempt(lambda: fields(getattr(datetime, c)(*[bytes.fromhex(a['hex']) if isinstance(a, dict) else a for a in args]))) for c, args in inp['datetime']],
}
print(json.dumps(out))
`;

const context: ReconstructContext = { reconstructorOf: () => undefined, made: () => undefined };

/** The reconstructor with `id`, bound to module.qualname, called with `args`. */
function call(id: string, module: string, qualname: string, args: readonly unknown[]): unknown {
  const def = [...STDLIB_DEFS, ...DATETIME_DEFS].find((d) => d.id === id);
  if (def === undefined) throw new Error(`no reconstructor ${id}`);
  return def.bind(module, qualname).call!(args, context);
}

/** `run()`, or 'ERR' when it fails as a reconstructor argument error (anything else is a bug). */
function attempt<T>(run: () => T): T | 'ERR' {
  try {
    return run();
  } catch (e) {
    // Arguments CPython rejects, or (ReconstructorUnsupported) ones it takes that the policy does not.
    if (e instanceof ReconstructorArgumentError || e instanceof ReconstructorUnsupported) {
      expect(e.message.length).toBeLessThanOrEqual(400);
      return 'ERR';
    }
    throw e;
  }
}

/** [str(value), the argument it pickles with] for an ipaddress reconstruction. */
function ip(kind: string, value: string | number | bigint): [string, string] {
  const v = call('ipaddress', 'ipaddress', kind, [value]) as PyIPAddress;
  expect(v).toBeInstanceOf(PyIPAddress);
  return [v.toString(), String(v.value)];
}

describe.skipIf(missing !== null)('stdlib values match CPython', () => {
  const sparse = sparseV6(400);
  const py =
    missing === null
      ? runPythonJson<Record<string, unknown[]>>(SCRIPT, {
          decimal: DECIMALS, fraction: FRACTIONS, v4: V4, v6: V6, net: NETS, path: PATHS, delta: DELTAS, datetime: DATETIMES,
          sparse: sparse.map((v) => v.toString(16)),
        })
      : {};

  it('Decimal literals', () => {
    const ours = DECIMALS.map((s) => attempt(() => {
      const d = call('decimal.Decimal', 'decimal', 'Decimal', [s]) as PyDecimal;
      expect(d).toBeInstanceOf(PyDecimal);
      return d.toString();
    }));
    expect(ours).toEqual(py.decimal);
  });

  it('Fraction literals', () => {
    const ours = FRACTIONS.map((s) => attempt(() => {
      const f = call('fractions.Fraction', 'fractions', 'Fraction', [s]) as PyFraction;
      // In hex: CPython's int-to-decimal-str limit (4300 digits) would stop the Python side's printing.
      return `${f.numerator.toString(16)}/${f.denominator.toString(16)}`;
    }));
    // Exponents beyond ±10000 are refused on purpose (CPython builds 10**exp, unbounded).
    const expected = py.fraction!.map((v, i) => (/^1e-?1000[1-9]$/.test(FRACTIONS[i]!) ? 'ERR' : v));
    expect(ours).toEqual(expected);
  });

  it('IP addresses, networks and interfaces, and what they pickle with', () => {
    expect(V4.map((s) => attempt(() => ip('IPv4Address', s)))).toEqual(py.v4);
    expect(V6.map((s) => attempt(() => ip('IPv6Address', s)))).toEqual(py.v6);
    expect(NETS.map(([c, s]) => attempt(() => ip(c, s)))).toEqual(py.net);
    expect(sparse.map((v) => new PyIPAddress('IPv6Address', v).toString())).toEqual(py.sparse);
    expect(sparse.map((v) => ip('IPv6Address', v)[0])).toEqual(py.sparse);
  });

  it('pathlib parts and str()', () => {
    expect(PATHS.map(([c, a]) => {
      const p = call('pathlib.path', 'pathlib', c, a) as PyPath;
      return [[...p.parts], p.toString()];
    })).toEqual(py.path);
    // A path made from CPython's parts alone prints the same, except where a relative path's first
    // part looks like a drive ('./x:/y' keeps ['x:', 'y'], which reads back as a drive in CPython too).
    const plain = PATHS.map((p, i) => [p, py.path![i] as [string[], string]] as const).filter(([[, a]]) => a[0] !== './x:/y');
    expect(plain.map(([[c, a]]) => new PyPath(c, (call('pathlib.path', 'pathlib', c, a) as PyPath).parts).toString())).toEqual(plain.map(([, x]) => x[1]));
  });

  it('date, time and datetime fields, packed or not (fold is keyword-only, so never positional)', () => {
    const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
    const names = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'fold'] as const;
    expect(DATETIMES.map(([c, args]) => attempt(() => {
      const v = call(`datetime.${c}`, 'datetime', c, args.map((a) => (a !== null && typeof a === 'object' ? hex(a.hex) : a))) as Record<string, unknown>;
      return names.map((n) => v[n] ?? null);
    }))).toEqual(py.datetime);
  });

  it('timedelta normalisation and range', () => {
    expect(DELTAS.map((a) => attempt(() => {
      const d = call('datetime.timedelta', 'datetime', 'timedelta', a) as PyTimedelta;
      return [d.days, d.seconds, d.microseconds];
    }))).toEqual(py.delta);
  });
});

/** Random strings over small alphabets, seeded: the parsers against CPython beyond the hand-picked inputs. */
function randomInputs(seed: number) {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
  const word = (alphabet: string, max: number): string => {
    let s = '';
    for (let i = next(max + 1); i > 0; i--) s += alphabet[next(alphabet.length)];
    return s;
  };
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)]!;
  const hextet = () => pick(['0', '1', '00', 'ff', 'FFFF', '0000', '1234', '12345', 'g', '', 'abc']);
  const octet = () => pick(['0', '1', '10', '255', '256', '01', '00', '999', '', '1000', '7']);
  const v4 = () => Array.from({ length: pick([3, 4, 4, 4, 5]) }, octet).join('.');
  const v6 = () => {
    const parts = Array.from({ length: next(10) }, hextet);
    if (next(3) === 0) parts.push(v4());
    let s = parts.join(':');
    if (next(2) === 0) {
      const at = next(s.length + 1);
      s = `${s.slice(0, at)}::${s.slice(at)}`;
    }
    if (next(6) === 0) s += pick(['%', '%eth0', '%a%b', '%1']);
    return s;
  };
  const mask = () => pick(['0', '8', '24', '32', '33', '64', '128', '129', '008', '', '255.0.0.0', '0.0.0.255', '255.255.0.255', 'ffff::', '+8']);
  return {
    decimal: Array.from({ length: 3000 }, () => word('0123456789._eE+-nNaAiIfFsSty \t', 10)),
    fraction: Array.from({ length: 3000 }, () => word('0123456789._eE+-/ ', 10)),
    v4: Array.from({ length: 1500 }, v4),
    v6: Array.from({ length: 3000 }, v6),
    net: Array.from({ length: 3000 }, (): [string, string] => {
      const kind = pick(['IPv4Network', 'IPv4Interface', 'IPv6Network', 'IPv6Interface']);
      const addr = kind.startsWith('IPv4') ? pick(['10.0.0.0', '10.1.2.3', '0.0.0.0', '255.255.255.255', '1.2.3']) : pick(['::', '::1', 'fe80::', 'fe80::%x', '2001:db8::1', '1::2::3']);
      return [kind, next(5) === 0 ? addr : `${addr}/${mask()}`];
    }),
    path: Array.from({ length: 3000 }, (): [string, string[]] => [
      pick(['PurePosixPath', 'PureWindowsPath']),
      Array.from({ length: next(4) }, () => word('ab/\\.:cC?U', 7)),
    ]),
  };
}

const RANDOM_SCRIPT = `
import decimal, fractions, ipaddress, json, pathlib, sys
inp = json.load(sys.stdin)
${PY_HELPERS}def fraction(s):
    m = fractions._RATIONAL_FORMAT.match(s)
    if m and m.group('exp') and abs(int(m.group('exp'))) > 10000: return 'BIG'
    return '%x/%x' % fractions.Fraction(s).as_integer_ratio()
print(json.dumps({
  'decimal': [attempt(lambda: str(decimal.Decimal(s))) for s in inp['decimal']],
  'fraction': [attempt(lambda: fraction(s)) for s in inp['fraction']],
  'v4': [attempt(lambda: ip('IPv4Address', s)) for s in inp['v4']],
  'v6': [attempt(lambda: ip('IPv6Address', s)) for s in inp['v6']],
  'net': [attempt(lambda: ip(c, s)) for c, s in inp['net']],
  'path': [(list(getattr(pathlib, c)(*a).__reduce__()[1]), str(getattr(pathlib, c)(*a))) for c, a in inp['path']],
}))
`;

describe.skipIf(missing !== null)('stdlib values match CPython on random inputs', () => {
  const inputs = randomInputs(20261123);
  const py = missing === null ? runPythonJson<Record<string, unknown[]>>(RANDOM_SCRIPT, inputs) : {};

  /** The inputs where ours and CPython's differ, with both answers. */
  function differences<I>(name: string, items: readonly I[], ours: (item: I) => unknown): unknown[] {
    const theirs = py[name]!;
    return items.flatMap((item, i) => {
      const mine = ours(item);
      const clip = (v: unknown) => JSON.stringify(v)?.slice(0, 200);
      return JSON.stringify(mine) === JSON.stringify(theirs[i]) ? [] : [{ input: item, ours: clip(mine), cpython: clip(theirs[i]) }];
    }).slice(0, 20);
  }

  it('Decimal and Fraction', () => {
    expect(differences('decimal', inputs.decimal, (s) => attempt(() => String(call('decimal.Decimal', 'decimal', 'Decimal', [s]))))).toEqual([]);
    // Exponents beyond ±10000 are refused on purpose (CPython builds 10**exp, unbounded): 'BIG' on both sides.
    expect(differences('fraction', inputs.fraction, (s) => {
      try {
        const f = call('fractions.Fraction', 'fractions', 'Fraction', [s]) as PyFraction;
        return `${f.numerator.toString(16)}/${f.denominator.toString(16)}`;
      } catch (e) {
        return /exponent beyond/.test((e as Error).message) ? 'BIG' : attempt(() => { throw e; });
      }
    })).toEqual([]);
  });

  it('ipaddress', () => {
    expect(differences('v4', inputs.v4, (s) => attempt(() => ip('IPv4Address', s)))).toEqual([]);
    expect(differences('v6', inputs.v6, (s) => attempt(() => ip('IPv6Address', s)))).toEqual([]);
    expect(differences('net', inputs.net, ([c, s]) => attempt(() => ip(c, s)))).toEqual([]);
  });

  it('pathlib', () => {
    expect(differences('path', inputs.path, ([c, a]) => {
      const p = call('pathlib.path', 'pathlib', c, a) as PyPath;
      return [[...p.parts], p.toString()];
    })).toEqual([]);
  });
});

/** Calls straight to the reconstructors (no pack constraint in front): [id, module, qualname, args, the same call in Python]. */
const DIRECT: [string, string, string, unknown[], string][] = [
  ['decimal.Decimal', 'decimal', 'Decimal', [null], 'decimal.Decimal(None)'],
  ['decimal.Decimal', 'decimal', 'Decimal', ['1', 5], "decimal.Decimal('1', 5)"],
  ['fractions.Fraction', 'fractions', 'Fraction', [null], 'fractions.Fraction(None)'],
  ['fractions.Fraction', 'fractions', 'Fraction', ['1', 2], "fractions.Fraction('1', 2)"],
  ['collections.deque', 'collections', 'deque', [null], 'collections.deque(None)'],
  ['collections.deque', 'collections', 'deque', [[], -1], 'collections.deque([], -1)'],
  ['collections.deque', 'collections', 'deque', [[], 2n ** 63n], 'collections.deque([], 2**63)'],
  ['collections.Counter', 'collections', 'Counter', [5], 'collections.Counter(5)'],
  ['builtins.range', 'builtins', 'range', [1, 2, 0], 'range(1, 2, 0)'],
  ['builtins.range', 'builtins', 'range', [], 'range()'],
  ['datetime.date', 'datetime', 'date', [2020, 2, 30], 'datetime.date(2020, 2, 30)'],
  ['datetime.time', 'datetime', 'time', [1, 2, 3, 4, null, 1], 'datetime.time(1, 2, 3, 4, None, 1)'],
  ['datetime.datetime', 'datetime', 'datetime', [2020, 1, 2, 3, 4, 5, 6, null, 1], 'datetime.datetime(2020, 1, 2, 3, 4, 5, 6, None, 1)'],
  ['datetime.timedelta', 'datetime', 'timedelta', [10 ** 9], 'datetime.timedelta(10**9)'],
  ['zoneinfo.ZoneInfo._unpickle', 'zoneinfo', 'ZoneInfo._unpickle', ['Europe//Paris', 1], "zoneinfo.ZoneInfo._unpickle('Europe//Paris', 1)"],
  ['zoneinfo.ZoneInfo._unpickle', 'zoneinfo', 'ZoneInfo._unpickle', ['/etc/localtime', 1], "zoneinfo.ZoneInfo._unpickle('/etc/localtime', 1)"],
  ['ipaddress', 'ipaddress', 'IPv4Network', ['10.0.0.1/8'], "ipaddress.IPv4Network('10.0.0.1/8')"],
  ['ipaddress', 'ipaddress', 'IPv6Address', [2n ** 128n], 'ipaddress.IPv6Address(2**128)'],
  ['ipaddress', 'ipaddress', 'IPv4Address', [-1], 'ipaddress.IPv4Address(-1)'],
  ['pathlib.path', 'pathlib', 'PurePosixPath', [5], 'pathlib.PurePosixPath(5)'],
];

describe.skipIf(missing !== null)('stdlib reconstructors on their own refuse what CPython refuses', () => {
  const raised =
    missing === null
      ? runPythonJson<boolean[]>(
          `
import collections, datetime, decimal, fractions, ipaddress, json, pathlib, sys, zoneinfo
out = []
for expr in json.load(sys.stdin):
    try:
        eval(expr)
        out.append(False)
    except Exception:
        out.append(True)
print(json.dumps(out))
`,
          DIRECT.map((d) => d[4]),
        )
      : [];

  it('each call CPython rejects fails as ReconstructorArgumentError', () => {
    expect(raised).toEqual(DIRECT.map(() => true));
    expect(DIRECT.map(([id, module, qualname, args]) => attempt(() => call(id, module, qualname, args)))).toEqual(DIRECT.map(() => 'ERR'));
  });
});

/** Values made from arguments CPython would write differently: [id, module, qualname, args, the same value in Python]. */
const REDUCED: [string, string, string, unknown[], string][] = [
  ['decimal.Decimal', 'decimal', 'Decimal', [' 1_0e3 '], "decimal.Decimal(' 1_0e3 ')"],
  ['decimal.Decimal', 'decimal', 'Decimal', ['-0.000E-3'], "decimal.Decimal('-0.000E-3')"],
  ['fractions.Fraction', 'fractions', 'Fraction', ['1.5e-1'], "fractions.Fraction('1.5e-1')"],
  ['fractions.Fraction', 'fractions', 'Fraction', [4, -6], 'fractions.Fraction(4, -6)'],
  ['zoneinfo.ZoneInfo._unpickle', 'zoneinfo', 'ZoneInfo._unpickle', ['UTC', 5], "zoneinfo.ZoneInfo._unpickle('UTC', 5)"],
  ['zoneinfo.ZoneInfo._unpickle', 'zoneinfo', 'ZoneInfo._unpickle', ['UTC', true], "zoneinfo.ZoneInfo._unpickle('UTC', True)"],
  ['zoneinfo.ZoneInfo._unpickle', 'zoneinfo', 'ZoneInfo._unpickle', ['UTC', false], "zoneinfo.ZoneInfo._unpickle('UTC', False)"],
  ['builtins.range', 'builtins', 'range', [true], 'range(True)'],
  ['ipaddress', 'ipaddress', 'IPv6Address', [1], 'ipaddress.IPv6Address(1)'],
  ['ipaddress', 'ipaddress', 'IPv6Address', ['0:0::FFFF:1.2.3.4'], "ipaddress.IPv6Address('0:0::FFFF:1.2.3.4')"],
  ['ipaddress', 'ipaddress', 'IPv4Address', ['1.2.3.4'], "ipaddress.IPv4Address('1.2.3.4')"],
  ['ipaddress', 'ipaddress', 'IPv4Network', ['10.0.0.0/255.0.0.0'], "ipaddress.IPv4Network('10.0.0.0/255.0.0.0')"],
  ['ipaddress', 'ipaddress', 'IPv4Interface', [16909060], 'ipaddress.IPv4Interface(16909060)'],
  ['ipaddress', 'ipaddress', 'IPv6Interface', ['FE80::1%x/0064'], "ipaddress.IPv6Interface('FE80::1%x/0064')"],
  ['pathlib.path', 'pathlib', 'PureWindowsPath', ['c:/a', 'b/./c/'], "pathlib.PureWindowsPath('c:/a', 'b/./c/')"],
  ['pathlib.path', 'pathlib', 'PurePosixPath', ['//a//b/', '.'], "pathlib.PurePosixPath('//a//b/', '.')"],
  ['datetime.timedelta', 'datetime', 'timedelta', [0, 0, 0, 1500, -1, 2, 1], 'datetime.timedelta(0, 0, 0, 1500, -1, 2, 1)'],
  ['datetime.date', 'datetime', 'date', [2020, 2, 29], 'datetime.date(2020, 2, 29)'],
  ['datetime.datetime', 'datetime', 'datetime', [2020, 2, 29, 23, 59, 1, 5], 'datetime.datetime(2020, 2, 29, 23, 59, 1, 5)'],
  ['collections.deque', 'collections', 'deque', [[1, 2, 3], true], 'collections.deque([1, 2, 3], True)'],
];

describe.skipIf(missing !== null)('stdlib values reduce to what CPython reduces the same value to', () => {
  const reduced =
    missing === null
      ? runPythonJson<unknown[]>(
          `
import collections, datetime, decimal, fractions, ipaddress, json, pathlib, sys, zoneinfo
def norm(v):
    if isinstance(v, bool): return v
    if isinstance(v, int): return 'int:%d' % v
    if isinstance(v, bytes): return 'bytes:' + v.hex()
    if isinstance(v, (tuple, list)): return [norm(x) for x in v]
    if v is None or isinstance(v, str): return v
    return 'other:' + type(v).__name__
print(json.dumps([norm(eval(expr).__reduce_ex__(2)[1]) for expr in json.load(sys.stdin)]))
`,
          REDUCED.map((d) => d[4]),
        )
      : [];

  function norm(v: unknown): unknown {
    if (typeof v === 'boolean' || typeof v === 'string' || v === null) return v;
    if (typeof v === 'number' || typeof v === 'bigint') return `int:${v}`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
    if (Array.isArray(v)) return v.map(norm);
    return `other:${(v as object).constructor.name}`;
  }

  it('the arguments each value pickles with are CPython’s', () => {
    const ours = REDUCED.map(([id, module, qualname, args]) => {
      const value = call(id, module, qualname, args) as { [REDUCE](protocol: number): { args: unknown } };
      return norm(value[REDUCE](2).args);
    });
    expect(ours).toEqual(reduced);
  });
});
