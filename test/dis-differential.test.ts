/**
 * `disassemble()` against python3's `pickletools.dis` over inputs built to find where the two read
 * an argument differently: pickles of every protocol from CPython's pickler, protocol-0 text
 * opcodes given every odd argument line we could think of (leading zeros, signs, whitespace,
 * underscores, 'L' suffixes, prefixes, huge numbers, bad escapes, non-ASCII and NUL bytes), memo
 * and MARK misuse, and seeded random mutations of all of these. One python3 process prints what
 * pickletools writes (and whether it raised) for every input; ours must write the same text and
 * throw a PickleError exactly where pickletools raises.
 *
 * Our indentation stops at MAX_INDENT_DEPTH MARK levels (pickletools' grows without bound): for
 * deeper inputs pickletools' text is compared with its indentation capped the same way, and
 * annotated output deeper than the cap (whose annotation column depends on the uncapped indent)
 * is skipped.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { disassemble, MAX_INDENT_DEPTH, partialOutputOf } from '../src/audit/dis.js';
import { PickleError } from '../src/errors.js';
import { capIndent } from './dis-indent.js';
import { OPCODES } from '../src/opcodes.js';

/** Mutated inputs per run: 4,000 in CI, PICKLEGUARD_FUZZ=N times as many (N multiplies, as in every fuzz test). */
const MUTATIONS = Math.round(4000 * (Number(process.env.PICKLEGUARD_FUZZ) > 0 ? Number(process.env.PICKLEGUARD_FUZZ) : 1));

