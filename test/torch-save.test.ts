/**
 * saveTorch: every real checkpoint of corpus/realworld/torch loads, saves and loads back equal; the
 * archive is laid out as torch lays it out (stored members, data 64-byte aligned, CRCs right); the
 * dtypes torch 2.x added go through _rebuild_tensor_v3 and back; and Debian's torch, when installed,
 * loads what we write with weights_only=True to the value we meant.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  disassemble,
  listZip,
  loadTorch,
  PyGlobal,
  PyOrderedDict,
  saveTorch,
  TorchDevice,
  TorchStorage,
  TorchTensor,
  type TorchDtype,
} from '../src/index.js';
import { installedVersions, runPython } from './helpers/producers.js';
import { normalized, typed } from './helpers/torch-typed.js';

const root = join(import.meta.dirname, '..', 'corpus', 'realworld', 'torch');
const fixtures = existsSync(root)
  ? readdirSync(root).flatMap((v) => readdirSync(join(root, v)).filter((f) => f.endsWith('.pt')).map((f) => join(v, f)))
  : [];
const valued = fixtures.filter((f) => JSON.parse(readFileSync(join(root, f.replace(/\.pt$/, '.json')), 'utf8')).value !== undefined);
const read = (f: string) => new Uint8Array(readFileSync(join(root, f)));

describe('saveTorch', () => {
  it.each(valued)('%s loads, saves and loads back equal', async (f) => {
    const value = await loadTorch(read(f), { exact: true });
    const saved = saveTorch(value);
    expect(typed(await loadTorch(saved, { exact: true }))).toEqual(typed(value));
  });

  it('lays the archive out as torch does: stored members, 64-byte aligned data, CRCs right', async () => {
    const value = await loadTorch(read(valued.find((f) => f.endsWith('/checkpoint.pt'))!));
    const saved = saveTorch(value, { prefix: 'model' });
    const listing = listZip(saved);
    expect(listing.findings.filter((x) => x.severity === 'high')).toEqual([]);
    const names = listing.members.map((m) => m.name);
    expect(names.slice(0, 2)).toEqual(['model/data.pkl', 'model/byteorder']);
    expect(names.at(-1)).toBe('model/version');
    const storages = listing.members.filter((m) => m.name.startsWith('model/data/'));
    expect(storages.map((m) => m.name)).toEqual(storages.map((_, i) => `model/data/${i}`));
    for (const m of listing.members) {
      expect(m.method).toBe(0);
      expect(m.dataOffset % 64).toBe(0);
    }
    expect(() => saveTorch(value, { prefix: '../x' })).toThrow(/one path component/);
  });

  it('writes the dtypes torch 2.x added with _rebuild_tensor_v3 over an UntypedStorage, and reads them back', async () => {
    const cases: [TorchDtype, number[], number[] | bigint[]][] = [
      // dtype, raw bytes, values
      ['uint16', [0x01, 0x00, 0xff, 0xff], [1, 65535]],
      ['uint32', [0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0], [4294967295, 2]],
      ['uint64', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [2n ** 64n - 1n]],
      ['float8_e4m3fn', [0x38, 0xb8, 0x7e, 0x7f, 0x01], [1, -1, 448, NaN, 2 ** -9]],
      ['float8_e5m2', [0x3c, 0xc0, 0x7b, 0x7c, 0x01], [1, -2, 57344, Infinity, 2 ** -16]],
      ['float8_e4m3fnuz', [0x40, 0x80, 0x7f, 0x00], [1, NaN, 240, 0]],
      ['float8_e5m2fnuz', [0x40, 0x80, 0x7f, 0x01], [1, NaN, 57344, 2 ** -17]],
      ['complex32', [0x00, 0x3c, 0x00, 0xc0], [1, -2]],
    ];
    for (const [dtype, raw, values] of cases) {
      const storage = new TorchStorage(dtype, '0', 'cpu', raw.length / (dtype === 'complex32' ? 4 : dtype.startsWith('uint') ? Number(dtype.slice(4)) / 8 : 1), new Uint8Array(raw));
      const t = new TorchTensor(storage, 0, [storage.numel], [1]);
      expect([...t.toTypedArray()]).toEqual(values);
      const saved = saveTorch(new PyOrderedDict([['t', t]]));
      const pickle = listZip(saved).members.find((m) => m.name === 'archive/data.pkl')!;
      const dis = disassemble(saved.subarray(pickle.dataOffset, pickle.dataOffset + pickle.size));
      expect(dis).toContain('torch._utils _rebuild_tensor_v3');
      expect(dis).toContain('torch.storage UntypedStorage');
      const back = ((await loadTorch(saved)) as Map<string, TorchTensor>).get('t')!;
      expect([back.dtype, [...back.toTypedArray()]]).toEqual([dtype, values]);
    }
  });

  it('keeps dtypes, devices, parameters with state, and shared storages', async () => {
    const storage = new TorchStorage('float32', 'k', 'cuda:0', 4, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    const a = new TorchTensor(storage, 0, [2, 2], [2, 1]);
    const p = new TorchTensor(storage, 1, [2], [2], true, null, true, new Map([['tag', 'x']]));
    const value = new Map<string, unknown>([
      ['a', a],
      ['p', p],
      ['dtype', new PyGlobal('torch', 'bfloat16')],
      ['device', new TorchDevice('cuda', 1)],
    ]);
    const back = (await loadTorch(saveTorch(value))) as Map<string, unknown>;
    const [a2, p2] = [back.get('a') as TorchTensor, back.get('p') as TorchTensor];
    expect(a2.storage).toBe(p2.storage);
    expect([p2.isParameter, p2.requiresGrad, p2.state, [...p2.toTypedArray()]]).toEqual([true, true, new Map([['tag', 'x']]), [2, 4]]);
    expect(a2.storage.location).toBe('cuda:0');
    expect(back.get('dtype')).toEqual(new PyGlobal('torch', 'bfloat16'));
    expect(String(back.get('device'))).toBe('cuda:1');
  });
});

// Each torch that wrote fixtures and is installed here loads what we save of its own fixtures (a
// newer torch's files hold dtypes an older one has no name for).
const versions = existsSync(root) ? readdirSync(root) : [];
const torches = installedVersions('torch', versions, 'its torch.load of what we save');

describe.each(torches)('torch %s loads what saveTorch writes', (torchVersion, exe) => {
  it('with weights_only=True, to the value saved (except what its weights_only refuses: devices, some dtypes as values)', async () => {
    // Inside the repository, which the trixie root sees at the same path.
    mkdirSync(join(import.meta.dirname, '..', 'test-output'), { recursive: true });
    const dir = mkdtempSync(join(import.meta.dirname, '..', 'test-output', 'pg-torch-'));
    try {
      const want: Record<string, unknown> = {};
      for (const f of valued.filter((x) => !x.includes('legacy') && x.startsWith(`${torchVersion}/`))) {
        const name = f.replace(/[\\/]/g, '_');
        const value = await loadTorch(read(f), { exact: true });
        writeFileSync(join(dir, name), saveTorch(value));
        want[name] = typed(value);
      }
      const script = `
import io, json, os, sys
import importlib.util, zipfile
sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname, '..', 'corpus'))})
spec = importlib.util.spec_from_file_location('realworld_gen_torch', ${JSON.stringify(join(import.meta.dirname, '..', 'corpus', 'realworld', 'gen_torch.py'))})
gen_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_torch)
import torch
out = {}
for name in sorted(os.listdir(sys.argv[1])):
    path = os.path.join(sys.argv[1], name)
    assert zipfile.ZipFile(path).testzip() is None, name
    try:
        value, refused = torch.load(path, weights_only=True), None
    except Exception as e:
        value, refused = torch.load(path, weights_only=False), str(e).splitlines()[-1]
    out[name] = {'value': gen_torch.Typed()(value), 'refused': refused}
print(json.dumps(out))
`;
      const r = runPython(exe, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as Record<string, { value: unknown; refused: string | null }>;
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [name, { value, refused }] of Object.entries(got)) {
        expect(normalized(value), name).toEqual(normalized(want[name]));
        // torch 1.13's weights_only refuses devices and the bool/uint8/bfloat16 dtypes as values, and any
        // float (its unpickler lacks BINFLOAT, opcode 71: torch's own checkpoints with floats fail too).
        if (refused !== null) expect(torchVersion, `${name}: ${refused}`).toMatch(/^1\./);
        if (refused !== null) expect(refused, name).toMatch(/torch\.device|torch\.(bfloat16|bool|uint8)|Unsupported operand 71/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
