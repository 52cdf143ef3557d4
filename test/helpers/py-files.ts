/** Python's own readers over many inputs at once, each input written to a temporary file. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `python3 -c script FILE…` over `inputs` (written to a temporary folder, kept when KEEP is
 * set): the script prints one JSON line per file. Null, with the reason printed, when python3
 * cannot be run.
 */
export function pythonPerFile<T>(script: string, inputs: readonly Uint8Array[]): T[] | null {
  const tmp = mkdtempSync(join(tmpdir(), 'pg-py-'));
  try {
    const paths = inputs.map((input, i) => {
      writeFileSync(join(tmp, `f${i}`), input);
      return join(tmp, `f${i}`);
    });
    let out: string;
    try {
      out = execFileSync('python3', ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 1 << 28 });
    } catch (e) {
      console.log(`skipped: python3 is not available (${(e as Error).message.split('\n')[0]})`);
      return null;
    }
    return out.trim().split('\n').map((l) => JSON.parse(l) as T);
  } finally {
    if (process.env.KEEP === undefined) rmSync(tmp, { recursive: true, force: true });
    else console.log(tmp);
  }
}

/** An entry of zipfile's reading: [filename, compress_type, sha256 of what `read` returns, or null when it raises]. */
export type ZipfileEntry = [name: string, method: number, sha256: string | null];

/** zipfile's reading of each input: its entries in infolist order, or null when zipfile cannot open it. */
export const zipfileReads = (inputs: readonly Uint8Array[]) =>
  pythonPerFile<ZipfileEntry[] | null>(
    `
import hashlib, json, sys, zipfile
for path in sys.argv[1:]:
    try:
        z = zipfile.ZipFile(path)
        infos = z.infolist()
    except Exception:
        print('null')
        continue
    out = []
    for info in infos:
        try:
            out.append([info.filename, info.compress_type, hashlib.sha256(z.read(info)).hexdigest()])
        except Exception:
            out.append([info.filename, info.compress_type, None])
    print(json.dumps(out))
`,
    inputs,
  );
