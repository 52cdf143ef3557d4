/**
 * The pytorch-state-dict pack and loadTorch against corpus/torch (checkpoints laid out as torch.save
 * writes them; corpus/gen_torch.py): state dicts load to tensors with the right dtype, shape,
 * stride, offset and values (little- and big-endian, stored and deflated, any archive prefix);
 * hostile checkpoints fail with our errors; the pack refuses everything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditFile,
  createPolicy,
  denialOf,
  dumps,
  listZip,
  loads,
  loadTorch,
  MalformedPickleError,
  PickleError,
  LimitExceededError,
  PyGlobal,
  PyOrderedDict,
  PyTuple,
  RefusedGlobalError,
  REDUCE,
  saveTorch,
  shippedPack,
  storageLoader,
  TorchStorage,
  TorchTensor,
  torchPolicy,
} from '../src/index.js';
import { bytes } from './helpers/bytes.js';
import { i64, legacyTar } from './helpers/legacy-tar.js';
import { pythonMissing, runPython } from './helpers/py-run.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'torch');
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const expected = (name: string) => JSON.parse(readFileSync(join(dir, name.replace(/\.pt$/, '.json')), 'utf8'));
const valid = readdirSync(dir).filter((f) => f.endsWith('.pt') && !f.startsWith('hostile_')).sort();
const hostile = readdirSync(dir).filter((f) => f.endsWith('.pt') && f.startsWith('hostile_')).sort();

interface Want {
  dtype: string;
  shape: number[];
  stride: number[];
  offset: number;
  requires_grad: boolean;
  parameter: boolean;
  values: (number | string)[];
}

/** Loads `count` damaged copies of `good` (`flips` random bytes each, every tenth also cut short): each fails only with our errors; how many failed. */
async function damagedFailures(good: Uint8Array, count: number, flips: number, rand: () => number): Promise<number> {
  let failures = 0;
  for (let k = 0; k < count; k++) {
    const m = new Uint8Array(good);
    for (let j = 0; j < flips; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
    const cut = k % 10 === 0 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
    try {
      await loadTorch(cut);
    } catch (e) {
      failures++;
      expect(e).toBeInstanceOf(PickleError);
      expect((e as PickleError).code, String(e)).not.toBe('internal_error');
    }
  }
  return failures;
}

function described(t: TorchTensor): Want {
  const values = [...t.toTypedArray()].map((v) => (typeof v === 'bigint' ? v.toString() : v));
  return {
    dtype: t.dtype,
    shape: [...t.shape],
    stride: [...t.stride],
    offset: t.storageOffset,
    requires_grad: t.requiresGrad,
    parameter: t.isParameter,
    values,
  };
}

describe(`corpus/torch: ${valid.length} checkpoints load`, () => {
  it.each(valid)('%s', async (f) => {
    const want = expected(f);
    const sd = (await loadTorch(file(f))) as PyOrderedDict;
    expect(sd).toBeInstanceOf(PyOrderedDict);
    const tensors = Object.fromEntries([...sd].filter(([, v]) => v instanceof TorchTensor).map(([k, v]) => [k, described(v as TorchTensor)]));
    // float16 / bfloat16 are converted to float32: compare them as float32 values.
    for (const w of Object.values(want.tensors as Record<string, Want>)) {
      if (w.dtype === 'float16' || w.dtype === 'bfloat16') w.values = [...new Float32Array(w.values as number[])];
    }
    expect(tensors).toEqual(want.tensors);
    if (want.metadata) expect([...(sd.attributes!.get('_metadata') as Map<string, unknown>).keys()]).toEqual(want.metadata);
    if (want.size) expect(sd.get('size')).toEqual(PyTuple.fromArray(want.size));
  });
});

describe('tensors', () => {
  it('share storages, view them when contiguous, gather when strided', async () => {
    const sd = (await loadTorch(file('state_dict.pt'))) as Map<string, TorchTensor>;
    const a = sd.get('view.a')!;
    const t = sd.get('view.t')!;
    expect(a.storage).toBe(t.storage);
    expect(a.storage).toBeInstanceOf(TorchStorage);
    expect([a.storage.key, a.storage.location, a.storage.numel, a.storage.dtype]).toEqual(['2', 'cpu', 10, 'float32']);
    expect(a.isContiguous).toBe(false);
    expect(t.isContiguous).toBe(false);
    const w = sd.get('fc.weight')!;
    expect(w.isContiguous).toBe(true);
    const view = w.toTypedArray();
    expect(view.buffer).toBe(w.storage.data.buffer); // a view of the checkpoint bytes, not a copy
    expect([...sd.get('steps')!.toTypedArray()]).toEqual([2n ** 62n + 1n]);
    expect(sd.get('steps')!.ndim).toBe(0);
    expect(sd.get('empty')!.numel).toBe(0);
    // Big-endian checkpoints are swapped into a copy.
    const be = (await loadTorch(file('state_dict_big_endian.pt'))) as Map<string, TorchTensor>;
    expect(be.get('fc.weight')!.storage.byteorder).toBe('big');
    expect([...be.get('fc.weight')!.toTypedArray()]).toEqual([...view]);
  });

  it('zeroCopy: storages of stored members are views into the input; by default copies (a Buffer input too)', async () => {
    for (const input of [file('state_dict.pt'), readFileSync(join(dir, 'state_dict.pt'))]) {
      const viewed = (await loadTorch(input, { zeroCopy: true })) as Map<string, TorchTensor>;
      const copied = (await loadTorch(input)) as Map<string, TorchTensor>;
      expect(viewed.get('fc.weight')!.storage.data.buffer).toBe(input.buffer);
      expect(copied.get('fc.weight')!.storage.data.buffer).not.toBe(input.buffer);
      expect([...copied.get('fc.weight')!.toTypedArray()]).toEqual([...viewed.get('fc.weight')!.toTypedArray()]);
    }
    // Legacy storages likewise.
    const legacy = file('../containers/legacy.pt');
    const viewed = (await loadTorch(legacy, { zeroCopy: true })) as Map<string, TorchTensor>;
    expect(viewed.get('weight')!.storage.data.buffer).toBe(legacy.buffer);
    expect(((await loadTorch(legacy)) as Map<string, TorchTensor>).get('weight')!.storage.data.buffer).not.toBe(legacy.buffer);
  });

  it('the persistent ids resolve only through loadTorch, or loads with its storageLoader', () => {
    const zipped = file('state_dict.pt');
    const members = listZip(zipped).members;
    const bytesOf = (name: string) => {
      const m = members.find((x) => x.name === name)!;
      return zipped.subarray(m.dataOffset, m.dataOffset + m.size);
    };
    const pickle = bytesOf('archive/data.pkl');
    const policy = createPolicy({ packs: [shippedPack('pytorch-state-dict')] });
    expect(() => loads(pickle, { policy })).toThrow(expect.objectContaining({ code: 'no_persistent_load' }));
    const storages = new Map(members.filter((m) => m.name.startsWith('archive/data/')).map((m) => [m.name.slice(13), bytesOf(m.name)]));
    const sd = loads(pickle, { policy, persistentLoad: storageLoader(storages) }) as Map<string, TorchTensor>;
    expect([...sd.get('fc.bias')!.toTypedArray()]).toEqual([0.25, 0.5, 0.75]);
    const load = storageLoader(new Map([['0', new Uint8Array(24)]]));
    const pid = PyTuple.fromArray(['storage', new PyGlobal('torch', 'FloatStorage'), '0', 'cpu', 6]);
    expect(load(pid)).toBe(load(pid));
    // Only a PyGlobal names a storage type (not any object with the right fields).
    expect(() => load(PyTuple.fromArray(['storage', { module: 'torch', qualname: 'FloatStorage' }, '0', 'cpu', 6]))).toThrow(/unknown storage type/);
  });

  it('an empty tensor may sit anywhere; its typed array is empty', () => {
    const storage = new TorchStorage('float32', '0', 'cpu', 2, new Uint8Array(8));
    expect(new TorchTensor(storage, 2 ** 40, [0, 3], [3, 1]).toTypedArray()).toEqual(new Float32Array(0));
  });

  it('limits: maxMemberBytes, maxInflatedBytes and maxDepth (through OrderedDict attributes) raise LimitExceededError', async () => {
    const err = async (name: string, options: object) => {
      try {
        await loadTorch(file(name), options);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(await err('state_dict.pt', { maxMemberBytes: 100 })).toBeInstanceOf(LimitExceededError);
    expect(await err('state_dict_deflated.pt', { maxInflatedBytes: 1000 })).toMatchObject({ limit: 'maxInflatedBytes' });
    expect(await loadTorch(file('state_dict_deflated.pt'), { maxInflatedBytes: 100000 })).toBeInstanceOf(PyOrderedDict);
    // _metadata nests 3 deep inside the state dict: a maxDepth of 3 refuses it, though the dict itself is shallow.
    expect(await err('state_dict.pt', { maxDepth: 3 })).toMatchObject({ limit: 'maxDepth' });
    expect(await loadTorch(file('state_dict.pt'), { maxDepth: 5 })).toBeInstanceOf(PyOrderedDict);
  });
});

describe(`hostile checkpoints (${hostile.length}) fail with our errors`, () => {
  const classes: Record<string, unknown> = { MalformedPickleError, RefusedGlobalError };
  it.each(hostile)('%s', async (f) => {
    const want = expected(f);
    let error: unknown;
    try {
      await loadTorch(file(f));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(classes[want.error] as new () => Error);
    expect((error as PickleError).code).toBe(want.code);
    expect((error as Error).message).toMatch(new RegExp(want.match));
    // Errors that come from the pickle say where.
    if (want.code !== 'bad_checkpoint') {
      expect((error as PickleError).offset).toBeTypeOf('number');
      expect((error as PickleError).opcode).toBeDefined();
    }
  });

  it('zip damage and fuzzed checkpoints fail only with PickleErrors', async () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    expect(await damagedFailures(file('state_dict.pt'), 300, 4, rand)).toBeGreaterThan(0);
  });
});

describe('the auditor with the pytorch-state-dict pack', () => {
  it('finds state dicts safe and code in checkpoints unsafe', async () => {
    const policy = torchPolicy();
    const verdicts = async (name: string) => (await auditFile(file(name), name, { policy })).map((r) => `${r.uri} ${r.report.verdict}`);
    expect(await verdicts('state_dict.pt')).toEqual(['state_dict.pt safe', 'state_dict.pt!archive/data.pkl safe']);
    expect(await verdicts('parameters.pt')).toEqual(['parameters.pt safe', 'parameters.pt!archive/data.pkl safe']);
    expect(await verdicts('hostile_os_system.pt')).toContain('hostile_os_system.pt!archive/data.pkl unsafe');
    expect(await verdicts('hostile_torch_load.pt')).toContain('hostile_torch_load.pt!archive/data.pkl unsafe');
  });
});

describe('the pytorch-state-dict pack', () => {
  const policy = createPolicy({ packs: [shippedPack('pytorch-state-dict')] });
  const refused = (p: string) => {
    try {
      loads(bytes(p), { policy, persistentLoad: () => null });
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('refuses loaders, code and anything it does not name', () => {
    for (const p of [
      "ctorch\nload\n(S'x.pt'\ntR.",
      "ctorch.serialization\nload\n(S'x.pt'\ntR.",
      "ctorch.jit\nload\n(S'x.pt'\ntR.",
      "ctorch.hub\nload\n(S'a'\nS'b'\ntR.",
      "ctorch._utils\n_rebuild_device_tensor_from_numpy\n(tR.",
      "ctorch._utils\n_rebuild_qtensor\n(tR.",
      "ctorch\nTensor\n)\x81.",
      "cos\nsystem\n(S'id'\ntR.",
      "cbuiltins\neval\n(S'1'\ntR.",
      "ctorch\nFloatStorage\n(tR.",
      "ccollections\nCounter\n)R.",
      "ctorch._C\nimport_ir_module\n(tR.",
      "ctorch.ops.aten\nfull\n(tR.",
    ]) {
      expect(refused(p), p).toBeInstanceOf(RefusedGlobalError);
    }
    // PyTorch's loaders, compilers and native machinery are on the hard deny list: no pack can allow them.
    for (const [m, q] of [['torch.hub', 'load'], ['torch.jit', 'load'], ['torch._C', 'x'], ['torch.utils.cpp_extension', 'load_inline'], ['torch.serialization', '_get_layout']]) {
      expect(denialOf(m!, q!), `${m}.${q}`).toMatch(/hard deny list/);
    }
  });

  it('holds what it allows to a state dict: str attribute names set once, sizes of non-negative ints', () => {
    // Outside the pack's constraints (int attribute names, negative sizes): refused by the policy, as a name it lacks would be; an attribute set twice is malformed.
    expect(refused('\x80\x02ccollections\nOrderedDict\n)R}K\x01K\x02sb.')).toBeInstanceOf(RefusedGlobalError);
    expect(refused('\x80\x02ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00xK\x01sb}X\x01\x00\x00\x00yK\x01sb.')).toBeInstanceOf(MalformedPickleError);
    expect(refused("\x80\x02ctorch\nSize\nK\x02J\xff\xff\xff\xff\x86\x85R.")).toBeInstanceOf(RefusedGlobalError);
    expect(loads(bytes('\x80\x02ctorch\nSize\nK\x02K\x03\x86\x85R.'), { policy })).toEqual(PyTuple.fromArray([2, 3]));
  });
});

describe.skipIf(pythonMissing() !== null)('OrderedDict attributes (python-builtins 1.1.0)', () => {
  it("an OrderedDict with attributes, as CPython pickles it at protocols 0-5, loads and dumps back to CPython's bytes", () => {
    const pickles = JSON.parse(
      runPython(`
import collections, json, pickle
od = collections.OrderedDict([('a', 1), ('b', [2])])
od._metadata = collections.OrderedDict([('', {'version': 1})])
print(json.dumps([pickle.dumps(od, p).hex() for p in range(6)]))
`),
    ) as string[];
    pickles.forEach((h, p) => {
      const od = loads(Buffer.from(h, 'hex')) as PyOrderedDict;
      expect([...od.keys()]).toEqual(['a', 'b']);
      expect([...(od.attributes!.get('_metadata') as Map<string, unknown>)]).toEqual([['', new Map([['version', 1]])]]);
      expect(Buffer.from(dumps(od, { protocol: p })).toString('hex')).toBe(h);
    });
  });
});

describe('legacy checkpoints through loadTorch', () => {
  it('the tar format: storages, views of them and tensors, by key', async () => {
    const sd = (await loadTorch(legacyTar())) as PyOrderedDict<string, TorchTensor>;
    const [w, tail] = [sd.get('w')!, sd.get('tail')!];
    expect([w.shape, w.stride, [...w.toTypedArray()]]).toEqual([[2, 3], [3, 1], [1, 2, 3, 4, 5, 6]]);
    expect([tail.storage.numel, [...tail.toTypedArray()]]).toEqual([3, [3, 4, 5]]);
    expect(tail.storage.data.buffer).toBe(w.storage.data.buffer); // the view shares its root's bytes
  });

  it.each([
    ['a storage shorter than its count', { numel: 60 }, /runs past the end/],
    ['a tensor past its storage', { offset: 1 }, /reaches element 3 of a storage of 3/],
    ['a persistent id naming nothing', { pid: '99' }, /names no storage or tensor/],
    ['a tensor type the pack lacks', { tensorType: new PyGlobal('torch', 'EvilTensor') }, /torch\.EvilTensor/],
  ] as const)('the tar format refuses %s', async (_, edit, match) => {
    await expect(loadTorch(legacyTar(edit))).rejects.toThrow(match);
    await expect(loadTorch(legacyTar(edit))).rejects.toBeInstanceOf(PickleError);
  });

  it('the stream format: storage counts must match, the storage list must name what the object names', async () => {
    const legacy = file('../containers/legacy.pt');
    expect([...((await loadTorch(legacy)) as Map<string, TorchTensor>).get('weight')!.toTypedArray()]).toHaveLength(4);
    // Cut inside the storages, then a wrong count.
    await expect(loadTorch(legacy.subarray(0, legacy.length - 3))).rejects.toThrow(/runs past the end/);
    const wrong = legacy.slice();
    const at = legacy.length - 16 - 8;
    wrong.set(i64(5), at);
    await expect(loadTorch(wrong)).rejects.toThrow(/has 5 elements in the file, the object says 4/);
  });

  it('damaged and fuzzed legacy files (stream and tar) fail only with PickleErrors', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const realworld = join(import.meta.dirname, '..', 'corpus', 'realworld', 'torch', '1.13.0a0', 'checkpoint.legacy.pt');
    for (const good of [legacyTar(), file('../containers/legacy.pt'), new Uint8Array(readFileSync(realworld))]) {
      expect(await damagedFailures(good, 150, 3, rand)).toBeGreaterThan(0);
    }
  });

  it('refuses modules and quantized tensors, saying what weights_only does', async () => {
    const module = saveTorchLike(new PyObjectLike('torch.nn.modules.linear', 'Linear'));
    await expect(loadTorch(module)).rejects.toThrow(/torch\.nn\.modules\.linear\.Linear.*weights_only=True\) refuses it too/);
    const q = saveTorchLike(new PyObjectLike('torch._utils', '_rebuild_qtensor'));
    await expect(loadTorch(q)).rejects.toThrow(/quantized tensors are not read/);
    const sparse = saveTorchLike(new PyObjectLike('torch._utils', '_rebuild_sparse_tensor'));
    await expect(loadTorch(sparse)).rejects.toThrow(/weights_only=True\) allows it, but it is not read here/);
  });
});

/** A value that pickles as a call of `module.name()`. */
class PyObjectLike {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  [REDUCE]() {
    return { callable: new PyGlobal(this.module, this.name), args: [] };
  }
}

function saveTorchLike(value: unknown): Uint8Array {
  return saveTorch(new PyOrderedDict([['x', value]]));
}

/** A call of `torch._utils.<name>(*args)` as a pickle writes it. */
class Call {
  constructor(
    readonly name: string,
    readonly args: unknown[],
  ) {}
  [REDUCE]() {
    return { callable: new PyGlobal('torch._utils', this.name), args: this.args };
  }
}

describe('_rebuild_tensor_v3 and _rebuild_parameter_with_state', () => {
  const bytes4 = () => new TorchStorage('uint8', '0', 'cpu', 8, new Uint8Array(new Float32Array([1.5, -2]).buffer));
  const hooks = new PyOrderedDict();
  const v3 = (storage: TorchStorage, offset: number, size: number[], dtype = 'float32') =>
    new Call('_rebuild_tensor_v3', [storage, offset, PyTuple.fromArray(size), PyTuple.fromArray([1]), false, hooks, new PyGlobal('torch', dtype)]);

  it('see an untyped storage as the dtype; tensors of one storage and dtype share one TorchStorage', async () => {
    const s = bytes4();
    const sd = (await loadTorch(saveTorch(new Map([['a', v3(s, 0, [2])], ['b', v3(s, 1, [1])], ['c', v3(s, 0, [4], 'int16')]])))) as Map<string, TorchTensor>;
    expect([...sd.get('a')!.toTypedArray()]).toEqual([1.5, -2]);
    expect([...sd.get('b')!.toTypedArray()]).toEqual([-2]);
    expect(sd.get('a')!.storage).toBe(sd.get('b')!.storage);
    expect(sd.get('c')!.dtype).toBe('int16');
    expect(sd.get('c')!.storage.data.buffer).toBe(sd.get('a')!.storage.data.buffer);
  });

  it.each([
    ['an offset past the storage seen as the dtype', () => v3(bytes4(), 1, [2]), /reaches element 2 of a storage of 2/],
    ['a dtype that is not one', () => new Call('_rebuild_tensor_v3', [bytes4(), 0, PyTuple.fromArray([1]), PyTuple.fromArray([1]), false, hooks, new PyGlobal('torch', 'Size')]), /constraint|torch dtype/],
    ['a qint8 dtype', () => v3(bytes4(), 0, [1], 'qint8'), /torch\.qint8/],
    ['a parameter state that is no dict', () => new Call('_rebuild_parameter_with_state', [v3(bytes4(), 0, [1]), true, hooks, 5]), /constraint|state/],
  ] as const)('refuse %s', async (_, make, match) => {
    const error = await loadTorch(saveTorch(new Map([['x', make()]]))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PickleError);
    expect(String(error)).toMatch(match);
  });
});
