/**
 * What Django, Celery/kombu and RQ store (corpus/backends, written through the libraries by
 * corpus/backends/gen_backends.py; manifest.json gives each file's expected value): every entry
 * loads to it through loadFile and through the bundled CLI's `convert`, its parts audit safe, and
 * every hostile variant is refused by loadFile and audited unsafe by `auditFile` and `pickleguard audit`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../src/cli/convert.js';
import { loadFile, openFile } from '../src/containers/open-file.js';
import { auditFile } from '../src/containers/open.js';
import { MalformedPickleError, PyObject, PyTuple, RefusedGlobalError, createPolicy, shippedPack, type Policy } from '../src/index.js';
import { djangoModels, djangoPolicy } from '../src/policy/django.js';
import { bundleCli } from './helpers/cli-bundle.js';

const DIR = join(import.meta.dirname, '..', 'corpus', 'backends');
interface Entry {
  file: string;
  group: string;
  producer: string;
  format: string;
  policy: 'default' | 'django' | 'celery';
  expected?: unknown;
  hostile?: string;
  needs?: string;
  unreadable?: string;
  [k: string]: unknown;
}
const MANIFEST = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Entry[];
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

const CELERY = createPolicy({ packs: [shippedPack('celery')] });
const DJANGO = djangoPolicy({ models: ['auth.Group'] });
const policyFor = (e: Entry): Policy | undefined => (e.policy === 'django' ? DJANGO : e.policy === 'celery' ? CELERY : undefined);
/** Whether python-stdlib reads exceptions yet (another branch adds them). */
const HAVE_EXCEPTIONS = CELERY.resolve('builtins', 'ValueError') !== undefined;
if (!HAVE_EXCEPTIONS) console.log('test/backends.test.ts: python-stdlib reads no exceptions yet, skipping the failed-result fixtures');

const plain = MANIFEST.filter((e) => e.expected !== undefined);
const hostile = MANIFEST.filter((e) => e.hostile !== undefined);

describe(`corpus/backends: ${MANIFEST.length} files from ${[...new Set(MANIFEST.map((e) => e.producer))].join(', ')}`, () => {
  it('names every format the manifest says, from the bytes alone', async () => {
    for (const e of MANIFEST) expect((await openFile(bytes(e.file), { name: 'x' })).format, e.file).toBe(e.format);
    expect(plain.length).toBeGreaterThanOrEqual(12);
    expect(hostile.length).toBeGreaterThanOrEqual(7);
  });

  it.each(plain.map((e) => [e.file, e] as const))('%s loads to its expected value, and audits safe', async (_, e) => {
    const data = bytes(e.file);
    expect(toJson(await loadFile(data, { policy: policyFor(e) }))).toEqual(e.expected);
    const opened = await openFile(data, { name: e.file, policy: policyFor(e) });
    expect(opened.parts.length > 0).toBe(e.format !== 'decimal'); // decimal text holds no pickle
    for (const p of opened.parts) expect(p.audit().verdict, p.name).toBe('safe');
    expect((await auditFile(data, { name: e.file, policy: policyFor(e) })).map((r) => r.report.verdict)).not.toContain('unsafe');
  });

  it.each(hostile.map((e) => [e.file, e] as const))('%s is refused, and audited unsafe', async (_, e) => {
    const data = bytes(e.file);
    const err = await loadFile(data, { policy: policyFor(e) }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RefusedGlobalError);
    const reports = await auditFile(data, { name: e.file, policy: policyFor(e) });
    expect(reports.map((r) => r.report.verdict)).toContain('unsafe');
    const names = reports.flatMap((r) => r.report.findings.map((f) => f.name ?? f.message));
    expect(names.join('\n')).toContain(e.hostile === 'django.db.models.base.model_unpickle' ? 'admin.LogEntry' : e.hostile!);
  });

  it('Django file cache: the expiry and the value are separate parts; a hostile value behind a clean expiry is found', async () => {
    const opened = await openFile(bytes('django-filecache-expiry.djcache'), { name: 'entry.djcache' });
    expect(opened.parts.map((p) => `${p.name} ${p.kind}`)).toEqual(['entry.djcache#expiry django-expiry', 'entry.djcache#value django-value']);
    expect(await opened.parts[0]!.load()).toBe(1700000300);
    const evil = await openFile(bytes('hostile-django-value.djcache'), { name: 'evil.djcache' });
    expect(evil.parts.map((p) => p.audit().verdict)).toEqual(['safe', 'unsafe']);
  });

  it('Django models load as records only when the host lists them', async () => {
    const data = bytes('django-model.pkl');
    const record = (await loadFile(data, { policy: DJANGO })) as PyObject;
    expect(record).toBeInstanceOf(PyObject);
    expect([...(record.args[0] as PyTuple)]).toEqual(['auth', 'Group']);
    const state = record.state as Map<string, unknown>;
    expect(state.get('id')).toBe(3);
    expect(state.get('name')).toBe('editors');
    expect((state.get('_state') as PyObject).name).toBe('ModelState');
    // Not listed: refused; listed by another spelling of the model name: allowed, as Django's registry matches names.
    await expect(loadFile(data, { policy: djangoPolicy() })).rejects.toBeInstanceOf(RefusedGlobalError);
    await expect(loadFile(data, { policy: djangoPolicy({ models: [['auth', 'group']] }) })).resolves.toBeInstanceOf(PyObject);
    await expect(loadFile(data, { policy: createPolicy({ packs: [shippedPack('django')], register: djangoModels(['auth.User']) }) })).rejects.toBeInstanceOf(RefusedGlobalError);
  });

  it('names compressions it cannot open (django-redis lzma) and never calls them safe', async () => {
    const data = bytes('django-redis-lzma.bin');
    await expect(loadFile(data)).rejects.toBeInstanceOf(MalformedPickleError);
    expect((await auditFile(data, { name: 'v' }))[0]!.report.verdict).toBe('malformed');
  });

  it.skipIf(!HAVE_EXCEPTIONS)('Celery failed results load with their exception', async () => {
    for (const e of MANIFEST.filter((x) => x.needs === 'exceptions')) {
      const meta = (await loadFile(bytes(e.file), { policy: CELERY })) as Map<string, unknown>;
      expect(meta.get('status')).toBe(e.status);
      expect(String((meta.get('result') as { name?: string }).name ?? meta.get('result'))).toContain('ValueError');
    }
  });

  it('kombu envelopes: a compression kombu does not register, or a body that is not base64, is malformed', async () => {
    const m = JSON.parse(new TextDecoder().decode(bytes('celery-message.json')));
    const variant = async (change: (x: typeof m) => void) => {
      const v = structuredClone(m);
      change(v);
      return (await auditFile(new TextEncoder().encode(JSON.stringify(v)), { name: 'm' }))[0]!.report.verdict;
    };
    expect(await variant(() => undefined)).toBe('safe');
    expect(await variant((v) => (v.headers.compression = 'application/x-made-up'))).toBe('malformed');
    expect(await variant((v) => (v.headers.compression = 'application/x-bz2'))).toBe('malformed');
    expect(await variant((v) => (v.body = '%%%'))).toBe('malformed');
  });

  it('kombu envelopes with a JSON body load to that JSON; a body that is not JSON is a MalformedPickleError', async () => {
    const m = JSON.parse(new TextDecoder().decode(bytes('celery-message.json')));
    const jsonMessage = (body: string) => {
      const v = structuredClone(m);
      v['content-type'] = 'application/json';
      v['content-encoding'] = 'utf-8';
      v.body = Buffer.from(body).toString('base64');
      return new TextEncoder().encode(JSON.stringify(v));
    };
    expect(await loadFile(jsonMessage('[[2, 3], {"z": 1}, {}]'))).toEqual([[2, 3], { z: 1 }, {}]);
    const refused = await loadFile(jsonMessage('[[2, 3], {"z":')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MalformedPickleError);
    expect(refused).toMatchObject({ code: 'bad_container', offset: 0 });
    expect((refused as Error).message).toMatch(/^the message body is not JSON: /);
  });
});

