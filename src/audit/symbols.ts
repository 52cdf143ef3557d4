/**
 * The symbolic values the auditor's stack emulation pushes instead of real objects: just enough to
 * name what a call applies to (strings, globals, tuples, call results) and, when reading joblib
 * files, to size the raw array data that follows an array wrapper (ints, None, small str-keyed
 * dicts, the state a BUILD gave a call result).
 */
export type Sym = StrSym | GlobalSym | TupleSym | ResultSym | IntSym | DictSym | NoneSym | OtherSym;

export interface StrSym {
  readonly k: 'str';
  readonly v: string;
  /** Offset of the opcode that pushed it. */
  readonly at: number;
}
export interface GlobalSym {
  readonly k: 'global';
  /** `module.qualname`, or a placeholder such as `?` when the scan could not read it. */
  readonly name: string;
  readonly module: string;
  readonly qualname: string;
  readonly allowed: boolean;
}
export interface TupleSym {
  readonly k: 'tuple';
  readonly items: readonly Sym[];
}
/** What a call returned. `state` is what a later BUILD gave it (tracked in joblib mode only). */
export interface ResultSym {
  readonly k: 'result';
  /** The callable, or null when the scan could not name it. */
  readonly of: string | null;
  readonly args: Sym | undefined;
  state: Sym | undefined;
}
export interface IntSym {
  readonly k: 'int';
  readonly v: number;
}
/** A dict, with its str keys tracked up to DICT_TRACKED entries (joblib mode only). */
export interface DictSym {
  readonly k: 'dict';
  readonly entries: Map<string, Sym>;
  /** False once a key was not a str or the dict outgrew what is tracked. */
  complete: boolean;
}
export interface NoneSym {
  readonly k: 'none';
}
export interface OtherSym {
  readonly k: 'other';
}

export const OTHER: OtherSym = Object.freeze({ k: 'other' });
export const NONE: NoneSym = Object.freeze({ k: 'none' });
/** Most str keys tracked in one dict: a joblib array wrapper's state has six. */
export const DICT_TRACKED = 32;

export function result(of: string | null, args?: Sym): ResultSym {
  return { k: 'result', of, args, state: undefined };
}

/** Record `key: value` in a tracked dict. */
export function dictSet(d: DictSym, key: Sym, value: Sym): void {
  if (key.k !== 'str') {
    d.complete = false;
  } else if (d.entries.has(key.v) || d.entries.size < DICT_TRACKED) {
    d.entries.set(key.v, value);
  } else {
    d.complete = false;
  }
}
