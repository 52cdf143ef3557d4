/**
 * Python's `datetime` values, field for field, so nothing is lost in either direction:
 * microseconds, `fold` and `tzinfo` survive, and each class reduces to exactly what CPython's
 * `__reduce_ex__` gives (the packed-bytes state), so the pickler writes the same bytes.
 */
import { PyGlobal } from './global.js';
import { PyTzInfo } from './pytz.js';
import { REDUCE, type Reduction } from './reduce.js';
import { PyZoneInfo } from './stdlib.js';
import { zoneOffsetSeconds } from './zone-offset.js';

const G_DATE = new PyGlobal('datetime', 'date');
const G_TIME = new PyGlobal('datetime', 'time');
const G_DATETIME = new PyGlobal('datetime', 'datetime');
const G_TIMEDELTA = new PyGlobal('datetime', 'timedelta');
const G_TIMEZONE = new PyGlobal('datetime', 'timezone');

/** A tzinfo: a `PyTimezone`, a `PyZoneInfo`, or whatever the policy reconstructed for another tzinfo class. */
export type TzInfo = object;

export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: G_DATE, args: [Uint8Array.of(this.year >> 8, this.year & 0xff, this.month, this.day)] };
  }

  toString(): string {
    return isoDate(this.year, this.month, this.day);
  }

  toJSON(): string {
    return this.toString();
  }
}

export class PyTime {
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly tzinfo: TzInfo | null = null,
    readonly fold: 0 | 1 = 0,
  ) {
    Object.freeze(this);
  }

  [REDUCE](protocol: number): Reduction {
    const state = Uint8Array.of(
      this.hour | (this.fold && protocol > 3 ? 0x80 : 0),
      this.minute,
      this.second,
      ...micro(this.microsecond),
    );
    return { callable: G_TIME, args: this.tzinfo === null ? [state] : [state, this.tzinfo] };
  }

  /** `time.isoformat()`: with the offset when the tzinfo has a fixed one (a `time`'s ZoneInfo has none in Python either). */
  toString(): string {
    const offset = fixedOffsetMicros(this.tzinfo);
    return isoTime(this.hour, this.minute, this.second, this.microsecond) + (offset === null ? '' : isoOffset(offset));
  }

  toJSON(): string {
    return this.toString();
  }
}

export class PyDatetime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly tzinfo: TzInfo | null = null,
    readonly fold: 0 | 1 = 0,
  ) {
    Object.freeze(this);
  }

  [REDUCE](protocol: number): Reduction {
    const state = Uint8Array.of(
      this.year >> 8,
      this.year & 0xff,
      this.month | (this.fold && protocol > 3 ? 0x80 : 0),
      this.day,
      this.hour,
      this.minute,
      this.second,
      ...micro(this.microsecond),
    );
    return { callable: G_DATETIME, args: this.tzinfo === null ? [state] : [state, this.tzinfo] };
  }

  /** Whether the datetime has a tzinfo (Python calls it aware only if utcoffset() is not None; every tzinfo here has one). */
  get aware(): boolean {
    return this.tzinfo !== null;
  }

  /**
   * The offset from UTC in seconds (may have a fraction: Python offsets have microseconds), when the
   * pickle itself says it: a `datetime.timezone`, `pytz.utc`, a `pytz.FixedOffset` or a localized
   * pytz zone. Null for naive datetimes and for zones whose offset needs the tz database (ZoneInfo,
   * a pytz zone's base tzinfo): see `toDate()`.
   */
  get utcoffset(): number | null {
    const us = fixedOffsetMicros(this.tzinfo);
    return us === null ? null : us / 1e6;
  }

  /**
   * `datetime.isoformat()`: `2024-05-01T12:30:00+02:00` when the offset is in the pickle. For a
   * ZoneInfo (or a pytz zone without an offset) the wall time is followed by the zone's key in
   * brackets, `2023-03-26T02:30:00[Europe/Paris]`, as Temporal and RFC 9557 write a zone: the
   * offset needs the tz database, which the value does not carry.
   */
  toString(): string {
    const wall = `${isoDate(this.year, this.month, this.day)}T${isoTime(this.hour, this.minute, this.second, this.microsecond)}`;
    const offset = fixedOffsetMicros(this.tzinfo);
    if (offset !== null) return wall + isoOffset(offset);
    const key = zoneKey(this.tzinfo);
    return key === null ? wall : `${wall}[${key}]`;
  }

  /** The same text as `toString()`, so `JSON.stringify` writes ISO strings with their offsets. */
  toJSON(): string {
    return this.toString();
  }

  /**
   * The instant as a JS `Date` (milliseconds: the microseconds are floored, as `(dt - epoch) // timedelta(milliseconds=1)`). Aware datetimes use their
   * offset; a ZoneInfo or pytz zone is resolved with the runtime's tz database (`Intl`), `fold`
   * choosing between the two readings of an ambiguous or skipped wall time as Python does (PEP 495).
   * A naive datetime needs `zone`: `'UTC'`, an offset such as `'+02:00'`, or an IANA zone name.
   */
  toDate(zone?: string): Date {
    const wallMs = Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second);
    // Date.UTC maps years 0-99 to 1900-1999.
    const wall = this.year < 100 ? shiftYears(wallMs, this.year) : wallMs;
    // Floor of (wall + microseconds - offset) in milliseconds, as Python's (dt - epoch) // timedelta(milliseconds=1).
    const at = (offsetUs: number) => new Date(wall + Math.floor((this.microsecond - offsetUs) / 1000));
    const offset = fixedOffsetMicros(this.tzinfo);
    if (offset !== null) {
      if (zone !== undefined) throw new TypeError(`toDate(): the datetime is aware (${isoOffset(offset)}); a zone argument is for naive datetimes`);
      return at(offset);
    }
    const key = zoneKey(this.tzinfo);
    if (key !== null) {
      if (zone !== undefined) throw new TypeError(`toDate(): the datetime is aware (${key}); a zone argument is for naive datetimes`);
      return at(zoneOffsetSeconds(key, wall, this.fold) * 1e6);
    }
    if (this.tzinfo !== null) throw new TypeError('toDate(): the datetime has a tzinfo whose offset is unknown here (a class the policy made a record of)');
    if (zone === undefined) throw new TypeError("toDate(): the datetime is naive (no tzinfo); say which zone its wall time is in: toDate('UTC'), toDate('+02:00') or toDate('Europe/Paris')");
    const fixed = parseOffset(zone);
    return at((fixed ?? zoneOffsetSeconds(zone, wall, this.fold)) * 1e6);
  }
}

