/**
 * The auditor: what loading a pickle would do, found by loading it. There is one reader: the
 * verdict comes from running the loader's own Machine (the same argument decoding, framing, memo,
 * limits and policy checks as `loads`) over every pickle in the input, the memo carried over as
 * `Unpickler` carries it. Nothing runs but the policy's reconstructors, which are inert TypeScript.
 * A listener on the Machine records every global and call site as the load meets them.
 *
 * When the load stops early (a refusal, or bad input), the input is read a second time with a
 * listing policy: names the policy refuses (and arguments it will not take, persistent ids and
 * buffers nobody provides) become inert records, so the listing goes on past them and names
 * everything the rest of the input reaches. Badly framed input is also read frame-blind, as
 * CPython's C unpickler reads it, and past the point where the input is malformed a sweep
 * (sweep.ts) names what a more lenient reader would reach. Those passes only list; the verdict is
 * the first pass's outcome: `safe` when every pickle loads, `unsafe` when the policy refuses, and
 * `malformed` for anything else loading would throw (bad or truncated input, limits, a persistent
 * id or out-of-band buffer nobody provides).
 */
import { EndOfInputError, LimitExceededError, PickleError, RefusedGlobalError } from '../errors.js';
import { PyGlobal } from '../model/global.js';
import { PyObject } from '../model/object.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import { denialOf } from '../policy/deny.js';
import { fixImport } from '../policy/compat.js';
import { inert } from '../policy/registry.js';
import type { Policy, Reconstructor } from '../policy/types.js';
import { Machine, type MachineObserver } from '../unpickler/machine.js';
import { resolveOptions, type LoadOptions } from '../unpickler/options.js';
import { run } from '../unpickler/unpickler.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { dangerOf, type Severity } from './catalogue.js';
import { joblibPolicy } from './joblib.js';
import { sweepNames } from './sweep.js';

export type Verdict = 'safe' | 'unsafe' | 'malformed';

/** How a global was reached. */
export type GlobalVia = 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'EXT' | 'getattr';

export interface AuditGlobal {
  readonly module: string;
  readonly qualname: string;
  /** Offset of the opcode that named it. */
  readonly offset: number;
  readonly via: GlobalVia;
  /** For EXT1/2/4: the extension code. */
  readonly extCode?: number;
  /** Whether the policy resolves the name. */
  readonly allowed: boolean;
  /**
   * True for a name found past the point where the input turned out malformed, by reading on as a
   * more lenient reader might (CPython's pure-Python unpickler takes some input the loader rejects).
   */
  readonly swept?: boolean;
}

export interface AuditCall {
  readonly offset: number;
  readonly opcode: string;
  /** The callable (`module.qualname`), or null when emulation cannot tell (a computed callable). */
  readonly callable: string | null;
}

export interface Finding {
  readonly severity: Severity;
  /** Stable rule id (see RULES). */
  readonly rule: RuleId;
  readonly message: string;
  readonly offset: number;
  readonly opcode?: string;
  /** The global concerned, when there is one. */
  readonly name?: string;
  readonly category?: string;
}

export interface AuditedPickle {
  readonly start: number;
  /** Offset just after its STOP (or where the scan stopped). */
  readonly end: number;
  readonly protocol: number;
  readonly opcodes: number;
}

export interface AuditReport {
  readonly verdict: Verdict;
  readonly policy: string;
  readonly bytes: number;
  readonly pickles: readonly AuditedPickle[];
  readonly globals: readonly AuditGlobal[];
  readonly calls: readonly AuditCall[];
  readonly findings: readonly Finding[];
}

/**
 * Options of `audit`: the loader's options (policy, limits, encoding, extensions, persistentLoad,
 * buffers, …), since the verdict is what loading with them would do, and the auditor's own.
 */
export interface AuditOptions extends Omit<LoadOptions, 'exact' | 'dicts' | 'zeroCopy'> {
  /** The policy to judge against. Default: the default policy. An inspection-mode policy is refused (it allows everything). */
  policy?: Policy;
  /** Most pickles read in one input (default 10,000); more is `malformed`. */
  maxPickles?: number;
  /**
   * Read only the first pickle, as `pickle.loads` (and numpy's and torch's readers, one pickle per
   * call) do: bytes after its STOP are not read and are no finding. `pickles[0].end` says where it
   * ended. Default false: every pickle in the input, the memo carried over, as `Unpickler` reads them.
   */
  firstOnly?: boolean;
  /**
   * Read the input as `joblib.load` does: after the BUILD of a joblib `NumpyArrayWrapper`, the raw
   * array bytes joblib reads there are read (sized from the wrapper's shape and dtype), or the
   * separate pickle of an object array. Default false: read as `pickle.load` does.
   */
  joblib?: boolean;
}

