/**
 * The `.npy` header, read as `numpy.lib.format.read_array` reads it: the magic and version (1.0,
 * 2.0 or 3.0), the header length, the header text (latin-1, or UTF-8 for 3.0) as a Python literal
 * dict with exactly the keys 'descr', 'fortran_order' and 'shape', and the dtype that 'descr'
 * describes (`descr_to_dtype`: a dtype string, a (dtype, shape) subarray, or a list of fields,
 * nested). A dtype holding objects means `numpy.load(allow_pickle=True)` unpickles what follows the
 * header. Dtype strings are a known subset of what numpy accepts (checked against numpy by
 * test/npy-header.test.ts); a header outside it is refused, so the answer fails closed.
 */
import { decodeLatin1 } from '../unpickler/text.js';
import { LiteralError, parsePyLiteral, type PyLiteral } from './pyliteral.js';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const;

export class NpyError extends Error {}

export interface NpyHeader {
  readonly major: number;
  readonly minor: number;
  /** Offset just after the header: the array data, or the pickle of an object array. */
  readonly dataOffset: number;
  /** Whether the dtype holds Python objects: the data is then a pickle. */
  readonly objects: boolean;
  readonly itemsize: number;
  readonly shape: readonly bigint[];
  readonly fortranOrder: boolean;
  /** The header's descr, as written (a type string such as '<f8', or a structured dtype's list). */
  readonly descr: PyLiteral;
}

/** The largest item size read here (numpy's own bound: a C int). */
const MAX_ITEMSIZE = 0x7fffffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Reads the header of the `.npy` file `bytes`; throws NpyError for what numpy would refuse (or what is not read here). */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  const fail = (message: string): never => {
    throw new NpyError(message);
  };
  if (bytes.length < 8 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file: its magic string is wrong');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (minor !== 0 || major < 1 || major > 3) fail(`.npy format version ${major}.${minor} is not one numpy reads (1.0, 2.0, 3.0)`);
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) fail('the .npy header length is cut short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthSize;
  if (length > bytes.length - start) fail(`the .npy header claims ${length} bytes, the file has ${bytes.length - start} after its length`);
  const raw = bytes.subarray(start, start + length);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      return fail('a version 3.0 .npy header that is not UTF-8');
    }
  } else {
    text = decodeLatin1(raw, 0, raw.length);
  }
  let d: PyLiteral;
  try {
    d = parsePyLiteral(text);
  } catch (e) {
    if (!(e instanceof LiteralError)) throw e;
    // numpy retries headers of versions 1.0 and 2.0 with Python 2's `L` int suffixes removed.
    try {
      if (major === 3) throw e;
      d = parsePyLiteral(text, true);
    } catch (e2) {
      if (!(e2 instanceof LiteralError)) throw e2;
      return fail(`the .npy header is not a Python literal numpy reads: ${(e as Error).message}`);
    }
  }
  if (d.t !== 'dict') return fail('the .npy header is not a dict');
  const keys = [...d.entries.keys()].sort();
  if (d.otherKeys || keys.length !== 3 || keys[0] !== 'descr' || keys[1] !== 'fortran_order' || keys[2] !== 'shape') {
    fail("the .npy header's keys are not exactly 'descr', 'fortran_order' and 'shape'");
  }
  const shapeLit = d.entries.get('shape')!;
  if (shapeLit.t !== 'tuple') return fail('the .npy shape is not a tuple');
  const shape: bigint[] = [];
  for (const x of shapeLit.items) {
    if (x.t === 'bool') shape.push(x.v ? 1n : 0n);
    else if (x.t === 'int' && x.v >= INT64_MIN && x.v <= INT64_MAX) shape.push(x.v);
    else fail('a .npy shape entry is not an int numpy can count with');
  }
  const order = d.entries.get('fortran_order')!;
  if (order.t !== 'bool') return fail('the .npy fortran_order is not a bool');
  const dtype = descrToDtype(d.entries.get('descr')!, 0);
  return { major, minor, dataOffset: start + length, objects: dtype.objects, itemsize: dtype.itemsize, shape, fortranOrder: order.v, descr: d.entries.get('descr')! };
}


export interface DtypeInfo {
  readonly objects: boolean;
  readonly itemsize: number;
  /** A plain void (`V8`, or a subarray of one): a field of it named '' is padding. */
  readonly plainVoid: boolean;
  /** A flexible type string (S, U, V): `(base, n)` then means an item size, not a shape. */
  readonly flexible?: boolean;
}

const dtypeFail = (message: string): never => {
  throw new NpyError(`the .npy descr is not a dtype read here: ${message}`);
};

