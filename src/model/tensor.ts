/**
 * PyTorch values as a state dict holds them: `TorchStorage` (the bytes of one `data/<key>` member
 * of a checkpoint, typed), `TorchTensor` (a strided view of a storage, as `_rebuild_tensor_v2`
 * describes it). The state dict itself is a `PyOrderedDict` whose `attributes` hold `_metadata`.
 * Data only: nothing here runs torch code.
 */
import { CHILDREN } from './children.js';
import { PyGlobal } from './global.js';
import { PyTuple } from './tuple.js';
import { REDUCE, type Reduction } from './reduce.js';
import { LITTLE_ENDIAN_PLATFORM, type NpTypedArray } from './ndarray.js';
import { half } from './half.js';

/** The element types of PyTorch's storages and tensors. */
export type TorchDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'float8_e4m3fn'
  | 'float8_e5m2'
  | 'float8_e4m3fnuz'
  | 'float8_e5m2fnuz'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool'
  | 'complex32'
  | 'complex64'
  | 'complex128';

/** Bytes per element of each dtype. */
const ITEMSIZE: Readonly<Record<TorchDtype, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, float8_e4m3fn: 1, float8_e5m2: 1, float8_e4m3fnuz: 1, float8_e5m2fnuz: 1,
  int64: 8, int32: 4, int16: 2, int8: 1, uint64: 8, uint32: 4, uint16: 2, uint8: 1, bool: 1, complex32: 4, complex64: 8, complex128: 16,
};

/** `torch.<name>` as torch pickles a dtype (its `__reduce__` gives the canonical name) → our dtype. */
export const TORCH_DTYPE_NAMES: ReadonlyMap<string, TorchDtype> = new Map(Object.keys(ITEMSIZE).map((k) => [k, k as TorchDtype]));

/** `torch.<Name>Storage` → dtype and bytes per element. */
export const TORCH_STORAGE_TYPES: ReadonlyMap<string, { readonly dtype: TorchDtype; readonly itemsize: number }> = new Map([
  ['FloatStorage', { dtype: 'float32', itemsize: 4 }],
  ['DoubleStorage', { dtype: 'float64', itemsize: 8 }],
  ['HalfStorage', { dtype: 'float16', itemsize: 2 }],
  ['BFloat16Storage', { dtype: 'bfloat16', itemsize: 2 }],
  ['LongStorage', { dtype: 'int64', itemsize: 8 }],
  ['IntStorage', { dtype: 'int32', itemsize: 4 }],
  ['ShortStorage', { dtype: 'int16', itemsize: 2 }],
  ['CharStorage', { dtype: 'int8', itemsize: 1 }],
  ['ByteStorage', { dtype: 'uint8', itemsize: 1 }],
  ['BoolStorage', { dtype: 'bool', itemsize: 1 }],
  ['ComplexFloatStorage', { dtype: 'complex64', itemsize: 8 }],
  ['ComplexDoubleStorage', { dtype: 'complex128', itemsize: 16 }],
  // torch 2.x's untyped storage (with _rebuild_tensor_v3, which names the tensor's dtype): numel counts bytes.
  ['UntypedStorage', { dtype: 'uint8', itemsize: 1 }],
] as const);

/**
 * The storage class torch 2.x names in a persistent id for a dtype: a typed one (`torch.FloatStorage`),
 * or for the dtypes added since, `torch.storage.UntypedStorage` (its `__module__`, as torch 2.6 writes it).
 */
export function storageTypeOf(dtype: TorchDtype): { module: string; qualname: string } {
  for (const [name, t] of TORCH_STORAGE_TYPES) if (t.dtype === dtype && name !== 'UntypedStorage') return { module: 'torch', qualname: name };
  return { module: 'torch.storage', qualname: 'UntypedStorage' };
}

/** A persistent id's storage type → its dtype and element size: `torch.<Name>Storage`, or UntypedStorage by either of its names. */
export function storageInfo(type: unknown): { readonly dtype: TorchDtype; readonly itemsize: number } | undefined {
  if (!(type instanceof PyGlobal)) return undefined;
  if (type.module === 'torch') return TORCH_STORAGE_TYPES.get(type.qualname);
  return type.module === 'torch.storage' && type.qualname === 'UntypedStorage' ? TORCH_STORAGE_TYPES.get('UntypedStorage') : undefined;
}

