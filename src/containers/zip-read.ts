/**
 * The bytes of zip members, for every loader that reads a zip (PyTorch checkpoints, pandas' zip
 * pickles, `.npz` files): one reader, so each checks the same things before it hands out a byte.
 * A member the listing marks as not read (`ZipMember.refused`: encrypted, another method than
 * stored or deflated, or one zipfile refuses though it lists it) is malformed (with the loader's
 * error code, at the member's data), and past the per-member or total limit is a
 * `LimitExceededError`. Beyond that, the reader reads as the loader's Python side does:
 *
 * - `zipfile: true` (pandas and numpy open zips with zipfile): a member gives at most the size its
 *   directory entry says (zipfile stops there, or where a stored member's data or a deflated stream
 *   ends first), and what it gives must match the entry's CRC-32, which is all zipfile checks.
 * - otherwise (PyTorch's own reader, which checks no CRC: torch 1.13, 2.6 and 2.14 load a
 *   checkpoint whose bytes no longer match it): a stored member's two sizes must agree and a
 *   deflated member must inflate to exactly its size, else the member is malformed.
 *
 * (The auditor reports such members as findings and reads on: open.ts.)
 */
import { LimitExceededError, MalformedPickleError } from '../errors.js';
import { decompress, DecompressError } from './compression.js';
import type { ZipMember } from './zip.js';
import { crc32 } from '../crypto/crc32.js';

export interface ZipReadOptions {
  /** The `MalformedPickleError` code for a member that cannot be read. */
  readonly code: string;
  /** Most bytes one member may have (stored) or inflate to (deflated). Default 1 GiB. */
  readonly maxMemberBytes?: number;
  /** Most bytes all deflated members together may inflate to. Default 2 GiB. */
  readonly maxInflatedBytes?: number;
  /** Stored members as views into the archive's bytes (else copies). */
  readonly zeroCopy?: boolean;
  /** Read as Python's zipfile reads (above). */
  readonly zipfile?: boolean;
}

export class ZipReader {
  private inflated = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: ZipReadOptions,
  ) {}

  async read(m: ZipMember): Promise<Uint8Array> {
    const name = JSON.stringify(m.name);
    const bad = (message: string): never => {
      throw new MalformedPickleError(this.options.code, message, { offset: m.dataOffset });
    };
    const { zipfile, zeroCopy, maxMemberBytes = 2 ** 30, maxInflatedBytes = 2 ** 31 } = this.options;
    if (m.refused !== undefined) bad(`member ${name} is not read: ${m.refused}`);
    const raw = this.bytes.subarray(m.dataOffset, m.dataOffset + m.compressedSize);
    const over = (limit: 'maxMemberBytes' | 'maxInflatedBytes') =>
      new LimitExceededError(limit, limit === 'maxMemberBytes' ? maxMemberBytes : maxInflatedBytes, `member ${name} holds more bytes`, { offset: m.dataOffset });
    // zipfile takes what the data gives up to the entry's size, so the limits apply to what it gives;
    // otherwise the entry's size is what the member must hold, held to the limits before reading.
    if (!zipfile && m.size > maxMemberBytes) throw over('maxMemberBytes');
    if (!zipfile && m.method === 8 && m.size > maxInflatedBytes - this.inflated) throw over('maxInflatedBytes');
    let out: Uint8Array;
    if (m.method === 0) {
      out = raw.subarray(0, zipfile ? m.size : raw.length);
      if (out.length > maxMemberBytes) throw over('maxMemberBytes');
      if (!zeroCopy) out = Uint8Array.prototype.slice.call(out); // not Buffer#slice, which is a view
    } else {
      try {
        out = await decompress(raw, 'deflate-raw', maxMemberBytes, zipfile ? m.size : m.size + 1);
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
        if (e.overLimit) throw over('maxMemberBytes');
        return bad(`member ${name} cannot be inflated: ${e.message}`);
      }
      if ((this.inflated += out.length) > maxInflatedBytes) throw over('maxInflatedBytes');
    }
    if (!zipfile && out.length !== m.size) bad(`member ${name} holds ${out.length > m.size ? 'more than ' : ''}${Math.min(out.length, m.size)} bytes, its directory entry says ${m.size}`);
    if (zipfile) {
      const crc = crc32(out);
      if (crc !== m.crc) bad(`member ${name} has CRC-32 ${crc}, its directory entry says ${m.crc} (zipfile refuses it)`);
    }
    return out;
  }
}
