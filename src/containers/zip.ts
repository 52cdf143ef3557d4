/**
 * A ZIP reader for auditing. The members it lists first are the ones Python's `zipfile` (and so
 * numpy and torch) reads: the end record it finds (the last one in the final 64 KiB, or one at the
 * very end with no comment), the ZIP64 end record right before it taking precedence, and the
 * central directory placed where those records' sizes put it ("concat" prefix included). Every
 * other reading a ZIP reader could make is found too and reported: an end record that disagrees
 * with the ZIP64 one, a ZIP64 locator pointing elsewhere, a directory offset that disagrees with
 * its placement, end records and central entries in bytes the directory does not account for, and
 * local headers no entry points at (streaming readers extract those). Their members are listed
 * after zipfile's, marked with `via`, so they are audited too: nothing is hidden. Reader
 * ambiguities are findings of severity `high` (the container is then malformed). Nothing is
 * extracted; stored members are views.
 */
import type { Finding } from '../audit/analyze.js';

export interface ZipMember {
  /** The name zipfile gives it (cut at a NUL, as `ZipInfo` does). */
  readonly name: string;
  /** 0 stored, 8 deflated; anything else is reported and skipped. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  /** The CRC-32 of its uncompressed bytes, as its directory entry (or, for a hidden one, its local header) gives it. */
  readonly crc: number;
  /** Offset of the member's data (after its local header). */
  readonly dataOffset: number;
  readonly encrypted: boolean;
  /** Found by its local header only: no central directory entry points at it. */
  readonly hidden?: boolean;
  /**
   * Why its bytes are not read: it is encrypted or compressed with a method other than stored and
   * deflated, or zipfile's `read` refuses it though it lists it (its local header names another
   * file, or its flags ask for what zipfile does not do). No loader reads such a member.
   */
  readonly refused?: string;
  /** Found by a reading other than zipfile's (another directory, a stray entry): which one. */
  readonly via?: string;
}

export interface ZipListing {
  /** zipfile's members in directory order, then the members other readings see. */
  readonly members: readonly ZipMember[];
  readonly findings: readonly Finding[];
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** zipfile refuses members that need a later version to extract (6.3). */
const MAX_EXTRACT_VERSION = 63;
/** Most stray structures (end records, entries, local headers) reported and read, each. */
const MAX_STRAY = 64;

/** Code page 437's bytes 0x80-0xff: each code point the previous one plus (a character's code less 80), or `{hex}`. */
let cp = 0;
const CP437_HIGH = '{c7}{fc}=IRLURSQMWON(QTm0{f4}RLYNV{d6}V{a2}QR{20a7}{192}{e1}{ed}VWG0){ba}U{2310}{ac}aO5Z{bb}{2591}QQ{2502}r{2561}QDO^>VVOO{2510}TpH@4{253c}rQKJeMJ@lKQLQDOJQhO{2518}D{2588}LXT@{3b1}{df}{393}{3c0}3p{b5}{3c4}2Ba[{221e}{3c6}?{2229}{2261}{b1}{2265}O{2320}Q{f7}{2248}{b0}{2219}{b7}{221a}{207f}{b2}{25a0}{a0}'.replace(/\{(\w+)\}|./g, (c, hex?: string) => String.fromCharCode((cp = hex ? parseInt(hex, 16) : cp + c.charCodeAt(0) - 80)));

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

class ZipError extends Error {}

/** A central directory entry, its header offset moved by the reading's prefix. */
interface Entry {
  readonly at: number;
  readonly origName: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly headerOffset: number;
  readonly extractVersion: number;
  readonly length: number;
}

/** Lists a ZIP archive; a structure zipfile cannot read is thrown as a message for a `malformed` verdict. */
export function listZip(bytes: Uint8Array): ZipListing {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const findings: Finding[] = [];
  const ambiguity = (message: string, offset: number) => findings.push({ severity: 'high', rule: 'PG007', message, offset });
  const has = (p: number, len: number) => p >= 0 && p + len <= n;
  const u16 = (p: number) => view.getUint16(p, true);
  const u32 = (p: number) => view.getUint32(p, true);
  // Past 2**53 a double rounds, but stays past any offset in the file, which is all that is asked of it.
  const u64 = (p: number) => u32(p + 4) * 0x100000000 + u32(p);
  const decodeName = (p: number, len: number, flags: number): string => {
    const raw = bytes.subarray(p, p + len);
    if ((flags & 0x800) !== 0) {
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
      } catch {
        throw new ZipError(`a name at byte ${p} is flagged UTF-8 but is not`);
      }
    }
    let s = '';
    for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
    return s;
  };

