/**
 * corpus/realworld/described.py's form of a loaded value, so fixtures written by the real libraries
 * compare with `toEqual`: typed JSON scalars and containers, numpy values (items in C order, a
 * sha256 past 4096 bytes), globals, and any other object by its reduce (what `__reduce_ex__` gives).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isReducible, NdArray, NpDtype, NpScalar, PickleError, PyGlobal, PyTuple, REDUCE, RefusedGlobalError, type Reduction } from '../../src/index.js';
import { CORPUS } from './corpus.js';
import { normalizeExpected, scalarForm } from './typed.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const digestOrHex = (b: Uint8Array): string => (b.length <= 4096 ? hex(b) : `sha256:${createHash('sha256').update(b).digest('hex')}`);

/** The described form of `v`; `extra` describes values of other kinds first (pandas frames, say), or returns undefined. */
export function described(v: unknown, protocol = 4, extra?: (v: unknown, d: (x: unknown) => unknown) => unknown): unknown {
  const d = (x: unknown): unknown => described(x, protocol, extra);
  const mine = extra?.(v, d);
  if (mine !== undefined) return mine;
  const scalar = scalarForm(v);
  if (scalar !== undefined) return scalar;
  if (v instanceof PyTuple) return { tuple: v.map(d) };
  if (Array.isArray(v)) return { list: v.map(d) };
  if (v instanceof NdArray) {
    const raw = v.toCOrder();
    return {
      ndarray: {
        dtype: v.dtype.str,
        names: v.dtype.names === null ? null : [...v.dtype.names],
        shape: [...v.shape],
        data: raw === null ? null : digestOrHex(raw),
        objects: v.objects === null ? null : v.objects.map(d),
      },
    };
  }
  if (v instanceof NpScalar) return { npscalar: { dtype: v.dtype.str, data: hex(v.data!) } };
  if (v instanceof NpDtype) return { npdtype: v.str };
  if (v instanceof Map && !isReducible(v)) return { dict: [...v].map(([k, x]) => [d(k), d(x)]) };
  if (isReducible(v)) {
    const r = (v as { [REDUCE](p: number): Reduction | PyGlobal })[REDUCE](protocol);
    if (r instanceof PyGlobal) return { global: `${r.module} ${r.qualname}` };
    return {
      reduce: [
        d(r.callable),
        { tuple: [...r.args].map(d) },
        r.state === undefined || r.state === null ? null : d(r.state),
        r.listitems == null ? null : { list: [...r.listitems].map(d) },
        r.dictitems == null ? null : { list: [...r.dictitems].map(([k, x]) => ({ tuple: [d(k), d(x)] })) },
      ],
    };
  }
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [d(k), d(x)]) };
  throw new Error(`no described form for ${(v as object)?.constructor?.name ?? typeof v}`);
}

/** Expected JSON (floats as Python reprs) in the form `described` gives. */
export const expectedForm = (v: unknown): unknown => normalizeExpected(v);

/** Every fixture under corpus/realworld/<producer>/ with its JSON: [relative path, bytes path, json]. */
export function realworldFixtures(producer: string, accept: (name: string) => boolean): [string, string, Record<string, unknown>][] {
  const root = join(CORPUS, 'realworld', producer);
  const out: [string, string, Record<string, unknown>][] = [];
  let versions: string[] = [];
  try {
    versions = readdirSync(root).sort();
  } catch {
    return out;
  }
  for (const version of versions) {
    const dir = join(root, version);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!accept(name) || name.endsWith('.json')) continue;
      const json = join(dir, `${jsonStem(name)}.json`);
      out.push([`${version}/${name}`, join(dir, name), JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>]);
    }
  }
  return out;
}

/** `arrays.p4.joblib` → `arrays.p4`; `by_extension.joblib.gz` → `by_extension`; `frame.p4.pkl.gz` → `frame.p4`. */
function jsonStem(name: string): string {
  const m = /^(.*?)\.(joblib|pkl|pickle)(\.[a-z0-9]+)?$/.exec(name);
  return m === null ? name : m[1]!;
}

export interface HostileCase {
  readonly loader: 'loads' | 'loadJoblib' | 'loadPandas';
  readonly policy: string;
  readonly expect: 'ok' | 'refused' | 'malformed';
  readonly why: string;
}

/** What loading does, as a HostileCase's `expect` ('bug: …' for an error not ours). */
export async function loadOutcome(load: () => unknown): Promise<string> {
  return Promise.resolve()
    .then(load)
    .then(
      () => 'ok',
      (e: unknown) => (e instanceof RefusedGlobalError ? 'refused' : e instanceof PickleError ? 'malformed' : `bug: ${String(e)}`),
    );
}

/** The audit verdict each `expect` stands for. */
export const VERDICT_OF = { ok: 'safe', refused: 'unsafe', malformed: 'malformed' } as const;

/** corpus/realworld/hostile (gen_hostile.py) cases for one pack: [file name, bytes, case]. */
export function hostileCases(policy: string): [string, Uint8Array, HostileCase][] {
  const dir = join(CORPUS, 'realworld', 'hostile');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, HostileCase>;
  return Object.entries(manifest)
    .filter(([, c]) => c.policy === policy)
    .map(([name, c]) => [name, new Uint8Array(readFileSync(join(dir, name))), c]);
}
