/**
 * The files `audit PATH…` reads. Paths named are always read; directories are walked in name
 * order for files named or made like pickles and model files (sniff.ts), the others counted as
 * skipped. Symbolic links inside directories are followed only when asked, and no file or
 * directory is visited twice (by device and inode), so links cannot loop.
 */
import { closeSync, openSync, readdirSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { readFailure } from './args.js';
import { compileGlob, type Glob } from './glob.js';
import { hasPickleExtension, looksLikePickleOrModel, SNIFF_BYTES } from './sniff.js';

export interface WalkOptions {
  /** Read every file, not only those that look like pickles. */
  readonly all?: boolean;
  readonly followSymlinks?: boolean;
  /** Globs a file in a directory must match one of (when there are any). */
  readonly include?: readonly string[];
  /** Globs of files and directories to leave out of a walk. */
  readonly exclude?: readonly string[];
}

export interface Walked {
  /** The files to scan, in order; `-` is standard input. */
  readonly files: string[];
  /** Their total size. */
  bytes: number;
  /** Files that do not look like pickles (without --all). */
  skipped: number;
  /** Symbolic links not followed (without --follow-symlinks). */
  links: number;
  /** Paths that could not be read. */
  readonly errors: string[];
  /** Remarks that do not change the exit status (dangling links). */
  readonly warnings: string[];
}

const MAX_DEPTH = 64;

export function walk(paths: readonly string[], options: WalkOptions = {}): Walked {
  const include = (options.include ?? []).map(compileGlob);
  const exclude = (options.exclude ?? []).map(compileGlob);
  const out: Walked = { files: [], bytes: 0, skipped: 0, links: 0, errors: [], warnings: [] };
  const seen = new Set<string>();
  /** False when this file or directory was visited before. */
  const first = (st: BigIntStats): boolean => {
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const matches = (globs: readonly Glob[], rel: string, shown: string) => globs.some((g) => g.matches(rel) || g.matches(shown));

  const visitDir = (dir: string, rel: string, depth: number): void => {
    if (depth > MAX_DEPTH) return void out.errors.push(`${dir}: directories nested more than ${MAX_DEPTH} deep`);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      return void out.errors.push(readFailure(dir, e));
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (matches(exclude, relPath, path)) continue;
      let st: BigIntStats;
      if (entry.isSymbolicLink()) {
        if (!options.followSymlinks) {
          out.links++;
          continue;
        }
        try {
          st = statSync(path, { bigint: true });
        } catch (e) {
          out.warnings.push(`${path}: a symbolic link to nothing readable (${readFailure(path, e).replace(/^cannot read \S+: /, '')})`);
          continue;
        }
      } else if (entry.isDirectory() || entry.isFile()) {
        try {
          st = statSync(path, { bigint: true });
        } catch (e) {
          out.errors.push(readFailure(path, e));
          continue;
        }
      } else continue; // sockets, FIFOs and devices are not read in a walk (a FIFO would block)
      if (st.isDirectory()) {
        if (first(st)) visitDir(path, relPath, depth + 1);
      } else if (st.isFile()) {
        if (include.length > 0 && !matches(include, relPath, path)) continue;
        if (!first(st)) continue;
        let take = options.all === true || hasPickleExtension(entry.name);
        if (!take) {
          try {
            take = sniff(path, Number(st.size));
          } catch (e) {
            out.errors.push(readFailure(path, e));
            continue;
          }
        }
        if (take) {
          out.files.push(path);
          out.bytes += Number(st.size);
        } else out.skipped++;
      }
    }
  };

  for (const p of paths) {
    if (p === '-') {
      out.files.push(p);
      continue;
    }
    let st: BigIntStats;
    try {
      st = statSync(p, { bigint: true });
    } catch (e) {
      out.errors.push(readFailure(p, e));
      continue;
    }
    if (!first(st)) continue;
    if (st.isDirectory()) visitDir(p, '', 0);
    else {
      out.files.push(p);
      out.bytes += Number(st.size);
    }
  }
  return out;
}

/** Whether the file at `path` (of `size` bytes) starts like a pickle or model file. */
function sniff(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(Math.min(size, SNIFF_BYTES));
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return looksLikePickleOrModel(head.subarray(0, got), size);
  } finally {
    closeSync(fd);
  }
}
