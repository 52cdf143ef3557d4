/**
 * A JSON Schema (draft-04) validator for the keywords the SARIF 2.1.0 schema uses. A keyword it
 * does not implement is an error, not a pass, so it validates against the whole schema or not at all.
 */

type Schema = { readonly [keyword: string]: unknown };

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(['$schema', 'id', 'title', 'description', 'default', 'definitions']);

/** RFC 3986: a scheme, then no blanks and only well-formed percent escapes. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)*$/;
const URI_REFERENCE = /^[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)*$/;
/** RFC 3339 date-time. */
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  uri: (s) => URI.test(s),
  'uri-reference': (s) => URI_REFERENCE.test(s),
  'date-time': (s) => DATE_TIME.test(s),
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      throw new Error(`unknown type ${type}`);
  }
}

/** JSON equality (key order aside). */
function equal(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return a === b;
}

/** The problems of `value` against `schema` (a JSON pointer each), none when it is valid. */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Schema)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (!isObject(node)) throw new Error(`unresolved $ref ${ref}`);
    return node;
  };
  /** Errors of `v` at `path` against `s`, into `out`. */
  const check = (s: Schema, v: unknown, path: string, out: string[]): void => {
    if (typeof s.$ref === 'string') return check(resolve(s.$ref), v, path, out);
    for (const [keyword, arg] of Object.entries(s)) {
      if (ANNOTATIONS.has(keyword)) continue;
      switch (keyword) {
        case 'type': {
          const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!types.some((t) => typeMatches(t, v))) out.push(`${path}: expected ${types.join(' or ')}`);
          break;
        }
        case 'enum':
          if (!(arg as unknown[]).some((e) => equal(e, v))) out.push(`${path}: not one of ${JSON.stringify(arg)}`);
          break;
        case 'required':
          if (isObject(v)) for (const k of arg as string[]) if (!(k in v)) out.push(`${path}: missing ${k}`);
          break;
        case 'properties':
          if (isObject(v)) for (const [k, sub] of Object.entries(arg as Record<string, Schema>)) if (k in v) check(sub, v[k], `${path}/${k}`, out);
          break;
        case 'additionalProperties':
          if (isObject(v)) {
            const declared = (s.properties ?? {}) as Record<string, unknown>;
            if (s.patternProperties !== undefined) throw new Error('patternProperties is not supported');
            for (const [k, x] of Object.entries(v)) {
              if (k in declared) continue;
              if (arg === false) out.push(`${path}: unexpected property ${k}`);
              else if (isObject(arg)) check(arg, x, `${path}/${k}`, out);
            }
          }
          break;
        case 'items':
          if (Array.isArray(v)) {
            if (!isObject(arg)) throw new Error('only a single items schema is supported');
            v.forEach((x, i) => check(arg, x, `${path}/${i}`, out));
          }
          break;
        case 'minItems':
          if (Array.isArray(v) && v.length < (arg as number)) out.push(`${path}: fewer than ${arg} items`);
          break;
        case 'uniqueItems':
          if (arg === true && Array.isArray(v) && v.some((x, i) => v.slice(0, i).some((y) => equal(x, y)))) out.push(`${path}: items not unique`);
          break;
        case 'minimum':
          if (typeof v === 'number' && (s.exclusiveMinimum === true ? v <= (arg as number) : v < (arg as number))) out.push(`${path}: below ${arg}`);
          break;
        case 'maximum':
          if (typeof v === 'number' && (s.exclusiveMaximum === true ? v >= (arg as number) : v > (arg as number))) out.push(`${path}: above ${arg}`);
          break;
        case 'pattern':
          if (typeof v === 'string' && !new RegExp(arg as string, 'u').test(v)) out.push(`${path}: does not match ${arg}`);
          break;
        case 'format': {
          const test = FORMATS[arg as string];
          if (test === undefined) throw new Error(`format ${String(arg)} is not supported`);
          if (typeof v === 'string' && !test(v)) out.push(`${path}: not a ${arg}`);
          break;
        }
        case 'anyOf':
        case 'oneOf': {
          const passing = (arg as Schema[]).filter((sub) => {
            const inner: string[] = [];
            check(sub, v, path, inner);
            return inner.length === 0;
          }).length;
          if (keyword === 'anyOf' ? passing === 0 : passing !== 1) out.push(`${path}: ${keyword} matched ${passing} schemas`);
          break;
        }
        default:
          throw new Error(`keyword ${keyword} is not supported`);
      }
    }
  };
  check(root, value, '', errors);
  return errors;
}
