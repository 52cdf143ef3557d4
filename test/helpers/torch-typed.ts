/** The typed JSON corpus/realworld/gen_torch.py writes for torch values, computed from ours (tests of loadTorch and saveTorch). */
import { createHash } from 'node:crypto';
import { PyFloat, PyGlobal, PyOrderedDict, PyTuple, TorchDevice, TorchStorage, TorchTensor } from '../../src/index.js';

/** Row-major element bytes of a tensor, little-endian, gathered through its strides. */
export function elementBytes(t: TorchTensor): Uint8Array {
  const size = t.storage.itemsize;
  const out = new Uint8Array(t.numel * size);
  const data = t.storage.data;
  const idx = new Array<number>(t.ndim).fill(0);
  // Complex elements swap as two halves; everything else as one item.
  const part = t.dtype.startsWith('complex') ? size / 2 : size;
  for (let k = 0; k < t.numel; k++) {
    let at = t.storageOffset;
    for (let d = 0; d < t.ndim; d++) at += idx[d]! * t.stride[d]!;
    const src = data.subarray(at * size, at * size + size);
    for (let p = 0; p < size; p += part) {
      for (let b = 0; b < part; b++) out[k * size + p + b] = t.storage.byteorder === 'little' ? src[p + b]! : src[p + part - 1 - b]!;
    }
    for (let d = t.ndim - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const num = (v: unknown): unknown => (typeof v === 'string' && /^-?(nan|inf)$/.test(v) ? Number(v.replace('inf', 'Infinity').replace('nan', 'NaN')) : v);

/** The typed JSON gen_torch.py writes, computed from our value. */
export function typed(value: unknown): unknown {
  const tensors = new Map<TorchTensor, number>();
  const storages = new Map<TorchStorage, number>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isInteger(v) ? { int: String(v) } : { float: v };
    if (typeof v === 'bigint') return { int: String(v) };
    if (v instanceof PyFloat) return { float: v.value };
    if (typeof v === 'string') return { str: v };
    if (v instanceof TorchTensor) {
      const seen = tensors.get(v);
      if (seen !== undefined) return { tensor_ref: seen };
      tensors.set(v, tensors.size);
      if (!storages.has(v.storage)) storages.set(v.storage, storages.size);
      const out: Record<string, unknown> = {
        dtype: v.dtype,
        shape: [...v.shape],
        stride: [...v.stride],
        offset: v.storageOffset,
        requires_grad: v.requiresGrad,
        parameter: v.isParameter,
        storage: storages.get(v.storage),
        storage_numel: v.storage.numel,
        sha256: createHash('sha256').update(elementBytes(v)).digest('hex'),
      };
      if (v.numel <= 64) out.values = [...v.toTypedArray()].map((x) => (typeof x === 'bigint' ? String(x) : x));
      return { tensor: out };
    }
    if (v instanceof TorchDevice) return { device: String(v) };
    if (v instanceof PyGlobal && v.module === 'torch') return { dtype: v.qualname };
    if (v instanceof PyTuple) return { tuple: v.map(walk) };
    if (Array.isArray(v)) return { list: v.map(walk) };
    if (v instanceof Map) return { [v instanceof PyOrderedDict ? 'odict' : 'dict']: [...v].map(([k, x]) => [walk(k), walk(x)]) };
    throw new Error(`no typed form for ${String(v)}`);
  };
  return walk(value);
}

/** The expected form with floats as numbers, and torch.Size as the tuple it loads as. */
export function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalized);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('float' in o) return { float: num(Number(num(o.float))) };
  if ('size' in o) return { tuple: (o.size as number[]).map((n) => ({ int: String(n) })) };
  if ('tensor' in o) {
    const t = { ...(o.tensor as Record<string, unknown>) };
    if (Array.isArray(t.values)) t.values = t.values.map(num);
    return { tensor: t };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalized(x)]));
}

