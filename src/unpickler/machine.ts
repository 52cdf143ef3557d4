/**
 * The unpickler's state for one input: the bytes, the position, the stack with its marks, the memo
 * and the globals resolved so far. All state lives here, per call; nothing at module level changes.
 * Handlers (one per opcode, in handlers.ts) read arguments and change the stack through it.
 */
import {
  LimitExceededError,
  MalformedPickleError,
  PickleError,
  RefusedGlobalError,
  TruncatedPickleError,
  UnpicklingError,
} from '../errors.js';
import { SETTLE } from '../model/collections.js';
import { PyGlobal } from '../model/global.js';
import { fixImport } from '../policy/compat.js';
import {
  ReconstructorArgumentError,
  ReconstructorRefusal,
  ReconstructorUnsupported,
  type BuildStream,
  type PolicyUse,
  type ReconstructContext,
  type Reconstructor,
} from '../policy/types.js';
import { Memo } from './memo.js';
import type { ResolvedOptions } from './options.js';

/** A list subclass that asks to be called when appends stop (see SETTLE). */
type Settling = unknown[] & { [SETTLE](exact: boolean): number };

/** Lists longer than this are filled through `extend`'s sized allocation (V8 keeps arrays of up to
 * 16,384 pointers in the young generation, where growing is cheap). */
const LARGE_LIST = 8192;

/**
 * An empty stack already of V8's general elements kind: `[]` starts as an array of small integers
 * and changes kind at its first object, so each push site would see two kinds and check both.
 */
export function emptyStack(): unknown[] {
  const s: unknown[] = [null];
  s.pop();
  return s;
}

export class Machine {
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  readonly o: ResolvedOptions;
  /** Offset of `data[0]` in the whole input (a stream's earlier bytes), added to error offsets. */
  base = 0;
  /** Next byte to read. */
  pos: number;
  /** Offset of the opcode being executed (for errors). */
  opPos = 0;
  /**
   * The stack's items are `stack[0 .. sp)`. Dropping items only lowers `sp` (entries above it are
   * stale and get overwritten): APPENDS, SETITEMS and friends drop thousands of items at a time,
   * and neither popping them one by one nor setting `length` (V8 then shrinks the array's store,
   * and the next pushes grow it again by copying) is free.
   */
  stack: unknown[] = emptyStack();
  sp = 0;
  /** Stack lengths at each open MARK; the top one is the fence that plain pops may not cross. */
  marks: number[] = [];
  /** Byte offset of each open MARK (sizes APPENDS growth). */
  markOffsets: number[] = [];
  /**
   * Large lists being filled by APPENDS, with their true length: until `settle()`, such a list's
   * `length` is its capacity, sized from the input left, so a million-item list is allocated once
   * instead of grown by copying dozens of times.
   */
  growing: Map<unknown[], number> | null = null;
  /** List subclasses (a bounded deque) appended to since the last `settle()`: see SETTLE. */
  settling: Set<Settling> | null = null;
  /** Items moved by list subclasses' SETTLE, bounded by maxOps so that no pickle can make it quadratic. */
  settleWork = 0;
  fence = 0;
  /** The memo (one implementation, shared with every reader: see memo.ts). Carried over between the pickles of one input. */
  memo = new Memo();
  /**
   * Reads may not go past this offset: the end of the current frame while one is open (framing is
   * strict, as in `pickle._Unpickler`), else the end of the input.
   */
  bound: number;
  /** Where the open frame ends, or -1 when no frame is open. */
  frameEnd = -1;
  /**
   * Read FRAMEs as hints only, as CPython's C unpickler does (it never checks a frame's end). Only the
   * auditor's listing pass sets it, to name what that reader would reach in a badly framed input.
   */
  ignoreFrames = false;
  /**
   * Read frames as CPython's C unpickler does when it reads from a file (`pickle.load(f)`): a frame
   * is a buffer read from the file; a read that does not fit in what is left of it drops the rest
   * and reads afresh after the frame, and a pickle's STOP may leave frame bytes for the next one.
   * Only the auditor's listing pass sets it.
   */
  restartFrames = false;
  proto = 0;
  /** Containers made so far: nesting can only exceed maxDepth when this does. */
  containers = 0;
  ops = 0;
  /** True when the input is long enough that the item-count limits need checking per op. */
  readonly guarded: boolean;
  /**
   * True when the memo can outgrow maxMemoEntries: the input is long enough, or (streams) the memo
   * carried over from earlier pickles leaves less room than the input's length.
   */
  memoGuarded: boolean;
  /** Told of every global resolved and every call site, as they happen (the auditor's listing); null when nobody listens. */
  observer: MachineObserver | null = null;
  private buffers: Iterator<Uint8Array> | null = null;
  /** Globals resolved so far, by module, then qualname (pairs, never a joined string). */
  private globals = new Map<string, Map<string, PyGlobal>>();
  private reconstructors = new Map<PyGlobal, Reconstructor>();
  private extensionCache = new Map<number, PyGlobal>();
  private made: WeakMap<object, Reconstructor> | null = null;
  /** Bytes counted against maxReconstructedBytes in this pickle (see `account`). */
  reconstructed = 0;
  /** Buffers whose views cost nothing more: the input's, out-of-band ones, persistentLoad's, and each one counted. */
  counted: WeakSet<ArrayBufferLike> | null = null;
  private context_: ReconstructContext | null = null;

