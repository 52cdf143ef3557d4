/**
 * Loading legacy PyTorch checkpoints (what `torch.save(..., _use_new_zipfile_serialization=False)`
 * writes, and the older tar format), as `torch.serialization._legacy_load` reads them, to the same
 * values `loadTorch` gives for the zip form. The layouts are described in torch-legacy.ts (the
 * auditor's walk of them). Storage data is little-endian (torch writes it so on every platform).
 */
import { MalformedPickleError } from '../errors.js';
import { storageInfo, TORCH_STORAGE_TYPES, TorchStorage, TorchTensor, type TorchDtype } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { checkView } from '../policy/reconstructors/torch.js';
import { ReconstructorArgumentError, type Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { tarMember, type TarListing } from './tar.js';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const NO_DATA = new Uint8Array(0);

type Options = Omit<LoadOptions, 'persistentLoad' | 'buffers'> & { policy: Policy };

const bad = (message: string): never => {
  throw new MalformedPickleError('bad_checkpoint', `legacy torch checkpoint: ${message}`);
};
const badId = (message: string): never => {
  throw new ReconstructorArgumentError(message);
};

/** Reads pickles one after another (each with a fresh memo, as each `pickle.load` has) and raw fields between them. */
class Stream {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    private readonly options: Options,
  ) {}

  pickle(persistentLoad?: (pid: unknown) => unknown): unknown {
    if (this.at >= this.bytes.length) bad(`a pickle is missing at byte ${this.at}`);
    const u = new Unpickler(this.bytes.subarray(this.at), { ...this.options, persistentLoad: persistentLoad ?? null });
    const value = u.load();
    this.at += u.position;
    return value;
  }

  /** `n` raw bytes (a view or a copy, as zeroCopy says). */
  raw(n: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length - this.at) bad(`${what} runs past the end of the file`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return this.options.zeroCopy ? out : Uint8Array.prototype.slice.call(out); // not Buffer#slice, which is a view
  }

  int(width: 4 | 8, what: string): number {
    if (this.at + width > this.bytes.length) bad(`${what} runs past the end of the file`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, width);
    this.at += width;
    if (width === 4) return view.getInt32(0, true);
    const v = view.getBigInt64(0, true);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : bad(`${what} is out of range`);
  }
}

function storageType(type: unknown): { dtype: TorchDtype; itemsize: number } {
  const info = storageInfo(type);
  if (info === TORCH_STORAGE_TYPES.get('UntypedStorage')) return badId('the legacy format has no untyped storages');
  return info ?? badId(`unknown storage type ${String(type)}`);
}

const count = (v: unknown, what: string): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(`${what} is not a non-negative int`));

interface Root {
  dtype: TorchDtype;
  itemsize: number;
  location: string;
  numel: number;
  views: Map<string, { offset: number; numel: number }>;
}

/**
 * The stream format: magic number, protocol version, sys_info, the object, the storage keys, then
 * per key an int64 element count and the elements. The object is read twice: once to learn which
 * storages its persistent ids name (with empty stand-ins), then with the storages read.
 */
