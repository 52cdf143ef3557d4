/**
 * `loadTorch`: a PyTorch zip checkpoint (what `torch.save` writes since PyTorch 1.6) loaded as data.
 * The archive holds `<prefix>/data.pkl` (the pickle), `<prefix>/data/<key>` (one member per
 * storage, raw bytes), `<prefix>/byteorder` and `<prefix>/version`. The pickle refers to storages
 * by persistent ids `('storage', torch.FloatStorage, key, location, numel)`; they resolve here to
 * `TorchStorage`s over the member bytes, each id checked (known storage type, existing member,
 * enough bytes) before use. The pickle loads under the `pytorch-state-dict` pack unless another
 * policy is given. Nothing in the checkpoint is ever run.
 */
import { MalformedPickleError, PickleError } from '../errors.js';
import { TORCH_STORAGE_TYPES, TorchStorage } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { shippedPack } from '../policy/default.js';
import { createPolicy } from '../policy/registry.js';
import { ReconstructorArgumentError, type Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { loads } from '../unpickler/unpickler.js';
import { decompress } from './open.js';
import { isZip, listZip, type ZipMember } from './zip.js';

export interface TorchLoadOptions extends Omit<LoadOptions, 'persistentLoad' | 'buffers'> {
  /** Most bytes one member may inflate to. Default 1 GiB. */
  maxMemberBytes?: number;
}

let defaultPolicy: Policy | undefined;

/** The policy `loadTorch` uses by default: the shipped `pytorch-state-dict` pack alone. */
export function torchPolicy(): Policy {
  return (defaultPolicy ??= createPolicy({ name: 'pytorch-state-dict', packs: [shippedPack('pytorch-state-dict')] }));
}

const bad = (message: string): never => {
  throw new MalformedPickleError('bad_checkpoint', message);
};

async function memberBytes(bytes: Uint8Array, m: ZipMember, limit: number): Promise<Uint8Array> {
  if (m.encrypted) bad(`member ${JSON.stringify(m.name)} is encrypted`);
  const raw = bytes.subarray(m.dataOffset, m.dataOffset + m.compressedSize);
  if (m.method === 0) {
    if (m.size !== m.compressedSize) bad(`stored member ${JSON.stringify(m.name)} has inconsistent sizes`);
    if (m.size > limit) bad(`member ${JSON.stringify(m.name)} has ${m.size} bytes, more than maxMemberBytes (${limit})`);
    return raw;
  }
  if (m.method !== 8) bad(`member ${JSON.stringify(m.name)} uses compression method ${m.method}, which is not read`);
  if (m.size > limit) bad(`member ${JSON.stringify(m.name)} inflates to ${m.size} bytes, more than maxMemberBytes (${limit})`);
  let out: Uint8Array;
  try {
    out = await decompress(raw, 'deflate-raw', limit);
  } catch (e) {
    return bad(`member ${JSON.stringify(m.name)} cannot be inflated: ${(e as Error).message}`);
  }
  if (out.length !== m.size) bad(`member ${JSON.stringify(m.name)} inflates to ${out.length} bytes, its header says ${m.size}`);
  return out;
}

/**
 * The persistentLoad for a checkpoint's storages: `('storage', torch.<Type>Storage, key, location,
 * numel)` → the `TorchStorage` of member `data/<key>`, the same object for the same id.
 */
export function storageLoader(members: ReadonlyMap<string, Uint8Array>, byteorder: 'little' | 'big' = 'little'): (pid: unknown) => TorchStorage {
  const made = new Map<string, TorchStorage>();
  return (pid: unknown) => {
    const fail = (message: string): never => {
      throw new ReconstructorArgumentError(message);
    };
    if (!(pid instanceof PyTuple) || pid.length !== 5 || pid[0] !== 'storage') {
      return fail("a persistent id must be ('storage', storage_type, key, location, numel)");
    }
    const [, type, key, location, numel] = pid;
    const g = type as { module?: unknown; qualname?: unknown } | null;
    const info = g !== null && typeof g === 'object' && g.module === 'torch' && typeof g.qualname === 'string' ? TORCH_STORAGE_TYPES.get(g.qualname) : undefined;
    if (info === undefined) return fail(`unknown storage type ${String(type)}`);
    if (typeof key !== 'string' || key.length > 256) return fail('a storage key must be a short str');
    if (typeof location !== 'string' || location.length > 64) return fail('a storage location must be a short str');
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail('a storage numel must be a non-negative integer');
    const data = members.get(key);
    if (data === undefined) return fail(`storage ${JSON.stringify(key)} has no member data/${key} in the checkpoint`);
    const need = numel * info.itemsize;
    if (!Number.isSafeInteger(need) || need > data.length) {
      return fail(`storage ${JSON.stringify(key)} holds ${numel} × ${info.itemsize} bytes, its member has ${data.length}`);
    }
    const id = `${key}\n${info.dtype}`;
    const known = made.get(id);
    if (known !== undefined) {
      if (known.numel !== numel) fail(`storage ${JSON.stringify(key)} is given two sizes (${known.numel} and ${numel})`);
      return known;
    }
    const storage = new TorchStorage(info.dtype, key, location, numel, data.subarray(0, need), byteorder);
    made.set(id, storage);
    return storage;
  };
}

/**
 * Load a PyTorch zip checkpoint: the value of its `data.pkl` (for a state dict, a
 * `PyOrderedDict` of name → `TorchTensor`, its `_metadata` in `attributes`). Throws `PickleError`s: `MalformedPickleError` with
 * code `bad_checkpoint` for an archive that is not a sound checkpoint, and whatever the pickle
 * itself causes (refused globals, bad persistent ids, tensors reaching past their storage, …).
 */
export async function loadTorch(bytes: Uint8Array, options: TorchLoadOptions = {}): Promise<unknown> {
  if (!isZip(bytes)) bad('not a PyTorch zip checkpoint (legacy, pre-1.6 checkpoints are not read)');
  const limit = options.maxMemberBytes ?? 1 << 30;
  let listing;
  try {
    listing = listZip(bytes);
  } catch (e) {
    if (e instanceof PickleError) throw e;
    return bad(`the archive cannot be read: ${(e as Error).message}`);
  }
  const serious = listing.findings.find((f) => f.severity === 'high');
  if (serious !== undefined) bad(`the archive is inconsistent: ${serious.message}`);
  const pickles = listing.members.filter((m) => /^[^/]+\/data\.pkl$/.test(m.name));
  if (pickles.length !== 1) bad(pickles.length === 0 ? 'no <prefix>/data.pkl member: not a PyTorch checkpoint' : 'several data.pkl members');
  const prefix = pickles[0]!.name.slice(0, -'/data.pkl'.length);
  const storages = new Map<string, Uint8Array>();
  let byteorder: 'little' | 'big' = 'little';
  let pickle: Uint8Array | undefined;
  for (const m of listing.members) {
    if (!m.name.startsWith(`${prefix}/`)) bad(`member ${JSON.stringify(m.name)} is outside the checkpoint's ${prefix}/ directory`);
    const rest = m.name.slice(prefix.length + 1);
    if (rest === 'data.pkl') pickle = await memberBytes(bytes, m, limit);
    else if (rest.startsWith('data/')) storages.set(rest.slice(5), await memberBytes(bytes, m, limit));
    else if (rest === 'byteorder') {
      const text = new TextDecoder().decode(await memberBytes(bytes, m, 16)).trim();
      if (text !== 'little' && text !== 'big') bad(`byteorder must be "little" or "big", the checkpoint says ${JSON.stringify(text.slice(0, 16))}`);
      byteorder = text as 'little' | 'big';
    }
  }
  return loads(pickle!, { ...options, policy: options.policy ?? torchPolicy(), persistentLoad: storageLoader(storages, byteorder) });
}
