/**
 * pandas values as the `pandas` pack loads them: `PdDataFrame` (named columns plus an index),
 * `PdSeries`, `PdIndex` and `PdArray` (one column's values: a numpy array, or a pandas extension
 * array such as Int64, boolean, string, categorical, datetime with a time zone, or period). They
 * hold data only; the pack's reconstructors (src/policy/reconstructors/pandas.ts) build and check them,
 * and keep what pandas pickled for each (`pickled`), which `dumps` writes back: pandas reads the
 * same objects it wrote. A value made in JavaScript has nothing pickled and does not dump.
 */
import { PicklingError } from '../errors.js';
import { CHILDREN } from './children.js';
import { PyGlobal } from './global.js';
import { NdArray, typedView } from './ndarray.js';
import { PyFloat } from './float.js';
import { normalInt } from './int.js';
import { REDUCE, type Reduction } from './reduce.js';
import { isoOffset, PyTimezone } from './datetime.js';
import { PyTzInfo } from './pytz.js';
import { PyZoneInfo } from './stdlib.js';
import { offsetAt } from './zone-offset.js';

/** The reduction pandas pickled for `value`, or a PicklingError for one made in JavaScript. */
export function pickledOf(value: { readonly pickled: Reduction | null }, what: string): Reduction {
  if (value.pickled === null) throw new PicklingError('not_loaded', `a ${what} dumps only as loaded (it writes back what pandas wrote); this one was made in JavaScript`);
  return value.pickled;
}

/** How a column's values are stored: numpy, or one of pandas' extension arrays. */
export type PdArrayKind = 'numpy' | 'masked' | 'categorical' | 'string' | 'datetime' | 'timedelta' | 'period';

/** numpy's NaT and pandas' NaT in int64 storage. */
const NAT = -(2n ** 63n);

const isMissing = (v: unknown): boolean => v instanceof PyGlobal && v.qualname === 'NA' && (v.module === 'pandas' || v.module === 'pandas._libs.missing');

/** One item of a 1-d numpy array as JavaScript: bool, number (bigint past 2**53), the object, or bigint for datetime64/timedelta64 (NaT: null). */
export function itemOf(a: NdArray, i: number): unknown {
  if (a.objects !== null) return a.objects[i];
  const dt = a.dtype;
  const size = dt.itemsize;
  const bytes = a.data!.subarray(i * size, (i + 1) * size);
  if (dt.kind === 'M' || dt.kind === 'm') {
    const v = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, dt.littleEndian);
    return v === NAT ? null : v;
  }
  if (dt.kind === 'U' || dt.kind === 'S' || dt.kind === 'V') return bytes;
  const t = typedView(dt, bytes);
  if (dt.kind === 'b') return t[0] !== 0;
  const v = t[0]!;
  if (typeof v === 'bigint') return normalInt(v);
  return v;
}

/** A tz's offset at the UTC instant `ms`, in microseconds: carried by a fixed zone, else the runtime's tz database (`Intl`); null for a tz record not read here. */
function offsetMicros(tz: unknown, ms: number): number | null {
  if (tz instanceof PyTimezone) return Number(tz.offset.totalMicroseconds);
  const zone = tz instanceof PyZoneInfo ? tz.key : tz instanceof PyTzInfo && tz.kind === 'zone' ? tz.zone! : null;
  if (zone === null) return tz instanceof PyTzInfo ? tz.utcoffsetSeconds! * 1e6 : null;
  try {
    return offsetAt(zone, ms) * 1e6;
  } catch {
    return null; // a zone this runtime's database does not know
  }
}

/** How pandas names a tz in a dtype: the zone's name, `pytz.FixedOffset(330)`, `UTC-03:00`. */
export function tzName(tz: unknown): string {
  if (tz instanceof PyTzInfo) return String(tz);
  if (tz instanceof PyZoneInfo) return tz.key;
  if (tz instanceof PyTimezone) return tz.name ?? (tz.offset.totalMicroseconds === 0n ? 'UTC' : `UTC${isoOffset(Number(tz.offset.totalMicroseconds))}`);
  return Object.getPrototypeOf(tz)?.constructor?.name ?? String(tz);
}

const NS_PER_DAY = 86_400_000_000_000n;
const NS_PER: Readonly<Record<string, bigint>> = { D: 86_400_000_000_000n, h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, ns: 1n };
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * pandas' `Timestamp.isoformat()` of `t` (a count of `unit`s since the epoch) in `tz` (null: naive):
 * `2024-03-31T03:30:00.000001+02:00`, 6 fraction digits, or 9 when there are nanoseconds. A tz
 * record the pack does not read (dateutil), or a zone the runtime does not know, gives the UTC instant with `Z`.
 */
