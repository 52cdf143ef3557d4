/**
 * The static auditor: what a pickle would do, found without building a value or calling anything.
 * It walks every pickle in the input (data after a STOP too) with `genops`, emulates the stack and
 * the memo over symbols (strings, globals, tuples, call results), and reports every global with how
 * it was reached, every call site with its callable, findings ranked by a catalogue of dangerous
 * names, and a verdict against a policy. It fails closed: a scan that cannot finish is `malformed`,
 * never `safe`.
 */
import { PickleError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { HIGHEST_PROTOCOL, OP, type OpcodeInfo } from '../opcodes.js';
import { fixImport } from '../policy/compat.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import { denialOf } from '../policy/deny.js';
import type { Policy } from '../policy/types.js';
import { dangerOf, type Severity } from './catalogue.js';
import { OpReader, type GenOp } from './genops.js';
import { joblibArray, JOBLIB_WRAPPERS } from './joblib.js';
import { dictSet, NONE, OTHER, result, type DictSym, type ResultSym, type Sym } from './symbols.js';

export type Verdict = 'safe' | 'unsafe' | 'malformed';

/** How a global was reached. */
export type GlobalVia = 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'EXT' | 'getattr';

export interface AuditGlobal {
  readonly module: string;
  readonly qualname: string;
  /** Offset of the opcode that named it. */
  readonly offset: number;
  readonly via: GlobalVia;
  /** For STACK_GLOBAL: the offsets of the opcodes that pushed the module and name strings (through the memo too). */
  readonly builtFrom?: readonly number[];
  /** For EXT1/2/4: the extension code. */
  readonly extCode?: number;
  /** Whether the policy resolves the name. */
  readonly allowed: boolean;
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

export interface AuditOptions {
  /** The policy to judge against. Default: the default policy. An inspection-mode policy is refused (it allows everything). */
  policy?: Policy;
  /** Apply CPython's Python 2 renames below protocol 3, as the loader does. Default true. */
  fixImports?: boolean;
  /** Extension registry, as the loader's `extensions` option: EXT codes then name globals. */
  extensions?: ReadonlyMap<number, readonly [string, string]> | null;
  /** Most opcodes scanned in all (default: the loader's maxOps). */
  maxOps?: number;
  /** Most pickles scanned in one input (default 10,000). */
  maxPickles?: number;
  /**
   * Read only the first pickle, as `pickle.loads` (and numpy's and torch's readers, one pickle per
   * call) do: bytes after its STOP are not read and are no finding. `pickles[0].end` says where it
   * ended. Default false: every pickle in the input, the memo carried over, as `Unpickler` reads them.
   */
  firstOnly?: boolean;
  /** Resolves PERSID / BINPERSID ids, as the loader's option: the verdict is what loading with it would do. Default none. */
  persistentLoad?: ((pid: unknown) => unknown) | null;
  /** Out-of-band buffers for NEXT_BUFFER, as the loader's option. Default none. */
  buffers?: Iterable<Uint8Array> | null;
  /**
   * Read the input as `joblib.load` does: after the BUILD of a joblib `NumpyArrayWrapper`, skip the
   * raw array bytes joblib reads there (sized from the wrapper's shape and dtype), or scan the
   * separate pickle of an object array. Default false: read as `pickle.load` does.
   */
  joblib?: boolean;
}

export const RULES = {
  PG001: 'dangerous-global',
  PG002: 'not-allowed-by-policy',
  PG003: 'computed-global',
  PG004: 'computed-callable',
  PG005: 'extension-code',
  PG006: 'use-not-allowed',
  PG007: 'malformed',
  PG008: 'several-pickles',
  PG009: 'persistent-id',
  PG010: 'limit-exceeded',
  PG011: 'container-format',
} as const;
export type RuleId = keyof typeof RULES;

const MARK = Symbol('mark');
type Slot = Sym | typeof MARK;

/** Opcodes that push a str, by byte. */
const STRING_OPS = new Uint8Array(256);
for (const code of [OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8, OP.UNICODE, OP.STRING, OP.BINSTRING, OP.SHORT_BINSTRING]) STRING_OPS[code] = 1;
/** Opcodes that change the container below them in place: the container stays on the stack. */
const IN_PLACE = new Set(['APPEND', 'APPENDS', 'SETITEM', 'SETITEMS', 'ADDITEMS', 'BUILD']);
/** Memo indices up to this far past the dense part are stored densely; farther ones in a Map. */
const DENSE_GAP = 1 << 16;

class Malformed extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Audit `bytes` (one or more pickles in a row) against a policy. Never throws for bad input: that is the `malformed` verdict. */
export function audit(bytes: Uint8Array, options: AuditOptions = {}): AuditReport {
  const policy = options.policy ?? DEFAULT_POLICY;
  if ((policy as { inspect?: boolean }).inspect === true) {
    throw new TypeError('audit needs a policy that refuses: an inspection-mode policy allows every name');
  }
  const fixImports = options.fixImports ?? true;
  const maxOps = options.maxOps ?? DEFAULT_LIMITS.maxOps;
  const maxPickles = options.maxPickles ?? 10_000;
  const globals: AuditGlobal[] = [];
  const calls: AuditCall[] = [];
  const findings: Finding[] = [];
  const pickles: AuditedPickle[] = [];
  const seenNames = new Map<string, boolean>();
  let ops = 0;
  let malformed = false;

  const finding = (f: Finding) => findings.push(f);

  /** Record a global and judge it against the policy and the catalogue. */
  const reach = (module: string, qualname: string, offset: number, via: GlobalVia, proto: number, extra: Partial<AuditGlobal> = {}): Sym => {
    if (proto < 3 && fixImports && via !== 'getattr') [module, qualname] = fixImport(module, qualname);
    const name = `${module}.${qualname}`;
    let allowed = seenNames.get(name);
    if (allowed === undefined) {
      allowed = policy.resolve(module, qualname) !== undefined;
      seenNames.set(name, allowed);
    }
    globals.push({ module, qualname, offset, via, allowed, ...extra });
    const danger = dangerOf(module, qualname);
    const denied = denialOf(module, qualname);
    if (!allowed) {
      if (danger) {
        finding({ severity: danger.severity, rule: 'PG001', message: `${name}: ${danger.category}${denied ? ' (on the hard deny list)' : ''}`, offset, name, category: danger.category });
      } else {
        finding({ severity: denied ? 'high' : 'medium', rule: 'PG002', message: `${name} is not allowed by the policy '${policy.name}'${denied ? ` (${denied})` : ''}`, offset, name });
      }
    }
    return { k: 'global', name, module, qualname, allowed };
  };

  if (bytes.length === 0) {
    finding({ severity: 'medium', rule: 'PG007', message: 'the input is empty: there is no pickle in it', offset: 0 });
    malformed = true;
  }
  // Where the scan is: the opcode being emulated (kept across nested pickles for error reports).
  let pos = 0;
  let current: OpcodeInfo | undefined;
  let topLevel = 0;
  let start = 0;
  while (start < bytes.length) {
    if (pickles.length >= maxPickles) {
      finding({ severity: 'high', rule: 'PG010', message: `more than ${maxPickles} pickles in one input; the rest was not scanned`, offset: start });
      malformed = true;
      break;
    }
    try {
      const end = scanPickle(start, options.joblib === true);
      if (++topLevel > 1) {
        finding({ severity: 'info', rule: 'PG008', message: `another pickle starts after the STOP at ${start - 1}; it was scanned too`, offset: start });
      }
      start = end;
    } catch (e) {
      malformed = true;
      if (e instanceof Malformed) {
        finding({
          severity: e.code === 'limit' ? 'high' : 'medium',
          rule: e.code === 'limit' ? 'PG010' : 'PG007',
          message: e.message,
          offset: e.offset,
          opcode: current?.name,
        });
      } else if (e instanceof PickleError) {
        finding({ severity: 'medium', rule: 'PG007', message: e.message.replace(/ \(at byte \d+[^)]*\)$/, ''), offset: e.offset ?? pos, opcode: e.opcode?.name });
      } else {
        throw e;
      }
      break;
    }
  }
  if (pickles.length > 1) pickles.sort((a, b) => a.start - b.start);

  /**
   * Scan the one pickle that starts at `start` with its own stack, marks and memo; return the offset
   * after its STOP. In joblib mode, array data after a wrapper's BUILD is skipped, and the pickle of
   * an object array is scanned (as a plain pickle) in the middle of this one.
   */
  function scanPickle(start: number, joblib: boolean): number {
    const stack: Slot[] = [];
    const marks: number[] = [];
    // The memo: dense for the indices pickles use (0, 1, 2, …), a Map for far ones.
    const dense: (Sym | undefined)[] = [];
    const far = new Map<number, Sym>();
    let memoCount = 0;
    const memoGet = (i: number): Sym | undefined => (i < dense.length ? dense[i] : far.get(i));
    const memoSet = (i: number, v: Sym): void => {
      if (memoGet(i) === undefined) {
        if (memoCount >= DEFAULT_LIMITS.maxMemoEntries) throw new Malformed('limit', 'the memo grew past maxMemoEntries', pos);
        memoCount++;
      }
      if (i < dense.length + DENSE_GAP) {
        while (dense.length < i) dense.push(undefined);
        dense[i] = v;
      } else far.set(i, v);
    };
    let proto = 0;
    let count = 0;
    let end = start;
    // joblib mode: where the current frame ends (joblib reads array data from the file, after it),
    // and where the opcodes resume after array data.
    let frameEnd = 0;
    let resumeAt = -1;
    const pop = (): Sym => {
      const s = stack.pop();
      if (s === undefined || s === MARK) throw new Malformed('stack_underflow', `${current?.name} needs more items than the stack holds above its MARK`, pos);
      return s;
    };
    const popToMark = (): Sym[] => {
      const m = marks.pop();
      if (m === undefined) throw new Malformed('no_mark', `${current?.name} needs a MARK`, pos);
      const items = stack.splice(m + 1) as Sym[];
      stack.length = m;
      return items;
    };
    /** popToMark without keeping the items (most opcodes with a MARK). */
    const dropToMark = (): void => {
      const m = marks.pop();
      if (m === undefined) throw new Malformed('no_mark', `${current?.name} needs a MARK`, pos);
      // Popping is inlined by V8; assigning `length` is a runtime call, worth it only for long runs.
      if (stack.length - m > 64) stack.length = m;
      else while (stack.length > m) stack.pop();
    };
    const push = (s: Slot): void => {
      if (stack.length >= DEFAULT_LIMITS.maxStackItems) throw new Malformed('limit', 'the stack grew past maxStackItems', pos);
      stack.push(s);
    };
    const call = (opcode: string, callable: Sym | undefined, args?: Sym): Sym => {
      const name = callable?.k === 'global' ? callable.name : null;
      calls.push({ offset: pos, opcode, callable: name });
      if (callable === undefined || callable.k !== 'global') {
        finding({
          severity: 'high',
          rule: 'PG004',
          message: `${opcode} applies a callable the scan cannot name (${callable?.k === 'result' ? `the result of calling ${callable.of ?? 'an unknown callable'}` : 'a computed value'})`,
          offset: pos,
          opcode,
        });
        return result(null, args);
      }
      // The getattr gate: getattr(Class, 'attr') names Class.attr, which the policy must allow.
      if (callable.name === 'builtins.getattr' && callable.allowed && opcode === 'REDUCE' && args?.k === 'tuple') {
        const [target, attribute] = args.items;
        if (args.items.length === 2 && target?.k === 'global' && attribute?.k === 'str') {
          return reach(target.module, `${target.qualname}.${attribute.v}`, pos, 'getattr', proto);
        }
        finding({ severity: 'high', rule: 'PG004', message: 'getattr applied to arguments the scan cannot name', offset: pos, opcode });
        return result(name, args);
      }
      // copyreg._reconstructor(cls, object, None) is object.__new__(cls): cls must be allowed with "new".
      if (callable.name === 'copyreg._reconstructor' && callable.allowed && args?.k === 'tuple') {
        const [cls, base] = args.items;
        if (cls?.k === 'global' && base?.k === 'global' && base.name === 'builtins.object') {
          if (policy.resolve(cls.module, cls.qualname)?.newObject === undefined) {
            finding({ severity: 'high', rule: 'PG006', message: `copyreg._reconstructor instantiates ${cls.name}, which the policy does not allow with "new"`, offset: pos, opcode, name: cls.name });
          }
          return result(cls.name, args);
        }
      }
      if (callable.allowed) {
        const rec = policy.resolve(callable.module, callable.qualname);
        const need = opcode === 'NEWOBJ' || opcode === 'NEWOBJ_EX' ? 'newObject' : 'call';
        if (rec !== undefined && rec[need] === undefined) {
          finding({
            severity: 'medium',
            rule: 'PG006',
            message: `${opcode} ${need === 'call' ? 'calls' : 'instantiates'} ${callable.name}, which the policy allows only for other uses`,
            offset: pos,
            opcode,
            name: callable.name,
          });
        }
      }
      return result(name, args);
    };

    // One reader, its fields overwritten by each opcode (no object per opcode on this hot path).
    let reader = new OpReader(bytes, start);
    try {
      scanning: for (;;) {
        while (reader.next()) {
          pos = reader.pos;
          current = reader.op;
          end = reader.end;
          count++;
          if (++ops > maxOps) throw new Malformed('limit', `more than ${maxOps} opcodes (maxOps)`, pos);
          if (reader.op.code === OP.STOP) {
            pop();
            break scanning;
          }
          step(reader);
          if (resumeAt >= 0) {
            // joblib array data: the opcodes go on after it.
            end = resumeAt;
            reader = new OpReader(bytes, resumeAt);
            resumeAt = -1;
            continue scanning;
          }
        }
        // The reader ends only after a STOP or by throwing.
        throw new Malformed('truncated', 'pickle exhausted before seeing STOP', end);
      }
      pickles.push({ start, end, protocol: proto, opcodes: count });
      return end;
    } catch (e) {
      pickles.push({ start, end: Math.max(end, pos), protocol: proto, opcodes: count });
      throw e;
    }

    function step(g: GenOp): void {
      const name = g.op.name;
      const code = g.op.code;
      const arg = g.arg;
      if (STRING_OPS[code] === 1) {
        push({ k: 'str', v: typeof arg === 'string' ? arg : arg instanceof Uint8Array ? latin1(arg) : '', at: g.pos });
        return;
      }
      if (code === OP.PROTO) {
        proto = arg as number;
        if (proto > HIGHEST_PROTOCOL) throw new Malformed('unsupported_protocol', `unsupported pickle protocol: ${proto}`, g.pos);
        return;
      }
      if (code === OP.FRAME) {
        // CPython's C unpickler refuses a frame that runs past the input; the pure-Python one reads on.
        const length = Number(arg);
        if (length > bytes.length - g.end) {
          finding({ severity: 'medium', rule: 'PG007', message: `FRAME announces ${length} bytes, but only ${bytes.length - g.end} remain (loaders disagree on such a pickle)`, offset: g.pos, opcode: name });
        }
        if (joblib) frameEnd = g.end + length;
        return;
      }
      if (code === OP.MARK) {
        marks.push(stack.length);
        push(MARK);
        return;
      }
      switch (code) {
        case OP.PUT:
        case OP.BINPUT:
        case OP.LONG_BINPUT:
        case OP.MEMOIZE: {
          const top = stack[stack.length - 1];
          if (top === undefined || top === MARK) throw new Malformed('empty_stack', `${name} with nothing to store`, g.pos);
          const index = code === OP.MEMOIZE ? memoCount : Number(arg);
          if (!(index >= 0) || !Number.isSafeInteger(index)) throw new Malformed('bad_memo_index', `${name} with a negative or huge memo index`, g.pos);
          memoSet(index, top);
          return;
        }
        case OP.GET:
        case OP.BINGET:
        case OP.LONG_BINGET: {
          const s = memoGet(Number(arg));
          if (s === undefined) throw new Malformed('memo_missing', `memo key ${String(arg)} was never stored`, g.pos);
          push(s);
          return;
        }
        case OP.GLOBAL: {
          const [module, qualname] = splitPair(arg as string);
          push(reach(module, qualname, g.pos, 'GLOBAL', proto));
          return;
        }
        case OP.STACK_GLOBAL: {
          const qualname = pop();
          const module = pop();
          if (module.k === 'str' && qualname.k === 'str') {
            push(reach(module.v, qualname.v, g.pos, 'STACK_GLOBAL', proto, { builtFrom: [module.at, qualname.at] }));
          } else {
            finding({ severity: 'high', rule: 'PG003', message: 'STACK_GLOBAL names a global from values the scan cannot read as strings', offset: g.pos, opcode: name });
            push({ k: 'global', name: '?', module: '?', qualname: '?', allowed: false });
          }
          return;
        }
        case OP.INST: {
          const [module, qualname] = splitPair(arg as string);
          const args = popToMark();
          const cls = reach(module, qualname, g.pos, 'INST', proto);
          push(call('INST', cls, { k: 'tuple', items: args }));
          return;
        }
        case OP.OBJ: {
          const items = popToMark();
          if (items.length === 0) throw new Malformed('stack_underflow', 'OBJ needs a class above the MARK', g.pos);
          push(call('OBJ', items[0], { k: 'tuple', items: items.slice(1) }));
          return;
        }
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4: {
          const code = arg as number;
          const named = options.extensions?.get(code);
          if (named === undefined) {
            finding({ severity: 'high', rule: 'PG005', message: `extension code ${code} names a global from the loader's registry, which the scan does not have`, offset: g.pos, opcode: name });
            push({ k: 'global', name: `<extension ${code}>`, module: '', qualname: '', allowed: false });
          } else {
            push(reach(named[0], named[1], g.pos, 'EXT', proto, { extCode: code }));
          }
          return;
        }
        case OP.REDUCE: {
          const args = pop();
          const callable = pop();
          push(call('REDUCE', callable, args));
          return;
        }
        case OP.NEWOBJ: {
          const args = pop();
          const cls = pop();
          push(call('NEWOBJ', cls, args));
          return;
        }
        case OP.NEWOBJ_EX: {
          pop();
          const args = pop();
          const cls = pop();
          push(call('NEWOBJ_EX', cls, args));
          return;
        }
        case OP.BUILD: {
          const state = pop();
          const target = pop();
          calls.push({ offset: g.pos, opcode: 'BUILD', callable: target.k === 'result' ? target.of : target.k === 'global' ? target.name : null });
          if (target.k === 'global') {
            finding({ severity: 'high', rule: 'PG006', message: `BUILD gives state to the global ${target.name} itself`, offset: g.pos, opcode: name, name: target.name });
          }
          if (joblib && target.k === 'result') {
            target.state = builtState(target.state, state);
            if (target.of !== null && JOBLIB_WRAPPERS.has(target.of)) {
              push(readJoblibArray(target, g));
              return;
            }
          }
          push(target);
          return;
        }
        case OP.NONE:
          push(NONE);
          return;
        case OP.BININT:
        case OP.BININT1:
        case OP.BININT2:
        case OP.LONG1:
        case OP.LONG4:
        case OP.INT:
        case OP.LONG:
          // Ints matter only for a joblib array's shape.
          push(joblib && typeof arg === 'number' ? { k: 'int', v: arg } : OTHER);
          return;
        case OP.EMPTY_DICT:
          push(joblib ? emptyDict() : OTHER);
          return;
        case OP.DICT: {
          if (!joblib) {
            dropToMark();
            push(OTHER);
            return;
          }
          const items = popToMark();
          const d = emptyDict();
          for (let i = 0; i + 1 < items.length; i += 2) dictSet(d, items[i]!, items[i + 1]!);
          push(d);
          return;
        }
        case OP.SETITEM: {
          const value = pop();
          const key = pop();
          const d = pop();
          if (d.k === 'dict') dictSet(d, key, value);
          push(d);
          return;
        }
        case OP.SETITEMS: {
          // The items are kept only for a dict the scan tracks (joblib mode).
          const below = marks.length > 0 ? stack[marks[marks.length - 1]! - 1] : undefined;
          const items = below !== undefined && below !== MARK && below.k === 'dict' ? popToMark() : (dropToMark(), null);
          const d = pop();
          if (items !== null && d.k === 'dict') for (let i = 0; i + 1 < items.length; i += 2) dictSet(d, items[i]!, items[i + 1]!);
          push(d);
          return;
        }
        case OP.PERSID:
        case OP.BINPERSID: {
          if (code === OP.BINPERSID) pop();
          finding({ severity: 'info', rule: 'PG009', message: 'a persistent id: the loader hands it to its persistentLoad (PyTorch uses these for tensor storages)', offset: g.pos, opcode: name });
          push(OTHER);
          return;
        }
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          const n = code === OP.TUPLE1 ? 1 : code === OP.TUPLE2 ? 2 : 3;
          const items: Sym[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop());
          push({ k: 'tuple', items });
          return;
        }
        case OP.TUPLE:
          push({ k: 'tuple', items: popToMark() });
          return;
        case OP.EMPTY_TUPLE:
          push({ k: 'tuple', items: [] });
          return;
        case OP.POP: {
          // As CPython: POP with nothing above the topmost MARK discards the MARK.
          if (stack[stack.length - 1] === MARK) {
            stack.pop();
            marks.pop();
          } else pop();
          return;
        }
        case OP.DUP: {
          const top = pop();
          push(top);
          push(top);
          return;
        }
        default:
          generic(g.op);
      }
    }

    /**
     * The BUILD of a joblib array wrapper: joblib reads the array that follows and puts it in the
     * wrapper's place. Sets where the opcodes resume; the array is what stays on the stack.
     */
    function readJoblibArray(wrapper: ResultSym, g: GenOp): Sym {
      if (frameEnd > g.end) {
        throw new Malformed('joblib', 'joblib array wrapper: its BUILD is not at the end of a frame, so joblib would read the array from elsewhere than the scan', g.pos);
      }
      const found = joblibArray(wrapper, bytes, g.end);
      if (found.kind === 'error') throw new Malformed('joblib', found.message, g.pos);
      // An object array is a separate pickle, read by a plain pickle.load.
      resumeAt = found.kind === 'raw' ? found.end : scanPickle(found.start, false);
      return result('numpy.ndarray');
    }

    /** Any other opcode: pop what the table says it takes, push what it makes (the same container for in-place ones). */
    function generic(op: OpcodeInfo): void {
      const before = op.before;
      let bottom: Sym | undefined;
      for (let i = before.length - 1; i >= 0; i--) {
        const kind = before[i];
        if (kind === 'stackslice') {
          dropToMark();
          i--; // the slice's MARK is gone with it
        } else bottom = pop();
      }
      if (op.after.length === 0) return;
      if (IN_PLACE.has(op.name) && bottom !== undefined) push(bottom);
      else for (let i = 0; i < op.after.length; i++) push(OTHER);
    }
  }

  let verdict: Verdict = 'safe';
  if (malformed) verdict = 'malformed';
  else if (findings.some((f) => f.severity !== 'info' && f.severity !== 'low')) verdict = 'unsafe';
  return { verdict, policy: policy.name, bytes: bytes.length, pickles, globals, calls, findings };
}

function emptyDict(): DictSym {
  return { k: 'dict', entries: new Map(), complete: true };
}

/**
 * An object's tracked state after a BUILD: Python copies a dict state into the object's __dict__
 * (on top of what an earlier BUILD put there), so later changes to the dict do not count.
 */
function builtState(before: Sym | undefined, state: Sym): Sym {
  if (state.k !== 'dict') return state;
  const d = emptyDict();
  d.complete = state.complete && (before === undefined || (before.k === 'dict' && before.complete));
  if (before?.k === 'dict') for (const [k, v] of before.entries) d.entries.set(k, v);
  for (const [k, v] of state.entries) dictSet(d, { k: 'str', v: k, at: 0 }, v);
  return d;
}

function splitPair(arg: string): [string, string] {
  const i = arg.indexOf(' ');
  return i < 0 ? [arg, ''] : [arg.slice(0, i), arg.slice(i + 1)];
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && i < 4096; i++) s += String.fromCharCode(b[i]!);
  return s;
}