export function loadLegacyStream(bytes: Uint8Array, options: Options): unknown {
  const s = new Stream(bytes, options);
  const magic = s.pickle();
  if (magic !== MAGIC_NUMBER) bad('the magic number is wrong');
  if (s.pickle() !== PROTOCOL_VERSION) bad(`the protocol version is not ${PROTOCOL_VERSION}`);
  const sysInfo = s.pickle();
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) bad('it was written on a big-endian machine, whose layout is not read');
  const objectAt = s.at;
  const roots = new Map<string, Root>();
  /** ('storage', type, root key, location, root numel, None | (view key, offset, numel)) → [root key, view key or null]. */
  const parse = (pid: unknown): [string, string | null] => {
    if (!(pid instanceof PyTuple) || pid.length !== 6 || pid[0] !== 'storage') {
      return badId("a legacy persistent id must be ('storage', storage_type, key, location, numel, view)");
    }
    const [, type, key, location, numel, view] = pid;
    const { dtype, itemsize } = storageType(type);
    if (typeof key !== 'string' || key.length > 256 || typeof location !== 'string' || location.length > 64) return badId('a storage key and location must be short strs');
    const n = typeof numel === 'number' && Number.isSafeInteger(numel) && numel >= 0 ? numel : badId('a storage numel must be a non-negative integer');
    let root = roots.get(key);
    if (root === undefined) roots.set(key, (root = { dtype, itemsize, location, numel: n, views: new Map() }));
    else if (root.dtype !== dtype || root.numel !== n) badId(`storage ${JSON.stringify(key)} is named with two types or sizes`);
    if (view === null) return [key, null];
    if (!(view instanceof PyTuple) || view.length !== 3 || typeof view[0] !== 'string' || view[0].length > 256) return badId('a storage view must be (key, offset, numel)');
    const [viewKey, offset, size] = view as unknown as [string, unknown, unknown];
    if (typeof offset !== 'number' || typeof size !== 'number' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > n) {
      return badId(`storage view ${JSON.stringify(viewKey)} lies outside its storage of ${n}`);
    }
    const known = root.views.get(viewKey);
    if (known !== undefined && (known.offset !== offset || known.numel !== size)) badId(`storage view ${JSON.stringify(viewKey)} is given twice, differently`);
    root.views.set(viewKey, { offset, numel: size });
    return [key, viewKey];
  };
  s.pickle((pid) => {
    const [key, viewKey] = parse(pid);
    const root = roots.get(key)!;
    const v = viewKey === null ? root : root.views.get(viewKey)!;
    return new TorchStorage(root.dtype, viewKey ?? key, root.location, v.numel, NO_DATA);
  });
  const keys = s.pickle();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) bad('the storage keys are not a list of str');
  const data = new Map<string, Uint8Array>();
  for (const key of keys as string[]) {
    const root = roots.get(key) ?? bad(`storage ${JSON.stringify(key)} is listed but the object never names it`);
    if (data.has(key)) bad(`storage ${JSON.stringify(key)} is listed twice`);
    const n = s.int(8, `the size of storage ${JSON.stringify(key)}`);
    if (n !== root.numel) bad(`storage ${JSON.stringify(key)} has ${n} elements in the file, the object says ${root.numel}`);
    data.set(key, s.raw(n * root.itemsize, `the data of storage ${JSON.stringify(key)}`));
  }
  const made = new Map<string, TorchStorage>();
  s.at = objectAt;
  return s.pickle((pid) => {
    const [key, viewKey] = parse(pid);
    const id = viewKey === null ? `${key}\n` : `${key}\n${viewKey}`;
    let storage = made.get(id);
    if (storage === undefined) {
      const root = roots.get(key)!;
      const bytesOf = data.get(key) ?? badId(`storage ${JSON.stringify(key)} is not in the file's storage list`);
      const v = viewKey === null ? { offset: 0, numel: root.numel } : root.views.get(viewKey)!;
      storage = new TorchStorage(root.dtype, viewKey ?? key, root.location, v.numel, bytesOf.subarray(v.offset * root.itemsize, (v.offset + v.numel) * root.itemsize));
      made.set(id, storage);
    }
    return storage;
  });
}

/**
 * The tar format (torch before 0.4): member `storages` (a count, then per storage a (key, location,
 * type) pickle, an int64 count and the elements, then a views list (view key, root key, offset,
 * numel)), member `tensors` (a count, then per tensor a (key, storage key, tensor type) pickle, an
 * int32 ndim and 4 bytes, ndim int64 sizes, ndim int64 strides, an int64 offset), member `pickle`
 * (the object, whose persistent ids are those keys).
 */
