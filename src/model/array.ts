/**
 * `array.array` as CPython on little-endian 64-bit Linux keeps it: a typecode and items of that C
 * type. It pickles as `array.array(typecode, list)` below protocol 3 and as
 * `array._array_reconstructor(array.array, typecode, machine_format, bytes)` from protocol 3.
 */
import { PyFloat } from './float.js';
import { PyGlobal } from './global.js';
import type { NpTypedArray } from './ndarray.js';
import { normalInt } from './int.js';
import { REDUCE, type Reduction } from './reduce.js';

export type PyArrayTypecode = 'b' | 'B' | 'u' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';
/** The typed arrays items come in: numpy's set. */
export type PyArrayItems = NpTypedArray;

/** Per typecode: item size, signedness, kind, and the machine format code CPython writes for it here. */
export const ARRAY_TYPES: Readonly<Record<PyArrayTypecode, { size: number; signed: boolean; kind: 'int' | 'float' | 'unicode'; mformat: number }>> = {
  b: { size: 1, signed: true, kind: 'int', mformat: 1 },
  B: { size: 1, signed: false, kind: 'int', mformat: 0 },
  u: { size: 4, signed: false, kind: 'unicode', mformat: 20 },
  h: { size: 2, signed: true, kind: 'int', mformat: 4 },
  H: { size: 2, signed: false, kind: 'int', mformat: 2 },
  i: { size: 4, signed: true, kind: 'int', mformat: 8 },
  I: { size: 4, signed: false, kind: 'int', mformat: 6 },
  l: { size: 8, signed: true, kind: 'int', mformat: 12 },
  L: { size: 8, signed: false, kind: 'int', mformat: 10 },
  q: { size: 8, signed: true, kind: 'int', mformat: 12 },
  Q: { size: 8, signed: false, kind: 'int', mformat: 10 },
  f: { size: 4, signed: true, kind: 'float', mformat: 14 },
  d: { size: 8, signed: true, kind: 'float', mformat: 16 },
};

/** An empty typed array of the typecode's item type, `n` items long. */
export function arrayItems(typecode: PyArrayTypecode, n: number): PyArrayItems {
  switch (typecode) {
    case 'b': return new Int8Array(n);
    case 'B': return new Uint8Array(n);
    case 'u': return new Uint32Array(n);
    case 'h': return new Int16Array(n);
    case 'H': return new Uint16Array(n);
    case 'i': return new Int32Array(n);
    case 'I': return new Uint32Array(n);
    case 'l': case 'q': return new BigInt64Array(n);
    case 'L': case 'Q': return new BigUint64Array(n);
    case 'f': return new Float32Array(n);
    case 'd': return new Float64Array(n);
  }
}

export class PyArray {
  constructor(
    readonly typecode: PyArrayTypecode,
    /** The items (code points for 'u'; 64-bit types as bigint). */
    readonly items: PyArrayItems,
  ) {
    Object.freeze(this);
  }

  get length(): number {
    return this.items.length;
  }

  /** `array.tolist()`: numbers (bigints beyond 2**53 for 64-bit types), one-character strs for 'u'. */
  toList(): (number | bigint | string)[] {
    if (this.typecode === 'u') return Array.from(this.items as Uint32Array, (c) => String.fromCodePoint(c));
    if (this.items instanceof BigInt64Array || this.items instanceof BigUint64Array) {
      return Array.from(this.items, normalInt);
    }
    return Array.from(this.items as ArrayLike<number>);
  }

  /** The raw bytes, native (little-endian) order: `array.tobytes()`. */
  toBytes(): Uint8Array {
    return new Uint8Array(this.items.buffer, this.items.byteOffset, this.items.byteLength).slice();
  }

  [REDUCE](protocol: number): Reduction {
    if (protocol < 3) {
      const float = ARRAY_TYPES[this.typecode].kind === 'float';
      const list = this.toList().map((v) => (float ? new PyFloat(v as number) : v));
      return { callable: new PyGlobal('array', 'array'), args: [this.typecode, list] };
    }
    return { callable: new PyGlobal('array', '_array_reconstructor'), args: [new PyGlobal('array', 'array'), this.typecode, ARRAY_TYPES[this.typecode].mformat, this.toBytes()] };
  }

  /** For 'u' arrays, the text (`tounicode()`); otherwise the items joined by commas. */
  toString(): string {
    return this.typecode === 'u' ? this.toList().join('') : this.toList().join(',');
  }
}
