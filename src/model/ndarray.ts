/**
 * numpy values as numpy pickles them: `NpDtype` (numpy.dtype), `NdArray` (numpy.ndarray) and
 * `NpScalar` (numpy scalars such as float64). They hold data only (raw bytes, or a list for object
 * arrays) and reduce to what numpy's own `__reduce_ex__` returns, so `dumps` writes numpy's bytes.
 * The numpy pack's reconstructors (src/policy/reconstructors/numpy.ts) build and check them.
 */
import { CHILDREN } from './children.js';
import { PyComplex } from './complex.js';
import { PyGlobal } from './global.js';
import { PyPickleBuffer } from './picklebuffer.js';
import { normalInt } from './int.js';
import { REDUCE, type Reduction } from './reduce.js';
import { PyStr } from './str.js';
import { PyTuple } from './tuple.js';
import { half } from './half.js';

/** `<` little-endian, `>` big-endian, `|` not applicable (one byte, str, object, void), `=` native. */
export type NpByteOrder = '<' | '>' | '|' | '=';

/** The dtype kinds the numpy pack reads: bool, signed, unsigned, float, complex, str (UTF-32), bytes, object, void/structured, datetime64, timedelta64, and numpy 2's variable-width StringDType. */
export type NpKind = 'b' | 'i' | 'u' | 'f' | 'c' | 'U' | 'S' | 'O' | 'V' | 'M' | 'm' | 'T';

/** numpy's datetime64/timedelta64 units, coarsest first, as its pickles name them; `generic` is no unit yet. */
export const NP_DATETIME_UNITS = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as', 'generic'] as const;
export type NpDatetimeUnit = (typeof NP_DATETIME_UNITS)[number];

/** A datetime64/timedelta64 dtype's unit and multiple: `M8[10ms]` is `{ unit: 'ms', count: 10 }`. */
export interface NpDatetimeMeta {
  readonly unit: NpDatetimeUnit;
  readonly count: number;
}

/** NaT (not a time) in a datetime64/timedelta64 array: the smallest int64. */
export const NAT = -(2n ** 63n);

/** One field of a structured dtype, as `dtype.fields[name]` gives it. */
export interface NpField {
  readonly name: string;
  readonly dtype: NpDtype;
  readonly offset: number;
  /** The field's title, or null. */
  readonly title: unknown;
}

/** Is this JavaScript engine little-endian (every current one is, but typed arrays use the platform's order). */
export const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The numeric dtypes whose itemsize a type string like `'i4'` fixes, by kind. */
const NUMERIC_SIZES: Readonly<Record<string, readonly number[]>> = {
  b: [1],
  i: [1, 2, 4, 8],
  u: [1, 2, 4, 8],
  f: [2, 4, 8, 16],
  c: [8, 16, 32],
  M: [8],
  m: [8],
};

const G_DTYPE = new PyGlobal('numpy', 'dtype');
const G_STRINGDTYPE = new PyGlobal('numpy._core._internal', '_convert_to_stringdtype_kwargs');
const ASCII = new TextEncoder();

/** A datetime unit and multiple as a numpy pickle or type string gives them, or undefined when numpy has no such unit or the multiple is out of its range. */
export function datetimeMeta(unit: string, count: number): NpDatetimeMeta | undefined {
  if (!(NP_DATETIME_UNITS as readonly string[]).includes(unit)) return undefined;
  if (!Number.isSafeInteger(count) || count < 1 || count > 0x7fffffff || (unit === 'generic' && count !== 1)) return undefined;
  return Object.freeze({ unit: unit as NpDatetimeUnit, count });
}
const G_NDARRAY = new PyGlobal('numpy', 'ndarray');

/**
 * `numpy.dtype`: what `numpy.dtype(typestr, align, copy)` and its pickled state say. Made by the
 * call, completed once by its state (BUILD); numpy's state tuple is kept as read so the dtype
 * pickles back the same.
 */
