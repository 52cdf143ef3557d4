/**
 * Policies built from packs (JSON data) plus reconstructors the host registers in TypeScript.
 * A policy is an immutable value: there is no process-wide registry. The hard deny list is checked
 * when the policy is built (a pack or registration naming a denied name is an error) and again at
 * every resolution.
 */
import { addShippedPack, PolicyError, type PolicyIssue } from '../errors.js';
import { PyGlobal } from '../model/global.js';
import { PyObject } from '../model/object.js';
import { violation } from './constraints.js';
import { denialOf } from './deny.js';
import { parsePack, type LoadedPack } from './pack.js';
import { PairMap } from './pairs.js';
import { KNOWN_DEFS } from './known.js';
import type { PackEntry, TypeSpec, Use } from './schema.js';
import { SHIPPED_IDS, SHIPPED_INDEX, SHIPPED_PACKS } from './shipped.js';
import { indexedEntries } from './shipped-index.js';
import {
  ReconstructorArgumentError,
  ReconstructorRefusal,
  ReconstructorUnsupported,
  type Policy,
  type PolicyUse,
  type Reconstructor,
  type ReconstructorDef,
  type ReconstructorParts,
} from './types.js';

export interface PolicyOptions {
  /** A name for messages; default: the pack ids joined with '+'. */
  readonly name?: string;
  /** Packs (parsed JSON objects or JSON strings), validated here. Packs they extend are looked up among these and the shipped packs. */
  readonly packs?: readonly unknown[];
  /** Reconstructor implementations the packs may name by id, beside the built-in ones. */
  readonly reconstructors?: readonly ReconstructorDef[];
  /**
   * Direct registrations, `name → capabilities`: the name is `module:qualname`, or `module.qualname`
   * split at the last dot. Each capability given (call, newObject, setState) is a use allowed.
   */
  readonly register?: Readonly<Record<string, ReconstructorParts>>;
  /**
   * Inspection mode: names the policy does not allow (denied ones included) resolve to inert
   * records instead of refusing: GLOBAL gives a `PyGlobal`, calls give `PyObject` records. Nothing
   * the policy does not allow is ever called. Default false.
   */
  readonly inspect?: boolean;
}

/** What a built policy exposes beyond resolution, for listing and diffing. */
export interface BuiltPolicy extends Policy {
  /** The packs in the policy (extended ones included), in the order they apply. */
  readonly packs: readonly { readonly id: string; readonly version: string; readonly digest: string }[];
  /** Every allowed name with its reconstructor id and uses. */
  readonly entries: readonly Readonly<PackEntry>[];
  readonly inspect: boolean;
}

/**
 * What building a policy may look up beyond what it is given, so a program bundles only what it uses:
 * `createPolicy` passes every built-in reconstructor and shipped pack, DEFAULT_POLICY only its own.
 * Refusal hints find every shipped entry in the small `SHIPPED_INDEX`, and quote it whole (with its
 * constraints) when the scope holds its pack.
 */
export interface PolicyScope {
  /** The built-in reconstructor defs packs may name by id. */
  readonly defs: readonly ReconstructorDef[];
  /** The packs an `extends` may name besides the given ones. */
  readonly packs: readonly LoadedPack[];
}

/** Every built-in reconstructor and shipped pack: what `createPolicy` looks up. */
const FULL_SCOPE: PolicyScope = { defs: KNOWN_DEFS, packs: SHIPPED_PACKS };

/** The reconstructor defs a policy knows: built-in ones plus the host's. */
function defsById(known: readonly ReconstructorDef[], extra: readonly ReconstructorDef[], issues: PolicyIssue[]): Map<string, ReconstructorDef> {
  const byId = new Map<string, ReconstructorDef>();
  for (const d of known) byId.set(d.id, d);
  extra.forEach((d, i) => {
    if (byId.has(d.id)) {
      issues.push({ path: `reconstructors[${i}]`, code: 'duplicate_reconstructor', message: `reconstructor id '${d.id}' is already defined` });
    } else byId.set(d.id, d);
  });
  return byId;
}

