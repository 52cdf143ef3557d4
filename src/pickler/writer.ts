/**
 * The pickler's output: one growing byte buffer, and CPython's framing for protocol 4+.
 *
 * Framing as CPython does it: a frame starts at the first write after framing begins (or after a
 * frame was committed), with 9 bytes reserved for `FRAME <u64 length>`. At each value boundary a
 * frame of 64 KiB or more is committed. A frame shorter than 4 bytes is written without its header.
 * A payload of 64 KiB or more (bytes, str, bytearray) is written outside frames: the open frame is
 * committed first and the opcode that carries the payload is not framed.
 */
import { OP } from '../opcodes.js';

export const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER = 9;
/** The most bytes one write below `fastEnd` may add (an opcode and a float64 is 9). */
export const FAST_ROOM = 16;
/** The most `expect` makes room for at once. */
const EXPECT_LIMIT = 64 * 1024 * 1024;

/**
 * One spare buffer, lent to the next Writer: `dumps` makes a Writer per call, and allocating a fresh
 * 4 KiB ArrayBuffer (calloc, then the ArrayBuffer sweeper) each time was a large part of a small
 * dumps. A Writer takes it when constructed and `release` gives it back; a Writer made while
 * another holds it (a nested dumps in a reduce hook) allocates its own.
 */
let spare: Uint8Array | null = null;
/** Larger buffers are not kept as the spare, so one big dumps does not hold on to its memory. */
const SPARE_MAX = 64 * 1024;
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

export class Writer {
  buf: Uint8Array;
  pos = 0;
  /** A view of `buf`, for multi-byte stores. */
  view: DataView;
  /** Output before `buf`: finished stretches of it, and large payloads kept by reference until `take`. */
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;
  /** Whether frames are being written (protocol 4+ once the PROTO opcode is out). */
  private framing = false;
  /** Where the open frame's header is reserved, or -1 when no frame is open. */
  private frameStart = -1;
  /**
   * While `pos < fastEnd`, up to FAST_ROOM bytes may be stored at `pos` directly, with no call: there
   * is room in `buf`, and when framing, a frame is open and still under the size at which a value
   * boundary commits it. So a write at a value boundary below `fastEnd` is what `boundary()` then
   * `reserve()` would do. 0 when a frame must be opened first. Kept up to date by every method that
   * changes `buf`, `framing` or `frameStart`.
   */
  fastEnd = 0;

  constructor(initial = 4096) {
    if (spare !== null && spare.length >= initial) {
      this.buf = spare;
      spare = null;
    } else {
      this.buf = new Uint8Array(initial);
    }
    this.view = new DataView(this.buf.buffer);
    this.updateFastEnd();
  }

  private updateFastEnd(): void {
    const room = this.buf.length - FAST_ROOM;
    if (!this.framing) this.fastEnd = room;
    else if (this.frameStart < 0) this.fastEnd = 0;
    else this.fastEnd = Math.min(room, this.frameStart + FRAME_HEADER + FRAME_SIZE_TARGET);
  }

  /** Start or stop framing (protocol 4+ frames everything after the PROTO opcode). */
  setFraming(on: boolean): void {
    this.framing = on;
    this.updateFastEnd();
  }

  /** Make room for `n` more bytes (and open a frame when one is due). Returns the write position. */
  reserve(n: number): number {
    if (this.framing && this.frameStart < 0) {
      this.frameStart = this.pos;
      this.ensure(FRAME_HEADER + n);
      this.pos += FRAME_HEADER;
      this.updateFastEnd();
      return this.pos;
    }
    if (this.pos + n > this.buf.length) this.ensure(n);
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    this.resize(size);
  }

  /** Move the output so far into a new buffer of `size` bytes. */
  private resize(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.updateFastEnd();
  }

  /**
   * About `n` more bytes are coming (a long list's first batch, extrapolated): grow the buffer once
   * to fit them, instead of doubling and copying on the way, and allocating twice what is needed (the
   * allocations and their page faults were a tenth of a dump of a million numbers). At most
   * EXPECT_LIMIT bytes are made room for this way, in case the first batch was not typical; a negative
   * `n` (a large payload moved the output to `chunks`) is ignored.
   */
  expect(n: number): void {
    const need = this.pos + Math.min(Math.ceil(n * 1.125), EXPECT_LIMIT);
    if (need > this.buf.length) this.resize(need);
  }

  byte(b: number): void {
    const at = this.pos;
    if (at < this.fastEnd) {
      this.buf[at] = b;
      this.pos = at + 1;
      return;
    }
    const p = this.reserve(1);
    this.buf[p] = b;
    this.pos = p + 1;
  }

  /** An opcode and a one-byte argument. */
  byte2(a: number, b: number): void {
    const at = this.pos;
    if (at < this.fastEnd) {
      this.buf[at] = a;
      this.buf[at + 1] = b;
      this.pos = at + 2;
      return;
    }
    const p = this.reserve(2);
    this.buf[p] = a;
    this.buf[p + 1] = b;
    this.pos = p + 2;
  }

