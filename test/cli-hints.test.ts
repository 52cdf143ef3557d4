/**
 * Hints (`safe with --policy numpy`) on the built CLI, refusals phrased for where they are read,
 * `allowWith` naming a shipped pack's reconstructor, `policy infer` on a pickle the default policy
 * loads, and auditFile's arguments.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyCommand } from '../src/cli/policy.js';
import { cliMessage } from '../src/cli/args.js';
import { auditFile, createPolicy, loads, RefusedGlobalError, SHIPPED_PACKS, shippedPack } from '../src/index.js';
import { bundleCli } from './helpers/cli-bundle.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-hints-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'pickleguard-hints-'));

beforeAll(async () => {
  await bundleCli(OUT_DIR);
}, 60_000);
afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NUMPY_ARRAY = join(ROOT, 'corpus', 'numpy', 'array_be_c16.p2.pkl');
const STATE_DICT = join(ROOT, 'corpus', 'torch', 'state_dict.pt');
const DIRS = ['corpus/numpy', 'corpus/torch', 'corpus/containers'];
const SHIPPED_IDS = [...new Set(SHIPPED_PACKS.map((p) => p.pack.id))];

/** file → its hint (undefined: none), and its worst verdict, from `audit --format jsonl`. */
function hintsOf(args: string[]): Map<string, { safeWith?: string[]; verdicts: string[] }> {
  const out = new Map<string, { safeWith?: string[]; verdicts: string[] }>();
  for (const line of cli(['audit', '--format', 'jsonl', ...args]).stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { file: string; verdict: string; safeWith?: string[] };
    const f = out.get(o.file) ?? { verdicts: [], ...(o.safeWith ? { safeWith: o.safeWith } : {}) };
    f.verdicts.push(o.verdict);
    out.set(o.file, f);
  }
  return out;
}

describe('hints', () => {
  it('says which shipped packs make a file safe, in text, json, jsonl and sarif', () => {
    const text = cli(['audit', NUMPY_ARRAY, STATE_DICT]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^UNSAFE +\S+array_be_c16\.p2\.pkl .*\n(?: {4}.*\n)*? {4}hint: safe with --policy numpy\n/m);
    expect(text.stdout).toMatch(/^UNSAFE +\S+state_dict\.pt .*\n(?: {2}.*\n)*? {2}hint: safe with --policy pytorch-state-dict\n/m);
    const json = JSON.parse(cli(['audit', '--format', 'json', NUMPY_ARRAY]).stdout) as { files: { safeWith?: string[] }[] };
    expect(json.files.map((f) => f.safeWith)).toEqual([['numpy']]);
    const sarif = JSON.parse(cli(['audit', '--format', 'sarif', NUMPY_ARRAY]).stdout) as { runs: { results: { message: { text: string }; properties: { safeWith?: string[] } }[] }[] };
    const results = sarif.runs[0]!.results;
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.properties.safeWith).toEqual(['numpy']);
      expect(r.message.text).toContain('(the file is safe with --policy numpy)');
    }
    // Under the packs asked for, the hint adds to them; a safe file has none.
    const withStdlib = hintsOf(['--policy', 'python-stdlib', NUMPY_ARRAY]);
    expect([...withStdlib.values()][0]!.safeWith).toEqual(['python-stdlib', 'numpy']);
    expect([...hintsOf(['--policy', 'numpy', NUMPY_ARRAY]).values()][0]!.safeWith).toBeUndefined();
  });

  it('every hint is true: the files hinted are safe under the --policy values it names', () => {
    const byHint = new Map<string, string[]>();
    for (const [file, h] of hintsOf(DIRS)) if (h.safeWith) byHint.set(h.safeWith.join('\n'), [...(byHint.get(h.safeWith.join('\n')) ?? []), file]);
    expect([...byHint.keys()].sort()).toEqual(['joblib', 'numpy', 'pytorch-state-dict']);
    for (const [flags, files] of byHint) {
      const r = cli(['audit', '-q', ...flags.split('\n').flatMap((p) => ['--policy', p]), ...files]);
      expect(r.stdout.split('\n').filter((l) => /^(UN)?SAFE|^MALFORMED/.test(l))).toEqual([]);
      expect(r.status, flags).toBe(0);
    }
  });

  it('no unsafe file without a hint is safe under one shipped pack (alone, or beside python-stdlib)', () => {
    const unhinted = [...hintsOf(DIRS)].filter(([, h]) => h.safeWith === undefined && h.verdicts.includes('unsafe') && !h.verdicts.includes('malformed')).map(([f]) => f);
    expect(unhinted.length).toBeGreaterThan(0);
    for (const id of SHIPPED_IDS) {
      for (const flags of [['--policy', id], ['--policy', 'python-stdlib', '--policy', id]]) {
        const safe = [...hintsOf([...flags, ...unhinted])].filter(([, h]) => h.verdicts.every((v) => v === 'safe')).map(([f]) => f);
        expect(safe, flags.join(' ')).toEqual([]);
      }
    }
  });
});

