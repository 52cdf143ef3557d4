/**
 * src/policy/pack-check.ts against the zod schema it replaced (test/helpers/pack-zod.ts): thousands of
 * mutated packs (wrong types, missing and extra keys, `__proto__` and `constructor` keys, bad names,
 * bad numbers, nested constraints) get the same verdict, the same copy when accepted and the same issues
 * when refused. Where the two differ on purpose (non-plain objects, nesting depth, issue count, two
 * messages), the expected verdicts are written out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPack } from '../src/policy/pack-check.js';
import { parsePack, PolicyError, SPEC_TYPES, USES } from '../src/index.js';
import { zodCheck } from './helpers/pack-zod.js';
import { mulberry32 } from './helpers/mulberry32.js';

const dir = join(import.meta.dirname, '..', 'policies');
const SEEDS: unknown[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
SEEDS.push({ id: 'acme', version: '1.0.0', description: 'x', entries: [{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'] }] });

/** The seeds with their first 8 entries: mutants of them cost less and hit the same schema. */
const SMALL = SEEDS.map((p) => ({ ...(p as object), entries: (p as { entries: unknown[] }).entries.slice(0, 8) }));

class Record_ {
  constructor(readonly type = 'int') {}
}
/** Values a pack field is not, and some it is. */
const NON_PLAIN = () => [new Map(), new Date(0), new Record_(), Object.assign(Object.create({ type: 'int' }) as object, { oneOf: [{ type: 'int' }] }), new Uint8Array(2)];
const SCALARS: unknown[] = [
  null, true, 0, -0, 1, -1, 1.5, -1.5, 1e300, -1e300, 2 ** 53, NaN, Infinity, -Infinity, 10n,
  '', '*', 'a', 'a b', 'numpy.*', 'a..b', '_x.y9', 'A'.repeat(300), 'x'.repeat(600), 'getattr', 'sha256:' + '0'.repeat(64), 'md5:00',
  '1.0.0', '1.0', '01.0.0', '1.0.0-rc.1+b', 'Acme', 'acme-2', 'a:b-c', ...SPEC_TYPES, ...USES,
];
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'type', 'oneOf', 'items', 'module', 'note', 'code', 'modul', 'entries', 'extends', '$schema', 'min', 'names'];

function randomValue(r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const roll = r();
  if (roll < 0.5 || depth > 3) return pick(SCALARS);
  if (roll < 0.62) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  if (roll < 0.72) return { type: pick(SPEC_TYPES), [pick(KEYS)]: randomValue(r, depth + 1) };
  if (roll < 0.8) return { oneOf: [{ type: pick(SPEC_TYPES) }, randomValue(r, depth + 1)] };
  if (roll < 0.85) return pick(NON_PLAIN());
  if (roll < 0.9) return Array.from({ length: 300 }, () => pick(USES));
  return { module: pick(SCALARS), qualname: 'B', reconstructor: 'object', uses: [pick(USES)] };
}

/** Sets an own property as JSON.parse does, `__proto__` included. */
function setOwn(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies one to three random edits somewhere in a deep copy of `seed`. */
function mutate(seed: unknown, r: () => number): unknown {
  const root = structuredClone(seed);
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    // Walk down to a random container.
    let node = root as Record<string, unknown> | unknown[];
    for (let steps = Math.floor(r() * 7); steps > 0; steps--) {
      const keys = Object.keys(node);
      if (!keys.length) break;
      const next = (node as Record<string, unknown>)[keys[Math.floor(r() * keys.length)]!];
      if (next === null || typeof next !== 'object' || !(Array.isArray(next) || Object.getPrototypeOf(next) === Object.prototype)) break;
      node = next as Record<string, unknown>;
    }
    const keys = Object.keys(node);
    const key = keys[Math.floor(r() * keys.length)];
    const op = r();
    if (key === undefined || op < 0.15) {
      if (Array.isArray(node)) node.push(randomValue(r));
      else setOwn(node, KEYS[Math.floor(r() * KEYS.length)]!, randomValue(r));
    }
    else if (op < 0.3) {
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete node[key];
    } else if (op < 0.4 && Array.isArray(node)) node.push(structuredClone(node[Number(key)]));
    else if (op < 0.45) (node as Record<string, unknown>)[key] = undefined;
    else (node as Record<string, unknown>)[key] = randomValue(r);
  }
  return root;
}

