/**
 * `--policy ARG` for every command: a pack file (JSON), or the id of a shipped pack (`numpy`,
 * `joblib`, …) when no file of that name exists.
 */
import type { LoadedPack } from '../policy/pack.js';
import { parsePack } from '../policy/pack.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';

export function readPack(arg: string, readFile: (path: string) => Uint8Array): LoadedPack {
  let bytes: Uint8Array;
  try {
    bytes = readFile(arg);
  } catch (e) {
    const shipped = SHIPPED_PACKS.filter((p) => p.pack.id === arg).at(-1);
    if (shipped !== undefined) return shipped;
    throw new Error(`cannot read the pack ${arg}: ${(e as Error).message} (shipped packs: ${SHIPPED_PACKS.map((p) => p.pack.id).join(', ')})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`the pack ${arg} is not UTF-8 text`);
  }
  return parsePack(text, arg);
}
