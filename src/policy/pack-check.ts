/**
 * Checks a user's pack against the pack format of schema.ts and copies what it accepts, so a typo fails
 * with its path (`entries[3].module`). Only JSON-shaped data passes: plain objects without unknown keys,
 * arrays, strings, finite numbers. Codes and messages are the ones zod gave when it checked packs;
 * test/helpers/pack-zod.ts keeps that schema, for policies/schema/pack.schema.json and as this one's oracle.
 */
import { SPEC_TYPES, USES, type Pack } from './schema.js';

/** One problem: where (`entries[3].module`, '' for the whole pack), what kind, and what to fix. */
export interface PackIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** Checks a value found at `at`, reports into `out` and returns what to keep (objects and arrays copied). */
type Check = (value: unknown, at: string, out: PackIssue[]) => unknown;
/** A condition on an accepted string or array: the test, then the issue when it fails. */
type Rule = readonly [ok: (value: string & unknown[]) => boolean, code: string, message: string];

/** Enough to fix a pack by; a hostile one does not get to fill memory with issues. */
const MAX_ISSUES = 100;
/** Constraints nest (items in items); deeper than this is a mistake or an attack on the stack. */
const MAX_NESTING = 32;

const report = (out: PackIssue[], path: string, code: string, message: string): void => {
  if (out.length < MAX_ISSUES) out.push({ path, code, message });
};
const child = (at: string, key: string | number) => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key);
const list = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));
const kind = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'object' && !isPlainObject(v) ? 'non-plain object' : typeof v;

/** Wrong type: the value is not checked further, and the checks of what holds it are skipped. */
function wrongType(out: PackIssue[], at: string, expected: string, value: unknown): unknown {
  report(out, at, 'invalid_type', `Invalid input: expected ${expected}, received ${kind(value)}`);
  return value;
}
const WRONG_TYPE = new Set(['invalid_type', 'invalid_value', 'invalid_union']);
const wrongTypeSince = (out: readonly PackIssue[], from: number) => out.slice(from).some((i) => WRONG_TYPE.has(i.code));

function applyRules(rules: readonly Rule[], value: string & unknown[], at: string, out: PackIssue[]): void {
  for (const [ok, code, message] of rules) if (!ok(value)) report(out, at, code, message);
}

const minLength = (n: number, unit: string, message = `Too small: expected at least ${plural(n, unit)}`): Rule => [(v) => v.length >= n, 'too_small', message];
const maxLength = (n: number, unit: string): Rule => [(v) => v.length <= n, 'too_big', `Too big: expected at most ${plural(n, unit)}`];
const pattern = (re: RegExp, message: string): Rule => [(v) => re.test(v), 'invalid_format', message];

const string =
  (...rules: Rule[]): Check =>
  (v, at, out) =>
    typeof v !== 'string' ? wrongType(out, at, 'string', v) : (applyRules(rules, v as string & unknown[], at, out), v);

const number: Check = (v, at, out) => (typeof v === 'number' && Number.isFinite(v) ? v : wrongType(out, at, 'number', v));

/** A length: a non-negative safe integer. */
const count: Check = (v, at, out) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType(out, at, 'number', v);
  if (!Number.isInteger(v)) return wrongType(out, at, 'int', v);
  if (v < 0) report(out, at, 'too_small', 'Too small: expected at least 0');
  else if (v > Number.MAX_SAFE_INTEGER) report(out, at, 'too_big', `Too big: expected at most ${Number.MAX_SAFE_INTEGER}`);
  return v;
};

const oneOf =
  (values: readonly string[]): Check =>
  (v, at, out) => {
    if (!values.includes(v as string)) report(out, at, 'invalid_value', `Invalid option: expected one of ${list(values)}`);
    return v;
  };

/** An array of `item`; `rules` run on it once every item has the right type. */
const array =
  (item: Check, ...rules: Rule[]): Check =>
  (v, at, out) => {
    if (!Array.isArray(v)) return wrongType(out, at, 'array', v);
    const from = out.length;
    const copy: unknown[] = [];
    for (let i = 0; i < v.length && out.length < MAX_ISSUES; i++) copy.push(item(v[i], child(at, i), out));
    if (!wrongTypeSince(out, from)) applyRules(rules, copy as string & unknown[], at, out);
    return copy;
  };

/**
 * A plain object with exactly these keys (`name?` for an optional one; undefined counts as absent);
 * `rules` run on the copy once every field has the right type. Only own properties are read.
 */