export const RULES = {
  PG001: 'dangerous-global',
  PG002: 'not-allowed-by-policy',
  PG005: 'extension-code',
  PG006: 'use-not-allowed',
  PG007: 'malformed',
  PG008: 'several-pickles',
  PG009: 'persistent-id',
  PG010: 'limit-exceeded',
  PG011: 'container-format',
} as const;
export type RuleId = keyof typeof RULES;


/** How each opcode byte reaches a global. */
const VIA: Readonly<Record<number, GlobalVia>> = { 0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x69: 'INST', 0x82: 'EXT', 0x83: 'EXT', 0x84: 'EXT' };

/** Records the names and call sites a run meets, judged against the policy being audited for. */
class Listing implements MachineObserver {
  readonly globals: AuditGlobal[] = [];
  readonly calls: AuditCall[] = [];
  readonly persistentIds: number[] = [];
  readonly #judged = new Map<string, Map<string, boolean>>();

  constructor(private readonly policy: Policy) {}

  allowed(module: string, qualname: string): boolean {
    let inModule = this.#judged.get(module);
    if (inModule === undefined) this.#judged.set(module, (inModule = new Map()));
    let allowed = inModule.get(qualname);
    if (allowed === undefined) inModule.set(qualname, (allowed = this.policy.resolve(module, qualname) !== undefined));
    return allowed;
  }

  global(module: string, qualname: string, offset: number, opcode: number, extCode: number | undefined): void {
    const g: AuditGlobal = { module, qualname, offset, via: VIA[opcode] ?? 'getattr', allowed: this.allowed(module, qualname) };
    this.globals.push(extCode === undefined ? g : { ...g, extCode });
  }

  call(opcode: string, offset: number, callable: unknown): void {
    this.calls.push({ offset, opcode, callable: callable instanceof PyGlobal ? `${callable.module}.${callable.qualname}` : null });
  }

  persistent(offset: number): void {
    this.persistentIds.push(offset);
  }
}

/** How far a run over the input got: the pickles it read and the error that stopped it, if any. */
interface Run {
  readonly listing: Listing;
  readonly pickles: AuditedPickle[];
  readonly error: PickleError | null;
}

/** Load every pickle of `bytes` as `Unpickler` does (or only the first), telling `listing` what happens. */
function loadAll(bytes: Uint8Array, options: LoadOptions, listing: Listing, firstOnly: boolean, maxPickles: number, frames: 'strict' | 'ignore' | 'restart' = 'strict'): Run {
  const pickles: AuditedPickle[] = [];
  const m = new Machine(bytes, resolveOptions(options));
  m.observer = listing;
  m.ignoreFrames = frames === 'ignore';
  m.restartFrames = frames === 'restart';
  if (bytes.length === 0) return { listing, pickles, error: new EndOfInputError({ offset: 0 }) };
  while (m.pos < m.end) {
    const start = m.pos;
    if (pickles.length >= maxPickles) {
      const error = new LimitExceededError('maxPickles', maxPickles, 'too many pickles in one input', { offset: start });
      return { listing, pickles, error };
    }
    try {
      run(m);
    } catch (e) {
      if (!(e instanceof PickleError)) throw e;
      pickles.push({ start, end: Math.max(m.pos, (e.offset ?? m.pos) + 1), protocol: m.proto, opcodes: m.ops });
      return { listing, pickles, error: e };
    }
    pickles.push({ start, end: m.pos, protocol: m.proto, opcodes: m.ops });
    if (firstOnly) break;
  }
  return { listing, pickles, error: null };
}

/**
 * The policy of the listing pass: the audited policy's reconstructors where it allows a name (so
 * values are built as loading builds them), and an inert record where it does not (so the pass goes
 * on past the refusal and lists what follows).
 */
function listingPolicy(policy: Policy): Policy {
  return {
    name: policy.name,
    resolve: (module: string, qualname: string): Reconstructor => {
      const stand = inert(new PyGlobal(module, qualname), module, qualname);
      const rec = policy.resolve(module, qualname);
      return rec === undefined ? stand : orInert(rec, stand);
    },
    resolveCallable: (callable: unknown): Reconstructor => policy.resolveCallable?.(callable) ?? inert(callable, '', '<call result>'),
  };
}

/**
 * An allowed reconstructor for the listing pass: where it refuses its arguments (or fails on them),
 * an inert record takes the value's place, as CPython's reader would go on with whatever the real
 * callable returned.
 */
