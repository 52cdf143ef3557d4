/**
 * One reader (issue 11 §2): for any input and policy, `audit(bytes, { policy }).verdict` is the
 * class of what loading does (test/helpers/outcome.ts: every pickle loaded with one Unpickler →
 * safe, a refusal first → unsafe, any other PickleError → malformed). Checked over every binary
 * file of corpus/ under the default policy and every shipped pack (the real producers' files: under
 * the default and their own pack, one in four under all), the hostile set, and ≥ 100,000
 * seeded fuzzed and mutated inputs (PICKLEGUARD_FUZZ=N multiplies, PICKLEGUARD_SEED changes the seed).
 *
 * Beside the verdict: every name the loader asks the policy about (a recording wrapper around the
 * policy) must be among `audit(...).globals`: the static listing never misses what loading resolves.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit, createPolicy, DEFAULT_POLICY, SHIPPED_PACKS, shippedPack, type Policy, type Verdict } from '../src/index.js';
import { CORPUS } from './helpers/corpus.js';
import { mutate, mutateOps, randomPickle, Rng, toHex } from './helpers/fuzz-tools.js';
import { LoaderBug, loadOutcome } from './helpers/outcome.js';

const FACTOR = Math.max(0, Number(process.env.PICKLEGUARD_FUZZ ?? '1') || 1);
const SEED = Number.parseInt(process.env.PICKLEGUARD_SEED ?? '11', 10);
const FUZZ_INPUTS = Math.round(100_000 * FACTOR);

/** Text and data beside the pickles (expectations, disassemblies, generators, notes, protocol-5 out-of-band buffers): not inputs. */
const TEXT = new Set(['.json', '.dis', '.py', '.md', '.buf', '.sh']);
/** Pickles and pickle streams (joblib's have raw array bytes between opcodes). */
const PICKLES = new Set(['.pkl', '.joblib']);
/** Containers (zip, npy, compressed; backend entries of corpus/backends): not pickles, but the contract holds for any bytes, so they are inputs too. */
const CONTAINERS = new Set(['.pt', '.npy', '.npz', '.gz', '.z', '.zlib', '.7z', '.bz2', '.lzma', '.xz', '.djcache', '.bin', '.b64', '.txt', '.zip', '.tar']);

/** Every binary file under corpus/, sorted; an extension neither list knows fails the test (decide which it is). */
function corpusFiles(): { path: string; kind: 'pickle' | 'container' }[] {
  const out: { path: string; kind: 'pickle' | 'container' }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const ext = extname(name).toLowerCase();
        if (TEXT.has(ext)) continue;
        if (PICKLES.has(ext)) out.push({ path: p, kind: 'pickle' });
        else if (CONTAINERS.has(ext)) out.push({ path: p, kind: 'container' });
        else throw new Error(`corpus file with an unknown extension: ${relative(CORPUS, p)} (add it to TEXT, PICKLES or CONTAINERS)`);
      }
    }
  };
  walk(CORPUS);
  return out;
}

/** The default policy and one policy per shipped pack (its newest version), built once. */
const POLICIES: readonly { name: string; policy: Policy }[] = [
  { name: 'default', policy: DEFAULT_POLICY },
  ...[...new Set(SHIPPED_PACKS.map((p) => p.pack.id))].map((id) => ({ name: id, policy: createPolicy({ name: id, packs: [shippedPack(id)] }) as Policy })),
];

/** A policy that answers as `inner` and records every name it is asked about. */
function recording(inner: Policy): { policy: Policy; asked: [string, string][] } {
  const asked: [string, string][] = [];
  const policy: Policy = {
    name: inner.name,
    resolve(module, qualname) {
      asked.push([module, qualname]);
      return inner.resolve(module, qualname);
    },
    ...(inner.explain ? { explain: inner.explain.bind(inner) } : {}),
  };
  return { policy, asked };
}

type Kind = string;

