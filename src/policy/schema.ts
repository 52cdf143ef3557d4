/**
 * The pack format: strict zod schemas, so a typo fails with its path (`entries[3].module`).
 * A pack is data only: exact Python names mapped to reconstructor ids and the uses allowed.
 */
import { z } from 'zod';

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

const count = z.number().int().nonnegative();

export const TypeSpecSchema: z.ZodType<TypeSpec> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(SPEC_TYPES).optional(),
      minLength: count.optional(),
      maxLength: count.optional(),
      items: z.union([TypeSpecSchema, z.array(TypeSpecSchema)]).optional(),
      keys: TypeSpecSchema.optional(),
      values: TypeSpecSchema.optional(),
      oneOf: z.array(TypeSpecSchema).min(1).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      names: z.array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a dotted Python name')).optional(),
    })
    .refine((s) => s.type !== undefined || s.oneOf !== undefined, 'a constraint needs "type" or "oneOf"'),
);

/** A Python identifier path: `collections`, `datetime`, `ZoneInfo._unpickle`. No wildcards, no empty parts. */
const dotted = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(256)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, `${what} must be an exact dotted Python name (no wildcards)`);

export const EntrySchema = z.strictObject({
  module: dotted('module'),
  qualname: dotted('qualname'),
  /** Id of a reconstructor: built in, or registered by the host program. */
  reconstructor: z.string().min(1).max(128).regex(/^[A-Za-z_][\w.:-]*$/, 'a reconstructor id'),
  uses: z.array(z.enum(USES)).min(1).refine((u) => new Set(u).size === u.length, 'uses must not repeat'),
  /** `"getattr"`: the name is also reachable as `getattr(module.Class, 'attr')`, and only this exact pair. */
  via: z.literal('getattr').optional(),
  args: TypeSpecSchema.optional(),
  kwargs: TypeSpecSchema.optional(),
  state: TypeSpecSchema.optional(),
  note: z.string().max(500).optional(),
});
export type PackEntry = z.infer<typeof EntrySchema>;

const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const packId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a pack id is lower-case letters, digits, ".", "_" or "-"');

export const PackRefSchema = z.strictObject({
  id: packId,
  version: z.string().regex(semver, 'a semver version such as 1.0.0'),
  /** sha256 of the pack's canonical JSON. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a digest such as sha256:<64 hex digits>'),
});
export type PackRef = z.infer<typeof PackRefSchema>;

export const PackSchema = z.strictObject({
  $schema: z.string().optional(),
  id: packId,
  version: z.string().regex(semver, 'a semver version such as 1.0.0'),
  description: z.string().min(1).max(2000),
  extends: z.array(PackRefSchema).optional(),
  entries: z.array(EntrySchema),
});
export type Pack = z.infer<typeof PackSchema>;
