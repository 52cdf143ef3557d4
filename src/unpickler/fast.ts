/**
 * The fast path of the opcode loop: a run of the commonest simple opcodes (small ints, floats,
 * short strs, memo gets and puts, MARK, empty lists and dicts, a dict's SETITEMS), read with the position, the stack
 * and the memo in local variables and no call per opcode. Pickles of data are mostly such runs
 * (a list of a million ints is a million BININT1/BININT2 between a few hundred MARK/APPENDS), and
 * going through the handler table costs several times what these opcodes do themselves.
 *
 * It checks no less than the handlers do, by not checking for them: it stops before any opcode it
 * does not take and before any that would fail (argument cut short, memo miss, bad UTF-8, a str
 * over maxObjectBytes, a limit about to be reached). The loop then runs that opcode through its
 * handler, which reports the error with the right offset and opcode. Opcodes that can fail in
 * ways the handler owns (MEMOIZE's memo limit, MARK's depth limit) call the Machine with `opPos`
 * and `pos` set as the loop would have set them.
 */
import { isHashable } from '../model/hashable.js';
import type { Machine } from './machine.js';
import { asciiShort, decodeUtf8 } from './text.js';

/** Most opcodes one call runs (then the loop calls again). */
const RUN_MAX = 0x3fffffff;
/**
 * A list made in this run and filled by one APPENDS of at most this many items is made at its
 * final size (a copy of the items), not grown by pushes from empty: V8 gives an empty array 16
 * slots at its first push, so a two-item list took 243 bytes instead of 64 (records loads: a
 * third of all allocation). Longer lists grow as before (and keep their unboxed doubles).
 */
const EXACT_LIST = 16;

/**
 * Run the simple opcodes from `m.pos` on; returns how many ran (0 when the opcode at `m.pos` is not
 * one of them or must go through its handler). Leaves `m.pos` at the first opcode not run.
 */
