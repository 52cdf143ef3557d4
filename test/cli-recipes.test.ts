/**
 * CI recipes: the pre-commit hook (.pre-commit-hooks.yaml) run as pre-commit runs it, on the files a
 * commit stages; the README's code-scanning workflow; and `npm ci` building dist/cli.js (prepare).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from './helpers/cli-bundle.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-recipes-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'pickleguard-recipes-'));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

beforeAll(async () => {
  await bundleCli(OUT_DIR);
}, 60_000);
afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

type Hook = Record<string, string | string[]>;

/** The YAML subset .pre-commit-hooks.yaml is written in: a list of flat maps; values plain, 'quoted' or [flow, lists]. */
function parseHooks(text: string): Hook[] {
  const hooks: Hook[] = [];
  const scalar = (v: string): string => (v.startsWith("'") ? v.slice(1, -1).replaceAll("''", "'") : v.startsWith('"') ? (JSON.parse(v) as string) : v);
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '') continue;
    const m = /^(- |  )([a-z_]+): (.+)$/.exec(line);
    if (m === null) throw new Error(`not in the subset: ${raw}`);
    if (m[1] === '- ') hooks.push({});
    const value = m[3]!.trim();
    hooks.at(-1)![m[2]!] = value.startsWith('[') ? value.slice(1, -1).split(',').map((s) => scalar(s.trim())) : scalar(value);
  }
  return hooks;
}

const HOOKS = parseHooks(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8'));
const HOOK = HOOKS[0]!;
const git = (...args: string[]) => spawnSync('git', args, { cwd: work, encoding: 'utf8' });

describe('pre-commit hook', () => {
  it('is one node hook whose entry is the package\'s pickleguard bin, selecting files by name', () => {
    expect(HOOKS).toHaveLength(1);
    expect(HOOK).toMatchObject({ id: 'pickleguard-audit', entry: 'pickleguard audit', language: 'node', types: ['file'] });
    expect(Object.keys(PKG.bin)).toContain((HOOK.entry as string).split(' ')[0]);
  });

  it('selects files with the same regex in Python (as pre-commit does) and here', () => {
    const paths = ['a.pkl', 'x/b.pt', 'c.pkl.gz', 'm.joblib', 'w.npz', 'pytorch_model.bin', 'd/pytorch_model-00001-of-00002.bin', 'e.bin', 'README.md', 'f.pkl.txt', 'g.json', 'pkl', 'x.pth.zlib'];
    const js = paths.filter((p) => new RegExp(HOOK.files as string).test(p));
    const py = spawnSync('python3', ['-c', 'import re,sys,json; r=re.compile(sys.argv[1]); print(json.dumps([p for p in sys.argv[2:] if r.search(p)]))', HOOK.files as string, ...paths], { encoding: 'utf8' });
    expect(JSON.parse(py.stdout)).toEqual(js);
    expect(js).toEqual(['a.pkl', 'x/b.pt', 'c.pkl.gz', 'm.joblib', 'w.npz', 'pytorch_model.bin', 'd/pytorch_model-00001-of-00002.bin', 'x.pth.zlib']);
  });

  it('fails a commit that stages an unsafe pickle and passes one that stages only safe ones', () => {
    git('init', '-q');
    const put = (name: string, data: string | Buffer) => {
      mkdirSync(join(work, name, '..'), { recursive: true });
      writeFileSync(join(work, name), data);
    };
    put('safe.pkl', Buffer.from('\x80\x04]\x94(K\x01K\x02e.', 'latin1'));
    put('model/pytorch_model.bin', Buffer.from('\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.', 'latin1'));
    put('evil.pkl', Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1'));
    put('README.md', '# not a pickle\n');
    put('data.json', '{}\n');
    git('add', '-A');
    /** The hook as pre-commit runs it: its entry, its args, then the staged files its regex selects. */
    const hook = () => {
      const staged = git('diff', '--cached', '--name-only').stdout.split('\n').filter(Boolean);
      const files = staged.filter((p) => new RegExp(HOOK.files as string).test(p));
      const [, ...entryArgs] = (HOOK.entry as string).split(' ');
      const r = spawnSync(process.execPath, [CLI, ...entryArgs, ...files], { cwd: work, encoding: 'utf8' });
      return { files, status: r.status, stdout: r.stdout };
    };
    const bad = hook();
    expect(bad.files).toEqual(['evil.pkl', 'model/pytorch_model.bin', 'safe.pkl']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^UNSAFE +evil\.pkl/m);
    git('rm', '-q', '--cached', 'evil.pkl');
    const good = hook();
    expect(good.files).toEqual(['model/pytorch_model.bin', 'safe.pkl']);
    expect(good.status).toBe(0);
  });
});

describe('README code-scanning recipe', () => {
  it('uploads the SARIF that audit writes, with upload-sarif', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const yaml = /```yaml\n(name: [^\n]*\n[\s\S]*?upload-sarif[\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const run = /run: (npx pickleguard audit [^\n]*)/.exec(yaml!)?.[1];
    expect(run).toMatch(/--format sarif/);
    const out = /> (\S+\.sarif)/.exec(run!)?.[1];
    expect(yaml).toContain('uses: github/codeql-action/upload-sarif@');
    expect(yaml).toContain(`sarif_file: ${out}`);
    expect(yaml).toMatch(/security-events: write/);
  });
});

describe('from a clone', () => {
  it('npm ci runs prepare, which runs the build that writes dist/cli.js (the bin, which runs) and the one file Node loads the library from', () => {
    expect(PKG.scripts.prepare).toBe('npm run build');
    expect(PKG.scripts.build).toContain('node esbuild.config.mjs');
    expect(PKG.bin.pickleguard).toBe('./dist/cli.js');
    // esbuild.config.mjs, run in a copy of the sources (the build's step that writes dist/cli.js).
    const clone = join(work, 'clone');
    mkdirSync(clone);
    cpSync(join(ROOT, 'src'), join(clone, 'src'), { recursive: true });
    cpSync(join(ROOT, 'esbuild.config.mjs'), join(clone, 'esbuild.config.mjs'));
    cpSync(join(ROOT, 'package.json'), join(clone, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: clone, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const cli = join(clone, PKG.bin.pickleguard);
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pickleguard <command>/);
    expect(spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);

    // Node resolves `pickleguard` to one file for import and require alike (the "node" condition):
    // one copy of the classes per process, with every export of the ES modules bundlers get.
    const probe = [
      "const { createRequire } = await import('node:module');",
      "const esm = await import('pickleguard');",
      "const cjs = createRequire(process.cwd() + '/x.js')('pickleguard');",
      "const files = await import('./dist/index.js');",
      "console.log(JSON.stringify({ same: esm.PyTuple === cjs.PyTuple && esm.loads === cjs.loads,",
      "  resolved: import.meta.resolve('pickleguard').split('/').slice(-2).join('/'),",
      "  missing: Object.keys(files).filter((k) => !(k in esm)), roundTrip: esm.loads(cjs.dumps([1, 'a'])) }));",
    ].join('\n');
    const node = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: clone, encoding: 'utf8' });
    expect(node.stderr).toBe('');
    expect(JSON.parse(node.stdout)).toEqual({ same: true, resolved: 'dist/index.cjs', missing: [], roundTrip: [1, 'a'] });
  }, 60_000);
});