describe('the CLI reads backend files (bundled from src/cli/main.ts)', () => {
  const OUT = join(import.meta.dirname, '..', 'dist', `.cli-test-backends-${process.pid}`);
  let cliPath = '';
  beforeAll(async () => {
    cliPath = await bundleCli(OUT);
  }, 60_000);
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));
  const cli = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: DIR });
  const packArgs = (e: Entry) => (e.policy === 'celery' ? ['--policy', 'celery'] : e.policy === 'django' ? ['--inspect'] : []);

  it('convert prints every plain fixture as its expected JSON', () => {
    for (const e of plain.filter((x) => x.policy !== 'django')) {
      const r = cli('convert', ...packArgs(e), e.file);
      expect(r.status, `${e.file}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout), e.file).toEqual(e.expected);
    }
  });

  it('audit: every plain fixture is safe under its pack, every hostile one unsafe (exit 1)', () => {
    const safe = plain.filter((e) => e.policy === 'default').map((e) => e.file);
    const ok = cli('audit', ...safe);
    expect(ok.status, ok.stdout).toBe(0);
    expect(cli('audit', 'celery-message.json').stdout).toMatch(/^SAFE\s+celery-message\.json/);
    for (const e of hostile) {
      const r = cli('audit', ...(e.policy === 'celery' ? ['--policy', 'celery'] : []), e.file);
      expect(r.status, e.file).toBe(1);
      expect(r.stdout, e.file).toMatch(/^UNSAFE/);
    }
  });

  it('convert refuses a hostile file (exit 1); dis shows each pickle of a cache entry under its name', () => {
    const r = cli('convert', 'hostile-celery-message.json');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('os.system');
    const dis = cli('dis', 'django-filecache.djcache');
    expect(dis.status, dis.stderr).toBe(0);
    expect(dis.stdout).toMatch(/^==> django-filecache\.djcache#expiry <==\n[^]*==> django-filecache\.djcache#value <==\n[^]*SHORT_BINUNICODE 'alice'/);
  });
});
