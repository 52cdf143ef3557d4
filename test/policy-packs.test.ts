/** The shipped packs: policies/*.json are valid, embedded verbatim, and load their own corpus. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPolicy, denialOf, packDigest, parsePack, SHIPPED_PACKS, type Pack } from '../src/index.js';

const dir = join(import.meta.dirname, '..', 'policies');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** A pack as shipped.ts embeds it: notes are for the JSON's reader, nothing at run time reads them. */
const withoutNotes = (p: Pack): Pack => ({ ...p, entries: p.entries.map(({ note: _, ...e }) => e) });

describe('shipped packs', () => {
  it('src/policy/shipped.ts embeds exactly policies/*.json less the entries\' notes, with the whole files\' digests (run `npm run packs` after editing a pack)', () => {
    const onDisk = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Pack);
    expect(onDisk.some((p) => p.entries.some((e) => e.note))).toBe(true);
    expect(SHIPPED_PACKS.map((p) => p.pack)).toEqual(onDisk.map(withoutNotes));
    expect(SHIPPED_PACKS.every((p) => p.pack.entries.every((e) => !('note' in e)))).toBe(true);
    expect(SHIPPED_PACKS.map((p) => p.digest)).toEqual(onDisk.map((p) => packDigest(p)));
  });

  it('each embedded pack is what parsePack makes of its JSON (notes left out, digest included), and shipped.ts is current (embed.mjs --check)', () => {
    files.forEach((f, i) => {
      const parsed = parsePack(readFileSync(join(dir, f), 'utf8'));
      expect(SHIPPED_PACKS[i]).toEqual({ ...parsed, pack: withoutNotes(parsed.pack) });
    });
    expect(SHIPPED_PACKS.every((p) => Object.isFrozen(p) && Object.isFrozen(p.pack) && Object.isFrozen(p.pack.entries[0]!.uses))).toBe(true);
    const check = spawnSync(process.execPath, [join(dir, 'embed.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.each(files)('%s is valid, builds a policy on its own, and names no denied name', (f) => {
    const loaded = parsePack(readFileSync(join(dir, f), 'utf8'), f);
    const policy = createPolicy({ packs: [loaded] });
    for (const e of policy.entries) expect(denialOf(e.module, e.qualname)).toBeUndefined();
  });
});

describe('the shipped set', () => {
  it('is python-builtins, python-stdlib, numpy, joblib, pytorch-state-dict, pytz, django, celery, pandas and scikit-learn, and they combine into one policy', () => {
    expect(SHIPPED_PACKS.map((p) => `${p.pack.id}@${p.pack.version}`).sort()).toEqual([
      'celery@1.0.1',
      'django@1.0.1',
      'joblib@1.1.1',
      'numpy@1.1.1',
      'pandas@1.2.0',
      'python-builtins@1.1.1',
      'python-stdlib@1.2.1',
      'pytorch-state-dict@1.2.1',
      'pytz@1.0.1',
      'scikit-learn@1.1.0',
    ]);
    const all = createPolicy({ packs: SHIPPED_PACKS });
    expect(all.packs.map((p) => p.id)).toEqual(['python-builtins', 'python-stdlib', 'celery', 'django', 'numpy', 'joblib', 'pytz', 'pandas', 'pytorch-state-dict', 'scikit-learn']);
    expect(all.resolve('pytz', '_p')).toBeDefined();
    expect(all.resolve('joblib.numpy_pickle', 'NumpyArrayWrapper')).toBeDefined();
    expect(all.resolve('numpy', 'dtype')).toBeDefined();
    expect(all.resolve('torch._utils', '_rebuild_tensor_v2')).toBeDefined();
  });

  it('a pack that repeats a shipped entry note and all (copied from policies/*.json) agrees with the shipped pack', () => {
    const file = JSON.parse(readFileSync(join(dir, 'python-stdlib.json'), 'utf8')) as Pack;
    const noted = file.entries.filter((e) => e.note);
    expect(noted.length).toBeGreaterThan(0);
    const copy = { id: 'mine', version: '1.0.0', description: 'd', extends: file.extends, entries: noted };
    const policy = createPolicy({ packs: [SHIPPED_PACKS.find((p) => p.pack.id === 'python-stdlib')!, copy] });
    for (const e of noted) expect(policy.resolve(e.module, e.qualname)).toBeDefined();
    const changed = { ...copy, entries: [{ ...noted[0]!, state: { type: 'dict' } }] };
    expect(() => createPolicy({ packs: [SHIPPED_PACKS.find((p) => p.pack.id === 'python-stdlib')!, changed] })).toThrow(/already allowed differently/);
  });

  it('pins the shipped version of every pack it extends, by digest', () => {
    for (const { pack } of SHIPPED_PACKS) {
      for (const ref of pack.extends ?? []) {
        const base = SHIPPED_PACKS.find((p) => p.pack.id === ref.id && p.pack.version === ref.version);
        expect(base, `${pack.id} extends ${ref.id}@${ref.version}`).toBeDefined();
        expect(ref.digest).toBe(base!.digest);
      }
    }
  });

  it('numpy and pytorch-state-dict name only numpy and torch globals (builtins come from python-builtins)', () => {
    const own = (id: string) => SHIPPED_PACKS.find((p) => p.pack.id === id)!.pack.entries.map((e) => e.module);
    expect(own('numpy').every((m) => m === 'numpy' || m.startsWith('numpy.'))).toBe(true);
    expect(own('pytorch-state-dict').every((m) => m === 'torch' || m.startsWith('torch.'))).toBe(true);
    expect(SHIPPED_PACKS.find((p) => p.pack.id === 'numpy')!.pack.extends!.map((r) => r.id)).toEqual(['python-builtins']);
    expect(SHIPPED_PACKS.find((p) => p.pack.id === 'pytorch-state-dict')!.pack.extends!.map((r) => r.id)).toEqual(['python-builtins']);
  });
});

describe('the JSON Schema for editors', () => {
  it('policies/schema/pack.schema.json is generated from the zod schema of test/helpers/pack-zod.ts (PICKLEGUARD_UPDATE=1 rewrites it)', async () => {
    const z = await import('zod/mini');
    const { packSchema } = await import('./helpers/pack-zod.js');
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'schema', 'pack.schema.json');
    const generated = `${JSON.stringify({ title: 'pickleguard policy pack', ...z.toJSONSchema(packSchema(), { io: 'input' }) }, null, 2)}\n`;
    if (process.env.PICKLEGUARD_UPDATE === '1') writeFileSync(path, generated);
    expect(readFileSync(path, 'utf8')).toBe(generated);
  });
});
