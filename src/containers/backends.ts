/**
 * What Python backends store around their pickles, told apart by their bytes: Django's file-based
 * cache (an expiry pickle, then the value pickle zlib-compressed), kombu/Celery message envelopes as
 * Redis and other brokers keep them (JSON, the body base64, maybe compressed), base64 text (RQ
 * results) and decimal text (django-redis stores ints that way). Each reader returns what it found
 * and never guesses: what it cannot tell is a finding for the caller to report.
 */
import { endOfPickle } from '../unpickler/scan.js';
import { compressionOf } from './compression.js';
import { normalInt } from '../model/int.js';

/** Django's file cache: the first pickle (the expiry) ends where a zlib stream starts. Returns the split, or null. */
export function djangoFileCacheSplit(b: Uint8Array): number | null {
  if (b.length < 4 || b[0] !== 0x80 || b[1]! < 2 || b[1]! > 5) return null;
  const end = endOfPickle(b, 0);
  if (typeof end !== 'number' || end >= b.length) return null;
  return compressionOf(b.subarray(end)) === 'zlib' ? end : null;
}

/** kombu's compression content types (`headers.compression`) by what they really are. */
const KOMBU_COMPRESSIONS: Readonly<Record<string, string>> = {
  // kombu registers zlib under this name: the stream has a zlib header, not a gzip one.
  'application/x-gzip': 'zlib',
  'application/x-bz2': 'bz2',
  'application/x-lzma': 'lzma',
  'application/x-brotli': 'brotli',
  'application/zstd': 'zstd',
  'application/x-zstd': 'zstd',
  'application/x-lz4': 'lz4',
};

export const PICKLE_CONTENT_TYPE = 'application/x-python-serialize';

export interface KombuEnvelope {
  readonly contentType: string;
  readonly contentEncoding: string;
  /** The body's bytes after its body_encoding (base64) is undone; still compressed when `compression` is set. */
  readonly body: Uint8Array;
  /** What `headers.compression` says, as a format name ('zlib', 'bz2', …), or null. */
  readonly compression: string | null;
  readonly headers: Readonly<Record<string, unknown>>;
  /** What cannot be read as kombu reads it. */
  readonly problems: readonly string[];
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The most bytes of JSON text parsed as an envelope (a message is small; a bigger one is not read as one). */
const MAX_ENVELOPE = 256 * 1024 * 1024;

/** JSON text's value, or undefined when `b` is not a JSON object. */
function jsonObject(b: Uint8Array): Record<string, unknown> | undefined {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (b[i] !== 0x7b || b.length > MAX_ENVELOPE) return undefined;
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** base64 text's bytes (padding required, as Python's b64decode wants it), or null. */
export function fromBase64(text: string): Uint8Array | null {
  const t = text.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null;
  const s = atob(t);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * A kombu message as a broker stores it: a JSON object with `body`, `content-type` and `properties`
 * (whose `body_encoding` is `base64` for binary bodies). Returns null when `b` is not one.
 */
export function readKombuEnvelope(b: Uint8Array): KombuEnvelope | null {
  const o = jsonObject(b);
  if (o === undefined || typeof o.body !== 'string' || typeof o['content-type'] !== 'string' || !isRecord(o.properties)) return null;
  const problems: string[] = [];
  const headers = isRecord(o.headers) ? o.headers : {};
  const encoding = o.properties.body_encoding;
  let body: Uint8Array;
  if (encoding === 'base64') {
    const decoded = fromBase64(o.body);
    if (decoded === null) problems.push('the body is not base64, though body_encoding says so');
    body = decoded ?? new Uint8Array(0);
  } else {
    if (encoding !== undefined && encoding !== null) problems.push(`body_encoding ${JSON.stringify(encoding)} is not one kombu writes`);
    body = new TextEncoder().encode(o.body);
  }
  const named = headers.compression;
  let compression: string | null = null;
  if (named !== undefined && named !== null) {
    compression = typeof named === 'string' ? (KOMBU_COMPRESSIONS[named] ?? null) : null;
    if (compression === null) problems.push(`compression ${JSON.stringify(named)} is not one kombu registers`);
  }
  const contentEncoding = typeof o['content-encoding'] === 'string' ? o['content-encoding'] : '';
  return { contentType: o['content-type'], contentEncoding, body, compression, headers, problems };
}

/** Bytes that are base64 text of a pickle (how RQ stores results), decoded; else null. */
export function base64Pickle(b: Uint8Array): Uint8Array | null {
  if (b.length < 8 || b.length > MAX_ENVELOPE) return null;
  for (const x of b) if (x > 0x7f) return null;
  const decoded = fromBase64(new TextDecoder().decode(b).trim());
  return decoded !== null && decoded.length >= 2 && decoded[0] === 0x80 && decoded[1]! >= 2 && decoded[1]! <= 5 ? decoded : null;
}

/** Decimal text (django-redis stores ints so, to let Redis INCR them): its value, else undefined. */
export function decimalText(b: Uint8Array): number | bigint | undefined {
  if (b.length === 0 || b.length > 4300) return undefined;
  const t = new TextDecoder().decode(b);
  if (!/^-?[0-9]+$/.test(t)) return undefined;
  return normalInt(BigInt(t));
}
