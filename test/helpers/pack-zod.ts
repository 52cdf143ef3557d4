/**
 * The pack format as strict zod schemas: the zod/mini schema that checked users' packs until
 * src/policy/pack-check.ts replaced it. Tests keep it to generate policies/schema/pack.schema.json
 * and as pack-check's oracle (test/pack-check.test.ts).
 */
import * as z from 'zod/mini';
import { SPEC_TYPES, USES, type Pack, type PackEntry, type PackRef, type TypeSpec } from '../../src/policy/schema.js';

const count = () => z.int().check(z.nonnegative());

function build() {
  const TypeSpecSchema: z.ZodMiniType<TypeSpec> = z.lazy(() =>
    z
      .strictObject({
        type: z.optional(z.enum(SPEC_TYPES)),
        minLength: z.optional(count()),
        maxLength: z.optional(count()),
        items: z.optional(z.union([TypeSpecSchema, z.array(TypeSpecSchema)])),
        keys: z.optional(TypeSpecSchema),
        values: z.optional(TypeSpecSchema),
        oneOf: z.optional(z.array(TypeSpecSchema).check(z.minLength(1))),
        min: z.optional(z.number()),
        max: z.optional(z.number()),
        names: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z_][\w.]*$/, 'a dotted Python name')))),
      })
      .check(z.refine((s) => s.type !== undefined || s.oneOf !== undefined, 'a constraint needs "type" or "oneOf"')),
  );

  /** A Python identifier path: `collections`, `datetime`, `ZoneInfo._unpickle`. No wildcards, no empty parts. */
  const dotted = (what: string) =>
    z.string().check(
      z.minLength(1, `${what} must not be empty`),
      z.maxLength(256),
      z.regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, `${what} must be an exact dotted Python name (no wildcards)`),
    );

  const EntrySchema: z.ZodMiniType<PackEntry> = z.strictObject({
    module: dotted('module'),
    qualname: dotted('qualname'),
    reconstructor: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z_][\w.:-]*$/, 'a reconstructor id')),
    uses: z.array(z.enum(USES)).check(z.minLength(1), z.refine((u) => new Set(u).size === u.length, 'uses must not repeat')),
    via: z.optional(z.literal('getattr')),
    args: z.optional(TypeSpecSchema),
    kwargs: z.optional(TypeSpecSchema),
    state: z.optional(TypeSpecSchema),
    note: z.optional(z.string().check(z.maxLength(500))),
  });

  const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
  const packId = () => z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a pack id is lower-case letters, digits, ".", "_" or "-"'));
  const version = () => z.string().check(z.regex(semver, 'a semver version such as 1.0.0'));

  const PackRefSchema: z.ZodMiniType<PackRef> = z.strictObject({
    id: packId(),
    version: version(),
    digest: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'a digest such as sha256:<64 hex digits>')),
  });

  const PackSchema: z.ZodMiniType<Pack> = z.strictObject({
    $schema: z.optional(z.string()),
    id: packId(),
    version: version(),
    description: z.string().check(z.minLength(1), z.maxLength(2000)),
    extends: z.optional(z.array(PackRefSchema)),
    entries: z.array(EntrySchema),
  });
  return PackSchema;
}

let schema: z.ZodMiniType<Pack> | undefined;

/** The schema of a whole pack (built once, on first call). */
export function packSchema(): z.ZodMiniType<Pack> {
  return (schema ??= build());
}

const plural = (n: unknown, what: string) => `${String(n)} ${what}${n === 1 ? '' : 's'}`;
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const list = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** Messages for zod's own issues (ours carry their text), in place of zod's locale files. */
export function issueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${kind(issue.input)}`;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${list(issue.keys)}`;
    case 'invalid_value':
      return `Invalid option: expected one of ${list(issue.values)}`;
    case 'too_small':
      return issue.origin === 'number' ? `Too small: expected at least ${String(issue.minimum)}` : `Too small: expected at least ${plural(issue.minimum, issue.origin === 'array' ? 'item' : 'character')}`;
    case 'too_big':
      return issue.origin === 'number' ? `Too big: expected at most ${String(issue.maximum)}` : `Too big: expected at most ${plural(issue.maximum, issue.origin === 'array' ? 'item' : 'character')}`;
    case 'invalid_union':
      return 'Invalid input: matches none of the allowed forms';
    case 'invalid_format':
      return `Invalid string: must match ${issue.format === 'regex' ? String(issue.pattern) : issue.format}`;
    default:
      return 'Invalid input';
  }
}

/** `entries[3].module` from zod's path segments. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** What the zod schema makes of pack JSON: the parsed pack, or its issues as parsePack reported them. */
export function zodCheck(json: unknown): { pack: Pack; issues?: undefined } | { pack?: undefined; issues: { path: string; code: string; message: string }[] } {
  const result = packSchema().safeParse(json, { error: issueMessage, jitless: true });
  if (result.success) return { pack: result.data };
  return { issues: result.error.issues.map((i) => ({ path: formatPath(i.path), code: i.code, message: i.message })) };
}
