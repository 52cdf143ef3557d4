/**
 * Reconstructors for the `pandas` pack: DataFrame and Series (block managers of pandas 1.5 to 3) rebuilt as
 * `PdDataFrame` / `PdSeries`. Classes are read by qualname, so the internal names of pandas 1.5 and 2
 * (`pandas.core.frame.DataFrame`) and the public ones of pandas 3 (`pandas.DataFrame`) read alike; the pack
 * allows each exact name. Indexes, extension arrays and pandas dtypes arrive as inert records
 * (the generic `object` reconstructor) or numpy values, and are read here into `PdIndex` / `PdArray`,
 * each checked: a block's placement must name distinct columns of its frame, one per row of its
 * values; every column must have a value per index label; codes must point at categories or levels.
 */
import { PyGlobal } from '../../model/global.js';
import { NdArray, NpDtype, typedView } from '../../model/ndarray.js';
import { PyObject } from '../../model/object.js';
import { PdArray, PdDataFrame, PdIndex, PdSeries, itemOf, pickledOf, tzName, type PdArrayKind, type PdIndexKind } from '../../model/pandas.js';
import { REDUCE, type Reduction } from '../../model/reduce.js';
import { PySlice } from '../../model/stdlib.js';
import { PyTuple } from '../../model/tuple.js';
import type { ReconstructorDef } from '../types.js';
import { arity, describe, fail, mustBe } from './check.js';
import { PaStrings, PYARROW_DEFS } from './pyarrow.js';

const G_NEWOBJ = new PyGlobal('copyreg', '__newobj__');
const globalName = (v: unknown): string => (v instanceof PyGlobal ? `${v.module}.${v.qualname}` : '');
const last = (v: unknown): string => (v instanceof PyGlobal ? v.qualname : '');
/**
 * What a pandas class (a global, or a record's class name) is read as, from one of the tables below. By
 * qualname: pandas 1.5 and 2 pickle `pandas.core.arrays.integer.IntegerArray`, pandas 3 `pandas.arrays.IntegerArray`;
 * the pack allows each exact name, and only where its constraints say.
 */
const kindOf = <K>(table: Readonly<Record<string, K>>, cls: unknown): K | undefined => {
  const q = typeof cls === 'string' ? cls : last(cls);
  return Object.hasOwn(table, q) ? table[q] : undefined;
};
const dictOf = (what: string, v: unknown): ReadonlyMap<unknown, unknown> => (v instanceof Map ? v : mustBe(what, 'a dict', v));

/** pandas' name for a numpy dtype: `int64`, `float32`, `bool`, `object`, `datetime64[ns]`. */
function numpyName(dt: NpDtype): string {
  const bits = dt.itemsize * 8;
  switch (dt.kind) {
    case 'b':
      return 'bool';
    case 'i':
      return `int${bits}`;
    case 'u':
      return `uint${bits}`;
    case 'f':
      return `float${bits}`;
    case 'c':
      return `complex${bits}`;
    case 'M':
    case 'm': {
      const t = dt.datetime;
      const unit = t === null || t.unit === 'generic' ? '' : `[${t.count === 1 ? '' : t.count}${t.unit}]`;
      return `${dt.kind === 'M' ? 'datetime64' : 'timedelta64'}${unit}`;
    }
    default:
      return 'object';
  }
}

/** A 1-d array, or the rows of a 2-d one (a block holds one row per column), as 1-d arrays. */
function rowsOf(what: string, a: unknown): NdArray[] {
  if (!(a instanceof NdArray)) return mustBe(what, 'a numpy array', a);
  if (a.ndim === 1) return [a];
  if (a.ndim !== 2) return fail(`${what} must have 1 or 2 dimensions, it has ${a.ndim}`);
  const [k, n] = a.shape as [number, number];
  if (a.objects !== null) {
    if (k === 1) return [new NdArray({ dtype: a.dtype, shape: [n], objects: a.objects, core: a.core })]; // no copy of a lone column
    return Array.from({ length: k }, (_, j) => new NdArray({ dtype: a.dtype, shape: [n], objects: a.objects!.slice(j * n, (j + 1) * n), core: a.core }));
  }
  const c = a.toCOrder()!;
  const size = n * a.dtype.itemsize;
  return Array.from({ length: k }, (_, j) => new NdArray({ dtype: a.dtype, shape: [n], data: c.subarray(j * size, (j + 1) * size), core: a.core, writeable: a.writeable }));
}

