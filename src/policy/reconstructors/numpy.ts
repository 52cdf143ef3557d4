/**
 * Reconstructors for the `numpy` pack: what numpy (1.x and 2.x) pickles for arrays, dtypes and
 * scalars, rebuilt as inert data (`NdArray`, `NpDtype`, `NpScalar`). Nothing numpy would compute is
 * computed: every shape, size, offset and type string from the pickle is checked, and the bytes the
 * pickle carries are kept (as views) rather than copied or interpreted.
 *
 * - `_reconstruct(ndarray, (0,), b'b')` makes an empty array; BUILD fills it with
 *   `(version, shape, dtype, is_fortran, data)`: raw bytes, or a list for object dtypes.
 * - `numpy.dtype(typestr, align, copy)` then BUILD with `(3, byteorder, subarray, names, fields,
 *   elsize, alignment, flags)`.
 * - `scalar(dtype, bytes)` (or `scalar(dtype, obj)` for object dtype).
 * - numpy 2's StringDType: `_convert_to_stringdtype_kwargs(coerce[, na_object])`; its arrays
 *   pickle their items as a list, as object arrays do.
 * - `numpy.ma.core._mareconstruct(MaskedArray, ndarray, (0,), 'b')` then BUILD with the ndarray state
 *   plus the mask's bytes and the fill value: a masked array.
 * - `_frombuffer(buffer, dtype, shape, order[, axis_order])`: protocol 5, the buffer in band or out of
 *   band; numpy 2 writes order 'K' and an axis order for an array neither C nor Fortran ordered.
 */
import { PyByteArray } from '../../model/bytearray.js';
import { PyGlobal } from '../../model/global.js';
import { NdArray, NpDtype, NpMaskedArray, NpScalar, datetimeMeta, defaultOrder, parseTypestr, type NpByteOrder, type NpCoreModule } from '../../model/ndarray.js';
import { PyTuple } from '../../model/tuple.js';
import type { ReconstructorDef } from '../types.js';
import { arity, describe, fail, unsupported, latin1Bytes, mustBe, bool } from './check.js';

/** numpy's NPY_MAXDIMS (64 in numpy 2, 32 in 1.x). */
const MAX_DIMS = 64;

const coreOf = (module: string): NpCoreModule => (module.startsWith('numpy._core') ? 'numpy._core' : 'numpy.core');

/** A shape tuple: at most 64 non-negative safe integers whose product (zeros aside) is a safe integer. Returns the item count. */
function checkShape(what: string, shape: unknown): [readonly number[], number] {
  if (!(shape instanceof PyTuple) && !Array.isArray(shape)) return mustBe(what, 'a tuple', shape);
  const dims = shape as readonly unknown[];
  if (dims.length > MAX_DIMS) fail(`${what} has ${dims.length} dimensions, more than numpy's ${MAX_DIMS}`);
  let nonzero = 1;
  let zero = false;
  const out: number[] = [];
  for (const d of dims) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0 || Object.is(d, -0)) {
      fail(`${what} must hold non-negative integers, the pickle gave ${typeof d === 'bigint' ? d.toString() : describe(d)}`);
    }
    if (d === 0) zero = true;
    else {
      nonzero *= d;
      if (nonzero > Number.MAX_SAFE_INTEGER) fail(`${what} ${JSON.stringify(dims.map(String))} describes more items than numpy can index`);
    }
    out.push(d);
  }
  return [out, zero ? 0 : nonzero];
}

/** A tuple holding each of 0..n-1 once, as numpy's transpose takes (numpy writes no negative axes). */
function permutation(what: string, v: unknown, n: number): number[] {
  if (!(v instanceof PyTuple) || v.length !== n) return fail(`${what} must be a tuple of ${n} axes, the pickle gave ${describe(v)}${v instanceof PyTuple ? ` of ${v.length}` : ''}`);
  const seen = new Set<number>();
  for (const a of v) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= n || seen.has(a)) fail(`${what} must hold each axis 0..${n - 1} once`);
    seen.add(a as number);
  }
  return [...(v as readonly number[])];
}

