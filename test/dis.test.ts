/**
 * `genops`, `disassemble` and the Python reprs, compared with CPython's own pickletools: one
 * python3 subprocess generates pickles of every builtin kind at protocols 0-5 (plus optimized,
 * hand-made and malformed ones) together with what `pickletools.dis` prints for them, and every
 * output must come out identical. Also checks every `corpus/valid/**\/NAME.pkl` against the
 * `NAME.dis` beside it when the corpus exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disassemble, disassembleTo, MAX_INDENT_DEPTH, partialOutputOf, type DisMemo } from '../src/audit/dis.js';
import { genops } from '../src/audit/genops.js';
import { reprBytes, reprFloat, reprInt, reprStr } from '../src/audit/pyrepr.js';
import { isPrintable, UNICODE_VERSION } from '../src/audit/unicode-printable.js';
import { MalformedPickleError, PickleError, TruncatedPickleError } from '../src/errors.js';
import { OPCODES } from '../src/opcodes.js';
import { capIndent } from './dis-indent.js';

const ROOT = join(import.meta.dirname, '..');

function python(script: string, input?: string): { ok: true; stdout: string } | { ok: false; reason: string } {
  const r = spawnSync('python3', ['-c', script], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONHASHSEED: '0' },
  });
  if (r.error) return { ok: false, reason: `python3 could not be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `python3 failed: ${r.stderr}` };
  return { ok: true, stdout: r.stdout };
}

const probe = python('import pickletools, sys; print(sys.version_info[0])');
const HAVE_PYTHON = probe.ok && probe.stdout.trim() === '3';
if (!HAVE_PYTHON) {
  console.log(`test/dis.test.ts: skipping the comparisons with python3: ${probe.ok ? 'python3 is no Python 3' : probe.reason}`);
}


/**
 * Annotations print each opcode's one-line description: ours (src/opcodes.ts), not CPython's, so
 * python3 is given ours before it disassembles.
 */
const OUR_DOCS = JSON.stringify(Object.fromEntries(OPCODES.map((o) => [o.name, o.doc])));
const USE_OUR_DOCS = `import pickletools as _pt, json as _json\n_docs = _json.loads(${JSON.stringify(OUR_DOCS)})\nfor _op in _pt.opcodes: _op.doc = _docs[_op.name]\n`;