const OFFSET_CODES: Readonly<Record<string, string>> = {
  Day: 'D', MonthEnd: 'M', Hour: 'H', Minute: 'T', Second: 'S', Milli: 'L', Micro: 'U', Nano: 'N', BusinessDay: 'B', Week: 'W', QuarterEnd: 'Q', YearEnd: 'A',
};
const DAYS = 'MONTUEWEDTHUFRISATSUN';
const MONTHS = 'JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC';

/** A pandas dtype record's printed name: `datetime64[ns, UTC]`, `period[M]`, `category`, `string`. */
function extensionName(dtype: unknown): string {
  if (!(dtype instanceof PyObject)) return mustBe('a pandas dtype', 'a record', dtype);
  const state = dtype.state instanceof Map ? dtype.state : new Map();
  switch (dtype.name) {
    case 'DatetimeTZDtype':
      return `datetime64[${String(state.get('unit'))}, ${tzName(state.get('tz'))}]`;
    case 'PeriodDtype': {
      const offset = dtype.args[0];
      // pandas 2 pickles PeriodDtype('period[D]'), pandas 1.5 PeriodDtype(<offset record>).
      if (typeof offset === 'string' && /^period\[\d*[A-Za-z-]{1,12}\]$/.test(offset)) return offset;
      if (!(offset instanceof PyObject)) return fail('a PeriodDtype needs a frequency');
      const [n, , anchor] = offset.args;
      const code = OFFSET_CODES[offset.name] ?? offset.name;
      // Week(n, normalize, weekday 0-6 from Monday), QuarterEnd/YearEnd(n, normalize, month 1-12), as the pack checks them.
      const suffix = typeof anchor !== 'number' ? '' : `-${code === 'W' ? DAYS.slice(anchor * 3, anchor * 3 + 3) : MONTHS.slice(anchor * 3 - 3, anchor * 3)}`;
      return `period[${n === 1 || n === undefined ? '' : String(n)}${code}${suffix}]`;
    }
    case 'CategoricalDtype':
      return 'category';
    case 'StringDtype':
      return Number.isNaN(naOf(dtype)) ? 'str' : 'string';
    default:
      return fail(`${globalName(dtype.callable)} is not a pandas dtype the pandas pack reads`);
  }
}

/** A StringDtype's missing value: pandas 3's StringDtype(storage, na_value) gives it (NaN: the `str` dtype), older ones are pandas.NA. */
const naOf = (dtype: PyObject): unknown => (dtype.args.length > 1 ? dtype.args[1] : new PyGlobal('pandas', 'NA'));
const OBJECTS = NpDtype.fromStr('|O')!;

const MASKED: Readonly<Record<string, string>> = { IntegerArray: 'Int', FloatingArray: 'Float', BooleanArray: 'boolean' };
const BACKED: Readonly<Record<string, PdArrayKind>> = {
  DatetimeArray: 'datetime',
  TimedeltaArray: 'timedelta',
  PeriodArray: 'period',
  Categorical: 'categorical',
  StringArray: 'string',
};

/** Every code of an int array is -1 (missing) or points at one of `n` categories (or level labels). */
function checkCodes(what: string, codes: NdArray, n: number, of: string): void {
  if (codes.dtype.kind !== 'i' || codes.data === null) fail(`${what}'s codes must be ints`);
  const t = typedView(codes.dtype, codes.data!);
  for (let i = 0; i < t.length; i++) {
    const c = Number(t[i]);
    if (c < -1 || c >= n) fail(`${what} code ${c} points outside its ${n} ${of}`);
  }
}