export function runSimple(m: Machine): number {
  const data = m.data;
  // Within the open frame (framing is strict): an opcode that would cross its end goes to its handler.
  const end = m.bound;
  const s = m.stack;
  const memos = m.memo;
  const memo = memos.dense;
  const o = m.o;
  // New memo entries the fast path may add while the count stays below this (then memoPut reports the limit).
  const memoLimit = m.memoGuarded ? o.maxMemoEntries : 0x7fffffff;
  // Below the length that `guarded` stands for, the input is too short to exceed maxOps or
  // maxStackItems (each opcode takes a byte, and pushes at most one item); above it, run no more
  // opcodes than both limits still allow, and let the handlers report the one that goes over.
  // (Kept a small integer, so the JIT compares it as one: a longer run just ends early and resumes.)
  let sp = m.sp;
  const budget = m.guarded ? Math.min(o.maxOps - m.ops, o.maxStackItems - sp, RUN_MAX) : RUN_MAX;
  let p = m.pos;
  let n = 0;
  // The list made by the last EMPTY_LIST of this run, while nothing but its stack slot and at most
  // one memo slot (`pendMemo`) holds it: its EMPTY_LIST, then at most one MEMOIZE or BINPUT, then a
  // MARK ran back to back (`pendAt` is where the next of those must start), no BINGET has fetched
  // it since, and the MARK (at depth `pendMarks`) is still open. Its APPENDS may then replace it
  // by a list of the right size: nothing can tell the two apart.
  let pend: unknown[] | null = null;
  let pendAt = -1;
  let pendMemo = -1;
  let pendMarks = -1;
  // The case labels are the opcode bytes (literals, so the switch compiles to a jump table); a
  // wrong one would run an opcode as another: test/fast-path.test.ts checks each against the table.
  loop: while (n < budget && p < end) {
    switch (data[p]!) {
      case 0x68: { // BINGET
        // In a loop of its own: shared references come in long runs (a list of them). A memo
        // miss (or a far index, kept in the sparse memo) goes to the handler, and so does a
        // BINGET in the input's last byte (its argument cut short).
        const p0 = p;
        const memoLength = memo.length;
        const room = budget - n;
        const stop = room >= end - p ? end - 1 : Math.min(end - 1, p + 2 * room);
        while (p < stop && data[p] === 0x68) {
          const i = data[p + 1]!;
          const v = i < memoLength ? memo[i] : undefined;
          if (v === undefined) break;
          if (v === pend) pend = null;
          s[sp++] = v;
          p += 2;
        }
        if (p === p0) break loop;
        n += (p - p0) >> 1;
        continue loop;
      }
      case 0x4b: // BININT1
        if (p + 1 >= end) break loop;
        s[sp++] = data[p + 1]!;
        p += 2;
        break;
      case 0x4d: // BININT2
        if (p + 2 >= end) break loop;
        s[sp++] = data[p + 1]! | (data[p + 2]! << 8);
        p += 3;
        break;
      case 0x4a: // BININT (signed)
        if (p + 4 >= end) break loop;
        s[sp++] = data[p + 1]! | (data[p + 2]! << 8) | (data[p + 3]! << 16) | (data[p + 4]! << 24);
        p += 5;
        break;
      case 0x47: // BINFLOAT (with `exact`, integral floats become PyFloat: the handler's job)
        if (o.exact || p + 8 >= end) break loop;
        s[sp++] = m.view.getFloat64(p + 1, false);
        p += 9;
        break;
      case 0x8c: { // SHORT_BINUNICODE
        if (p + 1 >= end) break loop;
        const a = p + 2;
        const len = data[p + 1]!;
        if (len > end - a || len > o.maxObjectBytes) break loop;
        const str = (len <= 12 ? asciiShort(data, a, len) : null) ?? decodeUtf8(data, a, a + len);
        if (str === null) break loop;
        s[sp++] = str;
        p = a + len;
        break;
      }
      case 0x88: // NEWTRUE
        s[sp++] = true;
        p++;
        break;
      case 0x89: // NEWFALSE
        s[sp++] = false;
        p++;
        break;
      case 0x4e: // NONE
        s[sp++] = null;
        p++;
        break;
      case 0x5d: { // EMPTY_LIST
        m.containers++;
        const next = data[p + 1];
        if (next === 0x94 || next === 0x28 || next === 0x71) {
          const q = listOfGets(m, p, sp, budget - n);
          if (q >= 0) {
            // Opcodes run: 2 bytes each but EMPTY_LIST, MARK, APPENDS and a MEMOIZE (a BINPUT has 2).
            n += (q - p + (next === 0x94 ? 4 : 3)) / 2;
            sp++;
            p = q;
            pend = null;
            continue loop;
          }
        }
        const list: unknown[] = [];
        s[sp++] = list;
        p++;
        pend = list;
        pendAt = p;
        pendMemo = -1;
        pendMarks = -1;
        break;
      }
      case 0x7d: // EMPTY_DICT
        m.containers++;
        s[sp++] = new Map();
        p++;
        break;
      case 0x94: { // MEMOIZE (memoPut counts entries against maxMemoEntries and sizes the memo from pos)
        if (sp <= m.fence) break loop;
        const index = memos.count;
        if (!memos.putDense(index, s[sp - 1], memoLimit)) {
          m.opPos = p;
          m.pos = p + 1;
          m.sp = sp;
          m.memoPut(index, s[sp - 1]);
        }
        if (p === pendAt) {
          if (pendMemo >= 0) pend = null; // a second memo slot
          pendMemo = index;
          pendAt = p + 1;
        }
        p++;
        break;
      }
      case 0x71: // BINPUT (outside the dense part, or at the entry limit: the handler)
        if (p + 1 >= end || sp <= m.fence || !memos.putDense(data[p + 1]!, s[sp - 1], memoLimit)) break loop;
        if (p === pendAt) {
          if (pendMemo >= 0) pend = null;
          pendMemo = data[p + 1]!;
          pendAt = p + 2;
        }
        p += 2;
        break;
      case 0x65: { // APPENDS (only onto `pend`, made at its size; any other goes to the handler)
        const k = m.fence;
        if (pend === null || m.marks.length !== pendMarks || sp === k || sp - k > EXACT_LIST || s[k - 1] !== pend || pend.length !== 0) break loop;
        if (pendMemo >= 0 && memo[pendMemo] !== pend) break loop;
        const list = s.slice(k, sp);
        s[k - 1] = list;
        if (pendMemo >= 0) memo[pendMemo] = list;
        pend = null;
        m.popMark();
        sp = k;
        p++;
        break;
      }
      case 0x75: { // SETITEMS (a non-empty even batch onto a Map; anything else goes to the handler)
        const marks = m.marks;
        const k = m.fence;
        if (marks.length === 0 || sp === k || ((sp - k) & 1) !== 0) break loop;
        // The MARK's batch sets items on the Map below it, above the fence of the MARK before.
        if (k - 1 < (marks.length > 1 ? marks[marks.length - 2]! : 0)) break loop;
        const d = s[k - 1];
        // An unhashable key: the handler sets the batch again (the same pairs, to the same effect) and reports it.
        if (!(d instanceof Map) || setItems(d, s, k, sp) >= 0) break loop;
        m.popMark();
        sp = k;
        p++;
        break;
      }
      case 0x28: { // MARK (mark() checks the depth limit and records opPos)
        const fresh = p === pendAt ? pend : null;
        pendAt = -1;
        if (data[p + 1] === 0x68) {
          const q = appendsOfGets(m, p, sp, budget - n);
          if (q >= 0) {
            pend = null;
            n += (q - p) / 2 + 1; // MARK, the BINGETs, APPENDS
            p = q;
            continue loop;
          }
        }
        m.opPos = p;
        m.pos = p + 1;
        m.sp = sp;
        m.mark();
        if (fresh !== null) pendMarks = m.marks.length;
        p++;
        break;
      }
      default:
        break loop;
    }
    n++;
  }
  m.pos = p;
  m.sp = sp;
  m.ops += n;
  return n;
}

