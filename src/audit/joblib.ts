/**
 * joblib's file layout, as `joblib.load` reads it. `joblib.dump` pickles each numpy array as a
 * `NumpyArrayWrapper` (subclass, shape, order, dtype, alignment in its BUILD state), ends the
 * current frame, and writes the array right after the wrapper's BUILD: raw bytes (one
 * padding-length byte and that much padding first, when the wrapper has an alignment), or, for
 * arrays holding objects, a separate pickle read by a plain `pickle.load`. `joblib.load` reads
 * them back from the same place, then goes on with the opcodes after them.
 *
 * `joblibPolicy` teaches a policy that layout: the wrapper's reconstructor gets a `readAfterBuild`
 * (the Machine's hook for data a producer writes after a BUILD) that reads exactly the bytes
 * joblib reads, sized from the values the policy built (the numpy pack's `NpDtype`: its itemsize,
 * and the object flag numpy takes from the dtype state's flags, checked against numpy 2.4), and
 * leaves an `NdArray` (or the object array's value) in the wrapper's place. Whatever leaves room
 * for doubt is malformed, never a guess.
 */
import { PyGlobal } from '../model/global.js';
import { LITTLE_ENDIAN_PLATFORM, NdArray, NpDtype } from '../model/ndarray.js';
import { PyObject } from '../model/object.js';
import { PyTuple } from '../model/tuple.js';
import { NUMPY_DEFS } from '../policy/reconstructors/numpy.js';
import { ReconstructorArgumentError, type BuildStream, type Policy, type ReconstructContext, type Reconstructor } from '../policy/types.js';

/** The classes `joblib.load` treats as array wrappers, as (module, qualname) pairs. */
const WRAPPERS: ReadonlyMap<string, string> = new Map([
  ['joblib.numpy_pickle', 'NumpyArrayWrapper'],
  ['sklearn.externals.joblib.numpy_pickle', 'NumpyArrayWrapper'],
]);

/** Whether `module.qualname` is a class `joblib.load` treats as an array wrapper. */
export function isJoblibWrapper(module: string, qualname: string): boolean {
  return WRAPPERS.get(module) === qualname;
}

/** numpy's NPY_MAXDIMS (64 in numpy 2). */
const MAX_DIMS = 64;

const fail = (message: string): never => {
  throw new ReconstructorArgumentError(`joblib array: ${message}`);
};

/** The wrapper's BUILD state: a dict with str keys, as the generic `object` reconstructor keeps it. */
function stateOf(wrapper: unknown): ReadonlyMap<unknown, unknown> {
  if (!(wrapper instanceof PyObject) || !(wrapper.state instanceof Map)) {
    return fail("the wrapper is not a record with a dict state (allow it with the 'object' reconstructor, as the joblib pack does)");
  }
  return wrapper.state;
}

/** The item count of a shape as numpy takes it (a 0-d shape holds one item); sizes beyond 2**53 are refused. */
function shapeOf(shape: unknown): [readonly number[], number] {
  if (!Array.isArray(shape)) return fail('the wrapper has no shape tuple');
  if (shape.length > MAX_DIMS) fail(`a shape of ${shape.length} dimensions, more than numpy's ${MAX_DIMS}`);
  let nonzero = 1;
  let zero = false;
  for (const d of shape as readonly unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0 || Object.is(d, -0)) {
      return fail(`a shape entry ${typeof d === 'bigint' ? d.toString() : typeof d === 'number' ? String(d) : 'that is not an int'} is not a non-negative int`);
    }
    if (d === 0) zero = true;
    else if ((nonzero *= d) > Number.MAX_SAFE_INTEGER) fail('a shape of more items than can be indexed');
  }
  return [Object.freeze([...(shape as number[])]), zero ? 0 : nonzero];
}

/** numpy's own dtype reconstructor, for dtypes a policy kept as inert records (the auditor's listing pass). */
const NUMPY_DTYPE = NUMPY_DEFS.find((d) => d.id === 'numpy.dtype')!.bind('numpy', 'dtype');
const isNumpyGlobal = (g: unknown, module: RegExp, qualname: string): boolean => g instanceof PyGlobal && module.test(g.module) && g.qualname === qualname;