/** Counts and the first disagreements of one run of the invariant. */
class Tally {
  inputs = 0;
  agreements = 0;
  readonly kinds = new Map<Kind, number>();
  readonly missed = new Map<string, number>();
  missedInputs = 0;
  readonly shown: string[] = [];
  private readonly shownInputs = new Set<string>();
  private readonly started = performance.now();

  constructor(readonly label: string) {}

  /** Disagreements by kind and by group of inputs (corpus directory, fuzz generator). */
  readonly groups = new Map<string, number>();
  readonly firstOfKind = new Map<Kind, string>();

  disagree(kind: Kind, where: string, bytes: Uint8Array, detail: string, group = ''): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    if (group) this.groups.set(`${group}: ${kind}`, (this.groups.get(`${group}: ${kind}`) ?? 0) + 1);
    if (!this.firstOfKind.has(kind)) this.firstOfKind.set(kind, `  ${where}: ${detail}\n    hex ${hexOf(bytes)}`);
    this.show(`${kind}: ${detail}`, where, bytes);
  }

  /** The first 10 inputs that disagree (one line per input, whatever the policy). */
  show(what: string, where: string, bytes: Uint8Array): void {
    const input = where.replace(/ \[[^\]]*\]$/, '');
    if (this.shown.length >= 10 || this.shownInputs.has(input)) return;
    this.shownInputs.add(input);
    this.shown.push(`  ${where}: ${what}\n    hex ${hexOf(bytes)}`);
  }

  get disagreements(): number {
    let n = 0;
    for (const c of this.kinds.values()) n += c;
    return n;
  }

  report(): string {
    const kinds = [...this.kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${n}× ${k}`);
    const missed = [...this.missed].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, n]) => `    ${n}× ${k}`);
    return [
      `[one-reader] ${this.label}: inputs ${this.inputs}, agreements ${this.agreements}, disagreements ${this.disagreements}; ` +
        `inputs whose audit.globals misses a name the loader resolved: ${this.missedInputs} ` +
        `(${((performance.now() - this.started) / 1000).toFixed(1)} s)`,
      ...(kinds.length ? ['  disagreements by kind:', ...kinds] : []),
      ...(this.groups.size ? ['  by input group:', ...[...this.groups].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => `    ${n}× ${k}`)] : []),
      ...(missed.length ? ['  names missing from audit.globals:', ...missed] : []),
      ...(this.shown.length ? ['  first disagreements:', ...this.shown] : []),
      ...(this.firstOfKind.size ? ['  first of each kind:', ...this.firstOfKind.values()] : []),
    ].join('\n');
  }
}

function hexOf(bytes: Uint8Array): string {
  return bytes.length <= 200 ? toHex(bytes) || '(empty)' : `${toHex(bytes.subarray(0, 200))}… (${bytes.length} bytes)`;
}

/** Check one input under one policy: verdict against loading outcome, and the loader's names against audit.globals. */
function check(t: Tally, bytes: Uint8Array, p: { name: string; policy: Policy }, where: string, group = ''): void {
  t.inputs++;
  const rec = recording(p.policy);
  let load: Verdict;
  try {
    load = loadOutcome(bytes, { policy: rec.policy });
  } catch (e) {
    if (!(e instanceof LoaderBug)) throw e;
    t.disagree('loader bug', `${where} [${p.name}]`, bytes, e.message, group);
    return;
  }
  let verdict: Verdict;
  let listed: Set<string>;
  try {
    const report = audit(bytes, { policy: p.policy });
    verdict = report.verdict;
    listed = new Set(report.globals.map((g) => `${g.module}\n${g.qualname}`));
  } catch (e) {
    t.disagree(`audit threw / load ${load}`, `${where} [${p.name}]`, bytes, `audit threw ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e)}`, group);
    return;
  }
  const missing = rec.asked.filter(([m, q]) => !listed.has(`${m}\n${q}`));
  if (missing.length) {
    t.missedInputs++;
    for (const [m, q] of missing) t.missed.set(`${m}.${q}`, (t.missed.get(`${m}.${q}`) ?? 0) + 1);
    t.show(`audit.globals misses ${missing.map(([m, q]) => `(${m}, ${q})`).join(', ')}`, `${where} [${p.name}]`, bytes);
  }
  if (verdict === load) t.agreements++;
  else t.disagree(`audit ${verdict} / load ${load}`, `${where} [${p.name}]`, bytes, `audit says ${verdict}, loading says ${load}`, group);
}

function verdictOf(bytes: Uint8Array, policy: Policy): string {
  try {
    return audit(bytes, { policy }).verdict;
  } catch (e) {
    return `threw ${String(e)}`;
  }
}

function finish(t: Tally): void {
  console.log(t.report());
  expect({ disagreements: t.disagreements, missedInputs: t.missedInputs }, t.report()).toEqual({ disagreements: 0, missedInputs: 0 });
}

const files = corpusFiles();

/**
 * The real producers' files (thousands, one producer version beside another) are checked under the
 * default policy and their producer's pack, and one in four under every policy; PICKLEGUARD_FUZZ > 1
 * checks them all under every policy, as every other corpus file is.
 */
const PRODUCER_PACK: Readonly<Record<string, string>> = { numpy: 'numpy', torch: 'pytorch-state-dict', joblib: 'joblib', sklearn: 'scikit-learn', pandas: 'pandas' };
function policiesFor(where: string, i: number): readonly { name: string; policy: Policy }[] {
  const [top, producer] = where.split('/');
  const pack = top === 'realworld' ? PRODUCER_PACK[producer!] : undefined;
  if (pack === undefined || FACTOR > 1 || i % 4 === 0) return POLICIES;
  return POLICIES.filter((p) => p.name === 'default' || p.name === pack);
}
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

describe('one reader: audit verdict = loading outcome', () => {
  it(`every binary file of corpus/ (${files.length}), under the default policy and every shipped pack`, () => {
    const t = new Tally('corpus × policies');
    files.forEach((f, i) => {
      const bytes = read(f.path);
      const where = relative(CORPUS, f.path);
      for (const p of policiesFor(where, i)) check(t, bytes, p, where, where.split('/')[0]);
    });
    expect(files.filter((f) => f.kind === 'pickle').length).toBeGreaterThan(2000);
    finish(t);
  });

  it('the hostile set (corpus/hostile): each class of issue 11, under every policy; the loader gives the manifest class', () => {
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'hostile', 'manifest.json'), 'utf8')) as Record<string, { class: Verdict; packs?: Record<string, Verdict>; why: string }>;
    expect(Object.keys(manifest).length).toBeGreaterThan(30);
    const t = new Tally('hostile × policies');
    const wrongClass: string[] = [];
    const perFile: string[] = [];
    for (const [name, entry] of Object.entries(manifest)) {
      const bytes = read(join(CORPUS, 'hostile', `${name}.pkl`));
      for (const p of POLICIES) check(t, bytes, p, `hostile/${name}`);
      const want = entry.class;
      let got: Verdict | 'loader bug';
      try {
        got = loadOutcome(bytes);
      } catch {
        got = 'loader bug';
      }
      const byPolicy = POLICIES.map((p) => `${p.name}: audit ${verdictOf(bytes, p.policy)}`).join(', ');
      perFile.push(`  ${name} (${entry.class}): load ${got}; ${byPolicy}`);
      if (got !== want) wrongClass.push(`  ${name}: loading under the default policy gives ${got}, the manifest says ${want} (${entry.why})`);
      for (const [pack, cls] of Object.entries(entry.packs ?? {})) {
        const p = POLICIES.find((x) => x.name === pack)!;
        const underPack = loadOutcome(bytes, { policy: p.policy });
        if (underPack !== cls) wrongClass.push(`  ${name} [${pack}]: loading gives ${underPack}, the manifest says ${cls}`);
      }
    }
    console.log(`[one-reader] hostile files (manifest class): loading under the default policy; audit per policy\n${perFile.join('\n')}`);
    if (wrongClass.length) console.log(`[one-reader] hostile files whose loading outcome is not the manifest's class: ${wrongClass.length}\n${wrongClass.join('\n')}`);
    console.log(t.report());
    expect({ disagreements: t.disagreements, missedInputs: t.missedInputs, wrongClass }, t.report()).toEqual({ disagreements: 0, missedInputs: 0, wrongClass: [] });
  });

  it('with the loader options audit mirrors (persistentLoad, buffers): hostile/ and malformed/, default policy', () => {
    const t = new Tally('hostile + malformed × persistentLoad / buffers');
    const variants = [
      { name: 'persistentLoad', options: { persistentLoad: (pid: unknown) => (typeof pid === 'string' ? pid : [pid]) } },
      { name: 'buffers', options: { buffers: [Uint8Array.of(1, 2, 3), new Uint8Array(0)] } },
    ];
    const paths = files.filter((f) => /^(hostile|malformed)\//.test(relative(CORPUS, f.path)));
    expect(paths.length).toBeGreaterThan(200);
    for (const f of paths) {
      const bytes = read(f.path);
      const where = relative(CORPUS, f.path);
      for (const v of variants) {
        t.inputs++;
        let load: Verdict;
        let verdict: Verdict;
        try {
          load = loadOutcome(bytes, v.options);
        } catch (e) {
          t.disagree('loader bug', `${where} [${v.name}]`, bytes, String(e), v.name);
          continue;
        }
        try {
          verdict = audit(bytes, v.options).verdict;
        } catch (e) {
          t.disagree(`audit threw / load ${load}`, `${where} [${v.name}]`, bytes, String(e), v.name);
          continue;
        }
        if (verdict === load) t.agreements++;
        else t.disagree(`audit ${verdict} / load ${load}`, `${where} [${v.name}]`, bytes, `audit says ${verdict}, loading says ${load}`, v.name);
      }
    }
    finish(t);
  });

  it(`${FUZZ_INPUTS} fuzzed and mutated inputs (seed ${SEED})`, () => {
    const seeds = files
      .filter((f) => f.kind === 'pickle' && statSync(f.path).size <= 4096)
      .map((f) => read(f.path));
    expect(seeds.length).toBeGreaterThan(1000);
    const rng = new Rng(SEED);
    const t = new Tally(`fuzz (seed ${SEED})`);
    const started = performance.now();
    const made = { random: 0, bytes: 0, opcodes: 0, concat: 0 };
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      const r = rng.int(100);
      let input: Uint8Array;
      let how: string;
      if (r < 15) {
        input = randomPickle(rng, 200);
        how = 'random';
        made.random++;
      } else if (r < 50) {
        const m = mutate(rng, rng.pick(seeds), rng.pick(seeds));
        input = m.data;
        how = m.how.join('+');
        made.bytes++;
      } else if (r < 92) {
        const m = mutateOps(rng, rng.pick(seeds), rng.pick(seeds));
        input = m.data;
        how = `ops:${m.how.join('+')}`;
        made.opcodes++;
      } else {
        // Two or three whole pickles in one input, sometimes mutated: the memo carries over.
        const parts = [rng.pick(seeds), rng.pick(seeds), ...(rng.chance(0.3) ? [rng.pick(seeds)] : [])];
        const joined = Uint8Array.from(parts.flatMap((p) => Array.from(p)));
        input = rng.chance(0.5) ? mutateOps(rng, joined, rng.pick(seeds)).data : joined;
        how = 'concat';
        made.concat++;
      }
      // Half under the default policy, the rest spread over the shipped packs.
      const p = rng.chance(0.5) ? POLICIES[0]! : rng.pick(POLICIES);
      check(t, input, p, `#${i} ${how}`, how === 'random' || how === 'concat' ? how : how.startsWith('ops:') ? 'opcode-mutated' : 'byte-mutated');
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`[one-reader] fuzz inputs: ${made.random} random, ${made.bytes} byte-mutated, ${made.opcodes} opcode-mutated, ${made.concat} concatenated; ${seconds.toFixed(1)} s`);
    finish(t);
  }, 120_000 * Math.max(1, FACTOR));
});
