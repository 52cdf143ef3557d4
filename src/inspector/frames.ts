/**
 * Tabular values as tables: pandas DataFrames, Series and Index, and numpy arrays of a structured
 * dtype (one column per field). A column formats a page of rows at a time, as pandas (or numpy)
 * prints each value: NaN, NaT, <NA>, None, datetimes, timedeltas, periods, categoricals.
 */
import { reprBytes, reprFloat } from '../audit/pyrepr.js';
import { PyFloat } from '../model/float.js';
import { PyGlobal } from '../model/global.js';
import { NdArray, type NpDtype } from '../model/ndarray.js';
import { itemOf, PdArray, PdDataFrame, PdIndex, PdSeries } from '../model/pandas.js';
import { PyStr } from '../model/str.js';
import { half } from '../model/half.js';

export interface TableColumn {
  readonly label: string;
  readonly dtype: string;
  /** An index column (drawn as a row header). */
  readonly index?: boolean;
  /** The texts of rows [from, to). */
  cells(from: number, to: number): string[];
}

export interface TableModel {
  /** What the table shows: `DataFrame`, `Series`, `Index`, `structured array`. */
  readonly kind: string;
  readonly rows: number;
  readonly columns: readonly TableColumn[];
  /** Numeric columns' values, for plots (structured arrays only). */
  readonly numeric?: readonly { readonly label: string; readonly dtype: string; readonly length: number; at(i: number): number }[];
}

/** How a value no column kind knows is shown (the tree's one-line text). */
export type OtherText = (v: unknown) => string;

const NS_PER_DAY = 86_400_000_000_000n;
const pad = (n: number | bigint, w = 2) => String(n).padStart(w, '0');
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** A day count since 1970-01-01 as [year, month, day] (proleptic Gregorian, any year: the civil-from-days algorithm on bigints). */
function ymd(days: number | bigint): [bigint, bigint, bigint] {
  const z = BigInt(days) + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return [yoe + era * 400n + (m <= 2n ? 1n : 0n), m, doy - (153n * mp + 2n) / 5n + 1n];
}

