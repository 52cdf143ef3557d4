import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import type { Policy } from '../policy/types.js';

/** Options of `loads`, `load` and `Unpickler`. Names mirror Python's keywords in camelCase. */
export interface LoadOptions extends Partial<Limits> {
  /** Which globals may be resolved, called, instantiated or given state. Default: builtin types only. */
  policy?: Policy;
  /** How Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING) is decoded: an encoding name, or 'bytes'. Default 'ASCII'. */
  encoding?: string;
  /** Error handler for that decoding: 'strict' (default), 'replace', 'ignore', 'surrogateescape', 'backslashreplace'. */
  errors?: string;
  /** Map Python 2 module names (`__builtin__`, `copy_reg`, …) to Python 3 ones in protocol 0-2 pickles. Default true. */
  fixImports?: boolean;
  /** Out-of-band buffers for protocol 5's NEXT_BUFFER, in order. Default: none (NEXT_BUFFER is an error). */
  buffers?: Iterable<Uint8Array> | null;
  /** Resolves PERSID / BINPERSID ids. Default: none (those opcodes are an error, as in CPython). */
  persistentLoad?: ((pid: unknown) => unknown) | null;
  /** Extension registry for EXT1/2/4: code → [module, qualname]; the name then goes through the policy. */
  extensions?: ReadonlyMap<number, readonly [string, string]> | null;
  /** Keep integral floats (2.0, -0.0) as `PyFloat` instead of numbers. Default false. */
  exact?: boolean;
  /** 'map' (default): dicts load as Maps. 'object': string-keyed dicts load as null-prototype objects. */
  dicts?: 'map' | 'object';
  /** Return bytes as views into the input instead of copies. Default false. */
  zeroCopy?: boolean;
}

/** Options with every default filled in. */
export interface ResolvedOptions extends Limits {
  policy: Policy;
  encoding: string;
  errors: string;
  fixImports: boolean;
  buffers: Iterable<Uint8Array> | null;
  persistentLoad: ((pid: unknown) => unknown) | null;
  extensions: ReadonlyMap<number, readonly [string, string]> | null;
  exact: boolean;
  dicts: 'map' | 'object';
  zeroCopy: boolean;
}

export function resolveOptions(options: LoadOptions = {}): ResolvedOptions {
  const pick = <K extends keyof Limits>(k: K): number => {
    const v = options[k];
    if (v === undefined) return DEFAULT_LIMITS[k];
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new TypeError(`option ${k} must be a non-negative number`);
    return v;
  };
  return {
    maxInputBytes: pick('maxInputBytes'),
    maxObjectBytes: pick('maxObjectBytes'),
    maxMemoEntries: pick('maxMemoEntries'),
    maxStackItems: pick('maxStackItems'),
    maxDepth: pick('maxDepth'),
    maxOps: pick('maxOps'),
    maxIntDigits: pick('maxIntDigits'),
    maxReconstructedBytes: pick('maxReconstructedBytes'),
    policy: options.policy ?? DEFAULT_POLICY,
    encoding: options.encoding ?? 'ASCII',
    errors: options.errors ?? 'strict',
    fixImports: options.fixImports ?? true,
    buffers: options.buffers ?? null,
    persistentLoad: options.persistentLoad ?? null,
    extensions: options.extensions ?? null,
    exact: options.exact ?? false,
    dicts: options.dicts ?? 'map',
    zeroCopy: options.zeroCopy ?? false,
  };
}
