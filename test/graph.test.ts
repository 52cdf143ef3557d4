/** nestingDepth against a plain recursive depth, over random values mixing every kind of container. */
import { describe, expect, it } from 'vitest';
import { CHILDREN } from '../src/model/children.js';
import { nestingDepth } from '../src/unpickler/graph.js';
import { mulberry32 } from './helpers/mulberry32.js';

class Listed {
  constructor(readonly items: unknown[]) {}
  [CHILDREN](): readonly unknown[] {
    return this.items;
  }
}

/** A random value of at most `depth` levels; containers already made may be used again (sharing, never a cycle). */
function make(rnd: () => number, depth: number, made: object[]): unknown {
  const r = rnd();
  if (depth === 0 || r < 0.2) return r < 0.1 ? 'x' : r < 0.15 ? null : 7;
  if (r < 0.3 && made.length > 0) return made[Math.floor(rnd() * made.length)];
  const items = Array.from({ length: Math.floor(rnd() * 4) }, () => make(rnd, depth - 1, made));
  let v: object;
  const kind = Math.floor(rnd() * 6);
  if (kind === 0) v = items;
  else if (kind === 1) v = Object.freeze(items);
  else if (kind === 2) v = new Map(items.map((x, i) => [i % 2 === 0 ? x : i, items[items.length - 1 - i]]));
  else if (kind === 3) v = new Set(items);
  else if (kind === 4) v = Object.assign(Object.create(null), { a: items[0], b: items[1] });
  else v = new Listed(items);
  made.push(v);
  return v;
}

function childrenOf(v: object): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Listed) return v.items;
  if (v instanceof Map) return [...v.keys(), ...v.values()];
  if (v instanceof Set) return [...v];
  return Object.values(v);
}

function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + Math.max(0, ...childrenOf(v).map(depthOf));
}

describe('nestingDepth', () => {
  it('agrees with a recursive depth, as a tree walk and as the full walk, and at every limit', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const v = make(mulberry32(seed), 1 + (seed % 9), []);
      const d = depthOf(v);
      expect(nestingDepth(v, Infinity), `seed ${seed}`).toBe(d);
      expect(nestingDepth(v, Infinity, 1_000_000), `seed ${seed}`).toBe(d);
      expect(nestingDepth(v, Infinity, 3), `seed ${seed}`).toBe(d);
      for (let limit = 0; limit <= d; limit++) {
        expect(nestingDepth(v, limit, 1_000_000), `seed ${seed} limit ${limit}`).toBe(d > limit ? Infinity : d);
      }
    }
  });

  it('measures a cycle once', () => {
    const a: unknown[] = [];
    const m = new Map<unknown, unknown>([['k', a]]);
    a.push(m, [[]]);
    expect(nestingDepth(a, Infinity, 10)).toBe(3);
  });
});