function python(script: string): { ok: true; stdout: string } | { ok: false; reason: string } {
  const r = spawnSync('python3', ['-c', script], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONHASHSEED: '0', DIS_MUTATIONS: String(MUTATIONS) },
  });
  if (r.error) return { ok: false, reason: `python3 could not be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `python3 failed: ${r.stderr}` };
  return { ok: true, stdout: r.stdout };
}

const probe = python('import pickletools, sys; print(sys.version_info[0])');
const HAVE_PYTHON = probe.ok && probe.stdout.trim() === '3';
if (!HAVE_PYTHON) console.log(`test/dis-differential.test.ts: skipped: ${probe.ok ? 'python3 is no Python 3' : probe.reason}`);

/** Annotations are our one-line opcode descriptions (src/opcodes.ts): python3 is given ours. */
const OUR_DOCS = JSON.stringify(Object.fromEntries(OPCODES.map((o) => [o.name, o.doc])));
const USE_OUR_DOCS = `import pickletools as _pt, json as _json\nfor _op in _pt.opcodes: _op.doc = _json.loads(${JSON.stringify(OUR_DOCS)})[_op.name]\n`;

/** Builds the inputs and runs pickletools.dis on each; prints one JSON list. */
const GENERATOR = USE_OUR_DOCS + String.raw`
import base64, collections, io, json, os, pickle, pickletools, random, sys, warnings
warnings.simplefilter('ignore')

class Plain:
    def __init__(self): self.a = 1; self.b = [1, 2]

def nested(depth, make):
    v = 0
    for _ in range(depth): v = make(v)
    return v

values = [
    None, True, False, 0, 1, -1, 8, 10, 255, 2**31, -2**31 - 1, 2**64, 10**30, -(10**30), 0.0, -0.0, 1.5, 1e16, 1e-5,
    float('inf'), float('nan'), '', 'abc', "it's", 'tab\t\n\\', '\xe9\u20ac\U0001f600', '\ud800', b'', b'ab\x00\xff',
    bytearray(b'x'), (), (1,), (1, 2, 3, 4), [1, [2, [3]]], {'a': 1, 'b': (2,)}, {1, 2}, frozenset({3}),
    collections.OrderedDict(a=1), Plain(), complex(1, 2), len, nested(12, lambda v: [v]), nested(40, lambda v: (v, 1)),
    nested(35, lambda v: {'k': v}),
]
shared = [1]
values.append([shared, shared, {'s': shared}])

bases = []
for v in values:
    for proto in range(6):
        try:
            bases.append(pickle.dumps(v, protocol=proto))
        except Exception:
            pass

ints = ['0', '1', '8', '10', '010', '0010', '00', '01', '000', '001', '-0', '+0', '-00', '+5', '-5', '-010', ' 5', '5 ',
        '\t5\x0b', '\x0c5\r', ' 010 ', '1_0', '1__0', '_1', '1_', '0_10', '+_1', '- 5', '0x10', '0X1f', '0o7', '0b1', '0x',
        '1L', '5L', 'L', '010L', '-5L', ' 7L', '7 L', '7L ', '7l', '1_0L', '', ' ', '\x00', '1\x00', '\x005', '5\x00junk',
        '\xd9\xa1', '\xff', '\xc3\xa9', '1e3', '1.5', '1.', '.5', '5.', '1.e5', '1e', 'e5', '1e+5', '1E-5', '1e1_0',
        '1_0.5', '1._5', '1_.5', 'inf', '-inf', '+Infinity', 'INF', 'nan', '-NaN', 'nan0', 'infinit', 'in_f', '0.1',
        '1e999', '-1e999', '1e-999', '4.9e-324', '1.7976931348623157e308', '1.7976931348623159e308', '0x1p3', '\x1c5',
        '9' * 20, '-' + '9' * 40, '9' * 4300, '9' * 4301, '0' * 4300, '0' * 4301, '0' * 4299 + '1', '1' + '_0' * 4300,
        '1' * 5000 + 'x', '3' * 400 + '.' + '3' * 400, '1' + '0' * 400 + 'e-400', '2' + '0' * 3000]
strs = ["'abc'", '"abc"', "'", '"', "'a", 'a\'', "''", '""', '\'"', '"\'', "'it\\'s'", "'\\x41'", "'\\x4'", "'\\x4g'",
        "'\\777'", "'\\400'", "'\\0'", "'\\q'", "'a\\'", "'\\\\'", "'\\xe9'", "'\xe9'", "'\xc3\xa9'", 'abc', 'a\\tb',
        'a\\x', 'a\\x4', 'a\\', '\\', '\\\\', '\\u0041', '\\U0001f600', '\\ud83d\\ude00', '\\ud800', '\\u12', '\\U00110000',
        '\\U0010ffff', '\\x41', '\\101', '\\N{DASH}', '\xe9', '\xc3\xa9', '\xed\xa0\x80', 'a b', 'mod.sub', '__main__',
        'builtins', "'" + 'x' * 300 + "'", '\\u' * 3, "'\\n\\r\\t\\a\\b\\f\\v'"]
args = [a.encode('latin-1') for a in ints + strs]

hand = []
for a in args:
    for op in b'ILFSVP':
        hand.append(bytes([op]) + a + b'\n.')
    hand.append(b'Np' + a + b'\ng' + a + b'\n0.')
    hand.append(b'Np' + a + b'\n.')
    hand.append(b'Ng' + a + b'\n.')
    hand.append(b'c' + a + b'\nx\n.')
    hand.append(b'cbuiltins\n' + a + b'\n.')
    hand.append(b'(i' + a + b'\nx\n.')
for a, b in [(b'010', b'10'), (b'10', b'010'), (b'00', b'0'), (b'0', b'00'), (b'01', b'1'), (b'1', b'01'), (b'1_0', b'10'),
             (b' 5', b'5'), (b'-0', b'0'), (b'+7', b'7'), (b'9' * 30, b'0' + b'9' * 30)]:
    hand.append(b'Np' + a + b'\ng' + b + b'\n0.')
    hand.append(b'Np' + a + b'\np' + b + b'\n.')
    hand.append(b'Nq\x0ag' + a + b'\n0.' if a == b'010' else b'Nq\x00g' + b + b'\n0.')
    hand.append(b'Np' + a + b'\nh' + bytes([int(b.strip().replace(b'_', b'') or b'0') % 256]) + b'0.')
hand += [b'(.', b'((t.', b'(0.', b'1.', b'(N1.', b'0.', b'(1.', b'(((t0.', b'(Nae.', b'(Np0\n0.', b'(p0\n.', b'p0\n.',
         b'N(0p0\n.', b'(N\x94.', b'N\x94\x94.', b'Np0\n\x94.', b'Np1\n\x94.', b'Np1\n\x94\x94.', b'(((N' + b't' * 3 + b'.',
         b'(' * 40 + b'N' + b't' * 40 + b'.', b'(' * 50 + b'.', b'(' * 40 + b'N' + b'1' * 39 + b'.', b'(' * 34 + b'N0' * 2 + b'.',
         b'I5', b'I5\nI6', b'cbuiltins\nlen', b'c\n\n.', b'I\n.', b'', b'\x80\x02(K\x01K\x02\x86.', b'\x80\x05\x95\x05\x00\x00\x00\x00\x00\x00\x00N.',
         b'\x8a\x02\x00\x80.', b'\x8b' + (1800).to_bytes(4, 'little') + b'\xff' * 1800 + b'.',
         b'\x8b' + (1786).to_bytes(4, 'little') + b'\x00' * 1785 + b'\x7f.', b'\x8b' + (1786).to_bytes(4, 'little') + b'\x00' * 1785 + b'\x01.',
         b'\x8b' + (1787).to_bytes(4, 'little') + b'\x00' * 1786 + b'\x01.',
         b'\x8b' + (4000).to_bytes(4, 'little') + b'\x00' * 4000 + b'.', b'\x8b' + (4000).to_bytes(4, 'little') + b'\x01' + b'\x00' * 3999 + b'.']
# the longs around 4300 decimal digits, exactly
sys.set_int_max_str_digits(0)
for n in (10**4299, 10**4300 - 1, 10**4300, -(10**4300 - 1), -(10**4300)):
    hand.append(pickle.dumps(n, protocol=2))
    hand.append(b'L' + str(n).encode() + b'L\n.')
    hand.append(b'I' + str(n).encode() + b'\n.')
sys.set_int_max_str_digits(4300)
# LONG4s whose high bytes only extend the sign, and magnitudes either side of 4300 digits
def long4(payload): return b'\x8b' + len(payload).to_bytes(4, 'little') + payload + b'.'
hand += [long4(b'\xff' * 5000), long4(b'\x80' + b'\x00' * 5000), long4(b'\x7f' + b'\xff' * 5000), long4(b'\x00' * 5000),
         long4(b'\x00' * 1786 + b'\x80' + b'\xff' * 100), long4(b'\x01' + b'\x00' * 1786 + b'\x00' * 40), long4(b''),
         b'\x8a\x00.', b'\x8a\x01\xff.', b'\x8a\xff' + b'\x00' * 255 + b'.', b'\x8a\x05\x00', b'\x8b\x01\x00\x00', b'\x8b\xff\xff\xff\xff.']
for bits in range(14270, 14300, 3):
    for v in (2**bits - 1, 2**bits, -(2**bits), -(2**bits) - 1):
        hand.append(long4(v.to_bytes((v.bit_length() + 8) // 8, 'little', signed=True) + (b'\xff' if v < 0 else b'\x00') * 3))

rnd = random.Random(20260611)
interesting = b'(01tesulp g\n.\x00\xffNI_ +-L\'"\\x'
line_ops = b'ILFpgSVPci'
def mutate(data):
    data = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randrange(7)
        n = len(data)
        if k == 0 and n:
            # rewrite a text opcode's line with an odd argument
            starts = [i for i in range(n) if data[i] in line_ops and (i == 0 or data[i - 1] == 0x0a or data[i - 1] in b'(.0')]
            if starts:
                i = rnd.choice(starts) + 1
                e = data.find(b'\n', i)
                if e >= 0:
                    line = bytes(data[i:e])
                    choice = rnd.randrange(5)
                    if choice == 0: line = rnd.choice(args)
                    elif choice == 1: line = b'0' * rnd.randint(1, 3) + line
                    elif choice == 2: line = rnd.choice([b' ', b'\t', b'+', b'-', b'']) + line + rnd.choice([b' ', b'L', b'', b'\r'])
                    elif choice == 3 and len(line) > 1: j = rnd.randrange(1, len(line)); line = line[:j] + b'_' + line[j:]
                    else: line = line + line
                    data[i:e] = line
        elif k == 1 and n:
            data[rnd.randrange(n)] = rnd.randrange(256)
        elif k == 2 and n:
            del data[rnd.randrange(n)]
        elif k == 3:
            data.insert(rnd.randrange(n + 1), rnd.choice(interesting))
        elif k == 4 and n:
            data = data[:rnd.randrange(n)]
        elif k == 5 and n:
            i = rnd.randrange(n); j = min(n, i + rnd.randint(1, 12)); data[i:i] = data[i:j]
        else:
            i = rnd.randrange(n + 1); data[i:i] = b'(' * rnd.randint(1, 4)
    return bytes(data)

mutated = []
small = [b for b in bases if len(b) < 400] + hand[:600]
for _ in range(int(os.environ['DIS_MUTATIONS'])):
    mutated.append(mutate(rnd.choice(small)))

cases = []
for i, data in enumerate(bases + hand + mutated):
    annotate = 30 if i % 5 == 0 else 0
    out = io.StringIO()
    err = None
    try:
        pickletools.dis(data, out, None, 4, annotate)
    except Exception as e:
        err = type(e).__name__ + ': ' + str(e)[:160]
    cases.append([base64.b64encode(data).decode(), annotate, out.getvalue(), err])
json.dump(cases, sys.stdout)
`;

describe.skipIf(!HAVE_PYTHON)('disassemble() against pickletools.dis, differential', () => {
  it('writes what pickletools writes and throws where it raises, on every generated and mutated input', () => {
    const r = python(GENERATOR);
    if (!r.ok) throw new Error(r.reason);
    const cases = JSON.parse(r.stdout) as [string, number, string, string | null][];
    const failures: string[] = [];
    let same = 0;
    let raised = 0;
    let capped = 0;
    let skipped = 0;
    for (const [b64, annotate, pyOut, pyErr] of cases) {
      const data = new Uint8Array(Buffer.from(b64, 'base64'));
      const { text: expected, deepest } = capIndent(pyOut, 4);
      if (deepest > MAX_INDENT_DEPTH) {
        if (annotate) {
          skipped++;
          continue;
        }
        capped++;
      }
      let out: string;
      let err: unknown = null;
      try {
        out = disassemble(data, { annotate });
      } catch (e) {
        err = e;
        out = partialOutputOf(e) ?? '';
      }
      const errorsAgree = pyErr === null ? err === null : err instanceof PickleError;
      if (errorsAgree && out === expected) {
        same++;
        if (pyErr !== null) raised++;
      } else if (failures.length < 6) {
        failures.push(
          `input ${JSON.stringify(Buffer.from(data).toString('latin1').slice(0, 120))} annotate ${annotate}\n` +
            `  python: ${pyErr ?? 'ok'}\n  ours:   ${err === null ? 'ok' : String(err)}\n` +
            `--- python\n${expected.slice(-1500)}\n--- ours\n${out.slice(-1500)}`,
        );
      }
    }
    console.log(
      `dis differential: ${same} of ${cases.length - skipped} inputs identical (${raised} of them raising in pickletools), ` +
        `${capped} compared with capped indentation, ${skipped} annotated deeper than the cap skipped`,
    );
    expect(failures.join('\n\n')).toBe('');
    expect(same).toBe(cases.length - skipped);
    expect(cases.length).toBeGreaterThan(5000);
  });
});