export function loadLegacyTar(bytes: Uint8Array, tar: TarListing, options: Options): unknown {
  if (tar.problems.length > 0) bad(`the tar archive is inconsistent: ${tar.problems[0]}`);
  const member = (name: string): Stream => {
    const m = tarMember(tar, name) ?? bad(`no member ${JSON.stringify(name)}`);
    return new Stream(bytes.subarray(m.offset, m.offset + m.size), options);
  };
  const objects = new Map<string, TorchStorage | TorchTensor>();
  const keyOf = (v: unknown, what: string): string => {
    const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' && /^-?\d{1,20}$/.test(v.trim()) ? String(BigInt(v.trim())) : typeof v === 'bigint' ? String(v) : null;
    return text ?? bad(`${what} is not an int key`);
  };
  const storages = member('storages');
  const nStorages = count(storages.pickle(), 'the storage count');
  for (let i = 0; i < nStorages; i++) {
    const header = storages.pickle();
    if (!(header instanceof PyTuple) || header.length !== 3) bad('a storage header is not (key, location, storage type)');
    const [k, location, type] = header as unknown as [unknown, unknown, unknown];
    const key = keyOf(k, 'a storage key');
    const { dtype, itemsize } = storageType(type);
    if (typeof location !== 'string' || location.length > 64) bad('a storage location must be a short str');
    if (objects.has(key)) bad(`key ${key} is given twice`);
    const n = storages.int(8, `the size of storage ${key}`);
    if (n < 0) bad(`storage ${key} has a negative size`);
    objects.set(key, new TorchStorage(dtype, key, location as string, n, storages.raw(n * itemsize, `the data of storage ${key}`)));
  }
  const views = storages.pickle();
  if (!Array.isArray(views)) bad('the storage views are not a list');
  for (const view of views as unknown[]) {
    if (!(view instanceof PyTuple) || view.length !== 4) bad('a storage view is not (key, root key, offset, numel)');
    const [k, r, offset, numel] = view as unknown as unknown[];
    const key = keyOf(k, 'a view key');
    const root = objects.get(keyOf(r, 'a view root'));
    if (!(root instanceof TorchStorage)) return bad(`storage view ${key} names no storage`);
    const o = count(offset, 'a view offset');
    const n = count(numel, 'a view numel');
    if (o + n > root.numel) bad(`storage view ${key} lies outside its storage of ${root.numel}`);
    if (objects.has(key)) bad(`key ${key} is given twice`);
    objects.set(key, new TorchStorage(root.dtype, key, root.location, n, root.data.subarray(o * root.itemsize, (o + n) * root.itemsize)));
  }
  const tensors = member('tensors');
  const nTensors = count(tensors.pickle(), 'the tensor count');
  for (let i = 0; i < nTensors; i++) {
    const header = tensors.pickle();
    if (!(header instanceof PyTuple) || header.length !== 3) return bad('a tensor header is not (key, storage key, tensor type)');
    const key = keyOf(header[0], 'a tensor key');
    const storage = objects.get(keyOf(header[1], 'a tensor storage key'));
    if (!(storage instanceof TorchStorage)) return bad(`tensor ${key} names no storage`);
    const ndim = tensors.int(4, 'a tensor header');
    if (ndim < 0 || ndim > 64) bad(`tensor ${key} has ${ndim} dimensions`);
    tensors.int(4, 'a tensor header');
    const shape: number[] = [];
    const stride: number[] = [];
    for (let d = 0; d < ndim; d++) shape.push(count(tensors.int(8, 'a tensor size'), 'a tensor size'));
    for (let d = 0; d < ndim; d++) stride.push(count(tensors.int(8, 'a tensor stride'), 'a tensor stride'));
    const offset = count(tensors.int(8, 'a tensor offset'), 'a tensor offset');
    try {
      checkView(storage, offset, shape, stride);
    } catch (e) {
      bad(`tensor ${key}: ${(e as Error).message}`);
    }
    if (objects.has(key)) bad(`key ${key} is given twice`);
    objects.set(key, new TorchTensor(storage, offset, shape, stride));
  }
  return member('pickle').pickle((pid) => {
    if (pid instanceof PyTuple) return badId("a ('module', …) persistent id: a pickled nn.Module, which torch.load(weights_only=True) refuses too");
    const key = keyOf(pid, 'a persistent id');
    return objects.get(key) ?? badId(`persistent id ${key} names no storage or tensor in the checkpoint`);
  });
}