/** The typed arrays tensors and storages give: numpy's set. */
export type TorchTypedArray = NpTypedArray;

/**
 * One storage of a checkpoint: `numel` elements of `dtype`, the bytes of member `data/<key>`
 * (a view when the member is stored, not copied), in the checkpoint's byte order.
 */
export class TorchStorage {
  constructor(
    readonly dtype: TorchDtype,
    readonly key: string,
    /** The device it was saved from ("cpu", "cuda:0"): only a label here. */
    readonly location: string,
    readonly numel: number,
    /** Exactly numel × itemsize bytes. */
    readonly data: Uint8Array,
    readonly byteorder: 'little' | 'big' = 'little',
  ) {
    Object.freeze(this);
  }

  get itemsize(): number {
    return itemsizeOf(this.dtype);
  }

  /** Every element, as `TorchTensor.toTypedArray` gives them (a view when byte order and alignment allow). */
  toTypedArray(): TorchTypedArray {
    return decode(this.dtype, this.data, this.byteorder, 0, [this.numel], [1]);
  }
}

export function itemsizeOf(dtype: TorchDtype): number {
  return ITEMSIZE[dtype];
}

const retyped = new WeakMap<TorchStorage, Map<TorchDtype, TorchStorage>>();

/**
 * The bytes of `storage` seen as `dtype` (what `_rebuild_tensor_v3` does with an untyped storage):
 * the same object for the same storage and dtype, so tensors sharing bytes share it.
 */
export function retype(storage: TorchStorage, dtype: TorchDtype): TorchStorage {
  if (storage.dtype === dtype) return storage;
  let byDtype = retyped.get(storage);
  if (byDtype === undefined) retyped.set(storage, (byDtype = new Map()));
  let out = byDtype.get(dtype);
  if (out === undefined) {
    const numel = Math.floor(storage.data.length / ITEMSIZE[dtype]);
    out = new TorchStorage(dtype, storage.key, storage.location, numel, storage.data.subarray(0, numel * ITEMSIZE[dtype]), storage.byteorder);
    byDtype.set(dtype, out);
  }
  return out;
}

/** `torch.device(type[, index])`, as torch pickles it. */
export class TorchDevice {
  constructor(
    readonly type: string,
    readonly index: number | null = null,
  ) {
    Object.freeze(this);
  }

  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('torch', 'device'), args: this.index === null ? [this.type] : [this.type, this.index] };
  }
}

/**
 * A tensor: `shape` and `stride` (in elements) over `storage`, from `storageOffset`. Bounds were
 * checked when it was loaded: every element it addresses lies inside the storage.
 */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean = false,
    /** `torch._utils.get_tensor_metadata` as pickled (a dict), or null. */
    readonly metadata: unknown = null,
    /** True for an `nn.Parameter` (`_rebuild_parameter`). */
    readonly isParameter: boolean = false,
    /** A parameter's pickled instance state (`_rebuild_parameter_with_state`), or null. */
    readonly state: unknown = null,
  ) {
    Object.freeze(this.shape);
    Object.freeze(this.stride);
    Object.freeze(this);
  }

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  /** The metadata dict, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    return [this.metadata, this.state];
  }

  /** What `torch.save` writes: `_rebuild_tensor_v2` (v3 with the dtype for the dtypes added in 2.x), parameters around it. */
  [REDUCE](): Reduction {
    if (this.isParameter) {
      const data = new TorchTensor(this.storage, this.storageOffset, this.shape, this.stride, false, this.metadata);
      const withState = this.state !== null;
      const args = [data, this.requiresGrad, new NoHooks()];
      return { callable: new PyGlobal('torch._utils', withState ? '_rebuild_parameter_with_state' : '_rebuild_parameter'), args: withState ? [...args, this.state] : args };
    }
    const v3 = storageTypeOf(this.dtype).qualname === 'UntypedStorage';
    const args: unknown[] = [this.storage, this.storageOffset, PyTuple.fromArray(this.shape), PyTuple.fromArray(this.stride), this.requiresGrad, new NoHooks()];
    if (v3) args.push(new PyGlobal('torch', this.dtype));
    if (this.metadata !== null) args.push(this.metadata);
    return { callable: new PyGlobal('torch._utils', v3 ? '_rebuild_tensor_v3' : '_rebuild_tensor_v2'), args };
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Whether the elements are contiguous in row-major order (then `toTypedArray` is a view when it can be). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== expected) return this.numel === 0;
      expected *= this.shape[i]!;
    }
    return true;
  }

  /**
   * The elements in row-major order as a typed array: float32/float64 → Float32Array/Float64Array,
   * float16 and bfloat16 → Float32Array (converted), int64 → BigInt64Array, bool → Uint8Array,
   * complex → interleaved real and imaginary parts. A view over the storage when the tensor is
   * contiguous and byte order and alignment allow; otherwise a copy gathered through the strides.
   */
  toTypedArray(): TorchTypedArray {
    return decode(this.dtype, this.storage.data, this.storage.byteorder, this.storageOffset, this.shape, this.stride);
  }
}