/** The columns a block's (or an index's) values hold: numpy rows, or a pandas extension array's. */
function arraysOf(values: unknown): PdArray[] {
  if (values instanceof NdArray) return rowsOf('block values', values).map((a) => new PdArray(numpyName(a.dtype), 'numpy', a));
  if (!(values instanceof PyObject)) return mustBe('pandas array values', 'a numpy array or a pandas array', values);
  const masked = kindOf(MASKED, values.name);
  if (masked !== undefined) {
    const state = dictOf(`${values.name} state`, values.state);
    const [data] = rowsOf(`${values.name} data`, state.get('_data'));
    const [mask] = rowsOf(`${values.name} mask`, state.get('_mask'));
    if (data === undefined || mask === undefined || data.ndim !== 1 || mask.ndim !== 1 || data.shape[0] !== mask.shape[0] || mask.dtype.kind !== 'b') {
      return fail(`${values.name} needs 1-d data and a bool mask of the same length`);
    }
    const dtype = masked === 'boolean' ? 'boolean' : `${data.dtype.kind === 'u' ? 'U' : ''}${masked}${data.dtype.itemsize * 8}`;
    return [new PdArray(dtype, 'masked', data, mask, null, false, values)];
  }
  // pandas 3's Arrow-backed strings: NEWOBJ, then {_pa_array: the strings, _dtype: StringDtype}; missing values become the dtype's.
  if (values.name === 'ArrowStringArray') {
    const state = dictOf('an ArrowStringArray state', values.state);
    const [strings, dtype] = [state.get('_pa_array'), state.get('_dtype')];
    if (!(strings instanceof PaStrings) || !(dtype instanceof PyObject) || dtype.name !== 'StringDtype') return fail('an ArrowStringArray needs a pyarrow string array and a StringDtype');
    const na = naOf(dtype);
    const objects = strings.value.map((s) => s ?? na);
    return [new PdArray(extensionName(dtype), 'string', new NdArray({ dtype: OBJECTS, shape: [objects.length], objects }), null, null, false, values)];
  }
  // pandas._libs.arrays.__pyx_unpickle_NDArrayBacked(cls, checksum, state), then BUILD (dtype, ndarray, attributes).
  if (globalName(values.callable) === 'pandas._libs.arrays.__pyx_unpickle_NDArrayBacked') {
    const cls = values.args[0];
    const kind = kindOf(BACKED, cls);
    const state = values.state ?? values.args[2];
    if (kind === undefined || !(state instanceof PyTuple) || state.length < 2) return fail(`${globalName(cls) || 'an NDArrayBacked array'} is not one the pandas pack reads`);
    const [dtype, data] = state;
    const rows = rowsOf(`${last(cls)} data`, data);
    // What each column dumps as: the record itself, or for a row of a 2-d array, the record with that row.
    const sourceOf = (row: NdArray): PyObject => {
      if (row === data) return values;
      const rowState = PyTuple.fromArray([dtype, row, ...[...state].slice(2)]);
      const rec = new PyObject(values.callable, values.state === undefined ? [cls, values.args[1], rowState] : values.args, values.kind);
      if (values.state !== undefined) rec.state = rowState;
      return rec;
    };
    if (kind === 'categorical') {
      const dstate = dtype instanceof PyObject && dtype.state instanceof Map ? dtype.state : fail('a Categorical needs a CategoricalDtype');
      const categories = dstate.get('categories');
      if (!(categories instanceof PdIndex)) return fail('a CategoricalDtype needs its categories as an index');
      return rows.map((codes) => {
        checkCodes('a Categorical', codes, categories.length, 'categories');
        return new PdArray('category', 'categorical', codes, null, categories, dstate.get('ordered') === true, sourceOf(codes));
      });
    }
    const name = dtype instanceof NpDtype ? numpyName(dtype) : extensionName(dtype);
    const tz = kind === 'datetime' && dtype instanceof PyObject && dtype.state instanceof Map ? dtype.state.get('tz') ?? null : null;
    return rows.map((a) => {
      if (kind !== 'string' && (a.dtype.itemsize !== 8 || a.objects !== null)) fail(`${last(cls)} data must be 64-bit`);
      if (kind === 'string' && a.objects === null) fail('a StringArray holds objects');
      return new PdArray(name, kind, a, null, null, false, sourceOf(a), tz);
    });
  }
  return fail(`${globalName(values.callable) || 'a record'} is not a pandas array the pandas pack reads`);
}

