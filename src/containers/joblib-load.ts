/**
 * `loadJoblib`: a file `joblib.dump` wrote, loaded as data, as `joblib.load` reads it. joblib
 * compresses the whole file (when asked) with one compressor it recognises by the first bytes:
 * zlib and gzip are read here (with the platform's DecompressionStream, within maxMemberBytes);
 * bz2, lzma, xz and lz4 are refused by name, and so is the format of joblib before 0.9.3 ('ZF').
 * The content is one pickle; every numpy array in it is read after its wrapper's BUILD
 * (src/audit/joblib.ts) into an `NdArray` over the content's bytes. Nothing in the file is run.
 */
import { MalformedPickleError } from '../errors.js';
import { joblibPolicy } from '../audit/joblib.js';
import { shippedPack } from '../policy/default.js';
import { createPolicy } from '../policy/registry.js';
import type { Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { loads } from '../unpickler/unpickler.js';
import { adler32, inflateFor } from './compression.js';
import { crc32 } from '../crypto/crc32.js';

export interface JoblibLoadOptions extends Omit<LoadOptions, 'persistentLoad' | 'buffers'> {
  /** Most bytes a compressed file may decompress to. Default 1 GiB. */
  maxMemberBytes?: number;
}

let defaultPolicy: Policy | undefined;

/** The policy `loadJoblib` uses by default: the shipped `joblib` pack (numpy's names and the array wrapper). */
export function joblibDefaultPolicy(): Policy {
  return (defaultPolicy ??= createPolicy({ name: 'joblib', packs: [shippedPack('joblib')] }));
}

/** joblib's compressors by the first bytes of the file, in the order joblib tries them. */
const FORMATS: readonly (readonly [string, readonly number[]])[] = [
  ['zlib', [0x78]],
  ['gzip', [0x1f, 0x8b]],
  ['bz2', [0x42, 0x5a]],
  ['lzma', [0x5d, 0x00]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

/** How `joblib.load` would open the file: 'compat' (joblib before 0.9.3), a compressor, or none. */
export function joblibFormat(bytes: Uint8Array): string {
  if (bytes[0] === 0x5a && bytes[1] === 0x46) return 'compat';
  for (const [name, magic] of FORMATS) if (magic.every((b, i) => bytes[i] === b)) return name;
  return 'not-compressed';
}

const bad = (code: string, message: string): never => {
  throw new MalformedPickleError(code, message, { offset: 0 });
};

const u32 = (d: Uint8Array, at: number, little: boolean): number =>
  new DataView(d.buffer, d.byteOffset + at, 4).getUint32(0, little);

/**
 * The content of a zlib- or gzip-compressed joblib file. joblib's reader stops at the end of the
 * first stream; so that this content is exactly what it reads, the file must end with that stream's
 * checksum (zlib: Adler-32; gzip: CRC-32 and length): bytes after it, or a second gzip member, are
 * malformed.
 */
async function inflate(bytes: Uint8Array, format: 'zlib' | 'gzip', limit: number): Promise<Uint8Array> {
  const out = await inflateFor(bytes, format === 'gzip' ? 'gzip' : 'deflate', limit, `${format} stream`);
  const n = bytes.length;
  const ends = format === 'zlib' ? n >= 6 && u32(bytes, n - 4, false) === adler32(out) : n >= 18 && u32(bytes, n - 8, true) === crc32(out) && u32(bytes, n - 4, true) === out.length % 2 ** 32;
  if (!ends) bad('bad_compression', `the file does not end with its ${format} stream (bytes after it${format === 'gzip' ? ', or a second gzip member' : ''}): joblib reads only the first stream`);
  return out;
}

/**
 * Load a file `joblib.dump` wrote: the value `joblib.load` returns, numpy arrays as `NdArray`s
 * (their data views over the file's, or the decompressed, bytes; a big-endian array is swapped
 * to the platform's order, a copy, as joblib 1.2 and later do). Loads under the shipped `joblib` pack unless another
 * policy is given (it must allow `joblib.numpy_pickle.NumpyArrayWrapper` and numpy's dtypes).
 * Throws `PickleError`s: `MalformedPickleError` for a compression or format not read (named in
 * the message) and for arrays that cannot be read exactly, `LimitExceededError` past
 * `maxMemberBytes` or the load limits, and whatever the pickle itself causes.
 */
export async function loadJoblib(bytes: Uint8Array, options: JoblibLoadOptions = {}): Promise<unknown> {
  const { maxMemberBytes = 2 ** 30, ...load } = options;
  const format = joblibFormat(bytes);
  let content = bytes;
  if (format === 'compat') bad('unsupported_format', 'a joblib file in the format of joblib before 0.9.3 (it starts with ZF): not read');
  else if (format === 'zlib' || format === 'gzip') content = await inflate(bytes, format, maxMemberBytes);
  else if (format !== 'not-compressed') bad('unsupported_compression', `a joblib file compressed with ${format}: not read (decompress it first, or save it with compress=('zlib', 3) or 'gzip')`);
  // joblib.load reads one pickle; bytes after its STOP are not read.
  return loads(content, { ...load, policy: joblibPolicy(load.policy ?? joblibDefaultPolicy(), { nativeOrder: true }) });
}