/** The empty `OrderedDict()` torch writes for a tensor's backward hooks. */
class NoHooks {
  [REDUCE](): Reduction {
    return { callable: new PyGlobal('collections', 'OrderedDict'), args: [] };
  }
}

type Ctor = { new (length: number): TorchTypedArray; new (buffer: ArrayBufferLike, offset: number, length: number): TorchTypedArray; BYTES_PER_ELEMENT: number };

const CTORS: Readonly<Record<TorchDtype, [Ctor, number]>> = {
  float32: [Float32Array as Ctor, 1],
  float64: [Float64Array as Ctor, 1],
  float16: [Float32Array as Ctor, 1],
  bfloat16: [Float32Array as Ctor, 1],
  float8_e4m3fn: [Float32Array as Ctor, 1],
  float8_e5m2: [Float32Array as Ctor, 1],
  float8_e4m3fnuz: [Float32Array as Ctor, 1],
  float8_e5m2fnuz: [Float32Array as Ctor, 1],
  int64: [BigInt64Array as Ctor, 1],
  int32: [Int32Array as Ctor, 1],
  int16: [Int16Array as Ctor, 1],
  int8: [Int8Array as Ctor, 1],
  uint64: [BigUint64Array as Ctor, 1],
  uint32: [Uint32Array as Ctor, 1],
  uint16: [Uint16Array as Ctor, 1],
  uint8: [Uint8Array as Ctor, 1],
  bool: [Uint8Array as Ctor, 1],
  complex32: [Float32Array as Ctor, 2],
  complex64: [Float32Array as Ctor, 2],
  complex128: [Float64Array as Ctor, 2],
};

/**
 * The 256 values of an 8-bit float with `e` exponent bits, `bias`, and its NaN/infinity scheme:
 * 'ieee' (all-ones exponent: inf or NaN), 'fn' (only all-ones is NaN, no inf), 'fnuz' (0x80 is the
 * only NaN, no inf and no negative zero).
 */
function float8Table(e: number, bias: number, kind: 'ieee' | 'fn' | 'fnuz'): Float32Array {
  const m = 7 - e;
  const out = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> m) & ((1 << e) - 1);
    const man = b & ((1 << m) - 1);
    let v = exp === 0 ? sign * man * 2 ** (1 - bias - m) : sign * (1 + man / 2 ** m) * 2 ** (exp - bias);
    if (kind === 'ieee' && exp === (1 << e) - 1) v = man ? NaN : sign * Infinity;
    if (kind === 'fn' && (b & 0x7f) === 0x7f) v = NaN;
    if (kind === 'fnuz' && b === 0x80) v = NaN;
    out[b] = v;
  }
  return out;
}

const float8: Partial<Record<TorchDtype, Float32Array>> = {};
function float8Of(dtype: TorchDtype): Float32Array {
  return (float8[dtype] ??=
    dtype === 'float8_e4m3fn' ? float8Table(4, 7, 'fn') : dtype === 'float8_e5m2' ? float8Table(5, 15, 'ieee') : dtype === 'float8_e4m3fnuz' ? float8Table(4, 8, 'fnuz') : float8Table(5, 16, 'fnuz'));
}

