/**
 * Containers: PyTorch zip checkpoints (ZIP64 too) and the legacy format, numpy .npy/.npz, joblib
 * files, gzip and zlib, and the zip tricks that make readers disagree. The files are in
 * corpus/containers, written by corpus/gen_containers.py (python3 with numpy; the torch and joblib
 * layouts by hand, byte for byte as those libraries write them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit/analyze.js';
import { auditFile, decompress } from '../src/containers/open.js';
import { createPolicy, shippedPack } from '../src/index.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'containers');
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));



const verdicts = async (name: string, options = {}) => (await auditFile(file(name), name, options)).map((r) => `${r.uri} ${r.report.verdict}`);
const TORCH = createPolicy({
  packs: [
    {
      id: 'torch-test',
      version: '1.0.0',
      description: 'test',
      extends: [],
      entries: [
        { module: 'torch._utils', qualname: '_rebuild_tensor_v2', reconstructor: 'object', uses: ['call'] },
        { module: 'torch', qualname: 'FloatStorage', reconstructor: 'reference', uses: ['reference'] },
        { module: 'collections', qualname: 'OrderedDict', reconstructor: 'collections.OrderedDict', uses: ['call'] },
      ],
    },
  ],
});

describe('containers (corpus/containers, written by corpus/gen_containers.py)', () => {
  it('audits the pickles inside a PyTorch zip checkpoint, named by member', async () => {
    expect(await verdicts('model.pt', { policy: TORCH })).toEqual(['model.pt safe', 'model.pt!archive/data.pkl safe']);
    expect(await verdicts('model.pt')).toEqual(['model.pt safe', 'model.pt!archive/data.pkl unsafe']);
    const evil = await auditFile(file('evil.pt'), 'evil.pt', { policy: TORCH });
    expect(evil.map((r) => r.report.verdict)).toEqual(['safe', 'unsafe']);
    expect(evil[1]!.report.findings.map((f) => f.name)).toContain('os.system');
    expect(await verdicts('deflated.pt', { policy: TORCH })).toEqual(['deflated.pt safe', 'deflated.pt!archive/data.pkl unsafe']);
    expect(await verdicts('zip64.pt', { policy: TORCH })).toEqual(['zip64.pt safe', 'zip64.pt!archive/data.pkl safe']);
    // Storages are raw bytes torch never unpickles: one that starts like a zlib stream is not opened as one.
    expect(await verdicts('storage_like_zlib.pt', { policy: TORCH })).toEqual(['storage_like_zlib.pt safe', 'storage_like_zlib.pt!archive/data.pkl safe']);
  });

  it('reports zip tricks: duplicate names, a local header that names another member', async () => {
    // Reader ambiguities make the container malformed: readers would load different things.
    const dup = await auditFile(file('duplicate.pt'), 'duplicate.pt');
    expect(dup[0]!.report.verdict).toBe('malformed');
    expect(dup[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/two members are named "archive\/data.pkl"/);
    expect(dup.slice(1).map((r) => r.report.verdict)).toEqual(['safe', 'unsafe']);
    const renamed = await auditFile(file('renamed.pt'), 'renamed.pt');
    expect(renamed[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/is named "archive\/data.pkX".* in its local header/);
    expect(renamed[0]!.report.verdict).toBe('malformed');
  });

  it('reports and audits a member no central directory entry points at', async () => {
    const hidden = await auditFile(file('hidden.pt'), 'hidden.pt', { policy: TORCH });
    expect(hidden[0]!.report.verdict).toBe('malformed');
    expect(hidden[0]!.report.findings.map((f) => f.message).join('\n')).toMatch(/"archive\/extra.pkl"\) belongs to no central directory entry/);
    expect(hidden.map((r) => `${r.uri} ${r.report.verdict}`)).toContain('hidden.pt!archive/extra.pkl (hidden) unsafe');
  });

  it('reads mutated archives without throwing', async () => {
    const rng = new Rng(2026_11_24);
    const seeds = ['model.pt', 'hidden.pt', 'zip64.pt', 'deflated.pt', 'duplicate.pt', 'bundle.npz', 'two_directories.pt', 'locator_elsewhere.pt', 'stray_directory.pt', 'tar_and_pickle.pt', 'legacy.pt', 'structured_object.npy'].map(file);
    const count = 300 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    for (let i = 0; i < count; i++) {
      const input = mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      for (const r of await auditFile(input, 'fuzz.pt', { policy: TORCH, maxMemberBytes: 1 << 20 })) {
        expect(['safe', 'unsafe', 'malformed']).toContain(r.report.verdict);
      }
    }
  });

  // Needs audit() to honour persistentLoad (the object's storage ids are what tell the walk each storage's size).
  it('reads the legacy torch format: five pickles, then raw storage bytes', async () => {
    expect(await verdicts('legacy.pt', { policy: TORCH })).toEqual(['legacy.pt safe']);
    const r = (await auditFile(file('legacy.pt'), 'legacy.pt'))[0]!.report;
    expect(r.pickles).toHaveLength(5);
    expect(r.verdict).toBe('unsafe');
  });

  it('finds the pickle in numpy object arrays, alone and inside a compressed .npz', async () => {
    expect(await verdicts('objects.npy')).toEqual(['objects.npy unsafe']); // numpy's reconstructor is no default name
    const npy = (await auditFile(file('objects.npy'), 'objects.npy'))[0]!.report;
    expect(npy.globals.map((g) => g.qualname)).toContain('_reconstruct'); // numpy.core or numpy._core, by numpy version
    expect(npy.pickles[0]!.start).toBeGreaterThan(64); // offsets are in the .npy file, after its header
    expect(await verdicts('floats.npy')).toEqual(['floats.npy safe']);
    const npz = await verdicts('bundle.npz');
    expect(npz).toContain('bundle.npz!objects.npy unsafe');
  });

  const JOBLIB = createPolicy({
    packs: [shippedPack('python-stdlib')],
    register: {
      'joblib.numpy_pickle:NumpyArrayWrapper': { newObject: () => ({}), setState: () => undefined },
      'numpy:dtype': { call: () => ({}), setState: () => undefined },
      'numpy:ndarray': { call: () => ({}) },
    },
  });

  it('reads joblib files as joblib.load does: raw array data read after each wrapper, object arrays as their own pickles', async () => {
    // The shipped joblib pack (numpy's names plus the wrapper): object arrays load, so the file is safe.
    const shipped = createPolicy({ packs: [shippedPack('joblib')] });
    expect(await verdicts('objects.joblib', { policy: shipped })).toEqual(['objects.joblib safe']);
    const [objects] = await auditFile(file('objects.joblib'), 'objects.joblib', { policy: shipped });
    expect(objects!.report.findings[0]!.message).toMatch(/a joblib file/);
    // These hold a datetime64 array among others: joblib.load's reading is all data; pickle.load
    // would read array bytes as opcodes (a global named by raw bytes), which makes them unsafe.
    for (const name of ['arrays.joblib', 'unaligned.joblib', 'protocol2.joblib']) {
      const [r] = await auditFile(file(name), name, { policy: shipped });
      expect(r!.report.verdict).toBe('unsafe');
      expect(r!.report.findings.slice(1).every((f) => /read as pickle\.load reads it/.test(f.message))).toBe(true);
      const builds = r!.report.calls.filter((c) => c.opcode === 'BUILD' && c.callable === 'joblib.numpy_pickle.NumpyArrayWrapper');
      expect(builds.length).toBeGreaterThanOrEqual(7);
    }
    expect(await verdicts('arrays.joblib.z', { policy: shipped })).toEqual(['arrays.joblib.z!zlib unsafe']);
    expect(await verdicts('raw_hides_call.joblib', { policy: shipped })).toEqual(['raw_hides_call.joblib unsafe']);
    // Under the default policy: unsafe (numpy's and joblib's names are refused first), not malformed.
    expect(await verdicts('arrays.joblib')).toEqual(['arrays.joblib unsafe']);
  });

  it('finds payloads in joblib files read either way, and fails closed on ones it cannot size', async () => {
    const shipped = createPolicy({ packs: [shippedPack('joblib')] });
    // pickle.load of this file would run os.system from the "array data"; the finding says so.
    const [hidden] = await auditFile(file('raw_hides_call.joblib'), 'x', { policy: shipped });
    expect(hidden!.report.verdict).toBe('unsafe');
    const system = hidden!.report.findings.find((f) => f.name === 'os.system');
    expect(system?.message).toMatch(/read as pickle\.load reads it/);
    // joblib.load would run os.system after array data made of STOP bytes.
    const [after] = await auditFile(file('call_after_array.joblib'), 'x', { policy: shipped });
    expect(after!.report.verdict).toBe('unsafe');
    expect(after!.report.findings.find((f) => f.rule === 'PG001')?.message).not.toMatch(/pickle\.load/);
    const [short] = await auditFile(file('short.joblib'), 'x', { policy: shipped });
    expect(short!.report.verdict).toBe('malformed');
    expect(short!.report.findings.map((f) => f.message).join('\n')).toMatch(/truncated/);
    const [framed] = await auditFile(file('framed.joblib'), 'x', { policy: shipped });
    expect(framed!.report.verdict).toBe('malformed');
    expect(framed!.report.findings.map((f) => f.message).join('\n')).toMatch(/inside a frame/);
  });

  it('audits mutated joblib files without throwing, and never calls a cut-short one safe', async () => {
    const rng = new Rng(2026_11_23);
    const seeds = ['arrays.joblib', 'unaligned.joblib', 'protocol2.joblib', 'objects.joblib', 'call_after_array.joblib'].map(file);
    const count = 1500 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    for (let i = 0; i < count; i++) {
      const input = mutate(rng, rng.pick(seeds), rng.pick(seeds)).data;
      const r = audit(input, { policy: JOBLIB, joblib: true });
      expect(['safe', 'unsafe', 'malformed']).toContain(r.verdict);
    }
    for (const seed of seeds) {
      for (let cut = 1; cut < seed.length; cut += 7) {
        expect(audit(seed.subarray(0, cut), { policy: JOBLIB, joblib: true }).verdict).toBe('malformed');
      }
    }
  });

  it('gives every file of corpus/containers and corpus/malicious a report, never an exception', async () => {
    const counts = { safe: 0, unsafe: 0, malformed: 0 };
    const root = join(import.meta.dirname, '..', 'corpus');
    const paths = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      ...readdirSync(join(root, 'malicious')).filter((f) => f.endsWith('.pkl')).map((f) => join(root, 'malicious', f)),
    ];
    for (const path of paths) {
      const reports = await auditFile(new Uint8Array(readFileSync(path)), path);
      expect(reports.length).toBeGreaterThan(0);
      for (const r of reports) counts[r.report.verdict]++;
    }
    console.log(`containers + malicious: ${paths.length} files, reports ${JSON.stringify(counts)}`);
    expect(counts.safe + counts.unsafe + counts.malformed).toBeGreaterThanOrEqual(paths.length);
  });

  it('opens gzip and zlib streams, and stops a decompression bomb', async () => {
    expect(await verdicts('state.pkl.gz')).toEqual(['state.pkl.gz!gzip safe']);
    expect(await verdicts('evil.pkl.zlib')).toEqual(['evil.pkl.zlib!zlib unsafe']);
    const bomb = await auditFile(file('bomb.gz'), 'bomb.gz', { maxMemberBytes: 1 << 20 });
    expect(bomb[0]!.report.verdict).toBe('malformed');
    expect(bomb[0]!.report.findings[0]!.message).toMatch(/more than 1048576 bytes/);
    await expect(decompress(Uint8Array.of(1, 2, 3), 'gzip', 100)).rejects.toThrow();
  });

  it('refuses a misuse of its arguments with a TypeError at the call, not a silent default', async () => {
    const options = { policy: createPolicy({ packs: [shippedPack('joblib')] }) };
    expect(() => (auditFile as (...a: unknown[]) => unknown)(file('objects.joblib'), options, options)).toThrow(TypeError);
    expect(() => auditFile('not bytes' as unknown as Uint8Array, 'x')).toThrow(TypeError);
  });
});