function orInert(rec: Reconstructor, stand: Reconstructor): Reconstructor {
  return {
    ...rec,
    ...(rec.call && { call: (args, context) => attempt(() => rec.call!(args, context), () => stand.call!(args, context)) }),
    ...(rec.newObject && {
      newObject: (args, kwargs, context) => attempt(() => rec.newObject!(args, kwargs, context), () => stand.newObject!(args, kwargs, context)),
    }),
    ...(rec.setState && { setState: (target, state, context) => attempt(() => rec.setState!(target, state, context), () => target) }),
  };
}

/** The listing pass's persistentLoad: the host's where it takes the id, an inert record where it does not (or there is none). */
function listingLoader(load: ((pid: unknown) => unknown) | null): (pid: unknown) => unknown {
  const stand = (pid: unknown): unknown => new PyObject(new PyGlobal('', '<persistent id>'), [pid]);
  if (load === null) return stand;
  return (pid: unknown) => attempt(() => load(pid), () => stand(pid));
}

/** `run()`, or `instead()` where it throws: the listing pass reads on where loading would stop. */
function attempt<T>(run: () => T, instead: () => T): T {
  try {
    return run();
  } catch {
    return instead();
  }
}

/** Empty buffers, as many as NEXT_BUFFER asks for. */
function* endlessBuffers(): Generator<Uint8Array> {
  for (;;) yield new Uint8Array(0);
}

/** Errors of framing: a frame's end crossed, frames nested, a frame longer than the input. */
function isFraming(e: PickleError): boolean {
  return e.code.startsWith('frame_') || (e.opcode?.name === 'FRAME' && e.code === 'truncated');
}

/** The rule a loading error is reported under, and its severity. */
function ruleOf(e: PickleError): [RuleId, Severity] {
  if (e instanceof RefusedGlobalError) return ['PG006', 'high'];
  if (e instanceof LimitExceededError) return ['PG010', 'high'];
  if (e.code === 'unregistered_extension') return ['PG005', 'high'];
  return ['PG007', 'medium'];
}

/** A PickleError's message without the " (at byte …)" the finding's offset already says. */
function bare(e: PickleError): string {
  return e.message.replace(/ \(at byte \d+[^)]*\)$/, '');
}

