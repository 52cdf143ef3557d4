/**
 * Legacy torch checkpoints have one reader (src/containers/torch-legacy.ts): the auditor's verdict
 * is what loadTorch does, under the same policy. Over every legacy file of corpus/ (the real torch's
 * in corpus/realworld/torch, the hand-written and hostile ones of corpus/containers), tar
 * checkpoints built here with hostile edits, and seeded truncations, byte flips and mutations of
 * all of them: loading succeeds exactly when the audit says safe; a refusal by the loader is never
 * audited safe; a malformed audit is a failed load; and neither throws anything but our errors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, loadTorch, PickleError, PyGlobal, PyTuple, RefusedGlobalError, TorchStorage, torchPolicy, type Policy, type Verdict } from '../src/index.js';
import { isTar, listTar, TarError } from '../src/containers/tar.js';
import { auditLegacyStream, auditLegacyTar, isLegacyStream } from '../src/containers/torch-legacy.js';
import { isZip } from '../src/containers/zip.js';
import { CORPUS } from './helpers/corpus.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';
import { bytes } from './helpers/bytes.js';
import { f32, i64, legacyTar, p2 } from './helpers/legacy-tar.js';

/** Every .pt under corpus/ that torch reads as a legacy stream or tar (not a zip). */
function legacyFixtures(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.pt')) {
        const b = new Uint8Array(readFileSync(p));
        if (!isZip(b) && (isLegacyStream(b) || isTar(b))) out.push([relative(CORPUS, p), b]);
      }
    }
  };
  walk(CORPUS);
  return out;
}

const G = (module: string, name: string) => new PyGlobal(module, name);
/** Tar checkpoints whose every field is sound but one. */
const BUILT: [string, Uint8Array][] = [
  ['tar', legacyTar()],
  ['tar, a storage longer than its member', legacyTar({ numel: 60 })],
  ['tar, a tensor past its storage', legacyTar({ offset: 1 })],
  ['tar, a key naming nothing', legacyTar({ pid: '99' })],
  ['tar, a tensor type no pack has', legacyTar({ tensorType: G('torch', 'EvilTensor') })],
  ['tar, an untyped storage', legacyTar({ storageType: G('torch.storage', 'UntypedStorage') })],
  ['tar, no storage type', legacyTar({ storageType: G('torch', 'Tensor') })],
  ['tar, a payload as storage type', legacyTar({ storageType: G('os', 'system') })],
  ['tar, a big-endian writer', legacyTar({ sysInfo: new Map([['little_endian', false]]) })],
  ['tar, a payload in sys_info', legacyTar({ sysInfo: G('os', 'system') })],
];

const POLICIES: [string, Policy][] = [
  ['pytorch-state-dict', torchPolicy()],
  ['default', DEFAULT_POLICY],
];

/** What loadTorch does, as a verdict; anything but our errors is a bug. */
async function loadVerdict(bytes: Uint8Array, policy: Policy): Promise<Verdict | string> {
  try {
    await loadTorch(bytes, { policy });
    return 'safe';
  } catch (e) {
    if (!(e instanceof PickleError)) return `BUG: loadTorch threw ${(e as Error)?.constructor?.name}: ${String(e)}`;
    if (e.code === 'internal_error') return `BUG: loadTorch reported an internal error: ${e.message}`;
    return e instanceof RefusedGlobalError ? 'unsafe' : 'malformed';
  }
}

/** The auditor's verdict on the reading loadTorch makes (a stream first, then a tar); null when it makes neither. */
function auditVerdict(bytes: Uint8Array, policy: Policy): Verdict | null {
  if (isZip(bytes)) return null;
  if (isLegacyStream(bytes)) return auditLegacyStream(bytes, { policy }, policy.name).verdict;
  if (!isTar(bytes)) return null;
  let tar;
  try {
    tar = listTar(bytes);
  } catch (e) {
    if (e instanceof TarError) return 'malformed'; // loadTorch fails on it too
    throw e;
  }
  return auditLegacyTar(bytes, tar, { policy }, policy.name).verdict;
}

/** Truncations, byte flips and mutations of `seed`, `n` of them, seeded. */
function variants(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    if (kind === 0) out.push(seed.subarray(0, rng.int(seed.length)));
    else if (kind === 1) {
      const m = seed.slice();
      for (let k = rng.range(1, 3); k > 0; k--) m[rng.int(m.length)] = rng.int(256);
      out.push(m);
    } else out.push(mutate(rng, seed, rng.pick(others), 1 << 17).data);
  }
  return out;
}

