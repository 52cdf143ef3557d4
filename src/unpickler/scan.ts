/**
 * Finding where a pickle ends without running it, by reading its opcodes with the loader's own
 * reader (OpReader, frames checked as the loader checks them) until STOP. A stream reader uses it
 * to wait until a whole pickle has arrived before running it once (running a pickle twice would
 * repeat its effects on earlier pickles' objects and its calls to persistentLoad).
 */
import { TruncatedPickleError } from '../errors.js';
import { OpReader } from './opreader.js';

/** Offset just past the STOP of the pickle starting at `start`; 'truncated' when the bytes end first; 'invalid' when it cannot be read. */
export function endOfPickle(data: Uint8Array, start: number): number | 'truncated' | 'invalid' {
  const r = new OpReader(data, start, { frames: 'strict', maxIntDigits: Infinity });
  try {
    while (r.next());
    return r.end;
  } catch (e) {
    return e instanceof TruncatedPickleError ? 'truncated' : 'invalid';
  }
}