/** Packs in dependency order, with every `extends` satisfied by id, version and digest. */
function orderPacks(given: readonly LoadedPack[], shipped: readonly LoadedPack[], issues: PolicyIssue[]): LoadedPack[] {
  const ordered: LoadedPack[] = [];
  const placed = new Set<LoadedPack>();
  const find = (id: string, version: string): LoadedPack | undefined =>
    given.find((p) => p.pack.id === id && p.pack.version === version) ??
    shipped.find((p) => p.pack.id === id && p.pack.version === version);
  const visit = (p: LoadedPack, path: string, trail: readonly string[]): void => {
    if (placed.has(p)) return;
    if (trail.includes(p.pack.id)) {
      issues.push({ path, code: 'extends_cycle', message: `packs extend each other in a cycle: ${[...trail, p.pack.id].join(' → ')}` });
      return;
    }
    (p.pack.extends ?? []).forEach((ref, i) => {
      const where = `${path}.extends[${i}]`;
      const base = find(ref.id, ref.version);
      if (base === undefined) {
        issues.push({ path: where, code: 'missing_pack', message: `pack '${ref.id}' version ${ref.version} was not given and is not shipped` });
      } else if (base.digest !== ref.digest) {
        issues.push({
          path: where,
          code: 'digest_mismatch',
          message: `pack '${ref.id}' ${ref.version} has digest ${base.digest}, but this pack pins ${ref.digest}: the base pack changed; review it and update the pin`,
        });
      } else visit(base, `${ref.id}@${ref.version}`, [...trail, p.pack.id]);
    });
    placed.add(p);
    ordered.push(p);
  };
  given.forEach((p, i) => visit(p, `packs[${i}]`, []));
  return ordered;
}

