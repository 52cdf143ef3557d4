/**
 * The one reader of zip members' bytes (src/containers/zip-read.ts) against zipfile, on mutated
 * archives: whatever bytes it hands a loader are the bytes zipfile's `read` returns for that member,
 * and a member zipfile reads is read here too; anything else is one of our errors. Mutations hit
 * anywhere in the file, and half of them flip a byte inside a member's data, which only the CRC-32
 * (or the inflated size) gives away.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, MalformedPickleError } from '../src/errors.js';
import { listZip } from '../src/containers/zip.js';
import { ZipReader } from '../src/containers/zip-read.js';
import { loadTorch } from '../src/containers/torch-load.js';
import { loadPandas } from '../src/containers/pandas-load.js';
import { loadFile } from '../src/containers/open-file.js';
import { mutate, Rng } from './helpers/fuzz-tools.js';
import { zipfileReads } from './helpers/py-files.js';

const corpus = join(import.meta.dirname, '..', 'corpus');
const file = (path: string) => new Uint8Array(readFileSync(join(corpus, path)));
const SEEDS = [
  'containers/bundle.npz',
  'containers/deflated.pt',
  'containers/model.pt',
  'containers/duplicate.pt',
  'containers/zip64.pt',
  'realworld/pandas/2.2.3/to_pickle_zip.pkl.zip',
  'realworld/torch/2.6.0+debian/parameters.pt',
].map(file);

/** A seed with one byte of one member's data flipped (the directory untouched), or mutated anywhere. */
function mutated(rng: Rng): Uint8Array {
  const seed = rng.pick(SEEDS);
  if (rng.chance(0.5)) return mutate(rng, seed, rng.pick(SEEDS), 1 << 16).data;
  const out = seed.slice();
  const m = rng.pick(listZip(seed).members.filter((x) => x.compressedSize > 0));
  out[m.dataOffset + rng.int(m.compressedSize)] ^= 1 << rng.int(8);
  return out;
}

describe('zip member bytes against zipfile', () => {
  it('hands out only the bytes zipfile reads, and reads every member zipfile reads', async () => {
    const rng = new Rng(2026_12_07);
    const count = 400 * Number(process.env.PICKLEGUARD_FUZZ ?? 1);
    const inputs = Array.from({ length: count }, () => mutated(rng));
    const theirs = zipfileReads(inputs);
    if (theirs === null) return;
    const tally = { archives: 0, members: 0, same: 0, bothRefuse: 0, crc: 0 };
    const wrong: string[] = [];
    for (let i = 0; i < count; i++) {
      const expected = theirs[i];
      let members;
      try {
        members = listZip(inputs[i]!).members.filter((m) => m.via === undefined && m.hidden !== true);
      } catch {
        continue; // not a zip here; the listing's own test compares that with zipfile
      }
      if (expected === null) continue;
      tally.archives++;
      const reader = new ZipReader(inputs[i]!, { code: 'bad_zip', zipfile: true });
      for (const m of members) {
        tally.members++;
        let ours: Uint8Array | null = null;
        try {
          ours = await reader.read(m);
        } catch (e) {
          if (!(e instanceof MalformedPickleError || e instanceof LimitExceededError)) wrong.push(`z${i} ${m.name}: ${String(e)}`);
          if (/CRC-32/.test((e as Error).message)) tally.crc++;
        }
        const same = expected.filter(([name]) => name.split('\0')[0] === m.name);
        const read = same.filter(([, , sha]) => sha !== null).map(([, , sha]) => sha!);
        if (ours !== null) {
          if (read.includes(createHash('sha256').update(ours).digest('hex'))) tally.same++;
          else wrong.push(`z${i} ${m.name}: read here, zipfile ${read.length ? 'reads other bytes' : 'refuses it'}`);
        } else if (read.length > 0 && same.length === 1) {
          wrong.push(`z${i} ${m.name}: zipfile reads it, here it is refused`);
        } else tally.bothRefuse++;
      }
    }
    console.log(`zip member reads: ${count} mutated archives, ${JSON.stringify(tally)}, ${wrong.length} disagreements`);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(tally.crc).toBeGreaterThan(0);
    expect(tally.same).toBeGreaterThan(0);
  });

  it('loadTorch, like torch.load, reads a member whose bytes no longer match its CRC-32', async () => {
    const bytes = file('realworld/torch/2.6.0+debian/parameters.pt');
    const storage = listZip(bytes).members.find((m) => /\/data\/0$/.test(m.name))!;
    const changed = bytes.slice();
    changed[storage.dataOffset] ^= 0xff;
    await expect(loadTorch(changed)).resolves.toBeDefined();
    const reader = new ZipReader(changed, { code: 'bad_zip', zipfile: true });
    await expect(reader.read(storage)).rejects.toThrow(/has CRC-32 \d+, its directory entry says \d+ \(zipfile refuses it\)/);
  });

  it('loadPandas and loadFile (.npz), which Python reads with zipfile, refuse what zipfile refuses', async () => {
    const flipped = (bytes: Uint8Array, m: { dataOffset: number }) => {
      const out = bytes.slice();
      out[m.dataOffset + 3] ^= 0x01;
      return out;
    };
    // A stored member whose bytes changed: only its CRC-32 tells.
    const npz = new Uint8Array(execFileSync('python3', ['-c', 'import io, sys, numpy as np; b = io.BytesIO(); np.savez(b, a=np.arange(100.0)); sys.stdout.buffer.write(b.getvalue())']));
    expect([...((await loadFile(npz)) as Map<string, unknown>).keys()]).toEqual(['a']);
    const member = listZip(npz).members[0]!;
    await expect(loadFile(flipped(npz, { dataOffset: member.dataOffset + 200 }))).rejects.toMatchObject({ code: 'bad_container', offset: member.dataOffset, message: expect.stringMatching(/^member "a\.npy" has CRC-32 /) });
    // pandas' zip: a deflated member; a stored member whose local header names another file.
    const zip = file('realworld/pandas/2.2.3/to_pickle_zip.pkl.zip');
    const [pickle] = listZip(zip).members;
    await expect(loadPandas(zip)).resolves.toBeDefined();
    const renamed = zip.slice();
    renamed[pickle!.dataOffset - pickle!.name.length] ^= 0x20; // the local header's copy of the name
    expect(listZip(renamed).members[0]!.refused).toMatch(/^its local header names it /);
    await expect(loadPandas(renamed)).rejects.toMatchObject({ code: 'bad_zip', message: expect.stringMatching(/^member "to_pickle\.pkl" is not read: its local header names it /) });
  });
});