/** The one array an index's `data` holds. */
function oneArray(what: string, v: unknown): PdArray {
  const arrays = arraysOf(v);
  if (arrays.length !== 1) fail(`${what} must be 1-d`);
  return arrays[0]!;
}

/** What each index class is read as ('labels': numbers or objects, as its values are). */
const INDEX_KIND: Readonly<Record<string, PdIndexKind | 'labels'>> = {
  Index: 'labels',
  Int64Index: 'labels',
  UInt64Index: 'labels',
  Float64Index: 'labels',
  NumericIndex: 'labels',
  RangeIndex: 'range',
  MultiIndex: 'multi',
  DatetimeIndex: 'datetime',
  TimedeltaIndex: 'timedelta',
  PeriodIndex: 'period',
  CategoricalIndex: 'categorical',
};
const intOf = (what: string, v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : mustBe(what, 'an int', v));

/** `_new_Index(cls, d)` / `_new_DatetimeIndex(cls, d)` (`made`: the call, kept for dumps): a `PdIndex`, checked. */
function newIndex(args: readonly unknown[], made: Reduction): PdIndex {
  arity('_new_Index', args, 2, 2);
  const [cls, d] = args;
  const state = dictOf('an index state', d);
  const name = state.get('name') ?? null;
  const kind = kindOf(INDEX_KIND, cls) ?? fail(`${globalName(cls) || describe(cls)} is not an index the pandas pack reads`);
  if (kind === 'range') {
    const [start, stop, step] = ['start', 'stop', 'step'].map((k) => intOf(`RangeIndex ${k}`, state.get(k)));
    if (step === 0) fail('RangeIndex step must not be zero');
    return new PdIndex('range', name, null, { start: start!, stop: stop!, step: step! }, null, made);
  }
  if (kind === 'multi') {
    const levels = state.get('levels');
    const codes = state.get('codes');
    if (!Array.isArray(levels) || !Array.isArray(codes) || levels.length !== codes.length || levels.length === 0) return fail('a MultiIndex needs as many codes as levels');
    const names = state.get('names');
    const codeArrays = codes.map((c, k) => {
      const level = levels[k];
      if (!(level instanceof PdIndex)) return fail('MultiIndex levels must be indexes');
      const [a] = rowsOf('MultiIndex codes', c);
      if (a === undefined || a.ndim !== 1 || a.shape[0] !== rowsOf('MultiIndex codes', codes[0])[0]!.shape[0]) return fail('MultiIndex codes must be 1-d int arrays of one length');
      checkCodes('a MultiIndex', a, level.length, 'level labels');
      return a;
    });
    return new PdIndex('multi', null, null, null, { levels: levels as PdIndex[], codes: codeArrays, names: Array.isArray(names) ? names : levels.map(() => null) }, made);
  }
  const values = oneArray(`${last(cls)} data`, state.get('data'));
  if (kind === 'labels') return new PdIndex(values.dtype === 'object' || values.kind === 'string' ? 'object' : 'numeric', name, values, null, null, made);
  if (values.kind !== kind) fail(`a ${last(cls)} holds ${values.kind} values`);
  return new PdIndex(kind, name, values, null, null, made);
}

/** A block: its columns and the frame columns they go to, and the call that made it. */
class PdBlock {
  constructor(
    readonly arrays: readonly PdArray[],
    readonly placement: readonly number[],
    readonly pickled: Reduction | null = null,
  ) {}

  [REDUCE](): Reduction {
    return pickledOf(this, 'pandas block');
  }
}