export class NpDtype {
  /** The type string numpy's reduce gives: `'i4'`, `'f8'`, `'U3'`, `'S4'`, `'O8'`, `'V20'`. */
  readonly typestr: string;
  readonly kind: NpKind;
  /** Bytes per item (`U3` is 12: UTF-32). */
  readonly itemsize: number;
  /** The second and third arguments of the dtype call (align, copy), as given. */
  readonly callArgs: readonly unknown[];
  byteorder: NpByteOrder;
  /** Structured dtypes: field names in order, and the fields dict as pickled (title keys included). */
  names: readonly string[] | null = null;
  fieldsDict: ReadonlyMap<string, PyTuple> | null = null;
  /** Subarray dtypes (`('>f8', (2,))`): the base dtype and shape. */
  subarray: { readonly base: NpDtype; readonly shape: readonly number[] } | null = null;
  /** State entries kept for the round trip: elsize (-1 for builtin sizes), alignment, flags. */
  stateElsize = -1;
  alignment = -1;
  flags = 0;
  /** datetime64 (`M`) and timedelta64 (`m`): the unit; null for other kinds. */
  datetime: NpDatetimeMeta | null = null;
  /**
   * The metadata dict of a version-4 state, kept for the round trip: numpy 1.x writes `{}` for a
   * datetime dtype, numpy 2 None (null here); other dtypes have one only when a user set it.
   */
  metadata: Map<unknown, unknown> | null = null;
  /** Whether a state was applied, or the dtype was used (by an array, a scalar, a field): then it takes no state. */
  sealed = false;

  constructor(typestr: string, kind: NpKind, itemsize: number, byteorder: NpByteOrder, callArgs: readonly unknown[] = [false, true]) {
    this.typestr = typestr;
    this.kind = kind;
    this.itemsize = itemsize;
    this.byteorder = byteorder;
    this.callArgs = callArgs;
    this.hasObject = kind === 'O' || kind === 'T';
    if (kind === 'M' || kind === 'm') this.datetime = { unit: 'generic', count: 1 };
  }

  /**
   * A dtype from numpy's short type string (`'<i4'`, `'>f8'`, `'|b1'`, `'<U3'`, `'|S4'`, `'|O'`,
   * `'|V7'`, `'<M8[ns]'`, `'<m8[10ms]'`, `'<M8'`), as `dtype.str` prints it, with the state numpy
   * (2.x) would pickle. Undefined for others.
   */
  static fromStr(str: string): NpDtype | undefined {
    const m = /^([<>|=]?)([biufcUSOVMm])(\d*)(?:\[(\d*)([a-zA-Z]+)\])?$/.exec(str);
    if (m === null) return undefined;
    const timeKind = m[2] === 'M' || m[2] === 'm';
    if (m[5] !== undefined && !timeKind) return undefined;
    const parsed = parseTypestr(m[2] === 'O' || (timeKind && m[3] === '') ? `${m[2]}8` : `${m[2]}${m[3]}`);
    if (parsed === undefined) return undefined;
    const { kind, itemsize } = parsed;
    // numpy pickles native order explicitly ('<' here), so '=' and no prefix mean the platform's order.
    const given = m[1] === '' || m[1] === '=' ? (LITTLE_ENDIAN_PLATFORM ? '<' : '>') : (m[1] as NpByteOrder);
    const dt = new NpDtype(parsed.typestr, kind, itemsize, defaultOrder(kind, itemsize, given));
    if (m[5] !== undefined) {
      const meta = datetimeMeta(m[5], m[4] === '' ? 1 : Number(m[4]));
      if (meta === undefined || meta.unit === 'generic' || (m[4]!.length > 1 && m[4]![0] === '0')) return undefined;
      dt.datetime = meta;
    }
    if (kind === 'O') dt.flags = 63;
    if (kind === 'U') [dt.stateElsize, dt.alignment, dt.flags] = [itemsize, 4, 8];
    if (kind === 'S' || kind === 'V') [dt.stateElsize, dt.alignment] = [itemsize, 1];
    dt.sealed = true;
    return dt;
  }

