/**
 * The names past the point where loading stopped. CPython's two readers are more lenient than the
 * loader in places (the pure-Python one takes ` 2.5 ` as a FLOAT and any iterable as REDUCE's
 * arguments; the C one ignores frame ends), so a reader might go on where ours stops, and a
 * scanner must still name what it would reach. This sweep walks the opcodes from the start of the
 * pickle where the load stopped with the same OpReader, tracking only which stack items and memo
 * entries are strs (for STACK_GLOBAL), and names every GLOBAL, INST and STACK_GLOBAL at or past
 * the stop. Where an opcode cannot be read at all, it steps one byte and reads on (up to 10,000
 * times: past that the rest is garbage, not a pickle). It never judges:
 * it is used only for input that is already `malformed`.
 */
import { OP, OPCODE_BY_BYTE } from '../opcodes.js';
import { OpReader } from '../unpickler/opreader.js';
import { Memo } from '../unpickler/memo.js';

export interface SweptName {
  readonly module: string;
  readonly qualname: string;
  readonly offset: number;
  readonly opcode: number;
  /**
   * The protocol the pickle had declared there (Python 2 renames apply below 3), or -1 when the
   * sweep stepped over unreadable bytes before it: what it took for opcodes there (a STOP inside
   * a FLOAT that Python's float() reads, say) may have reset the protocol another reader keeps.
   */
  readonly protocol: number;
}

/** Opcodes that push a str. */
const STR_OPS = new Set<number>([OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8, OP.UNICODE, OP.STRING, OP.BINSTRING, OP.SHORT_BINSTRING]);
const GETS = new Set<number>([OP.GET, OP.BINGET, OP.LONG_BINGET]);
const PUTS = new Set<number>([OP.PUT, OP.BINPUT, OP.LONG_BINPUT]);
const NOT_A_STR = null;
/** Opcodes that fail to read before the sweep gives up (each costs an error object): garbage is not a pickle. */
const MAX_UNREADABLE = 10_000;

/** A pickle the sweep read to its STOP. */
export interface SweptPickle {
  readonly start: number;
  readonly end: number;
  readonly protocol: number;
  readonly opcodes: number;
}

/**
 * Every name a lenient reader could reach from byte `from` on, reading from `start` (where that
 * pickle began), and the pickles it read to their STOP that begin past `from`.
 */
