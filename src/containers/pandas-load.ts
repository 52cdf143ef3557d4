/**
 * `loadPandas`: a file `DataFrame.to_pickle` (or `pandas.to_pickle`) wrote, with the compression
 * pandas infers from the name: gzip, zip (one member, stored or deflated) and tar are opened here; bz2,
 * xz, lzma and zstd are refused by name (MalformedPickleError). The pickle loads under the shipped
 * `pandas` pack unless another policy is given: a `PdDataFrame`, `PdSeries` or whatever it holds.
 */
import { MalformedPickleError } from '../errors.js';
import { shippedPack } from '../policy/default.js';
import { createPolicy } from '../policy/registry.js';
import type { Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { loads } from '../unpickler/unpickler.js';
import { compressionOf, inflateFor } from './compression.js';
import { isTar, listTar } from './tar.js';
import { isZip, listZip } from './zip.js';
import { ZipReader } from './zip-read.js';

export interface PandasLoadOptions extends LoadOptions {
  /** Most bytes a compressed file may decompress to. Default 1 GiB. */
  maxMemberBytes?: number;
}

let defaultPolicy: Policy | undefined;

/** The policy `loadPandas` uses by default: the shipped `pandas` pack (numpy and python-stdlib with it). */
export function pandasDefaultPolicy(): Policy {
  return (defaultPolicy ??= createPolicy({ name: 'pandas', packs: [shippedPack('pandas')] }));
}

const bad = (code: string, message: string): never => {
  throw new MalformedPickleError(code, message, { offset: 0 });
};

/** The pickle inside a zip as pandas writes it: exactly one member. */
async function zipContent(bytes: Uint8Array, limit: number): Promise<Uint8Array> {
  let members;
  try {
    members = listZip(bytes).members.filter((m) => m.via === undefined && m.hidden !== true);
  } catch (e) {
    return bad('bad_zip', `the zip archive cannot be read: ${(e as Error).message}`);
  }
  if (members.length !== 1) bad('bad_zip', `pandas reads a zip of one member, this one has ${members.length}`);
  return new ZipReader(bytes, { code: 'bad_zip', maxMemberBytes: limit, zeroCopy: true, zipfile: true }).read(members[0]!);
}

/** The pickle inside a tar as pandas writes it: exactly one regular member. */
function tarContent(bytes: Uint8Array): Uint8Array {
  let members;
  try {
    members = listTar(bytes).members.filter((m) => m.type === '0' || m.type === '\0');
  } catch (e) {
    return bad('bad_tar', `the tar archive cannot be read: ${(e as Error).message}`);
  }
  if (members.length !== 1) bad('bad_tar', `pandas reads a tar of one file, this one has ${members.length}`);
  const m = members[0]!;
  return bytes.subarray(m.offset, m.offset + m.size);
}

/**
 * Load a pandas pickle file: plain, gzip, zip or tar as `pandas.read_pickle` opens them (it infers the
 * compression from the name; here it is told by the first bytes). Throws `MalformedPickleError`
 * naming the format for bz2, xz, lzma and zstd, `LimitExceededError` past `maxMemberBytes`, and
 * whatever the pickle causes under the policy.
 */
export async function loadPandas(bytes: Uint8Array, options: PandasLoadOptions = {}): Promise<unknown> {
  const { maxMemberBytes = 2 ** 30, ...load } = options;
  let content = bytes;
  const format = isZip(bytes) ? 'zip' : compressionOf(bytes) ?? (isTar(bytes) ? 'tar' : null);
  if (format === 'zip') content = await zipContent(bytes, maxMemberBytes);
  else if (format === 'tar') content = tarContent(bytes);
  else if (format === 'gzip') content = await inflateFor(bytes, 'gzip', maxMemberBytes, 'gzip stream');
  else if (format !== null) bad('unsupported_compression', `a pandas pickle compressed with ${format}: not read (decompress it first, or save it with compression='gzip' or 'zip')`);
  return loads(content, { ...load, policy: load.policy ?? pandasDefaultPolicy() });
}
