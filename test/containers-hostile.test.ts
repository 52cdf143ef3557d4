/**
 * The hostile containers of issue 11 (corpus/containers, written by corpus/gen_containers.py):
 * what each one hides and how the auditor reports it; and mutated archives against Python's own
 * readers: every pickle zipfile, tarfile or numpy would hand to pickle.load from a mutated file is
 * among the pickles the auditor audited.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFile, type NamedReport } from '../src/containers/open.js';
import { isTar, listTar, TarError } from '../src/containers/tar.js';
import { listZip } from '../src/containers/zip.js';
import { writeZip } from '../src/containers/zip-write.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';
import { pythonPerFile, zipfileReads } from './helpers/py-files.js';

const dir = join(import.meta.dirname, '..', 'corpus', 'containers');
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const run = (name: string) => auditFile(file(name), name);
const messages = (r: NamedReport) => r.report.findings.map((f) => f.message).join('\n');
const names = (r: NamedReport) => r.report.findings.map((f) => f.name);

describe('hostile containers', () => {
  it('zip with two directories: the ZIP64 one (zipfile) and the plain one are both audited; the archive is malformed', async () => {
    for (const [name, member] of [['two_directories.pt', 'archive/data.pkl'], ['two_directories.npz', 'arr.npy']] as const) {
      const reports = await run(name);
      expect(reports[0]!.report.verdict).toBe('malformed');
      expect(messages(reports[0]!)).toMatch(/the end record and the ZIP64 end record disagree/);
      const zipfiles = reports.find((r) => r.uri === `${name}!${member}`)!;
      expect(names(zipfiles)).toContain('os.system'); // what zipfile, numpy and torch read
      expect(reports.some((r) => r.uri.startsWith(`${name}!${member} (the end record at byte`))).toBe(true);
    }
  });

  it('zip: a second archive tail in unaccounted bytes, and a ZIP64 locator pointing elsewhere, are read too', async () => {
    const stray = await run('stray_directory.pt');
    expect(stray[0]!.report.verdict).toBe('malformed');
    expect(messages(stray[0]!)).toMatch(/another end-of-central-directory record at byte \d+/);
    expect(stray.filter((r) => r.uri.startsWith('stray_directory.pt!archive/data.pkl (the end record at byte')).flatMap(names)).toContain('os.system');
    const locator = await run('locator_elsewhere.pt');
    expect(locator[0]!.report.verdict).toBe('malformed');
    expect(messages(locator[0]!)).toMatch(/the ZIP64 locator points at byte \d+, but its end record is at \d+/);
    expect(locator.filter((r) => r.uri.includes('(the ZIP64 end record at byte')).flatMap(names)).toContain('os.system');
    expect(names(locator.find((r) => r.uri === 'locator_elsewhere.pt!archive/data.pkl')!)).not.toContain('os.system'); // zipfile's reading
  });

  it('npy: an object dtype in any form numpy reads means the pickle after the header is audited', async () => {
    for (const name of ['structured_object.npy', 'double_quoted.npy', 'descr_O.npy', 'subarray_object.npy']) {
      const [r] = await run(name);
      expect(r!.report.verdict, name).toBe('unsafe');
      expect(names(r!)).toContain('os.system');
      expect(r!.report.pickles[0]!.start).toBe(128); // right after the header
    }
    const [bad] = await run('bad_header.npy');
    expect(bad!.report.verdict).toBe('malformed');
    expect(messages(bad!)).toMatch(/keys are not exactly/);
  });

  it('legacy torch tar: its members are walked as torch walks them; a tar that is also a pickle is malformed', async () => {
    const [tar] = await run('legacy_tar.pt');
    expect(names(tar!)).toContain('os.system');
    expect(tar!.report.pickles.map((p) => p.start)).toEqual([512, 1536, 1541, 2560, 3584]); // sys_info, storages (2), tensors, pickle
    const both = await run('tar_and_pickle.pt');
    expect(both[0]!.report.verdict).toBe('malformed');
    expect(messages(both[0]!)).toMatch(/both a tar archive and a pickle/);
    expect(names(both[0]!)).toContain('os.system');
    expect(both.map((r) => r.uri)).toContain('tar_and_pickle.pt (read as a pickle)');
    // A pax record renames a member to "pickle": read under tarfile's name, and reported.
    const [pax] = await run('pax_renamed.pt');
    expect(pax!.report.verdict).toBe('malformed');
    expect(messages(pax!)).toMatch(/pax header at byte \d+ renames/);
    expect(names(pax!)).toContain('os.system');
  });

  it('legacy torch stream: recognised by the value of its magic number, in any protocol', async () => {
    const p0 = Buffer.concat([Buffer.from('L119547037146038801333356L\n.', 'latin1'), file('legacy_evil.pt').subarray(15)]);
    const [r] = await auditFile(new Uint8Array(p0), 'p0.pt');
    expect(r!.report.pickles.slice(0, 2).map((p) => [p.start, p.end])).toEqual([[0, 28], [28, 34]]);
    expect(names(r!)).toContain('os.system');
  });

  it('legacy torch stream: a payload in the object pickle is found', async () => {
    const [r] = await run('legacy_evil.pt');
    expect(names(r!)).toContain('os.system');
    expect(r!.report.verdict).not.toBe('safe');
  });

  it('compressions that cannot be opened here are malformed, named; bytes after a stream are a finding', async () => {
    for (const [name, format] of [['evil.pkl.bz2', 'bz2'], ['evil.pkl.xz', 'xz'], ['evil.pkl.lzma', 'lzma'], ['evil.pkl.7z', '7z']]) {
      const [r] = await run(name!);
      expect(r!.report.verdict, name).toBe('malformed');
      expect(messages(r!)).toContain(`a ${format} stream`);
    }
    expect((await run('trailing.pkl.gz'))[0]!.report.verdict).toBe('malformed');
    const zlibbed = await run('trailing.pkl.zlib');
    expect(zlibbed[0]!.report.verdict).toBe('malformed');
    expect(messages(zlibbed[0]!)).toMatch(/bytes follow the zlib stream/);
    // Concatenated gzip members are one stream to Python's gzip module: the payload in the second is found.
    const members = await run('members.pkl.gz');
    expect(members.map((r) => r.uri)).toEqual(['members.pkl.gz!gzip']);
    expect(names(members[0]!)).toContain('os.system');
  });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('mutated containers against Python\'s readers (test/containers_oracle.py)', () => {
  it('audits every pickle Python would load from mutated archives', async () => {
    const rng = new Rng(2026_12_06);
    const seeds = ['two_directories.pt', 'two_directories.npz', 'model.pt', 'zip64.pt', 'bundle.npz', 'legacy_tar.pt', 'pax_renamed.pt', 'structured_object.npy', 'legacy.pt', 'locator_elsewhere.pt', 'stray_directory.pt'].map(file);
    const count = 150 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const tmp = mkdtempSync(join(tmpdir(), 'pg-containers-'));
    let keep = false;
    try {
      const inputs: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const input = mutate(rng, rng.pick(seeds), rng.pick(seeds), 1 << 16).data;
        inputs.push(input);
        writeFileSync(join(tmp, `m${i}`), input);
      }
      let out: string;
      try {
        out = execFileSync('python3', [join(import.meta.dirname, 'containers_oracle.py'), ...inputs.map((_, i) => join(tmp, `m${i}`))], { encoding: 'utf8', maxBuffer: 1 << 26 });
      } catch (e) {
        console.log(`skipped: python3 with numpy is not available (${(e as Error).message.split('\n')[0]})`);
        return;
      }
      const expected = new Map<number, { sha256: string; head?: string }[]>();
      for (const line of out.trim().split('\n')) {
        const l = JSON.parse(line) as { file: string; sha256?: string; part?: string; head?: string };
        if (l.sha256 === undefined || /!(bz2|lzma)$/.test(l.part ?? '')) continue;
        const i = Number(l.file.slice(1));
        expected.set(i, [...(expected.get(i) ?? []), { sha256: l.sha256, head: l.head }]);
      }
      const missed: string[] = [];
      let pickles = 0;
      for (const [i, hashes] of expected) {
        const parts = new Map<string, Uint8Array>();
        const reports = await auditFile(inputs[i]!, `m${i}`, { onPart: (uri, bytes) => parts.set(uri, bytes), maxMemberBytes: 1 << 24 });
        const seen = new Set<string>();
        const heads: string[] = [];
        for (const r of reports) {
          for (const p of r.report.pickles) {
            const bytes = parts.get(r.uri)!.subarray(p.start, p.end);
            seen.add(sha(bytes));
            if (r.report.verdict !== 'safe') heads.push(Buffer.from(bytes.subarray(0, 32)).toString('hex'));
          }
        }
        for (const h of hashes) {
          pickles++;
          // A pickle pickle.load fails on part way was read by the auditor up to where it breaks (its
          // first bytes are those of a pickle audited), and that report is not safe.
          if (seen.has(h.sha256) || (h.head !== undefined && heads.some((x) => x.length > 0 && (x.startsWith(h.head!) || h.head!.startsWith(x))))) continue;
          missed.push(`m${i} (${reports.map((r) => `${r.uri} ${r.report.verdict}`).join(', ')})`);
        }
      }
      console.log(`mutated containers: ${count} files, ${pickles} pickles Python would load, ${missed.length} not audited`);
      keep = missed.length > 0;
      if (keep) console.log(`the files are kept in ${tmp}`);
      expect(missed.slice(0, 5)).toEqual([]);
    } finally {
      if (!keep) rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** tarfile's listing of each file: [name, data offset, size] per member, or null when it refuses the file. */