  /**
   * numpy's `dtype.str`: `'<i4'`, `'|b1'`, `'<U3'`, `'|O'`, `'|V20'`, `'<M8[ns]'`, `'<m8[10ms]'`, `'<M8'`
   * (generic); numpy 2's StringDType prints itself: `'StringDType()'`, `'StringDType(na_object=None)'`.
   */
  get str(): string {
    const order = this.byteorder === '=' ? (LITTLE_ENDIAN_PLATFORM ? '<' : '>') : this.byteorder;
    if (this.kind === 'O') return '|O';
    if (this.kind === 'T') {
      const [coerce, ...na] = this.callArgs;
      const opts = [...(na.length > 0 ? [`na_object=${pyRepr(na[0])}`] : []), ...(coerce === 0 || coerce === false ? ['coerce=False'] : [])];
      return `StringDType(${opts.join(', ')})`;
    }
    const n = this.kind === 'U' ? this.itemsize / 4 : this.itemsize;
    const t = this.datetime;
    const unit = t === null || t.unit === 'generic' ? '' : `[${t.count === 1 ? '' : t.count}${t.unit}]`;
    return `${order}${this.kind}${n}${unit}`;
  }

  /** Whether values are little-endian (true for one-byte and order-less types). */
  get littleEndian(): boolean {
    return this.byteorder === '<' || this.byteorder === '|' || (this.byteorder === '=' && LITTLE_ENDIAN_PLATFORM);
  }

  /**
   * Whether items hold Python objects (object dtype, or a field or subarray of one): arrays then
   * pickle a list. Set when the dtype is made and when its state is applied (never recomputed by a
   * walk, so deeply nested dtypes cost nothing).
   */
  hasObject: boolean;

  /**
   * Whether numpy can export items of this dtype as a buffer (PEP 3118), which its protocol-5 pickles
   * need: not when a datetime64/timedelta64 is anywhere in it, nor a long double (f16, c32) in
   * non-native byte order, nor when fields overlap or are out of order. Such arrays pickle through
   * `_reconstruct` at every protocol.
   */
  get bufferable(): boolean {
    const todo: NpDtype[] = [this];
    const seen = new Set<NpDtype>();
    for (let dt = todo.pop(); dt !== undefined; dt = todo.pop()) {
      if (seen.has(dt)) continue;
      seen.add(dt);
      if (dt.datetime !== null) return false;
      if (dt.itemsize === (dt.kind === 'f' ? 16 : dt.kind === 'c' ? 32 : 0) && dt.littleEndian !== LITTLE_ENDIAN_PLATFORM) return false;
      if (dt.subarray !== null) todo.push(dt.subarray.base);
      let end = 0;
      for (const f of dt.fields ?? []) {
        if (f.offset < end) return false;
        end = f.offset + f.dtype.itemsize;
        todo.push(f.dtype);
      }
    }
    return true;
  }

  /** The fields of a structured dtype, in order (title keys left out). */
  get fields(): readonly NpField[] | null {
    if (this.names === null || this.fieldsDict === null) return null;
    return this.names.map((name) => {
      const t = this.fieldsDict!.get(name)!;
      return { name, dtype: t[0] as NpDtype, offset: t[1] as number, title: t.length > 2 ? t[2] : null };
    });
  }

  toString(): string {
    return this.str;
  }