/**
 * The wrapper's dtype: the numpy pack's `NpDtype`, or a `numpy.dtype(…)` record (with its state,
 * field and subarray dtypes records too) read as numpy reads it, each record once.
 */
function dtypeOf(value: unknown, context: ReconstructContext, seen = new Map<PyObject, NpDtype>(), depth = 0): NpDtype {
  if (value instanceof NpDtype) return value;
  if (!(value instanceof PyObject) || !isNumpyGlobal(value.callable, /^numpy$/, 'dtype')) return fail('its dtype is not a numpy.dtype');
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (depth > MAX_DIMS) fail('dtypes nested too deeply');
  const made = NUMPY_DTYPE.call!(value.args, context) as NpDtype;
  seen.set(value, made);
  let state = value.state;
  if (state === undefined) return made;
  const inner = (v: unknown): unknown => (v instanceof PyObject ? dtypeOf(v, context, seen, depth + 1) : v);
  if (state instanceof PyTuple && state.length === 8) {
    // numpy's state: (version, byteorder, subarray (base, shape), names, fields {name: (dtype, offset[, title])}, …).
    const items = [...state];
    const [, , subarray, , fields] = state;
    if (subarray instanceof PyTuple && subarray.length === 2) items[2] = PyTuple.of(inner(subarray[0]), subarray[1]);
    if (fields instanceof Map) {
      items[4] = new Map([...fields].map(([k, t]) => [k, t instanceof PyTuple && t.length > 0 ? PyTuple.of(inner(t[0]), ...t.slice(1)) : t]));
    }
    state = PyTuple.fromArray(items);
  }
  return NUMPY_DTYPE.setState!(made, state, context) as NpDtype;
}

/** Whether an object array's pickle gave an array: the numpy pack's, or a record of numpy's reconstruction of one. */
function isArray(value: unknown): boolean {
  if (value instanceof NdArray) return true;
  if (!(value instanceof PyObject)) return false;
  const g = value.callable;
  return isNumpyGlobal(g, /^numpy\.(_?core)\.multiarray$/, '_reconstruct') || isNumpyGlobal(g, /^numpy\.(_?core)\.numeric$/, '_frombuffer');
}

/** How many bytes each swapped unit has, for the dtypes joblib swaps item by item: complex and str by their parts. */
const unitOf = (dt: NpDtype): number => (dt.kind === 'c' ? dt.itemsize / 2 : dt.kind === 'U' ? 4 : dt.itemsize);

/**
 * joblib (1.2 on) swaps a big-endian array to the platform's order as it loads it: a swapped copy
 * with the native dtype. Structured dtypes keep the file's order (joblib swaps them only when every
 * field has the same foreign order; not done here).
 */
function nativeOrder(a: NdArray): NdArray {
  const dt = a.dtype;
  if (dt.byteorder === '|' || dt.byteorder === '=' || dt.littleEndian === LITTLE_ENDIAN_PLATFORM || a.data === null) return a;
  const native = NpDtype.fromStr(`${LITTLE_ENDIAN_PLATFORM ? '<' : '>'}${dt.str.slice(1)}`);
  if (native === undefined) return a;
  const unit = unitOf(dt);
  const data = new Uint8Array(a.data);
  for (let i = 0; i + unit <= data.length; i += unit) data.subarray(i, i + unit).reverse();
  return new NdArray({ dtype: native, shape: a.shape, fortranOrder: a.fortranOrder, data });
}

/**
 * What `joblib.load` reads after a wrapper's BUILD, read from `stream` in joblib's order (so that
 * what it reads first decides the outcome first): the array (an `NdArray` over the input's bytes,
 * not a copy), or the array an object array's own pickle gives (`loadPickle`).
 */
