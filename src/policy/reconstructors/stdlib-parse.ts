/**
 * The literal syntaxes the stdlib constructors accept, as CPython 3.11 reads them: Decimal and
 * Fraction strings, and ipaddress addresses, networks and interfaces. Each parser gives the value
 * CPython would make (in the form CPython pickles it) or fails as CPython raises, with a bounded
 * message.
 */
import { asciiDigits, ipv4Text, ipv6Text, isPySpace, pyStrip, shown, digitValue } from '../../model/pytext.js';
import { normalInt } from '../../model/int.js';
import { fail } from './check.js';

// ---------------------------------------------------------------------------------------- Decimal

/** libmpdec on 64-bit builds (MAX_EMAX, and ETINY = MIN_EMIN - (MAX_PREC - 1)), the context Decimal(str) converts under. */
const DECIMAL_EMAX = 10n ** 18n - 1n;
const DECIMAL_ETINY = -DECIMAL_EMAX - (DECIMAL_EMAX - 1n);

const DECIMAL_SYNTAX = /^([+-]?)(?:(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?|(inf|infinity)|(s?nan)(\d*))$/i;

/**
 * `str(Decimal(text))`, or undefined where CPython raises InvalidOperation. As `_decimal` does:
 * outer whitespace is stripped, every `_` is dropped, any Unicode decimal digit counts, and an
 * exact conversion must keep the exponent within the 64-bit context (no rounding, no clamping).
 */
export function decimalText(text: string): string | undefined {
  let ascii = '';
  for (const ch of pyStrip(text)) {
    if (ch === '_') continue;
    const c = ch.codePointAt(0)!;
    if (c > 0 && c < 0x80) ascii += ch;
    else if (isPySpace(ch)) ascii += ' ';
    else {
      const d = digitValue(ch);
      if (d < 0) return undefined;
      ascii += String(d);
    }
  }
  const m = DECIMAL_SYNTAX.exec(ascii);
  if (m === null) return undefined;
  const [, sign = '', whole, fraction, exponent, infinity, nan, payload] = m;
  if (infinity !== undefined) return `${sign === '-' ? '-' : ''}Infinity`;
  if (nan !== undefined) {
    const digits = payload!.replace(/^0+/, '');
    return `${sign === '-' ? '-' : ''}${nan.length === 4 ? 'sNaN' : 'NaN'}${digits}`;
  }
  const w = whole ?? '';
  const f = fraction ?? '';
  if (w === '' && f === '') return undefined;
  const coefficient = (w + f).replace(/^0+(?=\d)/, '');
  const expDigits = (exponent ?? '0').replace(/^[+-]?0*/, '');
  if (expDigits.length > 25) return undefined; // far beyond the context either way
  const exp = BigInt(exponent ?? '0') - BigInt(f.length);
  const adjusted = exp + BigInt(coefficient.length - 1);
  if (exp < DECIMAL_ETINY || adjusted > DECIMAL_EMAX) return undefined;
  return (sign === '-' ? '-' : '') + sciString(coefficient, exp, adjusted);
}

/** The to-scientific-string rule of the decimal specification (what `str(Decimal)` writes). */
function sciString(coefficient: string, exp: bigint, adjusted: bigint): string {
  if (exp <= 0n && adjusted >= -6n) {
    if (exp === 0n) return coefficient;
    const point = coefficient.length + Number(exp);
    return point > 0 ? `${coefficient.slice(0, point)}.${coefficient.slice(point)}` : `0.${'0'.repeat(-point)}${coefficient}`;
  }
  const head = coefficient.length > 1 ? `${coefficient[0]}.${coefficient.slice(1)}` : coefficient;
  return `${head}E${adjusted >= 0n ? '+' : '-'}${adjusted < 0n ? -adjusted : adjusted}`;
}

// --------------------------------------------------------------------------------------- Fraction

/** CPython's default `sys.get_int_max_str_digits()`: int() of a longer digit string raises ValueError. */
export const INT_MAX_STR_DIGITS = 4300;
/** Exponents in Fraction strings beyond this are refused: CPython would build 10**exp, with no bound. */
const FRACTION_MAX_EXPONENT = 10000;

const SP = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
/** fractions._RATIONAL_FORMAT of Python 3.11, word for word (its `d*` typo included); `\d` is any Nd digit, as in Python. */
const RATIONAL = new RegExp(
  `^${SP}*([-+]?)(?=\\p{Nd}|\\.\\p{Nd})(\\p{Nd}*|\\p{Nd}+(?:_\\p{Nd}+)*)(?:(?:/(\\p{Nd}+(?:_\\p{Nd}+)*))?|(?:\\.(d*|\\p{Nd}+(?:_\\p{Nd}+)*))?(?:E([-+]?\\p{Nd}+(?:_\\p{Nd}+)*))?)${SP}*$`,
  'iu',
);

/** Python's int() of a digit string the regex matched (underscores allowed between digits). */
function pyInt(digits: string): bigint {
  const plain = asciiDigits(digits.replaceAll('_', ''));
  if (!/^[+-]?\d+$/.test(plain)) fail(`invalid literal for int(): ${shown(digits)}`);
  if (plain.replace(/^[+-]/, '').length > INT_MAX_STR_DIGITS) {
    fail(`Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion`);
  }
  return BigInt(plain);
}

/** `Fraction(text)` before reduction to lowest terms: numerator and denominator as CPython 3.11 computes them. */
export function fractionParts(text: string): [bigint, bigint] {
  const m = RATIONAL.exec(text);
  if (m === null) return fail(`Invalid literal for Fraction: ${shown(text)}`);
  const [, sign, num, denom, decimal, exponent] = m;
  let n = num ? pyInt(num) : 0n;
  let d = 1n;
  if (denom) d = pyInt(denom);
  else {
    if (decimal) {
      const digits = decimal.replaceAll('_', '');
      const value = pyInt(digits);
      const scale = 10n ** BigInt(digits.length);
      n = n * scale + value;
      d *= scale;
    }
    if (exponent) {
      const e = pyInt(exponent);
      if (e > FRACTION_MAX_EXPONENT || e < -FRACTION_MAX_EXPONENT) fail(`Fraction exponent beyond ±${FRACTION_MAX_EXPONENT} is refused`);
      if (e >= 0n) n *= 10n ** e;
      else d *= 10n ** -e;
    }
  }
  if (sign === '-') n = -n;
  return [n, d];
}

// -------------------------------------------------------------------------------------- ipaddress

type Version = 4 | 6;
const MAX_PREFIX = { 4: 32, 6: 128 } as const;
const ALL_ONES = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n } as const;

