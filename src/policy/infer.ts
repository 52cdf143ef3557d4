/**
 * Drafting a pack from trusted samples (`pickleguard policy infer`, the inspector's "draft a pack"):
 * each sample is loaded in inspection mode, so nothing in it runs, and every global it names is
 * noted with how it is used (call, new, state, reference).
 */
import { EndOfInputError, PickleError } from '../errors.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { denialOf } from './deny.js';
import { KNOWN_DEFS } from './known.js';
import type { LoadedPack } from './pack.js';
import { createPolicy } from './registry.js';
import type { PackEntry, PackRef, Use } from './schema.js';
import type { Policy, Reconstructor } from './types.js';

export interface InferSample {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface InferOptions {
  /** The pack id (default "inferred"). */
  readonly id?: string;
  /** The pack version (default "0.1.0"). */
  readonly version?: string;
  /** A pack to extend, pinned by digest; names it allows are left out. */
  readonly base?: LoadedPack;
}

export interface DraftPack {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly extends?: PackRef[];
  readonly entries: PackEntry[];
}

export interface InferResult {
  readonly pack: DraftPack;
  /** Per sample, in order: how many pickles loaded, and the error that stopped it, if any. */
  readonly samples: { readonly name: string; readonly pickles: number; readonly error?: PickleError }[];
  /** Names on the hard deny list: left out of the pack. */
  readonly denied: { readonly name: string; readonly files: readonly string[]; readonly why: string }[];
}

interface Observed {
  module: string;
  qualname: string;
  uses: Set<Use>;
  files: Set<string>;
}

/** A policy that answers like `base` in inspection mode and notes every name and use. */
function recording(base: Policy, seen: Map<string, Observed>, file: () => string): Policy {
  const note = (module: string, qualname: string, use: Use | null): void => {
    const key = `${module}\n${qualname}`;
    let o = seen.get(key);
    if (o === undefined) seen.set(key, (o = { module, qualname, uses: new Set(), files: new Set() }));
    if (use !== null) o.uses.add(use);
    o.files.add(file());
  };
  return {
    name: base.name,
    resolve(module, qualname) {
      const rec = base.resolve(module, qualname);
      if (rec === undefined) return undefined;
      note(module, qualname, null);
      const wrapped: { -readonly [K in keyof Reconstructor]: Reconstructor[K] } = { module: rec.module, qualname: rec.qualname };
      const { call, newObject, setState } = rec;
      if (call) wrapped.call = (args, ctx) => (note(module, qualname, 'call'), call(args, ctx));
      if (newObject) wrapped.newObject = (args, kw, ctx) => (note(module, qualname, 'new'), newObject(args, kw, ctx));
      if (setState) wrapped.setState = (t, s, ctx) => (note(module, qualname, 'state'), setState(t, s, ctx));
      return wrapped;
    },
    resolveCallable: base.resolveCallable,
  };
}

/** Drafts a pack allowing what the samples use (every pickle of each), nothing more. */
export function inferPack(samples: Iterable<InferSample>, options: InferOptions = {}): InferResult {
  const basePack = options.base;
  const basePolicy = createPolicy({ packs: basePack ? [basePack] : [], inspect: true });
  const seen = new Map<string, Observed>();
  let current = '';
  const policy = recording(basePolicy, seen, () => current);
  const read: { name: string; pickles: number; error?: PickleError }[] = [];
  for (const sample of samples) {
    current = sample.name;
    const unpickler = new Unpickler(sample.bytes, { policy, persistentLoad: (pid) => pid });
    let count = 0;
    let error: PickleError | undefined;
    for (;;) {
      try {
        unpickler.load();
        count++;
      } catch (e) {
        if (e instanceof EndOfInputError) break;
        if (!(e instanceof PickleError)) throw e;
        error = e;
        break;
      }
    }
    read.push({ name: sample.name, pickles: count, ...(error ? { error } : {}) });
  }
  // What the base allows as loading resolves it: its entries, and the getattr gate of its `via: "getattr"` pairs.
  const strictBase = createPolicy({ packs: basePack ? [basePack] : [] });
  const known = new Set(KNOWN_DEFS.map((d) => d.id));
  const entries: PackEntry[] = [];
  const denied: InferResult['denied'][number][] = [];
  for (const [, o] of [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (strictBase.resolve(o.module, o.qualname) !== undefined) continue;
    const name = `${o.module}.${o.qualname}`;
    const why = denialOf(o.module, o.qualname);
    if (why !== undefined) {
      denied.push({ name, files: [...o.files], why });
      continue;
    }
    const order: Use[] = ['call', 'new', 'state'];
    const uses = order.filter((u) => o.uses.has(u));
    entries.push({ module: o.module, qualname: o.qualname, reconstructor: known.has(name) ? name : 'object', uses: uses.length ? uses : ['reference'] });
  }
  const n = read.length;
  const pack: DraftPack = {
    id: options.id ?? 'inferred',
    version: options.version ?? '0.1.0',
    description: `Drafted by pickleguard policy infer from ${n} sample file${n === 1 ? '' : 's'}; review before use.`,
    ...(basePack ? { extends: [{ id: basePack.pack.id, version: basePack.pack.version, digest: basePack.digest }] } : {}),
    entries,
  };
  return { pack, samples: read, denied };
}