  /** Central directory entries from `start` (`size` bytes), as zipfile reads them: by size, not by count. */
  const readDirectory = (start: number, size: number, concat: number): Entry[] => {
    if (start < 0 || !has(start, size)) throw new ZipError(`the central directory (${size} bytes at ${start}) is not inside the file`);
    const stop = start + size;
    const entries: Entry[] = [];
    for (let p = start; p < stop; ) {
      if (p + 46 > stop) throw new ZipError(`central directory entry at byte ${p} is cut short`);
      if (u32(p) !== CENTRAL) throw new ZipError(`central directory entry at byte ${p} has a bad signature`);
      const entry = readEntry(p, stop, concat);
      entries.push(entry);
      p += entry.length;
    }
    return entries;
  };

  const readEntry = (p: number, stop: number, concat: number): Entry => {
    if (p + 46 > stop) throw new ZipError(`central directory entry at byte ${p} is cut short`);
    const flags = u16(p + 8);
    // zipfile reads name, extra field and comment from the directory's bytes: what runs past them is cut off.
    const nameLen = Math.min(u16(p + 28), stop - p - 46);
    const extraLen = Math.min(u16(p + 30), stop - p - 46 - nameLen);
    const length = 46 + u16(p + 28) + u16(p + 30) + u16(p + 32);
    const extractVersion = bytes[p + 6]!;
    if (extractVersion > MAX_EXTRACT_VERSION) throw new ZipError(`central directory entry at byte ${p} needs zip version ${extractVersion / 10}`);
    let size = u32(p + 24);
    let compressedSize = u32(p + 20);
    let headerOffset = u32(p + 42);
    // The ZIP64 extra field holds the fields set to 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = u16(e);
      const len = u16(e + 2);
      if (e + 4 + len > extraEnd) throw new ZipError(`a corrupt extra field at byte ${e}`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) throw new ZipError(`a corrupt ZIP64 extra field at byte ${e}`);
          q += 8;
          return u64(q - 8);
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (headerOffset === 0xffffffff) headerOffset = take();
      }
      e += 4 + len;
    }
    return {
      at: p,
      origName: decodeName(p + 46, nameLen, flags),
      flags,
      method: u16(p + 10),
      crc: u32(p + 16),
      compressedSize,
      size,
      headerOffset: headerOffset + concat,
      extractVersion,
      length,
    };
  };

  const members: ZipMember[] = [];
  const seen = new Set<string>();
  let strays = 0;
  const stray = (): boolean => ++strays <= MAX_STRAY * 3;
  // Other readings of the end records are read after zipfile's, so its members keep their own names.
  const deferred: Parameters<typeof alternative>[] = [];
  const later = (...args: Parameters<typeof alternative>) => deferred.push(args);
  /** Byte ranges zipfile's reading accounts for (and, later, those other readings explain). */
  const accounted: [number, number][] = [];
  const memberRanges: [number, number, string][] = [];

  /** The member an entry points at, its local header checked against the entry; null (and a finding) when it cannot be read. */
  const resolve = (entry: Entry, via: string | undefined): ZipMember | null => {
    const h = entry.headerOffset;
    const label = JSON.stringify(entry.origName);
    if (!has(h, 30) || u32(h) !== LOCAL) {
      ambiguity(`member ${label} has no local header at byte ${h}`, entry.at);
      return null;
    }
    const flags = u16(h + 6);
    const nameLen = u16(h + 26);
    const dataOffset = h + 30 + nameLen + u16(h + 28);
    if (!has(h, 30 + nameLen) || dataOffset > n) {
      ambiguity(`member ${label} has a local header cut short at byte ${h}`, h);
      return null;
    }
    // zipfile reads a deflated member until its stream ends, which may come before its claimed size.
    const compressedSize = Math.min(entry.compressedSize, n - dataOffset);
    if (compressedSize < entry.compressedSize) ambiguity(`member ${label} runs past the end of the file`, h);
    let localName: string;
    try {
      localName = decodeName(h + 30, nameLen, flags);
    } catch (e) {
      ambiguity(`member ${label}: ${(e as Error).message}`, h);
      return null;
    }
    const differ: string[] = [];
    if (localName !== entry.origName) differ.push(`is named ${JSON.stringify(localName)}`);
    if (u16(h + 8) !== entry.method) differ.push(`uses method ${u16(h + 8)}`);
    if (flags !== entry.flags) differ.push(`has flags ${flags}`);
    let [crc, compressed, size] = [u32(h + 14), u32(h + 18), u32(h + 22)];
    if (compressed === 0xffffffff || size === 0xffffffff) {
      const zip64 = localZip64(h + 30 + nameLen, u16(h + 28));
      if (zip64 !== null) [size, compressed] = zip64;
    }
    // With a data descriptor (flag 8) the local header may leave CRC and sizes zero.
    if (!((flags & 8) !== 0 && crc === 0 && compressed === 0 && size === 0)) {
      if (crc !== entry.crc) differ.push('has another CRC');
      if (compressed !== entry.compressedSize || size !== entry.size) differ.push(`has sizes ${compressed}/${size}`);
    }
    if (differ.length) ambiguity(`member ${label} ${differ.join(', ')} in its local header: readers disagree on what it is`, h);
    const nul = entry.origName.indexOf('\0');
    const name = nul >= 0 ? entry.origName.slice(0, nul) : entry.origName;
    if (nul >= 0) ambiguity(`member ${label} has a NUL in its name: zipfile calls it ${JSON.stringify(name)}`, entry.at);
    const encrypted = (entry.flags & 1) !== 0;
    const unread = encrypted ? 'it is encrypted' : entry.method !== 0 && entry.method !== 8 ? `it uses compression method ${entry.method}` : undefined;
    if (unread) ambiguity(`member ${label} cannot be scanned: ${unread}`, h);
    const refused =
      unread ?? (localName !== entry.origName ? `its local header names it ${JSON.stringify(localName)}` : (entry.flags & 0x60) !== 0 ? `its flags ask for ${entry.flags & 0x20 ? 'patched data' : 'strong encryption'}` : undefined);
    const end = dataOffset + compressedSize;
    const key = `${dataOffset} ${compressedSize} ${entry.method}`;
    if (via === undefined) {
      accounted.push([h, end]);
      memberRanges.push([h, end, entry.origName]);
    }
    if (seen.has(key)) return null;
    seen.add(key);
    return { name, method: entry.method, compressedSize, size: entry.size, crc: entry.crc, dataOffset, encrypted, ...(via === undefined ? {} : { via }), ...(refused === undefined ? {} : { refused }) };
  };

  /** Uncompressed and compressed size from a local header's ZIP64 extra field. */
  const localZip64 = (p: number, len: number): [number, number] | null => {
    for (let e = p; e + 4 <= p + len && has(e, 4); ) {
      const l = u16(e + 2);
      if (u16(e) === 0x0001 && l >= 16 && has(e + 4, 16)) return [u64(e + 4), u64(e + 12)];
      e += 4 + l;
    }
    return null;
  };

  try {
    // zipfile's end record: at the very end with an empty comment, else the last signature in the final 64 KiB.
    let eocd = -1;
    if (n >= 22 && u32(n - 22) === EOCD && u16(n - 2) === 0) eocd = n - 22;
    else {
      for (let p = n - 4; p >= Math.max(0, n - 22 - 0xffff); p--) {
        if (u32(p) === EOCD) {
          eocd = p;
          break;
        }
      }
      if (eocd >= 0 && eocd + 22 > n) throw new ZipError('the end-of-central-directory record is cut short');
    }
    if (eocd < 0) throw new ZipError('no end-of-central-directory record: not a complete ZIP archive');
    const plain = { count: u16(eocd + 10), size: u32(eocd + 12), offset: u32(eocd + 16) };
    const commentEnd = eocd + 22 + u16(eocd + 20);
    if (commentEnd < n) findings.push({ severity: 'medium', rule: 'PG007', message: `${n - commentEnd} bytes after the end of the ZIP archive`, offset: commentEnd });
    accounted.push([eocd, Math.min(commentEnd, n)]);
    let dir = plain;
    let zip64 = false;
    const locator = eocd - 20;
    if (has(locator, 20) && u32(locator) === EOCD64_LOCATOR) {
      if (u32(locator + 4) !== 0 || u32(locator + 16) > 1) throw new ZipError('a ZIP archive spanning several disks');
      const record = locator - 56;
      if (record < 0) throw new ZipError('a ZIP64 locator with no room for its end record');
      accounted.push([locator, eocd]);
      if (u32(record) === EOCD64) {
        zip64 = true;
        accounted.push([record, locator]);
        dir = { count: u64(record + 32), size: u64(record + 40), offset: u64(record + 48) };
        // zipfile reads the ZIP64 record right before the locator; other readers follow the locator's offset.
        const pointed = u64(locator + 8);
        if (pointed !== record) {
          ambiguity(`the ZIP64 locator points at byte ${pointed}, but its end record is at ${record}: readers disagree on which to use`, locator);
          if (has(pointed, 56) && u32(pointed) === EOCD64) later(u64(pointed + 48), u64(pointed + 40), 0, `the ZIP64 end record at byte ${pointed}`, pointed);
        }
        const clash = (['count', 'size', 'offset'] as const).filter((k) => plain[k] !== (k === 'count' ? 0xffff : 0xffffffff) && plain[k] !== dir[k]);
        if (clash.length) {
          ambiguity(`the end record and the ZIP64 end record disagree (${clash.join(', ')}): readers that prefer the end record read another directory`, eocd);
          later(plain.offset, plain.size, 0, `the end record at byte ${eocd}`, eocd);
        }
      }
    }
    // zipfile puts the directory right before the end records and moves every offset by the difference ("concat").
    const startDir = eocd - dir.size - (zip64 ? 76 : 0);
    const concat = startDir - dir.offset;
    if (startDir < 0) throw new ZipError('the central directory would start before the file');
    const entries = readDirectory(startDir, dir.size, concat);
    accounted.push([startDir, startDir + dir.size]);
    if (concat !== 0) {
      ambiguity(`the end record puts the central directory at byte ${dir.offset}, but it ends at ${startDir}: zipfile shifts every offset by ${concat}, other readers do not`, eocd);
      later(dir.offset, dir.size, 0, 'the directory offset as recorded', eocd);
    }
    if (dir.count !== entries.length && !(dir === plain && plain.count === 0xffff)) {
      ambiguity(`the end record counts ${dir.count} members, the directory holds ${entries.length}: readers that go by the count read another list`, eocd);
    }
    const names = new Set<string>();
    for (const entry of entries) {
      const m = resolve(entry, undefined);
      if (m === null) continue;
      if (names.has(m.name)) ambiguity(`two members are named ${JSON.stringify(m.name)}: readers pick different ones`, entry.at);
      names.add(m.name);
      members.push(m);
    }
    memberRanges.push([startDir, startDir + dir.size, 'the central directory']);
    memberRanges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < memberRanges.length; i++) {
      if (memberRanges[i]![0] < memberRanges[i - 1]![1]) {
        ambiguity(`${describe(memberRanges[i - 1]![2])} and ${describe(memberRanges[i]![2])} overlap`, memberRanges[i]![0]);
      }
    }
    const first = memberRanges[0]![0];
    if (first > 0) findings.push({ severity: 'medium', rule: 'PG007', message: `${first} bytes before the first member`, offset: 0 });
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    // torch's reader is not zipfile: what any reading finds is still listed and audited.
    ambiguity(`zipfile cannot read this archive: ${e.message}`, 0);
  }

  for (const args of deferred) alternative(...args);
  // Bytes zipfile's reading leaves unexplained: end records and directories first, then entries and local headers.
  for (const q of signatures(accounted, [EOCD, EOCD64])) {
    if (!stray()) break;
    if (u32(q) === EOCD && has(q, 22)) {
      ambiguity(`another end-of-central-directory record at byte ${q}: readers that find it read another directory`, q);
      alternative(u32(q + 16), u32(q + 12), 0, `the end record at byte ${q}`, q);
      alternative(q - u32(q + 12), u32(q + 12), q - u32(q + 12) - u32(q + 16), `the end record at byte ${q}, placed as zipfile places it`, q);
    } else if (u32(q) === EOCD64 && has(q, 56)) {
      ambiguity(`another ZIP64 end-of-central-directory record at byte ${q}: readers that find it read another directory`, q);
      alternative(u64(q + 48), u64(q + 40), 0, `the ZIP64 end record at byte ${q}`, q);
    }
  }
  for (const q of signatures(accounted, [CENTRAL, LOCAL])) {
    if (!stray()) {
      ambiguity(`more than ${MAX_STRAY * 3} structures outside zipfile's reading; the rest were not read`, q);
      break;
    }
    if (u32(q) === CENTRAL) {
      let entry: Entry;
      try {
        entry = readEntry(q, n, 0);
      } catch {
        continue;
      }
      ambiguity(`a central directory entry at byte ${q} (${JSON.stringify(entry.origName)}) is outside the directory zipfile reads`, q);
      const m = resolve(entry, `a stray central directory entry at byte ${q}`);
      accounted.push([q, q + entry.length]);
      if (m !== null) members.push(m);
    } else {
      const m = hiddenMember(q);
      ambiguity(`a local file header at byte ${q}${m ? ` (${JSON.stringify(m.name)})` : ''} belongs to no central directory entry: streaming readers extract it, zipfile does not`, q);
      if (m !== null && !seen.has(`${m.dataOffset} ${m.compressedSize} ${m.method}`)) {
        seen.add(`${m.dataOffset} ${m.compressedSize} ${m.method}`);
        members.push(m);
        accounted.push([q, m.dataOffset + m.compressedSize]);
      }
    }
  }
  return { members, findings };

  /** Another reading's directory: its members are listed (marked), what it fails on is a finding. */
  function alternative(offset: number, size: number, concat: number, via: string, at: number): void {
    if (!stray()) return;
    let list: Entry[];
    try {
      list = readDirectory(offset, size, concat);
    } catch (e) {
      findings.push({ severity: 'medium', rule: 'PG007', message: `${via}: its directory cannot be read (${(e as Error).message})`, offset: at });
      return;
    }
    accounted.push([offset, offset + size]);
    for (const entry of list) {
      const m = resolve(entry, via);
      if (m === null) continue;
      members.push(m);
      accounted.push([entry.headerOffset, m.dataOffset + m.compressedSize]);
    }
  }

  /** Offsets of the given signatures in bytes no range in `covered` holds (ranges read as they are now). */
  function* signatures(covered: [number, number][], sigs: number[]): Generator<number> {
    const ranges = [...covered].sort((a, b) => a[0] - b[0]);
    let from = 0;
    for (const [a, b] of [...ranges, [n, n] as [number, number]]) {
      for (let q = bytes.indexOf(0x50, from); q >= 0 && q < a && q + 4 <= n; q = bytes.indexOf(0x50, q + 1)) {
        if (!sigs.includes(u32(q)) || covered.some(([c, d]) => q >= c && q < d)) continue;
        yield q;
      }
      from = Math.max(from, b);
    }
  }

  /** The member whose local header is at `q`, when its name and data fit in the file. */
  function hiddenMember(q: number): ZipMember | null {
    if (!has(q, 30)) return null;
    const flags = u16(q + 6);
    const nameLen = u16(q + 26);
    const dataOffset = q + 30 + nameLen + u16(q + 28);
    let [compressed, size] = [u32(q + 18), u32(q + 22)];
    if (compressed === 0xffffffff || size === 0xffffffff) [size, compressed] = localZip64(q + 30 + nameLen, u16(q + 28)) ?? [size, compressed];
    // Sizes after the data (flag 8) are not in the header: such a member cannot be measured here.
    if ((flags & 8) !== 0 || dataOffset > n) return null;
    const compressedSize = Math.min(compressed, n - dataOffset);
    let name: string;
    try {
      name = decodeName(q + 30, nameLen, flags);
    } catch {
      return null;
    }
    return { name, method: u16(q + 8), compressedSize, size, crc: u32(q + 14), dataOffset, encrypted: (flags & 1) !== 0, hidden: true };
  }
}

function describe(what: string): string {
  return what === 'the central directory' ? what : `member ${JSON.stringify(what)}`;
}

export { ZipError };
