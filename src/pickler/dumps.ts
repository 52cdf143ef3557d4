/** `dumps`, `dump` and `Pickler`: the public face of the pickler. */
import { PicklingError } from '../errors.js';
import { PickleEncoder, type DumpOptions } from './pickler.js';

/** Where `dump` and `Pickler` write: a Node Writable (anything with `write(chunk)`), a web WritableStream, or a callback. */
export type ByteSink =
  | { write(chunk: Uint8Array): unknown }
  | { getWriter(): { write(chunk: Uint8Array): Promise<void>; releaseLock(): void } }
  | ((chunk: Uint8Array) => unknown);

/**
 * One encoder kept for the life of the module. V8 holds the hidden classes of the encoder and its
 * writer only weakly; when no instance survives a full garbage collection they are dropped, and the
 * optimised code built on them with them (measured: 12 ms dumps became 40 ms after each collection).
 * The unpickler keeps a resident Machine for the same reason.
 */
const RESIDENT = new PickleEncoder();

/** The pickle of `value` (Python's `pickle.dumps`). Throws `PicklingError` naming the path to a value with no Python meaning. */
export function dumps(value: unknown, options?: DumpOptions): Uint8Array {
  void RESIDENT; // referenced here so bundlers keep it
  const encoder = new PickleEncoder(options);
  try {
    return encoder.dump(value);
  } finally {
    encoder.release();
  }
}

async function write(sink: ByteSink, chunk: Uint8Array): Promise<void> {
  if (typeof sink === 'function') {
    await sink(chunk);
  } else if ('getWriter' in sink && typeof sink.getWriter === 'function') {
    const writer = sink.getWriter();
    try {
      await writer.write(chunk);
    } finally {
      writer.releaseLock();
    }
  } else if ('write' in sink && typeof sink.write === 'function') {
    sink.write(chunk);
  } else {
    throw new PicklingError('bad_sink', 'dump needs a Node Writable, a web WritableStream or a function to write to');
  }
}

/** Write the pickle of `value` to `sink` (Python's `pickle.dump`). */
export async function dump(value: unknown, sink: ByteSink, options?: DumpOptions): Promise<void> {
  await write(sink, dumps(value, options));
}

/**
 * Writes several pickles to one sink, sharing one memo between them as Python's `Pickler` does
 * (a value written by an earlier `dump` is referred to, not written again); `clearMemo()` forgets.
 */
export class Pickler {
  private readonly encoder: PickleEncoder;

  constructor(
    private readonly sink: ByteSink,
    options?: DumpOptions,
  ) {
    this.encoder = new PickleEncoder(options);
  }

  get protocol(): number {
    return this.encoder.protocol;
  }

  /** Python's `Pickler.fast`: while true, nothing is memoized (see the `fast` option). */
  get fast(): boolean {
    return this.encoder.fast;
  }

  set fast(on: boolean) {
    this.encoder.fast = Boolean(on);
  }

  async dump(value: unknown): Promise<void> {
    await write(this.sink, this.encoder.dump(value));
  }

  /**
   * Forget the memo: later pickles refer to nothing written before, so each can be read on its own
   * (`loads`). As in CPython, numbering starts again at 0; at protocol 4 and up MEMOIZE numbers
   * entries by the reader's count, so a reader that carries its memo over from earlier pickles
   * (`Unpickler`, `StreamUnpickler`, Python's `Unpickler.load()` in a loop) must not read across
   * a `clearMemo()`.
   */
  clearMemo(): void {
    this.encoder.clearMemo();
  }
}
