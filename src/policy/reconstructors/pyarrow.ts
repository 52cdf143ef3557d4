/**
 * pyarrow string arrays as pandas 3 pickles them (an ArrowStringArray's `_pa_array`), read as data:
 * `_restore_array((type, length, null_count, offset, [validity, offsets, data], [], None))` with the
 * type from `type_for_alias('string' | 'large_string')` and buffers from `py_buffer(bytes)`. Every
 * length, offset and validity bit is checked against the buffers, and each string is strict UTF-8.
 * Each value keeps the call pyarrow pickled, which `dumps` writes back.
 */
import { CHILDREN } from '../../model/children.js';
import { PyGlobal } from '../../model/global.js';
import { REDUCE, type Reduction } from '../../model/reduce.js';
import type { ReconstructorDef } from '../types.js';
import { arity, describe, fail, smallInt, str, unsupported } from './check.js';

/** A pyarrow value and the call that made it: a string type (`value`: the offset width), a buffer, or an array's strings (null: missing). */
class Pa<T> {
  constructor(
    readonly value: T,
    readonly pickled: Reduction,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return this.pickled;
  }

  [CHILDREN](): readonly unknown[] {
    return this.pickled.args;
  }
}
export class PaType extends Pa<4 | 8> {}
export class PaBuffer extends Pa<Uint8Array> {}
export class PaStrings extends Pa<readonly (string | null)[]> {}

/** The types read here, by alias, and their offsets' width in bytes. */
const WIDTH: Readonly<Record<string, 4 | 8>> = { string: 4, utf8: 4, large_string: 8, large_utf8: 8 };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The strings of a string array's buffers, each bound checked; null where the validity bit is 0. */
export function decodeStrings(width: 4 | 8, length: number, nullCount: number, offset: number, validity: Uint8Array | null, offsets: Uint8Array | null, data: Uint8Array | null): (string | null)[] {
  if (nullCount > length || (validity === null && nullCount > 0)) fail(`an Arrow array of ${length} values cannot have ${nullCount} nulls${validity ? '' : ' without a validity bitmap'}`);
  if (length === 0) return [];
  const end = offset + length;
  if (offsets === null || offsets.length < (end + 1) * width) fail(`an Arrow offsets buffer is too short for offset ${offset} and length ${length}`);
  if (validity !== null && validity.length * 8 < end) fail(`an Arrow validity bitmap is too short for offset ${offset} and length ${length}`);
  const bytes = data ?? new Uint8Array(0);
  const view = new DataView(offsets!.buffer, offsets!.byteOffset, offsets!.byteLength);
  const at = (i: number): number => {
    const o = Number(width === 4 ? view.getInt32(i * 4, true) : view.getBigInt64(i * 8, true));
    return o < 0 || o > bytes.length ? fail(`an Arrow string offset ${o} is outside the ${bytes.length} data bytes`) : o;
  };
  const out: (string | null)[] = [];
  let nulls = 0;
  for (let i = offset, start = at(i), stop; i < end; i++, start = stop) {
    stop = at(i + 1);
    if (stop < start) fail(`Arrow string offsets decrease at ${i + 1}`);
    if (validity !== null && ((validity[i >> 3]! >> (i & 7)) & 1) === 0) {
      nulls++;
      out.push(null);
    } else {
      try {
        out.push(utf8.decode(bytes.subarray(start, stop)));
      } catch {
        fail(`Arrow string ${i - offset} is not valid UTF-8`);
      }
    }
  }
  if (nullCount >= 0 && nulls !== nullCount) fail(`an Arrow array says it has ${nullCount} nulls, its validity bitmap ${nulls}`);
  return out;
}

const call = (id: string, read: (args: readonly unknown[], pickled: Reduction) => unknown): ReconstructorDef =>
  Object.freeze<ReconstructorDef>({ id, bind: (module, qualname) => ({ call: (args) => read(args, { callable: new PyGlobal(module, qualname), args }) }) });

const MAX = Number.MAX_SAFE_INTEGER;

export const PYARROW_DEFS: readonly ReconstructorDef[] = [
  /** pyarrow type_for_alias(string | large_string) → a string type; other types are refused */
  call('pyarrow.type_for_alias', (args, pickled) => {
    arity('type_for_alias', args, 1, 1);
    const alias = str('type_for_alias() alias', args[0], 64);
    return new PaType(Object.hasOwn(WIDTH, alias) ? WIDTH[alias]! : unsupported(`the pyarrow type '${alias}' is not read here, only string and large_string`), pickled);
  }),
  /** pyarrow py_buffer(bytes) → an Arrow buffer */
  call('pyarrow.py_buffer', (args, pickled) => {
    arity('py_buffer', args, 1, 1);
    const b = args[0];
    return new PaBuffer(b instanceof Uint8Array ? b : fail(`py_buffer() needs bytes, the pickle gave ${describe(b)}`), pickled);
  }),
  /** pyarrow _restore_array of a string array → its strings, every offset and validity bit checked */
  call('pyarrow.restore_array', (args, pickled) => {
    arity('_restore_array', args, 1, 1);
    const spec: unknown[] = Array.isArray(args[0]) ? args[0] : [];
    const [type, length, nulls, offset, buffers, children, dictionary] = spec;
    if (spec.length !== 7 || !(type instanceof PaType) || !Array.isArray(buffers) || buffers.length !== 3 || !Array.isArray(children) || children.length || dictionary !== null) {
      return fail('_restore_array() takes (string type, length, null count, offset, [validity, offsets, data], [], None)');
    }
    const [validity, offsets, data] = buffers.map((b) => (b === null ? null : b instanceof PaBuffer ? b.value : fail(`an Arrow buffer is a py_buffer or None, the pickle gave ${describe(b)}`)));
    const n = smallInt('an Arrow array length', length, 0, MAX);
    return new PaStrings(decodeStrings(type.value, n, smallInt('an Arrow null count', nulls, -1, MAX), smallInt('an Arrow array offset', offset, 0, MAX - n - 1), validity!, offsets!, data!), pickled);
  }),
];