/** A duration, normalised as Python keeps it: 0 ≤ seconds < 86400, 0 ≤ microseconds < 10⁶. */
export class PyTimedelta {
  constructor(
    readonly days: number,
    readonly seconds: number,
    readonly microseconds: number,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: G_TIMEDELTA, args: [this.days, this.seconds, this.microseconds] };
  }

  /** The duration in milliseconds, microseconds as the fraction, rounded once to the nearest double. */
  toMilliseconds(): number {
    const us = this.totalMicroseconds;
    const abs = us < 0n ? -us : us;
    // One rounding, as Python's timedelta / timedelta(milliseconds=1): a decimal string parses correctly rounded.
    return Number(`${us < 0n ? '-' : ''}${abs / 1000n}.${String(abs % 1000n).padStart(3, '0')}`);
  }

  /** The whole duration in microseconds. */
  get totalMicroseconds(): bigint {
    return (BigInt(this.days) * 86400n + BigInt(this.seconds)) * 1000000n + BigInt(this.microseconds);
  }
}

/** `datetime.timezone`: a fixed offset from UTC, and an optional name. */
export class PyTimezone {
  constructor(
    readonly offset: PyTimedelta,
    readonly name: string | null = null,
  ) {
    Object.freeze(this);
  }

  [REDUCE](): Reduction {
    return { callable: G_TIMEZONE, args: this.name === null ? [this.offset] : [this.offset, this.name], state: null };
  }
}

/** The offset the tzinfo itself carries, in microseconds, or null. */
function fixedOffsetMicros(tz: TzInfo | null): number | null {
  if (tz instanceof PyTimezone) return Number(tz.offset.totalMicroseconds);
  if (tz instanceof PyTzInfo && tz.utcoffsetSeconds !== null) return tz.utcoffsetSeconds * 1e6;
  return null;
}

/** The IANA key of a tz-database zone, or null. */
function zoneKey(tz: TzInfo | null): string | null {
  if (tz instanceof PyZoneInfo) return tz.key;
  if (tz instanceof PyTzInfo && tz.kind === 'zone') return tz.zone;
  return null;
}

/** Python's `%z` with a colon, as isoformat writes it, from microseconds: `+HH:MM`, then `:SS` and `.ffffff` when not zero. */
export function isoOffset(micros: number): string {
  let us = micros;
  const sign = us < 0 ? '-' : '+';
  us = Math.abs(us);
  const s = Math.floor(us / 1e6);
  const frac = us % 1e6;
  let text = `${sign}${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}`;
  if (s % 60 || frac) text += `:${pad(s % 60, 2)}`;
  if (frac) text += `.${pad(frac, 6)}`;
  return text;
}

/** `'UTC'`, `'Z'` or `±HH:MM[:SS]` as seconds east of UTC, else null (then it is a zone name). */
function parseOffset(zone: string): number | null {
  if (zone === 'UTC' || zone === 'Z') return 0;
  const m = /^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(zone);
  if (m === null) return null;
  const s = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  if (Number(m[3]) > 59 || Number(m[4] ?? 0) > 59 || s >= 86400) throw new TypeError(`toDate(): ${JSON.stringify(zone)} is not an offset within a day`);
  return m[1] === '-' ? -s : s;
}

function shiftYears(ms: number, year: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(year);
  return d.getTime();
}

function micro(us: number): number[] {
  return [(us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function isoDate(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function isoTime(h: number, m: number, s: number, us: number): string {
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${us ? `.${pad(us, 6)}` : ''}`;
}