export function sweepNames(bytes: Uint8Array, start: number, from: number, maxOps: number, firstOnly = false): { names: SweptName[]; pickles: SweptPickle[] } {
  const names: SweptName[] = [];
  const pickles: SweptPickle[] = [];
  let protocol = 0;
  let count = 0;
  /** Where the pickle being read began: after a STOP, not where reading resumed after an unreadable byte. */
  let pickleStart = start;
  const stack: (string | null)[] = [];
  const marks: number[] = [];
  const memo = new Memo();
  let ops = 0;
  let at = start;
  const latin1 = (b: Uint8Array): string => String.fromCharCode(...b.subarray(0, 256));
  const pop = (): string | null => (stack.length > (marks[marks.length - 1] ?? 0) ? stack.pop()! : NOT_A_STR);
  const r = new OpReader(bytes, at, { maxIntDigits: Infinity });
  let unreadable = 0;
  while (at < bytes.length && ops < maxOps && unreadable < MAX_UNREADABLE) {
    // Bytes that are no opcode are stepped over here, without an error for each.
    while (at < bytes.length && OPCODE_BY_BYTE[bytes[at]!] === undefined) at++;
    if (at >= bytes.length) break;
    r.seek(at);
    try {
      while (ops++ < maxOps && r.next()) {
        const code = r.op.code;
        count++;
        if (code === OP.PROTO) protocol = Number(r.arg);
        if (code === OP.STOP) {
          if (pickleStart > from) pickles.push({ start: pickleStart, end: r.end, protocol, opcodes: count });
          pickleStart = r.end;
          protocol = count = 0;
          stack.length = 0;
          marks.length = 0;
          continue;
        }
        if (code === OP.MARK) {
          marks.push(stack.length);
          continue;
        }
        if (r.pos >= from && (code === OP.GLOBAL || code === OP.INST)) names.push({ module: r.module, qualname: r.qualname, offset: r.pos, opcode: code, protocol: unreadable ? -1 : protocol });
        if (code === OP.STACK_GLOBAL) {
          const qualname = pop();
          const module = pop();
          if (r.pos >= from && module !== null && qualname !== null) names.push({ module, qualname, offset: r.pos, opcode: code, protocol: unreadable ? -1 : protocol });
          stack.push(NOT_A_STR);
        } else if (STR_OPS.has(code)) {
          stack.push(typeof r.arg === 'string' ? r.arg : r.arg instanceof Uint8Array ? latin1(r.arg) : NOT_A_STR);
        } else if (GETS.has(code)) {
          const v = memo.get(Number(r.arg));
          stack.push(typeof v === 'string' ? v : NOT_A_STR);
        } else if (PUTS.has(code) || code === OP.MEMOIZE) {
          const index = code === OP.MEMOIZE ? memo.count : Number(r.arg);
          // (dense growth doubles, as the Machine's does, so a run of puts stays linear)
          const grow = (i: number): number => (i < 2 * memo.count + 1024 ? Math.max(i + 1, 2 * memo.dense.length, 1024) : -1);
          if (memo.count < 1 << 20) memo.put(index, stack[stack.length - 1] ?? NOT_A_STR, () => undefined, grow);
        } else {
          // Anything else: what the opcode table says it pops and pushes, its values unknown.
          const before = r.op.before;
          for (let i = before.length - 1; i >= 0; i--) {
            if (before[i] === 'stackslice') stack.length = Math.min(stack.length, marks.pop() ?? 0);
            else if (before[i] !== 'mark') pop();
          }
          for (let i = 0; i < r.op.after.length; i++) stack.push(NOT_A_STR);
        }
      }
      at = r.end;
      if (r.op.code === OP.STOP && !firstOnly) continue;
      break;
    } catch {
      const cut = r.pos >= from ? cutName(bytes, r.pos) : null;
      if (cut !== null) names.push({ ...cut, protocol: unreadable ? -1 : protocol });
      // Unreadable here: step one byte past the opcode and read on, as the same pickle (its memo kept).
      at = Math.max(r.pos, at) + 1;
      ops++;
      unreadable++;
      stack.length = 0;
      marks.length = 0;
    }
  }
  if (pickleStart > from && pickleStart < bytes.length && count > 0) pickles.push({ start: pickleStart, end: bytes.length, protocol, opcodes: count });
  return { names, pickles };
}

/**
 * GLOBAL or INST at `p` whose name lines run to the end of the input: CPython's pure-Python reader
 * drops a line's last byte as if it were the newline and resolves what is left (`os\nsystemX` names
 * os.system, `copy_regX` names (copy_reg, '')), then fails for want of input.
 */
function cutName(bytes: Uint8Array, p: number): Omit<SweptName, 'protocol'> | null {
  const code = bytes[p];
  if (code !== OP.GLOBAL && code !== OP.INST) return null;
  const text = (a: number, b: number): string | null => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(a, b));
    } catch {
      return null;
    }
  };
  // A line read at the end of the input loses its last byte (an empty one stays empty).
  const line = (a: number, b: number): string | null => text(a, Math.max(a, b - 1));
  const nl = bytes.indexOf(0x0a, p + 1);
  if (nl >= 0 && bytes.indexOf(0x0a, nl + 1) >= 0) return null;
  const module = nl < 0 ? line(p + 1, bytes.length) : text(p + 1, nl);
  const qualname = nl < 0 ? '' : line(nl + 1, bytes.length);
  return module === null || qualname === null ? null : { module, qualname, offset: p, opcode: code };
}
