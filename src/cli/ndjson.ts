/**
 * Arrays as people read them, for `toJson`: an `NdArray` (or masked array, or `TorchTensor`) becomes
 * `{"$ndarray": {"dtype", "shape", "data": nested lists}}`, items in row-major order, at most
 * `maxItems` of them (then `"cut": {"shown", "of"}` says so and the lists stop early). datetime64
 * items are ISO strings in their unit (numpy's `datetime_as_string`), timedelta64 items counts of
 * their unit (the dtype names it), NaT "NaT".
 */
import { NAT, NdArray, NpDtype, NpMaskedArray, NpScalar, type NpDatetimeMeta } from '../model/ndarray.js';
import type { TorchTensor } from '../model/tensor.js';

/** Turns one item (a number, bigint, string, bytes, PyComplex, object…) into JSON, as toJson does everywhere else. */
type Conv = (v: unknown) => unknown;

const PER_DAY: Readonly<Record<string, bigint>> = {
  h: 24n, m: 1440n, s: 86400n, ms: 86400n * 10n ** 3n, us: 86400n * 10n ** 6n, ns: 86400n * 10n ** 9n,
  ps: 86400n * 10n ** 12n, fs: 86400n * 10n ** 15n, as: 86400n * 10n ** 18n,
};
/** Digits after the seconds for each sub-second unit. */
const FRACTION: Readonly<Record<string, number>> = { ms: 3, us: 6, ns: 9, ps: 12, fs: 15, as: 18 };

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const pad = (n: bigint, width: number): string => n.toString().padStart(width, '0');
/** Years as numpy prints them: four digits at least, the sign counted in the width (-001). */
const year = (y: bigint): string => (y < 0n ? `-${pad(-y, 3)}` : pad(y, 4));

