/**
 * The pack format's types and vocabularies, with no validator attached: the shipped packs are checked
 * when they are embedded, so loading the library needs none. `pack-schema.ts` validates a user's pack.
 * A pack is data only: exact Python names mapped to reconstructor ids and the uses allowed.
 */

/** How a pickle may use an allowed name. */
export const USES = ['call', 'new', 'state', 'reference'] as const;
export type Use = (typeof USES)[number];

/** Python value kinds a constraint can name. */
export const SPEC_TYPES = [
  'none', 'bool', 'int', 'float', 'str', 'bytes', 'bytearray', 'tuple', 'list', 'dict', 'set', 'frozenset', 'global', 'any',
] as const;
export type SpecType = (typeof SPEC_TYPES)[number];

/** A declarative constraint on an argument tuple, keyword arguments or state, checked before the reconstructor runs. */
export interface TypeSpec {
  type?: SpecType;
  minLength?: number;
  maxLength?: number;
  /** One spec for every item, or one per position (then no more items than specs). */
  items?: TypeSpec | TypeSpec[];
  keys?: TypeSpec;
  values?: TypeSpec;
  oneOf?: TypeSpec[];
  min?: number;
  max?: number;
  /** For `global`: the names allowed, as `module.qualname`. */
  names?: string[];
}

/** One allowed name. */
export interface PackEntry {
  module: string;
  qualname: string;
  /** Id of a reconstructor: built in, or registered by the host program. */
  reconstructor: string;
  uses: Use[];
  /** `"getattr"`: the name is also reachable as `getattr(module.Class, 'attr')`, and only this exact pair. */
  via?: 'getattr';
  args?: TypeSpec;
  kwargs?: TypeSpec;
  state?: TypeSpec;
  note?: string;
}

/** A pack this one extends, pinned by version and content digest. */
export interface PackRef {
  id: string;
  version: string;
  /** sha256 of the pack's canonical JSON. */
  digest: string;
}

export interface Pack {
  $schema?: string;
  id: string;
  version: string;
  description: string;
  extends?: PackRef[];
  entries: PackEntry[];
}