const TARFILE = `
import json, sys, tarfile
for path in sys.argv[1:]:
    try:
        t = tarfile.open(path, mode='r:')
        print(json.dumps([[m.name, m.offset_data, m.size] for m in t.getmembers() if m.isreg()]))
    except Exception:
        print('null')
`;

type TarRow = [name: string, offset: number, size: number];

/** tarfile's listing of each input, or null when python3 cannot be run. */
const tarfileRows = (inputs: readonly Uint8Array[]) => pythonPerFile<TarRow[] | null>(TARFILE, inputs);

/** Our listing's regular members of `input`, or null where listTar refuses it. */
function ourTarRows(input: Uint8Array): TarRow[] | null {
  try {
    return isTar(input) ? listTar(input).members.filter((m) => m.type === '0' || m.type === '7').map((m) => [m.name, m.offset, m.size]) : null;
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    return null;
  }
}

describe('tar members against tarfile', () => {
  it('lists the regular members of mutated tars as tarfile does (names, data offsets, sizes)', () => {
    const rng = new Rng(2026_12_07);
    const seeds = ['legacy_tar.pt', 'pax_renamed.pt', 'tar_and_pickle.pt'].map(file);
    const count = 300 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const inputs = Array.from({ length: count }, () => mutate(rng, rng.pick(seeds), rng.pick(seeds), 1 << 15).data);
    const theirs = tarfileRows(inputs);
    if (theirs === null) return;
    const tally = { tars: 0, agree: 0, refusedHere: 0 };
    const wrong: string[] = [];
    inputs.forEach((input, i) => {
      const expected = theirs[i]!;
      const ours = ourTarRows(input);
      if (expected === null) {
        if (ours !== null && ours.length > 0) wrong.push(`t${i}: tarfile refuses it, here ${JSON.stringify(ours)}`);
        return;
      }
      tally.tars++;
      if (ours === null) tally.refusedHere++;
      else if (JSON.stringify(ours) === JSON.stringify(expected)) tally.agree++;
      else wrong.push(`t${i}: ${JSON.stringify(ours)} here, tarfile ${JSON.stringify(expected)}`);
    });
    console.log(`mutated tars: ${count} files, ${JSON.stringify(tally)}, ${wrong.length} disagreements`);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('reads every numeric header field as tarfile does: one it cannot read ends the archive (or refuses it, in the first header)', () => {
    const rng = new Rng(2026_12_07);
    const seed = file('legacy_tar.pt');
    const headers = listTar(seed).members.map((m) => m.offset - 512);
    const fields = [[100, 108], [108, 116], [116, 124], [124, 136], [136, 148], [329, 337], [337, 345]] as const;
    // What Python's int(s.strip(), 8) may meet: digits, signs, 0o, underscores, spaces (str.strip's \x1c-\x1f too), NUL, non-ASCII.
    const alphabet = [...'01234567 _+-oO89a', '\t', '\x0b', '\x1c', '\x1f', '\x00', '\x85', '\xa0'];
    const count = 300 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const out = seed.slice();
      const h = rng.pick(headers);
      const [from, to] = rng.pick(fields);
      for (let j = from; j < to; j++) out[j + h] = rng.chance(0.3) ? 0x30 + rng.int(8) : rng.pick(alphabet).charCodeAt(0);
      // The checksum made right again, so only the field decides.
      let sum = 0;
      for (let j = 0; j < 512; j++) sum += j >= 148 && j < 156 ? 0x20 : out[h + j]!;
      out.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), h + 148);
      inputs.push(out);
    }
    const theirs = tarfileRows(inputs);
    if (theirs === null) return;
    const wrong: string[] = [];
    const tally = { refused: 0, shorter: 0, whole: 0, refusedHere: 0 };
    inputs.forEach((input, i) => {
      const ours = ourTarRows(input);
      const expected = theirs[i]!;
      if (expected === null) tally.refused++;
      else if (expected.length < headers.length) tally.shorter++;
      else tally.whole++;
      // Refusing what tarfile reads (a negative size, say) is the safe side: counted, not wrong.
      if (ours === null && expected !== null) tally.refusedHere++;
      else if (JSON.stringify(ours) !== JSON.stringify(expected)) wrong.push(`t${i}: ${JSON.stringify(ours)} here, tarfile ${JSON.stringify(expected)}`);
    });
    console.log(`tar numeric fields: ${count} files, ${JSON.stringify(tally)}, ${wrong.length} disagreements`);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(tally.refused * tally.shorter * tally.whole).toBeGreaterThan(0);
  });
});

