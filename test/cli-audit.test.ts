/** `pickleguard audit`: verdict lines, exit codes, JSON and SARIF output, policies from packs. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/run.js';
import { bytes } from './helpers/bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'pickleguard-audit-'));
mkdirSync(join(dir, 'sub'));
const put = (name: string, data: Uint8Array | string) => {
  writeFileSync(join(dir, name), data);
  return join(dir, name);
};
const SAFE = put('safe.pkl', bytes('\x80\x04]\x94(K\x01K\x02e.'));
const EVIL = put('sub/evil.pkl', bytes("cos\nsystem\n(S'id'\ntR."));
const GADGET = put('gadget.pkl', bytes('\x80\x02cacme.models\nGadget\n)\x81.'));
put('model.pt', Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0));

/** Runs `pickleguard COMMAND ARGS…` in this process, capturing its output. */
async function command(name: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await run([name, ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: (p) => new Uint8Array(readFileSync(p)),
    readStdin: async () => new Uint8Array(0),
  });
  return { status, stdout, stderr };
}
const cli = (...args: string[]) => command('audit', ...args);

describe('pickleguard audit', () => {
  it('prints one line per file with its verdict, then its findings; exit 0 when all are safe', async () => {
    const ok = await cli(SAFE);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^SAFE\s+\S+safe\.pkl {2}\(1 pickle, 0 globals, 0 call sites\)\n1 file: 1 safe, 0 unsafe, 0 malformed \(policy default\)\n$/);
    const bad = await cli(dir);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/UNSAFE\s+\S+evil\.pkl.*\n\s+critical PG001 at byte 0: os\.system: code execution/);
    expect(bad.stdout).toMatch(/MALFORMED\s+\S+model\.pt.*\n.*no end-of-central-directory record/);
    expect(bad.stdout).toContain('4 files: 1 safe, 2 unsafe, 1 malformed');
  });

  it('judges against the packs given with --policy', async () => {
    const pack = put('acme.json', JSON.stringify({ id: 'acme', version: '1.0.0', description: 'acme', entries: [{ module: 'acme.models', qualname: 'Gadget', reconstructor: 'object', uses: ['new'] }] }));
    expect((await cli(GADGET)).status).toBe(1);
    expect((await cli('--policy', pack, GADGET)).status).toBe(0);
    const typo = put('typo.json', '{"id": "x"}');
    const r = await cli('--policy', typo, GADGET);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/version/);
  });

  it('takes a shipped pack by its id with --policy, and lists them when neither file nor id matches', async () => {
    const joblib = join(import.meta.dirname, '..', 'corpus', 'containers', 'objects.joblib');
    expect((await cli(joblib)).status).toBe(1);
    const shipped = await cli(joblib, '--policy', 'joblib');
    expect(shipped.status).toBe(0);
    expect(shipped.stdout).toMatch(/^SAFE\s+\S+objects\.joblib/);
    expect(shipped.stdout).toMatch(/\(policy python-builtins\+numpy\+python-stdlib\+joblib\)/);
    const missing = await cli(SAFE, '--policy', 'no-such-pack');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the pack no-such-pack: .*\(shipped packs: celery, django, joblib, numpy, pandas, python-builtins, python-stdlib, pytorch-state-dict, pytz, scikit-learn\)/);
  });

  it('writes JSON and SARIF 2.1.0', async () => {
    const json = JSON.parse((await cli('--format', 'json', EVIL, SAFE)).stdout);
    expect(json.files.map((f: { verdict: string }) => f.verdict)).toEqual(['unsafe', 'safe']);
    expect(json.files[0].globals[0]).toMatchObject({ module: 'os', qualname: 'system', via: 'GLOBAL', offset: 0 });
    const sarif = JSON.parse((await cli('--format=sarif', EVIL, SAFE)).stdout);
    expect(sarif.version).toBe('2.1.0');
    const runOut = sarif.runs[0];
    expect(runOut.tool.driver.name).toBe('pickleguard');
    expect(runOut.tool.driver.rules.map((r: { id: string }) => r.id)).toContain('PG001');
    expect(runOut.results[0]).toMatchObject({
      ruleId: 'PG001',
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: pathToFileURL(EVIL).href }, region: { startLine: 1, byteOffset: 0, byteLength: 1 } } }],
    });
    expect(runOut.results[0].ruleIndex).toBe(runOut.tool.driver.rules.findIndex((r: { id: string }) => r.id === 'PG001'));
  });

  it('usage and I/O errors exit 2', async () => {
    expect((await cli()).status).toBe(2);
    expect((await cli('--format', 'xml', SAFE)).status).toBe(2);
    const missing = await cli(join(dir, 'nope.pkl'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no such file');
    expect((await cli('--help')).stdout).toContain('Usage: pickleguard audit');
  });
});

describe('pickleguard convert', () => {
  const run2 = (...args: string[]) => command('convert', ...args);

  it('prints the value as JSON, with tags for what JSON cannot hold', async () => {
    const p = put('mixed.pkl', bytes('\x80\x04]\x94(\x8c\x01a\x94\x8c\x01b\x94\x86\x94C\x02\x01\x02\x94\x8a\x09', [0, 0, 0, 0, 0, 0, 0, 0, 1], 'G', [0x7f, 0xf8, 0, 0, 0, 0, 0, 0], 'e.'));
    const r = await run2(p, '--to', 'json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ $tuple: ['a', 'b'] }, { $bytes: 'AQI=' }, { $int: '18446744073709551616' }, { $float: 'nan' }]);
  });

  it('refuses what the policy lacks, and shows it as a record with --inspect', async () => {
    const refused = await run2(EVIL, '--to', 'json');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/os\.system/);
    const inspected = await run2(EVIL, '--to', 'json', '--inspect');
    expect(JSON.parse(inspected.stdout)).toEqual({ $object: 'os.system', kind: 'call', args: ['id'] });
    expect((await run2(EVIL)).status).toBe(1);
  });
});
