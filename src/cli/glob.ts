/**
 * Globs for --include and --exclude: `*` (any run of characters but /), `?` (one of them), `**`
 * (any number of whole directories), `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`, and `\` to quote the
 * next character. A pattern without a / matches a name in any directory; with one, the path from
 * the directory walked (or the path as given).
 */

export interface Glob {
  readonly pattern: string;
  matches(path: string): boolean;
}

const SPECIAL = /[.+^${}()|[\]\\/*?]/;

/** The regular expression source for `pattern` (the whole path must match). */
export function globSource(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*' && (i === 0 || pattern[i - 1] === '/')) {
        // `**` as a whole segment: any number of directories
        if (pattern[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        if (i + 2 === pattern.length) {
          out += '.*';
          i += 1;
          continue;
        }
      }
      while (pattern[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escape(pattern[++i]!);
    else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      const inner = body.replace(/\\(.)/g, '$1').replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += negate ? `[^/${inner}]` : `(?!/)[${inner}]`;
      i = end;
    } else out += escape(c);
  }
  return out;
}

/** The index of the `]` that closes the class opened at `start`, or -1. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++; // a ] first is a member
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return -1;
}

const escape = (c: string): string => (SPECIAL.test(c) ? `\\${c}` : c);

export function compileGlob(pattern: string): Glob {
  const clean = pattern.replace(/^(\.\/)+/, '');
  const anywhere = !clean.replace(/\/+$/, '').includes('/');
  const re = new RegExp(`^${globSource(clean.replace(/\/+$/, ''))}$`, 's');
  return {
    pattern,
    matches: (path: string) => {
      const p = path.replace(/^(\.\/)+/, '');
      return re.test(anywhere ? p.slice(p.lastIndexOf('/') + 1) : p);
    },
  };
}