/** Row-major element indices (into the storage) of a strided view. */
function* indices(offset: number, shape: readonly number[], stride: readonly number[]): Generator<number> {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let k = 0; k < n; k++) {
    yield at;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

const scratch = new DataView(new ArrayBuffer(4));

/** Reads element `p` (a byte position) into `out` at `j`; returns the next `j`. */
type Reader = (view: DataView, p: number, little: boolean, out: TorchTypedArray, j: number) => number;

const bf16 = (bits: number): number => {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
};

function readerOf(dtype: TorchDtype): Reader {
  switch (dtype) {
    case 'float16':
      return (v, p, le, o, j) => ((o[j] = half(v.getUint16(p, le))), j + 1);
    case 'bfloat16':
      return (v, p, le, o, j) => ((o[j] = bf16(v.getUint16(p, le))), j + 1);
    case 'float8_e4m3fn':
    case 'float8_e5m2':
    case 'float8_e4m3fnuz':
    case 'float8_e5m2fnuz': {
      const table = float8Of(dtype);
      return (v, p, _le, o, j) => ((o[j] = table[v.getUint8(p)]!), j + 1);
    }
    case 'float32':
      return (v, p, le, o, j) => ((o[j] = v.getFloat32(p, le)), j + 1);
    case 'float64':
      return (v, p, le, o, j) => ((o[j] = v.getFloat64(p, le)), j + 1);
    case 'complex32':
      return (v, p, le, o, j) => ((o[j] = half(v.getUint16(p, le))), (o[j + 1] = half(v.getUint16(p + 2, le))), j + 2);
    case 'complex64':
      return (v, p, le, o, j) => ((o[j] = v.getFloat32(p, le)), (o[j + 1] = v.getFloat32(p + 4, le)), j + 2);
    case 'complex128':
      return (v, p, le, o, j) => ((o[j] = v.getFloat64(p, le)), (o[j + 1] = v.getFloat64(p + 8, le)), j + 2);
    case 'int64':
      return (v, p, le, o, j) => ((o[j] = v.getBigInt64(p, le)), j + 1);
    case 'uint64':
      return (v, p, le, o, j) => ((o[j] = v.getBigUint64(p, le)), j + 1);
    case 'int32':
      return (v, p, le, o, j) => ((o[j] = v.getInt32(p, le)), j + 1);
    case 'uint32':
      return (v, p, le, o, j) => ((o[j] = v.getUint32(p, le)), j + 1);
    case 'int16':
      return (v, p, le, o, j) => ((o[j] = v.getInt16(p, le)), j + 1);
    case 'uint16':
      return (v, p, le, o, j) => ((o[j] = v.getUint16(p, le)), j + 1);
    case 'int8':
      return (v, p, _le, o, j) => ((o[j] = v.getInt8(p)), j + 1);
    default:
      return (v, p, _le, o, j) => ((o[j] = v.getUint8(p)), j + 1);
  }
}

/** Dtypes whose elements are converted (to float32), never viewed. */
const CONVERTED: ReadonlySet<TorchDtype> = new Set(['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'complex32']);

function decode(dtype: TorchDtype, data: Uint8Array, byteorder: 'little' | 'big', offset: number, shape: readonly number[], stride: readonly number[]): TorchTypedArray {
  const [Out, per] = CTORS[dtype];
  const itemsize = itemsizeOf(dtype);
  const n = shape.reduce((a, b) => a * b, 1);
  const little = byteorder === 'little';
  const contiguous = (() => {
    let expected = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (shape[i] !== 1 && stride[i] !== expected) return n === 0;
      expected *= shape[i]!;
    }
    return true;
  })();
  if (n === 0) return new Out(0);
  const start = data.byteOffset + offset * itemsize;
  const width = Out.BYTES_PER_ELEMENT;
  if (contiguous && !CONVERTED.has(dtype) && (width === 1 || little === LITTLE_ENDIAN_PLATFORM) && start % width === 0) {
    return new Out(data.buffer, start, n * per);
  }
  const out = new Out(n * per);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = readerOf(dtype);
  let j = 0;
  for (const i of indices(offset, shape, stride)) j = read(view, i * itemsize, little, out, j);
  return out;
}