/** Generates the cases; prints one JSON document. */
const GENERATOR = USE_OUR_DOCS + String.raw`
import base64, io, json, pickle, pickletools, random, struct, sys, collections, datetime, decimal

def b64(b): return base64.b64encode(bytes(b)).decode()

class Plain:
    def __init__(self): self.a = 1; self.b = [1, 2]
class Slots:
    __slots__ = ('x', 'y')
    def __init__(self): self.x = 1; self.y = 'y'
class NewArgsEx:
    def __new__(cls, *args, **kw): return super().__new__(cls)
    def __init__(self, *args, **kw): self.args = args; self.kw = kw
    def __getnewargs_ex__(self): return (self.args, self.kw)
class Reduced:
    def __reduce__(self): return (Reduced, (), {'s': 1}, iter([1, 2]), iter([(3, 4)]))
    def extend(self, items): pass
    def __setitem__(self, k, v): pass

def pysurrogates():
    return ['\ud800', '\udfff', '\ud83d\ude00', 'a\udc80b', '\ud800\ud800', '\udbff\udfff\ud800']

big_str = ''.join(chr(c) for c in range(0x10000))
astral_str = ''.join(chr(c) for c in range(0x10000, 0x110000, 97))
values = [
    None, True, False, 0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
    2**53, 2**53 + 1, -2**63, 2**63, 2**64, 10**100, -(10**100), 2**2040 + 12345, -(2**3000),
    0.0, -0.0, 1.0, -1.5, 0.1, 1e16, 1e15, 123456789012345.6, 1e-5, 1e-4, 0.00012345, 1e22, 1e-7,
    1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, float('inf'), float('-inf'), float('nan'),
    3.141592653589793, 1/3, 2**0.5, 9007199254740993.0, 1e300 * 10,
    '', 'text', "it's", 'say "hi"', 'both \'" quotes', 'tab\tnl\n\r\x00\x1f\x7f\x80\x9f\xa0\xad\xff',
    'é', '€', '\u2028\u2029\u3000\ufeff\ufffd\uffff', '\U0001f600', '\U000e0001\U000f0000\U0010ffff',
    'a\\b', '\\u0041', 'x' * 300, 'y' * 70000, big_str, astral_str,
    b'', b'abc', bytes(range(256)), b"'", b'"', b'\'"', b'x' * 300, b'\\',
    bytearray(), bytearray(b'abc'), bytearray(range(256)),
    (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),), [], [1, 2, 3], list(range(2500)), [[[[[]]]]],
    {}, {'a': 1, 'b': [1, 2]}, {i: str(i) for i in range(1200)}, set(), {1, 2, 3}, set(range(1500)),
    frozenset(), frozenset({1, 2}), complex(1, 2), len, collections.OrderedDict, collections.OrderedDict(a=1),
    datetime.date(2024, 2, 29), decimal.Decimal('1.5'), Plain(), Slots(), NewArgsEx(1, k=2), Reduced(),
    range(3), slice(1, 2), Ellipsis, NotImplemented, type(None),
] + pysurrogates()
shared = [1, 2]
values.append([shared, shared, (shared,)])
rec = []; rec.append(rec); values.append(rec)
recd = {}; recd['self'] = recd; values.append(recd)
t = ([],); t[0].append(t); values.append(t)
values.append({'k': ('v', [t, rec])})

cases = []

def dis_case(name, data, annotate=0, indentlevel=4):
    out = io.StringIO()
    err = None
    try:
        pickletools.dis(data, out, None, indentlevel, annotate)
    except Exception as e:
        err = type(e).__name__ + ': ' + str(e)[:200]
    cases.append({'name': name, 'data': b64(data), 'annotate': annotate, 'indent': indentlevel,
                  'out': out.getvalue(), 'error': err})

for i, v in enumerate(values):
    for proto in range(0, 6):
        try:
            data = pickle.dumps(v, protocol=proto)
        except Exception:
            continue
        dis_case('value%d/p%d' % (i, proto), data)
        if proto >= 1:
            dis_case('value%d/p%d/optimized' % (i, proto), pickletools.optimize(data))
        if isinstance(v, str) and i % 7 != 0:
            dis_case('value%d/p%d/annotate30' % (i, proto), data, annotate=30)
        if i % 7 == 0:
            dis_case('value%d/p%d/annotate1' % (i, proto), data, annotate=1)
            dis_case('value%d/p%d/annotate30' % (i, proto), data, annotate=30, indentlevel=2)
            dis_case('value%d/p%d/annotate70' % (i, proto), data, annotate=70, indentlevel=0)

# out-of-band buffers (NEXT_BUFFER, READONLY_BUFFER)
bufs = []
dis_case('oob', pickle.dumps([pickle.PickleBuffer(b'ro'), pickle.PickleBuffer(bytearray(b'rw'))], protocol=5,
                             buffer_callback=bufs.append))

hand = {
    'STRING': b"S'abc'\np0\n.", 'STRING dq': b'S"it\'s"\n.', 'STRING escapes': b"S'a\\nb\\x00\\\\\\''\n.",
    'STRING non-ascii': b"S'caf\\xe9'\n.", 'STRING raw non-ascii': b"S'caf\xe9'\n.",
    'BINSTRING': b'T\x03\x00\x00\x00abc.', 'SHORT_BINSTRING': b'U\x05\xe9\x80\xff\'".',
    'UNICODE': b'Vcaf\xe9\\u20ac\\U0001f600\\ud800\\ud83d\\ude00\\\\u0041\n.',
    'INT bools': b'(I00\nI01\nI-5\nI2147483648\nt.', 'LONG': b'(L123L\nL-99999999999999999999999\nL0\nt.',
    'FLOAT': b'(F1.5\nF1e+16\nFnan\nFinf\nF-0.0\nF0.1\nt.',
    'GLOBAL': b'cbuiltins\nlen\n.', 'GLOBAL escaped': b'cbuilt\\x69ns\nl\\x65n\n.', 'GLOBAL utf8': b'c\xc3\xa9\nx\n.',
    'INST': b'(i__main__\nC\n.', 'OBJ': b'(cbuiltins\nobject\no.', 'PERSID': b'Pabc\n.', 'PERSID escaped': b'Pa\\tb\n.',
    'BINPERSID': b'NQ.', 'EXT1': b'\x82\x01.', 'EXT2': b'\x83\x01\x02.', 'EXT4': b'\x84\x01\x02\x03\xff.',
    'DUP': b'N2\x86.', 'POP_MARK': b'(N1N.', 'POP mark': b'(0N.', 'POP': b'NN0.',
    'SETITEMS': b'}(K\x01K\x02u.', 'APPEND': b']Na.', 'SETITEM': b'}NNs.', 'ADDITEMS': b'\x8f(K\x01\x90.',
    'FROZENSET': b'(K\x01\x91.', 'TUPLEs': b'(N\x85N\x86NNN\x87t.', 'STACK_GLOBAL': b'\x80\x04\x8c\x01a\x8c\x01b\x93.',
    'NEWOBJ': b'N)\x81.', 'NEWOBJ_EX': b'N)}\x92.', 'REDUCE': b'NNR.', 'BUILD': b'NNb.', 'DICT': b'(d.', 'LIST': b'(l.',
    'LONG1': b'(\x8a\x00\x8a\x01\xff\x8a\x02\x00\x80\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01t.',
    'LONG4': b'\x8b\x00\x00\x00\x00.', 'BINBYTES8': b'\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.',
    'BINUNICODE8': b'\x8d\x02\0\0\0\0\0\0\0hi.', 'BYTEARRAY8': b'\x96\x02\0\0\0\0\0\0\0hi.',
    'BINUNICODE surrogates': b'X\x09\x00\x00\x00\xed\xa0\xbd\xed\xb8\x80\xf0\x9f\x98\x80.',
    'buffers': b'\x80\x05\x97\x98.', 'FRAME huge': b'\x95\xff\xff\xff\xff\xff\xff\xff\xffN.',
    'PUT 00': b'Np00\ng0\n.', 'PROTO 9': b'\x80\x09N.', 'BINFLOAT': b'G\x7f\xf8\x00\x00\x00\x00\x00\x01.',
    'deep marks': b'(((((((((N' + b't' * 9 + b'.',
    'LONG_BINPUT/GET': b'Nr\x00\x00\x01\x00j\x00\x00\x01\x000.',
    # malformed, the way pickletools reports them
    'empty': b'', 'no STOP': b'N', 'unknown opcode': b'N\xff.', 'underflow': b'0.', 'underflow 2': b'N\x86.',
    'no mark': b'e.', 'no mark POP_MARK': b'1.', 'mark gone': b'(Nae.', 'memo redefined': b'Nq\x01\x94.',
    'memo redefined 2': b'Nq\x01q\x01.', 'memo missing': b'h\x05.', 'memo mark': b'(q\x00.', 'memo empty': b'q\x00.',
    'not empty': b'NN.', 'not empty mark': b'(N.', 'truncated BININT': b'J\x01\x02', 'truncated BINUNICODE': b'X\xff\xff\xff\xffab',
    'truncated line': b'I12', 'truncated pair': b'cbuiltins\nlen', 'negative BINSTRING': b'T\xff\xff\xff\xffab.',
    'negative LONG4': b'\x8b\xff\xff\xff\xff.', 'bad utf8': b'X\x01\x00\x00\x00\xff.', 'bad INT': b'Iabc\n.',
    'bad FLOAT': b'Fx\n.', 'bad STRING': b"Sabc\n.", 'bad UNICODE': b'V\\u12\n.', 'huge BINBYTES8': b'\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.',
}
for name, data in hand.items():
    dis_case('hand/' + name, data)
    dis_case('hand/' + name + '/annotate', data, annotate=30)

# several pickles with one memo, as pickletools' memo argument allows
p = io.BytesIO()
pk = pickle.Pickler(p, protocol=2)
shared = ['s']
pk.dump([shared]); first = p.getvalue()
pk.dump({'again': shared}); both = p.getvalue()
memo = {}
out1 = io.StringIO(); pickletools.dis(first, out1, memo)
out2 = io.StringIO(); pickletools.dis(both[len(first):], out2, memo)
memo_cases = [{'name': 'memo/shared', 'parts': [b64(first), b64(both[len(first):])], 'outs': [out1.getvalue(), out2.getvalue()]}]

# consecutive pickles in one stream: positions continue
f = io.BytesIO(both)
o1 = io.StringIO(); pickletools.dis(f, o1); o2 = io.StringIO()
try:
    pickletools.dis(f, o2)
except ValueError:
    pass   # the second pickle uses the first one's memo
stream_case = {'data': b64(both), 'outs': [o1.getvalue(), o2.getvalue()]}

# genops: names, positions, ends
gen = []
for c in cases[:400]:
    if c['error']: continue
    data = base64.b64decode(c['data'])
    gen.append({'data': c['data'], 'ops': [[o.name, pos, end] for o, a, pos, end in pickletools._genops(data, True)]})

# float reprs
rnd = random.Random(5)
floats = [struct.unpack('<d', rnd.getrandbits(64).to_bytes(8, 'little'))[0] for _ in range(3000)]
floats += [float('%re%d' % (x, e)) for x in (1, 1.5, 9.999) for e in range(-330, 310)]
float_bits = [struct.pack('<d', x).hex() for x in floats]
float_reprs = [repr(x) for x in floats]

ints = [0, -1, 2**64, -(2**200)] + [rnd.getrandbits(80) - 2**79 for _ in range(200)]

import unicodedata
ranges = []
for c in range(0x110000):
    if not chr(c).isprintable():
        if ranges and ranges[-1][1] == c - 1: ranges[-1][1] = c
        else: ranges.append([c, c])

json.dump({'cases': cases, 'memo': memo_cases, 'stream': stream_case, 'genops': gen,
           'float_bits': float_bits, 'float_reprs': float_reprs, 'ints': [str(i) for i in ints],
           'unicode': unicodedata.unidata_version, 'nonprintable': ranges}, sys.stdout)
`;

