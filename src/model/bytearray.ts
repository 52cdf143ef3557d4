/** Python's bytearray: a mutable Uint8Array subclass, so it stays distinct from bytes (a plain Uint8Array). */
export class PyByteArray extends Uint8Array {
  /** A bytearray holding a copy of `bytes`. */
  static copyOf(bytes: ArrayLike<number>): PyByteArray {
    return copyBytes(bytes);
  }
}

// Outside the class body, so bundlers keep the name PyByteArray (see tuple.ts).
function copyBytes(bytes: ArrayLike<number>): PyByteArray {
  const b = new PyByteArray(bytes.length);
  b.set(bytes);
  return b;
}