export function isoformat(t: bigint, tz: unknown, unit = 'ns'): string {
  const ns = t * (NS_PER[unit] ?? 1n);
  const micros = tz === null ? 0 : offsetMicros(tz, Number(ns / 1_000_000n));
  const wall = ns + BigInt(micros ?? 0) * 1000n;
  let days = wall / NS_PER_DAY;
  let rem = wall % NS_PER_DAY;
  if (rem < 0n) [days, rem] = [days - 1n, rem + NS_PER_DAY];
  if (days > 100_000_000n || days < -100_000_000n) return `${t}${unit} after 1970-01-01`; // past JS dates (pandas' ns stay within)
  const sec = Number(rem / 1_000_000_000n);
  const frac = Number(rem % 1_000_000_000n);
  const fraction = frac === 0 ? '' : frac % 1000 === 0 ? `.${String(frac / 1000).padStart(6, '0')}` : `.${String(frac).padStart(9, '0')}`;
  const date = new Date(Number(days) * 86_400_000).toISOString().slice(0, -14);
  const offset = tz === null ? '' : micros === null ? 'Z' : isoOffset(micros);
  return `${date}T${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)}${fraction}${offset}`;
}

/** A column's values: `values` (numpy data, codes, ordinals, or int64 times) and what the kind adds. */
export class PdArray {
  constructor(
    /** The dtype as pandas prints it: `int64`, `object`, `Int64`, `boolean`, `string`, `str` (pandas 3's, NaN for missing), `category`, `datetime64[ns, UTC]`, `period[M]`. */
    readonly dtype: string,
    readonly kind: PdArrayKind,
    /** 1-d: the numpy array, the masked array's data, the categorical codes, the int64 times or period ordinals; strings (Arrow-backed ones too) as objects, missing as the dtype's NA or NaN. */
    readonly values: NdArray,
    /** masked: true where the value is missing. */
    readonly mask: NdArray | null = null,
    /** categorical: the categories, and whether they are ordered. */
    readonly categories: PdIndex | null = null,
    readonly ordered = false,
    /** The pandas array as pickled (a `PyObject` record, or the numpy array), which `dumps` writes; null when made here. */
    readonly source: unknown = null,
    /** datetime: the time zone (a `PyTzInfo`, `PyTimezone`, `PyZoneInfo`), null when naive. */
    readonly tz: unknown = null,
  ) {
    Object.freeze(this);
  }

  get length(): number {
    return this.values.shape[0] ?? 0;
  }

  /** A numpy column dumps as its numpy array; an extension array as the record pandas pickled. */
  [REDUCE](protocol: number): Reduction {
    const source = (this.source ?? (this.kind === 'numpy' ? this.values : null)) as { [REDUCE]?: (p: number) => Reduction } | null;
    return source?.[REDUCE]?.(protocol) ?? pickledOf({ pickled: null }, `${this.dtype} PdArray`);
  }

  /**
   * The value at `i`: null where pandas has a missing value (NA, NaT, a masked or -1-coded item,
   * None in an object column), numbers (bigint past 2**53; floats may be NaN), booleans, strings;
   * datetimes, timedeltas and periods as bigint (ns since the epoch, ns, the period ordinal).
   */
  get(i: number): unknown {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`index ${i} is outside the ${this.length} values`);
    switch (this.kind) {
      case 'masked':
        return itemOf(this.mask!, i) === true ? null : itemOf(this.values, i);
      case 'categorical': {
        const code = itemOf(this.values, i) as number;
        return code < 0 ? null : this.categories!.get(code);
      }
      case 'datetime':
      case 'timedelta':
      case 'period': {
        const v = itemOf(this.values, i);
        return typeof v === 'number' ? (BigInt(v) === NAT ? null : BigInt(v)) : v;
      }
      default: {
        const v = itemOf(this.values, i);
        return v === undefined || isMissing(v) ? null : v;
      }
    }
  }

  toArray(): unknown[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  /** A datetime column's value at `i` as pandas' `Timestamp.isoformat()` gives it, in the column's zone; null for NaT. */
  isoformat(i: number): string | null {
    if (this.kind !== 'datetime') throw new TypeError(`isoformat() is for datetime columns, this one is ${this.dtype}`);
    const v = this.get(i) as bigint | null;
    const t = this.values.dtype.datetime;
    return v === null ? null : isoformat(v * BigInt(t?.count ?? 1), this.tz, t?.unit);
  }

  /** The arrays and categories, for the unpickler's walks. */
  [CHILDREN](): readonly unknown[] {
    return [this.values, this.mask, this.categories, this.source, this.tz];
  }
}

export type PdIndexKind = 'range' | 'numeric' | 'object' | 'datetime' | 'timedelta' | 'period' | 'categorical' | 'multi';

