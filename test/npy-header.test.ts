/**
 * The .npy header reader against numpy itself: test/npy_header_oracle.py writes thousands of
 * headers (numpy's own and generated: dtype strings, subarrays, nested fields, both quote styles,
 * escapes, Python 2 `L` ints, bad versions and lengths) with numpy's verdict. Ours must never
 * accept what numpy refuses, must agree on whether the dtype holds objects (that decides whether a
 * pickle follows) and where the data starts, and must read every header numpy writes. Refusing a
 * header numpy accepts (a dtype string outside the known subset, `\N{…}`) fails closed: the file is
 * malformed, never safe. Those are counted and printed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NpyError, readNpyHeader } from '../src/containers/npy-header.js';
import { LiteralError, parsePyLiteral } from '../src/containers/pyliteral.js';

interface Case {
  hex: string;
  ok: boolean;
  objects: boolean;
  offset: number;
  written: boolean;
}

function oracle(count: number): Case[] | string {
  try {
    const out = execFileSync('python3', [join(import.meta.dirname, 'npy_header_oracle.py'), String(count)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return out.trim().split('\n').map((l) => JSON.parse(l) as Case);
  } catch (e) {
    return `python3 with numpy is not available: ${(e as Error).message.split('\n')[0]}`;
  }
}

const cases = oracle(4000 * Number(process.env.PICKLEGUARD_FUZZ ?? 1));
const skip = typeof cases === 'string';
if (skip) console.log(`skipped: ${cases}`);

describe('.npy headers: ours against numpy.lib.format', () => {
  it.skipIf(skip)('never accepts what numpy refuses, and agrees on objects and the data offset', () => {
    const tally = { cases: 0, bothAccept: 0, bothRefuse: 0, refusedOnlyHere: 0, ofWhichObjects: 0 };
    const wrong: string[] = [];
    const conservative: string[] = [];
    for (const c of cases as Case[]) {
      tally.cases++;
      const bytes = Uint8Array.from(Buffer.from(c.hex, 'hex'));
      let ours: { objects: boolean; offset: number } | string;
      try {
        const h = readNpyHeader(bytes);
        ours = { objects: h.objects, offset: h.dataOffset };
      } catch (e) {
        if (!(e instanceof NpyError)) throw e;
        ours = e.message;
      }
      const text = JSON.stringify(Buffer.from(c.hex, 'hex').subarray(8).toString('latin1'));
      if (typeof ours === 'string') {
        if (c.ok) {
          tally.refusedOnlyHere++;
          if (c.objects) tally.ofWhichObjects++;
          if (c.written) wrong.push(`refused a header numpy writes: ${text} (${ours})`);
          else conservative.push(`${text}: ${ours}`);
        } else tally.bothRefuse++;
      } else if (!c.ok) wrong.push(`accepted a header numpy refuses: ${text}`);
      else {
        tally.bothAccept++;
        if (ours.objects !== c.objects || ours.offset !== c.offset) wrong.push(`objects ${ours.objects} at ${ours.offset}, numpy: ${c.objects} at ${c.offset}: ${text}`);
      }
    }
    console.log(`npy headers vs numpy: ${JSON.stringify(tally)}; refused only here, e.g.:\n  ${conservative.slice(0, 8).join('\n  ')}`);
    expect(wrong.slice(0, 20)).toEqual([]);
  });
});

describe('Python literals', () => {
  const ok = (s: string) => parsePyLiteral(s);
  it('reads the forms headers use', () => {
    expect(ok(`{"descr": '|O', 'shape': (3,), }`)).toMatchObject({ t: 'dict' });
    expect(ok(`('a' "b" r'\\n' u'\\x41\\u0042\\117')`)).toEqual({ t: 'str', v: 'ab\\nAB' + 'O' });
    expect(ok('(-0x10, 1_000, 0o17, +0b1, (), (1,), [True, None])')).toEqual({
      t: 'tuple',
      items: [
        { t: 'int', v: -16n },
        { t: 'int', v: 1000n },
        { t: 'int', v: 15n },
        { t: 'int', v: 1n },
        { t: 'tuple', items: [] },
        { t: 'tuple', items: [{ t: 'int', v: 1n }] },
        { t: 'list', items: [{ t: 'bool', v: true }, { t: 'none' }] },
      ],
    });
    expect(parsePyLiteral('(3L, 4)', true)).toMatchObject({ t: 'tuple' });
    expect(ok('\n# a comment\n{ # another\n}\n# and one more')).toMatchObject({ t: 'dict' });
  });
  it('refuses what literal_eval refuses, and what it does not read', () => {
    for (const bad of ['(3L,)', '{1, 2}', '--1', '01', '1.5', "b'x'", "'''x'''", '{"a" 1}', '(1 2)', 'foo', "'x", "'\\x4'", '[[' .repeat(100), '{} x', '{} # c\nx', '\0']) {
      expect(() => parsePyLiteral(bad), bad).toThrow(LiteralError);
    }
  });
});