function dtypeArg(what: string, v: unknown): NpDtype {
  if (!(v instanceof NpDtype)) return mustBe(what, 'a numpy.dtype', v);
  v.sealed = true;
  return v;
}

/** The raw bytes of an array or scalar: bytes, a bytearray, or (Python 2 pickles loaded as latin1) a str. */
function rawBytes(what: string, v: unknown): Uint8Array {
  const b = latin1Bytes(what, v);
  if (b === undefined) return mustBe(what, 'bytes', v);
  return b;
}

/** `count × itemsize === data.length`, computed without overflow before anything is made from the data. */
function checkSize(what: string, count: number, dt: NpDtype, length: number): void {
  const want = count * dt.itemsize;
  if (!Number.isSafeInteger(want) || want !== length) {
    fail(`${what}: ${count} items of ${dt.str} (${dt.itemsize} bytes each) need ${Number.isSafeInteger(want) ? want : 'more than 2**53'} bytes, the pickle gave ${length}`);
  }
}


/** numpy _reconstruct(ndarray, (0,), typecode) → an empty NdArray that its BUILD state (version, shape, dtype, is_fortran, data) fills, checked */
const reconstruct = Object.freeze<ReconstructorDef>({
  id: 'numpy.multiarray._reconstruct',
  bind(module) {
    const core = coreOf(module);
    return {
      call(args) {
        arity('_reconstruct', args, 3, 3);
        const [cls, shape, typecode] = args;
        if (!(cls instanceof PyGlobal) || cls.module !== 'numpy' || cls.qualname !== 'ndarray') {
          fail(`_reconstruct() makes numpy.ndarray only, the pickle gave ${describe(cls)}`);
        }
        checkShape('_reconstruct() shape', shape);
        if (rawBytes('_reconstruct() typecode', typecode).length !== 1) fail('_reconstruct() typecode must be one byte');
        // What numpy makes before BUILD: an empty int8 array (it stays one if no state follows).
        return new NdArray({ dtype: new NpDtype('i1', 'i', 1, '|'), shape: [0], data: new Uint8Array(0), core, filled: false });
      },
      setState(target, state) {
        if (!(target instanceof NdArray) || target instanceof NpMaskedArray || target.filled) return fail('an ndarray state applies once, to an array _reconstruct made');
        if (!(state instanceof PyTuple) || (state.length !== 5 && state.length !== 4)) {
          return mustBe('an ndarray state', 'a tuple (version, shape, dtype, is_fortran, data)', state);
        }
        fill(target, state.length === 5 ? state : [1, ...state]);
        return target;
      },
    };
  },
});

/** Fills an array made empty from its state `(version, shape, dtype, is_fortran, data)`; returns the item count. */
function fill(target: NdArray, [version, shapeArg, dtArg, fortranArg, data]: readonly unknown[]): number {
  if (version !== 1 && version !== 0) unsupported(`ndarray state version ${String(version)} is not supported`);
  const [shape, count] = checkShape('ndarray shape', shapeArg);
  const dtype = dtypeArg('ndarray dtype', dtArg);
  const fortran = bool('ndarray is_fortran', fortranArg);
  if (dtype.hasObject) {
    if (!Array.isArray(data) || data instanceof PyTuple) return fail(`an array of dtype ${dtype.str} pickles its items as a list, the pickle gave ${describe(data)}`);
    if (data.length !== count) fail(`ndarray of shape (${shape.join(', ')}) holds ${count} items, its list has ${data.length}`);
    Object.assign(target, { dtype, shape: Object.freeze(shape), fortranOrder: fortran, data: null, objects: data, filled: true });
  } else {
    const bytes = rawBytes('ndarray data', data);
    checkSize('ndarray data', count, dtype, bytes.length);
    Object.assign(target, { dtype, shape: Object.freeze(shape), fortranOrder: fortran, data: bytes, filled: true });
  }
  return count;
}

