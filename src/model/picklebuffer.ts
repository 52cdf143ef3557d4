/**
 * Protocol 5 out-of-band data, the counterpart of Python's `pickle.PickleBuffer`: bytes the pickler
 * may hand to `bufferCallback` instead of copying them into the pickle (NEXT_BUFFER), or write in
 * band as bytes (read-only) or a bytearray (writable).
 */
export class PyPickleBuffer {
  constructor(
    readonly data: Uint8Array,
    readonly readonly = true,
  ) {
    Object.freeze(this);
  }
}