  constructor(data: Uint8Array, options: ResolvedOptions) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.end = data.length;
    this.bound = data.length;
    this.pos = 0;
    this.o = options;
    const n = data.length;
    this.guarded = n > options.maxStackItems || n > options.maxMemoEntries || n > options.maxOps;
    this.memoGuarded = n > options.maxMemoEntries;
  }

  // ---- errors, with offset and opcode ----

  private details(): { offset: number; opcode?: number } {
    const opcode = this.data[this.opPos];
    return opcode === undefined ? { offset: this.base + this.opPos } : { offset: this.base + this.opPos, opcode };
  }

  malformed(code: string, message: string): never {
    throw new MalformedPickleError(code, message, this.details());
  }

  truncated(message = 'pickle data was truncated'): never {
    throw new TruncatedPickleError(message, this.details());
  }

  /**
   * A read of `n` bytes at `p` that would cross `bound`. As in `pickle._Unpickler`, a read that starts
   * exactly at the open frame's end closes the frame and reads on (returns normally when the input
   * has the bytes); one that starts inside the frame and runs past its end is malformed (with
   * `restartFrames`, it starts again at the frame's end); one past the input's end is truncated.
   * Returns where the read starts.
   */
  short(p: number, n: number): number {
    if (this.frameEnd >= 0) {
      if (this.restartFrames) p = this.frameEnd;
      else if (p !== this.frameEnd) {
        this.malformed('frame_overrun', `the opcode's argument runs past the end of its frame at byte ${this.base + this.frameEnd} (pickle exhausted before end of frame)`);
      }
      this.closeFrame();
      if (n <= this.end - p) return p;
    }
    this.truncated();
  }

  /** Open a frame of `n` bytes at the position (FRAME's argument was just read). */
  openFrame(n: number): void {
    if (this.ignoreFrames) return;
    if (this.restartFrames && this.frameEnd >= 0) {
      // The new frame fits in the buffer: it is read from there. Else the buffer's rest is dropped.
      if (n <= this.frameEnd - this.pos) return;
      this.pos = this.frameEnd;
    } else if (this.frameEnd >= 0 && this.pos < this.frameEnd) {
      this.malformed('frame_in_frame', 'a FRAME begins before the current frame has ended');
    }
    if (n > this.end - this.pos) this.truncated('a FRAME announces more bytes than the input holds');
    this.frameEnd = this.pos + n;
    this.bound = this.frameEnd;
  }

  /** Close the open frame, if any (its end was reached), so reads go on to the input's end. */
  closeFrame(): void {
    this.frameEnd = -1;
    this.bound = this.end;
  }

  limit(name: string, value: number, message: string): never {
    throw new LimitExceededError(name, value, message, this.details());
  }

  failure(code: string, message: string): never {
    throw new UnpicklingError(code, message, this.details());
  }

  refuse(module: string, qualname: string, what: string): never {
    const name = `${module}.${qualname}`;
    const use = USE_OF[what] ?? 'reference';
    const policy = this.o.policy;
    const how = policy.explain?.(module, qualname, use);
    const reason = how?.reason ?? `is not allowed by the policy '${policy.name}'`;
    const fix =
      how === undefined
        ? `If you trust pickles that use it, add a reconstructor for '${name}' to the policy you pass in the options.`
        : how.allowWith === undefined
          ? 'No policy can allow it.'
          : `If you trust pickles that use it, add this entry to a pack in your policy: ${how.allowWith}`;
    throw new RefusedGlobalError(
      module,
      qualname,
      `${what} '${name}' refused: ${reason}; nothing was imported or called. ${fix}`,
      this.details(),
      how?.allowWith,
      how?.shippedPack,
    );
  }

  // ---- reading arguments ----

  /** Reserve `n` bytes and return their start. */
  take(n: number): number {
    let p = this.pos;
    if (n > this.bound - p) p = this.short(p, n);
    this.pos = p + n;
    return p;
  }

  u8(): number {
    let p = this.pos;
    if (p >= this.bound) p = this.short(p, 1);
    this.pos = p + 1;
    return this.data[p]!;
  }

  u16(): number {
    const p = this.take(2);
    const d = this.data;
    return d[p]! | (d[p + 1]! << 8);
  }

  i32(): number {
    const p = this.take(4);
    const d = this.data;
    return d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24);
  }

  u32(): number {
    return this.i32() >>> 0;
  }

  /** An 8-byte unsigned length; values beyond 2**53 come back as Infinity (larger than any input). */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  }

  /** Reserve a counted payload of `n` bytes (n from the pickle) and return its start. */
  payload(n: number): number {
    let p = this.pos;
    if (n > this.bound - p) p = this.short(p, n);
    if (n > this.o.maxObjectBytes) this.limit('maxObjectBytes', this.o.maxObjectBytes, `an object of ${n} bytes`);
    this.pos = p + n;
    return p;
  }

  /** The line from the position up to (not including) the next newline; returns its start and sets `lineEnd`. */
  lineEnd = 0;
  line(): number {
    let p = this.pos;
    let nl = this.data.indexOf(10, p);
    if (nl < 0 || nl >= this.bound) {
      const from = this.short(p, nl < 0 ? Infinity : nl + 1 - p);
      if (from !== p) {
        p = from;
        nl = this.data.indexOf(10, p);
        if (nl < 0) this.truncated();
      }
    }
    this.lineEnd = nl;
    this.pos = nl + 1;
    return p;
  }

  // ---- stack ----

  push(value: unknown): void {
    if (this.guarded && this.sp >= this.o.maxStackItems) {
      this.limit('maxStackItems', this.o.maxStackItems, 'too many items on the stack');
    }
    this.stack[this.sp++] = value;
  }

  /** Push the result of an opcode that just dropped the items it consumed (no limit check, as before). */
  place(value: unknown): void {
    this.stack[this.sp++] = value;
  }

  pop(): unknown {
    if (this.sp <= this.fence) this.underflow();
    return this.stack[--this.sp];
  }

  /** Drop the stack items from index `k` up (`k` is at most `sp`). */
  truncate(k: number): void {
    this.sp = k;
  }

  /** Index of the top item (above the fence). */
  topIndex(): number {
    const i = this.sp - 1;
    if (i < this.fence) this.underflow();
    return i;
  }

  underflow(): never {
    this.malformed('stack_underflow', 'unpickling stack underflow: the opcode needs more items than there are (above the last MARK)');
  }

  mark(): void {
    if (this.marks.length >= this.o.maxDepth) this.limit('maxDepth', this.o.maxDepth, 'MARKs nested too deeply');
    this.fence = this.sp;
    this.marks.push(this.fence);
    this.markOffsets.push(this.opPos);
  }

  /** Close the topmost MARK: returns the stack index of the first item above it. The caller truncates the stack. */
  popMark(): number {
    const marks = this.marks;
    const k = marks.pop();
    if (k === undefined) this.malformed('no_mark', 'could not find MARK: the opcode needs a MARK before its items');
    this.markOffsets.pop();
    this.fence = marks.length ? marks[marks.length - 1]! : 0;
    return k;
  }

  // ---- lists ----

  /** `list.extend(stack[k:n])`, where the items came after a MARK at byte `markAt`. */
  extend(list: unknown[], s: readonly unknown[], k: number, n: number, markAt: number): void {
    let at = this.roomFor(list, n - k, markAt);
    if (at < 0) {
      for (let i = k; i < n; i++) list.push(s[i]);
      // A list subclass (a bounded deque, say) keeps its own semantics: plain pushes, then SETTLE.
      if (Object.getPrototypeOf(list) !== Array.prototype) this.settled(list, false);
      return;
    }
    for (let i = k; i < n; i++) list[at++] = s[i];
    (this.growing ??= new Map()).set(list, at);
  }

  /**
   * `list.extend` with the memo values that `count` BINGETs from byte `p` on fetch (checked by the
   * caller), for a plain list: the fast path's MARK, BINGET…, APPENDS.
   */
  extendFromMemo(list: unknown[], p: number, count: number, markAt: number): void {
    const data = this.data;
    const memo = this.memo.dense;
    const end = p + 2 * count;
    let at = this.roomFor(list, count, markAt);
    if (at < 0) {
      for (let q = p; q < end; q += 2) list.push(memo[data[q + 1]!]);
      return;
    }
    for (let q = p; q < end; q += 2) list[at++] = memo[data[q + 1]!];
    (this.growing ??= new Map()).set(list, at);
  }

  /**
   * Make room in `list` for `count` more items (which came after a MARK at byte `markAt`) and
   * return the index of the first; -1 when they are to be pushed (a list subclass, or a list that
   * stays short). The caller writes them and records the list's new length in `growing`.
   */
  private roomFor(list: unknown[], count: number, markAt: number): number {
    let len = this.growing === null ? undefined : this.growing.get(list);
    if (len === undefined) {
      len = list.length;
      if (Object.getPrototypeOf(list) !== Array.prototype || len + count <= LARGE_LIST) return -1;
    }
    const need = len + count;
    if (need > list.length) {
      // Room for as many more items as the input left can hold at this batch's density, at least double.
      const left = this.end - this.pos;
      const perItem = Math.max(1, (this.opPos - markAt) / count);
      const estimate = need + Math.min(left, Math.ceil(left / perItem));
      list.length = Math.max(estimate, Math.min(2 * need, need + left));
    }
    return len;
  }

  /** `list.append(v)` on any list. */
  append(list: unknown[], v: unknown): void {
    const len = this.growing?.get(list);
    if (len !== undefined) this.extend(list, [v], 0, 1, this.opPos);
    else {
      list.push(v);
      if (Object.getPrototypeOf(list) !== Array.prototype) this.settled(list, false);
    }
  }

  /** After appends to a list subclass: let it trim now, and call it again exactly at `settle()`. */
  private settled(list: unknown[], exact: boolean): void {
    const settle = (list as Partial<Settling>)[SETTLE];
    if (typeof settle !== 'function') return;
    this.settleWork += settle.call(list, exact);
    if (this.settleWork > this.o.maxOps) this.limit('maxOps', this.o.maxOps, 'too much work trimming bounded deques');
    if (!exact) (this.settling ??= new Set()).add(list as Settling);
  }

  /** Give every growing list its true length, and let list subclasses settle (before anyone else can see them). */
  settle(): void {
    if (this.settling !== null) {
      const lists = this.settling;
      this.settling = null;
      for (const list of lists) this.settled(list, true);
    }
    if (this.growing === null) return;
    for (const [list, len] of this.growing) list.length = len;
    this.growing = null;
  }

  // ---- memo ----

  memoGet(index: number): unknown {
    const v = this.memo.get(index);
    if (v === undefined) this.malformed('memo_missing', `memo key ${index} not found: the pickle reads a memo entry it never stored`);
    return v;
  }

  /** MEMOIZE's index: the number of entries so far. */
  get memoCount(): number {
    return this.memo.count;
  }

  memoPut(index: number, value: unknown): void {
    this.memo.put(index, value, this.memoRoom, this.memoGrowth);
  }

  /** Throws when one more memo entry would pass maxMemoEntries. */
  private readonly memoRoom = (): void => {
    if (this.memoGuarded && this.memo.count >= this.o.maxMemoEntries) {
      this.limit('maxMemoEntries', this.o.maxMemoEntries, 'too many memo entries');
    }
  };

  /**
   * The dense length to grow to for a put at `index` (at or past the dense part), or -1 to store it
   * sparsely. Dense growth stays linear in the number of entries, whatever indices the pickle picks:
   * it jumps to the size the input read so far projects (or at least doubles), within what the
   * input left can still store. The projection from a handful of entries is a guess (one MEMOIZE at
   * the start of a 2 MB dict projects 130,000 entries): it may be at most 64 times the entries so
   * far, so a wrong guess stays cheap.
   */
  private readonly memoGrowth = (index: number): number => {
    const count = this.memo.count;
    if (index > 2 * count + 1024) return -1;
    const projected = Math.min(Math.ceil((count * this.end) / Math.max(1, this.pos)), 64 * count);
    return Math.min(Math.max(2 * this.memo.dense.length, index + 1, 1024, projected), index + 1 + (this.end - this.pos));
  };

  /**
   * Carry over what a previous machine over the same stream knew: its memo, the globals it resolved
   * and the objects its reconstructors made (a later pickle may call or BUILD them, as in Python).
   */
  carryOver(other: Machine): void {
    this.memo = other.memo;
    this.memoGuarded ||= this.memo.count + this.end > this.o.maxMemoEntries;
    this.globals = other.globals;
    this.reconstructors = other.reconstructors;
    this.extensionCache = other.extensionCache;
    this.made = other.made;
  }

  // ---- globals and calls, only through the policy ----

  /** Resolve `module.qualname` through the policy (after CPython's Python 2 renames), or refuse. */
  global(module: string, qualname: string, extCode?: number): PyGlobal {
    if (this.proto < 3 && this.o.fixImports) [module, qualname] = fixImport(module, qualname);
    let inModule = this.globals.get(module);
    const cached = inModule?.get(qualname);
    if (this.observer !== null) this.observer.global(module, qualname, this.base + this.opPos, this.data[this.opPos]!, extCode);
    if (cached !== undefined) return cached;
    const rec = this.o.policy.resolve(module, qualname);
    if (rec === undefined) this.refuse(module, qualname, 'global');
    const g = new PyGlobal(module, qualname);
    if (inModule === undefined) this.globals.set(module, (inModule = new Map()));
    inModule.set(qualname, g);
    this.reconstructors.set(g, rec);
    return g;
  }

  /** The global an EXT code names, through the `extensions` option and then the policy. */
  extension(code: number): PyGlobal {
    if (code <= 0) this.malformed('bad_extension_code', 'EXT specifies code <= 0');
    const cached = this.extensionCache.get(code);
    if (cached !== undefined) {
      this.observer?.global(cached.module, cached.qualname, this.base + this.opPos, this.data[this.opPos]!, code);
      return cached;
    }
    const name = this.o.extensions?.get(code);
    if (name === undefined) {
      this.failure(
        'unregistered_extension',
        `unregistered extension code ${code}: pass it in the extensions option as ${code} → [module, qualname] (and allow that name in the policy)`,
      );
    }
    const g = this.global(name[0], name[1], code);
    this.extensionCache.set(code, g);
    return g;
  }

  private reconstructorOf(callable: unknown, verb: string): [PyGlobal, Reconstructor] {
    if (!(callable instanceof PyGlobal)) {
      const inert = this.o.policy.resolveCallable?.(callable);
      if (inert !== undefined) return [new PyGlobal(inert.module, inert.qualname), inert];
      this.malformed('not_callable', `${verb} applies to ${describe(callable)}, which is not a class or function`);
    }
    const rec = this.reconstructors.get(callable);
    if (rec === undefined) this.refuse(callable.module, callable.qualname, 'global');
    return [callable, rec];
  }

  /** `callable(*args)`: REDUCE, INST, OBJ. */
  call(callable: unknown, args: readonly unknown[], verb: string): unknown {
    this.settle();
    this.observer?.call(verb, this.base + this.opPos, callable);
    const [g, rec] = this.reconstructorOf(callable, verb);
    if (rec.call === undefined) this.refuse(g.module, g.qualname, 'calling');
    const result = this.invoke(g, () => rec.call!(args, this.context));
    // A call that yields a global (`getattr(ZoneInfo, '_unpickle')`) yields it through the policy.
    if (result instanceof PyGlobal) return this.global(result.module, result.qualname);
    this.account(result, args);
    return this.made_(rec, result);
  }

  /** `cls.__new__(cls, *args, **kwargs)`: NEWOBJ, NEWOBJ_EX. */
  newObject(cls: unknown, args: readonly unknown[], kwargs: ReadonlyMap<unknown, unknown> | null, verb: string): unknown {
    this.settle();
    this.observer?.call(verb, this.base + this.opPos, cls);
    const [g, rec] = this.reconstructorOf(cls, verb);
    if (rec.newObject === undefined) this.refuse(g.module, g.qualname, 'instantiating');
    const result = this.invoke(g, () => rec.newObject!(args, kwargs, this.context));
    this.account(result, kwargs === null ? args : [...args, ...kwargs.values()]);
    return this.made_(rec, result);
  }

  /** BUILD: only objects made by a reconstructor that accepts state (a None state is a no-op). */
  build(target: unknown, state: unknown): unknown {
    this.settle();
    const rec = typeof target === 'object' && target !== null ? this.made?.get(target) : undefined;
    this.observer?.call('BUILD', this.base + this.opPos, rec === undefined ? target : new PyGlobal(rec.module, rec.qualname));
    if (rec === undefined) {
      // CPython applies a None state to nothing.
      if (state === null) return target;
      if (target instanceof PyGlobal) this.refuse(target.module, target.qualname, 'setting state on');
      this.malformed('bad_build', `BUILD gives state to ${describe(target)}, which takes none`);
    }
    const g = new PyGlobal(rec.module, rec.qualname);
    const built = this.invoke(g, () => rec.setState!(target, state, this.context));
    this.account(built, [state, target]);
    if (rec.readAfterBuild === undefined) return built;
    if (this.frameEnd > this.pos) {
      this.malformed('data_in_frame', `${g.module}.${g.qualname} reads data after its BUILD, which sits inside a frame: its reader would take the data from after the frame`);
    }
    // The frame is read to its end (checked above): what follows is read from the input itself.
    this.closeFrame();
    return this.invoke(g, () => rec.readAfterBuild!(built, this.stream(), this.context));
  }

  /** Pickles read inside this one by `readAfterBuild` (joblib's object arrays), nested. */
  private nesting = 0;

  /** The input from the position on, for `readAfterBuild`. */
  private stream(): BuildStream {
    const m = this;
    return {
      data: m.data,
      get pos() {
        return m.pos;
      },
      take: (n: number) => m.payload(n),
      loadPickle(): unknown {
        if (m.nesting >= 32) m.limit('maxDepth', 32, 'pickles nested in pickles (data read after BUILD)');
        const inner = new Machine(m.data, m.o);
        inner.pos = m.pos;
        inner.base = m.base;
        inner.observer = m.observer;
        inner.nesting = m.nesting + 1;
        const value = Machine.run(inner);
        m.pos = inner.pos;
        return value;
      },
    };
  }

  /** Runs one pickle on a Machine (set by unpickler.ts, which holds the opcode loop). */
  static run: (m: Machine) => unknown = () => {
    throw new Error('the opcode loop is not loaded');
  };

  /** What reconstructors may ask of this load: the reconstructors of resolved globals, and adoption for BUILD. */
  private get context(): ReconstructContext {
    return (this.context_ ??= {
      reconstructorOf: (g: unknown) => (g instanceof PyGlobal ? this.reconstructors.get(g) : undefined),
      made: (value: object, rec: Reconstructor) => {
        if (rec.setState !== undefined) (this.made ??= new WeakMap()).set(value, rec);
      },
    });
  }

  /**
   * Counts against maxReconstructedBytes what a reconstructor's value holds that it was not given:
   * a buffer not seen before (its byteLength; a view of the input, of an out-of-band buffer, of a
   * persistentLoad storage or of a buffer already counted costs nothing), 8 bytes an array slot (and
   * the length of a string in it), 16 a Map or Set entry, a string's length; the same for the value's
   * own properties, one level down.
   * What it was given (its arguments, their items, its state) is not a copy and costs nothing.
   */
  private account(value: unknown, given: readonly unknown[]): void {
    if (typeof value !== 'object' || value === null) return;
    // What the call was given (arguments, their items, the state), gathered only when something costs.
    let inputs: Set<unknown> | null = null;
    const isGiven = (x: unknown): boolean => {
      if (inputs === null) {
        inputs = new Set(given);
        for (const g of given) if (Array.isArray(g)) for (const y of g) inputs.add(y);
      }
      return inputs.has(x);
    };
    let n = this.cost(value, isGiven);
    if (!ArrayBuffer.isView(value) && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)) {
      for (const k of Object.keys(value)) n += this.cost((value as Record<string, unknown>)[k], isGiven);
    }
    this.reconstructed += n;
    if (this.reconstructed > this.o.maxReconstructedBytes) {
      this.limit('maxReconstructedBytes', this.o.maxReconstructedBytes, `the values reconstructors made hold more than ${this.o.maxReconstructedBytes} bytes (a pickle asking for the same copy again and again)`);
    }
  }

  private cost(v: unknown, isGiven: (x: unknown) => boolean): number {
    if (typeof v === 'string') return v.length === 0 || isGiven(v) ? 0 : v.length;
    if (typeof v !== 'object' || v === null) return 0;
    if (ArrayBuffer.isView(v)) {
      const seen = this.freeBuffers();
      if (seen.has(v.buffer) || isGiven(v)) return 0;
      seen.add(v.buffer);
      return v.buffer.byteLength;
    }
    if (Array.isArray(v)) {
      if (v.length === 0 || isGiven(v)) return 0;
      // Slots, and the strings made for them (decoded Arrow strings are new, however they were given).
      let n = v.length * 8;
      for (const x of v) if (typeof x === 'string' && !isGiven(x)) n += x.length;
      return n;
    }
    if (v instanceof Map || v instanceof Set) return v.size === 0 || isGiven(v) ? 0 : v.size * 16;
    return 0;
  }

  /** The buffers already counted or free, the input's among them. */
  private freeBuffers(): WeakSet<ArrayBufferLike> {
    return (this.counted ??= new WeakSet([this.data.buffer]));
  }

  /** Marks the buffers a value (and its own properties) views as free: out-of-band buffers, persistentLoad's storages. */
  private free(v: unknown): void {
    if (typeof v !== 'object' || v === null) return;
    const seen = this.freeBuffers();
    if (ArrayBuffer.isView(v)) seen.add(v.buffer);
    else for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (ArrayBuffer.isView(x)) seen.add(x.buffer);
    }
  }

  private made_(rec: Reconstructor, value: unknown): unknown {
    if (typeof value === 'object' && value !== null) {
      this.containers++;
      // A reconstructor that adopted the value for another (copyreg._reconstructor) has said who builds it.
      if (rec.setState !== undefined && this.made?.has(value) !== true) (this.made ??= new WeakMap()).set(value, rec);
    }
    return value;
  }

  private invoke(g: PyGlobal, run: () => unknown): unknown {
    try {
      return run();
    } catch (e) {
      if (e instanceof PickleError) throw e;
      if (e instanceof ReconstructorArgumentError) this.malformed('bad_arguments', `${g.module}.${g.qualname}: ${e.message}`);
      if (e instanceof ReconstructorRefusal) this.refuse(e.module, e.qualname, VERB_OF[e.use]);
      if (e instanceof ReconstructorUnsupported) {
        throw new RefusedGlobalError(
          g.module,
          g.qualname,
          `${g.module}.${g.qualname} refused these arguments: ${e.message}; nothing was called. The policy's reconstructor does not take them.`,
          this.details(),
        );
      }
      throw new UnpicklingError('reconstructor_failed', `the reconstructor for ${g.module}.${g.qualname} failed: ${String(e)}`, {
        ...this.details(),
      });
    }
  }

  /** The next out-of-band buffer (protocol 5). */
  nextBuffer(): Uint8Array {
    if (this.o.buffers === null) {
      this.failure('no_buffers', 'pickle stream refers to out-of-band data but no buffers option was given');
    }
    this.buffers ??= this.o.buffers[Symbol.iterator]();
    const next = this.buffers.next();
    if (next.done) this.failure('buffers_exhausted', 'not enough out-of-band buffers in the buffers option');
    if (!(next.value instanceof Uint8Array)) this.failure('bad_buffer', 'the buffers option must hold Uint8Arrays');
    this.free(next.value);
    return next.value;
  }

  persistent(pid: unknown): unknown {
    this.settle();
    this.observer?.persistent(this.base + this.opPos);
    const load = this.o.persistentLoad;
    if (load === null) {
      this.failure(
        'no_persistent_load',
        'a persistent id instruction was encountered, but no persistentLoad option was given to resolve it',
      );
    }
    try {
      const value = load(pid);
      this.free(value);
      return value;
    } catch (e) {
      if (e instanceof PickleError) throw e;
      // A persistentLoad that checks ids (loadTorch's) says why one is bad as a reconstructor would.
      if (e instanceof ReconstructorArgumentError) this.malformed('bad_persistent_id', `persistent id refused: ${e.message}`);
      throw new UnpicklingError('persistent_load_failed', `persistentLoad failed: ${String(e)}`, this.details());
    }
  }
}

