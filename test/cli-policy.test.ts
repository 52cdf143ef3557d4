/** `pickleguard policy check|infer|diff`, driven through the command function with files in a temp dir. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPolicyCommand } from '../src/cli/policy.js';
import { packDigest, SHIPPED_PACKS } from '../src/index.js';
import { bytes } from './helpers/bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'pickleguard-policy-'));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

function run(...args: string[]) {
  let out = '';
  let err = '';
  const status = runPolicyCommand(args, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    readFile: (p) => readFileSync(p),
  });
  return { status, out, err };
}

const builtins = SHIPPED_PACKS.find((p) => p.pack.id === 'python-builtins')!;
const pack = (entries: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'acme', version: '1.0.0', description: 'acme models', entries, ...extra }, null, 2);
const user = { module: 'acme.models', qualname: 'User', reconstructor: 'builtins.set', uses: ['new', 'state'] };

describe('policy check', () => {
  it('prints ok, the digest and what the pack extends', () => {
    const ref = { id: 'python-builtins', version: builtins.pack.version, digest: builtins.digest };
    const json = pack([user], { extends: [ref] });
    const r = run('check', file('ok.json', json));
    expect(r.status).toBe(0);
    expect(r.out).toContain(`ok  ${join(dir, 'ok.json')}  acme@1.0.0  ${packDigest(JSON.parse(json))}  1 entries`);
    expect(r.out).toContain(`extends python-builtins@${builtins.pack.version}  ${builtins.digest}`);
  });

  it('prints problems with their paths and exits 1', () => {
    const r = run('check', file('typo.json', pack([user, { ...user, qualname: 'X', modul: 'acme' }])));
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/entries\[1\]: Unrecognized key/);
    const pin = run('check', file('pin.json', pack([], { extends: [{ id: 'python-builtins', version: builtins.pack.version, digest: `sha256:${'0'.repeat(64)}` }] })));
    expect(pin.status).toBe(1);
    expect(pin.err).toContain('the base pack changed');
    const denied = run('check', file('denied.json', pack([{ ...user, module: 'os', qualname: 'system' }])));
    expect(denied.status).toBe(1);
    expect(denied.err).toMatch(/entries\[0\]: os\.system: module 'os' is on the hard deny list/);
  });

  it('usage and I/O errors exit 2', () => {
    expect(run('check').status).toBe(2);
    expect(run('check', join(dir, 'missing.json')).status).toBe(2);
    expect(run('frobnicate').status).toBe(2);
    expect(run('check', '--help').status).toBe(0);
  });
});

describe('policy infer', () => {
  it('drafts a pack from sample pickles: names, uses, the base pin; denied names are errors', () => {
    const newobj = file('user.pkl', bytes('\x80\x02cacme.models\nUser\n)\x81}X\x04\x00\x00\x00nameX\x03\x00\x00\x00annsb.'));
    const reduce = file('make.pkl', bytes("cacme.util\nmake\n(S'x'\ntRc__builtin__\nset\n((ltR."));
    const r = run('infer', '--id', 'acme-draft', newobj, reduce);
    expect(r.status).toBe(0);
    const drafted = JSON.parse(r.out);
    const stdlib = SHIPPED_PACKS.find((p) => p.pack.id === 'python-stdlib')!;
    expect(drafted).toMatchObject({ id: 'acme-draft', version: '0.1.0', extends: [{ id: 'python-stdlib', digest: stdlib.digest }] });
    expect(drafted.entries).toEqual([
      { module: 'acme.models', qualname: 'User', reconstructor: 'object', uses: ['new', 'state'] },
      { module: 'acme.util', qualname: 'make', reconstructor: 'object', uses: ['call'] },
    ]);
    const evil = run('infer', file('evil.pkl', bytes("cos\nsystem\n(S'id'\ntR.")));
    expect(evil.status).toBe(1);
    expect(evil.err).toMatch(/error: os\.system .*hard deny list/);
    expect(JSON.parse(evil.out).entries).toEqual([]);
  });
});

describe('policy diff', () => {
  it('shows added, removed and changed entries', () => {
    const a = file('a.json', pack([user, { ...user, qualname: 'Old' }]));
    const b = file('b.json', pack([{ ...user, uses: ['call', 'new', 'state'] }, { ...user, qualname: 'New' }], { version: '1.1.0' }));
    const r = run('diff', a, b);
    expect(r.status).toBe(1);
    expect(r.out).toContain('- acme.models.Old → builtins.set [new, state]');
    expect(r.out).toContain('+ acme.models.New → builtins.set [new, state]');
    expect(r.out).toMatch(/~ acme\.models\.User → builtins\.set \[new, state\]\n\s+⇒ → builtins\.set \[call, new, state\]/);
    expect(run('diff', a, a).status).toBe(0);
  });

  it('takes shipped packs by id: joblib adds one entry to numpy', () => {
    const r = run('diff', 'numpy', 'joblib');
    expect(r.status).toBe(1);
    expect(r.out).toContain('+ joblib.numpy_pickle.NumpyArrayWrapper → object [new, state]');
    expect(r.out).not.toMatch(/^- /m);
  });
});
