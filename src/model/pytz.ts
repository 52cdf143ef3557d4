/**
 * A `pytz` tzinfo as pytz pickles it: `pytz._UTC()`, `pytz._p(zone[, utcoffset, dst, tzname])` (a
 * zone, localized to one of its offsets when the three are given) or `pytz.FixedOffset(minutes)`.
 */
import { PyGlobal } from './global.js';
import { REDUCE, type Reduction } from './reduce.js';

const G_UTC = new PyGlobal('pytz', '_UTC');
const G_P = new PyGlobal('pytz', '_p');
const G_FIXED = new PyGlobal('pytz', 'FixedOffset');

export type PyTzKind = 'utc' | 'zone' | 'fixed';

export class PyTzInfo {
  private constructor(
    readonly kind: PyTzKind,
    /** The zone name (`'UTC'` for pytz.utc), or null for a FixedOffset. */
    readonly zone: string | null,
    /** Seconds east of UTC, when the pickle says (UTC, FixedOffset, a localized zone); null for a zone's base tzinfo. */
    readonly utcoffsetSeconds: number | null,
    /** A localized zone's DST offset in seconds, else null (0 for UTC and FixedOffset). */
    readonly dstSeconds: number | null,
    /** A localized zone's abbreviation (`'CEST'`), else null. */
    readonly tzname: string | null,
  ) {
    Object.freeze(this);
  }

  static readonly UTC = new PyTzInfo('utc', 'UTC', 0, 0, 'UTC');

  static zoneOf(zone: string, utcoffset: number | null = null, dst: number | null = null, tzname: string | null = null): PyTzInfo {
    return new PyTzInfo('zone', zone, utcoffset, dst, tzname);
  }

  /** `pytz.FixedOffset(minutes)`; 0 is pytz.utc, as in pytz. */
  static fixed(minutes: number): PyTzInfo {
    return minutes === 0 ? PyTzInfo.UTC : new PyTzInfo('fixed', null, minutes * 60, 0, null);
  }

  [REDUCE](): Reduction {
    if (this.kind === 'utc') return { callable: G_UTC, args: [] };
    if (this.kind === 'fixed') return { callable: G_FIXED, args: [this.utcoffsetSeconds! / 60] };
    return { callable: G_P, args: this.utcoffsetSeconds === null ? [this.zone] : [this.zone, this.utcoffsetSeconds, this.dstSeconds, this.tzname] };
  }

  toString(): string {
    if (this.kind === 'fixed') return `pytz.FixedOffset(${this.utcoffsetSeconds! / 60})`;
    return this.zone!;
  }
}
