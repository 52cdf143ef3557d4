/**
 * An `.npy` file without objects as an array for the tree (the library's `loadFile` reads plain
 * dtypes only; the page also shows structured ones). The header is read by the library's reader,
 * which has checked every size; the array is a view of the file's bytes.
 */
import { NPY_MAGIC, readNpyHeader } from '../containers/npy-header.js';
import type { PyLiteral } from '../containers/pyliteral.js';
import { NdArray, NpDtype } from '../model/ndarray.js';
import { PyTuple } from '../model/tuple.js';

export const isNpy = (b: Uint8Array) => NPY_MAGIC.every((x, i) => b[i] === x);

/** numpy's dtype for a header's descr: a type string, a `(descr, shape)` subarray, or a list of fields. Undefined for what is not read here. */
function dtypeOf(d: PyLiteral, depth = 0): NpDtype | undefined {
  if (depth > 32) return undefined;
  if (d.t === 'str') return NpDtype.fromStr(d.v);
  if (d.t === 'tuple' && d.items.length === 2) return subarrayOf(dtypeOf(d.items[0]!, depth + 1), d.items[1]!);
  if (d.t !== 'list') return undefined;
  const names: string[] = [];
  const dict = new Map<string, PyTuple>();
  let offset = 0;
  for (const f of d.items) {
    if ((f.t !== 'tuple' && f.t !== 'list') || f.items.length < 2 || f.items.length > 3) return undefined;
    const [name, sub, shape] = f.items;
    let dt = dtypeOf(sub!, depth + 1);
    if (shape !== undefined) dt = subarrayOf(dt, shape);
    if (dt === undefined) return undefined;
    const key = name!.t === 'str' ? name!.v : name!.t === 'tuple' && name!.items[1]?.t === 'str' ? name!.items[1].v : undefined;
    if (key === undefined) return undefined;
    if (key !== '' && !dict.has(key)) {
      names.push(key);
      dict.set(key, PyTuple.fromArray<unknown>([dt, offset]));
    }
    offset += dt.itemsize;
  }
  const out = new NpDtype(`V${offset}`, 'V', offset, '|');
  out.names = names;
  out.fieldsDict = dict;
  return out;
}

function subarrayOf(base: NpDtype | undefined, shape: PyLiteral): NpDtype | undefined {
  if (base === undefined) return undefined;
  const dims = shape.t === 'int' ? [shape.v] : shape.t === 'tuple' && shape.items.every((x) => x.t === 'int') ? shape.items.map((x) => (x as { v: bigint }).v) : null;
  if (dims === null) return undefined;
  const n = dims.reduce((a, b) => a * Number(b), 1);
  const out = new NpDtype(`V${n * base.itemsize}`, 'V', n * base.itemsize, '|');
  out.subarray = { base, shape: dims.map(Number) };
  return out;
}

/** The array of an `.npy` file without objects, or a reason it is not shown. */
export function npyArray(bytes: Uint8Array): NdArray | string {
  const header = readNpyHeader(bytes);
  const dtype = dtypeOf(header.descr);
  if (dtype === undefined) return 'its dtype is not one the page reads';
  const shape = header.shape.map(Number);
  const size = shape.reduce((a, b) => a * b, 1) * dtype.itemsize;
  if (!Number.isSafeInteger(size) || size > bytes.length - header.dataOffset) return `the data is shorter than its shape and dtype say (${shape.join('×')} × ${dtype.itemsize} bytes)`;
  return new NdArray({ dtype, shape, fortranOrder: header.fortranOrder, data: bytes.subarray(header.dataOffset, header.dataOffset + size) });
}