/** `descr_to_dtype`: a dtype string, a `(descr, shape)` subarray, or a list of fields. */
export function descrToDtype(descr: PyLiteral, depth: number): DtypeInfo {
  if (depth > 32) return dtypeFail('nested too deeply');
  if (descr.t === 'str') return dtypeString(descr.v);
  if (descr.t === 'tuple') {
    if (descr.items.length !== 2) return dtypeFail('a subarray descr is not a pair');
    return subarray(descrToDtype(descr.items[0]!, depth + 1), descr.items[1]!);
  }
  if (descr.t !== 'list') return dtypeFail(`a ${descr.t} is no descr`);
  const names = new Set<string>();
  let objects = false;
  let itemsize = 0;
  for (const field of descr.items) {
    if ((field.t !== 'tuple' && field.t !== 'list') || (field.items.length !== 2 && field.items.length !== 3)) return dtypeFail('a field is not a (name, descr[, shape]) tuple');
    const [nameLit, sub, shape] = field.items as [PyLiteral, PyLiteral, PyLiteral | undefined];
    let dt = descrToDtype(sub, depth + 1);
    if (shape !== undefined) dt = subarray(dt, shape);
    itemsize += dt.itemsize;
    if (itemsize > MAX_ITEMSIZE) return dtypeFail('fields larger than numpy allows');
    if (nameLit.t === 'str' && nameLit.v === '' && dt.plainVoid) continue; // Padding: numpy drops it.
    let title: string | undefined;
    let name: string;
    if (nameLit.t === 'str') name = nameLit.v;
    else if (nameLit.t === 'tuple' && nameLit.items.length === 2 && nameLit.items[0]!.t === 'str' && nameLit.items[1]!.t === 'str') {
      title = nameLit.items[0]!.v;
      name = nameLit.items[1]!.v;
    } else return dtypeFail('a field name is not a str or a (title, name) pair');
    if (name === '' || title === '') return dtypeFail('an empty field name or title');
    for (const key of title === undefined ? [name] : [name, title]) {
      if (names.has(key)) return dtypeFail(`the field name or title ${JSON.stringify(key)} is used twice`);
      names.add(key);
    }
    objects ||= dt.objects;
  }
  return { objects, itemsize, plainVoid: false };
}

/** `numpy.dtype((base, shape))` for an int or a tuple of ints. */
function subarray(base: DtypeInfo, shape: PyLiteral): DtypeInfo {
  if (base.flexible || base.itemsize === 0) return dtypeFail('a subarray of a flexible or empty dtype');
  const dims = shape.t === 'int' ? [shape.v] : shape.t === 'tuple' ? shape.items.map((x) => (x.t === 'int' ? x.v : -1n)) : null;
  if (dims === null) return dtypeFail('a subarray shape is not an int or a tuple of ints');
  let count = 1n;
  for (const d of dims) {
    if (d < 0n || d > BigInt(MAX_ITEMSIZE)) return dtypeFail('a subarray dimension numpy refuses');
    count *= d;
    if (count > BigInt(MAX_ITEMSIZE)) return dtypeFail('a subarray larger than numpy allows');
  }
  const itemsize = Number(count) * base.itemsize;
  if (itemsize > MAX_ITEMSIZE) return dtypeFail('a subarray larger than numpy allows');
  return { objects: base.objects, itemsize, plainVoid: base.plainVoid };
}

/** Fixed-size type codes and their item sizes; `O` (objects) and `T` (numpy's StringDType, which holds objects) apart. */
const FIXED: ReadonlyMap<string, number> = new Map([
  ['b1', 1], ['?', 1], ['i1', 1], ['i2', 2], ['i4', 4], ['i8', 8], ['u1', 1], ['u2', 2], ['u4', 4], ['u8', 8],
  ['f2', 2], ['f4', 4], ['f8', 8], ['f16', 16], ['c8', 8], ['c16', 16], ['c32', 32],
  ['b', 1], ['B', 1], ['h', 2], ['H', 2], ['i', 4], ['I', 4], ['l', 8], ['L', 8], ['q', 8], ['Q', 8],
  ['e', 2], ['f', 4], ['d', 8], ['g', 16], ['F', 8], ['D', 16], ['G', 32],
]);
const OBJECT = new Set(['O', 'O4', 'O8']);
const DATETIME = /^[Mm]8(?:\[(?:[1-9][0-9]{0,5})?(?:Y|M|W|D|h|m|s|ms|us|ns|ps|fs|as)\])?$/;
const FLEXIBLE = /^([SUV])(0|[1-9][0-9]{0,9})?$/;

/** `numpy.dtype(s)` for the strings read here: an optional byte order, then a type code and size. */
export function dtypeString(s: string): DtypeInfo {
  const order = /^[<>|=]/.test(s) ? s[0] : '';
  const code = s.slice(order.length);
  if (OBJECT.has(code)) return { objects: true, itemsize: 8, plainVoid: false };
  if (code === 'T' && (order === '' || order === '<' || order === '=')) return { objects: true, itemsize: 16, plainVoid: false };
  const fixed = FIXED.get(code);
  if (fixed !== undefined) return { objects: false, itemsize: fixed, plainVoid: false };
  if (DATETIME.test(code)) return { objects: false, itemsize: 8, plainVoid: false };
  const flexible = FLEXIBLE.exec(code);
  if (flexible !== null) {
    const size = Number(flexible[2] ?? 0) * (flexible[1] === 'U' ? 4 : 1);
    if (size > MAX_ITEMSIZE) return dtypeFail(`${JSON.stringify(s)} is larger than numpy allows`);
    return { objects: false, itemsize: size, plainVoid: flexible[1] === 'V', flexible: true };
  }
  return dtypeFail(`the dtype string ${JSON.stringify(s.slice(0, 40))}`);
}