const MASKED_CLASSES = ['numpy.ma.core.MaskedArray', 'numpy.ma.MaskedArray'];

/** numpy.ma's _mareconstruct(MaskedArray, ndarray, (0,), 'b') → an empty NpMaskedArray that its BUILD state (version, shape, dtype, is_fortran, data, mask, fill_value) fills, checked */
const mareconstruct = Object.freeze<ReconstructorDef>({
  id: 'numpy.ma._mareconstruct',
  bind: () => ({
    call(args) {
      arity('_mareconstruct', args, 4, 4);
      const [subtype, baseclass, baseshape, basetype] = args;
      if (!(subtype instanceof PyGlobal) || !MASKED_CLASSES.includes(`${subtype.module}.${subtype.qualname}`)) {
        return fail(`_mareconstruct() makes numpy.ma.MaskedArray only, the pickle gave ${describe(subtype)}`);
      }
      if (!(baseclass instanceof PyGlobal) || baseclass.module !== 'numpy' || baseclass.qualname !== 'ndarray') fail(`_mareconstruct() wraps a numpy.ndarray only, the pickle gave ${describe(baseclass)}`);
      checkShape('_mareconstruct() shape', baseshape);
      if (rawBytes('_mareconstruct() typecode', basetype).length !== 1) fail('_mareconstruct() typecode must be one character');
      return new NpMaskedArray({ dtype: new NpDtype('i1', 'i', 1, '|'), shape: [0], data: new Uint8Array(0), filled: false, subtype, mask: new Uint8Array(0) });
    },
    setState(target, state) {
      if (!(target instanceof NpMaskedArray) || target.filled) return fail('a masked array state applies once, to an array _mareconstruct made');
      if (!(state instanceof PyTuple) || state.length !== 7) {
        return fail(`a masked array state must be (version, shape, dtype, is_fortran, data, mask, fill_value), the pickle gave ${describe(state)}${state instanceof PyTuple ? ` of ${state.length}` : ''}`);
      }
      const count = fill(target, state.slice(0, 5));
      const mask = rawBytes('masked array mask', state[5]);
      const per = maskItemsize(target.dtype);
      if (count * per !== mask.length) fail(`masked array mask: ${count} items of ${per} flags need ${count * per} bytes, the pickle gave ${mask.length}`);
      const fillValue = state[6];
      // numpy keeps the fill value as a 0-d array (or None until one is asked for).
      if (fillValue !== null && !(fillValue instanceof NdArray && fillValue.filled && fillValue.shape.length === 0 && !(fillValue instanceof NpMaskedArray))) {
        mustBe(`a masked array's fill value`, 'a 0-d array or None', fillValue);
      }
      Object.assign(target, { mask, fillValue });
      return target;
    },
  }),
});

/** The flags a masked array keeps per item: one per field of a structured dtype (subarrays counted out), else one (numpy's make_mask_descr). */
function maskItemsize(dtype: NpDtype): number {
  let total = 0;
  const todo: [NpDtype, number][] = [[dtype, 1]];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [dt, times] = next;
    if (dt.fields !== null) for (const f of dt.fields) todo.push([f.dtype, times]);
    else if (dt.subarray !== null) todo.push([dt.subarray.base, times * dt.subarray.shape.reduce((a, b) => a * b, 1)]);
    else total += times;
    if (!Number.isSafeInteger(total) || !Number.isSafeInteger(times)) fail('a masked array dtype has more fields than can be counted');
  }
  return total;
}

