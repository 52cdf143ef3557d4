/**
 * `pickleguard audit DIR`: which files a walk reads (sniff.ts, by first bytes and names), globs
 * (glob.ts), symbolic links; run on the CLI bundled as esbuild.config.mjs bundles dist/cli.js.
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { join } from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from './helpers/cli-bundle.js';
import { compileGlob } from '../src/cli/glob.js';
import { audit } from '../src/audit/analyze.js';
import { DEFAULT_POLICY } from '../src/policy/default.js';
import { hasPickleExtension, looksLikePickleOrModel, SNIFF_BYTES } from '../src/cli/sniff.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-walk-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
let work = '';

function cli(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: work });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');
const P2 = bin('\x80\x02]q\x00(K\x01K\x02e.'); // [1, 2], protocol 2
const P0 = bin('(lp0\nI1\naI2\na.'); // [1, 2], protocol 0
const P1 = bin('}q\x00X\x01\x00\x00\x00aq\x01K\x01s.'); // {'a': 1}, protocol 1
const EVIL0 = bin("cos\nsystem\n(S'id'\ntR.");

/** Lines of the text report that name a file (its verdict first). */
const scanned = (stdout: string): string[] => [
  ...new Set(
    stdout
      .split('\n')
      .filter((l) => /^ *(SAFE|UNSAFE|MALFORMED) /.test(l))
      .map((l) => l.trim().split(/\s+/)[1]!.replace(/!.*/, '')),
  ),
].sort();

function tree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(nodePath.dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
}

beforeAll(async () => {
  await bundleCli(OUT_DIR);
  work = mkdtempSync(join(tmpdir(), 'pickleguard-walk-'));
  tree(join(work, 'mixed'), {
    'README.txt': 'Introduction\n\nThis (see below) is not a pickle.\n',
    'config.json': '{"a": [1, 2]}\n',
    'gen.py': '# generator\nimport pickle\n',
    'notes.md': '(c) 2026 someone\n',
    'list.txt': ']\n',
    'weights': P2,
    'p0data': P0,
    'p1data': P1,
    'evil': EVIL0,
    'blob.gz': gzipSync(P2),
    'text.gz': gzipSync(Buffer.from('just text, gzipped\n')),
    'object.z': deflateSync(Buffer.from('blob 12\0hello world\n')),
    'junk.pkl': 'not a pickle at all',
    'sub/deep/model.pt': Buffer.concat([bin('PK\x03\x04'), Buffer.alloc(26)]),
    'sub/arr.npy': bin('\x93NUMPY\x01\x00'),
  });
});

afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('which files a walk reads', () => {
  it('reads files named or made like pickles, skips and counts the others', () => {
    const r = cli(['audit', 'mixed']);
    expect(scanned(r.stdout)).toEqual(
      ['blob.gz', 'evil', 'junk.pkl', 'p0data', 'p1data', 'sub/arr.npy', 'sub/deep/model.pt', 'weights'].map((f) => `mixed/${f}`).sort(),
    );
    expect(r.stderr).toContain('skipped 7 files that are not pickles; --all to read them');
    expect(r.status).toBe(1);
  });

  it('reads every file with --all, and a file named on the command line always', () => {
    const all = cli(['audit', '--all', 'mixed']);
    expect(scanned(all.stdout)).toHaveLength(15);
    expect(all.stderr).not.toContain('skipped');
    const named = cli(['audit', 'mixed/README.txt']);
    expect(named.status).toBe(1);
    expect(named.stdout).toMatch(/^MALFORMED\s+mixed\/README\.txt/);
  });

  it('exits 3 when a walk finds nothing to scan', () => {
    tree(join(work, 'texts'), { 'a.txt': 'hello\n', 'b.json': '{}' });
    const r = cli(['audit', 'texts']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('skipped 2 files that are not pickles; --all to read them');
    expect(r.stderr).toContain('nothing was scanned');
    expect(cli(['audit', '--all', 'texts']).status).toBe(1);
  });

  it('--include and --exclude select by name or by path from the directory walked', () => {
    const only = (args: string[]) => scanned(cli(['audit', ...args, 'mixed']).stdout);
    expect(only(['--include', '*.pkl'])).toEqual(['mixed/junk.pkl']);
    expect(only(['--include', 'sub/**'])).toEqual(['mixed/sub/arr.npy', 'mixed/sub/deep/model.pt']);
    expect(only(['--include', '**/*.np[xyz]'])).toEqual(['mixed/sub/arr.npy']);
    expect(only(['--include', 'p?data'])).toEqual(['mixed/p0data', 'mixed/p1data']);
    expect(only(['--exclude', 'sub'])).not.toContain('mixed/sub/arr.npy');
    expect(only(['--exclude', 'sub', '--exclude', '[!s]*'])).toEqual([]);
    expect(only(['--exclude', 'sub/deep/**', '--include', 'sub/**'])).toEqual(['mixed/sub/arr.npy']);
    expect(cli(['audit', '--include', '*.nothing', 'mixed']).status).toBe(3);
  });
});

describe('symbolic links', () => {
  it('are not followed unless asked, never loop, and no file is read twice', () => {
    const dir = join(work, 'links');
    const outside = join(work, 'outside');
    tree(dir, { 'a.pkl': P2, 'sub/b.pkl': P0 });
    tree(outside, { 'secret.pkl': EVIL0 });
    symlinkSync('.', join(dir, 'self'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync(join(outside, 'secret.pkl'), join(dir, 'out.pkl'));
    symlinkSync('a.pkl', join(dir, 'again.pkl'));
    symlinkSync('nowhere.pkl', join(dir, 'dangling.pkl'));
    linkSync(join(dir, 'a.pkl'), join(dir, 'hard.pkl'));

    const plain = cli(['audit', 'links']);
    expect(scanned(plain.stdout)).toEqual(['links/a.pkl', 'links/sub/b.pkl']);
    expect(plain.stderr).toContain('skipped 5 symbolic links; --follow-symlinks to follow them');
    expect(plain.status).toBe(0);

    const follow = cli(['audit', '--follow-symlinks', 'links']);
    expect(scanned(follow.stdout)).toEqual(['links/a.pkl', 'links/out.pkl', 'links/sub/b.pkl']);
    expect(follow.stderr).toMatch(/warning: links\/dangling\.pkl: a symbolic link to nothing readable/);
    expect(follow.status).toBe(1);
    // a path named twice, or named and inside a directory named, is read once
    expect(scanned(cli(['audit', 'links', 'links/a.pkl', 'links']).stdout)).toEqual(['links/a.pkl', 'links/sub/b.pkl']);
  });

  it('a link named on the command line is followed', () => {
    expect(scanned(cli(['audit', 'links/out.pkl']).stdout)).toEqual(['links/out.pkl']);
  });
});

describe('output', () => {
  // 200 persistent ids (200 PG009 findings, malformed without persistentLoad) in a list, then os.system
  const many = Buffer.concat([bin('\x80\x02]('), ...Array.from({ length: 200 }, (_, i) => bin(`K${String.fromCharCode(i)}Q`)), bin('e0'), EVIL0]);
  const torch = join(ROOT, 'corpus', 'torch', 'hostile_os_system.pt');

  it('prints a line per file with its worst verdict, its parts under it, repeated findings once with a count', () => {
    tree(join(work, 'out'), { 'many.pkl': many, 'safe.pkl': P2 });
    const r = cli(['audit', torch, 'out/many.pkl', 'out/safe.pkl']);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UNSAFE {4}\S+hostile_os_system\.pt {2}\(2 parts: 1 unsafe, 1 safe\)$/);
    expect(lines[1]).toMatch(/^ {2}UNSAFE {4}\S+hostile_os_system\.pt!archive\/data\.pkl {2}\(1 pickle/);
    expect(lines[2]).toMatch(/^ {6}critical PG001 at byte \d+: posix\.system/);
    const pg009 = lines.filter((l) => l.includes('PG009'));
    expect(pg009.filter((l) => l.startsWith('    info     PG009 at byte 6 and 199 more: '))).toHaveLength(1);
    expect(pg009).toHaveLength(2); // one for the torch part, one for many.pkl
    expect(lines.at(-2)).toMatch(/^SAFE {6}out\/safe\.pkl {2}\(1 pickle/);
    expect(lines.at(-1)).toBe('3 files (4 parts): 1 safe, 1 unsafe, 1 malformed (policy default)');
  });

  it('-q prints only what is not safe, without info findings; --min-severity chooses', () => {
    const quiet = cli(['audit', '-q', torch, 'out/many.pkl', 'out/safe.pkl']);
    expect(quiet.status).toBe(1);
    expect(quiet.stdout).not.toMatch(/SAFE +\S*safe\.pkl|^ +SAFE|info/m);
    expect(quiet.stdout).toMatch(/critical PG001/);
    const critical = cli(['audit', '--min-severity', 'critical', torch, 'out/many.pkl']);
    const findings = critical.stdout.split('\n').filter((l) => /^ +(critical|high|medium|low|info) /.test(l));
    expect(findings.length).toBe(2);
    expect(findings.every((l) => l.trim().startsWith('critical'))).toBe(true);
    expect(critical.status).toBe(1);
    const info = cli(['audit', '-q', '--min-severity', 'info', 'out/many.pkl']);
    expect(info.stdout).toContain('PG009');
    expect(cli(['audit', '--min-severity', 'severe', 'out/many.pkl']).status).toBe(2);
  });

  it('--format jsonl prints one JSON object per part, the file first', () => {
    const r = cli(['audit', '--format', 'jsonl', torch, 'out/safe.pkl']);
    expect(r.status).toBe(1);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { file: string; part: string; verdict: string; findings: unknown[] });
    expect(rows.map((x) => [x.file.replace(/.*\//, ''), x.part.replace(/.*\//, ''), x.verdict])).toEqual([
      ['hostile_os_system.pt', 'hostile_os_system.pt', 'safe'],
      ['hostile_os_system.pt', 'data.pkl', 'unsafe'],
      ['safe.pkl', 'safe.pkl', 'safe'],
    ]);
    const quiet = cli(['audit', '--format=jsonl', '-q', torch, 'out/safe.pkl']).stdout.trimEnd().split('\n');
    expect(quiet).toHaveLength(1);
    expect(JSON.parse(quiet[0]!).findings.some((f: { severity: string }) => f.severity === 'info')).toBe(false);
  });
});

describe('sniffing, over the corpus', () => {
  const files: string[] = [];
  const walkDir = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walkDir(p);
      else files.push(p);
    }
  };
  walkDir(join(ROOT, 'corpus'));
  const sniff = (p: string): boolean => {
    const b = readFileSync(p);
    return looksLikePickleOrModel(b.subarray(0, SNIFF_BYTES), b.length);
  };

  it('takes every pickle and model file CPython writes, whatever it is named', () => {
    const written = files.filter((f) => /corpus\/(valid|stdlib|numpy|torch|containers)\//.test(f) && hasPickleExtension(f));
    expect(written.length).toBeGreaterThan(1900);
    expect(written.filter((f) => !sniff(f))).toEqual([]);
  });

  it('takes no text file (JSON, disassemblies, Python, Markdown) but the Celery/kombu envelopes that carry pickles', () => {
    const text = files.filter((f) => /\.(json|dis|py|md)$/.test(f));
    expect(text.length).toBeGreaterThan(3500);
    const envelopes = text.filter((f) => /corpus\/backends\/.*celery-message.*\.json$/.test(f));
    expect(envelopes.length).toBeGreaterThanOrEqual(4);
    expect(text.filter(sniff).sort()).toEqual(envelopes.sort());
  });

  it('takes hostile pickles that act before their error or their end', () => {
    // (proto_6: every reader refuses PROTO 6 before anything happens; a walk reads it by its name.)
    const hostile = files.filter((f) => /corpus\/(hostile|malicious)\/.*\.pkl$/.test(f) && !f.endsWith('proto_6.pkl') && readFileSync(f).length > 0);
    expect(hostile.length).toBeGreaterThan(60);
    expect(hostile.filter((f) => !sniff(f))).toEqual([]);
    // Arguments are read as the loader reads them: INT ' 1' (C's strtol skips blanks) then a payload.
    expect(looksLikePickleOrModel(bin("I 1\n0cos\nsystem\n(S'id'\ntR."), 30)).toBe(true);
  });

  it('skips no file whose loading would name a global (20,000 mutated protocol 0 and 1 pickles)', () => {
    const seeds = files.filter((f) => /corpus\/(valid|hostile|malicious)\/.*\.pkl$/.test(f)).map((f) => readFileSync(f)).filter((b) => b.length > 0 && b[0] !== 0x80);
    expect(seeds.length).toBeGreaterThan(300);
    let state = 2026;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    let named = 0;
    const skipped: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(seeds[rand(seeds.length)]!);
      for (let k = 1 + rand(3); k > 0; k--) b[rand(b.length)] = rand(4) === 0 ? 0x20 : rand(256);
      const head = b.subarray(rand(4) === 0 ? rand(b.length) : 0);
      // What loading resolves (the verdict pass's names, not the lenient listing's).
      const report = audit(head, { policy: DEFAULT_POLICY });
      const resolved = report.globals.some((g) => g.swept !== true) && report.calls.length + report.globals.length > 0;
      if (!resolved) continue;
      named++;
      if (!looksLikePickleOrModel(head.subarray(0, SNIFF_BYTES), head.length)) skipped.push(head.toString('hex').slice(0, 80));
    }
    expect(named).toBeGreaterThan(1000);
    expect(skipped.slice(0, 5)).toEqual([]);
  });

  it('inflates gzip and zlib heads to look inside', () => {
    const gz = (b: Buffer) => looksLikePickleOrModel(gzipSync(b), Infinity);
    expect(gz(P0)).toBe(true);
    expect(gz(Buffer.from('hello\n'))).toBe(false);
    expect(looksLikePickleOrModel(deflateSync(Buffer.from('blob 5\0hello')), Infinity)).toBe(false);
    expect(looksLikePickleOrModel(deflateSync(P2), Infinity)).toBe(true);
    // only the head of a long stream is at hand: it is inflated as far as it goes
    const head = (b: Buffer) => b.subarray(0, SNIFF_BYTES);
    const long = Buffer.concat([bin(']('), Buffer.alloc(300000, 'K\x01'), bin('e.')]); // protocol 1: no PROTO
    expect(looksLikePickleOrModel(head(gzipSync(long)), 1e9)).toBe(true);
    expect(looksLikePickleOrModel(head(deflateSync(long)), 1e9)).toBe(true);
    expect(looksLikePickleOrModel(head(gzipSync(Buffer.from('hello world '.repeat(100000)))), 1e9)).toBe(false);
    // a tar inside gzip, by its ustar signature
    const tar = Buffer.alloc(512);
    tar.write('ustar', 257, 'latin1');
    expect(gz(tar)).toBe(true);
  });
});

describe('globs', () => {
  const table: [string, string, boolean][] = [
    ['*.pkl', 'a.pkl', true],
    ['*.pkl', 'dir/a.pkl', true],
    ['*.pkl', 'a.pkl.gz', false],
    ['dir/*.pkl', 'dir/a.pkl', true],
    ['dir/*.pkl', 'dir/sub/a.pkl', false],
    ['dir/**/*.pkl', 'dir/a.pkl', true],
    ['dir/**/*.pkl', 'dir/x/y/a.pkl', true],
    ['**/a.pkl', 'a.pkl', true],
    ['dir/**', 'dir/x/y', true],
    ['dir/**', 'dir', false],
    ['?.pkl', 'ab.pkl', false],
    ['[ab].pkl', 'b.pkl', true],
    ['[!ab].pkl', 'b.pkl', false],
    ['[^ab].pkl', 'c.pkl', true],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['\\*.pkl', '*.pkl', true],
    ['\\*.pkl', 'a.pkl', false],
    ['a[.pkl', 'a[.pkl', true],
    ['a+(b).pkl', 'a+(b).pkl', true],
    ['./dir/*.pkl', 'dir/a.pkl', true],
  ];
  it.each(table)('%s matches %s: %s', (pattern, path, expected) => {
    expect(compileGlob(pattern).matches(path)).toBe(expected);
  });

  // node:path's matchesGlob (minimatch) is the oracle on paths without dot files (it skips them unless asked).
  const matchesGlob = (nodePath as { matchesGlob?: (path: string, pattern: string) => boolean }).matchesGlob;
  it.skipIf(matchesGlob === undefined)('agree with node:path matchesGlob on 20,000 random patterns and paths', () => {
    let seed = 1;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)]!;
    const segment = () => Array.from({ length: 1 + rnd(3) }, () => pick(['a', 'b', 'c', 'x'])).join('');
    const patternSegment = () =>
      rnd(6) === 0 ? '**' : Array.from({ length: 1 + rnd(3) }, () => pick(['a', 'b', 'x', '*', '?', '[ab]', '[!a]', '[a-b]'])).join('');
    const process_ = globalThis.process;
    const warn = process_.emitWarning;
    process_.emitWarning = () => {};
    try {
      const disagreements: string[] = [];
      for (let i = 0; i < 20000; i++) {
        const pattern = Array.from({ length: 1 + rnd(3) }, patternSegment).join('/');
        const path = Array.from({ length: 1 + rnd(3) }, segment).join('/');
        // without a slash our pattern matches names in any directory: compare with **/pattern
        const oracle = matchesGlob!(path, pattern.includes('/') ? pattern : `**/${pattern}`);
        if (compileGlob(pattern).matches(path) !== oracle) disagreements.push(`${pattern} ${path} ${oracle}`);
      }
      expect(disagreements.slice(0, 10)).toEqual([]);
    } finally {
      process_.emitWarning = warn;
    }
  });
});