function hasNonPlain(v: unknown, seen = new Set<unknown>()): boolean {
  if (v === null || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if (!Array.isArray(v) && ![Object.prototype, null].includes(Object.getPrototypeOf(v))) return true;
  return (Array.isArray(v) ? [...v] : Object.values(v)).some((x) => hasNonPlain(x, seen));
}

/** zod's messages, less the " characters" it puts after the safe-integer bounds of a length. */
const zodMessage = (message: string) => message.replace(/^(Too (?:big|small): expected at (?:most|least) -?9007199254740991) characters$/, '$1');
/** Ours, where zod said "received number" of NaN and Infinity. */
const ours = (message: string) => message.replace(/received (?:-?Infinity|NaN)$/, 'received number');

/** Checks one input both ways; says how it went. */
function agree(input: unknown): 'accepted' | 'refused' | 'nonPlain' {
  const mine = checkPack(input);
  if (hasNonPlain(input)) {
    // Only JSON-shaped data passes here; zod took any object, reading inherited properties.
    expect(mine.issues).toBeDefined();
    return 'nonPlain';
  }
  const theirs = zodCheck(input);
  if (theirs.pack) {
    expect(mine.issues).toBeUndefined();
    expect(mine.pack).toEqual(theirs.pack);
    return 'accepted';
  }
  const key = (i: { path: string; code: string; message: string }) => `${i.path} ${i.code} ${i.message}`;
  const mineKeys = mine.issues!.map((i) => key({ ...i, message: ours(i.message) }));
  // zod checks a string's length before its type, so an array there can also be "too big" or "too small".
  const wrongType = new Set(theirs.issues.filter((i) => i.code === 'invalid_type').map((i) => i.path));
  const theirKeys = theirs.issues.filter((i) => !(/^too_(big|small)$/.test(i.code) && wrongType.has(i.path))).map((i) => key({ ...i, message: zodMessage(i.message) }));
  if (theirKeys.length > 100) {
    // Ours stops at 100 issues, all of them zod's.
    expect(mineKeys).toHaveLength(100);
    expect(theirKeys).toEqual(expect.arrayContaining(mineKeys));
  } else {
    // zod reports a too-small safe integer twice; the order of an object's issues is the same.
    expect([...new Set(mineKeys)].sort()).toEqual([...new Set(theirKeys)].sort());
  }
  return 'refused';
}

describe('pack-check agrees with the zod schema it replaced', () => {
  it('on the shipped packs and thousands of mutants of them', () => {
    const r = mulberry32(14);
    const verdicts = { accepted: 0, refused: 0, nonPlain: 0 };
    for (let i = 0; i < 2000; i++) {
      const input = i < SEEDS.length ? SEEDS[i] : mutate(SMALL[i % SMALL.length], r);
      try {
        verdicts[agree(input)]++;
      } catch (e) {
        throw new Error(`${(e as Error).message}\non ${show(input)}`);
      }
    }
    expect(verdicts.accepted).toBeGreaterThan(100);
    expect(verdicts.refused).toBeGreaterThan(1000);
    expect(verdicts.nonPlain).toBeGreaterThan(50);
  });
});

const show = (v: unknown) => {
  try {
    return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)).slice(0, 3000);
  } catch {
    return Object.prototype.toString.call(v);
  }
};
const pack = (entry: Record<string, unknown>) => ({ id: 'acme', version: '1.0.0', description: 'x', entries: [{ module: 'a', qualname: 'B', reconstructor: 'object', uses: ['call'], ...entry }] });
const issuesOf = (json: unknown) => {
  try {
    parsePack(json);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as PolicyError).issues;
  }
  throw new Error('accepted');
};

describe('pack-check on what zod did not guard', () => {
  it('takes only plain data: no Map, Date, class instance or inherited property passes', () => {
    for (const odd of NON_PLAIN()) {
      expect(issuesOf(pack({ args: odd }))).toEqual([{ path: 'entries[0].args', code: 'invalid_type', message: 'Invalid input: expected object, received non-plain object' }]);
    }
    const nullProto = Object.assign(Object.create(null) as object, { type: 'int' });
    expect(parsePack(pack({ args: nullProto })).pack.entries[0]!.args).toEqual({ type: 'int' });
  });

  it('refuses constraints nested too deep, with our error and no stack overflow', () => {
    const deep = `${'{"type":"list","items":'.repeat(100_000)}{"type":"int"}${'}'.repeat(100_000)}`;
    const issues = issuesOf(JSON.stringify(pack({ args: 'DEEP' })).replace('"DEEP"', deep));
    expect(issues.map((i) => i.code)).toEqual(['too_big']);
    expect(issues[0]!.message).toBe('Too deep: constraints nest at most 32 levels');
    let ok: unknown = { type: 'int' };
    for (let i = 0; i < 31; i++) ok = { type: 'list', items: ok };
    expect(() => parsePack(pack({ args: ok }))).not.toThrow();
  });

  it('reports at most 100 issues, and stops reading a huge array once it has them', () => {
    expect(issuesOf(pack({ uses: Array.from({ length: 100_000 }, () => 'run') }))).toHaveLength(100);
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const started = performance.now();
    expect(issuesOf({ ...pack({}), entries: sparse })).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(1000);
    const many = Array.from({ length: 20_000 }, (_, i) => ({ module: 'a', qualname: `B${i}`, reconstructor: 'object', uses: ['call'] }));
    expect(parsePack({ ...pack({}), entries: many }).pack.entries).toHaveLength(20_000);
  });

  it('copies what it accepts: own keys only, plain prototypes, no undefined fields, nothing shared with the input', () => {
    const input = JSON.parse(JSON.stringify(pack({ args: { type: 'tuple', items: [{ type: 'int' }] } })));
    input.entries[0].via = undefined;
    const { pack: out } = checkPack(input);
    expect(out).toEqual(input);
    expect('via' in out!.entries[0]!).toBe(false);
    input.entries[0].args.items[0].type = 'str';
    expect(out!.entries[0]!.args!.items).toEqual([{ type: 'int' }]);
    const proto = JSON.parse('{"id":"acme","version":"1.0.0","description":"x","entries":[],"__proto__":{"polluted":1}}');
    expect(checkPack(proto).issues).toEqual([{ path: '', code: 'unrecognized_keys', message: 'Unrecognized key: "__proto__"' }]);
  });
});
