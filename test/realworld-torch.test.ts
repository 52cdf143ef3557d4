/**
 * corpus/realworld/torch: checkpoints written by the real torch.save (corpus/realworld/gen_torch.py),
 * zip and legacy forms, each loaded by loadTorch and compared with what torch.load gave: every
 * tensor's dtype, shape, stride, offset, flags, storage sharing, element bytes (sha256) and values;
 * dtypes, devices and sizes as values; optimizer state. Modules and TorchScript archives are refused.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTorch, RefusedGlobalError } from '../src/index.js';
import { normalized, typed } from './helpers/torch-typed.js';

const root = join(import.meta.dirname, '..', 'corpus', 'realworld', 'torch');
const fixtures = existsSync(root)
  ? readdirSync(root).flatMap((version) => readdirSync(join(root, version)).filter((f) => f.endsWith('.pt')).map((f) => join(version, f)))
  : [];

describe(`corpus/realworld/torch: ${fixtures.length} files written by torch.save`, () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(10);
  });

  it.each(fixtures)('%s', async (f) => {
    const bytes = new Uint8Array(readFileSync(join(root, f)));
    const want = JSON.parse(readFileSync(join(root, f.replace(/\.pt$/, '.json')), 'utf8'));
    if (want.error !== undefined) {
      const error = await loadTorch(bytes).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RefusedGlobalError);
      expect((error as Error).message).toMatch(new RegExp(want.match));
      return;
    }
    for (const zeroCopy of [false, true]) {
      const value = await loadTorch(bytes, { exact: true, zeroCopy });
      expect(typed(value)).toEqual(normalized(want.value));
    }
  });
});

describe('the zip and legacy forms of one value load equal', () => {
  const pairs = fixtures.filter((f) => f.endsWith('.legacy.pt') && fixtures.includes(f.replace('.legacy.pt', '.pt')));
  it.each(pairs)('%s', async (f) => {
    const legacy = await loadTorch(new Uint8Array(readFileSync(join(root, f))), { exact: true }).catch((e: unknown) => e);
    const zip = await loadTorch(new Uint8Array(readFileSync(join(root, f.replace('.legacy.pt', '.pt')))), { exact: true }).catch((e: unknown) => e);
    // Errors name the same thing (offsets differ: the legacy ones count from the start of the object pickle).
    if (legacy instanceof Error) expect(String(zip).replace(/ \(at byte .*$/, '')).toBe(String(legacy).replace(/ \(at byte .*$/, ''));
    else expect(typed(legacy)).toEqual(typed(keysOf(zip, legacy)));
  });
  // torch 2.6 cannot read its 2.x dtypes back from the legacy format, so gen_torch.py writes those tensors in zip form only.
  const ZIP_ONLY = new Set(['uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'complex32']);
  const keysOf = (zip: unknown, legacy: unknown): unknown => {
    if (!(zip instanceof Map) || !(legacy instanceof Map) || zip.size === legacy.size) return zip;
    const kept = new (zip.constructor as MapConstructor)([...zip].filter(([k]) => legacy.has(k)));
    expect([...zip.keys()].filter((k) => !legacy.has(k)).every((k) => ZIP_ONLY.has(k)), 'only the zip-only dtypes are missing').toBe(true);
    return kept;
  };
});
