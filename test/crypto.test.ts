import { createHash, createHmac } from 'node:crypto';
import { sha256, hmacSha256, toHex, Sha256 } from '../src/crypto/sha256.js';
import { test, expect } from 'vitest';
test("sha256, HMAC-SHA256 and incremental updates agree with node:crypto", () => {
  for (let n = 0; n < 300; n++) {
    const d = new Uint8Array(n * 7).map((_, i) => (i * 31 + n) & 255);
    expect(toHex(sha256(d))).toBe(createHash('sha256').update(d).digest('hex'));
    const k = d.subarray(0, n % 100);
    expect(toHex(hmacSha256(k, d))).toBe(createHmac('sha256', k).update(d).digest('hex'));
    const s = new Sha256(); for (let i = 0; i < d.length; i += 13) s.update(d.subarray(i, i + 13));
    expect(toHex(s.digest())).toBe(createHash('sha256').update(d).digest('hex'));
  }
});
