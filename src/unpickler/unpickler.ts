/**
 * `loads` and `Unpickler`: run the opcode loop over bytes in memory. The dispatch table is built
 * from the one opcode table (`OPCODES`) and the handlers keyed by opcode name.
 */
import { EndOfInputError, LimitExceededError, PickleError, UnpicklingError } from '../errors.js';
import { OP, OPCODES } from '../opcodes.js';
import { nestingDepth } from './graph.js';
import { runSimple } from './fast.js';
import { HANDLERS, type Handler } from './handlers.js';
import { emptyStack, Machine } from './machine.js';
import type { Memo } from './memo.js';
import { convertDicts } from './objects.js';
import { resolveOptions, type LoadOptions, type ResolvedOptions } from './options.js';

const unknownOpcode: Handler = (m) => {
  m.malformed('unknown_opcode', `invalid load key, 0x${m.data[m.opPos]!.toString(16).padStart(2, '0')}: not an opcode of protocols 0-5`);
};

/** 256 slots, one per byte: the handler of that opcode, or the unknown-opcode error. */
const DISPATCH: readonly Handler[] = (() => {
  const table: Handler[] = new Array<Handler>(256).fill(unknownOpcode);
  for (const op of OPCODES) if (op.name !== 'STOP') table[op.code] = HANDLERS[op.name as Exclude<typeof op.name, 'STOP'>];
  return table;
})();

const STOP = OP.STOP;

/**
 * One Machine kept for the life of the module. V8 holds the hidden classes of a Machine and of its
 * options object only weakly; when none survives a full garbage collection they are dropped, and
 * every optimised handler that relied on them is thrown away and recompiled on the next load
 * (measured: 3 ms loads became 11 ms after each collection). This instance keeps them alive; it
 * loads a small pickle once, at import, so that what it holds (its memo above all) has the shapes a
 * load's objects end up with (without it, a load of a million ints after a full GC took 21 ms
 * instead of 13: V8 threw the optimised loop away for a dead map).
 */
const RESIDENT = new Machine(
  // pickle.dumps([1, 'a', 2.5, {}], protocol=4): run once below, so that the objects it keeps went
  // through the same changes of shape as a load's (the memo grown, a frame opened and closed).
  new Uint8Array([0x80, 4, 0x95, 22, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0x94, 0x28, 0x4b, 1, 0x8c, 1, 0x61, 0x94, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x7d, 0x94, 0x65, 0x2e]),
  resolveOptions(),
);

/** Run one pickle from `m.pos` to its STOP and return its value. */
export function run(m: Machine): unknown {
  void RESIDENT; // referenced here, on every path, so bundlers keep it
  const data = m.data;
  const dispatch = DISPATCH;
  const guarded = m.guarded;
  const maxOps = m.o.maxOps;
  m.stack = emptyStack();
  m.sp = 0;
  m.marks = [];
  m.markOffsets = [];
  m.growing = null;
  m.settling = null;
  m.settleWork = 0;
  m.reconstructed = 0;
  m.counted = null;
  m.fence = 0;
  m.proto = 0;
  m.containers = 0;
  m.ops = 0;
  try {
    for (;;) {
      // Most opcodes of a data pickle go through the fast path; what it leaves, the handlers run.
      runSimple(m);
      const p = m.pos;
      if (p >= m.bound) {
        m.opPos = p;
        if (p === m.frameEnd) {
          // The frame was read to its end exactly: reads go on past it.
          m.closeFrame();
          continue;
        }
        m.truncated('pickle data was truncated: the input ended before STOP');
      }
      const op = data[p]!;
      m.opPos = p;
      m.pos = p + 1;
      if (++m.ops > maxOps && guarded) m.limit('maxOps', maxOps, 'too many opcodes');
      if (op === STOP) {
        if (m.frameEnd > m.pos && !m.restartFrames) m.malformed('frame_unfinished', 'STOP inside a frame that has bytes left: readers disagree on where the next pickle starts');
        return finish(m, m.pop());
      }
      dispatch[op]!(m);
    }
  } catch (e) {
    if (e instanceof PickleError) throw e;
    // Anything else is a bug of ours; report it as ours, with where it happened.
    const err = new UnpicklingError('internal_error', `internal error while unpickling (please report it): ${String(e)}`, {
      offset: m.base + m.opPos,
      opcode: data[m.opPos],
    });
    (err as { cause?: unknown }).cause = e;
    throw err;
  } finally {
    // Reading as pickle.load(file) does, the rest of a frame is what the next pickle reads first.
    if (!m.restartFrames) m.closeFrame();
    m.stack = emptyStack();
    m.sp = 0;
    m.marks = [];
    m.markOffsets = [];
    m.growing = null;
    m.settling = null;
  }
}