/** `module:qualname`, or `module.qualname` split at the last dot. */
function splitName(name: string): [string, string] {
  const colon = name.indexOf(':');
  if (colon >= 0) return [name.slice(0, colon), name.slice(colon + 1)];
  const dot = name.lastIndexOf('.');
  return dot < 0 ? ['', name] : [name.slice(0, dot), name.slice(dot + 1)];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function checked(spec: TypeSpec | undefined, value: unknown, what: string, name: string): void {
  if (spec === undefined) return;
  const why = violation(spec, value, what);
  if (why !== undefined) throw new ReconstructorUnsupported(`the policy's constraint on ${name}: ${why}`);
}

/** The reconstructor a pack entry allows: only the capabilities its uses name, each behind its constraints. */
function bindEntry(entry: Readonly<PackEntry>, parts: ReconstructorParts): Reconstructor {
  const name = `${entry.module}.${entry.qualname}`;
  const uses = new Set<Use>(entry.uses);
  const rec: { -readonly [K in keyof Reconstructor]: Reconstructor[K] } = { module: entry.module, qualname: entry.qualname };
  const call = parts.call;
  if (uses.has('call') && call !== undefined) {
    rec.call = (args, context) => {
      checked(entry.args, args, 'args', name);
      return call(args, context);
    };
  }
  const newObject = parts.newObject;
  if (uses.has('new') && newObject !== undefined) {
    rec.newObject = (args, kwargs, context) => {
      checked(entry.args, args, 'args', name);
      if (kwargs !== null) checked(entry.kwargs, kwargs, 'kwargs', name);
      return newObject(args, kwargs, context);
    };
  }
  const setState = parts.setState;
  if (uses.has('state') && setState !== undefined) {
    rec.setState = (target, state, context) => {
      checked(entry.state, state, 'state', name);
      return setState(target, state, context);
    };
  }
  if (parts.reference !== undefined) rec.reference = parts.reference;
  return Object.freeze(rec);
}

function usesOf(parts: ReconstructorParts): Use[] {
  const uses: Use[] = [];
  if (parts.call) uses.push('call');
  if (parts.newObject) uses.push('new');
  if (parts.setState) uses.push('state');
  return uses.length ? uses : ['reference'];
}

/** Records whatever it is given and never calls anything: inspection mode's answer for names the policy lacks. */
export function inert(callable: unknown, module: string, qualname: string): Reconstructor {
  return Object.freeze({
    module,
    qualname,
    call: (args: readonly unknown[]) => new PyObject(callable, args, 'call'),
    newObject: (args: readonly unknown[], kwargs: ReadonlyMap<unknown, unknown> | null) => new PyObject(callable, args, 'new', kwargs),
    setState(target: unknown, state: unknown) {
      if (!(target instanceof PyObject)) throw new ReconstructorArgumentError('inspection records take state only on records');
      target.state = state;
      return target;
    },
  });
}

/**
 * The pack entry that would allow `use` of a name, as one line of JSON: the reconstructor the policy
 * already binds it to, else a shipped pack's for it (numpy's keeps an array an array), else the
 * built-in one of that name, else the generic `object` one.
 */
function suggestion(
  module: string,
  qualname: string,
  use: PolicyUse,
  known: ReadonlyMap<string, ReconstructorDef>,
  current: Readonly<PackEntry> | undefined,
  shipped: Readonly<PackEntry> | undefined,
): string {
  const last = qualname.slice(qualname.lastIndexOf('.') + 1);
  const id = current?.reconstructor ?? shipped?.reconstructor ?? (known.has(`${module}.${qualname}`) ? `${module}.${qualname}` : 'object');
  if (current === undefined && shipped !== undefined && allows(shipped, use)) return JSON.stringify(shipped);
  const wanted: PolicyUse[] =
    use === 'reference' ? (/^[A-Z]/.test(last) ? ['new', 'state'] : ['call']) : use === 'state' ? ['new', 'state'] : [use];
  const uses = [...new Set([...(current?.uses ?? []), ...wanted])];
  return JSON.stringify({ module, qualname, reconstructor: id, uses });
}

/** Whether a pack entry allows `use` (naming a name is allowed with any use). */
const allows = (entry: Readonly<PackEntry>, use: PolicyUse): boolean => use === 'reference' || entry.uses.includes(use);

/**
 * A shipped pack outside `packs` (by id and version) with an entry for the name, one that allows `use`
 * if there is one: the pack's own entry when `scope` holds the pack, else the index's (no constraints).
 */
function shippedEntry(module: string, qualname: string, use: PolicyUse, packs: readonly LoadedPack[], scope: PolicyScope): { id: string; entry: Readonly<PackEntry> } | undefined {
  const same = (p: LoadedPack, [id, version]: readonly [string, string]) => p.pack.id === id && p.pack.version === version;
  const outside = indexedEntries(SHIPPED_INDEX, module, qualname)
    .filter(({ pack }) => !packs.some((p) => same(p, SHIPPED_IDS[pack]!)))
    .map(({ pack, entry }) => ({
      id: SHIPPED_IDS[pack]![0],
      entry: scope.packs.find((p) => same(p, SHIPPED_IDS[pack]!))?.pack.entries.find((e) => e.module === module && e.qualname === qualname) ?? entry,
    }));
  return outside.find((h) => allows(h.entry, use)) ?? outside[0];
}

/**
 * Build an immutable policy. Throws `PolicyError` listing every problem (with paths) when a pack is
 * invalid, an `extends` pin does not match, a reconstructor id is unknown, or a name is denied.
 */
export function createPolicy(options: PolicyOptions = {}): BuiltPolicy {
  return createScopedPolicy(FULL_SCOPE, options);
}

/** `createPolicy` looking up only what `scope` holds. */
export function createScopedPolicy(scope: PolicyScope, options: PolicyOptions = {}): BuiltPolicy {
  const issues: PolicyIssue[] = [];
  const loaded: LoadedPack[] = [];
  (options.packs ?? []).forEach((json, i) => {
    try {
      loaded.push(isLoaded(json) ? json : parsePack(json, `packs[${i}]`));
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      issues.push(...(e.issues.length ? e.issues : [{ path: `packs[${i}]`, code: e.code, message: e.message }]));
    }
  });
  return build(scope, loaded, options, issues);
}

const isLoaded = (json: unknown): json is LoadedPack => json instanceof Object && 'pack' in json && 'digest' in json;

/**
 * `createScopedPolicy` for packs already validated (the shipped ones): it parses nothing, so a program
 * that builds its policies this way never loads the pack schema.
 */
export function policyFromPacks(scope: PolicyScope, packs: readonly LoadedPack[], options: Omit<PolicyOptions, 'packs'> = {}): BuiltPolicy {
  return build(scope, packs, options, []);
}

function build(scope: PolicyScope, loaded: readonly LoadedPack[], options: Omit<PolicyOptions, 'packs'>, issues: PolicyIssue[]): BuiltPolicy {
  const defs = defsById(scope.defs, options.reconstructors ?? [], issues);
  const packs = orderPacks(loaded, scope.packs, issues);

  const byName = new PairMap<Reconstructor>();
  const entries: Readonly<PackEntry>[] = [];
  const origin = new PairMap<string>();
  const viaGetattr = new PairMap<true>();
  for (const { pack } of packs) {
    pack.entries.forEach((entry, i) => {
      const path = `${pack.id}.entries[${i}]`;
      const def = defs.get(entry.reconstructor);
      if (def === undefined) {
        issues.push({ path: `${path}.reconstructor`, code: 'unknown_reconstructor', message: `no reconstructor '${entry.reconstructor}' is built in or registered` });
        return;
      }
      const earlier = origin.get(entry.module, entry.qualname);
      if (earlier !== undefined) {
        const before = entries.find((e) => e.module === entry.module && e.qualname === entry.qualname)!;
        // Notes are documentation (the shipped packs carry none): entries that differ only there agree.
        if (JSON.stringify({ ...before, note: undefined }) !== JSON.stringify({ ...entry, note: undefined })) {
          issues.push({ path, code: 'conflicting_entry', message: `${entry.module}.${entry.qualname} is already allowed differently by ${earlier}` });
        }
        return;
      }
      origin.set(entry.module, entry.qualname, path);
      entries.push(entry);
      byName.set(entry.module, entry.qualname, bindEntry(entry, def.bind(entry.module, entry.qualname)));
      if (entry.via === 'getattr') viaGetattr.set(entry.module, entry.qualname, true);
    });
  }
  for (const [name, parts] of Object.entries(options.register ?? {})) {
    const [module, qualname] = splitName(name);
    const path = `register['${name}']`;
    if (!NAME.test(module) || !NAME.test(qualname)) {
      issues.push({ path, code: 'invalid_name', message: 'a registration needs an exact module and qualname (module:qualname or module.qualname)' });
      continue;
    }
    const denied = denialOf(module, qualname);
    if (denied !== undefined) {
      issues.push({ path, code: 'denied_name', message: `${module}.${qualname}: ${denied}; no registration can allow it` });
      continue;
    }
    if (origin.has(module, qualname)) {
      issues.push({ path, code: 'conflicting_entry', message: `${module}.${qualname} is already allowed by ${origin.get(module, qualname)}` });
      continue;
    }
    const entry: PackEntry = { module, qualname, reconstructor: `register:${name}`, uses: usesOf(parts) };
    origin.set(module, qualname, path);
    entries.push(entry);
    byName.set(module, qualname, Object.freeze({ module, qualname, ...parts }));
  }
  if (issues.length) throw new PolicyError('invalid_policy', 'the policy cannot be built', issues);

  // builtins.getattr can never be allowed; pairs named `via: "getattr"` get a gate that yields only them.
  const gate: Reconstructor | undefined = entries.some((e) => e.via === 'getattr')
    ? Object.freeze({
        module: 'builtins',
        qualname: 'getattr',
        call(args: readonly unknown[]) {
          const [target, attribute] = args;
          if (args.length !== 2 || !(target instanceof PyGlobal) || typeof attribute !== 'string') {
            throw new ReconstructorArgumentError('getattr is allowed only as getattr(Class, "attribute") for pairs the policy names');
          }
          const qualname = `${target.qualname}.${attribute}`;
          if (!viaGetattr.has(target.module, qualname)) throw new ReconstructorRefusal(target.module, qualname, 'reference');
          return new PyGlobal(target.module, qualname);
        },
      })
    : undefined;

  const inspect = options.inspect === true;
  const name = options.name ?? (packs.map((p) => p.pack.id).join('+') || (entries.length ? 'registered' : 'empty'));
  const policy: BuiltPolicy = {
    name,
    inspect,
    packs: Object.freeze(packs.map((p) => Object.freeze({ id: p.pack.id, version: p.pack.version, digest: p.digest }))),
    entries: Object.freeze(entries),
    resolve(module: string, qualname: string): Reconstructor | undefined {
      if (gate !== undefined && module === 'builtins' && qualname === 'getattr') return gate;
      const found = denialOf(module, qualname) === undefined ? byName.get(module, qualname) : undefined;
      if (found !== undefined || !inspect) return found;
      return inert(new PyGlobal(module, qualname), module, qualname);
    },
    resolveCallable: inspect ? (callable: unknown) => inert(callable, '', '<call result>') : undefined,
    explain(module: string, qualname: string, use: PolicyUse) {
      const denied = denialOf(module, qualname);
      if (denied !== undefined) return { reason: denied };
      const current = entries.find((e) => e.module === module && e.qualname === qualname);
      // A name a shipped pack (numpy, pytorch-state-dict, …) allows: say which, the usual fix.
      const shipped = current === undefined ? shippedEntry(module, qualname, use, packs, scope) : undefined;
      const reason = current
        ? `the policy '${name}' allows ${module}.${qualname} but not for '${use}'`
        : `${module}.${qualname} is not in the policy '${name}'${shipped ? ` (the shipped pack '${shipped.id}' allows it: ${addShippedPack(shipped.id)})` : ''}`;
      return { reason, allowWith: suggestion(module, qualname, use, defs, current, shipped?.entry), ...(shipped ? { shippedPack: shipped.id } : {}) };
    },
  };
  return Object.freeze(policy);
}