/** numpy _frombuffer(buffer, dtype, shape, order[, axis_order]) (protocol 5, in band or out of band; order C, F, or K with numpy 2's axis order) → NdArray over the buffer's bytes, checked */
const frombuffer = Object.freeze<ReconstructorDef>({
  id: 'numpy.numeric._frombuffer',
  bind(module) {
    const core = coreOf(module);
    return {
      call(args) {
        arity('_frombuffer', args, 4, 5);
        const [buf, dtArg, shapeArg, order, axesArg] = args;
        if (!(buf instanceof Uint8Array)) return fail(`_frombuffer() needs a buffer, the pickle gave ${describe(buf)}`);
        const dtype = dtypeArg('_frombuffer() dtype', dtArg);
        if (dtype.hasObject) fail('_frombuffer() cannot make an array of objects from a buffer');
        if (dtype.itemsize === 0) fail('_frombuffer() needs a dtype with a non-zero itemsize');
        const [shape, count] = checkShape('_frombuffer() shape', shapeArg);
        // numpy writes 'C' or 'F', or (numpy 2, an array neither) 'K' with the axis order that transposes the C-ordered buffer.
        if (order !== 'C' && order !== 'F' && order !== 'K') mustBe('_frombuffer() order', "'C', 'F' or 'K'", order);
        if ((order === 'K') !== (args.length === 5)) fail(`_frombuffer() takes an axis order with order 'K' and only then, the pickle gave order ${order} with ${args.length} arguments`);
        const axisOrder = order === 'K' ? permutation('_frombuffer() axis order', axesArg, shape.length) : null;
        checkSize('_frombuffer() buffer', count, dtype, buf.length);
        // A bytearray (BYTEARRAY8) is writable; bytes (or READONLY_BUFFER) are not.
        const writeable = buf instanceof PyByteArray;
        const data = writeable ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf;
        if (axisOrder === null) return new NdArray({ dtype, shape, fortranOrder: order === 'F', data, writeable, core });
        return new NdArray({ dtype, shape: axisOrder.map((a) => shape[a]!), data, writeable, core, axisOrder });
      },
    };
  },
});

/** numpy scalar(dtype, bytes) (numpy.float64(1.5), numpy.int8(-3), …) → NpScalar, the byte count checked */
const scalar = Object.freeze<ReconstructorDef>({
  id: 'numpy.multiarray.scalar',
  bind(module) {
    const core = coreOf(module);
    return {
      call(args) {
        arity('scalar', args, 1, 2);
        const dtype = dtypeArg('scalar() dtype', args[0]);
        if (dtype.hasObject) {
          if (dtype.kind !== 'O') unsupported('scalar() of a structured dtype holding objects is not supported');
          return new NpScalar(dtype, null, args.length > 1 ? args[1] : null, core);
        }
        if (args.length < 2) fail('scalar() needs its bytes');
        const bytes = rawBytes('scalar() data', args[1]);
        checkSize('scalar() data', 1, dtype, bytes.length);
        return new NpScalar(dtype, bytes, null, core);
      },
    };
  },
});

const ORDERS: readonly string[] = ['<', '>', '|', '='];

/** The metadata dict numpy writes for a dtype: None (numpy 2, datetimes) or a dict. */
function metadataArg(what: string, v: unknown): Map<unknown, unknown> | null {
  if (v === null || v instanceof Map) return v;
  return mustBe(what, 'a dict or None', v);
}

/**
 * A version-4 dtype state's ninth item: for datetime64/timedelta64 `(metadata, (unit, count, 1, 1))`,
 * the 4-tuple numpy has written since 1.7 (unit as bytes, or str in Python 2 pickles); for other
 * dtypes the metadata dict.
 */
function stateExtra(target: NpDtype, extra: unknown): void {
  if (target.datetime === null) {
    const meta = metadataArg('dtype metadata', extra);
    if (meta === null) fail('a version-4 dtype state carries a metadata dict, the pickle gave None');
    target.metadata = meta;
    return;
  }
  if (!(extra instanceof PyTuple) || extra.length !== 2) return mustBe(`a ${target.typestr} dtype's unit`, '(metadata, (unit, count, 1, 1))', extra);
  target.metadata = metadataArg(`${target.typestr} dtype metadata`, extra[0]);
  const t = extra[1];
  if (!(t instanceof PyTuple) || t.length !== 4) return fail(`a ${target.typestr} dtype's unit must be (unit, count, 1, 1), the pickle gave ${describe(t)}${t instanceof PyTuple ? ` of ${t.length}` : ''}`);
  const unitBytes = latin1Bytes('datetime unit', t[0]);
  if (unitBytes === undefined || unitBytes.length > 7) return mustBe('a datetime unit', 'a short bytes', t[0]);
  const unit = String.fromCharCode(...unitBytes);
  const count = t[1];
  const meta = typeof count === 'number' ? datetimeMeta(unit, count) : undefined;
  if (meta === undefined) fail(`${JSON.stringify(unit)} × ${typeof count === 'number' ? count : describe(count)} is not a numpy datetime unit`);
  // numpy wrote a denominator and an event count of 1 since 1.7; it converts or warns about others, which it never writes.
  if (t[2] !== 1 || t[3] !== 1) unsupported(`a datetime unit with denominator ${describe(t[2])} and events ${describe(t[3])} is not read (numpy writes 1 and 1)`);
  target.datetime = meta;
}