/** The frame columns a placement names (a slice, or an int array), one per row of the block's values; a Series' block is column 0 (pandas gives it slice(0, len)). */
function placementOf(p: unknown, rows: number, single: boolean): number[] {
  if (single) return rows === 1 ? [0] : fail(`a Series block holds one column, this one ${rows}`);
  const out: number[] = [];
  if (p instanceof PySlice) {
    const start = p.start === null ? 0 : intOf('a block placement start', p.start);
    const stop = intOf('a block placement stop', p.stop);
    const step = p.step === null ? 1 : intOf('a block placement step', p.step);
    if (start < 0 || step <= 0 || stop < start) fail('a block placement must be an increasing slice of columns');
    for (let j = 0, at = start; j < rows && at < stop; j++, at += step) out.push(at);
  } else if (p instanceof NdArray && p.ndim === 1 && p.dtype.kind === 'i') {
    for (let j = 0; j < p.shape[0]! && j <= rows; j++) {
      const v = itemOf(p, j);
      if (typeof v !== 'number' || v < 0) return fail('a block placement names a negative column');
      out.push(v);
    }
  } else return mustBe('a block placement', 'a slice or an int array', p);
  if (out.length !== rows) fail(`a block placement names ${out.length} columns for ${rows} rows of values`);
  return out;
}

/** What a block manager holds: the columns in order and its axes, and how it was pickled. */
class PdManager {
  columns: PdArray[] = [];
  axes: PdIndex[] = [];
  filled = false;
  pickled: Reduction | null = null;

  [REDUCE](): Reduction {
    return pickledOf(this, 'pandas block manager');
  }
}

/** Places every block's columns at the frame columns they name; each column once, each as long as the row index. */
function fill(target: PdManager, blocks: readonly unknown[], axes: readonly unknown[]): PdManager {
  if (target.filled) fail('a block manager is filled once');
  if (axes.length !== 1 && axes.length !== 2) fail('a block manager has one or two axes');
  for (const a of axes) if (!(a instanceof PdIndex)) fail('block manager axes must be indexes');
  const items = axes[0] as PdIndex;
  const rows = axes[axes.length - 1] as PdIndex;
  const width = axes.length === 1 ? 1 : items.length;
  let total = 0;
  for (const b of blocks) total += b instanceof PdBlock ? b.arrays.length : fail(`a block manager holds blocks, the pickle gave ${describe(b)}`);
  if (total !== width) fail(`the blocks hold ${total} columns, the frame has ${width}`);
  const columns = new Array<PdArray | undefined>(width);
  for (const b of blocks as PdBlock[]) {
    b.placement.forEach((at, j) => {
      if (at >= width) fail(`a block placement points at column ${at}, outside the frame's ${width} columns`);
      if (columns[at] !== undefined) fail(`two blocks place column ${at}`);
      const col = b.arrays[j]!;
      if (col.length !== rows.length) fail(`a column has ${col.length} values for ${rows.length} index labels`);
      columns[at] = col;
    });
  }
  Object.assign(target, { columns: columns as PdArray[], axes: axes as PdIndex[], filled: true });
  return target;
}

/** pandas BlockManager / SingleBlockManager(blocks, axes), or its state (axes, values, items, {"0.14.1": {axes, blocks}}) → the columns in place, placements checked */
const blockManager = Object.freeze<ReconstructorDef>({
  id: 'pandas.BlockManager',
  bind: (module, qualname) => ({
    call(args) {
      arity('BlockManager', args, 2, 2);
      const [blocks, axes] = args;
      const list = blocks instanceof PdBlock ? [blocks] : Array.isArray(blocks) ? blocks : fail('BlockManager blocks must be a tuple');
      const mgr = fill(new PdManager(), list, Array.isArray(axes) ? axes : [axes]);
      mgr.pickled = { callable: new PyGlobal(module, qualname), args };
      return mgr;
    },
    newObject: () => new PdManager(),
    setState(target, state) {
      if (!(target instanceof PdManager)) return fail('a block manager state applies to a new block manager');
      if (!(state instanceof PyTuple) || state.length !== 4) return fail('a block manager state must be (axes, values, items, extra)');
      const extra = dictOf('the block manager extra state', dictOf('the block manager extra state', state[3]).get('0.14.1'));
      const axes = extra.get('axes');
      const blocks = extra.get('blocks');
      if (!Array.isArray(axes) || !Array.isArray(blocks)) return fail('the block manager state needs axes and blocks');
      const made = blocks.map((b) => {
        const d = dictOf('a block', b);
        const arrays = arraysOf(d.get('values'));
        return new PdBlock(arrays, placementOf(d.get('mgr_locs'), arrays.length, axes.length === 1));
      });
      fill(target, made, axes).pickled = { callable: G_NEWOBJ, args: [new PyGlobal(module, qualname)], state };
      return target;
    },
  }),
});