/** The civil date (proleptic Gregorian) of a day count from 1970-01-01. */
function civil(days: bigint): string {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return `${year(yoe + era * 400n + (m <= 2n ? 1n : 0n))}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** A datetime64 value as numpy's `datetime_as_string` writes it in its own unit; "NaT" for NaT. */
export function datetimeString(value: bigint, meta: NpDatetimeMeta): string {
  if (value === NAT) return 'NaT';
  const total = value * BigInt(meta.count);
  switch (meta.unit) {
    case 'generic':
      return total.toString(); // numpy cannot place a generic datetime other than NaT in time
    case 'Y':
      return year(1970n + total);
    case 'M':
      return `${year(1970n + floorDiv(total, 12n))}-${pad(total - floorDiv(total, 12n) * 12n + 1n, 2)}`;
    case 'W':
      return civil(total * 7n);
    case 'D':
      return civil(total);
  }
  const perDay = PER_DAY[meta.unit]!;
  const days = floorDiv(total, perDay);
  let rest = total - days * perDay; // in units, within the day
  const digits = FRACTION[meta.unit] ?? 0;
  const scale = 10n ** BigInt(digits);
  const fraction = rest % scale;
  rest /= scale; // now in seconds, minutes or hours
  const parts = meta.unit === 'h' ? [rest] : meta.unit === 'm' ? [rest / 60n, rest % 60n] : [rest / 3600n, (rest / 60n) % 60n, rest % 60n];
  return `${civil(days)}T${parts.map((p) => pad(p, 2)).join(':')}${digits > 0 ? `.${pad(fraction, digits)}` : ''}`;
}

/** One item of a dtype, from its bytes. */
function item(dt: NpDtype, bytes: Uint8Array, conv: Conv): unknown {
  if (dt.subarray !== null) {
    const base = dt.subarray.base;
    const items = Array.from({ length: dt.subarray.shape.reduce((a, b) => a * b, 1) }, (_, i) => item(base, bytes.subarray(i * base.itemsize, (i + 1) * base.itemsize), conv));
    return nest(items, dt.subarray.shape, Infinity).lists;
  }
  const fields = dt.fields;
  if (fields !== null) return Object.fromEntries(fields.map((f) => [f.name, item(f.dtype, bytes.subarray(f.offset, f.offset + f.dtype.itemsize), conv)]));
  const value = new NpScalar(dt, bytes).value;
  if (dt.datetime !== null) {
    const v = value as bigint;
    if (v === NAT) return 'NaT';
    return dt.kind === 'M' ? datetimeString(v, dt.datetime) : conv(v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);
  }
  return conv(value);
}

/**
 * Items in row-major order shaped into nested lists, stopping after `max` of them (an empty innermost
 * list counts as one, so a shape like (10**9, 0) stays small too).
 */
function nest(items: readonly unknown[], shape: readonly number[], max: number): { lists: unknown; shown: number } {
  let next = 0;
  let budget = max;
  const build = (axis: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < shape[axis]! && budget > 0; i++) {
      if (axis === shape.length - 1) {
        out.push(items[next++]);
        budget--;
      } else {
        const inner = build(axis + 1);
        if (inner.length === 0) budget--;
        out.push(inner);
      }
    }
    return out;
  };
  if (shape.length === 0) return { lists: items[0], shown: 1 };
  return { lists: build(0), shown: next };
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function form(dtype: string, shape: readonly number[], size: number, take: (n: number) => unknown[], maxItems: number, extra: Record<string, unknown> = {}): unknown {
  const n = Math.min(size, Math.max(maxItems, 1));
  const { lists, shown } = nest(take(n), shape, Math.max(maxItems, 1));
  return { $ndarray: { dtype, shape: [...shape], data: lists, ...(shown < size ? { cut: { shown, of: size } } : {}), ...extra } };
}

/** An NdArray (or masked array) in the `$ndarray` form. */
export function ndarrayJson(a: NdArray, maxItems: number, conv: Conv): unknown {
  const size = a.size;
  const take = (n: number): unknown[] => {
    if (a.objects !== null) return a.objects.slice(0, n).map(conv);
    const c = a.toCOrder()!;
    const w = a.dtype.itemsize;
    return Array.from({ length: n }, (_, i) => item(a.dtype, c.subarray(i * w, (i + 1) * w), conv));
  };
  let extra: Record<string, unknown> = {};
  if (a instanceof NpMaskedArray) {
    const per = size === 0 ? 1 : a.mask.length / size;
    // The mask's flags laid out as the data is: in C order through an array of per-byte items.
    const m = new NdArray({ dtype: new NpDtype(`V${per}`, 'V', per, '|'), shape: a.shape, fortranOrder: a.fortranOrder, data: a.mask }).toCOrder()!;
    const n = Math.min(size, Math.max(maxItems, 1));
    const flagsOf = (i: number) => (per === 1 ? m[i] !== 0 : [...m.subarray(i * per, (i + 1) * per)].map((x) => x !== 0));
    extra = { mask: nest(Array.from({ length: n }, (_, i) => flagsOf(i)), a.shape, Math.max(maxItems, 1)).lists, fill_value: a.fillValue === null ? null : ndarrayJson(a.fillValue, maxItems, conv) };
  }
  return form(a.dtype.str, a.shape, size, take, maxItems, extra);
}

/** A numpy scalar: `{"$scalar": {"dtype", "value"}}`. */
export function scalarJson(s: NpScalar, conv: Conv): unknown {
  return { $scalar: { dtype: s.dtype.str, value: s.data === null ? conv(s.object) : item(s.dtype, s.data, conv) } };
}

/** A PyTorch tensor in the `$ndarray` form (its dtype named as torch names it). */
export function tensorJson(t: TorchTensor, maxItems: number, conv: Conv): unknown {
  const size = sizeOf(t.shape);
  let all: ArrayLike<number | bigint>;
  try {
    all = t.toTypedArray();
  } catch (e) {
    return { $ndarray: { dtype: t.dtype, shape: [...t.shape], data: null, error: (e as Error).message } };
  }
  const complex = t.dtype.startsWith('complex');
  const bool = t.dtype === 'bool';
  const num = (x: number | bigint | undefined) => conv(typeof x === 'bigint' && x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x);
  const take = (n: number): unknown[] =>
    Array.from({ length: n }, (_, i) => (complex ? { $complex: [num(all[2 * i]), num(all[2 * i + 1])] } : bool ? all[i] !== 0 : num(all[i])));
  return form(t.dtype, t.shape, size, take, maxItems);
}
