/** Reading corpus/ (written by corpus/generate.py). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS = join(import.meta.dirname, '..', '..', 'corpus');

/** Every `*.pkl` under `dir`, recursively, sorted. */
export function pickleFiles(dir: string): string[] {
  const root = join(CORPUS, dir);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.pkl')) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** The expectation files beside a pickle: `X.json`, and `X.<variant>.json` for other options. */
export function expectations(pkl: string): { file: string; spec: Record<string, unknown> }[] {
  const base = pkl.slice(0, -'.pkl'.length);
  const dir = base.slice(0, base.lastIndexOf('/'));
  const stem = base.slice(base.lastIndexOf('/') + 1);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json') && (n === `${stem}.json` || (n.startsWith(`${stem}.`) && !existsSync(join(dir, `${n.slice(0, -5)}.pkl`)))))
    .sort()
    .map((n) => ({ file: join(dir, n), spec: JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown> }));
}

export const hexToBytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
