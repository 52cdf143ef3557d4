/**
 * The front door: openFile and loadFile over every container and backend file of the corpus.
 * auditFile is the same walk (its reports are the parts' audits and the containers' own, in order),
 * loadFile gives what each format's own loader gives, and detection never hides a pickle.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJson } from '../src/cli/convert.js';
import {
  auditFile,
  createPolicy,
  fileFormat,
  loadFile,
  loadJoblib,
  loadTorch,
  MalformedPickleError,
  NdArray,
  openFile,
  PickleError,
  shippedPack,
  loads,
  dumps,
  listZip,
} from '../src/index.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const files = (dir: string) =>
  readdirSync(join(CORPUS, dir))
    .filter((f) => !f.endsWith('.py') && !f.endsWith('.json') && !f.endsWith('.dis'))
    .map((f) => ({ name: `${dir}/${f}`, data: new Uint8Array(readFileSync(join(CORPUS, dir, f))) }));
const CONTAINERS = files('containers');
const BACKENDS = [...files('backends'), ...['celery-message.json', 'celery-message-zlib.json', 'hostile-celery-message.json'].map((f) => ({ name: `backends/${f}`, data: new Uint8Array(readFileSync(join(CORPUS, 'backends', f))) }))];
const file = (name: string) => new Uint8Array(readFileSync(join(CORPUS, name)));
const NUMPY = createPolicy({ packs: [shippedPack('numpy')] });

describe('openFile and auditFile are one walk', () => {
  it('auditFile reports exactly the containers and the parts openFile returns, in order, for every corpus container and backend file', async () => {
    for (const { name, data } of [...CONTAINERS, ...BACKENDS]) {
      const reports = await auditFile(data, { name });
      const opened = await openFile(data, { name });
      // The same reports by name (a zip may hold two members of one name, so as sorted lists).
      const key = (uri: string, report: unknown) => `${uri}\n${JSON.stringify(report, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
      const fromOpen = [...opened.containers.map((c) => key(c.uri, c.report)), ...opened.parts.map((p) => key(p.name, p.audit()))].sort();
      expect(reports.map((r) => key(r.uri, r.report)).sort(), name).toEqual(fromOpen);
    }
  });

  it('names parts by their path: zip members with !, roles within a backend entry with #', async () => {
    expect((await openFile(file('containers/model.pt'), { name: 'model.pt' })).parts.map((p) => `${p.name} ${p.kind}`)).toEqual(['model.pt!archive/data.pkl torch']);
    expect((await openFile(file('containers/state.pkl.gz'), { name: 's.gz' })).parts.map((p) => p.name)).toEqual(['s.gz!gzip']);
    expect((await openFile(file('backends/celery-message.json'), { name: 'm.json' })).parts.map((p) => p.name)).toEqual(['m.json#body']);
  });

  it('tells formats from bytes, never names', async () => {
    const pickle = dumps(new Map([['a', 1]]));
    expect(fileFormat(pickle)).toBe('pickle');
    expect((await openFile(pickle, { name: 'x.djcache' })).format).toBe('pickle');
    expect(fileFormat(file('containers/model.pt'))).toBe('zip');
    expect(fileFormat(file('containers/floats.npy'))).toBe('npy');
    expect(fileFormat(file('containers/evil.pkl.xz'))).toBe('xz');
    expect(fileFormat(file('backends/django-filecache.djcache'))).toBe('django-file-cache');
  });
});

describe('detection never hides a pickle', () => {
  it('every pickle of corpus/valid is read as one whole pickle part', async () => {
    let n = 0;
    for (const f of readdirSync(join(CORPUS, 'valid')).filter((x) => x.endsWith('.pkl'))) {
      const data = file(`valid/${f}`);
      const opened = await openFile(data, { name: f });
      expect(opened.format, f).toBe('pickle');
      expect(opened.parts.length, f).toBe(1);
      expect(opened.parts[0]!.bytes, f).toBe(data);
      n++;
    }
    expect(n).toBeGreaterThan(500);
  });

  it('a cache entry whose value cannot be inflated is malformed, and the bytes are still read as a pickle stream', async () => {
    const good = file('backends/django-filecache.djcache');
    const broken = good.slice(0, good.length - 6);
    const opened = await openFile(broken, { name: 'e' });
    expect(opened.findings.some((f) => f.rule === 'PG007' && /cannot be inflated/.test(f.message))).toBe(true);
    expect(opened.parts.map((p) => p.name)).toEqual(['e#expiry', 'e (read as a pickle)']);
    expect((await auditFile(broken, { name: 'e' }))[0]!.report.verdict).toBe('malformed');
    await expect(loadFile(broken)).rejects.toBeInstanceOf(MalformedPickleError);
  });

  it('never throws anything but a PickleError for mutated corpus files (openFile, every part audited and loaded, loadFile)', async () => {
    const rng = new Rng(13);
    const seeds = [...CONTAINERS, ...BACKENDS].filter((s) => s.data.length < 20_000);
    for (let i = 0; i < 300; i++) {
      const seed = seeds[rng.int(seeds.length)]!;
      const { data } = mutate(rng, seed.data, seeds[rng.int(seeds.length)]!.data);
      const opened = await openFile(data, { name: 'm' });
      for (const p of opened.parts) {
        p.audit();
        await p.load().catch((e: unknown) => expect(e, seed.name).toBeInstanceOf(PickleError));
      }
      await loadFile(data).catch((e: unknown) => expect(e, seed.name).toBeInstanceOf(PickleError));
    }
  });
});

describe('loadFile returns the value as its user means it', () => {
  it('a PyTorch checkpoint: what loadTorch returns', async () => {
    const data = file('containers/model.pt');
    expect(toJson(await loadFile(data))).toEqual(toJson(await loadTorch(data)));
  });

  it('a joblib file, plain or compressed: what loadJoblib returns (or the same error)', async () => {
    const outcome = (p: Promise<unknown>) => p.then((v) => toJson(v), (e: Error) => `${e.constructor.name}: ${e.message}`);
    let loaded = 0;
    for (const f of CONTAINERS.filter((c) => c.name.includes('.joblib'))) {
      const mine = await outcome(loadFile(f.data));
      expect(mine, f.name).toEqual(await outcome(loadJoblib(f.data)));
      if (typeof mine !== 'string') loaded++;
    }
    expect(loaded).toBeGreaterThanOrEqual(2);
  });

  it('an .npy array (numbers or objects) and an .npz of them', async () => {
    const floats = (await loadFile(file('containers/floats.npy'))) as NdArray;
    expect(floats).toBeInstanceOf(NdArray);
    expect([...(floats.toTypedArray() as Float64Array)]).toEqual([0, 1, 2, 3]);
    const objects = await loadFile(file('containers/objects.npy'), { policy: NUMPY });
    expect(objects).toBeInstanceOf(NdArray);
    const npz = (await loadFile(file('containers/bundle.npz'), { policy: NUMPY })) as Map<string, unknown>;
    expect(npz).toBeInstanceOf(Map);
    expect([...npz.values()].every((v) => v instanceof NdArray)).toBe(true);
  });

  it('an .npz whose deflated member is damaged: a MalformedPickleError at that member\'s data', async () => {
    const made = execFileSync('python3', ['-c', 'import io, sys, numpy as np; b = io.BytesIO(); np.savez_compressed(b, a=np.arange(1000.0), b=np.ones(3)); sys.stdout.buffer.write(b.getvalue())']);
    const good = new Uint8Array(made);
    expect([...((await loadFile(good)) as Map<string, unknown>).keys()]).toEqual(['a', 'b']);
    const member = listZip(good).members[0]!;
    const bad = good.slice();
    for (let i = 10; i < 30; i++) bad[member.dataOffset + i]! ^= 0x5a;
    const refused = await loadFile(bad).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MalformedPickleError);
    expect(refused).toMatchObject({ code: 'bad_container', offset: member.dataOffset });
    expect((refused as Error).message).toMatch(/^member "a\.npy" cannot be inflated: /);
  });

  it('a gzip or zlib stream: its content; a plain pickle: its first value', async () => {
    expect(await loadFile(dumps([1, 2]))).toEqual([1, 2]);
    const z = file('backends/django-redis-zlib.bin');
    expect(toJson(await loadFile(z))).toEqual(toJson(loads(new Uint8Array(readFileSync(join(CORPUS, 'backends', 'django-locmem.pkl'))))));
  });

  it('throws the library errors for what it cannot read', async () => {
    await expect(loadFile(file('containers/evil.pkl.bz2'))).rejects.toBeInstanceOf(MalformedPickleError);
    await expect(loadFile(file('containers/duplicate.pt'))).rejects.toBeInstanceOf(PickleError);
    await expect(loadFile(file('containers/evil.pt'))).rejects.toBeInstanceOf(PickleError);
  });
});
