/** Content digests of packs: sha256 over canonical JSON (object keys sorted, no whitespace). */
import { sha256, toHex } from '../crypto/sha256.js';

/** JSON with object keys sorted at every level and no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** `sha256:<hex>` of the canonical JSON of a pack (the `$schema` key is left out: it is an editor hint). */
export function packDigest(pack: object): string {
  const { $schema: _ignored, ...rest } = pack as Record<string, unknown>;
  void _ignored;
  return `sha256:${toHex(sha256(new TextEncoder().encode(canonicalJson(rest))))}`;
}