  /** Field and subarray dtypes, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    return [this.subarray?.base, ...(this.fieldsDict?.values() ?? []), this.metadata];
  }

  [REDUCE](): Reduction {
    // numpy 2's StringDType is made by a function from its options, with no state.
    if (this.kind === 'T') return { callable: G_STRINGDTYPE, args: [...this.callArgs] };
    // numpy writes a version-4 state, with a ninth item, for datetimes and for dtypes with metadata.
    const t = this.datetime;
    const extra = t !== null ? [PyTuple.fromArray([this.metadata, PyTuple.fromArray([ASCII.encode(t.unit), t.count, 1, 1])])] : this.metadata !== null ? [this.metadata] : [];
    const state = PyTuple.fromArray([
      extra.length === 0 ? 3 : 4,
      this.byteorder,
      this.subarray === null ? null : PyTuple.fromArray([this.subarray.base, PyTuple.fromArray(this.subarray.shape)]),
      this.names === null ? null : PyTuple.fromArray(this.names),
      this.fieldsDict === null ? null : new Map(this.fieldsDict),
      this.stateElsize,
      this.alignment,
      this.flags,
      ...extra,
    ]);
    // numpy makes the type string afresh for every reduce (it is never memoized across dtypes).
    return { callable: G_DTYPE, args: [new PyStr(this.typestr), ...this.callArgs], state };
  }
}

/** A few Python values as `repr` writes them, for StringDType's na_object. */
function pyRepr(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** The byte order a dtype of this kind and size takes: one-byte and order-less kinds have none. */
export function defaultOrder(kind: NpKind, itemsize: number, given: NpByteOrder): NpByteOrder {
  if (kind === 'O' || kind === 'S' || kind === 'V' || kind === 'T' || itemsize === 1) return '|';
  if (given === '|') return '=';
  return given;
}

/** The kind and itemsize of a type string the dtype call accepts (`'i4'`, `'U3'`, `'V20'`, `'O8'`, `'M8'`), or undefined. */
export function parseTypestr(typestr: string): { typestr: string; kind: NpKind; itemsize: number } | undefined {
  const m = /^([biufcUSOVMm])(\d{1,10})$/.exec(typestr);
  if (m === null) return undefined;
  const kind = m[1] as NpKind;
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || (m[2]!.length > 1 && m[2]![0] === '0')) return undefined;
  const sizes = NUMERIC_SIZES[kind];
  if (sizes !== undefined) return sizes.includes(n) ? { typestr, kind, itemsize: n } : undefined;
  if (kind === 'O') return n === 8 || n === 4 ? { typestr, kind, itemsize: 8 } : undefined;
  if (kind === 'U') return n * 4 <= 0x7fffffff ? { typestr, kind, itemsize: n * 4 } : undefined;
  return n <= 0x7fffffff ? { typestr, kind, itemsize: n } : undefined;
}

/** Where numpy's reconstruction functions live: `numpy._core` (numpy 2) or `numpy.core` (numpy 1.x). */
export type NpCoreModule = 'numpy._core' | 'numpy.core';

/** The typed arrays `NdArray.toTypedArray` gives. */
export type NpTypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * `numpy.ndarray`: dtype, shape, memory order and the items: `data` holds the raw bytes in memory
 * order (C or Fortran, as `fortranOrder` says) for plain dtypes; `objects` holds the items of an
 * object array in C (row-major) order, as numpy pickles them.
 */
export class NdArray {
  dtype: NpDtype;
  shape: readonly number[];
  fortranOrder: boolean;
  data: Uint8Array | null;
  objects: unknown[] | null;
  /** False when the array came as a read-only buffer (protocol 5); it then pickles back read-only. */
  writeable: boolean;
  /** The module the reconstruction functions are written from (numpy 1.x pickles say `numpy.core`). */
  core: NpCoreModule;
  /** Whether the array was filled (an array made by `_reconstruct` waits for its state). */
  filled: boolean;
  /**
   * numpy 2's protocol-5 layout for an array neither C- nor Fortran-contiguous (a transposed view):
   * `data` holds the items in C order of a base shape, and the array is that base transposed by
   * `axisOrder` (`shape[i]` is the base's `axisOrder[i]`th dimension). Null for C and Fortran order.
   */
  axisOrder: readonly number[] | null;