/** A pandas index: a RangeIndex (start, stop, step), a MultiIndex (levels and codes), or labels in a `PdArray`. */
export class PdIndex {
  constructor(
    readonly kind: PdIndexKind,
    readonly name: unknown,
    readonly values: PdArray | null,
    readonly range: { readonly start: number; readonly stop: number; readonly step: number } | null = null,
    readonly multi: { readonly levels: readonly PdIndex[]; readonly codes: readonly NdArray[]; readonly names: readonly unknown[] } | null = null,
    /** `_new_Index(cls, state)` as pickled. */
    readonly pickled: Reduction | null = null,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return pickledOf(this, 'PdIndex');
  }

  get length(): number {
    if (this.range !== null) {
      const { start, stop, step } = this.range;
      return Math.max(0, Math.ceil((stop - start) / step));
    }
    if (this.multi !== null) return this.multi.codes[0]?.shape[0] ?? 0;
    return this.values!.length;
  }

  get dtype(): string {
    return this.range !== null ? 'int64' : this.multi !== null ? 'object' : this.values!.dtype;
  }

  /** The label at `i`; a MultiIndex label is an array of its levels' labels. */
  get(i: number): unknown {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`index ${i} is outside the ${this.length} labels`);
    if (this.range !== null) return this.range.start + i * this.range.step;
    if (this.multi !== null) {
      return this.multi.levels.map((level, k) => {
        const code = itemOf(this.multi!.codes[k]!, i) as number;
        return code < 0 ? null : level.get(code);
      });
    }
    return this.values!.get(i);
  }

  toArray(): unknown[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  [CHILDREN](): readonly unknown[] {
    return [this.name, this.values, ...(this.multi?.levels ?? []), ...(this.multi?.codes ?? []), ...(this.multi?.names ?? []), this.pickled?.args];
  }
}

/** A label as a row object's key. */
const keyOf = (label: unknown): string => (label instanceof PyFloat ? String(label.value) : typeof label === 'string' ? label : String(label));

/** `pandas.DataFrame`: column labels, a row index, and one `PdArray` per column, in order. */
export class PdDataFrame {
  /** Set once, by the frame's state (a DataFrame is made empty, then given its state). */
  columns: PdIndex = EMPTY_INDEX;
  index: PdIndex = EMPTY_INDEX;
  data: readonly PdArray[] = [];
  /** What the frame's state held besides its data (`attrs`, `_flags`, …), as pickled. */
  state: ReadonlyMap<unknown, unknown> = new Map();
  filled = false;
  /** The class and state pandas pickled (the frame is frozen once filled, so they stay its own). */
  pickled: Reduction | null = null;

  [CHILDREN](): readonly unknown[] {
    return [this.columns, this.index, ...this.data, this.state];
  }

  [REDUCE](): Reduction {
    return pickledOf(this, 'PdDataFrame');
  }

  /** The column labels. */
  get columnNames(): unknown[] {
    return this.columns.toArray();
  }

  get shape(): [number, number] {
    return [this.index.length, this.data.length];
  }

  /** The first column with this label, or undefined. */
  column(name: unknown): PdArray | undefined {
    const at = this.columnNames.findIndex((c) => c === name || (c instanceof PyFloat && c.value === name));
    return at < 0 ? undefined : this.data[at];
  }

  /** The rows as null-prototype objects keyed by column label (as text), values as `PdArray.get` gives them. */
  toRows(): Record<string, unknown>[] {
    const keys = this.columnNames.map(keyOf);
    return Array.from({ length: this.index.length }, (_, r) => {
      const row = Object.create(null) as Record<string, unknown>;
      keys.forEach((k, c) => (row[k] = this.data[c]!.get(r)));
      return row;
    });
  }
}

/** `pandas.Series`: a name, an index and one `PdArray`. */
export class PdSeries {
  name: unknown = null;
  index: PdIndex = EMPTY_INDEX;
  values: PdArray | null = null;
  state: ReadonlyMap<unknown, unknown> = new Map();
  filled = false;
  /** As for `PdDataFrame`. */
  pickled: Reduction | null = null;

  [CHILDREN](): readonly unknown[] {
    return [this.name, this.index, this.values, this.state];
  }

  [REDUCE](): Reduction {
    return pickledOf(this, 'PdSeries');
  }

  get dtype(): string {
    return this.values?.dtype ?? 'object';
  }

  /** `[label, value]` pairs in order. */
  toRows(): [unknown, unknown][] {
    return Array.from({ length: this.index.length }, (_, i) => [this.index.get(i), this.values!.get(i)]);
  }
}

const EMPTY_INDEX = new PdIndex('range', null, null, { start: 0, stop: 0, step: 1 });
