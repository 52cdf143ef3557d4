import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARG_KINDS, OP, OPCODE_BY_BYTE, OPCODES } from '../src/index.js';
import { CORPUS } from './helpers/corpus.js';

describe('the opcode table', () => {
  const file = join(CORPUS, 'opcodes.json');

  it('matches pickletools.opcodes exactly (name, byte, argument, protocol, stack effect, order)', () => {
    expect(existsSync(file)).toBe(true);
    const expected = JSON.parse(readFileSync(file, 'utf8')) as { name: string; code: number; arg: string | null; proto: number; before: string[]; after: string[] }[];
    expect(OPCODES.map((o) => ({ name: o.name, code: o.code, arg: o.arg, proto: o.proto, before: [...o.before], after: [...o.after] }))).toEqual(
      expected.map((o) => ({ name: o.name, code: o.code, arg: o.arg, proto: o.proto, before: o.before, after: o.after })),
    );
  });

  it('has 68 opcodes with distinct bytes, indexed by byte and by name', () => {
    expect(OPCODES).toHaveLength(68);
    expect(new Set(OPCODES.map((o) => o.code)).size).toBe(68);
    for (const o of OPCODES) {
      expect(OPCODE_BY_BYTE[o.code]).toBe(o);
      expect(OP[o.name]).toBe(o.code);
      if (o.arg !== null) expect(ARG_KINDS[o.arg]).toBeDefined();
      expect(o.doc.length).toBeGreaterThan(5);
    }
    expect(OPCODE_BY_BYTE.filter((o) => o === undefined)).toHaveLength(256 - 68);
  });
});
