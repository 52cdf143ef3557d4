/** The shipped packs: policies/*.json are valid, embedded verbatim, and load their own corpus. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPolicy, denialOf, packDigest, parsePack, SHIPPED_PACKS } from '../src/index.js';

const dir = join(import.meta.dirname, '..', 'policies');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('shipped packs', () => {
  it('src/policy/shipped.ts embeds exactly policies/*.json (run `npm run packs` after editing a pack)', () => {
    const onDisk = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
    expect(SHIPPED_PACKS.map((p) => p.pack)).toEqual(onDisk);
    expect(SHIPPED_PACKS.map((p) => p.digest)).toEqual(onDisk.map((p) => packDigest(p)));
  });

  it.each(files)('%s is valid, builds a policy on its own, and names no denied name', (f) => {
    const loaded = parsePack(readFileSync(join(dir, f), 'utf8'), f);
    const policy = createPolicy({ packs: [loaded] });
    for (const e of policy.entries) expect(denialOf(e.module, e.qualname)).toBeUndefined();
  });
});

describe('the JSON Schema for editors', () => {
  it('policies/schema/pack.schema.json is generated from the zod schema (PICKLEGUARD_UPDATE=1 rewrites it)', async () => {
    const { z } = await import('zod');
    const { PackSchema } = await import('../src/policy/schema.js');
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'schema', 'pack.schema.json');
    const generated = `${JSON.stringify({ title: 'pickleguard policy pack', ...z.toJSONSchema(PackSchema, { io: 'input' }) }, null, 2)}\n`;
    if (process.env.PICKLEGUARD_UPDATE === '1') writeFileSync(path, generated);
    expect(readFileSync(path, 'utf8')).toBe(generated);
  });
});