interface Case {
  name: string;
  data: string;
  annotate: number;
  indent: number;
  out: string;
  error: string | null;
}
interface Generated {
  cases: Case[];
  memo: { name: string; parts: string[]; outs: string[] }[];
  stream: { data: string; outs: string[] };
  genops: { data: string; ops: [string, number, number][] }[];
  float_bits: string[];
  float_reprs: string[];
  ints: string[];
  unicode: string;
  nonprintable: [number, number][];
}

function fromB64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

let generated: Generated | undefined;
function gen(): Generated {
  if (generated === undefined) {
    const r = python(GENERATOR);
    if (!r.ok) throw new Error(r.reason);
    generated = JSON.parse(r.stdout) as Generated;
  }
  return generated;
}

/** Our output for a case: the full text, or the text before the error and the error. */
function ours(bytes: Uint8Array, annotate: number, indentlevel: number): { out: string; error: unknown } {
  try {
    return { out: disassemble(bytes, { annotate, indentlevel }), error: null };
  } catch (err) {
    return { out: partialOutputOf(err) ?? '', error: err };
  }
}

describe.skipIf(!HAVE_PYTHON)('disassemble() against python3 pickletools.dis', () => {
  it('prints what pickletools prints, for every generated pickle', () => {
    const { cases } = gen();
    const failures: string[] = [];
    let equal = 0;
    for (const c of cases) {
      const r = ours(fromB64(c.data), c.annotate, c.indent);
      const sameError = (c.error === null) === (r.error === null) && (r.error === null || r.error instanceof PickleError);
      if (r.out === c.out && sameError) {
        equal++;
      } else if (failures.length < 8) {
        const firstDiff = [...r.out].findIndex((ch, i) => ch !== [...c.out][i]);
        failures.push(
          `${c.name} (annotate ${c.annotate}, indent ${c.indent}): python error ${c.error}, ours ${String(r.error)}\n` +
            `first difference at ${firstDiff}:\n--- python\n${c.out.slice(0, 3000)}\n--- ours\n${r.out.slice(0, 3000)}`,
        );
      }
    }
    console.log(`disassemble(): ${equal} of ${cases.length} generated pickles identical to pickletools.dis`);
    expect(failures.join('\n\n')).toBe('');
    expect(equal).toBe(cases.length);
  });

  it('shares a memo between pickles like pickletools.dis(memo=…)', () => {
    for (const m of gen().memo) {
      const memo: DisMemo = new Map();
      m.parts.forEach((p, i) => {
        expect(disassemble(fromB64(p), { memo })).toBe(m.outs[i]);
      });
      // Without the shared memo the second pickle's GET fails, after printing the lines before it.
      expect(() => disassemble(fromB64(m.parts[1]))).toThrow(MalformedPickleError);
    }
  });

  it('continues at the end of the previous pickle, printing absolute positions', () => {
    const { stream } = gen();
    const data = fromB64(stream.data);
    let text = '';
    const first = disassembleTo(data, (t) => (text += t));
    expect(text).toBe(stream.outs[0]);
    text = '';
    expect(() => disassembleTo(data, (t) => (text += t), { start: first.end })).toThrow(/never been stored/);
    expect(text).toBe(stream.outs[1]);
  });

  it('genops yields the opcodes, positions and ends pickletools._genops yields', () => {
    let n = 0;
    for (const g of gen().genops) {
      const ops = [...genops(fromB64(g.data))].map((o) => [o.op.name, o.pos, o.end]);
      expect(ops).toEqual(g.ops);
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });

  it('reprFloat and reprInt match repr()', () => {
    const { float_bits, float_reprs, ints } = gen();
    const mismatches: string[] = [];
    float_bits.forEach((hex, i) => {
      const x = new DataView(new Uint8Array(Buffer.from(hex, 'hex')).buffer).getFloat64(0, true);
      if (reprFloat(x) !== float_reprs[i]) mismatches.push(`${float_reprs[i]} → ${reprFloat(x)}`);
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
    for (const s of ints) expect(reprInt(BigInt(s))).toBe(s);
  });

  it("the printable table is python3's str.isprintable (same Unicode version)", () => {
    const { unicode, nonprintable } = gen();
    if (unicode !== UNICODE_VERSION) {
      console.log(`skipping: python3 uses Unicode ${unicode}, the table is Unicode ${UNICODE_VERSION}`);
      return;
    }
    let k = 0;
    const bad: number[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      while (k < nonprintable.length && nonprintable[k][1] < cp) k++;
      const expected = !(k < nonprintable.length && nonprintable[k][0] <= cp);
      if (isPrintable(cp) !== expected && bad.length < 10) bad.push(cp);
    }
    expect(bad).toEqual([]);
  });
});

describe('corpus/valid: every NAME.pkl disassembles to its NAME.dis', () => {
  const dir = join(ROOT, 'corpus', 'valid');
  const pairs: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.dis') && existsSync(p.slice(0, -4) + '.pkl')) pairs.push(p.slice(0, -4));
    }
  };
  if (existsSync(dir)) walk(dir);

  it.skipIf(pairs.length === 0)('matches every .dis file', () => {
    const failures: string[] = [];
    for (const base of pairs) {
      // pickletools indents without bound; ours stops at MAX_INDENT_DEPTH levels (nested_tuple_100).
      const expected = capIndent(readFileSync(base + '.dis', 'utf8'), 4).text;
      const r = ours(new Uint8Array(readFileSync(base + '.pkl')), 0, 4);
      if (r.out !== expected || r.error !== null) failures.push(`${base}: ${String(r.error ?? 'output differs')}`);
    }
    console.log(`corpus/valid: ${pairs.length - failures.length} of ${pairs.length} .dis files identical`);
    expect(failures.slice(0, 20)).toEqual([]);
  });
  if (pairs.length === 0) it.skip('no corpus/valid/**/*.dis yet', () => undefined);
});

describe('genops', () => {
  const enc = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

  it('returns counted bytes as views into the input, without copying', () => {
    const data = enc('C\x03abcB\x02\x00\x00\x00xy\x96\x01\x00\x00\x00\x00\x00\x00\x00z.');
    const ops = [...genops(data)];
    expect(ops.map((o) => o.op.name)).toEqual(['SHORT_BINBYTES', 'BINBYTES', 'BYTEARRAY8', 'STOP']);
    for (const o of ops.slice(0, 3)) {
      const v = o.arg as Uint8Array;
      expect(v.buffer).toBe(data.buffer);
    }
    expect(Array.from(ops[0].arg as Uint8Array)).toEqual([0x61, 0x62, 0x63]);
    expect(ops[2]).toMatchObject({ pos: 12, end: 22 });
  });

  it('stops after the first STOP and starts where asked', () => {
    const data = enc('K\x01.K\x02.');
    expect([...genops(data)].map((o) => o.arg)).toEqual([1, null]);
    expect([...genops(data, 3)].map((o) => [o.arg, o.pos])).toEqual([[2, 3], [null, 5]]);
  });

  it('decodes fixed-size arguments', () => {
    const data = enc('J\xff\xff\xff\xffM\x01\x02j\x01\x00\x00\x80\x95\xff\xff\xff\xff\xff\xff\xff\xffG\x3f\xf8\x00\x00\x00\x00\x00\x00.');
    expect([...genops(data)].map((o) => o.arg)).toEqual([-1, 0x0201, 0x80000001, 2n ** 64n - 1n, 1.5, null]);
  });

  it('gives INT 00 / 01 as booleans and the GLOBAL pair as "module name"', () => {
    const ops = [...genops(enc('I01\nI00\ncbuiltins\nlen\n.'))];
    expect(ops.map((o) => o.arg)).toEqual([true, false, 'builtins len', null]);
  });

  const cases: [string, string, typeof TruncatedPickleError | typeof MalformedPickleError, string, number][] = [
    ['empty', '', TruncatedPickleError, 'truncated', 0],
    ['no STOP', 'N', TruncatedPickleError, 'truncated', 1],
    ['short BININT', 'NJ\x01\x02', TruncatedPickleError, 'truncated', 1],
    ['BINUNICODE longer than the data', 'X\xff\xff\xff\xffabc', TruncatedPickleError, 'truncated', 0],
    ['BINBYTES8 of 2**63', 'N\x8e\x00\x00\x00\x00\x00\x00\x00\x80.', TruncatedPickleError, 'truncated', 1],
    ['BINBYTES8 longer than the data', '\x8e\x00\x00\x00\x00\x00\x01\x00\x00.', TruncatedPickleError, 'truncated', 0],
    ['no newline', 'NNI12', TruncatedPickleError, 'truncated', 2],
    ['unknown opcode', 'N\xff.', MalformedPickleError, 'unknown_opcode', 1],
    ['negative BINSTRING', 'T\xff\xff\xff\xff.', MalformedPickleError, 'negative_length', 0],
    ['negative LONG4', '\x8b\xfe\xff\xff\xff.', MalformedPickleError, 'negative_length', 0],
  ];
  for (const [name, data, cls, code, offset] of cases) {
    it(`throws ${cls.name} (${code}) for ${name}, with offset and opcode`, () => {
      let caught: unknown;
      try {
        for (const o of genops(enc(data))) void o;
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(cls);
      const e = caught as PickleError;
      expect(e.code).toBe(code);
      expect(e.offset).toBe(offset);
      if (data.length > offset) expect(e.opcode?.byte).toBe(data.charCodeAt(offset));
    });
  }
});

describe('pyrepr', () => {
  it('reprStr chooses quotes and escapes like Python', () => {
    expect(reprStr('abc')).toBe("'abc'");
    expect(reprStr("it's")).toBe('"it\'s"');
    expect(reprStr('\'"')).toBe("'\\'\"'");
    expect(reprStr('\t\n\r\x00\x7f\x80\xa0\xad\xe9\\')).toBe("'\\t\\n\\r\\x00\\x7f\\x80\\xa0\\xad\u00e9\\\\'");
    expect(reprStr('\ud800x\udfff')).toBe("'\\ud800x\\udfff'");
    expect(reprStr('\u{1f600}\u{e0001}')).toBe("'\u{1f600}\\U000e0001'");
    expect(reprStr([0xd83d, 0xde00])).toBe("'\\ud83d\\ude00'");
  });
  it('reprBytes and reprFloat', () => {
    expect(reprBytes(new Uint8Array([0x27, 0x41, 0x0a, 0xff]))).toBe('b"\'A\\n\\xff"');
    expect([1e16, 1e-5, 1e15, 0.0001, NaN, -Infinity, -0, 5e-324, 1.5, 100].map(reprFloat)).toEqual([
      '1e+16', '1e-05', '1000000000000000.0', '0.0001', 'nan', '-inf', '-0.0', '5e-324', '1.5', '100.0',
    ]);
  });
});

describe('disassemble() is linear', () => {
  const marks = (n: number, tail = ''): Uint8Array => {
    const b = new Uint8Array(n + tail.length).fill(0x28);
    for (let i = 0; i < tail.length; i++) b[n + i] = tail.charCodeAt(i);
    return b;
  };
  /** The error and the text written before it. */
  const failure = (data: Uint8Array): { err: unknown; out: string } => {
    try {
      disassemble(data);
    } catch (err) {
      return { err, out: partialOutputOf(err) ?? '' };
    }
    throw new Error('expected disassemble() to throw');
  };
  /** Longest line a MARK can print: position, code column, capped indentation, name. */
  const maxMarkLine = (n: number): number => String(n).length + 2 + 5 + 4 * MAX_INDENT_DEPTH + 'MARK'.length + 1;

  it('20 KB of MARKs: a TruncatedPickleError with the lines before it, no RangeError', () => {
    const { err, out } = failure(marks(20 * 1024));
    expect(err).toBeInstanceOf(TruncatedPickleError);
    expect(out.split('\n').length - 1).toBe(20 * 1024);
    expect(out.length).toBeLessThanOrEqual(20 * 1024 * maxMarkLine(20 * 1024));
  });

  it('16,000 MARKs then a STOP: the stack-not-empty error, in linear text', () => {
    const t0 = performance.now();
    const { err, out } = failure(marks(16_000, '.'));
    console.log(`disassemble(): 16,000 MARKs in ${(performance.now() - t0).toFixed(0)} ms, ${out.length} chars`);
    expect(err).toBeInstanceOf(MalformedPickleError);
    expect((err as PickleError).code).toBe('stack_not_empty');
    expect((err as Error).message.length).toBeLessThan(500);
    expect(out.endsWith('highest protocol among opcodes = 0\n')).toBe(true);
  });

  it('200,000 MARKs then a truncated end: a PickleError, text bounded per opcode, 4n MARKs cost 4 times n', () => {
    const n = 50_000;
    const small = failure(marks(n, 'I1'));
    const big = failure(marks(4 * n, 'I1'));
    for (const { err, out } of [small, big]) {
      expect(err).toBeInstanceOf(TruncatedPickleError);
      expect(err).toBeInstanceOf(PickleError);
      const lines = out.split('\n');
      expect(lines.length - 1).toBe(out === small.out ? n : 4 * n);
      expect(Math.max(...lines.slice(-1000).map((l) => l.length))).toBeLessThanOrEqual(maxMarkLine(4 * n));
    }
    // The work is the text written: 4 times the MARKs, at most 4 times the text (plus longer positions).
    expect(big.out.length / small.out.length).toBeLessThan(4.2);
    expect(big.out.length).toBeLessThanOrEqual(4 * n * maxMarkLine(4 * n));
  });

  it('deep nesting closed again (lists in lists with memo entries) grows linearly too', () => {
    const nest = (n: number): Uint8Array => {
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push(`(lp${i}\n`);
      for (let i = 0; i < n - 1; i++) parts.push('a');
      parts.push('.');
      return new Uint8Array(Buffer.from(parts.join(''), 'latin1'));
    };
    const a = disassemble(nest(5_000));
    const b = disassemble(nest(20_000));
    expect(b.length / a.length).toBeLessThan(4.4);
    expect(a.split('\n')[0]).toBe('    0: (    MARK');
  });
});

describe('disassemble() on any bytes: text or a PickleError', () => {
  /** Mutated inputs per run: 20,000 in CI, more with PICKLEGUARD_FUZZ=<count>. */
  const COUNT = Number(process.env.PICKLEGUARD_FUZZ) > 0 ? Number(process.env.PICKLEGUARD_FUZZ) : 20_000;

  /** Seeds: every small pickle of the corpus, and protocol-0 text lines. */
  const seeds: Uint8Array[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.pkl')) {
        const b = readFileSync(p);
        if (b.length <= 2048) seeds.push(new Uint8Array(b));
      }
    }
  };
  if (existsSync(join(ROOT, 'corpus'))) walk(join(ROOT, 'corpus'));
  for (const s of ['(lp0\nI010\naI-5\naF1_0.5\naL0x10L\naS\'a\\x41\'\np1\ng01\na.', 'cbuiltins\nlen\n(Vx\\u20ac\ntR.', '(dp0\nS"k"\nI00\ns.']) {
    seeds.push(new Uint8Array(Buffer.from(s, 'latin1')));
  }

  it(`${COUNT} seeded mutations of ${seeds.length} seed pickles never throw anything but a PickleError`, () => {
    let state = 0x9e3779b9;
    const rand = (n: number): number => {
      // xorshift32
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const INTERESTING = [0x28, 0x30, 0x31, 0x2e, 0x0a, 0x00, 0xff, 0x7f, 0x80, 0x5c, 0x27, 0x22, 0x5f, 0x2d, 0x2b, 0x4c, 0x20, 0x70, 0x67, 0x49];
    let texts = 0;
    let errors = 0;
    const others: string[] = [];
    for (let k = 0; k < COUNT; k++) {
      let data = Array.from(seeds[rand(seeds.length)]);
      for (let m = 1 + rand(4); m > 0; m--) {
        const n = data.length;
        switch (rand(7)) {
          case 0: if (n) data[rand(n)] = rand(256); break;
          case 1: if (n) data[rand(n)] = INTERESTING[rand(INTERESTING.length)]; break;
          case 2: if (n) data.splice(rand(n), 1 + rand(4)); break;
          case 3: data.splice(rand(n + 1), 0, INTERESTING[rand(INTERESTING.length)]); break;
          case 4: if (n) data = data.slice(0, rand(n)); break;
          case 5: { const i = rand(n + 1); data.splice(i, 0, ...data.slice(i, i + 1 + rand(16))); break; }
          default: { // a length or count field made huge or negative
            if (n > 4) { const i = rand(n - 4); for (let j = 0; j < 4; j++) data[i + j] = rand(2) ? 0xff : 0x7f; }
          }
        }
      }
      try {
        const text = disassemble(new Uint8Array(data), { annotate: k % 3 === 0 ? 30 : 0 });
        if (typeof text !== 'string') throw new Error('not text');
        texts++;
      } catch (err) {
        if (err instanceof PickleError && typeof partialOutputOf(err) === 'string') errors++;
        else if (others.length < 5) others.push(`${String(err)} on ${JSON.stringify(Buffer.from(data).toString('latin1').slice(0, 200))}`);
      }
    }
    console.log(`dis fuzz: ${COUNT} inputs, ${texts} disassembled, ${errors} PickleErrors, ${others.length ? 'others!' : 'no other errors'}`);
    expect(others).toEqual([]);
    expect(texts + errors).toBe(COUNT);
    expect(texts).toBeGreaterThan(COUNT / 50);
  });
});

describe("protocol-0 arguments are shown as pickletools reads them, not as the loader does", () => {
  const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
  const argOf = (s: string, line: number): string => disassemble(enc(s)).split('\n')[line].slice(23);
  it.each([
    ['Np010\ng10\n0.', 1, '10'], // PUT/GET are int(s) in base 10: '010' is 10, the same key as GET 10
    ['Np010\ng10\n0.', 2, '10'],
    ['Np00\ng0\n0.', 1, 'False'], // '00' is False, the same memo key as 0
    ['I010\n.', 0, '10'], // the C loader's strtol(s, 0) reads 8; pickletools shows int('010')
    ['I 0_10 \n.', 0, '10'],
    ['L010L\n.', 0, '10'],
    ['F 1_0.5\n.', 0, '10.5'], // float(s): whitespace and underscores, which the loader refuses
    ['F1e999\n.', 0, 'inf'],
    ["S'\n.", 0, "''"], // a lone quote opens and closes an empty string
  ])('%j line %i shows %s', (input, line, shown) => {
    expect(argOf(input, line)).toBe(shown);
  });
  it.each(['I0x10\n.', 'I1\x00\n.', 'L0x10L\n.', 'Fnan0\n.', 'g0b1\n.'])('%j: pickletools raises, so does disassemble(), before the line', (input) => {
    let caught: unknown;
    try {
      disassemble(enc(input));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MalformedPickleError);
    expect(partialOutputOf(caught)).toBe('');
  });
});

describe('disassemble() on text arguments pickletools cannot show', () => {
  it('names the first non-ASCII byte of a GLOBAL line, before anything of the line is written', () => {
    const bytes = Uint8Array.from([0x63, 0x61, 0xe9, 0x0a, 0x62, 0x0a, 0x2e]); // c a\xe9 \n b \n .
    let text = '';
    expect(() => disassembleTo(bytes, (t) => (text += t))).toThrow(/GLOBAL: pickletools cannot show the byte 0xe9 of this argument/);
    expect(text).toBe('');
  });

  it('reads hex digits of either case in a UNICODE line with a surrogate pair', () => {
    expect(disassemble(new TextEncoder().encode('V\\ud83D\\uDe00\n.'))).toContain("'\\ud83d\\ude00'");
  });
});
