/**
 * Writing a zip archive of stored (uncompressed) members, each member's data starting at a multiple
 * of `align` bytes, as PyTorch's writer lays checkpoints out: the local header's extra field is a
 * padding record (id 'FB', 0x4246) sized to reach the next boundary. No ZIP64: an archive of 4 GiB
 * or more, or of 65,535 members or more, is refused.
 */
import { crc32 } from '../crypto/crc32.js';
import { PicklingError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/** DOS date of 1980-01-01 (the earliest a zip can say; time 00:00). */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const LIMIT = 0xffffffff;

export function writeZip(entries: readonly ZipEntry[], align = 64): Uint8Array {
  if (entries.length >= 0xffff) throw new PicklingError('too_large', `a zip of ${entries.length} members needs ZIP64, which is not written`);
  const names = entries.map((e) => new TextEncoder().encode(e.name));
  // Layout first: where each local header and its data go.
  let at = 0;
  const layout = entries.map((e, i) => {
    const header = at;
    const fixed = header + 30 + names[i]!.length;
    const pad = align > 1 ? (align - ((fixed + 4) % align)) % align : 0;
    const extra = align > 1 ? 4 + pad : 0;
    const data = fixed + extra;
    at = data + e.data.length;
    return { header, extra, data };
  });
  const centralAt = at;
  const centralSize = names.reduce((n, name) => n + 46 + name.length, 0);
  const total = centralAt + centralSize + 22;
  if (total > LIMIT) throw new PicklingError('too_large', `a zip of ${total} bytes needs ZIP64, which is not written`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const crcs = entries.map((e) => crc32(e.data));
  // The fields a local header and its central directory record share, from "version needed" to the name's length.
  const fileFields = (at: number, name: Uint8Array, crc: number, size: number): void => {
    view.setUint16(at, 20, true); // version needed: 2.0
    view.setUint16(at + 2, name.some((b) => b >= 0x80) ? 0x800 : 0, true); // UTF-8 names flagged
    view.setUint16(at + 4, 0, true); // stored
    view.setUint16(at + 6, 0, true); // time 00:00
    view.setUint16(at + 8, DOS_DATE, true);
    view.setUint32(at + 10, crc, true);
    view.setUint32(at + 14, size, true); // compressed
    view.setUint32(at + 18, size, true); // uncompressed
    view.setUint16(at + 22, name.length, true);
  };
  entries.forEach((e, i) => {
    const { header, extra, data } = layout[i]!;
    const name = names[i]!;
    view.setUint32(header, 0x04034b50, true);
    fileFields(header + 4, name, crcs[i]!, e.data.length);
    view.setUint16(header + 28, extra, true);
    out.set(name, header + 30);
    if (extra > 0) {
      view.setUint16(header + 30 + name.length, 0x4246, true);
      view.setUint16(header + 32 + name.length, extra - 4, true);
      out.fill(0x5a, header + 34 + name.length, data); // 'Z', as torch pads
    }
    out.set(e.data, data);
  });
  let c = centralAt;
  entries.forEach((e, i) => {
    const name = names[i]!;
    view.setUint32(c, 0x02014b50, true);
    view.setUint16(c + 4, 20, true); // version made by
    fileFields(c + 6, name, crcs[i]!, e.data.length);
    // extra, comment, disk, internal attributes: 0; external attributes: 0
    view.setUint32(c + 42, layout[i]!.header, true);
    out.set(name, c + 46);
    c += 46 + name.length;
  });
  view.setUint32(c, 0x06054b50, true);
  view.setUint16(c + 8, entries.length, true);
  view.setUint16(c + 10, entries.length, true);
  view.setUint32(c + 12, centralSize, true);
  view.setUint32(c + 16, centralAt, true);
  return out;
}
