/**
 * joblib's file layout, as `joblib.load` reads it. `joblib.dump` pickles each numpy array as a
 * `NumpyArrayWrapper` (shape, order, dtype, alignment in its BUILD state), ends the current frame,
 * and writes the array right after the wrapper's BUILD: raw bytes (one padding-length byte and that
 * much padding first, when the wrapper has an alignment), or, for arrays holding objects, a
 * separate protocol 2 pickle read by a plain `pickle.load`. `joblib.load` reads them back from the
 * same place, then goes on with the opcodes after them.
 *
 * The auditor must skip exactly the bytes joblib skips, or it would judge different opcodes than
 * joblib runs. So the array size is worked out as numpy works it out (checked against numpy 2.4:
 * a flexible dtype's itemsize comes from its state, the object flag from the state's flags), and
 * anything that leaves room for doubt is an error, never a guess.
 */
import type { ResultSym, Sym } from './symbols.js';

/** The classes `joblib.load` treats as array wrappers. */
export const JOBLIB_WRAPPERS: ReadonlySet<string> = new Set([
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
]);

/** What follows a wrapper's BUILD: raw data ending at `end`, or a pickle of an object array at `start`. */
export type JoblibArray = { readonly kind: 'raw'; readonly end: number } | { readonly kind: 'objects'; readonly start: number } | { readonly kind: 'error'; readonly message: string };

/** Item sizes of numpy's fixed-size dtypes, by the type string numpy pickles (`dtype.__reduce__`). */
const FIXED_ITEMSIZE: ReadonlyMap<string, number> = new Map([
  ['b1', 1],
  ['i1', 1], ['i2', 2], ['i4', 4], ['i8', 8],
  ['u1', 1], ['u2', 2], ['u4', 4], ['u8', 8],
  ['f2', 2], ['f4', 4], ['f8', 8], ['f12', 12], ['f16', 16],
  ['c8', 8], ['c16', 16], ['c24', 24], ['c32', 32],
  ['M8', 8], ['m8', 8],
  ['O8', 8], ['O4', 4],
]);
/** Flexible dtypes: `S`/`a` bytes, `U` UCS-4 text (4 bytes a character), `V` raw or structured. */
const FLEXIBLE = /^([SaUV])(\d{1,12})$/;

/**
 * Where joblib reads the array a wrapper describes, given the wrapper (its BUILD state tracked) and
 * the offset just after that BUILD.
 */
export function joblibArray(wrapper: ResultSym, bytes: Uint8Array, after: number): JoblibArray {
  const error = (message: string): JoblibArray => ({ kind: 'error', message: `joblib array wrapper: ${message}` });
  const state = wrapper.state;
  if (state === undefined || state.k !== 'dict' || !state.complete) return error('its state is not a dict the scan can read');
  const shape = state.entries.get('shape');
  if (shape === undefined || shape.k !== 'tuple') return error('no shape tuple');
  let count = 1;
  for (const d of shape.items) {
    if (d.k !== 'int' || d.v < 0) return error('a shape entry is not a non-negative int');
    count *= d.v;
  }
  const dtype = state.entries.get('dtype');
  if (dtype === undefined) return error('no dtype');
  const item = dtypeItem(dtype);
  if (typeof item === 'string') return error(item);
  if (item.objects) return { kind: 'objects', start: after };

  let at = after;
  // joblib <= 1.1 wrote no alignment attribute; None means the stream could not tell its position.
  const alignment = state.entries.get('numpy_array_alignment_bytes');
  if (alignment !== undefined && alignment.k !== 'none') {
    if (at >= bytes.length) return error('the padding-length byte is missing');
    at += 1 + bytes[at]!;
  }
  const size = count * item.itemsize;
  if (!Number.isSafeInteger(size) || size > bytes.length - Math.min(at, bytes.length)) {
    return error(`its ${count} × ${item.itemsize} bytes of array data run past the end of the file`);
  }
  return { kind: 'raw', end: at + size };
}

/** A `numpy.dtype(spec, False, True)` call, with the state its BUILD gave: item size and whether it holds objects. */
function dtypeItem(dtype: Sym): { itemsize: number; objects: boolean } | string {
  if (dtype.k !== 'result' || dtype.of !== 'numpy.dtype') return 'the dtype is not a numpy.dtype the scan can read';
  const args = dtype.args;
  const spec = args?.k === 'tuple' ? args.items[0] : undefined;
  if (spec === undefined || spec.k !== 'str') return 'the dtype has no type string';
  const state = dtype.state;
  let flags: number | undefined;
  let stateSize = -1;
  if (state !== undefined) {
    // numpy's dtype state is (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]).
    if (state.k !== 'tuple' || (state.items.length !== 8 && state.items.length !== 9)) return 'a dtype state the scan cannot read';
    const f = state.items[7]!;
    const e = state.items[5]!;
    if (f.k !== 'int' || e.k !== 'int') return 'a dtype state the scan cannot read';
    flags = f.v;
    stateSize = e.v;
  }
  const flexible = FLEXIBLE.exec(spec.v);
  let itemsize: number;
  if (flexible !== null) {
    // numpy takes a flexible dtype's size from the state when the state gives one.
    itemsize = stateSize > 0 ? stateSize : Number(flexible[2]) * (flexible[1] === 'U' ? 4 : 1);
  } else {
    const fixed = FIXED_ITEMSIZE.get(spec.v);
    if (fixed === undefined) return `a dtype ${JSON.stringify(spec.v.slice(0, 40))} the scan does not know`;
    itemsize = fixed;
  }
  // numpy keeps the state's flags as given: bit 0 (NPY_ITEM_REFCOUNT) is what makes joblib pickle the array.
  const objects = flags === undefined ? spec.v.startsWith('O') : (flags & 1) !== 0;
  if (!objects && itemsize <= 0) return 'a dtype of size 0';
  return { itemsize, objects };
}
