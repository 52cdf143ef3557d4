/**
 * The loading outcome that `audit`'s verdict must equal (issue 11 §2): load every pickle of the
 * input with one `Unpickler` (the memo carries over, as in CPython) until `done`. Every pickle
 * loaded → 'safe'; the first error a RefusedGlobalError → 'unsafe'; any other PickleError
 * (malformed, truncated, limits, EndOfInputError for empty input, no persistentLoad / buffers /
 * extension registry, …) → 'malformed'.
 */
import { PickleError, RefusedGlobalError, Unpickler, type LoadOptions, type Verdict } from '../../src/index.js';

/** What the loader threw that is not one of our errors, or our 'internal_error' wrapper of one: a bug. */
export class LoaderBug extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'LoaderBug';
  }
}

/** The class of the error (null: loaded) that loading `bytes` with `options` ends with. Throws LoaderBug for a bug. */
export function loadError(bytes: Uint8Array, options?: LoadOptions): PickleError | null {
  try {
    const u = new Unpickler(bytes, options);
    do u.load();
    while (!u.done);
    return null;
  } catch (e) {
    if (!(e instanceof PickleError)) throw new LoaderBug(`the loader threw a non-PickleError ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e)}`, e);
    if (e.code === 'internal_error') throw new LoaderBug(`the loader reported an internal error: ${e.message}`, e);
    return e;
  }
}

/** 'safe' | 'unsafe' | 'malformed': what loading `bytes` under `options` does, as a verdict. */
export function loadOutcome(bytes: Uint8Array, options?: LoadOptions): Verdict {
  const e = loadError(bytes, options);
  return e === null ? 'safe' : e instanceof RefusedGlobalError ? 'unsafe' : 'malformed';
}