function parseV4(s: string): bigint {
  if (s === '') fail('Address cannot be empty');
  const octets = s.split('.');
  if (octets.length !== 4) fail(`Expected 4 octets in ${shown(s)}`);
  let n = 0n;
  for (const o of octets) {
    if (o === '') fail(`Empty octet not permitted in ${shown(s)}`);
    if (!/^[0-9]+$/.test(o)) fail(`Only decimal digits permitted in ${shown(o)} in ${shown(s)}`);
    if (o.length > 3) fail(`At most 3 characters permitted in ${shown(o)} in ${shown(s)}`);
    if (o !== '0' && o.startsWith('0')) fail(`Leading zeros are not permitted in ${shown(o)} in ${shown(s)}`);
    const v = Number(o);
    if (v > 255) fail(`Octet ${v} (> 255) not permitted in ${shown(s)}`);
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseHextet(h: string, s: string): bigint {
  if (!/^[0-9a-fA-F]*$/.test(h)) fail(`Only hex digits permitted in ${shown(h)} in ${shown(s)}`);
  if (h.length > 4) fail(`At most 4 characters permitted in ${shown(h)} in ${shown(s)}`);
  if (h === '') fail(`invalid literal for int() with base 16: '' in ${shown(s)}`);
  return BigInt(`0x${h}`);
}

/** IPv6Address._ip_int_from_string (Python 3.11). */
function parseV6(s: string): bigint {
  if (s === '') fail('Address cannot be empty');
  const parts = s.split(':');
  if (parts.length < 3) fail(`At least 3 parts expected in ${shown(s)}`);
  if (parts[parts.length - 1]!.includes('.')) {
    const v4 = parseV4(parts.pop()!);
    parts.push(((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
  }
  if (parts.length > 9) fail(`At most 8 colons permitted in ${shown(s)}`);
  let skip: number | undefined;
  for (let i = 1; i < parts.length - 1; i++) {
    if (!parts[i]) {
      if (skip !== undefined) fail(`At most one '::' permitted in ${shown(s)}`);
      skip = i;
    }
  }
  let hi: number;
  let lo: number;
  let skipped: number;
  if (skip !== undefined) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (!parts[0]) {
      hi--;
      if (hi) fail(`Leading ':' only permitted as part of '::' in ${shown(s)}`);
    }
    if (!parts[parts.length - 1]) {
      lo--;
      if (lo) fail(`Trailing ':' only permitted as part of '::' in ${shown(s)}`);
    }
    skipped = 8 - (hi + lo);
    if (skipped < 1) fail(`Expected at most 7 other parts with '::' in ${shown(s)}`);
  } else {
    if (parts.length !== 8) fail(`Exactly 8 parts expected without '::' in ${shown(s)}`);
    if (!parts[0]) fail(`Leading ':' only permitted as part of '::' in ${shown(s)}`);
    if (!parts[parts.length - 1]) fail(`Trailing ':' only permitted as part of '::' in ${shown(s)}`);
    hi = parts.length;
    lo = 0;
    skipped = 0;
  }
  let n = 0n;
  for (let i = 0; i < hi; i++) n = (n << 16n) | parseHextet(parts[i]!, s);
  n <<= 16n * BigInt(skipped);
  for (let i = parts.length - lo; i < parts.length; i++) n = (n << 16n) | parseHextet(parts[i]!, s);
  return n;
}

/** An address: its int and (IPv6 only) its scope id. */
interface Address {
  readonly int: bigint;
  readonly scope: string | null;
}

function parseAddress(version: Version, s: string): Address {
  if (s.includes('/')) fail(`Unexpected '/' in ${shown(s)}`);
  if (version === 4) return { int: parseV4(s), scope: null };
  const at = s.indexOf('%');
  let scope: string | null = null;
  if (at !== -1) {
    scope = s.slice(at + 1);
    if (!scope || scope.includes('%')) fail(`Invalid IPv6 address: ${shown(s)}`);
    s = s.slice(0, at);
  }
  return { int: parseV6(s), scope };
}

function addressText(version: Version, a: Address): string {
  const text = version === 4 ? ipv4Text(a.int) : ipv6Text(a.int);
  return a.scope ? `${text}%${a.scope}` : text;
}

function prefixFromInt(version: Version, n: bigint): number | undefined {
  const max = MAX_PREFIX[version];
  let zeros = 0;
  while (zeros < max && ((n >> BigInt(zeros)) & 1n) === 0n) zeros++;
  const prefix = max - zeros;
  return n >> BigInt(zeros) === (1n << BigInt(prefix)) - 1n ? prefix : undefined;
}

/** `_make_netmask`: a prefix length, or (IPv4 only) a netmask or hostmask in dotted form. */
function prefixOf(version: Version, mask: string): number {
  const max = MAX_PREFIX[version];
  if (/^[0-9]+$/.test(mask) && Number(mask) <= max) return Number(mask);
  if (version === 4) {
    let n: bigint | undefined;
    try {
      n = parseV4(mask);
    } catch {
      n = undefined;
    }
    if (n !== undefined) {
      const prefix = prefixFromInt(4, n) ?? prefixFromInt(4, n ^ ALL_ONES[4]);
      if (prefix !== undefined) return prefix;
    }
  }
  return fail(`${shown(mask)} is not a valid netmask`);
}

function checkInt(name: string, version: Version, n: bigint): void {
  if (n < 0n || n > ALL_ONES[version]) fail(`${name}(): the int is out of range for IPv${version}`);
}

/**
 * What `ipaddress.<kind>(value)` makes, in the form CPython 3.11 pickles it: an IPv4Address as its
 * int, anything else (IPv6Address included) as its str. Networks
 * are strict: host bits set raise ValueError, as in CPython.
 */
export function ipValue(kind: string, value: number | bigint | string): number | bigint | string {
  const version: Version = kind.startsWith('IPv4') ? 4 : 6;
  const isAddress = kind.endsWith('Address');
  let address: Address;
  let prefix: number = MAX_PREFIX[version];
  if (typeof value !== 'string') {
    address = { int: BigInt(value), scope: null };
    checkInt(kind, version, address.int);
    if (isAddress) return version === 4 ? value : addressText(6, address);
  } else {
    let text = value;
    if (!isAddress) {
      const pieces = value.split('/');
      if (pieces.length > 2) fail(`Only one '/' permitted in ${shown(value)}`);
      text = pieces[0]!;
      if (pieces.length === 2) prefix = prefixOf(version, pieces[1]!);
    }
    address = parseAddress(version, text);
    if (isAddress) return version === 4 ? normalInt(address.int) : addressText(6, address);
  }
  if (kind.endsWith('Network')) {
    const hostBits = (1n << BigInt(MAX_PREFIX[version] - prefix)) - 1n;
    if (address.int & hostBits) fail(`${shown(addressText(version, address))}/${prefix} has host bits set`);
  }
  return `${addressText(version, address)}/${prefix}`;
}