/** A dtype's fields dict, checked against its names and itemsize: `{name: (dtype, offset[, title])}`. */
function checkFields(target: NpDtype, namesArg: unknown, fieldsArg: unknown): void {
  if (namesArg === null && fieldsArg === null) return;
  if (target.kind !== 'V') fail(`only void dtypes have fields, not ${target.typestr}`);
  if (!(namesArg instanceof PyTuple)) return mustBe('dtype names', 'a tuple', namesArg);
  if (!(fieldsArg instanceof Map)) return mustBe('dtype fields', 'a dict', fieldsArg);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const n of namesArg) {
    if (typeof n !== 'string') return mustBe('dtype field names', 'str', n);
    if (seen.has(n)) fail(`dtype field name ${JSON.stringify(n)} repeats`);
    seen.add(n);
    names.push(n);
  }
  const fields = new Map<string, PyTuple>();
  for (const [k, t] of fieldsArg) {
    if (typeof k !== 'string') return mustBe('dtype fields keys', 'str', k);
    if (!(t instanceof PyTuple) || t.length < 2 || t.length > 3) return fail(`dtype field ${JSON.stringify(k)} must be (dtype, offset[, title])`);
    if (t[0] === target) fail('a dtype cannot be its own field');
    const dt = dtypeArg(`dtype field ${JSON.stringify(k)}`, t[0]);
    const offset = t[1];
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset + dt.itemsize > target.itemsize) {
      fail(`dtype field ${JSON.stringify(k)} at offset ${String(offset)} (${dt.itemsize} bytes) lies outside the ${target.itemsize}-byte item`);
    }
    // A titled field is listed under its name and its title; any other key must be a name.
    if (!seen.has(k) && !(t.length === 3 && t[2] === k)) fail(`dtype fields has ${JSON.stringify(k)}, which names no field`);
    fields.set(k, t);
  }
  for (const n of names) if (!fields.has(n)) fail(`dtype field ${JSON.stringify(n)} is named but not described`);
  target.names = Object.freeze(names);
  target.fieldsDict = fields;
  for (const t of fields.values()) if ((t[0] as NpDtype).hasObject) target.hasObject = true;
}

