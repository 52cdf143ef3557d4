/**
 * Where the loader stops on a pickle one of CPython's readers reads on (a FLOAT only Python's
 * float() reads, so pickle._Unpickler, PyPy's reader, goes on), the auditor sweeps the rest as a
 * lenient reader would. Two
 * ways that sweep once named less than CPython resolves, found by test/cpython-names.test.ts at 10×
 * its fuzz count; each case here is checked against CPython's own readers (a find_class that only
 * records names, test/helpers/find_class_recorder.py).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/index.js';
import { pythonMissing } from './helpers/py-run.js';

const RECORDER = join(import.meta.dirname, 'helpers', 'find_class_recorder.py');
const bytes = (...parts: (number | string)[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : [p])));
const str = (s: string) => bytes(0x8c, s.length, s);

/** `module.name` of every name CPython's C and pure-Python readers resolve, or null without python3. */
function cpythonNames(input: Uint8Array): string[] | null {
  if (pythonMissing() !== null) return null;
  const r = spawnSync('python3', [RECORDER], { input: JSON.stringify([Buffer.from(input).toString('hex')]), encoding: 'utf8' });
  const [run] = JSON.parse(r.stdout) as { py: { names: string[][] }; c: { names: string[][] } }[];
  return [...new Set([...run!.py.names, ...run!.c.names].map((n) => `${n[3]}.${n[4]}`))];
}

function check(input: Uint8Array, expected: string): void {
  const listed = audit(input).globals.map((g) => `${g.module}.${g.qualname}`);
  expect(listed).toContain(expected);
  const theirs = cpythonNames(input);
  if (theirs === null) return console.log('CPython not checked: python3 is not available');
  expect(theirs).toContain(expected);
  expect(theirs.filter((n) => !listed.includes(n))).toEqual([]);
}

describe('the sweep after the loader stops', () => {
  it('keeps the memo of the pickles before: a name made of memo entries from an earlier pickle', () => {
    const input = new Uint8Array([
      // pickle 0 leaves 'datetime' and 'timedelta' in the memo
      ...bytes(0x80, 4, ...str('datetime'), 0x94, ...str('timedelta'), 0x94, '0', '0', 'N', '.'),
      // pickle 1: a FLOAT only pickle._Unpickler reads ('1_0.5' is 10.5 to float()), where the loader stops
      ...bytes(0x80, 4, 'F1_0.5\n', '.'),
      // pickle 2: STACK_GLOBAL of memo 0 and memo 1
      ...bytes(0x80, 4, 'h', 0, 'h', 1, 0x93, ')', 'R', '.'),
    ]);
    check(input, 'datetime.timedelta');
  });

  it('names both spellings where it cannot tell the protocol: past a FLOAT the C reader refuses and Python\'s float() reads', () => {
    // '1_0.5' is 10.5 to pickle._Unpickler (float() takes underscores) and an error to _pickle, whose
    // reading the loader follows; the sweep steps over it and meets '.', a STOP, which would reset the protocol.
    const input = bytes(0x80, 4, 'N', 'F1_0.5\n', 0x94, ...str('__builtin__'), ...str('set'), 0x93, 'N', 'R', '.');
    check(input, '__builtin__.set');
    expect(audit(input).globals.map((g) => `${g.module}.${g.qualname}`)).toContain('builtins.set');
  });
});
