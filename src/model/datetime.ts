/**
 * Python's `datetime` values, field for field, so nothing is lost in either direction:
 * microseconds, `fold` and `tzinfo` survive, and each class reduces to exactly what CPython's
 * `__reduce_ex__` gives (the packed-bytes state), so the pickler writes the same bytes.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

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

  toString(): string {
    return isoTime(this.hour, this.minute, this.second, this.microsecond);
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

  toString(): string {
    return `${isoDate(this.year, this.month, this.day)}T${isoTime(this.hour, this.minute, this.second, this.microsecond)}`;
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