Machine.run = run;
run(RESIDENT);

function finish(m: Machine, value: unknown): unknown {
  m.settle();
  const max = m.o.maxDepth;
  if (m.containers > max && nestingDepth(value, max, m.containers) > max) {
    throw new LimitExceededError('maxDepth', max, 'containers nested too deeply', { offset: m.base + m.opPos, opcode: STOP });
  }
  return m.o.dicts === 'object' ? convertDicts(value) : value;
}

/** The input as a Uint8Array (any ArrayBuffer or view of one is accepted), within maxInputBytes. */
export function checkInput(data: unknown, o: ResolvedOptions): Uint8Array {
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  else if (ArrayBuffer.isView(data) && !(data instanceof Uint8Array)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!(data instanceof Uint8Array)) {
    throw new UnpicklingError('not_bytes', `expected the pickle as a Uint8Array, Buffer or ArrayBuffer, got ${data === null ? 'null' : typeof data}`);
  }
  if (data.length > o.maxInputBytes) {
    throw new LimitExceededError('maxInputBytes', o.maxInputBytes, `the input has ${data.length} bytes`, { offset: 0 });
  }
  return data;
}

/**
 * The memo of the last `loads`, emptied, lent to the next. A memo of a few hundred thousand entries
 * is an array V8 places in its large-object space, whose pages are mapped afresh for each one and
 * given back when it dies: a load of 200,000 short strs spent a quarter of its page faults on its
 * memo. Kept only up to SPARE_MEMO_MAX entries (8 MB), emptied (no value stays reachable from it).
 */
let spareMemo: Memo | null = null;
const SPARE_MEMO_MAX = 1 << 20;

/**
 * Read one pickle from `data` and return its value (Python's `pickle.loads`). Bytes after the
 * STOP are ignored, as in Python; use `Unpickler` to read several pickles in a row.
 */
export function loads(data: Uint8Array, options?: LoadOptions): unknown {
  const o = resolveOptions(options);
  const m = new Machine(checkInput(data, o), o);
  if (m.end === 0) throw new EndOfInputError({ offset: 0 });
  if (spareMemo !== null) {
    m.memo = spareMemo;
    spareMemo = null;
  }
  try {
    return run(m);
  } finally {
    const memo = m.memo;
    if (memo.dense.length <= SPARE_MEMO_MAX) {
      memo.clear();
      spareMemo = memo;
    }
  }
}

/** The outcome of `safeLoads`: the value, or the `PickleError` that `loads` would have thrown. */
export type SafeLoadResult = { ok: true; value: unknown } | { ok: false; error: PickleError };

/** `loads` that returns its error instead of throwing it (for `PickleError`s; misuse still throws). */
export function safeLoads(data: Uint8Array, options?: LoadOptions): SafeLoadResult {
  try {
    return { ok: true, value: loads(data, options) };
  } catch (error) {
    if (error instanceof PickleError) return { ok: false, error };
    throw error;
  }
}

/**
 * Reads pickles one after another from the same bytes (like Python's `Unpickler(file).load()` in
 * a loop). The memo carries over from one pickle to the next, as in Python. At the end of the
 * input, `load()` throws `EndOfInputError`; a pickle cut short throws `TruncatedPickleError`.
 */
export class Unpickler {
  readonly #options: ResolvedOptions;
  #m: Machine;
  #running = false;

  constructor(data: Uint8Array, options?: LoadOptions) {
    this.#options = resolveOptions(options);
    this.#m = new Machine(checkInput(data, this.#options), this.#options);
  }

  /** Offset of the next unread byte. */
  get position(): number {
    return this.#m.pos;
  }

  /** True when every byte of the input has been read. */
  get done(): boolean {
    return this.#m.pos >= this.#m.end;
  }

  /** The next pickle's value. */
  load(): unknown {
    if (this.#running) {
      throw new UnpicklingError('reentrant_load', 'Unpickler.load() was called again while it was running (from a callback)');
    }
    const m = this.#m;
    if (m.pos >= m.end) throw new EndOfInputError({ offset: m.pos });
    this.#running = true;
    try {
      return run(m);
    } finally {
      this.#running = false;
    }
  }

  /** Start over on new bytes with the same options (memo cleared). */
  reset(data: Uint8Array): void {
    if (this.#running) throw new UnpicklingError('reentrant_load', 'Unpickler.reset() was called while it was running');
    this.#m = new Machine(checkInput(data, this.#options), this.#options);
  }

  *[Symbol.iterator](): Iterator<unknown> {
    while (!this.done) yield this.load();
  }
}

