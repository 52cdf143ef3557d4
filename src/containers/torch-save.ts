/**
 * `saveTorch`: a value holding `TorchTensor`s written as a PyTorch zip checkpoint, laid out as
 * `torch.save` lays it out: `<prefix>/data.pkl` (protocol 2; each storage a persistent id
 * `('storage', torch.<Type>Storage, key, location, numel)`, keys '0', '1', … in order of first use),
 * `<prefix>/byteorder`, one stored member `<prefix>/data/<key>` per storage (data 64-byte aligned,
 * little-endian), `<prefix>/version`. Tensors of the dtypes torch 2.x added (float8, uint16/32/64,
 * complex32) are written as torch 2.x writes them: `_rebuild_tensor_v3` over an UntypedStorage.
 */
import { PicklingError } from '../errors.js';
import { PyGlobal } from '../model/global.js';
import { storageTypeOf, TorchStorage } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { dumps } from '../pickler/dumps.js';
import { writeZip, type ZipEntry } from './zip-write.js';

export interface TorchSaveOptions {
  /** The archive's top directory (torch uses the file's stem, or "archive"). Default "archive". */
  prefix?: string;
  /** Pickle protocol of data.pkl. Default 2, as torch.save. */
  protocol?: number;
}

/** A storage's bytes little-endian: the same bytes, or a swapped copy of a big-endian storage. */
function littleEndian(s: TorchStorage): Uint8Array {
  if (s.byteorder === 'little' || s.itemsize === 1) return s.data;
  const part = s.dtype.startsWith('complex') ? s.itemsize / 2 : s.itemsize;
  const out = new Uint8Array(s.data.length);
  for (let i = 0; i < out.length; i += part) for (let b = 0; b < part; b++) out[i + b] = s.data[i + part - 1 - b]!;
  return out;
}

/** Write `value` (a state dict, a checkpoint dict, … of TorchTensors and plain data) as a zip checkpoint. */
export function saveTorch(value: unknown, options: TorchSaveOptions = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  if (!/^[^/\\]+$/.test(prefix) || prefix === '.' || prefix === '..') throw new PicklingError('bad_prefix', `the archive prefix must be one path component, not ${JSON.stringify(prefix)}`);
  const keys = new Map<TorchStorage, string>();
  const persistentId = (v: unknown): unknown => {
    if (!(v instanceof TorchStorage)) return null;
    if (v.data.length !== v.numel * v.itemsize) {
      throw new PicklingError('no_storage_data', `storage ${JSON.stringify(v.key)} has ${v.data.length} bytes for ${v.numel} elements of ${v.itemsize}: not a loaded storage`);
    }
    let key = keys.get(v);
    if (key === undefined) keys.set(v, (key = String(keys.size)));
    const type = storageTypeOf(v.dtype);
    const untyped = type.qualname === 'UntypedStorage';
    return PyTuple.fromArray(['storage', new PyGlobal(type.module, type.qualname), key, v.location, untyped ? v.data.length : v.numel]);
  };
  const pickle = dumps(value, { protocol: options.protocol ?? 2, persistentId });
  const text = (s: string) => new TextEncoder().encode(s);
  const entries: ZipEntry[] = [
    { name: `${prefix}/data.pkl`, data: pickle },
    { name: `${prefix}/byteorder`, data: text('little') },
    ...[...keys].map(([storage, key]) => ({ name: `${prefix}/data/${key}`, data: littleEndian(storage) })),
    { name: `${prefix}/version`, data: text('3\n') },
  ];
  return writeZip(entries, 64);
}