/**
 * `d[key] = value` for the pairs `s[k .. n)` (SETITEMS), up to the first key Python could not hash;
 * returns that key's index, or -1 when all were set.
 */
export function setItems(d: Map<unknown, unknown>, s: readonly unknown[], k: number, n: number): number {
  for (let i = k; i < n; i += 2) {
    const key = s[i];
    if (typeof key === 'object' && key !== null && !isHashable(key)) return i;
    d.set(key, s[i + 1]);
  }
  return -1;
}

/**
 * MARK, a run of BINGETs, APPENDS, onto a plain list below the MARK (a list of shared references,
 * or of one memoized str again and again): append the memo's values straight to the list, without
 * the stack in between. Returns the position after the APPENDS, or -1 to run the MARK as usual.
 * It takes the run only when every opcode in it would succeed, within `room` opcodes, and only
 * where the MARK would not go past maxDepth.
 */
function appendsOfGets(m: Machine, p: number, sp: number, room: number): number {
  const s = m.stack;
  const list = s[sp - 1];
  if (sp <= m.fence || !Array.isArray(list) || Object.getPrototypeOf(list) !== Array.prototype) return -1;
  if (m.marks.length >= m.o.maxDepth) return -1;
  const q = appendsAfterGets(m, p + 1, p + 1 + 2 * room, -1);
  if (q < 0) return -1;
  const count = (q - p - 1) / 2;
  if (count + 2 > room) return -1;
  m.opPos = q;
  m.pos = q + 1;
  m.extendFromMemo(list as unknown[], p + 1, count, p);
  return q + 1;
}

/**
 * The position of the APPENDS that ends a run of BINGETs from `q` on, each fetching a value (and
 * none the entry `self`), all before `limit`; -1 when there is none.
 */
function appendsAfterGets(m: Machine, q: number, limit: number, self: number): number {
  const data = m.data;
  const end = m.bound;
  const memo = m.memo.dense;
  const stop = Math.min(end - 1, limit);
  while (q < stop && data[q] === 0x68) { // BINGET
    const i = data[q + 1]!;
    if (i === self || i >= memo.length || memo[i] === undefined) return -1;
    q += 2;
  }
  return q < end && data[q] === 0x65 ? q : -1; // APPENDS
}

/**
 * EMPTY_LIST, perhaps MEMOIZE or BINPUT, MARK, a run of BINGETs, APPENDS (a short list of shared
 * references, `["a", "b"]` in a record): make the list at its size at once, at `s[sp]`, and store it
 * in the memo, instead of an empty list that the APPENDS replaces (see EXACT_LIST). Returns the
 * position after the APPENDS, or -1 (nothing done) unless every opcode of the run would succeed
 * within `room` opcodes.
 */
function listOfGets(m: Machine, p: number, sp: number, room: number): number {
  const data = m.data;
  const memos = m.memo;
  const op = data[p + 1];
  const put = op === 0x94 ? memos.count : op === 0x71 ? data[p + 2]! : -1; // MEMOIZE, BINPUT
  const mark = op === 0x94 ? p + 2 : op === 0x71 ? p + 3 : p + 1;
  if (mark >= m.bound || data[mark] !== 0x28 || m.marks.length >= m.o.maxDepth) return -1; // MARK
  const q = appendsAfterGets(m, mark + 1, mark + 1 + 2 * EXACT_LIST, put);
  if (q < 0) return -1;
  const count = (q - mark - 1) / 2;
  if (count === 0 || count + (put >= 0 ? 4 : 3) > room) return -1;
  const s = m.stack;
  for (let j = 0; j < count; j++) s[sp + 1 + j] = memos.dense[data[mark + 2 + 2 * j]!];
  const list = s.slice(sp + 1, sp + 1 + count);
  if (put >= 0 && !memos.putDense(put, list, m.memoGuarded ? m.o.maxMemoEntries : 0x7fffffff)) return -1;
  s[sp] = list;
  return q + 1;
}