/** numpy.dtype(typestr, align, copy) for bool, int, uint, float, complex, str, bytes, object, void/structured, datetime64 and timedelta64 types → NpDtype, completed by its BUILD state */
const dtype = Object.freeze<ReconstructorDef>({
  id: 'numpy.dtype',
  bind: () => ({
    call(args) {
      arity('dtype', args, 1, 3);
      const typestr = args[0];
      if (typeof typestr !== 'string') return fail(`dtype() needs a type string, the pickle gave ${describe(typestr)}`);
      const parsed = parseTypestr(typestr);
      if (parsed === undefined) return fail(`dtype ${JSON.stringify(typestr.slice(0, 40))} is not one the numpy pack reads (bool, int, uint, float, complex, str, bytes, object, void, datetime64, timedelta64)`);
      for (const a of args.slice(1)) bool('dtype() align/copy', a);
      const order: NpByteOrder = defaultOrder(parsed.kind, parsed.itemsize, '=');
      const dt = new NpDtype(parsed.typestr, parsed.kind, parsed.itemsize, order, Object.freeze(args.slice(1)));
      if (parsed.kind === 'O') dt.flags = 63;
      return dt;
    },
    setState(target, state) {
      if (!(target instanceof NpDtype) || target.sealed) return fail('a dtype state applies once, to a dtype not yet used');
      // numpy writes version 3 (8 items), or version 4 with a ninth: the datetime unit, or a dtype's metadata dict.
      if (!(state instanceof PyTuple) || (state.length !== 8 && state.length !== 9)) {
        return fail(`a dtype state must be numpy's 8-tuple (version 3) or 9-tuple (version 4), the pickle gave ${describe(state)}${state instanceof PyTuple ? ` of ${state.length}` : ''}`);
      }
      const [version, order, subarray, names, fields, elsize, alignment, flags, extra] = state;
      if (version !== state.length - 5) unsupported(`a dtype state of ${state.length} items must be version ${state.length - 5}, the pickle gave ${typeof version === 'number' ? version : describe(version)}`);
      if (state.length === 9) stateExtra(target, extra);
      else if (target.datetime !== null) fail(`a ${target.typestr} dtype state carries its unit (version 4), the pickle gave version 3`);
      if (typeof order !== 'string' || !ORDERS.includes(order)) return mustBe('dtype byte order', 'one of < > | =', order);
      // numpy 1.x writes flags as a signed char (an aligned struct's are -112), numpy 2 unsigned.
      for (const [what, v, min] of [['elsize', elsize, -1], ['alignment', alignment, -1], ['flags', flags, -128]] as const) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > 0x7fffffff) fail(`dtype ${what} must be an int in ${min}..2**31-1, the pickle gave ${typeof v === 'number' ? v : describe(v)}`);
      }
      if (elsize !== -1 && elsize !== target.itemsize) fail(`dtype ${target.typestr} has ${target.itemsize}-byte items, its state says ${String(elsize)}`);
      const byteorder = defaultOrder(target.kind, target.itemsize, order as NpByteOrder);
      if (byteorder !== order && !(order === '|' && byteorder === '=')) fail(`dtype ${target.typestr} cannot have byte order ${order}`);
      if (subarray !== null) {
        if (target.kind !== 'V' || !(subarray instanceof PyTuple) || subarray.length !== 2) return fail('a dtype subarray must be (dtype, shape) on a void dtype');
        if (subarray[0] === target) fail('a dtype cannot be its own subarray base');
        const base = dtypeArg('dtype subarray base', subarray[0]);
        const [shape, count] = checkShape('dtype subarray shape', subarray[1]);
        if (count * base.itemsize !== target.itemsize) fail(`a subarray of ${count} × ${base.itemsize} bytes does not fill the ${target.itemsize}-byte item`);
        target.subarray = Object.freeze({ base, shape: Object.freeze(shape) });
        if (base.hasObject) target.hasObject = true;
      }
      checkFields(target, names, fields);
      target.byteorder = order as NpByteOrder;
      target.stateElsize = elsize as number;
      target.alignment = alignment as number;
      target.flags = flags as number;
      target.sealed = true;
      return target;
    },
  }),
});

/** numpy 2's _convert_to_stringdtype_kwargs(coerce[, na_object]) → the variable-width StringDType as an NpDtype (its arrays pickle their items as a list) */
const stringdtype = Object.freeze<ReconstructorDef>({
  id: 'numpy.stringdtype',
  bind: () => ({
    call(args) {
      arity('_convert_to_stringdtype_kwargs', args, 1, 2);
      if (args[0] !== 0 && args[0] !== 1 && typeof args[0] !== 'boolean') mustBe(`StringDType's coerce`, 'a bool', args[0]);
      const dt = new NpDtype('T16', 'T', 16, '|', Object.freeze([...args]));
      dt.sealed = true;
      return dt;
    },
  }),
});

export const NUMPY_DEFS: readonly ReconstructorDef[] = [reconstruct, frombuffer, scalar, dtype, mareconstruct, stringdtype];