function readArray(wrapper: unknown, stream: BuildStream, context: ReconstructContext, loadPickle: () => unknown, native: boolean): unknown {
  const state = stateOf(wrapper);
  const [shape, count] = shapeOf(state.get('shape'));
  const dtype = dtypeOf(state.get('dtype'), context);
  if (dtype.subarray !== null) fail(`a subarray dtype ${dtype.str} (numpy never gives an array one)`);
  dtype.sealed = true;
  let array: unknown;
  // numpy takes `hasobject` from the flags of the dtype state as given (bit 0); the pack knows
  // from the type and fields whether items are objects. joblib pickles what the flags say holds
  // objects; where the flags deny objects the items hold, it would read raw bytes as pointers.
  if ((dtype.flags & 1) !== 0) {
    array = loadPickle();
    // joblib then looks at the value's dtype (its byte order): only an array has one.
    if (!isArray(array)) fail("an object array's pickle that does not give a numpy array");
  } else {
    if (dtype.hasObject) fail(`dtype ${dtype.str} holds objects but its flags say it does not`);
    // joblib before 1.2 wrote no alignment; None means its stream could not tell its position.
    const alignment = state.get('numpy_array_alignment_bytes');
    if (alignment !== undefined && alignment !== null) {
      const at = stream.take(1);
      stream.take(stream.data[at]!);
    }
    if (dtype.itemsize === 0) fail(`dtype ${dtype.str} has items of 0 bytes`);
    const size = count * dtype.itemsize;
    if (!Number.isSafeInteger(size)) fail(`${count} items of ${dtype.itemsize} bytes are more than can be read`);
    const at = stream.take(size);
    const order = state.get('order');
    if (order === undefined) fail('the wrapper has no order');
    array = new NdArray({ dtype, shape, fortranOrder: order === 'F', data: stream.data.subarray(at, at + size) });
    if (native) array = nativeOrder(array as NdArray);
  }
  // joblib with numpy 1.x rebuilds any other subclass through numpy's _reconstruct: not read.
  const subclass = state.get('subclass');
  if (!(subclass instanceof PyGlobal) || subclass.module !== 'numpy' || subclass.qualname !== 'ndarray') {
    fail('its subclass is not numpy.ndarray');
  }
  return array;
}

/**
 * `policy`, reading joblib files as `joblib.load` does: its own reconstructor for the array
 * wrappers, plus reading each array after the wrapper's BUILD. The policy must allow the wrapper
 * (the shipped `joblib` pack does, on top of `numpy`); names it refuses stay refused.
 */
export function joblibPolicy(policy: Policy, options: { readonly nativeOrder?: boolean } = {}): Policy {
  const native = options.nativeOrder === true;
  const wrapped = new Map<Reconstructor, Reconstructor>();
  // Pickles of object arrays are read by a plain `pickle.load`: a wrapper in one is only a record.
  let nested = 0;
  const loadPickle = (stream: BuildStream) => (): unknown => {
    nested++;
    try {
      return stream.loadPickle();
    } finally {
      nested--;
    }
  };
  const withRead = (rec: Reconstructor): Reconstructor => {
    const own: Reconstructor = {
      module: rec.module,
      qualname: rec.qualname,
      readAfterBuild: (target, stream, context) => (nested > 0 ? target : readArray(target, stream, context, loadPickle(stream), native)),
    };
    if (rec.call !== undefined) Object.assign(own, { call: rec.call.bind(rec) });
    if (rec.newObject !== undefined) Object.assign(own, { newObject: rec.newObject.bind(rec) });
    if (rec.setState !== undefined) Object.assign(own, { setState: rec.setState.bind(rec) });
    if ('reference' in rec) Object.assign(own, { reference: rec.reference });
    return Object.freeze(own);
  };
  const out: Policy = {
    name: policy.name,
    resolve(module: string, qualname: string): Reconstructor | undefined {
      const rec = policy.resolve(module, qualname);
      if (rec === undefined || rec.readAfterBuild !== undefined || !isJoblibWrapper(module, qualname)) return rec;
      let own = wrapped.get(rec);
      if (own === undefined) wrapped.set(rec, (own = withRead(rec)));
      return own;
    },
  };
  if (policy.resolveCallable !== undefined) Object.assign(out, { resolveCallable: policy.resolveCallable.bind(policy) });
  if (policy.explain !== undefined) Object.assign(out, { explain: policy.explain.bind(policy) });
  return Object.freeze(out);
}
