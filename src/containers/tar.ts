/**
 * A tar reader, as Python's `tarfile.open(mode='r:')` reads an archive: 512-byte headers, each
 * checked by its checksum (tarfile takes the unsigned or the signed sum), octal or base-256 sizes,
 * ustar name prefixes; a bad header at offset 0 means "not a tar", a bad or zero header later ends
 * the archive. GNU long names and pax `path` and `size` records apply to the next member as
 * tarfile applies them (global pax records only through a later local one); since readers that
 * ignore them see other names and sizes, each is also reported. GNU sparse files are not read
 * here: reported. Member data are views.
 */
export interface TarMember {
  readonly name: string;
  /** tarfile's type flag ('0' regular, '5' directory, …). */
  readonly type: string;
  readonly offset: number;
  readonly size: number;
}

export interface TarListing {
  readonly members: readonly TarMember[];
  /** What a reader that is not tarfile might read differently, or what this one cannot follow. */
  readonly problems: readonly string[];
}

export class TarError extends Error {}

const BLOCK = 512;

/** The number in a header field: octal text, or base-256 when its first byte is 0x80 or 0xff. */
function number(b: Uint8Array): number {
  if (b[0] === 0x80 || b[0] === 0xff) {
    if (b[0] === 0xff) return -1;
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    return v;
  }
  // tarfile's nti: the text up to a NUL, strictly ASCII, then Python's int(text.strip(), 8): a sign,
  // an optional 0o, underscores between digits (str.strip takes \x1c-\x1f as spaces too).
  const nul = b.indexOf(0);
  const field = nul < 0 ? b : b.subarray(0, nul);
  if (field.some((x) => x >= 0x80)) return NaN;
  const text = String.fromCharCode(...field).replace(/^[\t-\r\x1c-\x20]+|[\t-\r\x1c-\x20]+$/g, '');
  if (text === '') return 0;
  const m = /^([+-]?)(?:0[oO]_?)?([0-7](?:_?[0-7])*)$/.exec(text);
  if (m === null) return NaN;
  const v = parseInt(m[2]!.replace(/_/g, ''), 8);
  return m[1] === '-' ? -v : v;
}

function text(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder('utf-8').decode(nul >= 0 ? b.subarray(0, nul) : b);
}

/** The numeric fields tarfile reads from every header (mode, uid, gid, size, mtime, devmajor, devminor): one it cannot read ends the archive. */
const NUMERIC_FIELDS = [[100, 108], [108, 116], [116, 124], [124, 136], [136, 148], [329, 337], [337, 345]] as const;

/** Whether the block at `p` is a header tarfile accepts: its numeric fields read, its checksum right. */
function validHeader(bytes: Uint8Array, p: number): boolean {
  const block = bytes.subarray(p, p + BLOCK);
  if (block.length < BLOCK || block.every((x) => x === 0)) return false;
  if (NUMERIC_FIELDS.some(([from, to]) => Number.isNaN(number(block.subarray(from, to))))) return false;
  const stored = number(block.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += x;
    signed += x >= 128 ? x - 256 : x;
  }
  return stored === unsigned || stored === signed;
}

/** Whether tarfile would open `bytes` as a tar: its first block is a valid header. */
export function isTar(bytes: Uint8Array): boolean {
  return validHeader(bytes, 0);
}

/** Lists a tar archive as tarfile does; throws TarError where tarfile would refuse it. */
export function listTar(bytes: Uint8Array): TarListing {
  if (!isTar(bytes)) throw new TarError('not a tar archive: its first header is not valid');
  const members: TarMember[] = [];
  const problems: string[] = [];
  const globalPax = new Map<string, string>();
  let pending: { name?: string; size?: number } = {};
  let p = 0;
  while (p + BLOCK <= bytes.length) {
    if (!validHeader(bytes, p)) {
      if (bytes.subarray(p).some((x) => x !== 0)) problems.push(`bytes after the end of the tar archive at byte ${p}`);
      break;
    }
    const h = bytes.subarray(p, p + BLOCK);
    const size = number(h.subarray(124, 136));
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError(`the tar header at byte ${p} has a bad size`);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    let name = text(h.subarray(0, 100));
    const magic = String.fromCharCode(...h.subarray(257, 263));
    if (magic === 'ustar\0') {
      const prefix = text(h.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
    }
    const offset = p + BLOCK;
    const hasData = type === '0' || type === '7' || !'123456'.includes(type);
    if (hasData && offset + size > bytes.length) throw new TarError(`tar member ${JSON.stringify(name)} runs past the end of the file`);
    const data = bytes.subarray(offset, offset + size);
    if (type === 'L' || type === 'x' || type === 'g') {
      problems.push(`a ${type === 'L' ? 'GNU long-name' : 'pax'} header at byte ${p} renames or resizes what follows: readers that ignore it see other members`);
      if (type === 'L') pending.name = text(data);
      else {
        const records = paxRecords(data, p);
        if (type === 'g') for (const [k, v] of records) globalPax.set(k, v);
        else {
          const all = new Map([...globalPax, ...records]);
          const path = all.get('path') ?? all.get('GNU.sparse.name');
          if (path !== undefined) pending.name = path.replace(/\/+$/, '');
          const sized = all.get('size');
          if (sized !== undefined) pending.size = /^\d+$/.test(sized.trim()) ? Number(sized.trim()) : 0;
          if ([...all.keys()].some((k) => k.startsWith('GNU.sparse'))) problems.push(`a GNU sparse member at byte ${p} is not read here`);
        }
      }
    }
    if ('LxgK'.includes(type)) {
      // tarfile reads the member these apply to right away: a bad or missing header there fails the archive.
      p = offset + Math.ceil(size / BLOCK) * BLOCK;
      if (!validHeader(bytes, p)) throw new TarError(`no valid header after the extended header at byte ${offset - BLOCK}`);
      continue;
    }
    if (type === 'S') problems.push(`a GNU sparse member at byte ${p} is not read here`);
    const finalName = pending.name ?? name;
    const finalSize = pending.size ?? size;
    pending = {};
    // tarfile reads on from the end of the member's last block: it must be in the file.
    const next = offset + (hasData ? Math.ceil(finalSize / BLOCK) * BLOCK : 0);
    if (!Number.isSafeInteger(finalSize) || next > bytes.length) throw new TarError(`tar member ${JSON.stringify(finalName)} runs past the end of the file`);
    members.push({ name: finalName, type, offset, size: finalSize });
    p = next;
  }
  return { members, problems };
}

/** A pax header's records (`<length> <key>=<value>\n`), read as tarfile reads them. */
function paxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  const decoder = new TextDecoder('utf-8');
  for (let pos = 0; pos < data.length; ) {
    const head = /^(\d+) ([^=]+)=/.exec(String.fromCharCode(...data.subarray(pos, pos + 512)));
    if (head === null) break;
    const length = Number(head[1]);
    if (length === 0 || !Number.isSafeInteger(length)) throw new TarError(`a pax header at byte ${at} has a record of length 0`);
    const valueStart = pos + head[1]!.length + 1 + head[2]!.length + 1;
    records.set(decoder.decode(data.subarray(pos + head[1]!.length + 1, valueStart - 1)), decoder.decode(data.subarray(valueStart, pos + length - 1)));
    pos += length;
  }
  return records;
}

/** The member tarfile's `getmember(name)` returns: the last of that name. */
export function tarMember(listing: TarListing, name: string): TarMember | undefined {
  for (let i = listing.members.length - 1; i >= 0; i--) if (listing.members[i]!.name === name) return listing.members[i];
  return undefined;
}
