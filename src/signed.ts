/**
 * An integrity envelope for pickles that travel: HMAC-SHA256 over the pickle, checked in constant
 * time before a single byte is unpickled. The envelope is the 32-byte tag followed by the pickle, so
 * the Python side is `tag = hmac.new(key, data, 'sha256').digest(); envelope = tag + data`.
 */
import { constantTimeEqual, hmacSha256 } from './crypto/sha256.js';
import { UnpicklingError } from './errors.js';
import { dumps } from './pickler/dumps.js';
import type { DumpOptions } from './pickler/pickler.js';
import { loads } from './unpickler/unpickler.js';
import type { LoadOptions } from './unpickler/options.js';

const TAG_BYTES = 32;

function keyBytes(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new TypeError('the HMAC key must be a non-empty Uint8Array or string');
  return bytes;
}

/** `tag ‖ pickle`, where tag = HMAC-SHA256(key, pickle). */
export function signedDumps(value: unknown, key: Uint8Array | string, options?: DumpOptions): Uint8Array {
  const data = dumps(value, options);
  const out = new Uint8Array(TAG_BYTES + data.length);
  out.set(hmacSha256(keyBytes(key), data), 0);
  out.set(data, TAG_BYTES);
  return out;
}

/** Verify the tag of a `signedDumps` envelope, then load the pickle; throws UnpicklingError('bad_signature') before loading anything when it does not match. */
export function verifiedLoads(envelope: Uint8Array, key: Uint8Array | string, options?: LoadOptions): unknown {
  if (!(envelope instanceof Uint8Array) || envelope.length < TAG_BYTES) {
    throw new UnpicklingError('bad_signature', 'the signed pickle is shorter than its 32-byte HMAC-SHA256 tag', { offset: 0 });
  }
  const data = envelope.subarray(TAG_BYTES);
  if (!constantTimeEqual(hmacSha256(keyBytes(key), data), envelope.subarray(0, TAG_BYTES))) {
    throw new UnpicklingError('bad_signature', 'the HMAC-SHA256 tag does not match: the pickle was changed or signed with another key; nothing was unpickled', { offset: 0 });
  }
  return loads(data, options);
}