describe('zip members against zipfile', () => {
  it('finds, for mutated archives, every member zipfile reads, in zipfile\'s own reading; and says when zipfile refuses one', () => {
    const rng = new Rng(2026_12_08);
    const seeds = ['two_directories.pt', 'locator_elsewhere.pt', 'stray_directory.pt', 'zip64.pt', 'duplicate.pt', 'bundle.npz', 'deflated.pt'].map(file);
    const count = 300 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const inputs = Array.from({ length: count }, () => mutate(rng, rng.pick(seeds), rng.pick(seeds), 1 << 15).data);
    const reads = zipfileReads(inputs);
    if (reads === null) return;
    // The members zipfile can read: [name, compress_type].
    const theirs = reads.map((entries) => entries && entries.filter(([, , sha]) => sha !== null).map(([name, method]) => [name, method] as const));
    const tally = { archives: 0, refused: 0, members: 0 };
    const wrong: string[] = [];
    inputs.forEach((input, i) => {
      const listing = listZip(input);
      const refused = listing.findings.some((f) => f.message.startsWith('zipfile cannot read this archive'));
      const expected = theirs[i]!;
      if (expected === null) {
        tally.refused++;
        // zipfile refuses it (or this is not a zip at all): no member may be presented as zipfile's.
        if (!refused && listing.members.some((m) => m.via === undefined && m.hidden !== true)) wrong.push(`z${i}: zipfile refuses it, here it is read`);
        return;
      }
      tally.archives++;
      if (refused) wrong.push(`z${i}: zipfile reads it, here: ${listing.findings[0]!.message}`);
      const ours = listing.members.filter((m) => m.via === undefined && m.hidden !== true).map((m) => `${m.name} ${m.method}`);
      for (const [name, method] of expected) {
        tally.members++;
        const nul = name.indexOf('\0');
        if (!ours.includes(`${nul >= 0 ? name.slice(0, nul) : name} ${method}`) && !listing.members.some((m) => m.name === name)) wrong.push(`z${i}: zipfile reads ${JSON.stringify(name)}, not listed here`);
      }
    });
    console.log(`mutated zips: ${count} files, ${JSON.stringify(tally)}, ${wrong.length} disagreements`);
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

describe('zip names without the UTF-8 flag', () => {
  it('decodes bytes 0x80-0xff as code page 437, as zipfile does', () => {
    const placeholder = 'n'.repeat(128);
    const zip = writeZip([{ name: placeholder, data: new Uint8Array([0x80, 0x02, 0x4e, 0x2e]) }]);
    const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
    for (let at = zip.indexOf(0x6e); at >= 0; at = zip.indexOf(0x6e, at + 128)) zip.set(high, at);
    // python3 -c "print(bytes(range(128, 256)).decode('cp437'))"
    const cp437 =
      'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
    expect(listZip(zip).members.map((m) => m.name)).toEqual([cp437]);
  });
});

/**
 * A central directory entry that moves its sizes and header offset into a ZIP64 extra field (what
 * zipfile writes for members past 4 GiB), built small: Python patches a zip it wrote, then tells what
 * zipfile reads from it. Our reading must agree member by member, and a ZIP64 field too short for
 * what it must hold is an archive zipfile cannot read, reported as such.
 */
describe('central-directory ZIP64 extra fields, against zipfile', () => {
  const PATCH = String.raw`
import base64, io, json, struct, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    z.writestr('archive/data.pkl', b'\x80\x02]q\x00.')
    z.writestr('archive/data/0', bytes(range(40)))
data = buf.getvalue()
def patched(fields_len):
    eocd = data.rindex(b'PK\x05\x06')
    dsize, doff = struct.unpack('<II', data[eocd + 12:eocd + 20])
    p = data.index(b'PK\x01\x02', doff, doff + dsize)
    p = data.index(b'PK\x01\x02', p + 4, doff + dsize)          # the second member
    csize, size = struct.unpack('<II', data[p + 20:p + 28])
    nlen, xlen, clen = struct.unpack('<HHH', data[p + 28:p + 34])
    hoff, = struct.unpack('<I', data[p + 42:p + 46])
    extra = struct.pack('<HH', 1, fields_len) + struct.pack('<QQQ', size, csize, hoff)[:fields_len]
    entry = bytearray(data[p:p + 46 + nlen + xlen + clen])
    entry[20:28] = struct.pack('<II', 0xffffffff, 0xffffffff)
    entry[42:46] = struct.pack('<I', 0xffffffff)
    entry[30:32] = struct.pack('<H', xlen + len(extra))
    entry[46 + nlen + xlen:46 + nlen + xlen] = extra
    out = bytearray(data[:p] + bytes(entry) + data[p + 46 + nlen + xlen + clen:])
    e = out.rindex(b'PK\x05\x06')
    out[e + 12:e + 16] = struct.pack('<I', dsize + len(extra))
    out = bytes(out)
    try:
        with zipfile.ZipFile(io.BytesIO(out)) as z:
            seen = [[i.filename, i.file_size, i.compress_size, base64.b64encode(z.read(i)).decode()] for i in z.infolist()]
        return {'zip': base64.b64encode(out).decode(), 'members': seen}
    except zipfile.BadZipFile as err:
        return {'zip': base64.b64encode(out).decode(), 'error': str(err)}
print(json.dumps([patched(24), patched(16)]))
`;

  it('reads sizes and header offset from the extra field as zipfile does, and reports a short one as zipfile cannot read it', () => {
    type Case = { zip: string; members?: [string, number, number, string][]; error?: string };
    const [whole, short] = JSON.parse(execFileSync('python3', ['-c', PATCH], { encoding: 'utf8' })) as [Case, Case];
    const bytes = new Uint8Array(Buffer.from(whole.zip, 'base64'));
    const listing = listZip(bytes);
    expect(listing.findings).toEqual([]);
    expect(whole.members).toHaveLength(2);
    expect(listing.members.map((m) => [m.name, m.size, m.compressedSize, Buffer.from(bytes.subarray(m.dataOffset, m.dataOffset + m.compressedSize)).toString('base64')])).toEqual(whole.members);

    // zipfile refuses the archive whose ZIP64 field lacks the header offset; so do we, naming why.
    expect(short.error).toMatch(/zip64 extra field/i);
    const refused = listZip(new Uint8Array(Buffer.from(short.zip, 'base64')));
    expect(refused.findings.map((f) => f.message)).toContainEqual(expect.stringMatching(/^zipfile cannot read this archive: a corrupt ZIP64 extra field at byte \d+$/));
  });
});