  /** An opcode and a little-endian u16. */
  opU16(op: number, v: number): void {
    const p = this.reserve(3);
    this.buf[p] = op;
    this.buf[p + 1] = v & 0xff;
    this.buf[p + 2] = v >>> 8;
    this.pos = p + 3;
  }

  /** An opcode and a little-endian 32-bit value (signed or unsigned). */
  opU32(op: number, v: number): void {
    const p = this.reserve(5);
    this.buf[p] = op;
    this.view.setUint32(p + 1, v >>> 0, true);
    this.pos = p + 5;
  }

  /** An opcode and a little-endian u64 (lengths). */
  opU64(op: number, v: number): void {
    const p = this.reserve(9);
    this.buf[p] = op;
    this.view.setUint32(p + 1, v >>> 0, true);
    this.view.setUint32(p + 5, Math.floor(v / 0x100000000), true);
    this.pos = p + 9;
  }

  /** BINFLOAT: big-endian IEEE 754 double. */
  binfloat(v: number): void {
    const p = this.reserve(9);
    this.buf[p] = OP.BINFLOAT;
    this.view.setFloat64(p + 1, v, false);
    this.pos = p + 9;
  }

  /** BINFLOAT at `p`, which the caller checked is below `fastEnd`. */
  floatAt(p: number, v: number): void {
    this.buf[p] = OP.BINFLOAT;
    this.view.setFloat64(p + 1, v, false);
    this.pos = p + 9;
  }

  /** ASCII text (protocol 0 arguments, GLOBAL names already encoded by the caller). */
  ascii(text: string): void {
    const n = text.length;
    const p = this.reserve(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[p + i] = text.charCodeAt(i);
    this.pos = p + n;
  }

  bytes(data: Uint8Array): void {
    const p = this.reserve(data.length);
    this.buf.set(data, p);
    this.pos = p + data.length;
  }

  /**
   * A header and a payload: a payload of FRAME_SIZE_TARGET bytes or more goes outside frames, as
   * CPython's `_Pickler_write_bytes` does.
   */
  payload(writeHeader: () => void, data: Uint8Array): void {
    if (data.length < FRAME_SIZE_TARGET) {
      writeHeader();
      this.bytes(data);
      return;
    }
    const framing = this.framing;
    this.commitFrame();
    this.setFraming(false);
    writeHeader();
    // Keep the payload by reference: it is copied once, into the final output.
    this.chunks.push(this.buf.slice(0, this.pos), data);
    this.chunkBytes += this.pos + data.length;
    this.pos = 0;
    this.setFraming(framing);
  }

  /** At a value boundary: commit the open frame if it has reached the target size. */
  boundary(): void {
    if (this.frameStart >= 0 && this.pos - this.frameStart - FRAME_HEADER >= FRAME_SIZE_TARGET) this.commitFrame();
  }

  /** Close the open frame: write its header, or drop the reserved header for a frame under 4 bytes. */
  commitFrame(): void {
    const start = this.frameStart;
    if (start < 0) return;
    this.frameStart = -1;
    this.updateFastEnd();
    const length = this.pos - start - FRAME_HEADER;
    if (length >= FRAME_SIZE_MIN) {
      this.buf[start] = OP.FRAME;
      this.view.setUint32(start + 1, length >>> 0, true);
      this.view.setUint32(start + 5, Math.floor(length / 0x100000000), true);
    } else {
      this.buf.copyWithin(start, start + FRAME_HEADER, this.pos);
      this.pos -= FRAME_HEADER;
    }
  }

  /**
   * Gives the buffer back to be lent to the next Writer; call only after `take`, on a Writer that is
   * not used again. (Every byte a Writer hands out was written by it, so stale contents are harmless.)
   */
  release(): void {
    if (this.buf.length <= SPARE_MAX) spare = this.buf;
    this.buf = EMPTY;
    this.view = EMPTY_VIEW;
    this.pos = 0;
    this.updateFastEnd();
  }

  /** Everything written so far (a copy the caller owns), and reset for the next pickle. */
  take(): Uint8Array {
    if (this.chunks.length > 0) {
      const out = new Uint8Array(this.chunkBytes + this.pos);
      let at = 0;
      for (const c of this.chunks) {
        out.set(c, at);
        at += c.length;
      }
      out.set(this.buf.subarray(0, this.pos), at);
      this.chunks = [];
      this.chunkBytes = 0;
      this.pos = 0;
      this.frameStart = -1;
      this.setFraming(false);
      return out;
    }
    // A mostly full buffer is handed over as it is (no copy); a mostly empty one is copied out.
    const full = this.pos * 2 >= this.buf.length;
    const out = full ? this.buf.subarray(0, this.pos) : this.buf.slice(0, this.pos);
    if (full) {
      this.buf = new Uint8Array(4096);
      this.view = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    this.frameStart = -1;
    this.setFraming(false);
    return out;
  }
}