/** What the auditor hears from a run: the names and call sites the load meets, in order, before each is judged. */
export interface MachineObserver {
  /** A global named (GLOBAL, STACK_GLOBAL, INST, EXT by `opcode`; a call that yields a global by REDUCE), after the Python 2 renames. */
  global(module: string, qualname: string, offset: number, opcode: number, extCode: number | undefined): void;
  /** A call site: REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX or BUILD, with what it applies to (a `PyGlobal` when it is one). */
  call(opcode: string, offset: number, callable: unknown): void;
  /** A persistent id handed to persistentLoad. */
  persistent(offset: number): void;
}

/** The policy use each refusal verb stands for. */
const USE_OF: Readonly<Record<string, PolicyUse>> = {
  global: 'reference',
  calling: 'call',
  instantiating: 'new',
  'setting state on': 'state',
};

const VERB_OF: Readonly<Record<PolicyUse, string>> = { reference: 'global', call: 'calling', new: 'instantiating', state: 'setting state on' };

/** A short Python-flavoured description of a value for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  const article = (name: string): string => `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
  if (value === undefined) return 'nothing';
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'an int' : 'a float';
    case 'bigint':
      return 'an int';
    case 'string':
      return 'a str';
    case 'boolean':
      return 'a bool';
    default:
      if (value instanceof PyGlobal) return `the global ${value.module}.${value.qualname}`;
      if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
      if (value instanceof Map) return 'a dict';
      if (value instanceof Set) return 'a set';
      if (value instanceof Uint8Array) return 'bytes';
      return article((value as object).constructor?.name ?? 'object');
  }
}