  constructor(init: {
    dtype: NpDtype;
    shape: readonly number[];
    fortranOrder?: boolean;
    data?: Uint8Array | null;
    objects?: unknown[] | null;
    writeable?: boolean;
    core?: NpCoreModule;
    filled?: boolean;
    axisOrder?: readonly number[] | null;
  }) {
    this.dtype = init.dtype;
    this.shape = Object.freeze([...init.shape]);
    this.fortranOrder = init.fortranOrder ?? false;
    this.data = init.data ?? null;
    this.objects = init.objects ?? null;
    this.writeable = init.writeable ?? true;
    this.core = init.core ?? 'numpy._core';
    this.filled = init.filled ?? true;
    this.axisOrder = init.axisOrder == null ? null : Object.freeze([...init.axisOrder]);
  }

  /** The byte step along each axis in `data` (C order, Fortran order or `axisOrder`'s layout). */
  get strides(): number[] {
    const n = this.shape.length;
    const base = this.axisOrder === null ? [...this.shape] : new Array<number>(n);
    if (this.axisOrder !== null) this.axisOrder.forEach((a, i) => (base[a] = this.shape[i]!));
    const out = new Array<number>(n);
    let step = this.dtype.itemsize;
    if (this.fortranOrder && this.axisOrder === null) {
      for (let i = 0; i < n; i++) [out[i], step] = [step, step * base[i]!];
      return out;
    }
    for (let i = n - 1; i >= 0; i--) [out[i], step] = [step, step * base[i]!];
    return this.axisOrder === null ? out : this.axisOrder.map((a) => out[a]!);
  }

  /** Whether `data` is in C (row-major) order: C layout, or a shape where the layouts agree. */
  get cContiguous(): boolean {
    if (!this.fortranOrder && this.axisOrder === null) return true;
    if (this.size <= 1) return true;
    return this.shape.filter((d) => d !== 1).length <= 1;
  }

  /** The raw items in C (row-major) order: `data` itself when it is so ordered, else a copy. Null for object arrays. */
  toCOrder(): Uint8Array | null {
    const data = this.data;
    if (data === null || this.cContiguous) return data;
    const size = this.dtype.itemsize;
    const out = new Uint8Array(this.size * size);
    const strides = this.strides;
    const n = this.shape.length;
    const index = new Array<number>(n).fill(0);
    let from = 0;
    for (let to = 0; to < out.length; to += size) {
      out.set(data.subarray(from, from + size), to);
      // The next index in C order, and its offset in data.
      for (let i = n - 1; i >= 0; i--) {
        from += strides[i]!;
        if (++index[i]! < this.shape[i]!) break;
        from -= strides[i]! * index[i]!;
        index[i] = 0;
      }
    }
    return out;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The dtype and an object array's items, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    return [this.dtype, this.objects];
  }

  /** The number of items. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The items of a numeric array as a typed array in the array's memory order (row-major unless
   * `fortranOrder`): a view over `data` when its byte order and alignment allow, otherwise a copy.
   * Bool gives a Uint8Array of 0/1, float16 a Float32Array (converted), complex64/128 a
   * Float32Array/Float64Array of interleaved real and imaginary parts, 64-bit ints BigInt64Array /
   * BigUint64Array, datetime64/timedelta64 a BigInt64Array of counts of `dtype.datetime`'s unit
   * (NaT is `NAT`). Throws for str, bytes, object and structured dtypes.
   */
  toTypedArray(): NpTypedArray {
    if (this.data === null) throw new Error(`an array of dtype ${this.dtype.str} has no typed-array view`);
    return typedView(this.dtype, this.data);
  }