const object = (shape: Record<string, Check>, ...rules: readonly [ok: (copy: Record<string, unknown>) => boolean, message: string][]): Check => {
  const fields = Object.entries(shape).map(([name, check]) => [name.replace(/\?$/, ''), check, name.endsWith('?')] as const);
  const known = new Set(fields.map(([key]) => key));
  return (v, at, out) => {
    if (!isPlainObject(v)) return wrongType(out, at, 'object', v);
    const from = out.length;
    const copy: Record<string, unknown> = {};
    for (const [key, check, optional] of fields) {
      const value = Object.hasOwn(v, key) ? v[key] : undefined;
      if (!(optional && value === undefined)) copy[key] = check(value, child(at, key), out);
    }
    const unknown = Object.keys(v).filter((k) => !known.has(k));
    if (unknown.length) report(out, at, 'unrecognized_keys', `Unrecognized key${unknown.length === 1 ? '' : 's'}: ${list(unknown)}`);
    if (!wrongTypeSince(out, from)) for (const [ok, message] of rules) if (!ok(copy)) report(out, at, 'custom', message);
    return copy;
  };
};

/**
 * The first form the value passes as; failing all, the issues of the one form it has the right type
 * for, else one issue saying it matches none.
 */
const either =
  (...forms: Check[]): Check =>
  (v, at, out) => {
    const tries: [unknown, PackIssue[]][] = [];
    for (const form of forms) {
      const issues: PackIssue[] = [];
      const value = form(v, at, issues);
      if (!issues.length) return value;
      tries.push([value, issues]);
    }
    const typed = tries.filter(([, issues]) => !wrongTypeSince(issues, 0));
    if (typed.length !== 1) return report(out, at, 'invalid_union', 'Invalid input: matches none of the allowed forms'), v;
    for (const issue of typed[0]![1]) report(out, issue.path, issue.code, issue.message);
    return typed[0]![0];
  };

/** A constraint (TypeSpec): constraints nest, so this one counts how deep it is. */
let nesting = 0;
const spec: Check = (v, at, out) => {
  if (nesting >= MAX_NESTING) return report(out, at, 'too_big', `Too deep: constraints nest at most ${MAX_NESTING} levels`), v;
  nesting++;
  try {
    return specShape(v, at, out);
  } finally {
    nesting--;
  }
};
const specShape = object(
  {
    'type?': oneOf(SPEC_TYPES),
    'minLength?': count,
    'maxLength?': count,
    'items?': either(spec, array(spec)),
    'keys?': spec,
    'values?': spec,
    'oneOf?': array(spec, minLength(1, 'item')),
    'min?': number,
    'max?': number,
    'names?': array(string(pattern(/^[A-Za-z_][\w.]*$/, 'a dotted Python name'))),
  },
  [(s) => s.type !== undefined || s.oneOf !== undefined, 'a constraint needs "type" or "oneOf"'],
);

/** A Python identifier path: `collections`, `datetime`, `ZoneInfo._unpickle`. No wildcards, no empty parts. */
const dotted = (what: string) =>
  string(
    minLength(1, 'character', `${what} must not be empty`),
    maxLength(256, 'character'),
    pattern(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, `${what} must be an exact dotted Python name (no wildcards)`),
  );

const entry = object({
  module: dotted('module'),
  qualname: dotted('qualname'),
  reconstructor: string(minLength(1, 'character'), maxLength(128, 'character'), pattern(/^[A-Za-z_][\w.:-]*$/, 'a reconstructor id')),
  uses: array(oneOf(USES), minLength(1, 'item'), [(u) => new Set(u).size === u.length, 'custom', 'uses must not repeat']),
  'via?': oneOf(['getattr']),
  'args?': spec,
  'kwargs?': spec,
  'state?': spec,
  'note?': string(maxLength(500, 'character')),
});

const packId = string(pattern(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a pack id is lower-case letters, digits, ".", "_" or "-"'));
const version = string(pattern(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'a semver version such as 1.0.0'));

const pack = object({
  '$schema?': string(),
  id: packId,
  version,
  description: string(minLength(1, 'character'), maxLength(2000, 'character')),
  'extends?': array(object({ id: packId, version, digest: string(pattern(/^sha256:[0-9a-f]{64}$/, 'a digest such as sha256:<64 hex digits>')) })),
  entries: array(entry),
});

/** The pack as a fresh copy of plain data, or every problem found (at most 100). */
export function checkPack(json: unknown): { readonly pack: Pack; readonly issues?: undefined } | { readonly pack?: undefined; readonly issues: readonly PackIssue[] } {
  const issues: PackIssue[] = [];
  const copy = pack(json, '', issues) as Pack;
  return issues.length ? { issues } : { pack: copy };
}
