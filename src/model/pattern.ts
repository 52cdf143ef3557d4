/**
 * A compiled regular expression as `re` pickles it: `re._compile(pattern, flags)`. Kept as text;
 * nothing compiles it unless `toRegExp()` is called, and that refuses what a JS RegExp would match
 * differently from Python's `re`.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

/** `re` flag bits. */
export const RE_FLAGS = Object.freeze({ TEMPLATE: 1, IGNORECASE: 2, LOCALE: 4, MULTILINE: 8, DOTALL: 16, UNICODE: 32, VERBOSE: 64, DEBUG: 128, ASCII: 256 });

export class PyPattern {
  constructor(
    /** The pattern: a str, or bytes for a bytes pattern. */
    readonly pattern: string | Uint8Array,
    /** `Pattern.flags` as pickled (str patterns carry UNICODE, 32). */
    readonly flags: number,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('re', '_compile'), args: [this.pattern, this.flags] };
  }

  toString(): string {
    return typeof this.pattern === 'string' ? this.pattern : Array.from(this.pattern, (b) => String.fromCharCode(b)).join('');
  }

  /**
   * A JS RegExp (flag `u`) that matches what Python's `re` matches, or a TypeError naming the first
   * construct it cannot translate exactly: bytes patterns, VERBOSE and LOCALE, inline and scoped
   * flags, conditionals, atomic groups and possessive quantifiers, `\w`/`\b` with Unicode semantics
   * (Python's and JS's word characters differ), `\N{…}` and octal escapes. `.`, `^`, `$`, `\A`, `\Z`,
   * `\d` and `\s` are rewritten to Python's meanings.
   */
  toRegExp(): RegExp {
    if (typeof this.pattern !== 'string') throw new TypeError('toRegExp(): a bytes pattern matches bytes; JS RegExps match strings');
    const f = this.flags;
    if (f & RE_FLAGS.VERBOSE) throw new TypeError('toRegExp(): VERBOSE patterns are not translated');
    if (f & RE_FLAGS.LOCALE) throw new TypeError('toRegExp(): LOCALE patterns are not translated');
    if (f & RE_FLAGS.TEMPLATE) throw new TypeError('toRegExp(): TEMPLATE patterns are not translated');
    const source = translate(this.pattern, (f & RE_FLAGS.ASCII) !== 0, (f & RE_FLAGS.MULTILINE) !== 0, (f & RE_FLAGS.DOTALL) !== 0);
    try {
      return new RegExp(source, `u${f & RE_FLAGS.IGNORECASE ? 'i' : ''}`);
    } catch (e) {
      throw new TypeError(`toRegExp(): the pattern does not translate to a JS RegExp (${(e as Error).message})`);
    }
  }
}

/** Python's str.isspace() characters, and \s under ASCII. */
const SPACE_U = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_A = '\\t-\\r\\x20';
const SIMPLE_ESCAPES: Record<string, string> = { a: '\\x07', f: '\\f', n: '\\n', r: '\\r', t: '\\t', v: '\\v' };