describe('legacy torch checkpoints: the audit says what loading does', () => {
  const fixtures = [...legacyFixtures(), ...BUILT];

  it('has the legacy fixtures', () => {
    expect(fixtures.filter(([n]) => n.startsWith('realworld/')).length).toBeGreaterThanOrEqual(24);
    expect(fixtures.map(([n]) => n)).toEqual(expect.arrayContaining(['containers/legacy.pt', 'containers/legacy_evil.pt', 'containers/legacy_tar.pt']));
  });

  it('on every fixture and on seeded damage of each, under the torch pack and the default policy', async () => {
    const rng = new Rng(2026_12_06_19);
    const seeds = fixtures.map(([, b]) => b);
    const inputs: [string, Uint8Array][] = [...fixtures];
    for (const [name, b] of fixtures) variants(rng, b, seeds, 24).forEach((v, i) => inputs.push([`${name} variant ${i}`, v]));
    const tally = new Map<string, number>();
    const wrong: string[] = [];
    for (const [name, bytes] of inputs) {
      for (const [policyName, policy] of POLICIES) {
        let audited: Verdict | null;
        try {
          audited = auditVerdict(bytes, policy);
        } catch (e) {
          wrong.push(`${name} (${policyName}): the audit threw ${String(e)}`);
          continue;
        }
        const loaded = await loadVerdict(bytes, policy);
        if (loaded.startsWith('BUG')) wrong.push(`${name} (${policyName}): ${loaded}`);
        if (audited === null) continue;
        const key = `load ${loaded}, audit ${audited}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        // Loading stops at a refusal; the audit reads on and may find the file malformed after it.
        const agree = audited === loaded || (loaded === 'unsafe' && audited === 'malformed');
        if (!agree) wrong.push(`${name} (${policyName}): ${key}`);
      }
    }
    console.log(`legacy differential: ${inputs.length} inputs × ${POLICIES.length} policies: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    expect(wrong.slice(0, 8)).toEqual([]);
    expect(tally.get('load safe, audit safe')).toBeGreaterThan(50);
    expect(tally.get('load malformed, audit malformed')).toBeGreaterThan(50);
  });
});

/** A storage the object names: pickled as torch's persistent id ('storage', type, key, location, numel, view). */
class Ref {
  constructor(readonly pid: unknown[]) {}
}
const FLOAT = G('torch', 'FloatStorage');
const ref = (type: unknown = FLOAT, key = '0', numel: unknown = 4, view: unknown = null) => new Ref(['storage', type, key, 'cpu', numel, view]);
const LITTLE = new Map([['little_endian', true]]);

/** A legacy stream: magic number, protocol version, sys_info, `object` (its Refs as persistent ids), `keys`, then `tail` (the storages). */
function stream(object: unknown, keys: unknown, tail: Uint8Array, head: unknown[] = [0x1950a86a20f9469cfc6cn, 1001, LITTLE]): Uint8Array {
  return bytes(...head.map((v) => p2(v)), p2(object, (v) => (v instanceof Ref ? PyTuple.fromArray(v.pid) : null)), p2(keys), tail);
}
const FOUR = bytes(i64(4), f32(1, 2, 3, 4));
const sd = (...refs: Ref[]) => new Map(refs.map((r, i) => [`t${i}`, r]));

describe('legacy torch checkpoints: every check is made once, for audit and load alike', () => {
  it('a sound stream loads; its pickles lie end to end and its storages fill the rest', async () => {
    const good = stream(sd(ref(), ref(FLOAT, '0', 4, PyTuple.fromArray(['v', 1, 2]))), ['0'], FOUR);
    const value = (await loadTorch(good)) as Map<string, TorchStorage>;
    expect([value.get('t0')!.numel, value.get('t1')!.numel, [...new Float32Array(value.get('t1')!.data.slice().buffer)]]).toEqual([4, 2, [2, 3]]);
    const r = auditLegacyStream(good, { policy: torchPolicy() }, 'torch');
    expect(r.verdict).toBe('safe');
    expect(r.pickles.map((p) => p.start)).toEqual([0, ...r.pickles.slice(0, -1).map((p) => p.end)]);
    expect(r.pickles.at(-1)!.end + FOUR.length).toBe(good.length);
    // A stream is told by its magic number (the reader's own check of it is then never reached).
    const wrong = stream(sd(ref()), ['0'], FOUR, [1n, 1001, LITTLE]);
    expect(isLegacyStream(wrong)).toBe(false);
    await expect(loadTorch(wrong)).rejects.toThrow(/not a PyTorch zip checkpoint, legacy stream or tar/);
  });

  it('the pickles of real legacy files lie end to end, and their storages end the file', () => {
    for (const [name, b] of legacyFixtures().filter(([n]) => n.startsWith('realworld/'))) {
      const r = auditLegacyStream(b, { policy: torchPolicy() }, 'torch');
      expect(r.pickles.map((p) => p.start), name).toEqual([0, ...r.pickles.slice(0, -1).map((p) => p.end)]);
      expect(r.pickles, name).toHaveLength(5);
      expect(r.findings.filter((f) => f.rule === 'PG007'), name).toEqual([]);
    }
  });

  it.each([
    ['a wrong protocol version', stream(sd(ref()), ['0'], FOUR, [0x1950a86a20f9469cfc6cn, 1002, LITTLE]), /the protocol version is not 1001/],
    ['a big-endian writer', stream(sd(ref()), ['0'], FOUR, [0x1950a86a20f9469cfc6cn, 1001, new Map([['little_endian', false]])]), /big-endian/],
    ['an untyped storage', stream(sd(ref(G('torch.storage', 'UntypedStorage'))), ['0'], FOUR), /the legacy format has no untyped storages/],
    ['an unknown storage type', stream(sd(ref(G('torch', 'float16'))), ['0'], FOUR), /unknown storage type/],
    ['a module id', stream(sd(new Ref(['module', 'Net', 'source', 'file'])), [], new Uint8Array(0)), /pickled nn\.Module/],
    ['one key with two sizes', stream(sd(ref(), ref(FLOAT, '0', 5)), ['0'], FOUR), /named with two types or sizes/],
    ['a view outside its storage', stream(sd(ref(FLOAT, '0', 4, PyTuple.fromArray(['v', 2, 3]))), ['0'], FOUR), /lies outside its storage of 4/],
    ['a count other than the object says', stream(sd(ref()), ['0'], bytes(i64(5), f32(1, 2, 3, 4, 5))), /has 5 elements in the file, the object says 4/],
    ['a negative count', stream(sd(ref()), ['0'], bytes(i64(-1))), /has -1 elements in the file/],
    ['a count cut short', stream(sd(ref()), ['0'], i64(4).subarray(0, 5)), /the size of storage "0" runs past the end/],
    ['data cut short', stream(sd(ref()), ['0'], FOUR.subarray(0, 20)), /the data of storage "0" runs past the end/],
    ['a count × itemsize past 2**53', stream(sd(ref(G('torch', 'DoubleStorage'), '0', 2 ** 51)), ['0'], i64(2 ** 51)), /the data of storage "0" runs past the end/],
    ['a key listed twice', stream(sd(ref()), ['0', '0'], bytes(FOUR, FOUR)), /storage "0" is listed twice/],
    ['a key the object never names', stream(sd(ref()), ['0', '1'], bytes(FOUR, FOUR)), /storage "1" is listed but the object never names it/],
    ['a storage the list leaves out', stream(sd(ref()), [], new Uint8Array(0)), /storage "0" is named by the object but not listed/],
    ['storage keys that are no list of str', stream(sd(ref()), [0], FOUR), /the storage keys are not a list of str/],
    ['no storage keys', stream(sd(ref()), ['0'], FOUR).subarray(0, -FOUR.length - p2(['0']).length), /the storage keys pickle is missing/],
    ['a tar storage longer than its member', legacyTar({ numel: 60 }), /the data of storage 140 runs past the end/],
    ['a tar tensor past its storage', legacyTar({ offset: 1 }), /reaches element 3 of a storage of 3/],
    ['a tar key naming nothing', legacyTar({ pid: '99' }), /names no storage or tensor/],
    ['a tar untyped storage', legacyTar({ storageType: G('torch.storage', 'UntypedStorage') }), /the legacy format has no untyped storages/],
    ['a tar big-endian writer', legacyTar({ sysInfo: new Map([['little_endian', false]]) }), /big-endian/],
  ] as const)('%s: loading fails with it, the audit is malformed and says it', async (_, input, message) => {
    const error = await loadTorch(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PickleError);
    expect(error).not.toBeInstanceOf(RefusedGlobalError);
    expect(String(error)).toMatch(message);
    const tar = isLegacyStream(input) ? null : listTar(input);
    const r = tar === null ? auditLegacyStream(input, { policy: torchPolicy() }, 'torch') : auditLegacyTar(input, tar, { policy: torchPolicy() }, 'torch');
    expect(r.verdict).toBe('malformed');
    expect(r.findings.map((f) => f.message).join('\n')).toMatch(message);
  });

  it.each([
    ['a payload in a stream object', stream(new Map([['x', G('os', 'system')]]), [], new Uint8Array(0))],
    ['a payload as a tar storage type', legacyTar({ storageType: G('os', 'system') })],
    ['a payload in a tar sys_info', legacyTar({ sysInfo: G('os', 'system') })],
  ] as const)('%s: loading refuses it, the audit finds it (and may find the file malformed after it)', async (_, input) => {
    await expect(loadTorch(input)).rejects.toBeInstanceOf(RefusedGlobalError);
    const tar = isLegacyStream(input) ? null : listTar(input);
    const r = tar === null ? auditLegacyStream(input, { policy: torchPolicy() }, 'torch') : auditLegacyTar(input, tar, { policy: torchPolicy() }, 'torch');
    expect(r.verdict).not.toBe('safe');
    expect(r.globals.map((g) => `${g.module}.${g.qualname}`)).toContain('os.system');
  });
});