describe('refusals phrased where they are read', () => {
  const bytes = new Uint8Array(readFileSync(NUMPY_ARRAY));
  const refusal = (): RefusedGlobalError => {
    try {
      loads(bytes);
    } catch (e) {
      if (e instanceof RefusedGlobalError) return e;
      throw e;
    }
    throw new Error('loaded');
  };

  it("names shippedPack('numpy') in the library and --policy numpy on the command line, from one phrase", () => {
    const e = refusal();
    expect(e.shippedPack).toBe('numpy');
    expect(e.message).toContain("(the shipped pack 'numpy' allows it: add shippedPack('numpy') to the policy's packs)");
    expect(e.messageIn('api')).toBe(e.message);
    const cliText = cliMessage(e);
    expect(cliText).toContain("(the shipped pack 'numpy' allows it: add --policy numpy)");
    expect(cliText).not.toContain('shippedPack(');
    expect(cliText.replace('add --policy numpy', "add shippedPack('numpy') to the policy's packs")).toBe(e.message);
  });

  it("allowWith is the shipped pack's own entry for the name, with its reconstructor (not the generic object one)", () => {
    const e = refusal();
    const entry = JSON.parse(e.allowWith!) as { module: string; qualname: string; reconstructor: string };
    const numpy = SHIPPED_PACKS.find((p) => p.pack.id === 'numpy')!;
    const own = numpy.pack.entries.find((x) => x.module === e.module && x.qualname === e.qualname)!;
    // The default policy bundles no other pack, so it quotes the shipped index: name, reconstructor and uses.
    expect(entry).toEqual({ module: own.module, qualname: own.qualname, reconstructor: own.reconstructor, uses: own.uses });
    expect(entry.reconstructor).not.toBe('object');
    // createPolicy may look up every shipped pack, so it quotes the entry whole (with its constraints).
    let whole: RefusedGlobalError | undefined;
    try {
      loads(bytes, { policy: createPolicy({ packs: [shippedPack('python-stdlib')] }) });
    } catch (x) {
      whole = x as RefusedGlobalError;
    }
    expect(JSON.parse(whole!.allowWith!)).toEqual(JSON.parse(JSON.stringify(own)));
    // …and that entry, in a pack of one's own, loads the array.
    const mine = { id: 'mine', version: '1.0.0', description: 'd', extends: numpy.pack.extends, entries: numpy.pack.entries };
    expect(() => loads(bytes, { policy: createPolicy({ packs: [mine] }) })).not.toThrow();
    // A name no shipped pack knows still gets the generic reconstructor.
    const other = (() => {
      try {
        loads(Uint8Array.from(Buffer.from('\x80\x02cacme\nThing\n)\x81.', 'latin1')));
      } catch (x) {
        return x as RefusedGlobalError;
      }
    })()!;
    expect(other.shippedPack).toBeUndefined();
    expect(JSON.parse(other.allowWith!).reconstructor).toBe('object');
  });
});

describe('policy infer', () => {
  it('drafts an empty pack, exit 0, for a ZoneInfo pickle the default policy loads (getattr is its gate, not a name)', () => {
    // pickle.dumps(zoneinfo.ZoneInfo('Europe/Paris'), protocol=2): getattr(ZoneInfo, '_unpickle')('Europe/Paris', 1)
    const zi = Buffer.from('\x80\x02c__builtin__\ngetattr\nq\x00czoneinfo\nZoneInfo\nq\x01X\t\x00\x00\x00_unpickleq\x02\x86q\x03Rq\x04X\x0c\x00\x00\x00Europe/Parisq\x05K\x01\x86q\x06Rq\x07.', 'latin1');
    const path = join(work, 'zi.pkl');
    writeFileSync(path, zi);
    expect(() => loads(new Uint8Array(zi))).not.toThrow();
    let out = '';
    let err = '';
    const status = runPolicyCommand(['infer', path], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), readFile: (p) => readFileSync(p) });
    expect(err).not.toMatch(/deny/);
    expect(status).toBe(0);
    expect((JSON.parse(out) as { entries: unknown[] }).entries).toEqual([]);
    // With no base, getattr is what the file needs and no pack may allow: still an error.
    expect(runPolicyCommand(['infer', '--extends', 'none', path], { stdout: () => {}, stderr: () => {}, readFile: (p) => readFileSync(p) })).toBe(1);
  });
});

describe('auditFile(bytes, options)', () => {
  const bytes = new Uint8Array(readFileSync(NUMPY_ARRAY));
  const numpy = createPolicy({ packs: [shippedPack('numpy')] });

  it('takes the name in the options, or second as before, and reports the same', async () => {
    const a = await auditFile(bytes, { name: 'a.pkl', policy: numpy });
    const b = await auditFile(bytes, 'a.pkl', { policy: numpy });
    expect(a).toEqual(b);
    expect(a.map((r) => `${r.uri} ${r.report.verdict}`)).toEqual(['a.pkl safe']);
    expect((await auditFile(bytes))[0]!.uri).toBe('<bytes>');
    expect((await auditFile(bytes, { policy: numpy }))[0]!.report.verdict).toBe('safe');
  });

  it('throws a TypeError at the call for arguments of the wrong type', () => {
    const call = auditFile as (...args: unknown[]) => unknown;
    for (const args of [
      ['not bytes', { name: 'x' }],
      [[1, 2], 'x'],
      [bytes, { name: 'x' }, { policy: numpy }],
      [bytes, 42],
      [bytes, null],
      [bytes, { name: 42 }],
      [bytes, { policy: 'numpy' }],
      [bytes, 'x', 'y'],
    ]) {
      expect(() => call(...args), JSON.stringify(args.map((a) => (a instanceof Uint8Array ? 'bytes' : a === numpy ? 'policy' : a)))).toThrow(TypeError);
    }
  });
});
