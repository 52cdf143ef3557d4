/**
 * `loadTorch`: a PyTorch zip checkpoint (what `torch.save` writes since PyTorch 1.6) loaded as data.
 * The archive holds `<prefix>/data.pkl` (the pickle), `<prefix>/data/<key>` (one member per
 * storage, raw bytes), `<prefix>/byteorder` and `<prefix>/version`. The pickle refers to storages
 * by persistent ids `('storage', torch.FloatStorage, key, location, numel)`; they resolve here to
 * `TorchStorage`s over the member bytes, each id checked (known storage type, existing member,
 * enough bytes) before use. The pickle loads under the `pytorch-state-dict` pack unless another
 * policy is given. Nothing in the checkpoint is ever run.
 */
import { MalformedPickleError, PickleError, RefusedGlobalError } from '../errors.js';
import { storageInfo, TorchStorage } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { shippedPack } from '../policy/default.js';
import { createPolicy } from '../policy/registry.js';
import { ReconstructorArgumentError, type Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { loads } from '../unpickler/unpickler.js';
import { isTar, listTar } from './tar.js';
import { isLegacyStream, loadLegacyStream, loadLegacyTar } from './torch-legacy.js';
import { isZip, listZip } from './zip.js';
import { ZipReader } from './zip-read.js';

export interface TorchLoadOptions extends Omit<LoadOptions, 'persistentLoad' | 'buffers'> {
  /** Most bytes one member may have (stored) or inflate to (deflated). Default 1 GiB. */
  maxMemberBytes?: number;
  /** Most bytes all deflated members together may inflate to. Default 2 GiB. */
  maxInflatedBytes?: number;
}

let defaultPolicy: Policy | undefined;

/** The policy `loadTorch` uses by default: the shipped `pytorch-state-dict` pack alone. */
export function torchPolicy(): Policy {
  return (defaultPolicy ??= createPolicy({ name: 'pytorch-state-dict', packs: [shippedPack('pytorch-state-dict')] }));
}

const bad = (message: string): never => {
  throw new MalformedPickleError('bad_checkpoint', message);
};

/** A storage a persistent id names, checked against the checkpoint's members. */
interface StorageRef {
  readonly dtype: TorchStorage['dtype'];
  readonly key: string;
  readonly location: string;
  readonly numel: number;
  /** numel × itemsize. */
  readonly need: number;
}

/**
 * The checks a persistent id `('storage', torch.<Type>Storage, key, location, numel)` passes before
 * a storage is made: its shape, a known storage type, member `data/<key>` of `sizes[key]` bytes
 * holding numel items, and one size for one key. Throws what loading throws.
 */
export function storageChecker(sizes: ReadonlyMap<string, number>): (pid: unknown) => StorageRef {
  const numels = new Map<string, number>();
  return (pid: unknown) => {
    const fail = (message: string): never => {
      throw new ReconstructorArgumentError(message);
    };
    if (!(pid instanceof PyTuple) || pid.length !== 5 || pid[0] !== 'storage') {
      return fail("a persistent id must be ('storage', storage_type, key, location, numel)");
    }
    const [, type, key, location, numel] = pid;
    const info = storageInfo(type);
    if (info === undefined) return fail(`unknown storage type ${String(type)}`);
    if (typeof key !== 'string' || key.length > 256) return fail('a storage key must be a short str');
    if (typeof location !== 'string' || location.length > 64) return fail('a storage location must be a short str');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail('a storage numel must be a non-negative integer');
    const size = sizes.get(key);
    if (size === undefined) return fail(`storage ${JSON.stringify(key)} has no member data/${key} in the checkpoint`);
    const need = numel * info.itemsize;
    if (!Number.isSafeInteger(need) || need > size) {
      return fail(`storage ${JSON.stringify(key)} holds ${numel} × ${info.itemsize} bytes, its member has ${size}`);
    }
    const id = `${key}\n${info.dtype}`;
    const known = numels.get(id);
    if (known !== undefined && known !== numel) fail(`storage ${JSON.stringify(key)} is given two sizes (${known} and ${numel})`);
    numels.set(id, numel);
    return { dtype: info.dtype, key, location, numel, need };
  };
}

/**
 * The persistentLoad for a checkpoint's storages: `('storage', torch.<Type>Storage, key, location,
 * numel)` → the `TorchStorage` of member `data/<key>`, the same object for the same id.
 */
export function storageLoader(members: ReadonlyMap<string, Uint8Array>, byteorder: 'little' | 'big' = 'little'): (pid: unknown) => TorchStorage {
  const sizes = new Map([...members].map(([k, v]) => [k, v.length]));
  return sharedStorages(sizes, (key, need) => members.get(key)!.subarray(0, need), byteorder);
}

const NO_DATA = new Uint8Array(0);

/**
 * The persistentLoad the auditor uses for a checkpoint: the same checks as `storageLoader`, against
 * the members' sizes as the directory gives them, returning storages that carry no data (the audit
 * reads no tensor bytes; only the storages' sizes are checked by the tensors built on them).
 */
export function auditStorageLoader(sizes: ReadonlyMap<string, number>): (pid: unknown) => TorchStorage {
  return sharedStorages(sizes, () => NO_DATA, 'little');
}

/** Checked persistent ids → storages over `bytesOf(key, need)`, one object per (key, dtype). */
function sharedStorages(
  sizes: ReadonlyMap<string, number>,
  bytesOf: (key: string, need: number) => Uint8Array,
  byteorder: 'little' | 'big',
): (pid: unknown) => TorchStorage {
  const check = storageChecker(sizes);
  const made = new Map<string, TorchStorage>();
  return (pid: unknown) => {
    const ref = check(pid);
    const id = `${ref.key}\n${ref.dtype}`;
    let storage = made.get(id);
    if (storage === undefined) {
      storage = new TorchStorage(ref.dtype, ref.key, ref.location, ref.numel, bytesOf(ref.key, ref.need), byteorder);
      made.set(id, storage);
    }
    return storage;
  };
}

/** Quantized storages, dtypes and their rebuild function: refused by name. */
const QUANTIZED = /^(torch\.Q(U?Int\d+(x\d+)?)Storage|torch\._utils\._rebuild_qtensor|torch\.(quint|qint)\w+|torch\.per_\w+)$/;
/** Other names `torch.load(weights_only=True)` (torch 2.x) allows that the pack does not (sparse, meta, nested, subclassed tensors): a refusal of these is ours alone. */
const TORCH_ALLOWS = /^(torch\._utils\._rebuild_\w+|torch\._tensor\._rebuild_from_type_v2|torch\.serialization\._get_layout|torch\.Tensor|torch\.nn\.parameter\.Parameter|torch\.(sparse_\w+|strided|_mkldnn)|torch\.storage\.\w+Storage|collections\.Counter)$/;

/** A refusal, said again with what torch's own safe load does with the same name. */
function withTorchNote(e: RefusedGlobalError): RefusedGlobalError {
  const name = `${e.module}.${e.qualname}`;
  const note = QUANTIZED.test(name)
    ? 'quantized tensors are not read'
    : TORCH_ALLOWS.test(name)
      ? 'torch.load(weights_only=True) allows it, but it is not read here (sparse, meta, nested and subclassed tensors are not)'
      : 'torch.load(weights_only=True) refuses it too (a state dict holds only tensors and plain data)';
  const said = e.message.replace(/ \(at byte \d+(, opcode \w+)?\)$/, '');
  const message = said.endsWith('.') ? `${said} ${note.replace(/^q/, 'Q')}.` : `${said}; ${note}`;
  return new RefusedGlobalError(e.module, e.qualname, message, { offset: e.offset, opcode: e.opcode?.byte }, e.allowWith);
}

/**
 * Load a PyTorch checkpoint: the value of its pickle (for a state dict, a `PyOrderedDict` of name →
 * `TorchTensor`, its `_metadata` in `attributes`). Reads the zip form (torch ≥ 1.6), the legacy
 * stream form (`_use_new_zipfile_serialization=False`, and torch < 1.6) and the tar form (torch < 0.4).
 * With `zeroCopy`, storages of stored zip members (and legacy storages) are views into `bytes`,
 * which must then outlive the value and not change; else each is copied.
 * Throws `PickleError`s: `MalformedPickleError` with code `bad_checkpoint` for a file that is not a
 * sound checkpoint, `LimitExceededError` for members past `maxMemberBytes` / `maxInflatedBytes`,
 * `RefusedGlobalError` for TorchScript archives and names the policy lacks (modules, functions),
 * and whatever the pickle itself causes (bad persistent ids, tensors reaching past their storage, …).
 */
export async function loadTorch(bytes: Uint8Array, options: TorchLoadOptions = {}): Promise<unknown> {
  try {
    return await loadAny(bytes, options);
  } catch (e) {
    // Only names the state-dict pack lacks get the note (not a use or arguments it refuses, nor names a narrower policy lacks).
    const note = e instanceof RefusedGlobalError && !e.message.includes('weights_only') && torchPolicy().resolve(e.module, e.qualname) === undefined;
    throw note ? withTorchNote(e) : e;
  }
}

async function loadAny(bytes: Uint8Array, options: TorchLoadOptions): Promise<unknown> {
  const policy = options.policy ?? torchPolicy();
  if (!isZip(bytes)) {
    if (isLegacyStream(bytes)) return loadLegacyStream(bytes, { ...options, policy });
    if (isTar(bytes)) {
      let tar;
      try {
        tar = listTar(bytes);
      } catch (e) {
        return bad(`the tar archive cannot be read: ${(e as Error).message}`);
      }
      return loadLegacyTar(bytes, tar, { ...options, policy });
    }
    bad('not a PyTorch zip checkpoint, legacy stream or tar');
  }
  const reader = new ZipReader(bytes, { code: 'bad_checkpoint', maxMemberBytes: options.maxMemberBytes, maxInflatedBytes: options.maxInflatedBytes, zeroCopy: options.zeroCopy === true });
  let listing;
  try {
    listing = listZip(bytes);
  } catch (e) {
    if (e instanceof PickleError) throw e;
    return bad(`the archive cannot be read: ${(e as Error).message}`);
  }
  const serious = listing.findings.find((f) => f.severity === 'high');
  if (serious !== undefined) bad(`the archive is inconsistent: ${serious.message}`);
  if (listing.members.some((m) => /^[^/]+\/(constants\.pkl|code\/)/.test(m.name))) {
    throw new RefusedGlobalError(
      'torch.jit',
      'load',
      'a TorchScript archive (code/, constants.pkl): its code is never run; torch.load(weights_only=True) refuses it too',
    );
  }
  const pickles = listing.members.filter((m) => /^[^/]+\/data\.pkl$/.test(m.name));
  if (pickles.length !== 1) bad(pickles.length === 0 ? 'no <prefix>/data.pkl member: not a PyTorch checkpoint' : 'several data.pkl members');
  const prefix = pickles[0]!.name.slice(0, -'/data.pkl'.length);
  const storages = new Map<string, Uint8Array>();
  let byteorder: 'little' | 'big' = 'little';
  let pickle: Uint8Array | undefined;
  for (const m of listing.members) {
    if (!m.name.startsWith(`${prefix}/`)) bad(`member ${JSON.stringify(m.name)} is outside the checkpoint's ${prefix}/ directory`);
    const rest = m.name.slice(prefix.length + 1);
    if (rest === 'data.pkl') pickle = await reader.read(m);
    else if (rest.startsWith('data/')) storages.set(rest.slice(5), await reader.read(m));
    else if (rest === 'byteorder') {
      if (m.size > 16) bad('the byteorder member is longer than "little"');
      const text = new TextDecoder().decode(await reader.read(m)).trim();
      if (text !== 'little' && text !== 'big') bad(`byteorder must be "little" or "big", the checkpoint says ${JSON.stringify(text.slice(0, 16))}`);
      byteorder = text as 'little' | 'big';
    }
  }
  return loads(pickle!, { ...options, policy, persistentLoad: storageLoader(storages, byteorder) });
}
