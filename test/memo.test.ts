import { describe, expect, it } from 'vitest';
import { loads, Unpickler } from '../src/index.js';
import { Memo } from '../src/unpickler/memo.js';
import { mulberry32 } from './helpers/mulberry32.js';

describe('Memo (dense plus sparse) against a plain Map', () => {
  it('agrees on every get and on the entry count, whatever indices are put, as the dense part grows over sparse ones', () => {
    const random = mulberry32(7);
    let checks = 0;
    // One memo for every round, emptied by clear() between them, as loads lends it from one load to the next.
    const memo = new Memo();
    for (let round = 0; round < 300; round++) {
      memo.clear();
      expect(memo.dense.every((v) => v === undefined) && memo.count === 0 && memo.sparse === null).toBe(true);
      const model = new Map<number, unknown>();
      // The Machine's growth rule, with a small input so that far indices are common.
      const grow = (index: number) => (index > 2 * memo.count + 16 ? -1 : Math.max(2 * memo.dense.length, index + 1, 8));
      for (let step = 0; step < 200; step++) {
        const r = random();
        const index = r < 0.4 ? memo.count : r < 0.7 ? Math.floor(random() * 64) : Math.floor(random() * 5000);
        if (random() < 0.6) {
          const value = { step };
          memo.put(index, value, () => undefined, grow);
          model.set(index, value);
        }
        expect(memo.count).toBe(model.size);
        for (const probe of [index, Math.floor(random() * 5000), memo.count]) {
          expect(memo.get(probe)).toBe(model.get(probe));
          checks++;
        }
      }
      for (const [i, v] of model) expect(memo.get(i)).toBe(v);
    }
    expect(checks).toBeGreaterThan(100_000);
  });
});

describe('memo indices in loads', () => {
  it('nothing of one load\'s memo is seen by the next (loads lends its emptied memo on), even after a failed load', () => {
    // [ 'a' ] with its items memoized as 0 and 1 (PROTO 4, EMPTY_LIST MEMOIZE, SHORT_BINUNICODE 'a' MEMOIZE, APPEND, STOP)
    const put = Uint8Array.of(0x80, 4, 0x5d, 0x94, 0x8c, 1, 0x61, 0x94, 0x61, 0x2e);
    // BINGET 1: a memo entry this pickle never stored
    const get = Uint8Array.of(0x80, 4, 0x68, 1, 0x2e);
    // memoizes, then fails (truncated)
    const failing = Uint8Array.of(0x80, 4, 0x5d, 0x94, 0x8c, 1, 0x61, 0x94);
    for (let i = 0; i < 3; i++) {
      expect(loads(put)).toEqual(['a']);
      expect(() => loads(get)).toThrow(/memo key 1 not found/);
      expect(() => loads(failing)).toThrow();
      expect(() => loads(get)).toThrow(/memo key 1 not found/);
    }
    // A large memo (the dense part in V8's large-object space) is lent on too, and emptied.
    const big = Uint8Array.from([0x80, 4, 0x5d, 0x94, 0x28, ...Array.from({ length: 30000 }, () => [0x4e, 0x94]).flat(), 0x65, 0x2e]);
    expect((loads(big) as unknown[]).length).toBe(30000);
    expect(() => loads(Uint8Array.of(0x80, 4, 0x6a, 0x10, 0x27, 0, 0, 0x2e))).toThrow(/memo key 10000 not found/);
  });

  it('a far index stored while the memo is small stays readable, and MEMOIZE numbering stays CPython\'s, after the dense part grows past it', () => {
    // PROTO 4; None, LONG_BINPUT 3000 (a far index: sparse), POP; then 3000 ints each MEMOIZEd and
    // popped: in CPython MEMOIZE stores at len(memo), so they go to 1, 2, …, 2999, then 3000 (over
    // the far entry, which was counted once), then 3000 again. Then [memo[3000], (None MEMOIZEd at
    // len(memo) = 3000 again), memo[3000]]. CPython 3.11 gives [183, None].
    const parts: number[] = [0x80, 0x04, 0x4e, 0x72, 0xb8, 0x0b, 0x00, 0x00, 0x30];
    for (let i = 0; i < 3000; i++) parts.push(0x4b, i % 256, 0x94, 0x30);
    parts.push(0x5d, 0x6a, 0xb8, 0x0b, 0x00, 0x00, 0x61, 0x4e, 0x94, 0x30, 0x6a, 0xb8, 0x0b, 0x00, 0x00, 0x61, 0x2e);
    expect(loads(new Uint8Array(parts))).toEqual([183, null]);
  });

  it('the memo carries over between the pickles of one input', () => {
    // Pickle 1 stores 'x' at 0; pickle 2 reads it.
    const u = new Unpickler(new Uint8Array([0x80, 0x04, 0x8c, 0x01, 0x78, 0x94, 0x2e, 0x80, 0x04, 0x68, 0x00, 0x2e]));
    expect(u.load()).toBe('x');
    expect(u.load()).toBe('x');
  });
});
