/**
 * PyTorch values as a state dict holds them: `TorchStorage` (the bytes of one `data/<key>` member
 * of a checkpoint, typed), `TorchTensor` (a strided view of a storage, as `_rebuild_tensor_v2`
 * describes it). The state dict itself is a `PyOrderedDict` whose `attributes` hold `_metadata`.
 * Data only: nothing here runs torch code.
 */
import { CHILDREN } from './children.js';
import { LITTLE_ENDIAN_PLATFORM } from './ndarray.js';
import { half } from './half.js';

/** The element types of PyTorch's typed storages. */
export type TorchDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'complex64'
  | 'complex128';

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
] as const);

/** The typed arrays tensors and storages give. */
export type TorchTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

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
  for (const t of TORCH_STORAGE_TYPES.values()) if (t.dtype === dtype) return t.itemsize;
  return 1;
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
    return [this.metadata];
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

type Ctor = { new (length: number): TorchTypedArray; new (buffer: ArrayBufferLike, offset: number, length: number): TorchTypedArray; BYTES_PER_ELEMENT: number };

const CTORS: Readonly<Record<TorchDtype, [Ctor, number]>> = {
  float32: [Float32Array as Ctor, 1],
  float64: [Float64Array as Ctor, 1],
  float16: [Float32Array as Ctor, 1],
  bfloat16: [Float32Array as Ctor, 1],
  int64: [BigInt64Array as Ctor, 1],
  int32: [Int32Array as Ctor, 1],
  int16: [Int16Array as Ctor, 1],
  int8: [Int8Array as Ctor, 1],
  uint8: [Uint8Array as Ctor, 1],
  bool: [Uint8Array as Ctor, 1],
  complex64: [Float32Array as Ctor, 2],
  complex128: [Float64Array as Ctor, 2],
};

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
  const converted = dtype === 'float16' || dtype === 'bfloat16';
  if (contiguous && !converted && (width === 1 || little === LITTLE_ENDIAN_PLATFORM) && start % width === 0) {
    return new Out(data.buffer, start, n * per);
  }
  const out = new Out(n * per);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let j = 0;
  for (const i of indices(offset, shape, stride)) {
    const p = i * itemsize;
    switch (dtype) {
      case 'float16':
        (out as Float32Array)[j++] = half(view.getUint16(p, little));
        break;
      case 'bfloat16':
        scratch.setUint32(0, view.getUint16(p, little) << 16);
        (out as Float32Array)[j++] = scratch.getFloat32(0);
        break;
      case 'float32':
        (out as Float32Array)[j++] = view.getFloat32(p, little);
        break;
      case 'float64':
        (out as Float64Array)[j++] = view.getFloat64(p, little);
        break;
      case 'complex64':
        (out as Float32Array)[j++] = view.getFloat32(p, little);
        (out as Float32Array)[j++] = view.getFloat32(p + 4, little);
        break;
      case 'complex128':
        (out as Float64Array)[j++] = view.getFloat64(p, little);
        (out as Float64Array)[j++] = view.getFloat64(p + 8, little);
        break;
      case 'int64':
        (out as BigInt64Array)[j++] = view.getBigInt64(p, little);
        break;
      case 'int32':
        (out as Int32Array)[j++] = view.getInt32(p, little);
        break;
      case 'int16':
        (out as Int16Array)[j++] = view.getInt16(p, little);
        break;
      case 'int8':
        (out as Int8Array)[j++] = view.getInt8(p);
        break;
      default:
        (out as Uint8Array)[j++] = view.getUint8(p);
    }
  }
  return out;
}
