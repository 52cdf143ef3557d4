/**
 * Python's own rules for text the stdlib parses: what `str.isspace()` calls whitespace, what `\d`
 * and `int()` take for a decimal digit (any Unicode Nd character), and how IPv6 addresses and
 * pathlib paths are split and printed, so the values here print as CPython prints them.
 */

/** `str.isspace()` in CPython (Unicode whitespace plus the ASCII separators \x1c-\x1f). */
export function isPySpace(c: string): boolean {
  const n = c.charCodeAt(0);
  if (n <= 0x20) return n === 0x20 || (n >= 0x09 && n <= 0x0d) || (n >= 0x1c && n <= 0x1f);
  return (
    n === 0x85 || n === 0xa0 || n === 0x1680 || (n >= 0x2000 && n <= 0x200a) || n === 0x2028 || n === 0x2029 || n === 0x202f || n === 0x205f || n === 0x3000
  );
}

/** `s.strip()` with Python's whitespace. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPySpace(s[a]!)) a++;
  while (b > a && isPySpace(s[b - 1]!)) b--;
  return s.slice(a, b);
}

const ND = /^\p{Nd}$/u;

/**
 * The value of a Unicode decimal digit, or -1. Nd characters come in runs of whole blocks of ten,
 * each from its zero, so the value is the distance from the start of the run, modulo ten.
 */
export function digitValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp < 0x80 || !ND.test(ch)) return -1;
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/** `s` with every Unicode decimal digit replaced by its ASCII digit (other characters kept). */
export function asciiDigits(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const d = ch.codePointAt(0)! < 0x80 ? -1 : digitValue(ch);
    out += d >= 0 ? String(d) : ch;
  }
  return out;
}

/** At most `max` characters of `s` for a message, quoted as JSON. */
export function shown(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** The hextets of a 128-bit int as `ipaddress` prints them: lowercase, the longest run (≥ 2) of zeros compressed. */
export function ipv6Text(n: bigint): string {
  const hextets: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) hextets.push(((n >> s) & 0xffffn).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  let start = -1;
  let len = 0;
  hextets.forEach((h, i) => {
    if (h === '0') {
      len++;
      if (start === -1) start = i;
      if (len > bestLen) [bestLen, bestStart] = [len, start];
    } else {
      len = 0;
      start = -1;
    }
  });
  if (bestLen > 1) {
    const end = bestStart + bestLen;
    if (end === hextets.length) hextets.push('');
    hextets.splice(bestStart, bestLen, '');
    if (bestStart === 0) hextets.unshift('');
  }
  return hextets.join(':');
}

/** A 32-bit int as a dotted quad. */
export function ipv4Text(n: number | bigint): string {
  const v = BigInt(n);
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

/** pathlib's `splitroot` (Python 3.11) for one part already using `sep`: drive, root and the rest. */
export function splitRoot(windows: boolean, part: string): [drive: string, root: string, rest: string] {
  if (!windows) {
    if (!part.startsWith('/')) return ['', '', part];
    const stripped = part.replace(/^\/+/, '');
    return ['', part.length - stripped.length === 2 ? '//' : '/', stripped];
  }
  const sep = '\\';
  let first = part.slice(0, 1);
  let second = part.slice(1, 2);
  let prefix = '';
  if (second === sep && first === sep) {
    if (part.startsWith('\\\\?\\')) {
      prefix = part.slice(0, 4);
      part = part.slice(4);
      if (part.startsWith('UNC\\')) {
        prefix += part.slice(0, 3);
        part = `\\${part.slice(3)}`;
      }
    }
    first = part.slice(0, 1);
    second = part.slice(1, 2);
  }
  const third = part.slice(2, 3);
  if (second === sep && first === sep && third !== sep) {
    const index = part.indexOf(sep, 2);
    if (index !== -1) {
      let index2 = part.indexOf(sep, index + 1);
      if (index2 !== index + 1) {
        if (index2 === -1) index2 = part.length;
        return prefix ? [prefix + part.slice(1, index2), sep, part.slice(index2 + 1)] : [part.slice(0, index2), sep, part.slice(index2 + 1)];
      }
    }
  }
  let drive = '';
  let root = '';
  if (second === ':' && /^[A-Za-z]$/.test(first)) {
    drive = part.slice(0, 2);
    part = part.slice(2);
    first = third;
  }
  if (first === sep) {
    root = first;
    part = part.replace(/^\\+/, '');
  }
  return [prefix + drive, root, part];
}

/**
 * pathlib's `parse_parts` (Python 3.11): the drive, the root and the parts a pure path keeps (the
 * first part is drive + root when either is set), from the arguments given to its constructor.
 */
export function parsePathParts(windows: boolean, args: readonly string[]): [drive: string, root: string, parts: string[]] {
  const sep = windows ? '\\' : '/';
  const parsed: string[] = [];
  let drive = '';
  let root = '';
  let i = args.length - 1;
  for (; i >= 0; i--) {
    let part = args[i]!;
    if (!part) continue;
    if (windows) part = part.replaceAll('/', sep);
    let rel: string;
    [drive, root, rel] = splitRoot(windows, part);
    const pieces = rel.split(sep);
    for (let j = pieces.length - 1; j >= 0; j--) if (pieces[j] && pieces[j] !== '.') parsed.push(pieces[j]!);
    if (drive || root) {
      if (!drive) {
        for (i--; i >= 0; i--) {
          let earlier = args[i]!;
          if (!earlier) continue;
          if (windows) earlier = earlier.replaceAll('/', sep);
          drive = splitRoot(windows, earlier)[0];
          if (drive) break;
        }
      }
      break;
    }
  }
  if (drive || root) parsed.push(drive + root);
  parsed.reverse();
  return [drive, root, parsed];
}
