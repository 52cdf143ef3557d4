/**
 * A ZIP reader for auditing: the central directory (ZIP64 included), each member's data checked
 * against its local header, and the inconsistencies that make readers disagree reported as
 * findings (a name in the local header that differs from the central one, duplicate names,
 * overlapping members, encrypted members, bytes before or after the archive, local headers that no
 * central entry points at: streaming readers see those members, `zipfile` does not). Nothing is extracted
 * to disk; stored members are views, deflated ones are inflated with a size limit.
 */
import type { Finding } from '../audit/analyze.js';

export interface ZipMember {
  readonly name: string;
  /** 0 stored, 8 deflated; anything else is reported and skipped. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the member's data (after its local header). */
  readonly dataOffset: number;
  readonly encrypted: boolean;
  /** Found by its local header only: no central directory entry points at it. */
  readonly hidden?: boolean;
}

export interface ZipListing {
  readonly members: readonly ZipMember[];
  readonly findings: readonly Finding[];
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

class ZipError extends Error {}

/** Most local headers outside every member that are reported and audited, one by one. */
const MAX_HIDDEN = 64;

/** Lists a ZIP archive; a structure it cannot read is thrown as a message for a `malformed` verdict. */
export function listZip(bytes: Uint8Array): ZipListing {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const findings: Finding[] = [];
  const u16 = (p: number) => {
    if (p + 2 > n) throw new ZipError(`the archive is cut short at byte ${p}`);
    return view.getUint16(p, true);
  };
  const u32 = (p: number) => {
    if (p + 4 > n) throw new ZipError(`the archive is cut short at byte ${p}`);
    return view.getUint32(p, true);
  };
  const u64 = (p: number) => {
    const lo = u32(p);
    const hi = u32(p + 4);
    if (hi > 0x1fffff) throw new ZipError(`a ZIP64 field at byte ${p} is larger than 2**53`);
    return hi * 0x100000000 + lo;
  };
  const text = (p: number, len: number) => {
    if (p + len > n) throw new ZipError(`a name at byte ${p} runs past the end`);
    return new TextDecoder('utf-8').decode(bytes.subarray(p, p + len));
  };

  // The end-of-central-directory record: the last one, within the 64 KiB a comment can take.
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (view.getUint32(p, true) === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record: not a complete ZIP archive');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  const commentEnd = eocd + 22 + u16(eocd + 20);
  if (commentEnd < n) {
    findings.push({ severity: 'medium', rule: 'PG007', message: `${n - commentEnd} bytes after the end of the ZIP archive`, offset: commentEnd });
  }
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== EOCD64_LOCATOR) throw new ZipError('a ZIP64 archive without its ZIP64 locator');
    const record = u64(locator + 8);
    if (u32(record) !== EOCD64) throw new ZipError('the ZIP64 end-of-central-directory record is missing');
    count = u64(record + 32);
    cdSize = u64(record + 40);
    cdOffset = u64(record + 48);
  }
  if (cdOffset + cdSize > n) throw new ZipError('the central directory runs past the end of the file');
  if (count > n / 46) throw new ZipError(`the archive claims ${count} members, more than its size can hold`);

  const members: ZipMember[] = [];
  const names = new Map<string, number>();
  const ranges: [number, number, string][] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== CENTRAL) throw new ZipError(`central directory entry ${i} is damaged (at byte ${p})`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localOffset = u32(p + 42);
    const name = text(p + 46, nameLen);
    // ZIP64 extra field: the 0xffffffff fields, in order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(q)), (q += 8);
        if (localOffset === 0xffffffff) localOffset = u64(q);
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;

    if (u32(localOffset) !== LOCAL) throw new ZipError(`member ${JSON.stringify(name)} has no local header at byte ${localOffset}`);
    const localNameLen = u16(localOffset + 26);
    const localExtraLen = u16(localOffset + 28);
    const localName = text(localOffset + 30, localNameLen);
    const dataOffset = localOffset + 30 + localNameLen + localExtraLen;
    if (localName !== name) {
      findings.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(name)} is named ${JSON.stringify(localName)} in its local header: readers disagree on what it is`, offset: localOffset });
    }
    const encrypted = (flags & 1) !== 0;
    if (encrypted) findings.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(name)} is encrypted: it cannot be scanned`, offset: localOffset });
    if (method !== 0 && method !== 8) {
      findings.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(name)} uses compression method ${method}, which is not read here`, offset: localOffset });
    }
    const seen = names.get(name);
    if (seen !== undefined) findings.push({ severity: 'high', rule: 'PG007', message: `two members are named ${JSON.stringify(name)}: readers pick different ones`, offset: localOffset });
    names.set(name, localOffset);
    if (dataOffset + compressedSize > n) throw new ZipError(`member ${JSON.stringify(name)} runs past the end of the file`);
    ranges.push([localOffset, dataOffset + compressedSize, name]);
    members.push({ name, method, compressedSize, size, dataOffset, encrypted });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) {
      findings.push({ severity: 'high', rule: 'PG007', message: `members ${JSON.stringify(ranges[i - 1]![2])} and ${JSON.stringify(ranges[i]![2])} overlap`, offset: ranges[i]![0] });
    }
  }
  if (ranges.length && ranges[0]![0] > 0) findings.push({ severity: 'medium', rule: 'PG007', message: `${ranges[0]![0]} bytes before the first member`, offset: 0 });
  // Local headers in the gaps: members a streaming reader would extract and zipfile would not.
  let from = 0;
  let hidden = 0;
  gaps: for (const [start, stop] of [...ranges, [cdOffset, cdOffset] as const]) {
    for (let q = bytes.indexOf(0x50, from); q >= 0 && q + 4 <= start; q = bytes.indexOf(0x50, q + 1)) {
      if (view.getUint32(q, true) !== LOCAL) continue;
      if (++hidden > MAX_HIDDEN) {
        findings.push({ severity: 'high', rule: 'PG007', message: `more than ${MAX_HIDDEN} local file headers belong to no central directory entry; the rest were not listed`, offset: q });
        break gaps;
      }
      const member = hiddenMember(q);
      findings.push({
        severity: 'high',
        rule: 'PG007',
        message: `a local file header at byte ${q}${member ? ` (${JSON.stringify(member.name)})` : ''} belongs to no central directory entry: streaming readers extract it, zipfile does not`,
        offset: q,
      });
      if (member === null) continue;
      members.push(member);
      q = Math.max(q, member.dataOffset + member.compressedSize - 1);
    }
    from = Math.max(from, stop);
  }
  return { members, findings };

  /** The member whose local header is at `q`, when its name and data fit in the file. */
  function hiddenMember(q: number): ZipMember | null {
    if (q + 30 > n) return null;
    const flags = view.getUint16(q + 6, true);
    const nameLen = view.getUint16(q + 26, true);
    const dataOffset = q + 30 + nameLen + view.getUint16(q + 28, true);
    const compressedSize = view.getUint32(q + 18, true);
    // Sizes after the data (bit 3) are not in the header: such a member cannot be measured here.
    if ((flags & 8) !== 0 || dataOffset + compressedSize > n) return null;
    const name = new TextDecoder('utf-8').decode(bytes.subarray(q + 30, q + 30 + nameLen));
    return { name, method: view.getUint16(q + 8, true), compressedSize, size: view.getUint32(q + 22, true), dataOffset, encrypted: (flags & 1) !== 0, hidden: true };
  }
}

export { ZipError };