/** A day count since 1970-01-01 as `YYYY-MM-DD`, the year four wide with its sign as numpy prints it (`0096`, `-005`, `-154`). */
function civil(days: number | bigint): string {
  const [y, m, d] = ymd(days);
  return `${y < 0n ? `-${pad(-y, 3)}` : pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/** A day count as a pandas Period prints its date: the year unpadded (`5-03-01`, `-100-03-01`). */
function periodDate(days: bigint): string {
  const [y, m, d] = ymd(days);
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** Sub-second nanoseconds as pandas prints them: none, six digits, or nine when there are nanoseconds. */
const fraction = (ns: bigint) => (ns === 0n ? '' : ns % 1000n === 0n ? `.${pad(ns / 1000n, 6)}` : `.${pad(ns, 9)}`);

function clock(nsOfDay: bigint): string {
  const s = nsOfDay / 1_000_000_000n;
  return `${pad(s / 3600n)}:${pad((s / 60n) % 60n)}:${pad(s % 60n)}${fraction(nsOfDay % 1_000_000_000n)}`;
}

/** `str(pd.Timestamp(ns))`; `dateOnly` as pandas prints a column whose times are all midnight. */
export function timestamp(ns: bigint, dateOnly = false): string {
  const day = floorDiv(ns, NS_PER_DAY);
  const date = civil(day);
  return dateOnly ? date : `${date} ${clock(ns - day * NS_PER_DAY)}`;
}

/** `str(pd.Timedelta(ns))`: `1 days 00:00:00`, `-1 days +22:00:00`, `0 days 00:00:00.000003`. */
export function timedelta(ns: bigint): string {
  const day = floorDiv(ns, NS_PER_DAY);
  return `${day} days ${day < 0n ? '+' : ''}${clock(ns - day * NS_PER_DAY)}`;
}

/** `str(pd.Timestamp)` of a zoned column's row: its isoformat (the model's, every zone kind the pack reads) with a space. */
function zoned(a: PdArray, i: number, tz: string): string {
  const iso = a.isoformat(i)!.replace('T', ' ');
  return iso.endsWith('Z') ? `${iso.slice(0, -1)} (UTC; ${tz})` : iso;
}

const mod = (a: bigint, b: bigint) => a - floorDiv(a, b) * b;
const WEEK_END: Readonly<Record<string, bigint>> = { MON: 1n, TUE: 2n, WED: 3n, THU: 4n, FRI: 5n, SAT: 6n, SUN: 0n };
/** A period frequency's base (pandas 1.x or 2.x spelling) and how many of its units make a day, for those below a day; the fraction digits a time shows (-2 hours, -1 minutes). */
const INTRADAY: Readonly<Record<string, [bigint, number]>> = {
  H: [24n, -2], h: [24n, -2], T: [1440n, -1], min: [1440n, -1], S: [86_400n, 0], s: [86_400n, 0],
  L: [86_400_000n, 3], ms: [86_400_000n, 3], U: [86_400_000_000n, 6], us: [86_400_000_000n, 6], N: [NS_PER_DAY, 9], ns: [NS_PER_DAY, 9],
};

/**
 * `str(pd.Period(ordinal=ordinal, freq=freq))` for every frequency a Period takes, in pandas 1.x and 2.x spellings
 * (`A-JAN`/`Y-JAN`, `Q-MAR`, `M`, `W-MON`, `B`, `D`, `H`/`h`, `T`/`min`, `S`/`s`, `L`/`ms`, `U`/`us`, `N`/`ns`, with a
 * multiple such as `2M`: its ordinals count base units); the ordinal and frequency otherwise. Where pandas' C
 * arithmetic wraps (a year beyond ±2^31, or hours beyond about a million years) this prints the true date instead.
 */
export function period(ordinal: bigint, freq: string): string {
  const f = freq.replace(/^\d+/, '');
  const [, base, anchor] = /^([A-Za-z]+)(?:-([A-Z]{3}))?$/.exec(f) ?? [];
  // A fiscal year or quarter is labelled by the year it ends in, so its ordinal reads the same whatever the month.
  if ((base === 'A' || base === 'Y') && (anchor === undefined || /^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)$/.test(anchor))) return String(1970n + ordinal);
  if (base === 'Q' && (anchor === undefined || /^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)$/.test(anchor))) return `${1970n + floorDiv(ordinal, 4n)}Q${mod(ordinal, 4n) + 1n}`;
  if (base === 'W' && (anchor === undefined || anchor in WEEK_END)) {
    const end = 7n * ordinal - 4n + WEEK_END[anchor ?? 'SUN']!;
    return `${periodDate(end - 6n)}/${periodDate(end)}`;
  }
  if (anchor !== undefined) return `ordinal ${ordinal} (${freq})`;
  if (base === 'M') return `${1970n + floorDiv(ordinal, 12n)}-${pad(mod(ordinal, 12n) + 1n)}`;
  if (base === 'D') return periodDate(ordinal);
  // Business days: five to a week, ordinal 0 the Thursday 1970-01-01.
  if (base === 'B') {
    const x = ordinal + 3n;
    return periodDate(7n * floorDiv(x, 5n) + mod(x, 5n) - 3n);
  }
  const intraday = base === undefined ? undefined : INTRADAY[base];
  if (intraday === undefined) return `ordinal ${ordinal} (${freq})`;
  const [perDay, digits] = intraday;
  const day = floorDiv(ordinal, perDay);
  const unitsPerSecond = digits > 0 ? 10n ** BigInt(digits) : 1n;
  const inDay = ordinal - day * perDay;
  const seconds = digits === -2 ? inDay * 3600n : digits === -1 ? inDay * 60n : inDay / unitsPerSecond;
  const hm = `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}`;
  const time = digits < 0 ? hm : `${hm}:${pad(seconds % 60n)}${digits > 0 ? `.${pad(inDay % unitsPerSecond, digits)}` : ''}`;
  return `${periodDate(day)} ${time}`;
}

/** A float as Python prints it, pandas' `NaN` for a missing one; float32 and float16 by their own shortest digits. */
export function floatText(x: number, bits = 64): string {
  if (Number.isNaN(x)) return 'NaN';
  if (bits < 64 && Number.isFinite(x)) {
    const same = bits === 32 ? (y: number) => Math.fround(y) === x : (y: number) => half(halfBits(y)) === x;
    for (let p = 1; p < 17; p++) {
      const y = Number(x.toPrecision(p));
      if (same(y)) return reprFloat(y);
    }
  }
  return reprFloat(x);
}

/** The float16 bits nearest a number (for the round-trip test only). */
function halfBits(y: number): number {
  const f = new Float32Array([y]);
  const i = new Uint32Array(f.buffer)[0]!;
  const sign = (i >>> 16) & 0x8000;
  const exp = ((i >>> 23) & 0xff) - 127 + 15;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) return sign | Math.round((i & 0x7fffff | 0x800000) / 2 ** (14 - exp));
  return sign | (exp << 10) | Math.round((i & 0x7fffff) / 8192);
}

/** One cell of an object column, or of a label, as pandas prints it (strings without quotes). */
function plain(v: unknown, other: OtherText): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return v;
  if (v instanceof PyStr) return v.text;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatText(v);
  if (typeof v === 'bigint') return String(v);
  if (v instanceof PyFloat) return floatText(v.value);
  if (v instanceof PyGlobal && v.module === 'pandas._libs.missing' && v.qualname === 'NA') return '<NA>';
  if (v instanceof Uint8Array) return reprBytes(v.subarray(0, 64));
  if (Array.isArray(v)) return `(${v.map((x) => plain(x, other)).join(', ')})`;
  return other(v);
}

/** Nanoseconds in each numpy time unit a pandas column may hold (pandas 2 and 3 keep s, ms and us too). */
const NS_IN: Readonly<Record<string, bigint>> = { W: 7n * NS_PER_DAY, D: NS_PER_DAY, h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, ns: 1n };
/** A datetime or timedelta column's raw count at `v` in nanoseconds. */
const nsOf = (a: PdArray, v: bigint) => v * BigInt(a.values.dtype.datetime?.count ?? 1) * (NS_IN[a.values.dtype.datetime?.unit ?? 'ns'] ?? 1n);

const tzOf = (dtype: string) => /^datetime64\[\w+, (.+)\]$/.exec(dtype)?.[1];

/** Formats rows [from, to) of a pandas array as its column prints them. */
function pdCells(a: PdArray, other: OtherText): (from: number, to: number) => string[] {
  const bits = a.values.dtype.kind === 'f' ? a.values.dtype.itemsize * 8 : 64;
  return (from, to) => {
    const out: string[] = [];
    switch (a.kind) {
      case 'datetime': {
        const tz = tzOf(a.dtype);
        const vals = Array.from({ length: to - from }, (_, k) => a.get(from + k) as bigint | null).map((v) => (v === null ? null : nsOf(a, v)));
        const dateOnly = tz === undefined && vals.every((v) => v === null || v % NS_PER_DAY === 0n);
        vals.forEach((v, k) => out.push(v === null ? 'NaT' : tz ? zoned(a, from + k, tz) : timestamp(v, dateOnly)));
        return out;
      }
      case 'categorical': {
        const cats = a.categories!;
        const catText = cats.values ? pdCells(cats.values, other) : (i: number) => [plain(cats.get(i), other)];
        for (let i = from; i < to; i++) {
          const code = Number(itemOf(a.values, i));
          out.push(code < 0 ? 'NaN' : catText(code, code + 1)[0]!);
        }
        return out;
      }
      default:
        for (let i = from; i < to; i++) {
          const v = a.get(i);
          if (v === null) out.push(a.kind === 'masked' || a.kind === 'string' ? '<NA>' : a.kind === 'timedelta' || a.kind === 'period' ? 'NaT' : a.dtype === 'float64' || a.dtype === 'float32' ? 'NaN' : 'None');
          else if (a.kind === 'timedelta') out.push(timedelta(nsOf(a, v as bigint)));
          else if (a.kind === 'period') out.push(period(v as bigint, /^period\[(.+)\]$/.exec(a.dtype)?.[1] ?? '?'));
          else if (typeof v === 'number' && a.values.dtype.kind === 'f') out.push(floatText(v, bits));
          else out.push(plain(v, other));
        }
        return out;
    }
  };
}

const labelText = (name: unknown, other: OtherText) => (name === null || name === undefined ? '' : plain(name, other));

/** The index's columns: one, or one per level of a MultiIndex. */
function indexColumns(ix: PdIndex, other: OtherText): TableColumn[] {
  if (ix.range !== null) return [{ label: labelText(ix.name, other), dtype: 'int64', index: true, cells: (from, to) => Array.from({ length: to - from }, (_, k) => String(ix.get(from + k))) }];
  if (ix.multi !== null) {
    const { levels, codes, names } = ix.multi;
    return levels.map((level, l) => {
      const texts = level.values ? pdCells(level.values, other) : (i: number) => [plain(level.get(i), other)];
      return {
        label: labelText(names[l], other),
        dtype: level.dtype,
        index: true,
        cells: (from: number, to: number) => Array.from({ length: to - from }, (_, k) => {
          const code = Number(itemOf(codes[l]!, from + k));
          return code < 0 ? 'NaN' : texts(code, code + 1)[0]!;
        }),
      };
    });
  }
  return [{ label: labelText(ix.name, other), dtype: ix.dtype, index: true, cells: pdCells(ix.values!, other) }];
}

function frameTable(df: PdDataFrame, other: OtherText): TableModel {
  const names = df.columns.length === df.data.length ? df.columns.toArray() : df.data.map((_, i) => i);
  return {
    kind: 'DataFrame',
    rows: df.index.length,
    columns: [...indexColumns(df.index, other), ...df.data.map((col, c): TableColumn => ({ label: plain(names[c], other), dtype: col.dtype, cells: pdCells(col, other) }))],
  };
}

/** A pandas value's table, a structured array's, or null. */
export function tableOf(v: unknown, other: OtherText): TableModel | null {
  if (v instanceof PdDataFrame) return frameTable(v, other);
  if (v instanceof PdSeries && v.values) return { kind: 'Series', rows: v.index.length, columns: [...indexColumns(v.index, other), { label: labelText(v.name, other), dtype: v.values.dtype, cells: pdCells(v.values, other) }] };
  if (v instanceof PdIndex) return { kind: 'Index', rows: v.length, columns: indexColumns(v, other) };
  if (v instanceof NdArray && v.data !== null && v.dtype.fields !== null) return structuredTable(v);
  return null;
}

/** The preview line of a table's tree node. */
export function tableShape(t: TableModel): string {
  const cols = t.columns.filter((c) => !c.index).length;
  return `${t.rows.toLocaleString('en')} row${t.rows === 1 ? '' : 's'} × ${cols.toLocaleString('en')} column${cols === 1 ? '' : 's'}`;
}

// Structured numpy arrays: a column per field, read from the raw bytes.

const DECODE_UTF32 = (b: Uint8Array, little: boolean): string => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let s = '';
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const c = view.getUint32(i, little);
    if (c === 0) break;
    s += c <= 0x10ffff ? String.fromCodePoint(c) : '\ufffd';
  }
  return s;
};

/** numpy's time units below a day: how many make a day, and the fraction digits a datetime shows. */
const PER_DAY: Record<string, [bigint, number]> = { h: [24n, -1], m: [1440n, -2], s: [86400n, 0], ms: [86_400_000n, 3], us: [86_400_000_000n, 6], ns: [NS_PER_DAY, 9], ps: [NS_PER_DAY * 1000n, 12], fs: [NS_PER_DAY * 1_000_000n, 15], as: [NS_PER_DAY * 1_000_000_000n, 18] };
const WORDS: Record<string, string> = { Y: 'years', M: 'months', W: 'weeks', D: 'days', h: 'hours', m: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds', ps: 'picoseconds', fs: 'femtoseconds', as: 'attoseconds', generic: 'generic time units' };

/** `str(numpy.datetime64(v, unit))` (kind M) or `str(numpy.timedelta64(v, unit))` (kind m), with the unit's multiple. */
export function npTime(kind: 'M' | 'm', raw: bigint, unit: string, count: number): string {
  if (raw === -(2n ** 63n)) return 'NaT';
  const v = raw * BigInt(count);
  if (kind === 'm') return `${v} ${WORDS[unit] ?? unit}`;
  if (unit === 'Y') return String(1970n + v);
  if (unit === 'M') return `${1970n + floorDiv(v, 12n)}-${pad((((v % 12n) + 12n) % 12n) + 1n)}`;
  if (unit === 'W' || unit === 'D') return civil(unit === 'W' ? v * 7n : v);
  const per = PER_DAY[unit];
  if (per === undefined) return `${v} ${WORDS[unit] ?? unit}`;
  const [n, digits] = per;
  const day = floorDiv(v, n);
  const inDay = v - day * n;
  let clockText: string;
  if (digits === -1) clockText = pad(inDay);
  else if (digits === -2) clockText = `${pad(inDay / 60n)}:${pad(inDay % 60n)}`;
  else {
    const perSecond = 10n ** BigInt(digits);
    const sec = inDay / perSecond;
    clockText = `${pad(sec / 3600n)}:${pad((sec / 60n) % 60n)}:${pad(sec % 60n)}${digits > 0 ? `.${pad(inDay % perSecond, digits)}` : ''}`;
  }
  return `${civil(day)}T${clockText}`;
}

/** One scalar of a numpy dtype at `at` in `bytes`, as numpy prints an item of an array. */
export function scalarText(dt: NpDtype, bytes: Uint8Array, at: number): string {
  const b = bytes.subarray(at, at + dt.itemsize);
  if (b.length < dt.itemsize) return '?';
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dt.littleEndian;
  if (dt.subarray !== null) {
    const base = dt.subarray.base;
    const n = Math.floor(dt.itemsize / Math.max(1, base.itemsize));
    const shown = Array.from({ length: Math.min(n, 6) }, (_, k) => scalarText(base, b, k * base.itemsize));
    return `[${shown.join(', ')}${n > 6 ? ', …' : ''}]`;
  }
  const fields = dt.fields;
  if (fields !== null) return `(${fields.map((f) => scalarText(f.dtype, b, f.offset)).join(', ')})`;
  switch (dt.kind) {
    case 'b':
      return b[0] ? 'True' : 'False';
    case 'i':
    case 'u': {
      const s = dt.kind === 'i';
      switch (dt.itemsize) {
        case 1: return String(s ? view.getInt8(0) : view.getUint8(0));
        case 2: return String(s ? view.getInt16(0, le) : view.getUint16(0, le));
        case 4: return String(s ? view.getInt32(0, le) : view.getUint32(0, le));
        case 8: return String(s ? view.getBigInt64(0, le) : view.getBigUint64(0, le));
      }
      return '?';
    }
    case 'f':
      if (dt.itemsize === 2) return floatText(half(view.getUint16(0, le)), 16);
      if (dt.itemsize === 4) return floatText(view.getFloat32(0, le), 32);
      if (dt.itemsize === 8) return floatText(view.getFloat64(0, le));
      return '?';
    case 'c': {
      const w = dt.itemsize / 2;
      if (w !== 4 && w !== 8) return '?';
      const [re, im] = w === 4 ? [view.getFloat32(0, le), view.getFloat32(4, le)] : [view.getFloat64(0, le), view.getFloat64(8, le)];
      const f = (x: number) => floatText(x, w * 8).replace(/^NaN$/, 'nan').replace(/\.0$/, '');
      return `${f(re)}${im < 0 || Object.is(im, -0) ? '-' : '+'}${f(Math.abs(im))}j`;
    }
    case 'U':
      return DECODE_UTF32(b, le);
    case 'S': {
      const end = b.indexOf(0);
      return reprBytes(end < 0 ? b : b.subarray(0, end));
    }
    case 'M':
    case 'm':
      return npTime(dt.kind, view.getBigInt64(0, le), dt.datetime?.unit ?? 'generic', dt.datetime?.count ?? 1);
    default:
      return `${b.length} bytes`;
  }
}

/** The flat index `i` of an array of `shape` (C order) as numpy prints an index: `3` or `(1, 2)`. */
function indexLabel(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return String(i);
  const out: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    out.unshift(n ? i % n : 0);
    i = n ? Math.floor(i / n) : 0;
  }
  return `(${out.join(', ')})`;
}

function structuredTable(a: NdArray): TableModel {
  const dt = a.dtype;
  const rows = a.shape.reduce((x, y) => x * y, 1);
  const data = a.data!;
  const size = dt.itemsize;
  const fields = dt.fields!;
  const columns: TableColumn[] = [
    { label: '', dtype: 'index', index: true, cells: (from, to) => Array.from({ length: to - from }, (_, k) => indexLabel(from + k, a.shape)) },
    ...fields.map((f): TableColumn => ({
      label: f.name,
      dtype: f.dtype.fields ? 'struct' : f.dtype.subarray ? `${f.dtype.subarray.base.str}(${f.dtype.subarray.shape.join(',')})` : f.dtype.str,
      cells: (from, to) => Array.from({ length: to - from }, (_, k) => scalarText(f.dtype, data, (from + k) * size + f.offset)),
    })),
  ];
  const numeric = fields
    .filter((f) => f.dtype.subarray === null && f.dtype.fields === null && 'biuf'.includes(f.dtype.kind) && (f.dtype.kind !== 'f' || f.dtype.itemsize <= 8))
    .map((f) => {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const le = f.dtype.littleEndian;
      const w = f.dtype.itemsize;
      const k = f.dtype.kind;
      const read = (at: number): number => {
        if (k === 'b') return view.getUint8(at);
        if (k === 'f') return w === 2 ? half(view.getUint16(at, le)) : w === 4 ? view.getFloat32(at, le) : view.getFloat64(at, le);
        if (w === 1) return k === 'i' ? view.getInt8(at) : view.getUint8(at);
        if (w === 2) return k === 'i' ? view.getInt16(at, le) : view.getUint16(at, le);
        if (w === 4) return k === 'i' ? view.getInt32(at, le) : view.getUint32(at, le);
        return Number(k === 'i' ? view.getBigInt64(at, le) : view.getBigUint64(at, le));
      };
      return { label: f.name, dtype: f.dtype.str, length: Math.min(rows, Math.floor(data.length / Math.max(1, size))), at: (i: number) => read(i * size + f.offset) };
    });
  return { kind: 'structured array', rows, columns, numeric };
}