  [REDUCE](protocol: number): Reduction {
    const dt = this.dtype;
    const axes = this.axisOrder;
    if (protocol >= 5 && this.data !== null && !dt.hasObject && dt.itemsize > 0 && dt.bufferable) {
      // numpy's protocol-5 path: _frombuffer(PickleBuffer(a), dtype, shape, order[, axis_order]), data in memory order.
      const buffer = new PyPickleBuffer(this.data, !this.writeable);
      const callable = new PyGlobal(`${this.core}.numeric`, '_frombuffer');
      if (axes === null) return { callable, args: [buffer, dt, PyTuple.fromArray(this.shape), this.fortranOrder ? 'F' : 'C'] };
      const base = new Array<number>(axes.length);
      axes.forEach((a, i) => (base[a] = this.shape[i]!));
      return { callable, args: [buffer, dt, PyTuple.fromArray(base), 'K', PyTuple.fromArray(axes)] };
    }
    // numpy writes an array that is neither C nor Fortran ordered in C order.
    const fortran = this.fortranOrder && axes === null;
    const data = axes === null ? this.data : this.toCOrder();
    const state = PyTuple.fromArray([1, PyTuple.fromArray(this.shape), dt, fortran, data ?? this.objects ?? []]);
    return {
      callable: new PyGlobal(`${this.core}.multiarray`, '_reconstruct'),
      args: [G_NDARRAY, PyTuple.fromArray([0]), new Uint8Array([0x62])],
      state,
    };
  }
}

const G_MARECONSTRUCT = new PyGlobal('numpy.ma.core', '_mareconstruct');

/**
 * `numpy.ma.MaskedArray`: an array (the NdArray part), a mask and a fill value. `mask` holds one
 * byte per item (0 or 1; for a structured dtype one per field, in field order) in the data's memory
 * order; `fillValue` is a 0-d array or null (numpy's default for the dtype).
 */
export class NpMaskedArray extends NdArray {
  mask: Uint8Array;
  fillValue: NdArray | null;
  /** The class as the pickle named it: `numpy.ma.core.MaskedArray` (numpy 1.x) or `numpy.ma.MaskedArray` (numpy 2). */
  subtype: PyGlobal;

  constructor(init: ConstructorParameters<typeof NdArray>[0] & { mask: Uint8Array; fillValue?: NdArray | null; subtype?: PyGlobal }) {
    super(init);
    this.mask = init.mask;
    this.fillValue = init.fillValue ?? null;
    this.subtype = init.subtype ?? new PyGlobal('numpy.ma', 'MaskedArray');
  }

  override [CHILDREN](): readonly unknown[] {
    return [this.dtype, this.objects, this.fillValue];
  }

  /** numpy's MaskedArray.__reduce__, the same at every protocol: data and mask in the array's memory order (C or Fortran). */
  override [REDUCE](): Reduction {
    const state = [1, PyTuple.fromArray(this.shape), this.dtype, this.fortranOrder, this.data ?? this.objects ?? [], this.mask, this.fillValue];
    return { callable: G_MARECONSTRUCT, args: [this.subtype, G_NDARRAY, PyTuple.fromArray([0]), 'b'], state: PyTuple.fromArray(state) };
  }
}

/**
 * A numpy scalar (`numpy.float64(1.5)`, `numpy.int8(-3)`, `numpy.str_('ab')`): its dtype and its
 * bytes (or, for object dtype, the object). `value` decodes it.
 */
export class NpScalar {
  constructor(
    readonly dtype: NpDtype,
    readonly data: Uint8Array | null,
    readonly object: unknown = null,
    readonly core: NpCoreModule = 'numpy._core',
  ) {
    Object.freeze(this);
  }