/** pandas._libs.internals._unpickle_block(values, placement, ndim) → a block: its columns and where they go, one placement per row of values */
const unpickleBlock = Object.freeze<ReconstructorDef>({
  id: 'pandas.unpickle_block',
  bind: (module, qualname) => ({
    call(args) {
      arity('_unpickle_block', args, 3, 3);
      const arrays = arraysOf(args[0]);
      return new PdBlock(arrays, placementOf(args[1], arrays.length, args[2] === 1), { callable: new PyGlobal(module, qualname), args });
    },
  }),
});

/** pandas _new_Index(cls, state) and _new_DatetimeIndex(cls, state) for Range, Int64, UInt64, Float64, object, Datetime, Timedelta, Period, Categorical and Multi indexes → PdIndex, codes checked */
const newIndexDef = Object.freeze<ReconstructorDef>({
  id: 'pandas.new_index',
  bind: (module, qualname) => ({ call: (args) => newIndex(args, { callable: new PyGlobal(module, qualname), args }) }),
});

/** The frame's or series' state: its block manager, and the rest kept as pickled. */
function frameState(state: unknown): [PdManager, Map<unknown, unknown>] {
  const d = dictOf('a DataFrame state', state);
  const mgr = d.get('_mgr') ?? d.get('_data');
  if (!(mgr instanceof PdManager) || !mgr.filled) return fail(`a pandas state needs its block manager, the pickle gave ${describe(mgr)}`);
  const rest = new Map(d);
  rest.delete('_mgr');
  rest.delete('_data');
  return [mgr, rest];
}

/** pandas.DataFrame: NEWOBJ then its state {_mgr, …} → PdDataFrame (columns, index, one PdArray per column) */
const frame = Object.freeze<ReconstructorDef>({
  id: 'pandas.DataFrame',
  bind: (module, qualname) => ({
    newObject: () => new PdDataFrame(),
    setState(target, state) {
      if (!(target instanceof PdDataFrame) || target.filled) return fail('a DataFrame state applies once, to a new DataFrame');
      const [mgr, rest] = frameState(state);
      if (mgr.axes.length !== 2) fail('a DataFrame has two axes');
      const pickled = { callable: G_NEWOBJ, args: [new PyGlobal(module, qualname)], state };
      return Object.freeze(Object.assign(target, { columns: mgr.axes[0], index: mgr.axes[1], data: Object.freeze(mgr.columns), state: rest, filled: true, pickled }));
    },
  }),
});

/** pandas.Series: NEWOBJ then its state {_mgr, _name, …} → PdSeries (name, index, one PdArray) */
const series = Object.freeze<ReconstructorDef>({
  id: 'pandas.Series',
  bind: (module, qualname) => ({
    newObject: () => new PdSeries(),
    setState(target, state) {
      if (!(target instanceof PdSeries) || target.filled) return fail('a Series state applies once, to a new Series');
      const [mgr, rest] = frameState(state);
      if (mgr.axes.length !== 1 || mgr.columns.length !== 1) fail('a Series has one axis and one column');
      const pickled = { callable: G_NEWOBJ, args: [new PyGlobal(module, qualname)], state };
      return Object.freeze(Object.assign(target, { name: rest.get('name') ?? rest.get('_name') ?? null, index: mgr.axes[0], values: mgr.columns[0], state: rest, filled: true, pickled }));
    },
  }),
});

export const PANDAS_DEFS: readonly ReconstructorDef[] = [frame, series, blockManager, unpickleBlock, newIndexDef, ...PYARROW_DEFS];
