/**
 * A reader for the Python literals `ast.literal_eval` accepts, restricted to what a `.npy` header
 * can use: dicts, tuples, lists, str (either quote style, escapes, r/u prefixes, adjacent strings
 * joined), ints (decimal, 0x/0o/0b, underscores, one sign), True/False/None. Anything outside that
 * subset (floats, bytes, sets, triple quotes, comments, `\N{…}`) is refused: a header that uses it
 * is then called malformed, which fails closed. Linear in the text; nesting is bounded.
 */

export type PyLiteral =
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'none' }
  | { readonly t: 'tuple'; readonly items: readonly PyLiteral[] }
  | { readonly t: 'list'; readonly items: readonly PyLiteral[] }
  | { readonly t: 'dict'; readonly entries: ReadonlyMap<string, PyLiteral>; readonly otherKeys: boolean };

export class LiteralError extends Error {}

/** Deepest bracket nesting read (CPython's parser stops at 200). */
const MAX_DEPTH = 64;
/** Longest int literal read, in characters (CPython refuses more than 4300 digits). */
const MAX_DIGITS = 400;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Parse `text` as one Python literal expression (after stripping leading spaces and tabs, as
 * `literal_eval` does). `allowLongSuffix` accepts Python 2's `3L` ints, as numpy's retry does for
 * version 1.0 and 2.0 headers.
 */
export function parsePyLiteral(text: string, allowLongSuffix = false): PyLiteral {
  let p = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new LiteralError(`${what} at character ${p}`);
  };
  if (text.includes('\0')) fail('a NUL character');
  const comment = () => {
    while (p < n && text[p] !== '\n' && text[p] !== '\r') p++;
  };
  // Blank lines and comment lines may come before the value and after it.
  const blank = () => {
    for (; p < n; p++) {
      const c = text[p];
      if (c === '#') comment();
      if (p < n && c !== ' ' && c !== '\t' && c !== '\f' && c !== '\n' && c !== '\r' && c !== '#') return;
    }
  };
  blank();

  let depth = 0;
  const skip = () => {
    // Inside brackets, newlines and backslash continuations are whitespace too.
    for (;;) {
      const c = text[p];
      if (c === ' ' || c === '\t' || c === '\f') p++;
      else if (c === '#') comment();
      else if (depth > 0 && (c === '\n' || c === '\r')) p++;
      else if (depth > 0 && c === '\\' && (text[p + 1] === '\n' || text[p + 1] === '\r')) p += text[p + 1] === '\r' && text[p + 2] === '\n' ? 3 : 2;
      else return;
    }
  };

  const value = (): PyLiteral => {
    skip();
    const c = text[p];
    if (c === undefined) return fail('the text ends where a value should be');
    if (c === '{' || c === '(' || c === '[') return container(c);
    if (c === '-' || c === '+') {
      p++;
      skip();
      const d = text[p];
      if (d === undefined || d < '0' || d > '9') fail('a sign not followed by a number');
      const v = integer();
      return { t: 'int', v: c === '-' ? -v : v };
    }
    if (c >= '0' && c <= '9') return { t: 'int', v: integer() };
    if (startsString()) {
      let s = '';
      do {
        s += string();
        skip();
      } while (startsString());
      return { t: 'str', v: s };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(p, p + 16))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      if (p + word.length < n && /[\w\u0080-\uffff]/.test(text[p + word.length]!)) fail('a name');
      p += word.length;
      return word === 'None' ? { t: 'none' } : { t: 'bool', v: word === 'True' };
    }
    return fail(`a value Python's literal_eval would not read here (${JSON.stringify(c)})`);
  };

  /** A quote, or one prefix letter (r, R, u, U) and a quote. */
  const startsString = (): boolean => {
    const c = text[p];
    if (c === "'" || c === '"') return true;
    return (c === 'r' || c === 'R' || c === 'u' || c === 'U') && (text[p + 1] === "'" || text[p + 1] === '"');
  };

  const integer = (): bigint => {
    const m = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0(?:_?0)*)/.exec(text.slice(p, p + MAX_DIGITS + 1));
    if (m === null) return fail('a number Python would not read');
    const lit = m[0];
    if (lit.length > MAX_DIGITS) fail('a number longer than read here');
    p += lit.length;
    // A letter, digit, dot or j right after is a float, complex or bad literal: refused.
    if (allowLongSuffix && text[p] === 'L' && !/[\w]/.test(text[p + 1] ?? '')) p++;
    else if (p < n && /[\w.\u0080-\uffff]/.test(text[p]!)) fail('a number Python would not read as an int');
    const digits = lit.replace(/_/g, '');
    const body = /^0[oObB]/.test(digits) ? `0${digits[1]!.toLowerCase()}${digits.slice(2)}` : digits;
    return BigInt(body);
  };

  const string = (): string => {
    let raw = false;
    if (text[p] !== "'" && text[p] !== '"') {
      raw = text[p] === 'r' || text[p] === 'R';
      p++;
    }
    const quote = text[p]!;
    if (text[p + 1] === quote && text[p + 2] === quote) fail('a triple-quoted string');
    p++;
    let out = '';
    for (;;) {
      const c = text[p];
      if (c === undefined || c === '\n' || c === '\r') return fail('a string that does not end on its line');
      p++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[p];
      if (e === undefined) return fail('a string that does not end');
      if (raw) {
        // A raw string keeps the backslash; it only stops the next character from ending the string.
        if (e === '\r' && text[p + 1] === '\n') (out += '\\\r\n'), (p += 2);
        else (out += `\\${e}`), p++;
        continue;
      }
      p++;
      if (e === '\n') continue;
      if (e === '\r') {
        if (text[p] === '\n') p++;
        continue;
      }
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && text[p] !== undefined && text[p]! >= '0' && text[p]! <= '7') digits += text[p++];
        const code = parseInt(digits, 8);
        if (code > 0o377) fail('an octal escape past \\377');
        out += String.fromCharCode(code);
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = text.slice(p, p + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`a \\${e} escape without ${len} hex digits`);
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) fail('a \\U escape past U+10FFFF');
        out += String.fromCodePoint(code);
        p += len;
      } else if (e === 'N') fail('a \\N{…} escape');
      else out += `\\${e}`; // An unknown escape keeps its backslash.
    }
  };

  const container = (open: string): PyLiteral => {
    if (++depth > MAX_DEPTH) fail('brackets nested too deeply');
    p++;
    const close = open === '{' ? '}' : open === '(' ? ')' : ']';
    const items: PyLiteral[] = [];
    const entries = new Map<string, PyLiteral>();
    let otherKeys = false;
    let commas = 0;
    for (;;) {
      skip();
      if (text[p] === close) break;
      if (items.length > 0 && items.length !== commas) fail(`a missing comma or ${close}`);
      const item = value();
      skip();
      if (open === '{') {
        if (text[p] !== ':') fail('a set or a dict entry without a colon');
        p++;
        const v = value();
        if (item.t === 'str') entries.set(item.v, v);
        else if (item.t === 'list' || item.t === 'dict') fail('an unhashable dict key');
        else otherKeys = true;
        skip();
      }
      items.push(item);
      if (text[p] === ',') (p++, commas++);
      else if (text[p] !== close) fail(`a missing comma or ${close}`);
    }
    p++;
    depth--;
    if (open === '{') return { t: 'dict', entries, otherKeys };
    if (open === '[') return { t: 'list', items };
    // (x) is x; (x,) and () are tuples.
    if (items.length === 1 && commas === 0) return items[0]!;
    return { t: 'tuple', items };
  };

  const result = value();
  blank();
  if (p < n) fail('text after the value');
  return result;
}
