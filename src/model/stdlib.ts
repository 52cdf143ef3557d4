/**
 * Values of Python stdlib types that pickles commonly carry: each keeps what Python keeps and
 * reduces to exactly what CPython's `__reduce_ex__` gives, so the pickler writes the same bytes.
 */
import { PyGlobal } from './global.js';
import { PyObject } from './object.js';
import { ipv4Text, ipv6Text, parsePathParts, splitRoot } from './pytext.js';
import { REDUCE, type Reduction } from './reduce.js';
import { PyStr } from './str.js';

/** `decimal.Decimal`, exact: the decimal string as Python writes it (`'-1.5E+3'`, `'NaN'`, `'-0'`). */
export class PyDecimal {
  constructor(readonly value: string) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('decimal', 'Decimal'), args: [this.value] };
  }

  toString(): string {
    return this.value;
  }
}

/** `fractions.Fraction` in lowest terms, denominator > 0. Ints as numbers when safe, else bigints. */
export class PyFraction {
  constructor(
    readonly numerator: number | bigint,
    readonly denominator: number | bigint,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('fractions', 'Fraction'), args: [this.numerator, this.denominator] };
  }

  toString(): string {
    return this.denominator === 1 || this.denominator === 1n ? String(this.numerator) : `${this.numerator}/${this.denominator}`;
  }
}

/** `uuid.UUID`: the 128-bit value, and `is_safe` as Python stored it (its SafeUUID value, or undefined). */
export class PyUUID {
  constructor(
    readonly int: bigint,
    readonly isSafe: unknown = undefined,
  ) {
    Object.freeze(this);
  }

  get hex(): string {
    return this.int.toString(16).padStart(32, '0');
  }

  [REDUCE](protocol: number): Reduction {
    const state = new Map<string, unknown>([['int', Number.isSafeInteger(Number(this.int)) && BigInt(Number(this.int)) === this.int ? Number(this.int) : this.int]]);
    if (this.isSafe !== undefined) state.set('is_safe', this.isSafe);
    const cls = new PyGlobal('uuid', 'UUID');
    if (protocol < 2) return { callable: new PyGlobal('copyreg', '_reconstructor'), args: [cls, new PyGlobal('builtins', 'object'), null], state };
    return { callable: new PyGlobal('copyreg', '__newobj__'), args: [cls], state };
  }

  toString(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** `zoneinfo.ZoneInfo` by key; it pickles as `getattr(ZoneInfo, '_unpickle')(key, from_cache)`. */
export class PyZoneInfo {
  constructor(
    readonly key: string,
    readonly fromCache: number | boolean = 1,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    // A bound method reduces to getattr(cls, name), its name a str made afresh (hence PyStr).
    const unpickle = new PyObject(new PyGlobal('builtins', 'getattr'), [new PyGlobal('zoneinfo', 'ZoneInfo'), new PyStr('_unpickle')]);
    return { callable: unpickle, args: [this.key, this.fromCache] };
  }

  toString(): string {
    return this.key;
  }
}

/** `builtins.range`. */
export class PyRange {
  constructor(
    readonly start: number | bigint,
    readonly stop: number | bigint,
    readonly step: number | bigint,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('builtins', 'range'), args: [this.start, this.stop, this.step] };
  }
}

/** `builtins.slice`: start, stop and step as the pickle gave them (None is null). */
export class PySlice {
  constructor(
    readonly start: unknown,
    readonly stop: unknown,
    readonly step: unknown,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('builtins', 'slice'), args: [this.start, this.stop, this.step] };
  }
}

/**
 * A `pathlib` path: its class (`PurePosixPath`, `PureWindowsPath`, …) and its parts as Python keeps
 * and pickles them (the first is drive + root when the path has either).
 */
export class PyPath {
  readonly parts: readonly string[];
  constructor(
    readonly flavour: string,
    parts: readonly string[],
    /** Whether parts[0] is the drive and root; when left out, read from parts[0] as pathlib would. */
    readonly anchored: boolean = parts.length > 0 && isAnchor(flavour.includes('Windows'), parts[0]!),
  ) {
    this.parts = Object.freeze([...parts]);
    Object.freeze(this);
  }

  /** What `pathlib.<flavour>(*args)` makes of its string arguments (Python 3.11's parse_parts). */
  static parse(flavour: string, args: readonly string[]): PyPath {
    const [drive, root, parts] = parsePathParts(flavour.includes('Windows'), args);
    return new PyPath(flavour, parts, drive !== '' || root !== '');
  }

  get windows(): boolean {
    return this.flavour.includes('Windows');
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('pathlib', this.flavour), args: this.parts };
  }

  /** `str(path)`: drive + root + the rest joined by the separator, or `.` when empty. */
  toString(): string {
    const sep = this.windows ? '\\' : '/';
    const [first, ...rest] = this.parts;
    if (first === undefined) return '.';
    return this.anchored ? first + rest.join(sep) : this.parts.join(sep);
  }
}

function isAnchor(windows: boolean, part: string): boolean {
  const [drive, root, rest] = splitRoot(windows, part);
  return rest === '' && (drive !== '' || root !== '');
}

/**
 * An `ipaddress` value (`IPv4Address`, `IPv6Network`, …) and the argument Python pickles it with:
 * an IPv4Address's int, anything else's str (as CPython's __reduce__ gives).
 */
export class PyIPAddress {
  constructor(
    readonly kind: string,
    readonly value: number | bigint | string,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: new PyGlobal('ipaddress', this.kind), args: [this.value] };
  }

  /** `str()` of the value: an int prints as the address does (IPv6 compressed, as `ipaddress` does it). */
  toString(): string {
    if (typeof this.value === 'string') return this.value;
    const v4 = this.kind.startsWith('IPv4');
    const text = v4 ? ipv4Text(this.value) : ipv6Text(BigInt(this.value));
    return this.kind.endsWith('Address') ? text : `${text}/${v4 ? 32 : 128}`;
  }
}