function translate(p: string, ascii: boolean, multiline: boolean, dotall: boolean): string {
  const refuse = (what: string): never => {
    throw new TypeError(`toRegExp(): ${what} has no exact JS equivalent`);
  };
  let out = '';
  let i = 0;
  let inClass = false;
  let classStart = false;
  const hexEscape = (len: number): string => {
    const h = p.slice(i + 1, i + 1 + len);
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) refuse('a short hex escape');
    i += len;
    return `\\u{${parseInt(h, 16).toString(16)}}`;
  };
  const literal = (ch: string) => `\\u{${ch.codePointAt(0)!.toString(16)}}`;
  while (i < p.length) {
    const ch = String.fromCodePoint(p.codePointAt(i)!);
    if (ch === '\\') {
      i++;
      const e = p[i];
      if (e === undefined) refuse('a trailing backslash');
      const esc = e!;
      if (esc in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[esc];
      else if (esc === 'x') out += hexEscape(2);
      else if (esc === 'u' && !false) out += hexEscape(4);
      else if (esc === 'U') out += hexEscape(8);
      else if (esc === 'd') out += ascii ? (inClass ? '0-9' : '[0-9]') : '\\p{Nd}';
      else if (esc === 'D') out += ascii ? (inClass ? refuse('\\D in a class') : '[^0-9]') : '\\P{Nd}';
      else if (esc === 's') out += inClass ? (ascii ? SPACE_A : SPACE_U) : `[${ascii ? SPACE_A : SPACE_U}]`;
      else if (esc === 'S') out += inClass ? refuse('\\S in a class') : `[^${ascii ? SPACE_A : SPACE_U}]`;
      else if ('wWbB'.includes(esc)) {
        if (!ascii) refuse(`\\${esc} with Unicode word characters`);
        if (esc === 'w') out += inClass ? 'A-Za-z0-9_' : '[A-Za-z0-9_]';
        else if (inClass) refuse(`\\${esc} in a class`);
        else out += esc === 'W' ? '[^A-Za-z0-9_]' : `\\${esc}`;
      } else if (esc === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if (esc === 'Z' && !inClass) out += '(?![\\s\\S])';
      else if (/[1-9]/.test(esc) && !inClass && !/[0-9]/.test(p[i + 1] ?? '')) out += `\\${esc}`;
      else if (/[0-9A-Za-z]/.test(esc)) refuse(`the escape \\${esc}`);
      else out += literal(String.fromCodePoint(p.codePointAt(i)!));
      i += esc.length;
      classStart = false;
      continue;
    }
    if (inClass) {
      if (ch === ']' && !classStart) {
        inClass = false;
        out += ']';
      } else if (ch === '[' || ch === ']' || ch === '/' || ch === '{' || ch === '}' || ch === '(' || ch === ')' || ch === '|') out += `\\${ch}`;
      else if (ch === '-' || ch === '^') out += classStart && ch === '^' ? '^' : ch === '-' ? '-' : '\\^';
      else out += ch;
      if (!(classStart && ch === '^')) classStart = false;
      i += ch.length;
      continue;
    }
    switch (ch) {
      case '[':
        inClass = true;
        classStart = true;
        out += '[';
        if (p[i + 1] === '^') {
          out += '^';
          i++;
        }
        break;
      case '.':
        out += dotall ? '[\\s\\S]' : '[^\\n]';
        break;
      case '^':
        out += multiline ? '(?<![^\\n])' : '(?<![\\s\\S])';
        break;
      case '$':
        out += multiline ? '(?![^\\n])' : '(?=\\n?(?![\\s\\S]))';
        break;
      case '(': {
        const rest = p.slice(i + 1);
        if (!rest.startsWith('?')) out += '(';
        else if (rest.startsWith('?:') || rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
          const head = rest.startsWith('?<') ? rest.slice(0, 3) : rest.slice(0, 2);
          out += `(${head}`;
          i += head.length;
        } else if (/^\?P<[A-Za-z_][A-Za-z0-9_]*>/.test(rest)) {
          out += '(?<';
          i += 3;
        } else if (/^\?P=[A-Za-z_][A-Za-z0-9_]*\)/.test(rest)) {
          const name = /^\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest)![1]!;
          out += `\\k<${name}>`;
          i += name.length + 4;
        } else if (rest.startsWith('?#')) {
          const end = p.indexOf(')', i);
          if (end < 0) refuse('an unterminated comment');
          i = end;
        } else refuse(`the group (${rest.slice(0, 3)}`);
        break;
      }
      case '{': {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(p.slice(i));
        if (m === null || (m[1] === '' && m[2] === '' ) || (m[2] === '' && m[3] !== '')) out += '\\{';
        else {
          out += `{${m[1] || '0'}${m[2]}${m[3]}}`;
          i += m[0].length - 1;
          if (p[i + 1] === '+') refuse('a possessive quantifier');
        }
        break;
      }
      case '}':
      case ']':
      case '/':
        out += `\\${ch}`;
        break;
      case '*':
      case '+':
      case '?':
        out += ch;
        if (p[i + 1] === '+') refuse('a possessive quantifier');
        break;
      default:
        out += ch;
    }
    i += ch.length;
    classStart = false;
  }
  if (inClass) refuse('an unterminated class');
  return out;
}
