/**
 * Finding where a pickle ends without running it: each opcode's argument is skipped by its kind
 * in the opcode table, until STOP. A stream reader uses it to wait until a whole pickle has arrived
 * before running it once (running a pickle twice would repeat its effects on earlier pickles'
 * objects and its calls to persistentLoad).
 */
import { ARG_KINDS, OP, OPCODE_BY_BYTE } from '../opcodes.js';

/** Offset just past the STOP of the pickle starting at `start`; 'truncated' when the bytes end first; 'invalid' when it cannot be skipped. */
export function endOfPickle(data: Uint8Array, start: number): number | 'truncated' | 'invalid' {
  const end = data.length;
  let p = start;
  while (p < end) {
    const op = OPCODE_BY_BYTE[data[p]!];
    if (op === undefined) return 'invalid';
    p++;
    if (op.code === OP.STOP) return p;
    if (op.arg === null) continue;
    const size = ARG_KINDS[op.arg].size;
    if (op.code === OP.FRAME) {
      // The unpickler checks a frame against the bytes it has: wait for all of it.
      if (p + 8 > end) return 'truncated';
      let n = 0;
      for (let i = 7; i >= 0; i--) n = n * 256 + data[p + i]!;
      p += 8;
      if (n > end - p) return 'truncated';
    } else if (typeof size === 'number') {
      p += size;
    } else if (size === 'line' || size === 'line2') {
      for (let lines = size === 'line' ? 1 : 2; lines > 0; lines--) {
        const nl = data.indexOf(10, p);
        if (nl < 0) return 'truncated';
        p = nl + 1;
      }
    } else {
      const width = size === 'len1' ? 1 : size === 'len4' ? 4 : 8;
      if (p + width > end) return 'truncated';
      let n = 0;
      for (let i = width - 1; i >= 0; i--) n = n * 256 + data[p + i]!;
      // int4 lengths (LONG4, BINSTRING) are signed: a negative one is for the unpickler to reject.
      if (width === 4 && (op.arg === 'long4' || op.arg === 'string4') && n >= 0x80000000) return 'invalid';
      p += width + n;
    }
  }
  return 'truncated';
}
