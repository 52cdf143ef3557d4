/**
 * Reading pickles from a stream: a Node `Readable`, a web `ReadableStream`, or any (async)
 * iterable of byte chunks. Bytes are buffered until a whole pickle is there, which is found by
 * skipping opcodes (scan.ts) without running them; the scan is repeated only once the buffer has
 * grown by half again, which keeps the total work linear in the input, and the pickle then runs
 * exactly once.
 */
import { EndOfInputError, LimitExceededError, UnpicklingError } from '../errors.js';
import { resolveOptions, type LoadOptions, type ResolvedOptions } from './options.js';
import { Machine } from './machine.js';
import { endOfPickle } from './scan.js';
import { checkInput, run } from './unpickler.js';

/** Anything that yields byte chunks: Node Readable, web ReadableStream, (async) iterables. */
export type ByteSource =
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array>
  | { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; releaseLock(): void } };

function chunksOf(source: ByteSource): AsyncIterator<Uint8Array | string> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  if ('getReader' in source) {
    const reader = source.getReader();
    return {
      async next() {
        const r = await reader.read();
        if (r.done) {
          reader.releaseLock();
          return { done: true, value: undefined };
        }
        return { done: false, value: r.value as Uint8Array };
      },
    };
  }
  const it = (source as Iterable<Uint8Array>)[Symbol.iterator]();
  return { next: async () => it.next() };
}

/** Reads pickles one after another from a stream; `load()` resolves to the next value. */
export class StreamUnpickler {
  readonly #options: ResolvedOptions;
  readonly #chunks: AsyncIterator<Uint8Array | string>;
  #buffer = new Uint8Array(0);
  #start = 0;
  #length = 0;
  #ended = false;
  /** Bytes of the stream before `buffer[start]`, so error offsets count from the stream's start. */
  #consumed = 0;
  /** The last machine run: its memo carries over to the next pickle, as in Python's Unpickler(file). */
  #previous: Machine | null = null;
  #busy = false;

  constructor(source: ByteSource, options?: LoadOptions) {
    this.#options = resolveOptions(options);
    this.#chunks = chunksOf(source);
  }

  /** Append one chunk to the buffer (amortised doubling). */
  #append(chunk: Uint8Array): void {
    const used = this.#length - this.#start;
    if (used + chunk.length > this.#options.maxInputBytes) {
      throw new LimitExceededError('maxInputBytes', this.#options.maxInputBytes, 'the stream holds more bytes than allowed', {
        offset: this.#length,
      });
    }
    if (this.#length + chunk.length > this.#buffer.length) {
      const next = new Uint8Array(Math.max(64 * 1024, 2 * (used + chunk.length)));
      next.set(this.#buffer.subarray(this.#start, this.#length));
      this.#buffer = next;
      this.#length = used;
      this.#start = 0;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length += chunk.length;
  }

  /** Read until the buffer holds at least `want` unread bytes, or the stream ends. */
  async #fill(want: number): Promise<void> {
    while (!this.#ended && this.#length - this.#start < want) {
      const r = await this.#chunks.next();
      if (r.done) {
        this.#ended = true;
        break;
      }
      const v = r.value;
      if (typeof v === 'string' || !(v instanceof Uint8Array)) {
        throw new UnpicklingError('not_bytes', 'the stream yielded text or a non-byte chunk; read it in binary mode');
      }
      this.#append(v);
    }
  }

  /** The next pickle's value; `EndOfInputError` when the stream ends between pickles. */
  async load(): Promise<unknown> {
    if (this.#busy) throw new UnpicklingError('reentrant_load', 'StreamUnpickler.load() called while a load is running');
    this.#busy = true;
    try {
      await this.#fill(1);
      if (this.#length === this.#start) throw new EndOfInputError({ offset: this.#consumed });
      // Wait for the whole pickle (or the end of the stream), then run it once.
      for (;;) {
        const found = endOfPickle(this.#buffer.subarray(0, this.#length), this.#start);
        if (found !== 'truncated' || this.#ended) break;
        await this.#fill(Math.ceil((this.#length - this.#start) * 1.5) + 1);
      }
      const m = new Machine(checkInput(this.#buffer.subarray(this.#start, this.#length), this.#options), this.#options);
      m.base = this.#consumed;
      if (this.#previous !== null) m.carryOver(this.#previous);
      this.#previous = m;
      const value = run(m);
      this.#start += m.pos;
      this.#consumed += m.pos;
      return value;
    } finally {
      this.#busy = false;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      try {
        yield await this.load();
      } catch (e) {
        if (e instanceof EndOfInputError) return;
        throw e;
      }
    }
  }
}

/** Read one pickle from a stream (Python's `pickle.load(file)`). */
export function load(source: ByteSource, options?: LoadOptions): Promise<unknown> {
  return new StreamUnpickler(source, options).load();
}