/** Audit `bytes` (one or more pickles in a row) against a policy. Never throws for bad input: that is the `malformed` verdict. */
export function audit(bytes: Uint8Array, options: AuditOptions = {}): AuditReport {
  const policy = options.policy ?? DEFAULT_POLICY;
  if ((policy as { inspect?: boolean }).inspect === true) {
    throw new TypeError('audit needs a policy that refuses: an inspection-mode policy allows every name');
  }
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`audit expects the input as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const { maxPickles = 10_000, firstOnly = false, joblib = false, ...rest } = options;
  // joblib: the wrappers' reconstructors read each array's bytes after their BUILD, as joblib.load does.
  const load: LoadOptions = { ...rest, policy: joblib ? joblibPolicy(policy) : policy, zeroCopy: true };
  const findings: Finding[] = [];

  // The verdict: load it.
  const first = loadAll(bytes, load, new Listing(policy), firstOnly, maxPickles);
  const verdict: Verdict = first.error === null ? 'safe' : first.error instanceof RefusedGlobalError ? 'unsafe' : 'malformed';
  // The listing: when the load stopped early, everything the rest of the input reaches.
  // (persistent ids and out-of-band buffers nobody provides become inert records there too).
  const listingLoad: LoadOptions = {
    ...load,
    // joblib: arrays are read after refused wrappers too, so that what follows them is listed.
    policy: joblib ? joblibPolicy(listingPolicy(policy)) : listingPolicy(policy),
    persistentLoad: listingLoader(load.persistentLoad ?? null),
    buffers: load.buffers ?? endlessBuffers(),
  };
  const listed = first.error === null ? first : loadAll(bytes, listingLoad, new Listing(policy), firstOnly, maxPickles);
  const { globals, calls } = listed.listing;
  let pickles = listed.pickles;
  if (listed.error !== null && isFraming(listed.error)) {
    // Badly framed input: readers disagree on it, so the names the C unpickler reaches are listed
    // too, both as `pickle.loads` reads (frame ends ignored) and as `pickle.load(file)` reads (a read
    // crossing a frame's end starts again after it).
    const seen = new Set(globals.map((g) => `${g.offset} ${g.module}\n${g.qualname}`));
    const calledAt = new Set(calls.map((c) => `${c.offset} ${c.opcode}`));
    for (const frames of ['ignore', 'restart'] as const) {
      const other = loadAll(bytes, listingLoad, new Listing(policy), firstOnly, maxPickles, frames);
      if (other.pickles.length > pickles.length) pickles = other.pickles;
      for (const g of other.listing.globals) {
        const key = `${g.offset} ${g.module}\n${g.qualname}`;
        if (!seen.has(key)) seen.add(key), globals.push(g);
      }
      for (const c of other.listing.calls) {
        const key = `${c.offset} ${c.opcode}`;
        if (!calledAt.has(key)) calledAt.add(key), calls.push(c);
      }
    }
    globals.sort((a, b) => a.offset - b.offset);
    calls.sort((a, b) => a.offset - b.offset);
  }
  const stop = listed.error;
  if (stop !== null && !(stop instanceof LimitExceededError) && (stop.offset ?? bytes.length) < bytes.length) {
    // Where the loader finds the input malformed, a more lenient reader may read on: name what it would reach.
    const from = stop.offset ?? 0;
    const known = new Set(globals.map((g) => `${g.offset} ${g.module}\n${g.qualname}`));
    // Read from the first pickle on: the memo carries over from pickle to pickle, so a name built from
    // memo entries in a later one is only right with the earlier ones' entries in place.
    const firstStart = pickles.length ? pickles[0]!.start : 0;
    const swept = sweepNames(bytes, firstStart, from, load.maxOps ?? DEFAULT_LIMITS.maxOps, firstOnly);
    const lastEnd = pickles.length ? pickles[pickles.length - 1]!.end : 0;
    pickles = [...pickles, ...swept.pickles.filter((p) => p.start >= lastEnd)];
    for (const n of swept.names) {
      // Below protocol 3 the Python 2 renames apply; where the sweep cannot tell the protocol (-1), both names.
      const names = [n.protocol < 3 && load.fixImports !== false ? fixImport(n.module, n.qualname) : [n.module, n.qualname]];
      if (n.protocol < 0) names.push([n.module, n.qualname]);
      for (const [module, qualname] of names) {
        const key = `${n.offset} ${module}\n${qualname}`;
        if (known.has(key)) continue;
        known.add(key);
        globals.push({ module, qualname, offset: n.offset, via: VIA[n.opcode]!, allowed: listed.listing.allowed(module, qualname), swept: true });
      }
    }
    globals.sort((a, b) => a.offset - b.offset);
  }

  for (const g of globals) {
    if (g.allowed) continue;
    const name = `${g.module}.${g.qualname}`;
    const danger = dangerOf(g.module, g.qualname);
    const denied = denialOf(g.module, g.qualname);
    if (danger) {
      findings.push({ severity: danger.severity, rule: 'PG001', message: `${name}: ${danger.category}${denied ? ' (on the hard deny list)' : ''}`, offset: g.offset, name, category: danger.category });
    } else {
      findings.push({ severity: denied ? 'high' : 'medium', rule: 'PG002', message: `${name} is not allowed by the policy '${policy.name}'${denied ? ` (${denied})` : ''}`, offset: g.offset, name });
    }
  }
  const e = first.error;
  if (e !== null) {
    const offset = e.offset ?? 0;
    // A refused name is already a finding; a refused use or argument is one of its own.
    const named = e instanceof RefusedGlobalError && e.message.startsWith('global ') && globals.some((g) => g.offset === offset && !g.allowed);
    if (!named) {
      const [rule, severity] = ruleOf(e);
      findings.push({ severity, rule, message: bare(e), offset, opcode: e.opcode?.name, ...(e instanceof RefusedGlobalError ? { name: `${e.module}.${e.qualname}` } : {}) });
    }
  }
  const after = listed.error;
  if (after !== null && !(after instanceof RefusedGlobalError) && (e === null || after.offset !== e.offset || after.code !== e.code)) {
    // The listing pass went past the refusal and then found the input malformed as well.
    const [rule, severity] = ruleOf(after);
    findings.push({ severity, rule, message: bare(after), offset: after.offset ?? 0, opcode: after.opcode?.name });
  }
  pickles.forEach((p, i) => {
    if (i > 0) findings.push({ severity: 'info', rule: 'PG008', message: `another pickle starts after the STOP at ${p.start - 1}; it was read too, with the memo carried over`, offset: p.start });
  });
  for (const offset of listed.listing.persistentIds) {
    findings.push({ severity: 'info', rule: 'PG009', message: "a persistent id: the loader hands it to its persistentLoad (PyTorch uses these for tensor storages)", offset });
  }
  findings.sort((a, b) => a.offset - b.offset);
  return { verdict, policy: policy.name, bytes: bytes.length, pickles, globals, calls, findings };
}