  /**
   * The scalar as JavaScript: boolean; number (bigint for 64-bit ints beyond 2**53); number for
   * floats; `PyComplex`; string for str (trailing NULs dropped, as numpy does); bytes for bytes
   * (trailing NULs dropped), void and long double (f16, c32); the object for object dtype; a bigint count of
   * `dtype.datetime`'s unit for datetime64/timedelta64 (NaT is `NAT`).
   */
  get value(): unknown {
    const d = this.data;
    const dt = this.dtype;
    if (d === null) return this.object;
    switch (dt.kind) {
      case 'U': {
        const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
        let s = '';
        for (let i = 0; i + 4 <= d.length; i += 4) {
          const c = view.getUint32(i, dt.littleEndian);
          s += c <= 0x10ffff ? String.fromCodePoint(c) : '\ufffd';
        }
        return s.replace(/\0+$/, '');
      }
      case 'S': {
        let end = d.length;
        while (end > 0 && d[end - 1] === 0) end--;
        return new Uint8Array(d.subarray(0, end));
      }
      case 'V':
        return new Uint8Array(d);
      default: {
        // long double (f16, c32): its format is the writer's platform's (x87 extended on x86-64), so its bytes.
        if ((dt.kind === 'f' || dt.kind === 'c') && dt.itemsize === (dt.kind === 'c' ? 32 : 16)) return new Uint8Array(d);
        const t = typedView(dt, d);
        if (dt.kind === 'b') return t[0] !== 0;
        if (dt.kind === 'c') return new PyComplex(t[0] as number, t[1] as number);
        const v = t[0]!;
        if (dt.kind === 'M' || dt.kind === 'm') return v;
        return typeof v === 'bigint' ? normalInt(v) : v;
      }
    }
  }

  /** The dtype and an object scalar's object, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    return [this.dtype, this.object];
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal(`${this.core}.multiarray`, 'scalar'), args: this.data === null ? [this.dtype, this.object] : [this.dtype, this.data] };
  }

  toString(): string {
    return String(this.value);
  }
}

type TypedCtor = {
  new (length: number): NpTypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NpTypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** The typed array type for a numeric dtype (float16 aside), and how many per item (2 for complex). */
function ctorOf(dt: NpDtype): [TypedCtor, number] | undefined {
  const k = dt.kind;
  const n = dt.itemsize;
  if (k === 'b' || (k === 'u' && n === 1)) return [Uint8Array, 1];
  if (k === 'M' || k === 'm') return [BigInt64Array as TypedCtor, 1];
  if (k === 'i') return [{ 1: Int8Array, 2: Int16Array, 4: Int32Array, 8: BigInt64Array }[n as 1 | 2 | 4 | 8] as TypedCtor, 1];
  if (k === 'u') return [{ 2: Uint16Array, 4: Uint32Array, 8: BigUint64Array }[n as 2 | 4 | 8] as TypedCtor, 1];
  if (k === 'f' && (n === 4 || n === 8)) return [(n === 4 ? Float32Array : Float64Array) as TypedCtor, 1];
  if (k === 'c' && (n === 8 || n === 16)) return [(n === 8 ? Float32Array : Float64Array) as TypedCtor, 2];
  return undefined;
}

/** A typed array over `data` for a numeric dtype: a view when order and alignment allow, else a byte-swapped or aligned copy. */
export function typedView(dt: NpDtype, data: Uint8Array): NpTypedArray {
  if (dt.kind === 'f' && dt.itemsize === 2) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out = new Float32Array(Math.floor(data.length / 2));
    for (let i = 0; i < out.length; i++) out[i] = half(view.getUint16(2 * i, dt.littleEndian));
    return out;
  }
  const found = ctorOf(dt);
  if (found === undefined) throw new Error(`numpy dtype ${dt.str} has no typed-array view (only bool, int, uint, float, complex and datetime do; long double does not)`);
  const [Ctor, per] = found;
  const width = Ctor.BYTES_PER_ELEMENT;
  const count = Math.floor(data.length / dt.itemsize) * per;
  const swap = width > 1 && dt.littleEndian !== LITTLE_ENDIAN_PLATFORM;
  if (!swap && data.byteOffset % width === 0) return new Ctor(data.buffer, data.byteOffset, count);
  const copy = new Uint8Array(data.subarray(0, count * width)); // a copy (a Node Buffer's slice would be a view)
  if (swap) {
    for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  }
  return new Ctor(copy.buffer, 0, count);
}
