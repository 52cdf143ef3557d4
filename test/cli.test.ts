/**
 * The `pickleguard` CLI, bundled on its own from src/cli/main.ts (helpers/cli-bundle.ts), run as a
 * subprocess and compared with `python3 -m pickletools`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from './helpers/cli-bundle.js';
import { OPCODES } from '../src/opcodes.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
let work = '';

function cli(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: work });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function py(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } | null {
  const r = spawnSync('python3', ['-m', 'pickletools', ...args], {
    input,
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
  });
  if (r.error) return null;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HAVE_PYTHON = spawnSync('python3', ['-c', 'import pickletools'], { encoding: 'utf8' }).status === 0;
if (!HAVE_PYTHON) console.log('test/cli.test.ts: python3 not found, skipping the comparisons with python3 -m pickletools');

const PICKLES: Record<string, string> = {
  // protocol 2 of [1, 'two', {'three': (3.0, b'4')}]; protocol 0 of [10, '-', {'two': 12345678901234567890}]
  'p2.pkl': '80025d7100284b01580300000074776f71017d7102580500000074687265657103474008000000000000635f636f646563730a656e636f64650a7104580100000034710558060000006c6174696e31710686710752710886710973652e',
  'p0.pkl': '286c70300a4931300a61562d0a70310a61286470320a5674776f0a70330a4c31323334353637383930313233343536373839304c0a73612e',
  // MARK, NONE, APPEND, APPENDS: pickletools prints three lines and a position, then fails
  'bad.pkl': '284e61652e',
  // a BINUNICODE cut short
  'trunc.pkl': '80035805000000616263',
  // two pickles in one file: pickletools shows the first only
  'two.pkl': '4b012e4b022e',
};

beforeAll(async () => {
  await bundleCli(OUT_DIR);
  work = mkdtempSync(join(tmpdir(), 'pickleguard-cli-'));
  for (const [name, hex] of Object.entries(PICKLES)) writeFileSync(join(work, name), Buffer.from(hex, 'hex'));
});

afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pickleguard CLI', () => {
  it('prints the usage for --help and -h (status 0), and on stderr with status 2 for no arguments', () => {
    for (const args of [['--help'], ['-h']]) {
      const r = cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: pickleguard <command>/);
      expect(r.stdout).toMatch(/\n {2}dis FILE/);
      expect(r.stdout).toMatch(/Exit status:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 +nothing was scanned/);
    }
    const none = cli([]);
    expect([none.status, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toMatch(/^Usage: pickleguard <command>/);
    const d = cli(['dis', '--help']);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/^Usage: pickleguard dis \[options\] FILE/);
    expect(d.stdout).toContain('--annotate');
  });

  it('audit on worker threads prints the same as one thread, in the same order', () => {
    const corpus = join(ROOT, 'corpus', 'malicious');
    const one = cli(['audit', '--jobs', '1', corpus]);
    const three = cli(['audit', '--jobs', '3', corpus]);
    expect(one.status).toBe(1);
    expect(three.status).toBe(1);
    expect(three.stdout).toBe(one.stdout);
    expect(three.stdout).toMatch(/UNSAFE\s+\S+nested_pickle\.pkl/);
  });

  it("README's Command line section shows what --help and audit --help print", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`$ pickleguard --help\n${cli(['--help']).stdout}\`\`\``);
    expect(readme).toContain(`$ pickleguard audit --help\n${cli(['audit', '--help']).stdout}\`\`\``);
  });

  it('prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('rejects unknown commands and options with status 2 and one line on stderr', () => {
    for (const args of [
      ['frobnicate'],
      ['--frob'],
      ['dis', '--frob', 'p2.pkl'],
      ['dis'],
      ['dis', '--indent', 'x', 'p2.pkl'],
      ['dis', '--indent', '-1', 'p2.pkl'],
      ['dis', '--memo=yes', 'p2.pkl'],
      ['audit'],
      ['audit', '--jobs', '0', 'p2.pkl'],
      ['audit', '--format', 'xml', 'p2.pkl'],
      ['audit', '--policy'],
      ['convert'],
      ['convert', 'p2.pkl', 'p0.pkl'],
      ['convert', '--to', 'yaml', 'p2.pkl'],
      ['convert', '--annotate', 'p2.pkl'],
      ['policy', 'infer', '--version', '1.0.0', 'p2.pkl'],
    ]) {
      const r = cli(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('fails with status 2 for a missing file, printing nothing on stdout', () => {
    const r = cli(['dis', 'p2.pkl', 'missing.pkl']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('pickleguard: cannot read missing.pkl: no such file or directory\n');
    for (const command of [['audit'], ['convert'], ['policy', 'infer']]) {
      const m = cli([...command, 'missing.pkl']);
      expect(m.status).toBe(2);
      expect(m.stderr).toContain('cannot read missing.pkl: no such file or directory');
    }
  });

  it('audit exits 0 when all is safe, 1 on anything unsafe or malformed, 3 when nothing was scanned', () => {
    mkdirSync(join(work, 'empty'), { recursive: true });
    expect(cli(['audit', 'p2.pkl', 'p0.pkl']).status).toBe(0);
    expect(cli(['audit', 'p2.pkl', 'bad.pkl']).status).toBe(1);
    const nothing = cli(['audit', 'empty']);
    expect(nothing.status).toBe(3);
    expect(nothing.stderr).toContain('nothing was scanned');
    // an I/O error wins over findings
    expect(cli(['audit', 'bad.pkl', 'missing.pkl']).status).toBe(2);
  });

  it('audit - and convert - read standard input', () => {
    const p2 = new Uint8Array(readFileSync(join(work, 'p2.pkl')));
    const a = cli(['audit', '-'], p2);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^SAFE\s+<stdin>/);
    const evil = new TextEncoder().encode("cos\nsystem\n(S'id'\ntR.");
    const u = cli(['audit', 'p0.pkl', '-', 'p2.pkl'], evil);
    expect(u.status).toBe(1);
    expect(u.stdout).toMatch(/^SAFE\s+p0\.pkl.*\nUNSAFE\s+<stdin>.*\n.*os\.system[^]*\nSAFE\s+p2\.pkl/);
    // with workers, standard input is scanned here and keeps its place
    expect(cli(['audit', '--jobs', '2', 'p0.pkl', '-', 'p2.pkl'], evil).stdout).toBe(u.stdout);
    expect(cli(['audit', '-'], new Uint8Array(0)).status).toBe(1);
    expect(cli(['audit', '-', '-'], p2).status).toBe(2);
    const c = cli(['convert', '-'], p2);
    expect(c.status).toBe(0);
    expect(c.stdout).toBe(cli(['convert', 'p2.pkl']).stdout);
    const refused = cli(['convert', '-'], evil);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^pickleguard: <stdin>: .*os\.system/);
  });

  it('convert defaults to JSON and accepts --to json', () => {
    const plain = cli(['convert', 'p2.pkl']);
    expect(plain.status).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual([1, 'two', { three: { $tuple: [3, { $bytes: 'NA==' }] } }]);
    expect(cli(['convert', '--to', 'json', 'p2.pkl']).stdout).toBe(plain.stdout);
    expect(cli(['convert', '--to=json', 'p2.pkl']).stdout).toBe(plain.stdout);
  });

  it('convert renders a DataFrame as named columns and cuts arrays at --max-items; refusals use CLI flags', () => {
    const frame = join(ROOT, 'corpus', 'realworld', 'pandas', '1.5.3', 'mixed.p4.pkl');
    const r = cli(['convert', '--policy', 'pandas', '--max-items', '1', frame]);
    expect(r.status).toBe(0);
    const d = (JSON.parse(r.stdout) as { $dataframe: { shape: number[]; columns: { name: unknown; dtype: string; data: unknown[]; cut?: number }[] } }).$dataframe;
    expect(d.columns.length).toBe(d.shape[1]);
    for (const c of d.columns) {
      expect(c.data).toHaveLength(1);
      expect(c.cut).toBe(d.shape[0]);
    }
    expect(cli(['convert', '--max-items', '-1', frame]).status).toBe(2);
    const refused = cli(['convert', frame]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--policy pandas/);
    expect(refused.stderr).not.toMatch(/shippedPack\(/);
  });

  it('prints the partial disassembly, then fails with status 1, for a truncated pickle', () => {
    const r = cli(['dis', 'trunc.pkl']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('    0: \\x80 PROTO      3\n');
    expect(r.stderr).toMatch(/^pickleguard: trunc\.pkl: .*BINUNICODE.*\n$/);
  });

  /**
   * Annotations are each opcode's one-line description, and ours (src/opcodes.ts) are our own
   * words: swap CPython's for ours in its output (the layout does not depend on the words).
   */
  const withOurDocs = (text: string): string => {
    const theirs = JSON.parse(
      spawnSync('python3', ['-c', 'import pickletools, json; print(json.dumps({o.name: o.doc.split("\\n", 1)[0] for o in pickletools.opcodes}))'], {
        encoding: 'utf8',
      }).stdout,
    ) as Record<string, string>;
    return text
      .split('\n')
      .map((line) => {
        const name = /^\s*\d+: \S+\s+([A-Z_0-9]+)/.exec(line)?.[1];
        const doc = name === undefined ? undefined : theirs[name];
        const op = OPCODES.find((o) => o.name === name);
        return doc !== undefined && op !== undefined && line.endsWith(` ${doc}`) ? line.slice(0, -doc.length) + op.doc : line;
      })
      .join('\n');
  };

  describe.skipIf(!HAVE_PYTHON)('against python3 -m pickletools', () => {
    const same = (ours: string[], theirs: string[], input?: Uint8Array): void => {
      const p = py(theirs, input)!;
      const r = cli(['dis', ...ours], input);
      expect(r.stdout).toBe(theirs.includes('-a') ? withOurDocs(p.stdout) : p.stdout);
      expect(r.status).toBe(p.status === 0 ? 0 : 1);
    };

    it('dis FILE prints the same', () => {
      for (const f of ['p2.pkl', 'p0.pkl', 'two.pkl']) same([f], [f]);
    });
    it('-a, --indent and several files with --memo and a preamble print the same', () => {
      same(['--annotate', 'p2.pkl'], ['-a', 'p2.pkl']);
      same(['-a', '30', '--indent', '1', 'p0.pkl'], ['-a', '-l', '1', 'p0.pkl']);
      same(['--memo', 'p2.pkl', 'p0.pkl', 'two.pkl'], ['-m', 'p2.pkl', 'p0.pkl', 'two.pkl']);
      same(['-p', '## {name}', 'p2.pkl', 'two.pkl'], ['-p', '## {name}', 'p2.pkl', 'two.pkl']);
    });
    it('- reads standard input (python3 cannot read a pipe: it seeks, so it reads the file)', () => {
      const p = py(['p2.pkl'])!;
      const r = cli(['dis', '-'], new Uint8Array(readFileSync(join(work, 'p2.pkl'))));
      expect([r.stdout, r.status]).toEqual([p.stdout, 0]);
    });
    it('malformed and truncated pickles print the same lines before the error', () => {
      same(['bad.pkl'], ['bad.pkl']);
      same(['trunc.pkl'], ['trunc.pkl']);
      same(['p2.pkl', 'bad.pkl', 'p0.pkl'], ['p2.pkl', 'bad.pkl', 'p0.pkl']);
    });
  });
});
