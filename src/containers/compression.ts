/**
 * Compressed wrappers, told apart by their magic bytes as joblib, pandas and PyTorch tooling write
 * them: gzip, zlib, bz2, xz, lzma-alone, lz4 frames, zstd and 7z. gzip and zlib are opened with the
 * platform's DecompressionStream (gzip's concatenated members are all read, as Python's gzip module
 * reads them); the others cannot be opened here, and saying so is the answer: such a file is
 * malformed, never safe. None of these magics is a pickle's first opcodes.
 */
import { LimitExceededError, MalformedPickleError } from '../errors.js';

export type Compression = 'gzip' | 'zlib' | 'bz2' | 'xz' | 'lzma' | 'lz4' | 'zstd' | '7z';

const MAGICS: readonly (readonly [Compression, readonly number[]])[] = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
];

/** The compression `b` starts with, or null. */
export function compressionOf(b: Uint8Array): Compression | null {
  for (const [name, magic] of MAGICS) if (b.length >= magic.length && magic.every((x, i) => b[i] === x)) return name;
  // bz2: "BZh", a block size digit, then a block ("1AY&SY") or the end of an empty stream.
  if (b.length >= 10 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68 && b[3]! >= 0x31 && b[3]! <= 0x39) {
    const next = String.fromCharCode(...b.subarray(4, 10));
    if (next === '1AY&SY' || next === '\x17rE8P\x90') return 'bz2';
  }
  // lzma-alone (what joblib and Python's lzma.FORMAT_ALONE write): properties 0x5d, a small dictionary size.
  if (b.length >= 13 && b[0] === 0x5d && b[1] === 0x00 && b[2] === 0x00) return 'lzma';
  // zlib with a 32 KiB window (0x78 is no pickle opcode); the header is a multiple of 31.
  if (b.length >= 2 && b[0] === 0x78 && ((b[0] << 8) | b[1]!) % 31 === 0) return 'zlib';
  return null;
}

export class DecompressError extends Error {
  /** True when the stream was cut off at the limit (not damaged): callers report the limit. */
  constructor(
    message: string,
    readonly overLimit = false,
  ) {
    super(message);
  }
}

/**
 * Inflate with the platform's DecompressionStream, refusing output beyond `limit` bytes; with `cut`,
 * stopping at `cut` bytes and returning those (as zipfile reads a member: no more than its size).
 */
export async function decompress(data: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw', limit: number, cut = Infinity): Promise<Uint8Array> {
  const ds = new DecompressionStream(format);
  const writer = ds.writable.getWriter();
  // Written without waiting: the reader below drains the output, so backpressure cannot deadlock.
  writer.write(data as Uint8Array<ArrayBuffer>).then(
    () => writer.close(),
    () => undefined,
  ).catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch (e) {
      throw new DecompressError(`the ${format} stream is damaged (${(e as Error).message})`);
    }
    if (step.done) break;
    const chunk = step.value;
    if (total + chunk.length >= cut && cut <= limit) {
      chunks.push(chunk.subarray(0, cut - total));
      total = cut;
      await reader.cancel().catch(() => undefined);
      break;
    }
    total += chunk.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new DecompressError(`decompresses to more than ${limit} bytes (maxMemberBytes)`, true);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `decompress` for a loader: past `limit` a LimitExceededError, any other failure a MalformedPickleError ('bad_compression'), naming `what`. */
export async function inflateFor(data: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw', limit: number, what: string): Promise<Uint8Array> {
  try {
    return await decompress(data, format, limit);
  } catch (e) {
    if (e instanceof DecompressError && e.overLimit) throw new LimitExceededError('maxMemberBytes', limit, `the ${what} decompresses to more bytes`, { offset: 0 });
    throw new MalformedPickleError('bad_compression', `the ${what} cannot be decompressed: ${(e as Error).message}`, { offset: 0 });
  }
}

/** Adler-32, as zlib streams end with it. */
export function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const stop = Math.min(b.length, i + 3800);
    for (; i < stop; i++) {
      a += b[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/**
 * Open a gzip or zlib stream: its content, and whether bytes follow the stream. gzip readers
 * refuse what is not another member or zero padding (so the platform's refusal is the answer);
 * for zlib, the stream's last four bytes must be the Adler-32 of its content, or bytes follow it.
 */
export async function openCompressed(data: Uint8Array, format: 'gzip' | 'zlib', limit: number): Promise<{ body: Uint8Array; trailing: boolean }> {
  const body = await decompress(data, format === 'gzip' ? 'gzip' : 'deflate', limit);
  if (format === 'gzip') return { body, trailing: false };
  const n = data.length;
  const check = n >= 4 ? ((data[n - 4]! << 24) | (data[n - 3]! << 16) | (data[n - 2]! << 8) | data[n - 1]!) >>> 0 : -1;
  return { body, trailing: check !== adler32(body) };
}
