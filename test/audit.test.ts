/**
 * The static auditor: hostile pickles are never safe, its verdicts agree with what the loader does
 * under the same policy over the whole corpus, and no input makes it throw.
 */
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit/analyze.js';
import { createPolicy, DEFAULT_POLICY, loads, PickleError, RefusedGlobalError, shippedPack, type Policy } from '../src/index.js';
import { CORPUS, pickleFiles } from './helpers/corpus.js';
import { mutate, randomPickle, Rng, toHex } from './helpers/fuzz-tools.js';
import { bytes } from './helpers/bytes.js';

const BUILTINS_ONLY = createPolicy({ name: 'python-builtins', packs: [shippedPack('python-builtins')] });
const malicious = pickleFiles('malicious');

describe(`corpus/malicious (${malicious.length} hostile pickles)`, () => {
  it.each(malicious.map((f) => [basename(f), f]))('%s gets its recorded verdict and the loader refuses it', (_n, f) => {
    const spec = JSON.parse(readFileSync(f.replace(/\.pkl$/, '.json'), 'utf8')) as { expect: string; why: string };
    const data = readFileSync(f);
    const report = audit(data);
    expect(report.verdict, spec.why).toBe(spec.expect);
    expect(report.findings.length).toBeGreaterThan(0);
    // The loader never returns a value for these... except the harmless pickle before a hidden second one.
    if (!f.endsWith('after_stop.pkl') && !f.endsWith('garbage_after_stop.pkl')) expect(() => loads(data)).toThrow(PickleError);
  });
});

describe('agreement with the loader over the whole corpus', () => {
  const files = [...pickleFiles('valid'), ...pickleFiles('stdlib'), ...pickleFiles('malformed'), ...pickleFiles('malicious')];
  for (const policy of [DEFAULT_POLICY, BUILTINS_ONLY] as Policy[]) {
    it(`policy ${policy.name}: what loads refuses, audit flags; what audit calls safe, loads does not refuse (${files.length} files)`, () => {
      const verdicts = { safe: 0, unsafe: 0, malformed: 0 };
      const disagree: string[] = [];
      for (const f of files) {
        const data = readFileSync(f);
        const r = audit(data, { policy });
        verdicts[r.verdict]++;
        let refused = false;
        try {
          loads(data, { policy, encoding: 'latin1' });
        } catch (e) {
          refused = e instanceof RefusedGlobalError;
        }
        if (refused && r.verdict === 'safe') disagree.push(relative(CORPUS, f));
      }
      console.log(`audit, policy ${policy.name}: ${verdicts.safe} safe, ${verdicts.unsafe} unsafe, ${verdicts.malformed} malformed`);
      expect(disagree).toEqual([]);
    });
  }

  it('calls every pickle CPython wrote for builtin and stdlib values safe under the default policy', () => {
    const notSafe = [...pickleFiles('valid'), ...pickleFiles('stdlib')]
      .filter((f) => !f.includes('/edge/'))
      .filter((f) => {
        // The options loading needs: out-of-band buffers, and an encoding for Python 2 strs that are not ASCII.
        const spec = JSON.parse(readFileSync(f.replace(/\.pkl$/, '.json'), 'utf8')) as { buffers?: string[] };
        const buffers = spec.buffers?.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
        return audit(readFileSync(f), { buffers, encoding: f.includes('/py2/') ? 'latin1' : undefined }).verdict !== 'safe';
      })
      .map((f) => relative(CORPUS, f));
    expect(notSafe).toEqual([]);
  });
});

describe('reports', () => {
  it('names each global with its offset and how it was reached, and each call site', () => {
    const p = bytes('\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R.');
    const r = audit(p);
    expect(r.verdict).toBe('unsafe');
    expect(r.globals).toEqual([{ module: 'os', qualname: 'system', offset: 20, via: 'STACK_GLOBAL', allowed: false }]);
    expect(r.calls).toEqual([{ offset: 26, opcode: 'REDUCE', callable: 'os.system' }]);
    expect(r.findings[0]).toMatchObject({ severity: 'critical', rule: 'PG001', name: 'os.system' });
    expect(r.pickles).toEqual([{ start: 0, end: 28, protocol: 4, opcodes: 12 }]);
  });

  it('follows getattr pairs and copyreg._reconstructor through the policy, as the loader does', () => {
    const zone = readFileSync(`${CORPUS}/stdlib/zoneinfo.p2.pkl`);
    const r = audit(zone);
    expect(r.verdict).toBe('safe');
    expect(r.globals.map((g) => `${g.via} ${g.module}.${g.qualname}`)).toContain('getattr zoneinfo.ZoneInfo._unpickle');
    expect(audit(zone, { policy: BUILTINS_ONLY }).verdict).toBe('unsafe');
  });

  it('reports a FRAME longer than the input as loading does (truncated) and refuses a negative memo index', () => {
    const long = audit(bytes('\x80\x04\x95', [16, 0, 0, 0, 0, 0, 0, 0], 'N.'));
    expect(long.verdict).toBe('malformed');
    expect(long.findings[0]!.message).toMatch(/FRAME announces more bytes than the input holds/);
    const negative = audit(bytes(']p-1\n.'));
    expect(negative.verdict).toBe('malformed');
    expect(negative.findings[0]!.message).toMatch(/negative or huge memo index/);
  });

  it('refuses an inspection-mode policy, which would call everything safe', () => {
    expect(() => audit(bytes('N.'), { policy: createPolicy({ inspect: true }) })).toThrow(/inspection/);
  });
});

describe('robustness', () => {
  const count = 4000 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
  it(`never throws, and flags whatever the loader refuses (${count} random and mutated inputs)`, () => {
    const rng = new Rng(20261123);
    const seeds = [...pickleFiles('valid'), ...pickleFiles('malicious')].slice(0, 400).map((f) => new Uint8Array(readFileSync(f)));
    for (let i = 0; i < count; i++) {
      const input = i % 2 ? randomPickle(rng) : mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      const r = audit(input);
      let refused = false;
      try {
        loads(input);
      } catch (e) {
        expect(e).toBeInstanceOf(PickleError);
        refused = e instanceof RefusedGlobalError;
      }
      if (refused) expect(r.verdict, `refused by loads but audited safe: ${toHex(input)}`).not.toBe('safe');
      if (r.verdict === 'safe') expect(r.pickles.length).toBeGreaterThan(0);
    }
  });
});
